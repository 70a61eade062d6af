//! The access log of a served case (SPEC §18): every member read through
//! `caselog serve` recorded with the reader's own RFC 9421 request
//! signature, in a log beside the ledger with its own Merkle tree and
//! signed checkpoints, so who read what can be shown and cannot be quietly
//! edited, without adding entries to the case ledger.
//!
//! Owns: the record ([`record`]), the append-only file and its checkpoints
//! ([`store`]), and the offline check of both ([`check`]).

pub mod check;
pub mod record;
pub mod store;
