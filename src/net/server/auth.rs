//! Who is asking: a request signed (RFC 9421, [`crate::net::httpsig`]) by
//! an enrolled, unrevoked member of the case, within the clock window, and
//! not seen before (each `nonce` is accepted once per key).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::format::ids::{MemberKey, Role};
use crate::ledger::Ledger;
use crate::net::api::{ApiError, CLOCK_SKEW_SECS};
use crate::net::httpsig::{self, RequestParts, SigInputError};

/// Nonces seen within the clock window, per key.
#[derive(Default)]
pub(crate) struct Nonces {
    seen: Mutex<HashMap<(MemberKey, String), u64>>,
}

impl Nonces {
    /// Record `(key, nonce)`; false when it was already seen (a replay).
    fn fresh(&self, key: MemberKey, nonce: &str, created: u64, now: u64) -> bool {
        let mut seen = self.seen.lock().expect("serve: nonce lock poisoned");
        if seen.len() > 100_000 {
            // Outside the window a replay is refused by its `created`.
            seen.retain(|_, c| c.saturating_add(2 * CLOCK_SKEW_SECS) >= now);
        }
        seen.insert((key, nonce.to_owned()), created).is_none()
    }
}

/// An authenticated member.
pub(crate) struct Caller {
    pub(crate) key: MemberKey,
    pub(crate) role: Role,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Check the request's signature, clock, nonce and membership.
pub(crate) fn authenticate(
    ledger: &Ledger,
    nonces: &Nonces,
    sig_input: Option<&str>,
    sig: Option<&str>,
    req: &RequestParts<'_>,
    body: &[u8],
) -> Result<Caller, ApiError> {
    let params = httpsig::verify(sig_input, sig, req, body).map_err(sig_error)?;
    admit(ledger, nonces, &params)
}

/// [`authenticate`] for a request whose body is streamed (an evidence
/// file): the caller compares the body's digest with the signed one.
pub(crate) fn authenticate_streamed(
    ledger: &Ledger,
    nonces: &Nonces,
    sig_input: Option<&str>,
    sig: Option<&str>,
    req: &RequestParts<'_>,
) -> Result<Caller, ApiError> {
    let params = httpsig::verify_streamed(sig_input, sig, req).map_err(sig_error)?;
    admit(ledger, nonces, &params)
}

fn sig_error(e: SigInputError) -> ApiError {
    let code = match e {
        SigInputError::Unsigned => "UNSIGNED",
        SigInputError::DigestMismatch => "DIGEST_MISMATCH",
        _ => "BAD_REQUEST_SIGNATURE",
    };
    ApiError::new(401, code, 2, format!("{e}"))
}

/// A verified signature's clock, membership and nonce.
fn admit(ledger: &Ledger, nonces: &Nonces, params: &httpsig::Params) -> Result<Caller, ApiError> {
    let now = now_secs();
    if params.created.abs_diff(now) > CLOCK_SKEW_SECS {
        return Err(ApiError::new(
            401,
            "STALE_REQUEST",
            2,
            format!(
                "the request was signed at {} but the server's clock is {now} (more than {CLOCK_SKEW_SECS} s apart)",
                params.created
            ),
        ));
    }
    let member = match ledger.members().get(&params.key) {
        None => {
            return Err(ApiError::new(
                403,
                "UNKNOWN_AUTHOR",
                2,
                format!("key {} is not a member of this case", params.key.short()),
            ))
        }
        Some(m) if m.revoked.is_some() => {
            return Err(ApiError::new(
                403,
                "REVOKED_AUTHOR",
                2,
                format!("member {} ({}) was revoked", m.name, params.key.short()),
            ))
        }
        Some(m) => m,
    };
    // Replays are judged after the signature: only the key's holder can
    // spend its nonces.
    if !nonces.fresh(params.key, &params.nonce, params.created, now) {
        return Err(ApiError::new(
            401,
            "REPLAYED",
            2,
            format!("nonce {:?} was already used by this key", params.nonce),
        ));
    }
    Ok(Caller {
        key: params.key,
        role: member.role,
    })
}
