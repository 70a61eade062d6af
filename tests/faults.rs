//! Fault test: a full disk. The ledger lives on a small tmpfs the test
//! mounts (root only; tools/test and CI run as root and set
//! `CASELOG_REQUIRE_ROOT_TESTS=1`, so there the test cannot skip). The disk
//! is filled to the last page, then:
//!
//! - through the library: appends either succeed durably or fail with an
//!   `Err` (never a panic); every `Ok` survives a reopen;
//! - through the CLI: `caselog note` exits 3 with a one-line error naming
//!   the full disk, acknowledges nothing, and the ledger still verifies;
//! - once space is freed, the next append works and verification is clean.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use caselog::format::entry::{Body, Note};
use caselog::storage::keys::{write_key_files, Signer};
use caselog::{verify_store, Genesis, HashAlg, Ledger, Timestamp};

/// A tmpfs mounted for the life of the value.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB at `at`, or explains why it cannot.
    fn mount(at: &Path, mib: u32) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(at.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Mounts the tmpfs, or returns `None` (test skipped) when not permitted
/// and the environment does not demand the test.
fn small_disk(at: &Path, mib: u32) -> Option<Tmpfs> {
    match Tmpfs::mount(at, mib) {
        Ok(m) => Some(m),
        Err(why) if std::env::var_os("CASELOG_REQUIRE_ROOT_TESTS").is_none() => {
            eprintln!("SKIPPED full-disk test: cannot mount a tmpfs ({why}); run as root");
            None
        }
        Err(why) => panic!("cannot mount a tmpfs for the full-disk test: {why}"),
    }
}

/// A 16 MiB disk holding a new ledger, with its authority's key file.
struct Disk {
    _disk: Tmpfs,
    dir: PathBuf,
    filler: PathBuf,
    key: PathBuf,
    a: Signer,
}

impl Disk {
    /// `None` when the tmpfs cannot be mounted (see [`small_disk`]).
    fn with_ledger(at: &Path) -> Option<Disk> {
        let disk = small_disk(&at.join("disk"), 16)?;
        let (dir, key) = (at.join("disk/l"), at.join("k"));
        let a = Signer::from_seed("Full-disk authority", &[0x33; 32]);
        write_key_files(&a, &key, None).unwrap();
        drop(Ledger::init(&dir, genesis(), &a).unwrap());
        Some(Disk {
            _disk: disk,
            dir,
            filler: at.join("disk/filler"),
            key,
            a,
        })
    }
}

/// Writes zeros to `path` until the filesystem refuses; returns bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = File::create(path).unwrap();
    let page = [0u8; 4096];
    let mut n = 0u64;
    loop {
        match f.write(&page) {
            Ok(0) => break,
            Ok(k) => n += k as u64,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "expected ENOSPC, got {e}");
                break;
            }
        }
    }
    let _ = f.sync_all();
    n
}

fn genesis() -> Genesis<'static> {
    Genesis {
        case_id: "FULL",
        title: "full disk",
        hash: HashAlg::Blake3,
        time: Timestamp::now(),
        ledger_id: None,
        checkpoint_every: None,
        zone: None,
    }
}

fn entries(dir: &Path) -> u64 {
    let l = Ledger::open(dir, false).unwrap();
    let r = verify_store(l.store()).unwrap();
    assert!(r.problems.is_empty(), "verify found {:?}", r.problems);
    r.entries
}

#[test]
fn a_full_disk_fails_appends_cleanly_and_recovers_once_space_is_freed() {
    let t = tempfile::tempdir().unwrap();
    let Some(Disk {
        _disk,
        dir,
        filler,
        key,
        a,
    }) = Disk::with_ledger(t.path())
    else {
        return;
    };

    // Library: open first, then fill, so the failure hits the write itself
    // rather than the open. Appends may still succeed into space RocksDB
    // already holds; each Ok must survive, and the first Err ends the run.
    let mut oks = 0u64;
    {
        let mut l = Ledger::open(&dir, true).unwrap();
        assert!(fill(&filler) > 0);
        let text = "x".repeat(3000);
        for _ in 0..20_000 {
            match l.append(Body::Note(Note { text: text.clone() }), &a) {
                Ok(_) => oks += 1,
                Err(caselog::LedgerError::Store(_)) => break,
                Err(e) => panic!("a full disk should be a storage error, got {e}"),
            }
        }
        assert!(oks < 20_000, "16 MiB disk never filled up");
        eprintln!("full disk: {oks} appends acknowledged before the first error");
    }
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(entries(&dir), 1 + oks, "acknowledged appends lost");

    // CLI: fill again; the append must fail with exit 3 and a clear line.
    fill(&filler);
    let before = entries_cli(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_caselog"))
        .arg("--ledger")
        .arg(&dir)
        .arg("--key")
        .arg(&key)
        .args(["note", "written to a full disk"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout {stdout} stderr {stderr}"
    );
    assert!(!stdout.contains("recorded"), "acknowledged: {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("free space"), "no fix in: {stderr}");
    assert_eq!(
        entries_cli(&dir),
        before,
        "an entry appeared after a failed append"
    );

    // Space freed: the next append works and everything verifies.
    std::fs::remove_file(&filler).unwrap();
    let st = Command::new(env!("CARGO_BIN_EXE_caselog"))
        .arg("--ledger")
        .arg(&dir)
        .arg("--key")
        .arg(&key)
        .args(["note", "after space was freed"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_eq!(entries(&dir), before + 1);
}

/// Entry count from `caselog verify` (read-only; works on a full disk).
fn entries_cli(dir: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_caselog"))
        .arg("--ledger")
        .arg(dir)
        .arg("verify")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "verify failed on a full disk: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("entries"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no entries line in {stdout}"))
}

/// Issue 16: a disk that fills during a pipelined append (the committer
/// writes batch k while k+1 is signed). Through the library, the pipeline
/// reports how many batches are durable and the handle re-reads its state
/// from the store (its head is the last durable batch's; RocksDB itself
/// refuses writes after a failed one until reopened). Through the CLI,
/// `caselog import` exits 3 naming the last line imported in whole
/// batches, and running the same command again imports the rest exactly
/// once (the import row, written with each batch, says where it stopped).
#[test]
fn a_disk_filling_during_a_pipelined_import_stops_at_whole_batches() {
    let t = tempfile::tempdir().unwrap();
    let Some(Disk {
        _disk,
        dir,
        filler,
        key,
        a,
    }) = Disk::with_ledger(t.path())
    else {
        return;
    };

    // Library: open first, then leave ~1 MiB, so a few batches fit and
    // then one fails.
    let mut l = Ledger::open(&dir, true).unwrap();
    leave_free(&filler, 1 << 20);
    let text = "x".repeat(3000);
    let run = l
        .pipelined(|l| {
            for _ in 0..2_000 {
                let items = (0..50).map(|_| (Body::Note(Note { text: text.clone() }), &a));
                l.append_batch_at(items.collect(), Timestamp::now())?;
            }
            Ok::<_, caselog::LedgerError>(())
        })
        .unwrap();
    assert!(run.commit_error.is_some(), "16 MiB disk never filled up");
    assert!(run.durable > 0, "no batch fit in the space left");
    assert!(
        run.result.is_err(),
        "appends went on after the committer stopped"
    );
    let durable = 1 + 50 * run.durable as u64;
    assert_eq!(
        l.head().tree.size.0,
        durable,
        "the handle was not reset to the store"
    );
    // RocksDB refuses writes after a failed one until it is reopened.
    drop(l);
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(entries(&dir), durable, "a durable batch lost");
    let mut l = Ledger::open(&dir, true).unwrap();
    l.append(
        Body::Note(Note {
            text: "after".into(),
        }),
        &a,
    )
    .unwrap();
    drop(l);
    assert_eq!(entries(&dir), durable + 1);

    // CLI: leave ~2 MiB free, then import ~6 MB of notes in batches of 50.
    let lines: Vec<String> = (1..=2_000)
        .map(|i| format!(r#"{{"kind": "note", "body": {{"text": "line {i} {text}"}}}}"#))
        .collect();
    std::fs::write(t.path().join("in.jsonl"), lines.join("\n")).unwrap();
    leave_free(&filler, 2 << 20);
    let before = entries_cli(&dir);
    let import = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_caselog"))
            .arg("--ledger")
            .arg(&dir)
            .arg("--key")
            .arg(&key)
            .arg("import")
            .arg(t.path().join("in.jsonl"))
            .args(["--batch", "50"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = import(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let done: u64 = stderr
        .split("lines 1..")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no lines 1..N in: {stderr}"));
    assert!(
        stderr.contains(&format!("lines 1..{done} are in")),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing recorded"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "free space on it, then run the same command again to continue at line {}: caselog --ledger",
            done + 1
        )),
        "{stderr}"
    );
    assert_eq!(done % 50, 0, "whole batches only: {stderr}");
    assert_eq!(entries_cli(&dir), before + done, "{stderr}");

    std::fs::remove_file(&filler).unwrap();
    // The same command again: the import row says where to continue.
    let out = import(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entries(&dir), before + 2_000, "each line exactly once");
}

/// Fill the filesystem of `filler`, then give back `bytes` of it.
fn leave_free(filler: &Path, bytes: u64) {
    let filled = fill(filler);
    assert!(filled > bytes, "the disk had less than {bytes} bytes free");
    File::options()
        .write(true)
        .open(filler)
        .unwrap()
        .set_len(filled - bytes)
        .unwrap();
}
