//! caselog: a tamper-evident incident timeline and evidence ledger.
//!
//! An append-only, hash-chained, Ed25519-signed ledger of CBOR entries in
//! RocksDB, with an RFC 9162 Merkle tree over its records. The byte format
//! is specified in `schemas/SPEC.md`. This library never prints; the
//! `caselog` binary owns messages and exit codes.
//!
//! The crate is built in layers; a module imports only from its own layer
//! or lower ones (`tests/layers.rs` checks it):
//!
//! 1. `format`: bytes ⇄ values, no IO (ids, hashes, CBOR, entries, bodies);
//! 2. `rules`: membership, roles and custody, replayed by writer and verifiers;
//! 3. `storage`: RocksDB, evidence blobs, key files, atomic files;
//! 4. `tlog`: Merkle tree, proofs, signed notes, checkpoints, witness;
//! 5. `ledger`: the only writer, and the one reader of records;
//! 6. `audit`: verification of a store or a bundle;
//! 7. `export`: timelines, CASE/UCO, the court exhibit.
#![forbid(unsafe_code)]

pub mod audit;
pub mod export;
pub mod format;
pub mod ledger;
pub mod rules;
pub mod storage;
pub mod tlog;

pub use audit::{verify_store, verify_store_with, Code, Report, VerifyOptions};
pub use format::entry::{Body, Entry, Record};
pub use format::hash::{Hash, HashAlg};
pub use format::ids::{LedgerId, MemberKey, Role, Seq, Timestamp};
pub use format::kind::Kind;
pub use format::sig::Signer;
pub use ledger::{Genesis, Ledger, LedgerError};
pub use tlog::merkle::{TreeHead, TreeSize};
