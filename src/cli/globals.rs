//! The options a command shares with every other (`--ledger`, `--remote`,
//! the signing key, private fields), resolved once after parsing: a
//! command's own `--key`, `--passphrase-file`, `--private` and
//! `--private-file` (the flattened `Signing` and `Private` groups) are
//! merged with the ones given before the command, so each check reads one
//! value and nothing lists which commands sign.

use clap::ArgMatches;
use std::path::PathBuf;
use std::rc::Rc;

use crate::cli::args::Cli;
use crate::cli::remote::RemoteCase;

/// The options every check reads, the command's own first.
#[derive(Debug)]
pub(crate) struct Globals {
    /// `--ledger` / `$CASELOG_LEDGER`.
    pub(crate) ledger: Option<PathBuf>,
    /// `--remote` / `$CASELOG_REMOTE`.
    pub(crate) remote: Option<String>,
    /// The signing key file: the command's own `--key`, else the one
    /// before the command (or `$CASELOG_KEY`).
    pub(crate) key: Option<PathBuf>,
    /// Its passphrase file, resolved the same way.
    pub(crate) passphrase_file: Option<PathBuf>,
    /// `--private FIELD=VALUE`: before the command, then the command's own.
    pub(crate) private: Vec<String>,
    /// `--private-file FIELD=PATH`, in the same order.
    pub(crate) private_file: Vec<String>,
    /// The command has its own `--key` (it flattens `Signing`): it signs.
    pub(crate) signs: bool,
    /// The command has its own `--private` (it flattens `Private`).
    pub(crate) takes_private: bool,
    /// The served case of `--remote`, once `validate` has checked it.
    pub(crate) remote_case: Option<Rc<RemoteCase>>,
}

impl Globals {
    /// Resolve from the parsed root, the command definition that parsed
    /// it and its matches (the definition is not built a second time).
    pub(crate) fn new(cli: &Cli, def: &clap::Command, matches: &ArgMatches) -> Globals {
        let (leaf, m) = leaf(def, matches);
        let has = |id: &str| leaf.get_arguments().any(|a| a.get_id() == id);
        let own_path = |id: &str| has(id).then(|| m.get_one::<PathBuf>(id).cloned()).flatten();
        let own_list = |id: &str| -> Vec<String> {
            if !has(id) {
                return Vec::new();
            }
            m.get_many::<String>(id)
                .map(|v| v.cloned().collect())
                .unwrap_or_default()
        };
        Globals {
            ledger: cli.ledger.clone(),
            remote: cli.remote.clone(),
            key: own_path("key").or_else(|| cli.key.clone()),
            passphrase_file: own_path("passphrase_file").or_else(|| cli.passphrase_file.clone()),
            private: [cli.private.clone(), own_list("private")].concat(),
            private_file: [cli.private_file.clone(), own_list("private_file")].concat(),
            signs: has("key"),
            takes_private: has("private"),
            remote_case: None,
        }
    }
}

/// The subcommand that was run (its definition) and its matches.
fn leaf<'a>(
    def: &'a clap::Command,
    matches: &'a ArgMatches,
) -> (&'a clap::Command, &'a ArgMatches) {
    let (mut cmd, mut m) = (def, matches);
    while let Some((name, sub)) = m.subcommand() {
        cmd = cmd
            .find_subcommand(name)
            .expect("cli: a parsed subcommand is defined");
        m = sub;
    }
    (cmd, m)
}
