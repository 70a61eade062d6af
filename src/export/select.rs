//! Which entries a reader asked for: the filters `log` and `timeline`
//! share (`--grep`, `--item`, `--author`, `--kind`, `--since/--until`,
//! `--seq`). A view of the ledger, not part of its format: nothing here
//! changes what is recorded or verified.
//!
//! Text search covers what is recorded in the clear (the one-line summary
//! with members named, the author's name, the kind and every text value
//! of the body); private fields (SPEC §15) are stored apart and never
//! searched. Dates select by overlap: an entry's EDTF date (the day, month
//! or interval it is about) when it has one, else the time it was recorded.

use crate::format::cbor::Value;
use crate::format::entry::{Body, Entry, MemberKey, Seq};
use crate::format::kind::Kind;
use crate::rules::policy::Members;

use super::timeline::Row;

/// The filters; an empty one keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Select {
    /// Text the entry must contain, compared case-insensitively.
    pub grep: Option<String>,
    /// The evidence item the entry must be about.
    pub item: Option<String>,
    /// The member who must have signed it.
    pub author: Option<MemberKey>,
    /// The kinds it may be (empty: any).
    pub kinds: Vec<Kind>,
    /// Its date must reach this second or later (Unix seconds).
    pub since: Option<i64>,
    /// Its date must start at this second or earlier.
    pub until: Option<i64>,
    /// Its seq must be in this inclusive range.
    pub seqs: Option<(u64, u64)>,
}

impl Select {
    /// Whether the entry at `seq` passes (members name people for `--grep`).
    pub fn keeps_entry(&self, seq: Seq, e: &Entry, members: &Members) -> bool {
        let item = match &e.body {
            Body::Domain(d) => d.item(),
            _ => None,
        };
        let span = match &e.body {
            Body::Domain(d) => d.occurred().map(|o| (o.earliest(), o.latest())),
            _ => None,
        };
        let t = e.time.micros().div_euclid(1_000_000);
        let (lo, hi) = span.unwrap_or((Some(t), Some(t)));
        self.cheap(seq, &e.author, e.body.kind(), item)
            && self.dates(lo, hi)
            && self.text(|| {
                let summary = e.body.summary_with(&|k| members.display(k));
                (summary, members.display(&e.author), body_texts(&e.body))
            })
    }

    /// Whether a timeline row passes (its date is what it is about).
    pub fn keeps_row(&self, r: &Row, members: &Members) -> bool {
        let (lo, hi) = (r.occurred.earliest(), r.occurred.latest());
        self.cheap(r.seq, &r.author, r.kind, r.body.item())
            && self.dates(lo, hi)
            && self.text(|| {
                let body = Body::Domain(r.body.clone());
                (
                    r.summary.clone(),
                    members.display(&r.author),
                    body_texts(&body),
                )
            })
    }

    /// The filters that need no text: seq, author, kind, item.
    fn cheap(&self, seq: Seq, author: &MemberKey, kind: Kind, item: Option<&str>) -> bool {
        self.seqs.is_none_or(|(a, b)| (a..=b).contains(&seq.0))
            && self.author.is_none_or(|k| k == *author)
            && (self.kinds.is_empty() || self.kinds.contains(&kind))
            && self.item.as_deref().is_none_or(|i| item == Some(i))
    }

    /// `[lo, hi]` (`None`: open) overlaps `[since, until]`.
    fn dates(&self, lo: Option<i64>, hi: Option<i64>) -> bool {
        let (lo, hi) = (lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX));
        self.since.is_none_or(|s| hi >= s) && self.until.is_none_or(|u| lo <= u)
    }

    /// `--grep` over (summary, author name, body texts), built only when
    /// a text is asked for.
    fn text(&self, parts: impl FnOnce() -> (String, String, Vec<String>)) -> bool {
        let Some(want) = &self.grep else {
            return true;
        };
        let want = want.to_lowercase();
        let (summary, author, texts) = parts();
        std::iter::once(&summary)
            .chain(std::iter::once(&author))
            .chain(texts.iter())
            .any(|s| s.to_lowercase().contains(&want))
    }
}

/// Every text value of a body's CBOR map (nested maps and arrays too).
fn body_texts(b: &Body) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Text(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Map(m) => m.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = vec![b.kind().name().to_owned()];
    walk(&b.to_value(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_select_by_overlap_and_open_ends_reach_everything() {
        let s = Select {
            since: Some(100),
            until: Some(200),
            ..Select::default()
        };
        assert!(s.dates(Some(50), Some(100)), "touches the start");
        assert!(s.dates(Some(200), Some(300)), "touches the end");
        assert!(!s.dates(Some(201), Some(300)));
        assert!(!s.dates(Some(0), Some(99)));
        assert!(s.dates(None, Some(150)), "an open start overlaps");
        assert!(s.dates(Some(150), None), "an open end overlaps");
    }

    #[test]
    fn the_cheap_filters_all_apply() {
        let a = MemberKey([1; 32]);
        let s = Select {
            seqs: Some((3, 5)),
            author: Some(a),
            kinds: vec![Kind::Event],
            item: None,
            ..Select::default()
        };
        assert!(s.cheap(Seq(4), &a, Kind::Event, None));
        assert!(!s.cheap(Seq(6), &a, Kind::Event, None));
        assert!(!s.cheap(Seq(4), &MemberKey([2; 32]), Kind::Event, None));
        assert!(!s.cheap(Seq(4), &a, Kind::Note, None));
        let s = Select {
            item: Some("EV-1".into()),
            ..Select::default()
        };
        assert!(s.cheap(Seq(0), &a, Kind::CustodyRelease, Some("EV-1")));
        assert!(!s.cheap(Seq(0), &a, Kind::CustodyRelease, Some("EV-10")));
        assert!(!s.cheap(Seq(0), &a, Kind::Note, None));
    }

    #[test]
    fn grep_is_case_insensitive_and_lazy() {
        let s = Select {
            grep: Some("fedex".into()),
            ..Select::default()
        };
        assert!(s.text(|| ("Shipped by FedEx 7712".into(), String::new(), vec![])));
        assert!(!s.text(|| ("Shipped by UPS".into(), "Det. Roe".into(), vec![])));
        assert!(Select::default().text(|| unreachable!("no --grep: nothing to build")));
    }
}
