//! Shared code of the fuzz targets: the checks (also run by the main
//! crate's `tests/fuzz_regressions.rs`), the structured generator and the
//! pool of names it draws from (also used by `tests/numpy_properties.rs`).

pub mod checks;
pub mod generate;
pub mod names;
