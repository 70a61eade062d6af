//! RFC 3161 time-stamp tokens stored beside checkpoints (SPEC §8
//! `timestamps`, §10.5): the writer stores a token only for a stored
//! checkpoint and only once it verifies for that checkpoint's body.

use super::{Damage, Ledger, LedgerError, Missing};
use crate::format::ids::Seq;
use crate::storage::layout::{timestamp_key, CF_TIMESTAMPS};
use crate::storage::store::Batch;
use crate::tlog::checkpoint;
use crate::tlog::merkle::TreeSize;
use crate::tlog::tsp::{self, Anchors, Timestamped};

/// Most tokens kept for one checkpoint (SPEC §10.5): several TSAs may
/// stamp it, but a bundle never carries an unbounded pile of them.
pub(super) const MAX_TIMESTAMPS: usize = 8;

impl Ledger {
    /// The body (three lines, SPEC §10.1) of the checkpoint stored at
    /// `size`: what its time-stamps cover.
    pub fn checkpoint_body(&self, size: TreeSize) -> Result<String, LedgerError> {
        let note = self
            .stored_checkpoint(size)?
            .ok_or(LedgerError::NotFound(Missing::Checkpoint { size: size.0 }))?;
        let (cp, _) = checkpoint::parse(&note).map_err(|e| {
            LedgerError::Damaged(Damage::CheckpointUnreadable {
                size: size.0,
                reason: e.to_string(),
            })
        })?;
        Ok(cp.body())
    }

    /// Store `token` as a time-stamp of the checkpoint at `size` (one synced
    /// write), once it verifies for that checkpoint's body (and chains to
    /// one of `anchors` when given). Returns what it shows and whether it
    /// was new.
    pub fn store_timestamp(
        &mut self,
        size: TreeSize,
        token: &[u8],
        anchors: Option<&Anchors>,
    ) -> Result<(Timestamped, bool), LedgerError> {
        let body = self.checkpoint_body(size)?;
        let shown = tsp::verify_token(token, body.as_bytes(), anchors).map_err(|source| {
            LedgerError::Timestamp {
                size: size.0,
                source,
            }
        })?;
        let seq = size.0 - 1;
        let entry_time = self
            .read(Seq(seq))?
            .ok_or(LedgerError::NotFound(Missing::Entry { seq }))?
            .1
            .time;
        // genTime has whole seconds (SPEC §10.5 step 7): a token of
        // 12:00:16 is consistent with an entry of 12:00:16.085.
        if shown.gen_time < entry_time.whole_second() {
            return Err(LedgerError::TimestampBeforeEntry {
                size: size.0,
                gen_time: shown.gen_time,
                seq,
                entry_time,
            });
        }
        let key = timestamp_key(size.0, token);
        if self.store().get(CF_TIMESTAMPS, &key)?.is_some() {
            return Ok((shown, false));
        }
        let held = self.timestamps_at(size)?.len();
        if held >= MAX_TIMESTAMPS {
            return Err(LedgerError::TooManyTimestamps { size: size.0, held });
        }
        let mut b = Batch::new();
        b.put(CF_TIMESTAMPS, key, token.to_vec());
        self.writer()?.commit(b)?;
        Ok((shown, true))
    }

    /// Every stored time-stamp token, by checkpoint size (a ledger older
    /// than the `timestamps` family, opened read-only, has none).
    pub fn stored_timestamps(&self) -> Result<Vec<(TreeSize, Vec<u8>)>, LedgerError> {
        let store = self.store();
        if !store.has_cf(CF_TIMESTAMPS) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for kv in store.iter_from(CF_TIMESTAMPS, &[]) {
            let (k, v) = kv?;
            let size = k
                .get(..8)
                .filter(|_| k.len() == 40)
                .map(|b| u64::from_be_bytes(b.try_into().expect("ledger: 8 bytes")))
                .ok_or(LedgerError::Damaged(Damage::BadKey { cf: CF_TIMESTAMPS }))?;
            out.push((TreeSize(size), v.into_vec()));
        }
        Ok(out)
    }

    /// The tokens stored for the checkpoint at `size` (its rows only: they
    /// share the size as key prefix).
    pub fn timestamps_at(&self, size: TreeSize) -> Result<Vec<Vec<u8>>, LedgerError> {
        let store = self.store();
        if !store.has_cf(CF_TIMESTAMPS) {
            return Ok(Vec::new());
        }
        let prefix = size.0.to_be_bytes();
        let mut out = Vec::new();
        for kv in store.iter_from(CF_TIMESTAMPS, &prefix) {
            let (k, v) = kv?;
            if !k.starts_with(&prefix) {
                break;
            }
            out.push(v.into_vec());
        }
        Ok(out)
    }
}
