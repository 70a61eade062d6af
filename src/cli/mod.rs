//! The `caselog` command line: parse (clap, `args`), validate into a
//! checked command before any database is opened (`cmd::*::check_*`), then
//! run it (`cmd::*::run_*`). Owns every message, hint (`error`) and exit
//! code (`exit`); the library never prints.
//!
//! - `args`: the clap definitions, nothing else;
//! - `globals`: the options every command shares, resolved once;
//! - `input`: turning argument strings into checked values;
//! - `output`: stdout, files written for the user, progress bars;
//! - `cmd`: one file per command group, each with its checks and runs.

mod args;
mod cmd;
mod error;
mod exit;
mod globals;
mod input;
mod output;
mod remote;
mod render;
mod secret;
mod select;

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::globals::Globals;
use crate::cli::input::no_private;
use clap::CommandFactory as _;
use clap::FromArgMatches as _;
use std::process::ExitCode;

/// Run the CLI and return the process exit code.
pub(crate) fn main() -> ExitCode {
    let mut def = Cli::command();
    let matches = def.get_matches_mut();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let g = Globals::new(&cli, &def, &matches);
    let result = validate(cli.command, g).and_then(|c| c.run());
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.code)
        }
    }
}

/// Check the command before any database is opened.
pub(crate) fn validate(command: Command, mut g: Globals) -> Result<Checked, CliError> {
    if !g.takes_private {
        no_private(&g)?;
    }
    if let Some(url) = &g.remote {
        g.remote_case = Some(std::rc::Rc::new(check_remote(&command, &g, url)?));
    }
    check(&command, &g)
}

/// Each command to its check.
fn check(command: &Command, g: &Globals) -> Result<Checked, CliError> {
    use crate::cli::args::{ActionCommand, EventCommand, NotifyCommand};
    use cmd::{checkpoint, custody, entry, event, evidence, export, import, setup, verify};
    match command {
        Command::Init(a) => setup::check_init(a, g),
        Command::Key(c) => setup::check_key(c, g),
        Command::Member(c) => Ok(Box::new(cmd::member::check(c, g)?)),
        Command::Note(a) => entry::check_note(a, g),
        Command::Log(a) => entry::check_log(a, g),
        Command::Append(a) => entry::check_append(a, g),
        Command::Import(a) => import::check_import(a, g),
        Command::Erase(a) => entry::check_erase(a, g),
        Command::Show(a) => entry::check_show(a, g),
        Command::Event(EventCommand::Add(a)) => event::check_event_add(a, g),
        Command::Notify(NotifyCommand::Add(a)) => event::check_notify_add(a, g),
        Command::Action(ActionCommand::Add(a)) => event::check_action_add(a, g),
        Command::Correct(a) => event::check_correct(a, g),
        Command::Void(a) => event::check_void(a, g),
        Command::Timeline(a) => event::check_timeline(a, g),
        Command::Evidence(c) => evidence::check(c, g),
        Command::Custody(c) => custody::check(c, g),
        Command::Hold(c) => cmd::hold::check(c, g),
        Command::Retention(c) => cmd::retention::check(c, g),
        Command::Production(c) => cmd::production::check(c, g),
        Command::Access(a) => cmd::access::check(a, g),
        Command::Export(a) => export::check(a, g),
        Command::Verify(a) => verify::check_verify(a, g),
        Command::Bundle(c) => verify::check_bundle(c),
        Command::Checkpoint(a) => checkpoint::check_checkpoint(a, g),
        Command::Timestamp(a) => cmd::timestamp::check_timestamp(a, g),
        Command::LogKey(a) => checkpoint::check_log_key(a, g),
        Command::Status(a) => cmd::status::check(a, g),
        Command::Fsck(a) => cmd::fsck::check(a, g),
        Command::ValidationReport(a) => cmd::validation::check(a, g),
        Command::Prove(c) => checkpoint::check_prove(c, g),
        Command::VerifyProof(a) => checkpoint::check_verify_proof(a),
        Command::Witness(c) => cmd::witness::check(c, g),
        Command::Serve(a) => cmd::serve::check_serve(a, g),
        Command::Mirror(a) => cmd::serve::check_mirror(a, g),
        Command::Completions(a) => Ok(cmd::docs::check_completions(a)),
        Command::Man(a) => Ok(cmd::docs::check_man(a)),
    }
}

/// `--remote URL`: only for the commands that work on a case's entries;
/// the member key signs every request, so it is needed for reads too.
fn check_remote(command: &Command, g: &Globals, url: &str) -> Result<remote::RemoteCase, CliError> {
    let local_only = matches!(
        command,
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
    if !g.signs && g.key.is_none() {
        return Err(CliError::input(
            "--remote needs the member key that signs each request",
            "pass --key FILE before the command, or set CASELOG_KEY",
        ));
    }
    let dir = remote::copy_dir(url, g.ledger.as_deref())?;
    remote::case(url, dir, crate::cli::input::load_signer(g)?)
}
