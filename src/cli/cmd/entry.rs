//! The generic entry commands: `note`, `append --body-json`, `log`,
//! `show`, `erase` (and `erase --resume`).

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::cmd::import;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::check_text;
use crate::cli::input::load_signer;
use crate::cli::input::need_ledger_dir;
use crate::cli::input::private_fields;
use crate::cli::input::resolve_seq;
use crate::cli::input::EntryRef;
use crate::cli::output::checkpoint_notice;
use crate::cli::output::out;
use crate::cli::render;
use caselog::format::entry::Body;
use caselog::format::entry::Note as NoteBody;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::Hash;
use caselog::Seq;
use std::io;
use std::io::Read as _;
use std::path::Path;

pub(crate) fn check_note(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Note { text, .. } = &cli.command else {
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

pub(crate) fn check_log(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Log {
        json,
        from,
        limit,
        reveal,
        ..
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

pub(crate) fn check_append(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Append { body_json, .. } = &cli.command else {
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

pub(crate) fn check_show(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Show {
        id, json, reveal, ..
    } = &cli.command
    else {
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

pub(crate) fn check_erase(cli: &Cli) -> Result<Checked, CliError> {
    if let Command::Erase { resume: true, .. } = &cli.command {
        return Ok(Checked::EraseResume {
            dir: need_ledger_dir(&cli.ledger)?,
        });
    }
    let Command::Erase {
        entry: Some(entry),
        field: Some(field),
        reason: Some(reason),
        authority,
        ..
    } = &cli.command
    else {
        return Err(CliError::input(
            "erase needs ENTRY, --field and --reason (or --resume)",
            "see `caselog erase --help`",
        ));
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

pub(crate) fn run_note(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Note {
        dir,
        signer,
        text,
        private,
    } = cmd
    else {
        unreachable!("cli: run_note called for another command")
    };
    let mut l = crate::cli::remote::open(&dir, true)?;
    let (seq, leaf) = l.append_private(Body::Note(NoteBody { text }), &signer, private)?;
    out(&format!("seq {seq}: note recorded (leaf {leaf})\n"))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

pub(crate) fn run_erase(cmd: Checked) -> Result<u8, CliError> {
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
    let mut l = crate::cli::remote::open(&dir, true)?;
    let target = resolve_seq(&l, &entry)?;
    let (seq, _) = l.erase(target, &field, &reason, authority.as_deref(), &signer)?;
    out(&format!(
        "seq {seq}: private field {field} of entry {target} erased; the value is deleted from the ledger's files, its digest stays\n"
    ))?;
    Ok(exit::OK)
}

pub(crate) fn run_log(cmd: Checked) -> Result<u8, CliError> {
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
    let l = crate::cli::remote::open(&dir, false)?;
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
    Ok(exit::OK)
}

pub(crate) fn run_show(cmd: Checked) -> Result<u8, CliError> {
    let Checked::Show {
        dir,
        id,
        json,
        reveal,
    } = cmd
    else {
        unreachable!("cli: run_show called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
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
    Ok(exit::OK)
}

/// `erase --resume`: opening the ledger writable finishes an interrupted
/// purge (SPEC §15); say which, if any.
pub(crate) fn run_erase_resume(dir: &std::path::Path) -> Result<u8, CliError> {
    let l = crate::cli::remote::open(dir, true)?;
    out(&match l.resumed_purge() {
        Some(seq) => format!("the purge of the erasure at seq {seq} is finished: the value is gone from the ledger's files\n"),
        None => "no erasure was waiting for its purge; nothing to do\n".into(),
    })?;
    Ok(exit::OK)
}
