//! Parsing does work linear in the input, bounded by counting the grammar
//! rules pest tries (its call limit), not by time: nested brackets and
//! unclosed calls once made the parser backtrack exponentially. This is its
//! own test binary because the call limit is global to the process.

mod common;

use std::num::NonZeroUsize;

use common::simplify_text;

/// Most rule calls a parse here may make; an exponential parse of the
/// inputs below would need more than 2^100.
const CALLS: usize = 2_000_000;

#[test]
fn nested_brackets_parse_in_linear_time() {
    pest::set_call_limit(NonZeroUsize::new(CALLS));
    let product = format!("k: scalar; {}k{}", "k (".repeat(199), ")".repeat(199));
    let rendered = simplify_text(&product);
    assert!(!rendered.starts_with("error"), "{rendered}");
    let unclosed = format!("{}x", "f(".repeat(199));
    assert!(simplify_text(&unclosed).contains("unclosed"));
    // On a test thread's small stack: the library moves deep work to a
    // large stack of its own.
    let calls = format!("x: vector(n); {}x{}", "exp(".repeat(199), ")".repeat(199));
    assert!(!simplify_text(&calls).starts_with("error"));
    // A long flat sum is as cheap per term as a short one.
    let sum = vec!["x"; 20_000].join(" + ");
    assert_eq!(common::with_big_stack(move || simplify_text(&sum)), "20000 x");
    pest::set_call_limit(None);
}
