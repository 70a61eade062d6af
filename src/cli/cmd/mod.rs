//! One file per command group; each owns the checks (`check_*`: a clap
//! `Args` struct and the [`Globals`](crate::cli::globals::Globals) → a
//! [`Checked`] command, before any database is opened) and the checked
//! commands, each a struct that can [`Run`].

pub(crate) mod access;
pub(crate) mod checkpoint;
pub(crate) mod custody;
pub(crate) mod disposition;
pub(crate) mod docs;
pub(crate) mod domain_append;
pub(crate) mod entry;
pub(crate) mod event;
pub(crate) mod evidence;
mod evidence_attach;
mod evidence_files;
pub(crate) mod export;
pub(crate) mod fsck;
pub(crate) mod hold;
pub(crate) mod import;
mod import_line;
mod import_plan;
mod import_read;
mod import_write;
pub(crate) mod member;
pub(crate) mod production;
pub(crate) mod receipt_file;
pub(crate) mod retention;
pub(crate) mod reveal_record;
pub(crate) mod serve;
pub(crate) mod setup;
pub(crate) mod status;
pub(crate) mod timestamp;
pub(crate) mod tree;
pub(crate) mod validation;
pub(crate) mod verify;
pub(crate) mod witness;

use crate::cli::error::CliError;

/// A command whose arguments have been checked and whose key is loaded:
/// ready to run. Each command's checked form is a struct beside its run.
pub(crate) trait Run {
    /// Run it; the exit code, or the error the CLI prints.
    fn run(self: Box<Self>) -> Result<u8, CliError>;
}

/// What a check returns: the command, checked.
pub(crate) type Checked = Box<dyn Run>;
