//! `init` (a new ledger) and `key generate` / `key show`.

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::args::HashArg;
use crate::cli::args::KeyCommand;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
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

pub(crate) fn check_init(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Init {
        case_id,
        title,
        hash,
        checkpoint_every,
        case_zone,
        ..
    } = &cli.command
    else {
        unreachable!("cli: check_init called for another command")
    };
    Ok({
        let dir = need_ledger(&cli.ledger)?;
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
        Checked::Init {
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
            signer: load_signer(cli)?,
            dir,
        }
    })
}

pub(crate) fn check_key_generate(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Key(KeyCommand::Generate {
        name,
        out,
        no_passphrase,
        passphrase_file,
    }) = &cli.command
    else {
        unreachable!("cli: check_key_generate called for another command")
    };
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
                passphrase_file
                    .as_deref()
                    .or(cli.passphrase_file.as_deref()),
            )?)
        };
        Checked::KeyGenerate {
            name,
            out: out.clone(),
            passphrase,
        }
    })
}

pub(crate) fn run_init(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Init {
        dir,
        signer,
        case_id,
        title,
        hash,
        checkpoint_every,
        zone,
    } = cmd
    else {
        unreachable!("cli: run_init called for another command")
    };
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

pub(crate) fn run_key_generate(cmd: Checked) -> Result<u8, CliError> {
    let Checked::KeyGenerate {
        name,
        out: path,
        passphrase,
    } = cmd
    else {
        unreachable!("cli: run_key_generate called for another command")
    };
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

pub(crate) fn run_key_show(cmd: Checked) -> Result<u8, CliError> {
    let Checked::KeyShow { file } = cmd else {
        unreachable!("cli: run_key_show called for another command")
    };
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
