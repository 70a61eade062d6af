//! Legal holds (SPEC §13.9): which holds are in force, and what they
//! forbid. A hold placed on items forbids their disposal and return; a
//! hold on the whole case (no items named) forbids every disposal, return
//! and erasure of a private value. The custody state machine
//! (`rules::custody`) carries the holds and asks here; the writer and both
//! verifiers therefore refuse the same entries.

use std::collections::BTreeMap;

use crate::format::cbor::{self, MapBuilder, MapReader, Value};
use crate::format::entry::Seq;

/// One hold, as placed, and its release if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    /// The hold's id.
    pub hold: String,
    /// The seq of its `hold.place`.
    pub placed: Seq,
    /// The items it holds; empty: the whole case.
    pub items: Vec<String>,
    /// The seq of its `hold.release`, once released.
    pub released: Option<Seq>,
}

impl Hold {
    /// Whether it is in force and covers `item` (`None`: an erasure, which
    /// only a hold on the whole case forbids).
    pub fn covers(&self, item: Option<&str>) -> bool {
        self.released.is_none()
            && match item {
                Some(i) => self.items.is_empty() || self.items.iter().any(|x| x == i),
                None => self.items.is_empty(),
            }
    }

    /// CBOR for the `meta` cache row `hold/<id>` (SPEC §8).
    pub fn encode(&self) -> Vec<u8> {
        let mut m = MapBuilder::new().uint("placed", self.placed.0).put(
            "items",
            Value::Array(self.items.iter().map(|i| Value::Text(i.clone())).collect()),
        );
        if let Some(r) = self.released {
            m = m.uint("released", r.0);
        }
        cbor::encode(&m.build())
    }

    /// Parse the row stored for hold `hold`; `None` if it is not one this
    /// version writes.
    pub fn decode(hold: &str, b: &[u8]) -> Option<Hold> {
        let mut r = MapReader::new("hold", cbor::decode(b).ok()?).ok()?;
        let placed = Seq(r.uint("placed").ok()?);
        let items = cbor::text_array(r.req("items").ok()?)?;
        let released = r.opt_uint("released").ok()?.map(Seq);
        r.finish().ok()?;
        let h = Hold {
            hold: hold.to_owned(),
            placed,
            items,
            released,
        };
        (h.encode() == b).then_some(h)
    }
}

/// Every hold by id.
pub type Holds = BTreeMap<String, Hold>;

/// The first hold in force that covers `item` (`None`: an erasure).
pub fn holding<'a>(holds: &'a Holds, item: Option<&str>) -> Option<&'a Hold> {
    holds.values().find(|h| h.covers(item))
}
