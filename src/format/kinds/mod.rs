//! The investigation kinds (SPEC §13): events with uncertain dates and
//! graded sources, notifications, actions, evidence intake and fixity,
//! custody transfers, corrections.
//!
//! One file per kind (or family of kinds) owns its body struct, its CBOR
//! map (keys in `schemas/entry.cddl`) and its strict reader; this file
//! owns what they share (the readers of dates, zones, item ids and hash
//! lists) and [`Domain`], which dispatches to them. `summary` words each
//! body in English. Cross-entry rules (custody, references) live in
//! `rules`.

use std::collections::BTreeMap;

use crate::format::cbor::{MapBuilder, MapReader, SchemaError, Value};
use crate::format::edtf::Edtf;
pub use crate::format::fixity::FileFixity;
pub use crate::format::handling::{CustodyRetrieve, CustodyStore, Seals};
use crate::format::hash::Hash;
use crate::format::ids::{MemberKey, Timestamp};
use crate::format::kind::Kind;
use crate::format::limits::{MAX_NOTE_LEN, MAX_SHORT_TEXT};

mod action;
mod check;
mod correction;
mod custody;
mod event;
mod evidence;
mod hold;
mod notification;
mod production;
mod retention;
mod reveal;
mod summary;

pub use action::Action;
pub use check::{LedgerCheck, MAX_CHECK_PROBLEMS};
pub use correction::{Correction, DisclosureErased, Void};
pub use custody::{receipt_message, CustodyReceive, CustodyRelease, Receipt, RECEIPT_CONTEXT};
pub use event::{Event, Source};
pub use evidence::{
    DigestOf, DigestRow, EvidenceAttach, EvidenceClose, EvidenceIntake, EvidenceVerify,
};
pub use hold::{HoldPlace, HoldRelease};
pub use notification::{Notification, CHANNELS};
pub use production::{
    production_receipt_message, valid_bates_prefix, Production, ProductionAck, ProductionReceipt,
    PRODUCTION_RECEIPT_CONTEXT,
};
pub use retention::{RetentionSet, MAX_RETENTION_DAYS};
pub use reveal::ExportReveal;

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

/// A required array of 1 to [`MAX_LIST`] item ids (`what` names the field
/// in errors); order and repeats are the caller's to judge.
fn item_list(r: &mut MapReader, key: &str, what: &str) -> Result<Vec<String>, SchemaError> {
    let Value::Array(a) = r.req(key)? else {
        return Err(invalid(what, "an array of item ids"));
    };
    if a.is_empty() || a.len() > MAX_LIST {
        return Err(invalid(what, "1 to 256 item ids"));
    }
    a.into_iter()
        .map(|v| match v {
            Value::Text(s) if valid_item_id(&s) => Ok(s),
            _ => Err(invalid(what, "item ids like EV-0001")),
        })
        .collect()
}

/// The bytes an offline signature covers: `context || 0x00 || CBOR(m)`
/// (custody receipts, production acknowledgements).
fn context_message(context: &[u8], m: &Value) -> Vec<u8> {
    let mut out = context.to_vec();
    out.push(0);
    out.extend_from_slice(&crate::format::cbor::encode(m));
    out
}

/// An offline signature map `{key, time, sig}` (a custody receipt, a
/// production acknowledgement).
fn signed_by(
    m: Value,
    what: &'static str,
) -> Result<(MemberKey, Timestamp, [u8; 64]), SchemaError> {
    let mut rr = MapReader::new(what, m)?;
    let key = MemberKey(rr.fixed::<32>("key")?);
    let ts = rr.text("time")?;
    let time = Timestamp::parse(&ts)
        .ok_or_else(|| invalid("receipt.time", "not YYYY-MM-DDTHH:MM:SS.ffffffZ"))?;
    let sig = rr.fixed::<64>("sig")?;
    rr.finish()?;
    Ok((key, time, sig))
}

fn hashes(v: Vec<Value>, what: &str) -> Result<Vec<Hash>, SchemaError> {
    v.into_iter()
        .map(|x| match x {
            Value::Bytes(b) if b.len() == 32 => Ok(Hash::from_slice(&b).expect("32")),
            _ => Err(invalid(what, "items must be 32-byte hashes")),
        })
        .collect()
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
    /// `evidence.attach`
    EvidenceAttach(EvidenceAttach),
    /// `hold.place`
    HoldPlace(HoldPlace),
    /// `hold.release`
    HoldRelease(HoldRelease),
    /// `ledger.check`
    LedgerCheck(LedgerCheck),
    /// `production`
    Production(Production),
    /// `production.receipt`
    ProductionReceipt(ProductionReceipt),
    /// `export.reveal`
    ExportReveal(ExportReveal),
    /// `retention.set`
    RetentionSet(RetentionSet),
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
            Domain::EvidenceAttach(_) => Kind::EvidenceAttach,
            Domain::HoldPlace(_) => Kind::HoldPlace,
            Domain::HoldRelease(_) => Kind::HoldRelease,
            Domain::LedgerCheck(_) => Kind::LedgerCheck,
            Domain::Production(_) => Kind::Production,
            Domain::ProductionReceipt(_) => Kind::ProductionReceipt,
            Domain::ExportReveal(_) => Kind::ExportReveal,
            Domain::RetentionSet(_) => Kind::RetentionSet,
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
            Domain::EvidenceAttach(b) => Some(&b.item),
            Domain::EvidenceDispose(b) | Domain::EvidenceReturn(b) => Some(&b.item),
            Domain::CustodyRelease(b) => Some(&b.item),
            Domain::CustodyReceive(b) => Some(&b.item),
            Domain::CustodyStore(b) => Some(&b.item),
            Domain::CustodyRetrieve(b) => Some(&b.item),
            _ => None,
        }
    }

    /// The files whose digests this entry records for its item: an
    /// intake's files and its tree's manifest, an attach's files (SPEC
    /// §13.5, §13.8); none for any other entry.
    pub fn recorded_files(&self) -> Vec<&FileFixity> {
        match self {
            Domain::EvidenceIntake(b) => b
                .files
                .iter()
                .chain(b.tree.iter().map(|t| &t.manifest))
                .collect(),
            Domain::EvidenceAttach(b) => b.files.iter().collect(),
            _ => Vec::new(),
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

    /// The CBOR body map.
    pub fn to_value(&self) -> Value {
        match self {
            Domain::Event(b) => b.to_value(),
            Domain::Notification(b) => b.to_value(),
            Domain::Action(b) => b.to_value(),
            Domain::EvidenceIntake(b) => b.to_value(),
            Domain::EvidenceVerify(b) => b.to_value(),
            Domain::EvidenceAttach(b) => b.to_value(),
            Domain::HoldPlace(b) => b.to_value(),
            Domain::HoldRelease(b) => b.to_value(),
            Domain::LedgerCheck(b) => b.to_value(),
            Domain::Production(b) => b.to_value(),
            Domain::ProductionReceipt(b) => b.to_value(),
            Domain::ExportReveal(b) => b.to_value(),
            Domain::RetentionSet(b) => b.to_value(),
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
            Kind::Event => event::read_event,
            Kind::Notification => notification::read_notification,
            Kind::Action => action::read_action,
            Kind::EvidenceIntake => evidence::read_intake,
            Kind::EvidenceVerify => evidence::read_verify,
            Kind::EvidenceAttach => evidence::read_attach,
            Kind::HoldPlace => hold::read_place,
            Kind::HoldRelease => hold::read_release,
            Kind::LedgerCheck => check::read_check,
            Kind::Production => production::read_production,
            Kind::ProductionReceipt => production::read_receipt,
            Kind::ExportReveal => reveal::read_reveal,
            Kind::RetentionSet => retention::read_set,
            Kind::EvidenceDispose => evidence::read_dispose,
            Kind::EvidenceReturn => evidence::read_return,
            Kind::CustodyRelease => custody::read_release,
            Kind::CustodyReceive => custody::read_receive,
            Kind::Correction => correction::read_correction,
            Kind::DisclosureErased => correction::read_erased,
            Kind::CustodyStore => custody::read_store,
            Kind::CustodyRetrieve => custody::read_retrieve,
            Kind::Void => correction::read_void,
            Kind::LedgerOpen | Kind::MemberEnroll | Kind::MemberRevoke | Kind::Note => return None,
        };
        Some(read(v))
    }
}
