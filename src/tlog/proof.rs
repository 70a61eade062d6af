//! Merkle inclusion and consistency proofs, RFC 9162 §2.1.3–§2.1.4, pure
//! and storage-free, generic over the ledger hash.
//!
//! Owns the two-phase generation API: [`inclusion_ranges`] /
//! [`consistency_ranges`] say which subtree hashes a proof consists of,
//! [`nodes_needed`] turns them into the stored complete-subtree nodes
//! (so the store can fetch them in one `multi_get`), and [`assemble`]
//! computes the proof from those nodes. Verification follows the RFC's
//! algorithms step by step.

use thiserror::Error;

use crate::format::hash::{Hash, HashAlg};
use crate::tlog::merkle::{NodeId, TreeSize};

/// A half-open range of leaf indices `[start, end)` whose MTH is one proof
/// element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// First leaf.
    pub start: u64,
    /// One past the last leaf.
    pub end: u64,
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The older size is larger than the newer one.
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesReversed {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes, expected {want}")]
    WrongLength {
        /// How many were given or found.
        got: usize,
        /// How many are needed.
        want: usize,
    },
    /// Recomputed root differs from the one claimed.
    #[error("recomputed root {computed} does not match {claimed}")]
    RootMismatch {
        /// The root the proof or checkpoint claims.
        claimed: Hash,
        /// The root computed.
        computed: Hash,
    },
    /// Equal sizes but different roots.
    #[error("trees of equal size {size} have different roots")]
    EqualSizeRootsDiffer {
        /// The tree size.
        size: u64,
    },
    /// Consistency from an empty tree is meaningless.
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyOldTree,
    /// A stored node needed for the proof is missing.
    #[error("tree node (level {}, index {}) is missing", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// The largest power of two strictly smaller than `n` (n >= 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2, "proof: bad math in split({n})");
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Ranges of `PATH(m, D[n])`, RFC 9162 §2.1.3.1, leaf-most first.
pub fn inclusion_ranges(index: u64, size: TreeSize) -> Result<Vec<Range>, ProofError> {
    if index >= size.0 {
        return Err(ProofError::IndexOutOfRange {
            index,
            size: size.0,
        });
    }
    let mut out = Vec::new();
    path(index, 0, size.0, &mut out);
    Ok(out)
}

// PATH(m, D[lo:hi]); appends in the RFC's order (deepest first).
fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<Range>) {
    let n = hi - lo;
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, lo, lo + k, out);
        out.push(Range {
            start: lo + k,
            end: hi,
        });
    } else {
        path(m - k, lo + k, hi, out);
        out.push(Range {
            start: lo,
            end: lo + k,
        });
    }
}

/// Ranges of `PROOF(m, D[n])`, RFC 9162 §2.1.4.1. Empty when `old` is 0 or
/// equals `new`.
pub fn consistency_ranges(old: TreeSize, new: TreeSize) -> Result<Vec<Range>, ProofError> {
    if old.0 > new.0 {
        return Err(ProofError::SizesReversed {
            old: old.0,
            new: new.0,
        });
    }
    let mut out = Vec::new();
    if old.0 > 0 && old.0 < new.0 {
        subproof(old.0, 0, new.0, true, &mut out);
    }
    Ok(out)
}

// SUBPROOF(m, D[lo:hi], b).
fn subproof(m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Range>) {
    let n = hi - lo;
    if m == n {
        if !b {
            out.push(Range { start: lo, end: hi });
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, lo, lo + k, b, out);
        out.push(Range {
            start: lo + k,
            end: hi,
        });
    } else {
        subproof(m - k, lo + k, hi, false, out);
        out.push(Range {
            start: lo,
            end: lo + k,
        });
    }
}

/// The complete-subtree nodes whose fold is the MTH of `r`, left to right.
/// Every range produced above starts at a multiple of a power of two at
/// least as large as its length, so this greedy split is exact.
pub fn range_nodes(r: Range) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut a = r.start;
    while a < r.end {
        let mut level = if a == 0 { 63 } else { a.trailing_zeros() as u8 };
        while level > 0 && (1u64 << level) > r.end - a {
            level -= 1;
        }
        out.push(NodeId {
            level,
            index: a >> level,
        });
        a += 1u64 << level;
    }
    out
}

/// Every stored node needed for `ranges`, deduplicated, in key order.
pub fn nodes_needed(ranges: &[Range]) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = ranges.iter().flat_map(|r| range_nodes(*r)).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Compute the proof hashes for `ranges` from fetched nodes.
pub fn assemble(
    alg: HashAlg,
    ranges: &[Range],
    lookup: impl Fn(NodeId) -> Option<Hash>,
) -> Result<Vec<Hash>, ProofError> {
    ranges
        .iter()
        .map(|r| {
            let hs = range_nodes(*r)
                .into_iter()
                .map(|id| lookup(id).ok_or(ProofError::MissingNode(id)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut it = hs.into_iter().rev();
            let last = it
                .next()
                .expect("proof: bad math in assemble (empty range)");
            // Fold right to left: H(0x01 || left || right), RFC 9162 §2.1.1.
            Ok(it.fold(last, |acc, left| alg.node(&left, &acc)))
        })
        .collect()
}

/// Verify an inclusion proof, RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    alg: HashAlg,
    index: u64,
    size: TreeSize,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size.0 {
        return Err(ProofError::IndexOutOfRange {
            index,
            size: size.0,
        });
    }
    let want = inclusion_ranges(index, size)?.len();
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (mut fnode, mut snode) = (index, size.0 - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = alg.node(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = alg.node(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch {
            claimed: *root,
            computed: r,
        });
    }
    Ok(())
}

/// Verify a consistency proof between (`old`, `old_root`) and (`new`,
/// `new_root`), RFC 9162 §2.1.4.2, with the edge cases of equal sizes and
/// an empty old tree handled as transparency-dev/merkle does.
pub fn verify_consistency(
    alg: HashAlg,
    old: TreeSize,
    new: TreeSize,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let Some(want) = consistency_preamble(old, new, old_root, new_root, proof)? else {
        return Ok(());
    };
    // Step 2: if old is a power of two, prepend its root.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.0.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (fr, sr) = fold_consistency(alg, old, new, &path).ok_or(ProofError::WrongLength {
        got: proof.len(),
        want,
    })?;
    if fr != *old_root {
        return Err(ProofError::RootMismatch {
            claimed: *old_root,
            computed: fr,
        });
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch {
            claimed: *new_root,
            computed: sr,
        });
    }
    Ok(())
}

/// What is decided before any hashing: reversed sizes, an empty old tree
/// and equal sizes (`Ok(None)`: proven by the roots alone), else the
/// proof's length, which must be the one the sizes call for
/// (`Ok(Some(len))`).
fn consistency_preamble(
    old: TreeSize,
    new: TreeSize,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<Option<usize>, ProofError> {
    if old.0 > new.0 {
        return Err(ProofError::SizesReversed {
            old: old.0,
            new: new.0,
        });
    }
    if old.0 == 0 {
        // A proof from the empty tree proves nothing; refuse it rather than
        // report success (transparency-dev/merkle does the same).
        return Err(ProofError::EmptyOldTree);
    }
    if old.0 == new.0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return if old_root == new_root {
            Ok(None)
        } else {
            Err(ProofError::EqualSizeRootsDiffer { size: old.0 })
        };
    }
    let want = consistency_ranges(old, new)?.len();
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    Ok(Some(want))
}

/// RFC 9162 §2.1.4.2 steps 3–6 over `path` (the proof, after the old
/// root when the old size is a power of two): the old and new roots it
/// computes, or `None` when the path does not fit the sizes.
fn fold_consistency(
    alg: HashAlg,
    old: TreeSize,
    new: TreeSize,
    path: &[Hash],
) -> Option<(Hash, Hash)> {
    let (mut fnode, mut snode) = (old.0 - 1, new.0 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = alg.node(c, &fr);
            sr = alg.node(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = alg.node(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some((fr, sr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{root_of_leaves, Frontier};
    use std::collections::HashMap;

    fn tree(alg: HashAlg, n: u64) -> (Vec<Hash>, HashMap<NodeId, Hash>) {
        let leaves: Vec<Hash> = (0..n).map(|i| alg.leaf(&i.to_le_bytes())).collect();
        let mut f = Frontier::new();
        let mut nodes = HashMap::new();
        for l in &leaves {
            nodes.extend(f.append(alg, *l));
        }
        (leaves, nodes)
    }

    /// All sizes 1..=64, every index / every older size, both hashes; each
    /// proof verifies, and flipping any bit of any proof hash breaks it.
    #[test]
    fn exhaustive_small_trees_with_bit_flips() {
        for alg in [HashAlg::Blake3, HashAlg::Sha256] {
            let (leaves, nodes) = tree(alg, 64);
            let roots: Vec<Hash> = (0..=64)
                .map(|n| root_of_leaves(alg, &leaves[..n]))
                .collect();
            for n in 1..=64u64 {
                let size = TreeSize(n);
                for m in 0..n {
                    let rs = inclusion_ranges(m, size).unwrap();
                    let p = assemble(alg, &rs, |id| nodes.get(&id).copied()).unwrap();
                    verify_inclusion(alg, m, size, &leaves[m as usize], &p, &roots[n as usize])
                        .unwrap();
                    for i in 0..p.len() {
                        for bit in [0usize, 77, 255] {
                            let mut q = p.clone();
                            q[i].0[bit / 8] ^= 1 << (bit % 8);
                            assert!(verify_inclusion(
                                alg,
                                m,
                                size,
                                &leaves[m as usize],
                                &q,
                                &roots[n as usize]
                            )
                            .is_err());
                        }
                    }
                    // Wrong index with the same proof fails (unless the
                    // proof happens to be shape-identical and hashes agree,
                    // which cannot happen with distinct leaves).
                    if m + 1 < n {
                        assert!(verify_inclusion(
                            alg,
                            m + 1,
                            size,
                            &leaves[m as usize],
                            &p,
                            &roots[n as usize]
                        )
                        .is_err());
                    }
                }
                assert_eq!(
                    verify_consistency(alg, TreeSize(0), size, &roots[0], &roots[n as usize], &[]),
                    Err(ProofError::EmptyOldTree)
                );
                for old in 1..=n {
                    let rs = consistency_ranges(TreeSize(old), size).unwrap();
                    let p = assemble(alg, &rs, |id| nodes.get(&id).copied()).unwrap();
                    verify_consistency(
                        alg,
                        TreeSize(old),
                        size,
                        &roots[old as usize],
                        &roots[n as usize],
                        &p,
                    )
                    .unwrap();
                    for i in 0..p.len() {
                        let mut q = p.clone();
                        q[i].0[0] ^= 0x80;
                        assert!(verify_consistency(
                            alg,
                            TreeSize(old),
                            size,
                            &roots[old as usize],
                            &roots[n as usize],
                            &q
                        )
                        .is_err());
                    }
                    if old > 0 && old < n {
                        assert!(verify_consistency(
                            alg,
                            TreeSize(old),
                            size,
                            &roots[old as usize - 1],
                            &roots[n as usize],
                            &p
                        )
                        .is_err());
                        let mut short = p.clone();
                        short.pop();
                        assert!(verify_consistency(
                            alg,
                            TreeSize(old),
                            size,
                            &roots[old as usize],
                            &roots[n as usize],
                            &short
                        )
                        .is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn range_nodes_cover_exactly() {
        for n in 1..=40u64 {
            for m in 0..n {
                for r in inclusion_ranges(m, TreeSize(n)).unwrap() {
                    let ids = range_nodes(r);
                    let covered: u64 = ids.iter().map(|id| 1u64 << id.level).sum();
                    assert_eq!(covered, r.end - r.start);
                    assert!(ids
                        .iter()
                        .all(|id| crate::tlog::merkle::node_in_tree(*id, TreeSize(n))));
                }
            }
        }
    }
}
