//! Maps keyed by node id as vectors: ids are dense and small, so a pass
//! that touches most nodes of a result indexes a vector instead of hashing.

use super::ExprId;

/// A value for some nodes, indexed by id; it grows to the largest id set.
#[derive(Clone, Debug)]
pub struct IdMap<T> {
    values: Vec<Option<T>>,
    len: usize,
}

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap { values: Vec::new(), len: 0 }
    }
}

impl<T: Copy> IdMap<T> {
    /// An empty map with room for ids below `len`.
    pub fn with_len(len: usize) -> IdMap<T> {
        IdMap { values: vec![None; len], len: 0 }
    }

    /// The value of `id`, if set.
    pub fn get(&self, id: ExprId) -> Option<T> {
        self.values.get(id.0 as usize).copied().flatten()
    }

    /// Whether no id has a value.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `id` has a value.
    pub fn contains(&self, id: ExprId) -> bool {
        self.get(id).is_some()
    }

    /// Sets the value of `id`.
    pub fn insert(&mut self, id: ExprId, value: T) {
        let i = id.0 as usize;
        if i >= self.values.len() {
            self.values.resize(i + 1, None);
        }
        self.len += usize::from(self.values[i].is_none());
        self.values[i] = Some(value);
    }
}
