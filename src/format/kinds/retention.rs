//! Retention categories (SPEC §13.12): `retention.set` assigns items a
//! retention category with a period in days, counted from the entry; the
//! body, its CBOR map and strict reader. What it forbids is a rule of
//! `rules::custody` (with `rules::retention`).

use super::*;

/// The longest period accepted, in days (100 years).
pub const MAX_RETENTION_DAYS: u64 = 36_500;

/// `retention.set`: the items named are kept at least `days` days from
/// this entry under `category`; a later `retention.set` naming an item
/// replaces its category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionSet {
    /// The category's name (e.g. "Felony evidence, 10 years").
    pub category: String,
    /// The period, in days from this entry (1 to [`MAX_RETENTION_DAYS`]).
    pub days: u64,
    /// The items it applies to (1 to 256, each once).
    pub items: Vec<String>,
    /// The schedule or policy it follows.
    pub authority: String,
}

impl RetentionSet {
    /// The body as a CBOR map (SPEC §13.12, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("category", &self.category)
            .uint("days", self.days)
            .put(
                "items",
                Value::Array(self.items.iter().map(|i| Value::Text(i.clone())).collect()),
            )
            .text("authority", &self.authority)
            .build()
    }
}

pub(super) fn read_set(v: Value) -> Result<Domain, SchemaError> {
    let w = "retention.set body";
    let mut r = MapReader::new(w, v)?;
    let category = r.text_nonempty("category", MAX_SHORT_TEXT)?;
    let days = r.uint("days")?;
    if !(1..=MAX_RETENTION_DAYS).contains(&days) {
        return Err(invalid("retention.set body.days", "1 to 36500 days"));
    }
    let items = item_list(&mut r, "items", "retention.set body.items")?;
    let mut sorted = items.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "retention.set body.items",
            "an item is named twice",
        ));
    }
    let authority = r.text_nonempty("authority", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::RetentionSet(RetentionSet {
        category,
        days,
        items,
        authority,
    }))
}
