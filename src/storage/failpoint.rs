//! Named crash points for the crash harness (`tools/crash`, `tests/crash.rs`).
//!
//! Owns nothing but [`hit`]. Built only with the `failpoints` cargo feature
//! (off by default; `tools/test` and `tools/crash` turn it on), so a release
//! binary carries no such hook. With the feature on, a process whose
//! `CASELOG_FAILPOINT` environment variable equals a point's name aborts
//! there: like kill -9 it runs no destructors, flushes nothing and removes no
//! temporary file, so the harness sees exactly what a crash at that line
//! leaves on disk.
//!
//! Points (where they sit is documented at each call):
//! `store.before_write`, `store.after_write`, `keys.mid_write`,
//! `export.mid_write`, `init.before_rename`, `erase.after_commit`,
//! `erase.after_flush`.

/// Abort the process if `CASELOG_FAILPOINT` names this point.
#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    if std::env::var_os("CASELOG_FAILPOINT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

/// Without the `failpoints` feature: nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}
