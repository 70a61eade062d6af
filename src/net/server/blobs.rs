//! `PUT <case>/api/blob/<blake3>`: a member uploads the copy of an
//! evidence file whose digests an intake entry already recorded (SPEC
//! §17.2), so the server's blob store holds what the member's copy holds.
//!
//! Checked before a byte of the body is read: the member (from the signed
//! headers), a signed `Content-Digest` that is the SHA-256 the intake
//! recorded for that BLAKE3, at most [`UPLOADS_PER_MEMBER`] uploads of the
//! member under way, and free space on the disk for the recorded size plus
//! the margin. The body is then streamed to a temporary file while BLAKE3
//! and SHA-256 are computed, never past the recorded size, within a
//! deadline for that size; it is kept only if both digests are the pair
//! the ledger recorded (same commit order as a local `evidence add
//! --copy`: synced, renamed, directory synced).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use sha2::Digest;

use crate::format::hash::Hash;
use crate::format::ids::MemberKey;
use crate::ledger::Ledger;
use crate::net::api::ApiError;
use crate::net::server::routes::Answer;
use crate::net::server::{Case, OwnedReq};
use crate::storage::evidence;

/// Uploads one member may have under way at once.
pub(crate) const UPLOADS_PER_MEMBER: usize = 2;
/// The slowest average rate an upload may keep (bytes per second): an
/// upload of N bytes must end within the idle timeout plus N / this.
pub(crate) const MIN_RATE: u64 = 128 << 10;

/// What an upload is held to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlobLimits {
    /// Largest file.
    pub(crate) max: u64,
    /// Longest pause between chunks.
    pub(crate) idle: Duration,
    /// Free space the upload must leave on the disk.
    pub(crate) min_free: u64,
}

fn err(status: u16, code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(status, code, 2, msg)
}

/// The SHA-256 and size an intake or attach entry recorded for the file
/// with BLAKE3 `b3` (no size for a tree's content listing, which is not a
/// file).
fn recorded(l: &Ledger, b3: &Hash) -> Result<Option<(Hash, Option<u64>)>, ApiError> {
    use crate::format::entry::Body;
    let Some((item, sha)) = l.custody().iter().find_map(|i| {
        i.files
            .values()
            .find(|(b, _)| b == b3)
            .map(|(_, s)| (i.item.clone(), *s))
    }) else {
        return Ok(None);
    };
    let storage = |e: crate::ledger::LedgerError| ApiError::new(503, "STORAGE", 3, e.to_string());
    let mut size = None;
    for (seq, raw) in l.item_records(&item).map_err(storage)? {
        let (_, e) = crate::ledger::decode(seq, &raw).map_err(storage)?;
        let Body::Domain(d) = e.body else { continue };
        if let Some(f) = d.recorded_files().into_iter().find(|f| f.blake3 == *b3) {
            size = Some(f.size);
            break;
        }
    }
    Ok(Some((sha, size)))
}

/// One of the member's upload slots, released when dropped.
struct Slot<'a> {
    case: &'a Case,
    member: MemberKey,
}

impl<'a> Slot<'a> {
    fn take(case: &'a Case, member: MemberKey) -> Result<Slot<'a>, ApiError> {
        let mut m = case.uploads.lock().expect("serve: uploads lock poisoned");
        let n = m.entry(member).or_default();
        if *n >= UPLOADS_PER_MEMBER {
            return Err(ApiError::new(
                503,
                "BUSY",
                3,
                format!("this key already has {UPLOADS_PER_MEMBER} uploads under way; retry when one ends"),
            ));
        }
        *n += 1;
        Ok(Slot { case, member })
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.case.uploads.lock() {
            if let Some(n) = m.get_mut(&self.member) {
                *n -= 1;
                if *n == 0 {
                    m.remove(&self.member);
                }
            }
        }
    }
}

/// Bytes free to unprivileged writers on the disk holding `dir`.
fn free_space(dir: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(dir).map_err(std::io::Error::from)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Handle an upload of the blob named in `rest` (`api/blob/<hex>`).
pub(crate) async fn put(
    case: &Case,
    req: OwnedReq,
    body: Incoming,
    lim: &BlobLimits,
) -> Result<Answer, ApiError> {
    let Some(up) = admit(case, &req, lim)? else {
        return Ok(stored(false, 0));
    };
    let _slot = Slot::take(case, up.member)?;
    let free = free_space(&case.dir).map_err(storage)?;
    if free < up.limit.saturating_add(lim.min_free) {
        return Err(ApiError::new(
            507,
            "DISK_FULL",
            3,
            format!("the server's disk has {free} bytes free; a file of {} bytes would leave less than the {} it keeps free", up.limit, lim.min_free),
        ));
    }
    let deadline = lim.idle + Duration::from_secs(up.limit / MIN_RATE);
    let tmp = evidence::tmp_blob(&case.dir).map_err(storage)?;
    let result = match tokio::time::timeout(deadline, receive(&tmp, body, lim.idle, &up)).await {
        Ok(r) => r,
        Err(_) => Err(err(
            408,
            "SLOW_CLIENT",
            format!(
                "the upload took longer than the {} s allowed for {} bytes",
                deadline.as_secs(),
                up.limit
            ),
        )),
    };
    match result {
        Ok(size) => {
            evidence::adopt_blob(&case.dir, &tmp, &up.b3).map_err(storage)?;
            Ok(stored(true, size))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// What can be judged before a byte of the body is read: the blob's name,
/// the signed digest against what an intake recorded, the size limit.
/// `None`: the server already holds the blob.
fn admit(case: &Case, req: &OwnedReq, lim: &BlobLimits) -> Result<Option<Expect>, ApiError> {
    let b3 = req
        .rest
        .strip_prefix("api/blob/")
        .and_then(Hash::from_hex)
        .ok_or_else(|| err(404, "NOT_FOUND", format!("no such resource: {}", req.rest)))?;
    let caller = super::routes::who(&req.as_req())?;
    let claimed = req.digest.clone().ok_or_else(|| {
        err(
            401,
            "DIGEST_MISMATCH",
            "an upload must carry the signed Content-Digest of the file",
        )
    })?;
    let (sha, size) = {
        let l = case.ledger.read().expect("serve: ledger lock poisoned");
        recorded(&l, &b3)?
    }
    .ok_or_else(|| {
        err(
            422,
            "EVIDENCE_MISMATCH",
            format!("no evidence intake records a file with BLAKE3 {b3}"),
        )
    })?;
    if claimed != crate::net::httpsig::content_digest_of(&sha) {
        return Err(err(
            422,
            "EVIDENCE_MISMATCH",
            "the signed Content-Digest is not the SHA-256 recorded (by an intake or attach) for this BLAKE3",
        ));
    }
    if evidence::blob_path(&case.dir, &b3).is_file() {
        return Ok(None);
    }
    let limit = size.unwrap_or(lim.max);
    if limit > lim.max {
        return Err(too_large(lim.max));
    }
    Ok(Some(Expect {
        member: caller.key,
        claimed,
        b3,
        sha,
        limit,
        exact: size.is_some(),
    }))
}

fn too_large(max: u64) -> ApiError {
    err(
        413,
        "TOO_LARGE",
        format!("the file is over the server's {max}-byte limit for evidence copies"),
    )
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

/// What the uploaded body must be.
struct Expect {
    /// Who uploads it.
    member: MemberKey,
    /// The signed `Content-Digest`.
    claimed: String,
    b3: Hash,
    sha: Hash,
    /// Most bytes read: the recorded size, else the server's limit.
    limit: u64,
    /// Whether `limit` is the recorded size (more is a mismatch).
    exact: bool,
}

/// Stream `body` into `tmp` (synced), never past `want.limit`, then check
/// the signed SHA-256 and the recorded digests.
async fn receive(
    tmp: &Path,
    mut body: Incoming,
    idle: Duration,
    want: &Expect,
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
        if size > want.limit {
            return Err(match want.exact {
                true => err(
                    422,
                    "EVIDENCE_MISMATCH",
                    format!(
                        "the file is longer than the {} bytes recorded for it",
                        want.limit
                    ),
                ),
                false => too_large(want.limit),
            });
        }
        h3.update(&data);
        h2.update(&data);
        tokio::task::block_in_place(|| file.write_all(&data)).map_err(storage)?;
    }
    let got2 = Hash(h2.finalize().into());
    if crate::net::httpsig::content_digest_of(&got2) != want.claimed {
        return Err(err(
            401,
            "DIGEST_MISMATCH",
            "the body is not the signed Content-Digest",
        ));
    }
    let got3 = Hash(*h3.finalize().as_bytes());
    if got3 != want.b3 || got2 != want.sha {
        return Err(err(
            422,
            "EVIDENCE_MISMATCH",
            "the file's digests are not the ones recorded for it",
        ));
    }
    tokio::task::block_in_place(|| file.sync_all()).map_err(storage)?;
    Ok(size)
}
