//! A witness: an outsider (counsel, a prosecutor's office, another agency)
//! that cosigns a ledger's checkpoint only after checking it extends the
//! last checkpoint it cosigned for that ledger (c2sp.org/tlog-cosignature).
//!
//! Owns: the witness state directory (its name and verifier key, the last
//! checkpoint per origin, and evidence of split views), and the cosigning
//! decision. State is written (synced) before the cosignature is returned,
//! so a witness never vouches for a checkpoint it did not record.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use thiserror::Error;

use crate::format::sig::Signer;
use crate::tlog::checkpoint::{self, CheckpointError};
use crate::tlog::merkle::{TreeHead, TreeSize};
use crate::tlog::note::{self, Note, NoteError, VerifierKey, TYPE_COSIGNATURE};
use crate::tlog::proof::{self, ProofError};
use crate::tlog::prooffile::ConsistencyProof;

const CONFIG: &str = "witness.json";

/// Most evidence directories a witness keeps (each a split view the log
/// itself signed; beyond this, refusals are reported but not saved).
pub const MAX_EVIDENCE: usize = 1000;

/// Why a witness refused or failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// A file in the state directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// `witness init` was given a directory that is not empty.
    #[error("{} exists and is not empty", dir.display())]
    NotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// No witness state directory here.
    #[error("no witness state at {}: {source}", dir.display())]
    NoState {
        /// The directory.
        dir: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// A file of the state directory does not parse.
    #[error("witness state {}: {reason}", path.display())]
    BadState {
        /// The file concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The checkpoint was refused (bad format, not signed by the log key).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The key given is not the one the state directory was made for.
    #[error("the key given is not this witness's key ({expected})")]
    WrongKey {
        /// What was expected.
        expected: String,
    },
    /// The witness name or its cosignature cannot be made (SPEC §10).
    #[error("cannot cosign: {0}")]
    Note(#[from] NoteError),
    /// A larger checkpoint came without a consistency proof.
    #[error("a consistency proof from size {old} to {new} is required")]
    ProofRequired {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        new: u64,
    },
    /// The proof is for other sizes than the witness needs.
    #[error("the proof is from size {got_old} to {got_new}, but the witness holds size {old} and was given size {new}")]
    ProofSizes {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        new: u64,
        /// The old size the proof is for.
        got_old: u64,
        /// The new size the proof is for.
        got_new: u64,
    },
    /// `add-checkpoint` named an old size that is not the size held (C2SP
    /// tlog-witness: 409 with the held size).
    #[error("the witness holds size {held} for this log, not the old size given")]
    OldSize {
        /// The size held (0: none).
        held: u64,
    },
    /// The checkpoint is not signed by a configured log key for its origin,
    /// or such a key's signature fails (403).
    #[error("not signed by a log key this witness follows: {0}")]
    NotSigned(CheckpointError),
    /// No log key is configured for the checkpoint's origin (404).
    #[error("no log key is configured for origin {origin}")]
    UnknownLog {
        /// The checkpoint's origin line.
        origin: String,
    },
    /// The old size is larger than the checkpoint's (400).
    #[error("old size {old} is larger than the checkpoint's size {new}")]
    OldAfterNew {
        /// The old size given.
        old: u64,
        /// The checkpoint's size.
        new: u64,
    },
    /// A proof was given from size 0, a size-0 checkpoint has a root other
    /// than the empty tree's, or the consistency proof does not verify
    /// (422; nothing is saved: anyone can send a bad proof).
    #[error("{0}")]
    BadProof(String),
    /// The log signed a different checkpoint for the size held: a split
    /// view. Both checkpoints were saved as evidence.
    #[error("REFUSED: {reason}; both signed checkpoints saved as evidence in {}", evidence.display())]
    Inconsistent {
        /// Why.
        reason: String,
        /// Where both checkpoints were saved.
        evidence: PathBuf,
    },
    /// A split view, but the evidence directory already holds
    /// [`MAX_EVIDENCE`] cases: nothing more was saved.
    #[error("REFUSED: {reason}; evidence NOT saved: {} already holds {limit} evidence directories", dir.display())]
    EvidenceFull {
        /// Why.
        reason: String,
        /// The evidence directory.
        dir: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// The checkpoint offered is smaller than the one held: an older
    /// checkpoint (not evidence of anything: the log did sign it once).
    #[error(
        "the witness holds size {held} for this log; it does not cosign the smaller size {offered}"
    )]
    Older {
        /// The size held.
        held: u64,
        /// The size offered.
        offered: u64,
    },
}

/// The result of a cosigning.
#[derive(Debug)]
pub struct Cosigned {
    /// The cosignature line (`— name base64`).
    pub line: String,
    /// The checkpoint with the cosignature appended.
    pub note: Note,
    /// The size the witness held before, if any (None: first checkpoint
    /// seen for this ledger, trusted on first use).
    pub previous: Option<TreeSize>,
}

/// An open witness state directory.
#[derive(Debug)]
pub struct Witness {
    dir: PathBuf,
    key: VerifierKey,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WitnessError + '_ {
    move |source| WitnessError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Write `data` to `path` atomically and durably: temp file, fsync, rename,
/// fsync of the directory. A crash leaves the old file or the new one.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), WitnessError> {
    crate::storage::newfile::replace(path, data, 0o644).map_err(io(path))
}

impl Witness {
    /// Create a witness state directory for `name` with the public half of
    /// its cosigning key.
    pub fn init(dir: &Path, name: &str, signer: &Signer) -> Result<Witness, WitnessError> {
        if dir.exists() && fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
            return Err(WitnessError::NotEmpty {
                dir: dir.to_owned(),
            });
        }
        let key = VerifierKey::new(name, TYPE_COSIGNATURE, signer.public())?;
        fs::create_dir_all(dir.join("logs")).map_err(io(dir))?;
        fs::create_dir_all(dir.join("evidence")).map_err(io(dir))?;
        let cfg = json!({ "format": "caselog-witness/v1", "name": name, "vkey": key.to_string() });
        write_atomic(
            &dir.join(CONFIG),
            (serde_json::to_string_pretty(&cfg).expect("json") + "\n").as_bytes(),
        )?;
        Ok(Witness {
            dir: dir.to_owned(),
            key,
        })
    }

    /// Open an existing state directory.
    pub fn open(dir: &Path) -> Result<Witness, WitnessError> {
        let p = dir.join(CONFIG);
        let text = fs::read_to_string(&p).map_err(|source| WitnessError::NoState {
            dir: dir.to_owned(),
            source,
        })?;
        let bad = |reason: String| WitnessError::BadState {
            path: p.clone(),
            reason,
        };
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let key = v["vkey"]
            .as_str()
            .ok_or_else(|| bad("no vkey".into()))
            .and_then(|s| VerifierKey::parse(s).map_err(|e| bad(e.to_string())))?;
        Ok(Witness {
            dir: dir.to_owned(),
            key,
        })
    }

    /// The verifier key (type 0x04) relying parties pin for this witness.
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.key
    }

    fn log_path(&self, origin: &str) -> PathBuf {
        self.dir
            .join("logs")
            .join(format!("{}.checkpoint", origin.replace('/', "_")))
    }

    /// The last checkpoint cosigned for `origin`.
    pub fn held(&self, origin: &str) -> Result<Option<Vec<u8>>, WitnessError> {
        let p = self.log_path(origin);
        match fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p)(e)),
        }
    }

    /// Save both checkpoints of a split view in their own directory,
    /// named by the offered checkpoint's hash: the same offer saved twice
    /// is one directory, and evidence is never overwritten. At most
    /// [`MAX_EVIDENCE`] directories are kept.
    fn evidence(
        &self,
        origin: &str,
        old: &[u8],
        new: &[u8],
        reason: &str,
        now: u64,
    ) -> Result<PathBuf, WitnessError> {
        let parent = self.dir.join("evidence");
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let digest = crate::format::hash::HashAlg::Sha256.digest(&[new]).to_hex();
        let d = parent.join(format!("{}-{}", origin.replace('/', "_"), &digest[..32]));
        if d.join("README.txt").is_file() {
            return Ok(d);
        }
        let held = fs::read_dir(&parent).map_err(io(&parent))?.count();
        if held >= MAX_EVIDENCE {
            return Err(WitnessError::EvidenceFull {
                reason: reason.to_owned(),
                dir: parent,
                limit: MAX_EVIDENCE,
            });
        }
        fs::create_dir_all(&d).map_err(io(&d))?;
        write_atomic(&d.join("held.checkpoint"), old)?;
        write_atomic(&d.join("offered.checkpoint"), new)?;
        // README last: its presence marks the directory complete.
        write_atomic(
            &d.join("README.txt"),
            format!(
                "Witness {} refused to cosign at unix time {now}.\nReason: {reason}\n\nheld.checkpoint: the checkpoint this witness had cosigned.\noffered.checkpoint: the checkpoint it was asked to cosign.\nBoth are signed by the log for the same tree size with different bodies: the log presented two views.\n",
                self.key.name
            )
            .as_bytes(),
        )?;
        Ok(d)
    }

    /// One cosigner at a time per state directory: two concurrent runs
    /// would each compare against the same held checkpoint and could
    /// cosign two different extensions of it (a split view). The lock is
    /// released by the OS when the process ends, even by kill -9.
    fn lock(&self) -> Result<fs::File, WitnessError> {
        let lock_path = self.dir.join("witness.lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        Ok(lock)
    }

    /// Cosign `checkpoint` if it is signed by `log_key` and consistent with
    /// the last checkpoint held for its origin (checked with `proof` when
    /// it is larger). On inconsistency, refuse and save both as evidence.
    pub fn cosign(
        &self,
        signer: &Signer,
        log_key: &VerifierKey,
        checkpoint_bytes: &[u8],
        proof: Option<&ConsistencyProof>,
        now: u64,
    ) -> Result<Cosigned, WitnessError> {
        self.cosign_checked(
            signer,
            std::slice::from_ref(log_key),
            checkpoint_bytes,
            proof,
            None,
            now,
        )
    }

    /// C2SP tlog-witness `add-checkpoint`: cosign `checkpoint_bytes` (signed
    /// by one of `log_keys` named after its origin) when `old` is the size
    /// held for that origin (0: none) and `proof` is a consistency proof
    /// from it. The check of `old` and the update of the state happen under
    /// one lock, so two requests cannot both extend the same size.
    pub fn add_checkpoint(
        &self,
        signer: &Signer,
        log_keys: &[VerifierKey],
        old: u64,
        proof: Vec<crate::format::hash::Hash>,
        checkpoint_bytes: &[u8],
        now: u64,
    ) -> Result<Cosigned, WitnessError> {
        let (cp, _) = checkpoint::parse(checkpoint_bytes)?;
        let origin = cp.origin.line();
        if !log_keys.iter().any(|k| k.name == origin) {
            return Err(WitnessError::UnknownLog { origin });
        }
        checkpoint::verify(checkpoint_bytes, log_keys, &[], 0).map_err(WitnessError::NotSigned)?;
        let new = cp.head.size.0;
        if old > new {
            return Err(WitnessError::OldAfterNew { old, new });
        }
        if new == 0 && cp.head.root != crate::tlog::merkle::empty_root(cp.origin.alg) {
            return Err(WitnessError::BadProof(
                "a checkpoint of size 0 must have the empty tree's root".into(),
            ));
        }
        if old == 0 && !proof.is_empty() {
            return Err(WitnessError::BadProof(
                "a consistency proof from size 0 must be empty".into(),
            ));
        }
        let p = ConsistencyProof {
            old: TreeSize(old),
            new: TreeSize(new),
            path: proof,
        };
        let proof = (old > 0 && old < new).then_some(&p);
        self.cosign_checked(signer, log_keys, checkpoint_bytes, proof, Some(old), now)
    }

    fn cosign_checked(
        &self,
        signer: &Signer,
        log_keys: &[VerifierKey],
        checkpoint_bytes: &[u8],
        proof: Option<&ConsistencyProof>,
        expect_old: Option<u64>,
        now: u64,
    ) -> Result<Cosigned, WitnessError> {
        if signer.public() != self.key.key {
            return Err(WitnessError::WrongKey {
                expected: self.key.to_string(),
            });
        }
        let _lock = self.lock()?;
        let vc = checkpoint::verify(checkpoint_bytes, log_keys, &[], 0)?;
        let cp = vc.checkpoint().clone();
        let origin = cp.origin.line();
        let mut previous = None;
        let held_now = self.held(&origin)?;
        if let Some(old) = expect_old {
            let held = match &held_now {
                Some(b) => {
                    checkpoint::parse(b)
                        .map_err(|e| WitnessError::BadState {
                            path: self.log_path(&origin),
                            reason: e.to_string(),
                        })?
                        .0
                        .head
                        .size
                        .0
                }
                None => 0,
            };
            if held != old {
                return Err(WitnessError::OldSize { held });
            }
        }
        if let Some(held_bytes) = held_now {
            let (held, _) = checkpoint::parse(&held_bytes).map_err(|e| WitnessError::BadState {
                path: self.log_path(&origin),
                reason: e.to_string(),
            })?;
            previous = Some(held.head.size);
            let refuse = |reason: String| -> WitnessError {
                match self.evidence(&origin, &held_bytes, checkpoint_bytes, &reason, now) {
                    Ok(evidence) => WitnessError::Inconsistent { reason, evidence },
                    Err(e) => e,
                }
            };
            extends(
                cp.origin.alg,
                (held.head, &held.body()),
                (cp.head, &cp.body()),
                proof,
                refuse,
            )?;
        }
        // Record first, then vouch.
        let mut held_note = vc.note().clone();
        held_note
            .sigs
            .retain(|g| log_keys.iter().any(|k| k.id() == g.id && g.name == k.name));
        write_atomic(&self.log_path(&origin), held_note.to_text().as_bytes())?;
        let g = note::cosign(&vc.note().text, &self.key.name, signer, now)?;
        let line = g.line();
        let mut out = vc.note().clone();
        out.add_sig(g);
        Ok(Cosigned {
            line,
            note: out,
            previous,
        })
    }
}

/// Whether the offered checkpoint extends the held one (C2SP
/// tlog-witness): never smaller, the very same body at the same size, and
/// a larger one only with a consistency proof between exactly these sizes
/// that holds (RFC 9162 §2.1.4.2). Only a different body the log signed
/// for the size held is evidence of a split view (`refuse` saves both); a
/// smaller checkpoint (an old one, genuinely signed, proves nothing), a
/// missing, mis-sized or failing proof (anyone may send a bad proof) are
/// refusals with nothing saved.
fn extends(
    alg: crate::format::hash::HashAlg,
    (old, old_body): (TreeHead, &str),
    (new, new_body): (TreeHead, &str),
    proof: Option<&ConsistencyProof>,
    refuse: impl Fn(String) -> WitnessError,
) -> Result<(), WitnessError> {
    if new.size < old.size {
        return Err(WitnessError::Older {
            held: old.size.0,
            offered: new.size.0,
        });
    }
    if new.size == old.size {
        if new_body == old_body {
            return Ok(());
        }
        return Err(refuse(format!(
            "split view: two different checkpoints signed for size {} (roots {} held, {} offered)",
            new.size.0, old.root, new.root
        )));
    }
    let p = proof.ok_or(WitnessError::ProofRequired {
        old: old.size.0,
        new: new.size.0,
    })?;
    if p.old != old.size || p.new != new.size {
        return Err(WitnessError::ProofSizes {
            old: old.size.0,
            new: new.size.0,
            got_old: p.old.0,
            got_new: p.new.0,
        });
    }
    proof::verify_consistency(alg, old.size, new.size, &old.root, &new.root, &p.path).map_err(|e| {
        let why = match e {
            ProofError::RootMismatch { .. } => {
                "it does not give both checkpoints' roots".to_owned()
            }
            other => other.to_string(),
        };
        WitnessError::BadProof(format!(
            "the consistency proof from the held size {} to {} does not verify: {why}",
            old.size.0, new.size.0
        ))
    })
}
