//! `event` (SPEC §13): something that happened, with its uncertain
//! date and graded sources: the body, its CBOR map and its strict reader.

use super::*;

/// A source of information with its Admiralty grade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Who or what, e.g. "company press release".
    pub name: String,
    /// Admiralty grade, e.g. `B2`.
    pub grade: String,
    /// Reference (URL, document number).
    pub reference: Option<String>,
    /// Digest of the source document, if kept.
    pub digest: Option<Hash>,
}

impl Source {
    fn to_value(&self) -> Value {
        let mut m = MapBuilder::new()
            .text("name", &self.name)
            .text("grade", &self.grade)
            .opt_text("ref", self.reference.as_deref());
        if let Some(d) = &self.digest {
            m = m.bytes("digest", &d.0);
        }
        m.build()
    }
    fn from_value(v: Value) -> Result<Source, SchemaError> {
        let mut r = MapReader::new("source", v)?;
        let name = r.text_nonempty("name", MAX_SHORT_TEXT)?;
        let grade = r.text("grade")?;
        if !valid_grade(&grade) {
            return Err(invalid(
                "source.grade",
                format!("{grade:?} is not an Admiralty grade A-F + 1-6 such as B2"),
            ));
        }
        let reference = r.opt_text("ref", MAX_SHORT_TEXT)?;
        let digest = r.opt_fixed::<32>("digest")?.map(Hash);
        r.finish()?;
        Ok(Source {
            name,
            grade,
            reference,
            digest,
        })
    }
}

/// `event`: something that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// When it happened (EDTF).
    pub occurred: Edtf,
    /// The IANA time zone the date is local to, as given (SPEC §13.1).
    pub zone: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// Graded sources.
    pub sources: Vec<Source>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Related entries, by leaf hash.
    pub refs: Vec<Hash>,
}

impl Event {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("title", &self.title)
            .opt_text("description", self.description.as_deref())
            .text("occurred", self.occurred.as_str())
            .opt_text("zone", self.zone.as_deref())
            .opt_text("location", self.location.as_deref())
            .opt_array(
                "sources",
                self.sources.iter().map(Source::to_value).collect(),
            )
            .opt_array(
                "tags",
                self.tags.iter().map(|t| Value::Text(t.clone())).collect(),
            )
            .opt_array(
                "refs",
                self.refs
                    .iter()
                    .map(|h| Value::Bytes(h.0.to_vec()))
                    .collect(),
            )
            .build()
    }
}

pub(super) fn read_event(v: Value) -> Result<Domain, SchemaError> {
    let w = "event body";
    let mut r = MapReader::new(w, v)?;
    let title = r.text_nonempty("title", MAX_SHORT_TEXT)?;
    let description = r.opt_text("description", MAX_NOTE_LEN)?;
    let occurred = edtf(&mut r, "occurred", w)?;
    let zone = zone(&mut r, w)?;
    let location = r.opt_text("location", MAX_SHORT_TEXT)?;
    let sources = r
        .opt_array("sources", MAX_LIST)?
        .into_iter()
        .map(Source::from_value)
        .collect::<Result<_, _>>()?;
    let tags = r
        .opt_array("tags", MAX_LIST)?
        .into_iter()
        .map(|t| match t {
            Value::Text(s) if !s.trim().is_empty() && s.len() <= 255 => Ok(s),
            _ => Err(invalid(
                "event body.tags",
                "tags are non-empty text of at most 255 bytes",
            )),
        })
        .collect::<Result<_, _>>()?;
    let refs = hashes(r.opt_array("refs", MAX_LIST)?, "event body.refs")?;
    r.finish()?;
    Ok(Domain::Event(Event {
        title,
        description,
        occurred,
        zone,
        location,
        sources,
        tags,
        refs,
    }))
}
