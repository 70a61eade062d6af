//! Concurrency: one writer, many readers, and a refused second writer.
//!
//! - Readers (`verify`, `export`) run while a writer appends in another
//!   process; each sees a consistent prefix: verification clean, the
//!   export's rows exactly the dated entries of the prefix it reports, and
//!   prefixes that never shrink.
//! - A second writer fails within a second with exit 3 and leaves every
//!   byte of the ledger directory as it was.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use caselog::storage::keys::{write_key_files, Signer};
use caselog::{Genesis, HashAlg, Ledger, Timestamp};

fn setup(root: &Path) {
    let a = Signer::from_seed("Concurrency authority", &[0x51; 32]);
    write_key_files(&a, &root.join("k"), None).unwrap();
    let g = Genesis {
        case_id: "CONC",
        title: "readers during appends",
        hash: HashAlg::Sha256,
        time: Timestamp::now(),
        ledger_id: None,
        checkpoint_every: None,
        zone: None,
    };
    drop(Ledger::init(&root.join("l"), g, &a).unwrap());
}

fn caselog(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caselog"))
        .arg("--ledger")
        .arg(root.join("l"))
        .arg("--key")
        .arg(root.join("k"))
        .args(args)
        .output()
        .unwrap()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for f in std::fs::read_dir(dir).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            m.insert(
                f.file_name().to_string_lossy().into_owned(),
                std::fs::read(f.path()).unwrap(),
            );
        }
    }
    m
}

#[test]
fn readers_see_a_consistent_prefix_while_a_writer_appends() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    setup(root);
    let base = Ledger::open(&root.join("l"), false)
        .unwrap()
        .head()
        .tree
        .size
        .0;
    const EVENTS: u64 = 60;
    let script = format!(
        "for i in $(seq 1 {EVENTS}); do '{}' --ledger '{}' --key '{}' event add --title \"event $i\" --occurred 2008-11-0$((i % 9 + 1)) >/dev/null || exit 1; done",
        env!("CARGO_BIN_EXE_caselog"),
        root.join("l").display(),
        root.join("k").display()
    );
    let mut writer = Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (mut last, mut reads, mut exports) = (0u64, 0u64, 0u64);
    loop {
        let done = writer.try_wait().unwrap();
        let v = caselog(root, &["verify", "--json"]);
        assert!(
            v.status.success(),
            "verify during appends: {}",
            String::from_utf8_lossy(&v.stdout)
        );
        let j: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(j["verified"], true);
        let n = j["entries"].as_u64().unwrap();
        assert!(n >= last, "prefix shrank from {last} to {n}");
        last = n;
        reads += 1;

        let out = root.join(format!("t{reads}.json"));
        let e = caselog(
            root,
            &["export", "--format", "json", "--out", out.to_str().unwrap()],
        );
        assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
        let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let n = j["entries"].as_u64().unwrap();
        assert!(n >= last, "export prefix {n} older than verify's {last}");
        assert_eq!(
            j["rows"].as_array().unwrap().len() as u64,
            n - base,
            "export of a {n}-entry prefix has rows from another prefix"
        );
        last = n;
        exports += 1;
        if let Some(st) = done {
            assert!(st.success(), "writer failed");
            break;
        }
    }
    assert_eq!(last, base + EVENTS);
    assert!(reads >= 2, "readers never overlapped the writer");
    eprintln!(
        "concurrency: {reads} verifies and {exports} exports during {EVENTS} appends, each a consistent prefix"
    );
}

#[test]
fn a_second_writer_fails_fast_and_changes_no_byte() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    setup(root);
    // Hold the writer lock as a running writer does, but without an open
    // database whose background threads (flushes, RocksDB's info LOG) would
    // change files by themselves: every change seen is the refused writer's.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(root.join("l").join(caselog::storage::layout::LOCK_FILE))
        .unwrap();
    held.lock().unwrap();
    std::fs::write(
        root.join("l").join(caselog::storage::layout::LOCK_FILE),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let before = snapshot(&root.join("l"));
    let start = Instant::now();
    let o = caselog(root, &["note", "from a second writer"]);
    let took = start.elapsed();
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("is locked by another caselog process"),
        "{err}"
    );
    assert!(took < Duration::from_secs(1), "second writer took {took:?}");
    assert!(o.stdout.is_empty());
    let after = snapshot(&root.join("l"));
    let changed: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "the refused writer changed {changed:?} in the ledger directory"
    );
    drop(held);
    assert!(caselog(root, &["note", "after the first writer closed"])
        .status
        .success());
}
