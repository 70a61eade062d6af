//! The exit codes, in one table (README "Exit codes"; `caselog --help`).

/// Success; verified.
pub(crate) const OK: u8 = 0;
/// Verification found problems, a proof does not hold, or a witness refused.
pub(crate) const FAILED: u8 = 1;
/// Usage or bad input; nothing was written.
pub(crate) const INPUT: u8 = 2;
/// Storage or IO error, or the ledger is locked by another writer.
pub(crate) const STORAGE: u8 = 3;
/// An import stopped by Ctrl-C or SIGTERM after the batch in flight was
/// made durable (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: u8 = 130;
