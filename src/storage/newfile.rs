//! Files that never appear half-written under their final name.
//!
//! Owns the one way caselog creates an output file (key files, exports,
//! bundles, reports): write to a temporary file in the same directory, fsync
//! it, hard-link it to the final name (which fails if that name exists, so
//! nothing is ever overwritten), fsync the directory, remove the temporary
//! name. A crash before the link leaves at most a `.NAME.tmp…` file (with the
//! final file's mode) and no final file; a crash after it leaves the whole
//! file. [`replace`] is the same with a rename over the final name, for
//! files that are rewritten (witness state, outputs the user names again):
//! a reader sees the old file or the new one, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// A file being written; visible under its final name only after
/// [`NewFile::commit`]. Dropped without commit, it removes its temporary file.
#[derive(Debug)]
pub struct NewFile {
    path: PathBuf,
    tmp: PathBuf,
    dir: PathBuf,
    out: Option<BufWriter<File>>,
}

impl NewFile {
    /// Start writing `path` with permission bits exactly `mode` (the umask
    /// does not apply). Fails with `AlreadyExists` if `path` exists.
    pub fn create(path: &Path, mode: u32) -> io::Result<NewFile> {
        if fs::symlink_metadata(path).is_ok() {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "file exists"));
        }
        NewFile::start(path, mode)
    }

    fn start(path: &Path, mode: u32) -> io::Result<NewFile> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let mut nonce = [0u8; 4];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let tmp = dir.join(format!(
            ".{}.tmp{}-{}",
            name.to_string_lossy(),
            std::process::id(),
            hex::encode(nonce)
        ));
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o600)
            .open(&tmp)?;
        // Exactly `mode`, whatever the umask (a key file must be 0600 even
        // under umask 000, and readable by its owner under umask 077).
        // Created no wider than 0600, so the bytes are never exposed while
        // the mode is being set.
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        Ok(NewFile {
            path: path.to_owned(),
            tmp,
            dir,
            out: Some(BufWriter::with_capacity(256 * 1024, f)),
        })
    }

    /// Make the file durable and visible under its final name.
    pub fn commit(self) -> io::Result<()> {
        self.finish(|tmp, path| fs::hard_link(tmp, path))
    }

    /// Sync, put in place with `place(tmp, final)`, sync the directory.
    fn finish(mut self, place: fn(&Path, &Path) -> io::Result<()>) -> io::Result<()> {
        let out = self.out.take().expect("newfile: committed twice");
        let f = out.into_inner().map_err(|e| e.into_error())?;
        let result = f
            .sync_all()
            .and_then(|_| place(&self.tmp, &self.path))
            .and_then(|_| File::open(&self.dir)?.sync_all());
        let _ = fs::remove_file(&self.tmp);
        result
    }
}

impl Write for NewFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out
            .as_mut()
            .expect("newfile: write after commit")
            .write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out
            .as_mut()
            .expect("newfile: write after commit")
            .write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out
            .as_mut()
            .expect("newfile: flush after commit")
            .flush()
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Write `data` to `path`, replacing any file there: written and synced
/// under a temporary name, then renamed over `path`, then the directory is
/// synced.
pub fn replace(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let mut f = NewFile::start(path, mode)?;
    f.write_all(data)?;
    f.finish(|tmp, path| fs::rename(tmp, path))
}

/// Write `data` to the new file `path` in one go (see [`NewFile`]).
pub fn write_new(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let mut f = NewFile::create(path, mode)?;
    f.write_all(data)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_overwrites_whole_and_leaves_no_temporary() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("state.json");
        replace(&p, b"old", 0o644).unwrap();
        replace(&p, b"new contents", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new contents");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn appears_only_on_commit_and_never_overwrites() {
        let d = std::env::temp_dir().join(format!("caselog-newfile-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        let p = d.join("out.bin");
        let mut f = NewFile::create(&p, 0o600).unwrap();
        f.write_all(b"hello").unwrap();
        assert!(!p.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert_eq!(
            fs::read_dir(&d).unwrap().count(),
            1,
            "temp file left behind"
        );
        let e = write_new(&p, b"other", 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        // Dropped without commit: no file, no temp file.
        let q = d.join("dropped.bin");
        drop(NewFile::create(&q, 0o600).unwrap());
        assert!(!q.exists());
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        fs::remove_dir_all(&d).unwrap();
    }
}
