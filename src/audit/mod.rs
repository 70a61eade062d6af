//! Layer 6, audit: verification of a ledger store or of a bundle.
//!
//! One engine (`engine::ChainVerifier`) judges records; two sources feed
//! it: a store (`store`, which then checks every cache) and a bundle
//! (`bundle`, streamed). Both return the same [`Report`] with the stable
//! [`Code`]s of SPEC §9 (`report`). Reads through the ledger layer; never
//! writes a ledger.

pub mod bundle;
pub mod engine;
pub mod findings;
pub mod item;
pub mod report;
pub mod store;
mod timestamps;
pub mod validation;
mod validation_vectors;

pub use engine::{prepare, ChainVerifier, External, Prepared, VerifyOptions, Watched};
pub use item::{item_custody, CustodyBreak, Holding, ItemCustody};
pub use report::{
    Code, CopyCheck, Finding, FindingCode, Problem, Report, Scope, TimestampFact, MAX_PROBLEMS,
};
pub use store::{claimed_size, verify_store, verify_store_progress, verify_store_with};
