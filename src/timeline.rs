//! The case timeline: dated entries (events, notifications, actions,
//! evidence intakes) ordered by when they happened, with corrections
//! applied and flagged, and the recorded time beside each.
//!
//! Owns: applying `correction` entries to the bodies they target (the
//! corrected fields replace the originals for display; both are kept), and
//! sorting and filtering by the interval each EDTF value covers.

use std::collections::BTreeMap;

use crate::codec::Value;
use crate::edtf::Edtf;
use crate::entry::{Body, Entry, MemberKey, Seq, Timestamp};
use crate::hash::Hash;
use crate::kinds::Domain;

/// One correction applied to a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Seq of the correction entry.
    pub seq: Seq,
    /// Field → (original value, corrected value).
    pub fields: BTreeMap<String, (Option<String>, String)>,
    /// Why.
    pub reason: String,
    /// False when the corrected body would be invalid (then not applied).
    pub applied: bool,
}

/// One timeline row.
#[derive(Clone, Debug)]
pub struct Row {
    /// Seq of the dated entry.
    pub seq: Seq,
    /// Its leaf hash.
    pub leaf: Hash,
    /// When it was recorded.
    pub recorded: Timestamp,
    /// Who recorded it.
    pub author: MemberKey,
    /// Kind.
    pub kind: &'static str,
    /// When it happened (after corrections).
    pub occurred: Edtf,
    /// One-line description (after corrections).
    pub summary: String,
    /// The body after corrections.
    pub body: Domain,
    /// Corrections, in ledger order.
    pub corrections: Vec<Applied>,
    /// Digests of the entry's private fields (SPEC §15).
    pub sd: Vec<Hash>,
}

/// What to include.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only rows whose span reaches this second or later.
    pub from: Option<i64>,
    /// Only rows whose span starts at this second or earlier.
    pub to: Option<i64>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<String>,
}

/// Collects rows while entries stream past; [`Builder::finish`] applies
/// corrections, filters and sorts.
#[derive(Default)]
pub struct Builder {
    rows: Vec<Row>,
    by_leaf: BTreeMap<Hash, usize>,
    corrections: Vec<(Seq, Hash, BTreeMap<String, String>, String)>,
}

impl Builder {
    /// Start.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Offer one decoded entry with its leaf hash.
    pub fn push(&mut self, entry: &Entry, leaf: Hash) {
        let Body::Domain(d) = &entry.body else {
            return;
        };
        if let Domain::Correction(c) = d {
            self.corrections
                .push((entry.seq, c.target, c.set.clone(), c.reason.clone()));
            return;
        }
        let Some(occurred) = d.occurred() else {
            return;
        };
        self.by_leaf.insert(leaf, self.rows.len());
        self.rows.push(Row {
            seq: entry.seq,
            leaf,
            recorded: entry.time,
            author: entry.author,
            kind: d.kind(),
            occurred: occurred.clone(),
            summary: undated(d.summary()),
            body: d.clone(),
            corrections: Vec::new(),
            sd: entry.sd.clone(),
        });
    }

    /// Apply corrections, filter, sort by occurred (then recorded).
    pub fn finish(mut self, filter: &Filter) -> Vec<Row> {
        for (seq, target, set, reason) in std::mem::take(&mut self.corrections) {
            let Some(&i) = self.by_leaf.get(&target) else {
                continue;
            };
            let row = &mut self.rows[i];
            let Value::Map(mut m) = row.body.to_value() else {
                continue;
            };
            let mut fields = BTreeMap::new();
            for (k, v) in &set {
                let old = match m.get(k) {
                    Some(Value::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                fields.insert(k.clone(), (old, v.clone()));
                m.insert(k.clone(), Value::Text(v.clone()));
            }
            let corrected = Domain::from_value(row.kind, Value::Map(m)).and_then(Result::ok);
            let applied = corrected.is_some();
            if let Some(d) = corrected {
                row.occurred = d
                    .occurred()
                    .cloned()
                    .unwrap_or_else(|| row.occurred.clone());
                row.summary = undated(d.summary());
                row.body = d;
            }
            row.corrections.push(Applied {
                seq,
                fields,
                reason,
                applied,
            });
        }
        let mut rows: Vec<Row> = self
            .rows
            .into_iter()
            .filter(|r| r.occurred.overlaps(filter.from, filter.to))
            .filter(|r| filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == r.kind))
            .collect();
        rows.sort_by(|a, b| {
            a.occurred
                .sort_key()
                .cmp(&b.occurred.sort_key())
                .then(a.recorded.cmp(&b.recorded))
                .then(a.seq.cmp(&b.seq))
        });
        rows
    }
}

/// A summary without the leading `[date] ` (the timeline shows the date).
fn undated(s: String) -> String {
    match s.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((_, rest)) => rest.to_owned(),
        None => s,
    }
}
