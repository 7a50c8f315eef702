//! Stopping a computation from outside: the REPL raises a flag on Ctrl-C;
//! work on a [`crate::Graph`] that carries the flag polls it (every node
//! built, every node evaluated) and, when it is raised, unwinds with an
//! [`Interrupted`] payload, which the REPL catches to return to its prompt.
//! The graph stays consistent (the poll comes before any change), and the
//! REPL rolls it back to where the interrupted line began.

/// The unwinding payload of an interrupted computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// Unwinds the current computation with an [`Interrupted`] payload
/// (without running the panic hook: nothing is printed).
pub fn unwind() -> ! {
    std::panic::resume_unwind(Box::new(Interrupted))
}

/// `true` if a caught unwinding payload is an interrupt.
pub fn is_interrupt(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Interrupted>()
}
