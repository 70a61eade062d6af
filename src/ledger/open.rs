//! Opening an existing ledger: the cached head, frontier, members and
//! items read from `meta` and `tree`, each checked enough to go on (a full
//! check is `audit`). A row that is missing or does not decode is a typed
//! [`Damage`]; nothing is written except an interrupted purge finished.

use std::path::Path;

use crate::format::cbor::{self, Value};
use crate::format::hash::{Hash, HashAlg};
use crate::format::ids::{LedgerId, Seq};
use crate::rules::custody::{Custody, ItemState};
use crate::rules::policy::Members;
use crate::storage::layout::{
    self, CF_ENTRIES, CF_INDEX, CF_META, CF_TREE, INDEX_ITEM_PREFIX, META_CHECKPOINT_EVERY,
    META_HASH, META_HEAD, META_ITEM_PREFIX, META_LEDGER, META_MEMBER_PREFIX, META_PURGE,
};
use crate::storage::store::{Store, WriteStore};
use crate::tlog::merkle::{self, Frontier};

use super::{decode_member, Access, Damage, Head, Ledger, LedgerError};

fn meta_row(row: &'static [u8]) -> Damage {
    Damage::MetaRow {
        row: std::str::from_utf8(row).expect("ledger: meta keys are UTF-8"),
    }
}

impl Ledger {
    /// Open an existing ledger; `writable` takes the writer lock.
    pub fn open(dir: &Path, writable: bool) -> Result<Ledger, LedgerError> {
        let store = if writable {
            Access::Write(WriteStore::open(dir)?)
        } else {
            Access::Read(Store::open(dir)?)
        };
        let s: &Store = match &store {
            Access::Read(s) => s,
            Access::Write(w) => w,
        };
        let (id, alg, head) = read_identity(s)?;
        let (frontier, members, custody) = read_state(s, alg, &head)?;
        let purge_pending = read_uint(s, META_PURGE)?.map(Seq);
        let checkpoint_every = read_uint(s, META_CHECKPOINT_EVERY)?;
        if checkpoint_every == Some(0) {
            return Err(meta_row(META_CHECKPOINT_EVERY).into());
        }
        let mut l = Ledger {
            store,
            alg,
            id,
            head,
            frontier,
            members,
            custody,
            checkpoint_every,
            checkpoint_due: None,
            resumed_purge: None,
            swept: Default::default(),
            upstream: None,
            deferred_sync: false,
            handoff: None,
        };
        // An erasure committed before a crash whose purge did not finish:
        // finish it now, before anything else is written (SPEC §15).
        if let (Some(seq), true) = (purge_pending, writable) {
            l.purge()?;
            l.resumed_purge = Some(seq);
        }
        // Copies an interrupted command left half-written: only the lock
        // holder may remove them (see `evidence::sweep_tmp`).
        if writable {
            l.swept = crate::storage::evidence::sweep_tmp(dir).map_err(|source| {
                crate::storage::store::StoreError::Io {
                    path: crate::storage::evidence::blob_dir(dir).join("tmp"),
                    source,
                }
            })?;
        }
        Ok(l)
    }
}

impl Ledger {
    /// Read the head, frontier, members and items again from the store,
    /// dropping whatever this handle cached beyond it (after a pipelined
    /// append whose committer stopped early: the store is the truth).
    pub(super) fn reload(&mut self) -> Result<(), LedgerError> {
        let (_, _, head) = read_identity(self.store())?;
        let (frontier, members, custody) = read_state(self.store(), self.alg, &head)?;
        self.head = head;
        self.frontier = frontier;
        self.members = members;
        self.custody = custody;
        Ok(())
    }
}

/// The frontier, members and items as of `head`.
fn read_state(
    s: &Store,
    alg: HashAlg,
    head: &Head,
) -> Result<(Frontier, Members, Custody), LedgerError> {
    let frontier = read_frontier(s, alg, head)?;
    let members = Members::from_list(read_members(s)?);
    let custody = Custody::from_list(read_items(s)?, read_item_heads(s, alg, u64::MAX)?)
        .with_holds(read_holds(s)?)
        .with_productions(read_productions(s)?)
        .with_retention(read_retention(s)?);
    Ok((frontier, members, custody))
}

/// Ledger id, hash and head from `meta`.
fn read_identity(store: &Store) -> Result<(LedgerId, HashAlg, Head), LedgerError> {
    let id = store
        .get(CF_META, META_LEDGER)?
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(LedgerId)
        .ok_or(meta_row(META_LEDGER))?;
    let alg = store
        .get(CF_META, META_HASH)?
        .and_then(|b| HashAlg::from_name(std::str::from_utf8(&b).ok()?))
        .ok_or(meta_row(META_HASH))?;
    let head = store
        .get(CF_META, META_HEAD)?
        .and_then(|b| Head::decode(&b))
        .ok_or(meta_row(META_HEAD))?;
    Ok((id, alg, head))
}

/// The frontier of the head's tree from `tree` (one `multi_get`), checked
/// against the head's root; and the last stored record must be the head's.
fn read_frontier(store: &Store, alg: HashAlg, head: &Head) -> Result<Frontier, LedgerError> {
    let ids = merkle::frontier_ids(head.tree.size);
    let keys: Vec<[u8; 9]> = ids.iter().map(|i| i.key()).collect();
    let nodes = store
        .multi_get(CF_TREE, &keys)?
        .into_iter()
        .map(|v| v.and_then(|b| Hash::from_slice(&b)))
        .collect::<Option<Vec<Hash>>>()
        .ok_or(Damage::Tree)?;
    let frontier = Frontier::from_nodes(head.tree.size, nodes).ok_or(Damage::Tree)?;
    if frontier.root(alg) != head.tree.root {
        return Err(Damage::Tree.into());
    }
    let last = store
        .iter_rev(CF_ENTRIES)
        .next()
        .transpose()?
        .map(|(k, _)| k);
    let expected = head
        .tree
        .size
        .0
        .checked_sub(1)
        .map(|s| layout::entry_key(Seq(s)));
    if last.as_deref() != expected.as_ref().map(|k| k.as_slice()) {
        return Err(Damage::HeadNotLast.into());
    }
    Ok(frontier)
}

/// Every member row.
fn read_members(store: &Store) -> Result<Vec<crate::rules::policy::Member>, LedgerError> {
    let mut list = Vec::new();
    for kv in store.iter_from(CF_META, META_MEMBER_PREFIX) {
        let (k, v) = kv?;
        if !k.starts_with(META_MEMBER_PREFIX) {
            break;
        }
        list.push(decode_member(&k, &v).ok_or(meta_row(META_MEMBER_PREFIX))?);
    }
    Ok(list)
}

/// Every `meta` row under `prefix`, each decoded with its key's rest.
fn read_rows<T>(
    store: &Store,
    prefix: &'static [u8],
    decode: impl Fn(&[u8], &[u8]) -> Option<T>,
) -> Result<Vec<T>, LedgerError> {
    let mut out = Vec::new();
    for kv in store.iter_from(CF_META, prefix) {
        let (k, v) = kv?;
        let Some(id) = k.strip_prefix(prefix) else {
            break;
        };
        out.push(decode(id, &v).ok_or(meta_row(prefix))?);
    }
    Ok(out)
}

/// Every legal hold row (SPEC §13.9).
fn read_holds(store: &Store) -> Result<Vec<crate::rules::hold::Hold>, LedgerError> {
    read_rows(store, crate::storage::layout::META_HOLD_PREFIX, |id, v| {
        crate::rules::hold::Hold::decode(std::str::from_utf8(id).ok()?, v)
    })
}

/// Every retention row (SPEC §13.12).
fn read_retention(store: &Store) -> Result<Vec<crate::rules::retention::Retention>, LedgerError> {
    read_rows(
        store,
        crate::storage::layout::META_RETENTION_PREFIX,
        |id, v| crate::rules::retention::Retention::decode(std::str::from_utf8(id).ok()?, v),
    )
}

/// Every discovery production row (SPEC §13.11).
fn read_productions(
    store: &Store,
) -> Result<Vec<crate::rules::production::ProductionState>, LedgerError> {
    read_rows(
        store,
        crate::storage::layout::META_PRODUCTION_PREFIX,
        |id, v| {
            let leaf = Hash(<[u8; 32]>::try_from(id).ok()?);
            crate::rules::production::ProductionState::decode(leaf, v)
        },
    )
}

/// Every evidence item row.
fn read_items(store: &Store) -> Result<Vec<ItemState>, LedgerError> {
    let mut items = Vec::new();
    for kv in store.iter_from(CF_META, META_ITEM_PREFIX) {
        let (k, v) = kv?;
        let Some(id) = k.strip_prefix(META_ITEM_PREFIX) else {
            break;
        };
        let row = std::str::from_utf8(id)
            .ok()
            .and_then(|id| ItemState::decode(id, &v, &|seq| intake_seal(store, seq)))
            .ok_or(meta_row(META_ITEM_PREFIX))?;
        items.push(row);
    }
    Ok(items)
}

/// Every item's latest entry below seq `below` (SPEC §13.7), from the
/// `index` item rows (`"I" || item || 0x00 || seq`, ascending): the last
/// such row of each item, and the leaf hash of its record. One pass over
/// the item rows and one read per item.
pub(super) fn read_item_heads(
    store: &Store,
    alg: HashAlg,
    below: u64,
) -> Result<crate::format::ids::ItemHeads, LedgerError> {
    let mut last: Vec<(String, Seq)> = Vec::new();
    for kv in store.iter_from(CF_INDEX, &[INDEX_ITEM_PREFIX]) {
        let (k, _) = kv?;
        if k.first() != Some(&INDEX_ITEM_PREFIX) {
            break;
        }
        let bad = || meta_row(b"index item row");
        let n = k.len();
        if n < 11 || k[n - 9] != 0 {
            return Err(bad().into());
        }
        let item = std::str::from_utf8(&k[1..n - 9]).map_err(|_| bad())?;
        let seq = layout::seq_of_key(&k[n - 8..]).ok_or_else(bad)?;
        if seq.0 >= below {
            continue;
        }
        match last.last_mut() {
            Some((i, s)) if i == item => *s = seq,
            _ => last.push((item.to_owned(), seq)),
        }
    }
    let mut heads = crate::format::ids::ItemHeads::new();
    for (item, seq) in last {
        let raw = store
            .get(CF_ENTRIES, &layout::entry_key(seq))?
            .ok_or(Damage::RecordMissing { seq: seq.0 })?;
        heads.insert(item, (seq, alg.leaf(&raw)));
    }
    Ok(heads)
}

/// The `seal` of the intake at `seq` (`Some(None)`: it names none;
/// `None`: no readable intake there). Item rows written before seals were
/// tracked are completed with it ([`ItemState::decode`]).
pub fn intake_seal(store: &Store, seq: Seq) -> Option<Option<String>> {
    use crate::format::entry::{Body, Entry, Record};
    use crate::format::kinds::Domain;
    let raw = store.get(CF_ENTRIES, &layout::entry_key(seq)).ok()??;
    let e = Entry::decode(&Record::decode(&raw).ok()?.entry_bytes).ok()?;
    match e.body {
        Body::Domain(Domain::EvidenceIntake(b)) => Some(b.seal),
        _ => None,
    }
}

/// An optional `meta` row holding a CBOR uint.
fn read_uint(store: &Store, key: &'static [u8]) -> Result<Option<u64>, LedgerError> {
    match store.get(CF_META, key)? {
        None => Ok(None),
        Some(b) => match cbor::decode(&b) {
            Ok(Value::Uint(n)) => Ok(Some(n)),
            _ => Err(meta_row(key).into()),
        },
    }
}

impl Ledger {
    /// The erasure whose value is committed for deletion but not yet
    /// purged from the files (SPEC §15), if any; the next writable open
    /// finishes it.
    pub fn purge_pending(&self) -> Result<Option<Seq>, LedgerError> {
        Ok(read_uint(self.store(), META_PURGE)?.map(Seq))
    }
}
