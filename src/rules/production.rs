//! Discovery productions (SPEC §13.11): which productions were made, and
//! what makes a `production` and a `production.receipt` valid. The custody
//! state machine (`rules::custody`) carries the productions and asks here,
//! so the writer and both verifiers refuse the same entries.

use std::collections::BTreeMap;

use crate::format::cbor::{self, MapBuilder, MapReader};
use crate::format::entry::{Entry, Seq};
use crate::format::hash::Hash;
use crate::format::ids::{LedgerId, MemberKey};
use crate::format::kinds::{production_receipt_message, Production, ProductionReceipt};
use crate::format::sig;
use crate::rules::policy::Members;

/// One production, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductionState {
    /// Leaf hash of its `production` entry.
    pub leaf: Hash,
    /// Its seq.
    pub seq: Seq,
    /// The recipient.
    pub to: MemberKey,
    /// SHA-256 of its manifest.
    pub manifest: [u8; 32],
}

/// Every production by the leaf hash of its entry.
pub type Productions = BTreeMap<Hash, ProductionState>;

impl ProductionState {
    /// CBOR for the `meta` cache row `production/<leaf>` (SPEC §8).
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode(
            &MapBuilder::new()
                .uint("seq", self.seq.0)
                .bytes("to", &self.to.0)
                .bytes("manifest", &self.manifest)
                .build(),
        )
    }

    /// Parse the row stored for the production at `leaf`; `None` if it is
    /// not one this version writes.
    pub fn decode(leaf: Hash, b: &[u8]) -> Option<ProductionState> {
        let mut r = MapReader::new("production", cbor::decode(b).ok()?).ok()?;
        let seq = Seq(r.uint("seq").ok()?);
        let to = MemberKey(r.fixed::<32>("to").ok()?);
        let manifest = r.fixed::<32>("manifest").ok()?;
        r.finish().ok()?;
        let p = ProductionState {
            leaf,
            seq,
            to,
            manifest,
        };
        (p.encode() == b).then_some(p)
    }
}

/// `production`: every item taken in; the recipient an active member
/// other than the producer. `Err` carries the reason.
pub fn check_production(
    b: &Production,
    author: &MemberKey,
    taken_in: impl Fn(&str) -> bool,
    members: &Members,
) -> Result<(), String> {
    if let Some(i) = b.items.iter().find(|i| !taken_in(i)) {
        return Err(format!("item {i} was never taken into evidence"));
    }
    match members.get(&b.to) {
        Some(m) if m.revoked.is_none() && b.to != *author => Ok(()),
        _ => Err(format!(
            "the recipient {} is not an active member other than the producer",
            members.display(&b.to)
        )),
    }
}

/// `production.receipt`: answers a production, states its manifest, and
/// is the recipient's: signed by them, or carrying their offline
/// signature over [`production_receipt_message`].
pub fn check_receipt(
    b: &ProductionReceipt,
    entry: &Entry,
    ledger: &LedgerId,
    productions: &Productions,
    members: &Members,
) -> Result<(), String> {
    let Some(p) = productions.get(&b.production) else {
        return Err(format!(
            "answers {}, which is no production",
            &b.production.to_hex()[..16]
        ));
    };
    if p.manifest != b.manifest {
        return Err(format!(
            "states manifest {}, but production {} recorded {}",
            &hex::encode(b.manifest)[..16],
            p.seq.0,
            &hex::encode(p.manifest)[..16]
        ));
    }
    let signer = match &b.receipt {
        None => entry.author,
        Some(rc) => {
            let msg = production_receipt_message(ledger, &b.manifest, &rc.key, &rc.time);
            sig::verify(&rc.key.0, &msg, &rc.sig)
                .map_err(|e| format!("the acknowledgement's signature does not verify ({e})"))?;
            rc.key
        }
    };
    if signer != p.to {
        return Err(format!(
            "acknowledged by {}, but production {} was to {}",
            members.display(&signer),
            p.seq.0,
            members.display(&p.to)
        ));
    }
    Ok(())
}
