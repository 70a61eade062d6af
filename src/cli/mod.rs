//! The `caselog` command line: parse (clap, `args`), validate into a
//! checked command before any database is opened (`cmd::*::check_*`), then
//! run it (`cmd::*::run_*`). Owns every message, hint (`error`) and exit
//! code (`exit`); the library never prints.
//!
//! - `args`: the clap definitions, nothing else;
//! - `input`: turning argument strings into checked values;
//! - `output`: stdout, files written for the user, progress bars;
//! - `cmd`: one file per command group, each with its checks and runs.

mod args;
mod cmd;
mod error;
mod exit;
mod input;
mod output;
mod remote;
mod render;
mod secret;

use crate::cli::args::BundleCommand;
use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::args::KeyCommand;
use crate::cli::args::ProveCommand;
use crate::cli::cmd::checkpoint::check_checkpoint;
use crate::cli::cmd::checkpoint::check_prove_consistency;
use crate::cli::cmd::checkpoint::check_prove_inclusion;
use crate::cli::cmd::checkpoint::check_verify_proof;
use crate::cli::cmd::entry::check_append;
use crate::cli::cmd::entry::check_erase;
use crate::cli::cmd::entry::check_log;
use crate::cli::cmd::entry::check_note;
use crate::cli::cmd::entry::check_show;
use crate::cli::cmd::import::check_import;
use crate::cli::cmd::setup::check_init;
use crate::cli::cmd::setup::check_key_generate;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::input::key_public;
use crate::cli::input::need_ledger_dir;
use crate::cli::input::no_private;
use clap::Parser as _;
use std::process::ExitCode;

/// Run the CLI and return the process exit code.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = validate(cli).and_then(run);
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.code)
        }
    }
}

pub(crate) fn validate(cli: Cli) -> Result<Checked, CliError> {
    let takes_private = cli.command.private().is_some();
    if !takes_private {
        no_private(&cli)?;
    }
    if let Some(url) = &cli.remote {
        check_remote(&cli, url)?;
    }
    Ok(match &cli.command {
        Command::Init { .. } => check_init(&cli)?,
        Command::Key(KeyCommand::Generate { .. }) => check_key_generate(&cli)?,
        Command::Key(KeyCommand::Show { file }) => Checked::KeyShow { file: file.clone() },
        Command::Member(c) => Checked::Member(Box::new(cmd::member::check(c, &cli)?)),
        Command::Note { .. } => check_note(&cli)?,
        Command::Log { .. } => check_log(&cli)?,
        Command::Append { .. } => check_append(&cli)?,
        Command::Import { .. } => check_import(&cli)?,
        Command::Erase { .. } => check_erase(&cli)?,
        Command::Show { .. } => check_show(&cli)?,
        Command::Event(_)
        | Command::Notify(_)
        | Command::Action(_)
        | Command::Evidence(_)
        | Command::Custody(_)
        | Command::Correct { .. }
        | Command::Void { .. }
        | Command::Timeline { .. } => Checked::Domain(Box::new(cmd::domain::validate(&cli)?)),
        Command::Export(_) => Checked::Export(cmd::export::validate(&cli)?),
        Command::Verify(a) => cmd::verify::check_verify(a, &cli)?,
        Command::Bundle(BundleCommand::Extract {
            file,
            out,
            pins,
            tsa_ca,
        }) => {
            let tsa = cmd::timestamp::anchors(tsa_ca.as_deref())?;
            let policy = crate::cli::input::pins(pins)?;
            let mut x = cmd::verify::validate_bundle(file, policy, tsa, false)?;
            x.extract_to(cmd::verify::check_new_dir(out)?);
            Checked::VerifyBundle(Box::new(x))
        }
        Command::Checkpoint { .. } => check_checkpoint(&cli)?,
        Command::Timestamp { .. } => cmd::timestamp::check_timestamp(&cli)?,
        Command::LogKey { key, all } => Checked::LogKey {
            key: key.as_deref().map(key_public).transpose()?,
            all: *all,
            dir: need_ledger_dir(&cli.ledger)?,
        },
        Command::Prove(ProveCommand::Inclusion { .. }) => check_prove_inclusion(&cli)?,
        Command::Prove(ProveCommand::Consistency { .. }) => check_prove_consistency(&cli)?,
        Command::VerifyProof(a) => check_verify_proof(a)?,
        Command::Witness(c) => cmd::witness::check(c, &cli)?,
        Command::Serve { .. } => cmd::serve::check_serve(&cli)?,
        Command::Mirror { .. } => cmd::serve::check_mirror(&cli)?,
        Command::Completions { shell } => Checked::Completions { shell: *shell },
        Command::Man { out } => Checked::Man { out: out.clone() },
    })
}

/// `--remote URL`: only for the commands that work on a case's entries;
/// the member key signs every request, so it is needed for reads too.
fn check_remote(cli: &Cli, url: &str) -> Result<(), CliError> {
    let local_only = matches!(
        cli.command,
        Command::Init { .. }
            | Command::Key(_)
            | Command::Witness(_)
            | Command::Serve { .. }
            | Command::Mirror { .. }
            | Command::VerifyProof(_)
            | Command::Bundle(_)
            | Command::Timestamp { .. }
            | Command::Completions { .. }
            | Command::Man { .. }
            | Command::Verify(crate::cli::args::VerifyArgs {
                bundle: Some(_),
                ..
            })
    );
    if local_only {
        return Err(CliError::input(
            "--remote does not apply to this command",
            "run it without --remote (or $CASELOG_REMOTE) on a local ledger",
        ));
    }
    if cli.command.signing().is_none() && cli.key.is_none() {
        return Err(CliError::input(
            "--remote needs the member key that signs each request",
            "pass --key FILE before the command, or set CASELOG_KEY",
        ));
    }
    let dir = remote::copy_dir(url, cli.ledger.as_deref())?;
    remote::set(url, dir, crate::cli::input::load_signer(cli)?)
}

pub(crate) fn run(cmd: Checked) -> Result<u8, CliError> {
    use cmd::{checkpoint, entry, member, setup, verify, witness};
    match cmd {
        cmd @ Checked::Init { .. } => setup::run_init(cmd),
        cmd @ Checked::KeyGenerate { .. } => setup::run_key_generate(cmd),
        cmd @ Checked::KeyShow { .. } => setup::run_key_show(cmd),
        Checked::Member(x) => member::run(*x),
        cmd @ Checked::Note { .. } => entry::run_note(cmd),
        Checked::EraseResume { dir } => entry::run_erase_resume(&dir),
        cmd @ Checked::Erase { .. } => entry::run_erase(cmd),
        cmd @ Checked::Log { .. } => entry::run_log(cmd),
        cmd @ Checked::Show { .. } => entry::run_show(cmd),
        Checked::Verify(x) => verify::run_verify(*x),
        cmd @ Checked::CheckpointSign { .. } => checkpoint::run_checkpoint_sign(cmd),
        cmd @ Checked::CheckpointList { .. } => checkpoint::run_checkpoint_list(cmd),
        cmd @ Checked::Timestamp { .. } => cmd::timestamp::run_timestamp(cmd),
        cmd @ Checked::CheckpointShow { .. } => checkpoint::run_checkpoint_show(cmd),
        cmd @ Checked::CheckpointAddCosig { .. } => checkpoint::run_checkpoint_add_cosig(cmd),
        cmd @ Checked::LogKey { .. } => checkpoint::run_log_key(cmd),
        cmd @ Checked::ProveInclusion { .. } => checkpoint::run_prove_inclusion(cmd),
        cmd @ Checked::ProveConsistency { .. } => checkpoint::run_prove_consistency(cmd),
        Checked::VerifyProof(x) => checkpoint::run_verify_proof(*x),
        Checked::WitnessInit {
            state,
            name,
            signer,
        } => witness::run_witness_init(&state, &name, &signer),
        Checked::WitnessCosign {
            state,
            signer,
            log_key,
            checkpoint,
            proof,
            out,
        } => witness::run_witness_cosign(witness::CosignInput {
            state: &state,
            signer: &signer,
            log_key: &log_key,
            bytes: &checkpoint,
            proof: proof.as_ref(),
            path: out.as_deref(),
        }),
        Checked::WitnessShow { state } => witness::run_witness_show(&state),
        Checked::Domain(d) => cmd::domain::run(*d),
        Checked::Import(i) => cmd::import::run(i),
        Checked::AppendJson(i) => cmd::import::append_one(i),
        Checked::Export(x) => cmd::export::run(x),
        Checked::VerifyBundle(x) => cmd::verify::run_verify_bundle(*x),
        Checked::Serve(cfg) => cmd::serve::run_serve(cfg),
        Checked::WitnessServe {
            state,
            log_keys,
            listen,
            tls,
            limits,
            signer,
        } => cmd::witness::run_witness_serve(&state, log_keys, listen, tls, limits, signer),
        Checked::Mirror {
            url,
            dir,
            signer,
            cosigner,
        } => cmd::serve::run_mirror(&url, &dir, &signer, cosigner.as_ref()),
        Checked::Completions { shell } => cmd::docs::run_completions(shell),
        Checked::Man { out } => cmd::docs::run_man(&out),
    }
}
