//! Layer 4, tlog: the transparency-log parts (RFC 9162, C2SP).
//!
//! Owns the Merkle tree and its proofs, signed notes, checkpoints, the
//! proof files handed to outsiders, and the witness. It sits above storage
//! because the witness keeps its state in a file and loads key files.

pub mod checkpoint;
pub mod itemmap;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod prooffile;
pub mod tiles;
pub mod trust;
pub mod tsp;
pub mod witness;
