//! Ed25519 signatures (RFC 8032, pure) with strict verification.
//!
//! Owns: the one function every verifier path uses to check a signature,
//! the weak-key test used at enrollment, and `Signer`, the in-memory
//! private key (its file format is `storage::keys`). Strict means ed25519-dalek's
//! `verify_strict`: canonical `S`, no small-order `A` or `R`, so a signature
//! cannot be malleated and a small-order key cannot sign "anything".

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::format::ids::MemberKey;

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

/// Keys vetted per thread: a ledger has few authors, and decoding,
/// re-encoding and vetting a key cost about a fifth of a verification.
const KEY_CACHE_MAX: usize = 256;

thread_local! {
    static KEYS: std::cell::RefCell<std::collections::HashMap<[u8; 32], Result<VerifyingKey, SigError>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// [`checked_key`], remembered per thread (at most [`KEY_CACHE_MAX`] keys,
/// then the cache starts over, so hostile input cannot grow it). The cached
/// value is exactly what `checked_key` returned for those bytes.
fn checked_key_cached(key: &[u8; 32]) -> Result<VerifyingKey, SigError> {
    KEYS.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(r) = c.get(key) {
            return *r;
        }
        if c.len() >= KEY_CACHE_MAX {
            c.clear();
        }
        let r = checked_key(key);
        c.insert(*key, r);
        r
    })
}

/// Verify `sig` over `msg` by `key` with `verify_strict` semantics.
///
/// Accepts exactly what RFC 8032 §5.1.7 accepts minus malleable and
/// small-order cases (Wycheproof and CCTV vectors pin this).
pub fn verify(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), SigError> {
    let vk = checked_key_cached(key)?;
    let s = Signature::from_bytes(sig);
    vk.verify_strict(msg, &s)
        .map_err(|_| SigError::BadSignature)
}

/// Why a message could not be signed. Only a key held outside the
/// process (an SSH agent) can fail to sign.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The agent holding the key did not answer with a signature.
    #[error("the key agent did not sign: {detail}")]
    Agent {
        /// What went wrong, as the agent client reported it.
        detail: String,
    },
    /// The agent answered with something that is not a valid Ed25519
    /// signature by the key over the message (checked before use, so a
    /// broken agent cannot put an unverifiable record into a ledger).
    #[error("the key agent's signature does not verify: {detail}")]
    BadAgentSignature {
        /// What was wrong with it.
        detail: String,
    },
}

/// An Ed25519 key whose private half lives outside this process (an SSH
/// agent, `storage::agent`), so no file and no memory of caselog's holds it.
pub trait HeldKey: Send + Sync {
    /// The signature the holder returns over `msg`: 64 bytes, not yet
    /// checked ([`Signer::sign`] checks it).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// An Ed25519 signing key with the name of its holder: the key itself in
/// memory, or a handle on a key an agent holds.
///
/// A key in memory is zeroized when dropped (ed25519-dalek's
/// `ZeroizeOnDrop`) and never printed: `Debug` shows only the public key.
#[derive(Clone)]
pub struct Signer {
    name: String,
    public: MemberKey,
    key: Key,
}

#[derive(Clone)]
enum Key {
    Memory(Box<SigningKey>),
    Held(std::sync::Arc<dyn HeldKey>),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("public", &self.public)
            .field("held_elsewhere", &self.is_held())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// From a 32-byte seed (RFC 8032 private key). Used by tests and golden
    /// vectors; real keys come from `storage::keys::load_private`.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Signer {
        Signer::memory(name, SigningKey::from_bytes(seed))
    }

    /// A fresh random key.
    pub fn random(name: &str) -> Signer {
        Signer::memory(name, SigningKey::generate(&mut rand_core::OsRng))
    }

    fn memory(name: &str, key: SigningKey) -> Signer {
        Signer {
            name: name.to_owned(),
            public: MemberKey(key.verifying_key().to_bytes()),
            key: Key::Memory(Box::new(key)),
        }
    }

    /// A key held elsewhere (`storage::agent`), whose public half is
    /// `public`. Every signature it returns is verified before use.
    pub fn held(name: &str, public: MemberKey, key: std::sync::Arc<dyn HeldKey>) -> Signer {
        Signer {
            name: name.to_owned(),
            public,
            key: Key::Held(key),
        }
    }

    /// Whether the private key is held outside this process.
    pub fn is_held(&self) -> bool {
        matches!(self.key, Key::Held(_))
    }

    /// Holder's name (the key file comment).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Public key.
    pub fn public(&self) -> MemberKey {
        self.public
    }

    /// Ed25519 signature over `msg`. A key in memory always signs; a held
    /// key's answer is checked with [`verify`] (strict) before it is
    /// returned.
    pub fn sign(&self, msg: &[u8]) -> Result<[u8; 64], SignError> {
        match &self.key {
            Key::Memory(k) => Ok(k.sign(msg).to_bytes()),
            Key::Held(h) => {
                let sig: [u8; 64] =
                    h.sign(msg)?
                        .try_into()
                        .map_err(|v: Vec<u8>| SignError::BadAgentSignature {
                            detail: format!("{} bytes, not 64", v.len()),
                        })?;
                verify(&self.public.0, msg, &sig).map_err(|e| SignError::BadAgentSignature {
                    detail: e.to_string(),
                })?;
                Ok(sig)
            }
        }
    }

    /// The 32-byte seed, for writing the key file (storage::keys); `None`
    /// for a key held elsewhere.
    pub fn seed(&self) -> Option<Zeroizing<[u8; 32]>> {
        match &self.key {
            Key::Memory(k) => Some(Zeroizing::new(k.to_bytes())),
            Key::Held(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_cache_keeps_every_verdict_and_stays_bounded() {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let pk = sk.verifying_key().to_bytes();
        let sig = sk.sign(b"m").to_bytes();
        // The identity point: a valid encoding of small order.
        let mut weak = [0u8; 32];
        weak[0] = 1;
        // Not a point at all (y = p + 1, non-canonical).
        let mut bad = [0xffu8; 32];
        bad[0] = 0xee;
        bad[31] = 0x7f;
        for _ in 0..3 {
            assert_eq!(verify(&pk, b"m", &sig), Ok(()));
            assert_eq!(verify(&pk, b"other", &sig), Err(SigError::BadSignature));
            assert_eq!(verify(&weak, b"m", &sig), Err(SigError::WeakKey));
            assert!(verify(&bad, b"m", &sig).is_err());
        }
        for i in 0..(3 * KEY_CACHE_MAX as u32) {
            let k = ed25519_dalek::SigningKey::from_bytes(&[(i % 251) as u8; 32]);
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&i.to_be_bytes());
            let k2 = ed25519_dalek::SigningKey::from_bytes(&seed);
            for k in [k, k2] {
                let s = k.sign(b"x").to_bytes();
                assert_eq!(verify(&k.verifying_key().to_bytes(), b"x", &s), Ok(()));
            }
            assert!(KEYS.with(|c| c.borrow().len()) <= KEY_CACHE_MAX);
        }
        assert_eq!(verify(&weak, b"m", &sig), Err(SigError::WeakKey));
    }
}
