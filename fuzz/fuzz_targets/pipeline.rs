//! Arbitrary bytes through the whole pipeline: parse, simplify, every
//! derivative, every printer, steps. Must never panic, hang or overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    matcalc_fuzz::checks::pipeline(&source);
});
