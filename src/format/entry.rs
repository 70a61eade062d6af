//! Entries and records: what one ledger position holds.
//!
//! Owns: the entry map of format v1 (`schemas/SPEC.md` §3), the kinds and
//! their bodies, the record `[entry, signature]`, the signing message, and
//! strict decoding of all of them. Knows nothing about storage or about
//! which member may append what (that is `policy`).

use thiserror::Error;

use crate::format::cbor::{self, DecodeError, MapBuilder, MapReader, SchemaError, Value};
use crate::format::hash::{Hash, HashAlg};
use crate::format::kind::Kind;
use crate::format::kinds::Domain;
use crate::format::sig::{self, SigError};

/// Format version written in every entry (`v`).
pub const FORMAT_VERSION: u64 = 1;
/// Signing context, SPEC §4: the signature is over `CONTEXT || 0x00 || entry`.
pub const SIGNING_CONTEXT: &[u8] = b"caselog-entry-v1";
pub use crate::format::ids::{LedgerId, MemberKey, Role, Seq, Timestamp};
pub use crate::format::limits::{MAX_NOTE_LEN, MAX_SHORT_TEXT};

/// Body of `ledger.open`, the genesis entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerOpen {
    /// Case identifier, e.g. `EXT-2008-001`.
    pub case_id: String,
    /// Human title of the case.
    pub title: String,
    /// The ledger hash, fixed for the ledger's life.
    pub hash: HashAlg,
    /// Display name of the authority.
    pub authority_name: String,
    /// The authority's key; it signs the genesis entry.
    pub authority_key: MemberKey,
    /// The case's IANA time zone (SPEC §13.1): the zone a date-time
    /// entered without one is read in by the derived views.
    pub zone: Option<String>,
}

/// Body of `member.enroll`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberEnroll {
    /// Display name, e.g. `Det. Roe`.
    pub name: String,
    /// Role granted.
    pub role: Role,
    /// The member's signing key.
    pub key: MemberKey,
    /// Title, organisation and contact, when given (SPEC §6).
    pub profile: Profile,
}

/// Who a member is beyond their name (NIST SP 800-61 §3.2.2: name, title,
/// organisation, contact); each optional, a short text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Title or rank, e.g. `Detective`.
    pub title: Option<String>,
    /// Organisation, e.g. `Palo Alto Police Department`.
    pub organization: Option<String>,
    /// How to reach them (telephone, e-mail).
    pub contact: Option<String>,
}

impl Profile {
    /// `Detective, Palo Alto Police Department`, or `None` when neither is given.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.title, &self.organization]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Add the given keys to a map.
    pub fn put(&self, m: MapBuilder) -> MapBuilder {
        m.opt_text("title", self.title.as_deref())
            .opt_text("organization", self.organization.as_deref())
            .opt_text("contact", self.contact.as_deref())
    }

    /// Read the optional keys from a map.
    pub fn read(r: &mut MapReader) -> Result<Profile, SchemaError> {
        Ok(Profile {
            title: r.opt_text("title", MAX_SHORT_TEXT)?,
            organization: r.opt_text("organization", MAX_SHORT_TEXT)?,
            contact: r.opt_text("contact", MAX_SHORT_TEXT)?,
        })
    }
}

/// Body of `member.revoke`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRevoke {
    /// The key revoked from this entry on.
    pub key: MemberKey,
    /// Why.
    pub reason: String,
}

/// Body of `note`: free text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The text.
    pub text: String,
}

/// The kind-specific body of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// `ledger.open`
    LedgerOpen(LedgerOpen),
    /// `member.enroll`
    MemberEnroll(MemberEnroll),
    /// `member.revoke`
    MemberRevoke(MemberRevoke),
    /// `note`
    Note(Note),
    /// The investigation kinds (`kinds` module).
    Domain(Domain),
}

impl Body {
    /// The kind written in `kind`.
    pub fn kind(&self) -> Kind {
        match self {
            Body::LedgerOpen(_) => Kind::LedgerOpen,
            Body::MemberEnroll(_) => Kind::MemberEnroll,
            Body::MemberRevoke(_) => Kind::MemberRevoke,
            Body::Note(_) => Kind::Note,
            Body::Domain(d) => d.kind(),
        }
    }

    /// One line describing the body, for logs (members by key id).
    pub fn summary(&self) -> String {
        self.summary_with(&|k| format!("key {}", k.short()))
    }

    /// [`Body::summary`], naming members with `name`.
    pub fn summary_with(&self, name: &dyn Fn(&MemberKey) -> String) -> String {
        match self {
            Body::LedgerOpen(b) => format!(
                "opened case {} \"{}\" (hash {}, authority {})",
                b.case_id, b.title, b.hash, b.authority_name
            ),
            Body::MemberEnroll(b) => format!(
                "enrolled {}{} as {} (key {})",
                b.name,
                b.profile
                    .describe()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default(),
                b.role,
                b.key.short()
            ),
            Body::MemberRevoke(b) => format!("revoked {}: {}", name(&b.key), b.reason),
            Body::Note(b) => b.text.clone(),
            Body::Domain(d) => d.summary_with(name),
        }
    }

    /// The body as a CBOR map (what is written under `body`).
    pub fn to_value(&self) -> Value {
        match self {
            Body::LedgerOpen(b) => MapBuilder::new()
                .text("case", &b.case_id)
                .text("title", &b.title)
                .text("hash", b.hash.name())
                .text("authority_name", &b.authority_name)
                .bytes("authority_key", &b.authority_key.0)
                .opt_text("zone", b.zone.as_deref())
                .build(),
            Body::MemberEnroll(b) => b
                .profile
                .put(
                    MapBuilder::new()
                        .text("name", &b.name)
                        .text("role", b.role.name())
                        .bytes("key", &b.key.0),
                )
                .build(),
            Body::MemberRevoke(b) => MapBuilder::new()
                .bytes("key", &b.key.0)
                .text("reason", &b.reason)
                .build(),
            Body::Note(b) => MapBuilder::new().text("text", &b.text).build(),
            Body::Domain(d) => d.to_value(),
        }
    }

    /// Read a body of `kind` from its decoded map, enforcing its schema.
    pub fn from_value(kind: &str, v: Value) -> Result<Body, EntryError> {
        let kind = Kind::from_name(kind).ok_or_else(|| EntryError::UnknownKind(kind.to_owned()))?;
        let body = match kind {
            Kind::LedgerOpen => {
                let mut r = MapReader::new("ledger.open body", v)?;
                let case_id = r.text_nonempty("case", MAX_SHORT_TEXT)?;
                let title = r.text_nonempty("title", MAX_SHORT_TEXT)?;
                let hash_name = r.text("hash")?;
                let hash = HashAlg::from_name(&hash_name).ok_or_else(|| SchemaError::Invalid {
                    what: "ledger.open body.hash".into(),
                    reason: format!("unknown hash {hash_name:?} (expected blake3 or sha256)"),
                })?;
                let authority_name = r.text_nonempty("authority_name", MAX_SHORT_TEXT)?;
                let authority_key = MemberKey(r.fixed::<32>("authority_key")?);
                let zone = crate::format::kinds::zone(&mut r, "ledger.open body")?;
                r.finish()?;
                Body::LedgerOpen(LedgerOpen {
                    case_id,
                    title,
                    hash,
                    authority_name,
                    authority_key,
                    zone,
                })
            }
            Kind::MemberEnroll => {
                let mut r = MapReader::new("member.enroll body", v)?;
                let name = r.text_nonempty("name", MAX_SHORT_TEXT)?;
                let role_name = r.text("role")?;
                let role = Role::from_name(&role_name).ok_or_else(|| SchemaError::Invalid {
                    what: "member.enroll body.role".into(),
                    reason: format!("unknown role {role_name:?}"),
                })?;
                let key = MemberKey(r.fixed::<32>("key")?);
                let profile = Profile::read(&mut r)?;
                r.finish()?;
                Body::MemberEnroll(MemberEnroll {
                    name,
                    role,
                    key,
                    profile,
                })
            }
            Kind::MemberRevoke => {
                let mut r = MapReader::new("member.revoke body", v)?;
                let key = MemberKey(r.fixed::<32>("key")?);
                let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
                r.finish()?;
                Body::MemberRevoke(MemberRevoke { key, reason })
            }
            Kind::Note => {
                let mut r = MapReader::new("note body", v)?;
                let text = r.text_nonempty("text", MAX_NOTE_LEN)?;
                r.finish()?;
                Body::Note(Note { text })
            }
            other => Body::Domain(
                Domain::from_value(other, v).expect("entry: every other kind is a domain kind")?,
            ),
        };
        Ok(body)
    }
}

/// One ledger entry (the signed content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Ledger identity, the same in every entry.
    pub ledger: LedgerId,
    /// Position.
    pub seq: Seq,
    /// Leaf hash of record `seq - 1`; zero for genesis.
    pub prev: Hash,
    /// Recorded time.
    pub time: Timestamp,
    /// Signer's key.
    pub author: MemberKey,
    /// Kind-specific content.
    pub body: Body,
    /// Digests of selectively disclosed fields (empty: key absent).
    pub sd: Vec<Hash>,
    /// Leaf hash of the previous entry about the same evidence item (SPEC
    /// §13.7); only on an entry about an item, never on its intake.
    pub item_prev: Option<Hash>,
}

/// Why an entry or record was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryError {
    /// Bytes are not deterministic CBOR.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The map does not follow the entry or body schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The body does not follow the schema of its kind.
    #[error("body: {0}")]
    Body(SchemaError),
    /// `v` is not a version this code reads.
    #[error("format version {0} is not supported (this build reads version 1)")]
    Version(u64),
    /// `kind` is not in the registry.
    #[error("unknown entry kind {0:?}")]
    UnknownKind(String),
    /// The record is not `[bstr, bstr .size 64]`.
    #[error("record is not a two-element array [entry, signature(64 bytes)]")]
    RecordShape,
}

/// The SPEC §9 code of an undecodable record or entry.
impl From<&EntryError> for crate::format::code::Code {
    fn from(e: &EntryError) -> Self {
        use crate::format::code::Code;
        match e {
            _ if e.is_non_canonical() => Code::NonCanonical,
            EntryError::Decode(_) | EntryError::RecordShape => Code::Decode,
            EntryError::Schema(_) => Code::BadEntry,
            EntryError::Body(_) => Code::BadBody,
            EntryError::Version(_) => Code::BadVersion,
            EntryError::UnknownKind(_) => Code::UnknownKind,
        }
    }
}

impl EntryError {
    /// True when the bytes were well-formed CBOR written non-deterministically.
    pub fn is_non_canonical(&self) -> bool {
        matches!(self, EntryError::Decode(d) if d.is_non_canonical())
    }
}

impl Entry {
    /// Deterministic CBOR encoding of the entry map (SPEC §3), written
    /// field by field in the wire order SPEC §3 lists (encoded keys
    /// sorted, RFC 8949 §4.2.1): `v`, `sd`, `seq`, `body`, `kind`, `prev`,
    /// `time`, `author`, `ledger`, `item_prev`. Every append, signed or
    /// only checked, encodes its entry; building a value tree first cost
    /// half of import's check pass. A unit test holds it to the value's
    /// encoding ([`Entry::to_value`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let optional = usize::from(!self.sd.is_empty()) + usize::from(self.item_prev.is_some());
        cbor::push_map_head(&mut out, 8 + optional);
        cbor::push_text(&mut out, "v");
        cbor::push_uint(&mut out, FORMAT_VERSION);
        if !self.sd.is_empty() {
            cbor::push_text(&mut out, "sd");
            cbor::push_array_head(&mut out, self.sd.len());
            for h in &self.sd {
                cbor::push_bytes(&mut out, &h.0);
            }
        }
        cbor::push_text(&mut out, "seq");
        cbor::push_uint(&mut out, self.seq.0);
        cbor::push_text(&mut out, "body");
        cbor::encode_into(&self.body.to_value(), &mut out);
        cbor::push_text(&mut out, "kind");
        cbor::push_text(&mut out, self.body.kind().name());
        cbor::push_text(&mut out, "prev");
        cbor::push_bytes(&mut out, &self.prev.0);
        cbor::push_text(&mut out, "time");
        cbor::push_text(&mut out, &self.time.to_string());
        cbor::push_text(&mut out, "author");
        cbor::push_bytes(&mut out, &self.author.0);
        cbor::push_text(&mut out, "ledger");
        cbor::push_bytes(&mut out, &self.ledger.0);
        if let Some(p) = &self.item_prev {
            cbor::push_text(&mut out, "item_prev");
            cbor::push_bytes(&mut out, &p.0);
        }
        out
    }

    /// The entry map as a value (SPEC §3): what [`Entry::encode`] writes,
    /// built the general way, for tests and tools that hold the two equal.
    pub fn to_value(&self) -> Value {
        let mut m = MapBuilder::new()
            .uint("v", FORMAT_VERSION)
            .bytes("ledger", &self.ledger.0)
            .uint("seq", self.seq.0)
            .bytes("prev", &self.prev.0)
            .text("time", &self.time.to_string())
            .bytes("author", &self.author.0)
            .text("kind", self.body.kind().name())
            .put("body", self.body.to_value());
        if !self.sd.is_empty() {
            m = m.put(
                "sd",
                Value::Array(self.sd.iter().map(|h| Value::Bytes(h.0.to_vec())).collect()),
            );
        }
        if let Some(p) = &self.item_prev {
            m = m.bytes("item_prev", &p.0);
        }
        m.build()
    }

    /// Strictly decode an entry map.
    pub fn decode(bytes: &[u8]) -> Result<Entry, EntryError> {
        let v = cbor::decode(bytes)?;
        let mut r = MapReader::new("entry", v)?;
        let version = r.uint("v")?;
        if version != FORMAT_VERSION {
            return Err(EntryError::Version(version));
        }
        let ledger = LedgerId(r.fixed::<16>("ledger")?);
        let seq = Seq(r.uint("seq")?);
        let prev = Hash(r.fixed::<32>("prev")?);
        let time_s = r.text("time")?;
        let time = Timestamp::parse(&time_s).ok_or_else(|| SchemaError::Invalid {
            what: "entry.time".into(),
            reason: format!("{time_s:?} is not YYYY-MM-DDTHH:MM:SS.ffffffZ"),
        })?;
        let author = MemberKey(r.fixed::<32>("author")?);
        let kind = r.text("kind")?;
        let body_v = r.req("body")?;
        let sd = match r.opt("sd") {
            None => Vec::new(),
            Some(Value::Array(items)) if !items.is_empty() => items
                .into_iter()
                .map(|i| match i {
                    Value::Bytes(b) if b.len() == 32 => Ok(Hash::from_slice(&b).expect("32")),
                    _ => Err(SchemaError::Invalid {
                        what: "entry.sd".into(),
                        reason: "every item must be a 32-byte digest".into(),
                    }),
                })
                .collect::<Result<Vec<Hash>, _>>()?,
            Some(_) => {
                return Err(SchemaError::Invalid {
                    what: "entry.sd".into(),
                    reason: "must be a non-empty array when present".into(),
                }
                .into())
            }
        };
        // Each private field once (SPEC §3): a repeated digest would let one
        // disclosure stand for two fields.
        if (1..sd.len()).any(|i| sd[..i].contains(&sd[i])) {
            return Err(SchemaError::Invalid {
                what: "entry.sd".into(),
                reason: "lists the same digest twice".into(),
            }
            .into());
        }
        let item_prev = r.opt_fixed::<32>("item_prev")?.map(Hash);
        r.finish()?;
        let body = Body::from_value(&kind, body_v).map_err(|e| match e {
            EntryError::Schema(s) => EntryError::Body(s),
            other => other,
        })?;
        // SPEC §13.7: only an entry about an item links to the previous
        // one; an intake starts its item.
        let links = match &body {
            Body::Domain(d) => d.item().is_some() && d.kind() != Kind::EvidenceIntake,
            _ => false,
        };
        if item_prev.is_some() && !links {
            return Err(SchemaError::Invalid {
                what: "entry.item_prev".into(),
                reason: format!("a {kind} entry has no earlier entry about its item to link to"),
            }
            .into());
        }
        Ok(Entry {
            ledger,
            seq,
            prev,
            time,
            author,
            body,
            sd,
            item_prev,
        })
    }
}

/// The signing message: `"caselog-entry-v1" || 0x00 || entry` (SPEC §4).
pub fn signing_message(entry_bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNING_CONTEXT.len() + 1 + entry_bytes.len());
    m.extend_from_slice(SIGNING_CONTEXT);
    m.push(0);
    m.extend_from_slice(entry_bytes);
    m
}

/// What is stored and hashed: `[entry: bstr, signature: bstr .size 64]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Deterministic CBOR of the entry map, exactly as signed.
    pub entry_bytes: Vec<u8>,
    /// Ed25519 signature over [`signing_message`].
    pub sig: [u8; 64],
}

impl Record {
    /// Encode and sign `entry` with `signer` (fails only when a key held
    /// by an agent does not sign).
    pub fn sign(
        entry: &Entry,
        signer: &crate::format::sig::Signer,
    ) -> Result<Record, crate::format::sig::SignError> {
        let entry_bytes = entry.encode();
        let sig = signer.sign(&signing_message(&entry_bytes))?;
        Ok(Record { entry_bytes, sig })
    }

    /// Deterministic CBOR of the record array, written directly (building
    /// the value copied the entry once more per append; a unit test holds
    /// it to the value's encoding): array(2) || bstr(entry) || bstr(sig),
    /// RFC 8949 §4.2.1 shortest heads, SPEC §4.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entry_bytes.len() + 72);
        out.push(0x82);
        cbor::push_bytes(&mut out, &self.entry_bytes);
        cbor::push_bytes(&mut out, &self.sig);
        out
    }

    /// Strictly decode the record array (not the entry inside).
    pub fn decode(bytes: &[u8]) -> Result<Record, EntryError> {
        match cbor::decode(bytes)? {
            Value::Array(mut a) if a.len() == 2 => {
                let sig = a.pop().expect("len 2");
                let entry = a.pop().expect("len 2");
                match (entry, sig) {
                    (Value::Bytes(entry_bytes), Value::Bytes(s)) if s.len() == 64 => Ok(Record {
                        entry_bytes,
                        sig: s.try_into().expect("64"),
                    }),
                    _ => Err(EntryError::RecordShape),
                }
            }
            _ => Err(EntryError::RecordShape),
        }
    }

    /// Leaf hash of the encoded record.
    pub fn leaf_hash(&self, alg: HashAlg) -> Hash {
        alg.leaf(&self.encode())
    }

    /// Check the signature against `author` (strict).
    pub fn verify_signature(&self, author: &MemberKey) -> Result<(), SigError> {
        sig::verify(&author.0, &signing_message(&self.entry_bytes), &self.sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record written directly is the encoding of its value, at every
    /// byte-string head size the entry can take (RFC 8949 §4.2.1).
    #[test]
    fn record_encoding_is_the_values() {
        for len in [0, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000] {
            let r = Record {
                entry_bytes: (0..len).map(|i| i as u8).collect(),
                sig: [0xa5; 64],
            };
            let want = cbor::encode(&Value::Array(vec![
                Value::Bytes(r.entry_bytes.clone()),
                Value::Bytes(r.sig.to_vec()),
            ]));
            assert_eq!(r.encode(), want, "entry of {len} bytes");
            assert_eq!(Record::decode(&want).unwrap(), r);
        }
    }
}
