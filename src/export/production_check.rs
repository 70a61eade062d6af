//! Checking a discovery package as its recipient holds it (SPEC §15.4):
//! every file `MANIFEST.sha256` names is there with that SHA-256, nothing
//! else is, and `PRODUCTION.json` names the ledger. What an acknowledgement
//! signs rests on this check.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::format::ids::LedgerId;

/// Why a package does not check.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PackageError {
    /// A file could not be read.
    #[error("{path}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        err: std::io::Error,
    },
    /// A manifest line that is not `<64 hex>  <relative path>`.
    #[error("MANIFEST.sha256 line {line} is not \"<SHA-256 hex>  <relative path>\"")]
    BadLine {
        /// 1-based.
        line: usize,
    },
    /// A file whose SHA-256 is not the manifest's.
    #[error("{path} does not have the SHA-256 the manifest states")]
    Differs {
        /// Relative path.
        path: String,
    },
    /// A file in the package the manifest does not name.
    #[error("{path} is in the package but not in its manifest")]
    Unlisted {
        /// Relative path.
        path: String,
    },
    /// `PRODUCTION.json` does not name a ledger.
    #[error("PRODUCTION.json does not name the ledger (\"ledger\": 32 hex digits)")]
    NoLedger,
}

/// A package whose every file matched its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedPackage {
    /// SHA-256 of `MANIFEST.sha256`.
    pub manifest: [u8; 32],
    /// The ledger `PRODUCTION.json` names.
    pub ledger: LedgerId,
    /// Files the manifest names (all re-hashed).
    pub files: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |err| PackageError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// Re-hash every file of the package at `dir` against its manifest.
pub fn check(dir: &Path) -> Result<CheckedPackage, PackageError> {
    let mpath = dir.join("MANIFEST.sha256");
    let manifest = std::fs::read(&mpath).map_err(io(&mpath))?;
    let text = std::str::from_utf8(&manifest).map_err(|_| PackageError::BadLine { line: 1 })?;
    let mut listed = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let bad = || PackageError::BadLine { line: i + 1 };
        let (hex_part, rel) = line.split_once("  ").ok_or_else(bad)?;
        let want = hex::decode(hex_part)
            .ok()
            .filter(|h| h.len() == 32)
            .ok_or_else(bad)?;
        let safe = !rel.is_empty()
            && !rel.starts_with('/')
            && rel
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !safe || !listed.insert(rel.to_owned()) || rel == "MANIFEST.sha256" {
            return Err(bad());
        }
        let path = dir.join(rel);
        let mut h = Sha256::new();
        let mut f = std::fs::File::open(&path).map_err(io(&path))?;
        std::io::copy(&mut f, &mut h).map_err(io(&path))?;
        if h.finalize().as_slice() != want.as_slice() {
            return Err(PackageError::Differs {
                path: rel.to_owned(),
            });
        }
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| PackageError::Io {
            path: dir.to_path_buf(),
            err: e.into(),
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel != "MANIFEST.sha256" && !listed.contains(&rel) {
            return Err(PackageError::Unlisted { path: rel });
        }
    }
    let ppath = dir.join("PRODUCTION.json");
    let meta = std::fs::read(&ppath).map_err(io(&ppath))?;
    let v: serde_json::Value = serde_json::from_slice(&meta).map_err(|_| PackageError::NoLedger)?;
    let ledger = v["ledger"]
        .as_str()
        .and_then(LedgerId::from_hex)
        .ok_or(PackageError::NoLedger)?;
    Ok(CheckedPackage {
        manifest: Sha256::digest(&manifest).into(),
        ledger,
        files: listed.len() as u64,
    })
}
