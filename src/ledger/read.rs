//! The one reader: stored record bytes → the record and its entry.
//!
//! Every reader of a ledger (exports, the court report, the CLI) turns a
//! record into an entry here, so a record that does not decode is always
//! the same error: [`Damage::RecordUnreadable`] at its seq. (Verification
//! does not use it: a verifier reports every broken record and goes on.)

use crate::format::entry::{Entry, Record, Seq};

use super::{Damage, Ledger, LedgerError};

/// Decode the record stored at `seq` and its entry.
pub fn decode(seq: Seq, raw: &[u8]) -> Result<(Record, Entry), LedgerError> {
    let unreadable = |reason: String| Damage::RecordUnreadable { seq: seq.0, reason };
    let record = Record::decode(raw).map_err(|e| unreadable(e.to_string()))?;
    let entry = Entry::decode(&record.entry_bytes).map_err(|e| unreadable(e.to_string()))?;
    Ok((record, entry))
}

impl Ledger {
    /// The record at `seq` and its entry; `None` past the head.
    pub fn read(&self, seq: Seq) -> Result<Option<(Record, Entry)>, LedgerError> {
        match self.record_bytes(seq)? {
            Some(raw) => decode(seq, &raw).map(Some),
            None => Ok(None),
        }
    }
}
