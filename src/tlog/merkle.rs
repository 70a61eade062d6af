//! RFC 9162 Merkle tree math, pure and storage-free.
//!
//! Owns: tree sizes and node addresses ([`TreeSize`], [`NodeId`]), the
//! Merkle Tree Hash of RFC 9162 §2.1.1 generic over the ledger hash, and the
//! compact [`Frontier`] (the roots of the complete subtrees of the current
//! tree) that lets `append` extend the tree and compute the new root in
//! O(log n) without reading old leaves.
//!
//! Node addressing: `NodeId { level, index }` is the root of the complete
//! subtree over leaves `[index * 2^level, (index + 1) * 2^level)`; level 0
//! nodes are leaf hashes. Only complete subtrees are ever stored, so a node,
//! once written, never changes.

use crate::format::hash::{Hash, HashAlg};
use crate::storage::layout;

/// Number of leaves in a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TreeSize(pub u64);

/// A tree size together with its root: what a checkpoint commits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    /// Leaves in the tree.
    pub size: TreeSize,
    /// RFC 9162 MTH of those leaves.
    pub root: Hash,
}

/// Address of a complete subtree's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves (0 = leaf).
    pub level: u8,
    /// Position among the nodes of that level.
    pub index: u64,
}

impl NodeId {
    /// Storage key in `tree` (SPEC §8, `storage::layout::tree_key`).
    pub fn key(self) -> [u8; 9] {
        layout::tree_key(self.level, self.index)
    }

    /// Inverse of [`NodeId::key`].
    pub fn from_key(k: &[u8]) -> Option<NodeId> {
        layout::node_of_key(k).map(|(level, index)| NodeId { level, index })
    }
}

/// MTH of the empty tree: HASH() with no input, RFC 9162 §2.1.1.
pub fn empty_root(alg: HashAlg) -> Hash {
    alg.digest(&[])
}

/// Number of complete-subtree nodes a tree of `size` leaves has
/// (what the `tree` column family holds): sum over levels of size >> level.
pub fn node_count(size: TreeSize) -> u64 {
    let mut n = 0u64;
    let mut s = size.0;
    while s > 0 {
        n += s;
        s >>= 1;
    }
    n
}

/// Whether `id` is a complete subtree of a tree of `size` leaves.
pub fn node_in_tree(id: NodeId, size: TreeSize) -> bool {
    id.level < 64 && id.index < (size.0 >> id.level)
}

/// The roots of the complete subtrees of a tree of `size` leaves, left to
/// right (largest first). These are the nodes a [`Frontier`] holds.
pub fn frontier_ids(size: TreeSize) -> Vec<NodeId> {
    let mut ids = Vec::new();
    let mut start = 0u64;
    for level in (0..64u8).rev() {
        if size.0 & (1u64 << level) != 0 {
            ids.push(NodeId {
                level,
                index: start >> level,
            });
            start += 1u64 << level;
        }
    }
    ids
}

/// Compact representation of a tree: the roots of its complete subtrees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    size: TreeSize,
    /// Hashes for [`frontier_ids`]`(size)`, in that order.
    nodes: Vec<Hash>,
}

impl Default for Frontier {
    fn default() -> Self {
        Frontier::new()
    }
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Frontier {
        Frontier {
            size: TreeSize(0),
            nodes: Vec::new(),
        }
    }

    /// Rebuild from the stored nodes named by [`frontier_ids`]`(size)`.
    /// Returns `None` if the count does not match.
    pub fn from_nodes(size: TreeSize, nodes: Vec<Hash>) -> Option<Frontier> {
        (nodes.len() == size.0.count_ones() as usize).then_some(Frontier { size, nodes })
    }

    /// Leaves so far.
    pub fn size(&self) -> TreeSize {
        self.size
    }

    /// Append a leaf hash; returns every complete-subtree node this creates
    /// (the leaf itself at level 0, then one per carry), to be stored.
    pub fn append(&mut self, alg: HashAlg, leaf: Hash) -> Vec<(NodeId, Hash)> {
        let n = self.size.0;
        let mut created = vec![(NodeId { level: 0, index: n }, leaf)];
        self.nodes.push(leaf);
        let mut level = 0u8;
        // Each trailing 1-bit of n is a complete subtree of that level to
        // the left of the new node; merge it (binary-counter carry).
        while (n >> level) & 1 == 1 {
            let right = self
                .nodes
                .pop()
                .expect("merkle: bad math in append (right)");
            let left = self.nodes.pop().expect("merkle: bad math in append (left)");
            // H(0x01 || left || right), RFC 9162 §2.1.1.
            let h = alg.node(&left, &right);
            level += 1;
            created.push((
                NodeId {
                    level,
                    index: n >> level,
                },
                h,
            ));
            self.nodes.push(h);
        }
        self.size = TreeSize(n + 1);
        assert_eq!(
            self.nodes.len(),
            self.size.0.count_ones() as usize,
            "merkle: bad math in append (frontier length)"
        );
        created
    }

    /// MTH of the tree: fold the subtree roots right to left,
    /// MTH(D[n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), RFC 9162 §2.1.1.
    pub fn root(&self, alg: HashAlg) -> Hash {
        let mut it = self.nodes.iter().rev();
        match it.next() {
            None => empty_root(alg),
            Some(last) => it.fold(*last, |acc, left| alg.node(left, &acc)),
        }
    }

    /// Size and root together.
    pub fn head(&self, alg: HashAlg) -> TreeHead {
        TreeHead {
            size: self.size,
            root: self.root(alg),
        }
    }
}

/// Reference MTH over a slice of leaf hashes, straight from the recursive
/// definition in RFC 9162 §2.1.1 (for tests and small trees).
pub fn root_of_leaves(alg: HashAlg, leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(alg),
        1 => leaves[0],
        n => {
            // k: the largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            alg.node(
                &root_of_leaves(alg, &leaves[..k]),
                &root_of_leaves(alg, &leaves[k..]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(alg: HashAlg, n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| alg.leaf(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn frontier_matches_recursive_definition() {
        for alg in [HashAlg::Blake3, HashAlg::Sha256] {
            let ls = leaves(alg, 130);
            let mut f = Frontier::new();
            assert_eq!(f.root(alg), empty_root(alg));
            let mut stored = std::collections::BTreeMap::new();
            for (i, l) in ls.iter().enumerate() {
                for (id, h) in f.append(alg, *l) {
                    assert!(stored.insert(id, h).is_none(), "node {id:?} created twice");
                }
                let size = TreeSize(i as u64 + 1);
                assert_eq!(
                    f.root(alg),
                    root_of_leaves(alg, &ls[..=i]),
                    "size {}",
                    i + 1
                );
                assert_eq!(stored.len() as u64, node_count(size));
                // Every stored node is the MTH of the leaves it covers.
                for (id, h) in &stored {
                    assert!(node_in_tree(*id, size));
                    let a = (id.index << id.level) as usize;
                    let b = ((id.index + 1) << id.level) as usize;
                    assert_eq!(*h, root_of_leaves(alg, &ls[a..b]));
                }
                // The frontier can be rebuilt from stored nodes.
                let ids = frontier_ids(size);
                let nodes = ids.iter().map(|id| stored[id]).collect();
                let g = Frontier::from_nodes(size, nodes).unwrap();
                assert_eq!(g, f);
            }
        }
    }

    #[test]
    fn node_key_round_trip() {
        let id = NodeId {
            level: 5,
            index: 0x0102_0304_0506_0708,
        };
        assert_eq!(NodeId::from_key(&id.key()), Some(id));
        assert_eq!(NodeId::from_key(&[1, 2]), None);
    }
}
