//! The generic entry commands: `note`, `append --body-json`, `log`,
//! `show`, `erase` (and `erase --resume`).

use crate::cli::args::AppendArgs;
use crate::cli::args::EraseArgs;
use crate::cli::args::LogArgs;
use crate::cli::args::NoteArgs;
use crate::cli::args::ShowArgs;
use crate::cli::cmd::import;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::load_signer;
use crate::cli::input::private_fields;
use crate::cli::input::resolve_seq;
use crate::cli::input::target;
use crate::cli::input::EntryRef;
use crate::cli::output::checkpoint_notice;
use crate::cli::output::out;
use crate::cli::remote::Target;
use crate::cli::render;
use crate::cli::select::Wanted;
use caselog::export::select::Select;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::Note as NoteBody;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::storage::keys::Signer;
use caselog::Hash;
use caselog::Seq;
use std::io;
use std::io::Read as _;
use std::path::Path;

pub(crate) fn check_note(a: &NoteArgs, g: &Globals) -> Result<Checked, CliError> {
    let NoteArgs { text, .. } = a;
    Ok({
        let dir = target(g)?;
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
        Box::new(NoteCmd {
            text: check_text("note", &text, MAX_NOTE_LEN)?,
            private: private_fields(g)?,
            signer: load_signer(g)?,
            dir,
        })
    })
}

pub(crate) fn check_log(a: &LogArgs, g: &Globals) -> Result<Checked, CliError> {
    let LogArgs {
        json,
        from,
        limit,
        reveal,
        select,
    } = a;
    Ok(Box::new(LogCmd {
        wanted: Wanted::check(select, (&select.since, "since"), (&select.until, "until"))?,
        dir: target(g)?,
        json: *json,
        from: *from,
        limit: *limit,
        reveal: *reveal,
    }))
}

pub(crate) fn check_append(a: &AppendArgs, g: &Globals) -> Result<Checked, CliError> {
    let AppendArgs { body_json, .. } = a;
    Ok({
        if body_json != "-" && !Path::new(body_json).is_file() {
            return Err(CliError::input(
                format!("cannot read {body_json}"),
                "give a JSON file, or - for stdin",
            ));
        }
        Box::new(import::AppendOneCmd(import::ImportCmd {
            dir: target(g)?,
            signer: load_signer(g)?,
            file: body_json.clone(),
            batch: 1,
            skip: 0,
            again: false,
        }))
    })
}

pub(crate) fn check_show(a: &ShowArgs, g: &Globals) -> Result<Checked, CliError> {
    let ShowArgs {
        id, json, reveal, ..
    } = a;
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
        Box::new(ShowCmd {
            dir: target(g)?,
            id,
            json: *json,
            reveal: *reveal,
        })
    })
}

pub(crate) fn check_erase(a: &EraseArgs, g: &Globals) -> Result<Checked, CliError> {
    if a.resume {
        return Ok(Box::new(EraseResumeCmd { dir: target(g)? }));
    }
    let EraseArgs {
        entry: Some(entry),
        field: Some(field),
        reason: Some(reason),
        authority,
        ..
    } = a
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
        Box::new(EraseCmd {
            entry: entry.clone(),
            field: field.clone(),
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
            authority: authority
                .as_deref()
                .map(|a| check_text("--authority", a, MAX_SHORT_TEXT))
                .transpose()?,
            dir: target(g)?,
            signer: load_signer(g)?,
        })
    })
}

/// `note TEXT`, checked.
pub(crate) struct NoteCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) text: String,
    pub(crate) private: Vec<Disclosure>,
}

impl Run for NoteCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_note(*self)
    }
}

pub(crate) fn run_note(cmd: NoteCmd) -> Result<u8, CliError> {
    let NoteCmd {
        dir,
        signer,
        text,
        private,
    } = cmd;
    let mut l = dir.open(true)?;
    let (seq, leaf) = l.append_private(Body::Note(NoteBody { text }), &signer, private)?;
    out(&format!("seq {seq}: note recorded (leaf {leaf})\n"))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

/// `erase ENTRY --field F --reason R`, checked.
pub(crate) struct EraseCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) entry: String,
    pub(crate) field: String,
    pub(crate) reason: String,
    pub(crate) authority: Option<String>,
}

impl Run for EraseCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_erase(*self)
    }
}

pub(crate) fn run_erase(cmd: EraseCmd) -> Result<u8, CliError> {
    let EraseCmd {
        dir,
        signer,
        entry,
        field,
        reason,
        authority,
    } = cmd;
    let mut l = dir.open(true)?;
    let target = resolve_seq(&l, &entry)?;
    let (seq, _) = l.erase(target, &field, &reason, authority.as_deref(), &signer)?;
    out(&format!(
        "seq {seq}: private field {field} of entry {target} erased; the value is deleted from the ledger's files, its digest stays\n"
    ))?;
    Ok(exit::OK)
}

/// `log`, checked.
pub(crate) struct LogCmd {
    pub(crate) dir: Target,
    pub(crate) json: bool,
    pub(crate) from: u64,
    pub(crate) limit: Option<u64>,
    pub(crate) reveal: bool,
    pub(crate) wanted: Wanted,
}

impl Run for LogCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_log(*self)
    }
}

pub(crate) fn run_log(cmd: LogCmd) -> Result<u8, CliError> {
    let LogCmd {
        dir,
        json,
        from,
        limit,
        reveal,
        wanted,
    } = cmd;
    let l = dir.open(false)?;
    let select = wanted.resolve(&l)?;
    let members = l.members();
    let alg = l.hash_alg();
    // A terminal gets lines cut to fit; a pipe or a file every word.
    let cut = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let start = from.max(select.seqs.map_or(0, |r| r.0));
    let mut shown = 0u64;
    for item in l.records_from(Seq(start)) {
        if limit.is_some_and(|lim| shown >= lim) {
            break;
        }
        let (seq, raw) = item?;
        if select.seqs.is_some_and(|(_, last)| seq.0 > last) {
            break;
        }
        let (record, entry) = caselog::ledger::decode(seq, &raw)?;
        if !select.keeps_entry(seq, &entry, members) {
            continue;
        }
        shown += 1;
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
            let mut line = render::entry_line(seq, &entry, members, cut);
            line.push_str(&render::private_suffix(&entry, &private));
            line
        };
        out(&(line + "\n"))?;
    }
    if shown == 0 && select != Select::default() {
        eprintln!("caselog: no entries match");
    }
    Ok(exit::OK)
}

/// `show ID`, checked.
pub(crate) struct ShowCmd {
    pub(crate) dir: Target,
    pub(crate) id: EntryRef,
    pub(crate) json: bool,
    pub(crate) reveal: bool,
}

impl Run for ShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_show(*self)
    }
}

pub(crate) fn run_show(cmd: ShowCmd) -> Result<u8, CliError> {
    let ShowCmd {
        dir,
        id,
        json,
        reveal,
    } = cmd;
    let l = dir.open(false)?;
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

/// `erase --resume`, checked.
struct EraseResumeCmd {
    dir: Target,
}

impl Run for EraseResumeCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_erase_resume(&self.dir)
    }
}

/// `erase --resume`: opening the ledger writable finishes an interrupted
/// purge (SPEC §15); say which, if any.
fn run_erase_resume(dir: &Target) -> Result<u8, CliError> {
    let l = dir.open(true)?;
    out(&match l.resumed_purge() {
        Some(seq) => format!("the purge of the erasure at seq {seq} is finished: the value is gone from the ledger's files\n"),
        None => "no erasure was waiting for its purge; nothing to do\n".into(),
    })?;
    Ok(exit::OK)
}
