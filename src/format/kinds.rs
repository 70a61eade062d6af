//! The investigation kinds (SPEC §13): events with uncertain dates and
//! graded sources, notifications, actions, evidence intake and fixity,
//! custody transfers, corrections.
//!
//! Owns: each kind's body struct, its CBOR map (keys in `schemas/entry.cddl`)
//! and strict reading of it. Cross-entry rules (custody, references) live in
//! `custody` and `verify`.

use std::collections::BTreeMap;

use crate::format::cbor::{MapBuilder, MapReader, SchemaError, Value};
use crate::format::edtf::Edtf;
pub use crate::format::fixity::FileFixity;
pub use crate::format::handling::{CustodyRetrieve, CustodyStore, Seals};
use crate::format::hash::Hash;
use crate::format::ids::{MemberKey, Timestamp};
use crate::format::kind::Kind;
use crate::format::limits::{MAX_NOTE_LEN, MAX_SHORT_TEXT};

/// Most sources, tags, references or files in one entry.
pub const MAX_LIST: usize = 256;

fn invalid(what: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        what: what.to_owned(),
        reason: reason.into(),
    }
}

pub use crate::format::ids::valid_item_id;

/// An Admiralty grade: source reliability `A`-`F` and information
/// credibility `1`-`6`, e.g. `B2`.
pub fn valid_grade(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 && (b'A'..=b'F').contains(&b[0]) && (b'1'..=b'6').contains(&b[1])
}

fn edtf(r: &mut MapReader, key: &str, what: &str) -> Result<Edtf, SchemaError> {
    let s = r.text(key)?;
    Edtf::parse(&s).map_err(|e| invalid(&format!("{what}.{key}"), e.to_string()))
}

/// The optional `zone` beside a body's date: an IANA time zone name (SPEC §13.1).
pub(crate) fn zone(r: &mut MapReader, what: &str) -> Result<Option<String>, SchemaError> {
    match r.opt_text("zone", 64)? {
        Some(z) if !crate::format::edtf::valid_zone(&z) => Err(invalid(
            &format!("{what}.zone"),
            format!("{z:?} is not an IANA time zone name like America/Los_Angeles"),
        )),
        z => Ok(z),
    }
}

/// `2008-10-09T14:05:00 America/Los_Angeles`: a date with its zone as given.
fn dated(d: &Edtf, zone: &Option<String>) -> String {
    match zone {
        Some(z) => format!("{d} {z}"),
        None => d.to_string(),
    }
}

fn item(r: &mut MapReader, what: &str) -> Result<String, SchemaError> {
    let s = r.text("item")?;
    if !valid_item_id(&s) {
        return Err(invalid(
            &format!("{what}.item"),
            format!("{s:?} is not an item id like EV-0001"),
        ));
    }
    Ok(s)
}

fn hashes(v: Vec<Value>, what: &str) -> Result<Vec<Hash>, SchemaError> {
    v.into_iter()
        .map(|x| match x {
            Value::Bytes(b) if b.len() == 32 => Ok(Hash::from_slice(&b).expect("32")),
            _ => Err(invalid(what, "items must be 32-byte hashes")),
        })
        .collect()
}

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

/// `evidence.intake`: an item taken into evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceIntake {
    /// Item id, unique in the ledger.
    pub item: String,
    /// What it is.
    pub description: String,
    /// Who collected it.
    pub collected_by: String,
    /// When collected (EDTF).
    pub collected: Edtf,
    /// The IANA time zone the date is local to, as given (SPEC §13.1).
    pub zone: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// Seal number.
    pub seal: Option<String>,
    /// Files with fixity digests.
    pub files: Vec<FileFixity>,
    /// The device it is or was read from (SPEC §13.5).
    pub device: Option<crate::format::provenance::Device>,
    /// Its place in the chain of copies (SPEC §13.5).
    pub lineage: Option<Box<crate::format::provenance::Lineage>>,
    /// A directory tree taken in as a whole (SPEC §13.8).
    pub tree: Option<Box<crate::format::tree::Tree>>,
}

/// `evidence.verify`: a later re-hash of one of an item's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceVerify {
    /// Item id.
    pub item: String,
    /// Digests measured now.
    pub file: FileFixity,
    /// `true` when they equal the intake's digests for that file name.
    pub matches: bool,
}

/// `evidence.dispose` or `evidence.return`: the item leaves custody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceClose {
    /// Item id.
    pub item: String,
    /// Destroyed how / returned to whom.
    pub detail: String,
    /// Why.
    pub reason: String,
}

/// Receipt signed offline by an external receiver (SPEC §13.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The receiver's key (an enrolled `external` member).
    pub key: MemberKey,
    /// When signed.
    pub time: Timestamp,
    /// Ed25519 signature over [`receipt_message`].
    pub sig: [u8; 64],
}

/// `custody.release`: the holder hands an item to a named receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyRelease {
    /// Item id.
    pub item: String,
    /// Receiver's member key.
    pub to: MemberKey,
    /// Why (the purpose of the transfer).
    pub reason: String,
    /// Where.
    pub location: Option<String>,
    /// Legal authority for it (warrant, subpoena, consent), when given.
    pub authority: Option<String>,
    /// How the item travels (courier, carrier and tracking number).
    pub transport: Option<String>,
    /// Seals broken and applied before handing over (SPEC §13.6).
    pub seals: Seals,
}

/// `custody.receive`: the receiver takes the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyReceive {
    /// Item id.
    pub item: String,
    /// Leaf hash of the release this answers.
    pub release: Hash,
    /// What the receiver stated of the item's seal: intact (`true`), not
    /// intact (`false`), or nothing (absent: allowed only for an item that
    /// carries no seal, SPEC §13.6).
    pub seal_intact: Option<bool>,
    /// Condition on receipt.
    pub condition: Option<String>,
    /// Present when the receiver refuses the item, with why (SPEC §13.2):
    /// the release is answered and the releaser keeps the item.
    pub rejected: Option<String>,
    /// Seals broken and applied on receipt (SPEC §13.6).
    pub seals: Seals,
    /// Present when an external receiver signed offline.
    pub receipt: Option<Receipt>,
}

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

fn read_void(v: Value) -> Result<Domain, SchemaError> {
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

/// Signing context of external receipts.
pub const RECEIPT_CONTEXT: &[u8] = b"caselog-receipt-v1";

/// The message an external receiver signs: `"caselog-receipt-v1" || 0x00 ||`
/// the deterministic CBOR map `{ledger, item, release, ? seal_intact,
/// ? condition, ? rejected, ? seals_broken, ? seals_applied, time, key}`
/// (SPEC §13.3).
pub fn receipt_message(
    ledger: &crate::format::ids::LedgerId,
    r: &CustodyReceive,
    key: &MemberKey,
    time: &Timestamp,
) -> Vec<u8> {
    let m = MapBuilder::new()
        .bytes("ledger", &ledger.0)
        .text("item", &r.item)
        .bytes("release", &r.release.0)
        .opt_bool("seal_intact", r.seal_intact)
        .opt_text("condition", r.condition.as_deref())
        .opt_text("rejected", r.rejected.as_deref());
    let m = r
        .seals
        .put(m)
        .text("time", &time.to_string())
        .bytes("key", &key.0)
        .build();
    let mut out = RECEIPT_CONTEXT.to_vec();
    out.push(0);
    out.extend_from_slice(&crate::format::cbor::encode(&m));
    out
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

/// One digest an intake records, as every export shows it (SPEC §13.5,
/// §13.8): a file, a tree's content listing, or a tree's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestRow {
    /// The name the intake gives it (a tree's listing: `NAME/`).
    pub name: String,
    /// Bytes (a listing: the total of the tree's files).
    pub size: u64,
    /// SHA-256.
    pub sha256: Hash,
    /// BLAKE3.
    pub blake3: Hash,
    /// What the digests are of.
    pub what: DigestOf,
}

/// What a [`DigestRow`]'s digests are of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestOf {
    /// A file, byte for byte.
    File,
    /// A tree's content listing (path, size and both digests of each of
    /// `files` files), not of any one file.
    Listing {
        /// The tree's files.
        files: u64,
    },
    /// A tree's manifest file (each file's path, size, digests, mtime).
    Manifest,
}

impl DigestOf {
    /// How a table describes the row.
    pub fn describe(&self) -> String {
        match self {
            DigestOf::File => "file".into(),
            DigestOf::Listing { files } => {
                format!("tree: the content listing of its {files} file(s) (path, size, BLAKE3, SHA-256 of each)")
            }
            DigestOf::Manifest => {
                "tree manifest: every file's path, size, digests and modification time".into()
            }
        }
    }
}

impl EvidenceIntake {
    /// Every digest the intake records: its files, then, for a tree, its
    /// content listing and its manifest.
    pub fn digest_rows(&self) -> Vec<DigestRow> {
        let row = |f: &FileFixity, what| DigestRow {
            name: f.name.clone(),
            size: f.size,
            sha256: f.sha256,
            blake3: f.blake3,
            what,
        };
        let mut rows: Vec<DigestRow> = self.files.iter().map(|f| row(f, DigestOf::File)).collect();
        if let Some(t) = &self.tree {
            rows.push(DigestRow {
                name: t.key(),
                size: t.bytes,
                sha256: t.sha256,
                blake3: t.blake3,
                what: DigestOf::Listing { files: t.files },
            });
            rows.push(row(&t.manifest, DigestOf::Manifest));
        }
        rows
    }

    /// Files taken in: the files given one by one plus a tree's files.
    pub fn file_count(&self) -> u64 {
        self.files.len() as u64 + self.tree.as_ref().map_or(0, |t| t.files)
    }

    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let m = MapBuilder::new()
            .text("item", &self.item)
            .text("description", &self.description)
            .text("collected_by", &self.collected_by)
            .text("collected", self.collected.as_str())
            .opt_text("zone", self.zone.as_deref())
            .opt_text("location", self.location.as_deref())
            .opt_text("seal", self.seal.as_deref())
            .opt_array(
                "files",
                self.files.iter().map(FileFixity::to_value).collect(),
            );
        let m = match &self.device {
            Some(d) => m.put("device", d.to_value()),
            None => m,
        };
        let m = match &self.lineage {
            Some(l) => m.put("lineage", l.to_value()),
            None => m,
        };
        let m = match &self.tree {
            Some(t) => m.put("tree", t.to_value()),
            None => m,
        };
        m.build()
    }
}

/// "2 files", "tree drive/: 51 files, 1275003 bytes", or both.
fn intake_contents(b: &EvidenceIntake) -> String {
    let n = b.files.len();
    let files = format!("{n} file{}", if n == 1 { "" } else { "s" });
    match &b.tree {
        None => files,
        Some(t) => {
            let tree = format!("tree {}: {} files, {} bytes", t.key(), t.files, t.bytes);
            if n == 0 {
                tree
            } else {
                format!("{files}; {tree}")
            }
        }
    }
}

impl EvidenceVerify {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("item", &self.item)
            .put("file", self.file.to_value())
            .put("matches", Value::Bool(self.matches))
            .build()
    }
}

impl CustodyRelease {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let m = MapBuilder::new()
            .text("item", &self.item)
            .bytes("to", &self.to.0)
            .text("reason", &self.reason)
            .opt_text("location", self.location.as_deref())
            .opt_text("authority", self.authority.as_deref())
            .opt_text("transport", self.transport.as_deref());
        self.seals.put(m).build()
    }
}

impl CustodyReceive {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let mut m = MapBuilder::new()
            .text("item", &self.item)
            .bytes("release", &self.release.0)
            .opt_bool("seal_intact", self.seal_intact)
            .opt_text("condition", self.condition.as_deref())
            .opt_text("rejected", self.rejected.as_deref());
        m = self.seals.put(m);
        if let Some(rc) = &self.receipt {
            m = m.put(
                "receipt",
                MapBuilder::new()
                    .bytes("key", &rc.key.0)
                    .text("time", &rc.time.to_string())
                    .bytes("sig", &rc.sig)
                    .build(),
            );
        }
        m.build()
    }
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

impl EvidenceClose {
    /// The body as a CBOR map; `detail_key` is `method` for a disposal and
    /// `to` for a return (SPEC §13).
    pub fn to_value(&self, detail_key: &str) -> Value {
        MapBuilder::new()
            .text("item", &self.item)
            .text(detail_key, &self.detail)
            .text("reason", &self.reason)
            .build()
    }
}

/// The investigation bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Domain {
    /// `event`
    Event(Event),
    /// `notification`
    Notification(Notification),
    /// `action`
    Action(Action),
    /// `evidence.intake`
    EvidenceIntake(EvidenceIntake),
    /// `evidence.verify`
    EvidenceVerify(EvidenceVerify),
    /// `evidence.dispose`
    EvidenceDispose(EvidenceClose),
    /// `evidence.return`
    EvidenceReturn(EvidenceClose),
    /// `custody.release`
    CustodyRelease(CustodyRelease),
    /// `custody.receive`
    CustodyReceive(CustodyReceive),
    /// `correction`
    Correction(Correction),
    /// `disclosure.erased`
    DisclosureErased(DisclosureErased),
    /// `custody.store`
    CustodyStore(CustodyStore),
    /// `custody.retrieve`
    CustodyRetrieve(CustodyRetrieve),
    /// `void`
    Void(Void),
}

/// Body fields that say which item, entry, member or file an entry is
/// about, not what it says of it: a correction that sets one is never
/// applied (SPEC §13.4; caselog's writer refuses it).
pub const IDENTITY_FIELDS: [&str; 11] = [
    "item", "to", "release", "target", "refs", "files", "tree", "receipt", "lineage", "key",
    "digest",
];

/// The first identity field (SPEC §13.4) a correction's `set` names.
pub fn identity_field(set: &BTreeMap<String, String>) -> Option<&str> {
    set.keys()
        .map(String::as_str)
        .find(|k| IDENTITY_FIELDS.contains(k))
}

impl Domain {
    /// The kind written in `kind`.
    pub fn kind(&self) -> Kind {
        match self {
            Domain::Event(_) => Kind::Event,
            Domain::Notification(_) => Kind::Notification,
            Domain::Action(_) => Kind::Action,
            Domain::EvidenceIntake(_) => Kind::EvidenceIntake,
            Domain::EvidenceVerify(_) => Kind::EvidenceVerify,
            Domain::EvidenceDispose(_) => Kind::EvidenceDispose,
            Domain::EvidenceReturn(_) => Kind::EvidenceReturn,
            Domain::CustodyRelease(_) => Kind::CustodyRelease,
            Domain::CustodyReceive(_) => Kind::CustodyReceive,
            Domain::Correction(_) => Kind::Correction,
            Domain::DisclosureErased(_) => Kind::DisclosureErased,
            Domain::CustodyStore(_) => Kind::CustodyStore,
            Domain::CustodyRetrieve(_) => Kind::CustodyRetrieve,
            Domain::Void(_) => Kind::Void,
        }
    }

    /// The evidence item this entry concerns, if any.
    pub fn item(&self) -> Option<&str> {
        match self {
            Domain::EvidenceIntake(b) => Some(&b.item),
            Domain::EvidenceVerify(b) => Some(&b.item),
            Domain::EvidenceDispose(b) | Domain::EvidenceReturn(b) => Some(&b.item),
            Domain::CustodyRelease(b) => Some(&b.item),
            Domain::CustodyReceive(b) => Some(&b.item),
            Domain::CustodyStore(b) => Some(&b.item),
            Domain::CustodyRetrieve(b) => Some(&b.item),
            _ => None,
        }
    }

    /// The IANA time zone of its date, as entered (SPEC §13.1).
    pub fn zone(&self) -> Option<&str> {
        match self {
            Domain::Event(b) => b.zone.as_deref(),
            Domain::Notification(b) => b.zone.as_deref(),
            Domain::Action(b) => b.zone.as_deref(),
            Domain::EvidenceIntake(b) => b.zone.as_deref(),
            _ => None,
        }
    }

    /// The EDTF date the entry is about, if any.
    pub fn occurred(&self) -> Option<&Edtf> {
        match self {
            Domain::Event(b) => Some(&b.occurred),
            Domain::Notification(b) => Some(&b.sent),
            Domain::Action(b) => Some(&b.occurred),
            Domain::EvidenceIntake(b) => Some(&b.collected),
            _ => None,
        }
    }

    /// This body with a correction's `set` applied (SPEC §13.4: each
    /// field replaced by the text given); `None` when the result breaks the
    /// kind's schema (an unknown field, an invalid value).
    pub fn corrected(&self, set: &BTreeMap<String, String>) -> Option<Domain> {
        if identity_field(set).is_some() {
            return None;
        }
        let Value::Map(mut m) = self.to_value() else {
            return None;
        };
        for (k, v) in set {
            m.insert(k.clone(), Value::Text(v.clone()));
        }
        Domain::from_value(self.kind(), Value::Map(m))?.ok()
    }

    /// One line for logs, naming members by key id.
    pub fn summary(&self) -> String {
        self.summary_with(&|k| format!("key {}", k.short()))
    }

    /// One line for logs, naming members with `name` (a reader with the
    /// membership gives their names).
    pub fn summary_with(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::Event(b) => format!("[{}] {}", dated(&b.occurred, &b.zone), b.title),
            Domain::Notification(b) => format!(
                "[{}] {} notified {}{} by {}{}",
                dated(&b.sent, &b.zone),
                b.by,
                b.to,
                b.count.map(|c| format!(" ({c})")).unwrap_or_default(),
                b.channel,
                b.subject
                    .as_ref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ),
            Domain::Action(b) => format!(
                "[{}] {}{}{}",
                dated(&b.occurred, &b.zone),
                b.title,
                by_unless_said(&b.title, &b.by),
                b.authority
                    .as_ref()
                    .map(|a| format!(" under {a}"))
                    .unwrap_or_default()
            ),
            Domain::EvidenceIntake(_)
            | Domain::EvidenceVerify(_)
            | Domain::EvidenceDispose(_)
            | Domain::EvidenceReturn(_)
            | Domain::CustodyRelease(_)
            | Domain::CustodyReceive(_)
            | Domain::CustodyStore(_)
            | Domain::CustodyRetrieve(_) => self.evidence_summary(name),
            Domain::DisclosureErased(b) => format!(
                "private field {} of entry {} erased: {}{}",
                b.path,
                &b.target.to_hex()[..16],
                b.reason,
                b.authority
                    .as_ref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            ),
            Domain::Void(b) => format!(
                "VOID: entry {} entered in error: {}",
                &b.target.to_hex()[..16],
                b.reason
            ),
            Domain::Correction(b) => format!(
                "correction of {}: {} ({})",
                &b.target.to_hex()[..16],
                b.set
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                b.reason
            ),
        }
    }

    /// [`Domain::summary_with`] for evidence and custody entries.
    fn evidence_summary(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::EvidenceIntake(b) => format!(
                "[{}] {} taken in: {} ({}){}",
                dated(&b.collected, &b.zone),
                b.item,
                b.description,
                intake_contents(b),
                b.lineage
                    .as_ref()
                    .map(|l| format!("; {}", l.describe()))
                    .unwrap_or_default()
            ),
            Domain::EvidenceVerify(b) => format!(
                "{} file {} re-hashed: {}",
                b.item,
                b.file.name,
                if b.matches {
                    "digests match intake"
                } else {
                    "DIGESTS DIFFER from intake"
                }
            ),
            Domain::EvidenceDispose(b) => {
                format!("{} disposed ({}): {}", b.item, b.detail, b.reason)
            }
            Domain::EvidenceReturn(b) => {
                format!("{} returned to {}: {}", b.item, b.detail, b.reason)
            }
            _ => self.custody_summary(name),
        }
    }

    /// [`Domain::summary_with`] for custody handlings.
    fn custody_summary(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::CustodyRelease(b) => format!(
                "{} released to {}: {}{}{}{}",
                b.item,
                name(&b.to),
                b.reason,
                b.authority
                    .as_ref()
                    .map(|a| format!(" under {a}"))
                    .unwrap_or_default(),
                b.transport
                    .as_ref()
                    .map(|t| format!("; transport: {t}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyReceive(b) => format!(
                "{} {}{}{}{}{}{}{}",
                b.item,
                if b.rejected.is_some() {
                    "REFUSED by the receiver"
                } else {
                    "received"
                },
                if b.receipt.is_some() {
                    " (external receipt)"
                } else {
                    ""
                },
                b.rejected
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                if b.rejected.is_some() { "; " } else { ", " },
                match b.seal_intact {
                    Some(true) => "seal recorded as intact",
                    Some(false) => "seal recorded as NOT intact",
                    None => "no seal",
                },
                b.condition
                    .as_ref()
                    .map(|c| format!("; condition: {c}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyStore(b) => format!(
                "{} checked in to {}{}{}",
                b.item,
                b.location,
                b.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyRetrieve(b) => format!(
                "{} checked out of storage: {}{}",
                b.item,
                b.reason,
                seals_phrase(&b.seals)
            ),
            _ => unreachable!("kinds: custody_summary called for another kind"),
        }
    }

    /// The CBOR body map.
    pub fn to_value(&self) -> Value {
        match self {
            Domain::Event(b) => b.to_value(),
            Domain::Notification(b) => b.to_value(),
            Domain::Action(b) => b.to_value(),
            Domain::EvidenceIntake(b) => b.to_value(),
            Domain::EvidenceVerify(b) => b.to_value(),
            Domain::EvidenceDispose(b) => b.to_value("method"),
            Domain::EvidenceReturn(b) => b.to_value("to"),
            Domain::CustodyRelease(b) => b.to_value(),
            Domain::CustodyReceive(b) => b.to_value(),
            Domain::DisclosureErased(b) => b.to_value(),
            Domain::Correction(b) => b.to_value(),
            Domain::CustodyStore(b) => b.to_value(),
            Domain::CustodyRetrieve(b) => b.to_value(),
            Domain::Void(b) => b.to_value(),
        }
    }

    /// Read the body of `kind`; `None` when `kind` is not a domain kind.
    pub fn from_value(kind: Kind, v: Value) -> Option<Result<Domain, SchemaError>> {
        let read = match kind {
            Kind::Event => read_event,
            Kind::Notification => read_notification,
            Kind::Action => read_action,
            Kind::EvidenceIntake => read_intake,
            Kind::EvidenceVerify => read_verify,
            Kind::EvidenceDispose => read_dispose,
            Kind::EvidenceReturn => read_return,
            Kind::CustodyRelease => read_release,
            Kind::CustodyReceive => read_receive,
            Kind::Correction => read_correction,
            Kind::DisclosureErased => read_erased,
            Kind::CustodyStore => read_store,
            Kind::CustodyRetrieve => read_retrieve,
            Kind::Void => read_void,
            Kind::LedgerOpen | Kind::MemberEnroll | Kind::MemberRevoke | Kind::Note => return None,
        };
        Some(read(v))
    }
}

fn read_event(v: Value) -> Result<Domain, SchemaError> {
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

fn read_notification(v: Value) -> Result<Domain, SchemaError> {
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

fn read_action(v: Value) -> Result<Domain, SchemaError> {
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

fn read_intake(v: Value) -> Result<Domain, SchemaError> {
    let w = "evidence.intake body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let description = r.text_nonempty("description", MAX_SHORT_TEXT)?;
    let collected_by = r.text_nonempty("collected_by", MAX_SHORT_TEXT)?;
    let collected = edtf(&mut r, "collected", w)?;
    let zone = zone(&mut r, w)?;
    let location = r.opt_text("location", MAX_SHORT_TEXT)?;
    let seal = r.opt_text("seal", MAX_SHORT_TEXT)?;
    let files: Vec<FileFixity> = r
        .opt_array("files", MAX_LIST)?
        .into_iter()
        .map(FileFixity::from_value)
        .collect::<Result<_, _>>()?;
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "evidence.intake body.files",
            "file names must be unique within an item",
        ));
    }
    let device = r
        .opt_map("device")?
        .map(crate::format::provenance::Device::from_value)
        .transpose()?;
    let lineage = r
        .opt_map("lineage")?
        .map(crate::format::provenance::Lineage::from_value)
        .transpose()?
        .map(Box::new);
    let tree = r
        .opt_map("tree")?
        .map(crate::format::tree::Tree::from_value)
        .transpose()?
        .map(Box::new);
    r.finish()?;
    // The tree takes two of the item's file names (SPEC §13.8).
    if let Some(t) = &tree {
        if files.iter().any(|f| t.names().contains(&f.name)) {
            return Err(invalid(
                "evidence.intake body.files",
                "a file is named like the tree (\"<name>/\" or \"<name>.tree.cbor\")",
            ));
        }
    }
    Ok(Domain::EvidenceIntake(EvidenceIntake {
        item,
        description,
        collected_by,
        collected,
        zone,
        location,
        seal,
        files,
        device,
        lineage,
        tree,
    }))
}

fn read_verify(v: Value) -> Result<Domain, SchemaError> {
    let w = "evidence.verify body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let file = FileFixity::from_value(r.req("file")?)?;
    let matches = r.bool("matches")?;
    r.finish()?;
    Ok(Domain::EvidenceVerify(EvidenceVerify {
        item,
        file,
        matches,
    }))
}

fn read_close(v: Value, w: &'static str, detail_key: &str) -> Result<EvidenceClose, SchemaError> {
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let detail = r.text_nonempty(detail_key, MAX_SHORT_TEXT)?;
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(EvidenceClose {
        item,
        detail,
        reason,
    })
}

fn read_dispose(v: Value) -> Result<Domain, SchemaError> {
    read_close(v, "evidence.dispose body", "method").map(Domain::EvidenceDispose)
}

fn read_return(v: Value) -> Result<Domain, SchemaError> {
    read_close(v, "evidence.return body", "to").map(Domain::EvidenceReturn)
}

fn read_release(v: Value) -> Result<Domain, SchemaError> {
    let w = "custody.release body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let to = MemberKey(r.fixed::<32>("to")?);
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    let location = r.opt_text("location", MAX_SHORT_TEXT)?;
    let authority = r.opt_text("authority", MAX_SHORT_TEXT)?;
    let transport = r.opt_text("transport", MAX_SHORT_TEXT)?;
    let seals = Seals::read(&mut r, w)?;
    r.finish()?;
    Ok(Domain::CustodyRelease(CustodyRelease {
        item,
        to,
        reason,
        location,
        authority,
        transport,
        seals,
    }))
}

fn read_store(v: Value) -> Result<Domain, SchemaError> {
    CustodyStore::from_value(v, item).map(Domain::CustodyStore)
}

fn read_retrieve(v: Value) -> Result<Domain, SchemaError> {
    CustodyRetrieve::from_value(v, item).map(Domain::CustodyRetrieve)
}

fn read_receive(v: Value) -> Result<Domain, SchemaError> {
    let w = "custody.receive body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let release = Hash(r.fixed::<32>("release")?);
    let seal_intact = r.opt_bool("seal_intact")?;
    let condition = r.opt_text("condition", MAX_SHORT_TEXT)?;
    let rejected = r.opt_text("rejected", MAX_SHORT_TEXT)?;
    let seals = Seals::read(&mut r, w)?;
    let receipt = match r.opt_map("receipt")? {
        None => None,
        Some(m) => {
            let mut rr = MapReader::new("custody.receive body.receipt", m)?;
            let key = MemberKey(rr.fixed::<32>("key")?);
            let ts = rr.text("time")?;
            let time = Timestamp::parse(&ts)
                .ok_or_else(|| invalid("receipt.time", "not YYYY-MM-DDTHH:MM:SS.ffffffZ"))?;
            let sig = rr.fixed::<64>("sig")?;
            rr.finish()?;
            Some(Receipt { key, time, sig })
        }
    };
    r.finish()?;
    Ok(Domain::CustodyReceive(CustodyReceive {
        item,
        release,
        seal_intact,
        condition,
        rejected,
        seals,
        receipt,
    }))
}

fn read_correction(v: Value) -> Result<Domain, SchemaError> {
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

fn read_erased(v: Value) -> Result<Domain, SchemaError> {
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

/// "; seal S-1 broken, seal S-2 applied", or nothing.
fn seals_phrase(s: &Seals) -> String {
    s.describe().map(|d| format!("; {d}")).unwrap_or_default()
}

/// " by WHO", unless the title already says it ("... engaged by the PBM").
fn by_unless_said(title: &str, by: &str) -> String {
    let said = title
        .to_lowercase()
        .contains(&format!("by {}", by.to_lowercase()));
    if said {
        String::new()
    } else {
        format!(" by {by}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(title: &str, by: &str) -> Domain {
        Domain::Action(Action {
            zone: None,
            title: title.into(),
            by: by.into(),
            occurred: Edtf::parse("2008-11~").unwrap(),
            authority: None,
            outcome: None,
        })
    }

    #[test]
    fn an_action_names_its_agent_once() {
        assert_eq!(
            action("Investigation engaged by the PBM", "the PBM").summary(),
            "[2008-11~] Investigation engaged by the PBM"
        );
        assert_eq!(
            action("Outside investigation engaged", "the company").summary(),
            "[2008-11~] Outside investigation engaged by the company"
        );
    }

    #[test]
    fn a_release_names_its_receiver_as_the_reader_knows_them() {
        let d = Domain::CustodyRelease(CustodyRelease {
            item: "EV-0001".into(),
            to: MemberKey([7; 32]),
            reason: "examination".into(),
            location: None,
            authority: None,
            transport: None,
            seals: Seals::default(),
        });
        assert!(d
            .summary()
            .starts_with("EV-0001 released to key 0707070707070707:"));
        assert_eq!(
            d.summary_with(&|_| "Outside forensic agency".into()),
            "EV-0001 released to Outside forensic agency: examination"
        );
    }
}
