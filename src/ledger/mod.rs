//! The ledger: the only writer.
//!
//! Owns: `init` (create a store and write the genesis entry), opening an
//! existing ledger with its cached head, frontier and members, the append
//! path (policy check, build, sign, one synced batch), and the `meta` rows
//! that cache the head and membership. Everything cached here is recomputed
//! and compared by `verify`.

use std::path::Path;

use thiserror::Error;

mod checkpoints;
mod damage;
pub mod open;
mod pipeline;
mod precheck;
mod read;
mod signed;
mod tiles;
mod timestamps;
pub use checkpoints::checkpoint_key;
pub use damage::{Damage, Missing};
pub use pipeline::Pipelined;
pub use precheck::Precheck;
pub use read::decode;
pub use signed::{GroupResult, Submission};

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

/// Why a ledger operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The server a mirror appends through refused or failed.
    #[error("the server refused: {message} ({code}, HTTP {status})")]
    Upstream {
        /// HTTP status (0 when the server was not reached).
        status: u16,
        /// The server's code (SPEC §9 / §17).
        code: String,
        /// Its message.
        message: String,
    },
    /// A record signed for another ledger.
    #[error("the record is for ledger {found}, not this ledger ({expected})")]
    WrongLedger {
        /// This ledger's id.
        expected: LedgerId,
        /// The id in the record.
        found: LedgerId,
    },
    /// A record signed against a head that is not the current one (its
    /// `seq` or `prev` does not follow the last record): re-sign against
    /// the head given.
    #[error("the record was signed for seq {given_seq}, but the ledger's next seq is {size} (head moved or stale)")]
    StaleHead {
        /// The ledger's size: the seq the record must have.
        size: u64,
        /// Leaf hash of the last record: the `prev` it must have.
        last: Hash,
        /// Time of the last record: the earliest `time` it may have.
        time: String,
        /// The seq in the record.
        given_seq: u64,
    },
    /// A submitted record whose signature does not verify (strict, SPEC §4).
    #[error("the signature of the record for seq {seq} does not verify: {reason}")]
    BadSignature {
        /// The record's position.
        seq: u64,
        /// Why it failed.
        reason: crate::format::sig::SigError,
    },
    /// A submitted private value whose digest is not one of the entry's
    /// `sd` digests (or is given twice).
    #[error("a private value for entry {seq} has digest {digest}, which the entry does not carry")]
    UnknownDisclosure {
        /// The entry.
        seq: u64,
        /// The value's digest.
        digest: Hash,
    },
    /// A time-stamp token that does not verify for its checkpoint.
    #[error("the time-stamp token for size {size}: {source}")]
    Timestamp {
        /// The checkpoint's tree size.
        size: u64,
        /// Why.
        source: crate::tlog::tsp::TspError,
    },
    /// A time-stamp that says the checkpoint's state existed before an
    /// entry it holds was recorded (SPEC §10.5, `TIMESTAMP_BEFORE_ENTRY`).
    #[error("the time-stamp for size {size} says {gen_time}, earlier than entry {seq}'s recorded time {entry_time}")]
    TimestampBeforeEntry {
        /// The checkpoint's tree size.
        size: u64,
        /// The TSA's time.
        gen_time: crate::format::ids::Timestamp,
        /// The last entry the checkpoint covers.
        seq: u64,
        /// Its recorded time.
        entry_time: crate::format::ids::Timestamp,
    },
    /// The checkpoint already has the most time-stamp tokens kept for one
    /// (eight, SPEC §10.5).
    #[error("the checkpoint of size {size} already has {held} time-stamps, the most kept for one")]
    TooManyTimestamps {
        /// The checkpoint's tree size.
        size: u64,
        /// Tokens held.
        held: usize,
    },
    /// A record too long for a C2SP entry bundle's uint16 length prefix.
    #[error("entry {seq} is {size} bytes, more than an entry bundle can carry (65535)")]
    TooLargeForBundle {
        /// The record's seq.
        seq: u64,
        /// Its size.
        size: usize,
    },
    /// Storage failed or the ledger is locked / missing.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The author may not append this entry.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The body does not satisfy its schema (too long, empty, ...).
    #[error("invalid entry: {0}")]
    Invalid(#[from] EntryError),
    /// The system clock is earlier than the last entry's time.
    #[error("system clock {now} is earlier than the last entry's time {head}")]
    ClockBehind {
        /// The time now.
        now: String,
        /// The last entry's time.
        head: String,
    },
    /// An evidence item's chain of custody would break.
    #[error(transparent)]
    Custody(#[from] crate::rules::custody::CustodyError),
    /// A reference (correction target, related entry) names no earlier entry.
    #[error("no earlier entry has leaf hash {leaf}")]
    BadReference {
        /// The leaf hash referred to.
        leaf: Hash,
    },
    /// A correction that cannot apply to its target: a field the target's
    /// kind does not have, or a value its schema refuses (it would be
    /// recorded and change nothing).
    #[error("entry {seq} is a {kind}, and setting {} does not give a valid {kind} body", fields.join(", "))]
    BadCorrection {
        /// The target entry.
        seq: u64,
        /// The target's kind.
        kind: crate::format::kind::Kind,
        /// The fields the correction sets.
        fields: Vec<String>,
    },
    /// A void of an entry whose effect a void cannot take back
    /// (membership, evidence, custody, erasure, genesis; SPEC §13.4).
    #[error("entry {seq} is a {kind}, which cannot be voided: its effect on membership, custody or erasure stays; record the entry that undoes it")]
    NotVoidable {
        /// The target entry.
        seq: u64,
        /// Its kind.
        kind: crate::format::kind::Kind,
    },
    /// A correction that would change which item, entry, member or file
    /// its target is about (SPEC §13.4); nothing was written.
    #[error("entry {seq} is a {kind}, and its {field} says what it is about, which a correction cannot change")]
    IdentityCorrection {
        /// The target entry.
        seq: u64,
        /// The target's kind.
        kind: crate::format::kind::Kind,
        /// The identity field the correction sets.
        field: String,
    },
    /// The stored ledger is damaged: what, as typed fields.
    #[error("ledger is damaged: {0}")]
    Damaged(#[from] Damage),
    /// A write on a ledger opened read-only (`Ledger::open(dir, false)`).
    #[error("the ledger was opened read-only")]
    ReadOnly,
    /// The ledger has no entries yet.
    #[error("ledger is empty")]
    Empty,
    /// What was asked for does not exist (an entry, a size, a checkpoint).
    #[error(transparent)]
    NotFound(#[from] Missing),
    /// Signature lines offered for a stored checkpoint that verify under
    /// no key given and no authority's log key; nothing was stored.
    #[error("signature line(s) by {} do not verify under a given witness key or an authority's log key", names.join(", "))]
    UnverifiedSignatures {
        /// The key names on the refused lines.
        names: Vec<String>,
    },
    /// Merging would make the stored checkpoint exceed the signed-note
    /// limits (SPEC §10.2); nothing was stored.
    #[error("the checkpoint at size {size} would hold {lines} signature lines in {bytes} bytes, over the limit of 100 lines and 65536 bytes")]
    TooManySignatures {
        /// Its tree size.
        size: u64,
        /// Signature lines it would hold.
        lines: usize,
        /// Bytes it would take.
        bytes: usize,
    },
    /// A private field would not read back as a disclosure (SPEC §15).
    #[error(transparent)]
    Disclosure(#[from] crate::format::disclosure::DisclosureError),
    /// A record or a private value would exceed the item limit of SPEC §2
    /// and so could never be read back.
    #[error("{what} of entry {seq} would be {size} bytes, over the {limit}-byte limit of every stored item")]
    TooLarge {
        /// `record` or `private field "PATH"`.
        what: String,
        /// The entry it belongs to.
        seq: Seq,
        /// Its encoded size.
        size: usize,
        /// The limit, [`cbor::MAX_ENCODED_LEN`].
        limit: usize,
    },
}

/// The cached head of the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Tree size and root.
    pub tree: TreeHead,
    /// Leaf hash of the last record (`prev` of the next entry).
    pub last: Hash,
    /// Recorded time of the last entry.
    pub time: Timestamp,
}

impl Head {
    /// CBOR for the `meta` row.
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode(
            &MapBuilder::new()
                .uint("size", self.tree.size.0)
                .bytes("root", &self.tree.root.0)
                .bytes("last", &self.last.0)
                .text("time", &self.time.to_string())
                .build(),
        )
    }

    /// Parse the `meta` row.
    pub fn decode(b: &[u8]) -> Option<Head> {
        let mut r = MapReader::new("head", cbor::decode(b).ok()?).ok()?;
        let size = TreeSize(r.uint("size").ok()?);
        let root = Hash(r.fixed::<32>("root").ok()?);
        let last = Hash(r.fixed::<32>("last").ok()?);
        let time = Timestamp::parse(&r.text("time").ok()?)?;
        r.finish().ok()?;
        Some(Head {
            tree: TreeHead { size, root },
            last,
            time,
        })
    }
}

/// CBOR for a member row.
pub fn encode_member(m: &Member) -> Vec<u8> {
    let mut b = m.profile.put(
        MapBuilder::new()
            .text("name", &m.name)
            .text("role", m.role.name())
            .uint("enrolled", m.enrolled.0),
    );
    if let Some(r) = m.revoked {
        b = b.uint("revoked", r.0);
    }
    cbor::encode(&b.build())
}

/// Parse a member row stored under `key`.
pub fn decode_member(key: &[u8], b: &[u8]) -> Option<Member> {
    let key = MemberKey(key.strip_prefix(META_MEMBER_PREFIX)?.try_into().ok()?);
    let mut r = MapReader::new("member", cbor::decode(b).ok()?).ok()?;
    let name = r.text("name").ok()?;
    let role = Role::from_name(&r.text("role").ok()?)?;
    let enrolled = Seq(r.uint("enrolled").ok()?);
    let revoked = match r.opt("revoked") {
        None => None,
        Some(Value::Uint(n)) => Some(Seq(n)),
        Some(_) => return None,
    };
    let profile = crate::format::entry::Profile::read(&mut r).ok()?;
    r.finish().ok()?;
    Some(Member {
        name,
        role,
        key,
        enrolled,
        revoked,
        profile,
    })
}

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
    /// A mirror's server: appends go there first (see [`Upstream`]).
    upstream: Option<Box<dyn Upstream>>,
    /// Appends leave the WAL sync to a [`WalSync`] (a server's group commit).
    deferred_sync: bool,
    /// Committed batches go to a committer thread (see [`Ledger::pipelined`]).
    handoff: Option<pipeline::Handoff>,
}

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
const REMOTE_TRIES: usize = 16;

impl Ledger {
    /// Create a ledger at `dir` whose genesis entry is signed by `authority`.
    pub fn init(dir: &Path, g: Genesis<'_>, authority: &Signer) -> Result<Ledger, LedgerError> {
        let id = g.ledger_id.unwrap_or_else(|| {
            let mut b = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
            LedgerId(b)
        });
        let body = Body::LedgerOpen(LedgerOpen {
            case_id: g.case_id.to_owned(),
            title: g.title.to_owned(),
            hash: g.hash,
            authority_name: authority.name().to_owned(),
            authority_key: authority.public(),
            zone: g.zone.map(str::to_owned),
        });
        let entry = Entry {
            item_prev: None,
            ledger: id,
            seq: Seq(0),
            prev: Hash::ZERO,
            time: g.time,
            author: authority.public(),
            body,
            sd: Vec::new(),
        };
        // Validate everything before the directory is created.
        Members::new().check(&entry)?;
        let record = Record::sign(&entry, authority);
        Entry::decode(&record.entry_bytes)?;
        Ledger::create(dir, g.hash, g.checkpoint_every, &entry, record.encode())
    }

    /// Create the store at `dir` and commit the checked genesis `entry`
    /// (`record` its bytes).
    fn create(
        dir: &Path,
        alg: HashAlg,
        checkpoint_every: Option<u64>,
        entry: &Entry,
        record: Vec<u8>,
    ) -> Result<Ledger, LedgerError> {
        let id = entry.ledger;
        // Built in a hidden staging directory and renamed into place after
        // the genesis commit, so a crash never leaves a half-made ledger
        // under `dir` (see [`Store::publish`]).
        if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
            return Err(crate::storage::store::StoreError::AlreadyExists {
                dir: dir.to_owned(),
            }
            .into());
        }
        let staging = crate::storage::store::staging_dir(dir);
        crate::storage::store::remove_stale_staging(dir);
        let store = WriteStore::create(&staging)?;
        let mut ledger = Ledger {
            store: Access::Write(store),
            alg,
            id,
            head: Head {
                tree: TreeHead {
                    size: TreeSize(0),
                    root: merkle::empty_root(alg),
                },
                last: Hash::ZERO,
                time: entry.time,
            },
            frontier: Frontier::new(),
            members: Members::new(),
            custody: Custody::new(),
            checkpoint_every: checkpoint_every.filter(|&k| k > 0),
            checkpoint_due: None,
            resumed_purge: None,
            upstream: None,
            deferred_sync: false,
            handoff: None,
        };
        let mut batch = Batch::new();
        if let Some(k) = ledger.checkpoint_every {
            batch.put(
                CF_META,
                META_CHECKPOINT_EVERY,
                cbor::encode(&Value::Uint(k)),
            );
        }
        batch.put(CF_META, META_FORMAT, cbor::encode(&Value::Uint(1)));
        batch.put(CF_META, META_LEDGER, id.0.to_vec());
        batch.put(CF_META, META_HASH, alg.name().as_bytes().to_vec());
        let mut st = ledger.staged();
        ledger.stage(&mut st, entry, record, &mut batch);
        if let Err(e) = ledger.commit(st, batch) {
            drop(ledger);
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let Access::Write(store) = ledger.store else {
            unreachable!("ledger: init builds with a writable store")
        };
        store.publish(dir)?;
        Ledger::open(dir, true)
    }

    /// The erasure whose interrupted purge [`Ledger::open`] finished, if any.
    pub fn resumed_purge(&self) -> Option<Seq> {
        self.resumed_purge
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
        if self.upstream.is_none() {
            return self.stage_items(items, time, false).map_err(|(_, e)| e);
        }
        let mut tries = 0;
        loop {
            let time = time.max(Timestamp::now()).max(self.head.time);
            match self.stage_items(items.clone(), time, false) {
                Err((_, LedgerError::StaleHead { .. })) if tries < REMOTE_TRIES => {
                    tries += 1;
                    self.catch_up()?;
                }
                r => return r.map_err(|(_, e)| e),
            }
        }
    }

    /// The frontier of the tree (to compute the root a longer tree would
    /// have without writing: a mirror checking a checkpoint first).
    pub fn frontier(&self) -> Frontier {
        self.frontier.clone()
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

    fn stage_items(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        dry_run: bool,
    ) -> Result<Vec<(Seq, Hash)>, (usize, LedgerError)> {
        self.stage_items_with(items, time, dry_run, Batch::new())
    }

    /// [`Self::stage_items`] with other writes (`batch`) committed
    /// atomically with the entries.
    fn stage_items_with(
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
        let due = self.auto_checkpoint(&st, last_signer, &mut batch);
        if dry_run {
            return Ok(out);
        }
        let last = out.len().saturating_sub(1);
        self.send_upstream(&out, &batch).map_err(|e| (last, e))?;
        self.commit(st, batch).map_err(|e| (last, e))?;
        self.checkpoint_due = due;
        Ok(out)
    }

    /// With `init --checkpoint-every K`, a batch that crosses a multiple of
    /// K signs a checkpoint of the staged head into `batch` when its last
    /// signer is an active authority; otherwise the size is returned as
    /// due (SPEC §10.4).
    fn auto_checkpoint(
        &self,
        st: &Staged,
        signer: Option<&Signer>,
        batch: &mut Batch,
    ) -> Option<crate::tlog::merkle::TreeSize> {
        let (k, signer) = (self.checkpoint_every?, signer?);
        if self.head.tree.size.0 / k == st.head.tree.size.0 / k {
            return None;
        }
        let active_authority = st
            .members
            .get(&signer.public())
            .is_some_and(|m| m.role == Role::Authority && m.revoked.is_none());
        if !active_authority {
            return Some(st.head.tree.size);
        }
        let cp = crate::tlog::checkpoint::Checkpoint {
            items: crate::tlog::itemmap::head(self.alg, st.custody.heads()),
            origin: self.origin(),
            head: st.frontier.head(self.alg),
        };
        batch.put(
            crate::storage::layout::CF_CHECKPOINTS,
            checkpoint_key(cp.head.size),
            cp.sign(signer).to_text().into_bytes(),
        );
        None
    }

    /// [`Self::sign_items`], with the strict decoding of what it makes.
    /// Whatever is written must read back under the strict decoder. For a
    /// batch that check runs on a second thread while this one signs
    /// (signing is sequential: each entry's `prev` covers the previous
    /// record), and both finish before anything is committed.
    fn sign_checked(
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
    fn sign_items(
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
    fn stage_private(
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

    /// On a mirror: the staged records (with their private values) and
    /// any checkpoint signed with them go to the server before this copy
    /// commits them.
    fn send_upstream(&mut self, out: &[(Seq, Hash)], batch: &Batch) -> Result<(), LedgerError> {
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

    fn staged(&self) -> Staged {
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
    fn check_references(
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
    fn target_record(
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
    fn check_correction(
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
    fn stage(&self, st: &mut Staged, entry: &Entry, bytes: Vec<u8>, batch: &mut Batch) -> Hash {
        let leaf = self.alg.leaf(&bytes);
        let created = st.frontier.append(self.alg, leaf);
        for m in st.members.apply(entry) {
            batch.put(CF_META, member_key(&m.key), encode_member(&m));
        }
        for i in st.custody.apply(entry, &leaf) {
            batch.put(CF_META, item_meta_key(&i.item), i.encode());
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
    fn commit(&mut self, mut st: Staged, mut batch: Batch) -> Result<(), LedgerError> {
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

    /// The stored disclosures of entry `seq` (those not erased), by digest.
    pub fn disclosures_of(&self, seq: Seq) -> Result<Vec<(Hash, Disclosure)>, LedgerError> {
        let mut out = Vec::new();
        for kv in self.store().iter_from(CF_DISCLOSURES, &seq.key()) {
            let (k, v) = kv?;
            let Some((s, d)) = crate::storage::layout::parse_disclosure_key(&k) else {
                break;
            };
            if s != seq {
                break;
            }
            let disc = Disclosure::decode(&v).map_err(|e| {
                LedgerError::Damaged(Damage::DisclosureUnreadable {
                    seq: seq.0,
                    reason: e.to_string(),
                })
            })?;
            out.push((d, disc));
        }
        Ok(out)
    }

    /// Erase the private field `path` of entry `target`: delete its
    /// disclosure and append a `disclosure.erased` entry (authority only) in
    /// one synced batch, then purge the value from every file.
    ///
    /// Commit order, and what a crash at each point leaves:
    /// 1. one synced batch: the disclosure's delete, the erasure entry, the
    ///    `purge/pending` row. Before it: nothing happened. After it: the
    ///    erasure is recorded, the value may still sit in the WAL or SSTs.
    /// 2. [`Ledger::purge`]: flush every column family (the WAL holding the
    ///    value becomes obsolete), compact the disclosures to the bottommost
    ///    level (checked: no deletion marker may remain), delete obsolete
    ///    files, then delete the `purge/pending` row. A crash anywhere here
    ///    leaves the row, and the next writable open (or `caselog erase
    ///    --resume`) runs the purge again; every step is idempotent.
    pub fn erase(
        &mut self,
        target: Seq,
        path: &str,
        reason: &str,
        authority: Option<&str>,
        signer: &Signer,
    ) -> Result<(Seq, Hash), LedgerError> {
        let found: Vec<(Hash, Disclosure)> = self
            .disclosures_of(target)?
            .into_iter()
            .filter(|(_, d)| d.path == path)
            .collect();
        let Some((digest, _)) = found.first().cloned() else {
            return Err(Missing::PrivateField {
                seq: target.0,
                path: path.to_owned(),
            }
            .into());
        };
        let raw = self
            .record_bytes(target)?
            .ok_or(Missing::Entry { seq: target.0 })?;
        let body = Body::Domain(Domain::DisclosureErased(
            crate::format::kinds::DisclosureErased {
                target: self.alg.leaf(&raw),
                digest,
                path: path.to_owned(),
                reason: reason.to_owned(),
                authority: authority.map(str::to_owned),
            },
        ));
        let mut deletes = Batch::new();
        for (d, _) in &found {
            deletes.delete(
                CF_DISCLOSURES,
                crate::storage::layout::disclosure_key(target, d).to_vec(),
            );
        }
        let erasure_seq = self.head.tree.size.0;
        deletes.put(CF_META, META_PURGE, cbor::encode(&Value::Uint(erasure_seq)));
        let out = self
            .stage_items_with(
                vec![(body, signer, Vec::new())],
                Timestamp::now(),
                false,
                deletes,
            )
            .map_err(|(_, e)| e)?;
        // Crash here: the erasure is committed with its pending-purge row;
        // the next writable open finishes the purge.
        crate::storage::failpoint::hit("erase.after_commit");
        self.purge()?;
        Ok(out[0])
    }

    /// Purge erased values from every file of the ledger directory, then
    /// clear the `purge/pending` row (see [`Ledger::erase`]).
    pub fn purge(&mut self) -> Result<(), LedgerError> {
        self.writer()?.flush()?;
        crate::storage::failpoint::hit("erase.after_flush");
        self.writer()?.compact(CF_DISCLOSURES)?;
        self.writer()?.purge_obsolete()?;
        let mut b = Batch::new();
        b.delete(CF_META, META_PURGE.to_vec());
        self.writer()?.commit(b)?;
        Ok(())
    }

    /// Flush memtables after a bulk load (see [`Store::flush`]).
    pub fn flush(&self) -> Result<(), LedgerError> {
        Ok(self.writer()?.flush()?)
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

/// Sign `entry` (with `unsigned`, a check that writes nothing: an all-zero
/// signature of the same size) and encode its record, which must fit the
/// size limit: the record is what is stored and read back, and it adds
/// the signature and two heads to the entry (SPEC §4).
fn make_record(
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
        Record::sign(entry, signer)
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
