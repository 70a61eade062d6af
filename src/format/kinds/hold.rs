//! Legal holds (SPEC §13.9): `hold.place` and `hold.release`: the bodies,
//! their CBOR maps and strict readers. What a hold in force forbids is a
//! rule of `rules::custody`.

use super::*;

/// `hold.place`: from this entry on, the items named (or, naming none,
/// the whole case) may not be disposed of, returned or have a private
/// value erased, until a `hold.release` of the same hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldPlace {
    /// The hold's id, used once in a ledger (e.g. the order's number).
    pub hold: String,
    /// Why.
    pub reason: String,
    /// The legal authority (an order, a litigation-hold notice).
    pub authority: String,
    /// The items held; empty: the whole case.
    pub items: Vec<String>,
}

/// `hold.release`: the hold named no longer applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRelease {
    /// The hold's id, as placed.
    pub hold: String,
    /// Why (e.g. the case closed, the order lifted).
    pub reason: String,
}

impl HoldPlace {
    /// The body as a CBOR map (SPEC §13.9, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("hold", &self.hold)
            .text("reason", &self.reason)
            .text("authority", &self.authority)
            .opt_array(
                "items",
                self.items.iter().map(|i| Value::Text(i.clone())).collect(),
            )
            .build()
    }
}

impl HoldRelease {
    /// The body as a CBOR map (SPEC §13.9, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("hold", &self.hold)
            .text("reason", &self.reason)
            .build()
    }
}

pub(super) fn read_place(v: Value) -> Result<Domain, SchemaError> {
    let w = "hold.place body";
    let mut r = MapReader::new(w, v)?;
    let hold = r.text_nonempty("hold", MAX_SHORT_TEXT)?;
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    let authority = r.text_nonempty("authority", MAX_SHORT_TEXT)?;
    let mut items = Vec::new();
    for v in r.opt_array("items", MAX_LIST)? {
        match v {
            Value::Text(s) if valid_item_id(&s) => items.push(s),
            _ => return Err(invalid("hold.place body.items", "item ids like EV-0001")),
        }
    }
    let mut sorted = items.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("hold.place body.items", "an item is named twice"));
    }
    r.finish()?;
    Ok(Domain::HoldPlace(HoldPlace {
        hold,
        reason,
        authority,
        items,
    }))
}

pub(super) fn read_release(v: Value) -> Result<Domain, SchemaError> {
    let w = "hold.release body";
    let mut r = MapReader::new(w, v)?;
    let hold = r.text_nonempty("hold", MAX_SHORT_TEXT)?;
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::HoldRelease(HoldRelease { hold, reason }))
}
