//! Named crash points for the crash harness (`tools/crash`, `tests/crash.rs`).
//!
//! Owns nothing but [`hit`]. Built only with the `failpoints` cargo feature
//! (off by default; `tools/test` and `tools/crash` turn it on), so a release
//! binary carries no such hook. With the feature on, a process whose
//! `CASELOG_FAILPOINT` environment variable equals a point's name aborts
//! there: like kill -9 it runs no destructors, flushes nothing and removes no
//! temporary file, so the harness sees exactly what a crash at that line
//! leaves on disk. `NAME@N` aborts at the point's N-th hit in the process
//! (`store.after_write@3`: after the third batch written).
//!
//! Points (where they sit is documented at each call):
//! `store.before_write`, `store.after_write`, `keys.mid_write`,
//! `export.mid_write`, `init.before_rename`, `erase.after_commit`,
//! `erase.after_flush`; and, raising a signal instead of aborting,
//! `import.sigint` and `import.sigterm`.

/// Abort the process if `CASELOG_FAILPOINT` names this point (or names
/// it with `@N` and this is its N-th hit).
pub fn hit(name: &str) {
    if triggered(name) {
        std::process::abort();
    }
}

/// Whether `CASELOG_FAILPOINT` names this point (with `@N`: whether this
/// is its N-th hit), for points that do something other than abort
/// (`import.sigint@N`: the import raises SIGINT after its N-th batch).
#[cfg(feature = "failpoints")]
pub fn triggered(name: &str) -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static HITS: AtomicU64 = AtomicU64::new(0);
    let Some(v) = std::env::var("CASELOG_FAILPOINT").ok() else {
        return false;
    };
    let (point, nth) = match v.split_once('@') {
        Some((p, n)) => (p, n.parse::<u64>().ok()),
        None => (v.as_str(), Some(1)),
    };
    point == name && Some(HITS.fetch_add(1, Ordering::SeqCst) + 1) == nth
}

/// Without the `failpoints` feature: never.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn triggered(_name: &str) -> bool {
    false
}
