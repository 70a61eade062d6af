//! The access log on disk (SPEC §18.2): `<ledger>/access/log`, records
//! each as a 4-byte big-endian length and the record's bytes, appended and
//! synced one by one before the answer they record is sent; and
//! `<ledger>/access/checkpoints/<size, 20 digits>`, the signed checkpoints
//! of its tree.
//!
//! Commit order of an append: the length and the record are written with
//! one `write` at the end of the file, then `fdatasync`; only then is the
//! answer sent. A crash before the sync leaves at most a torn last record,
//! whose answer was never sent: the next writer cuts it off at open, and
//! readers ignore it.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::record::{AccessRecord, MAX_RECORD};

/// Why the access log could not be used.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AccessError {
    /// Reading or writing failed.
    #[error("{path}: {err}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        err: std::io::Error,
    },
    /// A record's length is over the limit: the file is not an access log.
    #[error("{path}: record {seq} claims {len} bytes, over the {MAX_RECORD}-byte limit")]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Its position.
        seq: u64,
        /// The length claimed.
        len: usize,
    },
}

/// The access log directory of the ledger at `ledger_dir`.
pub fn dir(ledger_dir: &Path) -> PathBuf {
    ledger_dir.join("access")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AccessError + '_ {
    move |err| AccessError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// Every complete record's bytes, in order, and the length of a torn tail
/// (0 when none). A missing log is an empty one.
pub fn read_all(ledger_dir: &Path) -> Result<(Vec<Vec<u8>>, u64), AccessError> {
    let path = dir(ledger_dir).join("log");
    let mut bytes = Vec::new();
    match File::open(&path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(io(&path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(&path)(e)),
    }
    let mut out = Vec::new();
    let mut at = 0usize;
    while bytes.len() - at >= 4 {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        if len > MAX_RECORD {
            let seq = out.len() as u64;
            return Err(AccessError::TooLong { path, seq, len });
        }
        if bytes.len() - at - 4 < len {
            break;
        }
        out.push(bytes[at + 4..at + 4 + len].to_vec());
        at += 4 + len;
    }
    Ok((out, (bytes.len() - at) as u64))
}

/// The writer: appends records, one synced write each.
pub struct AccessLog {
    path: PathBuf,
    file: File,
    next: u64,
}

impl AccessLog {
    /// Open (creating) the access log of the ledger at `ledger_dir`; a
    /// torn last record is cut off.
    pub fn open(ledger_dir: &Path) -> Result<AccessLog, AccessError> {
        let d = dir(ledger_dir);
        std::fs::create_dir_all(d.join("checkpoints")).map_err(io(&d))?;
        let (records, torn) = read_all(ledger_dir)?;
        let path = d.join("log");
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        let end = file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        if torn > 0 {
            file.set_len(end - torn).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
        }
        file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        Ok(AccessLog {
            path,
            file,
            next: records.len() as u64,
        })
    }

    /// The seq the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Append `r` (whose `seq` must be [`Self::next_seq`]) and sync it.
    pub fn append(&mut self, r: &AccessRecord) -> Result<(), AccessError> {
        assert_eq!(r.seq, self.next, "access: a record appended out of order");
        let b = r.encode();
        let mut buf = (b.len() as u32).to_be_bytes().to_vec();
        buf.extend_from_slice(&b);
        self.file.write_all(&buf).map_err(io(&self.path))?;
        self.file.sync_data().map_err(io(&self.path))?;
        self.next += 1;
        Ok(())
    }
}

/// The stored checkpoints: (size, note bytes), by size.
pub fn checkpoints(ledger_dir: &Path) -> Result<Vec<(u64, Vec<u8>)>, AccessError> {
    let d = dir(ledger_dir).join("checkpoints");
    let mut out = Vec::new();
    let list = match std::fs::read_dir(&d) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(&d)(e)),
    };
    for entry in list {
        let entry = entry.map_err(io(&d))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(size) = name.parse::<u64>().ok().filter(|_| name.len() == 20) else {
            continue;
        };
        let p = entry.path();
        out.push((size, std::fs::read(&p).map_err(io(&p))?));
    }
    out.sort();
    Ok(out)
}

/// Store a signed checkpoint of the first `size` records (a new file,
/// written, synced, then renamed into place).
pub fn store_checkpoint(ledger_dir: &Path, size: u64, note: &[u8]) -> Result<PathBuf, AccessError> {
    let d = dir(ledger_dir).join("checkpoints");
    std::fs::create_dir_all(&d).map_err(io(&d))?;
    let path = d.join(format!("{size:020}"));
    let tmp = d.join(format!(".{size:020}.tmp"));
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(note).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    File::open(&d).and_then(|f| f.sync_all()).map_err(io(&d))?;
    Ok(path)
}
