//! Reading an import's source: a file (read once to plan, once to check,
//! once to write, streamed) or standard input (held), parsed in chunks on
//! a thread, each chunk with the [`Mark`] after it so the import row can
//! say exactly which lines are in; every bad line is collected (up to
//! [`MAX_BAD_LISTED`], then counted) instead of stopping at the first.

use std::io::{BufRead as _, Read as _};
use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use crate::cli::cmd::import_line::{parse_line, Line, Parsed};
use crate::cli::cmd::import_plan::Mark;
use crate::cli::error::CliError;

/// Largest input read.
pub(crate) const MAX_INPUT: u64 = 1 << 30;
/// Bad lines named one by one; beyond these they are counted.
pub(crate) const MAX_BAD_LISTED: usize = 20;

/// Parsed lines and the mark after them: after the last of them, or, for
/// the source's last chunk, after the source's last line (blank lines
/// take no entry but count as imported).
pub(crate) struct Chunk {
    pub lines: Vec<Line>,
    pub end: Mark,
}

/// Why the reader stopped.
pub(crate) enum ReadError {
    /// The source could not be read.
    Io(CliError),
    /// Lines that are not importable: (line, what is wrong), at most
    /// [`MAX_BAD_LISTED`], and how many there are in all.
    Bad(Vec<(usize, String)>, usize),
}

/// Where the lines come from: a file is read again for each pass,
/// streamed; standard input is held (at most [`MAX_INPUT`]).
pub(crate) enum Source {
    File(PathBuf),
    Held(Vec<u8>),
}

impl Source {
    pub(crate) fn open(file: &str) -> Result<Source, CliError> {
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

    pub(crate) fn reader(&self) -> Result<Box<dyn std::io::BufRead + Send + '_>, CliError> {
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

/// The running SHA-256 of the source and the mark after its last
/// non-blank line.
struct Reading {
    h: Sha256,
    bytes: u64,
    no: usize,
    last: Option<(u64, Sha256, usize)>,
}

impl Reading {
    fn mark_last(&self) -> Mark {
        let (bytes, h, line) = self.last.clone().expect("import: a chunk has a last line");
        Mark {
            line: line as u64,
            bytes,
            sha256: h.finalize().into(),
        }
    }
    /// Read the next line into `line` (newline kept) and hash it; false
    /// at the end of the source.
    fn next(
        &mut self,
        r: &mut Box<dyn std::io::BufRead + Send + '_>,
        line: &mut Vec<u8>,
    ) -> Result<bool, CliError> {
        line.clear();
        let k = r.read_until(b'\n', line).map_err(|e| {
            CliError::input(
                format!(
                    "line {}: cannot read it: {e}; nothing was written",
                    self.no + 1
                ),
                "check the file and run the import again",
            )
        })?;
        if k == 0 {
            return Ok(false);
        }
        self.no += 1;
        self.bytes += k as u64;
        self.h.update(&line[..]);
        Ok(true)
    }
    fn mark_now(&self) -> Mark {
        Mark {
            line: self.no as u64,
            bytes: self.bytes,
            sha256: self.h.clone().finalize().into(),
        }
    }
}

/// Parse the lines after `skip` on a thread of `scope`, sending chunks of
/// up to `n` lines through a bounded channel. A full chunk is sent when
/// the next non-blank line is read (or the source ends), so the last chunk
/// also covers trailing blank lines. After the first bad line nothing more
/// is sent but the rest is still read for bad lines, all sent at the end.
/// The thread stops when the receiver is dropped.
pub(crate) fn parse_chunks<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    src: &'s Source,
    skip: usize,
    n: usize,
) -> std::sync::mpsc::Receiver<Result<Chunk, ReadError>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    scope.spawn(move || {
        let send = |r| tx.send(r).is_ok();
        let mut r = match src.reader() {
            Ok(r) => r,
            Err(e) => return send(Err(ReadError::Io(e))),
        };
        let mut st = Reading {
            h: Sha256::new(),
            bytes: 0,
            no: 0,
            last: None,
        };
        let (mut chunk, mut bad, mut bad_count) = (Vec::with_capacity(n), Vec::new(), 0);
        let mut line = Vec::new();
        loop {
            match st.next(&mut r, &mut line) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return send(Err(ReadError::Io(e))),
            }
            let parsed = match parse_raw(&line) {
                Some(p) if st.no > skip => p,
                _ => continue,
            };
            match parsed {
                Err(m) => {
                    bad_count += 1;
                    if bad.len() < MAX_BAD_LISTED {
                        bad.push((st.no, m));
                    }
                }
                Ok(_) if bad_count > 0 => {}
                Ok(p) => {
                    if chunk.len() == n {
                        let end = st.mark_last();
                        let full = std::mem::replace(&mut chunk, Vec::with_capacity(n));
                        if !send(Ok(Chunk { lines: full, end })) {
                            return false;
                        }
                    }
                    chunk.push((st.no, p));
                    st.last = Some((st.bytes, st.h.clone(), st.no));
                }
            }
        }
        if bad_count > 0 {
            return send(Err(ReadError::Bad(bad, bad_count)));
        }
        chunk.is_empty()
            || send(Ok(Chunk {
                lines: chunk,
                end: st.mark_now(),
            }))
    });
    rx
}

/// A raw line parsed; `None` for a blank one.
fn parse_raw(line: &[u8]) -> Option<Result<Parsed, String>> {
    match std::str::from_utf8(line) {
        Ok(t) if t.trim().is_empty() => None,
        Ok(t) => Some(parse_line(t.trim_end_matches(['\n', '\r']))),
        Err(_) => Some(Err("not UTF-8".to_owned())),
    }
}

/// The error for the bad lines of `file`: one line names the only bad
/// line; with several, each is printed on stderr first and the error
/// names them all.
pub(crate) fn bad_lines(file: &str, listed: &[(usize, String)], count: usize) -> CliError {
    if let [(no, m)] = listed {
        if count == 1 {
            return CliError::input(
                format!("line {no}: {m}; nothing was written"),
                "fix the line and run the import again",
            );
        }
    }
    for (no, m) in listed {
        eprintln!("caselog: {file}: line {no}: {m}");
    }
    let nos: Vec<String> = listed.iter().map(|(n, _)| n.to_string()).collect();
    let more = if count > listed.len() {
        format!(" and {} more", count - listed.len())
    } else {
        String::new()
    };
    CliError::input(
        format!(
            "{count} lines of {file} cannot be imported (lines {}{more}, listed above); nothing was written",
            nos.join(", ")
        ),
        "fix them and run the import again",
    )
}
