//! Checkpoints: signed tree heads in the C2SP tlog-checkpoint format.
//!
//! Owns: the origin line of a caselog ledger (`caselog/<hash>/<ledger id
//! hex>`), the checkpoint body (origin, size, base64 root), its strict
//! parser, log verifier keys (the authority's Ed25519 key under the origin
//! as key name), and [`VerifiedCheckpoint`], the only way later steps
//! (proof checks, witnesses, `verify --against`) can receive a checkpoint:
//! one whose log signature and the witness and mirror quorums of a
//! [`TrustPolicy`] have been checked.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use thiserror::Error;

use crate::format::entry::{LedgerId, MemberKey};
use crate::format::hash::{Hash, HashAlg};
use crate::format::sig::{SignError, Signer};
use crate::tlog::itemmap::MapHead;
use crate::tlog::merkle::{TreeHead, TreeSize};
use crate::tlog::note::{self, Note, NoteError, VerifierKey, TYPE_ED25519};
use crate::tlog::trust::{Role, TrustPolicy};

/// Why a checkpoint was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The signed-note layer refused it.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The body is not origin / size / root.
    #[error("malformed checkpoint body: {0}")]
    Body(String),
    /// The origin is not a caselog ledger's.
    #[error("origin {0:?} is not a caselog ledger (expected caselog/<hash>/<32 hex digits>)")]
    Origin(String),
    /// The cosignatures that verified do not meet a quorum of the trust
    /// policy (SPEC §10.6).
    #[error("{got} valid {role} cosignature(s); the trust policy requires {rule}")]
    Quorum {
        /// `witness` or `mirror`.
        role: &'static str,
        /// How many of that role verified.
        got: usize,
        /// The rule, in words (`2 of the pinned witness keys`).
        rule: String,
    },
}

/// A caselog origin: which ledger a checkpoint is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Ledger hash.
    pub alg: HashAlg,
    /// Ledger id.
    pub ledger: LedgerId,
}

impl Origin {
    /// `caselog/<hash>/<ledger id hex>`.
    pub fn line(&self) -> String {
        format!("caselog/{}/{}", self.alg.name(), self.ledger.to_hex())
    }

    /// Parse an origin line.
    pub fn parse(s: &str) -> Result<Origin, CheckpointError> {
        let bad = || CheckpointError::Origin(s.to_owned());
        let rest = s.strip_prefix("caselog/").ok_or_else(bad)?;
        let (alg, id) = rest.split_once('/').ok_or_else(bad)?;
        let alg = HashAlg::from_name(alg).ok_or_else(bad)?;
        if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let ledger = LedgerId(
            hex::decode(id)
                .map_err(|_| bad())?
                .try_into()
                .map_err(|_| bad())?,
        );
        Ok(Origin { alg, ledger })
    }

    /// The verifier key of a log signer (an authority key) for this origin.
    pub fn log_key(&self, key: MemberKey) -> VerifierKey {
        VerifierKey::new(&self.line(), TYPE_ED25519, key)
            .expect("checkpoint: origin is a valid key name")
    }
}

/// A checkpoint body: origin, tree head and, when the ledger has evidence
/// items, the head of its item map (SPEC §10.1, §13.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Which ledger.
    pub origin: Origin,
    /// Tree size and root.
    pub head: TreeHead,
    /// The `caselog-items` extension line: count and root of the item map.
    pub items: Option<MapHead>,
}

/// The first word of the item-map extension line (SPEC §10.1).
pub const ITEMS_LINE: &str = "caselog-items";

impl Checkpoint {
    /// The note text: origin, size, base64 root, each ending in a newline
    /// (c2sp.org/tlog-checkpoint §Note text), then the one extension line
    /// caselog writes, `caselog-items <count> <base64 map root>`, when
    /// the ledger has items (SPEC §10.1).
    pub fn body(&self) -> String {
        let mut b = format!(
            "{}\n{}\n{}\n",
            self.origin.line(),
            self.head.size.0,
            B64.encode(self.head.root.0)
        );
        if let Some(m) = &self.items {
            b.push_str(&format!(
                "{ITEMS_LINE} {} {}\n",
                m.count,
                B64.encode(m.root.0)
            ));
        }
        b
    }

    /// Parse a body strictly: three lines, canonical decimal size,
    /// canonical base64 of 32 bytes, then at most one extension line, the
    /// `caselog-items` line with a canonical count of at least 1 and a
    /// canonical base64 root. Any other extension line is refused (caselog
    /// cannot vouch for it).
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = |m: &str| CheckpointError::Body(m.to_owned());
        let t = text
            .strip_suffix('\n')
            .ok_or_else(|| body("must end with a newline"))?;
        let lines: Vec<&str> = t.split('\n').collect();
        if lines.len() < 3 {
            return Err(body("needs origin, size and root lines"));
        }
        if lines.len() > 4 {
            return Err(body("only one extension line, caselog-items, is accepted"));
        }
        let origin = Origin::parse(lines[0])?;
        let size_s = lines[1];
        let size = canonical_u64(size_s)
            .ok_or_else(|| body(&format!("tree size {size_s:?} is not a canonical decimal")))?;
        let root = canonical_root(lines[2])
            .ok_or_else(|| body("root is not canonical base64 of 32 bytes"))?;
        let items = match lines.get(3) {
            None => None,
            Some(l) => Some(parse_items_line(l).ok_or_else(|| {
                body("the extension line is not `caselog-items <count ≥ 1> <base64 root>`")
            })?),
        };
        Ok(Checkpoint {
            origin,
            head: TreeHead {
                size: TreeSize(size),
                root,
            },
            items,
        })
    }

    /// Sign this checkpoint as the log (key name = origin). Fails only
    /// when a key held by an agent does not sign.
    pub fn sign(&self, signer: &Signer) -> Result<Note, SignError> {
        let text = self.body();
        let g = match note::sign(&text, &self.origin.line(), signer) {
            Ok(g) => g,
            Err(NoteError::Sign(e)) => return Err(e),
            Err(e) => panic!("checkpoint: body is a valid note text: {e}"),
        };
        Ok(Note {
            text,
            sigs: vec![g],
        })
    }
}

/// A canonical decimal (no sign, no leading zero but `0` itself).
fn canonical_u64(s: &str) -> Option<u64> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    s.parse().ok().filter(|_| canonical)
}

/// Canonical standard base64 of exactly 32 bytes.
fn canonical_root(s: &str) -> Option<Hash> {
    let raw = B64.decode(s).ok()?;
    let h = Hash::from_slice(&raw)?;
    (B64.encode(h.0) == s).then_some(h)
}

/// `caselog-items <count> <root>`, single spaces, count ≥ 1.
fn parse_items_line(l: &str) -> Option<MapHead> {
    let mut parts = l.split(' ');
    let (tag, count, root) = (parts.next()?, parts.next()?, parts.next()?);
    if tag != ITEMS_LINE || parts.next().is_some() {
        return None;
    }
    let count = canonical_u64(count).filter(|c| *c >= 1)?;
    Some(MapHead {
        count,
        root: canonical_root(root)?,
    })
}

/// A checkpoint whose log signature (and witness quorum, if asked) has been
/// verified. Only [`verify`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
    log_keys: Vec<VerifierKey>,
    witnesses: Vec<(VerifierKey, u64)>,
    mirrors: Vec<(VerifierKey, u64)>,
}

impl VerifiedCheckpoint {
    /// The checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }
    /// The note as received.
    pub fn note(&self) -> &Note {
        &self.note
    }
    /// Trusted log keys that signed it.
    pub fn log_keys(&self) -> &[VerifierKey] {
        &self.log_keys
    }
    /// Witnesses whose cosignatures verified, with their timestamps.
    pub fn witnesses(&self) -> &[(VerifierKey, u64)] {
        &self.witnesses
    }
    /// Mirrors whose cosignatures verified, with their timestamps: each
    /// says it holds every record to this size, checked, and recomputed
    /// the item map (SPEC §17.7).
    pub fn mirrors(&self) -> &[(VerifierKey, u64)] {
        &self.mirrors
    }
}

/// Parse a signed checkpoint without checking any signature.
pub fn parse(bytes: &[u8]) -> Result<(Checkpoint, Note), CheckpointError> {
    let n = Note::parse(bytes)?;
    let c = Checkpoint::parse_body(&n.text)?;
    Ok((c, n))
}

/// Verify a signed checkpoint under `log_keys` and `quorum` of the
/// witness keys ([`verify_with`] of [`TrustPolicy::from_keys`]).
pub fn verify(
    bytes: &[u8],
    log_keys: &[VerifierKey],
    witness_keys: &[VerifierKey],
    quorum: usize,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    // Keys in one role only: from_keys refuses nothing here.
    let p = TrustPolicy::from_keys(log_keys, witness_keys, quorum, &[], 0)
        .expect("checkpoint: witness keys alone cannot clash");
    verify_with(bytes, &p)
}

/// Verify a signed checkpoint under a trust policy: at least one of its
/// log keys (type 0x01, named after the checkpoint's origin) signed it and
/// every signature by a pinned key verifies; then the cosignatures that
/// verified meet the policy's witness quorum and its mirror quorum (SPEC
/// §10.2, §10.6).
pub fn verify_with(
    bytes: &[u8],
    policy: &TrustPolicy,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let (checkpoint, n) = parse(bytes)?;
    // A log key counts only for the log it is named after (SPEC §10.2: key
    // name = origin line), so a key pinned for one ledger vouches for no
    // other.
    let origin = checkpoint.origin.line();
    let logs: Vec<VerifierKey> = policy
        .logs
        .iter()
        .filter(|k| k.typ == TYPE_ED25519 && k.name == origin)
        .cloned()
        .collect();
    let ok = note::verify(&n, &logs)?;
    let cosigners = policy.cosigners();
    let mut cosigned = vec![false; cosigners.len()];
    let (mut witnesses, mut mirrors) = (Vec::new(), Vec::new());
    for (i, c) in cosigners.iter().enumerate() {
        for g in n.sigs_by(&c.key) {
            let t = note::verify_sig(&n.text, g, &c.key)?.expect("cosignature has a time");
            if !std::mem::replace(&mut cosigned[i], true) {
                match c.role {
                    Role::Witness => witnesses.push((c.key.clone(), t)),
                    Role::Mirror => mirrors.push((c.key.clone(), t)),
                }
            }
        }
    }
    for (role, got) in [
        (Role::Witness, witnesses.len()),
        (Role::Mirror, mirrors.len()),
    ] {
        if !policy.met(role, &cosigned) {
            return Err(CheckpointError::Quorum {
                role: role.word(),
                got,
                rule: policy.rule(role),
            });
        }
    }
    Ok(VerifiedCheckpoint {
        checkpoint,
        note: n,
        log_keys: ok,
        witnesses,
        mirrors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::note::TYPE_COSIGNATURE;

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: Origin {
                alg: HashAlg::Sha256,
                ledger: LedgerId([7; 16]),
            },
            head: TreeHead {
                size: TreeSize(12),
                root: Hash([9; 32]),
            },
            items: None,
        }
    }

    #[test]
    fn body_round_trips_and_rejects_noncanonical() {
        let c = cp();
        assert_eq!(Checkpoint::parse_body(&c.body()).unwrap(), c);
        let with = Checkpoint {
            items: Some(MapHead {
                count: 3,
                root: Hash([5; 32]),
            }),
            ..cp()
        };
        assert!(with
            .body()
            .ends_with(&format!("\ncaselog-items 3 {}\n", B64.encode([5u8; 32]))));
        assert_eq!(Checkpoint::parse_body(&with.body()).unwrap(), with);
        let root = B64.encode([9u8; 32]);
        let origin = c.origin.line();
        for bad in [
            format!("{origin}\n12\n{root}"),          // missing newline
            format!("{origin}\n012\n{root}\n"),       // leading zero
            format!("{origin}\n+12\n{root}\n"),       // sign
            format!("{origin}\n1e3\n{root}\n"),       // not decimal
            format!("{origin}\n12\n{root}\nextra\n"), // extension
            format!("{origin}\n12\n{root}\ncaselog-items 0 {root}\n"), // empty map
            format!("{origin}\n12\n{root}\ncaselog-items 01 {root}\n"),
            format!("{origin}\n12\n{root}\ncaselog-items 1  {root}\n"),
            format!("{origin}\n12\n{root}\ncaselog-items 1 {root} x\n"),
            format!("{origin}\n12\n{root}\ncaselog-items 1 {root}\nextra\n"),
            format!("{origin}\n12\n!!!!\n"), // bad base64
            format!("{origin}\n12\n{}\n", B64.encode([1u8; 31])), // short root
            format!("{origin}\n18446744073709551616\n{root}\n"), // > u64
            format!("example.com/log\n12\n{root}\n"), // foreign origin
            format!("{origin}\n12\n"),
        ] {
            assert!(Checkpoint::parse_body(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sign_verify_and_quorum() {
        let c = cp();
        let log = Signer::from_seed("log", &[1; 32]);
        let w1 = Signer::from_seed("w1", &[2; 32]);
        let w2 = Signer::from_seed("w2", &[3; 32]);
        let mut n = c.sign(&log).unwrap();
        let lk = c.origin.log_key(log.public());
        let wk1 = VerifierKey::new("witness.example/w1", TYPE_COSIGNATURE, w1.public()).unwrap();
        let wk2 = VerifierKey::new("witness.example/w2", TYPE_COSIGNATURE, w2.public()).unwrap();
        n.add_sig(note::cosign(&n.text, &wk1.name, &w1, 1_700_000_000).unwrap());
        let bytes = n.to_text().into_bytes();
        let v = verify(
            &bytes,
            std::slice::from_ref(&lk),
            &[wk1.clone(), wk2.clone()],
            1,
        )
        .unwrap();
        assert_eq!(v.witnesses().len(), 1);
        assert_eq!(v.checkpoint(), &c);
        assert!(matches!(
            verify(
                &bytes,
                std::slice::from_ref(&lk),
                &[wk1.clone(), wk2.clone()],
                2
            ),
            Err(CheckpointError::Quorum { got: 1, .. })
        ));
        // Another log key: untrusted.
        let other = c.origin.log_key(w2.public());
        assert!(verify(&bytes, &[other], &[], 0).is_err());
        // Trailing garbage, a missing final newline, an over-long note.
        let text = String::from_utf8(bytes.clone()).unwrap();
        for bad in [
            format!("{text}garbage"),
            format!("{text}\n"),
            text.trim_end_matches('\n').to_owned(),
            format!("{}{}", "x\n".repeat(40_000), text),
        ] {
            assert!(
                verify(bad.as_bytes(), std::slice::from_ref(&lk), &[], 0).is_err(),
                "{:?}",
                &bad[..40.min(bad.len())]
            );
        }
        // A flipped byte in the body breaks the log signature.
        let mut t = bytes.clone();
        let i = t.iter().position(|&b| b == b'\n').unwrap() + 1;
        t[i] = b'3';
        assert!(verify(&t, &[lk], &[], 0).is_err());
    }
}
