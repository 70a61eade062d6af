//! Offline bundles: one deterministic CBOR file that lets anyone re-verify
//! a ledger, or a selection of its entries, with no database (SPEC §14).
//!
//! Owns: the bundle format, building it from an open ledger (full: every
//! record; partial: the selected records plus every membership record, each
//! with an inclusion proof), and verifying it against pinned log keys and
//! witnesses with the same problem codes as `verify`.

use thiserror::Error;

mod items;
mod stream;
pub use items::ItemProof;
pub use stream::{carried_files, verify_reader, verify_reader_with};

use crate::audit::Report;
use crate::format::cbor::{self, DecodeError, MapReader, SchemaError, Value};
use crate::format::entry::{Body, Entry, LedgerId, Record, Seq};
use crate::format::hash::{Hash, HashAlg};
use crate::format::kind::Kind;
use crate::ledger::{Damage, Ledger, LedgerError, Missing};
use crate::tlog::checkpoint::{self, CheckpointError, VerifiedCheckpoint};
use crate::tlog::note::VerifierKey;

/// Format tag of a bundle.
pub const BUNDLE_TYPE: &str = "caselog-bundle/v1";
/// Largest bundle read (bytes).
pub const MAX_BUNDLE: usize = 1 << 30;

/// Why a bundle could not be built or read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The ledger could not provide what the bundle needs.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Not deterministic CBOR.
    #[error("bundle is not deterministic CBOR: {0}")]
    Decode(#[from] DecodeError),
    /// The CBOR does not follow the bundle schema.
    #[error("bundle: {0}")]
    Schema(#[from] SchemaError),
    /// The bundle's checkpoint was refused.
    #[error("bundle checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The bundle could not be written.
    #[error("cannot write the bundle: {0}")]
    Io(String),
}

/// One record in a bundle, with its inclusion path (empty in a full bundle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Position.
    pub seq: Seq,
    /// Record bytes exactly as stored.
    pub record: Vec<u8>,
    /// Inclusion path to the checkpoint's root (partial bundles).
    pub path: Vec<Hash>,
}

/// A parsed bundle (nothing verified yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Ledger id.
    pub ledger: LedgerId,
    /// Ledger hash.
    pub alg: HashAlg,
    /// The signed checkpoint note (with cosignatures), verbatim.
    pub checkpoint: String,
    /// True when `items` are all records `0..size`.
    pub full: bool,
    /// Records in ascending seq order.
    pub items: Vec<Item>,
    /// Evidence file contents, by BLAKE3, ascending (`--with-files`).
    pub files: Vec<(Hash, Vec<u8>)>,
    /// Revealed disclosures: (seq of their entry, disclosure bytes),
    /// ascending by seq then bytes (`--reveal`).
    pub disclosures: Vec<(Seq, Vec<u8>)>,
    /// RFC 3161 time-stamp tokens (DER) of the checkpoint, ascending
    /// (SPEC §10.5).
    pub timestamps: Vec<Vec<u8>>,
    /// Partial bundles of items: each item's place in the checkpoint's
    /// item map, ascending by item (SPEC §13.7).
    pub item_proofs: Vec<ItemProof>,
}

impl Bundle {
    /// Deterministic CBOR (SPEC §14).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let head = Head {
            ledger: self.ledger,
            alg: self.alg,
            checkpoint: &self.checkpoint,
            full: self.full,
            disclosures: &self.disclosures,
            files: &self.files,
            timestamps: &self.timestamps,
            item_proofs: &self.item_proofs,
        };
        let items = self.items.iter().cloned().map(Ok);
        write_cbor(&mut out, &head, self.items.len() as u64, items)
            .expect("bundle: encoding into memory cannot fail");
        out
    }

    /// Strict decode.
    pub fn decode(b: &[u8]) -> Result<Bundle, BundleError> {
        let v = cbor::decode_limit(b, MAX_BUNDLE)?;
        let mut r = MapReader::new("bundle", v)?;
        if r.text("type")? != BUNDLE_TYPE {
            return Err(bad("type is not caselog-bundle/v1").into());
        }
        let ledger = LedgerId(r.fixed::<16>("ledger")?);
        let alg = HashAlg::from_name(&r.text("hash")?).ok_or_else(|| bad("unknown hash"))?;
        let checkpoint = r.text("checkpoint")?;
        let full = r.bool("full")?;
        let Value::Array(raw) = r.req("records")? else {
            return Err(bad("records must be an array").into());
        };
        let disclosures = read_disclosures(r.opt("disclosures"))?;
        let files = read_files(r.opt("files"))?;
        let timestamps = read_timestamps(r.opt("timestamps"))?;
        let item_proofs = match r.opt("item_proofs") {
            None => Vec::new(),
            Some(v) => items::from_value(v)?,
        };
        r.finish()?;
        let mut items: Vec<Item> = Vec::with_capacity(raw.len());
        for it in raw {
            let item = read_item(it)?;
            if items.last().is_some_and(|l| l.seq >= item.seq) {
                return Err(bad("records must be in strictly ascending seq order").into());
            }
            items.push(item);
        }
        Ok(Bundle {
            ledger,
            alg,
            checkpoint,
            full,
            items,
            files,
            disclosures,
            timestamps,
            item_proofs,
        })
    }
}

/// A bundle that breaks its schema (SPEC §14.1).
fn bad(m: &str) -> SchemaError {
    SchemaError::Invalid {
        what: "bundle".into(),
        reason: m.into(),
    }
}

/// `disclosures`: absent, or a non-empty array of `[seq, bytes]` in
/// strictly ascending order.
fn read_disclosures(v: Option<Value>) -> Result<Vec<(Seq, Vec<u8>)>, SchemaError> {
    let ds = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(ds)) if !ds.is_empty() => ds,
        Some(_) => return Err(bad("disclosures must be a non-empty array when present")),
    };
    let mut out: Vec<(Seq, Vec<u8>)> = Vec::with_capacity(ds.len());
    for d in ds {
        let Value::Array(mut a) = d else {
            return Err(bad("a disclosure item is not [seq, bytes]"));
        };
        let (b, s) = match (a.pop(), a.pop(), a.is_empty()) {
            (Some(Value::Bytes(b)), Some(Value::Uint(s)), true) => (b, s),
            _ => return Err(bad("a disclosure item is not [uint, bstr]")),
        };
        let item = (Seq(s), b);
        if out.last().is_some_and(|l| *l >= item) {
            return Err(bad(
                "disclosures must be in strictly ascending (seq, bytes) order",
            ));
        }
        out.push(item);
    }
    Ok(out)
}

/// `files`: absent, or a non-empty array of `[blake3, content]` in
/// strictly ascending BLAKE3 order.
fn read_files(v: Option<Value>) -> Result<Vec<(Hash, Vec<u8>)>, SchemaError> {
    let fs = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(fs)) if !fs.is_empty() => fs,
        Some(_) => return Err(bad("files must be a non-empty array when present")),
    };
    let mut out: Vec<(Hash, Vec<u8>)> = Vec::with_capacity(fs.len());
    for f in fs {
        let Value::Array(mut a) = f else {
            return Err(bad("a file item is not [blake3, content]"));
        };
        let (c, h) = match (a.pop(), a.pop(), a.is_empty()) {
            (Some(Value::Bytes(c)), Some(Value::Bytes(h)), true) if h.len() == 32 => (c, h),
            _ => return Err(bad("a file item is not [bstr .size 32, bstr]")),
        };
        let h = Hash::from_slice(&h).expect("bundle: length checked");
        if out.last().is_some_and(|(p, _)| *p >= h) {
            return Err(bad("files must be in strictly ascending BLAKE3 order"));
        }
        out.push((h, c));
    }
    Ok(out)
}

/// Largest time-stamp token a bundle carries.
pub(crate) const MAX_TOKEN: u64 = 65_536;

/// `timestamps`: absent, or a non-empty array of byte strings of at most
/// [`MAX_TOKEN`] bytes, strictly ascending.
fn read_timestamps(v: Option<Value>) -> Result<Vec<Vec<u8>>, SchemaError> {
    let ts = match v {
        None => return Ok(Vec::new()),
        Some(Value::Array(ts)) if !ts.is_empty() => ts,
        Some(_) => return Err(bad("timestamps must be a non-empty array when present")),
    };
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(ts.len());
    for t in ts {
        let Value::Bytes(t) = t else {
            return Err(bad("a time-stamp is not a byte string"));
        };
        if t.len() as u64 > MAX_TOKEN {
            return Err(bad("a time-stamp is over 65536 bytes"));
        }
        if out.last().is_some_and(|l| *l >= t) {
            return Err(bad("timestamps must be in strictly ascending order"));
        }
        out.push(t);
    }
    Ok(out)
}

/// One `records` item: `[seq, record, path]` with at most 64 path hashes.
fn read_item(it: Value) -> Result<Item, SchemaError> {
    let shape = "a record item is not [seq, record, path]";
    let Value::Array(a) = it else {
        return Err(bad(shape));
    };
    let [s, rec, p]: [Value; 3] = a.try_into().map_err(|_| bad(shape))?;
    let (Value::Uint(seq), Value::Bytes(record), Value::Array(path)) = (s, rec, p) else {
        return Err(bad("a record item is not [uint, bstr, [* bstr32]]"));
    };
    let path = path
        .into_iter()
        .map(|h| match h {
            Value::Bytes(b) if b.len() == 32 => {
                Ok(Hash::from_slice(&b).expect("bundle: length checked"))
            }
            _ => Err(bad("path hashes are 32 bytes")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if path.len() > 64 {
        return Err(bad("path longer than 64"));
    }
    Ok(Item {
        seq: Seq(seq),
        record,
        path,
    })
}

/// What to put in a bundle.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Seq ranges (inclusive) to include; empty with no other filter: all.
    pub seqs: Vec<(u64, u64)>,
    /// Evidence items whose entries to include.
    pub items: Vec<String>,
    /// Kinds to include.
    pub kinds: Vec<Kind>,
    /// Also carry the evidence files of the included intakes, read from the
    /// ledger's blob store.
    pub with_files: bool,
    /// Private fields to include as disclosures (default: none, redacted).
    pub reveal: crate::format::disclosure::Reveal,
}

impl Selection {
    /// True when nothing narrows the selection (a full bundle).
    pub fn is_all(&self) -> bool {
        self.seqs.is_empty() && self.items.is_empty() && self.kinds.is_empty()
    }

    fn wants(&self, seq: Seq, e: Option<&Entry>) -> bool {
        if self.seqs.iter().any(|(a, b)| (*a..=*b).contains(&seq.0)) {
            return true;
        }
        let Some(e) = e else { return false };
        self.kinds.contains(&e.body.kind())
            || crate::ledger::entry_item(&e.body).is_some_and(|i| self.items.iter().any(|x| x == i))
    }
}

/// (BLAKE3, (size, SHA-256)) of the files an intake or attach record
/// lists, an intake's tree manifest included (SPEC §13.5, §13.8).
fn intake_files(record: &[u8]) -> Vec<(Hash, (u64, Hash))> {
    let e = Record::decode(record)
        .ok()
        .and_then(|r| Entry::decode(&r.entry_bytes).ok());
    match e.map(|e| e.body) {
        Some(Body::Domain(d)) => d
            .recorded_files()
            .into_iter()
            .map(|f| (f.blake3, (f.size, f.sha256)))
            .collect(),
        _ => Vec::new(),
    }
}

fn is_membership(e: &Entry) -> bool {
    matches!(
        e.body,
        Body::LedgerOpen(_) | Body::MemberEnroll(_) | Body::MemberRevoke(_)
    )
}

/// Everything but the records: what the bundle map holds besides them.
struct Head<'a> {
    ledger: LedgerId,
    alg: HashAlg,
    checkpoint: &'a str,
    full: bool,
    disclosures: &'a [(Seq, Vec<u8>)],
    files: &'a [(Hash, Vec<u8>)],
    timestamps: &'a [Vec<u8>],
    item_proofs: &'a [ItemProof],
}

/// One value of the bundle map, in the order it is written.
enum Part {
    Value(Value),
    Records,
}

/// Write the bundle map (SPEC §14) to `w`, the `records` array item by item
/// from `items` (which must yield exactly `count` items), so a full bundle
/// of any size streams with constant memory. The same bytes as encoding
/// the whole map with [`cbor::encode`].
fn write_cbor<W: std::io::Write>(
    w: &mut W,
    head: &Head<'_>,
    count: u64,
    items: impl Iterator<Item = Result<Item, BundleError>>,
) -> Result<(), BundleError> {
    let mut parts = vec![
        ("type", Part::Value(Value::Text(BUNDLE_TYPE.into()))),
        ("ledger", Part::Value(Value::Bytes(head.ledger.0.to_vec()))),
        ("hash", Part::Value(Value::Text(head.alg.name().into()))),
        (
            "checkpoint",
            Part::Value(Value::Text(head.checkpoint.into())),
        ),
        ("full", Part::Value(Value::Bool(head.full))),
        ("records", Part::Records),
    ];
    if !head.disclosures.is_empty() {
        let v = head
            .disclosures
            .iter()
            .map(|(s, d)| Value::Array(vec![Value::Uint(s.0), Value::Bytes(d.clone())]))
            .collect();
        parts.push(("disclosures", Part::Value(Value::Array(v))));
    }
    if !head.files.is_empty() {
        let v = head
            .files
            .iter()
            .map(|(h, c)| Value::Array(vec![Value::Bytes(h.0.to_vec()), Value::Bytes(c.clone())]))
            .collect();
        parts.push(("files", Part::Value(Value::Array(v))));
    }
    if !head.timestamps.is_empty() {
        let v = head.timestamps.iter().cloned().map(Value::Bytes).collect();
        parts.push(("timestamps", Part::Value(Value::Array(v))));
    }
    if !head.item_proofs.is_empty() {
        parts.push((
            "item_proofs",
            Part::Value(items::to_value(head.item_proofs)),
        ));
    }
    // Map keys in the order of their encoded bytes, RFC 8949 §4.2.1.
    let mut parts: Vec<(Vec<u8>, Part)> = parts
        .into_iter()
        .map(|(k, v)| (cbor::encode(&Value::Text(k.into())), v))
        .collect();
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    let io = |e: std::io::Error| BundleError::Io(e.to_string());
    w.write_all(&cbor::encode_head(5, parts.len() as u64))
        .map_err(io)?;
    let mut items = items;
    for (k, v) in parts {
        w.write_all(&k).map_err(io)?;
        match v {
            Part::Value(v) => w.write_all(&cbor::encode(&v)).map_err(io)?,
            Part::Records => {
                w.write_all(&cbor::encode_head(4, count)).map_err(io)?;
                for n in 0..count {
                    let i = items.next().ok_or({
                        LedgerError::Damaged(Damage::Short {
                            held: n,
                            needed: count,
                        })
                    })??;
                    // [seq, record, path], SPEC §14.
                    let v = Value::Array(vec![
                        Value::Uint(i.seq.0),
                        Value::Bytes(i.record),
                        Value::Array(i.path.iter().map(|h| Value::Bytes(h.0.to_vec())).collect()),
                    ]);
                    w.write_all(&cbor::encode(&v)).map_err(io)?;
                }
                assert!(items.next().is_none(), "bundle: more records than counted");
            }
        }
    }
    Ok(())
}

/// What a bundle will hold, decided in one pass before anything is
/// written: the tree size, the picked positions with their inclusion paths
/// (partial bundles only; a full bundle is every record below the size),
/// the files and the disclosures.
struct Plan {
    size: u64,
    full: bool,
    picked: Vec<(Seq, Vec<Hash>)>,
    files: Vec<(Hash, Vec<u8>)>,
    disclosures: Vec<(Seq, Vec<u8>)>,
    timestamps: Vec<Vec<u8>>,
    item_proofs: Vec<ItemProof>,
}

fn plan(l: &Ledger, checkpoint: &[u8], sel: &Selection) -> Result<Plan, BundleError> {
    let (cp, _) = checkpoint::parse(checkpoint)?;
    let size = cp.head.size;
    let full = sel.is_all();
    let mut picked = Vec::new();
    let mut wanted = std::collections::BTreeSet::new();
    let mut disclosures = Vec::new();
    let reveal = sel.reveal != crate::format::disclosure::Reveal::None;
    // SPEC §13.7: an item bundle proves its items whole when the
    // checkpoint has an item map; a copy's source intake comes along.
    let (item_proofs, extra) = if full {
        (Vec::new(), Vec::new())
    } else {
        items::plan(l, &cp, &sel.items)?
    };
    if !full || sel.with_files || reveal {
        for r in l.records_from(Seq(0)) {
            let (seq, raw) = r?;
            if seq.0 >= size.0 {
                break;
            }
            if !full {
                let e = Record::decode(&raw)
                    .ok()
                    .and_then(|r| Entry::decode(&r.entry_bytes).ok());
                if !(e.as_ref().is_some_and(is_membership)
                    || sel.wants(seq, e.as_ref())
                    || extra.contains(&seq))
                {
                    continue;
                }
                picked.push((seq, l.inclusion_proof(seq, size, Vec::new())?.path));
            }
            if sel.with_files {
                wanted.extend(intake_files(&raw).into_iter().map(|(b3, _)| b3));
            }
            if reveal {
                let mut ds: Vec<Vec<u8>> = l
                    .disclosures_of(seq)?
                    .into_iter()
                    .filter(|(_, d)| sel.reveal.shows(&d.path))
                    .map(|(_, d)| d.encode())
                    .collect();
                ds.sort();
                disclosures.extend(ds.into_iter().map(|d| (seq, d)));
            }
        }
    }
    let mut files = Vec::new();
    for b3 in wanted {
        let path = crate::storage::evidence::blob_path(l.store().dir(), &b3);
        let content = std::fs::read(&path).map_err(|e| {
            LedgerError::NotFound(Missing::EvidenceFile {
                blake3: b3,
                reason: e.to_string(),
            })
        })?;
        files.push((b3, content));
    }
    let mut timestamps = l.timestamps_at(size)?;
    timestamps.sort();
    Ok(Plan {
        size: size.0,
        full,
        picked,
        files,
        disclosures,
        timestamps,
        item_proofs,
    })
}

impl Plan {
    fn count(&self) -> u64 {
        if self.full {
            self.size
        } else {
            self.picked.len() as u64
        }
    }

    /// The records, read from the ledger as they are written.
    fn items<'a>(
        &'a self,
        l: &'a Ledger,
    ) -> Box<dyn Iterator<Item = Result<Item, BundleError>> + 'a> {
        if self.full {
            let size = self.size;
            Box::new(
                l.records_from(Seq(0))
                    .take(size as usize)
                    .enumerate()
                    .map(|(n, r)| {
                        let (seq, record) = r?;
                        if seq.0 != n as u64 {
                            return Err(LedgerError::Damaged(Damage::RecordMissing {
                                seq: n as u64,
                            })
                            .into());
                        }
                        Ok(Item {
                            seq,
                            record,
                            path: Vec::new(),
                        })
                    }),
            )
        } else {
            Box::new(self.picked.iter().map(move |(seq, path)| {
                let record = l
                    .record_bytes(*seq)?
                    .ok_or(LedgerError::Damaged(Damage::RecordMissing { seq: seq.0 }))?;
                Ok(Item {
                    seq: *seq,
                    record,
                    path: path.clone(),
                })
            }))
        }
    }

    fn head<'a>(&'a self, l: &Ledger, checkpoint: &'a str) -> Head<'a> {
        Head {
            ledger: l.id(),
            alg: l.hash_alg(),
            checkpoint,
            full: self.full,
            disclosures: &self.disclosures,
            files: &self.files,
            timestamps: &self.timestamps,
            item_proofs: &self.item_proofs,
        }
    }
}

/// Build a bundle in memory against the stored checkpoint `checkpoint`
/// (its size bounds what is included); the same ledger and selection
/// always give the same bytes. [`write`] streams the same bytes instead.
pub fn build(l: &Ledger, checkpoint: &[u8], sel: &Selection) -> Result<Bundle, BundleError> {
    let p = plan(l, checkpoint, sel)?;
    let items = p.items(l).collect::<Result<Vec<_>, _>>()?;
    if items.len() as u64 != p.count() {
        return Err(LedgerError::Damaged(Damage::Short {
            held: items.len() as u64,
            needed: p.count(),
        })
        .into());
    }
    Ok(Bundle {
        ledger: l.id(),
        alg: l.hash_alg(),
        checkpoint: String::from_utf8_lossy(checkpoint).into_owned(),
        full: p.full,
        items,
        files: p.files,
        disclosures: p.disclosures,
        timestamps: p.timestamps,
        item_proofs: p.item_proofs,
    })
}

/// What [`write`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// A full bundle (every record up to the checkpoint).
    pub full: bool,
    /// Records written.
    pub records: u64,
    /// The checkpoint's tree size.
    pub size: u64,
    /// Items proven whole by the checkpoint's item map (SPEC §13.7).
    pub item_proofs: usize,
}

/// Stream a bundle to `w`: the same bytes as `build(..).encode()`, with
/// memory that does not grow with the number of records (partial bundles
/// keep the picked positions and their paths; files and disclosures are
/// held whole).
pub fn write<W: std::io::Write>(
    l: &Ledger,
    checkpoint: &[u8],
    sel: &Selection,
    w: &mut W,
) -> Result<Written, BundleError> {
    let p = plan(l, checkpoint, sel)?;
    if l.head().tree.size.0 < p.size {
        return Err(LedgerError::Damaged(Damage::Short {
            held: l.head().tree.size.0,
            needed: p.size,
        })
        .into());
    }
    let cp = String::from_utf8_lossy(checkpoint);
    write_cbor(w, &p.head(l, &cp), p.count(), p.items(l))?;
    Ok(Written {
        full: p.full,
        records: p.count(),
        size: p.size,
        item_proofs: p.item_proofs.len(),
    })
}

/// Verify a bundle: the checkpoint under pinned keys and witness quorum,
/// then (full) the whole chain recomputed to the checkpoint's root, or
/// (partial) each record's inclusion path, signature and the membership its
/// author had at that position. Problems use the codes of `verify`. The
/// same checks as [`verify_bytes`] (which this calls on the encoding), for
/// a bundle already in memory; a refused checkpoint is an `Err`.
pub fn verify(
    b: &Bundle,
    trust: &[VerifierKey],
    witnesses: &[VerifierKey],
    quorum: usize,
) -> Result<(Report, VerifiedCheckpoint), BundleError> {
    let v = verify_bytes(&b.encode(), trust, witnesses, quorum);
    match v.checkpoint {
        Some(vc) => Ok((v.report, vc)),
        None => match checkpoint::verify(b.checkpoint.as_bytes(), trust, witnesses, quorum) {
            Err(e) => Err(e.into()),
            Ok(_) => unreachable!("bundle: a bundle that encodes is a bundle"),
        },
    }
}

/// SPEC §10.2-§10.3, §14: a bundle's checkpoint counts only when one of the
/// pinned keys that signed it belongs to an authority active at its size,
/// as replayed from the membership records the bundle carries. A pinned key
/// that was revoked (or never was an authority) cannot vouch for a state.
fn signer_not_authority(
    vc: &VerifiedCheckpoint,
    members: &crate::rules::policy::Members,
) -> Option<String> {
    let active = |k: &VerifierKey| {
        members
            .get(&k.key)
            .is_some_and(|m| m.role == crate::format::entry::Role::Authority && m.revoked.is_none())
    };
    if vc.log_keys().iter().any(active) {
        return None;
    }
    let names: Vec<String> = vc
        .log_keys()
        .iter()
        .map(|k| members.display(&k.key))
        .collect();
    Some(format!(
        "the checkpoint of size {} is signed by {}, not by an authority active at that size",
        vc.checkpoint().head.size.0,
        names.join(", ")
    ))
}

/// The outcome of verifying a bundle file: always a [`Report`], so that a
/// file that is not a bundle and a refused checkpoint are reported with
/// codes like every other problem (SPEC §14.1).
#[derive(Debug)]
pub struct Verdict {
    /// Problems found (empty: verified).
    pub report: Report,
    /// The checkpoint, when it verified under the pinned keys and quorum.
    pub checkpoint: Option<VerifiedCheckpoint>,
    /// Whether the bundle is full (`None` when the file is not a bundle).
    pub full: Option<bool>,
    /// The file is not a bundle (bad CBOR or not the bundle schema): the
    /// CLI exits 2, as for other unreadable input.
    pub not_a_bundle: bool,
    /// Each carried file an included intake lists: its BLAKE3 (the key it
    /// is carried under), the item and the file name the intake gives.
    pub carried: Vec<(Hash, String, String)>,
}

/// Verify the bundle in `bytes` (see [`verify_reader`], which reads a
/// file without holding it).
pub fn verify_bytes(
    bytes: &[u8],
    trust: &[VerifierKey],
    witnesses: &[VerifierKey],
    quorum: usize,
) -> Verdict {
    verify_reader(std::io::Cursor::new(bytes), trust, witnesses, quorum)
        .expect("bundle: reading memory cannot fail")
}
