//! Every integration test, in one binary: each file of `tests/` is a
//! module here (`cargo test --test suite forgery::` runs one file's,
//! `cargo test --test suite cli::init` one test), so RocksDB is linked
//! into one test executable instead of one per file. `common` holds the
//! helpers they share.

mod common;

mod agent;
mod bundle;
mod checkpoints;
mod cli;
mod codec_props;
mod concurrency;
mod crash;
mod custody;
mod edtf;
mod exports;
mod faults;
mod fixity;
mod forgery;
mod golden;
mod hostile;
mod import;
mod layers;
mod ledger_api;
mod mutation;
mod privacy;
mod readme;
mod serve;
mod setup;
mod spec_sync;
mod tamper;
mod timestamp;
mod tree;
mod vectors_external;
