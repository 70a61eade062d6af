//! `evidence add --to ITEM --file F...`: further files of an item taken
//! in earlier (a lab's report, an image made of it) as a signed
//! `evidence.attach` entry linked into the item's chain (SPEC §13.5): the
//! files are hashed once (BLAKE3 and SHA-256), optionally copied, and then
//! re-verified, stored and shown as the item's files.

use std::path::PathBuf;

use caselog::format::disclosure::Disclosure;
use caselog::format::entry::{Body, MAX_SHORT_TEXT};
use caselog::format::kinds::{Domain, EvidenceAttach, FileFixity};
use caselog::{Hash, Signer};

use crate::cli::args::EvidenceAddArgs;
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::evidence_files::{check_files, copies, describe, fixity_of};
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{check_text, item_id, load_signer, private_fields, target};
use crate::cli::output::{file_name, out};
use crate::cli::remote::Target;

/// `evidence add --to`, checked.
pub(crate) struct AttachCmd {
    dir: Target,
    signer: Signer,
    item: String,
    description: String,
    files: Vec<PathBuf>,
    copy: bool,
    private: Vec<Disclosure>,
}

pub(crate) fn check(a: &EvidenceAddArgs, to: &str, g: &Globals) -> Result<Checked, CliError> {
    check_files(&a.files)?;
    Ok(Box::new(AttachCmd {
        private: private_fields(g)?,
        item: item_id(to)?,
        description: check_text("description", &a.description, MAX_SHORT_TEXT)?,
        files: a.files.clone(),
        copy: a.copy,
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

impl Run for AttachCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let AttachCmd {
            dir,
            signer,
            item,
            description,
            files,
            copy,
            private,
        } = *self;
        let mut l = dir.open(true)?;
        // Refused (unknown or closed item, a name the item has, a role
        // that may not) before any file is read.
        let named = |name| FileFixity {
            name,
            size: 0,
            blake3: Hash::ZERO,
            sha256: Hash::ZERO,
            media_type: None,
        };
        let mut body = EvidenceAttach {
            item: item.clone(),
            description,
            files: files.iter().map(|f| named(file_name(f))).collect(),
        };
        l.precheck(&Body::Domain(Domain::EvidenceAttach(body.clone())), &signer)?;
        body.files = fixity_of(&files, dir.dir(), copy)?;
        let shown = describe(&body.files).concat();
        let blobs = copies(dir.dir(), &body.files, copy);
        let n = body.files.len();
        let (seq, leaf) = append(&mut l, Domain::EvidenceAttach(body), &signer, private)?;
        drop(l);
        let uploaded = match blobs.is_empty() {
            true => None,
            false => dir.upload_blobs(&blobs)?,
        };
        out(&format!(
            "seq {seq}: {n} file(s) attached to {item} (leaf {leaf}){}{}\n{shown}",
            if copy {
                "; copies stored in the ledger's blob store"
            } else {
                ""
            },
            match uploaded {
                Some(k) => format!(" and uploaded to the server ({k} new)"),
                None => String::new(),
            },
        ))?;
        Ok(exit::OK)
    }
}
