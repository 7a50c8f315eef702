//! Deep work on a stack large enough for it: the printers, the simplifier's
//! rewrites and the derivation recurse along the depth of an expression,
//! which a long chain of definitions makes thousands of levels deep. The
//! library's entry points move such work to a thread with a large stack, so
//! a caller on a small thread (2 MiB by default) never overflows.
//!
//! On WebAssembly there are no threads: the work runs on the caller's
//! stack, whose size the embedding sets (the web crate links with a large
//! one).

use std::cell::Cell;
use std::sync::{Mutex, PoisonError};

thread_local! {
    /// Set on the threads [`run`] starts: work there stays there.
    static ON_DEEP_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Stack size of the thread that deep work runs on (reserved, not touched
/// unless used).
pub const DEEP_STACK_BYTES: usize = 256 << 20;

/// Graph size (nodes) from which work moves to a [`DEEP_STACK_BYTES`]
/// thread; below it the caller's stack is always enough.
pub const DEEP_GRAPH_NODES: usize = 2_000;

/// Source size (bytes) from which analysis moves to a [`DEEP_STACK_BYTES`]
/// thread.
pub const DEEP_SOURCE_BYTES: usize = 16 << 10;

/// Postfix operators (`'`, `ᵀ`, `^`, `⁻¹`) in a source from which its
/// analysis moves to a [`DEEP_STACK_BYTES`] thread: a run of them nests as
/// deep as it is long.
pub const DEEP_POSTFIX_MARKS: usize = 100;

/// Bracket depth from which analysis moves to a [`DEEP_STACK_BYTES`]
/// thread.
pub const DEEP_BRACKETS: usize = 32;

/// Whether analysing `source` may recurse deeper than a small stack allows:
/// it is large, it has many postfix operators (a chain of hundreds of
/// transposes or powers nests that deep), or deeply nested brackets.
pub fn deep_source(source: &str) -> bool {
    if source.len() > DEEP_SOURCE_BYTES {
        return true;
    }
    let (mut marks, mut depth) = (0usize, 0usize);
    for c in source.chars() {
        match c {
            '\'' | 'ᵀ' | '^' | '⁻' => marks += 1,
            '(' | '{' => depth += 1,
            ')' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if marks > DEEP_POSTFIX_MARKS || depth > DEEP_BRACKETS {
            return true;
        }
    }
    false
}

/// Runs `work` here, or, if `deep`, on a thread with a
/// [`DEEP_STACK_BYTES`] stack (here after all if no thread can be started).
/// A panic in `work` resumes on the calling thread.
pub fn run<R: Send>(deep: bool, work: impl FnOnce() -> R + Send) -> R {
    if !deep || ON_DEEP_STACK.with(Cell::get) || cfg!(target_family = "wasm") {
        return work();
    }
    let slot = Mutex::new(Some(work));
    let done = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new().stack_size(DEEP_STACK_BYTES).spawn_scoped(scope, || {
            ON_DEEP_STACK.with(|on| on.set(true));
            let work = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            work.map(|work| work())
        });
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        }
    });
    let left = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
    match (done, left) {
        (Some(result), _) => result,
        (None, Some(work)) => work(),
        (None, None) => unreachable!("the work either ran on the thread or is still in its slot"),
    }
}
