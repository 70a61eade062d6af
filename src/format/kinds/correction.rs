//! What changes how earlier entries read (SPEC §13.4, §15): `correction`,
//! `void` and `disclosure.erased`: the bodies, their CBOR maps and strict
//! readers.

use super::*;

/// `correction`: corrected fields of an earlier entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// Leaf hash of the corrected entry.
    pub target: Hash,
    /// Field name → corrected value (as text).
    pub set: BTreeMap<String, String>,
    /// Why.
    pub reason: String,
}

/// `void`: an earlier entry was entered in error (SPEC §13.4). Nothing is
/// removed: views show the entry struck through, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Void {
    /// Leaf hash of the entry entered in error.
    pub target: Hash,
    /// Why it was entered in error.
    pub reason: String,
}

impl Void {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes("target", &self.target.0)
            .text("reason", &self.reason)
            .build()
    }
}

pub(super) fn read_void(v: Value) -> Result<Domain, SchemaError> {
    let mut r = MapReader::new("void body", v)?;
    let target = Hash(r.fixed::<32>("target")?);
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::Void(Void { target, reason }))
}

/// `disclosure.erased`: a private field's value was deleted (court order,
/// retention); the digest stays in the original entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureErased {
    /// Leaf hash of the entry whose field was erased.
    pub target: Hash,
    /// Digest of the erased disclosure (in the target's `sd`).
    pub digest: Hash,
    /// Field path.
    pub path: String,
    /// Why.
    pub reason: String,
    /// Legal authority, e.g. a court order number.
    pub authority: Option<String>,
}

impl DisclosureErased {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes("target", &self.target.0)
            .bytes("digest", &self.digest.0)
            .text("path", &self.path)
            .text("reason", &self.reason)
            .opt_text("authority", self.authority.as_deref())
            .build()
    }
}

impl Correction {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes("target", &self.target.0)
            .put(
                "set",
                Value::Map(
                    self.set
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::Text(v.clone())))
                        .collect(),
                ),
            )
            .text("reason", &self.reason)
            .build()
    }
}

pub(super) fn read_correction(v: Value) -> Result<Domain, SchemaError> {
    let w = "correction body";
    let mut r = MapReader::new(w, v)?;
    let target = Hash(r.fixed::<32>("target")?);
    let set = match r.req("set")? {
        Value::Map(m) if !m.is_empty() && m.len() <= MAX_LIST => m
            .into_iter()
            .map(|(k, v)| match v {
                Value::Text(t) if !k.is_empty() && k.len() <= 64 && t.len() <= MAX_NOTE_LEN => {
                    Ok((k, t))
                }
                _ => Err(invalid(
                    "correction body.set",
                    "field names (1-64 bytes) map to text values",
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "correction body.set",
                "must be a non-empty map of field → text",
            ))
        }
    };
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::Correction(Correction {
        target,
        set,
        reason,
    }))
}

pub(super) fn read_erased(v: Value) -> Result<Domain, SchemaError> {
    let mut r = MapReader::new("disclosure.erased body", v)?;
    let target = Hash(r.fixed::<32>("target")?);
    let digest = Hash(r.fixed::<32>("digest")?);
    let path = r.text("path")?;
    if !crate::format::disclosure::valid_path(&path) {
        return Err(invalid(
            "disclosure.erased body.path",
            "must be 1-128 printable characters",
        ));
    }
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    let authority = r.opt_text("authority", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::DisclosureErased(DisclosureErased {
        target,
        digest,
        path,
        reason,
        authority,
    }))
}
