//! Layer 3, storage: everything that touches the disk.
//!
//! Owns the layout of SPEC §8 (`layout`, every key in one place), the
//! RocksDB store (`store`), the evidence blob store (`evidence`),
//! passphrase-encrypted key files (`keys`), keys held by an SSH agent
//! (`agent`), the one atomic-file writer
//! (`newfile`) and the failpoints the crash tests use (`failpoint`).
//! It knows bytes and keys, not what an entry means.

pub mod agent;
pub mod evidence;
pub mod failpoint;
pub mod keys;
pub mod layout;
pub mod newfile;
pub mod store;
pub mod tree;
