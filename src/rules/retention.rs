//! Retention categories (SPEC §13.12): each item's category and the
//! instant before which it may not be disposed of. The custody state
//! machine (`rules::custody`) carries them and asks here, so the writer
//! and both verifiers refuse the same disposals.

use std::collections::BTreeMap;

use crate::format::cbor::{self, MapBuilder, MapReader};
use crate::format::entry::Seq;

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// One item's retention, as last set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retention {
    /// The item.
    pub item: String,
    /// The category's name.
    pub category: String,
    /// The period in days.
    pub days: u64,
    /// The `retention.set` entry that set it.
    pub set: Seq,
    /// Its end: the entry's time plus the period, microseconds since the
    /// Unix epoch (SPEC §3; 0 for an end before 1970); a disposal whose
    /// time is before it is refused.
    pub until: u64,
}

/// Each item's retention by item id.
pub type Retentions = BTreeMap<String, Retention>;

impl Retention {
    /// The end of a period of `days` from `set_at` (microseconds).
    pub fn end(set_at: i64, days: u64) -> u64 {
        let end = set_at.saturating_add((days as i64).saturating_mul(DAY_MICROS));
        u64::try_from(end).unwrap_or(0)
    }

    /// Whether a disposal at `time` (microseconds) is within the period.
    pub fn forbids(&self, time: i64) -> bool {
        i128::from(time) < i128::from(self.until)
    }

    /// CBOR for the `meta` cache row `retention/<item>` (SPEC §8).
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode(
            &MapBuilder::new()
                .text("category", &self.category)
                .uint("days", self.days)
                .uint("set", self.set.0)
                .uint("until", self.until)
                .build(),
        )
    }

    /// Parse the row stored for `item`; `None` if it is not one this
    /// version writes.
    pub fn decode(item: &str, b: &[u8]) -> Option<Retention> {
        let mut r = MapReader::new("retention", cbor::decode(b).ok()?).ok()?;
        let category = r.text("category").ok()?;
        let days = r.uint("days").ok()?;
        let set = Seq(r.uint("set").ok()?);
        let until = r.uint("until").ok()?;
        r.finish().ok()?;
        let row = Retention {
            item: item.to_owned(),
            category,
            days,
            set,
            until,
        };
        (row.encode() == b).then_some(row)
    }
}
