//! The external receipt file (`caselog custody receipt` writes it, a
//! member imports it with `custody import-receipt`): JSON
//! `caselog-receipt/v1` carrying the receiver's signed statement.

use caselog::format::entry::LedgerId;
use caselog::format::entry::MemberKey;
use caselog::format::entry::Timestamp;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds;
use caselog::format::kinds::CustodyReceive;
use caselog::format::kinds::Receipt;
use caselog::format::kinds::Seals;
use caselog::Hash;
use serde_json::json;

/// An external receiver's signed receipt, as a JSON file.
#[derive(Clone, Debug)]
pub(crate) struct ReceiptFile {
    pub(crate) ledger: LedgerId,
    pub(crate) body: CustodyReceive,
    pub(crate) receipt: Receipt,
}

impl ReceiptFile {
    /// The file's JSON text.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string_pretty(&json!({
            "format": "caselog-receipt/v1",
            "ledger": self.ledger.to_hex(),
            "item": self.body.item,
            "release": self.body.release.to_hex(),
            "seal_intact": self.body.seal_intact,
            "condition": self.body.condition,
            "seals_broken": self.body.seals.broken,
            "seals_applied": self.body.seals.applied,
            "time": self.receipt.time.to_string(),
            "key": self.receipt.key.to_hex(),
            "sig": hex::encode(self.receipt.sig),
        }))
        .expect("json")
            + "\n"
    }

    /// Parse a receipt file (`caselog-receipt/v1`).
    pub(crate) fn parse(b: &[u8]) -> Result<ReceiptFile, String> {
        let v: serde_json::Value =
            serde_json::from_slice(b).map_err(|e| format!("not JSON: {e}"))?;
        if v["format"] != "caselog-receipt/v1" {
            return Err("not a caselog receipt (format caselog-receipt/v1)".into());
        }
        let s = |k: &str| v[k].as_str().ok_or_else(|| format!("missing {k}"));
        let h32 = |k: &str| -> Result<[u8; 32], String> {
            hex::decode(s(k)?)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("{k} is not 64 hex digits"))
        };
        let ledger = hex::decode(s("ledger")?)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .ok_or("ledger is not 32 hex digits")?;
        let item = s("item")?.to_owned();
        if !kinds::valid_item_id(&item) {
            return Err("bad item id".into());
        }
        let sig: [u8; 64] = hex::decode(s("sig")?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("sig is not 128 hex digits")?;
        let condition = match &v["condition"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(c) if !c.trim().is_empty() && c.len() <= MAX_SHORT_TEXT => {
                Some(c.clone())
            }
            _ => return Err("condition must be text or null".into()),
        };
        let seal_list = |k: &str| -> Result<Vec<String>, String> {
            match &v[k] {
                serde_json::Value::Null => Ok(Vec::new()),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| format!("{k} must be a list of seal numbers")),
                _ => Err(format!("{k} must be a list of seal numbers")),
            }
        };
        let seals = Seals {
            broken: seal_list("seals_broken")?,
            applied: seal_list("seals_applied")?,
        };
        Ok(ReceiptFile {
            ledger: LedgerId(ledger),
            body: CustodyReceive {
                rejected: None,
                item,
                release: Hash(h32("release")?),
                seal_intact: match &v["seal_intact"] {
                    serde_json::Value::Null => None,
                    b => Some(
                        b.as_bool()
                            .ok_or("seal_intact must be true, false or null")?,
                    ),
                },
                condition,
                seals,
                receipt: None,
            },
            receipt: Receipt {
                key: MemberKey(h32("key")?),
                time: Timestamp::parse(s("time")?)
                    .ok_or("time is not YYYY-MM-DDTHH:MM:SS.ffffffZ")?,
                sig,
            },
        })
    }
}
