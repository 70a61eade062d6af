//! What imports took in (SPEC §8, the `"import/"` rows): for each source,
//! named by the SHA-256 of its bytes, how many of its lines are in the
//! ledger. The row is written in the same `WriteBatch` as the entries of
//! those lines, so after a crash, a Ctrl-C or a kill it says exactly what
//! is durable, and a re-run continues after it, never appending a line
//! twice. Not signed and not a cache of the entries: caselog's note of
//! where its inputs came from and how far they got; `verify` checks that
//! each row decodes and names entries the ledger has.

use super::*;
use crate::storage::layout::META_IMPORT_PREFIX;

/// One source's import: what it is and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRecord {
    /// SHA-256 of the whole source, as read when this run began.
    pub source: [u8; 32],
    /// The source as named on the command line (for messages only).
    pub name: String,
    /// Lines in the source.
    pub lines: u64,
    /// Lines 1..=`done` are in the ledger (blank ones take no entry).
    pub done: u64,
    /// Bytes of lines 1..=`done`, newlines included.
    pub done_bytes: u64,
    /// SHA-256 of those bytes: a grown or edited source is recognised by it.
    pub done_sha256: [u8; 32],
    /// Entries appended from this source (every run).
    pub entries: u64,
    /// First and last seq appended from it, once there is one.
    pub seqs: Option<(Seq, Seq)>,
    /// How many times the source was imported from its first line (a
    /// second time only on purpose, `import --again`).
    pub runs: u64,
    /// Recorded time of the run that wrote the row last.
    pub updated: Timestamp,
}

impl ImportRecord {
    /// The row's key: `"import/" || SHA-256 of the source`.
    pub fn key(&self) -> Vec<u8> {
        [META_IMPORT_PREFIX, &self.source].concat()
    }

    /// Deterministic CBOR of the row (SPEC §8).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MapBuilder::new()
            .text("name", &self.name)
            .uint("lines", self.lines)
            .uint("done", self.done)
            .uint("done_bytes", self.done_bytes)
            .bytes("done_sha256", &self.done_sha256)
            .uint("entries", self.entries)
            .uint("runs", self.runs)
            .text("updated", &self.updated.to_string());
        if let Some((a, z)) = self.seqs {
            b = b.put(
                "seqs",
                cbor::Value::Array(vec![cbor::Value::Uint(a.0), cbor::Value::Uint(z.0)]),
            );
        }
        cbor::encode(&b.build())
    }

    /// Parse the row stored under `key`; `None` when it is not one this
    /// version writes (canonical encoding included).
    pub fn decode(key: &[u8], b: &[u8]) -> Option<ImportRecord> {
        let source: [u8; 32] = key.strip_prefix(META_IMPORT_PREFIX)?.try_into().ok()?;
        let mut r = MapReader::new("import", cbor::decode(b).ok()?).ok()?;
        let seqs = match r.opt("seqs") {
            None => None,
            Some(cbor::Value::Array(a)) => match a[..] {
                [cbor::Value::Uint(x), cbor::Value::Uint(y)] if x <= y => Some((Seq(x), Seq(y))),
                _ => return None,
            },
            Some(_) => return None,
        };
        let rec = ImportRecord {
            source,
            name: r.text("name").ok()?,
            lines: r.uint("lines").ok()?,
            done: r.uint("done").ok()?,
            done_bytes: r.uint("done_bytes").ok()?,
            done_sha256: r.fixed::<32>("done_sha256").ok()?,
            entries: r.uint("entries").ok()?,
            runs: r.uint("runs").ok()?,
            updated: Timestamp::parse(&r.text("updated").ok()?)?,
            seqs,
        };
        r.finish().ok()?;
        (rec.done <= rec.lines && rec.encode() == b).then_some(rec)
    }

    /// Whether every line of the source is in.
    pub fn complete(&self) -> bool {
        self.done == self.lines
    }
}

impl Ledger {
    /// Every import row, in key order; a row this version cannot read is
    /// skipped (`verify` reports it).
    pub fn imports(&self) -> Result<Vec<ImportRecord>, LedgerError> {
        let mut out = Vec::new();
        for kv in self.store().iter_from(CF_META, META_IMPORT_PREFIX) {
            let (k, v) = kv?;
            if !k.starts_with(META_IMPORT_PREFIX) {
                break;
            }
            out.extend(ImportRecord::decode(&k, &v));
        }
        Ok(out)
    }

    /// Append `items`, the lines of a source up to `record.done`, and in
    /// the same atomic batch write `record` with these entries counted in
    /// (and delete the row `replaces`, the record of the shorter source
    /// this one grew from). A crash leaves all of it or none. Returns the
    /// entries and the record as written.
    pub fn append_imported(
        &mut self,
        items: Vec<(Body, &Signer, Vec<Disclosure>)>,
        time: Timestamp,
        record: &ImportRecord,
        replaces: Option<[u8; 32]>,
    ) -> Result<(Vec<(Seq, Hash)>, ImportRecord), LedgerError> {
        let n = items.len() as u64;
        let counted = |next: Seq| {
            let mut rec = record.clone();
            if n > 0 {
                rec.entries += n;
                let first = rec.seqs.map_or(next, |(a, _)| a);
                rec.seqs = Some((first, Seq(next.0 + n - 1)));
            }
            rec
        };
        let batch = |next: Seq| {
            let mut b = Batch::new();
            if let Some(old) = replaces.filter(|o| *o != record.source) {
                b.delete(CF_META, [META_IMPORT_PREFIX, &old].concat());
            }
            let rec = counted(next);
            b.put(CF_META, rec.key(), rec.encode());
            b
        };
        let out = self.stage_with_retries(items, time, batch)?;
        let next = out.first().map_or(Seq(self.head.tree.size.0), |(s, _)| *s);
        Ok((out, counted(next)))
    }
}
