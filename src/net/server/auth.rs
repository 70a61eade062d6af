//! Who is asking, decided from the request's headers before its body is
//! read: a request signed (RFC 9421, [`crate::net::httpsig`]) for one of
//! the names this server answers to (`@authority`), by an enrolled,
//! unrevoked member of the case, within the clock window, after the server
//! started, and not seen before (each `nonce` is accepted once per key).
//! The body, read only then, must be the one the signed `content-digest`
//! names ([`Caller::check_body`]).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::format::ids::{MemberKey, Role};
use crate::ledger::Ledger;
use crate::net::api::{ApiError, CLOCK_SKEW_SECS};
use crate::net::httpsig::{self, Params, RequestParts, SigInputError};

/// Most nonces remembered at once per case (about 100 bytes each): more
/// requests signed within the clock window are answered 503 `BUSY`.
pub(crate) const MAX_NONCES: usize = 200_000;

/// Nonces seen within the clock window, per key.
#[derive(Default)]
pub(crate) struct Nonces {
    seen: Mutex<HashMap<(MemberKey, String), u64>>,
}

/// What [`Nonces::fresh`] found.
enum Fresh {
    Yes,
    Replayed,
    Full,
}

impl Nonces {
    /// Record `(key, nonce)` signed at `created`. A nonce is kept while a
    /// request signed at its `created` could still be accepted.
    fn fresh(&self, key: MemberKey, nonce: &str, created: u64, now: u64) -> Fresh {
        let mut seen = self.seen.lock().expect("serve: nonce lock poisoned");
        if seen.len() >= MAX_NONCES {
            seen.retain(|_, c| c.saturating_add(CLOCK_SKEW_SECS) >= now);
            if seen.len() >= MAX_NONCES {
                return Fresh::Full;
            }
        }
        match seen.insert((key, nonce.to_owned()), created) {
            None => Fresh::Yes,
            Some(_) => Fresh::Replayed,
        }
    }
}

/// The names (`Host`, signed as `@authority`) this server answers to: a
/// request signed for another host is refused, so it cannot be replayed
/// against this one.
#[derive(Debug, Clone)]
pub(crate) struct Hosts {
    names: Vec<String>,
}

impl Hosts {
    /// `public` (`--public-host`, HOST or HOST:PORT) and the listen
    /// address itself (`IP:PORT`; on loopback also `localhost:PORT`).
    /// A name without a port matches that host on any port.
    pub(crate) fn new(public: &[String], listen: std::net::SocketAddr) -> Hosts {
        let mut names: Vec<String> = public.iter().map(|h| h.to_ascii_lowercase()).collect();
        let port = listen.port();
        if !listen.ip().is_unspecified() {
            names.push(listen.to_string());
        }
        if listen.ip().is_loopback() {
            names.push(format!("localhost:{port}"));
        }
        Hosts { names }
    }

    /// Whether `authority` (the `Host` header) is one of the names.
    pub(crate) fn allows(&self, authority: &str) -> bool {
        let a = authority.to_ascii_lowercase();
        self.names.iter().any(|n| {
            a == *n
                || (!has_port(n)
                    && a.strip_prefix(n.as_str())
                        .and_then(|p| p.strip_prefix(':'))
                        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
        })
    }
}

/// Whether `host` ends in `:PORT` (an IPv6 literal is bracketed).
fn has_port(host: &str) -> bool {
    match host.rsplit_once(':') {
        Some((h, p)) => {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && !h.ends_with(':')
                && (!h.starts_with('[') || h.ends_with(']'))
        }
        None => false,
    }
}

/// What the server checks every member request against.
pub(crate) struct Gate {
    pub(crate) hosts: Hosts,
    /// When the server started (POSIX seconds): a request signed no later
    /// is refused, for its nonce may have been spent before a restart.
    pub(crate) started: u64,
}

/// An authenticated member.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) key: MemberKey,
    pub(crate) role: Role,
    params: Params,
}

impl Caller {
    /// The body read after authentication must be the signed one.
    pub(crate) fn check_body(&self, req: &RequestParts<'_>, body: &[u8]) -> Result<(), ApiError> {
        httpsig::check_body(&self.params, req, body).map_err(sig_error)
    }
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Check a request's signature headers, host, clock, membership and nonce
/// (its body is checked once read, [`Caller::check_body`]).
pub(crate) fn authenticate(
    ledger: &Ledger,
    nonces: &Nonces,
    gate: &Gate,
    sig_input: Option<&str>,
    sig: Option<&str>,
    req: &RequestParts<'_>,
) -> Result<Caller, ApiError> {
    let params = httpsig::verify_headers(sig_input, sig, req).map_err(sig_error)?;
    if !gate.hosts.allows(req.authority) {
        return Err(ApiError::new(
            421,
            "WRONG_HOST",
            2,
            format!(
                "the request was signed for host {:?}, which this server does not answer to",
                req.authority
            ),
        ));
    }
    admit(ledger, nonces, gate, params)
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
fn admit(
    ledger: &Ledger,
    nonces: &Nonces,
    gate: &Gate,
    params: Params,
) -> Result<Caller, ApiError> {
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
    if params.created <= gate.started {
        return Err(ApiError::new(
            401,
            "SIGNED_BEFORE_START",
            2,
            format!(
                "the request was signed at {}, not after this server started at {}: sign it again",
                params.created, gate.started
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
    match nonces.fresh(params.key, &params.nonce, params.created, now) {
        Fresh::Yes => {}
        Fresh::Replayed => {
            return Err(ApiError::new(
                401,
                "REPLAYED",
                2,
                format!("nonce {:?} was already used by this key", params.nonce),
            ))
        }
        Fresh::Full => {
            return Err(ApiError::new(
                503,
                "BUSY",
                3,
                "too many requests signed within the clock window; retry shortly",
            ))
        }
    }
    Ok(Caller {
        key: params.key,
        role: member.role,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_the_names_given_and_the_listen_address() {
        let h = Hosts::new(
            &[
                "Cases.Example".into(),
                "mirror.example:8443".into(),
                "[::1]:9".into(),
            ],
            "127.0.0.1:8080".parse().unwrap(),
        );
        for ok in [
            "cases.example",
            "cases.example:443",
            "CASES.EXAMPLE:8443",
            "mirror.example:8443",
            "127.0.0.1:8080",
            "localhost:8080",
            "[::1]:9",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for no in [
            "mirror.example",
            "mirror.example:8444",
            "cases.example.evil",
            "cases.example:",
            "cases.example:80x",
            "127.0.0.1:8081",
            "localhost",
            "[::1]:99",
            "",
        ] {
            assert!(!h.allows(no), "{no}");
        }
        let any = Hosts::new(&[], "0.0.0.0:8443".parse().unwrap());
        assert!(!any.allows("0.0.0.0:8443"));
        assert!(any.names.is_empty());
    }
}
