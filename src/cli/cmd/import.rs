//! `import FILE` (JSON lines, checked whole before the first write, then
//! appended in batches) and the one-entry `append --body-json`.

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::load_signer;
use crate::cli::input::need_ledger_dir;
use crate::cli::output::out;
use crate::cli::output::{checkpoint_notice, Progress};
use caselog::format::cbor::Value;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::Note;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::kind::Kind;
use caselog::format::kinds::Domain;
use caselog::Ledger;
use caselog::Seq;
use caselog::Signer;
use caselog::Timestamp;
use serde_json::Value as Json;
use std::io::Read as _;
use std::path::Path;
use std::path::PathBuf;

pub(crate) fn check_import(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Import {
        file, batch, skip, ..
    } = &cli.command
    else {
        unreachable!("cli: check_import called for another command")
    };
    Ok({
        if file != "-" && !Path::new(file).is_file() {
            return Err(CliError::input(
                format!("cannot read {file}"),
                "give a JSON-lines file, or - for stdin",
            ));
        }
        Checked::Import(ImportCmd {
            dir: need_ledger_dir(&cli.ledger)?,
            signer: load_signer(cli)?,
            file: file.clone(),
            batch: *batch,
            skip: *skip,
        })
    })
}

/// Kinds an import may carry (membership and custody stay interactive).
pub(crate) const IMPORTABLE: [Kind; 5] = [
    Kind::Note,
    Kind::Event,
    Kind::Notification,
    Kind::Action,
    Kind::Correction,
];
/// Body keys whose JSON strings are lowercase hex byte strings.
const BYTE_KEYS: [&str; 4] = ["refs", "digest", "target", "ref_digest"];
/// Largest input read.
const MAX_INPUT: u64 = 1 << 30;

/// A checked import.
pub(crate) struct ImportCmd {
    pub dir: PathBuf,
    pub signer: Signer,
    pub file: String,
    pub batch: u64,
    pub skip: u64,
}

pub(crate) fn to_value(key: Option<&str>, j: &Json) -> Result<Value, String> {
    let bytes_key = key.is_some_and(|k| BYTE_KEYS.contains(&k));
    Ok(match j {
        Json::String(s) if bytes_key => Value::Bytes(
            hex::decode(s).map_err(|_| format!("{} must be lowercase hex", key.unwrap_or("")))?,
        ),
        Json::String(s) => Value::Text(s.clone()),
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Uint(
            n.as_u64()
                .ok_or_else(|| format!("number {n} is not an unsigned integer"))?,
        ),
        Json::Array(a) => Value::Array(
            a.iter()
                .map(|x| to_value(key, x))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(m) => Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), to_value(Some(k), v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Json::Null => return Err("null is not allowed; leave the key out".into()),
    })
}

/// One line → body and private fields.
pub(crate) fn parse_line(line: &str) -> Result<(Body, Vec<Disclosure>), String> {
    let j: Json = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(m) = &j else {
        return Err("a line must be a JSON object".into());
    };
    for k in m.keys() {
        if !["kind", "body", "private"].contains(&k.as_str()) {
            return Err(format!("unknown key {k:?} (expected kind, body, private)"));
        }
    }
    let name = m
        .get("kind")
        .and_then(Json::as_str)
        .ok_or("missing \"kind\"")?;
    let Some(kind) = Kind::from_name(name).filter(|k| IMPORTABLE.contains(k)) else {
        let names: Vec<&str> = IMPORTABLE.iter().map(|k| k.name()).collect();
        return Err(format!(
            "kind {name:?} cannot be imported (importable: {})",
            names.join(", ")
        ));
    };
    let body_json = m.get("body").ok_or("missing \"body\"")?;
    let body_v = to_value(None, body_json)?;
    let body = if kind == Kind::Note {
        let Value::Map(mut b) = body_v else {
            return Err("body must be an object".into());
        };
        let text = match b.remove("text") {
            Some(Value::Text(t))
                if !t.trim().is_empty() && t.len() <= MAX_NOTE_LEN && b.is_empty() =>
            {
                t
            }
            _ => return Err("a note body is {\"text\": \"...\"}".into()),
        };
        Body::Note(Note { text })
    } else {
        Body::Domain(
            Domain::from_value(kind, body_v)
                .expect("cli: importable kinds but note are domain kinds")
                .map_err(|e| e.to_string())?,
        )
    };
    let mut private = Vec::new();
    if let Some(p) = m.get("private") {
        let Json::Object(p) = p else {
            return Err("\"private\" must be an object of field: value".into());
        };
        for (k, v) in p {
            let Json::String(v) = v else {
                return Err(format!("private field {k:?} must be a string"));
            };
            private.push(Disclosure::new(k, Value::Text(v.clone())).map_err(|e| e.to_string())?);
        }
    }
    Ok((body, private))
}

/// Reads `file` (or stdin for `-`), at most [`MAX_INPUT`] bytes, as UTF-8.
pub(crate) fn read_jsonl(file: &str, hint: &str) -> Result<String, CliError> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().take(MAX_INPUT).read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(MAX_INPUT).read_to_string(&mut text))
    };
    read.map_err(|e| CliError::input(format!("cannot read {file}: {e}"), hint))?;
    Ok(text)
}

/// `caselog append --body-json`: one entry in the import-line format.
pub(crate) fn append_one(cmd: ImportCmd) -> Result<u8, CliError> {
    let text = read_jsonl(&cmd.file, "give a UTF-8 JSON file or - for stdin")?;
    let one_line: String = text.lines().collect::<Vec<_>>().join(" ");
    let (body, private) = parse_line(&one_line).map_err(|m| {
        CliError::input(
            format!("{}: {m}; nothing was written", cmd.file),
            "see `caselog append --help`",
        )
    })?;
    let mut l = crate::cli::remote::open(&cmd.dir, true)?;
    let kind = body.kind();
    let n = private.len();
    let (seq, leaf) = l.append_private(body, &cmd.signer, private)?;
    out(&format!(
        "seq {seq}: {kind} recorded with {n} private field(s) (leaf {leaf})\n"
    ))?;
    Ok(exit::OK)
}

pub(crate) fn run(cmd: ImportCmd) -> Result<u8, CliError> {
    let text = read_jsonl(&cmd.file, "give a UTF-8 JSON-lines file or - for stdin")?;
    let items = parse_all(&text, cmd.skip as usize)?;
    let mut l = crate::cli::remote::open(&cmd.dir, true)?;
    check_all(&mut l, &items, &cmd.signer)?;
    let (first, last) = write_batches(&mut l, &items, &cmd)?;
    // A bulk load leaves a large WAL; flushing spares the next open from
    // replaying it (durability never depended on this).
    l.flush()?;
    let batches = items.len().div_ceil(cmd.batch as usize);
    out(&format!(
        "imported {} entries (seq {}..{}) in {batches} synced batch(es)\n",
        items.len(),
        first.map(|s| s.0).unwrap_or_default(),
        last.map(|s| s.0).unwrap_or_default()
    ))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

/// A parsed line: its number (1-based), body and private fields.
type Line = (usize, (Body, Vec<Disclosure>));

/// Parse every line after `skip` first: a bad line names itself and
/// nothing is written.
fn parse_all(text: &str, skip: usize) -> Result<Vec<Line>, CliError> {
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = parse_line(line).map_err(|m| {
            CliError::input(
                format!("line {}: {m}; nothing was written", i + 1),
                "fix the line and run the import again",
            )
        })?;
        items.push((i + 1, parsed));
    }
    if items.is_empty() {
        return Err(CliError::input(
            "no entries to import",
            "give a file with one JSON object per line",
        ));
    }
    Ok(items)
}

/// Check the whole file against the ledger (members, roles, custody,
/// references, sizes) before writing anything.
fn check_all(l: &mut Ledger, items: &[Line], signer: &Signer) -> Result<(), CliError> {
    let dry: Vec<_> = items
        .iter()
        .map(|(_, (b, p))| (b.clone(), signer, p.clone()))
        .collect();
    if let Err((idx, e)) = l.check_batch(dry) {
        let line = items.get(idx).map(|(n, _)| *n).unwrap_or(0);
        let e: CliError = e.into();
        return Err(CliError {
            msg: format!("line {line}: {}; nothing was written", e.msg),
            ..e
        });
    }
    Ok(())
}

/// Append in synced batches of `cmd.batch`; returns the first and last seq
/// written. A failure names the last line imported and how to resume.
fn write_batches(
    l: &mut Ledger,
    items: &[Line],
    cmd: &ImportCmd,
) -> Result<(Option<Seq>, Option<Seq>), CliError> {
    let bar = Progress::entries("importing", Some(items.len() as u64));
    let (mut first, mut last) = (None, None);
    let (mut done_lines, mut done) = (cmd.skip as usize, 0u64);
    for chunk in items.chunks(cmd.batch as usize) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|(_, (b, p))| (b.clone(), &cmd.signer, p.clone()))
            .collect();
        let written = l.append_items(batch, Timestamp::now()).map_err(|e| {
            let e: CliError = e.into();
            CliError {
                msg: format!(
                    "{}; lines up to {done_lines} were imported in whole batches, nothing after",
                    e.msg
                ),
                hint: Some(format!(
                    "resume with: caselog import {} --skip {done_lines}",
                    cmd.file
                )),
                ..e
            }
        })?;
        first = first.or(written.first().map(|(s, _)| *s));
        last = written.last().map(|(s, _)| *s);
        done_lines = chunk.last().map(|(n, _)| *n).unwrap_or(done_lines);
        done += chunk.len() as u64;
        bar.set(done);
    }
    bar.finish();
    Ok((first, last))
}
