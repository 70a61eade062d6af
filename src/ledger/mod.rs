//! The ledger: the only writer.
//!
//! Owns: `init` (create a store and write the genesis entry), opening an
//! existing ledger with its cached head, frontier and members, the append
//! path (policy check, build, sign, one synced batch), and the `meta` rows
//! that cache the head and membership. Everything cached here is recomputed
//! and compared by `verify`.

use std::path::Path;

use thiserror::Error;

mod append;
mod checkpoints;
mod create;
mod damage;
mod erase;
mod error;
mod imports;
pub mod open;
mod pipeline;
mod precheck;
mod read;
mod rows;
mod signed;
mod tiles;
mod timestamps;
mod upstream;
use append::fits;
pub use checkpoints::checkpoint_key;
pub use damage::{Damage, Missing};
pub use error::LedgerError;
pub use imports::ImportRecord;
pub use pipeline::Pipelined;
pub use precheck::Precheck;
pub use read::decode;
pub use rows::{decode_member, encode_member, Head};
pub use signed::{GroupResult, Submission};
pub use upstream::Upstream;
use upstream::REMOTE_TRIES;

use crate::format::cbor::{self, MapBuilder, MapReader, Value};
use crate::format::disclosure::Disclosure;
use crate::format::entry::{
    Body, Entry, EntryError, LedgerId, LedgerOpen, MemberKey, Record, Role, Seq, Timestamp,
};
use crate::format::hash::{Hash, HashAlg};
use crate::format::kinds::Domain;
use crate::format::sig::Signer;
use crate::rules::custody::Custody;
use crate::rules::policy::{Member, Members, PolicyError};
use crate::storage::layout::{
    item_index_key, item_index_prefix, item_meta_key, leaf_index_key, member_key, seq_of_key,
    CF_DISCLOSURES, CF_ENTRIES, CF_INDEX, CF_META, CF_TREE, META_CHECKPOINT_EVERY, META_FORMAT,
    META_HASH, META_HEAD, META_LEDGER, META_MEMBER_PREFIX, META_PURGE,
};
use crate::storage::store::{Batch, Store, StoreError, WriteStore};
use crate::tlog::merkle::{self, Frontier, NodeId, TreeHead, TreeSize};

/// Batches of at least this many entries check their strict decoding on a
/// second thread while signing (smaller ones are not worth the thread).
const PIPELINE_MIN: usize = 64;
/// Entry bytes (with their index in the batch) sent to the strict-decode thread.
type CheckChunk = Vec<(usize, Vec<u8>)>;

/// Ledger state being built up by a batch before it is committed.
#[derive(Clone)]
struct Staged {
    frontier: Frontier,
    members: Members,
    custody: Custody,
    head: Head,
    /// Leaf hashes staged in this batch (for references within it).
    leaves: Vec<Hash>,
}

/// What `init` needs to write the genesis entry.
pub struct Genesis<'a> {
    /// Case identifier.
    pub case_id: &'a str,
    /// Case title.
    pub title: &'a str,
    /// Ledger hash.
    pub hash: HashAlg,
    /// Recorded time of the genesis entry.
    pub time: Timestamp,
    /// Fixed ledger id (golden vectors only); `None` draws a random one.
    pub ledger_id: Option<LedgerId>,
    /// Sign a checkpoint automatically whenever the tree size crosses a
    /// multiple of this (see [`Ledger::append_batch_at`]).
    pub checkpoint_every: Option<u64>,
    /// The case's IANA time zone (SPEC §13.1), if it has one.
    pub zone: Option<&'a str>,
}

/// How a ledger was opened: reading only, or holding the writer lock.
#[derive(Debug)]
enum Access {
    Read(Store),
    Write(WriteStore),
}

/// An open ledger.
#[derive(Debug)]
pub struct Ledger {
    store: Access,
    alg: HashAlg,
    id: LedgerId,
    head: Head,
    frontier: Frontier,
    members: Members,
    custody: Custody,
    checkpoint_every: Option<u64>,
    checkpoint_due: Option<TreeSize>,
    resumed_purge: Option<Seq>,
    /// Partial evidence copies the writable open removed (see
    /// [`Ledger::swept`]).
    swept: crate::storage::evidence::Swept,
    /// A mirror's server: appends go there first (see [`Upstream`]).
    upstream: Option<Box<dyn Upstream>>,
    /// Appends leave the WAL sync to a [`WalSync`] (a server's group commit).
    deferred_sync: bool,
    /// Committed batches go to a committer thread (see [`Ledger::pipelined`]).
    handoff: Option<pipeline::Handoff>,
}

impl Ledger {
    /// The erasure whose interrupted purge [`Ledger::open`] finished, if any.
    pub fn resumed_purge(&self) -> Option<Seq> {
        self.resumed_purge
    }

    /// Partial evidence copies an interrupted command left in
    /// `blobs/tmp`, removed when this handle opened the ledger for writing
    /// (zero when there were none, or when it opened read-only).
    pub fn swept(&self) -> crate::storage::evidence::Swept {
        self.swept
    }

    /// Ledger id.
    pub fn id(&self) -> LedgerId {
        self.id
    }

    /// Ledger hash.
    pub fn hash_alg(&self) -> HashAlg {
        self.alg
    }

    /// Cached head.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Members as of the head.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Evidence items as of the head.
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// Automatic checkpoint interval, if set at init.
    pub fn checkpoint_every(&self) -> Option<u64> {
        self.checkpoint_every
    }

    /// Set after an append that crossed a checkpoint interval when the
    /// signer was not an authority: the size an authority should checkpoint.
    pub fn checkpoint_due(&self) -> Option<TreeSize> {
        self.checkpoint_due
    }

    /// The underlying store (read access for `verify` and exports).
    pub fn store(&self) -> &Store {
        match &self.store {
            Access::Read(s) => s,
            Access::Write(w) => w,
        }
    }

    /// The writable store; opened read-only, writing is refused.
    fn writer(&self) -> Result<&WriteStore, LedgerError> {
        match &self.store {
            Access::Write(w) => Ok(w),
            Access::Read(_) => Err(LedgerError::ReadOnly),
        }
    }

    /// The frontier of the tree (to compute the root a longer tree would
    /// have without writing: a mirror checking a checkpoint first).
    pub fn frontier(&self) -> Frontier {
        self.frontier.clone()
    }

    /// Flush memtables after a bulk load (see [`Store::flush`]).
    pub fn flush(&self) -> Result<(), LedgerError> {
        Ok(self.writer()?.flush()?)
    }

    /// Every evidence item's latest entry among the first `size` entries:
    /// what a checkpoint of that size commits to (SPEC §13.7).
    pub fn item_heads_at(
        &self,
        size: crate::tlog::merkle::TreeSize,
    ) -> Result<crate::format::ids::ItemHeads, LedgerError> {
        if size == self.head.tree.size {
            return Ok(self.custody.heads().clone());
        }
        open::read_item_heads(self.store(), self.alg, size.0)
    }

    /// Seqs and records of every entry about evidence item `item`, in order
    /// (from the `index` item rows).
    pub fn item_records(&self, item: &str) -> Result<Vec<(Seq, Vec<u8>)>, LedgerError> {
        let prefix = item_index_prefix(item);
        let mut out = Vec::new();
        for kv in self.store().iter_from(CF_INDEX, &prefix) {
            let (k, _) = kv?;
            if !k.starts_with(&prefix) || k.len() != prefix.len() + 8 {
                break;
            }
            let seq = seq_of_key(&k[prefix.len()..]).expect("ledger: item row length checked");
            let raw = self
                .record_bytes(seq)?
                .ok_or(LedgerError::Damaged(Damage::RecordMissing { seq: seq.0 }))?;
            out.push((seq, raw));
        }
        Ok(out)
    }

    /// The stored record bytes at `seq`.
    pub fn record_bytes(&self, seq: Seq) -> Result<Option<Vec<u8>>, LedgerError> {
        Ok(self.store().get(CF_ENTRIES, &seq.key())?)
    }

    /// The seq of the record with leaf hash `leaf`, from the index.
    pub fn seq_of_leaf(&self, leaf: &Hash) -> Result<Option<Seq>, LedgerError> {
        Ok(self
            .store()
            .get(CF_INDEX, &leaf_index_key(leaf))?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(|b| Seq(u64::from_be_bytes(b))))
    }

    /// Iterate stored records from `from` in seq order.
    pub fn records_from(
        &self,
        from: Seq,
    ) -> impl Iterator<Item = Result<(Seq, Vec<u8>), LedgerError>> + '_ {
        self.store().iter_from(CF_ENTRIES, &from.key()).map(|kv| {
            let (k, v) = kv?;
            let seq = <[u8; 8]>::try_from(&*k)
                .map(|b| Seq(u64::from_be_bytes(b)))
                .map_err(|_| Damage::BadKey { cf: CF_ENTRIES })?;
            Ok((seq, v.into_vec()))
        })
    }

    /// Stored tree node (for proofs).
    pub fn node(&self, id: NodeId) -> Result<Option<Hash>, LedgerError> {
        Ok(self
            .store()
            .get(CF_TREE, &id.key())?
            .and_then(|b| Hash::from_slice(&b)))
    }
}

/// The evidence item an entry concerns, if any.
pub fn entry_item(body: &Body) -> Option<&str> {
    match body {
        Body::Domain(d) => d.item(),
        _ => None,
    }
}

/// Leaf hashes an entry refers to (correction target, related entries).
pub fn references(body: &Body) -> Vec<&Hash> {
    match body {
        Body::Domain(Domain::Correction(c)) => vec![&c.target],
        Body::Domain(Domain::Void(v)) => vec![&v.target],
        Body::Domain(Domain::DisclosureErased(d)) => vec![&d.target],
        Body::Domain(Domain::Event(e)) => e.refs.iter().collect(),
        _ => Vec::new(),
    }
}

/// The kinds caselog's writer lets a `void` target (SPEC §13.4): what only
/// states something. Verifiers accept a void of any earlier entry.
pub const VOIDABLE: [crate::format::kind::Kind; 5] = [
    crate::format::kind::Kind::Note,
    crate::format::kind::Kind::Event,
    crate::format::kind::Kind::Notification,
    crate::format::kind::Kind::Action,
    crate::format::kind::Kind::Correction,
];
