//! Selective disclosure (SPEC §15): private fields committed to by salted
//! digests in the entry's `sd` list, with the values kept outside the record
//! in the `disclosures` column family, so leaf hashes, signatures and proofs
//! never depend on them and a value can be erased without breaking anything.
//!
//! Owns: the disclosure encoding `[salt(16), path, value]`, its digest
//! `H(0x02 || disclosure)`, strict decoding, and the storage key
//! `seq (8 BE) || digest (32)`.

use thiserror::Error;

use crate::format::cbor::{self, DecodeError, Value};
use crate::format::hash::{Hash, HashAlg};

/// Domain tag of disclosure digests (SPEC §1).
pub const DISCLOSURE_TAG: u8 = 0x02;
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;
/// Longest field path.
pub const MAX_PATH: usize = 128;

/// Why a disclosure was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisclosureError {
    /// Not deterministic CBOR.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Not `[bstr .size 16, tstr, value]`.
    #[error("disclosure is not [salt(16 bytes), path, value]")]
    Shape,
    /// The path is empty, too long, or has control characters.
    #[error("disclosure path {0:?} is not 1-128 printable characters")]
    Path(String),
}

/// One private field: its salt, path (field name) and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disclosure {
    /// 16 random bytes.
    pub salt: [u8; SALT_LEN],
    /// Field path, e.g. `members/017`.
    pub path: String,
    /// The value (text, or bytes for a file).
    pub value: Value,
}

/// Whether `p` can be a field path.
pub fn valid_path(p: &str) -> bool {
    !p.is_empty() && p.len() <= MAX_PATH && !p.chars().any(char::is_control)
}

impl Disclosure {
    /// A new disclosure with a fresh random salt.
    pub fn new(path: &str, value: Value) -> Result<Disclosure, DisclosureError> {
        if !valid_path(path) {
            return Err(DisclosureError::Path(path.to_owned()));
        }
        let mut salt = [0u8; SALT_LEN];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
        Ok(Disclosure {
            salt,
            path: path.to_owned(),
            value,
        })
    }

    /// Deterministic CBOR `[salt, path, value]`.
    pub fn encode(&self) -> Vec<u8> {
        cbor::encode(&Value::Array(vec![
            Value::Bytes(self.salt.to_vec()),
            Value::Text(self.path.clone()),
            self.value.clone(),
        ]))
    }

    /// Strict decode.
    pub fn decode(b: &[u8]) -> Result<Disclosure, DisclosureError> {
        let Value::Array(mut a) = cbor::decode(b)? else {
            return Err(DisclosureError::Shape);
        };
        if a.len() != 3 {
            return Err(DisclosureError::Shape);
        }
        let value = a.pop().expect("3");
        let (Value::Text(path), Value::Bytes(salt)) = (a.pop().expect("3"), a.pop().expect("3"))
        else {
            return Err(DisclosureError::Shape);
        };
        let salt: [u8; SALT_LEN] = salt.try_into().map_err(|_| DisclosureError::Shape)?;
        if !valid_path(&path) {
            return Err(DisclosureError::Path(path));
        }
        Ok(Disclosure { salt, path, value })
    }

    /// `H(0x02 || disclosure)`.
    pub fn digest(&self, alg: HashAlg) -> Hash {
        digest_of(alg, &self.encode())
    }

    /// The value as display text (bytes as hex with a marker).
    pub fn value_text(&self) -> String {
        match &self.value {
            Value::Text(t) => t.clone(),
            Value::Bytes(b) => match std::str::from_utf8(b) {
                Ok(t) => t.to_owned(),
                Err(_) => format!("<{} bytes: {}>", b.len(), hex::encode(b)),
            },
            other => format!("{other:?}"),
        }
    }
}

/// `H(0x02 || bytes)` of encoded disclosure bytes.
pub fn digest_of(alg: HashAlg, bytes: &[u8]) -> Hash {
    alg.digest(&[&[DISCLOSURE_TAG], bytes])
}

/// Which private fields an output shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Reveal {
    /// None (redacted): only the digests.
    #[default]
    None,
    /// These paths (a trailing `/*` matches a prefix, `*` everything).
    Paths(Vec<String>),
}

impl Reveal {
    /// From `--reveal` arguments (empty: redact).
    pub fn from_args(args: &[String]) -> Reveal {
        if args.is_empty() {
            Reveal::None
        } else {
            Reveal::Paths(args.to_vec())
        }
    }
    /// Whether `path` is revealed.
    pub fn shows(&self, path: &str) -> bool {
        match self {
            Reveal::None => false,
            Reveal::Paths(ps) => ps.iter().any(|p| {
                p == "*"
                    || p == path
                    || p.strip_suffix("/*").is_some_and(|pre| {
                        path.starts_with(pre) && path[pre.len()..].starts_with('/')
                    })
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_fresh_and_digests_differ() {
        let a = Disclosure::new("ssn", Value::Text("000-00-0001".into())).unwrap();
        let b = Disclosure::new("ssn", Value::Text("000-00-0001".into())).unwrap();
        assert_eq!(a.salt.len(), 16);
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.digest(HashAlg::Blake3), b.digest(HashAlg::Blake3));
        assert_eq!(Disclosure::decode(&a.encode()).unwrap(), a);
        // Tag 0x02 keeps disclosure digests apart from leaves (0x00) and nodes (0x01).
        assert_ne!(a.digest(HashAlg::Sha256), HashAlg::Sha256.leaf(&a.encode()));
        assert!(Disclosure::new("", Value::Text("x".into())).is_err());
        assert!(Disclosure::decode(&cbor::encode(&Value::Array(vec![
            Value::Bytes(vec![0; 15]),
            Value::Text("p".into()),
            Value::Uint(1)
        ])))
        .is_err());
    }

    #[test]
    fn reveal_paths() {
        let r = Reveal::Paths(vec!["members/*".into(), "ssn".into()]);
        assert!(r.shows("members/017") && r.shows("ssn"));
        assert!(!r.shows("membersx/1") && !r.shows("dob"));
        assert!(Reveal::Paths(vec!["*".into()]).shows("anything"));
        assert!(!Reveal::None.shows("ssn"));
    }
}
