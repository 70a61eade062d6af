//! caselog: a tamper-evident incident timeline and evidence ledger.
//!
//! An append-only, hash-chained, Ed25519-signed ledger of CBOR entries in
//! RocksDB, with an RFC 9162 Merkle tree over its records. The byte format
//! is specified in `schemas/SPEC.md`. This library never prints; the
//! `caselog` binary owns messages and exit codes.
#![forbid(unsafe_code)]

pub mod bundle;
pub mod case_uco;
pub mod cborstream;
pub mod checkpoint;
pub mod codec;
pub mod custody;
pub mod disclosure;
pub mod edtf;
pub mod entry;
pub mod evidence;
pub mod export;
pub mod failpoint;
pub mod hash;
pub mod keys;
pub mod kinds;
pub mod ledger;
pub mod merkle;
pub mod newfile;
pub mod note;
pub mod policy;
pub mod proof;
pub mod prooffile;
pub mod report;
pub mod sig;
pub mod store;
pub mod timeline;
pub mod verify;
pub mod witness;

pub use entry::{Body, Entry, LedgerId, MemberKey, Record, Role, Seq, Timestamp};
pub use hash::{Hash, HashAlg};
pub use ledger::{Genesis, Ledger, LedgerError};
pub use merkle::{TreeHead, TreeSize};
pub use verify::{verify_store, verify_store_with, Code, Report, VerifyOptions};
