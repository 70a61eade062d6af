//! `caselog validation-report`: run the built-in known-answer vectors
//! (`audit::validation`) against this binary and write the record: the
//! program, the SHA-256 of the binary that ran them, each suite's result;
//! with a key, signed as a C2SP signed note (SPEC §4.1: its text begins
//! `caselog-validation/v1`), and with `--record` noted in the case.

use std::path::PathBuf;

use caselog::audit::validation::{run, Suite};
use caselog::format::disclosure::Reveal;
use caselog::format::entry::{Body, Note as NoteBody};
use caselog::tlog::note::{self, Note, VerifierKey, TYPE_ED25519};
use caselog::Signer;
use sha2::{Digest as _, Sha256};

use crate::cli::args::ValidationReportArgs;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{load_signer, target};
use crate::cli::output::{check_new_file, out, write_new};
use crate::cli::remote::Target;

/// The key name the record is signed under.
const KEY_NAME: &str = "caselog-validation";

/// `validation-report`, checked.
pub(crate) struct ValidationCmd {
    out: Option<PathBuf>,
    signer: Option<Signer>,
    /// With --record: the case to note it in.
    record: Option<Target>,
}

pub(crate) fn check(a: &ValidationReportArgs, g: &Globals) -> Result<Checked, CliError> {
    if let Some(o) = &a.out {
        check_new_file(o)?;
    }
    let signer = g.key.is_some().then(|| load_signer(g)).transpose()?;
    if a.record && signer.is_none() {
        return Err(CliError::input(
            "--record notes the report in the case, which needs a key",
            "pass --key FILE (a member of the case)",
        ));
    }
    Ok(Box::new(ValidationCmd {
        out: a.out.clone(),
        signer,
        record: a.record.then(|| target(g)).transpose()?,
    }))
}

/// The outcome in a phrase, deviations named.
fn verdict(suites: &[Suite]) -> String {
    let deviations: usize = suites.iter().map(|s| s.deviations.len()).sum();
    match (suites.iter().all(Suite::ok), deviations) {
        (false, _) => "SOME FAILED".to_owned(),
        (true, 0) => "all gave their published answers".to_owned(),
        (true, n) => format!("all gave their published answers but {n} documented deviation(s)"),
    }
}

/// The record's text (a signed note's body): one fact per line.
fn text(suites: &[Suite], binary: &str) -> String {
    let mut t = format!(
        "caselog-validation/v1\ntool caselog {}\nbinary-sha256 {binary}\nplatform {} {}\ntime {}\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        caselog::Timestamp::now()
    );
    for s in suites {
        t.push_str(&format!(
            "suite {} {}/{} passed; source {}\n",
            s.name, s.passed, s.cases, s.source
        ));
        for f in &s.failures {
            t.push_str(&format!("failed {} {f}\n", s.name));
        }
        for (f, why) in &s.deviations {
            t.push_str(&format!("deviation {} {f}: {why}\n", s.name));
        }
    }
    let deviations: usize = suites.iter().map(|s| s.deviations.len()).sum();
    t.push_str(&match (suites.iter().all(Suite::ok), deviations) {
        (false, _) => "result SOME VECTORS FAILED\n".to_owned(),
        (true, 0) => "result every vector gave its published answer\n".to_owned(),
        (true, n) => format!(
            "result every vector gave its published answer but the {n} documented deviation(s) above\n"
        ),
    });
    t
}

impl Run for ValidationCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let suites = run();
        let exe = std::env::current_exe()
            .and_then(std::fs::read)
            .map_err(|e| {
                CliError::storage(format!("cannot read this program's own file: {e}"), None)
            })?;
        let binary = hex::encode(Sha256::digest(&exe));
        let body = text(&suites, &binary);
        let doc = match &self.signer {
            None => body.clone(),
            Some(s) => {
                let g = note::sign(&body, KEY_NAME, s).map_err(|e| {
                    CliError::input(format!("cannot sign the record: {e}"), "check the key")
                })?;
                Note {
                    text: body.clone(),
                    sigs: vec![g],
                }
                .to_text()
            }
        };
        match &self.out {
            Some(p) => write_new(p, doc.as_bytes(), &Reveal::None)?,
            None => out(&doc)?,
        }
        let all = suites.iter().all(Suite::ok);
        let cases: u64 = suites.iter().map(|s| s.cases).sum();
        if let (Some(p), Some(s)) = (&self.out, &self.signer) {
            let vkey = VerifierKey::new(KEY_NAME, TYPE_ED25519, s.public())
                .map_err(|e| CliError::input(e.to_string(), "check the key"))?;
            out(&format!(
                "wrote {}: {} suites, {cases} vectors, {}; signed by {}; its verifier key: {vkey}\n",
                p.display(),
                suites.len(),
                verdict(&suites),
                s.name()
            ))?;
        }
        if let (Some(t), Some(s), Some(p)) = (&self.record, &self.signer, &self.out) {
            let said = format!(
                "tool validation: caselog {} (binary SHA-256 {binary}): {} suites, {cases} known-answer vectors, {}; record {} SHA-256 {}",
                env!("CARGO_PKG_VERSION"),
                suites.len(),
                verdict(&suites),
                p.display(),
                hex::encode(Sha256::digest(doc.as_bytes()))
            );
            let mut l = t.open(true)?;
            let (seq, _) = l.append(Body::Note(NoteBody { text: said }), s)?;
            out(&format!("noted in the case as seq {seq}\n"))?;
        }
        Ok(if all { exit::OK } else { exit::FAILED })
    }
}
