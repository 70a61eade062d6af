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
//! 7. `export`: timelines, CASE/UCO, the court exhibit;
//! 8. `net`: the ledger over HTTP (server, signed requests, client, mirror).
//!
//! # Example
//!
//! Create a ledger, record an event, sign a checkpoint, then verify the
//! store from its files alone (`examples/embed.rs` is the same program):
//!
//! ```
//! use caselog::{Body, Domain, Edtf, Genesis, HashAlg, Ledger, Signer, Store, Timestamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let tmp = std::env::temp_dir().join(format!("caselog-doc-{}", std::process::id()));
//! # let dir = tmp.join("case");
//! let authority = Signer::random("Sgt. A. Example"); // or caselog::load_key(path, passphrase)
//! let genesis = Genesis {
//!     case_id: "EXT-2008-001",
//!     title: "Extortion letter",
//!     hash: HashAlg::Sha256,
//!     time: Timestamp::now(),
//!     ledger_id: None,
//!     checkpoint_every: None,
//!     zone: None,
//! };
//! let mut ledger = Ledger::init(&dir, genesis, &authority)?;
//! let event = caselog::kinds::Event {
//!     title: "Letter received".into(),
//!     description: None,
//!     occurred: Edtf::parse("2008-10")?,
//!     zone: None,
//!     location: None,
//!     sources: Vec::new(),
//!     tags: Vec::new(),
//!     refs: Vec::new(),
//! };
//! let (seq, _leaf) = ledger.append(Body::Domain(Domain::Event(event)), &authority)?;
//! let checkpoint = ledger.checkpoint(&authority)?;
//! drop(ledger);
//! let report = caselog::verify_store(&Store::open(&dir)?)?;
//! assert!(report.is_ok() && report.entries == seq.0 + 1);
//! # let _ = checkpoint;
//! # std::fs::remove_dir_all(&tmp)?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

// The layers are public so that the `caselog` binary, the tests and the
// fuzz targets can reach every part; they are not a stable API and are
// hidden from the documentation. The API is the list below.
#[doc(hidden)]
pub mod audit;
#[doc(hidden)]
pub mod export;
#[doc(hidden)]
pub mod format;
#[doc(hidden)]
pub mod ledger;
#[doc(hidden)]
#[cfg(feature = "net")]
pub mod net;
#[doc(hidden)]
pub mod rules;
#[doc(hidden)]
pub mod storage;
#[doc(hidden)]
pub mod tlog;

// Writing: a ledger, its entries, the key that signs them.
pub use format::entry::{Body, Entry, Record};
pub use format::hash::{Hash, HashAlg};
pub use format::ids::{LedgerId, MemberKey, Role, Seq, Timestamp};
pub use format::kind::Kind;
pub use format::sig::Signer;
pub use ledger::{Damage, Genesis, Ledger, LedgerError, Missing};

// Investigation entries (SPEC §13) and private fields (SPEC §15).
pub use format::disclosure::Disclosure;
pub use format::edtf::Edtf;
pub use format::entry::Note as NoteBody;
pub use format::kinds;
pub use format::kinds::Domain;

// Key files (OpenSSH Ed25519, passphrase-encrypted; SPEC §3).
pub use storage::keys::{load_private as load_key, write_key_files, KeyError};

// Verifying: a store, a bundle, a proof file; the report and its codes.
pub use audit::bundle::{verify_reader as verify_bundle, Verdict as BundleVerdict};
pub use audit::{verify_store, verify_store_progress, verify_store_with, VerifyOptions};
pub use audit::{Code, Problem, Report};
// One item's custody, replayed as the verifiers replay it.
pub use audit::{item_custody, CustodyBreak, Holding, ItemCustody};
pub use storage::store::{Store, StoreError};
pub use tlog::prooffile::{verify_inclusion_file, ConsistencyProof, InclusionProof};

// Checkpoints and the Merkle tree.
pub use tlog::checkpoint::{Checkpoint, VerifiedCheckpoint};
pub use tlog::merkle::{TreeHead, TreeSize};
pub use tlog::note::{Note, VerifierKey};
