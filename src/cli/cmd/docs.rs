//! `completions SHELL` and the hidden `man --out DIR`: shell completion
//! scripts and man pages, generated from the clap definitions (`args`) by
//! clap_complete and clap_mangen, so they cannot drift from the parser.

use crate::cli::args::Cli;
use std::path::Path;
use std::path::PathBuf;

use clap::CommandFactory as _;

use crate::cli::args::CompletionsArgs;
use crate::cli::args::ManArgs;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::output::out;

/// `completions SHELL`, checked (clap has checked the shell).
pub(crate) struct CompletionsCmd(clap_complete::Shell);

pub(crate) fn check_completions(a: &CompletionsArgs) -> Checked {
    Box::new(CompletionsCmd(a.shell))
}

impl Run for CompletionsCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_completions(self.0)
    }
}

/// `man --out DIR`, checked.
pub(crate) struct ManCmd(PathBuf);

pub(crate) fn check_man(a: &ManArgs) -> Checked {
    Box::new(ManCmd(a.out.clone()))
}

impl Run for ManCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_man(&self.0)
    }
}

/// Print the completion script for `shell` on stdout.
fn run_completions(shell: clap_complete::Shell) -> Result<u8, CliError> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "caselog", &mut buf);
    let text = String::from_utf8(buf).expect("cli: completion scripts are UTF-8");
    out(&text)?;
    Ok(exit::OK)
}

/// Write caselog.1 and caselog-COMMAND.1 for every visible command.
fn run_man(dir: &Path) -> Result<u8, CliError> {
    let fail = |e: std::io::Error| {
        CliError::storage(
            format!("cannot write man pages into {}: {e}", dir.display()),
            None,
        )
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(fail)?;
    out(&format!("man pages written to {}\n", dir.display()))?;
    Ok(exit::OK)
}
