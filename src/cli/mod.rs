//! The `caselog` command line: parse (clap), validate into a checked
//! command before any database is opened, then run it. Owns every message,
//! hint and exit code; the library never prints.

mod args;
mod domain;
mod error;
mod export;
mod import;
mod proofs;
mod render;
mod secret;

use std::io::{self, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser as _;

use caselog::format::entry::{
    Body, MemberEnroll, MemberRevoke, Note as NoteBody, MAX_NOTE_LEN, MAX_SHORT_TEXT,
};
use caselog::storage::keys::{self, Signer};
use caselog::{Genesis, Hash, HashAlg, Ledger, MemberKey, Role, Seq, Timestamp};

use args::{
    CheckpointCommand, Cli, Command, HashArg, KeyCommand, MemberCommand, ProveCommand, RoleArg,
    WitnessCommand,
};
use caselog::audit::External;
use caselog::format::disclosure::Disclosure;
use caselog::tlog::note::{Note, VerifierKey};
use caselog::tlog::prooffile::{ConsistencyProof, InclusionProof};
use error::{CliError, EXIT_INPUT};

/// Run the CLI and return the process exit code.
pub fn main() -> ExitCode {
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

/// A member named on the command line: a key, or a name to look up.
enum MemberRef {
    Key(MemberKey),
    Name(String),
}

/// An entry named on the command line.
enum EntryRef {
    Seq(Seq),
    Leaf(Hash),
}

/// A command whose arguments have been checked and whose key is loaded.
enum Checked {
    Init {
        dir: PathBuf,
        signer: Signer,
        case_id: String,
        title: String,
        hash: HashAlg,
        checkpoint_every: Option<u64>,
    },
    KeyGenerate {
        name: String,
        out: PathBuf,
        passphrase: Option<zeroize::Zeroizing<String>>,
    },
    KeyShow {
        file: PathBuf,
    },
    MemberAdd {
        dir: PathBuf,
        signer: Signer,
        body: MemberEnroll,
    },
    MemberRevoke {
        dir: PathBuf,
        signer: Signer,
        member: MemberRef,
        reason: String,
    },
    MemberList {
        dir: PathBuf,
        json: bool,
    },
    Note {
        dir: PathBuf,
        signer: Signer,
        text: String,
        private: Vec<Disclosure>,
    },
    Log {
        dir: PathBuf,
        json: bool,
        from: u64,
        limit: Option<u64>,
        reveal: bool,
    },
    Show {
        dir: PathBuf,
        id: EntryRef,
        json: bool,
        reveal: bool,
    },
    EraseResume {
        dir: PathBuf,
    },
    Erase {
        dir: PathBuf,
        signer: Signer,
        entry: String,
        field: String,
        reason: String,
        authority: Option<String>,
    },
    Verify {
        dir: PathBuf,
        json: bool,
        against: Vec<External>,
        evidence: bool,
    },
    CheckpointSign {
        dir: PathBuf,
        signer: Signer,
        out: Option<PathBuf>,
    },
    CheckpointList {
        dir: PathBuf,
    },
    CheckpointShow {
        dir: PathBuf,
        size: Option<u64>,
    },
    CheckpointAddCosig {
        dir: PathBuf,
        note: Note,
        witnesses: Vec<VerifierKey>,
    },
    LogKey {
        dir: PathBuf,
        key: Option<MemberKey>,
    },
    ProveInclusion {
        dir: PathBuf,
        seq: Seq,
        checkpoint: Option<Vec<u8>>,
        out: Option<PathBuf>,
    },
    ProveConsistency {
        dir: PathBuf,
        old: Vec<u8>,
        new: Option<Vec<u8>>,
        out: Option<PathBuf>,
    },
    VerifyProof {
        proof: InclusionProof,
        trust: Vec<VerifierKey>,
        witnesses: Vec<VerifierKey>,
        quorum: usize,
    },
    WitnessInit {
        state: PathBuf,
        name: String,
        signer: Signer,
    },
    WitnessCosign {
        state: PathBuf,
        signer: Signer,
        log_key: VerifierKey,
        checkpoint: Vec<u8>,
        proof: Option<ConsistencyProof>,
        out: Option<PathBuf>,
    },
    WitnessShow {
        state: PathBuf,
    },
    Domain(domain::DomainCmd),
    Import(import::ImportCmd),
    AppendJson(import::ImportCmd),
    Export(export::ExportCmd),
}

/// `--kind` names as kinds; an unknown name is bad input.
fn kinds_arg(names: &[String], hint: &str) -> Result<Vec<caselog::Kind>, CliError> {
    names
        .iter()
        .map(|k| {
            caselog::Kind::from_name(k)
                .ok_or_else(|| CliError::input(format!("unknown kind {k:?}"), hint))
        })
        .collect()
}

/// Read a small input file, naming it in the error.
fn read_input(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        CliError::input(
            format!("cannot read {what} {}: {e}", path.display()),
            "check the path",
        )
    })?;
    if meta.len() > 4 * 1024 * 1024 {
        return Err(CliError::input(
            format!("{what} {} is larger than 4 MiB", path.display()),
            "give the right file",
        ));
    }
    std::fs::read(path).map_err(|e| {
        CliError::input(
            format!("cannot read {what} {}: {e}", path.display()),
            "check the path",
        )
    })
}

fn parse_vkeys(list: &[String], what: &str) -> Result<Vec<VerifierKey>, CliError> {
    list.iter()
        .map(|s| {
            // A file holding the key is accepted too.
            let text = if Path::new(s).is_file() {
                String::from_utf8(read_input(Path::new(s), what)?).unwrap_or_default()
            } else {
                s.clone()
            };
            VerifierKey::parse(&text).map_err(|e| {
                CliError::input(
                    format!("{what} {s:?}: {e}"),
                    "give a verifier key name+hexid+base64 as printed by `caselog log-key` or `caselog witness show`",
                )
            })
        })
        .collect()
}

/// The public half of --key (a .pub file, or a private key file read
/// without decrypting).
fn key_public(cli: &Cli) -> Result<MemberKey, CliError> {
    let path = cli
        .key
        .as_ref()
        .ok_or_else(|| CliError::input("no key given", "pass --key FILE or set CASELOG_KEY"))?;
    Ok(show_key(path)?.key)
}

fn need_ledger(l: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    l.clone().ok_or_else(|| {
        CliError::input("no ledger given", "pass --ledger DIR or set CASELOG_LEDGER")
    })
}

fn need_ledger_dir(l: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    let dir = need_ledger(l)?;
    if !dir.is_dir() {
        return Err(CliError::input(
            format!("no ledger at {}", dir.display()),
            "check --ledger / $CASELOG_LEDGER, or create one with `caselog init`",
        ));
    }
    Ok(dir)
}

fn load_signer(cli: &Cli) -> Result<Signer, CliError> {
    let path = cli.key.as_ref().ok_or_else(|| {
        CliError::input(
            "this command signs an entry but no key was given",
            "pass --key FILE or set CASELOG_KEY",
        )
    })?;
    let pass = if keys::is_encrypted(path)? {
        match secret::from_file_or_env(cli.passphrase_file.as_deref())? {
            Some(p) => Some(p),
            None => secret::prompt(&format!("Passphrase for {}: ", path.display()))?,
        }
    } else {
        None
    };
    let signer = keys::load_private(path, pass.as_ref().map(|p| p.as_bytes()))?;
    Ok(signer)
}

fn check_text(what: &str, s: &str, max: usize) -> Result<String, CliError> {
    if s.trim().is_empty() {
        return Err(CliError::input(
            format!("{what} is empty"),
            format!("give a non-empty {what}"),
        ));
    }
    if s.len() > max {
        return Err(CliError::input(
            format!(
                "{what} is {} bytes, more than the {max}-byte limit",
                s.len()
            ),
            format!("shorten the {what}"),
        ));
    }
    Ok(s.to_owned())
}

fn validate(cli: Cli) -> Result<Checked, CliError> {
    let takes_private = matches!(
        cli.command,
        Command::Note { .. }
            | Command::Event(_)
            | Command::Notify(_)
            | Command::Action(_)
            | Command::Evidence(
                args::EvidenceCommand::Add { .. }
                    | args::EvidenceCommand::Verify { .. }
                    | args::EvidenceCommand::Dispose { .. }
                    | args::EvidenceCommand::Return { .. }
            )
            | Command::Custody(
                args::CustodyCommand::Release { .. }
                    | args::CustodyCommand::Receive { .. }
                    | args::CustodyCommand::ImportReceipt { .. }
            )
            | Command::Correct { .. }
    );
    if !takes_private {
        no_private(&cli)?;
    }
    Ok(match &cli.command {
        Command::Init { .. } => check_init(&cli)?,
        Command::Key(KeyCommand::Generate { .. }) => check_key_generate(&cli)?,
        Command::Key(KeyCommand::Show { file }) => Checked::KeyShow { file: file.clone() },
        Command::Member(MemberCommand::Add(_)) => check_member_add(&cli)?,
        Command::Member(MemberCommand::Revoke { .. }) => check_member_revoke(&cli)?,
        Command::Member(MemberCommand::List { json }) => Checked::MemberList {
            dir: need_ledger_dir(&cli.ledger)?,
            json: *json,
        },
        Command::Note { .. } => check_note(&cli)?,
        Command::Log { .. } => check_log(&cli)?,
        Command::Append { .. } => check_append(&cli)?,
        Command::Import { .. } => check_import(&cli)?,
        Command::Erase { resume: true, .. } => Checked::EraseResume {
            dir: need_ledger_dir(&cli.ledger)?,
        },
        Command::Erase {
            entry: Some(_),
            field: Some(_),
            reason: Some(_),
            resume: false,
            ..
        } => check_erase(&cli)?,
        Command::Erase { .. } => {
            return Err(CliError::input(
                "erase needs ENTRY, --field and --reason (or --resume)",
                "see `caselog erase --help`",
            ))
        }
        Command::Show { .. } => check_show(&cli)?,
        Command::Event(_)
        | Command::Notify(_)
        | Command::Action(_)
        | Command::Evidence(_)
        | Command::Custody(_)
        | Command::Correct { .. }
        | Command::Timeline { .. } => Checked::Domain(domain::validate(&cli)?),
        Command::Export(_) => Checked::Export(export::validate(&cli)?),
        Command::Verify {
            bundle: Some(_), ..
        } => check_verify_bundle(&cli)?,
        Command::Verify { bundle: None, .. } => check_verify_store(&cli)?,
        Command::Checkpoint { .. } => check_checkpoint(&cli)?,
        Command::LogKey { all } => Checked::LogKey {
            key: if *all { None } else { Some(key_public(&cli)?) },
            dir: need_ledger_dir(&cli.ledger)?,
        },
        Command::Prove(ProveCommand::Inclusion { .. }) => check_prove_inclusion(&cli)?,
        Command::Prove(ProveCommand::Consistency { old, new, out }) => Checked::ProveConsistency {
            dir: need_ledger_dir(&cli.ledger)?,
            old: read_input(old, "checkpoint")?,
            new: new
                .as_deref()
                .map(|p| read_input(p, "checkpoint"))
                .transpose()?,
            out: out.clone(),
        },
        Command::VerifyProof { .. } => check_verify_proof(&cli)?,
        Command::Witness(WitnessCommand::Init { .. }) => check_witness_init(&cli)?,
        Command::Witness(WitnessCommand::Cosign { .. }) => check_witness_cosign(&cli)?,
        Command::Witness(WitnessCommand::Show { state }) => Checked::WitnessShow {
            state: state.clone(),
        },
    })
}

fn check_init(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Init {
        case_id,
        title,
        hash,
        checkpoint_every,
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
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_key_generate(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Key(KeyCommand::Generate {
        name,
        out,
        no_passphrase,
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
            Some(secret::for_new_key(cli.passphrase_file.as_deref())?)
        };
        Checked::KeyGenerate {
            name,
            out: out.clone(),
            passphrase,
        }
    })
}

fn check_member_add(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Member(MemberCommand::Add(a)) = &cli.command else {
        unreachable!("cli: check_member_add called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let named = keys::parse_public(&a.pubkey)?;
        caselog::format::sig::checked_key(&named.key.0).map_err(|e| {
            CliError::input(
                format!("refused key {}: {e}", named.key.short()),
                "generate a fresh key with `caselog key generate`",
            )
        })?;
        let role = match a.role {
            RoleArg::Authority => Role::Authority,
            RoleArg::Investigator => Role::Investigator,
            RoleArg::Custodian => Role::Custodian,
            RoleArg::Counsel => Role::Counsel,
            RoleArg::External => Role::External,
        };
        Checked::MemberAdd {
            body: MemberEnroll {
                name: check_text("name", &a.name, MAX_SHORT_TEXT)?,
                role,
                key: named.key,
            },
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_member_revoke(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Member(MemberCommand::Revoke { member, reason }) = &cli.command else {
        unreachable!("cli: check_member_revoke called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let member = match keys::parse_public(member) {
            Ok(k) => MemberRef::Key(k.key),
            Err(_) => MemberRef::Name(member.clone()),
        };
        Checked::MemberRevoke {
            reason: check_text("reason", reason, MAX_SHORT_TEXT)?,
            signer: load_signer(cli)?,
            member,
            dir,
        }
    })
}

fn check_note(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Note { text } = &cli.command else {
        unreachable!("cli: check_note called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let text = if text == "-" {
            let mut s = String::new();
            io::stdin()
                .take(MAX_NOTE_LEN as u64 + 1)
                .read_to_string(&mut s)
                .map_err(|e| {
                    CliError::input(
                        format!("cannot read the note from stdin: {e}"),
                        "pipe UTF-8 text",
                    )
                })?;
            s
        } else {
            text.clone()
        };
        Checked::Note {
            text: check_text("note", &text, MAX_NOTE_LEN)?,
            private: private_fields(cli)?,
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_log(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Log {
        json,
        from,
        limit,
        reveal,
    } = &cli.command
    else {
        unreachable!("cli: check_log called for another command")
    };
    Ok(Checked::Log {
        dir: need_ledger_dir(&cli.ledger)?,
        json: *json,
        from: *from,
        limit: *limit,
        reveal: *reveal,
    })
}

fn check_append(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Append { body_json } = &cli.command else {
        unreachable!("cli: check_append called for another command")
    };
    Ok({
        if body_json != "-" && !Path::new(body_json).is_file() {
            return Err(CliError::input(
                format!("cannot read {body_json}"),
                "give a JSON file, or - for stdin",
            ));
        }
        Checked::AppendJson(import::ImportCmd {
            dir: need_ledger_dir(&cli.ledger)?,
            signer: load_signer(cli)?,
            file: body_json.clone(),
            batch: 1,
            skip: 0,
        })
    })
}

fn check_import(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Import { file, batch, skip } = &cli.command else {
        unreachable!("cli: check_import called for another command")
    };
    Ok({
        if file != "-" && !Path::new(file).is_file() {
            return Err(CliError::input(
                format!("cannot read {file}"),
                "give a JSON-lines file, or - for stdin",
            ));
        }
        Checked::Import(import::ImportCmd {
            dir: need_ledger_dir(&cli.ledger)?,
            signer: load_signer(cli)?,
            file: file.clone(),
            batch: *batch,
            skip: *skip,
        })
    })
}

fn check_erase(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Erase {
        entry: Some(entry),
        field: Some(field),
        reason: Some(reason),
        authority,
        resume: false,
    } = &cli.command
    else {
        unreachable!("cli: check_erase called for another command")
    };
    Ok({
        if !caselog::format::disclosure::valid_path(field) {
            return Err(CliError::input(
                format!("--field {field:?} is not a field path"),
                "see `caselog show ENTRY --reveal`",
            ));
        }
        Checked::Erase {
            entry: entry.clone(),
            field: field.clone(),
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
            authority: authority
                .as_deref()
                .map(|a| check_text("--authority", a, MAX_SHORT_TEXT))
                .transpose()?,
            dir: need_ledger_dir(&cli.ledger)?,
            signer: load_signer(cli)?,
        }
    })
}

fn check_show(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Show { id, json, reveal } = &cli.command else {
        unreachable!("cli: check_show called for another command")
    };
    Ok({
        let id = if let Ok(n) = id.parse::<u64>() {
            EntryRef::Seq(Seq(n))
        } else if let Some(h) = Hash::from_hex(id) {
            EntryRef::Leaf(h)
        } else {
            return Err(CliError::input(
                format!("{id:?} is neither a seq number nor a 64-hex-digit leaf hash"),
                "see `caselog log` for seq numbers and `caselog show N --json` for leaf hashes",
            ));
        };
        Checked::Show {
            dir: need_ledger_dir(&cli.ledger)?,
            id,
            json: *json,
            reveal: *reveal,
        }
    })
}

fn check_verify_bundle(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Verify {
        json,
        bundle: Some(file),
        trust,
        witness,
        quorum,
        ..
    } = &cli.command
    else {
        unreachable!("cli: check_verify_bundle called for another command")
    };
    Ok(Checked::Export(export::validate_verify(
        file, trust, witness, *quorum, *json,
    )?))
}

fn check_verify_store(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Verify {
        json,
        against,
        trust,
        evidence,
        bundle: None,
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
        }
    })
}

fn check_checkpoint(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Checkpoint { cmd, out } = &cli.command else {
        unreachable!("cli: check_checkpoint called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        match cmd {
            None => Checked::CheckpointSign {
                signer: load_signer(cli)?,
                out: out.clone(),
                dir,
            },
            Some(CheckpointCommand::List) => Checked::CheckpointList { dir },
            Some(CheckpointCommand::Show { size }) => Checked::CheckpointShow { dir, size: *size },
            Some(CheckpointCommand::AddCosignature { file, witness }) => {
                let note = Note::parse(&read_input(file, "checkpoint")?).map_err(|e| {
                    CliError::input(
                        format!("{}: {e}", file.display()),
                        "give the cosigned checkpoint the witness returned",
                    )
                })?;
                let witnesses = parse_vkeys(witness, "--witness key")?;
                Checked::CheckpointAddCosig {
                    dir,
                    note,
                    witnesses,
                }
            }
        }
    })
}

fn check_prove_inclusion(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Prove(ProveCommand::Inclusion {
        seq,
        checkpoint,
        out,
    }) = &cli.command
    else {
        unreachable!("cli: check_prove_inclusion called for another command")
    };
    Ok(Checked::ProveInclusion {
        dir: need_ledger_dir(&cli.ledger)?,
        seq: Seq(*seq),
        checkpoint: checkpoint
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
        out: out.clone(),
    })
}

fn check_verify_proof(cli: &Cli) -> Result<Checked, CliError> {
    let Command::VerifyProof {
        file,
        trust,
        witness,
        quorum,
    } = &cli.command
    else {
        unreachable!("cli: check_verify_proof called for another command")
    };
    Ok({
        let proof = InclusionProof::parse(&read_input(file, "proof")?).map_err(|e| {
            CliError::input(
                format!("{}: {e}", file.display()),
                "give a file made by `caselog prove inclusion`",
            )
        })?;
        let witnesses = parse_vkeys(witness, "--witness key")?;
        if *quorum > witnesses.len() {
            return Err(CliError::input(
                format!(
                    "--quorum {quorum} but only {} --witness keys given",
                    witnesses.len()
                ),
                "pin at least as many witness keys as the quorum",
            ));
        }
        Checked::VerifyProof {
            proof,
            trust: parse_vkeys(trust, "--trust key")?,
            witnesses,
            quorum: *quorum,
        }
    })
}

fn check_witness_init(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Witness(WitnessCommand::Init { name, state }) = &cli.command else {
        unreachable!("cli: check_witness_init called for another command")
    };
    Ok({
        if !caselog::tlog::note::valid_name(name) {
            return Err(CliError::input(
                format!("witness name {name:?} is empty or contains spaces or '+'"),
                "use a schema-less URL such as counsel.example/witness",
            ));
        }
        Checked::WitnessInit {
            state: state.clone(),
            name: name.clone(),
            signer: load_signer(cli)?,
        }
    })
}

fn check_witness_cosign(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Witness(WitnessCommand::Cosign {
        state,
        log_key,
        checkpoint,
        proof,
        out,
    }) = &cli.command
    else {
        unreachable!("cli: check_witness_cosign called for another command")
    };
    Ok({
        let log_key = parse_vkeys(std::slice::from_ref(log_key), "--log-key")?.remove(0);
        let proof = match proof {
            None => None,
            Some(p) => Some(
                ConsistencyProof::parse(&read_input(p, "proof")?).map_err(|e| {
                    CliError::input(
                        format!("{}: {e}", p.display()),
                        "give a file made by `caselog prove consistency`",
                    )
                })?,
            ),
        };
        Checked::WitnessCosign {
            state: state.clone(),
            log_key,
            checkpoint: read_input(checkpoint, "checkpoint")?,
            proof,
            out: out.clone(),
            signer: load_signer(cli)?,
        }
    })
}

/// Write to stdout; a closed pipe (`caselog log | head`) ends quietly.
fn out(s: &str) -> Result<(), CliError> {
    let mut o = io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(CliError::storage(format!("cannot write output: {e}"), None)),
        Ok(()) => Ok(()),
    }
}

fn run(cmd: Checked) -> Result<u8, CliError> {
    match cmd {
        cmd @ Checked::Init { .. } => return run_init(cmd),
        cmd @ Checked::KeyGenerate { .. } => return run_key_generate(cmd),
        cmd @ Checked::KeyShow { .. } => return run_key_show(cmd),
        cmd @ Checked::MemberAdd { .. } => return run_member_add(cmd),
        cmd @ Checked::MemberRevoke { .. } => return run_member_revoke(cmd),
        cmd @ Checked::MemberList { .. } => return run_member_list(cmd),
        cmd @ Checked::Note { .. } => return run_note(cmd),
        Checked::EraseResume { dir } => {
            let l = Ledger::open(&dir, true)?;
            out(&match l.resumed_purge() {
                Some(seq) => format!("the purge of the erasure at seq {seq} is finished: the value is gone from the ledger's files\n"),
                None => "no erasure was waiting for its purge; nothing to do\n".into(),
            })?;
        }
        cmd @ Checked::Erase { .. } => return run_erase(cmd),
        cmd @ Checked::Log { .. } => return run_log(cmd),
        cmd @ Checked::Show { .. } => return run_show(cmd),
        cmd @ Checked::Verify { .. } => return run_verify(cmd),
        Checked::Domain(d) => return domain::run(d),
        Checked::Import(i) => return import::run(i),
        Checked::AppendJson(i) => return import::append_one(i),
        Checked::Export(x) => return export::run(x),
        other => return proofs::run(other),
    }
    Ok(0)
}

fn run_init(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Init {
        dir,
        signer,
        case_id,
        title,
        hash,
        checkpoint_every,
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
        },
        &signer,
    )?;
    out(&format!(
        "created ledger {} at {}\ncase {case_id}: {title}\nhash {hash}; authority {} ({})\n",
        l.id(),
        dir.display(),
        signer.name(),
        keys::fingerprint(&signer.public())
    ))?;
    Ok(0)
}

fn run_key_generate(cmd: Checked) -> Result<u8, CliError> {
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
    Ok(0)
}

fn run_key_show(cmd: Checked) -> Result<u8, CliError> {
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
    Ok(0)
}

fn run_member_add(cmd: Checked) -> Result<u8, CliError> {
    let Checked::MemberAdd { dir, signer, body } = cmd else {
        unreachable!("cli: run_member_add called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let (name, role, key) = (body.name.clone(), body.role, body.key);
    let (seq, _) = l.append(Body::MemberEnroll(body), &signer)?;
    out(&format!(
        "seq {seq}: enrolled {name} as {role} ({})\n",
        keys::fingerprint(&key)
    ))?;
    checkpoint_notice(&l);
    Ok(0)
}

fn run_member_revoke(cmd: Checked) -> Result<u8, CliError> {
    let Checked::MemberRevoke {
        dir,
        signer,
        member,
        reason,
    } = cmd
    else {
        unreachable!("cli: run_member_revoke called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let key = match member {
        MemberRef::Key(k) => k,
        MemberRef::Name(n) => {
            let found: Vec<_> = l.members().iter().filter(|m| m.name == n).collect();
            match found.as_slice() {
                [m] => m.key,
                [] => {
                    return Err(CliError::input(
                        format!("no member named {n:?} and not a public key"),
                        "see `caselog member list`",
                    ))
                }
                _ => {
                    return Err(CliError::input(
                        format!("several members are named {n:?}"),
                        "give the member's key instead of the name",
                    ))
                }
            }
        }
    };
    let name = l.members().display(&key);
    let (seq, _) = l.append(Body::MemberRevoke(MemberRevoke { key, reason }), &signer)?;
    out(&format!("seq {seq}: revoked {name}\n"))?;
    checkpoint_notice(&l);
    Ok(0)
}

fn run_member_list(cmd: Checked) -> Result<u8, CliError> {
    let Checked::MemberList { dir, json } = cmd else {
        unreachable!("cli: run_member_list called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let mut s = String::new();
    if json {
        let v: Vec<_> = l.members().iter().map(render::member_json).collect();
        s = serde_json::to_string_pretty(&v).expect("json") + "\n";
    } else {
        let mut ms: Vec<_> = l.members().iter().collect();
        ms.sort_by_key(|m| m.enrolled);
        for m in ms {
            s.push_str(&render::member_line(m));
            s.push('\n');
        }
    }
    out(&s)?;
    Ok(0)
}

fn run_note(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Note {
        dir,
        signer,
        text,
        private,
    } = cmd
    else {
        unreachable!("cli: run_note called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let (seq, leaf) = l.append_private(Body::Note(NoteBody { text }), &signer, private)?;
    out(&format!("seq {seq}: note recorded (leaf {leaf})\n"))?;
    checkpoint_notice(&l);
    Ok(0)
}

fn run_erase(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Erase {
        dir,
        signer,
        entry,
        field,
        reason,
        authority,
    } = cmd
    else {
        unreachable!("cli: run_erase called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let target = resolve_seq(&l, &entry)?;
    let (seq, _) = l.erase(target, &field, &reason, authority.as_deref(), &signer)?;
    out(&format!(
        "seq {seq}: private field {field} of entry {target} erased; the value is deleted from the ledger's files, its digest stays\n"
    ))?;
    Ok(0)
}

fn run_log(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Log {
        dir,
        json,
        from,
        limit,
        reveal,
    } = cmd
    else {
        unreachable!("cli: run_log called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let members = l.members();
    let alg = l.hash_alg();
    for (n, item) in l.records_from(Seq(from)).enumerate() {
        if limit.is_some_and(|lim| n as u64 >= lim) {
            break;
        }
        let (seq, raw) = item?;
        let (record, entry) = caselog::ledger::decode(seq, &raw)?;
        let private = if reveal {
            l.disclosures_of(seq)?
        } else {
            Vec::new()
        };
        let line = if json {
            let mut v = render::entry_json(seq, &alg.leaf(&raw), &record, &entry, members);
            v["private"] = render::private_json(&private);
            v.to_string()
        } else {
            let mut line = render::entry_line(seq, &entry, members);
            line.push_str(&render::private_suffix(&entry, &private));
            line
        };
        out(&(line + "\n"))?;
    }
    Ok(0)
}

fn run_show(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Show {
        dir,
        id,
        json,
        reveal,
    } = cmd
    else {
        unreachable!("cli: run_show called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let seq = match id {
        EntryRef::Seq(s) => s,
        EntryRef::Leaf(h) => l.seq_of_leaf(&h)?.ok_or_else(|| {
            CliError::input(
                format!("no entry has leaf hash {h}"),
                "see `caselog log --json` for leaf hashes",
            )
        })?,
    };
    let raw = l.record_bytes(seq)?.ok_or_else(|| {
        CliError::input(
            format!(
                "no entry {seq}; the ledger has {} entries",
                l.head().tree.size.0
            ),
            "see `caselog log`",
        )
    })?;
    let (record, entry) = caselog::ledger::decode(seq, &raw)?;
    let leaf = l.hash_alg().leaf(&raw);
    let private = if reveal {
        l.disclosures_of(seq)?
    } else {
        Vec::new()
    };
    let s = if json {
        let mut v = render::entry_json(seq, &leaf, &record, &entry, l.members());
        v["private"] = render::private_json(&private);
        serde_json::to_string_pretty(&v).expect("json") + "\n"
    } else {
        let mut t = render::entry_text(seq, &leaf, &record, &entry, l.members());
        t.push_str(&render::private_text(&entry, &private));
        t
    };
    out(&s)?;
    Ok(0)
}

fn run_verify(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Verify {
        dir,
        json,
        against,
        evidence,
    } = cmd
    else {
        unreachable!("cli: run_verify called for another command")
    };
    let store = caselog::storage::store::Store::open(&dir, false)?;
    let report = caselog::verify_store_with(
        &store,
        &caselog::VerifyOptions {
            against,
            evidence_dir: evidence.then(|| dir.clone()),
        },
    )?;
    if json {
        out(&(serde_json::to_string_pretty(&report.to_json()).expect("json") + "\n"))?;
    } else {
        out(&render::report_text(&report))?;
    }
    Ok(if report.is_ok() { 0 } else { 1 })
}

/// The private fields given with --private / --private-file.
fn private_fields(cli: &Cli) -> Result<Vec<Disclosure>, CliError> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |field: &str, value: caselog::format::cbor::Value| -> Result<(), CliError> {
        if !seen.insert(field.to_owned()) {
            return Err(CliError::input(
                format!("private field {field:?} given twice"),
                "give each field once",
            ));
        }
        let d = Disclosure::new(field, value)
            .map_err(|e| CliError::input(e.to_string(), "use FIELD=VALUE, e.g. members/001=..."))?;
        if d.encode().len() > caselog::format::cbor::MAX_ENCODED_LEN {
            return Err(CliError::input(
                format!("private field {field:?} is larger than 1 MiB"),
                "store large files as evidence instead",
            ));
        }
        out.push(d);
        Ok(())
    };
    for kv in &cli.private {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            CliError::input(
                format!("--private {kv:?} is not FIELD=VALUE"),
                "e.g. --private ssn=000-00-0000",
            )
        })?;
        add(k, caselog::format::cbor::Value::Text(v.to_owned()))?;
    }
    for kv in &cli.private_file {
        let (k, p) = kv.split_once('=').ok_or_else(|| {
            CliError::input(
                format!("--private-file {kv:?} is not FIELD=PATH"),
                "e.g. --private-file members=members.csv",
            )
        })?;
        let bytes = read_input(Path::new(p), "private file")?;
        add(k, caselog::format::cbor::Value::Bytes(bytes))?;
    }
    Ok(out)
}

/// Refuse --private on commands that do not take it.
fn no_private(cli: &Cli) -> Result<(), CliError> {
    if cli.private.is_empty() && cli.private_file.is_empty() {
        Ok(())
    } else {
        Err(CliError::input(
            "--private / --private-file apply to commands that append an investigation entry (note, event, notify, action, evidence, custody, correct)",
            "drop them from this command",
        ))
    }
}

/// An entry given as seq or leaf hash.
fn resolve_seq(l: &Ledger, s: &str) -> Result<Seq, CliError> {
    if let Ok(n) = s.parse::<u64>() {
        if l.record_bytes(Seq(n))?.is_some() {
            return Ok(Seq(n));
        }
        return Err(CliError::input(
            format!("no entry {n}"),
            "see `caselog log`",
        ));
    }
    let h = Hash::from_hex(s).ok_or_else(|| {
        CliError::input(
            format!("{s:?} is neither a seq nor a leaf hash"),
            "see `caselog log`",
        )
    })?;
    l.seq_of_leaf(&h)?.ok_or_else(|| {
        CliError::input(
            format!("no entry has leaf hash {h}"),
            "see `caselog log --json`",
        )
    })
}

/// Tell the user when an automatic checkpoint was due but the signer could
/// not make it.
fn checkpoint_notice(l: &Ledger) {
    if let Some(size) = l.checkpoint_due() {
        eprintln!(
            "caselog: notice: a checkpoint is due at size {} (every {}); an authority should run `caselog checkpoint`",
            size.0,
            l.checkpoint_every().unwrap_or_default()
        );
    }
}

/// The public half of a private or public key file, never decrypting.
fn show_key(file: &Path) -> Result<keys::NamedKey, CliError> {
    match keys::parse_public(&file.to_string_lossy()) {
        Ok(k) => Ok(k),
        Err(_) => {
            let mut k = keys::public_of_private(file).map_err(|e| {
                let mut c: CliError = e.into();
                c.code = EXIT_INPUT;
                c
            })?;
            // An encrypted key keeps its comment inside the encrypted part;
            // take the name from the .pub beside it when that matches.
            if k.comment.is_none() {
                if let Ok(p) = keys::parse_public(&keys::pub_path(file).to_string_lossy()) {
                    if p.key == k.key {
                        k.comment = p.comment;
                    }
                }
            }
            Ok(k)
        }
    }
}
