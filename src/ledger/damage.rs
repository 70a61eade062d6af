//! What a damaged ledger directory is missing or has wrong, as typed
//! fields: the ledger refuses to go on and says which part is damaged; the
//! CLI adds the fix (`caselog verify` shows every problem).

use thiserror::Error;

/// One way the stored ledger is not what the writer left.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damage {
    /// A fixed `meta` row (SPEC §8) is missing or unreadable.
    #[error("meta row {row:?} is missing or unreadable")]
    MetaRow {
        /// The row's key.
        row: &'static str,
    },
    /// The stored tree nodes do not give the stored head's root.
    #[error("stored tree nodes do not give the stored root")]
    Tree,
    /// The last stored record is not the one the head names.
    #[error("stored head does not match the last entry")]
    HeadNotLast,
    /// A key in a column family has the wrong shape.
    #[error("a key in {cf} is malformed")]
    BadKey {
        /// The column family.
        cf: &'static str,
    },
    /// A record the ledger needs is missing.
    #[error("record {seq} is missing")]
    RecordMissing {
        /// Its position.
        seq: u64,
    },
    /// A stored record does not decode.
    #[error("record {seq} cannot be read: {reason}")]
    RecordUnreadable {
        /// Its position.
        seq: u64,
        /// What the decoder said.
        reason: String,
    },
    /// Fewer records are stored than a checkpoint or the head covers.
    #[error("the ledger holds {held} records, fewer than the {needed} expected")]
    Short {
        /// Records stored.
        held: u64,
        /// Records the checkpoint or head covers.
        needed: u64,
    },
    /// A tree node the head implies is missing.
    #[error("tree node (level {level}, index {index}) is missing")]
    TreeNodeMissing {
        /// Its level.
        level: u8,
        /// Its index at that level.
        index: u64,
    },
    /// A stored checkpoint does not parse.
    #[error("stored checkpoint at size {size}: {reason}")]
    CheckpointUnreadable {
        /// Its tree size.
        size: u64,
        /// What the parser said.
        reason: String,
    },
    /// A different checkpoint is already stored at this size.
    #[error("a different checkpoint is stored at size {size}")]
    CheckpointConflict {
        /// Its tree size.
        size: u64,
    },
    /// A stored disclosure does not decode.
    #[error("disclosure of entry {seq}: {reason}")]
    DisclosureUnreadable {
        /// The entry it belongs to.
        seq: u64,
        /// What the decoder said.
        reason: String,
    },
    /// The entry at seq 0 is not a `ledger.open`.
    #[error("the genesis entry is not a ledger.open")]
    Genesis,
    /// A record disappeared between two passes over the ledger.
    #[error("entry {seq} vanished while it was being read")]
    Vanished {
        /// Its position.
        seq: u64,
    },
}

/// What was asked for and does not exist.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Missing {
    /// No entry at this seq.
    #[error("no entry {seq}")]
    Entry {
        /// The seq asked for.
        seq: u64,
    },
    /// The entry has no stored private field at this path.
    #[error("entry {seq} has no stored private field {path:?}")]
    PrivateField {
        /// The entry.
        seq: u64,
        /// The field path asked for.
        path: String,
    },
    /// No checkpoint is stored at this size.
    #[error("no checkpoint is stored at size {size}")]
    Checkpoint {
        /// The tree size asked for.
        size: u64,
    },
    /// A cosigned checkpoint whose body is not the one stored at its size.
    #[error("the cosigned checkpoint differs from the one stored at size {size}")]
    CheckpointDiffers {
        /// Its tree size.
        size: u64,
    },
    /// A checkpoint whose `caselog-items` line is not the item map this
    /// ledger holds at its size (SPEC §10.1, §13.7): a completeness claim
    /// the records do not support.
    #[error("the checkpoint of size {size} states item map {signed}, but this ledger's records give {computed}")]
    CheckpointItemsDiffer {
        /// Its tree size.
        size: u64,
        /// The item map the checkpoint states (`none`: no line).
        signed: String,
        /// The item map recomputed from the records (`none`: no items).
        computed: String,
    },
    /// The text given is not a checkpoint (SPEC §10).
    #[error("not a checkpoint: {reason}")]
    NotACheckpoint {
        /// What the parser said.
        reason: String,
    },
    /// A tile or entry bundle beyond the tree (C2SP tlog-tiles: 404).
    #[error("tile {path} covers entries beyond the {size} the ledger holds")]
    Tile {
        /// The tile's path.
        path: String,
        /// The ledger's size.
        size: u64,
    },
    /// A tree size outside the ledger.
    #[error("tree size {size} is outside 1..={max}")]
    Size {
        /// The size asked for.
        size: u64,
        /// The ledger's size.
        max: u64,
    },
    /// A consistency proof's old size is not in `1..=new`.
    #[error("old size {old} must be between 1 and the new size {new}")]
    OldSize {
        /// The old size asked for.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// No proof exists for these positions (RFC 9162 §2.1).
    #[error(transparent)]
    Proof(#[from] crate::tlog::proof::ProofError),
    /// No evidence item with this id was taken in.
    #[error("no evidence item {item:?} was taken in")]
    Item {
        /// The id asked for.
        item: String,
    },
    /// An evidence file is not in the blob store (taken in without a copy).
    #[error("evidence file {blake3} is not in the blob store ({reason})")]
    EvidenceFile {
        /// Its BLAKE3 digest.
        blake3: crate::format::hash::Hash,
        /// What reading it said.
        reason: String,
    },
}
