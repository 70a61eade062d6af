//! One sequencer per case: the only writer of its ledger while it is
//! served.
//!
//! Group commit, pipelined: the sequencer takes every request waiting (up
//! to [`MAX_GROUP`]), checks each against the head as changed by those
//! before it ([`Ledger::append_group`]) and writes the accepted ones in one
//! `WriteBatch` *without* syncing; a syncer thread then makes everything
//! written so far durable with one fsync of the WAL ([`WalSync`]) while
//! the sequencer goes on with the next group. A request is answered only
//! after a sync that began after its batch was written.
//!
//! Commit order (what a crash leaves): a batch written but not yet synced
//! survives the process being killed (it is in the OS's page cache) but
//! not a power cut; it was acknowledged to no one. Readers (tiles, entry
//! bundles, the head, checkpoints) see only the durable head, so nothing a
//! power cut could take back is ever served.
//!
//! Turns: entries chain (`prev`), so two clients signing against the same
//! head cannot both succeed. A client that lost asks for a turn
//! (`api/turn`); turns are granted one at a time, in order of asking, with
//! the current head (the staged one, or for a client that keeps a copy the
//! durable one); the holder's next append ends its turn, or [`TURN_TIMEOUT`]
//! does. Turns spare the losers' re-signing and re-checking; correctness
//! never depends on them (every record is still checked against the head).

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::ledger::{Ledger, Submission};
use crate::net::api::{ApiError, Appended, AppendedEntry, HeadInfo};
use crate::storage::store::WalSync;

/// Requests committed together at most.
pub(crate) const MAX_GROUP: usize = 256;
/// How long a granted turn waits for the holder's append: short, for an
/// unused turn holds everyone else's back.
pub(crate) const TURN_TIMEOUT: Duration = Duration::from_millis(500);
/// Turns one member may be waiting for at once; more are refused `BUSY`.
pub(crate) const TURNS_PER_MEMBER: usize = 2;
/// Turns waited for at once, all members together.
pub(crate) const MAX_WAITERS: usize = 1024;

type Reply = oneshot::Sender<Result<Appended, ApiError>>;

/// A granted turn: the head to sign against and the token to send back.
pub(crate) struct Grant {
    pub(crate) head: HeadInfo,
    pub(crate) token: u64,
}

/// What the sequencer is asked.
pub(crate) enum Msg {
    /// Append these records (all or none); `turn`: the token held, if any.
    Append {
        subs: Vec<Submission>,
        turn: Option<u64>,
        reply: Reply,
    },
    /// Wait for a turn; `durable`: grant it only when the head is durable.
    Turn {
        durable: bool,
        /// Who asks (turns are bounded per member).
        member: crate::format::ids::MemberKey,
        reply: oneshot::Sender<Result<Grant, ApiError>>,
    },
    /// From the syncer: everything up to generation `gen` is durable (or
    /// the sync failed).
    Synced(u64, Result<(), String>),
}

/// The durable head, shared with the readers.
pub(crate) type Durable = Arc<Mutex<HeadInfo>>;

/// Start the sequencer (and its syncer) of `ledger`.
pub(crate) fn start(
    name: &str,
    ledger: Arc<RwLock<Ledger>>,
    durable: Durable,
) -> Result<SyncSender<Msg>, crate::ledger::LedgerError> {
    let wal = {
        let mut l = ledger.write().expect("serve: ledger lock poisoned");
        l.set_deferred_sync(true);
        l.wal_sync()?
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(4 * MAX_GROUP);
    let (sync_tx, sync_rx) = std::sync::mpsc::channel::<u64>();
    let back = tx.clone();
    std::thread::Builder::new()
        .name(format!("sync-{name}"))
        .spawn(move || syncer(&wal, &sync_rx, &back))
        .expect("serve: cannot start a syncer thread");
    std::thread::Builder::new()
        .name(format!("seq-{name}"))
        .spawn(move || Sequencer::new(ledger, durable, sync_tx).run(&rx))
        .expect("serve: cannot start a sequencer thread");
    Ok(tx)
}

/// Sync the WAL for the newest generation asked, report it, repeat.
fn syncer(wal: &WalSync, rx: &Receiver<u64>, back: &SyncSender<Msg>) {
    while let Ok(mut gen) = rx.recv() {
        while let Ok(g) = rx.try_recv() {
            gen = gen.max(g);
        }
        let r = wal.sync().map_err(|e| e.to_string());
        if back.send(Msg::Synced(gen, r)).is_err() {
            return;
        }
    }
}

struct Waiter {
    durable: bool,
    member: crate::format::ids::MemberKey,
    reply: oneshot::Sender<Result<Grant, ApiError>>,
}

struct Sequencer {
    ledger: Arc<RwLock<Ledger>>,
    durable: Durable,
    sync_tx: Sender<u64>,
    /// Generations written (each an unsynced batch).
    gen: u64,
    /// Answers waiting for their generation to be synced.
    pending: VecDeque<(u64, Reply, Appended)>,
    /// The head after each generation not yet synced.
    heads: VecDeque<(u64, HeadInfo)>,
    waiters: VecDeque<Waiter>,
    holder: Option<(u64, Instant)>,
    tokens: u64,
    /// A failed sync: the ledger's state on disk is unknown; refuse writes.
    poisoned: Option<String>,
}

impl Sequencer {
    fn new(ledger: Arc<RwLock<Ledger>>, durable: Durable, sync_tx: Sender<u64>) -> Sequencer {
        Sequencer {
            ledger,
            durable,
            sync_tx,
            gen: 0,
            pending: VecDeque::new(),
            heads: VecDeque::new(),
            waiters: VecDeque::new(),
            holder: None,
            tokens: 0,
            poisoned: None,
        }
    }

    fn run(mut self, rx: &Receiver<Msg>) {
        loop {
            let first = match self.holder {
                Some((_, deadline)) => {
                    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                None => match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return,
                },
            };
            if self.holder.is_some_and(|(_, d)| Instant::now() >= d) {
                self.holder = None;
            }
            let mut appends = Vec::new();
            let mut next = first;
            while let Some(m) = next {
                match m {
                    Msg::Append { subs, turn, reply } => appends.push((subs, turn, reply)),
                    Msg::Turn {
                        durable,
                        member,
                        reply,
                    } => self.wait(Waiter {
                        durable,
                        member,
                        reply,
                    }),
                    Msg::Synced(g, r) => self.synced(g, r),
                }
                next = if appends.len() < MAX_GROUP {
                    rx.try_recv().ok()
                } else {
                    None
                };
            }
            if !appends.is_empty() {
                self.append(appends);
            }
            self.grant();
        }
    }

    fn head(l: &Ledger) -> HeadInfo {
        HeadInfo::of(l.id(), l.hash_alg(), l.head())
    }

    /// Write one group unsynced; answer refusals now, the rest after the sync.
    fn append(&mut self, mut jobs: Vec<(Vec<Submission>, Option<u64>, Reply)>) {
        if let Some(why) = &self.poisoned {
            let err = ApiError::new(
                503,
                "STORAGE",
                3,
                format!("a WAL sync failed; restart the server ({why})"),
            );
            for (_, _, reply) in jobs {
                let _ = reply.send(Err(err.clone()));
            }
            return;
        }
        if jobs
            .iter()
            .any(|(_, t, _)| t.is_some() && *t == self.holder.map(|h| h.0))
        {
            self.holder = None;
        }
        // Moved out, not copied: a record is up to 64 KiB.
        let requests: Vec<Vec<Submission>> =
            jobs.iter_mut().map(|(s, _, _)| std::mem::take(s)).collect();
        let mut l = self.ledger.write().expect("serve: ledger lock poisoned");
        let results = match l.append_group(&requests) {
            Ok(r) => r,
            Err(e) => {
                let err =
                    ApiError::new(503, "STORAGE", 3, format!("the batch was not written: {e}"));
                for (_, _, reply) in jobs {
                    let _ = reply.send(Err(err.clone()));
                }
                return;
            }
        };
        let due = l.checkpoint_due().map(|s| s.0);
        let mut wrote = false;
        for ((_, _, reply), r) in jobs.into_iter().zip(results) {
            match r {
                Ok(out) => {
                    wrote = true;
                    let answer = Appended {
                        entries: out
                            .into_iter()
                            .map(|(seq, leaf)| AppendedEntry {
                                seq: seq.0,
                                leaf: leaf.to_hex(),
                            })
                            .collect(),
                        checkpoint_due: due,
                    };
                    self.pending.push_back((self.gen + 1, reply, answer));
                }
                // A client that went away is not an error.
                Err(e) => drop(reply.send(Err(crate::net::api::refusal(&l, &e)))),
            }
        }
        if wrote {
            self.gen += 1;
            self.heads.push_back((self.gen, Self::head(&l)));
            // The syncer outlives the sequencer's sender only at shutdown.
            let _ = self.sync_tx.send(self.gen);
        }
    }

    /// Answer every request of generations up to `gen`; publish the head.
    fn synced(&mut self, gen: u64, r: Result<(), String>) {
        if let Err(why) = r {
            let err = ApiError::new(503, "STORAGE", 3, format!("the WAL sync failed: {why}"));
            for (_, reply, _) in self.pending.drain(..) {
                let _ = reply.send(Err(err.clone()));
            }
            self.poisoned = Some(why);
            return;
        }
        // The durable head first: a client that got its answer must find
        // its record in `api/head` and the tiles.
        let mut newest = None;
        while self.heads.front().is_some_and(|(g, _)| *g <= gen) {
            newest = self.heads.pop_front().map(|(_, h)| h);
        }
        if let Some(h) = newest {
            *self
                .durable
                .lock()
                .expect("serve: durable head lock poisoned") = h;
        }
        while self.pending.front().is_some_and(|(g, _, _)| *g <= gen) {
            let (_, reply, answer) = self.pending.pop_front().expect("checked");
            let _ = reply.send(Ok(answer));
        }
    }

    /// Queue a turn, unless its member already waits for
    /// [`TURNS_PER_MEMBER`] or [`MAX_WAITERS`] wait.
    fn wait(&mut self, w: Waiter) {
        let mine = self.waiters.iter().filter(|o| o.member == w.member).count();
        if mine >= TURNS_PER_MEMBER || self.waiters.len() >= MAX_WAITERS {
            let _ = w.reply.send(Err(ApiError::new(
                503,
                "BUSY",
                3,
                format!(
                    "{} turns are waited for already ({mine} by this key); retry shortly",
                    self.waiters.len()
                ),
            )));
            return;
        }
        self.waiters.push_back(w);
    }

    /// Grant the next turn when none is held.
    fn grant(&mut self) {
        while self.holder.is_none() {
            let Some(w) = self.waiters.front() else {
                return;
            };
            if w.durable && !self.pending.is_empty() {
                return; // after the sync under way
            }
            let w = self.waiters.pop_front().expect("checked");
            let head = if w.durable {
                self.durable
                    .lock()
                    .expect("serve: durable head lock poisoned")
                    .clone()
            } else {
                Self::head(&self.ledger.read().expect("serve: ledger lock poisoned"))
            };
            self.tokens += 1;
            if w.reply
                .send(Ok(Grant {
                    head,
                    token: self.tokens,
                }))
                .is_ok()
            {
                self.holder = Some((self.tokens, Instant::now() + TURN_TIMEOUT));
            }
        }
    }
}
