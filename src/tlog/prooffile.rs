//! Text proof files: an inclusion proof in the style of C2SP tlog-proof,
//! and a consistency proof, both plain text a person can read.
//!
//! Owns: the two file formats (SPEC §11), their strict parsers, and the
//! offline check of an inclusion proof against pinned keys
//! ([`verify_inclusion_file`]), which needs no database.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use thiserror::Error;

use crate::format::entry::{Entry, EntryError, LedgerId, Record};
use crate::format::hash::Hash;
use crate::format::sig::SigError;
use crate::tlog::checkpoint::{self, CheckpointError, VerifiedCheckpoint};
use crate::tlog::merkle::TreeSize;
use crate::tlog::proof::{self, ProofError};

/// First line of an inclusion proof file (c2sp.org/tlog-proof).
pub const INCLUSION_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// First line of a consistency proof file.
pub const CONSISTENCY_HEADER: &str = "caselog/consistency-proof@v1";
/// Largest proof file read.
pub const MAX_PROOF_FILE: usize = 2 * 1024 * 1024;

/// Why a proof file was refused.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProofFileError {
    /// The file does not follow the format.
    #[error("malformed proof file: {0}")]
    Malformed(String),
    /// The embedded checkpoint was refused.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The Merkle path does not lead to the checkpoint's root.
    #[error("inclusion path: {0}")]
    Path(#[from] ProofError),
    /// The embedded record does not decode.
    #[error("record: {0}")]
    Record(#[from] EntryError),
    /// The record's own signature does not verify.
    #[error("record signature: {0}")]
    Signature(SigError),
    /// The record belongs to another ledger than the checkpoint.
    #[error("record belongs to ledger {record}, the checkpoint to {checkpoint}")]
    OtherLedger {
        /// The record's ledger.
        record: LedgerId,
        /// The checkpoint's ledger.
        checkpoint: LedgerId,
    },
    /// The record's seq is not the proof's index.
    #[error("record says seq {seq}, the proof index is {index}")]
    OtherSeq {
        /// The record's seq.
        seq: u64,
        /// The proof's leaf index.
        index: u64,
    },
}

fn malformed(m: impl Into<String>) -> ProofFileError {
    ProofFileError::Malformed(m.into())
}

/// Canonical decimal: digits only, no leading zero unless "0".
pub fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn parse_hash_line(l: &str) -> Result<Hash, ProofFileError> {
    let raw = B64
        .decode(l)
        .map_err(|_| malformed(format!("bad base64 hash line {l:?}")))?;
    let h = Hash::from_slice(&raw).ok_or_else(|| malformed("hash line is not 32 bytes"))?;
    if B64.encode(h.0) != l {
        return Err(malformed("hash line is not canonical base64"));
    }
    Ok(h)
}

/// An inclusion proof: one record, its path, and the checkpoint it is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// Leaf index (the entry's seq).
    pub index: u64,
    /// The record bytes exactly as stored (carried on the `extra` line).
    pub record: Vec<u8>,
    /// Path hashes, leaf-most first.
    pub path: Vec<Hash>,
    /// The signed checkpoint, verbatim.
    pub checkpoint: Vec<u8>,
}

impl InclusionProof {
    /// The file text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{INCLUSION_HEADER}\nextra {}\nindex {}\n",
            B64.encode(&self.record),
            self.index
        );
        for h in &self.path {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&String::from_utf8_lossy(&self.checkpoint));
        s
    }

    /// Parse the file text strictly.
    pub fn parse(bytes: &[u8]) -> Result<InclusionProof, ProofFileError> {
        if bytes.len() > MAX_PROOF_FILE {
            return Err(malformed("file too large"));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8"))?;
        let (head, checkpoint) = s
            .split_once("\n\n")
            .ok_or_else(|| malformed("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(INCLUSION_HEADER) {
            return Err(malformed(format!("first line must be {INCLUSION_HEADER}")));
        }
        let extra = lines
            .next()
            .and_then(|l| l.strip_prefix("extra "))
            .ok_or_else(|| malformed("missing `extra` line carrying the record"))?;
        let record = B64
            .decode(extra)
            .map_err(|_| malformed("bad base64 record"))?;
        if B64.encode(&record) != extra {
            return Err(malformed("record is not canonical base64"));
        }
        let index = lines
            .next()
            .and_then(|l| l.strip_prefix("index "))
            .and_then(parse_decimal)
            .ok_or_else(|| malformed("missing or non-canonical `index` line"))?;
        let path = lines.map(parse_hash_line).collect::<Result<Vec<_>, _>>()?;
        if path.len() > 64 {
            return Err(malformed("more than 64 path hashes"));
        }
        Ok(InclusionProof {
            index,
            record,
            path,
            checkpoint: checkpoint.as_bytes().to_vec(),
        })
    }
}

/// What an offline inclusion check established.
#[derive(Debug)]
pub struct VerifiedInclusion {
    /// The checkpoint, with its verified signatures.
    pub checkpoint: VerifiedCheckpoint,
    /// The entry, whose record signature verified.
    pub entry: Entry,
    /// Its leaf hash.
    pub leaf: Hash,
}

/// Check an inclusion proof with no database: the checkpoint is signed by a
/// log key of `policy` and meets its quorums (SPEC §10.6), the record decodes
/// canonically and its signature verifies, it claims this ledger and this
/// index, and the path leads from its leaf hash to the checkpoint's root.
pub fn verify_inclusion_file(
    p: &InclusionProof,
    policy: &crate::tlog::trust::TrustPolicy,
) -> Result<VerifiedInclusion, ProofFileError> {
    let vc = checkpoint::verify_with(&p.checkpoint, policy)?;
    let cp = vc.checkpoint().clone();
    let alg = cp.origin.alg;
    let leaf = alg.leaf(&p.record);
    proof::verify_inclusion(alg, p.index, cp.head.size, &leaf, &p.path, &cp.head.root)?;
    let record = Record::decode(&p.record)?;
    let entry = Entry::decode(&record.entry_bytes)?;
    if entry.ledger != cp.origin.ledger {
        return Err(ProofFileError::OtherLedger {
            record: entry.ledger,
            checkpoint: cp.origin.ledger,
        });
    }
    if entry.seq.0 != p.index {
        return Err(ProofFileError::OtherSeq {
            seq: entry.seq.0,
            index: p.index,
        });
    }
    record
        .verify_signature(&entry.author)
        .map_err(ProofFileError::Signature)?;
    Ok(VerifiedInclusion {
        checkpoint: vc,
        entry,
        leaf,
    })
}

/// A consistency proof between two tree sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// Older size.
    pub old: TreeSize,
    /// Newer size.
    pub new: TreeSize,
    /// Proof hashes (RFC 9162 §2.1.4).
    pub path: Vec<Hash>,
}

impl ConsistencyProof {
    /// The file text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{CONSISTENCY_HEADER}\nold {}\nnew {}\n",
            self.old.0, self.new.0
        );
        for h in &self.path {
            s.push_str(&B64.encode(h.0));
            s.push('\n');
        }
        s
    }

    /// Parse the file text strictly.
    pub fn parse(bytes: &[u8]) -> Result<ConsistencyProof, ProofFileError> {
        if bytes.len() > MAX_PROOF_FILE {
            return Err(malformed("file too large"));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8"))?;
        let s = s
            .strip_suffix('\n')
            .ok_or_else(|| malformed("must end with a newline"))?;
        let mut lines = s.split('\n');
        if lines.next() != Some(CONSISTENCY_HEADER) {
            return Err(malformed(format!(
                "first line must be {CONSISTENCY_HEADER}"
            )));
        }
        let mut num = |k: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(k))
                .and_then(parse_decimal)
                .ok_or_else(|| malformed(format!("missing or non-canonical `{}` line", k.trim())))
        };
        let old = TreeSize(num("old ")?);
        let new = TreeSize(num("new ")?);
        let path = lines.map(parse_hash_line).collect::<Result<Vec<_>, _>>()?;
        if path.len() > 128 {
            return Err(malformed("more than 128 proof hashes"));
        }
        Ok(ConsistencyProof { old, new, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_canonical() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("10"), Some(10));
        for bad in ["", "01", "+1", "-1", "1 ", "0x1", "18446744073709551616"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn consistency_file_round_trips() {
        let p = ConsistencyProof {
            old: TreeSize(3),
            new: TreeSize(9),
            path: vec![Hash([1; 32]), Hash([2; 32])],
        };
        assert_eq!(ConsistencyProof::parse(p.to_text().as_bytes()).unwrap(), p);
        let t = p.to_text();
        assert!(ConsistencyProof::parse(t.trim_end().as_bytes()).is_err());
        assert!(ConsistencyProof::parse(t.replace("old 3", "old 03").as_bytes()).is_err());
    }
}
