//! An export with `--reveal` records itself: an `export.reveal` entry
//! (SPEC §15.1) signed by the member who made it, naming the export, the
//! fields revealed, the purpose and the SHA-256 of the file.
//!
//! Commit order: the export file is written and synced, then the entry is
//! appended (one WriteBatch). If the entry cannot be written the file is
//! removed and the export fails: private values never leave unrecorded.

use std::path::Path;

use caselog::format::disclosure::Reveal;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds::{Domain, ExportReveal};
use caselog::storage::keys::Signer;

use crate::cli::cmd::domain_append::append;
use crate::cli::error::CliError;
use crate::cli::globals::Globals;
use crate::cli::input::{check_text, load_signer};
use crate::cli::output::out;
use crate::cli::remote::Target;

/// Who records a revealing export, and why.
pub(crate) struct RevealRecord {
    signer: Signer,
    purpose: String,
}

/// Before the ledger is opened: `--reveal` needs `--purpose` and a key;
/// `--purpose` alone is refused.
pub(crate) fn check(
    reveal: &Reveal,
    purpose: Option<&str>,
    g: &Globals,
) -> Result<Option<RevealRecord>, CliError> {
    match (reveal, purpose) {
        (Reveal::None, None) => Ok(None),
        (Reveal::None, Some(_)) => Err(CliError::input(
            "--purpose is recorded only for an export that reveals private fields",
            "add --reveal FIELD, or leave --purpose out",
        )),
        (Reveal::Paths(_), None) => Err(CliError::input(
            "an export that reveals private fields is recorded in the ledger, with its purpose",
            "add --purpose \"why\" (and --key: the entry is signed by you)",
        )),
        (Reveal::Paths(_), Some(p)) => Ok(Some(RevealRecord {
            signer: load_signer(g)?,
            purpose: check_text("--purpose", p, MAX_SHORT_TEXT)?,
        })),
    }
}

/// After the files are written (export name, path): record each, or
/// remove them all.
pub(crate) fn record(
    dir: &Target,
    rec: Option<RevealRecord>,
    files: &[(&str, &Path)],
    reveal: &Reveal,
) -> Result<(), CliError> {
    let (Some(rec), Reveal::Paths(fields)) = (rec, reveal) else {
        return Ok(());
    };
    let r = files
        .iter()
        .try_for_each(|(export, path)| write_entry(dir, &rec, export, fields, path));
    if r.is_err() {
        for (_, path) in files {
            let _ = std::fs::remove_file(path);
        }
    }
    r
}

fn write_entry(
    dir: &Target,
    rec: &RevealRecord,
    export: &str,
    fields: &[String],
    path: &Path,
) -> Result<(), CliError> {
    use sha2::Digest as _;
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::storage(format!("cannot read back {}: {e}", path.display()), None)
    })?;
    let body = Domain::ExportReveal(ExportReveal {
        export: export.to_owned(),
        fields: fields.to_vec(),
        purpose: rec.purpose.clone(),
        file: crate::cli::output::file_name(path),
        sha256: sha2::Sha256::digest(&bytes).into(),
    });
    let mut l = dir.open(true)?;
    let (seq, _) = append(&mut l, body, &rec.signer, Vec::new()).map_err(|e| CliError {
        msg: format!(
            "{}; the export was removed (a reveal is not left unrecorded)",
            e.msg
        ),
        ..e
    })?;
    out(&format!(
        "seq {seq}: the reveal of {} in {} is recorded, with its purpose, signed by {}\n",
        fields.join(", "),
        path.display(),
        rec.signer.name()
    ))
}
