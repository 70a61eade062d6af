//! Layer 1, format: bytes ⇄ values, no IO (SPEC §1-5, §13, §15).
//!
//! Owns the identifiers, hashes, the canonical CBOR subset, Ed25519 keys
//! and signatures, EDTF dates, the entry and its bodies, and selective
//! disclosures. Nothing here touches a file or a database; every decoder
//! accepts only the canonical encoding (decode, re-encode, compare).

pub mod cbor;
pub mod cbor_stream;
pub mod code;
pub mod disclosure;
pub mod edtf;
pub mod entry;
pub mod fixity;
pub mod handling;
pub mod hash;
pub mod ids;
pub mod kind;
pub mod kinds;
pub mod limits;
pub mod provenance;
pub mod sig;
pub mod tree;
