//! The write pass of an import: batches appended pipelined, each with the
//! source's import row (SPEC §8 `"import/"`) in the same atomic batch;
//! Ctrl-C or SIGTERM stops after the batch in flight, and every way the
//! pass can stop says which lines are in and the command that continues.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use caselog::ledger::ImportRecord;
use caselog::{Ledger, Seq, Signer, Timestamp};

use crate::cli::cmd::import_line::{attach_trees, split};
use crate::cli::cmd::import_read::{parse_chunks, ReadError, Source};
use crate::cli::cmd::tree::Taken;
use crate::cli::error::CliError;
use crate::cli::exit::INTERRUPTED;
use crate::cli::output::Progress;

/// Where the write pass starts and what it records.
pub(crate) struct Resume {
    /// Lines 1..=start are not read again.
    pub start: u64,
    /// The import row as it stands before this run's first batch.
    pub record: ImportRecord,
    /// The row of the shorter source this one grew from, deleted with the
    /// first batch.
    pub replaces: Option<[u8; 32]>,
}

/// What the write pass did.
pub(crate) struct Written {
    pub first: Option<Seq>,
    pub last: Option<Seq>,
    pub batches: usize,
}

/// Ctrl-C and SIGTERM set a flag the write loop reads between batches (a
/// second one ends the process at once: each batch is atomic, so even
/// then the import row says exactly what is in). Unregistered on drop.
struct StopFlag {
    flag: Arc<AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

impl StopFlag {
    fn register() -> Result<StopFlag, CliError> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            let fail = |e: std::io::Error| {
                CliError::storage(format!("cannot handle signal {sig}: {e}"), None)
            };
            ids.push(
                signal_hook::flag::register_conditional_shutdown(
                    sig,
                    INTERRUPTED.into(),
                    flag.clone(),
                )
                .map_err(fail)?,
            );
            ids.push(signal_hook::flag::register(sig, flag.clone()).map_err(fail)?);
        }
        Ok(StopFlag { flag, ids })
    }
    fn raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for StopFlag {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Append in batches of `cmd.batch`, pipelined ([`Ledger::pipelined`]):
/// a thread parses batch k+1 while this one signs batch k, and a committer
/// thread writes and syncs each signed batch, its import row with it, while
/// the next is signed.
pub(crate) fn write_all(
    l: &mut Ledger,
    src: &Source,
    (signer, batch): (&Signer, u64),
    resume: Resume,
    total: u64,
    trees: &BTreeMap<usize, Taken>,
) -> Result<Written, CliError> {
    let stop = StopFlag::register()?;
    let bar = Progress::entries("importing", Some(total));
    // Per batch handed to the committer: its end line and its entries.
    let mut ends: Vec<(u64, u64)> = Vec::new();
    let (mut first, mut last) = (None, None);
    let (mut record, mut replaces) = (resume.record, resume.replaces);
    let mut interrupted = false;
    let run = l.pipelined(|l| {
        std::thread::scope(|scope| -> Result<(), CliError> {
            for chunk in parse_chunks(scope, src, resume.start as usize, batch as usize) {
                if stop.raised() {
                    interrupted = true;
                    break;
                }
                // The input was checked whole; a line that no longer
                // parses means it changed since.
                let chunk = chunk.map_err(changed_since_checked)?;
                let lines = attach_trees(chunk.lines, trees)?;
                let (_, items) = split(lines, signer);
                let n = items.len() as u64;
                record.done = chunk.end.line;
                record.done_bytes = chunk.end.bytes;
                record.done_sha256 = chunk.end.sha256;
                record.updated = Timestamp::now();
                let (out, rec) =
                    l.append_imported(items, record.updated, &record, replaces.take())?;
                record = rec;
                first = first.or(out.first().map(|(s, _)| *s));
                last = out.last().map(|(s, _)| *s).or(last);
                ends.push((chunk.end.line, n));
                bar.set(ends.iter().map(|(_, n)| n).sum());
                test_signals();
            }
            Ok(())
        })
    })?;
    bar.finish();
    // The committer's own error is the cause of any the writer saw after it.
    let failed = run.commit_error.map(CliError::from).or(run.result.err());
    let stopped = match failed {
        Some(e) => Some(e),
        None if interrupted => Some(CliError {
            code: INTERRUPTED,
            msg: "interrupted".into(),
            hint: None,
        }),
        None => None,
    };
    if let Some(e) = stopped {
        return Err(stopped_at(e, &ends[..run.durable], resume.start));
    }
    Ok(Written {
        first,
        last,
        batches: ends.len(),
    })
}

/// The crash harness's stand-in for a person pressing Ctrl-C, or a
/// service manager stopping the import, after a given batch.
fn test_signals() {
    use caselog::storage::failpoint::triggered;
    use signal_hook::consts::{SIGINT, SIGTERM};
    for (point, sig) in [("import.sigint", SIGINT), ("import.sigterm", SIGTERM)] {
        if triggered(point) {
            let _ = signal_hook::low_level::raise(sig);
        }
    }
}

fn changed_since_checked(e: ReadError) -> CliError {
    let msg = match e {
        ReadError::Io(e) => e.msg,
        ReadError::Bad(listed, _) => listed
            .first()
            .map(|(no, m)| format!("line {no}: {m}"))
            .unwrap_or_default(),
    };
    CliError::input(
        format!(
            "the input changed after it was checked: {}",
            msg.trim_end_matches("; nothing was written")
        ),
        "run the import again on an input that does not change",
    )
}

/// The error of a write pass that stopped: `e`'s cause, which lines are in
/// (`durable`: the batches made durable, each its end line and entries)
/// and the command that continues.
fn stopped_at(e: CliError, durable: &[(u64, u64)], start: u64) -> CliError {
    let done = durable.last().map_or(start, |(end, _)| *end);
    let entries: u64 = durable.iter().map(|(_, n)| n).sum();
    // A full disk's error says "nothing recorded", which is true of the
    // batch that failed, not of the import.
    let (cause, full) = match e.msg.strip_prefix("nothing recorded: ") {
        Some(rest) => (rest, true),
        None => (e.msg.as_str(), false),
    };
    let again = format!(
        "run the same command again to continue at line {}: {}",
        done + 1,
        resume_line()
    );
    CliError {
        msg: format!(
            "{cause}; lines 1..{done} are in ({entries} entries from this run, in whole batches), nothing after"
        ),
        hint: Some(if full {
            format!("the disk holding the ledger is full; free space on it, then {again}")
        } else {
            again
        }),
        code: e.code,
    }
}

/// The command line as typed, without `--again` and `--skip N` (the
/// ledger's import row says where to continue), shell-quoted.
fn resume_line() -> String {
    let mut out = vec!["caselog".to_owned()];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--again" || a.starts_with("--skip=") {
            continue;
        }
        if a == "--skip" {
            args.next();
            continue;
        }
        out.push(shell_quote(&a));
    }
    out.join(" ")
}

fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        a.to_owned()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}
