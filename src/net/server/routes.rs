//! The routes of one case (SPEC §17): public C2SP tiles and checkpoint,
//! members' entry bundles and JSON API. Each answers bytes or an
//! [`ApiError`]; `mod.rs` turns them into HTTP responses.

use std::sync::Arc;

use crate::format::entry::Entry;
use crate::format::ids::Role;
use crate::ledger::{Ledger, LedgerError};
pub(crate) use crate::net::api::refusal;
use crate::net::api::{self, ApiError, HeadInfo};
use crate::net::httpsig::RequestParts;
use crate::net::server::auth::Caller;
use crate::net::server::sequencer::{Grant, Msg};
use crate::net::server::Case;
use crate::tlog::tiles::{Tile, MAX_BUNDLE_ENTRY};

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    /// `Cache-Control`: immutable resources may be cached for long.
    pub(crate) cache: &'static str,
    pub(crate) body: Vec<u8>,
}

const NO_STORE: &str = "no-store";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn json<T: serde::Serialize>(v: &T) -> Answer {
    Answer {
        status: 200,
        content_type: "application/json",
        cache: NO_STORE,
        body: serde_json::to_vec(v).expect("serve: JSON of plain data"),
    }
}

/// A request as the routes see it.
pub(crate) struct Req<'a> {
    pub(crate) parts: RequestParts<'a>,
    pub(crate) sig_input: Option<&'a str>,
    pub(crate) sig: Option<&'a str>,
    pub(crate) body: &'a [u8],
    /// The path below the case: `checkpoint`, `tile/...`, `api/...`.
    pub(crate) rest: &'a str,
    /// The member who signed it, authenticated (`None`: not signed).
    pub(crate) caller: Option<&'a Caller>,
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(404, "NOT_FOUND", 2, format!("no such resource: {what}"))
}

/// Routes that only read (run on a blocking thread).
pub(crate) fn read(case: &Case, req: &Req<'_>) -> Result<Answer, ApiError> {
    // Readers see the durable head only (see the sequencer).
    let durable = case
        .durable
        .lock()
        .expect("serve: durable head lock poisoned")
        .clone();
    let l = case.ledger.read().expect("serve: ledger lock poisoned");
    match (req.parts.method, req.rest) {
        ("GET", "checkpoint") => checkpoint(&l, durable.size),
        ("GET", p) if p.starts_with("tile/entries/") => {
            who(req)?;
            tile(&l, p, durable.size)
        }
        ("GET", p) if p.starts_with("tile/") => tile(&l, p, durable.size),
        ("GET", "api/head") => {
            who(req)?;
            Ok(json(&durable))
        }
        ("GET", p) if p.starts_with("api/disclosures/") => {
            let caller = who(req)?;
            disclosures(&l, &caller, &p["api/disclosures/".len()..], durable.size)
        }
        ("GET", "api/log") => {
            who(req)?;
            log(&l, req.parts.query, durable.size)
        }
        ("GET", p) if p.starts_with("api/show/") => {
            who(req)?;
            let seq = p["api/show/".len()..]
                .parse()
                .ok()
                .filter(|s| *s < durable.size);
            let seq = seq.ok_or_else(|| not_found(p))?;
            let entries = entries_json(&l, seq, 1)?;
            Ok(json(&entries[0]))
        }
        ("GET", "api/timeline") => {
            who(req)?;
            timeline(&l, durable.size)
        }
        ("GET", "api/status") => {
            who(req)?;
            status(&l, &durable)
        }
        _ => Err(not_found(req.rest)),
    }
}

/// The member who signed the request (authenticated from its headers
/// before its body was read, see `mod.rs`).
pub(crate) fn who(req: &Req<'_>) -> Result<Caller, ApiError> {
    req.caller.cloned().ok_or_else(|| {
        ApiError::new(
            401,
            "UNSIGNED",
            2,
            "the request is not signed (no Signature-Input / Signature for label \"caselog\")",
        )
    })
}

fn checkpoint(l: &Ledger, durable: u64) -> Result<Answer, ApiError> {
    let latest = l.latest_checkpoint().map_err(|e| refusal(l, &e))?;
    let found = match latest {
        Some((size, _)) if size.0 > durable => l
            .stored_checkpoints()
            .map_err(|e| refusal(l, &e))?
            .into_iter()
            .rev()
            .find(|(s, _)| s.0 <= durable),
        other => other,
    };
    let (_, note) = found.ok_or_else(|| not_found("checkpoint (none has been signed yet)"))?;
    Ok(Answer {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        cache: "no-cache, max-age=5",
        body: note,
    })
}

fn tile(l: &Ledger, path: &str, durable: u64) -> Result<Answer, ApiError> {
    let t = Tile::parse(path).map_err(|_| not_found(path))?;
    if t.needs_size().is_none_or(|n| n > durable) {
        return Err(ApiError::new(
            404,
            "NOT_FOUND",
            2,
            format!("tile {path} covers entries beyond the {durable} the ledger holds"),
        ));
    }
    let body = match t.level {
        Some(_) => l.hash_tile(t),
        None => l.entry_bundle(t),
    }
    .map_err(|e| refusal(l, &e))?;
    Ok(Answer {
        status: 200,
        content_type: "application/octet-stream",
        cache: IMMUTABLE,
        body,
    })
}

/// Private values go to the roles that may read them (SPEC §17):
/// authority, investigator, counsel.
fn disclosures(l: &Ledger, caller: &Caller, seq: &str, durable: u64) -> Result<Answer, ApiError> {
    if !matches!(
        caller.role,
        Role::Authority | Role::Investigator | Role::Counsel
    ) {
        return Err(ApiError::new(
            403,
            "ROLE_NOT_ALLOWED",
            2,
            format!(
                "the {} role may not read private values",
                caller.role.name()
            ),
        ));
    }
    let seq: u64 = seq
        .parse()
        .ok()
        .filter(|s| *s < durable)
        .ok_or_else(|| not_found(seq))?;
    let found = l
        .disclosures_of(crate::format::ids::Seq(seq))
        .map_err(|e| refusal(l, &e))?;
    let values: Vec<String> = found
        .iter()
        .map(|(_, d)| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(d.encode())
        })
        .collect();
    Ok(json(&serde_json::json!({ "seq": seq, "private": values })))
}

/// `POST api/checkpoint`: store a checkpoint an authority signed.
/// The TSA that time-stamps each stored checkpoint (`serve --tsa`).
pub(crate) struct Tsa {
    pub(crate) url: String,
    pub(crate) anchors: Option<crate::tlog::tsp::Anchors>,
    /// Roots (PEM) trusted for an `https` TSA (else the public web's).
    pub(crate) ca: Option<Vec<u8>>,
}

/// What follows a stored checkpoint: cosignatures, a time-stamp, publishing.
pub(crate) struct AfterCheckpoint<'a> {
    pub(crate) witnesses: &'a super::cosign::Witnesses,
    pub(crate) publisher: Option<&'a crate::net::publish::Publisher>,
    pub(crate) tsa: Option<&'a Tsa>,
}

pub(crate) fn post_checkpoint(
    case: &Case,
    req: &Req<'_>,
    after: &AfterCheckpoint<'_>,
) -> Result<Answer, ApiError> {
    let witnesses = after.witnesses;
    who(req)?;
    let note = crate::tlog::note::Note::parse(req.body)
        .map_err(|e| ApiError::new(400, "BAD_CHECKPOINT", 2, format!("not a signed note: {e}")))?;
    let (added, size, stored) = {
        let mut l = case.ledger.write().expect("serve: ledger lock poisoned");
        let added = l.store_signed_checkpoint(&note, &[]).map_err(|e| match e {
            LedgerError::NotFound(_) => ApiError::new(422, "BAD_CHECKPOINT", 2, e.to_string()),
            e => refusal(&l, &e),
        })?;
        let cp = crate::tlog::checkpoint::Checkpoint::parse_body(&note.text)
            .expect("serve: the checkpoint was just stored");
        let stored = l
            .stored_checkpoint(cp.head.size)
            .map_err(|e| refusal(&l, &e))?
            .expect("serve: the checkpoint was just stored");
        (added, cp.head.size, stored)
    };
    // Outside the write lock: witnesses are other servers.
    let report = witnesses.collect(case, size, &String::from_utf8_lossy(&stored));
    let stamped = after.tsa.map(|t| timestamp(case, t, size));
    let published = after.publisher.map(|p| publish(case, p, size));
    Ok(json(&serde_json::json!({
        "added": added,
        "cosignatures": report.cosigned,
        "quorum": witnesses.quorum,
        "witness_errors": report.errors,
        "timestamp": stamped.as_ref().and_then(|r| r.as_ref().ok()),
        "timestamp_error": stamped.and_then(|r| r.err()),
        "published": published.as_ref().map(|r| r.as_ref().ok()),
        "publish_error": published.and_then(|r| r.err()),
    })))
}

/// `POST api/cosignature`: a mirror's cosignature of a stored checkpoint
/// (SPEC §17.7). The body is that checkpoint's note carrying the mirror's
/// line; every line must be held already or verify under a `serve
/// --mirror` key or the log keys. Stored with the checkpoint (served from
/// then on) and, when that checkpoint is the one published, published
/// again. A line already held changes nothing.
pub(crate) fn post_cosignature(
    case: &Case,
    req: &Req<'_>,
    mirrors: &[crate::tlog::note::VerifierKey],
    publisher: Option<&crate::net::publish::Publisher>,
) -> Result<Answer, ApiError> {
    who(req)?;
    if mirrors.is_empty() {
        return Err(ApiError::new(
            403,
            "NO_MIRRORS",
            2,
            "this server accepts no mirror cosignatures (its operator pins mirrors with serve --mirror VKEY)",
        ));
    }
    let bad = |e: String| ApiError::new(422, "BAD_COSIGNATURE", 2, e);
    let note = crate::tlog::note::Note::parse(req.body)
        .map_err(|e| ApiError::new(400, "BAD_COSIGNATURE", 2, format!("not a signed note: {e}")))?;
    let size = crate::tlog::checkpoint::Checkpoint::parse_body(&note.text)
        .map_err(|e| bad(e.to_string()))?
        .head
        .size;
    let added = {
        let mut l = case.ledger.write().expect("serve: ledger lock poisoned");
        l.add_cosignatures(&note, mirrors).map_err(|e| match e {
            LedgerError::NotFound(_)
            | LedgerError::UnverifiedSignatures { .. }
            | LedgerError::TooManySignatures { .. } => bad(e.to_string()),
            e => refusal(&l, &e),
        })?
    };
    let published = match (added, publisher) {
        (1.., Some(p)) => Some(republish(case, p, size)),
        _ => None,
    };
    Ok(json(&serde_json::json!({
        "added": added,
        "published": published.as_ref().map(|r| r.as_ref().ok()),
        "publish_error": published.and_then(|r| r.err()),
    })))
}

/// Publish the checkpoint of `size` again (its cosignatures changed) when
/// it is the one published; a larger one published is left alone.
fn republish(
    case: &Case,
    p: &crate::net::publish::Publisher,
    size: crate::tlog::merkle::TreeSize,
) -> Result<bool, String> {
    let rt = tokio::runtime::Handle::current();
    let mut published = case
        .published
        .lock()
        .map_err(|_| "publish lock poisoned".to_owned())?;
    if published_from(case, p, &rt, &mut published) != size.0 {
        return Ok(false);
    }
    let note = stored_note(case, size)?;
    rt.block_on(p.put_checkpoint(&case.name, &note))
        .map_err(|e| e.to_string())?;
    Ok(true)
}

/// Ask the TSA for a token over the checkpoint of `size` (outside the
/// lock: the TSA is another server) and store it (under the write lock).
fn timestamp(
    case: &Case,
    tsa: &Tsa,
    size: crate::tlog::merkle::TreeSize,
) -> Result<serde_json::Value, String> {
    let body = {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        // One token per checkpoint from the server: a re-posted checkpoint
        // is not time-stamped again.
        let held = l.timestamps_at(size).map_err(|e| e.to_string())?;
        if !held.is_empty() {
            return Ok(serde_json::json!({ "already_held": held.len() }));
        }
        l.checkpoint_body(size).map_err(|e| e.to_string())?
    };
    let token = crate::net::tsa::fetch_token(&tsa.url, body.as_bytes(), tsa.ca.as_deref())
        .map_err(|e| e.to_string())?;
    let mut l = case.ledger.write().expect("serve: ledger lock poisoned");
    let (t, _) = l
        .store_timestamp(size, &token, tsa.anchors.as_ref())
        .map_err(|e| e.to_string())?;
    Ok(serde_json::json!({
        "gen_time": t.gen_time.to_string(),
        "tsa": t.tsa,
        "anchored": t.anchored,
    }))
}

/// `POST api/append`: authenticate, check what can be checked before the
/// sequencer (body form, record size for entry bundles, the author is the
/// caller, time near the server's clock), then queue it.
pub(crate) fn prepare_append(req: &Req<'_>) -> Result<Vec<crate::ledger::Submission>, ApiError> {
    let caller = who(req)?;
    let subs = api::decode_submissions(req.body).ok_or_else(|| {
        ApiError::new(
            400,
            "DECODE",
            2,
            "the body is not a CBOR array of [record, [private...]]",
        )
    })?;
    let now = crate::format::ids::Timestamp::now();
    for s in &subs {
        if s.record.len() > MAX_BUNDLE_ENTRY {
            return Err(ApiError::new(
                413,
                "TOO_LARGE",
                2,
                format!(
                    "a record of {} bytes is over the {MAX_BUNDLE_ENTRY}-byte limit of records served as C2SP entry bundles",
                    s.record.len()
                ),
            ));
        }
        let entry = crate::format::entry::Record::decode(&s.record)
            .and_then(|r| Entry::decode(&r.entry_bytes))
            .map_err(|e| {
                let code = crate::format::code::Code::from(&e);
                ApiError::new(
                    422,
                    code.as_str(),
                    2,
                    format!("refused, nothing written: {e}"),
                )
            })?;
        if entry.author != caller.key {
            return Err(ApiError::new(
                403,
                "AUTHOR_MISMATCH",
                2,
                "the record's author is not the key that signed the request",
            ));
        }
        // Ahead by a few seconds at most: later entries may not be earlier,
        // so a time far ahead would be inherited by everyone's next ones.
        let ahead = entry.time.micros() - now.micros();
        if ahead > api::ENTRY_AHEAD_SECS * 1_000_000 || -ahead > api::ENTRY_SKEW_SECS * 1_000_000 {
            let (n, way) = match ahead > 0 {
                true => (ahead / 1_000_000, "ahead of"),
                false => (-ahead / 1_000_000, "behind"),
            };
            return Err(ApiError::new(
                422,
                "TIME_SKEW",
                2,
                format!(
                    "the entry's time {} is {n} s {way} the server's clock {now}",
                    entry.time
                ),
            ));
        }
    }
    Ok(subs)
}

/// Queue `subs` on the case's sequencer and wait for its answer.
pub(crate) async fn append(
    case: Arc<Case>,
    subs: Vec<crate::ledger::Submission>,
    turn: Option<u64>,
) -> Result<Answer, ApiError> {
    let Some(tx) = case.tx.as_ref() else {
        return Err(ApiError::new(
            405,
            "READ_ONLY",
            2,
            "this case is served read-only",
        ));
    };
    let (reply, rx) = tokio::sync::oneshot::channel();
    tx.try_send(Msg::Append { subs, turn, reply })
        .map_err(|_| {
            ApiError::new(
                503,
                "BUSY",
                3,
                "the case's write queue is full; retry shortly",
            )
        })?;
    let appended = rx
        .await
        .map_err(|_| ApiError::new(503, "STORAGE", 3, "the sequencer stopped"))??;
    Ok(json(&appended))
}

/// `POST api/turn[?durable=1]`: wait for a turn to append (see the
/// sequencer); the answer is the head to sign against and the token.
pub(crate) async fn turn(
    case: Arc<Case>,
    member: crate::format::ids::MemberKey,
    durable: bool,
) -> Result<Answer, ApiError> {
    let Some(tx) = case.tx.as_ref() else {
        return Err(ApiError::new(
            405,
            "READ_ONLY",
            2,
            "this case is served read-only",
        ));
    };
    let (reply, rx) = tokio::sync::oneshot::channel::<Result<Grant, ApiError>>();
    tx.try_send(Msg::Turn {
        durable,
        member,
        reply,
    })
    .map_err(|_| {
        ApiError::new(
            503,
            "BUSY",
            3,
            "the case's write queue is full; retry shortly",
        )
    })?;
    let g = rx
        .await
        .map_err(|_| ApiError::new(503, "STORAGE", 3, "the sequencer stopped"))??;
    Ok(json(
        &serde_json::json!({ "head": g.head, "turn": g.token }),
    ))
}

/// Most entries one `api/log` answer carries.
pub(crate) const LOG_PAGE: u64 = 1000;

/// Entries `from..from + n` as JSON ([`crate::export::json::entry_json`]).
fn entries_json(l: &Ledger, from: u64, n: u64) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut out = Vec::new();
    for item in l
        .records_from(crate::format::ids::Seq(from))
        .take(n as usize)
    {
        let (seq, raw) = item.map_err(|e| refusal(l, &e))?;
        let (record, entry) = crate::ledger::decode(seq, &raw).map_err(|e| refusal(l, &e))?;
        let leaf = l.hash_alg().leaf(&raw);
        out.push(crate::export::json::entry_json(
            seq,
            &leaf,
            &record,
            &entry,
            l.members(),
        ));
    }
    Ok(out)
}

/// `api/log?from=N&limit=M` (M at most 1000): entries as JSON, durable only.
fn log(l: &Ledger, query: &str, durable: u64) -> Result<Answer, ApiError> {
    let mut from = 0u64;
    let mut limit = LOG_PAGE;
    for kv in query
        .trim_start_matches('?')
        .split('&')
        .filter(|s| !s.is_empty())
    {
        let bad = || {
            ApiError::new(
                400,
                "BAD_QUERY",
                2,
                format!("api/log takes from=N and limit=M (M <= {LOG_PAGE}), not {kv:?}"),
            )
        };
        match kv.split_once('=') {
            Some(("from", v)) => from = v.parse().map_err(|_| bad())?,
            Some(("limit", v)) => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=LOG_PAGE).contains(n))
                    .ok_or_else(bad)?
            }
            _ => return Err(bad()),
        }
    }
    let n = limit.min(durable.saturating_sub(from));
    let entries = if n == 0 {
        Vec::new()
    } else {
        entries_json(l, from, n)?
    };
    Ok(json(
        &serde_json::json!({ "size": durable, "from": from, "entries": entries }),
    ))
}

/// `api/timeline`: the timeline document of `caselog export --format json`
/// (private values redacted), of the durable entries.
fn timeline(l: &Ledger, durable: u64) -> Result<Answer, ApiError> {
    let rows: Vec<_> = crate::export::timeline_rows(l, &crate::export::timeline::Filter::default())
        .map_err(|e| refusal(l, &e))?
        .into_iter()
        .filter(|r| r.seq.0 < durable)
        .collect();
    let doc = crate::export::to_json(l, &rows, &crate::format::disclosure::Reveal::None)
        .map_err(|e| refusal(l, &e))?;
    Ok(json(&doc))
}

/// `api/status`: the durable head and the latest checkpoint held to the
/// tree (cheap; full verification is the client's: `caselog mirror`, then
/// `caselog verify` on the copy, trusting no server).
fn status(l: &Ledger, durable: &HeadInfo) -> Result<Answer, ApiError> {
    let cp = l.latest_checkpoint().map_err(|e| refusal(l, &e))?;
    let checkpoint = match cp {
        None => serde_json::Value::Null,
        Some((size, text)) => {
            let parsed = crate::tlog::checkpoint::parse(&text).ok();
            let matches = parsed
                .as_ref()
                .is_some_and(|(c, _)| l.tree_head_at(size).is_ok_and(|h| h == c.head));
            serde_json::json!({
                "size": size.0,
                "matches_tree": matches,
                "signatures": parsed.map_or(0, |(_, n)| n.sigs.len()),
            })
        }
    };
    Ok(json(
        &serde_json::json!({ "head": durable, "checkpoint": checkpoint }),
    ))
}

/// Publish the checkpoint stored at `size` (with its cosignatures) and its
/// tiles, unless a checkpoint at least as large is already published.
/// Runs on a blocking thread of the server's runtime.
fn publish(
    case: &Case,
    p: &crate::net::publish::Publisher,
    size: crate::tlog::merkle::TreeSize,
) -> Result<usize, String> {
    let rt = tokio::runtime::Handle::current();
    let mut published = case
        .published
        .lock()
        .map_err(|_| "publish lock poisoned".to_owned())?;
    let from = published_from(case, p, &rt, &mut published);
    if size.0 <= from {
        return Ok(0);
    }
    let note = stored_note(case, size)?;
    let n = rt
        .block_on(p.publish(&case.name, &case.ledger, from, size.0, &note))
        .map_err(|e| e.to_string())?;
    *published = Some(size.0);
    Ok(n)
}

/// The size published (read from the store the first time), under the
/// publish lock the caller holds.
fn published_from(
    case: &Case,
    p: &crate::net::publish::Publisher,
    rt: &tokio::runtime::Handle,
    published: &mut Option<u64>,
) -> u64 {
    let from = published.unwrap_or_else(|| rt.block_on(p.published_size(&case.name)));
    *published = Some(from);
    from
}

/// The stored checkpoint of `size`, with its cosignatures.
fn stored_note(case: &Case, size: crate::tlog::merkle::TreeSize) -> Result<Vec<u8>, String> {
    let l = case
        .ledger
        .read()
        .map_err(|_| "ledger lock poisoned".to_owned())?;
    l.stored_checkpoint(size)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the checkpoint vanished".to_owned())
}
