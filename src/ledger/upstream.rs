//! A mirror's server ([`Upstream`]): appends on a copy that follows a
//! served case go to the server first and are committed here only after
//! it committed them; a copy whose head is stale catches up and signs again.

use super::*;

impl std::fmt::Debug for dyn Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Upstream")
    }
}

/// The server that sequences a ledger this copy mirrors (`caselog
/// --remote`). Records are signed here, against this copy's head, sent
/// upstream, and committed here only once the server has committed them,
/// so the copy stays a prefix of the served ledger.
pub trait Upstream: Send + Sync {
    /// Submit records (one request, all or nothing). `StaleHead` when the
    /// server's head moved past this copy's.
    fn submit(&mut self, subs: &[Submission]) -> Result<(), LedgerError>;
    /// The records the server holds from seq `size` on (to catch up).
    fn since(&mut self, size: u64) -> Result<Vec<Vec<u8>>, LedgerError>;
    /// Store a checkpoint signed here.
    fn checkpoint(&mut self, note: &str) -> Result<(), LedgerError>;
}

/// How many times a remote append re-signs after the head moved (each
/// time after waiting for a turn, SPEC §17.2).
pub(super) const REMOTE_TRIES: usize = 16;

impl Ledger {
    /// Serve appends through `up` (see [`Upstream`]).
    pub fn set_upstream(&mut self, up: Box<dyn Upstream>) {
        self.upstream = Some(up);
    }

    /// Append, as they are, the records the upstream server holds beyond
    /// this copy's head. Returns how many.
    pub fn catch_up(&mut self) -> Result<usize, LedgerError> {
        let Some(mut up) = self.upstream.take() else {
            return Ok(0);
        };
        let got = up.since(self.head.tree.size.0);
        self.upstream = Some(up);
        let subs: Vec<Submission> = got?
            .into_iter()
            .map(|record| Submission {
                record,
                private: Vec::new(),
            })
            .collect();
        self.append_signed(&subs).map_err(|(_, e)| e)?;
        Ok(subs.len())
    }

    /// On a mirror: the staged records (with their private values) and
    /// any checkpoint signed with them go to the server before this copy
    /// commits them.
    pub(super) fn send_upstream(
        &mut self,
        out: &[(Seq, Hash)],
        batch: &Batch,
    ) -> Result<(), LedgerError> {
        let Some(up) = self.upstream.as_mut() else {
            return Ok(());
        };
        let subs: Vec<Submission> = out
            .iter()
            .map(|(seq, _)| Submission {
                record: batch
                    .get(CF_ENTRIES, &seq.key())
                    .expect("ledger: staged records are in the batch")
                    .to_vec(),
                private: batch
                    .values_with_prefix(CF_DISCLOSURES, &seq.key())
                    .into_iter()
                    .map(<[u8]>::to_vec)
                    .collect(),
            })
            .collect();
        up.submit(&subs)?;
        for note in batch.values_with_prefix(crate::storage::layout::CF_CHECKPOINTS, &[]) {
            up.checkpoint(&String::from_utf8_lossy(note))?;
        }
        Ok(())
    }
}
