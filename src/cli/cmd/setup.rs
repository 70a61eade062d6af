//! `init` (a new ledger) and `key generate` / `key show`.

use crate::cli::args::HashArg;
use crate::cli::args::InitArgs;
use crate::cli::args::KeyCommand;
use crate::cli::args::KeyGenerateArgs;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::load_signer;
use crate::cli::input::need_ledger;
use crate::cli::input::show_key;
use crate::cli::output::out;
use crate::cli::secret;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::storage::keys;
use caselog::storage::keys::Signer;
use caselog::Genesis;
use caselog::HashAlg;
use caselog::Ledger;
use caselog::Timestamp;
use std::path::PathBuf;

pub(crate) fn check_init(a: &InitArgs, g: &Globals) -> Result<Checked, CliError> {
    let InitArgs {
        case_id,
        title,
        hash,
        checkpoint_every,
        case_zone,
        ..
    } = a;
    Ok({
        let dir = need_ledger(&g.ledger)?;
        if dir.exists()
            && std::fs::read_dir(&dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true)
        {
            return Err(CliError::input(
                format!("{} already exists and is not empty", dir.display()),
                "choose a new --ledger directory",
            ));
        }
        Box::new(InitCmd {
            case_id: check_text("case id", case_id, MAX_SHORT_TEXT)?,
            title: check_text("title", title, MAX_SHORT_TEXT)?,
            hash: match hash {
                HashArg::Blake3 => HashAlg::Blake3,
                HashArg::Sha256 => HashAlg::Sha256,
            },
            checkpoint_every: *checkpoint_every,
            zone: crate::cli::input::zone(&crate::cli::args::ZoneArg {
                zone: case_zone.clone(),
            })?,
            signer: load_signer(g)?,
            dir,
        })
    })
}

/// `key generate` and `key show`.
pub(crate) fn check_key(c: &KeyCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        KeyCommand::Generate(a) => check_key_generate(a, g),
        KeyCommand::Show(a) => Ok(Box::new(KeyShowCmd {
            file: a.file.clone(),
        })),
    }
}

fn check_key_generate(a: &KeyGenerateArgs, g: &Globals) -> Result<Checked, CliError> {
    let KeyGenerateArgs {
        name,
        out,
        no_passphrase,
        passphrase_file,
    } = a;
    Ok({
        let name = check_text("name", name, MAX_SHORT_TEXT)?;
        for p in [out.clone(), keys::pub_path(out)] {
            if p.exists() {
                return Err(CliError::input(
                    format!(
                        "{} already exists; refusing to overwrite a key",
                        p.display()
                    ),
                    "choose another --out path or move the old key away",
                ));
            }
        }
        let passphrase = if *no_passphrase {
            eprintln!("caselog: warning: writing an UNENCRYPTED private key; anyone who reads {} can sign as {name}", out.display());
            None
        } else {
            Some(secret::for_new_key(
                passphrase_file.as_deref().or(g.passphrase_file.as_deref()),
            )?)
        };
        Box::new(KeyGenerateCmd {
            name,
            out: out.clone(),
            passphrase,
        })
    })
}

/// `init`, checked.
pub(crate) struct InitCmd {
    pub(crate) dir: PathBuf,
    pub(crate) signer: Signer,
    pub(crate) case_id: String,
    pub(crate) title: String,
    pub(crate) hash: HashAlg,
    pub(crate) checkpoint_every: Option<u64>,
    pub(crate) zone: Option<String>,
}

impl Run for InitCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_init(*self)
    }
}

pub(crate) fn run_init(cmd: InitCmd) -> Result<u8, CliError> {
    let InitCmd {
        dir,
        signer,
        case_id,
        title,
        hash,
        checkpoint_every,
        zone,
    } = cmd;
    let l = Ledger::init(
        &dir,
        Genesis {
            case_id: &case_id,
            title: &title,
            hash,
            time: Timestamp::now(),
            ledger_id: None,
            checkpoint_every,
            zone: zone.as_deref(),
        },
        &signer,
    )?;
    out(&format!(
        "created ledger {} at {}\ncase {case_id}: {title}{}\nhash {hash}; authority {} ({})\n",
        l.id(),
        dir.display(),
        zone.as_deref()
            .map(|z| format!(" (case time zone {z})"))
            .unwrap_or_default(),
        signer.name(),
        keys::fingerprint(&signer.public())
    ))?;
    Ok(exit::OK)
}

/// `key generate`, checked.
pub(crate) struct KeyGenerateCmd {
    pub(crate) name: String,
    pub(crate) out: PathBuf,
    pub(crate) passphrase: Option<zeroize::Zeroizing<String>>,
}

impl Run for KeyGenerateCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_key_generate(*self)
    }
}

pub(crate) fn run_key_generate(cmd: KeyGenerateCmd) -> Result<u8, CliError> {
    let KeyGenerateCmd {
        name,
        out: path,
        passphrase,
    } = cmd;
    let signer = Signer::random(&name);
    let pub_path =
        keys::write_key_files(&signer, &path, passphrase.as_ref().map(|p| p.as_bytes()))?;
    out(&format!(
        "wrote {} (private, mode 0600{}) and {}\n{}\n{}\n",
        path.display(),
        if passphrase.is_some() {
            ", passphrase-encrypted"
        } else {
            ", NOT encrypted"
        },
        pub_path.display(),
        keys::openssh_public_line(&signer.public(), &name),
        keys::fingerprint(&signer.public()),
    ))?;
    Ok(exit::OK)
}

/// `key show FILE`, checked.
pub(crate) struct KeyShowCmd {
    pub(crate) file: PathBuf,
}

impl Run for KeyShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_key_show(*self)
    }
}

pub(crate) fn run_key_show(cmd: KeyShowCmd) -> Result<u8, CliError> {
    let KeyShowCmd { file } = cmd;
    let named = show_key(&file)?;
    out(&format!(
        "name         {}\npublic key   {}\nfingerprint  {}\nopenssh      {}\n",
        named.comment.as_deref().unwrap_or("(none)"),
        named.key,
        keys::fingerprint(&named.key),
        keys::openssh_public_line(&named.key, named.comment.as_deref().unwrap_or("")),
    ))?;
    Ok(exit::OK)
}
