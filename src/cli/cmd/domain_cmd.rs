//! The checked domain commands (what `domain::validate` and each leaf's
//! `check_*` make, what the leaves' `run_*` take) and the one append step
//! they share. Below the dispatcher (`domain.rs`) and the leaves
//! (`event`, `evidence`, `custody`, `tree`), so neither imports the other
//! in a circle.

use crate::cli::cmd::receipt_file::ReceiptFile;
use crate::cli::error::CliError;
use crate::cli::input::EntryArg;
use crate::cli::output::checkpoint_notice;
use caselog::export::timeline::Filter;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::LedgerId;
use caselog::format::entry::Seq;
use caselog::format::kinds::Domain;
use caselog::format::kinds::EvidenceIntake;
use caselog::format::kinds::Seals;
use caselog::storage::keys::Signer;
use caselog::Hash;
use caselog::Ledger;
use std::path::PathBuf;

/// A checked domain command.
pub(crate) enum DomainCmd {
    Append {
        dir: PathBuf,
        signer: Signer,
        body: Domain,
        refs: Vec<EntryArg>,
        private: Vec<Disclosure>,
    },
    EvidenceAdd {
        dir: PathBuf,
        signer: Signer,
        intake: EvidenceIntake,
        files: Vec<PathBuf>,
        tree: Option<PathBuf>,
        copy: bool,
        private: Vec<Disclosure>,
    },
    EvidenceVerifyTree {
        private: Vec<Disclosure>,
        dir: PathBuf,
        /// None: --dry-run, nothing is recorded.
        signer: Option<Signer>,
        item: String,
        root: PathBuf,
        force: bool,
    },
    EvidenceManifest {
        dir: PathBuf,
        item: String,
        format: String,
        output: Option<PathBuf>,
    },
    EvidenceVerify {
        private: Vec<Disclosure>,
        dir: PathBuf,
        /// None: --dry-run, nothing is recorded.
        signer: Option<Signer>,
        item: String,
        path: PathBuf,
        file: String,
    },
    EvidenceList {
        dir: PathBuf,
        json: bool,
    },
    EvidenceShow {
        dir: PathBuf,
        item: String,
        json: bool,
    },
    Release {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        item: String,
        to: String,
        reason: String,
        location: Option<String>,
        authority: Option<String>,
        transport: Option<String>,
        seals: Seals,
    },
    Receive {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        item: String,
        seal_intact: Option<bool>,
        condition: Option<String>,
        rejected: Option<String>,
        seals: Seals,
    },
    Receipt {
        signer: Signer,
        ledger: LedgerId,
        item: String,
        release: Hash,
        seal_intact: Option<bool>,
        condition: Option<String>,
        seals: Seals,
        out: PathBuf,
    },
    ImportReceipt {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        receipt: ReceiptFile,
    },
    CustodyShow {
        dir: PathBuf,
        item: String,
        json: bool,
    },
    Correct {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        target: EntryArg,
        set: std::collections::BTreeMap<String, String>,
        reason: String,
        dry_run: bool,
    },
    Void {
        dir: PathBuf,
        signer: Signer,
        target: EntryArg,
        reason: String,
    },
    Timeline {
        dir: PathBuf,
        filter: Filter,
        json: bool,
        reveal: caselog::format::disclosure::Reveal,
    },
}

/// The name `signer` was enrolled under (what `member list` shows), or
/// the key file's name when it is not a member (the append then refuses).
pub(crate) fn enrolled_name(l: &Ledger, signer: &Signer) -> String {
    l.members()
        .get(&signer.public())
        .map_or_else(|| signer.name().to_owned(), |m| m.name.clone())
}

pub(crate) fn append(
    l: &mut Ledger,
    body: Domain,
    signer: &Signer,
    private: Vec<Disclosure>,
) -> Result<(Seq, Hash), CliError> {
    let r = l.append_private(Body::Domain(body), signer, private)?;
    checkpoint_notice(l);
    Ok(r)
}
