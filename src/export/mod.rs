//! Layer 7, export: what leaves the ledger for people and other tools.
//!
//! This file: timeline exports for other tools: JSON
//! (`schemas/timeline.schema.json`), CSV, Timesketch JSONL, and CASE/UCO
//! JSON-LD (`export_case`). Beside it: the timeline rows (`timeline`), the
//! CASE/UCO graph (`case_uco`) and the court exhibit (`court`).
//!
//! Owns: turning the timeline rows of an open ledger into those formats.
//! Exports include everything recorded (selective disclosure is a later
//! version): treat them as containing personal data.

pub mod case_uco;
pub mod certification;
pub mod court;
pub mod disposition;
pub mod json;
pub mod pdf;
pub mod production;
pub mod production_check;
pub mod select;
pub mod status;
pub mod timeline;
pub mod tree;
pub mod zone;

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value as Json};

use crate::format::disclosure::Reveal;
use crate::format::entry::Entry;
use crate::format::entry::Seq;
use crate::format::kind::Kind;
use crate::format::kinds::Domain;
use crate::ledger::{Ledger, LedgerError};
use timeline::{Filter, Row};

/// The timeline rows of a ledger (corrections applied, filtered, sorted).
pub fn timeline_rows(l: &Ledger, filter: &Filter) -> Result<Vec<Row>, LedgerError> {
    let mut b = timeline::Builder::new();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        b.push(&decode(seq, &raw)?, l.hash_alg().leaf(&raw));
    }
    Ok(b.finish(filter))
}

/// RFC 3339 UTC of a second count, or None when out of chrono's range.
pub fn iso(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Evidence item ids and SHA-256 digests a row mentions.
fn row_items(r: &Row) -> (Vec<String>, Vec<String>) {
    match &r.body {
        // A tree's listing and manifest too (see `digests` for which is which).
        Domain::EvidenceIntake(i) => (
            vec![i.item.clone()],
            i.digest_rows().iter().map(|f| f.sha256.to_hex()).collect(),
        ),
        _ => (
            r.body.item().map(str::to_owned).into_iter().collect(),
            Vec::new(),
        ),
    }
}

/// The revealed private fields of a row: (path, value), in `sd` order.
/// Redacted rows still carry their digests (`sd`), so a recipient given a
/// disclosure later can check it belongs.
pub fn revealed(
    l: &Ledger,
    r: &Row,
    reveal: &Reveal,
) -> Result<Vec<(String, String)>, LedgerError> {
    if *reveal == Reveal::None || r.sd.is_empty() {
        return Ok(Vec::new());
    }
    Ok(l.disclosures_of(r.seq)?
        .into_iter()
        .filter(|(_, d)| reveal.shows(&d.path))
        .map(|(_, d)| (d.path.clone(), d.value_text()))
        .collect())
}

/// How the row's local date-time was read in its zone (SPEC §13.1).
fn zone_json(r: &Row) -> Json {
    match &r.zoned {
        None => Json::Null,
        Some(z) => json!({
            "as": z.as_str(),
            "tzdb": zone::tzdb_release(),
            "zone": r.body.zone().or(r.case_zone.as_deref()),
            "from": if r.body.zone().is_some() { "entry" } else { "case" },
        }),
    }
}

/// The CSV form of [`zone_json`]: `instant (tzdb 2025b)`, or empty.
fn zone_csv(r: &Row) -> String {
    r.zoned
        .as_ref()
        .map(|z| format!("{} (tzdb {})", z.as_str(), zone::tzdb_release()))
        .unwrap_or_default()
}

fn private_json(private: &[(String, String)]) -> Json {
    Json::Object(private.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// One row as JSON (the `rows` items of `schemas/timeline.schema.json`).
pub fn row_json(l: &Ledger, r: &Row, private: &[(String, String)]) -> Json {
    let (items, sha256) = row_items(r);
    let digests: Vec<Json> = match &r.body {
        Domain::EvidenceIntake(i) => i
            .digest_rows()
            .iter()
            .map(|f| {
                let of = match f.what {
                    crate::format::kinds::DigestOf::File => "file",
                    crate::format::kinds::DigestOf::Listing { .. } => "tree-listing",
                    crate::format::kinds::DigestOf::Manifest => "tree-manifest",
                };
                json!({"name": f.name, "of": of, "size": f.size, "sha256": f.sha256.to_hex(), "blake3": f.blake3.to_hex()})
            })
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "voided": r.voided.iter().map(|v| json!({"seq": v.seq.0, "by": l.members().display(&v.by), "reason": v.reason})).collect::<Vec<_>>(),
        "zone_resolution": zone_json(r),
        "digests": digests,
        "seq": r.seq.0,
        "leaf": r.leaf.to_hex(),
        "kind": r.kind.name(),
        "occurred": r.occurred.as_str(),
        "zone": r.body.zone(),
        "occurred_earliest": iso(r.occurred.earliest()),
        "occurred_latest": iso(r.occurred.latest()),
        "approximate": r.occurred.is_approximate(),
        "uncertain": r.occurred.is_uncertain(),
        "recorded": r.recorded.to_string(),
        "author": l.members().display(&r.author),
        "author_key": r.author.to_hex(),
        "summary": r.summary,
        "items": items,
        "sha256": sha256,
        "sources": match &r.body {
            Domain::Event(e) => e.sources.iter().map(|s| json!({"name": s.name, "grade": s.grade, "ref": s.reference})).collect::<Vec<_>>(),
            _ => Vec::new(),
        },
        "sd": r.sd.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        "private": private_json(private),
        "corrections": r.corrections.iter().map(|c| json!({
            "seq": c.seq.0,
            "reason": c.reason,
            "applied": c.applied,
            "fields": c.fields.iter().map(|(k, (old, new))| json!({"field": k, "original": old, "corrected": new})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The timeline as one JSON document.
pub fn to_json(l: &Ledger, rows: &[Row], reveal: &Reveal) -> Result<Json, LedgerError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(row_json(l, r, &revealed(l, r, reveal)?));
    }
    let mut doc = timeline_head(l, reveal);
    doc["rows"] = Json::Array(out);
    Ok(doc)
}

/// The timeline document without its rows.
fn timeline_head(l: &Ledger, reveal: &Reveal) -> Json {
    json!({
        "format": "caselog-timeline/v1",
        "ledger": l.id().to_hex(),
        "hash": l.hash_alg().name(),
        "entries": l.head().tree.size.0,
        "root": l.head().tree.root.to_hex(),
        "redacted": *reveal == Reveal::None,
    })
}

/// The CSV header row.
const CSV_HEADER: [&str; 19] = [
    "seq",
    "occurred",
    "earliest",
    "latest",
    "approximate",
    "uncertain",
    "recorded",
    "kind",
    "author",
    "summary",
    "items",
    "sha256",
    "corrected",
    "leaf",
    "private_digests",
    "private",
    "zone",
    "zone_resolution",
    "voided",
];

/// One row as CSV fields (in [`CSV_HEADER`] order).
fn csv_record(l: &Ledger, r: &Row, private: &[(String, String)]) -> Vec<String> {
    let (items, sha) = csv_digests(r);
    let corrected: Vec<String> = r
        .corrections
        .iter()
        .map(|c| {
            format!(
                "#{} {}: {}",
                c.seq.0,
                c.reason,
                c.fields
                    .iter()
                    .map(|(k, (o, n))| format!("{k} {} -> {n}", o.as_deref().unwrap_or("(none)")))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect();
    vec![
        r.seq.0.to_string(),
        r.occurred.as_str().to_owned(),
        iso(r.occurred.earliest()).unwrap_or_default(),
        iso(r.occurred.latest()).unwrap_or_default(),
        r.occurred.is_approximate().to_string(),
        r.occurred.is_uncertain().to_string(),
        r.recorded.to_string(),
        r.kind.name().to_owned(),
        inert(l.members().display(&r.author)),
        inert(r.summary.clone()),
        inert(items.join(" ")),
        sha.join(" "),
        inert(corrected.join(" | ")),
        r.leaf.to_hex(),
        r.sd.iter()
            .map(|h| h.to_hex())
            .collect::<Vec<_>>()
            .join(" "),
        inert(
            private
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        r.body.zone().unwrap_or_default().to_owned(),
        zone_csv(r),
        inert(voided_text(l, r)),
    ]
}

/// `entered in error (void #N by NAME: reason)`, every void of the row's
/// entry (SPEC §13.4); empty when none.
pub fn voided_text(l: &Ledger, r: &Row) -> String {
    r.voided
        .iter()
        .map(|v| {
            format!(
                "entered in error (void #{} by {}: {})",
                v.seq.0,
                l.members().display(&v.by),
                v.reason
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A free-text CSV cell a spreadsheet will not run as a formula (OWASP
/// "CSV Injection"): one starting with `=`, `+`, `-`, `@`, tab or CR gets
/// a leading `'`. Subject lines and names are chosen by whoever wrote
/// them, an extortionist included. The other columns are formatted by
/// caselog (numbers, hashes, EDTF, times) and left as they are.
fn inert(cell: String) -> String {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}"),
        _ => cell,
    }
}

/// Items and SHA-256 digests for a CSV row: a tree's listing and
/// manifest are labelled `NAME/=HEX` and `NAME.tree.cbor=HEX`.
fn csv_digests(r: &Row) -> (Vec<String>, Vec<String>) {
    match &r.body {
        Domain::EvidenceIntake(i) => (
            vec![i.item.clone()],
            i.digest_rows()
                .iter()
                .map(|f| match f.what {
                    crate::format::kinds::DigestOf::File => f.sha256.to_hex(),
                    _ => format!("{}={}", f.name, f.sha256.to_hex()),
                })
                .collect(),
        ),
        _ => row_items(r),
    }
}

/// The timeline as CSV with a header row, in memory.
pub fn to_csv(l: &Ledger, rows: &[Row], reveal: &Reveal) -> Result<Vec<u8>, LedgerError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)
        .expect("export: writing CSV to memory");
    for r in rows {
        w.write_record(csv_record(l, r, &revealed(l, r, reveal)?))
            .expect("export: writing CSV to memory");
    }
    Ok(w.into_inner().expect("export: CSV buffer"))
}

/// The dated rows in timeline order (occurred, then recorded, then seq),
/// corrections applied, filtered, handed to `f` one at a time. Streams in
/// three passes over the ledger: corrections; sort keys of the rows that
/// pass the filter (32 bytes per row is all that is held); then each row
/// re-read in order. Returns the number of rows.
pub fn for_each_row(
    l: &Ledger,
    filter: &Filter,
    mut f: impl FnMut(&Row) -> Result<(), WriteError>,
) -> Result<u64, WriteError> {
    let mut corrections = timeline::Corrections::default();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        corrections.offer(&decode(seq, &raw)?);
    }
    let row_at = |seq: Seq, raw: &[u8]| -> Result<Option<Row>, LedgerError> {
        let Some(mut r) = timeline::row_of(&decode(seq, raw)?, l.hash_alg().leaf(raw)) else {
            return Ok(None);
        };
        corrections.apply(&mut r);
        Ok(filter.keeps(&r).then_some(r))
    };
    let mut keys: Vec<((i64, i64), i64, u64)> = Vec::new();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        if let Some(r) = row_at(seq, &raw)? {
            keys.push((r.occurred.sort_key(), r.recorded.micros(), r.seq.0));
        }
    }
    keys.sort_unstable();
    for (_, _, seq) in &keys {
        let raw = l.record_bytes(Seq(*seq))?.ok_or(LedgerError::Damaged(
            crate::ledger::Damage::Vanished { seq: *seq },
        ))?;
        let r = row_at(Seq(*seq), &raw)?.expect("export: a row changed between passes");
        f(&r)?;
    }
    Ok(keys.len() as u64)
}

/// Stream the timeline as CSV (the same bytes as [`to_csv`] of the same
/// rows). Returns the number of rows.
pub fn write_csv<W: Write>(
    l: &Ledger,
    filter: &Filter,
    reveal: &Reveal,
    w: &mut W,
) -> Result<u64, WriteError> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(CSV_HEADER).map_err(std::io::Error::from)?;
    let n = for_each_row(l, filter, |r| {
        c.write_record(csv_record(l, r, &revealed(l, r, reveal)?))
            .map_err(std::io::Error::from)?;
        Ok(())
    })?;
    c.flush()?;
    Ok(n)
}

/// Stream the timeline as one JSON document (`schemas/timeline.schema.json`;
/// the same content as [`to_json`], compact). Returns the number of rows.
pub fn write_json<W: Write>(
    l: &Ledger,
    filter: &Filter,
    reveal: &Reveal,
    w: &mut W,
) -> Result<u64, WriteError> {
    let mut open = timeline_head(l, reveal).to_string();
    open.pop(); // the closing brace: "rows" follows
    w.write_all(open.as_bytes())?;
    w.write_all(b",\"rows\":[")?;
    let mut first = true;
    let n = for_each_row(l, filter, |r| {
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *w, &row_json(l, r, &revealed(l, r, reveal)?))
            .map_err(std::io::Error::from)?;
        Ok(())
    })?;
    w.write_all(b"]}\n")?;
    Ok(n)
}

/// Timesketch JSONL: `message`, `datetime`, `timestamp` (µs) and
/// `timestamp_desc` on every line, plus caselog attributes. An approximate
/// or interval date maps to its earliest bound (the latest for an open
/// start); the EDTF string and both bounds are kept.
///
/// Streams: one pass collects the corrections, a second writes one line per
/// dated entry in ledger order (Timesketch orders events itself), so memory
/// does not grow with the ledger. Returns the number of lines written.
pub fn write_timesketch<W: Write>(
    l: &Ledger,
    filter: &Filter,
    reveal: &Reveal,
    w: &mut W,
) -> Result<u64, WriteError> {
    let mut corrections = timeline::Corrections::default();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        corrections.offer(&decode(seq, &raw)?);
    }
    let mut n = 0u64;
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        let Some(mut r) = timeline::row_of(&decode(seq, &raw)?, l.hash_alg().leaf(&raw)) else {
            continue;
        };
        corrections.apply(&mut r);
        if !filter.keeps(&r) {
            continue;
        }
        let private = revealed(l, &r, reveal)?;
        serde_json::to_writer(&mut *w, &timesketch_json(l, &r, &private))
            .map_err(std::io::Error::from)?;
        w.write_all(b"\n")?;
        n += 1;
    }
    Ok(n)
}

/// Why a streaming export stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

fn decode(seq: Seq, raw: &[u8]) -> Result<Entry, LedgerError> {
    crate::ledger::decode(seq, raw).map(|(_, e)| e)
}

/// One Timesketch event.
fn timesketch_json(l: &Ledger, r: &Row, private: &[(String, String)]) -> Json {
    let at = r.occurred.earliest().or(r.occurred.latest()).unwrap_or(0);
    let (items, sha256) = row_items(r);
    let verb = match r.kind {
        Kind::Notification => "Sent",
        Kind::EvidenceIntake => "Collected",
        _ => "Occurred",
    };
    // A local time the zone's clocks showed twice is the earlier of two
    // instants, and said so (SPEC §13.1).
    let desc = match (&r.zoned, r.occurred.is_imprecise()) {
        (Some(zone::Zoned::Ambiguous(..)), _) => format!("{verb} (the earlier of two instants)"),
        (_, true) => format!("{verb} (approximate)"),
        (_, false) => verb.to_owned(),
    };
    let mut message = format!("[{}] {}", r.kind, r.summary);
    if !r.corrections.is_empty() {
        message.push_str(" (corrected)");
    }
    if !r.voided.is_empty() {
        message = format!("[VOID] {message}: {}", voided_text(l, r));
    }
    json!({
        "message": message,
        "datetime": iso(Some(at)),
        "timestamp": at.saturating_mul(1_000_000),
        "timestamp_desc": desc,
        "caselog_seq": r.seq.0,
        "caselog_leaf_hash": r.leaf.to_hex(),
        "caselog_kind": r.kind.name(),
        "caselog_recorded": r.recorded.to_string(),
        "caselog_author": l.members().display(&r.author),
        "caselog_ledger": l.id().to_hex(),
        "occurred_edtf": r.occurred.as_str(),
        "occurred_zone": r.body.zone(),
        "occurred_zone_resolution": zone_json(r),
        "edtf_earliest": iso(r.occurred.earliest()),
        "edtf_latest": iso(r.occurred.latest()),
        "item_ids": items,
        "sha256": sha256,
        "corrected": !r.corrections.is_empty(),
        "voided": !r.voided.is_empty(),
        "private_digests": r.sd.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
        "private": private_json(private),
    })
}
