//! What the CLI writes: stdout (a closed pipe ends quietly), files made
//! for the user (created new, never overwritten, owner-only when they hold
//! private values), progress bars (stderr, terminals only) and notices.

use crate::cli::error::CliError;
use crate::cli::exit;
use caselog::format::disclosure::Reveal;
use caselog::storage::evidence;
use caselog::storage::evidence::Digests;
use caselog::Ledger;
use std::io;
use std::io::IsTerminal as _;
use std::io::Write;
use std::path::Path;

/// Write to stdout; a closed pipe (`caselog log | head`) ends quietly.
pub(crate) fn out(s: &str) -> Result<(), CliError> {
    let mut o = io::stdout().lock();
    match o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(CliError::storage(format!("cannot write output: {e}"), None)),
        Ok(()) => Ok(()),
    }
}

/// Tell the user when an automatic checkpoint was due but the signer could
/// not make it.
pub(crate) fn checkpoint_notice(l: &Ledger) {
    if let Some(size) = l.checkpoint_due() {
        eprintln!(
            "caselog: notice: a checkpoint is due at size {} (every {}); an authority should run `caselog checkpoint`",
            size.0,
            l.checkpoint_every().unwrap_or_default()
        );
    }
}

pub(crate) fn write_or_print(path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        None => out(text),
        Some(p) => caselog::storage::newfile::replace(p, text.as_bytes(), 0o644)
            .map_err(|e| CliError::storage(format!("cannot write {}: {e}", p.display()), None)),
    }
}

pub(crate) fn check_new_file(out: &Path) -> Result<(), CliError> {
    if out.exists() {
        return Err(CliError::input(
            format!("{} already exists", out.display()),
            "choose another --out",
        ));
    }
    Ok(())
}

/// Start an output file that appears under `path` only when complete
/// (`caselog::storage::newfile`); refuses an existing `path`.
pub(crate) fn create_new(
    path: &Path,
    reveal: &Reveal,
) -> Result<caselog::storage::newfile::NewFile, CliError> {
    // An output holding revealed private values is personal data: owner
    // only. Redacted outputs are meant to be shared.
    let mode = if *reveal == Reveal::None {
        0o644
    } else {
        0o600
    };
    caselog::storage::newfile::NewFile::create(path, mode).map_err(|e| CliError {
        code: if e.kind() == std::io::ErrorKind::AlreadyExists {
            exit::INPUT
        } else {
            3
        },
        msg: format!("cannot create {}: {e}", path.display()),
        hint: Some("choose another --out".into()),
    })
}

/// Make `f` durable and visible under `path`; returns its size.
pub(crate) fn finish(f: caselog::storage::newfile::NewFile, path: &Path) -> Result<u64, CliError> {
    let storage = |e: std::io::Error| {
        CliError::storage(format!("cannot write {}: {e}", path.display()), None)
    };
    // Crash here: the export is in its temporary file, nothing under `path`.
    caselog::storage::failpoint::hit("export.mid_write");
    f.commit().map_err(storage)?;
    Ok(std::fs::metadata(path).map_err(storage)?.len())
}

pub(crate) fn write_new(path: &Path, bytes: &[u8], reveal: &Reveal) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut f = create_new(path, reveal)?;
    f.write_all(bytes)
        .map_err(|e| CliError::storage(format!("cannot write {}: {e}", path.display()), None))?;
    finish(f, path).map(|_| ())
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| p.display().to_string())
}

/// A bar for hashing the file `p` (see [`Progress::bytes`]).
pub(crate) fn hashing(p: &Path) -> Progress {
    let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Progress::bytes(&format!("hashing {}", file_name(p)), len)
}

pub(crate) fn hash_with_progress(p: &Path) -> Result<Digests, CliError> {
    let bar = hashing(p);
    let d = evidence::hash_file(p, &mut |n| bar.set(n)).map_err(|e| {
        CliError::input(
            format!("cannot read {}: {e}", p.display()),
            "check the path and permissions",
        )
    })?;
    bar.finish();
    Ok(d)
}

/// Files larger than this get a progress bar (when stderr is a terminal).
pub(crate) const PROGRESS_MIN: u64 = 8 << 20;

/// Work smaller than this many entries finishes within about a second;
/// no bar for it.
pub(crate) const PROGRESS_MIN_ENTRIES: u64 = 20_000;

/// A progress bar on stderr for work that can take longer than a second:
/// shown only when stderr is a terminal (never in pipes, logs or tests);
/// `NO_COLOR` is honoured by indicatif's console.
pub(crate) struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar over `len` entries (`None`: count only), if worth showing.
    pub(crate) fn entries(what: &str, len: Option<u64>) -> Progress {
        if len.is_some_and(|n| n < PROGRESS_MIN_ENTRIES) || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let (pb, template) = match len {
            Some(n) => (
                indicatif::ProgressBar::new(n),
                "{msg} [{bar:30}] {pos}/{len} entries {per_sec} eta {eta}",
            ),
            None => (
                indicatif::ProgressBar::no_length(),
                "{msg} {pos} entries {per_sec}",
            ),
        };
        Progress(Some(Self::styled(pb, template, what)))
    }

    /// A bar over `len` bytes, if worth showing.
    pub(crate) fn bytes(what: &str, len: u64) -> Progress {
        if len < PROGRESS_MIN || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let template = "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
        Progress(Some(Self::styled(
            indicatif::ProgressBar::new(len),
            template,
            what,
        )))
    }

    fn styled(pb: indicatif::ProgressBar, template: &str, what: &str) -> indicatif::ProgressBar {
        let style = indicatif::ProgressStyle::with_template(template)
            .expect("cli: progress template")
            .progress_chars("=> ");
        pb.set_style(style);
        pb.set_message(what.to_owned());
        pb
    }

    /// A spinner with elapsed time for work over `entries` entries whose
    /// own steps are not counted (rendering a report, writing an export).
    pub(crate) fn spinner(what: &str, entries: u64) -> Progress {
        if entries < PROGRESS_MIN_ENTRIES || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let template = "{spinner} {msg} ({elapsed})";
        let pb = Self::styled(indicatif::ProgressBar::new_spinner(), template, what);
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress(Some(pb))
    }

    /// Report `n` done.
    pub(crate) fn set(&self, n: u64) {
        if let Some(pb) = &self.0 {
            pb.set_position(n);
        }
    }

    /// Remove the bar (the command's own output follows).
    pub(crate) fn finish(self) {
        if let Some(pb) = self.0 {
            pb.finish_and_clear();
        }
    }
}

/// A reader that reports its position to a [`Progress`] (bundle checks
/// read the file in passes, so the bar may run more than once).
pub(crate) struct ProgressReader<R> {
    inner: R,
    pos: u64,
    progress: Progress,
}

impl<R> ProgressReader<R> {
    pub(crate) fn new(inner: R, progress: Progress) -> Self {
        ProgressReader {
            inner,
            pos: 0,
            progress,
        }
    }
    pub(crate) fn finish(self) {
        self.progress.finish();
    }
}

impl<R: std::io::Read> std::io::Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        self.progress.set(self.pos);
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for ProgressReader<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        self.progress.set(self.pos);
        Ok(self.pos)
    }
}
