//! Evidence fixity: BLAKE3 and SHA-256 of a file in one read pass, and the
//! content-addressed blob store inside a ledger directory.
//!
//! Owns: streaming hashing (a reader feeds fixed-size chunks to BLAKE3 on
//! the calling thread and to SHA-256 on a second thread, so the pass runs at
//! the speed of the slower hash, with memory bounded by a few chunks
//! whatever the file size; sha2 uses the CPU's SHA extensions when present),
//! and `blobs/<first 2 hex>/<BLAKE3 hex>` copies written atomically.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;

use sha2::Digest as _;

use crate::format::hash::Hash;

/// Bytes read per chunk: small enough that both hashers read it from cache
/// (1 MiB chunks measured ~15% slower here, hashing from RAM).
const CHUNK: usize = 1 << 17;
/// Chunks in flight between the reader and the SHA-256 thread.
const IN_FLIGHT: usize = 4;

/// Size and both digests of some content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digests {
    /// Bytes read.
    pub size: u64,
    /// BLAKE3 (32 bytes).
    pub blake3: Hash,
    /// SHA-256.
    pub sha256: Hash,
}

/// Hash everything `r` yields, calling `progress` with the bytes done so
/// far after each chunk. When `copy` is given, every chunk is also written
/// to it (same single read pass).
///
/// A fixed pool of buffers circulates between this thread (read, BLAKE3,
/// copy) and a SHA-256 thread, so nothing is allocated or zeroed per chunk
/// and both hashes run at once.
pub fn hash_reader(
    mut r: impl Read,
    mut copy: Option<&mut dyn Write>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Digests> {
    let (to_sha, sha_in) = mpsc::sync_channel::<(Arc<Vec<u8>>, usize)>(IN_FLIGHT);
    let (sha_out, back) = mpsc::channel::<Arc<Vec<u8>>>();
    let sha = std::thread::spawn(move || {
        let mut h = sha2::Sha256::new();
        for (buf, n) in sha_in {
            h.update(&buf[..n]);
            // The reader may have finished; a closed return channel is fine.
            let _ = sha_out.send(buf);
        }
        Hash(h.finalize().into())
    });
    let mut pool: Vec<Vec<u8>> = (0..IN_FLIGHT + 1).map(|_| vec![0u8; CHUNK]).collect();
    let mut b3 = blake3::Hasher::new();
    let mut size = 0u64;
    let result = (|| -> io::Result<()> {
        loop {
            let mut buf = match pool.pop() {
                Some(b) => b,
                None => {
                    let a = back
                        .recv()
                        .map_err(|_| io::Error::other("evidence: SHA-256 thread stopped"))?;
                    // This thread dropped its clone after hashing: unique again.
                    Arc::try_unwrap(a).expect("evidence: buffer still shared")
                }
            };
            let mut filled = 0;
            while filled < CHUNK {
                match r.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if filled == 0 {
                return Ok(());
            }
            // SHA-256 starts on this chunk while BLAKE3 hashes it here.
            let buf = Arc::new(buf);
            to_sha
                .send((Arc::clone(&buf), filled))
                .map_err(|_| io::Error::other("evidence: SHA-256 thread stopped"))?;
            b3.update(&buf[..filled]);
            if let Some(w) = copy.as_deref_mut() {
                w.write_all(&buf[..filled])?;
            }
            drop(buf);
            size += filled as u64;
            progress(size);
            if filled < CHUNK {
                return Ok(());
            }
        }
    })();
    drop(to_sha);
    let sha256 = sha.join().expect("evidence: SHA-256 thread panicked");
    result?;
    Ok(Digests {
        size,
        blake3: Hash(*b3.finalize().as_bytes()),
        sha256,
    })
}

/// [`hash_reader`] on the calling thread alone: read a chunk, BLAKE3 it,
/// SHA-256 it, copy it. For hashing many files at once, where every core
/// already has a file of its own (`storage::tree`).
pub fn hash_serial(mut r: impl Read, mut copy: Option<&mut dyn Write>) -> io::Result<Digests> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; CHUNK]);
    }
    BUF.with_borrow_mut(|buf| {
        let (mut b3, mut sha) = (blake3::Hasher::new(), sha2::Sha256::new());
        let mut size = 0u64;
        loop {
            let n = match r.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            b3.update(&buf[..n]);
            sha.update(&buf[..n]);
            if let Some(w) = copy.as_deref_mut() {
                w.write_all(&buf[..n])?;
            }
            size += n as u64;
        }
        Ok(Digests {
            size,
            blake3: Hash(*b3.finalize().as_bytes()),
            sha256: Hash(sha.finalize().into()),
        })
    })
}

/// Hash a file.
pub fn hash_file(path: &Path, progress: &mut dyn FnMut(u64)) -> io::Result<Digests> {
    hash_reader(File::open(path)?, None, progress)
}

/// Where blobs live inside a ledger directory.
pub fn blob_dir(ledger_dir: &Path) -> PathBuf {
    ledger_dir.join("blobs")
}

/// Path of the blob with BLAKE3 `b3`.
pub fn blob_path(ledger_dir: &Path, b3: &Hash) -> PathBuf {
    let h = b3.to_hex();
    blob_dir(ledger_dir).join(&h[..2]).join(h)
}

/// Hash `src` and store a copy under its BLAKE3 name, in one read pass.
///
/// Commit order: the copy is written to a temporary file beside its final
/// place, synced, renamed to `blobs/xx/<blake3>`, and the directory synced;
/// a crash leaves at most a stray temporary file, never a wrong blob.
pub fn store_blob(
    ledger_dir: &Path,
    src: &Path,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Digests> {
    store_with(ledger_dir, |out| {
        hash_reader(File::open(src)?, Some(out), progress)
    })
}

/// Store what `fill` writes (returning its digests) as a blob, with
/// [`store_blob`]'s commit order.
pub fn store_with(
    ledger_dir: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<Digests>,
) -> io::Result<Digests> {
    let tmp = tmp_blob(ledger_dir)?;
    let result = (|| {
        let mut out = File::create(&tmp)?;
        let d = fill(&mut out)?;
        out.sync_all()?;
        adopt_blob(ledger_dir, &tmp, &d.blake3)?;
        Ok(d)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Partial copies removed from `blobs/tmp` ([`sweep_tmp`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Files removed.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Remove every file in `blobs/tmp`: copies a command was writing when it
/// was interrupted (Ctrl-C, a crash) before their rename to a final name.
///
/// Only for the holder of the writer lock: every blob is written while the
/// writer lock is held (`evidence add`, `import`, a server's uploads all
/// open the ledger for writing first), so no other process can be writing
/// one now, and whatever is there was left by a process that is gone.
pub fn sweep_tmp(ledger_dir: &Path) -> io::Result<Swept> {
    let tmp_dir = blob_dir(ledger_dir).join("tmp");
    let entries = match fs::read_dir(&tmp_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Swept::default()),
        Err(e) => return Err(e),
    };
    let mut swept = Swept::default();
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_file() {
            fs::remove_file(entry.path())?;
            swept.files += 1;
            swept.bytes += meta.len();
        }
    }
    Ok(swept)
}

/// A fresh temporary path in the blob store (for a copy being written).
pub fn tmp_blob(ledger_dir: &Path) -> io::Result<PathBuf> {
    let tmp_dir = blob_dir(ledger_dir).join("tmp");
    fs::create_dir_all(&tmp_dir)?;
    // Several threads may be storing copies at once (a tree's files).
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    Ok(tmp_dir.join(format!(
        "in-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )))
}

/// Move a synced temporary copy whose BLAKE3 is `b3` to its final name
/// `blobs/xx/<blake3>` and sync the directory (the last step of
/// [`store_blob`]'s commit order).
pub fn adopt_blob(ledger_dir: &Path, tmp: &Path, b3: &Hash) -> io::Result<()> {
    let dest = blob_path(ledger_dir, b3);
    let parent = dest.parent().expect("blob path has a parent");
    fs::create_dir_all(parent)?;
    fs::rename(tmp, &dest)?;
    File::open(parent)?.sync_all()
}

/// Re-hash a stored blob; `Ok(None)` when it is missing.
pub fn check_blob(ledger_dir: &Path, b3: &Hash) -> io::Result<Option<Digests>> {
    match File::open(blob_path(ledger_dir, b3)) {
        Ok(f) => hash_reader(f, None, &mut |_| {}).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A media type guessed from the file extension (stored as a hint only).
pub fn guess_media_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        "txt" => "text/plain",
        "eml" => "message/rfc822",
        "json" => "application/json",
        "csv" => "text/csv",
        "zip" => "application/zip",
        "e01" | "dd" | "img" | "raw" => "application/octet-stream",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_and_chunk_boundaries() {
        // SHA-256("abc") and BLAKE3("abc") are published values.
        let d = hash_reader(&b"abc"[..], None, &mut |_| {}).unwrap();
        assert_eq!(d.size, 3);
        assert_eq!(
            d.sha256.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            d.blake3.to_hex(),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        for n in [0usize, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            let d = hash_reader(&data[..], None, &mut |_| {}).unwrap();
            assert_eq!(d.size, n as u64);
            assert_eq!(d.blake3.0, *blake3::hash(&data).as_bytes());
            assert_eq!(d.sha256.0, <[u8; 32]>::from(sha2::Sha256::digest(&data)));
        }
    }
}
