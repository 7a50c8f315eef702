//! Well-shaped expressions built from the fuzzer's bytes, checked for the
//! text round trip, value preservation and gradients, and their NumPy
//! output executed (value and every gradient) against the evaluator.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(case) = matcalc_fuzz::generate::case(&mut u) else { return };
    if let Err(message) = matcalc_fuzz::checks::structured(&case) {
        panic!("invariant violated:\n{case}\n{message}");
    }
    let seed = matcalc_fuzz::checks::seed_of(&case);
    if let Err(message) = matcalc_fuzz::numpy_exec::numpy_matches(&case, seed) {
        panic!("generated NumPy differs from the evaluator:\n{case}\n{message}");
    }
});
