//! Full verification: recompute everything from the records and compare.
//!
//! Owns: the stable problem [`Code`]s (SPEC §9), the [`Report`], the pure
//! [`ChainVerifier`] that checks a stream of records (encoding, ledger id,
//! sequence, `prev` links, signatures, membership and roles, time order,
//! Merkle frontier), and [`verify_store`], which runs it over the `entries`
//! column family and then compares every cache (`tree`, `index`, `meta`)
//! with what it recomputed. Memory stays bounded by the number of members
//! and a fixed batch size, not by the ledger's length.

use std::fmt;

use serde_json::json;

use std::collections::BTreeMap;

use crate::checkpoint::{self, Checkpoint};
use crate::custody::{Custody, CustodyError, Finding, ItemState};
use crate::entry::{Body, Entry, EntryError, LedgerId, Record, Role, Seq, Timestamp};
use crate::hash::{Hash, HashAlg};
use crate::ledger::{self, Head, META_HASH, META_HEAD, META_LEDGER, META_MEMBER_PREFIX};
use crate::merkle::{self, Frontier, NodeId};
use crate::note::{self, Note, VerifierKey};
use crate::policy::{Members, PolicyError};
use crate::store::{
    Store, StoreError, CF_CHECKPOINTS, CF_DISCLOSURES, CF_ENTRIES, CF_INDEX, CF_META, CF_TREE,
};

/// Most problems kept in a report; the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;
/// Records decoded and signature-checked in parallel at a time.
const PAR_CHUNK: usize = 1024;
/// Records checked between two batched reads of the caches.
const CHUNK: usize = 4096;

/// Stable problem codes. The string form is part of the CLI and JSON contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// Bytes are not CBOR of the expected shape.
    Decode,
    /// CBOR that is valid but not deterministically encoded.
    NonCanonical,
    /// The entry map breaks its schema (missing/unknown keys, types, time format).
    BadEntry,
    /// The body breaks the schema of its kind.
    BadBody,
    /// The kind is not in the registry.
    UnknownKind,
    /// The format version is not 1.
    BadVersion,
    /// The entry carries another ledger's id.
    WrongLedger,
    /// Entries missing: stored positions skip one or more seqs.
    SeqGap,
    /// The entry's `seq` differs from its stored position (reordered).
    SeqOrder,
    /// `prev` is not the leaf hash of the previous record.
    BadPrev,
    /// The signature does not verify (strict Ed25519).
    BadSignature,
    /// The author was never enrolled.
    UnknownAuthor,
    /// The author was revoked before this entry.
    RevokedAuthor,
    /// The author's role may not append this kind.
    RoleNotAllowed,
    /// A membership change that is not allowed (weak key, double enrol, ...).
    BadMembership,
    /// The genesis rules are broken.
    BadGenesis,
    /// Recorded time earlier than the previous entry's.
    TimeBackwards,
    /// The cached head differs from the recomputed one.
    HeadMismatch,
    /// A stored Merkle node is missing, altered or extra.
    TreeMismatch,
    /// A leaf index row is missing, wrong or extra.
    IndexMismatch,
    /// Ledger id, hash name or member cache differs from the entries.
    MetaMismatch,
    /// The ledger holds no entries.
    Empty,
    /// A checkpoint is malformed, for another ledger or hash, or not signed
    /// by an authority of this ledger (or a trusted key).
    BadCheckpoint,
    /// A checkpoint's root differs from the root of the ledger's first N entries.
    CheckpointMismatch,
    /// A checkpoint covers more entries than the ledger holds.
    Truncated,
    /// Custody move or evidence entry for an item never taken in.
    CustodyUnknownItem,
    /// A second intake of the same item id.
    CustodyDuplicateItem,
    /// Release, disposal or return by someone who does not hold the item.
    CustodyNotHolder,
    /// A release naming a receiver who is not an active member.
    CustodyBadReceiver,
    /// A receipt by someone other than the named receiver.
    CustodyWrongReceiver,
    /// A receipt answering no pending release of the item.
    CustodyWrongRelease,
    /// A release (or disposal) while an earlier release awaits its receipt.
    CustodyDoubleRelease,
    /// An item acted on after its disposal or return.
    CustodyAfterDisposal,
    /// An item received with its seal broken.
    CustodySealBroken,
    /// An external receipt with a bad signature or by a non-external key.
    CustodyBadReceipt,
    /// A re-hash of an evidence file differs from its intake digests (or
    /// the entry misstates the comparison, or names an unknown file).
    EvidenceMismatch,
    /// A correction target or related entry that is not an earlier entry.
    BadReference,
    /// A disclosure whose value or salt was altered, that belongs to no
    /// digest of its entry (moved), or that was erased but is still stored.
    BadDisclosure,
}

impl Code {
    /// Every code, in SPEC §9 order.
    pub const ALL: [Code; 38] = [
        Code::Decode,
        Code::NonCanonical,
        Code::BadEntry,
        Code::BadBody,
        Code::UnknownKind,
        Code::BadVersion,
        Code::WrongLedger,
        Code::SeqGap,
        Code::SeqOrder,
        Code::BadPrev,
        Code::BadSignature,
        Code::UnknownAuthor,
        Code::RevokedAuthor,
        Code::RoleNotAllowed,
        Code::BadMembership,
        Code::BadGenesis,
        Code::TimeBackwards,
        Code::HeadMismatch,
        Code::TreeMismatch,
        Code::IndexMismatch,
        Code::MetaMismatch,
        Code::Empty,
        Code::BadCheckpoint,
        Code::CheckpointMismatch,
        Code::Truncated,
        Code::CustodyUnknownItem,
        Code::CustodyDuplicateItem,
        Code::CustodyNotHolder,
        Code::CustodyBadReceiver,
        Code::CustodyWrongReceiver,
        Code::CustodyWrongRelease,
        Code::CustodyDoubleRelease,
        Code::CustodyAfterDisposal,
        Code::CustodySealBroken,
        Code::CustodyBadReceipt,
        Code::EvidenceMismatch,
        Code::BadReference,
        Code::BadDisclosure,
    ];

    /// The stable upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Decode => "DECODE",
            Code::NonCanonical => "NON_CANONICAL",
            Code::BadEntry => "BAD_ENTRY",
            Code::BadBody => "BAD_BODY",
            Code::UnknownKind => "UNKNOWN_KIND",
            Code::BadVersion => "BAD_VERSION",
            Code::WrongLedger => "WRONG_LEDGER",
            Code::SeqGap => "SEQ_GAP",
            Code::SeqOrder => "SEQ_ORDER",
            Code::BadPrev => "BAD_PREV",
            Code::BadSignature => "BAD_SIGNATURE",
            Code::UnknownAuthor => "UNKNOWN_AUTHOR",
            Code::RevokedAuthor => "REVOKED_AUTHOR",
            Code::RoleNotAllowed => "ROLE_NOT_ALLOWED",
            Code::BadMembership => "BAD_MEMBERSHIP",
            Code::BadGenesis => "BAD_GENESIS",
            Code::TimeBackwards => "TIME_BACKWARDS",
            Code::HeadMismatch => "HEAD_MISMATCH",
            Code::TreeMismatch => "TREE_MISMATCH",
            Code::IndexMismatch => "INDEX_MISMATCH",
            Code::MetaMismatch => "META_MISMATCH",
            Code::Empty => "EMPTY",
            Code::BadCheckpoint => "BAD_CHECKPOINT",
            Code::CheckpointMismatch => "CHECKPOINT_MISMATCH",
            Code::Truncated => "TRUNCATED",
            Code::CustodyUnknownItem => "CUSTODY_UNKNOWN_ITEM",
            Code::CustodyDuplicateItem => "CUSTODY_DUPLICATE_ITEM",
            Code::CustodyNotHolder => "CUSTODY_NOT_HOLDER",
            Code::CustodyBadReceiver => "CUSTODY_BAD_RECEIVER",
            Code::CustodyWrongReceiver => "CUSTODY_WRONG_RECEIVER",
            Code::CustodyWrongRelease => "CUSTODY_WRONG_RELEASE",
            Code::CustodyDoubleRelease => "CUSTODY_DOUBLE_RELEASE",
            Code::CustodyAfterDisposal => "CUSTODY_AFTER_DISPOSAL",
            Code::CustodySealBroken => "CUSTODY_SEAL_BROKEN",
            Code::CustodyBadReceipt => "CUSTODY_BAD_RECEIPT",
            Code::EvidenceMismatch => "EVIDENCE_MISMATCH",
            Code::BadReference => "BAD_REFERENCE",
            Code::BadDisclosure => "BAD_DISCLOSURE",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable code.
    pub code: Code,
    /// The entry concerned, when the problem is about one entry.
    pub seq: Option<u64>,
    /// Where: `entry`, `tree`, `index`, `meta` or `checkpoint`.
    pub area: &'static str,
    /// A plain sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(s) => write!(f, "{} seq {}: {}", self.code, s, self.message),
            None => write!(f, "{} {}: {}", self.code, self.area, self.message),
        }
    }
}

/// The result of a verification run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Ledger id from the genesis entry (or `meta` if genesis is unreadable).
    pub ledger: Option<LedgerId>,
    /// Hash used.
    pub hash: Option<HashAlg>,
    /// Case id from the genesis entry.
    pub case_id: Option<String>,
    /// Records examined.
    pub entries: u64,
    /// Recomputed tree root over the records examined.
    pub root: Option<Hash>,
    /// Problems, in the order found, at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_omitted: u64,
    /// Checkpoints (stored and given) compared with the recomputed tree.
    pub checkpoints: u64,
    /// Stored evidence copies re-hashed (`verify --evidence`).
    pub evidence_checked: u64,
    /// Intake files `verify --evidence` could not re-hash: no stored copy.
    pub evidence_missing: u64,
    /// Private fields committed to by the entries (`sd` digests).
    pub private_fields: u64,
    /// Of those, how many disclosures are present and match; the rest are
    /// redacted (or erased), which is not a failure.
    pub disclosures_present: u64,
    /// Erasures recorded (`disclosure.erased` entries).
    pub erasures: u64,
}

impl Report {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.problems_omitted == 0
    }

    /// Whether a problem with `code` (at `seq`, if given) was reported.
    pub fn has(&self, code: Code, seq: Option<u64>) -> bool {
        self.problems
            .iter()
            .any(|p| p.code == code && (seq.is_none() || p.seq == seq))
    }

    /// Count a carried evidence file; report it when it does not match the
    /// intake that lists it.
    pub fn checked_files(&mut self, ok: bool, blake3: &Hash) {
        self.evidence_checked += 1;
        if !ok {
            self.add(
                Code::EvidenceMismatch,
                None,
                "evidence",
                format!(
                    "carried file {} does not match an included intake's size and digests",
                    blake3
                ),
            );
        }
    }

    /// Record a problem (kept up to [`MAX_PROBLEMS`], then only counted).
    pub fn add(&mut self, code: Code, seq: Option<u64>, area: &'static str, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                code,
                seq,
                area,
                message,
            });
        } else {
            self.problems_omitted += 1;
        }
    }

    /// Machine-readable form (`schemas/verify-report.schema.json`).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "format": "caselog-verify-report/v1",
            "verified": self.is_ok(),
            "ledger": self.ledger.map(|l| l.to_hex()),
            "hash": self.hash.map(|h| h.name()),
            "case": self.case_id,
            "entries": self.entries,
            "root": self.root.map(|r| r.to_hex()),
            "problems": self.problems.iter().map(|p| json!({
                "code": p.code.as_str(),
                "seq": p.seq,
                "area": p.area,
                "message": p.message,
            })).collect::<Vec<_>>(),
            "problems_omitted": self.problems_omitted,
            "checkpoints": self.checkpoints,
            "evidence_checked": self.evidence_checked,
            "evidence_missing": self.evidence_missing,
            "private_fields": self.private_fields,
            "disclosures_present": self.disclosures_present,
            "erasures": self.erasures,
        })
    }
}

/// The per-record work of verification that needs no state: decoding, the
/// leaf hash and the signature check. Independent across records, so it can
/// run in parallel; [`ChainVerifier::push_prepared`] does the rest in order.
pub struct Prepared {
    /// H(0x00 || record), RFC 9162 §2.1.1, over the bytes as stored.
    leaf: Hash,
    /// The entry and its signature result, or why it could not be read.
    decoded: Result<(Entry, SigResult), (&'static str, EntryError)>,
}

/// Outcome of one entry's signature check.
type SigResult = Result<(), crate::sig::SigError>;

/// A record too large to be read ([`crate::codec::MAX_ENCODED_LEN`]): its
/// leaf hash (computed while streaming it) and the decode error the strict
/// decoder would give it.
pub fn prepare_oversized(leaf: Hash, len: usize) -> Prepared {
    let e = EntryError::Decode(crate::codec::DecodeError::TooLarge {
        len,
        max: crate::codec::MAX_ENCODED_LEN,
    });
    Prepared {
        leaf,
        decoded: Err(("record", e)),
    }
}

impl Prepared {
    /// The record's leaf hash.
    pub fn leaf(&self) -> Hash {
        self.leaf
    }

    /// The entry, when the record decoded.
    pub fn entry(&self) -> Option<&Entry> {
        self.decoded.as_ref().ok().map(|(e, _)| e)
    }
}

/// Do the state-free work for one stored record.
pub fn prepare(alg: HashAlg, raw: &[u8]) -> Prepared {
    let leaf = alg.leaf(raw);
    let decoded = Record::decode(raw)
        .map_err(|e| ("record", e))
        .and_then(|r| {
            let e = Entry::decode(&r.entry_bytes).map_err(|e| ("entry", e))?;
            let sig = r.verify_signature(&e.author);
            Ok((e, sig))
        });
    Prepared { leaf, decoded }
}

/// Checks a stream of records in order, storage-free. Feed it every record
/// with its stored position; read the result with [`ChainVerifier::finish`].
pub struct ChainVerifier<'a> {
    alg: HashAlg,
    expected: u64,
    last_leaf: Hash,
    last_time: Option<Timestamp>,
    members: Members,
    custody: Custody,
    frontier: Frontier,
    report: Report,
    watch: BTreeMap<u64, Vec<Watched>>,
    /// Finds the seq of an earlier entry by leaf hash (for references).
    lookup: Option<LeafLookup<'a>>,
    /// The item the last pushed entry concerns (for index checks).
    last_item: Option<String>,
    /// (target leaf, digest) of every erasure seen.
    erased: Vec<(Hash, Hash)>,
    /// The `sd` digests of every entry seen that has private fields, by
    /// leaf hash (what an erasure may name, SPEC §15).
    private: std::collections::HashMap<Hash, Vec<Hash>>,
    /// A selection of records (partial bundle): no sequence, link or
    /// custody checks, which need every record.
    partial: bool,
}

/// Finds the seq of an entry by its leaf hash.
pub type LeafLookup<'a> = Box<dyn Fn(&Hash) -> Option<u64> + 'a>;

/// A checkpoint to compare with the ledger when the tree reaches its size.
pub struct Watched {
    /// How to name it in messages (`stored checkpoint`, a file name).
    pub label: String,
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// Its note (signatures unchecked so far).
    pub note: Note,
    /// Keys that must sign it; empty means "an authority of this ledger
    /// active at that size".
    pub trust: Vec<VerifierKey>,
}

/// A checkpoint given to `verify` from outside (`--against`).
#[derive(Clone, Debug)]
pub struct External {
    /// Name for messages, e.g. the file name.
    pub label: String,
    /// The signed note bytes.
    pub bytes: Vec<u8>,
    /// Trusted log keys; empty means the ledger's own authorities.
    pub trust: Vec<VerifierKey>,
}

/// What to check besides the ledger itself.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Checkpoints obtained earlier that the ledger must still extend.
    pub against: Vec<External>,
    /// Ledger directory whose blob store is re-hashed (`verify --evidence`).
    pub evidence_dir: Option<std::path::PathBuf>,
}

impl<'a> ChainVerifier<'a> {
    /// Start a verifier for a ledger hashed with `alg`.
    pub fn new(alg: HashAlg) -> ChainVerifier<'a> {
        ChainVerifier {
            alg,
            expected: 0,
            last_leaf: Hash::ZERO,
            last_time: None,
            members: Members::new(),
            custody: Custody::new(),
            frontier: Frontier::new(),
            report: Report {
                hash: Some(alg),
                ..Report::default()
            },
            watch: BTreeMap::new(),
            lookup: None,
            last_item: None,
            erased: Vec::new(),
            private: std::collections::HashMap::new(),
            partial: false,
        }
    }

    /// A verifier for every record of ledger `ledger` (a full bundle):
    /// each entry must carry that id.
    pub fn for_ledger(alg: HashAlg, ledger: LedgerId) -> ChainVerifier<'a> {
        let mut v = ChainVerifier::new(alg);
        v.report.ledger = Some(ledger);
        v
    }

    /// A verifier for a selection of records of ledger `ledger` (a partial
    /// bundle): each record is checked on its own (encoding, ledger id, seq,
    /// signature, time order) and membership is replayed over the records
    /// given; sequence gaps, `prev` links and custody are not checked.
    pub fn partial(alg: HashAlg, ledger: LedgerId) -> ChainVerifier<'a> {
        let mut v = ChainVerifier::new(alg);
        v.report.ledger = Some(ledger);
        v.partial = true;
        v
    }

    /// Report a problem about the entry at `seq` found outside the verifier
    /// (e.g. an inclusion path that fails).
    pub fn entry_problem(&mut self, code: Code, seq: u64, message: String) {
        self.report.entries += 1;
        self.problem(code, seq, message);
    }

    /// Check references (correction targets, related entries) with `f`.
    /// Without it, references are not checked.
    pub fn with_lookup(mut self, f: LeafLookup<'a>) -> Self {
        self.lookup = Some(f);
        self
    }

    /// The evidence item of the entry pushed last, if any.
    pub fn take_item(&mut self) -> Option<String> {
        self.last_item.take()
    }

    /// Custody as recomputed so far.
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// Erasures seen so far: (target leaf hash, digest).
    pub fn erased(&self) -> &[(Hash, Hash)] {
        &self.erased
    }

    /// Compare a checkpoint with the ledger once the tree reaches its size.
    pub fn watch(&mut self, w: Watched) {
        self.watch
            .entry(w.checkpoint.head.size.0)
            .or_default()
            .push(w);
    }

    /// Report a checkpoint problem not tied to an entry.
    pub fn checkpoint_problem(&mut self, code: Code, message: String) {
        self.report.add(code, None, "checkpoint", message);
    }

    fn check_watched(&mut self) {
        let size = self.frontier.size().0;
        let Some(ws) = self.watch.remove(&size) else {
            return;
        };
        let root = self.frontier.root(self.alg);
        for w in ws {
            self.report.checkpoints += 1;
            if !self.authenticate(&w) {
                continue;
            }
            let cp = &w.checkpoint;
            if cp.head.root != root {
                self.checkpoint_problem(
                    Code::CheckpointMismatch,
                    format!(
                        "{} at size {size} has root {}, but the ledger's first {size} entries give {root}: entries before {size} were altered, reordered or replaced",
                        w.label, cp.head.root
                    ),
                );
            }
        }
    }

    /// Whether a watched checkpoint is for this ledger and signed by a key
    /// it may be believed from: a `--trust` key, or else an authority of
    /// this ledger active now (at its size, or at the ledger's end for a
    /// checkpoint beyond it). Reports `BAD_CHECKPOINT` when it is not, so
    /// that a forged or unsigned checkpoint is never taken as evidence of
    /// tampering (SPEC §9, §10.3).
    fn authenticate(&mut self, w: &Watched) -> bool {
        let cp = &w.checkpoint;
        let size = cp.head.size.0;
        if Some(cp.origin.ledger) != self.report.ledger || cp.origin.alg != self.alg {
            self.checkpoint_problem(
                Code::BadCheckpoint,
                format!(
                    "{} at size {size} is for {}, not this ledger",
                    w.label,
                    cp.origin.line()
                ),
            );
            return false;
        }
        let keys = if w.trust.is_empty() {
            self.members
                .iter()
                .filter(|m| m.role == Role::Authority && m.revoked.is_none())
                .map(|m| cp.origin.log_key(m.key))
                .collect()
        } else {
            w.trust.clone()
        };
        if let Err(e) = note::verify(&w.note, &keys) {
            self.checkpoint_problem(
                Code::BadCheckpoint,
                format!(
                    "{} at size {size} is not validly signed by {}: {e}",
                    w.label,
                    if w.trust.is_empty() {
                        "an authority of this ledger"
                    } else {
                        "a trusted key"
                    }
                ),
            );
            return false;
        }
        true
    }

    fn problem(&mut self, code: Code, seq: u64, message: String) {
        self.report.add(code, Some(seq), "entry", message);
    }

    /// Check the record stored at position `pos`; returns its leaf hash and
    /// the Merkle nodes it completes (for comparison with stored ones).
    pub fn push(&mut self, pos: u64, raw: &[u8]) -> (Hash, Vec<(NodeId, Hash)>) {
        let p = prepare(self.alg, raw);
        self.push_prepared(pos, p)
    }

    /// [`ChainVerifier::push`] with the per-record work (decoding, leaf
    /// hash, signature) already done by [`prepare`], possibly on another
    /// thread. Records must still be pushed in order.
    pub fn push_prepared(&mut self, pos: u64, p: Prepared) -> (Hash, Vec<(NodeId, Hash)>) {
        if pos != self.expected && !self.partial {
            let msg = if pos > self.expected {
                if pos - self.expected == 1 {
                    format!("entry {} is missing", self.expected)
                } else {
                    format!("entries {}..{} are missing", self.expected, pos - 1)
                }
            } else {
                format!("stored out of order after seq {}", self.expected - 1)
            };
            self.problem(Code::SeqGap, pos, msg);
        }
        // A hostile bundle may carry seq u64::MAX: no overflow, the gap is reported.
        self.expected = pos.saturating_add(1);
        self.report.entries += 1;
        let leaf = p.leaf;
        let created = self.frontier.append(self.alg, leaf);
        self.check_entry(pos, p);
        self.last_leaf = leaf;
        self.check_watched();
        (leaf, created)
    }

    fn check_entry(&mut self, pos: u64, p: Prepared) {
        let leaf = &p.leaf;
        let (entry, sig) = match p.decoded {
            Ok(x) => x,
            Err((what, e)) => return self.entry_error(pos, what, &e),
        };
        if entry.seq.0 != pos {
            self.problem(
                Code::SeqOrder,
                pos,
                format!("entry stored at seq {pos} says it is seq {}", entry.seq),
            );
        }
        match self.report.ledger {
            None => self.report.ledger = Some(entry.ledger),
            Some(id) if id != entry.ledger => self.problem(
                Code::WrongLedger,
                pos,
                format!("entry belongs to ledger {}, not {}", entry.ledger, id),
            ),
            Some(_) => {}
        }
        if entry.prev != self.last_leaf && !self.partial {
            self.problem(
                Code::BadPrev,
                pos,
                if pos == 0 {
                    "genesis prev is not 32 zero bytes".to_owned()
                } else {
                    format!(
                        "prev {} is not the leaf hash {} of seq {}",
                        short(&entry.prev),
                        short(&self.last_leaf),
                        pos - 1
                    )
                },
            );
        }
        if let Some(t) = self.last_time {
            if entry.time < t {
                self.problem(
                    Code::TimeBackwards,
                    pos,
                    format!(
                        "recorded time {} is earlier than the previous entry's {t}",
                        entry.time
                    ),
                );
            }
        }
        self.last_time = Some(self.last_time.map_or(entry.time, |t| t.max(entry.time)));
        let mut valid = true;
        if let Err(e) = sig {
            valid = false;
            let who = match &entry.body {
                Body::LedgerOpen(o) if pos == 0 => o.authority_name.clone(),
                _ => self.members.display(&entry.author),
            };
            self.problem(
                Code::BadSignature,
                pos,
                format!("signature by '{who}' does not verify ({e})"),
            );
        }
        if let Err(e) = self.members.check(&entry) {
            valid = false;
            self.problem(policy_code(&e), pos, e.to_string());
        }
        if let Body::LedgerOpen(o) = &entry.body {
            if pos == 0 {
                self.report.case_id = Some(o.case_id.clone());
                if o.hash != self.alg {
                    self.problem(
                        Code::BadGenesis,
                        pos,
                        format!(
                            "genesis names hash {} but the ledger uses {}",
                            o.hash, self.alg
                        ),
                    );
                }
            }
        }
        let bad_refs: Vec<Hash> = match &self.lookup {
            Some(lookup) => crate::ledger::references(&entry.body)
                .into_iter()
                .filter(|h| lookup(h).is_none_or(|s| s >= pos))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        let refs_ok = bad_refs.is_empty();
        for h in bad_refs {
            valid = false;
            self.problem(
                Code::BadReference,
                pos,
                format!("refers to {}, which is not an earlier entry", short(&h)),
            );
        }
        if let Some(why) = refs_ok.then(|| self.bad_erasure(&entry.body)).flatten() {
            valid = false;
            self.problem(Code::BadReference, pos, why);
        }
        self.last_item = crate::ledger::entry_item(&entry.body).map(str::to_owned);
        self.report.private_fields += entry.sd.len() as u64;
        if valid && !self.partial {
            match self.custody.check(&entry, &entry.ledger, &self.members) {
                Err(e) => {
                    valid = false;
                    let code = match e {
                        CustodyError::UnknownItem(_) => Code::CustodyUnknownItem,
                        CustodyError::DuplicateItem { .. } => Code::CustodyDuplicateItem,
                        CustodyError::NotHolder { .. } => Code::CustodyNotHolder,
                        CustodyError::BadReceiver(_) => Code::CustodyBadReceiver,
                        CustodyError::WrongReceiver { .. } => Code::CustodyWrongReceiver,
                        CustodyError::WrongRelease { .. } => Code::CustodyWrongRelease,
                        CustodyError::DoubleRelease { .. } => Code::CustodyDoubleRelease,
                        CustodyError::AfterDisposal { .. } => Code::CustodyAfterDisposal,
                        CustodyError::BadReceipt { .. } => Code::CustodyBadReceipt,
                        _ => Code::EvidenceMismatch,
                    };
                    self.problem(code, pos, e.to_string());
                }
                Ok(findings) => {
                    for f in findings {
                        match f {
                            Finding::SealBroken { item } => self.problem(
                                Code::CustodySealBroken,
                                pos,
                                format!("{item} was received with its seal broken"),
                            ),
                            Finding::DigestMismatch { item, file } => self.problem(
                                Code::EvidenceMismatch,
                                pos,
                                format!(
                                    "{item} file {file:?} no longer matches its intake digests"
                                ),
                            ),
                        }
                    }
                }
            }
        }
        if valid {
            self.members.apply(&entry);
            if !self.partial {
                self.custody.apply(&entry, leaf);
            }
            if let Body::Domain(crate::kinds::Domain::DisclosureErased(d)) = &entry.body {
                self.report.erasures += 1;
                self.erased.push((d.target, d.digest));
            }
        }
        if !entry.sd.is_empty() {
            self.private.insert(*leaf, entry.sd);
        }
    }

    /// Why an erasure is invalid (SPEC §15): its digest is not in its
    /// target's `sd`, or that private field was already erased. A target
    /// that is not an earlier entry is a reference problem reported with
    /// the others; in a partial bundle an absent target is not judged.
    fn bad_erasure(&self, body: &Body) -> Option<String> {
        let Body::Domain(crate::kinds::Domain::DisclosureErased(d)) = body else {
            return None;
        };
        let digest = short(&d.digest);
        match self.private.get(&d.target) {
            Some(sd) if !sd.contains(&d.digest) => Some(format!(
                "erases private field {digest}, which entry {} does not have",
                short(&d.target)
            )),
            None if self.lookup.as_ref().is_some_and(|f| f(&d.target).is_some()) => Some(format!(
                "erases private field {digest} of entry {}, which has no private fields",
                short(&d.target)
            )),
            _ if self.erased.contains(&(d.target, d.digest)) => {
                Some(format!("erases private field {digest} a second time"))
            }
            _ => None,
        }
    }

    fn entry_error(&mut self, pos: u64, what: &str, e: &EntryError) {
        let code = match e {
            _ if e.is_non_canonical() => Code::NonCanonical,
            EntryError::Decode(_) | EntryError::RecordShape => Code::Decode,
            EntryError::Schema(_) => Code::BadEntry,
            EntryError::Body(_) => Code::BadBody,
            EntryError::Version(_) => Code::BadVersion,
            EntryError::UnknownKind(_) => Code::UnknownKind,
        };
        self.problem(code, pos, format!("{what} cannot be read: {e}"));
    }

    /// Members as recomputed so far.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Size and root recomputed so far.
    pub fn tree_head(&self) -> merkle::TreeHead {
        self.frontier.head(self.alg)
    }

    /// Leaf hash and time of the last record.
    pub fn last(&self) -> (Hash, Option<Timestamp>) {
        (self.last_leaf, self.last_time)
    }

    /// The report so far, with the recomputed root filled in.
    pub fn finish(mut self) -> Report {
        if self.report.entries == 0 {
            self.report.add(
                Code::Empty,
                None,
                "entry",
                "the ledger has no entries".into(),
            );
        }
        let entries = self.frontier.size().0;
        for (size, ws) in std::mem::take(&mut self.watch) {
            for w in ws {
                if size == 0 {
                    let msg = format!("{} is of the empty tree", w.label);
                    self.report
                        .add(Code::BadCheckpoint, None, "checkpoint", msg);
                    continue;
                }
                // Believed only once authenticated: an unsigned or forged
                // checkpoint claiming a larger size is BAD_CHECKPOINT, not
                // evidence that entries were removed.
                if !self.authenticate(&w) {
                    continue;
                }
                let msg = format!(
                    "{} covers {size} entries but the ledger holds {entries}: entries were removed (truncation or rollback)",
                    w.label
                );
                self.report.add(Code::Truncated, None, "checkpoint", msg);
            }
        }
        self.report.root = Some(self.frontier.root(self.alg));
        self.report
    }
}

/// The problem code of a membership or role violation.
pub fn policy_code(e: &PolicyError) -> Code {
    match e {
        PolicyError::UnknownAuthor { .. } => Code::UnknownAuthor,
        PolicyError::RevokedAuthor { .. } => Code::RevokedAuthor,
        PolicyError::RoleNotAllowed { .. } => Code::RoleNotAllowed,
        PolicyError::BadGenesis(_) => Code::BadGenesis,
        _ => Code::BadMembership,
    }
}

fn short(h: &Hash) -> String {
    h.to_hex()[..16].to_owned()
}

/// Pending comparisons against the stored caches, flushed in batches.
#[derive(Default)]
struct Pending {
    nodes: Vec<(NodeId, Hash, u64)>,
    leaves: Vec<(Hash, u64)>,
    items: Vec<(String, u64, Hash)>,
}

/// Verify a whole ledger store: every record, then every cache and every
/// stored checkpoint.
pub fn verify_store(store: &Store) -> Result<Report, StoreError> {
    verify_store_with(store, &VerifyOptions::default())
}

/// [`verify_store`], also checking that the ledger extends each checkpoint
/// in `opts.against` (detects truncation, rollback and rewrite).
pub fn verify_store_with(store: &Store, opts: &VerifyOptions) -> Result<Report, StoreError> {
    let meta_id = store.get(CF_META, META_LEDGER)?;
    let meta_hash = store.get(CF_META, META_HASH)?;
    let meta_alg = meta_hash
        .as_deref()
        .and_then(|b| HashAlg::from_name(std::str::from_utf8(b).ok()?));
    // The genesis entry decides the hash; meta is only a cache of it.
    let genesis_alg = store.get(CF_ENTRIES, &Seq(0).key())?.and_then(|raw| {
        let r = Record::decode(&raw).ok()?;
        match Entry::decode(&r.entry_bytes).ok()?.body {
            Body::LedgerOpen(o) => Some(o.hash),
            _ => None,
        }
    });
    let alg = genesis_alg.or(meta_alg).unwrap_or(HashAlg::Blake3);
    let lookup = |h: &Hash| -> Option<u64> {
        store
            .get(CF_INDEX, &ledger::index_key(h))
            .ok()
            .flatten()
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes)
    };
    let mut v = ChainVerifier::new(alg).with_lookup(Box::new(lookup));
    let mut item_rows_expected = 0u64;
    // Stored checkpoints, then the ones given from outside.
    // (label, size it is stored under, note bytes, trusted keys)
    type Source = (String, Option<u64>, Vec<u8>, Vec<VerifierKey>);
    let mut sources: Vec<Source> = Vec::new();
    for kv in store.iter_from(CF_CHECKPOINTS, &[]) {
        let (k, val) = kv?;
        let key_size = <[u8; 8]>::try_from(&*k).ok().map(u64::from_be_bytes);
        sources.push((
            "stored checkpoint".into(),
            key_size.or(Some(u64::MAX)),
            val.into_vec(),
            Vec::new(),
        ));
    }
    for e in &opts.against {
        sources.push((
            format!("checkpoint {}", e.label),
            None,
            e.bytes.clone(),
            e.trust.clone(),
        ));
    }
    for (label, key_size, bytes, trust) in sources {
        match checkpoint::parse(&bytes) {
            Err(e) => {
                v.checkpoint_problem(Code::BadCheckpoint, format!("{label} cannot be read: {e}"))
            }
            Ok((cp, n)) => {
                if key_size.is_some_and(|k| k != cp.head.size.0) {
                    v.checkpoint_problem(
                        Code::BadCheckpoint,
                        format!(
                            "{label} of size {} is stored under another size",
                            cp.head.size.0
                        ),
                    );
                    continue;
                }
                v.watch(Watched {
                    label,
                    checkpoint: cp,
                    note: n,
                    trust,
                });
            }
        }
    }
    let mut pending = Pending::default();
    let mut extra: Vec<Problem> = Vec::new();
    // Records are read in chunks; decoding, hashing and signature checks of
    // a chunk fan out over all cores, then the chain is checked in order.
    let mut chunk: Vec<(u64, Box<[u8]>)> = Vec::with_capacity(PAR_CHUNK);
    let mut entries = store.iter_from(CF_ENTRIES, &[]).peekable();
    while entries.peek().is_some() {
        chunk.clear();
        while chunk.len() < PAR_CHUNK {
            let Some(kv) = entries.next() else { break };
            let (k, raw) = kv?;
            let Ok(kb) = <[u8; 8]>::try_from(&*k) else {
                extra.push(Problem {
                    code: Code::Decode,
                    seq: None,
                    area: "entry",
                    message: format!("stray key {} in entries", hex::encode(&k)),
                });
                continue;
            };
            chunk.push((u64::from_be_bytes(kb), raw));
        }
        let prepared: Vec<Prepared> = {
            use rayon::prelude::*;
            chunk.par_iter().map(|(_, raw)| prepare(alg, raw)).collect()
        };
        for ((pos, _), p) in chunk.iter().zip(prepared) {
            let pos = *pos;
            let (leaf, created) = v.push_prepared(pos, p);
            pending.leaves.push((leaf, pos));
            if let Some(item) = v.take_item() {
                item_rows_expected += 1;
                pending.items.push((item, pos, leaf));
            }
            pending
                .nodes
                .extend(created.into_iter().map(|(id, h)| (id, h, pos)));
            if pending.leaves.len() >= CHUNK {
                flush(store, &mut pending, &mut v.report)?;
            }
        }
    }
    flush(store, &mut pending, &mut v.report)?;
    let head_now = v.tree_head();
    let (last_leaf, last_time) = v.last();
    let members = v.members().clone();
    let custody = v.custody().clone();
    let erased = v.erased().to_vec();
    let mut report = v.finish();
    for p in extra {
        report.add(p.code, p.seq, p.area, p.message);
    }

    // meta: only the rows the format defines (SPEC §8), format 1.
    for kv in store.iter_from(CF_META, &[]) {
        let (k, val) = kv?;
        let known = match &*k {
            b"format" => {
                if crate::codec::decode(&val) != Ok(crate::codec::Value::Uint(1)) {
                    report.add(
                        Code::MetaMismatch,
                        None,
                        "meta",
                        "stored format version is not 1".into(),
                    );
                }
                true
            }
            b"ledger" | b"hash" | b"head" => true,
            // An erasure whose purge is not finished yet (SPEC §8, §15):
            // finished by the next writable open.
            b"purge/pending" => {
                if !matches!(crate::codec::decode(&val), Ok(crate::codec::Value::Uint(_))) {
                    report.add(
                        Code::MetaMismatch,
                        None,
                        "meta",
                        "pending purge row is unreadable".into(),
                    );
                }
                true
            }
            b"config/checkpoint_every" => {
                if !matches!(crate::codec::decode(&val), Ok(crate::codec::Value::Uint(n)) if n > 0)
                {
                    report.add(
                        Code::MetaMismatch,
                        None,
                        "meta",
                        "checkpoint interval is unreadable".into(),
                    );
                }
                true
            }
            other => {
                other.starts_with(META_MEMBER_PREFIX) || other.starts_with(ledger::META_ITEM_PREFIX)
            }
        };
        if !known {
            report.add(
                Code::MetaMismatch,
                None,
                "meta",
                format!("unknown meta row {:?}", String::from_utf8_lossy(&k)),
            );
        }
    }
    if store.get(CF_META, b"format")?.is_none() {
        report.add(
            Code::MetaMismatch,
            None,
            "meta",
            "stored format version is missing".into(),
        );
    }

    // meta: ledger id and hash are caches of the genesis entry.
    match (meta_id.as_deref(), report.ledger) {
        (Some(m), Some(g)) if m != g.0 => report.add(
            Code::MetaMismatch,
            None,
            "meta",
            format!(
                "stored ledger id {} differs from the genesis entry's {g}",
                hex::encode(m)
            ),
        ),
        (None, _) => report.add(
            Code::MetaMismatch,
            None,
            "meta",
            "stored ledger id is missing".into(),
        ),
        _ => {}
    }
    if meta_alg != Some(alg) {
        report.add(
            Code::MetaMismatch,
            None,
            "meta",
            format!("stored hash name does not match the genesis entry's {alg}"),
        );
    }
    if report.ledger.is_none() {
        report.ledger = meta_id
            .as_deref()
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(LedgerId);
    }

    // meta: head.
    match store
        .get(CF_META, META_HEAD)?
        .and_then(|b| Head::decode(&b))
    {
        None => report.add(
            Code::HeadMismatch,
            None,
            "meta",
            "stored head is missing or unreadable".into(),
        ),
        Some(h) => {
            if h.tree.size != head_now.size {
                report.add(
                    Code::HeadMismatch,
                    None,
                    "meta",
                    format!(
                        "stored head says {} entries, the ledger holds {}",
                        h.tree.size.0, head_now.size.0
                    ),
                );
            }
            if h.tree.root != head_now.root {
                report.add(
                    Code::HeadMismatch,
                    None,
                    "meta",
                    format!(
                        "stored root {} differs from recomputed root {}",
                        h.tree.root, head_now.root
                    ),
                );
            }
            if h.last != last_leaf {
                report.add(
                    Code::HeadMismatch,
                    None,
                    "meta",
                    "stored last leaf hash differs from the last record's".into(),
                );
            }
            if Some(h.time) != last_time {
                report.add(
                    Code::HeadMismatch,
                    None,
                    "meta",
                    "stored head time differs from the last entry's".into(),
                );
            }
        }
    }

    // meta: member rows.
    let mut stored_members = 0usize;
    for kv in store.iter_from(CF_META, META_MEMBER_PREFIX) {
        let (k, val) = kv?;
        if !k.starts_with(META_MEMBER_PREFIX) {
            break;
        }
        stored_members += 1;
        let row = ledger::decode_member(&k, &val);
        let ok = row.as_ref().is_some_and(|m| members.get(&m.key) == Some(m));
        if !ok {
            report.add(
                Code::MetaMismatch,
                None,
                "meta",
                format!(
                    "member row {} differs from the membership recomputed from entries",
                    hex::encode(&k[META_MEMBER_PREFIX.len()..])
                ),
            );
        }
    }
    let expected_members = members.iter().count();
    if stored_members < expected_members {
        report.add(
            Code::MetaMismatch,
            None,
            "meta",
            format!(
                "{} member rows stored, {expected_members} members enrolled",
                stored_members
            ),
        );
    }

    // tree: nothing beyond the complete subtrees of the current size.
    let size = head_now.size;
    let mut extra_nodes = 0u64;
    for kv in store.iter_from(CF_TREE, &[]) {
        let (k, _) = kv?;
        if !NodeId::from_key(&k).is_some_and(|id| merkle::node_in_tree(id, size)) {
            extra_nodes += 1;
        }
    }
    if extra_nodes > 0 {
        report.add(
            Code::TreeMismatch,
            None,
            "tree",
            format!("{extra_nodes} stored tree nodes lie beyond the {} entries present (truncated or rewritten ledger)", size.0),
        );
    }
    // meta: evidence item rows.
    let mut stored_items = 0usize;
    for kv in store.iter_from(CF_META, ledger::META_ITEM_PREFIX) {
        let (k, val) = kv?;
        let Some(id) = k.strip_prefix(ledger::META_ITEM_PREFIX) else {
            break;
        };
        stored_items += 1;
        let id = String::from_utf8_lossy(id).to_string();
        let ok = ItemState::decode(&id, &val).is_some_and(|st| custody.get(&id) == Some(&st));
        if !ok {
            report.add(
                Code::MetaMismatch,
                None,
                "meta",
                format!("item row {id:?} differs from the custody recomputed from entries"),
            );
        }
    }
    let expected_items = custody.iter().count();
    if stored_items < expected_items {
        report.add(
            Code::MetaMismatch,
            None,
            "meta",
            format!("{stored_items} item rows stored, {expected_items} items taken in"),
        );
    }
    // disclosures: each stored value matches a digest of its own entry and
    // was not erased.
    for kv in store.iter_from(CF_DISCLOSURES, &[]) {
        let (k, val) = kv?;
        let Some((seq, digest)) = crate::disclosure::parse_key(&k) else {
            report.add(
                Code::BadDisclosure,
                None,
                "disclosures",
                format!("stray key {}", hex::encode(&k)),
            );
            continue;
        };
        let entry = store.get(CF_ENTRIES, &seq.key())?.and_then(|raw| {
            Some((
                alg.leaf(&raw),
                Entry::decode(&Record::decode(&raw).ok()?.entry_bytes).ok()?,
            ))
        });
        let problem = if crate::disclosure::Disclosure::decode(&val).is_err() {
            Some("cannot be read as [salt, path, value]".to_owned())
        } else if crate::disclosure::digest_of(alg, &val) != digest {
            Some("value or salt was altered (its digest no longer matches)".to_owned())
        } else {
            match &entry {
                None => Some("belongs to an entry that cannot be read".to_owned()),
                Some((_, e)) if !e.sd.contains(&digest) => Some(
                    "is not a private field of this entry (moved from another entry?)".to_owned(),
                ),
                Some((leaf, _)) if erased.contains(&(*leaf, digest)) => {
                    Some("was erased but is still stored".to_owned())
                }
                Some(_) => None,
            }
        };
        match problem {
            Some(p) => report.add(
                Code::BadDisclosure,
                Some(seq.0),
                "disclosures",
                format!("disclosure {}: {p}", &digest.to_hex()[..16]),
            ),
            None => report.disclosures_present += 1,
        }
    }
    // evidence: stored copies still have their intake digests.
    if let Some(dir) = &opts.evidence_dir {
        for st in custody.iter() {
            for (name, (b3, sha)) in &st.files {
                match crate::evidence::check_blob(dir, b3) {
                    // Said, not silently skipped: the file was not re-hashed.
                    Ok(None) => report.evidence_missing += 1,
                    Ok(Some(d)) => {
                        report.evidence_checked += 1;
                        if d.blake3 != *b3 || d.sha256 != *sha {
                            report.add(
                                Code::EvidenceMismatch,
                                Some(st.intake.0),
                                "evidence",
                                format!("stored copy of {} file {name:?} no longer matches its intake digests", st.item),
                            );
                        }
                    }
                    Err(e) => report.add(
                        Code::EvidenceMismatch,
                        Some(st.intake.0),
                        "evidence",
                        format!(
                            "stored copy of {} file {name:?} cannot be read: {e}",
                            st.item
                        ),
                    ),
                }
            }
        }
    }
    // index: one leaf row per entry, one item row per item entry.
    let (mut rows, mut item_rows) = (0u64, 0u64);
    for kv in store.iter_from(CF_INDEX, &[]) {
        let (k, _) = kv?;
        if k.first() == Some(&ledger::INDEX_ITEM_PREFIX) {
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
    Ok(report)
}

fn flush(store: &Store, p: &mut Pending, report: &mut Report) -> Result<(), StoreError> {
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
    let keys: Vec<Vec<u8>> = p.leaves.iter().map(|(l, _)| ledger::index_key(l)).collect();
    for (got, (_, seq)) in store.multi_get(CF_INDEX, &keys)?.into_iter().zip(&p.leaves) {
        if got.as_deref() != Some(Seq(*seq).key().as_slice()) {
            report.add(
                Code::IndexMismatch,
                Some(*seq),
                "index",
                "index row for this entry's leaf hash is missing or points elsewhere".into(),
            );
        }
    }
    let keys: Vec<Vec<u8>> = p
        .items
        .iter()
        .map(|(item, seq, _)| ledger::item_index_key(item, Seq(*seq)))
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
    p.leaves.clear();
    Ok(())
}
