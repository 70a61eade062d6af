//! Layer 8, net: the ledger over HTTP.
//!
//! Owns the wire API (`api`: paths, JSON bodies, error codes), request
//! signatures (`httpsig`, RFC 9421 with the member's own Ed25519 key), the
//! server (`server`: one sequencer per case, group commit, C2SP tiles), the
//! client that signs locally (`client`), and the mirror that follows a
//! served ledger into a local one (`mirror`). `caselog serve` holds no
//! private key: clients sign their records and requests.

pub mod access;
pub mod api;
pub mod client;
pub mod httpsig;
mod listen;
pub mod mirror;
pub mod publish;
pub mod server;
pub mod tsa;
pub mod witness;
