//! The stable codes of SPEC §9: what a verifier reports and what a writer
//! that refuses the same rule says (SPEC §17.3). The vocabulary lives in
//! the lowest layer so that each layer's errors can name their code beside
//! their definition (`From<&EntryError>` here in format, `From<&PolicyError>`
//! and `From<&CustodyError>` in rules, `LedgerError::code` in ledger), as
//! rustls puts an alert beside each error.

use std::fmt;

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
    /// An external receipt with a bad signature or by a non-external key.
    CustodyBadReceipt,
    /// A check-in of a stored item, a check-out of one not stored, or a
    /// release, disposal or return of a stored item.
    CustodyStorage,
    /// A seal broken that is not on the item, or applied twice.
    CustodySeal,
    /// An `item_prev` that is not the latest earlier entry about the item.
    CustodyItemLink,
    /// An item bundle whose chain of an item does not run from its intake
    /// to the head the checkpoint's item map commits to.
    ItemIncomplete,
    /// An `evidence.verify` that misstates the comparison or names an
    /// unknown file, a stored or carried copy that differs from its intake
    /// digests. (A truthful record that a presented copy differed is a
    /// finding, [`FindingCode::CopyDiffered`], not a problem.)
    EvidenceMismatch,
    /// An `evidence.attach` naming a file like one its item already has.
    EvidenceDuplicateFile,
    /// A disposal, return or erasure while a legal hold covers it.
    UnderHold,
    /// A hold placed under an id already used, or a release of a hold not
    /// in force.
    BadHold,
    /// A `ledger.check` whose size is not its seq or whose root is not the
    /// tree hash of the entries before it.
    BadLedgerCheck,
    /// A `production` naming an item not taken in or a recipient who is
    /// not an active member, or a `production.receipt` that answers no
    /// production, states another manifest, or is not the recipient's.
    BadProduction,
    /// An `evidence.dispose` of an item before the end of its retention
    /// period.
    UnderRetention,
    /// A correction target or related entry that is not an earlier entry.
    BadReference,
    /// A disclosure whose value or salt was altered, that belongs to no
    /// digest of its entry (moved), or that was erased but is still stored.
    BadDisclosure,
    /// A stored or carried RFC 3161 token that is not a time-stamp token,
    /// or is stored for no checkpoint.
    BadTimestamp,
    /// A token whose CMS signature (or signed attributes) does not verify.
    TimestampSignature,
    /// A token over other data than its checkpoint's body.
    TimestampImprint,
    /// A token whose signer certificate lacks the critical timeStamping EKU.
    TimestampEku,
    /// A token whose genTime is outside a certificate's validity.
    TimestampExpired,
    /// A token whose signer does not chain to a `--tsa-ca` trust anchor.
    TimestampUntrusted,
    /// A token whose genTime is earlier than an entry's time in its checkpoint.
    TimestampBeforeEntry,
}

impl Code {
    /// Every code, in SPEC §9 order.
    pub const ALL: [Code; 54] = [
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
        Code::CustodyBadReceipt,
        Code::CustodyStorage,
        Code::CustodySeal,
        Code::CustodyItemLink,
        Code::ItemIncomplete,
        Code::EvidenceMismatch,
        Code::EvidenceDuplicateFile,
        Code::UnderHold,
        Code::BadHold,
        Code::BadLedgerCheck,
        Code::BadProduction,
        Code::UnderRetention,
        Code::BadReference,
        Code::BadDisclosure,
        Code::BadTimestamp,
        Code::TimestampSignature,
        Code::TimestampImprint,
        Code::TimestampEku,
        Code::TimestampExpired,
        Code::TimestampUntrusted,
        Code::TimestampBeforeEntry,
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
            Code::CustodyBadReceipt => "CUSTODY_BAD_RECEIPT",
            Code::CustodyStorage => "CUSTODY_STORAGE",
            Code::CustodySeal => "CUSTODY_SEAL",
            Code::CustodyItemLink => "CUSTODY_ITEM_LINK",
            Code::ItemIncomplete => "ITEM_INCOMPLETE",
            Code::EvidenceMismatch => "EVIDENCE_MISMATCH",
            Code::EvidenceDuplicateFile => "EVIDENCE_DUPLICATE_FILE",
            Code::UnderHold => "UNDER_HOLD",
            Code::BadHold => "BAD_HOLD",
            Code::BadLedgerCheck => "BAD_LEDGER_CHECK",
            Code::BadProduction => "BAD_PRODUCTION",
            Code::UnderRetention => "UNDER_RETENTION",
            Code::BadReference => "BAD_REFERENCE",
            Code::BadDisclosure => "BAD_DISCLOSURE",
            Code::BadTimestamp => "BAD_TIMESTAMP",
            Code::TimestampSignature => "TIMESTAMP_SIGNATURE",
            Code::TimestampImprint => "TIMESTAMP_IMPRINT",
            Code::TimestampEku => "TIMESTAMP_EKU",
            Code::TimestampExpired => "TIMESTAMP_EXPIRED",
            Code::TimestampUntrusted => "TIMESTAMP_UNTRUSTED",
            Code::TimestampBeforeEntry => "TIMESTAMP_BEFORE_ENTRY",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
