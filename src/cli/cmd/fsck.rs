//! `caselog fsck`: the ledger's self-check (SPEC §13.10). With the writer
//! lock held (so the size checked is the size recorded), every entry is
//! verified and every stored evidence copy re-hashed, exactly as `verify
//! --evidence`; the result is recorded as a signed `ledger.check` entry
//! stating the size and root re-derived (every verifier recomputes them)
//! and the codes of any problems, and an authority's run signs a
//! checkpoint of it.

use caselog::format::kinds::{Domain, LedgerCheck, MAX_CHECK_PROBLEMS};
use caselog::storage::evidence;
use caselog::{Ledger, Signer};

use crate::cli::args::FsckArgs;
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{load_signer, target};
use crate::cli::output::{out, Progress};
use crate::cli::remote::Target;
use crate::cli::render;

/// `fsck`, checked.
pub(crate) struct FsckCmd {
    dir: Target,
    /// None: --no-record.
    signer: Option<Signer>,
    json: bool,
}

pub(crate) fn check(a: &FsckArgs, g: &Globals) -> Result<Checked, CliError> {
    Ok(Box::new(FsckCmd {
        dir: target(g)?,
        signer: (!a.no_record).then(|| load_signer(g)).transpose()?,
        json: a.json,
    }))
}

impl Run for FsckCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let FsckCmd { dir, signer, json } = *self;
        let mut l = dir.open(signer.is_some())?;
        let opts = caselog::VerifyOptions {
            evidence_dir: Some(dir.dir().to_owned()),
            ..Default::default()
        };
        let bar = Progress::entries("checking", Some(l.head().tree.size.0));
        let report = caselog::audit::verify_store_progress(l.store(), &opts, &|n| bar.set(n))?;
        bar.finish();
        if json {
            out(&(serde_json::to_string_pretty(&report.to_json()).expect("json") + "\n"))?;
        } else {
            out(&render::report_text(&report))?;
        }
        let code = if report.is_ok() {
            exit::OK
        } else {
            exit::FAILED
        };
        let Some(signer) = signer else {
            return Ok(code);
        };
        let said = record(&mut l, &report, dir.dir(), &signer)?;
        // The record goes to stderr with --json, so stdout stays one document.
        if json {
            eprintln!("caselog: {said}");
        } else {
            out(&format!("{said}\n"))?;
        }
        Ok(code)
    }
}

/// Append the `ledger.check` and, by an active authority, a checkpoint of
/// it; what was recorded, in a sentence.
fn record(
    l: &mut Ledger,
    report: &caselog::Report,
    dir: &std::path::Path,
    signer: &Signer,
) -> Result<String, CliError> {
    let mut problems: Vec<String> = report.problems.iter().map(|p| p.code.to_string()).collect();
    problems.sort();
    problems.dedup();
    problems.truncate(MAX_CHECK_PROBLEMS);
    // The copies re-hashed: every stored copy of an item's file.
    let copy_bytes: u64 = l
        .custody()
        .iter()
        .flat_map(|s| s.files.values())
        .filter_map(|(b3, _)| std::fs::metadata(evidence::blob_path(dir, b3)).ok())
        .map(|m| m.len())
        .sum();
    let body = LedgerCheck {
        size: report.entries,
        root: report.root.unwrap_or(caselog::Hash::ZERO),
        copies: report.evidence_checked,
        copy_bytes,
        problems,
        tool: format!("caselog {}", env!("CARGO_PKG_VERSION")),
    };
    let (seq, leaf) = append(l, Domain::LedgerCheck(body), signer, Vec::new())?;
    let authority = l
        .members()
        .get(&signer.public())
        .is_some_and(|m| m.role == caselog::Role::Authority && m.revoked.is_none());
    let cp = match authority {
        true => {
            l.checkpoint(signer)?;
            format!("; checkpoint of size {} signed", seq.0 + 1)
        }
        false => "; an authority signs a checkpoint of it with `caselog checkpoint`".to_owned(),
    };
    Ok(format!("recorded as seq {seq} (leaf {leaf}){cp}"))
}
