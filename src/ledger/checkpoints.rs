//! Checkpoints and proofs served from an open ledger.
//!
//! Owns: signing and storing checkpoints (`checkpoints` column family, one
//! signed note per tree size, cosignatures merged in), listing them, and
//! building inclusion and consistency proofs from stored tree nodes with
//! one `multi_get` per proof.

use std::collections::HashMap;

use super::{Damage, Missing};
use super::{Ledger, LedgerError};
use crate::format::entry::{Role, Seq};
use crate::format::hash::Hash;
use crate::format::sig::Signer;
use crate::rules::policy::PolicyError;
use crate::storage::layout::{self, CF_CHECKPOINTS, CF_TREE};
use crate::storage::store::Batch;
use crate::tlog::checkpoint::{self, Checkpoint, Origin};
use crate::tlog::merkle::{NodeId, TreeHead, TreeSize};
use crate::tlog::note::{Note, VerifierKey};
use crate::tlog::proof::{self, Range};
use crate::tlog::prooffile::{ConsistencyProof, InclusionProof};

/// The checkpoint body of `note` (SPEC §10.1).
fn body_of(note: &Note) -> Result<Checkpoint, LedgerError> {
    Checkpoint::parse_body(&note.text).map_err(|e| {
        Missing::NotACheckpoint {
            reason: e.to_string(),
        }
        .into()
    })
}

/// Whether signature line `g` of `note` verifies under one of `keys`
/// (same name and key id).
fn verifies_under(note: &Note, g: &crate::tlog::note::NoteSig, keys: &[VerifierKey]) -> bool {
    keys.iter().any(|k| {
        k.name == g.name
            && k.id() == g.id
            && crate::tlog::note::verify_sig(&note.text, g, k).is_ok()
    })
}

/// `checkpoints` key of a tree size (SPEC §8, `storage::layout`).
pub fn checkpoint_key(size: TreeSize) -> [u8; 8] {
    layout::checkpoint_key(size.0)
}

/// Inverse of [`checkpoint_key`].
fn size_of_key(k: &[u8]) -> Result<TreeSize, LedgerError> {
    layout::size_of_key(k)
        .map(TreeSize)
        .ok_or(LedgerError::Damaged(Damage::BadKey { cf: CF_CHECKPOINTS }))
}

impl Ledger {
    /// This ledger's origin line components.
    pub fn origin(&self) -> Origin {
        Origin {
            alg: self.alg,
            ledger: self.id,
        }
    }

    /// Verifier keys of every authority ever enrolled (the keys a
    /// checkpoint of this ledger may be signed with).
    pub fn authority_log_keys(&self) -> Vec<VerifierKey> {
        let o = self.origin();
        self.members
            .iter()
            .filter(|m| m.role == Role::Authority)
            .map(|m| o.log_key(m.key))
            .collect()
    }

    /// Fail unless `signer` is an active authority now.
    pub(super) fn require_authority(&self, signer: &Signer) -> Result<(), LedgerError> {
        match self.members.get(&signer.public()) {
            Some(m) if m.role == Role::Authority && m.revoked.is_none() => Ok(()),
            Some(m) => Err(PolicyError::NotAnAuthority {
                name: m.name.clone(),
                role: m.role,
            }
            .into()),
            None => Err(PolicyError::UnknownAuthor {
                key: signer.public().short(),
            }
            .into()),
        }
    }

    /// Sign the current head as a checkpoint with an authority's key and
    /// store it (one synced write). Signing the same size again by another
    /// authority adds its signature line.
    pub fn checkpoint(&mut self, signer: &Signer) -> Result<Note, LedgerError> {
        self.require_authority(signer)?;
        let cp = Checkpoint {
            // SPEC §10.1, §13.7: the item map at this size.
            items: crate::tlog::itemmap::head(self.alg, self.custody.heads()),
            origin: self.origin(),
            head: self.head.tree,
        };
        let mut note = cp.sign(signer)?;
        if let Some(old) = self.stored_checkpoint(cp.head.size)? {
            let (_, mut old_note) = checkpoint::parse(&old).map_err(|e| {
                LedgerError::Damaged(Damage::CheckpointUnreadable {
                    size: cp.head.size.0,
                    reason: e.to_string(),
                })
            })?;
            if old_note.text != note.text {
                return Err(Damage::CheckpointConflict {
                    size: cp.head.size.0,
                }
                .into());
            }
            for g in note.sigs {
                old_note.add_sig(g);
            }
            note = old_note;
        }
        // On a mirror the server stores it first (see [`super::Upstream`]).
        if let Some(up) = self.upstream.as_mut() {
            up.checkpoint(&note.to_text())?;
        }
        let mut b = Batch::new();
        b.put(
            CF_CHECKPOINTS,
            checkpoint_key(cp.head.size),
            note.to_text().into_bytes(),
        );
        self.writer()?.commit(b)?;
        Ok(note)
    }

    /// Merge signature lines (witness cosignatures, other authorities' log
    /// signatures) from `note` into the stored checkpoint with the same
    /// body. Every new line must verify, before anything is stored, under
    /// one of `witnesses` (type 0x04) or under the log key of an authority
    /// active at that size; otherwise nothing is stored and the unverified
    /// lines are named ([`LedgerError::UnverifiedSignatures`]). A stored
    /// line that does not verify under the key now given (a forgery with
    /// a witness's public name and id) is replaced by the genuine one.
    /// Returns how many lines were added or replaced.
    pub fn add_cosignatures(
        &mut self,
        note: &Note,
        witnesses: &[VerifierKey],
    ) -> Result<usize, LedgerError> {
        let cp = body_of(note)?;
        let stored = self
            .stored_checkpoint(cp.head.size)?
            .ok_or(Missing::Checkpoint {
                size: cp.head.size.0,
            })?;
        let (_, mut merged) = checkpoint::parse(&stored).map_err(|e| {
            LedgerError::Damaged(Damage::CheckpointUnreadable {
                size: cp.head.size.0,
                reason: e.to_string(),
            })
        })?;
        if merged.text != note.text {
            return Err(Missing::CheckpointDiffers {
                size: cp.head.size.0,
            }
            .into());
        }
        let mut keys: Vec<VerifierKey> = witnesses
            .iter()
            .filter(|k| k.typ == crate::tlog::note::TYPE_COSIGNATURE)
            .cloned()
            .collect();
        keys.extend(self.log_keys_at(cp.head.size));
        let verifies = |g: &crate::tlog::note::NoteSig| verifies_under(note, g, &keys);
        let (mut changed, mut refused) = (0, Vec::new());
        for g in &note.sigs {
            let held = merged
                .sigs
                .iter()
                .position(|o| o.name == g.name && o.id == g.id);
            match held {
                Some(i) if merged.sigs[i].sig == g.sig => {}
                _ if !verifies(g) => refused.push(g.name.clone()),
                Some(i) if verifies(&merged.sigs[i]) => {}
                Some(i) => {
                    merged.sigs[i] = g.clone();
                    changed += 1;
                }
                None => {
                    merged.sigs.push(g.clone());
                    changed += 1;
                }
            }
        }
        if !refused.is_empty() {
            return Err(LedgerError::UnverifiedSignatures { names: refused });
        }
        let text = merged.to_text();
        if merged.sigs.len() > crate::tlog::note::MAX_SIGNATURES
            || text.len() > crate::tlog::note::MAX_NOTE_LEN
        {
            return Err(LedgerError::TooManySignatures {
                size: cp.head.size.0,
                lines: merged.sigs.len(),
                bytes: text.len(),
            });
        }
        if changed > 0 {
            let mut b = Batch::new();
            b.put(
                CF_CHECKPOINTS,
                checkpoint_key(cp.head.size),
                text.into_bytes(),
            );
            self.writer()?.commit(b)?;
        }
        Ok(changed)
    }

    /// Log keys of the authorities active at tree size `size` (enrolled by
    /// an entry before it and not revoked by one before it): the keys that
    /// may sign a checkpoint of that size (SPEC §10.3).
    pub fn log_keys_at(&self, size: TreeSize) -> Vec<VerifierKey> {
        let o = self.origin();
        self.members
            .iter()
            .filter(|m| {
                m.role == Role::Authority
                    && m.enrolled.0 < size.0
                    && m.revoked.is_none_or(|r| r.0 >= size.0)
            })
            .map(|m| o.log_key(m.key))
            .collect()
    }

    /// The stored checkpoint note at `size`.
    pub fn stored_checkpoint(&self, size: TreeSize) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store().get(CF_CHECKPOINTS, &checkpoint_key(size))?)
    }

    /// Every stored checkpoint, by size.
    pub fn stored_checkpoints(&self) -> Result<Vec<(TreeSize, Vec<u8>)>, LedgerError> {
        let mut out = Vec::new();
        for kv in self.store().iter_from(CF_CHECKPOINTS, &[]) {
            let (k, v) = kv?;
            out.push((size_of_key(&k)?, v.into_vec()));
        }
        Ok(out)
    }

    /// The largest stored checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<(TreeSize, Vec<u8>)>, LedgerError> {
        match self.store().iter_rev(CF_CHECKPOINTS).next() {
            None => Ok(None),
            Some(kv) => {
                let (k, v) = kv?;
                Ok(Some((size_of_key(&k)?, v.into_vec())))
            }
        }
    }

    /// The tree head at `size`, recomputed from stored nodes.
    pub fn tree_head_at(&self, size: TreeSize) -> Result<TreeHead, LedgerError> {
        self.check_size(size)?;
        let ids = crate::tlog::merkle::frontier_ids(size);
        let got = self.fetch(&ids)?;
        let nodes = ids.iter().map(|id| got[id]).collect();
        let f = crate::tlog::merkle::Frontier::from_nodes(size, nodes)
            .expect("ledger: bad math in tree_head_at");
        Ok(f.head(self.alg))
    }

    fn check_size(&self, size: TreeSize) -> Result<(), LedgerError> {
        if size.0 == 0 || size > self.head.tree.size {
            return Err(Missing::Size {
                size: size.0,
                max: self.head.tree.size.0,
            }
            .into());
        }
        Ok(())
    }

    /// Fetch stored nodes in one `multi_get`; a missing one means damage.
    pub(super) fn fetch(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, LedgerError> {
        let keys: Vec<[u8; 9]> = ids.iter().map(|i| i.key()).collect();
        let vals = self.store().multi_get(CF_TREE, &keys)?;
        let mut out = HashMap::with_capacity(ids.len());
        for (id, v) in ids.iter().zip(vals) {
            let h = v.and_then(|b| Hash::from_slice(&b)).ok_or({
                LedgerError::Damaged(Damage::TreeNodeMissing {
                    level: id.level,
                    index: id.index,
                })
            })?;
            out.insert(*id, h);
        }
        Ok(out)
    }

    fn assemble(&self, ranges: &[Range]) -> Result<Vec<Hash>, LedgerError> {
        let got = self.fetch(&proof::nodes_needed(ranges))?;
        Ok(
            proof::assemble(self.alg, ranges, |id| got.get(&id).copied())
                .expect("ledger: fetched nodes cover the proof"),
        )
    }

    /// Inclusion proof of `seq` in the tree of `size`, with the record.
    pub fn inclusion_proof(
        &self,
        seq: Seq,
        size: TreeSize,
        checkpoint: Vec<u8>,
    ) -> Result<InclusionProof, LedgerError> {
        self.check_size(size)?;
        let ranges = proof::inclusion_ranges(seq.0, size).map_err(Missing::Proof)?;
        let path = self.assemble(&ranges)?;
        let record = self
            .record_bytes(seq)?
            .ok_or(Missing::Entry { seq: seq.0 })?;
        Ok(InclusionProof {
            index: seq.0,
            record,
            path,
            checkpoint,
        })
    }

    /// Consistency proof from `old` to `new`.
    pub fn consistency_proof(
        &self,
        old: TreeSize,
        new: TreeSize,
    ) -> Result<ConsistencyProof, LedgerError> {
        self.check_size(new)?;
        if old.0 == 0 || old > new {
            return Err(Missing::OldSize {
                old: old.0,
                new: new.0,
            }
            .into());
        }
        let ranges = proof::consistency_ranges(old, new).map_err(Missing::Proof)?;
        Ok(ConsistencyProof {
            old,
            new,
            path: self.assemble(&ranges)?,
        })
    }
}

impl Ledger {
    /// Store a checkpoint signed elsewhere (an authority signing through
    /// `caselog serve`, or a mirror copying the served ones): it must be of
    /// this ledger, of a size it has, with the root it has there, and
    /// carry a log signature by an authority active at that size (SPEC
    /// §10.3), and state the item map its records give at that size (the
    /// `caselog-items` line, recomputed here). Only lines that verify are
    /// kept: log signatures, and cosignatures under `witnesses`. Returns
    /// the lines added.
    pub fn store_signed_checkpoint(
        &mut self,
        note: &Note,
        witnesses: &[VerifierKey],
    ) -> Result<usize, LedgerError> {
        let cp = body_of(note)?;
        let ours = self.tree_head_at(cp.head.size)?;
        if cp.origin != self.origin() || cp.head != ours {
            return Err(Missing::CheckpointDiffers {
                size: cp.head.size.0,
            }
            .into());
        }
        // Every extension line is recomputed, not taken on the signer's
        // word: the item map at this size (SPEC §10.1, §13.7).
        let items = crate::tlog::itemmap::head(self.alg, &self.item_heads_at(cp.head.size)?);
        if cp.items != items {
            let show = |m: Option<crate::tlog::itemmap::MapHead>| {
                m.map_or("none".to_owned(), |m| {
                    format!("{} items, root {}", m.count, m.root)
                })
            };
            return Err(Missing::CheckpointItemsDiffer {
                size: cp.head.size.0,
                signed: show(cp.items),
                computed: show(items),
            }
            .into());
        }
        let log_keys = self.log_keys_at(cp.head.size);
        let cosigners: Vec<VerifierKey> = witnesses
            .iter()
            .filter(|k| k.typ == crate::tlog::note::TYPE_COSIGNATURE)
            .cloned()
            .collect();
        let by_authority = |g: &crate::tlog::note::NoteSig| verifies_under(note, g, &log_keys);
        let mut kept = note.clone();
        kept.sigs
            .retain(|g| by_authority(g) || verifies_under(note, g, &cosigners));
        if !kept.sigs.iter().any(by_authority) {
            return Err(LedgerError::UnverifiedSignatures {
                names: note.sigs.iter().map(|g| g.name.clone()).collect(),
            });
        }
        if self.stored_checkpoint(cp.head.size)?.is_some() {
            return self.add_cosignatures(&kept, witnesses);
        }
        let mut b = Batch::new();
        b.put(
            CF_CHECKPOINTS,
            checkpoint_key(cp.head.size),
            kept.to_text().into_bytes(),
        );
        self.writer()?.commit(b)?;
        Ok(kept.sigs.len())
    }
}
