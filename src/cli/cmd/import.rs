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
use caselog::format::cbor::Value;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::Note;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::kind::Kind;
use caselog::format::kinds::Domain;
use caselog::Ledger;
use caselog::Signer;
use caselog::Timestamp;
use serde_json::Value as Json;
use std::io::IsTerminal as _;
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
    let mut l = Ledger::open(&cmd.dir, true)?;
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
    // Parse everything first: a bad line names itself and nothing is written.
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate().skip(cmd.skip as usize) {
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
    let mut l = Ledger::open(&cmd.dir, true)?;
    let signer = &cmd.signer;
    // Check the whole file against the ledger before writing anything.
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
    let pb = (std::io::stderr().is_terminal() && items.len() > 1000).then(|| {
        let pb = indicatif::ProgressBar::new(items.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "importing [{bar:30}] {pos}/{len} entries, {per_sec}, eta {eta}",
            )
            .expect("template"),
        );
        pb
    });
    let total = items.len();
    let mut first = None;
    let mut last = None;
    let mut done_lines = cmd.skip as usize;
    for chunk in items.chunks(cmd.batch as usize) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|(_, (b, p))| (b.clone(), signer, p.clone()))
            .collect();
        match l.append_items(batch, Timestamp::now()) {
            Ok(out) => {
                first = first.or(out.first().map(|(s, _)| *s));
                last = out.last().map(|(s, _)| *s);
                done_lines = chunk.last().map(|(n, _)| *n).unwrap_or(done_lines);
                if let Some(pb) = &pb {
                    pb.inc(chunk.len() as u64);
                }
            }
            Err(e) => {
                let e: CliError = e.into();
                return Err(CliError {
                    msg: format!(
                        "{}; lines up to {done_lines} were imported in whole batches, nothing after",
                        e.msg
                    ),
                    hint: Some(format!("resume with: caselog import {} --skip {done_lines}", cmd.file)),
                    ..e
                });
            }
        }
    }
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    // A bulk load leaves a large WAL; flushing spares the next open from
    // replaying it (durability never depended on this).
    l.flush()?;
    let batches = total.div_ceil(cmd.batch as usize);
    out(&format!(
        "imported {total} entries (seq {}..{}) in {batches} synced batch(es)\n",
        first.map(|s| s.0).unwrap_or_default(),
        last.map(|s| s.0).unwrap_or_default()
    ))?;
    if let Some(size) = l.checkpoint_due() {
        eprintln!("caselog: notice: a checkpoint is due at size {}; an authority should run `caselog checkpoint`", size.0);
    }
    Ok(exit::OK)
}
