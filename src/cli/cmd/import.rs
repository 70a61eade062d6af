//! `import FILE` (JSON lines, checked whole before the first write, then
//! appended in batches) and the one-entry `append --body-json`.

use crate::cli::args::ImportArgs;
use crate::cli::cmd::tree::{Hashed, Taken};
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::load_signer;
use crate::cli::input::target;
use crate::cli::output::out;
use crate::cli::output::{checkpoint_notice, Progress};
use crate::cli::remote::Target;
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
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::path::PathBuf;

pub(crate) fn check_import(a: &ImportArgs, g: &Globals) -> Result<Checked, CliError> {
    let ImportArgs {
        file, batch, skip, ..
    } = a;
    Ok({
        if file != "-" && !Path::new(file).is_file() {
            return Err(CliError::input(
                format!("cannot read {file}"),
                "give a JSON-lines file, or - for stdin",
            ));
        }
        Box::new(ImportCmd {
            dir: target(g)?,
            signer: load_signer(g)?,
            file: file.clone(),
            batch: *batch,
            skip: *skip,
        })
    })
}

/// Kinds an import may carry: membership and custody transfers stay
/// interactive; an intake may be imported, its files hashed by the import
/// from the directory its line's `tree` names (SPEC §13.8).
pub(crate) const IMPORTABLE: [Kind; 6] = [
    Kind::Note,
    Kind::Event,
    Kind::Notification,
    Kind::Action,
    Kind::Correction,
    Kind::EvidenceIntake,
];
/// Body keys whose JSON strings are lowercase hex byte strings.
const BYTE_KEYS: [&str; 4] = ["refs", "digest", "target", "ref_digest"];
/// Largest input read.
const MAX_INPUT: u64 = 1 << 30;

/// `import FILE`, checked.
pub(crate) struct ImportCmd {
    pub dir: Target,
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

/// One parsed line.
pub(crate) struct Parsed {
    /// The entry's body.
    pub body: Body,
    /// Its private fields.
    pub private: Vec<Disclosure>,
    /// For an `evidence.intake`, the directory its `tree` key names: the
    /// import hashes it and puts the tree record in the body.
    pub tree: Option<PathBuf>,
}

/// One line → body, private fields and, for an intake, its tree.
pub(crate) fn parse_line(line: &str) -> Result<Parsed, String> {
    let j: Json = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(m) = &j else {
        return Err("a line must be a JSON object".into());
    };
    for k in m.keys() {
        if !["kind", "body", "private", "tree"].contains(&k.as_str()) {
            return Err(format!(
                "unknown key {k:?} (expected kind, body, private, tree)"
            ));
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
    let tree = parse_tree(kind, m.get("tree"), body_json)?;
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
    Ok(Parsed {
        body,
        private,
        tree,
    })
}

/// The `tree` key: a directory, on an `evidence.intake` line only. An
/// imported intake's files are hashed by the import, so its body may not
/// carry `files` or `tree` digests of its own.
fn parse_tree(kind: Kind, tree: Option<&Json>, body: &Json) -> Result<Option<PathBuf>, String> {
    if kind == Kind::EvidenceIntake {
        for k in ["files", "tree"] {
            if body.get(k).is_some() {
                return Err(format!(
                    "an imported intake's body has no {k:?}: name the directory to hash with \"tree\": \"DIR\" beside the body"
                ));
            }
        }
    }
    match tree {
        None => Ok(None),
        Some(_) if kind != Kind::EvidenceIntake => {
            Err("\"tree\" is only for an evidence.intake line".into())
        }
        Some(Json::String(d)) if !d.trim().is_empty() => Ok(Some(PathBuf::from(d))),
        Some(_) => Err("\"tree\" must be the path of a directory".into()),
    }
}

/// A line's `tree` must name a directory.
fn check_tree_root(root: &Path) -> Result<(), CliError> {
    if root.is_dir() {
        return Ok(());
    }
    Err(CliError::input(
        format!("{} is not a directory", root.display()),
        "\"tree\" names the directory holding the files (e.g. a mounted drive), relative to the current directory",
    ))
}

/// Put `tree` in an intake's body (the record `evidence add --tree`
/// writes).
fn with_tree(body: &mut Body, tree: &caselog::format::tree::Tree) {
    if let Body::Domain(Domain::EvidenceIntake(i)) = body {
        i.tree = Some(Box::new(tree.clone()));
    }
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
    let Parsed {
        mut body,
        private,
        tree,
    } = parse_line(&one_line).map_err(|m| {
        CliError::input(
            format!("{}: {m}; nothing was written", cmd.file),
            "see `caselog append --help`",
        )
    })?;
    let mut l = cmd.dir.open(true)?;
    // Refuse (not a member, a duplicate item...) before hashing a tree.
    l.precheck(&body, &cmd.signer)?;
    let taken = match &tree {
        Some(root) => {
            check_tree_root(root)?;
            let taken = crate::cli::cmd::tree::take(root, cmd.dir.dir(), false, &[])?;
            with_tree(&mut body, &taken.tree);
            Some(taken)
        }
        None => None,
    };
    let kind = body.kind();
    let n = private.len();
    let (seq, leaf) = l.append_private(body, &cmd.signer, private)?;
    drop(l);
    let shown = upload_trees(&cmd.dir, taken.iter())?;
    out(&format!(
        "seq {seq}: {kind} recorded with {n} private field(s) (leaf {leaf})\n{shown}"
    ))?;
    Ok(exit::OK)
}

impl Run for ImportCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run(*self)
    }
}

/// `append --body-json`: one entry, checked as an import of one line.
pub(crate) struct AppendOneCmd(pub(crate) ImportCmd);

impl Run for AppendOneCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        append_one(self.0)
    }
}

fn run(cmd: ImportCmd) -> Result<u8, CliError> {
    let src = Source::open(&cmd.file)?;
    let mut l = cmd.dir.open(true)?;
    let (total, hashed) = check_all(&l, &src, &cmd)?;
    // The whole file passed: the trees' manifests go to the blob store
    // before the entries that name them.
    let taken = hashed
        .into_iter()
        .map(|(no, h)| Ok((no, h.store(cmd.dir.dir())?)))
        .collect::<Result<BTreeMap<_, _>, CliError>>()?;
    let (first, last, batches) = write_all(&mut l, &src, &cmd, total, &taken)?;
    // A bulk load leaves a large WAL; flushing spares the next open from
    // replaying it. Durability never depended on it: every batch is
    // synced, so a failed flush (a disk that filled up just now) must not
    // report the import as failed.
    if let Err(e) = l.flush() {
        eprintln!(
            "caselog: warning: all {total} entries are imported and durable, but the final flush failed ({e}); the next open replays the log"
        );
    }
    let shown = upload_trees(&cmd.dir, taken.values())?;
    out(&format!(
        "imported {total} entries (seq {}..{}) in {batches} synced batch(es)\n{shown}",
        first.map(|s| s.0).unwrap_or_default(),
        last.map(|s| s.0).unwrap_or_default()
    ))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

/// What the import says about each tree it took in, once the entries are
/// in; through a server, the manifests are uploaded there too.
fn upload_trees<'a>(
    target: &Target,
    taken: impl Iterator<Item = &'a crate::cli::cmd::tree::Taken>,
) -> Result<String, CliError> {
    let (mut shown, mut blobs) = (String::new(), Vec::new());
    for t in taken {
        shown.push_str(&t.describe());
        blobs.extend(t.blobs(target.dir(), false));
    }
    if !blobs.is_empty() {
        if let Some(n) = target.upload_blobs(&blobs)? {
            shown.push_str(&format!("  manifests uploaded to the server ({n} new)\n"));
        }
    }
    Ok(shown)
}

/// A parsed line and its number (1-based).
type Line = (usize, Parsed);

/// Lines parsed per message between the parser and the checker.
const CHECK_CHUNK: usize = 1024;

/// Where the lines come from: a file is read twice (checked, then
/// written), streamed; standard input is held (at most [`MAX_INPUT`]).
enum Source {
    File(PathBuf),
    Held(Vec<u8>),
}

impl Source {
    fn open(file: &str) -> Result<Source, CliError> {
        if file != "-" {
            return Ok(Source::File(PathBuf::from(file)));
        }
        let mut held = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT)
            .read_to_end(&mut held)
            .map_err(|e| {
                CliError::input(
                    format!("cannot read stdin: {e}"),
                    "give a file instead of -",
                )
            })?;
        Ok(Source::Held(held))
    }

    fn reader(&self) -> Result<Box<dyn std::io::BufRead + Send + '_>, CliError> {
        Ok(match self {
            Source::File(p) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(p).map_err(|e| {
                    CliError::input(
                        format!("cannot read {}: {e}", p.display()),
                        "give a JSON-lines file, or - for stdin",
                    )
                })?,
            )),
            Source::Held(b) => Box::new(&b[..]),
        })
    }
}

/// Parse the lines after `skip` on a thread of `scope`, sending chunks of
/// up to `n` (or the first bad line, as the error to report) through a
/// bounded channel; the thread stops when the receiver is dropped.
fn parse_chunks<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    src: &'s Source,
    skip: usize,
    n: usize,
) -> std::sync::mpsc::Receiver<Result<Vec<Line>, CliError>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    scope.spawn(move || {
        let send = |r| tx.send(r).is_ok();
        let mut r = match src.reader() {
            Ok(r) => r,
            Err(e) => return send(Err(e)),
        };
        let (mut chunk, mut line, mut no) = (Vec::with_capacity(n), String::new(), 0usize);
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => no += 1,
                Err(e) => return send(Err(bad_line(no + 1, format!("cannot read it: {e}")))),
            }
            if no <= skip || line.trim().is_empty() {
                continue;
            }
            match parse_line(line.trim_end_matches(['\n', '\r'])) {
                Ok(parsed) => chunk.push((no, parsed)),
                Err(m) => return send(Err(bad_line(no, m))),
            }
            if chunk.len() == n && !send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(n)))) {
                return false;
            }
        }
        chunk.is_empty() || send(Ok(chunk))
    });
    rx
}

fn bad_line(no: usize, m: String) -> CliError {
    CliError::input(
        format!("line {no}: {m}; nothing was written"),
        "fix the line and run the import again",
    )
}

/// Check the whole input against the ledger (members, roles, custody,
/// references, sizes) before writing anything: parsed on one thread,
/// checked on this one, nothing held but a chunk and the hashed trees.
/// Returns the count and, by line, each intake's tree, hashed here (its
/// record is part of what is checked) and not stored yet.
fn check_all(
    l: &Ledger,
    src: &Source,
    cmd: &ImportCmd,
) -> Result<(u64, Vec<(usize, Hashed)>), CliError> {
    let mut p = l.precheck_start();
    let mut trees = Vec::new();
    std::thread::scope(|scope| -> Result<(), CliError> {
        for chunk in parse_chunks(scope, src, cmd.skip as usize, CHECK_CHUNK) {
            let mut chunk = chunk?;
            for (no, line) in chunk.iter_mut() {
                if let Some(root) = &line.tree {
                    let h = hash_line_tree(*no, root)?;
                    with_tree(&mut line.body, h.tree());
                    trees.push((*no, h));
                }
            }
            let (nos, items) = split(chunk, &cmd.signer);
            let before = p.checked();
            l.precheck_more(&mut p, items).map_err(|(idx, e)| {
                let e: CliError = e.into();
                CliError {
                    msg: format!("line {}: {}; nothing was written", nos[idx - before], e.msg),
                    ..e
                }
            })?;
        }
        Ok(())
    })?;
    if p.checked() == 0 {
        return Err(CliError::input(
            "no entries to import",
            "give a file with one JSON object per line",
        ));
    }
    Ok((p.checked() as u64, trees))
}

/// Hash the tree of the intake on line `no`; an error names the line.
fn hash_line_tree(no: usize, root: &Path) -> Result<Hashed, CliError> {
    check_tree_root(root)
        .and_then(|()| crate::cli::cmd::tree::hash_tree(root, None, &[]))
        .map_err(|e| CliError {
            msg: format!("line {no}: {}; nothing was written", e.msg),
            ..e
        })
}

/// Put in each intake the tree the check pass hashed for its line (never
/// hashed twice: what was checked is what is signed).
fn attach_trees(
    mut chunk: Vec<Line>,
    trees: &BTreeMap<usize, Taken>,
) -> Result<Vec<Line>, CliError> {
    for (no, line) in chunk.iter_mut() {
        if line.tree.is_some() {
            let t = trees.get(no).ok_or_else(|| {
                CliError::input(
                    format!(
                        "the input changed after it was checked: line {no} names a tree it did not"
                    ),
                    "run the import again on an input that does not change",
                )
            })?;
            with_tree(&mut line.body, &t.tree);
        }
    }
    Ok(chunk)
}

/// What the ledger appends: a body, its signer, its private fields.
type Item<'a> = (Body, &'a Signer, Vec<Disclosure>);

/// Line numbers and ledger items of a parsed chunk.
fn split(chunk: Vec<Line>, signer: &Signer) -> (Vec<usize>, Vec<Item<'_>>) {
    chunk
        .into_iter()
        .map(|(no, p)| (no, (p.body, signer, p.private)))
        .unzip()
}

/// Append in batches of `cmd.batch`, pipelined ([`Ledger::pipelined`]):
/// a thread parses batch k+1 while this one signs batch k, and a committer
/// thread writes and syncs each signed batch (one atomic, synced write per
/// batch, as without the pipeline) while the next is signed. A failure
/// names the last line made durable and how to resume. Returns the first
/// and last seq and the count of batches.
fn write_all(
    l: &mut Ledger,
    src: &Source,
    cmd: &ImportCmd,
    total: u64,
    trees: &BTreeMap<usize, Taken>,
) -> Result<(Option<Seq>, Option<Seq>, usize), CliError> {
    let bar = Progress::entries("importing", Some(total));
    // Per batch handed to the committer: its last line and its entries.
    let mut ends: Vec<(usize, u64)> = Vec::new();
    let (mut first, mut last) = (None, None);
    let run = l.pipelined(|l| {
        std::thread::scope(|scope| -> Result<(), CliError> {
            for chunk in parse_chunks(scope, src, cmd.skip as usize, cmd.batch as usize) {
                // The input was checked whole; a line that no longer
                // parses means it changed since.
                let chunk = chunk.map_err(|e| CliError {
                    msg: format!(
                        "the input changed after it was checked: {}",
                        e.msg.trim_end_matches("; nothing was written")
                    ),
                    ..e
                })?;
                let end = chunk.last().map(|(n, _)| *n).unwrap_or_default();
                let chunk = attach_trees(chunk, trees)?;
                let (_, items) = split(chunk, &cmd.signer);
                let n = items.len() as u64;
                let out = l.append_items(items, Timestamp::now())?;
                first = first.or(out.first().map(|(s, _)| *s));
                last = out.last().map(|(s, _)| *s).or(last);
                ends.push((end, n));
                bar.set(ends.iter().map(|(_, n)| n).sum());
            }
            Ok(())
        })
    })?;
    bar.finish();
    let durable = run.durable;
    // The committer's own error is the cause of any the writer saw after it.
    if let Some(e) = run.commit_error.map(CliError::from).or(run.result.err()) {
        let done_lines = durable
            .checked_sub(1)
            .map_or(cmd.skip as usize, |k| ends[k].0);
        let entries: u64 = ends[..durable].iter().map(|(_, n)| n).sum();
        // A full disk's error says "nothing recorded", which is true of
        // the batch that failed, not of the import.
        let (cause, full) = match e.msg.strip_prefix("nothing recorded: ") {
            Some(rest) => (rest, true),
            None => (e.msg.as_str(), false),
        };
        let resume = format!("caselog import {} --skip {done_lines}", cmd.file);
        return Err(CliError {
            msg: format!(
                "{cause}; lines up to {done_lines} were imported in whole batches ({entries} entries), nothing after"
            ),
            hint: Some(if full {
                format!("the disk holding the ledger is full; free space on it, then resume with: {resume}")
            } else {
                format!("resume with: {resume}")
            }),
            code: e.code,
        });
    }
    Ok((first, last, ends.len()))
}
