//! Crash test (short version): a child shell appends notes in a loop with
//! the real `caselog` binary and prints `ack N` only after each command has
//! returned (the synced write is done). The parent SIGKILLs the whole
//! process group at random moments, reopens the ledger and checks: no
//! acknowledged entry is missing, there are no gaps, at most the in-flight
//! entry is extra, and `verify` is clean every time.

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use caselog::storage::keys::{write_key_files, Signer};
use caselog::{verify_store, Genesis, HashAlg, Ledger, Seq, Timestamp};

/// A fresh BLAKE3 ledger in `root`/l whose authority's unencrypted key is
/// `root`/k; returns both paths.
fn new_ledger(root: &Path, case_id: &str, seed: u8) -> (PathBuf, PathBuf) {
    let (dir, key) = (root.join("l"), root.join("k"));
    let a = Signer::from_seed(&format!("{case_id} authority"), &[seed; 32]);
    write_key_files(&a, &key, None).unwrap();
    let genesis = Genesis {
        case_id,
        title: "crash and durability test",
        hash: HashAlg::Blake3,
        time: Timestamp::now(),
        ledger_id: None,
        checkpoint_every: None,
        zone: None,
    };
    drop(Ledger::init(&dir, genesis, &a).unwrap());
    (dir, key)
}

#[test]
fn kill_minus_nine_loses_no_acknowledged_entry() {
    let t = tempfile::tempdir().unwrap();
    let (dir, key) = new_ledger(t.path(), "CRASH", 0x31);
    let bin = env!("CARGO_BIN_EXE_caselog");
    // tools/crash runs the long version: CASELOG_CRASH_KILLS rounds, with a
    // CASELOG_CRASH_SEED for the kill timings.
    let env_u64 = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .map(|v| {
                v.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{k} must be a number"))
            })
            .unwrap_or(d)
    };
    let mut x: u64 = env_u64("CASELOG_CRASH_SEED", 0x2545_f491_4f6c_dd1d).max(1);
    let mut acked_total = 0;
    let kills = env_u64("CASELOG_CRASH_KILLS", 12);
    for round in 0..kills {
        let script = format!(
            "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); '{bin}' --ledger '{}' --key '{}' note \"round {round} note $i\" >/dev/null 2>&1 && echo \"ack $i\"; done",
            dir.display(),
            key.display()
        );
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(script)
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_millis(150 + x % 600));
        let pgid = child.id();
        // Signal the whole process group (bash and the caselog in flight).
        let killed = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .status()
            .unwrap();
        assert!(killed.success(), "kill failed");
        let _ = child.wait();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let acked: Vec<u64> = out
            .lines()
            .filter_map(|l| l.strip_prefix("ack ")?.parse().ok())
            .collect();
        acked_total += acked.len();
        // Reopen (as a writer: the killed writer's lock must be gone).
        // The killed process releases its lock when the kernel finishes
        // tearing it down, a moment after the signal.
        let mut tries = 0;
        let l = loop {
            match Ledger::open(&dir, true) {
                Ok(l) => break l,
                Err(caselog::LedgerError::Store(caselog::storage::store::StoreError::Locked {
                    ..
                })) if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("round {round}: reopen after kill -9: {e}"),
            }
        };
        let r = verify_store(l.store()).unwrap();
        assert!(r.is_ok(), "round {round}: {:#?}", r.problems);
        let notes: Vec<String> = l
            .records_from(Seq(0))
            .filter_map(|x| {
                let (_, raw) = x.unwrap();
                let e = caselog::Entry::decode(&caselog::Record::decode(&raw).ok()?.entry_bytes)
                    .ok()?;
                e.body
                    .summary()
                    .strip_prefix(&format!("round {round} note "))
                    .map(str::to_owned)
            })
            .collect();
        let present: Vec<u64> = notes.iter().map(|n| n.parse().unwrap()).collect();
        for n in &acked {
            assert!(
                present.contains(n),
                "round {round}: acknowledged note {n} lost"
            );
        }
        // No gaps; at most the in-flight one beyond the acknowledged ones.
        let expect: Vec<u64> = (1..=present.len() as u64).collect();
        assert_eq!(
            present, expect,
            "round {round}: notes out of order or with gaps"
        );
        assert!(
            present.len() <= acked.len() + 1,
            "round {round}: {} present, {} acked",
            present.len(),
            acked.len()
        );
    }
    assert!(
        acked_total > 10,
        "only {acked_total} acknowledged appends over {kills} kills"
    );
    eprintln!(
        "crash: {kills} kills, {acked_total} acknowledged appends, 0 lost, verify clean after every kill"
    );
}

/// Durability shown directly, not only by kill -9: under
/// `strace -f -e trace=openat,write,fsync,fdatasync`, every `caselog note`
/// writes its batch to the RocksDB write-ahead log and syncs that file
/// before it prints the acknowledgement. tools/test installs strace.
#[test]
fn the_wal_is_synced_before_each_acknowledgement() {
    let t = tempfile::tempdir().unwrap();
    let (dir, key) = new_ledger(t.path(), "SYNC", 0x32);
    for i in 0..3 {
        let trace = t.path().join(format!("trace{i}"));
        let st = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                "trace=openat,write,fsync,fdatasync",
                "-o",
            ])
            .arg(&trace)
            .arg(env!("CARGO_BIN_EXE_caselog"))
            .arg("--ledger")
            .arg(&dir)
            .arg("--key")
            .arg(&key)
            .args(["note", &format!("synced note {i}")])
            .stdout(Stdio::null())
            .status()
            .expect("strace must be installed (tools/test installs it)");
        assert!(st.success());
        let text = std::fs::read_to_string(&trace).unwrap();
        // fds of the write-ahead log files (NNNNNN.log; the info log is LOG).
        let mut wal_fds = Vec::new();
        let mut last_wal_write = None;
        let mut synced_after_write = false;
        let mut acked = false;
        for line in text.lines() {
            let call = line
                .split_once(' ')
                .map(|(_, c)| c.trim_start())
                .unwrap_or(line);
            if call.starts_with("openat(") && call.contains(".log\"") {
                if let Some(fd) = call
                    .rsplit("= ")
                    .next()
                    .and_then(|r| r.trim().parse::<i32>().ok())
                {
                    wal_fds.push(fd);
                }
            } else if let Some(rest) = call.strip_prefix("write(") {
                let fd: i32 = rest.split(',').next().unwrap().parse().unwrap_or(-1);
                if fd == 1 && rest.contains("note recorded") {
                    assert!(
                        last_wal_write.is_some(),
                        "note {i}: acknowledged with no WAL write:\n{text}"
                    );
                    assert!(
                        synced_after_write,
                        "note {i}: acknowledged before the WAL was synced:\n{text}"
                    );
                    acked = true;
                } else if wal_fds.contains(&fd) {
                    last_wal_write = Some(fd);
                    synced_after_write = false;
                }
            } else if let Some(rest) = call
                .strip_prefix("fdatasync(")
                .or_else(|| call.strip_prefix("fsync("))
            {
                let fd: i32 = rest.split(')').next().unwrap().parse().unwrap_or(-1);
                if Some(fd) == last_wal_write {
                    synced_after_write = true;
                }
            }
        }
        assert!(acked, "note {i}: no acknowledgement in the trace");
    }
}

/// Crashes at named points (the `failpoints` feature; `tools/test` builds
/// with it): the process aborts right there, running no destructors, like
/// kill -9. Each point must leave a whole state: the append or checkpoint
/// batch entirely absent or entirely present (never acknowledged), no file
/// under an export's or a key's final name, and the ledger verifying.
#[cfg(feature = "failpoints")]
#[test]
fn crashes_at_named_failpoints_leave_whole_states() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::ExitStatusExt as _;

    let t = tempfile::tempdir().unwrap();
    let (dir, key) = new_ledger(t.path(), "FAILPOINT", 0x32);
    let bin = env!("CARGO_BIN_EXE_caselog");
    let run = |fp: Option<&str>, args: &[&str]| {
        let mut c = Command::new(bin);
        if let Some(fp) = fp {
            c.env("CASELOG_FAILPOINT", fp);
        }
        c.env("CASELOG_PASSPHRASE", "failpoint test")
            .arg("--ledger")
            .arg(&dir)
            .arg("--key")
            .arg(&key)
            .args(args)
            .output()
            .unwrap()
    };
    let crashed = |o: &std::process::Output, what: &str| {
        assert_eq!(
            o.status.signal(),
            Some(6),
            "{what}: expected an abort at the failpoint, got {:?}; stderr {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.is_empty(), "{what}: acknowledged before the crash");
    };
    let state = || {
        let l = Ledger::open(&dir, false).unwrap();
        let r = verify_store(l.store()).unwrap();
        assert!(r.is_ok(), "{:#?}", r.problems);
        (
            l.head().tree.size.0,
            l.latest_checkpoint().unwrap().map(|(s, _)| s.0),
        )
    };
    let (n0, cp0) = state();
    assert_eq!(cp0, None);
    let mut points = 0;

    // Append: before the synced batch nothing is there; after it the whole
    // entry is (the in-flight entry, never acknowledged).
    crashed(
        &run(Some("store.before_write"), &["note", "lost"]),
        "note before write",
    );
    assert_eq!(state(), (n0, None));
    crashed(
        &run(Some("store.after_write"), &["note", "kept"]),
        "note after write",
    );
    assert_eq!(state(), (n0 + 1, None));
    points += 2;

    // Checkpoint: its note and its row go in one batch.
    crashed(
        &run(Some("store.before_write"), &["checkpoint"]),
        "checkpoint before write",
    );
    assert_eq!(state(), (n0 + 1, None));
    crashed(
        &run(Some("store.after_write"), &["checkpoint"]),
        "checkpoint after write",
    );
    let (n1, cp1) = state();
    assert_eq!(cp1, Some(n1), "the checkpoint batch is whole");
    points += 2;

    // Exports: nothing under the final name, and a rerun writes it.
    let exports: [(&str, Vec<&str>); 4] = [
        ("bundle.cbor", vec!["export", "bundle", "--out"]),
        ("t.jsonl", vec!["export", "--format", "timesketch", "--out"]),
        ("t.csv", vec!["export", "--format", "csv", "--out"]),
        ("report.html", vec!["export", "report", "--out"]),
    ];
    for (name, args) in exports {
        let out = t.path().join(name);
        let mut a = args.clone();
        let o = out.to_str().unwrap();
        a.push(o);
        crashed(&run(Some("export.mid_write"), &a), name);
        assert!(
            !out.exists(),
            "{name}: a partial export under the final name"
        );
        let ok = run(None, &a);
        assert!(ok.status.success(), "{name}: rerun failed: {:?}", ok);
        assert!(out.exists(), "{name}: rerun wrote nothing");
        points += 1;
    }
    let vkey = String::from_utf8(run(None, &["log-key"]).stdout).unwrap();
    let b = run(
        None,
        &[
            "verify",
            "--bundle",
            t.path().join("bundle.cbor").to_str().unwrap(),
            "--trust",
            vkey.trim(),
        ],
    );
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stdout));

    // Key files: never half-written under the final name; a leftover
    // temporary file is as private as the key.
    for (i, pass) in [(0, false), (1, true)] {
        let k = t.path().join(format!("newkey{i}"));
        let mut a = vec![
            "key",
            "generate",
            "--name",
            "New Member",
            "--out",
            k.to_str().unwrap(),
        ];
        if !pass {
            a.push("--no-passphrase");
        }
        crashed(&run(Some("keys.mid_write"), &a), "key generate");
        assert!(!k.exists() && !caselog::storage::keys::pub_path(&k).exists());
        for f in std::fs::read_dir(t.path()).unwrap() {
            let f = f.unwrap();
            if f.file_name()
                .to_string_lossy()
                .contains(&format!("newkey{i}.tmp"))
            {
                let mode = f.metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "temporary key file mode {mode:o}");
            }
        }
        let ok = run(None, &a);
        assert!(ok.status.success(), "{:?}", ok);
        caselog::storage::keys::load_private(&k, pass.then_some(b"failpoint test".as_slice()))
            .unwrap();
        points += 1;
    }
    assert_eq!(state().0, n1, "nothing else was appended");

    // init: built in a hidden 0700 staging directory, renamed after the
    // genesis commit. Killed before the rename: no ledger under the name
    // (a reader says "not a ledger"), and a rerun creates it whole.
    let fresh = t.path().join("fresh");
    let init = |fp: Option<&str>| {
        let mut c = Command::new(bin);
        if let Some(fp) = fp {
            c.env("CASELOG_FAILPOINT", fp);
        }
        c.arg("--ledger")
            .arg(&fresh)
            .arg("--key")
            .arg(&key)
            .args(["init", "--case", "FRESH", "--title", "crash during init"])
            .output()
            .unwrap()
    };
    crashed(&init(Some("init.before_rename")), "init before rename");
    assert!(!fresh.exists(), "a half-made ledger under the final name");
    let ok = init(None);
    assert!(ok.status.success(), "{ok:?}");
    let l = Ledger::open(&fresh, false).unwrap();
    assert_eq!(l.head().tree.size.0, 1);
    assert!(verify_store(l.store()).unwrap().is_ok());
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "ledger directory mode {mode:o}");
    // The crashed attempt's staging directory was cleared by the rerun.
    let left: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".fresh.init-"))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
    points += 1;
    eprintln!("crash: {points} named failpoints (append x2, checkpoint x2, export x4, key file x2, init), each left a whole state");
}
