//! Pipelined appends: a committer thread writes and syncs the batch of one
//! append while the caller signs the next (a bulk import). Owns the
//! handoff between the two threads and what the ledger knows after it.
//!
//! Each append stays one atomic, synced `WriteBatch`, written in the order
//! the appends were made, so a crash leaves whole batches, as without the
//! pipeline: a prefix of the appends, none after a missing one.

use std::sync::mpsc::{sync_channel, SyncSender};

use crate::format::ids::Seq;
use crate::storage::store::Batch;

use super::{Ledger, LedgerError};

/// Signed batches that may wait for the committer: how far the signer
/// runs ahead of the disk (and the memory that costs, ~1 MB a batch of
/// 1,000 notes).
const QUEUE: usize = 2;

/// The signing side of a pipeline, held by the ledger while it runs.
#[derive(Debug)]
pub(super) struct Handoff {
    /// Where [`Ledger::commit`] sends each batch.
    pub(super) tx: SyncSender<Batch>,
    /// The ledger's size when the pipeline began: entries from here on may
    /// not be written yet, so appends may not refer to them.
    pub(super) from: Seq,
}

/// What [`Ledger::pipelined`] returns.
#[derive(Debug)]
pub struct Pipelined<R> {
    /// The work's own result.
    pub result: R,
    /// How many of the work's appends are durable: the first `durable`
    /// of them, in order.
    pub durable: usize,
    /// Why the committer stopped before writing them all, if it did;
    /// every append the work made after that failed too.
    pub commit_error: Option<LedgerError>,
}

impl Ledger {
    /// Run `work` with this ledger's appends pipelined: each append
    /// checks, signs and stages its batch as usual, then hands it to a
    /// committer thread that writes and syncs it while `work` goes on to
    /// sign the next. Returns once every batch handed over is durable or
    /// the committer failed; in that case the ledger re-reads its state
    /// from the store, so it stands at the last durable batch.
    ///
    /// An append returns before its batch is durable: count on
    /// [`Pipelined::durable`], not on each append's result. Appends made
    /// in `work` may refer only to entries that were in the ledger before
    /// it began (later ones may not be written yet; a reference to one is
    /// refused as [`LedgerError::BadReference`] whether or not it was).
    pub fn pipelined<R>(
        &mut self,
        work: impl FnOnce(&mut Ledger) -> R,
    ) -> Result<Pipelined<R>, LedgerError> {
        let writer = self.writer()?.batch_writer();
        let (tx, rx) = sync_channel::<Batch>(QUEUE);
        self.handoff = Some(Handoff {
            tx,
            from: Seq(self.head.tree.size.0),
        });
        let (result, (durable, commit_error)) = std::thread::scope(|scope| {
            let committer = scope.spawn(move || {
                let mut n = 0usize;
                for batch in rx {
                    if let Err(e) = writer.write(batch, true) {
                        return (n, Some(LedgerError::from(e)));
                    }
                    n += 1;
                }
                (n, None)
            });
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *self)));
            // Closes the handoff: the committer writes what it holds, then
            // ends (also when `work` panicked, or the scope would wait for
            // it forever).
            self.handoff = None;
            let done = committer.join().expect("ledger: committer panicked");
            match result {
                Ok(r) => (r, done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        if commit_error.is_some() {
            self.reload()?;
        }
        Ok(Pipelined {
            result,
            durable,
            commit_error,
        })
    }

    /// Whether an append may refer to the entry at `seq`: not while a
    /// pipeline runs, if the entry was appended since it began.
    pub(super) fn referable(&self, seq: Seq) -> bool {
        self.handoff.as_ref().is_none_or(|h| seq < h.from)
    }
}
