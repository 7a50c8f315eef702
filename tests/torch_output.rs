//! The PyTorch printer, executed: the cases of `tests/common/libraries.rs`
//! printed for PyTorch and run on float64 tensors (a tensor must come back;
//! a warning is a failure). Needs a Python with torch (`MATCALC_TORCH_PYTHON`,
//! else `target/torch-venv`; `tests/common/numpy.rs`: `torch_python`). Torch
//! is kept out of CI (it pulls several GB), so without one the test skips
//! with a notice, under CI too.

mod common;

use common::libraries::cases;
use common::numpy::{run_cases_with, torch_python};
use matcalc::print::numpy::Library;

#[test]
fn torch_output_matches_finite_differences_where_torch_is_importable() {
    let cases = cases(Library::Torch);
    let Some(python) = torch_python("torch_output") else { return };
    let failures = run_cases_with(&python, &["--torch"], &cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
