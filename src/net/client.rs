//! The client side of the API: requests signed locally with the member's
//! key (RFC 9421), answers decoded, errors kept typed ([`ApiError`]).

use std::time::Duration;

use thiserror::Error;

use crate::format::sig::Signer;
use crate::ledger::Submission;
use crate::net::api::{self, ApiError, Appended, HeadInfo};
use crate::net::httpsig::{self, Params, RequestParts};
use crate::tlog::tiles::Tile;

/// Largest answer read (an entry bundle of 256 records of 64 KiB).
const MAX_ANSWER: u64 = 32 << 20;

/// Why a request to a server failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The URL is not `http(s)://host[:port]/CASE`.
    #[error("not a case URL (http(s)://HOST[:PORT]/CASE): {url}")]
    BadUrl {
        /// The URL given.
        url: String,
    },
    /// The server could not be reached or the connection failed.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server answered with an error.
    #[error("{url}: {} ({}, HTTP {})", .err.error, .err.code, .err.status)]
    Api {
        /// The URL.
        url: String,
        /// The server's error.
        err: Box<ApiError>,
    },
    /// An answer that is not what the API promises.
    #[error("{url}: unexpected answer: {reason}")]
    Protocol {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be signed (the key's agent did not sign).
    #[error(transparent)]
    Sign(#[from] crate::format::sig::SignError),
}

/// One case on a server.
pub struct Remote {
    /// `scheme://authority`.
    origin: String,
    /// As sent in `Host` and signed as `@authority`.
    authority: String,
    /// `/CASE`.
    prefix: String,
    agent: ureq::Agent,
}

impl Remote {
    /// A client for the case at `url` (`http(s)://HOST[:PORT]/CASE`).
    pub fn new(url: &str) -> Result<Remote, RemoteError> {
        let bad = || RemoteError::BadUrl {
            url: url.to_owned(),
        };
        let uri: ureq::http::Uri = url.trim_end_matches('/').parse().map_err(|_| bad())?;
        let scheme = uri
            .scheme_str()
            .filter(|s| *s == "http" || *s == "https")
            .ok_or_else(bad)?;
        let authority = uri.authority().ok_or_else(bad)?.as_str().to_owned();
        let prefix = uri.path().to_owned();
        let case_ok = prefix.len() > 1 && !prefix[1..].contains('/') && uri.query().is_none();
        if !case_ok {
            return Err(bad());
        }
        let agent = agent(Duration::from_secs(120), None).map_err(|_| bad())?;
        Ok(Remote {
            origin: format!("{scheme}://{authority}"),
            authority,
            prefix,
            agent,
        })
    }

    /// Trust the root certificates in `pem` (an agency's own CA) instead
    /// of the public web's (Mozilla's list, the default) for `https`.
    pub fn trusting(mut self, pem: &[u8]) -> Result<Remote, RemoteError> {
        self.agent =
            agent(Duration::from_secs(120), Some(pem)).map_err(|reason| RemoteError::Protocol {
                url: self.url(),
                reason,
            })?;
        Ok(self)
    }

    /// The case URL.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.prefix)
    }

    /// One request; `signer` signs it; the answer's body on 2xx.
    fn call(
        &self,
        method: &str,
        rest: &str,
        body: Option<(&[u8], &str)>,
        signer: Option<&Signer>,
    ) -> Result<Vec<u8>, RemoteError> {
        self.call_query(method, rest, "", body, signer)
    }

    /// [`Self::call`] with a query (`""` or `?k=v`, signed as `@query`),
    /// signed afresh and sent again when the server asks for it
    /// ([`retry_after`]).
    fn call_query(
        &self,
        method: &str,
        rest: &str,
        query: &str,
        body: Option<(&[u8], &str)>,
        signer: Option<&Signer>,
    ) -> Result<Vec<u8>, RemoteError> {
        retrying(|| self.call_once(method, rest, query, body, signer))
    }

    fn call_once(
        &self,
        method: &str,
        rest: &str,
        query: &str,
        body: Option<(&[u8], &str)>,
        signer: Option<&Signer>,
    ) -> Result<Vec<u8>, RemoteError> {
        let path = format!("{}/{rest}", self.prefix);
        let url = format!("{}{path}{query}", self.origin);
        let unreachable = |e: ureq::Error| RemoteError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        };
        let digest = body.map(|(b, _)| httpsig::content_digest(b));
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let (Some((_, ctype)), Some(d)) = (body, &digest) {
            headers.push(("content-type", ctype.to_owned()));
            headers.push(("content-digest", d.clone()));
        }
        if let Some(s) = signer {
            headers.extend(self.signature(s, method, &path, query, digest.as_deref())?);
        }
        let resp = match (method, body) {
            ("POST", Some((b, _))) => {
                let mut r = self.agent.post(&url);
                for (k, v) in &headers {
                    r = r.header(*k, v);
                }
                r.send(b).map_err(unreachable)?
            }
            _ => {
                let mut r = self.agent.get(&url);
                for (k, v) in &headers {
                    r = r.header(*k, v);
                }
                r.call().map_err(unreachable)?
            }
        };
        answer(resp, url).map(|(_, bytes)| bytes)
    }

    /// The `Signature-Input` and `Signature` headers of a request (RFC
    /// 9421, [`httpsig`]); `query` is `""` or `?k=v`.
    fn signature(
        &self,
        signer: &Signer,
        method: &str,
        path: &str,
        query: &str,
        content_digest: Option<&str>,
    ) -> Result<[(&'static str, String); 2], crate::format::sig::SignError> {
        let params = Params {
            created: now_secs(),
            nonce: nonce(),
            key: signer.public(),
            with_digest: content_digest.is_some(),
        };
        let parts = RequestParts {
            method,
            authority: &self.authority,
            path,
            query: if query.is_empty() { "?" } else { query },
            content_digest,
        };
        let (input, sig) = httpsig::sign(signer, &params, &parts)?;
        Ok([("signature-input", input), ("signature", sig)])
    }

    fn json<T: serde::de::DeserializeOwned>(&self, rest: &str, b: &[u8]) -> Result<T, RemoteError> {
        serde_json::from_slice(b).map_err(|e| RemoteError::Protocol {
            url: format!("{}/{rest}", self.url()),
            reason: e.to_string(),
        })
    }

    /// A JSON resource of the members' API (`api/log`, `api/show/N`,
    /// `api/timeline`, `api/status`), `query` `""` or `?k=v&...`.
    pub fn api_json(
        &self,
        signer: &Signer,
        rest: &str,
        query: &str,
    ) -> Result<serde_json::Value, RemoteError> {
        let b = self.call_query("GET", rest, query, None, Some(signer))?;
        self.json(rest, &b)
    }

    /// Upload the copy of an evidence file (`file`, whose digests an
    /// intake entry already recorded) to the server's blob store. Returns
    /// false when the server already had it.
    pub fn put_blob(
        &self,
        signer: &Signer,
        file: &std::path::Path,
        blake3: &crate::format::hash::Hash,
        sha256: &crate::format::hash::Hash,
    ) -> Result<bool, RemoteError> {
        retrying(|| self.put_blob_once(signer, file, blake3, sha256))
    }

    fn put_blob_once(
        &self,
        signer: &Signer,
        file: &std::path::Path,
        blake3: &crate::format::hash::Hash,
        sha256: &crate::format::hash::Hash,
    ) -> Result<bool, RemoteError> {
        let path = format!("{}/api/blob/{}", self.prefix, blake3.to_hex());
        let url = format!("{}{path}", self.origin);
        let digest = httpsig::content_digest_of(sha256);
        let f = std::fs::File::open(file).map_err(|e| RemoteError::Unreachable {
            url: url.clone(),
            reason: format!("cannot read {}: {e}", file.display()),
        })?;
        let mut r = self
            .agent
            .put(&url)
            .header("content-type", "application/octet-stream")
            .header("content-digest", &digest);
        for (k, v) in self.signature(signer, "PUT", &path, "", Some(&digest))? {
            r = r.header(k, v);
        }
        let resp = r.send(f).map_err(|e| RemoteError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        answer(resp, url).map(|(status, _)| status == 201)
    }

    /// The case's head (members only).
    pub fn head(&self, signer: &Signer) -> Result<HeadInfo, RemoteError> {
        let b = self.call("GET", "api/head", None, Some(signer))?;
        self.json("api/head", &b)
    }

    /// Append records signed locally (one request, all or nothing), with
    /// the token of the turn held, if any.
    pub fn append(
        &self,
        signer: &Signer,
        subs: &[Submission],
        turn: Option<u64>,
    ) -> Result<Appended, RemoteError> {
        let body = api::encode_submissions(subs);
        let query = turn.map_or(String::new(), |t| format!("?turn={t}"));
        let b = self.call_query(
            "POST",
            "api/append",
            &query,
            Some((&body, api::CBOR)),
            Some(signer),
        )?;
        self.json("api/append", &b)
    }

    /// Wait for a turn to append (SPEC §17.2): the head to sign against
    /// and the turn's token. `durable`: a head whose records can already
    /// be fetched (for a client that keeps a copy).
    pub fn turn(&self, signer: &Signer, durable: bool) -> Result<(HeadInfo, u64), RemoteError> {
        let query = if durable { "?durable=1" } else { "" };
        let b = self.call_query(
            "POST",
            "api/turn",
            query,
            Some((b"", "text/plain")),
            Some(signer),
        )?;
        #[derive(serde::Deserialize)]
        struct T {
            head: HeadInfo,
            turn: u64,
        }
        let t: T = self.json("api/turn", &b)?;
        Ok((t.head, t.turn))
    }

    /// Store a checkpoint an authority signed.
    pub fn post_checkpoint(&self, signer: &Signer, note: &str) -> Result<(), RemoteError> {
        self.call(
            "POST",
            "api/checkpoint",
            Some((note.as_bytes(), "text/plain; charset=utf-8")),
            Some(signer),
        )?;
        Ok(())
    }

    /// Hand the server a mirror's cosignature: `note` is the stored
    /// checkpoint's text with the mirror's line (SPEC §17.7). Returns the
    /// lines the server added (0: it held them already).
    pub fn post_cosignature(&self, signer: &Signer, note: &str) -> Result<u64, RemoteError> {
        #[derive(serde::Deserialize)]
        struct A {
            added: u64,
        }
        let b = self.call(
            "POST",
            "api/cosignature",
            Some((note.as_bytes(), "text/plain; charset=utf-8")),
            Some(signer),
        )?;
        self.json::<A>("api/cosignature", &b).map(|a| a.added)
    }

    /// The latest checkpoint (public), `None` when none was signed.
    pub fn checkpoint(&self) -> Result<Option<String>, RemoteError> {
        match self.call("GET", "checkpoint", None, None) {
            Ok(b) => String::from_utf8(b)
                .map(Some)
                .map_err(|_| RemoteError::Protocol {
                    url: format!("{}/checkpoint", self.url()),
                    reason: "the checkpoint is not UTF-8".into(),
                }),
            Err(RemoteError::Api { err, .. }) if err.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A hash tile (public) or an entry bundle (members: `signer`).
    pub fn tile(&self, t: Tile, signer: Option<&Signer>) -> Result<Vec<u8>, RemoteError> {
        self.call("GET", &t.path(), None, signer)
    }

    /// The stored private values of entry `seq` (roles allowed by SPEC §17).
    pub fn disclosures(&self, signer: &Signer, seq: u64) -> Result<Vec<Vec<u8>>, RemoteError> {
        let rest = format!("api/disclosures/{seq}");
        let b = self.call("GET", &rest, None, Some(signer))?;
        #[derive(serde::Deserialize)]
        struct D {
            private: Vec<String>,
        }
        let d: D = self.json(&rest, &b)?;
        use base64::Engine;
        d.private
            .iter()
            .map(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|e| RemoteError::Protocol {
                        url: self.url(),
                        reason: e.to_string(),
                    })
            })
            .collect()
    }
}

/// Run `send` (which signs afresh each time) again while [`retry_after`]
/// says the refusal is worth it.
fn retrying<T>(mut send: impl FnMut() -> Result<T, RemoteError>) -> Result<T, RemoteError> {
    let mut attempt = 0;
    loop {
        match send() {
            Err(e) => match retry_after(&e, attempt) {
                Some(pause) => std::thread::sleep(pause),
                None => return Err(e),
            },
            ok => return ok,
        }
        attempt += 1;
    }
}

/// Whether (and after what pause) a refused request is worth signing and
/// sending again: once, a second later, when it was signed in the second
/// the server started (`SIGNED_BEFORE_START`); up to five times, backing
/// off from 100 ms, when the server is busy (`BUSY`: nothing was done).
fn retry_after(e: &RemoteError, attempt: u32) -> Option<std::time::Duration> {
    let RemoteError::Api { err, .. } = e else {
        return None;
    };
    match err.code.as_str() {
        "SIGNED_BEFORE_START" if attempt < 1 => Some(std::time::Duration::from_millis(1100)),
        "BUSY" if attempt < 5 => Some(std::time::Duration::from_millis(100 << attempt)),
        _ => None,
    }
}

/// A response's status and body on 2xx; otherwise the server's
/// [`ApiError`] (or a protocol error when there is none).
fn answer(
    mut resp: ureq::http::Response<ureq::Body>,
    url: String,
) -> Result<(u16, Vec<u8>), RemoteError> {
    let status = resp.status().as_u16();
    let bytes = match resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
    {
        Ok(b) => b,
        Err(e) => {
            return Err(RemoteError::Unreachable {
                url,
                reason: e.to_string(),
            })
        }
    };
    if (200..300).contains(&status) {
        return Ok((status, bytes));
    }
    let Ok(mut err) = serde_json::from_slice::<ApiError>(&bytes) else {
        return Err(RemoteError::Protocol {
            url,
            reason: format!("HTTP {status} without an API error body"),
        });
    };
    err.status = status;
    Err(RemoteError::Api {
        url,
        err: Box::new(err),
    })
}

/// An HTTP agent that answers error statuses as values, with a global
/// timeout; with `ca_pem`, trusting those root certificates (PEM) instead
/// of the public web's (Mozilla's list).
/// Longest a pooled connection is reused after its last answer (well under
/// a server's idle limit; see [`agent`]).
const IDLE_REUSE: Duration = Duration::from_secs(4);

pub(crate) fn agent(timeout: Duration, ca_pem: Option<&[u8]>) -> Result<ureq::Agent, String> {
    // Reuse a kept-alive connection only while the server surely keeps it:
    // servers close idle ones (caselog serve after --header-timeout, 10 s
    // by default), and a POST sent on a connection closing under it fails.
    let mut cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .max_idle_age(IDLE_REUSE);
    if let Some(pem) = ca_pem {
        let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the CA file is not PEM: {e}"))?;
        if certs.is_empty() {
            return Err("the CA file holds no certificate".into());
        }
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        cfg = cfg.tls_config(tls);
    }
    Ok(cfg.build().into())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// 128 random bits, hex.
fn nonce() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    hex::encode(b)
}
