//! Checking input too large to hold before writing any of it (`import`):
//! the ledger state after the items checked so far, carried from one piece
//! of the input to the next.
//!
//! Owns: [`Precheck`]. Each piece is checked as [`Ledger::check_batch`]
//! checks a batch (members and roles, custody, references, sizes, the
//! strict decoder), with the state the earlier pieces left, nothing signed
//! and nothing written.

use super::{Batch, Body, Disclosure, Ledger, LedgerError, Signer, Staged, Timestamp};

/// The state of a check in pieces; see [`Ledger::precheck_start`].
pub struct Precheck {
    st: Staged,
    time: Timestamp,
    done: usize,
}

impl Precheck {
    /// Items checked so far.
    pub fn checked(&self) -> usize {
        self.done
    }
}

impl Ledger {
    /// Start checking, in pieces, input that will be appended in order.
    pub fn precheck_start(&self) -> Precheck {
        Precheck {
            st: self.staged(),
            time: Timestamp::now().max(self.head.time),
            done: 0,
        }
    }

    /// Check the next piece. On refusal, returns the index of the bad item
    /// counted from the start of the whole input.
    pub fn precheck_more(
        &self,
        p: &mut Precheck,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
    ) -> Result<(), (usize, LedgerError)> {
        let n = items.len();
        let mut scratch = Batch::new();
        // References are to entries already written: those the input makes
        // are not known before it is signed.
        p.st.leaves.clear();
        self.sign_checked(items, p.time, &mut p.st, &mut scratch, true)
            .map_err(|(i, e)| (p.done + i, e))?;
        p.done += n;
        Ok(())
    }
}
