//! Shared code of the fuzz targets: the checks (also run by the main
//! crate's `tests/fuzz_regressions.rs`), the structured generator, the pool
//! of names it draws from and the execution of generated NumPy (both also
//! used by the main crate's NumPy tests).

pub mod checks;
pub mod generate;
pub mod names;
pub mod numpy_exec;
