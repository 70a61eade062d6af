//! `PUT <case>/api/blob/<blake3>`: a member uploads the copy of an
//! evidence file whose digests an intake entry already recorded (SPEC
//! §17.2), so the server's blob store holds what the member's copy holds.
//! The body is streamed to a temporary file while BLAKE3 and SHA-256 are
//! computed; it is kept only if the SHA-256 is the signed `Content-Digest`
//! and the pair of digests is one the ledger recorded (same commit order
//! as a local `evidence add --copy`: synced, renamed, directory synced).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use sha2::Digest;

use crate::format::hash::Hash;
use crate::net::api::ApiError;
use crate::net::server::routes::Answer;
use crate::net::server::{Case, OwnedReq};
use crate::storage::evidence;

fn err(status: u16, code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(status, code, 2, msg)
}

/// Handle an upload of the blob named in `rest` (`api/blob/<hex>`).
pub(crate) async fn put(
    case: &Case,
    req: OwnedReq,
    body: Incoming,
    max: u64,
    idle: Duration,
) -> Result<Answer, ApiError> {
    let b3 = req
        .rest
        .strip_prefix("api/blob/")
        .and_then(Hash::from_hex)
        .ok_or_else(|| err(404, "NOT_FOUND", format!("no such resource: {}", req.rest)))?;
    let sha = {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        let r = req.as_req();
        super::auth::authenticate_streamed(&l, &case.nonces, r.sig_input, r.sig, &r.parts)?;
        let recorded = l
            .custody()
            .iter()
            .flat_map(|i| i.files.values())
            .find(|(b, _)| *b == b3)
            .map(|(_, s)| *s);
        recorded.ok_or_else(|| {
            err(
                422,
                "EVIDENCE_MISMATCH",
                format!("no evidence intake records a file with BLAKE3 {b3}"),
            )
        })?
    };
    if evidence::blob_path(&case.dir, &b3).is_file() {
        return Ok(stored(false, 0));
    }
    let claimed = req.digest.clone().unwrap_or_default();
    let tmp = evidence::tmp_blob(&case.dir).map_err(storage)?;
    let result = receive(&tmp, body, (max, idle), &claimed, &b3, &sha).await;
    match result {
        Ok(size) => {
            evidence::adopt_blob(&case.dir, &tmp, &b3).map_err(storage)?;
            Ok(stored(true, size))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn storage(e: std::io::Error) -> ApiError {
    ApiError::new(503, "STORAGE", 3, format!("the blob store failed: {e}"))
}

fn stored(new: bool, size: u64) -> Answer {
    Answer {
        status: if new { 201 } else { 200 },
        content_type: "application/json",
        cache: "no-store",
        body: serde_json::to_vec(&serde_json::json!({ "stored": new, "size": size }))
            .expect("serve: JSON of plain data"),
    }
}

/// Stream `body` into `tmp` (synced), checking size, the signed SHA-256
/// and the recorded digests.
async fn receive(
    tmp: &Path,
    mut body: Incoming,
    (max, idle): (u64, Duration),
    claimed: &str,
    b3: &Hash,
    sha: &Hash,
) -> Result<u64, ApiError> {
    let mut file = std::fs::File::create(tmp).map_err(storage)?;
    let (mut h3, mut h2, mut size) = (blake3::Hasher::new(), sha2::Sha256::new(), 0u64);
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(err(408, "SLOW_CLIENT", "the upload stalled")),
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(err(400, "DECODE", format!("the upload broke off: {e}")))
            }
            Ok(Some(Ok(f))) => f,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        size += data.len() as u64;
        if size > max {
            return Err(err(
                413,
                "TOO_LARGE",
                format!("the file is over the server's {max}-byte limit for evidence copies"),
            ));
        }
        h3.update(&data);
        h2.update(&data);
        tokio::task::block_in_place(|| file.write_all(&data)).map_err(storage)?;
    }
    let got2 = Hash(h2.finalize().into());
    if crate::net::httpsig::content_digest_of(&got2) != claimed {
        return Err(err(
            401,
            "DIGEST_MISMATCH",
            "the body is not the signed Content-Digest",
        ));
    }
    let got3 = Hash(*h3.finalize().as_bytes());
    if got3 != *b3 || got2 != *sha {
        return Err(err(
            422,
            "EVIDENCE_MISMATCH",
            "the file's digests are not the ones the intake recorded",
        ));
    }
    tokio::task::block_in_place(|| file.sync_all()).map_err(storage)?;
    Ok(size)
}
