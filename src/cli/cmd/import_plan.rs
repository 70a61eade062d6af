//! Where an import starts: the source's SHA-256 and lines, read once, set
//! against the ledger's import rows (SPEC §8 `"import/"`), so a re-run
//! continues after the last durable batch, a grown source continues with
//! its new lines, an edited one is refused, and a second import of the
//! same lines happens only with `--again`.

use std::collections::BTreeMap;
use std::io::BufRead as _;

use caselog::ledger::ImportRecord;
use caselog::{Ledger, Timestamp};
use sha2::{Digest as _, Sha256};

use crate::cli::error::CliError;

/// A point in the source: after line `line`, `bytes` bytes in, whose
/// SHA-256 is `sha256`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    pub line: u64,
    pub bytes: u64,
    pub sha256: [u8; 32],
}

/// The SHA-256 of the empty prefix.
pub(crate) fn empty_sha256() -> [u8; 32] {
    Sha256::digest([]).into()
}

/// What the import does.
pub(crate) enum Plan {
    /// Append from the line after `start`, recording into `record`.
    Import {
        start: u64,
        record: Box<ImportRecord>,
        replaces: Option<[u8; 32]>,
        /// Said on stderr before the import begins.
        notice: Option<String>,
    },
    /// Every line is in already: say so, write nothing.
    Done(String),
}

/// Read `reader` once: its SHA-256, its lines, and the SHA-256 of its
/// first `k` bytes for each `k` in `at` that falls at a line end.
fn fingerprint(
    mut reader: Box<dyn std::io::BufRead + Send + '_>,
    at: &[u64],
) -> Result<(Mark, BTreeMap<u64, [u8; 32]>), std::io::Error> {
    let (mut h, mut bytes, mut lines) = (Sha256::new(), 0u64, 0u64);
    let mut prefixes = BTreeMap::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        h.update(&line);
        bytes += n as u64;
        lines += 1;
        if at.contains(&bytes) {
            prefixes.insert(bytes, h.clone().finalize().into());
        }
    }
    let mark = Mark {
        line: lines,
        bytes,
        sha256: h.finalize().into(),
    };
    Ok((mark, prefixes))
}

/// The source as read, and how the import was asked for.
struct Asked<'a> {
    name: &'a str,
    whole: Mark,
    again: bool,
    skip: u64,
}

impl Asked<'_> {
    /// `--skip N` is the user's word for where to start; else the row's.
    fn from(&self, r: &ImportRecord) -> u64 {
        if self.skip > 0 {
            self.skip
        } else {
            r.done
        }
    }

    /// A plan that appends from `start` into `record`.
    fn import(
        &self,
        start: u64,
        record: ImportRecord,
        replaces: Option<[u8; 32]>,
        notice: Option<String>,
    ) -> Plan {
        Plan::Import {
            start,
            record: Box::new(ImportRecord {
                name: self.name.to_owned(),
                source: self.whole.sha256,
                lines: self.whole.line,
                ..record
            }),
            replaces,
            notice,
        }
    }
}

/// Set the source against the ledger's import rows.
pub(crate) fn plan(
    l: &Ledger,
    reader: Box<dyn std::io::BufRead + Send + '_>,
    name: &str,
    again: bool,
    skip: u64,
) -> Result<Plan, CliError> {
    let rows = l.imports()?;
    let at: Vec<u64> = rows.iter().map(|r| r.done_bytes).collect();
    let (whole, prefixes) = fingerprint(reader, &at).map_err(|e| {
        CliError::input(
            format!("cannot read {name}: {e}"),
            "give a readable JSON-lines file",
        )
    })?;
    let asked = Asked {
        name,
        whole,
        again,
        skip,
    };
    let same = rows.iter().find(|r| r.source == whole.sha256);
    // The longest record whose lines this source begins with (it grew).
    let grown = rows
        .iter()
        .filter(|r| r.done > 0 && prefixes.get(&r.done_bytes) == Some(&r.done_sha256))
        .max_by_key(|r| r.done);
    Ok(match (same, grown) {
        (Some(r), _) => same_source(&asked, r),
        (None, Some(r)) if !again => asked.import(
            asked.from(r),
            r.clone(),
            Some(r.source),
            Some(format!(
                "{name} begins with the lines imported before from {} ({}); continuing at line {}",
                r.name,
                what_is_in(r),
                asked.from(r) + 1
            )),
        ),
        (None, _) => new_source(&asked, &rows)?,
    })
}

/// A source whose every byte was seen before (row `r`).
fn same_source(asked: &Asked, r: &ImportRecord) -> Plan {
    let name = asked.name;
    if asked.again {
        let record = ImportRecord {
            runs: r.runs + 1,
            ..again_from(r)
        };
        let notice = format!(
            "warning: {name} was imported before ({}); --again imports its lines once more as new entries",
            what_is_in(r)
        );
        return asked.import(asked.skip, record, None, Some(notice));
    }
    if r.complete() && asked.skip == 0 {
        return Plan::Done(format!(
            "{name} was imported already ({}); nothing written (to import it again as new entries: --again)",
            what_is_in(r)
        ));
    }
    let notice = format!(
        "resuming {name}: {}; continuing at line {}",
        what_is_in(r),
        asked.from(r) + 1
    );
    asked.import(asked.from(r), r.clone(), None, Some(notice))
}

/// A source no row knows: refused when one of the same name was imported
/// (it changed since), unless `--again` or `--skip` says to go on.
fn new_source(asked: &Asked, rows: &[ImportRecord]) -> Result<Plan, CliError> {
    let name = asked.name;
    let before = rows.iter().find(|r| r.name == name && name != "-");
    if let Some(r) = before.filter(|_| !asked.again && asked.skip == 0) {
        return Err(changed(name, r));
    }
    let notice = before.filter(|_| asked.again).map(|r| {
        format!(
            "warning: a different {name} was imported before ({}); --again imports every line of this one as new entries",
            what_is_in(r)
        )
    });
    let fresh = ImportRecord {
        source: asked.whole.sha256,
        name: name.to_owned(),
        lines: asked.whole.line,
        done: 0,
        done_bytes: 0,
        done_sha256: empty_sha256(),
        entries: 0,
        seqs: None,
        runs: 1,
        updated: Timestamp::now(),
    };
    Ok(asked.import(asked.skip, fresh, None, notice))
}

/// `r` as it will be for a new run from the first line.
fn again_from(r: &ImportRecord) -> ImportRecord {
    ImportRecord {
        done: 0,
        done_bytes: 0,
        done_sha256: empty_sha256(),
        updated: Timestamp::now(),
        ..r.clone()
    }
}

/// "lines 1..K of L, E entries (seq a..b), last written DATE".
pub(crate) fn what_is_in(r: &ImportRecord) -> String {
    let seqs = r
        .seqs
        .map(|(a, z)| format!(" (seq {}..{})", a.0, z.0))
        .unwrap_or_default();
    format!(
        "lines 1..{} of {} are in, {} entries{seqs}, last written {}",
        r.done, r.lines, r.entries, r.updated
    )
}

/// A source named as one imported before whose imported lines differ.
fn changed(name: &str, r: &ImportRecord) -> CliError {
    CliError::input(
        format!(
            "{name} has changed since it was imported ({}): its first {} lines are not the ones imported; nothing written",
            what_is_in(r),
            r.done
        ),
        "to finish that import, give the file as it was; to import this file's lines as new entries, pass --again",
    )
}
