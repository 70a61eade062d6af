//! Appending records that were signed elsewhere: by a remote client (the
//! server's sequencer, `caselog serve`) or by the ledger being mirrored
//! (`caselog mirror`). The ledger never sees the author's private key; it
//! checks each record exactly as the verifier would (SPEC §9.1: strict
//! decoding, ledger id, position, time order, strict signature, membership
//! and role, custody, references) before one synced batch commits it.
//!
//! Group commit: [`Ledger::append_group`] takes the submissions that arrived
//! together; each is accepted or refused on its own (in arrival order,
//! against the head as changed by those accepted before it), and the
//! accepted ones are written in one synced `WriteBatch`. Nothing is
//! acknowledged before that batch is on disk.

use super::*;

/// A record signed elsewhere, with the private values (disclosures, SPEC
/// §15) its `sd` digests stand for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The record bytes (SPEC §4) exactly as signed.
    pub record: Vec<u8>,
    /// Encoded disclosures; each digest must be in the entry's `sd`.
    pub private: Vec<Vec<u8>>,
}

/// The outcome of one request of a group: its records' seqs and leaf
/// hashes, or why it was refused.
pub type GroupResult = Result<Vec<(Seq, Hash)>, LedgerError>;

/// One accepted submission, staged.
struct StagedRecord {
    seq: Seq,
    leaf: Hash,
    /// Its own seq when it is an erasure (a purge follows the commit).
    erasure: Option<Seq>,
}

impl Ledger {
    /// Create a ledger at `dir` from a genesis record signed elsewhere (a
    /// mirror's first record). Checked as [`Ledger::init`] checks its own.
    pub fn init_signed(dir: &Path, genesis: &[u8]) -> Result<Ledger, LedgerError> {
        let (record, entry) = decode_submitted(genesis)?;
        Members::new().check(&entry)?;
        let Body::LedgerOpen(open) = &entry.body else {
            unreachable!("ledger: the policy admits only ledger.open first")
        };
        if entry.seq != Seq(0) || entry.prev != Hash::ZERO {
            return Err(LedgerError::StaleHead {
                size: 0,
                last: Hash::ZERO,
                time: entry.time.to_string(),
                given_seq: entry.seq.0,
            });
        }
        record
            .verify_signature(&entry.author)
            .map_err(|e| LedgerError::BadSignature { seq: 0, reason: e })?;
        Ledger::create(dir, open.hash, None, &entry, genesis.to_vec())
    }

    /// Append submissions all or nothing, in one synced batch (a mirror
    /// catching up). On refusal, the index of the first bad one.
    pub fn append_signed(
        &mut self,
        subs: &[Submission],
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        let mut st = self.staged();
        let mut batch = Batch::new();
        let mut out = Vec::with_capacity(subs.len());
        let mut erasure = None;
        for (i, s) in subs.iter().enumerate() {
            let staged = self
                .stage_signed(&mut st, &mut batch, s)
                .map_err(|e| (i, e))?;
            erasure = staged.erasure.or(erasure);
            out.push((staged.seq, staged.leaf));
        }
        if out.is_empty() {
            return Ok(out);
        }
        self.commit_signed(st, batch, erasure)
            .map_err(|e| (subs.len() - 1, e))?;
        Ok(out)
    }

    /// Group commit: each request (its submissions, all or nothing)
    /// accepted or refused on its own, in order; the accepted ones written
    /// in one synced batch. The outer error is a failed commit (then
    /// nothing was written and every request failed).
    pub fn append_group(
        &mut self,
        requests: &[Vec<Submission>],
    ) -> Result<Vec<GroupResult>, LedgerError> {
        let mut st = self.staged();
        let mut batch = Batch::new();
        let mut erasure = None;
        let mut any = false;
        let mut results = Vec::with_capacity(requests.len());
        for subs in requests {
            let (saved, mark) = (st.clone(), batch.mark());
            let mut out = Vec::with_capacity(subs.len());
            let (mut refused, mut erased) = (None, None);
            for s in subs {
                match self.stage_signed(&mut st, &mut batch, s) {
                    Ok(staged) => {
                        erased = staged.erasure.or(erased);
                        out.push((staged.seq, staged.leaf));
                    }
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
            match refused {
                Some(e) => {
                    st = saved;
                    batch.truncate(mark);
                    results.push(Err(e));
                }
                None => {
                    erasure = erased.or(erasure);
                    any |= !out.is_empty();
                    results.push(Ok(out));
                }
            }
        }
        if any {
            self.commit_signed(st, batch, erasure)?;
        }
        Ok(results)
    }

    /// Check one submission against the staged head and stage it.
    /// Nothing is added to `st` or `batch` unless every check passes.
    fn stage_signed(
        &self,
        st: &mut Staged,
        batch: &mut Batch,
        sub: &Submission,
    ) -> Result<StagedRecord, LedgerError> {
        let seq = Seq(st.head.tree.size.0);
        super::fits(|| "record".into(), seq, sub.record.len())?;
        let (record, entry) = decode_submitted(&sub.record)?;
        if entry.ledger != self.id {
            return Err(LedgerError::WrongLedger {
                expected: self.id,
                found: entry.ledger,
            });
        }
        if entry.seq != seq || entry.prev != st.head.last {
            return Err(LedgerError::StaleHead {
                size: st.head.tree.size.0,
                last: st.head.last,
                time: st.head.time.to_string(),
                given_seq: entry.seq.0,
            });
        }
        if entry.time < st.head.time {
            return Err(LedgerError::ClockBehind {
                now: entry.time.to_string(),
                head: st.head.time.to_string(),
            });
        }
        record
            .verify_signature(&entry.author)
            .map_err(|e| LedgerError::BadSignature {
                seq: seq.0,
                reason: e,
            })?;
        let private = self.check_private(&entry, &sub.private)?;
        st.members.check(&entry)?;
        st.custody.check(&entry, &self.id, &st.members)?;
        self.check_references(&entry, st, Some(batch))?;
        for (digest, bytes) in private {
            batch.put(
                CF_DISCLOSURES,
                crate::storage::layout::disclosure_key(seq, &digest).to_vec(),
                bytes,
            );
        }
        let erasure = match &entry.body {
            Body::Domain(Domain::DisclosureErased(e)) => {
                self.stage_erasure(st, batch, e)?;
                Some(seq)
            }
            _ => None,
        };
        let leaf = self.stage(st, &entry, sub.record.clone(), batch);
        Ok(StagedRecord { seq, leaf, erasure })
    }

    /// Each private value decodes strictly, fits the item limit and is one
    /// of the entry's `sd` digests (at most once each).
    fn check_private(
        &self,
        entry: &Entry,
        private: &[Vec<u8>],
    ) -> Result<Vec<(Hash, Vec<u8>)>, LedgerError> {
        let mut out: Vec<(Hash, Vec<u8>)> = Vec::with_capacity(private.len());
        for bytes in private {
            super::fits(|| "private field".into(), entry.seq, bytes.len())?;
            Disclosure::decode(bytes)?;
            let digest = crate::format::disclosure::digest_of(self.alg, bytes);
            if !entry.sd.contains(&digest) || out.iter().any(|(d, _)| *d == digest) {
                return Err(LedgerError::UnknownDisclosure {
                    seq: entry.seq.0,
                    digest,
                });
            }
            out.push((digest, bytes.clone()));
        }
        Ok(out)
    }

    /// An erasure entry deletes the stored value it names (as
    /// [`Ledger::erase`] does), when this copy holds it.
    fn stage_erasure(
        &self,
        st: &Staged,
        batch: &mut Batch,
        e: &crate::format::kinds::DisclosureErased,
    ) -> Result<(), LedgerError> {
        let target = match st.leaves.iter().position(|l| *l == e.target) {
            Some(i) => Seq(self.head.tree.size.0 + i as u64),
            None => self
                .seq_of_leaf(&e.target)?
                .ok_or(LedgerError::BadReference { leaf: e.target })?,
        };
        batch.delete(
            CF_DISCLOSURES,
            crate::storage::layout::disclosure_key(target, &e.digest).to_vec(),
        );
        Ok(())
    }

    /// Commit like [`Self::commit`]; when the batch erased a value, with the
    /// pending-purge row, then the purge (see [`Ledger::erase`]).
    fn commit_signed(
        &mut self,
        st: Staged,
        mut batch: Batch,
        erasure: Option<Seq>,
    ) -> Result<(), LedgerError> {
        let (old, new) = (self.head.tree.size.0, st.head.tree.size.0);
        if let Some(seq) = erasure {
            batch.put(CF_META, META_PURGE, cbor::encode(&Value::Uint(seq.0)));
        }
        self.commit(st, batch)?;
        if let Some(k) = self.checkpoint_every {
            if old / k != new / k {
                self.checkpoint_due = Some(TreeSize(new));
            }
        }
        if erasure.is_some() {
            crate::storage::failpoint::hit("erase.after_commit");
            self.purge()?;
        }
        Ok(())
    }
}

/// Strictly decode a submitted record and its entry.
fn decode_submitted(bytes: &[u8]) -> Result<(Record, Entry), LedgerError> {
    let record = Record::decode(bytes)?;
    let entry = Entry::decode(&record.entry_bytes)?;
    Ok((record, entry))
}
