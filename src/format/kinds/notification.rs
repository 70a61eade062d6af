//! `notification` (SPEC §13): who told whom, how and when: the body, its
//! CBOR map and its strict reader.

use super::*;

/// Notification channels.
pub const CHANNELS: [&str; 6] = ["letter", "email", "phone", "press", "portal", "other"];

/// `notification`: who told whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Who notified.
    pub by: String,
    /// Whom (a description of the recipients).
    pub to: String,
    /// How many recipients.
    pub count: Option<u64>,
    /// One of [`CHANNELS`].
    pub channel: String,
    /// When sent (EDTF).
    pub sent: Edtf,
    /// The IANA time zone the date is local to, as given (SPEC §13.1).
    pub zone: Option<String>,
    /// Subject line.
    pub subject: Option<String>,
    /// Digest of the template or letter.
    pub digest: Option<Hash>,
}

impl Notification {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let mut m = MapBuilder::new()
            .text("by", &self.by)
            .text("to", &self.to)
            .text("channel", &self.channel)
            .text("sent", self.sent.as_str())
            .opt_text("zone", self.zone.as_deref())
            .opt_text("subject", self.subject.as_deref());
        if let Some(c) = self.count {
            m = m.uint("count", c);
        }
        if let Some(d) = &self.digest {
            m = m.bytes("digest", &d.0);
        }
        m.build()
    }
}

pub(super) fn read_notification(v: Value) -> Result<Domain, SchemaError> {
    let w = "notification body";
    let mut r = MapReader::new(w, v)?;
    let by = r.text_nonempty("by", MAX_SHORT_TEXT)?;
    let to = r.text_nonempty("to", MAX_SHORT_TEXT)?;
    let count = r.opt_uint("count")?;
    let channel = r.text("channel")?;
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(invalid(
            "notification body.channel",
            format!("{channel:?} is not one of {}", CHANNELS.join(", ")),
        ));
    }
    let sent = edtf(&mut r, "sent", w)?;
    let zone = zone(&mut r, w)?;
    let subject = r.opt_text("subject", MAX_SHORT_TEXT)?;
    let digest = r.opt_fixed::<32>("digest")?.map(Hash);
    r.finish()?;
    Ok(Domain::Notification(Notification {
        by,
        to,
        count,
        channel,
        sent,
        zone,
        subject,
        digest,
    }))
}
