//! Recording member reads in the case's access log (SPEC §18): the answer
//! is made, then the read is recorded (synced), then answered. A read that
//! cannot be recorded is not answered (503 `ACCESS_LOG`).

use super::routes::{self, Answer, Req};
use super::Case;
use crate::format::entry::Body;
use crate::format::ids::{Seq, Timestamp};
use crate::ledger::Ledger;
use crate::net::access::record::AccessRecord;
use crate::net::access::store::AccessError;
use crate::net::api::ApiError;

/// [`routes::read`], with a signed request recorded before its answer.
pub(crate) fn read_logged(case: &Case, req: &Req<'_>) -> Result<Answer, ApiError> {
    let answer = routes::read(case, req);
    let Some(caller) = req.caller else {
        return answer;
    };
    let status = match &answer {
        Ok(a) => a.status,
        Err(e) => e.status,
    };
    let durable = case
        .durable
        .lock()
        .expect("serve: durable head lock poisoned")
        .size;
    let (items, whole) = {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        scope(&l, req.rest, req.parts.query, durable)
    };
    let make = |seq| AccessRecord {
        seq,
        time: Timestamp::now(),
        reader: caller.key,
        method: req.parts.method.to_owned(),
        authority: req.parts.authority.to_owned(),
        path: req.parts.path.to_owned(),
        query: req.parts.query.to_owned(),
        content_digest: req.parts.content_digest.map(str::to_owned),
        signature_input: req.sig_input.unwrap_or_default().to_owned(),
        signature: req.sig.unwrap_or_default().to_owned(),
        status,
        items,
        whole,
    };
    case.access.append(make).map_err(|e| match e {
        AccessError::RecordTooLarge { .. } => ApiError::new(
            431,
            "TOO_LARGE",
            2,
            format!("the read was not answered: {e} (shorten the request)"),
        ),
        _ => ApiError::new(
            503,
            "ACCESS_LOG",
            3,
            format!("the read was not answered: it could not be recorded in the access log ({e})"),
        ),
    })?;
    answer
}

/// The items an answer to `rest` is about, and whether it may hold any
/// entry (`whole`).
fn scope(l: &Ledger, rest: &str, query: &str, durable: u64) -> (Vec<String>, bool) {
    let item_of = |seq: u64| -> Option<String> {
        let raw = l.record_bytes(Seq(seq)).ok()??;
        let (_, e) = crate::ledger::decode(Seq(seq), &raw).ok()?;
        match e.body {
            Body::Domain(d) => d.item().map(str::to_owned),
            _ => None,
        }
    };
    let seq_in = |p: &str| p.parse::<u64>().ok().filter(|s| *s < durable);
    let mut items: Vec<String> = match rest {
        r if r.starts_with("api/show/") => seq_in(&r["api/show/".len()..])
            .and_then(item_of)
            .into_iter()
            .collect(),
        r if r.starts_with("api/disclosures/") => seq_in(&r["api/disclosures/".len()..])
            .and_then(item_of)
            .into_iter()
            .collect(),
        "api/log" => {
            let (from, limit) = log_range(query);
            (from..from.saturating_add(limit).min(durable))
                .filter_map(item_of)
                .collect()
        }
        "api/timeline" => return (Vec::new(), true),
        r if r.starts_with("tile/entries/") => return (Vec::new(), true),
        _ => Vec::new(),
    };
    items.sort();
    items.dedup();
    (items, false)
}

/// `from` and `limit` of an `api/log` query as the route reads them.
fn log_range(query: &str) -> (u64, u64) {
    let (mut from, mut limit) = (0, routes::LOG_PAGE);
    for kv in query.trim_start_matches('?').split('&') {
        match kv.split_once('=') {
            Some(("from", v)) => from = v.parse().unwrap_or(0),
            Some(("limit", v)) => limit = v.parse().unwrap_or(routes::LOG_PAGE),
            _ => {}
        }
    }
    (from, limit.min(routes::LOG_PAGE))
}
