//! Discovery productions (SPEC §13.11): `production` (a package of
//! exhibits handed to a recipient) and `production.receipt` (the
//! recipient's acknowledgement of that very package): the bodies, their
//! CBOR maps, strict readers, and the message an offline receipt signs.
//! What makes them valid is a rule of `rules::custody`.

use super::*;

/// Context string of an offline production receipt's signed message.
pub const PRODUCTION_RECEIPT_CONTEXT: &[u8] = b"caselog-production-receipt-v1";

/// `production`: the package whose manifest has this SHA-256 was handed
/// to the member `to`, under `authority`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Production {
    /// The recipient: an enrolled member (often `external`).
    pub to: MemberKey,
    /// The legal authority or request it answers (e.g. a discovery
    /// request, a court order).
    pub authority: String,
    /// The items produced, each taken in, each once, sorted.
    pub items: Vec<String>,
    /// Whether the court report (the whole timeline) is in the package.
    pub timeline: bool,
    /// Bates prefix of the natives.
    pub bates_prefix: String,
    /// First Bates number.
    pub bates_first: u64,
    /// Last Bates number (`bates_first + natives - 1`).
    pub bates_last: u64,
    /// Files in the package, the manifest not counted.
    pub files: u64,
    /// SHA-256 of the package's `MANIFEST.sha256` (which names every
    /// other file with its SHA-256).
    pub manifest: [u8; 32],
}

/// An acknowledgement signed offline by the recipient (SPEC §13.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionAck {
    /// The recipient's key.
    pub key: MemberKey,
    /// When signed.
    pub time: Timestamp,
    /// Ed25519 signature over [`production_receipt_message`].
    pub sig: [u8; 64],
}

/// `production.receipt`: the recipient received the package whose
/// manifest has this SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionReceipt {
    /// Leaf hash of the `production` entry.
    pub production: Hash,
    /// The manifest digest the recipient computed from what they hold.
    pub manifest: [u8; 32],
    /// The recipient's offline signature, when another member records it.
    pub receipt: Option<ProductionAck>,
}

/// The bytes an offline production receipt signs:
/// `"caselog-production-receipt-v1" || 0x00 || CBOR{ledger, manifest,
/// time, key}` (SPEC §13.11). The package names no entry (its entry is
/// made after it), so the manifest digest identifies the production.
pub fn production_receipt_message(
    ledger: &crate::format::ids::LedgerId,
    manifest: &[u8; 32],
    key: &MemberKey,
    time: &Timestamp,
) -> Vec<u8> {
    let m = MapBuilder::new()
        .bytes("ledger", &ledger.0)
        .bytes("manifest", manifest)
        .text("time", &time.to_string())
        .bytes("key", &key.0)
        .build();
    context_message(PRODUCTION_RECEIPT_CONTEXT, &m)
}

impl Production {
    /// The body as a CBOR map (SPEC §13.11, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .bytes("to", &self.to.0)
            .text("authority", &self.authority)
            .put(
                "items",
                Value::Array(self.items.iter().map(|i| Value::Text(i.clone())).collect()),
            )
            .put("timeline", Value::Bool(self.timeline))
            .text("bates_prefix", &self.bates_prefix)
            .uint("bates_first", self.bates_first)
            .uint("bates_last", self.bates_last)
            .uint("files", self.files)
            .bytes("manifest", &self.manifest)
            .build()
    }
}

impl ProductionReceipt {
    /// The body as a CBOR map (SPEC §13.11, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let mut m = MapBuilder::new()
            .bytes("production", &self.production.0)
            .bytes("manifest", &self.manifest);
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

/// A Bates prefix: 1 to 16 of A-Z, 0-9, `-`, `_`.
pub fn valid_bates_prefix(p: &str) -> bool {
    (1..=16).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub(super) fn read_production(v: Value) -> Result<Domain, SchemaError> {
    let w = "production body";
    let mut r = MapReader::new(w, v)?;
    let to = MemberKey(r.fixed::<32>("to")?);
    let authority = r.text_nonempty("authority", MAX_SHORT_TEXT)?;
    let items = item_list(&mut r, "items", "production body.items")?;
    if items.windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid("production body.items", "sorted, each item once"));
    }
    let timeline = r.bool("timeline")?;
    let bates_prefix = r.text("bates_prefix")?;
    if !valid_bates_prefix(&bates_prefix) {
        return Err(invalid(
            "production body.bates_prefix",
            "1-16 of A-Z 0-9 - _",
        ));
    }
    let bates_first = r.uint("bates_first")?;
    let bates_last = r.uint("bates_last")?;
    if bates_first == 0 || bates_last < bates_first || bates_last > 999_999_999 {
        return Err(invalid(
            "production body.bates_last",
            "1 <= bates_first <= bates_last <= 999999999",
        ));
    }
    let files = r.uint("files")?;
    let manifest = r.fixed::<32>("manifest")?;
    r.finish()?;
    Ok(Domain::Production(Production {
        to,
        authority,
        items,
        timeline,
        bates_prefix,
        bates_first,
        bates_last,
        files,
        manifest,
    }))
}

pub(super) fn read_receipt(v: Value) -> Result<Domain, SchemaError> {
    let w = "production.receipt body";
    let mut r = MapReader::new(w, v)?;
    let production = Hash(r.fixed::<32>("production")?);
    let manifest = r.fixed::<32>("manifest")?;
    let receipt = match r.opt_map("receipt")? {
        None => None,
        Some(m) => {
            let (key, time, sig) = signed_by(m, "production.receipt body.receipt")?;
            Some(ProductionAck { key, time, sig })
        }
    };
    r.finish()?;
    Ok(Domain::ProductionReceipt(ProductionReceipt {
        production,
        manifest,
        receipt,
    }))
}
