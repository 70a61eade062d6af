//! The case timeline: dated entries (events, notifications, actions,
//! evidence intakes) ordered by when they happened, with corrections
//! applied and flagged, and the recorded time beside each.
//!
//! Owns: applying `correction` entries to the bodies they target (the
//! corrected fields replace the originals for display; both are kept), and
//! sorting and filtering by the interval each EDTF value covers.

use std::collections::BTreeMap;

use crate::format::cbor::Value;
use crate::format::edtf::Edtf;
use crate::format::entry::{Body, Entry, MemberKey, Seq, Timestamp};
use crate::format::hash::Hash;
use crate::format::kind::Kind;
use crate::format::kinds::Domain;

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

/// A void of a row's entry (SPEC §13.4): it was entered in error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voided {
    /// Seq of the void entry.
    pub seq: Seq,
    /// Who recorded the void.
    pub by: MemberKey,
    /// Why.
    pub reason: String,
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
    pub kind: Kind,
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
    /// How a local date-time was read in its zone, when it was (SPEC
    /// §13.1; then `occurred`'s span is the instant, its text unchanged).
    pub zoned: Option<crate::export::zone::Zoned>,
    /// The case's zone (SPEC §13.1), when the entry has none of its own.
    pub case_zone: Option<String>,
    /// Voids of the entry, in ledger order: when any, it was entered in
    /// error and every view shows it struck through (SPEC §13.4).
    pub voided: Vec<Voided>,
}

/// What to include.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only rows whose span reaches this second or later.
    pub from: Option<i64>,
    /// Only rows whose span starts at this second or earlier.
    pub to: Option<i64>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<Kind>,
}

impl Filter {
    /// Whether `row` passes the date and kind filters.
    pub fn keeps(&self, row: &Row) -> bool {
        row.occurred.overlaps(self.from, self.to)
            && (self.kinds.is_empty() || self.kinds.contains(&row.kind))
    }
}

/// The row of a dated entry (before corrections); None for entries that
/// carry no date (membership, checkpoints, corrections themselves).
pub fn row_of(entry: &Entry, leaf: Hash) -> Option<Row> {
    let Body::Domain(d) = &entry.body else {
        return None;
    };
    if matches!(d, Domain::Correction(_)) {
        return None;
    }
    let occurred = d.occurred()?;
    Some(Row {
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
        zoned: None,
        case_zone: None,
        voided: Vec::new(),
    })
}

/// One correction entry: its seq, the fields it sets, and why.
type Pending = (Seq, BTreeMap<String, String>, String);

/// Every correction in a ledger, by the leaf hash it targets (ledger
/// order within a target). Memory grows with the number of corrections,
/// not with the ledger, so exports can stream rows past it.
#[derive(Default)]
pub struct Corrections(
    BTreeMap<Hash, Vec<Pending>>,
    BTreeMap<Hash, Vec<Voided>>,
    /// The case's time zone, from the genesis entry (SPEC §13.1).
    Option<String>,
);

impl Corrections {
    /// Offer one entry; keeps it if it is a correction or a void.
    pub fn offer(&mut self, entry: &Entry) {
        match &entry.body {
            Body::Domain(Domain::Correction(c)) => self.0.entry(c.target).or_default().push((
                entry.seq,
                c.set.clone(),
                c.reason.clone(),
            )),
            Body::LedgerOpen(o) => self.2 = o.zone.clone(),
            Body::Domain(Domain::Void(v)) => self.1.entry(v.target).or_default().push(Voided {
                seq: entry.seq,
                by: entry.author,
                reason: v.reason.clone(),
            }),
            _ => {}
        }
    }

    /// Apply (and record on the row) every correction that targets `row`.
    /// A correction whose result would be an invalid body is listed with
    /// `applied: false` and changes nothing. Then read a local date-time
    /// in its zone ([`crate::export::zone`]).
    pub fn apply(&self, row: &mut Row) {
        for (seq, set, reason) in self.0.get(&row.leaf).into_iter().flatten() {
            let Value::Map(m) = row.body.to_value() else {
                continue;
            };
            let mut fields = BTreeMap::new();
            for (k, v) in set {
                let old = match m.get(k) {
                    Some(Value::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                fields.insert(k.clone(), (old, v.clone()));
            }
            let corrected = row.body.corrected(set);
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
                seq: *seq,
                fields,
                reason: reason.clone(),
                applied,
            });
        }
        row.voided = self.1.get(&row.leaf).cloned().unwrap_or_default();
        // After corrections: a corrected date or zone is what is read
        // (SPEC §13.1, a derived view); without its own zone, the case's.
        row.case_zone = row.body.zone().is_none().then(|| self.2.clone()).flatten();
        let zone = row.body.zone().or(row.case_zone.as_deref());
        let (occurred, zoned) = crate::export::zone::resolve(&row.occurred, zone);
        row.occurred = occurred;
        row.zoned = zoned;
    }
}

/// Collects rows while entries stream past; [`Builder::finish`] applies
/// corrections, filters and sorts (the chronological exports need every
/// row before the first can be written).
#[derive(Default)]
pub struct Builder {
    rows: Vec<Row>,
    corrections: Corrections,
}

impl Builder {
    /// Start.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Offer one decoded entry with its leaf hash.
    pub fn push(&mut self, entry: &Entry, leaf: Hash) {
        self.corrections.offer(entry);
        self.rows.extend(row_of(entry, leaf));
    }

    /// Apply corrections, filter, sort by occurred (then recorded).
    pub fn finish(self, filter: &Filter) -> Vec<Row> {
        let mut rows = self.rows;
        for row in &mut rows {
            self.corrections.apply(row);
        }
        rows.retain(|r| filter.keeps(r));
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
