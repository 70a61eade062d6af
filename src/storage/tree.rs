//! Directory trees as evidence: walk a tree and hash every regular file
//! in parallel (SPEC §13.8).
//!
//! Owns: the walk (symbolic links are listed, never followed, and a file
//! is read only if it is still the one listed; devices,
//! sockets and FIFOs are listed, never read; a directory that cannot be
//! read is an error, not a gap), the parallel hashing (one file per core,
//! BLAKE3 and SHA-256 in one read pass each, optionally copying into the
//! blob store), and reading a stored manifest back. The manifest's bytes
//! are `format::tree`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use thiserror::Error;

use crate::format::hash::Hash;
use crate::format::tree::{check_path, format_mtime, Manifest, Skipped, TreeFile};
use crate::storage::evidence;

/// A regular file found by [`walk`], not yet hashed.
#[derive(Clone, Debug)]
pub struct Found {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    /// Where it is.
    pub path: PathBuf,
    /// Size when listed.
    pub size: u64,
    /// Modification time when listed (SPEC §13.8 form).
    pub mtime: String,
    /// Device and inode when listed: the file read must be this one.
    pub id: (u64, u64),
}

/// What [`walk`] found under a root.
#[derive(Clone, Debug)]
pub struct Walk {
    /// The root's own name.
    pub name: String,
    /// Regular files, ascending by relative path.
    pub files: Vec<Found>,
    /// Entries not hashed, ascending by relative path.
    pub skipped: Vec<Skipped>,
}

impl Walk {
    /// Total size of the regular files when listed.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Why a tree could not be walked or hashed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The root is not a directory.
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    /// The root has no name of its own (`/`).
    #[error("{0} has no name of its own")]
    NoName(PathBuf),
    /// A directory or file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// Which.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A name is not UTF-8, or the path breaks SPEC §13.8.
    #[error("cannot record the path {path}: {reason}")]
    Name {
        /// Which.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// List every entry under `root` without following symbolic links.
pub fn walk(root: &Path) -> Result<Walk, TreeError> {
    let read = |path: &Path, source| TreeError::Read {
        path: path.to_owned(),
        source,
    };
    let full = std::fs::canonicalize(root).map_err(|e| read(root, e))?;
    if !full.is_dir() {
        return Err(TreeError::NotADirectory(root.to_owned()));
    }
    let name = full
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| TreeError::NoName(root.to_owned()))?
        .to_owned();
    crate::format::tree::check_name(&name).map_err(|reason| TreeError::Name {
        path: root.to_owned(),
        reason,
    })?;
    let mut w = Walk {
        name,
        files: Vec::new(),
        skipped: Vec::new(),
    };
    for e in walkdir::WalkDir::new(&full).min_depth(1) {
        let e = e.map_err(|e| {
            let p = e.path().unwrap_or(&full).to_owned();
            read(
                &p,
                e.into_io_error()
                    .unwrap_or_else(|| io::Error::other("loop")),
            )
        })?;
        let rel = relative(&full, e.path())?;
        let t = e.file_type();
        if t.is_dir() {
            continue;
        }
        if t.is_file() {
            let meta = e.metadata().map_err(|x| read(e.path(), x.into()))?;
            let mtime = mtime_of(&meta).ok_or_else(|| TreeError::Name {
                path: e.path().to_owned(),
                reason: "its modification time is out of range".into(),
            })?;
            use std::os::unix::fs::MetadataExt;
            w.files.push(Found {
                rel,
                path: e.path().to_owned(),
                size: meta.len(),
                mtime,
                id: (meta.dev(), meta.ino()),
            });
        } else {
            let what = if t.is_symlink() { "symlink" } else { "other" };
            w.skipped.push(Skipped { path: rel, what });
        }
    }
    w.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    w.skipped.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(w)
}

/// `path` below `root` as a `/`-separated UTF-8 string.
fn relative(root: &Path, path: &Path) -> Result<String, TreeError> {
    let bad = |reason: String| TreeError::Name {
        path: path.to_owned(),
        reason,
    };
    let rel = path
        .strip_prefix(root)
        .expect("tree: walked outside the root");
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    let rel = parts
        .ok_or_else(|| bad("the name is not UTF-8".into()))?
        .join("/");
    check_path(&rel).map_err(bad)?;
    Ok(rel)
}

/// A modification time as SPEC §13.8 writes it.
fn mtime_of(meta: &std::fs::Metadata) -> Option<String> {
    let t = meta.modified().ok()?;
    let (secs, nanos) = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
        Err(before) => {
            let d = before.duration();
            let secs = -i64::try_from(d.as_secs()).ok()?;
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    };
    format_mtime(secs, nanos)
}

/// Hash every file of `w` in parallel (one file per core), calling
/// `progress` with the bytes done so far. With `copy_to` (a ledger
/// directory) each file is also stored in its blob store, in the same
/// read pass. The manifest lists the sizes as read.
pub fn hash(
    w: &Walk,
    copy_to: Option<&Path>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Manifest, TreeError> {
    let done = AtomicU64::new(0);
    let files = w
        .files
        .par_iter()
        .map(|f| {
            let d = hash_one(f, copy_to).map_err(|source| TreeError::Read {
                path: f.path.clone(),
                source,
            })?;
            progress(done.fetch_add(d.size, Ordering::Relaxed) + d.size);
            Ok(TreeFile {
                path: f.rel.clone(),
                size: d.size,
                blake3: d.blake3,
                sha256: d.sha256,
                mtime: f.mtime.clone(),
            })
        })
        .collect::<Result<Vec<_>, TreeError>>()?;
    Ok(Manifest {
        name: w.name.clone(),
        files,
        skipped: w.skipped.clone(),
    })
}

/// Hash the file `found` lists: opened without following a symbolic link
/// in its last component, and refused unless it is still the regular file
/// (device and inode) the walk listed, so a link or another file swapped
/// in since (anywhere on its path) is never read as the tree's.
fn hash_one(found: &Found, copy_to: Option<&Path>) -> io::Result<evidence::Digests> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let nofollow =
        i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).expect("tree: O_NOFOLLOW fits an int");
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow)
        .open(&found.path)?;
    let meta = f.metadata()?;
    if !meta.is_file() || (meta.dev(), meta.ino()) != found.id {
        return Err(io::Error::other(
            "it is not the file the walk listed (replaced since, or a link swapped in)",
        ));
    }
    match copy_to {
        None => evidence::hash_serial(f, None),
        Some(dir) => evidence::store_with(dir, |out| evidence::hash_serial(f, Some(out))),
    }
}

/// Store manifest bytes in the blob store of `ledger_dir` (under their
/// BLAKE3, synced, as every blob).
pub fn store_manifest(ledger_dir: &Path, bytes: &[u8]) -> io::Result<()> {
    evidence::store_with(ledger_dir, |out| evidence::hash_serial(bytes, Some(out))).map(|_| ())
}

/// A stored manifest's bytes, `Ok(None)` when the blob is not stored.
pub fn read_manifest(ledger_dir: &Path, b3: &Hash) -> io::Result<Option<Vec<u8>>> {
    match std::fs::read(evidence::blob_path(ledger_dir, b3)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
