//! How an item was handled (SPEC §13.6): seal numbers broken and applied,
//! and the evidence-room kinds `custody.store` (check-in) and
//! `custody.retrieve` (check-out).
//!
//! Owns: the [`Seals`] of a handling (two optional text arrays carried by
//! `custody.release`, `custody.receive`, `custody.store` and
//! `custody.retrieve`) and the two storage bodies with their strict
//! reading. Which seals may be broken or applied, and when an item may be
//! stored or retrieved, is the custody state machine's (`rules::custody`).

use crate::format::cbor::{MapBuilder, MapReader, SchemaError, Value};
use crate::format::limits::MAX_SHORT_TEXT;

/// Most seal numbers in one list.
pub const MAX_SEALS: usize = 64;

/// Seal numbers broken and applied at one handling. A seal number is
/// non-empty text; no number appears twice, nor in both lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seals {
    /// Seals found on the item and broken (`seals_broken`).
    pub broken: Vec<String>,
    /// New seals applied (`seals_applied`).
    pub applied: Vec<String>,
}

impl Seals {
    /// Whether the handling touched no seal.
    pub fn is_empty(&self) -> bool {
        self.broken.is_empty() && self.applied.is_empty()
    }

    /// Add `seals_broken` and `seals_applied` to a body map (omitted when
    /// empty: one encoding only).
    pub fn put(&self, m: MapBuilder) -> MapBuilder {
        let list = |v: &[String]| v.iter().map(|s| Value::Text(s.clone())).collect();
        m.opt_array("seals_broken", list(&self.broken))
            .opt_array("seals_applied", list(&self.applied))
    }

    /// Read both lists from a body map; `what` names the body in errors.
    pub fn read(r: &mut MapReader, what: &str) -> Result<Seals, SchemaError> {
        let s = Seals {
            broken: seal_list(r, "seals_broken", what)?,
            applied: seal_list(r, "seals_applied", what)?,
        };
        if let Some(both) = s.broken.iter().find(|b| s.applied.contains(b)) {
            return Err(invalid(
                what,
                "seals_applied",
                format!("seal {both:?} is both broken and applied (a seal is used once)"),
            ));
        }
        Ok(s)
    }

    /// One phrase for logs: `seal S-1 broken, seal S-2 applied`.
    pub fn describe(&self) -> Option<String> {
        let part = |v: &[String], how: &str| {
            (!v.is_empty()).then(|| {
                let s = if v.len() == 1 { "seal" } else { "seals" };
                format!("{s} {} {how}", v.join(", "))
            })
        };
        let parts: Vec<String> = [part(&self.broken, "broken"), part(&self.applied, "applied")]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn seal_list(r: &mut MapReader, key: &str, what: &str) -> Result<Vec<String>, SchemaError> {
    let mut out: Vec<String> = Vec::new();
    for v in r.opt_array(key, MAX_SEALS)? {
        match v {
            Value::Text(t) if !t.trim().is_empty() && t.len() <= MAX_SHORT_TEXT => {
                if out.contains(&t) {
                    return Err(invalid(what, key, format!("seal {t:?} is listed twice")));
                }
                out.push(t);
            }
            _ => {
                return Err(invalid(
                    what,
                    key,
                    format!("seal numbers are non-empty text of at most {MAX_SHORT_TEXT} bytes"),
                ))
            }
        }
    }
    Ok(out)
}

fn invalid(what: &str, key: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        what: format!("{what}.{key}"),
        reason: reason.into(),
    }
}

/// `custody.store`: the holder checks the item into an evidence room
/// (SPEC §13.6). The holder stays accountable for it until retrieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyStore {
    /// Item id.
    pub item: String,
    /// Where: room, shelf, locker (`location`).
    pub location: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// Condition at check-in.
    pub condition: Option<String>,
    /// Seals broken and applied at check-in.
    pub seals: Seals,
}

/// `custody.retrieve`: the holder checks the item out of storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyRetrieve {
    /// Item id.
    pub item: String,
    /// Why (examination, court, transfer).
    pub reason: String,
    /// Condition at check-out.
    pub condition: Option<String>,
    /// Seals broken and applied at check-out.
    pub seals: Seals,
}

impl CustodyStore {
    /// The body as a CBOR map (SPEC §13.6, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let m = MapBuilder::new()
            .text("item", &self.item)
            .text("location", &self.location)
            .opt_text("reason", self.reason.as_deref())
            .opt_text("condition", self.condition.as_deref());
        self.seals.put(m).build()
    }

    /// Strict reading; `item` reads and checks the item id.
    pub fn from_value(
        v: Value,
        item: impl Fn(&mut MapReader, &str) -> Result<String, SchemaError>,
    ) -> Result<CustodyStore, SchemaError> {
        let w = "custody.store body";
        let mut r = MapReader::new(w, v)?;
        let b = CustodyStore {
            item: item(&mut r, w)?,
            location: r.text_nonempty("location", MAX_SHORT_TEXT)?,
            reason: r.opt_text("reason", MAX_SHORT_TEXT)?,
            condition: r.opt_text("condition", MAX_SHORT_TEXT)?,
            seals: Seals::read(&mut r, w)?,
        };
        r.finish()?;
        Ok(b)
    }
}

impl CustodyRetrieve {
    /// The body as a CBOR map (SPEC §13.6, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let m = MapBuilder::new()
            .text("item", &self.item)
            .text("reason", &self.reason)
            .opt_text("condition", self.condition.as_deref());
        self.seals.put(m).build()
    }

    /// Strict reading; `item` reads and checks the item id.
    pub fn from_value(
        v: Value,
        item: impl Fn(&mut MapReader, &str) -> Result<String, SchemaError>,
    ) -> Result<CustodyRetrieve, SchemaError> {
        let w = "custody.retrieve body";
        let mut r = MapReader::new(w, v)?;
        let b = CustodyRetrieve {
            item: item(&mut r, w)?,
            reason: r.text_nonempty("reason", MAX_SHORT_TEXT)?,
            condition: r.opt_text("condition", MAX_SHORT_TEXT)?,
            seals: Seals::read(&mut r, w)?,
        };
        r.finish()?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(m: MapBuilder) -> Result<Seals, SchemaError> {
        let mut r = MapReader::new("b", m.build()).unwrap();
        let s = Seals::read(&mut r, "b")?;
        r.finish().unwrap();
        Ok(s)
    }

    #[test]
    fn seals_round_trip_and_each_is_used_once() {
        let s = Seals {
            broken: vec!["S-1".into()],
            applied: vec!["S-2".into(), "S-3".into()],
        };
        assert_eq!(read(s.put(MapBuilder::new())).unwrap(), s);
        assert_eq!(
            s.describe().unwrap(),
            "seal S-1 broken, seals S-2, S-3 applied"
        );
        assert!(Seals::default().put(MapBuilder::new()).build() == MapBuilder::new().build());
        let both = Seals {
            broken: vec!["S-1".into()],
            applied: vec!["S-1".into()],
        };
        assert!(read(both.put(MapBuilder::new())).is_err());
        let twice = Seals {
            broken: vec![],
            applied: vec!["S-2".into(), "S-2".into()],
        };
        assert!(read(twice.put(MapBuilder::new())).is_err());
        let blank = Seals {
            broken: vec![" ".into()],
            applied: vec![],
        };
        assert!(read(blank.put(MapBuilder::new())).is_err());
    }
}
