//! The interactive session behind `matcalc repl`.
//!
//! [`Session`] is the whole REPL without a terminal: it is fed lines and
//! answers with an [`Outcome`] (results for standard output, notes and a
//! rendered error for standard error). Its statements go one at a time into
//! a [`matcalc::lower::Workspace`], so a line costs what it holds, not what
//! the session holds; names, shapes and definitions persist exactly as in a
//! program file, and a new definition of a name replaces the old one.
//! No mathematics lives here.
//!
//! - `session`: the session state and its statements;
//! - `commands`: the `:commands`;
//! - `help`: the help texts;
//! - `errors`: errors rendered against the line the user typed;
//! - `complete`: Tab completion;
//! - `script`: the loop over piped input;
//! - `terminal`: the loop on a terminal (line editor, history, Ctrl-C).

mod commands;
mod complete;
mod errors;
mod help;
mod script;
mod session;
mod terminal;

pub use help::{CommandHelp, COMMAND_HELP};
pub use script::run_script;
pub use session::Session;
pub use terminal::{history_path, run_terminal};

/// The prompt for a new statement.
pub const PROMPT: &str = "matcalc> ";
/// The prompt while a bracket is still open.
pub const CONTINUATION_PROMPT: &str = "    ...> ";

/// The REPL commands, as completed by Tab.
pub const COMMANDS: &[&str] = &[
    ":diff", ":latex", ":steps", ":graph", ":verify", ":types", ":check", ":format", ":reset", ":load", ":save",
    ":help", ":quit",
];

/// The output formats `:format` accepts.
pub const FORMATS: &[&str] = &["text", "unicode", "latex", "numpy", "jax", "torch"];

/// Width of text, Unicode and LaTeX results when the terminal's is unknown.
pub const DEFAULT_WIDTH: usize = 100;

/// The message of an interrupted line.
pub const INTERRUPTED: &str = "interrupted: the session is as it was before this line";

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// The input language.
    Text,
    /// The input language with Unicode symbols.
    Unicode,
    /// LaTeX.
    Latex,
    /// NumPy source.
    Numpy,
    /// The NumPy function in jax.numpy.
    Jax,
    /// The NumPy function in PyTorch.
    Torch,
}

impl OutputFormat {
    /// The library format.
    fn library(self) -> matcalc::Format {
        match self {
            OutputFormat::Text => matcalc::Format::Text,
            OutputFormat::Unicode => matcalc::Format::Unicode,
            OutputFormat::Latex => matcalc::Format::Latex,
            OutputFormat::Numpy => matcalc::Format::Numpy,
            OutputFormat::Jax => matcalc::Format::Jax,
            OutputFormat::Torch => matcalc::Format::Torch,
        }
    }
}

/// What the session says in answer to a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Results, in order, for standard output.
    pub output: Vec<String>,
    /// Notes for standard error that are not errors (a replaced definition).
    pub notes: Vec<String>,
    /// The rendered error, for standard error, if the input failed.
    pub error: Option<String>,
    /// The input continues on the next line (a bracket is still open).
    pub incomplete: bool,
    /// The user asked to end the session.
    pub quit: bool,
}

impl Outcome {
    fn print(text: impl Into<String>) -> Outcome {
        Outcome { output: vec![text.into()], ..Outcome::default() }
    }

    fn fail(text: impl Into<String>) -> Outcome {
        Outcome { error: Some(text.into()), ..Outcome::default() }
    }

    /// `true` if the input failed.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}
