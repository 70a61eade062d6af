//! Why a ledger operation failed: [`LedgerError`], one variant per cause,
//! with the fields a caller needs (the CLI owns the wording of hints).

use super::*;
use crate::format::code::Code;

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
    /// A `ledger.check` whose size or root is not the tree before it.
    #[error(
        "the self-check at seq {seq} does not state the size and root of the entries before it"
    )]
    BadLedgerCheck {
        /// Its seq.
        seq: u64,
    },
    /// The signer's key, held by an agent, did not sign; nothing was written.
    #[error(transparent)]
    Sign(#[from] crate::format::sig::SignError),
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

impl LedgerError {
    /// The SPEC §9 code a verifier reports for the rule this refusal
    /// enforces, so a refused submission (`caselog serve`) and a verified
    /// forgery carry the same code. `None`: not a rule of the format
    /// (storage, a stale head, a size limit).
    pub fn code(&self) -> Option<Code> {
        use LedgerError as L;
        Some(match self {
            L::Invalid(e) => Code::from(e),
            L::Policy(p) => Code::from(p),
            L::Custody(c) => Code::from(c),
            L::WrongLedger { .. } => Code::WrongLedger,
            L::BadLedgerCheck { .. } => Code::BadLedgerCheck,
            L::BadSignature { .. } => Code::BadSignature,
            L::ClockBehind { .. } => Code::TimeBackwards,
            L::BadReference { .. } | L::BadCorrection { .. } => Code::BadReference,
            L::UnknownDisclosure { .. } | L::Disclosure(_) => Code::BadDisclosure,
            _ => return None,
        })
    }
}
