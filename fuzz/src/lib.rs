//! Shared code of the fuzz targets: the checks (also run by the main
//! crate's `tests/fuzz_regressions.rs`) and the structured generator.

pub mod checks;
pub mod generate;
