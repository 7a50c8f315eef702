//! A map for the memos of one call, which are nearly always short: the
//! first entries kept in place and searched in order (no allocation, no
//! hashing), all of them in a hash map once there are more.

use std::hash::Hash;

use super::FastMap;

/// Entries kept in place before the map moves into a hash map.
const FEW: usize = 16;

/// A map from `K` to `V`, short ones kept in place.
pub struct SmallMap<K, V> {
    /// The first entries, `len` of them, while `len` < [`FEW`].
    few: [Option<(K, V)>; FEW],
    len: usize,
    /// Every entry, once there were [`FEW`].
    many: FastMap<K, V>,
}

impl<K: Copy, V: Copy> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap { few: [None; FEW], len: 0, many: FastMap::default() }
    }
}

impl<K: Copy + Eq + Hash, V: Copy> SmallMap<K, V> {
    /// The value of `key`, if any.
    pub fn get(&self, key: K) -> Option<V> {
        if self.len < FEW {
            self.few[..self.len].iter().flatten().find(|(k, _)| *k == key).map(|&(_, v)| v)
        } else {
            self.many.get(&key).copied()
        }
    }

    /// Sets the value of `key` (a key set again keeps its first value in
    /// place; the callers set each key once).
    pub fn insert(&mut self, key: K, value: V) {
        if self.len + 1 < FEW {
            self.few[self.len] = Some((key, value));
            self.len += 1;
            return;
        }
        if self.len + 1 == FEW {
            self.many.extend(self.few[..self.len].iter().flatten().copied());
            self.len = FEW;
        }
        self.many.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;

    #[test]
    fn short_and_long_maps_answer_alike() {
        let mut map = SmallMap::default();
        for i in 0..100u32 {
            map.insert(i, i * 3);
            for j in 0..=i {
                assert_eq!(map.get(j), Some(j * 3));
            }
            assert_eq!(map.get(i + 1), None);
        }
    }
}
