//! The append path: the life of an entry, from a body to a committed
//! record.
//!
//! 1. `stage_items_with`: the recorded time must not go back (`ClockBehind`).
//! 2. `sign_checked` / `sign_items`: for each body in order, the policy
//!    (membership, role, custody, references, corrections) against the
//!    state staged by the bodies before it; the entry is built, signed and
//!    strictly decoded again (on a second thread for large batches); its
//!    record, leaf, tree nodes, index and meta rows go into one `Batch`
//!    (`stage`). Nothing is written yet: a refusal or a crash here leaves
//!    the ledger as it was.
//! 3. `auto_checkpoint`: with `--checkpoint-every`, a checkpoint of the
//!    staged head joins the same batch.
//! 4. `send_upstream` (a mirror only): the records and any checkpoint go to
//!    the server; a crash after it answered and before 5 leaves the copy
//!    behind the server, which the next append catches up on.
//! 5. `commit`: the new head joins the batch and the batch is written in
//!    one RocksDB `WriteBatch` (synced, or left to a group commit's WAL
//!    sync, or handed to a committer thread): a crash leaves all of it or
//!    none. The in-memory head, frontier, members and custody change only
//!    after the write succeeded.

use super::*;

impl Ledger {
    /// Append `body` signed by `signer` with the current system time.
    pub fn append(&mut self, body: Body, signer: &Signer) -> Result<(Seq, Hash), LedgerError> {
        self.append_at(body, signer, Timestamp::now())
    }

    /// Append with an explicit recorded time (tests, golden vectors,
    /// imports). Refuses, writing nothing, when the author is not an
    /// enrolled, unrevoked member whose role allows the kind, when the body
    /// breaks its schema, or when `time` is earlier than the head's.
    pub fn append_at(
        &mut self,
        body: Body,
        signer: &Signer,
        time: Timestamp,
    ) -> Result<(Seq, Hash), LedgerError> {
        let out = self.append_batch_at(vec![(body, signer)], time)?;
        Ok(out[0])
    }

    /// Append several entries in one synced write (group commit): all of
    /// them or, on any refusal, none. Each entry is checked against the
    /// membership as changed by the entries before it in the batch.
    ///
    /// Checkpoint policy: when the ledger was created with a checkpoint
    /// interval K and this batch takes the size across a multiple of K, a
    /// checkpoint of the new head is signed by the last entry's signer, if
    /// that signer is an active authority, and written in the same batch.
    /// Otherwise [`Ledger::checkpoint_due`] reports the size to checkpoint.
    pub fn append_batch_at(
        &mut self,
        items: Vec<(Body, &Signer)>,
        time: Timestamp,
    ) -> Result<Vec<(Seq, Hash)>, LedgerError> {
        self.append_items(
            items.into_iter().map(|(b, s)| (b, s, Vec::new())).collect(),
            time,
        )
    }

    /// Append one entry whose private fields are `private`: the entry
    /// carries their digests (`sd`), the values go to the `disclosures`
    /// column family in the same synced batch (SPEC §15).
    pub fn append_private(
        &mut self,
        body: Body,
        signer: &Signer,
        private: Vec<Disclosure>,
    ) -> Result<(Seq, Hash), LedgerError> {
        let out = self.append_items(vec![(body, signer, private)], Timestamp::now())?;
        Ok(out[0])
    }

    /// Check that `items` could be appended, in order, in one batch,
    /// writing nothing and signing nothing. On refusal, returns the index
    /// of the first bad item. For input too large to hold, see
    /// [`Ledger::precheck_start`].
    pub fn check_batch(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
    ) -> Result<(), (usize, LedgerError)> {
        self.stage_items(items, Timestamp::now(), true).map(|_| ())
    }

    /// Append items in one synced batch (private fields included). On a
    /// mirror whose server's head moved on, catch up and sign again (a
    /// bounded number of times).
    pub fn append_items(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
    ) -> Result<Vec<(Seq, Hash)>, LedgerError> {
        self.stage_with_retries(items, time, |_| Batch::new())
    }

    /// Stage and commit `items` with the other writes `extra(next seq)`
    /// makes, in one batch; on a mirror, a stale head is caught up on and
    /// the batch made again (at most `REMOTE_TRIES` times).
    pub(super) fn stage_with_retries(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        extra: impl Fn(Seq) -> Batch,
    ) -> Result<Vec<(Seq, Hash)>, LedgerError> {
        if self.upstream.is_none() {
            let batch = extra(Seq(self.head.tree.size.0));
            return self
                .stage_items_with(items, time, false, batch)
                .map_err(|(_, e)| e);
        }
        let mut tries = 0;
        loop {
            let time = time.max(Timestamp::now()).max(self.head.time);
            let batch = extra(Seq(self.head.tree.size.0));
            match self.stage_items_with(items.clone(), time, false, batch) {
                Err((_, LedgerError::StaleHead { .. })) if tries < REMOTE_TRIES => {
                    tries += 1;
                    self.catch_up()?;
                }
                r => return r.map_err(|(_, e)| e),
            }
        }
    }

    /// Write appends without syncing the WAL; the caller syncs with the
    /// handle [`Ledger::wal_sync`] gives and acknowledges nothing before
    /// (the server's sequencer: one fsync for every batch written while
    /// the previous one was syncing).
    pub fn set_deferred_sync(&mut self, on: bool) {
        self.deferred_sync = on;
    }

    /// A handle that syncs this ledger's WAL from another thread.
    pub fn wal_sync(&self) -> Result<crate::storage::store::WalSync, LedgerError> {
        Ok(self.writer()?.wal_sync())
    }

    pub(super) fn stage_items(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        dry_run: bool,
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        self.stage_items_with(items, time, dry_run, Batch::new())
    }

    /// [`Self::stage_items`] with other writes (`batch`) committed
    /// atomically with the entries.
    pub(super) fn stage_items_with(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        dry_run: bool,
        mut batch: Batch,
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        if time < self.head.time {
            return Err((
                0,
                LedgerError::ClockBehind {
                    now: time.to_string(),
                    head: self.head.time.to_string(),
                },
            ));
        }
        let mut st = self.staged();
        let last_signer = items.last().map(|(_, s, _)| *s);
        let out = self.sign_checked(items, time, &mut st, &mut batch, dry_run)?;
        if dry_run {
            return Ok(out);
        }
        let last = out.len().saturating_sub(1);
        let due = self
            .auto_checkpoint(&st, last_signer, &mut batch)
            .map_err(|e| (last, e))?;
        self.send_upstream(&out, &batch).map_err(|e| (last, e))?;
        self.commit(st, batch).map_err(|e| (last, e))?;
        self.checkpoint_due = due;
        Ok(out)
    }

    /// With `init --checkpoint-every K`, a batch that crosses a multiple of
    /// K signs a checkpoint of the staged head into `batch` when its last
    /// signer is an active authority; otherwise the size is returned as
    /// due (SPEC §10.4).
    pub(super) fn auto_checkpoint(
        &self,
        st: &Staged,
        signer: Option<&Signer>,
        batch: &mut Batch,
    ) -> Result<Option<crate::tlog::merkle::TreeSize>, LedgerError> {
        let (Some(k), Some(signer)) = (self.checkpoint_every, signer) else {
            return Ok(None);
        };
        if self.head.tree.size.0 / k == st.head.tree.size.0 / k {
            return Ok(None);
        }
        let active_authority = st
            .members
            .get(&signer.public())
            .is_some_and(|m| m.role == Role::Authority && m.revoked.is_none());
        if !active_authority {
            return Ok(Some(st.head.tree.size));
        }
        let cp = crate::tlog::checkpoint::Checkpoint {
            items: crate::tlog::itemmap::head(self.alg, st.custody.heads()),
            origin: self.origin(),
            head: st.frontier.head(self.alg),
        };
        batch.put(
            crate::storage::layout::CF_CHECKPOINTS,
            checkpoint_key(cp.head.size),
            cp.sign(signer)?.to_text().into_bytes(),
        );
        Ok(None)
    }

    /// [`Self::sign_items`], with the strict decoding of what it makes.
    /// Whatever is written must read back under the strict decoder. For a
    /// batch that check runs on a second thread while this one signs
    /// (signing is sequential: each entry's `prev` covers the previous
    /// record), and both finish before anything is committed.
    pub(super) fn sign_checked(
        &self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        st: &mut Staged,
        batch: &mut Batch,
        unsigned: bool,
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        let pipelined = items.len() >= PIPELINE_MIN;
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<CheckChunk>(64);
            let checker = pipelined.then(|| {
                scope.spawn(move || -> Result<(), (usize, LedgerError)> {
                    for chunk in rx {
                        for (index, bytes) in chunk {
                            Entry::decode(&bytes).map_err(|e| (index, e.into()))?;
                        }
                    }
                    Ok(())
                })
            });
            let signed =
                self.sign_items(items, time, st, batch, pipelined.then_some(&tx), unsigned);
            drop(tx);
            let checked = match checker {
                Some(c) => c.join().expect("ledger: strict-decode thread panicked"),
                None => Ok(()),
            };
            match (signed, checked) {
                (Err(a), Err(b)) => Err(if b.0 < a.0 { b } else { a }),
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(out), Ok(())) => Ok(out),
            }
        })
    }

    /// The sequential part of staging: check, sign and stage each item in
    /// order. With `check`, each entry's bytes go to the strict-decode
    /// thread instead of being decoded here. With `unsigned` (a check that
    /// writes nothing) records carry an all-zero signature of the same
    /// size instead of a real one: every rule and size is checked, no
    /// signing time is spent.
    pub(super) fn sign_items(
        &self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        st: &mut Staged,
        batch: &mut Batch,
        check: Option<&std::sync::mpsc::SyncSender<CheckChunk>>,
        unsigned: bool,
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        let mut out = Vec::with_capacity(items.len());
        // Sent in chunks: one message per entry costs more in thread
        // wake-ups than the decoding it moves.
        const CHUNK: usize = 64;
        let mut pending = Vec::with_capacity(CHUNK);
        for (index, (body, signer, private)) in items.into_iter().enumerate() {
            let at = |e: LedgerError| (index, e);
            let seq = Seq(st.head.tree.size.0);
            let sd = self.stage_private(seq, &private, batch).map_err(at)?;
            let entry = Entry {
                // SPEC §13.7: linked to the item's latest entry.
                item_prev: st.custody.link_for(&body),
                ledger: self.id,
                seq,
                prev: st.head.last,
                time,
                author: signer.public(),
                body,
                sd,
            };
            st.members.check(&entry).map_err(|e| at(e.into()))?;
            st.custody
                .check(&entry, &self.id, &st.members)
                .map_err(|e| at(e.into()))?;
            // SPEC §13.10: a self-check states the tree before it.
            if let Body::Domain(Domain::LedgerCheck(c)) = &entry.body {
                let head = st.frontier.head(self.alg);
                if c.size != head.size.0 || c.root != head.root {
                    return Err(at(LedgerError::BadLedgerCheck { seq: seq.0 }));
                }
            }
            self.check_references(&entry, st, Some(batch)).map_err(at)?;
            let (record, bytes) = make_record(&entry, signer, unsigned).map_err(at)?;
            match check {
                // A closed channel means the checker stopped at an error,
                // which it reports.
                Some(tx) => {
                    pending.push((index, record.entry_bytes.clone()));
                    if pending.len() == CHUNK
                        && tx
                            .send(std::mem::replace(&mut pending, Vec::with_capacity(CHUNK)))
                            .is_err()
                    {
                        break;
                    }
                }
                None => {
                    Entry::decode(&record.entry_bytes).map_err(|e| at(e.into()))?;
                }
            }
            let leaf = self.stage(st, &entry, bytes, batch);
            out.push((entry.seq, leaf));
        }
        if let Some(tx) = check {
            if !pending.is_empty() {
                // A closed channel: the checker's own error is reported.
                let _ = tx.send(pending);
            }
        }
        Ok(out)
    }

    /// Stage the private values of the entry at `seq` (SPEC §15): each is
    /// encoded, must read back under the strict decoder and fit the size
    /// limit (SPEC §2), and goes to `disclosures` under its digest.
    /// Returns the digests, the entry's `sd`.
    pub(super) fn stage_private(
        &self,
        seq: Seq,
        private: &[Disclosure],
        batch: &mut Batch,
    ) -> Result<Vec<Hash>, LedgerError> {
        let mut sd = Vec::with_capacity(private.len());
        for d in private {
            let bytes = d.encode();
            fits(|| format!("private field {:?}", d.path), seq, bytes.len())?;
            Disclosure::decode(&bytes)?;
            let digest = crate::format::disclosure::digest_of(self.alg, &bytes);
            batch.put(
                CF_DISCLOSURES,
                crate::storage::layout::disclosure_key(seq, &digest).to_vec(),
                bytes,
            );
            sd.push(digest);
        }
        Ok(sd)
    }

    pub(super) fn staged(&self) -> Staged {
        Staged {
            frontier: self.frontier.clone(),
            members: self.members.clone(),
            custody: self.custody.clone(),
            head: self.head.clone(),
            leaves: Vec::new(),
        }
    }

    /// Correction targets and related entries must be earlier entries.
    /// A correction must also apply to its target ([`Self::check_correction`]).
    pub(super) fn check_references(
        &self,
        entry: &Entry,
        st: &Staged,
        batch: Option<&Batch>,
    ) -> Result<(), LedgerError> {
        for h in references(&entry.body) {
            if st.leaves.contains(h) || self.seq_of_leaf(h)?.is_some_and(|s| self.referable(s)) {
                continue;
            }
            return Err(LedgerError::BadReference { leaf: *h });
        }
        if let Body::Domain(Domain::Correction(c)) = &entry.body {
            self.check_correction(c, st, batch)?;
        }
        if let Body::Domain(Domain::Void(v)) = &entry.body {
            let (seq, raw) = self.target_record(&v.target, st, batch)?;
            let kind = decode(seq, &raw)?.1.body.kind();
            if !VOIDABLE.contains(&kind) {
                return Err(LedgerError::NotVoidable { seq: seq.0, kind });
            }
        }
        Ok(())
    }

    /// The record with leaf hash `target` (checked to exist just before),
    /// read from the batch when staged earlier in it.
    pub(super) fn target_record(
        &self,
        target: &Hash,
        st: &Staged,
        batch: Option<&Batch>,
    ) -> Result<(Seq, Vec<u8>), LedgerError> {
        Ok(match st.leaves.iter().position(|l| l == target) {
            Some(i) => {
                let seq = Seq(self.head.tree.size.0 + i as u64);
                let raw = batch
                    .and_then(|b| b.get(CF_ENTRIES, &seq.key()))
                    .expect("ledger: staged entries are in the batch");
                (seq, raw.to_vec())
            }
            None => {
                let seq = self
                    .seq_of_leaf(target)?
                    .expect("ledger: reference checked just before");
                let raw = self
                    .record_bytes(seq)?
                    .ok_or(Damage::RecordMissing { seq: seq.0 })?;
                (seq, raw)
            }
        })
    }

    /// The fields a correction sets belong to its target's kind and give a
    /// valid body (`Domain::corrected`); a target staged earlier in the
    /// same batch is read from the batch. Writer-side only: verifiers show
    /// such a correction as not applied (SPEC §13.4).
    pub(super) fn check_correction(
        &self,
        c: &crate::format::kinds::Correction,
        st: &Staged,
        batch: Option<&Batch>,
    ) -> Result<(), LedgerError> {
        let (seq, raw) = self.target_record(&c.target, st, batch)?;
        let body = decode(seq, &raw)?.1.body;
        if let Some(field) = crate::format::kinds::identity_field(&c.set) {
            return Err(LedgerError::IdentityCorrection {
                seq: seq.0,
                kind: body.kind(),
                field: field.to_owned(),
            });
        }
        match body {
            Body::Domain(d) if d.corrected(&c.set).is_none() => Err(LedgerError::BadCorrection {
                seq: seq.0,
                kind: d.kind(),
                fields: c.set.keys().cloned().collect(),
            }),
            _ => Ok(()),
        }
    }

    /// Add one entry's writes to `batch`: record, new tree nodes, index row,
    /// changed member rows. The head row is written once, by [`Self::commit`].
    pub(super) fn stage(
        &self,
        st: &mut Staged,
        entry: &Entry,
        bytes: Vec<u8>,
        batch: &mut Batch,
    ) -> Hash {
        let leaf = self.alg.leaf(&bytes);
        let created = st.frontier.append(self.alg, leaf);
        for m in st.members.apply(entry) {
            batch.put(CF_META, member_key(&m.key), encode_member(&m));
        }
        for i in st.custody.apply(entry, &leaf) {
            batch.put(CF_META, item_meta_key(&i.item), i.encode());
        }
        // SPEC §13.9: a hold placed or released changes its row.
        if let Body::Domain(Domain::HoldPlace(crate::format::kinds::HoldPlace { hold, .. }))
        | Body::Domain(Domain::HoldRelease(crate::format::kinds::HoldRelease {
            hold, ..
        })) = &entry.body
        {
            if let Some(h) = st.custody.holds().get(hold) {
                batch.put(
                    CF_META,
                    crate::storage::layout::hold_meta_key(hold),
                    h.encode(),
                );
            }
        }
        // SPEC §13.12: each item a retention.set names gets its row.
        if let Body::Domain(Domain::RetentionSet(r)) = &entry.body {
            for i in &r.items {
                if let Some(row) = st.custody.retention().get(i) {
                    let key = crate::storage::layout::retention_meta_key(i);
                    batch.put(CF_META, key, row.encode());
                }
            }
        }
        // SPEC §13.11: a production gets its row.
        if let Some(p) = st.custody.productions().get(&leaf) {
            if p.seq == entry.seq {
                let key = crate::storage::layout::production_meta_key(&leaf);
                batch.put(CF_META, key, p.encode());
            }
        }
        if let Some(item) = entry_item(&entry.body) {
            batch.put(CF_INDEX, item_index_key(item, entry.seq), leaf.0.to_vec());
        }
        st.leaves.push(leaf);
        st.head = Head {
            // The root is folded once per batch, in `commit` (folding it
            // for every entry cost ~log2(size) hashes each).
            tree: crate::tlog::merkle::TreeHead {
                size: st.frontier.size(),
                root: st.head.tree.root,
            },
            last: leaf,
            time: entry.time,
        };
        batch.put(CF_ENTRIES, entry.seq.key(), bytes);
        for (id, h) in created {
            batch.put(CF_TREE, id.key(), h.0.to_vec());
        }
        batch.put(CF_INDEX, leaf_index_key(&leaf), entry.seq.key());
        leaf
    }

    /// Write the staged entries and the new head in one synced batch (see
    /// [`Store::commit`] for what a crash leaves: all of it or none). The
    /// in-memory state changes only after the write succeeds.
    pub(super) fn commit(&mut self, mut st: Staged, mut batch: Batch) -> Result<(), LedgerError> {
        st.head.tree = st.frontier.head(self.alg);
        batch.put(CF_META, META_HEAD, st.head.encode());
        match &self.handoff {
            Some(h) => {
                h.tx.send(batch)
                    .map_err(|_| crate::storage::store::StoreError::Db {
                        dir: self.store().dir().to_owned(),
                        msg: "the committer stopped (see its error)".into(),
                    })?
            }
            None => self.writer()?.commit_with(batch, !self.deferred_sync)?,
        }
        self.frontier = st.frontier;
        self.members = st.members;
        self.custody = st.custody;
        self.head = st.head;
        Ok(())
    }

    /// Check whether `signer` could append `body` now, without writing:
    /// membership, role, custody and references (used before slow work
    /// such as hashing evidence, so a refusal comes first).
    pub fn precheck(&self, body: &Body, signer: &Signer) -> Result<(), LedgerError> {
        let st = self.staged();
        let entry = Entry {
            item_prev: st.custody.link_for(body),
            ledger: self.id,
            seq: Seq(self.head.tree.size.0),
            prev: self.head.last,
            time: self.head.time,
            author: signer.public(),
            body: body.clone(),
            sd: Vec::new(),
        };
        st.members.check(&entry)?;
        st.custody.check(&entry, &self.id, &st.members)?;
        self.check_references(&entry, &st, None)
    }
}

/// Sign `entry` (with `unsigned`, a check that writes nothing: an all-zero
/// signature of the same size) and encode its record, which must fit the
/// size limit: the record is what is stored and read back, and it adds
/// the signature and two heads to the entry (SPEC §4).
pub(super) fn make_record(
    entry: &Entry,
    signer: &Signer,
    unsigned: bool,
) -> Result<(Record, Vec<u8>), LedgerError> {
    let record = if unsigned {
        Record {
            entry_bytes: entry.encode(),
            sig: [0; 64],
        }
    } else {
        Record::sign(entry, signer)?
    };
    let bytes = record.encode();
    fits(|| "record".into(), entry.seq, bytes.len())?;
    Ok((record, bytes))
}

/// Every stored item must fit the limit of SPEC §2, or it could never be
/// read back: `what` (a record, a private field) of entry `seq`, `size`
/// bytes encoded.
pub(super) fn fits(
    what: impl FnOnce() -> String,
    seq: Seq,
    size: usize,
) -> Result<(), LedgerError> {
    if size > cbor::MAX_ENCODED_LEN {
        return Err(LedgerError::TooLarge {
            what: what(),
            seq,
            size,
            limit: cbor::MAX_ENCODED_LEN,
        });
    }
    Ok(())
}
