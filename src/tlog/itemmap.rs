//! The item map (SPEC §13.7): for every evidence item, the seq and leaf
//! hash of the latest entry about it, as a Merkle tree in item-id order
//! whose size and root a checkpoint carries on its `caselog-items` line.
//! With it and the item links (`item_prev`), an item bundle proves that it
//! holds every entry about its item up to the checkpoint's size.
//!
//! Owns: the map leaf hash, the map head (count, root), inclusion proofs
//! into it and their verification. Which entries feed the map is the
//! ledger's and the verifiers' business.

use crate::format::cbor::{self, Value};
use crate::format::entry::Seq;
use crate::format::hash::{Hash, HashAlg};
use crate::tlog::merkle::{root_of_leaves, TreeSize};
use crate::tlog::proof::{self, ProofError};

pub use crate::format::ids::ItemHeads;

/// Size and root of an item map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapHead {
    /// Number of items (at least 1 on a checkpoint line).
    pub count: u64,
    /// Merkle root over the map leaves in item-id order.
    pub root: Hash,
}

/// A map leaf: `H(0x00 || CBOR [item id, seq, leaf hash])`, the leaf hash
/// of RFC 9162 §2.1.1 over the deterministic CBOR array (SPEC §13.7).
pub fn map_leaf(alg: HashAlg, item: &str, seq: Seq, leaf: &Hash) -> Hash {
    let v = Value::Array(vec![
        Value::Text(item.to_owned()),
        Value::Uint(seq.0),
        Value::Bytes(leaf.0.to_vec()),
    ]);
    alg.leaf(&cbor::encode(&v))
}

fn leaves(alg: HashAlg, heads: &ItemHeads) -> Vec<Hash> {
    heads
        .iter()
        .map(|(item, (seq, leaf))| map_leaf(alg, item, *seq, leaf))
        .collect()
}

/// The map head; `None` when there is no item (no line is written).
pub fn head(alg: HashAlg, heads: &ItemHeads) -> Option<MapHead> {
    (!heads.is_empty()).then(|| MapHead {
        count: heads.len() as u64,
        root: root_of_leaves(alg, &leaves(alg, heads)),
    })
}

/// `item`'s position in the map and its inclusion path (RFC 9162
/// §2.1.3.1, leaf-most first); `None` when the map has no such item.
pub fn prove(alg: HashAlg, heads: &ItemHeads, item: &str) -> Option<(u64, Vec<Hash>)> {
    let index = heads.keys().position(|k| k == item)? as u64;
    let all = leaves(alg, heads);
    let ranges = proof::inclusion_ranges(index, TreeSize(all.len() as u64))
        .expect("itemmap: bad math in prove (index below count)");
    let path = ranges
        .iter()
        .map(|r| root_of_leaves(alg, &all[r.start as usize..r.end as usize]))
        .collect();
    Some((index, path))
}

/// Check that (`item`, `seq`, `leaf`) is at `index` of the map `head`.
pub fn verify(
    alg: HashAlg,
    head: &MapHead,
    item: &str,
    (seq, leaf): (Seq, &Hash),
    index: u64,
    path: &[Hash],
) -> Result<(), ProofError> {
    let l = map_leaf(alg, item, seq, leaf);
    proof::verify_inclusion(alg, index, TreeSize(head.count), &l, path, &head.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(n: usize) -> ItemHeads {
        (0..n)
            .map(|i| {
                (
                    format!("EV-{i:04}"),
                    (Seq(i as u64 * 3), Hash([i as u8; 32])),
                )
            })
            .collect()
    }

    /// Every item of maps of 1..=9 items proves into its head; a proof for
    /// another seq, leaf, item or index does not.
    #[test]
    fn proofs_verify_and_nothing_else_does() {
        for alg in [HashAlg::Blake3, HashAlg::Sha256] {
            for n in 1..=9 {
                let hs = heads(n);
                let h = head(alg, &hs).unwrap();
                assert_eq!(h.count, n as u64);
                for (item, (seq, leaf)) in &hs {
                    let (i, path) = prove(alg, &hs, item).unwrap();
                    verify(alg, &h, item, (*seq, leaf), i, &path).unwrap();
                    assert!(verify(alg, &h, item, (Seq(seq.0 + 1), leaf), i, &path).is_err());
                    assert!(verify(alg, &h, item, (*seq, &Hash([0xee; 32])), i, &path).is_err());
                    assert!(verify(alg, &h, "EV-9999", (*seq, leaf), i, &path).is_err());
                    if n > 1 {
                        let j = (i + 1) % n as u64;
                        assert!(verify(alg, &h, item, (*seq, leaf), j, &path).is_err());
                    }
                }
            }
        }
        assert!(head(HashAlg::Sha256, &ItemHeads::new()).is_none());
        assert!(prove(HashAlg::Sha256, &heads(3), "EV-7").is_none());
    }
}
