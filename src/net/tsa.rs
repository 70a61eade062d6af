//! Asking a time-stamping authority for a token over HTTP (RFC 3161 §3.4:
//! POST `application/timestamp-query`, answer
//! `application/timestamp-reply`), and storing it beside its checkpoint.

use std::time::Duration;

use thiserror::Error;

use crate::ledger::{Ledger, LedgerError};
use crate::tlog::merkle::TreeSize;
use crate::tlog::tsp::{self, Anchors, Nonce, Timestamped, TspError};

/// Longest a TSA may take to answer.
const TSA_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest reply read (tokens are a few KiB with their certificates).
const MAX_REPLY: u64 = 1 << 20;

/// Why no token was stored.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TsaError {
    /// The TSA could not be reached or answered an HTTP error.
    #[error("the TSA at {url}: {reason}")]
    Http {
        /// The TSA's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The reply or its token was refused.
    #[error("the TSA's reply: {0}")]
    Reply(#[from] TspError),
    /// The ledger refused or failed (no such checkpoint, storage).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Request a time-stamp of `body` from the TSA at `url`; the token's DER
/// once the reply answers this request (nonce, imprint).
pub fn fetch_token(url: &str, body: &[u8], ca_pem: Option<&[u8]>) -> Result<Vec<u8>, TsaError> {
    let http = |reason: String| TsaError::Http {
        url: url.to_owned(),
        reason,
    };
    let nonce = Nonce::random();
    let agent = crate::net::client::agent(TSA_TIMEOUT, ca_pem).map_err(http)?;
    let mut resp = agent
        .post(url)
        .header("content-type", "application/timestamp-query")
        .send(&tsp::request(body, nonce)[..])
        .map_err(|e| http(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(http(format!("HTTP {}", resp.status())));
    }
    let reply = resp
        .body_mut()
        .with_config()
        .limit(MAX_REPLY)
        .read_to_vec()
        .map_err(|e| http(e.to_string()))?;
    Ok(tsp::accept_reply(&reply, body, nonce)?)
}

/// Have the checkpoint of `size` time-stamped by the TSA at `url` and store
/// the token (verified, chained to `anchors` when given). What it shows,
/// and whether it was new.
pub fn timestamp_checkpoint(
    ledger: &mut Ledger,
    size: TreeSize,
    url: &str,
    anchors: Option<&Anchors>,
    ca_pem: Option<&[u8]>,
) -> Result<(Timestamped, bool), TsaError> {
    let body = ledger.checkpoint_body(size)?;
    let token = fetch_token(url, body.as_bytes(), ca_pem)?;
    match ledger.store_timestamp(size, &token, anchors) {
        Ok(r) => Ok(r),
        Err(LedgerError::Timestamp { source, .. }) => Err(TsaError::Reply(source)),
        Err(e) => Err(e.into()),
    }
}
