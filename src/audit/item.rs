//! One item's custody, replayed from its entries through the custody
//! state machine the verifiers use (`rules::custody`, SPEC §13.5–§13.7):
//! who held it and when, each entry about it, what `verify` would report
//! as a break and what the entries state (SPEC §9.3). `custody show`
//! renders it; an embedder can read it without the CLI.

use crate::format::entry::{Body, Entry, MemberKey, Seq};
use crate::format::kinds::Domain;
use crate::ledger::{decode, Ledger, LedgerError};
use crate::rules::custody::{Custody, CustodyError, ItemState};

use super::findings::findings_of;
use super::report::Finding;

/// One item's custody, as its entries record it.
#[derive(Debug)]
pub struct ItemCustody {
    /// Who held the item, in order: each from the seq that made them
    /// holder until the seq that made another (`None`: still).
    pub holders: Vec<Holding>,
    /// The item's entries, in ledger order (an entry that cannot be
    /// decoded is a break, not an entry).
    pub entries: Vec<(Seq, Entry)>,
    /// What `verify` would report about this item.
    pub breaks: Vec<CustodyBreak>,
    /// What the entries state for a court to see (SPEC §9.3).
    pub findings: Vec<Finding>,
    /// Where the item is after its last entry.
    pub now: Option<ItemState>,
}

/// One holder's time with the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// The holder's key.
    pub holder: MemberKey,
    /// The seq from which they held it.
    pub from: Seq,
    /// The seq at which someone else did; `None`: they still do.
    pub until: Option<Seq>,
}

/// A break in one item's custody (exhaustive: a caller that words breaks
/// must word every kind).
#[derive(Debug)]
pub enum CustodyBreak {
    /// The entry at `seq` cannot be decoded.
    Undecodable {
        /// Its seq.
        seq: Seq,
    },
    /// The entry at `seq` breaks a custody rule.
    Refused {
        /// Its seq.
        seq: Seq,
        /// The rule it breaks.
        error: CustodyError,
    },
}

/// Replay `item`'s entries; `None` when no entry names it.
pub fn item_custody(l: &Ledger, item: &str) -> Result<Option<ItemCustody>, LedgerError> {
    let records = l.item_records(item)?;
    if records.is_empty() {
        return Ok(None);
    }
    let mut c = Custody::new();
    seed_source(l, &records, &mut c);
    let mut out = ItemCustody {
        holders: Vec::new(),
        entries: Vec::new(),
        breaks: Vec::new(),
        findings: Vec::new(),
        now: None,
    };
    for (seq, raw) in &records {
        let Ok((_, e)) = decode(*seq, raw) else {
            out.breaks.push(CustodyBreak::Undecodable { seq: *seq });
            continue;
        };
        match c.check(&e, &l.id(), l.members()) {
            Err(error) => out.breaks.push(CustodyBreak::Refused { seq: *seq, error }),
            Ok(()) => {
                out.findings.extend(findings_of(seq.0, &e, l.members(), &c));
                c.apply(&e, &l.hash_alg().leaf(raw));
            }
        }
        if let Some(h) = c.get(item).map(|s| s.holder) {
            note_holder(&mut out.holders, h, *seq);
        }
        out.entries.push((*seq, e));
    }
    out.now = c.get(item).cloned();
    Ok(Some(out))
}

/// `h` holds the item as of `seq`: a new holding when it changed hands.
fn note_holder(holders: &mut Vec<Holding>, h: MemberKey, seq: Seq) {
    if holders.last().map(|x| x.holder) == Some(h) {
        return;
    }
    if let Some(last) = holders.last_mut() {
        last.until = Some(seq);
    }
    holders.push(Holding {
        holder: h,
        from: seq,
        until: None,
    });
}

/// An item derived from another (SPEC §13.8 lineage) starts from its
/// source's intake, as the full replay has it.
fn seed_source(l: &Ledger, records: &[(Seq, Vec<u8>)], c: &mut Custody) {
    let Some((seq, raw)) = records.first() else {
        return;
    };
    let Ok((_, e)) = decode(*seq, raw) else {
        return;
    };
    let Body::Domain(Domain::EvidenceIntake(i)) = &e.body else {
        return;
    };
    let Some(src) = i.lineage.as_ref().and_then(|g| g.derived_from.as_ref()) else {
        return;
    };
    let first = l.item_records(src).ok().and_then(|r| r.into_iter().next());
    if let Some((sseq, sraw)) = first.filter(|(sseq, _)| sseq < seq) {
        if let Ok((_, se)) = decode(sseq, &sraw) {
            c.apply(&se, &l.hash_alg().leaf(&sraw));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_change_only_when_the_holder_does() {
        let (a, b) = (MemberKey([1; 32]), MemberKey([2; 32]));
        let mut h = Vec::new();
        for (k, s) in [(a, 1), (a, 2), (b, 3), (b, 4), (a, 6)] {
            note_holder(&mut h, k, Seq(s));
        }
        let want = [(a, 1, Some(3)), (b, 3, Some(6)), (a, 6, None)].map(|(k, f, u)| Holding {
            holder: k,
            from: Seq(f),
            until: u.map(Seq),
        });
        assert_eq!(h, want);
    }
}
