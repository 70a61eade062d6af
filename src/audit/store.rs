//! Verification of a ledger store: the records through the engine, then
//! every cache of SPEC §8 against what the records say.
//!
//! [`verify_store_with`] is a numbered list of checks, one small function
//! each; the numbers are the order problems appear in a report. Memory
//! stays bounded by the number of members and a fixed batch size, not by
//! the ledger's length.

use std::collections::BTreeMap;

use crate::format::cbor::{self, Value};
use crate::format::entry::{Body, Entry, LedgerId, Record, Seq, Timestamp};
use crate::format::hash::{Hash, HashAlg};
use crate::ledger::{self, Head};
use crate::rules::custody::{Custody, ItemState};
use crate::rules::policy::Members;
use crate::storage::evidence;
use crate::storage::layout::{
    self, CF_CHECKPOINTS, CF_DISCLOSURES, CF_ENTRIES, CF_INDEX, CF_META, CF_TIMESTAMPS, CF_TREE,
    INDEX_ITEM_PREFIX, META_CHECKPOINT_EVERY, META_FORMAT, META_HASH, META_HEAD,
    META_IMPORT_PREFIX, META_ITEM_PREFIX, META_LEDGER, META_MEMBER_PREFIX, META_PURGE,
};
use crate::storage::store::{Store, StoreError};
use crate::tlog::checkpoint;
use crate::tlog::merkle::{self, NodeId, TreeHead};
use crate::tlog::note::VerifierKey;

use super::engine::{prepare, ChainVerifier, Prepared, VerifyOptions, Watched};
use super::report::{Code, CopyCheck, Problem, Report};

/// Records decoded and signature-checked in parallel at a time.
const PAR_CHUNK: usize = 1024;
/// Recomputed tree nodes (about two per record) compared in one batched
/// read of the `tree` cache.
const NODE_CHUNK: usize = 8192;
/// Records whose `index` leaf rows are read in one ascending walk: the
/// rows are keyed by leaf hash, so a batch of 4,096 would read ~4,096
/// scattered table blocks; 131,072 sorted keys read each block about once
/// (5 MiB of pending pairs).
const LEAF_CHUNK: usize = 1 << 17;

/// Pending comparisons against the stored caches, flushed in batches.
#[derive(Default)]
struct Pending {
    nodes: Vec<(NodeId, Hash, u64)>,
    leaves: Vec<(Hash, u64)>,
    items: Vec<(String, u64, Hash)>,
}

/// What the records say, replayed: the caches are compared with this.
struct Replayed {
    alg: HashAlg,
    head: TreeHead,
    last_leaf: Hash,
    last_time: Option<Timestamp>,
    members: Members,
    custody: Custody,
    erased: Vec<(Hash, Hash)>,
    item_rows: u64,
}

/// Verify a whole ledger store: every record, then every cache and every
/// stored checkpoint.
pub fn verify_store(store: &Store) -> Result<Report, StoreError> {
    verify_store_with(store, &VerifyOptions::default())
}

/// [`verify_store`], also checking that the ledger extends each checkpoint
/// in `opts.against` (detects truncation, rollback and rewrite).
pub fn verify_store_with(store: &Store, opts: &VerifyOptions) -> Result<Report, StoreError> {
    verify_store_progress(store, opts, &|_| {})
}

/// The number of records the stored head claims: only a hint for a
/// progress bar (`None` when the head is unreadable; verification itself
/// never trusts it).
pub fn claimed_size(store: &Store) -> Option<u64> {
    let head = store.get(CF_META, META_HEAD).ok()??;
    Head::decode(&head).map(|h| h.tree.size.0)
}

/// [`verify_store_with`], calling `progress` with the number of records
/// checked so far after each chunk (for a progress bar; the library never
/// prints).
pub fn verify_store_progress(
    store: &Store,
    opts: &VerifyOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Report, StoreError> {
    // 1. The genesis entry decides the hash; `meta` only caches it.
    let meta_alg = stored_alg(store)?;
    let alg = genesis_alg(store)?.or(meta_alg).unwrap_or(HashAlg::Blake3);
    let lookup = |h: &Hash| -> Option<u64> {
        let row = store.get(CF_INDEX, &layout::leaf_index_key(h)).ok()??;
        layout::seq_of_key(&row).map(|s| s.0)
    };
    let mut v = ChainVerifier::new(alg).with_lookup(Box::new(lookup));
    // 2. Checkpoints, stored and given, are watched while the records pass.
    watch_checkpoints(store, opts, &mut v)?;
    // 3. Every record, in order, through the engine (SPEC §9); the `tree`
    //    and `index` rows each one implies are compared on the way.
    let (replayed, stray) = replay_records(store, alg, &mut v, progress)?;
    let mut report = v.finish();
    for p in stray {
        report.add(p.code, p.seq, p.area, p.message);
    }
    // 4. `meta` holds only the rows SPEC §8 defines, well formed.
    check_meta_rows(store, replayed.head.size.0, &mut report)?;
    // 5. `meta` ledger id and hash are caches of the genesis entry.
    check_identity(store, alg, meta_alg, &mut report)?;
    // 6. `meta` head: size, root, last leaf and time of the last record.
    check_head(store, &replayed, &mut report)?;
    // 7. `meta` member rows: the membership replayed from the entries.
    check_member_rows(store, &replayed.members, &mut report)?;
    // 8. `tree`: nothing beyond the complete subtrees of the current size.
    check_tree_extent(store, replayed.head, &mut report)?;
    // 9. `meta` item rows: the custody replayed from the entries.
    check_item_rows(store, &replayed.custody, &mut report)?;
    check_custody_rows(store, &replayed.custody, &mut report)?;
    // 10. `disclosures`: each belongs to its entry and was not erased.
    check_disclosures(store, &replayed, &mut report)?;
    // 11. Evidence copies still have their intake digests (when asked).
    report.scope.against = opts.against.len() as u64;
    report.scope.items_replayed = replayed.custody.iter().count() as u64;
    if let Some(dir) = &opts.evidence_dir {
        report.scope.rehash = true;
        let copies = check_evidence(dir, &replayed.custody, &mut report);
        report.settle_copies(|item, file, _| {
            copies
                .get(&(item.to_owned(), file.to_owned()))
                .copied()
                .unwrap_or(CopyCheck::NoCopy)
        });
    }
    // 12. `index`: one leaf row per entry, one item row per item entry.
    check_index_counts(store, replayed.item_rows, &mut report)?;
    // 13. `timestamps`: each token verifies for its stored checkpoint.
    check_timestamps(store, opts, &mut report)?;
    Ok(report)
}

/// The hash `meta` names, if it names one this version knows.
fn stored_alg(store: &Store) -> Result<Option<HashAlg>, StoreError> {
    Ok(store
        .get(CF_META, META_HASH)?
        .and_then(|b| HashAlg::from_name(std::str::from_utf8(&b).ok()?)))
}

/// The hash the genesis entry names, if it can be read.
fn genesis_alg(store: &Store) -> Result<Option<HashAlg>, StoreError> {
    Ok(store
        .get(CF_ENTRIES, &layout::entry_key(Seq(0)))?
        .and_then(|raw| {
            let r = Record::decode(&raw).ok()?;
            match Entry::decode(&r.entry_bytes).ok()?.body {
                Body::LedgerOpen(o) => Some(o.hash),
                _ => None,
            }
        }))
}

/// Stored checkpoints, then the ones given from outside, handed to the
/// engine to check against the records as they pass.
fn watch_checkpoints(
    store: &Store,
    opts: &VerifyOptions,
    v: &mut ChainVerifier<'_>,
) -> Result<(), StoreError> {
    // (label, size it is stored under, note bytes, trusted keys)
    type Source = (String, Option<u64>, Vec<u8>, Vec<VerifierKey>);
    let mut sources: Vec<Source> = Vec::new();
    for kv in store.iter_from(CF_CHECKPOINTS, &[]) {
        let (k, val) = kv?;
        let key_size = layout::size_of_key(&k).or(Some(u64::MAX));
        sources.push((
            "stored checkpoint".into(),
            key_size,
            val.into_vec(),
            Vec::new(),
        ));
    }
    for e in &opts.against {
        let label = format!("checkpoint {}", e.label);
        sources.push((label, None, e.bytes.clone(), e.trust.clone()));
    }
    for (label, key_size, bytes, trust) in sources {
        let (cp, note) = match checkpoint::parse(&bytes) {
            Ok(parsed) => parsed,
            Err(e) => {
                v.checkpoint_problem(Code::BadCheckpoint, format!("{label} cannot be read: {e}"));
                continue;
            }
        };
        if key_size.is_some_and(|k| k != cp.head.size.0) {
            let size = cp.head.size.0;
            let msg = format!("{label} of size {size} is stored under another size");
            v.checkpoint_problem(Code::BadCheckpoint, msg);
            continue;
        }
        v.watch(Watched {
            label,
            checkpoint: cp,
            note,
            trust,
        });
    }
    Ok(())
}

/// Runs every record through the engine in chunks (decoding, hashing and
/// signature checks of a chunk fan out over all cores, then the chain is
/// checked in order), comparing `tree` and `index` rows in batches.
/// Returns what the records say and the stray `entries` keys.
fn replay_records(
    store: &Store,
    alg: HashAlg,
    v: &mut ChainVerifier<'_>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Replayed, Vec<Problem>), StoreError> {
    let mut pending = Pending::default();
    let (mut stray, mut item_rows, mut done) = (Vec::new(), 0u64, 0u64);
    // Two stages: a reader thread reads chunk k+1 and has it prepared on
    // every core (decoding, leaf hash, signature) while this thread runs
    // chunk k through the engine and compares the caches. At most
    // IN_FLIGHT chunks wait between them, so memory stays bounded.
    std::thread::scope(|scope| -> Result<(), StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
        scope.spawn(move || read_and_prepare(store, alg, tx));
        for batch in rx {
            let batch: Batch = batch?;
            stray.extend(batch.stray);
            for (&pos, p) in batch.seqs.iter().zip(batch.prepared) {
                let (leaf, created) = v.push_prepared(pos, p);
                pending.leaves.push((leaf, pos));
                if let Some(item) = v.take_item() {
                    item_rows += 1;
                    pending.items.push((item, pos, leaf));
                }
                pending
                    .nodes
                    .extend(created.into_iter().map(|(id, h)| (id, h, pos)));
                if pending.nodes.len() >= NODE_CHUNK {
                    flush_tree(store, &mut pending, &mut v.report)?;
                }
                if pending.leaves.len() >= LEAF_CHUNK {
                    flush_leaves(store, &mut pending.leaves, &mut v.report)?;
                }
            }
            done += batch.seqs.len() as u64;
            progress(done);
        }
        Ok(())
    })?;
    flush_tree(store, &mut pending, &mut v.report)?;
    flush_leaves(store, &mut pending.leaves, &mut v.report)?;
    let (last_leaf, last_time) = v.last();
    let replayed = Replayed {
        alg,
        head: v.tree_head(),
        last_leaf,
        last_time,
        members: v.members().clone(),
        custody: v.custody().clone(),
        erased: v.erased().to_vec(),
        item_rows,
    };
    Ok((replayed, stray))
}

/// Prepared chunks waiting for the engine.
const IN_FLIGHT: usize = 2;

/// A chunk of stored records, prepared.
struct Batch {
    seqs: Vec<u64>,
    prepared: Vec<Prepared>,
    stray: Vec<Problem>,
}

/// The reader stage of [`replay_records`]: read records in key order in
/// chunks, prepare each chunk in parallel, send it on. Stops at the end,
/// at a read error (sent on), or when the engine stops listening.
fn read_and_prepare(
    store: &Store,
    alg: HashAlg,
    tx: std::sync::mpsc::SyncSender<Result<Batch, StoreError>>,
) {
    use rayon::prelude::*;
    let mut entries = store.iter_from(CF_ENTRIES, &[]);
    loop {
        let mut chunk: Vec<(u64, Box<[u8]>)> = Vec::with_capacity(PAR_CHUNK);
        let mut stray = Vec::new();
        while chunk.len() < PAR_CHUNK {
            let (k, raw) = match entries.next() {
                None => break,
                Some(Ok(kv)) => kv,
                Some(Err(e)) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            match layout::seq_of_key(&k) {
                Some(seq) => chunk.push((seq.0, raw)),
                None => stray.push(Problem {
                    code: Code::Decode,
                    seq: None,
                    area: "entry",
                    message: format!("stray key {} in entries", hex::encode(&k)),
                }),
            }
        }
        if chunk.is_empty() && stray.is_empty() {
            return;
        }
        let prepared = chunk.par_iter().map(|(_, raw)| prepare(alg, raw)).collect();
        let seqs = chunk.iter().map(|(s, _)| *s).collect();
        if tx
            .send(Ok(Batch {
                seqs,
                prepared,
                stray,
            }))
            .is_err()
        {
            return;
        }
    }
}

fn meta_problem(report: &mut Report, message: String) {
    report.add(Code::MetaMismatch, None, "meta", message);
}

/// Check 4: every `meta` row is one SPEC §8 defines, and the rows with a
/// fixed value have it; the format row is present; an import row names
/// only seqs below `size`, the records replayed.
fn check_meta_rows(store: &Store, size: u64, report: &mut Report) -> Result<(), StoreError> {
    let uint = |val: &[u8]| match cbor::decode(val) {
        Ok(Value::Uint(n)) => Some(n),
        _ => None,
    };
    for kv in store.iter_from(CF_META, &[]) {
        let (k, val) = kv?;
        let k: &[u8] = &k;
        let trouble = if k == META_FORMAT {
            (uint(&val) != Some(1)).then_some("stored format version is not 1")
        } else if k == META_PURGE {
            // An erasure whose purge is not finished yet (SPEC §8, §15):
            // finished by the next writable open.
            uint(&val)
                .is_none()
                .then_some("pending purge row is unreadable")
        } else if k == META_CHECKPOINT_EVERY {
            uint(&val)
                .is_none_or(|n| n == 0)
                .then_some("checkpoint interval is unreadable")
        } else if k == META_LEDGER
            || k == META_HASH
            || k == META_HEAD
            || k.starts_with(META_MEMBER_PREFIX)
            || k.starts_with(META_ITEM_PREFIX)
            || k.starts_with(layout::META_HOLD_PREFIX)
            || k.starts_with(layout::META_PRODUCTION_PREFIX)
            || k.starts_with(layout::META_RETENTION_PREFIX)
        {
            None
        } else if k.starts_with(META_IMPORT_PREFIX) {
            // An import's note of how far it got (SPEC §8): it must be one
            // this version writes and name only entries the ledger has.
            match crate::ledger::ImportRecord::decode(k, &val) {
                None => Some("an import row is unreadable"),
                Some(r) => r
                    .seqs
                    .is_some_and(|(_, z)| z.0 >= size)
                    .then_some("an import row names entries the ledger does not have"),
            }
        } else {
            let name = String::from_utf8_lossy(k);
            meta_problem(report, format!("unknown meta row {name:?}"));
            None
        };
        if let Some(t) = trouble {
            meta_problem(report, t.into());
        }
    }
    if store.get(CF_META, META_FORMAT)?.is_none() {
        meta_problem(report, "stored format version is missing".into());
    }
    Ok(())
}

/// Check 5: `meta` ledger id and hash agree with the genesis entry.
fn check_identity(
    store: &Store,
    alg: HashAlg,
    meta_alg: Option<HashAlg>,
    report: &mut Report,
) -> Result<(), StoreError> {
    let meta_id = store.get(CF_META, META_LEDGER)?;
    match (meta_id.as_deref(), report.ledger) {
        (Some(m), Some(g)) if m != g.0 => meta_problem(
            report,
            format!(
                "stored ledger id {} differs from the genesis entry's {g}",
                hex::encode(m)
            ),
        ),
        (None, _) => meta_problem(report, "stored ledger id is missing".into()),
        _ => {}
    }
    if meta_alg != Some(alg) {
        let msg = format!("stored hash name does not match the genesis entry's {alg}");
        meta_problem(report, msg);
    }
    if report.ledger.is_none() {
        report.ledger = meta_id
            .as_deref()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(LedgerId);
    }
    Ok(())
}

/// Check 6: the stored head is the head the records give.
fn check_head(store: &Store, r: &Replayed, report: &mut Report) -> Result<(), StoreError> {
    let mut head_problem = |msg: String| report.add(Code::HeadMismatch, None, "meta", msg);
    let Some(h) = store
        .get(CF_META, META_HEAD)?
        .and_then(|b| Head::decode(&b))
    else {
        head_problem("stored head is missing or unreadable".into());
        return Ok(());
    };
    if h.tree.size != r.head.size {
        head_problem(format!(
            "stored head says {} entries, the ledger holds {}",
            h.tree.size.0, r.head.size.0
        ));
    }
    if h.tree.root != r.head.root {
        head_problem(format!(
            "stored root {} differs from recomputed root {}",
            h.tree.root, r.head.root
        ));
    }
    if h.last != r.last_leaf {
        head_problem("stored last leaf hash differs from the last record's".into());
    }
    if Some(h.time) != r.last_time {
        head_problem("stored head time differs from the last entry's".into());
    }
    Ok(())
}

/// Check 7: one member row per member, each equal to the replayed one.
fn check_member_rows(
    store: &Store,
    members: &Members,
    report: &mut Report,
) -> Result<(), StoreError> {
    let mut stored = 0usize;
    for kv in store.iter_from(CF_META, META_MEMBER_PREFIX) {
        let (k, val) = kv?;
        if !k.starts_with(META_MEMBER_PREFIX) {
            break;
        }
        stored += 1;
        let row = ledger::decode_member(&k, &val);
        if !row.as_ref().is_some_and(|m| members.get(&m.key) == Some(m)) {
            let key = hex::encode(&k[META_MEMBER_PREFIX.len()..]);
            let msg =
                format!("member row {key} differs from the membership recomputed from entries");
            meta_problem(report, msg);
        }
    }
    let expected = members.iter().count();
    if stored < expected {
        meta_problem(
            report,
            format!("{stored} member rows stored, {expected} members enrolled"),
        );
    }
    Ok(())
}

/// Check 8: no stored tree node lies beyond the current size.
fn check_tree_extent(store: &Store, head: TreeHead, report: &mut Report) -> Result<(), StoreError> {
    let mut extra = 0u64;
    for kv in store.iter_from(CF_TREE, &[]) {
        let (k, _) = kv?;
        if !NodeId::from_key(&k).is_some_and(|id| merkle::node_in_tree(id, head.size)) {
            extra += 1;
        }
    }
    if extra > 0 {
        report.add(
            Code::TreeMismatch,
            None,
            "tree",
            format!("{extra} stored tree nodes lie beyond the {} entries present (truncated or rewritten ledger)", head.size.0),
        );
    }
    Ok(())
}

/// Check 9: one item row per item taken in, each equal to the replayed one.
fn check_item_rows(
    store: &Store,
    custody: &Custody,
    report: &mut Report,
) -> Result<(), StoreError> {
    let mut stored = 0usize;
    for kv in store.iter_from(CF_META, META_ITEM_PREFIX) {
        let (k, val) = kv?;
        let Some(id) = k.strip_prefix(META_ITEM_PREFIX) else {
            break;
        };
        stored += 1;
        let id = String::from_utf8_lossy(id).to_string();
        let legacy = |seq| ledger::open::intake_seal(store, seq);
        if !ItemState::decode(&id, &val, &legacy).is_some_and(|st| custody.get(&id) == Some(&st)) {
            let msg = format!("item row {id:?} differs from the custody recomputed from entries");
            meta_problem(report, msg);
        }
    }
    let expected = custody.iter().count();
    if stored < expected {
        meta_problem(
            report,
            format!("{stored} item rows stored, {expected} items taken in"),
        );
    }
    Ok(())
}

/// Check 9b-9d: the rows under `prefix` are exactly what the replay
/// holds (`row` decodes a stored row and finds the replayed one; `expected`
/// rows in all), one row each; `what` names them in messages.
fn check_replayed_rows<'c, T: PartialEq + 'c>(
    store: &Store,
    prefix: &'static [u8],
    what: &str,
    expected: usize,
    row: impl Fn(&[u8], &[u8]) -> (Option<T>, Option<&'c T>),
    report: &mut Report,
) -> Result<(), StoreError> {
    let mut stored = 0usize;
    for kv in store.iter_from(CF_META, prefix) {
        let (k, val) = kv?;
        let Some(id) = k.strip_prefix(prefix) else {
            break;
        };
        stored += 1;
        let (got, want) = row(id, &val);
        if got.is_none() || got.as_ref() != want {
            let id = String::from_utf8(id.to_vec()).unwrap_or_else(|_| hex::encode(id));
            meta_problem(
                report,
                format!("{what} row {id:?} differs from the replay of the entries"),
            );
        }
    }
    if stored < expected {
        meta_problem(
            report,
            format!("{stored} {what} rows stored, {expected} in the replay of the entries"),
        );
    }
    Ok(())
}

/// Check 9b-9d: legal holds (SPEC §13.9), productions (§13.11) and
/// retention (§13.12), each a cache of the custody replay.
fn check_custody_rows(
    store: &Store,
    custody: &Custody,
    report: &mut Report,
) -> Result<(), StoreError> {
    use crate::rules::{hold::Hold, production::ProductionState, retention::Retention};
    let text = |id: &[u8]| String::from_utf8(id.to_vec()).ok();
    check_replayed_rows(
        store,
        layout::META_HOLD_PREFIX,
        "hold",
        custody.holds().len(),
        |id, v| {
            let id = text(id);
            let got = id.as_deref().and_then(|i| Hold::decode(i, v));
            (got, id.and_then(|i| custody.holds().get(&i)))
        },
        report,
    )?;
    check_replayed_rows(
        store,
        layout::META_RETENTION_PREFIX,
        "retention",
        custody.retention().len(),
        |id, v| {
            let id = text(id);
            let got = id.as_deref().and_then(|i| Retention::decode(i, v));
            (got, id.and_then(|i| custody.retention().get(&i)))
        },
        report,
    )?;
    check_replayed_rows(
        store,
        layout::META_PRODUCTION_PREFIX,
        "production",
        custody.productions().len(),
        |id, v| {
            let leaf = <[u8; 32]>::try_from(id).ok().map(crate::format::hash::Hash);
            let got = leaf.and_then(|l| ProductionState::decode(l, v));
            (got, leaf.and_then(|l| custody.productions().get(&l)))
        },
        report,
    )
}

/// Check 10: each stored disclosure decodes, hashes to a digest of its own
/// entry's `sd`, and was not erased.
fn check_disclosures(store: &Store, r: &Replayed, report: &mut Report) -> Result<(), StoreError> {
    for kv in store.iter_from(CF_DISCLOSURES, &[]) {
        let (k, val) = kv?;
        let Some((seq, digest)) = layout::parse_disclosure_key(&k) else {
            let msg = format!("stray key {}", hex::encode(&k));
            report.add(Code::BadDisclosure, None, "disclosures", msg);
            continue;
        };
        match disclosure_problem(store, r, seq, &digest, &val)? {
            Some(p) => report.add(
                Code::BadDisclosure,
                Some(seq.0),
                "disclosures",
                format!("disclosure {}: {p}", &digest.to_hex()[..16]),
            ),
            None => report.disclosures_present += 1,
        }
    }
    Ok(())
}

/// What is wrong with one stored disclosure, if anything.
fn disclosure_problem(
    store: &Store,
    r: &Replayed,
    seq: Seq,
    digest: &Hash,
    val: &[u8],
) -> Result<Option<&'static str>, StoreError> {
    use crate::format::disclosure::{digest_of, Disclosure};
    let entry = store
        .get(CF_ENTRIES, &layout::entry_key(seq))?
        .and_then(|raw| {
            let e = Entry::decode(&Record::decode(&raw).ok()?.entry_bytes).ok()?;
            Some((r.alg.leaf(&raw), e))
        });
    Ok(if Disclosure::decode(val).is_err() {
        Some("cannot be read as [salt, path, value]")
    } else if digest_of(r.alg, val) != *digest {
        Some("value or salt was altered (its digest no longer matches)")
    } else {
        match &entry {
            None => Some("belongs to an entry that cannot be read"),
            Some((_, e)) if !e.sd.contains(digest) => {
                Some("is not a private field of this entry (moved from another entry?)")
            }
            Some((leaf, _)) if r.erased.contains(&(*leaf, *digest)) => {
                Some("was erased but is still stored")
            }
            Some(_) => None,
        }
    })
}

/// Check 11: every stored evidence copy re-hashes to its intake digests;
/// a copy not stored is counted (said, not silently skipped). A tree's
/// stored manifest must list content whose digests the intake recorded,
/// and each of its files stored as a copy must match the manifest.
/// Returns what was found of each (item, file) outside trees.
fn check_evidence(
    dir: &std::path::Path,
    custody: &Custody,
    report: &mut Report,
) -> BTreeMap<(String, String), CopyCheck> {
    let mut copies = BTreeMap::new();
    for st in custody.iter() {
        for (name, (b3, sha)) in &st.files {
            if let Some(root) = name.strip_suffix('/') {
                check_tree(dir, st, root, (b3, sha), report);
                continue;
            }
            let mut found = |c| copies.insert((st.item.clone(), name.clone()), c);
            let trouble = match evidence::check_blob(dir, b3) {
                Ok(None) => {
                    report.evidence_missing += 1;
                    found(CopyCheck::NoCopy);
                    continue;
                }
                Ok(Some(d)) => {
                    report.evidence_checked += 1;
                    report.scope.rehashed(format!("{} {name:?}", st.item));
                    if d.blake3 == *b3 && d.sha256 == *sha {
                        found(CopyCheck::Matches);
                        continue;
                    }
                    "no longer matches the digests recorded when it was taken in".to_owned()
                }
                Err(e) => format!("cannot be read: {e}"),
            };
            found(CopyCheck::Differs);
            evidence_trouble(
                report,
                st,
                format!("stored copy of {} file {name:?} {trouble}", st.item),
            );
        }
    }
    copies
}

/// The tree `root` of item `st`, whose content listing has digests `want`
/// (SPEC §13.8). Its manifest blob is checked as a file of the item.
fn check_tree(
    dir: &std::path::Path,
    st: &crate::rules::custody::ItemState,
    root: &str,
    want: (&Hash, &Hash),
    report: &mut Report,
) {
    let Some((mb3, _)) = st.files.get(&format!("{root}.tree.cbor")) else {
        return;
    };
    let manifest = match crate::storage::tree::read_manifest(dir, mb3) {
        Ok(None) => return,
        Ok(Some(bytes)) => crate::format::tree::Manifest::decode(&bytes).map_err(|e| e.to_string()),
        Err(e) => Err(format!("cannot be read: {e}")),
    };
    let manifest = match manifest {
        Ok(m) => m,
        Err(e) => {
            return evidence_trouble(
                report,
                st,
                format!("manifest of {} tree {root:?}: {e}", st.item),
            )
        }
    };
    if crate::format::tree::digests(&manifest.content_listing()) != (*want.0, *want.1) {
        let why = format!(
            "manifest of {} tree {root:?} lists content other than its intake recorded",
            st.item
        );
        return evidence_trouble(report, st, why);
    }
    for f in &manifest.files {
        match evidence::check_blob(dir, &f.blake3) {
            Ok(None) => report.evidence_missing += 1,
            Ok(Some(d)) if (d.size, d.blake3, d.sha256) == (f.size, f.blake3, f.sha256) => {
                report.evidence_checked += 1;
                report
                    .scope
                    .rehashed(format!("{} tree {root:?} file {:?}", st.item, f.path));
            }
            Ok(Some(_)) => {
                report.evidence_checked += 1;
                report
                    .scope
                    .rehashed(format!("{} tree {root:?} file {:?}", st.item, f.path));
                let why = format!(
                    "stored copy of {} tree file {:?} no longer matches its manifest",
                    st.item, f.path
                );
                evidence_trouble(report, st, why);
            }
            Err(e) => evidence_trouble(
                report,
                st,
                format!(
                    "stored copy of {} tree file {:?} cannot be read: {e}",
                    st.item, f.path
                ),
            ),
        }
    }
}

fn evidence_trouble(report: &mut Report, st: &crate::rules::custody::ItemState, why: String) {
    report.add(Code::EvidenceMismatch, Some(st.intake.0), "evidence", why);
}

/// Check 12: as many `index` rows as entries and item entries.
fn check_index_counts(
    store: &Store,
    item_rows_expected: u64,
    report: &mut Report,
) -> Result<(), StoreError> {
    let (mut rows, mut item_rows) = (0u64, 0u64);
    for kv in store.iter_from(CF_INDEX, &[]) {
        let (k, _) = kv?;
        if k.first() == Some(&INDEX_ITEM_PREFIX) {
            item_rows += 1;
        } else {
            rows += 1;
        }
    }
    if item_rows != item_rows_expected {
        report.add(
            Code::IndexMismatch,
            None,
            "index",
            format!(
                "{item_rows} item index rows for {item_rows_expected} evidence and custody entries"
            ),
        );
    }
    if rows != report.entries {
        report.add(
            Code::IndexMismatch,
            None,
            "index",
            format!(
                "{rows} index rows for {} entries (truncated or rewritten ledger)",
                report.entries
            ),
        );
    }
    Ok(())
}

/// Compare the pending `tree` nodes and item `index` rows.
fn flush_tree(store: &Store, p: &mut Pending, report: &mut Report) -> Result<(), StoreError> {
    let keys: Vec<[u8; 9]> = p.nodes.iter().map(|(id, _, _)| id.key()).collect();
    for (got, (id, want, seq)) in store.multi_get(CF_TREE, &keys)?.into_iter().zip(&p.nodes) {
        let what = match got {
            None => "is missing",
            Some(b) if b.as_slice() != want.as_bytes() => "differs from the recomputed hash",
            Some(_) => continue,
        };
        report.add(
            Code::TreeMismatch,
            Some(*seq),
            "tree",
            format!(
                "stored tree node (level {}, index {}) {what}",
                id.level, id.index
            ),
        );
    }
    let keys: Vec<Vec<u8>> = p
        .items
        .iter()
        .map(|(item, seq, _)| crate::storage::layout::item_index_key(item, Seq(*seq)))
        .collect();
    for (got, (item, seq, leaf)) in store.multi_get(CF_INDEX, &keys)?.into_iter().zip(&p.items) {
        if got.as_deref() != Some(leaf.as_bytes().as_slice()) {
            report.add(
                Code::IndexMismatch,
                Some(*seq),
                "index",
                format!("item index row for {item} is missing or wrong"),
            );
        }
    }
    p.items.clear();
    p.nodes.clear();
    Ok(())
}

/// Compare the pending `index` leaf rows (leaf hash -> seq) in one
/// ascending walk, reporting mismatches in entry order.
fn flush_leaves(
    store: &Store,
    leaves: &mut Vec<(Hash, u64)>,
    report: &mut Report,
) -> Result<(), StoreError> {
    leaves.sort_unstable();
    let keys: Vec<[u8; 33]> = leaves
        .iter()
        .map(|(l, _)| layout::leaf_index_key(l))
        .collect();
    let mut wrong = Vec::new();
    store.visit_ascending(CF_INDEX, &keys, |i, got| {
        let seq = leaves[i].1;
        if got != Some(Seq(seq).key().as_slice()) {
            wrong.push(seq);
        }
    })?;
    wrong.sort_unstable();
    for seq in wrong {
        report.add(
            Code::IndexMismatch,
            Some(seq),
            "index",
            "index row for this entry's leaf hash is missing or points elsewhere".into(),
        );
    }
    leaves.clear();
    Ok(())
}

/// Step 13: every stored time-stamp token (SPEC §10.5) is keyed by its own
/// SHA-256 under the size of a stored checkpoint, verifies for that
/// checkpoint's body, and shows a time no earlier than the last entry the
/// checkpoint covers.
fn check_timestamps(
    store: &Store,
    opts: &VerifyOptions,
    report: &mut Report,
) -> Result<(), StoreError> {
    if !store.has_cf(CF_TIMESTAMPS) {
        return Ok(());
    }
    for kv in store.iter_from(CF_TIMESTAMPS, &[]) {
        let (k, token) = kv?;
        let size = match (k.len(), k.get(..8)) {
            (40, Some(s))
                if k[..]
                    == layout::timestamp_key(
                        u64::from_be_bytes(s.try_into().expect("store: 8 bytes")),
                        &token,
                    )[..] =>
            {
                u64::from_be_bytes(s.try_into().expect("store: 8 bytes"))
            }
            _ => {
                let msg = format!(
                    "time-stamp row {} is not keyed by its size and SHA-256",
                    hex::encode(&k)
                );
                report.add(Code::BadTimestamp, None, "timestamp", msg);
                continue;
            }
        };
        let body = store
            .get(CF_CHECKPOINTS, &layout::checkpoint_key(size))?
            .and_then(|note| checkpoint::parse(&note).ok())
            .map(|(cp, _)| cp.body());
        let Some(body) = body else {
            let msg =
                format!("a time-stamp is stored for size {size}, where no readable checkpoint is");
            report.add(Code::BadTimestamp, None, "timestamp", msg);
            continue;
        };
        let last = last_time(store, size)?;
        super::timestamps::check_token(
            report,
            size,
            &token,
            body.as_bytes(),
            last,
            opts.tsa_anchors.as_ref(),
        );
    }
    Ok(())
}

/// The recorded time of the entry at seq `size - 1`, if readable.
fn last_time(store: &Store, size: u64) -> Result<Option<Timestamp>, StoreError> {
    let Some(seq) = size.checked_sub(1) else {
        return Ok(None);
    };
    Ok(store
        .get(CF_ENTRIES, &layout::entry_key(Seq(seq)))?
        .and_then(|raw| {
            Some(
                Entry::decode(&Record::decode(&raw).ok()?.entry_bytes)
                    .ok()?
                    .time,
            )
        }))
}
