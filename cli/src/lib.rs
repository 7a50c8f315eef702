//! matcalc's command line and REPL: everything that talks to a terminal.
//!
//! The mathematics lives in the core crate, [`matcalc`]; this crate adds
//! the interactive session ([`repl`]: a line-fed [`repl::Session`], the
//! loop over piped input and the terminal loop with line editing, history
//! and Ctrl-C) and the `matcalc` binary (argument parsing with clap,
//! printing, exit codes).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod repl;
