//! Checking the access log offline (SPEC §18.3) and signing its
//! checkpoints: every record decodes canonically at its position, was
//! signed (RFC 9421, the request's own headers) by the member it names,
//! and no request is recorded twice; every stored checkpoint is signed by
//! one of the ledger's authorities and states the root of the records
//! before it. Tampering after a checkpoint (a record altered, removed,
//! inserted or reordered) changes that root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

use super::record::AccessRecord;
use super::store::{self, AccessError};
use crate::format::hash::Hash;
use crate::format::ids::MemberKey;
use crate::format::ids::Role;
use crate::format::sig::Signer;
use crate::ledger::Ledger;
use crate::net::httpsig;
use crate::tlog::merkle::root_of_leaves;
use crate::tlog::note;

/// What a check found wrong, at a record (or at a checkpoint of a size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessProblem {
    /// The record's position, or the checkpoint's size.
    pub at: u64,
    /// What.
    pub what: String,
}

/// A stored checkpoint, as checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedCheckpoint {
    /// Records it covers.
    pub size: u64,
    /// The authority whose signature verified, as enrolled.
    pub signer: Option<String>,
    /// Its root is the tree of the first `size` records.
    pub root_matches: bool,
}

/// The result of [`verify`].
#[derive(Clone, Debug, Default)]
pub struct AccessReport {
    /// The records, decoded (those that decode).
    pub records: Vec<AccessRecord>,
    /// Complete records in the file.
    pub count: u64,
    /// Bytes of a torn last record (ignored).
    pub torn: u64,
    /// The tree root of all complete records.
    pub root: Option<Hash>,
    /// Every stored checkpoint.
    pub checkpoints: Vec<CheckedCheckpoint>,
    /// What is wrong; empty when the log verified.
    pub problems: Vec<AccessProblem>,
}

/// The origin line of the access log's checkpoints.
pub fn origin(l: &Ledger) -> String {
    format!("caselog-access/{}/{}", l.hash_alg().name(), l.id().to_hex())
}

/// A checkpoint body: origin, size, base64 root (C2SP tlog-checkpoint).
pub fn body(origin: &str, size: u64, root: &Hash) -> String {
    format!("{origin}\n{size}\n{}\n", B64.encode(root.0))
}

/// Sign a checkpoint of every complete record and store it; returns the
/// size and the signed note.
pub fn sign_checkpoint(l: &Ledger, signer: &Signer) -> Result<(u64, Vec<u8>), AccessError> {
    let dir = l.store().dir().to_path_buf();
    let (records, _) = store::read_all(&dir)?;
    let leaves: Vec<Hash> = records.iter().map(|r| l.hash_alg().leaf(r)).collect();
    let root = root_of_leaves(l.hash_alg(), &leaves);
    let origin = origin(l);
    let text = body(&origin, records.len() as u64, &root);
    let sig = note::sign(&text, &origin, signer).map_err(|e| AccessError::Io {
        path: dir.clone(),
        err: std::io::Error::other(e.to_string()),
    })?;
    let n = note::Note {
        text,
        sigs: vec![sig],
    };
    let bytes = n.to_text().into_bytes();
    store::store_checkpoint(&dir, records.len() as u64, &bytes)?;
    Ok((records.len() as u64, bytes))
}

/// Check the access log of ledger `l` (the membership is the ledger's).
pub fn verify(l: &Ledger) -> Result<AccessReport, AccessError> {
    let dir = l.store().dir().to_path_buf();
    let (raw, torn) = store::read_all(&dir)?;
    let mut rep = AccessReport {
        count: raw.len() as u64,
        torn,
        ..AccessReport::default()
    };
    let mut seen = BTreeSet::new();
    for (i, b) in raw.iter().enumerate() {
        let at = i as u64;
        match AccessRecord::decode(b) {
            None => rep.problems.push(AccessProblem {
                at,
                what: "the record does not decode (or not canonically)".into(),
            }),
            Some(r) => {
                if let Some(what) = record_problem(l, &r, at, &mut seen) {
                    rep.problems.push(AccessProblem { at, what });
                }
                rep.records.push(r);
            }
        }
    }
    let leaves: Vec<Hash> = raw.iter().map(|r| l.hash_alg().leaf(r)).collect();
    rep.root = Some(root_of_leaves(l.hash_alg(), &leaves));
    for (size, note_bytes) in store::checkpoints(&dir)? {
        let c = check_checkpoint(l, size, &note_bytes, &leaves);
        if c.signer.is_none() {
            let what = "the checkpoint is not signed by an authority of the ledger".into();
            rep.problems.push(AccessProblem { at: size, what });
        } else if !c.root_matches {
            let what = format!(
                "the checkpoint of size {size} does not state the root of the first {size} records: the log was changed after it was signed"
            );
            rep.problems.push(AccessProblem { at: size, what });
        }
        rep.checkpoints.push(c);
    }
    Ok(rep)
}

/// What is wrong with record `r` at `at`, if anything.
fn record_problem(
    l: &Ledger,
    r: &AccessRecord,
    at: u64,
    seen: &mut BTreeSet<(MemberKey, String)>,
) -> Option<String> {
    if r.seq != at {
        return Some(format!("the record says seq {}, it is at {at}", r.seq));
    }
    if l.members().get(&r.reader).is_none() {
        return Some(format!(
            "reader {} is not a member of the ledger",
            r.reader.short()
        ));
    }
    let parts = httpsig::RequestParts {
        method: &r.method,
        authority: &r.authority,
        path: &r.path,
        query: &r.query,
        content_digest: r.content_digest.as_deref(),
    };
    match httpsig::verify_headers(Some(&r.signature_input), Some(&r.signature), &parts) {
        Err(e) => Some(format!(
            "the reader's request signature does not verify ({e})"
        )),
        Ok(p) if p.key != r.reader => {
            Some("the request was signed by another key than the reader named".into())
        }
        Ok(p) if !seen.insert((p.key, p.nonce.clone())) => Some(format!(
            "the request with nonce {:?} is recorded twice",
            p.nonce
        )),
        Ok(_) => None,
    }
}

/// A stored checkpoint: which authority signed it, whether its body is
/// the tree of its size.
fn check_checkpoint(l: &Ledger, size: u64, bytes: &[u8], leaves: &[Hash]) -> CheckedCheckpoint {
    let origin = origin(l);
    let mut c = CheckedCheckpoint {
        size,
        signer: None,
        root_matches: false,
    };
    let Ok(n) = note::Note::parse(bytes) else {
        return c;
    };
    let authorities: BTreeMap<MemberKey, String> = l
        .members()
        .iter()
        .filter(|m| m.role == Role::Authority)
        .map(|m| (m.key, l.members().display(&m.key)))
        .collect();
    for (key, name) in &authorities {
        let Ok(vk) = note::VerifierKey::new(&origin, note::TYPE_ED25519, *key) else {
            continue;
        };
        if note::verify(&n, std::slice::from_ref(&vk)).is_ok() {
            c.signer = Some(name.clone());
            break;
        }
    }
    let fits = usize::try_from(size).ok().filter(|s| *s <= leaves.len());
    c.root_matches = fits.is_some_and(|s| {
        n.text == body(&origin, size, &root_of_leaves(l.hash_alg(), &leaves[..s]))
    });
    c
}

/// The items each record was about; for `--item`.
pub fn about(r: &AccessRecord, item: &str) -> bool {
    r.whole || r.items.iter().any(|i| i == item)
}

/// Where the access log of the ledger at `dir` lives (for messages).
pub fn location(dir: &Path) -> std::path::PathBuf {
    store::dir(dir)
}
