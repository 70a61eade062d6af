//! The routes of one case (SPEC §17): public C2SP tiles and checkpoint,
//! members' entry bundles and JSON API. Each answers bytes or an
//! [`ApiError`]; `mod.rs` turns them into HTTP responses.

use std::sync::Arc;

use crate::audit::engine::refusal_code;
use crate::format::entry::Entry;
use crate::format::ids::Role;
use crate::ledger::{Ledger, LedgerError};
use crate::net::api::{self, ApiError, HeadInfo};
use crate::net::httpsig::RequestParts;
use crate::net::server::auth::{authenticate, Caller};
use crate::net::server::sequencer::Job;
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
}

/// The HTTP answer to a refused write or a failed read.
pub(crate) fn refusal(l: &Ledger, e: &LedgerError) -> ApiError {
    if let LedgerError::StaleHead { .. } = e {
        let mut err = ApiError::new(409, "STALE_HEAD", 2, e.to_string());
        err.head = Some(Box::new(HeadInfo::of(l.id(), l.hash_alg(), l.head())));
        return err;
    }
    if let Some(code) = refusal_code(e) {
        return ApiError::new(
            422,
            code.as_str(),
            2,
            format!("refused, nothing written: {e}"),
        );
    }
    match e {
        LedgerError::TooLarge { .. } => ApiError::new(413, "TOO_LARGE", 2, e.to_string()),
        LedgerError::NotFound(_) => ApiError::new(404, "NOT_FOUND", 2, e.to_string()),
        LedgerError::ReadOnly => {
            ApiError::new(405, "READ_ONLY", 2, "this case is served read-only")
        }
        LedgerError::TooLargeForBundle { .. } => {
            ApiError::new(409, "TOO_LARGE_FOR_BUNDLE", 2, e.to_string())
        }
        LedgerError::UnverifiedSignatures { .. } | LedgerError::TooManySignatures { .. } => {
            ApiError::new(422, "BAD_CHECKPOINT", 2, e.to_string())
        }
        LedgerError::Store(_) | LedgerError::Damaged(_) => {
            ApiError::new(503, "STORAGE", 3, e.to_string())
        }
        _ => ApiError::new(422, "REFUSED", 2, e.to_string()),
    }
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(404, "NOT_FOUND", 2, format!("no such resource: {what}"))
}

/// Routes that only read (run on a blocking thread).
pub(crate) fn read(case: &Case, req: &Req<'_>) -> Result<Answer, ApiError> {
    let l = case.ledger.read().expect("serve: ledger lock poisoned");
    match (req.parts.method, req.rest) {
        ("GET", "checkpoint") => checkpoint(&l),
        ("GET", p) if p.starts_with("tile/entries/") => {
            who(case, &l, req)?;
            tile(&l, p)
        }
        ("GET", p) if p.starts_with("tile/") => tile(&l, p),
        ("GET", "api/head") => {
            who(case, &l, req)?;
            Ok(json(&HeadInfo::of(l.id(), l.hash_alg(), l.head())))
        }
        ("GET", p) if p.starts_with("api/disclosures/") => {
            let caller = who(case, &l, req)?;
            disclosures(&l, &caller, &p["api/disclosures/".len()..])
        }
        _ => Err(not_found(req.rest)),
    }
}

fn who(case: &Case, l: &Ledger, req: &Req<'_>) -> Result<Caller, ApiError> {
    authenticate(
        l,
        &case.nonces,
        req.sig_input,
        req.sig,
        &req.parts,
        req.body,
    )
}

fn checkpoint(l: &Ledger) -> Result<Answer, ApiError> {
    let (_, note) = l
        .latest_checkpoint()
        .map_err(|e| refusal(l, &e))?
        .ok_or_else(|| not_found("checkpoint (none has been signed yet)"))?;
    Ok(Answer {
        status: 200,
        content_type: "text/plain; charset=utf-8",
        cache: "no-cache, max-age=5",
        body: note,
    })
}

fn tile(l: &Ledger, path: &str) -> Result<Answer, ApiError> {
    let t = Tile::parse(path).map_err(|_| not_found(path))?;
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
fn disclosures(l: &Ledger, caller: &Caller, seq: &str) -> Result<Answer, ApiError> {
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
    let seq: u64 = seq.parse().map_err(|_| not_found(seq))?;
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
pub(crate) fn post_checkpoint(
    case: &Case,
    req: &Req<'_>,
    witnesses: &crate::net::witness::Witnesses,
) -> Result<Answer, ApiError> {
    {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        who(case, &l, req)?;
    }
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
    Ok(json(&serde_json::json!({
        "added": added,
        "cosignatures": report.cosigned,
        "quorum": witnesses.quorum,
        "witness_errors": report.errors,
    })))
}

/// `POST api/append`: authenticate, check what can be checked before the
/// sequencer (body form, record size for entry bundles, the author is the
/// caller, time near the server's clock), then queue it.
pub(crate) fn prepare_append(
    case: &Case,
    req: &Req<'_>,
) -> Result<Vec<crate::ledger::Submission>, ApiError> {
    let caller = {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        who(case, &l, req)?
    };
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
                let code = crate::audit::engine::entry_code(&e);
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
        let skew = (entry.time.micros() - now.micros()).abs() / 1_000_000;
        if skew > api::ENTRY_SKEW_SECS {
            return Err(ApiError::new(
                422,
                "TIME_SKEW",
                2,
                format!(
                    "the entry's time {} is {skew} s from the server's clock {now}",
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
    tx.try_send(Job { subs, reply }).map_err(|_| {
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
