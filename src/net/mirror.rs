//! `caselog mirror`: follow a served case into a local ledger, and the
//! [`Upstream`] that `--remote` commands append through.
//!
//! Each record fetched (C2SP entry bundles) is appended with
//! [`Ledger::append_signed`], so the copy is checked as a writer checks:
//! chain, signatures, membership, custody. The server's signed checkpoint
//! is then held to the copy: its signature by an authority active at its
//! size, and its root against the root the copy computed. A server whose
//! history differs from the copy's (a fork: a record that does not chain
//! on the copy's head, a checkpoint root the copy does not have) or that
//! went back (a smaller size than the copy holds) is refused, and what it
//! served is saved as evidence beside the copy (`DIR.evidence/`).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::format::hash::Hash;
use crate::format::sig::Signer;
use crate::ledger::{Ledger, LedgerError, Submission, Upstream};
use crate::net::client::{Remote, RemoteError};
use crate::tlog::note::{Note, VerifierKey, TYPE_COSIGNATURE};
use crate::tlog::tiles::{decode_bundle, Tile, TILE_WIDTH};

/// Why following a server failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// The server could not be read.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The local copy could not be written, or refused a record.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The server holds fewer entries than the copy (a rollback).
    #[error("the server holds {served} entries but this copy already holds {held}: the server rolled back (evidence in {})", evidence.display())]
    Rollback {
        /// Entries the server has.
        served: u64,
        /// Entries the copy has.
        held: u64,
        /// Where the evidence was saved.
        evidence: PathBuf,
    },
    /// The server's history is not the copy's.
    #[error("the server's history differs from this copy's at size {size}: {what} (evidence in {})", evidence.display())]
    Fork {
        /// Where they differ.
        size: u64,
        /// How.
        what: String,
        /// Where the evidence was saved.
        evidence: PathBuf,
    },
    /// The mirror's cosigner key cannot make a cosignature (a bad name).
    #[error("mirror cosigner: {0}")]
    Cosigner(String),
    /// An entry bundle that is not what its tile promises.
    #[error("entry bundle {path} is malformed")]
    BadBundle {
        /// Its path.
        path: String,
    },
}

/// What one round of following did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    /// Entries the copy held before.
    pub from: u64,
    /// Entries it holds now.
    pub to: u64,
    /// Size of the server's checkpoint held to the copy, if it has one.
    pub checkpoint: Option<u64>,
}

/// Where evidence of a refused server goes: `DIR.evidence/`.
pub fn evidence_dir(dir: &Path) -> PathBuf {
    let mut s = dir.as_os_str().to_owned();
    s.push(".evidence");
    PathBuf::from(s)
}

/// Save what a refused server served (case content: the directory 0700,
/// the file 0600).
fn save_evidence(dir: &Path, kind: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let ev = evidence_dir(dir);
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&ev);
    let stamp = crate::format::ids::Timestamp::now()
        .to_string()
        .replace(':', "");
    let path = ev.join(format!("{stamp}-{kind}.txt"));
    // Best effort: the refusal is reported whether or not this succeeds.
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    path
}

/// The records `from..to` of the served case, by entry bundles.
fn fetch(
    remote: &Remote,
    signer: &Signer,
    from: u64,
    to: u64,
) -> Result<Vec<Vec<u8>>, MirrorError> {
    let mut out = Vec::new();
    let mut n = from / TILE_WIDTH;
    while n * TILE_WIDTH < to {
        let recs = fetch_bundle(remote, signer, n, to)?;
        let skip = from.saturating_sub(n * TILE_WIDTH) as usize;
        out.extend(recs.into_iter().skip(skip));
        n += 1;
    }
    Ok(out)
}

/// Tile `n` of level `level` (`None`: entry bundle) as wide as a tree of
/// `size` has it.
fn tile_in(level: Option<u8>, n: u64, size: u64) -> Tile {
    let width = (size - n * TILE_WIDTH).min(TILE_WIDTH) as u16;
    Tile {
        level,
        index: n,
        width,
    }
}

/// The records of entry bundle `n` of a tree of `size`.
fn fetch_bundle(
    remote: &Remote,
    signer: &Signer,
    n: u64,
    size: u64,
) -> Result<Vec<Vec<u8>>, MirrorError> {
    let t = tile_in(None, n, size);
    let b = remote.tile(t, Some(signer))?;
    let recs = decode_bundle(&b)
        .filter(|r| r.len() == usize::from(t.width))
        .ok_or(MirrorError::BadBundle { path: t.path() })?;
    Ok(recs.into_iter().map(<[u8]>::to_vec).collect())
}

/// The leaf hashes of level-0 tile `n` of a tree of `size` (public).
fn fetch_leaves(remote: &Remote, n: u64, size: u64) -> Result<Vec<Hash>, MirrorError> {
    let t = tile_in(Some(0), n, size);
    let b = remote.tile(t, None)?;
    if b.len() != 32 * usize::from(t.width) {
        return Err(MirrorError::BadBundle { path: t.path() });
    }
    Ok(b.chunks(32)
        .map(|c| Hash::from_slice(c).expect("mirror: 32-byte chunks"))
        .collect())
}

/// The served checkpoint, parsed (its signature is checked when stored).
struct Served {
    text: String,
    note: crate::tlog::note::Note,
    head: crate::tlog::merkle::TreeHead,
}

fn served_checkpoint(remote: &Remote, dir: &Path) -> Result<Option<Served>, MirrorError> {
    let Some(text) = remote.checkpoint()? else {
        return Ok(None);
    };
    let bad = |what: String| {
        let ev = save_evidence(dir, "fork", &format!("{what}\nserved checkpoint:\n{text}"));
        MirrorError::Fork {
            size: 0,
            what,
            evidence: ev,
        }
    };
    let note = crate::tlog::note::Note::parse(text.as_bytes())
        .map_err(|e| bad(format!("the served checkpoint is not a signed note: {e}")))?;
    let cp = crate::tlog::checkpoint::Checkpoint::parse_body(&note.text)
        .map_err(|e| bad(format!("the served checkpoint is malformed: {e}")))?;
    Ok(Some(Served {
        text,
        note,
        head: cp.head,
    }))
}

/// Bring the copy at `dir` up to the server's head (creating it from the
/// genesis record when absent), after holding the server's checkpoint to
/// the copy and to the served hash tiles: nothing is appended unless the
/// records the copy lacks give the checkpoint's root. `progress(done,
/// total)` is called after each chunk.
pub fn follow(
    remote: &Remote,
    signer: &Signer,
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(Ledger, Followed), MirrorError> {
    let head = remote.head(signer)?;
    let cp = served_checkpoint(remote, dir)?;
    let mut l = if dir.exists() {
        Ledger::open(dir, true)?
    } else {
        let first = fetch(remote, signer, 0, 1)?;
        Ledger::init_signed(dir, &first[0])?
    };
    let from = l.head().tree.size.0;
    check_rollback(&l, head.size, cp.as_ref(), dir)?;
    if let Some(c) = &cp {
        check_root(remote, &l, c, dir)?;
    }
    let cp_size = cp.as_ref().map_or(0, |c| c.head.size.0);
    let mut at = from;
    while at < head.size {
        let subs = fetch_checked(remote, signer, &l, at, head.size, cp_size, dir)?;
        if let Err((i, e)) = l.append_signed(&subs) {
            return Err(refused_record(dir, &l, at + i as u64, &subs[i], e));
        }
        at += subs.len() as u64;
        progress(at - from, head.size - from);
    }
    let checkpoint = match cp {
        Some(c) => Some(store_checkpoint(&mut l, &c, dir)?),
        None => None,
    };
    let followed = Followed {
        from,
        to: at,
        checkpoint,
    };
    Ok((l, followed))
}

/// A server that holds fewer records than the copy, or a smaller
/// checkpoint than the copy holds, rolled back.
fn check_rollback(
    l: &Ledger,
    served: u64,
    cp: Option<&Served>,
    dir: &Path,
) -> Result<(), MirrorError> {
    let from = l.head().tree.size.0;
    let held_cp = l.latest_checkpoint()?.map_or(0, |(s, _)| s.0);
    let cp_size = cp.map_or(0, |c| c.head.size.0);
    if served >= from && cp_size >= held_cp {
        return Ok(());
    }
    let text = format!(
        "copy: {from} entries, root {}, checkpoint of size {held_cp}\nserved head size: {served}\nserved checkpoint:\n{}",
        l.head().tree.root,
        cp.map_or("(none)", |c| c.text.as_str())
    );
    Err(MirrorError::Rollback {
        served: if served < from { served } else { cp_size },
        held: if served < from { from } else { held_cp },
        evidence: save_evidence(dir, "rollback", &text),
    })
}

/// The records of the entry bundle holding seq `at`, from `at` on, each
/// (below the checkpoint's size) checked against the served level-0 tile
/// whose leaves gave the checkpoint's root, with their private values.
fn fetch_checked(
    remote: &Remote,
    signer: &Signer,
    l: &Ledger,
    at: u64,
    size: u64,
    cp_size: u64,
    dir: &Path,
) -> Result<Vec<Submission>, MirrorError> {
    let n = at / TILE_WIDTH;
    let recs = fetch_bundle(remote, signer, n, size)?;
    let first = (at - n * TILE_WIDTH) as usize;
    if n * TILE_WIDTH < cp_size {
        let leaves = fetch_leaves(remote, n, cp_size)?;
        for (i, leaf) in leaves.iter().enumerate().skip(first) {
            if l.hash_alg().leaf(&recs[i]) != *leaf {
                let size = n * TILE_WIDTH + i as u64;
                let what = format!("served record {size} does not hash to the served tile's leaf");
                let text = format!("{what}\nrecord (base64 CBOR): {}\n", b64(&recs[i]));
                let evidence = save_evidence(dir, "fork", &text);
                return Err(MirrorError::Fork {
                    size,
                    what,
                    evidence,
                });
            }
        }
    }
    let mut subs: Vec<Submission> = recs
        .into_iter()
        .skip(first)
        .map(|record| Submission {
            record,
            private: Vec::new(),
        })
        .collect();
    with_private(remote, signer, at, &mut subs)?;
    Ok(subs)
}

/// The private values (SPEC §15) of the records that carry digests, for
/// a member whose role may read them (SPEC §17.2); for other roles the
/// copy holds the digests only, as the records do. Each value is checked
/// against the record's digests when the record is appended.
fn with_private(
    remote: &Remote,
    signer: &Signer,
    at: u64,
    subs: &mut [Submission],
) -> Result<(), MirrorError> {
    for (i, sub) in subs.iter_mut().enumerate() {
        let has_sd = crate::format::entry::Record::decode(&sub.record)
            .and_then(|r| crate::format::entry::Entry::decode(&r.entry_bytes))
            .is_ok_and(|e| !e.sd.is_empty());
        if !has_sd {
            continue;
        }
        match remote.disclosures(signer, at + i as u64) {
            Ok(values) => sub.private = values,
            Err(RemoteError::Api { err, .. }) if err.code == "ROLE_NOT_ALLOWED" => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The checkpoint's root must be the copy's at its size, or, beyond the
/// copy, the root the served leaf hashes give on top of the copy.
fn check_root(remote: &Remote, l: &Ledger, c: &Served, dir: &Path) -> Result<(), MirrorError> {
    let size = c.head.size.0;
    let from = l.head().tree.size.0;
    let ours = if size == 0 {
        return Ok(());
    } else if size <= from {
        l.tree_head_at(c.head.size)?.root
    } else {
        let mut f = l.frontier();
        let mut n = from / TILE_WIDTH;
        while n * TILE_WIDTH < size {
            let leaves = fetch_leaves(remote, n, size)?;
            let skip = from.saturating_sub(n * TILE_WIDTH) as usize;
            for leaf in leaves.into_iter().skip(skip) {
                f.append(l.hash_alg(), leaf);
            }
            n += 1;
        }
        f.head(l.hash_alg()).root
    };
    if ours == c.head.root {
        return Ok(());
    }
    let what = format!(
        "the served checkpoint has root {} at size {size}, the copy and the served tiles give {ours}",
        c.head.root
    );
    Err(checkpoint_fork(dir, size, what, c))
}

/// A fork shown by the served checkpoint, saved as evidence.
fn checkpoint_fork(dir: &Path, size: u64, what: String, c: &Served) -> MirrorError {
    let evidence = save_evidence(
        dir,
        "fork",
        &format!("{what}\nserved checkpoint:\n{}", c.text),
    );
    MirrorError::Fork {
        size,
        what,
        evidence,
    }
}

/// A served record the copy refuses: a fork when it does not chain on the
/// copy's last record, else the rule it breaks.
fn refused_record(
    dir: &Path,
    l: &Ledger,
    size: u64,
    sub: &Submission,
    e: LedgerError,
) -> MirrorError {
    match e {
        LedgerError::StaleHead { .. } => {
            let text = format!(
                "copy's last leaf at size {size}: {}\nserved record {size} (base64 CBOR): {}\n",
                l.head().last,
                b64(&sub.record)
            );
            MirrorError::Fork {
                size,
                what: "the served record does not chain on the copy's last record".into(),
                evidence: save_evidence(dir, "fork", &text),
            }
        }
        e => e.into(),
    }
}

fn b64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Store the served checkpoint in the copy: it must be signed by an
/// authority active at its size and state the item map the copy's
/// records give (the root was checked before); otherwise it is saved as
/// evidence and refused.
fn store_checkpoint(l: &mut Ledger, c: &Served, dir: &Path) -> Result<u64, MirrorError> {
    let size = c.head.size.0;
    match l.store_signed_checkpoint(&c.note, &[]) {
        Ok(_) => Ok(size),
        Err(LedgerError::UnverifiedSignatures { .. }) => {
            let what =
                "the served checkpoint is not signed by an authority active at its size".to_owned();
            Err(checkpoint_fork(dir, size, what, c))
        }
        Err(LedgerError::NotFound(m @ crate::ledger::Missing::CheckpointItemsDiffer { .. })) => {
            let what = format!("the served checkpoint's completeness line is false: {m}");
            Err(checkpoint_fork(dir, size, what, c))
        }
        Err(e) => Err(e.into()),
    }
}

/// A mirror's cosigner (`caselog mirror --cosign`, SPEC §17.7): the name
/// its cosignatures carry and the key that makes them. Keep it apart from
/// any witness key: a cosignature/v1 line reads the same in both roles.
pub struct MirrorCosigner {
    /// Key name, e.g. `counsel.example/mirror`.
    pub name: String,
    /// The mirror's key.
    pub signer: Signer,
}

impl MirrorCosigner {
    /// The verifier key (type 0x04) verifiers pin with `--mirror`.
    pub fn verifier_key(&self) -> Result<VerifierKey, crate::tlog::note::NoteError> {
        VerifierKey::new(&self.name, TYPE_COSIGNATURE, self.signer.public())
    }
}

/// What cosigning as a mirror did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorCosigned {
    /// The checkpoint's size.
    pub size: u64,
    /// The copy already held this mirror's cosignature (made by an
    /// earlier follow); it is handed over again, not made anew.
    pub held: bool,
    /// Lines the server added (0: it held the cosignature already).
    pub added: u64,
}

/// Cosign, as the mirror `c`, the checkpoint of `size` the copy `l`
/// stored in [`follow`] (so it holds every record to that size, each
/// checked as a writer checks it, and recomputed the root and item map
/// the checkpoint states), keep the cosignature with the copy's
/// checkpoint, and hand it to the server (`POST api/cosignature`). A
/// cosignature the copy already holds is handed over again as it is.
pub fn cosign(
    remote: &Remote,
    signer: &Signer,
    l: &mut Ledger,
    size: u64,
    c: &MirrorCosigner,
) -> Result<MirrorCosigned, MirrorError> {
    let key = c
        .verifier_key()
        .map_err(|e| MirrorError::Cosigner(e.to_string()))?;
    let size_t = crate::tlog::merkle::TreeSize(size);
    let stored = l
        .stored_checkpoint(size_t)?
        .expect("mirror: cosign follows a stored checkpoint");
    let note = Note::parse(&stored).expect("mirror: a stored checkpoint parses");
    let held = note
        .sigs_by(&key)
        .find(|g| crate::tlog::note::verify_sig(&note.text, g, &key).is_ok())
        .cloned();
    let line = match &held {
        Some(g) => g.clone(),
        None => {
            let now = crate::format::ids::Timestamp::now().micros().max(0) as u64 / 1_000_000;
            let g = crate::tlog::note::cosign(&note.text, &c.name, &c.signer, now)
                .map_err(|e| MirrorError::Cosigner(e.to_string()))?;
            let mine = Note {
                text: note.text.clone(),
                sigs: vec![g.clone()],
            };
            l.add_cosignatures(&mine, std::slice::from_ref(&key))?;
            g
        }
    };
    let post = Note {
        text: note.text,
        sigs: vec![line],
    };
    let added = remote.post_cosignature(signer, &post.to_text())?;
    Ok(MirrorCosigned {
        size,
        held: held.is_some(),
        added,
    })
}

/// Appends of a `--remote` command: through the server (see [`Upstream`]).
pub struct RemoteUpstream {
    /// The case.
    pub remote: Remote,
    /// The member key that signs requests (and the records).
    pub signer: Signer,
    /// The turn held (granted while catching up), for the next submit.
    pub turn: Option<u64>,
}

fn upstream_err(e: RemoteError) -> LedgerError {
    match e {
        RemoteError::Api { err, .. } if err.code == "STALE_HEAD" => {
            let err = *err;
            let h = err
                .head
                .map(|h| *h)
                .unwrap_or_else(|| crate::net::api::HeadInfo {
                    ledger: String::new(),
                    hash: String::new(),
                    size: 0,
                    root: String::new(),
                    last: String::new(),
                    time: String::new(),
                });
            LedgerError::StaleHead {
                size: h.size,
                last: crate::format::hash::Hash::from_hex(&h.last)
                    .unwrap_or(crate::format::hash::Hash::ZERO),
                time: h.time,
                given_seq: 0,
            }
        }
        RemoteError::Api { err, .. } => LedgerError::Upstream {
            status: err.status,
            code: err.code,
            message: err.error,
        },
        e => LedgerError::Upstream {
            status: 0,
            code: "UNREACHABLE".into(),
            message: e.to_string(),
        },
    }
}

impl Upstream for RemoteUpstream {
    fn submit(&mut self, subs: &[Submission]) -> Result<(), LedgerError> {
        self.remote
            .append(&self.signer, subs, self.turn.take())
            .map(|_| ())
            .map_err(upstream_err)
    }

    /// Catching up after a conflict: wait for a turn at a durable head
    /// (so its records can be fetched), then fetch them; the next submit
    /// carries the turn.
    fn since(&mut self, size: u64) -> Result<Vec<Vec<u8>>, LedgerError> {
        let (head, token) = self.remote.turn(&self.signer, true).map_err(upstream_err)?;
        self.turn = Some(token);
        fetch(&self.remote, &self.signer, size, head.size).map_err(|e| match e {
            MirrorError::Remote(r) => upstream_err(r),
            e => LedgerError::Upstream {
                status: 0,
                code: "DECODE".into(),
                message: e.to_string(),
            },
        })
    }

    fn checkpoint(&mut self, note: &str) -> Result<(), LedgerError> {
        self.remote
            .post_checkpoint(&self.signer, note)
            .map_err(upstream_err)
    }
}
