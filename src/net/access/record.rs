//! One access record (SPEC §18.1): the request as signed (method,
//! authority, path, query, content digest, and the `Signature-Input` and
//! `Signature` headers verbatim), who signed it, when the server received
//! it, what it answered, and which items the answer was about. Deterministic
//! CBOR (SPEC §2); only the canonical encoding is accepted.

use crate::format::cbor::{self, MapBuilder, MapReader, Value};
use crate::format::ids::{MemberKey, Timestamp};

/// Largest record accepted.
pub const MAX_RECORD: usize = 64 * 1024;

/// One read, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRecord {
    /// Position in the access log, from 0.
    pub seq: u64,
    /// When the server received it.
    pub time: Timestamp,
    /// The member whose key signed the request.
    pub reader: MemberKey,
    /// `GET`.
    pub method: String,
    /// `Host`, as signed.
    pub authority: String,
    /// Path, as signed.
    pub path: String,
    /// Query with its `?`, as signed.
    pub query: String,
    /// `Content-Digest`, when the request had one.
    pub content_digest: Option<String>,
    /// The `Signature-Input` header, verbatim.
    pub signature_input: String,
    /// The `Signature` header, verbatim.
    pub signature: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Items the answer was about (sorted, each once).
    pub items: Vec<String>,
    /// The answer could hold any entry (the timeline, an entry tile).
    pub whole: bool,
}

impl AccessRecord {
    /// The record's bytes (deterministic CBOR, SPEC §2).
    pub fn encode(&self) -> Vec<u8> {
        let m = MapBuilder::new()
            .uint("seq", self.seq)
            .text("time", &self.time.to_string())
            .bytes("reader", &self.reader.0)
            .text("method", &self.method)
            .text("authority", &self.authority)
            .text("path", &self.path)
            .text("query", &self.query)
            .opt_text("content_digest", self.content_digest.as_deref())
            .text("signature_input", &self.signature_input)
            .text("signature", &self.signature)
            .uint("status", u64::from(self.status))
            .put(
                "items",
                Value::Array(self.items.iter().map(|i| Value::Text(i.clone())).collect()),
            )
            .put("whole", Value::Bool(self.whole));
        cbor::encode(&m.build())
    }

    /// Read a record; `None` unless it is one this version writes, in its
    /// canonical encoding.
    pub fn decode(b: &[u8]) -> Option<AccessRecord> {
        if b.len() > MAX_RECORD {
            return None;
        }
        let mut r = MapReader::new("access record", cbor::decode(b).ok()?).ok()?;
        let seq = r.uint("seq").ok()?;
        let time = Timestamp::parse(&r.text("time").ok()?)?;
        let reader = MemberKey(r.fixed::<32>("reader").ok()?);
        let method = r.text("method").ok()?;
        let authority = r.text("authority").ok()?;
        let path = r.text("path").ok()?;
        let query = r.text("query").ok()?;
        let content_digest = r.opt_text("content_digest", MAX_RECORD).ok()?;
        let signature_input = r.text("signature_input").ok()?;
        let signature = r.text("signature").ok()?;
        let status = u16::try_from(r.uint("status").ok()?).ok()?;
        let items = cbor::text_array(r.req("items").ok()?)?;
        let whole = r.bool("whole").ok()?;
        r.finish().ok()?;
        let rec = AccessRecord {
            seq,
            time,
            reader,
            method,
            authority,
            path,
            query,
            content_digest,
            signature_input,
            signature,
            status,
            items,
            whole,
        };
        (rec.encode() == b).then_some(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_only_the_canonical_encoding_is_read() {
        let r = AccessRecord {
            seq: 3,
            time: Timestamp::parse("2026-12-06T10:00:00.000000Z").unwrap(),
            reader: MemberKey([7; 32]),
            method: "GET".into(),
            authority: "127.0.0.1:8080".into(),
            path: "/case/api/show/4".into(),
            query: "?".into(),
            content_digest: None,
            signature_input: "caselog=(...)".into(),
            signature: "caselog=:AA==:".into(),
            status: 200,
            items: vec!["EV-1".into()],
            whole: false,
        };
        let b = r.encode();
        assert_eq!(AccessRecord::decode(&b), Some(r));
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(AccessRecord::decode(&longer), None);
        assert_eq!(AccessRecord::decode(&b[..b.len() - 1]), None);
    }
}
