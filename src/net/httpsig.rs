//! HTTP Message Signatures (RFC 9421) with Ed25519, the subset caselog
//! speaks: a member signs each request with its own ledger key, so the
//! server needs no passwords and no new secrets.
//!
//! What is signed (RFC 9421 §2.5, the signature base): the derived
//! components `@method`, `@authority`, `@path`, `@query`, and for a request
//! with a body the `content-digest` field (RFC 9530, `sha-256`), then the
//! `@signature-params` line: the covered components and the parameters
//! `created` (POSIX seconds), `nonce` (random, for replay detection),
//! `keyid` (the member key, 64 hex digits) and `alg="ed25519"`. The label
//! is `caselog`. A verifier accepts only the exact serialization this
//! module writes (decode, re-encode, compare).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::Digest;
use thiserror::Error;

use crate::format::ids::MemberKey;
use crate::format::sig::Signer;

/// The signature label caselog uses in `Signature-Input` and `Signature`.
pub const LABEL: &str = "caselog";

/// The request parts that are signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestParts<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// Host and port as in the `Host` header (RFC 9421 §2.2.3).
    pub authority: &'a str,
    /// The path, percent-encoded as sent (§2.2.6).
    pub path: &'a str,
    /// The query with its leading `?`, or `?` when there is none (§2.2.7).
    pub query: &'a str,
    /// The `Content-Digest` field value, when the request has a body.
    pub content_digest: Option<&'a str>,
}

/// The signature parameters (RFC 9421 §2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Creation time, POSIX seconds.
    pub created: u64,
    /// A random value, never reused by the signer.
    pub nonce: String,
    /// The signer's member key.
    pub key: MemberKey,
    /// Whether `content-digest` is covered.
    pub with_digest: bool,
}

/// Why a request's signature was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigInputError {
    /// No `Signature-Input` or `Signature` header, or no `caselog` label.
    #[error("the request is not signed (no Signature-Input / Signature for label {LABEL:?})")]
    Unsigned,
    /// The headers are not in the form this module writes.
    #[error("malformed signature header: {what}")]
    Malformed {
        /// What is wrong.
        what: &'static str,
    },
    /// A body without a `Content-Digest` covering it, or one that differs.
    #[error("the Content-Digest does not match the body")]
    DigestMismatch,
    /// The Ed25519 signature does not verify under `keyid` (strict).
    #[error("the request signature does not verify under key {key}")]
    BadSignature {
        /// The claimed key, short form.
        key: String,
    },
}

/// `sha-256=:<base64>:` of `body` (RFC 9530 §2).
pub fn content_digest(body: &[u8]) -> String {
    content_digest_of(&crate::format::hash::Hash(
        sha2::Sha256::digest(body).into(),
    ))
}

/// `sha-256=:<base64>:` of a body whose SHA-256 is `sha256` (a file hashed
/// once, then streamed).
pub fn content_digest_of(sha256: &crate::format::hash::Hash) -> String {
    format!("sha-256=:{}:", B64.encode(sha256.0))
}

impl Params {
    /// The serialized inner list with parameters (RFC 9421 §2.3), the value
    /// of `Signature-Input` after `caselog=`.
    pub fn serialize(&self) -> String {
        let digest = if self.with_digest {
            " \"content-digest\""
        } else {
            ""
        };
        format!(
            "(\"@method\" \"@authority\" \"@path\" \"@query\"{digest});created={};nonce=\"{}\";keyid=\"{}\";alg=\"ed25519\"",
            self.created,
            self.nonce,
            self.key.to_hex()
        )
    }

    /// Parse a serialization made by [`Params::serialize`], refusing any
    /// other (the re-encoding must give the same bytes).
    pub fn parse(s: &str) -> Result<Params, SigInputError> {
        let bad = |what| SigInputError::Malformed { what };
        let with_digest = s.contains("\"content-digest\")");
        let field = |name: &str| -> Option<&str> {
            let start = s.find(&format!(";{name}="))? + name.len() + 2;
            let rest = &s[start..];
            Some(rest.split(';').next().unwrap_or(rest))
        };
        let created: u64 = field("created")
            .and_then(|v| v.parse().ok())
            .ok_or(bad("created"))?;
        let unquote = |v: &str| v.strip_prefix('"')?.strip_suffix('"').map(str::to_owned);
        let nonce = field("nonce").and_then(unquote).ok_or(bad("nonce"))?;
        let keyid = field("keyid").and_then(unquote).ok_or(bad("keyid"))?;
        let key = MemberKey::from_hex(&keyid).ok_or(bad("keyid is not a 64-hex-digit key"))?;
        let nonce_ok = !nonce.is_empty()
            && nonce.len() <= 64
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !nonce_ok {
            return Err(bad("nonce"));
        }
        let p = Params {
            created,
            nonce,
            key,
            with_digest,
        };
        if p.serialize() != s {
            return Err(bad("not the canonical serialization"));
        }
        Ok(p)
    }

    /// The signature base (RFC 9421 §2.5): one line per covered component,
    /// then `"@signature-params": ...`, no final newline.
    pub fn base(&self, req: &RequestParts<'_>) -> String {
        let mut lines = vec![
            format!("\"@method\": {}", req.method),
            format!("\"@authority\": {}", req.authority.to_ascii_lowercase()),
            format!("\"@path\": {}", req.path),
            format!("\"@query\": {}", req.query),
        ];
        if self.with_digest {
            lines.push(format!(
                "\"content-digest\": {}",
                req.content_digest.unwrap_or("")
            ));
        }
        lines.push(format!("\"@signature-params\": {}", self.serialize()));
        lines.join("\n")
    }
}

/// Sign a request: the `Signature-Input` and `Signature` header values.
pub fn sign(
    signer: &Signer,
    params: &Params,
    req: &RequestParts<'_>,
) -> Result<(String, String), crate::format::sig::SignError> {
    let sig = signer.sign(params.base(req).as_bytes())?;
    Ok((
        format!("{LABEL}={}", params.serialize()),
        format!("{LABEL}=:{}:", B64.encode(sig)),
    ))
}

/// Check a request's signature headers before its body is read (a server
/// authenticates first, so no unauthenticated body is ever buffered): the
/// signature over the request parts, including the `content-digest` value
/// when one is sent (it must then be covered). The body is checked against
/// that digest afterwards ([`check_body`], or by the caller while it
/// streams the body).
pub fn verify_headers(
    signature_input: Option<&str>,
    signature: Option<&str>,
    req: &RequestParts<'_>,
) -> Result<Params, SigInputError> {
    let (params, sig) = parse_headers(signature_input, signature)?;
    if req.content_digest.is_some() && !params.with_digest {
        return Err(SigInputError::DigestMismatch);
    }
    check_signature(&params, req, &sig)?;
    Ok(params)
}

/// After [`verify_headers`]: a body (or a `Content-Digest` sent without
/// one) must be the one the covered `content-digest` names (RFC 9530).
pub fn check_body(
    params: &Params,
    req: &RequestParts<'_>,
    body: &[u8],
) -> Result<(), SigInputError> {
    if !body.is_empty() || req.content_digest.is_some() {
        let want = content_digest(body);
        if !params.with_digest || req.content_digest != Some(want.as_str()) {
            return Err(SigInputError::DigestMismatch);
        }
    }
    Ok(())
}

/// Check a request's signature headers against the request and its body;
/// returns the parameters (the key, `created`, `nonce`) for the caller's
/// policy: membership, clock skew, replay.
pub fn verify(
    signature_input: Option<&str>,
    signature: Option<&str>,
    req: &RequestParts<'_>,
    body: &[u8],
) -> Result<Params, SigInputError> {
    let params = verify_headers(signature_input, signature, req)?;
    check_body(&params, req, body)?;
    Ok(params)
}

/// The parameters and the signature bytes of the `caselog` label.
fn parse_headers(
    signature_input: Option<&str>,
    signature: Option<&str>,
) -> Result<(Params, [u8; 64]), SigInputError> {
    let prefix = format!("{LABEL}=");
    let input = signature_input
        .and_then(|v| v.strip_prefix(&prefix))
        .ok_or(SigInputError::Unsigned)?;
    let sig_b64 = signature
        .and_then(|v| v.strip_prefix(&prefix))
        .and_then(|v| v.strip_prefix(':'))
        .and_then(|v| v.strip_suffix(':'))
        .ok_or(SigInputError::Unsigned)?;
    let params = Params::parse(input)?;
    let sig: [u8; 64] = B64
        .decode(sig_b64)
        .ok()
        .filter(|s| B64.encode(s) == sig_b64)
        .and_then(|s| s.try_into().ok())
        .ok_or(SigInputError::Malformed {
            what: "signature is not canonical base64 of 64 bytes",
        })?;
    Ok((params, sig))
}

/// Ed25519 (strict) over the signature base, under `keyid`.
fn check_signature(
    params: &Params,
    req: &RequestParts<'_>,
    sig: &[u8; 64],
) -> Result<(), SigInputError> {
    crate::format::sig::verify(&params.key.0, params.base(req).as_bytes(), sig).map_err(|_| {
        SigInputError::BadSignature {
            key: params.key.short(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9421 Appendix B.1.4's test key (`test-key-ed25519`), as the JWK
    /// `d` (seed) and `x` (public key) in base64url.
    const RFC_D: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";
    const RFC_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";

    fn rfc_signer() -> Signer {
        let d = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(RFC_D)
            .unwrap();
        Signer::from_seed("test-key-ed25519", &d.try_into().unwrap())
    }

    #[test]
    fn rfc9421_b26_known_answer() {
        // RFC 9421 Appendix B.2.6, "Signing a Request Using ed25519": the
        // published base and signature. Our components differ, so the base
        // is written out here; the test pins the key and Ed25519 over a
        // base in the RFC's exact form.
        let s = rfc_signer();
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(RFC_X)
            .unwrap();
        assert_eq!(s.public().0.to_vec(), x);
        let base = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
        assert_eq!(
            B64.encode(s.sign(base.as_bytes()).unwrap()),
            "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
        );
    }

    #[test]
    fn rfc9530_content_digest_example() {
        // RFC 9530 §2, example: `{"hello": "world"}` with sha-256.
        assert_eq!(
            content_digest(b"{\"hello\": \"world\"}"),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
    }

    fn req<'a>(digest: Option<&'a str>) -> RequestParts<'a> {
        RequestParts {
            method: "POST",
            authority: "127.0.0.1:8080",
            path: "/case-2008/append",
            query: "?",
            content_digest: digest,
        }
    }

    #[test]
    fn sign_verify_and_every_tamper_is_refused() {
        let s = rfc_signer();
        let body = b"record bytes";
        let d = content_digest(body);
        let p = Params {
            created: 1_700_000_000,
            nonce: "n0nce".into(),
            key: s.public(),
            with_digest: true,
        };
        let (input, sig) = sign(&s, &p, &req(Some(&d))).unwrap();
        assert_eq!(
            verify(Some(&input), Some(&sig), &req(Some(&d)), body),
            Ok(p.clone())
        );
        // Another body, path, method, authority: refused.
        assert_eq!(
            verify(Some(&input), Some(&sig), &req(Some(&d)), b"other"),
            Err(SigInputError::DigestMismatch)
        );
        let mut r = req(Some(&d));
        r.path = "/other/append";
        assert!(matches!(
            verify(Some(&input), Some(&sig), &r, body),
            Err(SigInputError::BadSignature { .. })
        ));
        let mut r = req(Some(&d));
        r.method = "PUT";
        assert!(verify(Some(&input), Some(&sig), &r, body).is_err());
        // A non-canonical parameter list (reordered) is refused.
        let reordered = input
            .replace(";alg=\"ed25519\"", "")
            .replace(";created", ";alg=\"ed25519\";created");
        assert!(matches!(
            verify(Some(&reordered), Some(&sig), &req(Some(&d)), body),
            Err(SigInputError::Malformed { .. })
        ));
        // Unsigned.
        assert_eq!(
            verify(None, None, &req(None), b""),
            Err(SigInputError::Unsigned)
        );
        // Signed by another key claiming this keyid.
        let other = Signer::from_seed("x", &[9; 32]);
        let (_, forged) = sign(&other, &p, &req(Some(&d))).unwrap();
        assert!(matches!(
            verify(Some(&input), Some(&forged), &req(Some(&d)), body),
            Err(SigInputError::BadSignature { .. })
        ));
    }
}
