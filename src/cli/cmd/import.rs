//! `import FILE` (JSON lines, checked whole before the first write, then
//! appended in batches) and the one-entry `append --body-json`.

use crate::cli::args::ImportArgs;
use crate::cli::cmd::import_line::{parse_line, split, with_tree, Parsed};
use crate::cli::cmd::import_plan::{plan, Plan};
use crate::cli::cmd::import_read::{bad_lines, parse_chunks, ReadError, Source, MAX_INPUT};
use crate::cli::cmd::import_write::{write_all, Resume, Written};
use crate::cli::cmd::tree::Hashed;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::load_signer;
use crate::cli::input::target;
use crate::cli::output::checkpoint_notice;
use crate::cli::output::out;
use crate::cli::remote::Target;
use caselog::Ledger;
use caselog::Signer;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

pub(crate) fn check_import(a: &ImportArgs, g: &Globals) -> Result<Checked, CliError> {
    let ImportArgs {
        file,
        batch,
        skip,
        again,
        ..
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
            again: *again,
        })
    })
}

/// `import FILE`, checked.
pub(crate) struct ImportCmd {
    pub dir: Target,
    pub signer: Signer,
    pub file: String,
    pub batch: u64,
    pub skip: u64,
    /// Import lines already imported from this source once more.
    pub again: bool,
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
    let resume = match plan(&l, src.reader()?, &cmd.file, cmd.again, cmd.skip)? {
        Plan::Done(msg) => {
            eprintln!("caselog: {msg}");
            return Ok(exit::OK);
        }
        Plan::Import {
            start,
            record,
            replaces,
            notice,
        } => {
            if let Some(n) = notice {
                eprintln!("caselog: {n}");
            }
            Resume {
                start,
                record: *record,
                replaces,
            }
        }
    };
    let (total, hashed) = check_all(&l, &src, &cmd, resume.start)?;
    // The whole file passed: the trees' manifests go to the blob store
    // before the entries that name them.
    let taken = hashed
        .into_iter()
        .map(|(no, h)| Ok((no, h.store(cmd.dir.dir())?)))
        .collect::<Result<BTreeMap<_, _>, CliError>>()?;
    let Written {
        first,
        last,
        batches,
    } = write_all(
        &mut l,
        &src,
        (&cmd.signer, cmd.batch),
        resume,
        total,
        &taken,
    )?;
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

/// Lines parsed per message between the parser and the checker.
const CHECK_CHUNK: usize = 1024;

/// Check the whole input against the ledger (members, roles, custody,
/// references, sizes) before writing anything: parsed on one thread,
/// checked on this one, nothing held but a chunk and the hashed trees.
/// Returns the count and, by line, each intake's tree, hashed here (its
/// record is part of what is checked) and not stored yet.
fn check_all(
    l: &Ledger,
    src: &Source,
    cmd: &ImportCmd,
    start: u64,
) -> Result<(u64, Vec<(usize, Hashed)>), CliError> {
    let mut p = l.precheck_start();
    let mut trees = Vec::new();
    // The first refusal by the ledger's rules; later lines may depend on
    // the refused one, so the rules are not applied after it (the rest is
    // still read for lines that are not importable at all).
    let mut refused: Option<(usize, CliError)> = None;
    std::thread::scope(|scope| -> Result<(), CliError> {
        for chunk in parse_chunks(scope, src, start as usize, CHECK_CHUNK) {
            let mut chunk = match chunk {
                Ok(c) => c.lines,
                Err(ReadError::Io(e)) => return Err(e),
                Err(ReadError::Bad(mut listed, count)) => {
                    let extra = refused.take().map(|(no, e)| (no, e.msg)).into_iter();
                    listed.splice(0..0, extra);
                    let count = count + usize::from(listed.len() > count);
                    return Err(bad_lines(&cmd.file, &listed, count));
                }
            };
            if refused.is_some() {
                continue;
            }
            for (no, line) in chunk.iter_mut() {
                if let Some(root) = &line.tree {
                    let h = hash_line_tree(*no, root)?;
                    with_tree(&mut line.body, h.tree());
                    trees.push((*no, h));
                }
            }
            let (nos, items) = split(chunk, &cmd.signer);
            let before = p.checked();
            if let Err((idx, e)) = l.precheck_more(&mut p, items) {
                refused = Some((nos[idx - before], e.into()));
            }
        }
        Ok(())
    })?;
    if let Some((no, e)) = refused {
        return Err(CliError {
            msg: format!("line {no}: {}; nothing was written", e.msg),
            ..e
        });
    }
    if p.checked() == 0 {
        return Err(CliError::input(
            format!("no entries to import after line {start}"),
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
