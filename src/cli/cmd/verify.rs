//! `verify`: a ledger directory (with `--against` checkpoints and
//! `--evidence`) or a bundle (`--bundle`).

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::cmd::export;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::need_ledger_dir;
use crate::cli::input::parse_vkeys;
use crate::cli::input::read_input;
use crate::cli::output::{out, Progress};
use crate::cli::render;
use caselog::audit::External;

pub(crate) fn check_verify_bundle(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Verify {
        json,
        bundle: Some(file),
        trust,
        witness,
        quorum,
        mirror,
        mirror_quorum,
        policy,
        tsa_ca,
        ..
    } = &cli.command
    else {
        unreachable!("cli: check_verify_bundle called for another command")
    };
    let tsa = crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?;
    let policy = crate::cli::input::trust_policy(
        (trust, witness, *quorum),
        (mirror, *mirror_quorum),
        policy.as_deref(),
    )?;
    Ok(Checked::Export(export::validate_verify(
        file, policy, tsa, *json,
    )?))
}

pub(crate) fn check_verify_store(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Verify {
        json,
        against,
        trust,
        evidence,
        bundle: None,
        tsa_ca,
        ..
    } = &cli.command
    else {
        unreachable!("cli: check_verify_store called for another command")
    };
    Ok({
        let trust = parse_vkeys(trust, "--trust key")?;
        let against = against
            .iter()
            .map(|p| {
                Ok(External {
                    label: p.display().to_string(),
                    bytes: read_input(p, "checkpoint")?,
                    trust: trust.clone(),
                })
            })
            .collect::<Result<_, CliError>>()?;
        Checked::Verify {
            dir: need_ledger_dir(&cli.ledger)?,
            json: *json,
            against,
            evidence: *evidence,
            tsa: crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
        }
    })
}

pub(crate) fn run_verify(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Verify {
        dir,
        json,
        against,
        evidence,
        tsa,
    } = cmd
    else {
        unreachable!("cli: run_verify called for another command")
    };
    if crate::cli::remote::dir().is_some() {
        // With --remote: bring the copy up to the server first (closed
        // again before the verifier opens it read-only).
        drop(crate::cli::remote::open(&dir, true)?);
    }
    let store = caselog::storage::store::Store::open(&dir)?;
    let opts = caselog::VerifyOptions {
        against,
        evidence_dir: evidence.then(|| dir.clone()),
        tsa_anchors: tsa,
    };
    let bar = Progress::entries("verifying", caselog::audit::claimed_size(&store));
    let report = caselog::audit::verify_store_progress(&store, &opts, &|n| bar.set(n))?;
    bar.finish();
    if json {
        out(&(serde_json::to_string_pretty(&report.to_json()).expect("json") + "\n"))?;
    } else {
        out(&render::report_text(&report))?;
    }
    Ok(if report.is_ok() {
        exit::OK
    } else {
        exit::FAILED
    })
}
