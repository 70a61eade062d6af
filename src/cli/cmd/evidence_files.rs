//! The files of an evidence item as the CLI takes them in: each `--file`
//! checked before anything is read, then hashed (BLAKE3 and SHA-256 in
//! one pass) and, with `--copy`, copied into the blob store.

use std::path::{Path, PathBuf};

use caselog::format::kinds::FileFixity;
use caselog::storage::evidence;

use crate::cli::error::CliError;
use crate::cli::output::{file_name, hashing};

/// Each `--file` is a readable regular file, and no two share a name.
pub(crate) fn check_files(files: &[PathBuf]) -> Result<(), CliError> {
    let mut names = std::collections::BTreeSet::new();
    for f in files {
        let meta = std::fs::metadata(f).map_err(|e| {
            CliError::input(
                format!("cannot read {}: {e}", f.display()),
                "check the --file path",
            )
        })?;
        if !meta.is_file() {
            return Err(CliError::input(
                format!("{} is not a regular file", f.display()),
                "give files, not directories",
            ));
        }
        if !names.insert(file_name(f)) {
            return Err(CliError::input(
                format!("two files named {:?}", file_name(f)),
                "file names must be unique within an item; rename one",
            ));
        }
    }
    Ok(())
}

/// Hash each file (BLAKE3 and SHA-256, one pass), keeping a copy in the
/// blob store of `dir` when `copy`.
pub(crate) fn fixity_of(
    files: &[PathBuf],
    dir: &Path,
    copy: bool,
) -> Result<Vec<FileFixity>, CliError> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let bar = hashing(f);
        let mut tick = |n| bar.set(n);
        let d = if copy {
            evidence::store_blob(dir, f, &mut tick)
        } else {
            evidence::hash_file(f, &mut tick)
        }
        .map_err(|e| {
            CliError::input(
                format!("cannot read {}: {e}", f.display()),
                "check the path and permissions",
            )
        })?;
        bar.finish();
        let name = file_name(f);
        out.push(FileFixity {
            media_type: evidence::guess_media_type(&name).map(str::to_owned),
            name,
            size: d.size,
            blake3: d.blake3,
            sha256: d.sha256,
        });
    }
    Ok(out)
}

/// The files' digests as `evidence add` prints them, one block each.
pub(crate) fn describe(files: &[FileFixity]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            format!(
                "  {}  {} bytes\n    blake3 {}\n    sha256 {}\n",
                f.name, f.size, f.blake3, f.sha256
            )
        })
        .collect()
}

/// The stored copies of `files` in the blob store of `dir` (path, BLAKE3,
/// SHA-256), for a server upload; none unless they were copied.
pub(crate) fn copies(
    dir: &Path,
    files: &[FileFixity],
    copied: bool,
) -> Vec<(PathBuf, caselog::Hash, caselog::Hash)> {
    match copied {
        true => files
            .iter()
            .map(|f| (evidence::blob_path(dir, &f.blake3), f.blake3, f.sha256))
            .collect(),
        false => Vec::new(),
    }
}
