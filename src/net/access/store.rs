//! The access log on disk (SPEC §18.2): `<ledger>/access/log`, records
//! each as a 4-byte big-endian length and the record's bytes, appended and
//! synced one by one before the answer they record is sent; and
//! `<ledger>/access/checkpoints/<size, 20 digits>`, the signed checkpoints
//! of its tree.
//!
//! Commit order of an append: the length and the record are written with
//! one `write` at the end of the file (under the write lock, so records
//! keep their seq order), then `fdatasync` (group commit: one sync covers
//! every record written before it began); only then is the answer sent. A
//! crash before the sync leaves at most torn or unsynced last records,
//! whose answers were never sent: the next writer cuts a torn one off at
//! open, and readers ignore it.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
    /// A record to append would be over the limit (a request with a huge
    /// path or headers): it is not written, and the read is not answered.
    #[error("the record of this read would be {len} bytes, over the {MAX_RECORD}-byte limit")]
    RecordTooLarge {
        /// Its encoded length.
        len: usize,
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

/// The writer, shared by the server's threads: records are written in
/// order under one lock and made durable by group commit (one
/// `fdatasync` covers every record written before it started), and no
/// caller returns before its own record is synced.
pub struct AccessLog {
    path: PathBuf,
    /// The file, its length and the next seq, under the write lock.
    tail: Mutex<Tail>,
    /// Held while one caller syncs for everyone written so far.
    syncing: Mutex<()>,
    /// Records known durable (a count from the start of the file).
    synced: AtomicU64,
    /// A handle for `fdatasync`, so syncing does not hold the write lock.
    sync_file: File,
}

struct Tail {
    file: File,
    len: u64,
    next: u64,
    /// Set when a failed write could not be undone: no further appends.
    broken: bool,
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
        let mut len = file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        if torn > 0 {
            len -= torn;
            file.set_len(len).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
        }
        file.seek(SeekFrom::Start(len)).map_err(io(&path))?;
        let sync_file = file.try_clone().map_err(io(&path))?;
        let next = records.len() as u64;
        Ok(AccessLog {
            path,
            tail: Mutex::new(Tail {
                file,
                len,
                next,
                broken: false,
            }),
            syncing: Mutex::new(()),
            synced: AtomicU64::new(next),
            sync_file,
        })
    }

    /// Append the record `make` builds for the next seq, and return once
    /// it is durable. A write that fails is cut off again (the log stays a
    /// sequence of whole records); if even that fails, the log refuses
    /// every later append.
    pub fn append(&self, make: impl FnOnce(u64) -> AccessRecord) -> Result<u64, AccessError> {
        let count = {
            let mut t = self.tail.lock().expect("access: tail lock poisoned");
            if t.broken {
                let err = std::io::Error::other(
                    "an earlier failed write could not be undone; restart the server",
                );
                return Err(io(&self.path)(err));
            }
            let r = make(t.next);
            assert_eq!(r.seq, t.next, "access: a record appended out of order");
            let b = r.encode();
            if b.len() > MAX_RECORD {
                return Err(AccessError::RecordTooLarge { len: b.len() });
            }
            let mut buf = (b.len() as u32).to_be_bytes().to_vec();
            buf.extend_from_slice(&b);
            if let Err(e) = t.file.write_all(&buf) {
                let len = t.len;
                t.broken = t
                    .file
                    .set_len(len)
                    .and_then(|_| t.file.seek(SeekFrom::Start(len)))
                    .is_err();
                return Err(io(&self.path)(e));
            }
            t.len += buf.len() as u64;
            t.next += 1;
            t.next
        };
        self.sync_through(count)?;
        Ok(count - 1)
    }

    /// Make the first `count` records durable: one caller syncs for every
    /// record written before its sync began; the others wait for it.
    fn sync_through(&self, count: u64) -> Result<(), AccessError> {
        if self.synced.load(Ordering::Acquire) >= count {
            return Ok(());
        }
        let _one = self.syncing.lock().expect("access: sync lock poisoned");
        if self.synced.load(Ordering::Acquire) >= count {
            return Ok(());
        }
        let written = self.tail.lock().expect("access: tail lock poisoned").next;
        self.sync_file.sync_data().map_err(io(&self.path))?;
        self.synced.fetch_max(written, Ordering::AcqRel);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::ids::{MemberKey, Timestamp};

    fn rec(seq: u64, who: u8) -> AccessRecord {
        AccessRecord {
            seq,
            time: Timestamp::parse("2026-12-06T10:00:00.000000Z").unwrap(),
            reader: MemberKey([who; 32]),
            method: "GET".into(),
            authority: "127.0.0.1:1".into(),
            path: format!("/c/api/show/{seq}"),
            query: "?".into(),
            content_digest: None,
            signature_input: "caselog=()".into(),
            signature: "caselog=::".into(),
            status: 200,
            items: Vec::new(),
            whole: false,
        }
    }

    /// Threads appending at once: every record lands whole, at its seq,
    /// once; a reopened log continues after them; a torn tail is cut.
    #[test]
    fn concurrent_appends_land_whole_and_in_order() {
        let t = tempfile::tempdir().unwrap();
        let log = std::sync::Arc::new(AccessLog::open(t.path()).unwrap());
        let threads: Vec<_> = (0..8u8)
            .map(|w| {
                let log = log.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| log.append(|s| rec(s, w)).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seqs: Vec<u64> = threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        seqs.sort();
        assert_eq!(seqs, (0..400).collect::<Vec<_>>());
        drop(log);
        let (records, torn) = read_all(t.path()).unwrap();
        assert_eq!((records.len(), torn), (400, 0));
        for (i, b) in records.iter().enumerate() {
            assert_eq!(AccessRecord::decode(b).unwrap().seq, i as u64);
        }
        // A torn tail (a crash mid-write) is cut at the next open.
        let path = dir(t.path()).join("log");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0, 0, 1, 0, 7, 7]).unwrap();
        drop(f);
        assert_eq!(read_all(t.path()).unwrap().1, 6);
        let log = AccessLog::open(t.path()).unwrap();
        assert_eq!(log.append(|s| rec(s, 9)).unwrap(), 400);
        assert_eq!(
            read_all(t.path()).unwrap(),
            (read_all(t.path()).unwrap().0, 0)
        );
        assert_eq!(read_all(t.path()).unwrap().0.len(), 401);
    }
}
