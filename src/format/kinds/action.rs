//! `action` (SPEC §13): an investigative step: the body, its CBOR map
//! and its strict reader.

use super::*;

/// `action`: an investigative step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// What was done.
    pub title: String,
    /// By whom.
    pub by: String,
    /// When (EDTF).
    pub occurred: Edtf,
    /// The IANA time zone the date is local to, as given (SPEC §13.1).
    pub zone: Option<String>,
    /// Legal authority: warrant, subpoena or consent id.
    pub authority: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
}

impl Action {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("title", &self.title)
            .text("by", &self.by)
            .text("occurred", self.occurred.as_str())
            .opt_text("zone", self.zone.as_deref())
            .opt_text("authority", self.authority.as_deref())
            .opt_text("outcome", self.outcome.as_deref())
            .build()
    }
}

pub(super) fn read_action(v: Value) -> Result<Domain, SchemaError> {
    let w = "action body";
    let mut r = MapReader::new(w, v)?;
    let title = r.text_nonempty("title", MAX_SHORT_TEXT)?;
    let by = r.text_nonempty("by", MAX_SHORT_TEXT)?;
    let occurred = edtf(&mut r, "occurred", w)?;
    let zone = zone(&mut r, w)?;
    let authority = r.opt_text("authority", MAX_SHORT_TEXT)?;
    let outcome = r.opt_text("outcome", MAX_NOTE_LEN)?;
    r.finish()?;
    Ok(Domain::Action(Action {
        title,
        by,
        occurred,
        zone,
        authority,
        outcome,
    }))
}
