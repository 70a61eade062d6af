//! The ledger hash `H` and its domain-separated uses.
//!
//! Owns: the choice of hash function (BLAKE3 or SHA-256, fixed at `init` and
//! recorded in the genesis entry), the 32-byte [`Hash`](struct@Hash) newtype, and the
//! domain tags that keep leaves, interior nodes and disclosures apart
//! (RFC 9162 §2.1.1 uses 0x00 for leaves and 0x01 for nodes).

use std::fmt;

use sha2::Digest as _;

/// Domain tag for leaf hashes, RFC 9162 §2.1.1.
pub const LEAF_TAG: u8 = 0x00;
/// Domain tag for interior node hashes, RFC 9162 §2.1.1.
pub const NODE_TAG: u8 = 0x01;

/// A 32-byte digest produced by the ledger hash.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// All-zero hash: the `prev` of the genesis entry.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 hex characters.
    pub fn from_hex(s: &str) -> Option<Hash> {
        let v = hex::decode(s).ok()?;
        Hash::from_slice(&v)
    }

    /// Take exactly 32 bytes.
    pub fn from_slice(b: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(b).ok().map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The hash function of a ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// BLAKE3 with 32-byte output (the default).
    Blake3,
    /// SHA-256 (FIPS 180-4); with it the tree is exactly RFC 6962/9162.
    Sha256,
}

impl HashAlg {
    /// The name written in the genesis body and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Blake3 => "blake3",
            HashAlg::Sha256 => "sha256",
        }
    }

    /// Parse a name as written by [`HashAlg::name`].
    pub fn from_name(s: &str) -> Option<HashAlg> {
        match s {
            "blake3" => Some(HashAlg::Blake3),
            "sha256" => Some(HashAlg::Sha256),
            _ => None,
        }
    }

    /// H(part_0 || part_1 || ...).
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        match self {
            HashAlg::Blake3 => {
                let mut h = blake3::Hasher::new();
                for p in parts {
                    h.update(p);
                }
                Hash(*h.finalize().as_bytes())
            }
            HashAlg::Sha256 => {
                let mut h = sha2::Sha256::new();
                for p in parts {
                    h.update(p);
                }
                Hash(h.finalize().into())
            }
        }
    }

    /// Leaf hash of a record: H(0x00 || record), RFC 9162 §2.1.1.
    pub fn leaf(self, record: &[u8]) -> Hash {
        self.digest(&[&[LEAF_TAG], record])
    }

    /// Leaf hash of a record read from `r` to its end, for records too
    /// large to hold: H(0x00 || record), RFC 9162 §2.1.1.
    pub fn leaf_of_reader(self, r: &mut impl std::io::Read) -> std::io::Result<Hash> {
        let mut buf = vec![0u8; 64 * 1024];
        match self {
            HashAlg::Blake3 => {
                let mut h = blake3::Hasher::new();
                h.update(&[LEAF_TAG]);
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        return Ok(Hash(*h.finalize().as_bytes()));
                    }
                    h.update(&buf[..n]);
                }
            }
            HashAlg::Sha256 => {
                let mut h = sha2::Sha256::new();
                h.update([LEAF_TAG]);
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        return Ok(Hash(h.finalize().into()));
                    }
                    h.update(&buf[..n]);
                }
            }
        }
    }

    /// Interior node hash: H(0x01 || left || right), RFC 9162 §2.1.1.
    pub fn node(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[NODE_TAG], &left.0, &right.0])
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // SHA-256 of the empty leaf: RFC 6962 test leaf "" has leaf hash
        // 6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d.
        assert_eq!(
            HashAlg::Sha256.leaf(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        // BLAKE3("") is the published empty-input digest.
        assert_eq!(
            HashAlg::Blake3.digest(&[]).to_hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn streamed_leaf_is_the_leaf() {
        let rec: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        for a in [HashAlg::Blake3, HashAlg::Sha256] {
            assert_eq!(a.leaf_of_reader(&mut rec.as_slice()).unwrap(), a.leaf(&rec));
        }
    }

    #[test]
    fn names_round_trip() {
        for a in [HashAlg::Blake3, HashAlg::Sha256] {
            assert_eq!(HashAlg::from_name(a.name()), Some(a));
        }
        assert_eq!(HashAlg::from_name("md5"), None);
    }
}
