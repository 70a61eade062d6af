//! Ed25519 signatures (RFC 8032, pure) with strict verification.
//!
//! Owns: the one function every verifier path uses to check a signature, and
//! the weak-key test used at enrollment. Strict means ed25519-dalek's
//! `verify_strict`: canonical `S`, no small-order `A` or `R`, so a signature
//! cannot be malleated and a small-order key cannot sign "anything".

use ed25519_dalek::{Signature, VerifyingKey};
use thiserror::Error;

/// Why a signature was refused.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigError {
    /// The 32 bytes are not a valid compressed Edwards point.
    #[error("public key is not a valid Ed25519 point")]
    BadKey,
    /// The key has small order; anyone could forge signatures for it.
    #[error("public key has small order (weak key)")]
    WeakKey,
    /// The signature does not verify under strict rules.
    #[error("signature does not verify")]
    BadSignature,
}

/// Parse and vet a public key: a valid point that is not of small order.
pub fn checked_key(key: &[u8; 32]) -> Result<VerifyingKey, SigError> {
    let vk = parse_key(key)?;
    if vk.is_weak() {
        return Err(SigError::WeakKey);
    }
    Ok(vk)
}

/// Decode a point, refusing non-canonical encodings (y >= p or a sign bit
/// on x = 0): decode, re-encode, compare.
fn parse_key(key: &[u8; 32]) -> Result<VerifyingKey, SigError> {
    let vk = VerifyingKey::from_bytes(key).map_err(|_| SigError::BadKey)?;
    if vk.to_edwards().compress().as_bytes() != key {
        return Err(SigError::BadKey);
    }
    Ok(vk)
}

/// Verify `sig` over `msg` by `key` with `verify_strict` semantics.
///
/// Accepts exactly what RFC 8032 §5.1.7 accepts minus malleable and
/// small-order cases (Wycheproof and CCTV vectors pin this).
pub fn verify(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), SigError> {
    let vk = checked_key(key)?;
    let s = Signature::from_bytes(sig);
    vk.verify_strict(msg, &s)
        .map_err(|_| SigError::BadSignature)
}
