//! Entries as JSON, the form `caselog log --json`, `show --json` and the
//! server's `api/log` and `api/show` share.

use serde_json::{json, Map, Value as Json};

use crate::format::cbor::Value;
use crate::format::entry::{Entry, Record};
use crate::format::hash::Hash;
use crate::format::ids::Seq;
use crate::rules::policy::Members;

/// CBOR value as JSON: byte strings become lowercase hex.
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Uint(n) => json!(n),
        Value::Nint(n) => json!(-1 - i128::from(*n)),
        Value::Bytes(b) => json!(hex::encode(b)),
        Value::Text(t) => json!(t),
        Value::Array(a) => Json::Array(a.iter().map(value_json).collect()),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Bool(b) => json!(b),
    }
}

/// A decoded entry with its leaf hash, as JSON.
pub fn entry_json(seq: Seq, leaf: &Hash, record: &Record, e: &Entry, members: &Members) -> Json {
    json!({
        "seq": seq.0,
        "leaf": leaf.to_hex(),
        "ledger": e.ledger.to_hex(),
        "time": e.time.to_string(),
        "author": e.author.to_hex(),
        "author_name": members.get(&e.author).map(|m| m.name.clone()),
        "kind": e.body.kind().name(),
        "prev": e.prev.to_hex(),
        "body": value_json(&e.body.to_value()),
        "sd": e.sd.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        "sig": hex::encode(record.sig),
    })
}
