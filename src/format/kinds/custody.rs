//! Custody transfers (SPEC §13.2, §13.3, §13.6): `custody.release`,
//! `custody.receive` and an external receiver's receipt, and the readers
//! of `custody.store` / `custody.retrieve` (their bodies are in
//! `format::handling`).

use super::*;

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
    context_message(RECEIPT_CONTEXT, &m)
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

pub(super) fn read_release(v: Value) -> Result<Domain, SchemaError> {
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

pub(super) fn read_store(v: Value) -> Result<Domain, SchemaError> {
    CustodyStore::from_value(v, item).map(Domain::CustodyStore)
}

pub(super) fn read_retrieve(v: Value) -> Result<Domain, SchemaError> {
    CustodyRetrieve::from_value(v, item).map(Domain::CustodyRetrieve)
}

pub(super) fn read_receive(v: Value) -> Result<Domain, SchemaError> {
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
            let (key, time, sig) = signed_by(m, "custody.receive body.receipt")?;
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
