//! One sequencer per case: the only writer of its ledger while it is
//! served. Requests queue on a channel; the sequencer takes every request
//! that is waiting (up to [`MAX_GROUP`]), checks each against the head as
//! changed by those before it ([`Ledger::append_group`]), commits the
//! accepted ones in one synced `WriteBatch`, and only then answers each.
//!
//! Commit order (what a crash leaves): a request is answered after its
//! batch is synced, so every acknowledged record is on disk; a crash before
//! the sync loses only unanswered requests, whose clients retry.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, RwLock};

use tokio::sync::oneshot;

use crate::ledger::{Ledger, LedgerError, Submission};
use crate::net::api::{ApiError, Appended, AppendedEntry};

/// Requests committed together at most.
pub(crate) const MAX_GROUP: usize = 256;

/// One request waiting for the sequencer.
pub(crate) struct Job {
    pub(crate) subs: Vec<Submission>,
    pub(crate) reply: oneshot::Sender<Result<Appended, ApiError>>,
}

/// Start the sequencer thread of `ledger`; it ends when every sender is gone.
pub(crate) fn start(name: &str, ledger: Arc<RwLock<Ledger>>) -> SyncSender<Job> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(4 * MAX_GROUP);
    std::thread::Builder::new()
        .name(format!("seq-{name}"))
        .spawn(move || run(&ledger, &rx))
        .expect("serve: cannot start a sequencer thread");
    tx
}

fn run(ledger: &RwLock<Ledger>, rx: &Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let requests: Vec<Vec<Submission>> = jobs
            .iter_mut()
            .map(|j| std::mem::take(&mut j.subs))
            .collect();
        let mut l = ledger.write().expect("serve: ledger lock poisoned");
        match l.append_group(&requests) {
            Ok(results) => {
                let due = l.checkpoint_due().map(|s| s.0);
                for (job, r) in jobs.into_iter().zip(results) {
                    let answer = r
                        .map(|out| Appended {
                            entries: out
                                .into_iter()
                                .map(|(seq, leaf)| AppendedEntry {
                                    seq: seq.0,
                                    leaf: leaf.to_hex(),
                                })
                                .collect(),
                            checkpoint_due: due,
                        })
                        .map_err(|e| super::routes::refusal(&l, &e));
                    // A client that went away is not an error.
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) => {
                let err = commit_failed(&e);
                for job in jobs {
                    let _ = job.reply.send(Err(err.clone()));
                }
            }
        }
    }
}

fn commit_failed(e: &LedgerError) -> ApiError {
    ApiError::new(
        503,
        "STORAGE",
        3,
        format!("the batch was not committed: {e}"),
    )
}
