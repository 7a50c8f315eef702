//! Well-shaped expressions built from the fuzzer's bytes, checked for the
//! text round trip, value preservation and gradients.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(case) = matcalc_fuzz::generate::case(&mut u) else { return };
    if let Err(message) = matcalc_fuzz::checks::structured(&case) {
        panic!("invariant violated:\n{case}\n{message}");
    }
});
