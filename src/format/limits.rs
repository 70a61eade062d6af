//! Size limits on text fields (SPEC §3, §13): a leaf module.

/// Largest text a `note` may carry.
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Largest name, title, reason or identifier.
pub const MAX_SHORT_TEXT: usize = 1024;
