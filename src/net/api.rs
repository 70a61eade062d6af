//! The HTTP API's paths and bodies (SPEC §17), shared by server and client.
//!
//! Per case, below `<base>/<case>/`: `checkpoint` and `tile/<L>/<N>[.p/<W>]`
//! (public, C2SP tlog-tiles), `tile/entries/<N>[.p/<W>]` (members), and the
//! members' JSON API under `api/`: `head`, `append` (POST, CBOR
//! submissions), `checkpoint` (POST, a signed note), `disclosures/<seq>`,
//! `log`. Errors are JSON [`ApiError`]s whose `code` is SPEC §9's code for
//! the rule broken, or one of the request codes of SPEC §17.

use serde::{Deserialize, Serialize};

use crate::format::cbor::{self, Value};
use crate::format::hash::HashAlg;
use crate::format::ids::LedgerId;
use crate::ledger::{Head, Submission};

/// Content type of an append request body.
pub const CBOR: &str = "application/cbor";
/// Largest request body the server reads by default (a record is at most
/// 64 KiB to fit an entry bundle, SPEC §17; private values ride along).
pub const DEFAULT_MAX_BODY: usize = 4 << 20;
/// A request's `created` may differ from the server's clock by this much.
pub const CLOCK_SKEW_SECS: u64 = 300;
/// A submitted entry's `time` may be this far behind the server's clock.
pub const ENTRY_SKEW_SECS: i64 = 300;
/// A submitted entry's `time` may be this far ahead of the server's clock
/// (later entries may not be earlier, so a time far ahead would be
/// inherited by every entry after it).
pub const ENTRY_AHEAD_SECS: i64 = 5;

/// The ledger's head as the API gives it: what a client signs against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadInfo {
    /// Ledger id, 32 hex digits.
    pub ledger: String,
    /// Ledger hash name.
    pub hash: String,
    /// Tree size: the seq the next record must have.
    pub size: u64,
    /// Tree root, hex.
    pub root: String,
    /// Leaf hash of the last record, hex: the next record's `prev`.
    pub last: String,
    /// Time of the last record: the next record's earliest `time`.
    pub time: String,
}

impl HeadInfo {
    /// The head of a ledger.
    pub fn of(id: LedgerId, alg: HashAlg, h: &Head) -> HeadInfo {
        HeadInfo {
            ledger: id.to_hex(),
            hash: alg.name().to_owned(),
            size: h.tree.size.0,
            root: h.tree.root.to_hex(),
            last: h.last.to_hex(),
            time: h.time.to_string(),
        }
    }
}

/// An error answer: HTTP status, a stable code, a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// SPEC §9 code of the rule broken, or a request code (SPEC §17).
    pub code: String,
    /// What went wrong, one line.
    pub error: String,
    /// The CLI exit status the same failure has locally.
    pub exit: u8,
    /// With `STALE_HEAD`: the head to sign against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<Box<HeadInfo>>,
}

impl ApiError {
    /// An error with no head.
    pub fn new(status: u16, code: &str, exit: u8, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            error: error.into(),
            exit,
            head: None,
        }
    }
}

/// One appended record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendedEntry {
    /// Its seq.
    pub seq: u64,
    /// Its leaf hash, hex.
    pub leaf: String,
}

/// The answer to an append: the records, durably committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    /// The records in order.
    pub entries: Vec<AppendedEntry>,
    /// When the ledger's checkpoint interval was crossed: the size an
    /// authority should sign (the server holds no key).
    pub checkpoint_due: Option<u64>,
}

/// The body of `POST api/append`: a CBOR array of `[record, [private...]]`.
pub fn encode_submissions(subs: &[Submission]) -> Vec<u8> {
    cbor::encode(&Value::Array(
        subs.iter()
            .map(|s| {
                Value::Array(vec![
                    Value::Bytes(s.record.clone()),
                    Value::Array(s.private.iter().cloned().map(Value::Bytes).collect()),
                ])
            })
            .collect(),
    ))
}

/// Strictly decode an append body; `None` when it is not one.
pub fn decode_submissions(b: &[u8]) -> Option<Vec<Submission>> {
    let Value::Array(items) = cbor::decode(b).ok()? else {
        return None;
    };
    if items.is_empty() {
        return None;
    }
    items
        .into_iter()
        .map(|it| match it {
            Value::Array(mut pair) if pair.len() == 2 => {
                let private = pair.pop().expect("len 2");
                let record = pair.pop().expect("len 2");
                match (record, private) {
                    (Value::Bytes(record), Value::Array(p)) => Some(Submission {
                        record,
                        private: p
                            .into_iter()
                            .map(|v| match v {
                                Value::Bytes(b) => Some(b),
                                _ => None,
                            })
                            .collect::<Option<_>>()?,
                    }),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// The HTTP answer to a ledger error (SPEC §17.3): a refused write
/// carries the §9 code a verifier reports for the same rule
/// ([`LedgerError::code`](crate::ledger::LedgerError::code)); the rest map
/// to the request codes. Used by the routes and by the sequencer.
pub(crate) fn refusal(l: &crate::ledger::Ledger, e: &crate::ledger::LedgerError) -> ApiError {
    if let crate::ledger::LedgerError::StaleHead { .. } = e {
        let mut err = ApiError::new(409, "STALE_HEAD", 2, e.to_string());
        err.head = Some(Box::new(HeadInfo::of(l.id(), l.hash_alg(), l.head())));
        return err;
    }
    if let Some(code) = e.code() {
        return ApiError::new(
            422,
            code.as_str(),
            2,
            format!("refused, nothing written: {e}"),
        );
    }
    match e {
        crate::ledger::LedgerError::TooLarge { .. } => {
            ApiError::new(413, "TOO_LARGE", 2, e.to_string())
        }
        crate::ledger::LedgerError::NotFound(_) => {
            ApiError::new(404, "NOT_FOUND", 2, e.to_string())
        }
        crate::ledger::LedgerError::ReadOnly => {
            ApiError::new(405, "READ_ONLY", 2, "this case is served read-only")
        }
        crate::ledger::LedgerError::TooLargeForBundle { .. } => {
            ApiError::new(409, "TOO_LARGE_FOR_BUNDLE", 2, e.to_string())
        }
        crate::ledger::LedgerError::UnverifiedSignatures { .. }
        | crate::ledger::LedgerError::TooManySignatures { .. } => {
            ApiError::new(422, "BAD_CHECKPOINT", 2, e.to_string())
        }
        crate::ledger::LedgerError::Store(_) | crate::ledger::LedgerError::Damaged(_) => {
            ApiError::new(503, "STORAGE", 3, e.to_string())
        }
        _ => ApiError::new(422, "REFUSED", 2, e.to_string()),
    }
}
