//! Verifying a bundle from a seekable reader (SPEC §14), so that memory
//! does not grow with the file: a 1 GiB bundle is never held, nor decoded
//! into one tree of values (a bundle of many tiny items used to grow ~30
//! times in memory).
//!
//! Three passes over the input, in this order, each with the codes of
//! SPEC §2, §14.1 and §9.1:
//! 1. the whole map is checked against §2 without keeping anything (first
//!    breach: `DECODE` or `NON_CANONICAL`, not a bundle);
//! 2. its shape (§14.1): the keys, the small values, every record, file and
//!    disclosure item's form and order (`DECODE`, not a bundle), then the
//!    checkpoint under the pinned keys and quorum (`BAD_CHECKPOINT`). A
//!    bundle no pinned key vouches for is refused here, having cost one
//!    read of the file;
//! 3. the records one at a time through the chain verifier (a record over
//!    1 MiB is hashed while it is read and reported), then the carried
//!    files (hashed while read) and disclosures.
//!
//! What it keeps grows only with what a pinned authority signed: the leaf
//! hashes of the records (for references), the membership, custody and
//! private-field digests, at most 1,000 problems.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Seek};
use std::rc::Rc;

use super::{signer_not_authority, Verdict, BUNDLE_TYPE, MAX_BUNDLE};
use crate::audit::{engine, ChainVerifier, Code, CopyCheck, Prepared, Report};
use crate::format::cbor::{DecodeError, MAX_ENCODED_LEN};
use crate::format::cbor_stream::{CborStream, StreamError};
use crate::format::entry::{Body, LedgerId};
use crate::format::hash::{Hash, HashAlg};
use crate::tlog::checkpoint::{self, Origin, VerifiedCheckpoint};
use crate::tlog::note::VerifierKey;
use crate::tlog::trust::TrustPolicy;
use crate::tlog::tsp::Anchors;

/// How a bundle failed before verification proper.
enum Stop {
    /// Not a bundle (SPEC §14.1): the code and why.
    NotBundle(Code, String),
    /// The checkpoint was refused.
    Checkpoint(String),
    /// Reading failed.
    Io(io::Error),
}

impl From<StreamError> for Stop {
    fn from(e: StreamError) -> Stop {
        match e {
            StreamError::Io(e) => Stop::Io(e),
            StreamError::Decode(d) => Stop::NotBundle(
                if d.is_non_canonical() {
                    Code::NonCanonical
                } else {
                    Code::Decode
                },
                format!("not deterministic CBOR (SPEC §2): {d}"),
            ),
        }
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

fn shape(reason: &str) -> Stop {
    Stop::NotBundle(Code::Decode, format!("the map breaks SPEC §14: {reason}"))
}

/// Where the values of the bundle map lie: key -> (start, end).
type Layout = BTreeMap<String, (u64, u64)>;

/// The bundle's small values, checked (§14.1).
struct Head {
    ledger: LedgerId,
    alg: HashAlg,
    full: bool,
    /// The note, or None when it is larger than a note may be.
    checkpoint: Option<Vec<u8>>,
}

/// Verify the bundle `r` holds. `Err` only when reading fails.
pub fn verify_reader<R: Read + Seek>(
    r: R,
    trust: &[VerifierKey],
    witnesses: &[VerifierKey],
    quorum: usize,
) -> io::Result<Verdict> {
    let policy = TrustPolicy::from_keys(trust, witnesses, quorum, &[], 0)
        .expect("bundle: witness keys alone cannot clash");
    verify_reader_with(r, &policy, None)
}

/// [`verify_reader`] under a whole trust policy (log keys, witness and
/// mirror quorums, SPEC §10.6), with the roots the checkpoint's
/// time-stamps must chain to (`--tsa-ca`, SPEC §10.5).
pub fn verify_reader_with<R: Read + Seek>(
    r: R,
    policy: &TrustPolicy,
    tsa: Option<&Anchors>,
) -> io::Result<Verdict> {
    let mut s = CborStream::new(r)?;
    let mut head = None;
    let pins = Pins { policy, tsa };
    let result = check(&mut s, &mut head, &pins);
    let verdict = |report, full, not_a_bundle| Verdict {
        report,
        checkpoint: None,
        full,
        not_a_bundle,
        carried: Vec::new(),
    };
    match result {
        Ok(v) => Ok(v),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::NotBundle(code, msg)) => {
            let mut report = Report::default();
            report.add(code, None, "bundle", format!("not a caselog bundle: {msg}"));
            Ok(verdict(report, None, true))
        }
        Err(Stop::Checkpoint(msg)) => {
            let h = head.expect("bundle: the head is read before the checkpoint");
            let mut report = Report {
                ledger: Some(h.ledger),
                hash: Some(h.alg),
                ..Report::default()
            };
            report.add(Code::BadCheckpoint, None, "checkpoint", msg);
            Ok(verdict(report, Some(h.full), false))
        }
    }
}

/// What the verifier trusts.
struct Pins<'a> {
    policy: &'a TrustPolicy,
    tsa: Option<&'a Anchors>,
}

fn check<R: Read + Seek>(
    s: &mut CborStream<R>,
    head_out: &mut Option<Head>,
    pins: &Pins<'_>,
) -> Result<Verdict, Stop> {
    if s.len() > MAX_BUNDLE as u64 {
        return Err(Stop::from(StreamError::Decode(DecodeError::TooLarge {
            len: s.len() as usize,
            max: MAX_BUNDLE,
        })));
    }
    // Pass 1: SPEC §2 over the whole input, noting where the map's values
    // lie; pass 2: shape, then the checkpoint.
    let layout = layout(s)?;
    let head = read_head(s, &layout)?;
    let records = records_shape(s, &layout)?;
    files_shape(s, &layout)?;
    disclosures_shape(s, &layout)?;
    timestamps_shape(s, &layout)?;
    let item_proofs = item_proofs(s, &layout, head.full)?;
    let (full, alg, ledger) = (head.full, head.alg, head.ledger);
    let cp_bytes = head.checkpoint.clone();
    *head_out = Some(head);
    let cp_bytes =
        cp_bytes.ok_or_else(|| Stop::Checkpoint("the note is larger than 65536 bytes".into()))?;
    let vc = checkpoint::verify_with(&cp_bytes, pins.policy)
        .map_err(|e| Stop::Checkpoint(e.to_string()))?;
    let want = Origin { alg, ledger };
    let cp = vc.checkpoint().clone();
    if cp.origin != want {
        let mut report = Report {
            ledger: Some(ledger),
            hash: Some(alg),
            ..Report::default()
        };
        report.add(
            Code::BadCheckpoint,
            None,
            "checkpoint",
            format!(
                "the checkpoint is for {}, the bundle for {}",
                cp.origin.line(),
                want.line()
            ),
        );
        return Ok(done(report, vc, full));
    }
    // Pass 3: the records, then files and disclosures.
    let mut seen = Seen::default();
    let pass = Pass {
        layout: &layout,
        count: records,
        alg,
        ledger,
        vc: &vc,
        item_proofs: &item_proofs,
    };
    let report = if full {
        full_records(s, &pass, &mut seen)?
    } else {
        partial_records(s, &pass, &mut seen)?
    };
    let mut report = report;
    report.checkpoints = 1;
    report.scope.rehash = true;
    let carried = check_files(s, &layout, &seen, &mut report)?;
    report.settle_copies(|_, _, b3| match b3.and_then(|b| carried.get(b)) {
        Some(true) => CopyCheck::CarriedMatches,
        Some(false) => CopyCheck::CarriedDiffers,
        None => CopyCheck::NotCarried,
    });
    check_disclosures(s, &layout, alg, &seen, &mut report)?;
    check_timestamps(s, &layout, &cp, &seen, pins.tsa, &mut report)?;
    let mut v = done(report, vc, full);
    v.carried = carried
        .keys()
        .filter_map(|b3| seen.names.get(b3).map(|(i, n)| (*b3, i.clone(), n.clone())))
        .collect();
    Ok(v)
}

fn done(report: Report, vc: VerifiedCheckpoint, full: bool) -> Verdict {
    Verdict {
        report,
        checkpoint: Some(vc),
        full: Some(full),
        not_a_bundle: false,
        carried: Vec::new(),
    }
}

/// Read the files a verified bundle carries (SPEC §14): `each(blake3,
/// content)` for every one, in the bundle's order. Refused unless
/// `verdict` is this bundle's and it verified, so unverified content never
/// flows onward; the caller re-hashes what it writes if it must.
pub fn carried_files<R: Read + Seek>(
    r: R,
    verdict: &Verdict,
    each: &mut dyn FnMut(Hash, &mut dyn Read) -> io::Result<()>,
) -> io::Result<()> {
    if verdict.not_a_bundle || !verdict.report.is_ok() || verdict.checkpoint.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "bundle: files are read only from a bundle that verified",
        ));
    }
    let mut s = CborStream::new(r)?;
    let fail = |e: Stop| match e {
        Stop::Io(e) => e,
        _ => io::Error::new(
            io::ErrorKind::InvalidData,
            "bundle: changed since it was verified",
        ),
    };
    let l = layout(&mut s).map_err(fail)?;
    if !at(&mut s, &l, "files").map_err(fail)? {
        return Ok(());
    }
    let (_, n) = s.head().map_err(|e| fail(e.into()))?;
    for _ in 0..n {
        let (b3, len) = file_item(&mut s).map_err(fail)?;
        each(b3, &mut s.take(len).map_err(|e| fail(e.into()))?)?;
        s.advanced(len);
    }
    Ok(())
}

/// Pass 1: the whole input checked against SPEC §2, noting the bundle
/// map's keys and where their values lie; then its keys (§14.1).
fn layout<R: Read + Seek>(s: &mut CborStream<R>) -> Result<Layout, Stop> {
    s.seek(0)?;
    let (major, n) = s.head()?;
    if major != 5 {
        // Any breach of §2 comes first, then the shape.
        s.seek(0)?;
        s.item(0)?;
        trailing(s)?;
        return Err(shape("expected a map"));
    }
    s.map_fits(n)?;
    let mut out = Layout::new();
    let mut prev = None;
    for _ in 0..n {
        let key = s.map_key(prev.as_ref())?;
        let name = key
            .text()
            .filter(|t| t.len() <= 64)
            .unwrap_or("(long key)")
            .to_owned();
        prev = Some(key);
        let start = s.pos();
        s.item(1)?;
        out.insert(name, (start, s.pos()));
    }
    trailing(s)?;
    let known = [
        "type",
        "ledger",
        "hash",
        "checkpoint",
        "full",
        "records",
        "files",
        "disclosures",
        "timestamps",
        "item_proofs",
    ];
    if let Some(k) = out.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(shape(&format!("unknown key {k:?}")));
    }
    Ok(out)
}

fn trailing<R: Read + Seek>(s: &CborStream<R>) -> Result<(), Stop> {
    if s.pos() != s.len() {
        return Err(Stop::from(StreamError::Decode(
            DecodeError::TrailingBytes {
                extra: (s.len() - s.pos()) as usize,
            },
        )));
    }
    Ok(())
}

fn at<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout, key: &str) -> Result<bool, Stop> {
    match l.get(key) {
        Some((start, _)) => {
            s.seek(*start)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

fn need<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout, key: &str) -> Result<(), Stop> {
    if at(s, l, key)? {
        Ok(())
    } else {
        Err(shape(&format!("missing {key}")))
    }
}

/// A text value of at most `max` bytes (None: longer).
fn text<R: Read + Seek>(s: &mut CborStream<R>, max: u64) -> Result<Option<String>, Stop> {
    let (major, n) = s.head()?;
    if major != 3 {
        return Err(shape("expected text"));
    }
    if n > max {
        return Ok(None);
    }
    String::from_utf8(s.read_vec(n)?)
        .map(Some)
        .map_err(|_| shape("bad text"))
}

fn read_head<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<Head, Stop> {
    need(s, l, "type")?;
    if text(s, 64)?.as_deref() != Some(BUNDLE_TYPE) {
        return Err(shape("type is not caselog-bundle/v1"));
    }
    need(s, l, "ledger")?;
    let (major, n) = s.head()?;
    if major != 2 || n != 16 {
        return Err(shape("ledger must be 16 bytes"));
    }
    let ledger = LedgerId(s.read_vec(16)?.try_into().expect("16"));
    need(s, l, "hash")?;
    let alg = text(s, 16)?
        .and_then(|h| HashAlg::from_name(&h))
        .ok_or_else(|| shape("unknown hash"))?;
    need(s, l, "checkpoint")?;
    let checkpoint = text(s, crate::tlog::note::MAX_NOTE_LEN as u64)?.map(String::into_bytes);
    need(s, l, "full")?;
    let full = match s.head()? {
        (7, 21) => true,
        (7, 20) => false,
        _ => return Err(shape("full must be a boolean")),
    };
    Ok(Head {
        ledger,
        alg,
        full,
        checkpoint,
    })
}

/// The records array's form and order (§14): each `[uint, bstr, [* bstr
/// .size 32]]` (at most 64 hashes), seqs strictly ascending. Returns the
/// number of records.
fn records_shape<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<u64, Stop> {
    need(s, l, "records")?;
    let (major, n) = s.head()?;
    if major != 4 {
        return Err(shape("records must be an array"));
    }
    let mut last: Option<u64> = None;
    for _ in 0..n {
        let item = read_item(s, false)?;
        if last.is_some_and(|p| p >= item.seq) {
            return Err(shape("records must be in strictly ascending seq order"));
        }
        last = Some(item.seq);
    }
    Ok(n)
}

/// One record item as read in pass 3.
struct RecordItem {
    seq: u64,
    /// Where the record bytes lie.
    record: (u64, u64),
    /// How many path hashes it carries.
    path_len: u64,
    /// The path hashes (when asked to keep them).
    path: Vec<Hash>,
}

/// Read a record item `[seq, record, path]`, skipping the record bytes
/// (`keep_path`: also keep the path hashes).
fn read_item<R: Read + Seek>(s: &mut CborStream<R>, keep_path: bool) -> Result<RecordItem, Stop> {
    let bad = || shape("a record item is not [uint, bstr, [* bstr32]]");
    if s.head()? != (4, 3) {
        return Err(bad());
    }
    let (major, seq) = s.head()?;
    if major != 0 {
        return Err(bad());
    }
    let (major, rlen) = s.head()?;
    if major != 2 {
        return Err(bad());
    }
    let start = s.pos();
    s.skip(rlen)?;
    let (major, plen) = s.head()?;
    if major != 4 {
        return Err(bad());
    }
    if plen > 64 {
        return Err(shape("path longer than 64"));
    }
    let mut path = Vec::new();
    for _ in 0..plen {
        if s.head()? != (2, 32) {
            return Err(shape("path hashes are 32 bytes"));
        }
        if keep_path {
            path.push(Hash::from_slice(&s.read_vec(32)?).expect("32"));
        } else {
            s.skip(32)?;
        }
    }
    Ok(RecordItem {
        seq,
        record: (start, start + rlen),
        path_len: plen,
        path,
    })
}

/// `files`, when present: a non-empty array of `[bstr .size 32, bstr]`,
/// strictly ascending by the first.
fn files_shape<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<(), Stop> {
    if !at(s, l, "files")? {
        return Ok(());
    }
    let (major, n) = s.head()?;
    if major != 4 || n == 0 {
        return Err(shape("files must be a non-empty array when present"));
    }
    let mut last: Option<Hash> = None;
    for _ in 0..n {
        let (h, len) = file_item(s)?;
        s.skip(len)?;
        if last.is_some_and(|p| p >= h) {
            return Err(shape("files must be in strictly ascending BLAKE3 order"));
        }
        last = Some(h);
    }
    Ok(())
}

/// A file item's BLAKE3 key and its content's length, leaving the
/// position at the content.
fn file_item<R: Read + Seek>(s: &mut CborStream<R>) -> Result<(Hash, u64), Stop> {
    let bad = || shape("a file item is not [bstr .size 32, bstr]");
    if s.head()? != (4, 2) || s.head()? != (2, 32) {
        return Err(bad());
    }
    let h = Hash::from_slice(&s.read_vec(32)?).expect("32");
    let (major, n) = s.head()?;
    if major != 2 {
        return Err(bad());
    }
    let start = s.pos();
    s.skip(n)?;
    s.seek(start)?;
    Ok((h, n))
}

/// `disclosures`, when present: a non-empty array of `[uint, bstr]`,
/// strictly ascending by (seq, bytes).
fn disclosures_shape<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<(), Stop> {
    if !at(s, l, "disclosures")? {
        return Ok(());
    }
    let (major, n) = s.head()?;
    if major != 4 || n == 0 {
        return Err(shape("disclosures must be a non-empty array when present"));
    }
    let mut last: Option<(u64, (u64, u64))> = None;
    for _ in 0..n {
        let (seq, range) = disclosure_item(s)?;
        s.skip(range.1 - range.0)?;
        if let Some((ps, pr)) = last {
            let order = ps.cmp(&seq).then(s.compare_ranges(pr, range)?);
            if order != std::cmp::Ordering::Less {
                return Err(shape(
                    "disclosures must be in strictly ascending (seq, bytes) order",
                ));
            }
        }
        last = Some((seq, range));
    }
    Ok(())
}

/// `item_proofs`, when present (partial bundles only): read whole, at most
/// 1 MiB (SPEC §14).
fn item_proofs<R: Read + Seek>(
    s: &mut CborStream<R>,
    l: &Layout,
    full: bool,
) -> Result<Vec<super::ItemProof>, Stop> {
    let Some((start, end)) = l.get("item_proofs").copied() else {
        return Ok(Vec::new());
    };
    if full {
        return Err(shape("a full bundle carries no item_proofs"));
    }
    if end - start > MAX_ENCODED_LEN as u64 {
        return Err(shape("item_proofs is over 1 MiB"));
    }
    s.seek(start)?;
    let bytes = s.read_vec(end - start)?;
    let v = crate::format::cbor::decode(&bytes).map_err(|e| shape(&format!("item_proofs: {e}")))?;
    super::items::from_value(v).map_err(|e| shape(&e.to_string()))
}

/// `timestamps`, when present: a non-empty array of byte strings of at
/// most 65,536 bytes, strictly ascending.
fn timestamps_shape<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<(), Stop> {
    if !at(s, l, "timestamps")? {
        return Ok(());
    }
    let (major, n) = s.head()?;
    if major != 4 || n == 0 {
        return Err(shape("timestamps must be a non-empty array when present"));
    }
    let mut last: Option<(u64, u64)> = None;
    for _ in 0..n {
        let range = token_item(s)?;
        s.skip(range.1 - range.0)?;
        if let Some(prev) = last {
            if s.compare_ranges(prev, range)? != std::cmp::Ordering::Less {
                return Err(shape("timestamps must be in strictly ascending order"));
            }
        }
        last = Some(range);
    }
    Ok(())
}

/// Where a time-stamp's bytes lie (position left at them).
fn token_item<R: Read + Seek>(s: &mut CborStream<R>) -> Result<(u64, u64), Stop> {
    let (major, n) = s.head()?;
    if major != 2 || n > super::MAX_TOKEN {
        return Err(shape(
            "a time-stamp is not a byte string of at most 65536 bytes",
        ));
    }
    let start = s.pos();
    Ok((start, start + n))
}

/// The checkpoint's time-stamps (§10.5): each verifies for its body and
/// shows a time no earlier than any included entry's.
fn check_timestamps<R: Read + Seek>(
    s: &mut CborStream<R>,
    l: &Layout,
    cp: &checkpoint::Checkpoint,
    seen: &Seen,
    tsa: Option<&Anchors>,
    report: &mut Report,
) -> Result<(), Stop> {
    if !at(s, l, "timestamps")? {
        return Ok(());
    }
    let (_, n) = s.head()?;
    let body = cp.body();
    for _ in 0..n {
        let (start, end) = token_item(s)?;
        let token = s.read_vec(end - start)?;
        crate::audit::timestamps::check_token(
            report,
            cp.head.size.0,
            &token,
            body.as_bytes(),
            seen.latest,
            tsa,
        );
    }
    Ok(())
}

/// A disclosure item's seq and where its bytes lie (position left at them).
fn disclosure_item<R: Read + Seek>(s: &mut CborStream<R>) -> Result<(u64, (u64, u64)), Stop> {
    let bad = || shape("a disclosure item is not [uint, bstr]");
    if s.head()? != (4, 2) {
        return Err(bad());
    }
    let (major, seq) = s.head()?;
    let (bmajor, n) = s.head()?;
    if major != 0 || bmajor != 2 {
        return Err(bad());
    }
    let start = s.pos();
    Ok((seq, (start, start + n)))
}

/// What pass 3 learns from the records for the files and disclosures.
#[derive(Default)]
struct Seen {
    /// BLAKE3 -> (size, SHA-256) of every file an included intake lists.
    listed: HashMap<Hash, (u64, Hash)>,
    /// BLAKE3 -> (item, file name), the first intake's that lists it.
    names: HashMap<Hash, (String, String)>,
    /// seq -> (leaf hash, sd) of the included entries with private fields.
    private: HashMap<u64, (Hash, Vec<Hash>)>,
    /// Private-field digests in all decodable included entries.
    private_fields: u64,
    /// (target, digest) of every valid erasure.
    erased: Vec<(Hash, Hash)>,
    /// The latest recorded time of the included entries (time-stamps
    /// must not be earlier, §10.5).
    latest: Option<crate::format::ids::Timestamp>,
}

impl Seen {
    fn note(&mut self, seq: u64, p: &Prepared) {
        let Some(e) = p.entry() else { return };
        self.latest = self.latest.max(Some(e.time));
        self.private_fields += e.sd.len() as u64;
        if !e.sd.is_empty() {
            self.private.insert(seq, (p.leaf(), e.sd.clone()));
        }
        if let Body::Domain(d) = &e.body {
            for f in d.recorded_files() {
                self.listed.insert(f.blake3, (f.size, f.sha256));
                let item = d.item().expect("bundle: an entry with files names an item");
                let name = (item.to_owned(), f.name.clone());
                self.names.entry(f.blake3).or_insert(name);
            }
        }
    }
}

/// Read one record and do its state-free work; a record over 1 MiB is
/// hashed while it is read and reported as the strict decoder would.
fn prepare<R: Read + Seek>(
    s: &mut CborStream<R>,
    alg: HashAlg,
    range: (u64, u64),
) -> Result<Prepared, Stop> {
    s.seek(range.0)?;
    let n = range.1 - range.0;
    if n <= MAX_ENCODED_LEN as u64 {
        let raw = s.read_vec(n)?;
        return Ok(engine::prepare(alg, &raw));
    }
    // LH = H(0x00 || record), RFC 9162 §2.1.1, over the streamed bytes.
    let leaf = alg.leaf_of_reader(&mut s.take(n).map_err(Stop::from)?)?;
    s.advanced(n);
    Ok(engine::prepare_oversized(leaf, n as usize))
}

/// What pass 3 works from.
struct Pass<'a> {
    layout: &'a Layout,
    count: u64,
    alg: HashAlg,
    ledger: LedgerId,
    vc: &'a VerifiedCheckpoint,
    item_proofs: &'a [super::ItemProof],
}

/// The chain verifier's report, with the checkpoint signer's authority at
/// its size checked from the membership it replayed (§10.3, §14).
fn close(v: ChainVerifier<'_>, vc: &VerifiedCheckpoint, seen: &mut Seen) -> Report {
    let signer_problem = signer_not_authority(vc, v.members());
    seen.erased = v.erased().to_vec();
    let items = v.custody().iter().count() as u64;
    let signed_by = vc
        .log_keys()
        .iter()
        .map(|k| match v.members().get(&k.key) {
            Some(_) => v.members().display(&k.key),
            None => format!("key {}", k.key.short()),
        })
        .collect();
    let mut r = v.finish();
    r.scope.items_replayed = items;
    r.scope.signed_by = signed_by;
    r.scope.recomputed_by = vc.mirrors().iter().map(|(k, _)| k.name.clone()).collect();
    if let Some(m) = signer_problem {
        r.add(Code::BadCheckpoint, None, "checkpoint", m);
    }
    r
}

fn full_records<R: Read + Seek>(
    s: &mut CborStream<R>,
    p: &Pass<'_>,
    seen: &mut Seen,
) -> Result<Report, Stop> {
    let (alg, ledger, vc) = (p.alg, p.ledger, p.vc);
    let cp = vc.checkpoint();
    // References must name earlier records: the leaves seen so far, the
    // first position of a repeated record.
    let leaves: Rc<RefCell<HashMap<Hash, u64>>> = Rc::default();
    let lookup = Rc::clone(&leaves);
    let mut v = ChainVerifier::for_ledger(alg, ledger)
        .with_lookup(Box::new(move |h| lookup.borrow().get(h).copied()));
    let mut at = records_start(s, p.layout)?;
    for _ in 0..p.count {
        s.seek(at)?;
        let item = read_item(s, false)?;
        at = s.pos();
        if item.path_len > 0 {
            v.checkpoint_problem(
                Code::BadCheckpoint,
                format!("full bundle carries a path for seq {}", item.seq),
            );
        }
        let rec = prepare(s, alg, item.record)?;
        seen.note(item.seq, &rec);
        let leaf = rec.leaf();
        v.push_prepared(item.seq, rec);
        leaves.borrow_mut().entry(leaf).or_insert(item.seq);
    }
    let head = v.tree_head();
    // SPEC §13.7: the item map the checkpoint commits to.
    let map = crate::tlog::itemmap::head(alg, v.custody().heads());
    let mut r = close(v, vc, seen);
    r.ledger = Some(ledger);
    if head.size.0 < cp.head.size.0 {
        r.add(
            Code::Truncated,
            None,
            "checkpoint",
            format!(
                "the checkpoint covers {} entries, the bundle holds {}",
                cp.head.size.0, head.size.0
            ),
        );
    } else if head.size.0 > cp.head.size.0 {
        r.add(
            Code::BadCheckpoint,
            None,
            "checkpoint",
            format!(
                "the bundle holds {} entries, more than the checkpoint's {}",
                head.size.0, cp.head.size.0
            ),
        );
    } else if head.root != cp.head.root {
        r.add(
            Code::CheckpointMismatch,
            None,
            "checkpoint",
            format!(
                "the records give root {}, the checkpoint says {}",
                head.root, cp.head.root
            ),
        );
    } else if cp.items.is_some() && map != cp.items {
        r.add(
            Code::CheckpointMismatch,
            None,
            "checkpoint",
            "the records do not give the checkpoint's item map".into(),
        );
    }
    Ok(r)
}

/// Position of the first record item.
fn records_start<R: Read + Seek>(s: &mut CborStream<R>, l: &Layout) -> Result<u64, Stop> {
    need(s, l, "records")?;
    s.head()?;
    Ok(s.pos())
}

fn partial_records<R: Read + Seek>(
    s: &mut CborStream<R>,
    p: &Pass<'_>,
    seen: &mut Seen,
) -> Result<Report, Stop> {
    let (alg, vc) = (p.alg, p.vc);
    let cp = vc.checkpoint();
    let mut v = ChainVerifier::partial(alg, p.ledger)
        .claiming(p.item_proofs.iter().map(|x| x.item.clone()));
    let mut at = records_start(s, p.layout)?;
    for _ in 0..p.count {
        s.seek(at)?;
        let item = read_item(s, true)?;
        at = s.pos();
        let rec = prepare(s, alg, item.record)?;
        seen.note(item.seq, &rec);
        let seq = item.seq;
        if seq >= cp.head.size.0 {
            v.entry_problem(
                Code::BadCheckpoint,
                seq,
                format!(
                    "seq {seq} is beyond the checkpoint's size {}",
                    cp.head.size.0
                ),
            );
            continue;
        }
        if let Err(e) = crate::tlog::proof::verify_inclusion(
            alg,
            seq,
            cp.head.size,
            &rec.leaf(),
            &item.path,
            &cp.head.root,
        ) {
            v.entry_problem(
                Code::CheckpointMismatch,
                seq,
                format!("inclusion path does not lead to the checkpoint's root ({e})"),
            );
            continue;
        }
        v.push_prepared(seq, rec);
    }
    let mut judged = Report::default();
    super::items::judge(&v, cp, p.item_proofs, &mut judged);
    let mut report = close(v, vc, seen);
    // Only the claimed items' custody is replayed in a partial bundle.
    report.scope.items_replayed = p.item_proofs.len() as u64;
    report.root = Some(cp.head.root);
    report.problems.extend(judged.problems);
    report.items = judged.items;
    Ok(report)
}

/// Carried evidence files (§14): each hashed while read; its BLAKE3 must
/// be its key and an included intake must list it with the same size and
/// SHA-256. Returns whether each carried file (by its key) matched.
fn check_files<R: Read + Seek>(
    s: &mut CborStream<R>,
    l: &Layout,
    seen: &Seen,
    report: &mut Report,
) -> Result<BTreeMap<Hash, bool>, Stop> {
    let mut carried = BTreeMap::new();
    // What an included intake lists and the bundle does not carry.
    let mut listed: std::collections::HashSet<&Hash> = seen.listed.keys().collect();
    if !at(s, l, "files")? {
        report.evidence_missing = listed.len() as u64;
        return Ok(carried);
    }
    let (_, n) = s.head()?;
    for _ in 0..n {
        let (b3, len) = file_item(s)?;
        let d = {
            let t = s.take(len).map_err(Stop::from)?;
            crate::storage::evidence::hash_reader(t, None, &mut |_| {})?
        };
        s.advanced(len);
        let ok = d.blake3 == b3 && seen.listed.get(&b3) == Some(&(d.size, d.sha256));
        report.checked_files(ok, &b3);
        listed.remove(&b3);
        let name = seen.names.get(&b3).map(|(i, n)| format!("{i} {n:?}"));
        report
            .scope
            .rehashed(name.unwrap_or_else(|| format!("file {b3}")));
        carried.insert(b3, ok);
    }
    report.evidence_missing = listed.len() as u64;
    Ok(carried)
}

/// Carried disclosures (§15): each decodes, its digest is in the `sd` of
/// the included record with its seq, and it was not erased.
fn check_disclosures<R: Read + Seek>(
    s: &mut CborStream<R>,
    l: &Layout,
    alg: HashAlg,
    seen: &Seen,
    report: &mut Report,
) -> Result<(), Stop> {
    report.private_fields = seen.private_fields;
    if !at(s, l, "disclosures")? {
        return Ok(());
    }
    let (_, n) = s.head()?;
    for _ in 0..n {
        let (seq, range) = disclosure_item(s)?;
        let len = range.1 - range.0;
        let bytes = if len <= MAX_ENCODED_LEN as u64 {
            Some(s.read_vec(len)?)
        } else {
            s.skip(len)?;
            None
        };
        let digest = bytes
            .as_deref()
            .map(|b| crate::format::disclosure::digest_of(alg, b));
        let entry = seen.private.get(&seq);
        let why = match (&bytes, digest) {
            (Some(b), Some(d)) if crate::format::disclosure::Disclosure::decode(b).is_ok() => {
                if !entry.is_some_and(|(_, sd)| sd.contains(&d)) {
                    Some("matches no private-field digest of that entry (altered, or moved from another entry)")
                } else if entry.is_some_and(|(leaf, _)| seen.erased.contains(&(*leaf, d))) {
                    // SPEC §15: an erased value must not travel on.
                    Some("was erased from the ledger but is still carried")
                } else {
                    None
                }
            }
            _ => Some("cannot be read as [salt, path, value]"),
        };
        let shown = digest
            .map(|d| d.to_hex()[..16].to_owned())
            .unwrap_or_default();
        match why {
            Some(w) => report.add(
                Code::BadDisclosure,
                Some(seq),
                "disclosures",
                format!("disclosure {shown}: {w}"),
            ),
            None => report.disclosures_present += 1,
        }
    }
    Ok(())
}
