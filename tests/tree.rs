//! A directory tree taken in as one item (SPEC §13.8), through the CLI:
//! the manifest's digests equal `b3sum` and `sha256sum` file by file,
//! hashdeep audits a copy against the exported manifest, `evidence verify
//! --tree` names every added, missing and changed file, `verify --evidence`
//! catches an altered stored copy or manifest, and bad input writes nothing.
//! tools/test installs hashdeep and b3sum.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;

struct Env {
    _t: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    /// A ledger whose authority (unencrypted key) is also the custodian.
    fn new() -> Env {
        let t = tempfile::tempdir().unwrap();
        let e = Env {
            root: t.path().to_owned(),
            _t: t,
        };
        e.run(&[
            "key",
            "generate",
            "--name",
            "Custodian",
            "--no-passphrase",
            "--out",
        ])
        .arg(e.p("k"))
        .assert()
        .success();
        e.run(&["init", "--case", "T-1", "--title", "tree test"])
            .assert()
            .success();
        e
    }
    fn p(&self, s: &str) -> PathBuf {
        self.root.join(s)
    }
    fn run(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_PASSPHRASE")
            .env("CASELOG_LEDGER", self.p("ledger"))
            .env("CASELOG_KEY", self.p("k"))
            .args(args);
        c
    }
    fn size(&self) -> String {
        let out = self.run(&["log"]).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A small seized drive: nested files, a name with a comma and a space, an
/// empty file, and a symbolic link (listed, never followed).
fn drive(at: &Path) {
    std::fs::create_dir_all(at.join("docs/2008")).unwrap();
    std::fs::create_dir_all(at.join("empty-dir")).unwrap();
    for i in 0..40u32 {
        let body: Vec<u8> = (0..i * 997).map(|j| (j * 31 + i) as u8).collect();
        std::fs::write(at.join(format!("docs/2008/scan-{i:02}.bin")), body).unwrap();
    }
    std::fs::write(at.join("docs/letter, draft 2.txt"), "pay or else\n").unwrap();
    std::fs::write(at.join("zero"), "").unwrap();
    std::os::unix::fs::symlink("../docs", at.join("docs/2008/up")).unwrap();
}

fn digest(tool: &str, path: &Path) -> String {
    let out = Std::new(tool)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed (tools/test installs it): {e}"));
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

fn stdout(mut c: impl std::borrow::BorrowMut<Command>, code: i32) -> String {
    let a = c.borrow_mut().assert().code(code);
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn a_tree_is_taken_in_audited_by_hashdeep_and_reverified_file_by_file() {
    let e = Env::new();
    drive(&e.p("drive"));
    let shown = stdout(
        e.run(&[
            "evidence",
            "add",
            "EV-7",
            "--description",
            "laptop files",
            "--copy",
            "--tree",
        ])
        .arg(e.p("drive")),
        0,
    );
    assert!(shown.contains("tree drive/  42 files"), "{shown}");
    assert!(
        shown.contains("not hashed (listed in the manifest): docs/2008/up (symlink)"),
        "{shown}"
    );

    // Every file's digests equal the reference tools'.
    let json = stdout(
        e.run(&["evidence", "manifest", "EV-7", "--format", "json"]),
        0,
    );
    let m: serde_json::Value = serde_json::from_str(&json).unwrap();
    let files = m["files"].as_array().unwrap();
    assert_eq!(files.len(), 42);
    assert_eq!(m["skipped"][0]["path"], "docs/2008/up");
    for f in files.iter().step_by(7) {
        let p = e.p("drive").join(f["path"].as_str().unwrap());
        assert_eq!(f["blake3"], digest("b3sum", &p), "{p:?}");
        assert_eq!(f["sha256"], digest("sha256sum", &p), "{p:?}");
    }

    // hashdeep audits the drive against the exported manifest...
    e.run(&["evidence", "manifest", "EV-7", "-o"])
        .arg(e.p("ev7.hashdeep"))
        .assert()
        .success();
    let audit = |dir: &str| {
        Std::new("hashdeep")
            .args(["-r", "-l", "-o", "f", "-c", "sha256", "-a", "-k"])
            .arg(e.p("ev7.hashdeep"))
            .arg(dir)
            .current_dir(&e.root)
            .output()
            .expect("hashdeep must be installed (tools/test installs it)")
    };
    let ok = audit("drive");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Audit passed"));
    // ...and caselog re-verifies it, recording the match.
    let same = stdout(
        e.run(&["evidence", "verify", "EV-7", "--tree"])
            .arg(e.p("drive")),
        0,
    );
    assert!(same.contains("EV-7 tree drive/: MATCH (42 files"), "{same}");

    // A copy with one file added, one missing, one changed and one touched.
    let d = e.p("drive");
    std::fs::write(d.join("docs/new.txt"), "planted").unwrap();
    std::fs::remove_file(d.join("docs/2008/scan-03.bin")).unwrap();
    std::fs::write(d.join("docs/letter, draft 2.txt"), "pay or else!\n").unwrap();
    let zero = std::fs::File::options()
        .write(true)
        .open(d.join("zero"))
        .unwrap();
    zero.set_modified(std::time::UNIX_EPOCH).unwrap();
    assert!(
        !audit("drive").status.success(),
        "hashdeep sees the change too"
    );
    let diff = stdout(e.run(&["evidence", "verify", "EV-7", "--tree"]).arg(&d), 1);
    assert!(
        diff.contains("MISMATCH recorded: 1 added, 1 missing, 1 changed"),
        "{diff}"
    );
    for line in [
        "  added    docs/new.txt",
        "  missing  docs/2008/scan-03.bin",
        "  changed  docs/letter, draft 2.txt",
        "content unchanged: zero",
    ] {
        assert!(diff.contains(line), "{line:?} in {diff}");
    }
    let show = stdout(e.run(&["evidence", "show", "EV-7"]), 0);
    assert!(
        show.contains("EV-7 file drive/ re-hashed: DIGESTS DIFFER"),
        "{show}"
    );
}

#[test]
fn altered_stored_copies_and_manifests_are_caught() {
    let e = Env::new();
    drive(&e.p("drive"));
    e.run(&[
        "evidence",
        "add",
        "EV-7",
        "--description",
        "d",
        "--copy",
        "--tree",
    ])
    .arg(e.p("drive"))
    .assert()
    .success();
    let clean = stdout(e.run(&["verify", "--evidence"]), 0);
    assert!(clean.contains("VERIFIED"), "{clean}");
    let m: serde_json::Value =
        serde_json::from_str(&stdout(e.run(&["evidence", "show", "EV-7", "--json"]), 0)).unwrap();
    let blob = |hex: &str| e.p("ledger/blobs").join(&hex[..2]).join(hex);

    // One stored copy of a file of the tree altered.
    let scan = digest("b3sum", &e.p("drive/docs/2008/scan-05.bin"));
    std::fs::write(blob(&scan), "altered").unwrap();
    let bad = stdout(e.run(&["verify", "--evidence"]), 1);
    assert!(
        bad.contains("EVIDENCE_MISMATCH") && bad.contains("tree file \"docs/2008/scan-05.bin\""),
        "{bad}"
    );

    // The manifest altered: every use of it refuses, and writes nothing.
    let manifest = blob(m["tree"]["manifest"]["blake3"].as_str().unwrap());
    let mut bytes = std::fs::read(&manifest).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&manifest, bytes).unwrap();
    let before = e.size();
    let a = e
        .run(&["evidence", "verify", "EV-7", "--tree"])
        .arg(e.p("drive"))
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("stored manifest of EV-7 no longer matches")
            && err.contains("EVIDENCE_MISMATCH"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(e.size(), before, "nothing written");
    e.run(&["evidence", "manifest", "EV-7"]).assert().code(1);
    let bad = stdout(e.run(&["verify", "--evidence"]), 1);
    assert!(
        bad.contains("file \"drive.tree.cbor\" no longer matches"),
        "{bad}"
    );

    // Missing: said, with where to restore it from.
    std::fs::remove_file(&manifest).unwrap();
    e.run(&["evidence", "manifest", "EV-7"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("is not in this ledger's blob store")
                .and(predicate::str::contains("restore")),
        );
}

#[test]
fn bad_trees_are_refused_in_one_line_and_write_nothing() {
    let e = Env::new();
    let before = e.size();
    let refuse = |c: &mut Command, says: &str| {
        let a = c.assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.starts_with("caselog: error: ") && err.contains(says),
            "{err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };
    std::fs::write(e.p("file"), "x").unwrap();
    let add = |what: &str| {
        let mut c = e.run(&["evidence", "add", "EV-1", "--description", "d", "--tree"]);
        c.arg(e.p(what));
        c
    };
    refuse(&mut add("file"), "is not a directory");
    refuse(&mut add("nowhere"), "is not a directory");
    std::fs::create_dir_all(e.p("hollow/sub")).unwrap();
    refuse(&mut add("hollow"), "holds no regular file");
    std::fs::create_dir_all(e.p("t")).unwrap();
    std::fs::write(e.p("t/a"), "a").unwrap();
    std::fs::write(e.p("t.tree.cbor"), "x").unwrap();
    refuse(
        add("t").arg("--file").arg(e.p("t.tree.cbor")),
        "a --file is named like the tree",
    );
    // A tree named with a line break would inject lines into the hashdeep
    // manifest and the commands printed for it.
    std::fs::create_dir_all(e.p("drive\n##   rm -rf ~")).unwrap();
    std::fs::write(e.p("drive\n##   rm -rf ~/a"), "a").unwrap();
    refuse(&mut add("drive\n##   rm -rf ~"), "control character");
    assert_eq!(e.size(), before, "nothing written");
    assert!(!e
        .p("ledger/blobs")
        .join("tmp")
        .read_dir()
        .is_ok_and(|mut d| d.next().is_some()));

    e.run(&["evidence", "add", "EV-1", "--description", "d", "--file"])
        .arg(e.p("file"))
        .assert()
        .success();
    refuse(
        &mut e.run(&["evidence", "manifest", "EV-1"]),
        "EV-1 was taken in without --tree",
    );
    refuse(
        &mut e.run(&["evidence", "manifest", "EV-9"]),
        "no item EV-9",
    );
    refuse(
        &mut e.run(&["evidence", "manifest", "EV-1", "--format", "cbor"]),
        "give -o FILE",
    );
    refuse(
        e.run(&["evidence", "verify", "EV-1", "--tree"])
            .arg(e.p("t")),
        "EV-1 was taken in without --tree",
    );
}

/// Issue 16: the same through `import`. An `evidence.intake` line names
/// its directory with `"tree"`; the import hashes it in the check pass,
/// stores the manifest once the whole file has passed, and signs the
/// intake with the tree record `evidence add --tree` would write: the same
/// content listing, re-verified file by file, and the ledger verifies.
#[test]
fn an_import_line_takes_a_tree_in() {
    let e = Env::new();
    drive(&e.p("drive"));
    let line = |item: &str, tree: &Path| {
        serde_json::json!({
            "kind": "evidence.intake",
            "body": {"item": item, "description": "laptop files",
                     "collected_by": "Det. A", "collected": "2008-10-09"},
            "tree": tree,
        })
        .to_string()
    };
    let lines = [
        r#"{"kind": "note", "body": {"text": "drive imaged"}}"#.to_owned(),
        line("EV-7", &e.p("drive")),
    ];
    std::fs::write(e.p("in.jsonl"), lines.join("\n")).unwrap();
    let shown = stdout(e.run(&["import"]).arg(e.p("in.jsonl")), 0);
    assert!(shown.contains("imported 2 entries"), "{shown}");
    assert!(shown.contains("tree drive/  42 files"), "{shown}");
    let ok = stdout(
        e.run(&["evidence", "verify", "EV-7", "--tree"])
            .arg(e.p("drive")),
        0,
    );
    assert!(ok.contains("MATCH (42 files"), "{ok}");

    // The record equals what `evidence add --tree` signs for the same drive.
    e.run(&[
        "evidence",
        "add",
        "EV-8",
        "--description",
        "laptop files",
        "--tree",
    ])
    .arg(e.p("drive"))
    .assert()
    .success();
    let tree_of = |item: &str| {
        let j = stdout(
            e.run(&["evidence", "manifest", item, "--format", "json"]),
            0,
        );
        let mut v = serde_json::from_str::<serde_json::Value>(&j).unwrap();
        assert_eq!(v["item"].take(), item);
        v
    };
    assert!(tree_of("EV-7") == tree_of("EV-8"), "the same manifest");
    stdout(e.run(&["verify", "--evidence"]), 0);
}

/// A bad import line that names a tree, or any bad line after one, is
/// refused in one line naming it; nothing is written, not even a manifest.
#[test]
fn bad_tree_lines_write_nothing() {
    let e = Env::new();
    drive(&e.p("drive"));
    let before = e.size();
    let intake = |extra_body: &str, tree: &str| {
        format!(
            r#"{{"kind": "evidence.intake", "body": {{"item": "EV-1", "description": "d", "collected_by": "A", "collected": "2008"{extra_body}}}, "tree": {tree}}}"#
        )
    };
    let drive = serde_json::to_string(&e.p("drive")).unwrap();
    let nowhere = serde_json::to_string(&e.p("nowhere")).unwrap();
    let cases = [
        (
            intake("", &drive) + "\n{\"kind\": \"note\"}",
            "line 2: missing \"body\"",
        ),
        (intake("", &nowhere), "line 1: "),
        (intake("", "7"), "\"tree\" must be the path of a directory"),
        (
            intake(r#", "files": []"#, &drive),
            "an imported intake's body has no \"files\"",
        ),
        (
            format!(r#"{{"kind": "note", "body": {{"text": "x"}}, "tree": {drive}}}"#),
            "\"tree\" is only for an evidence.intake line",
        ),
        (intake("", &drive) + "\n" + &intake("", &drive), "line 2: "),
    ];
    for (input, says) in cases {
        std::fs::write(e.p("in.jsonl"), &input).unwrap();
        let a = e.run(&["import"]).arg(e.p("in.jsonl")).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.starts_with("caselog: error: ")
                && err.contains(says)
                && err.contains("nothing was written"),
            "{input}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert_eq!(e.size(), before, "nothing written: {input}");
        let blobs = e.p("ledger/blobs");
        let stored = walkdir_count(&blobs);
        assert_eq!(stored, 0, "no manifest stored: {input}");
    }
}

/// Regular files under `dir` (0 when it does not exist).
fn walkdir_count(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.map(|x| x.unwrap().path())
        .map(|p| if p.is_dir() { walkdir_count(&p) } else { 1 })
        .sum()
}

/// Issue 25, items 1 and 3: a tree's digests are wherever digests are
/// shown (evidence list counts its files, CSV, certification, report,
/// CASE/UCO name its listing, manifest and files); a re-hash of a
/// directory that shares no path with the tree is refused unless --force;
/// a recorded mismatch is a finding and the ledger still verifies.
#[test]
fn tree_digests_everywhere_and_a_wrong_directory_is_refused() {
    let e = Env::new();
    drive(&e.p("drive"));
    e.run(&[
        "evidence",
        "add",
        "EV-7",
        "--description",
        "laptop files",
        "--copy",
        "--tree",
    ])
    .arg(e.p("drive"))
    .assert()
    .success();
    let list = stdout(e.run(&["evidence", "list"]), 0);
    assert!(list.contains("files 42 (tree drive/: 42 files, "), "{list}");
    e.run(&["export", "--format", "csv", "--out"])
        .arg(e.p("t.csv"))
        .assert()
        .success();
    let csv = std::fs::read_to_string(e.p("t.csv")).unwrap();
    assert!(
        csv.contains("drive/=") && csv.contains("drive.tree.cbor="),
        "{csv}"
    );
    e.run(&["export", "certification", "--exhibit", "A", "--out"])
        .arg(e.p("cert.html"))
        .assert()
        .success();
    let cert = std::fs::read_to_string(e.p("cert.html")).unwrap();
    assert!(
        cert.contains("drive/<br><small>tree: the content listing of its 42 file(s)")
            && cert.contains("drive.tree.cbor")
            && cert.contains("(from the kept manifest)")
            && cert.contains("caselog evidence manifest EV-7 -o EV-7.hashdeep"),
        "the certification's 902(14) table lists the tree"
    );
    e.run(&["export", "report", "--out"])
        .arg(e.p("r.html"))
        .assert()
        .success();
    let report = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(
        report.contains("<td>drive/<br><small>tree: the content listing of its 42 file(s)")
            && report.contains("EV-7 tree drive/: 42 file(s)"),
        "the report's evidence digests list the tree"
    );
    e.run(&["export", "--format", "case", "--out"])
        .arg(e.p("case.jsonld"))
        .assert()
        .success();
    let case = std::fs::read_to_string(e.p("case.jsonld")).unwrap();
    assert!(
        case.contains("drive/docs/letter, draft 2.txt") && case.contains("drive.tree.cbor"),
        "CASE/UCO lists the tree's files"
    );
    // A directory with none of the tree's paths: refused, nothing hashed
    // or recorded; --dry-run and --force say what they do.
    std::fs::create_dir_all(e.p("other/x")).unwrap();
    std::fs::write(e.p("other/x/y.txt"), "unrelated").unwrap();
    let before = e.size();
    let err = e
        .run(&["evidence", "verify", "EV-7", "--tree"])
        .arg(e.p("other"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("shares no file path with EV-7's tree") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(e.size(), before);
    let dry = stdout(
        e.run(&[
            "evidence",
            "verify",
            "EV-7",
            "--dry-run",
            "--force",
            "--tree",
        ])
        .arg(e.p("other")),
        1,
    );
    assert!(
        dry.starts_with("dry run, not recorded: EV-7 tree drive/: MISMATCH: 1 added, 42 missing"),
        "{dry}"
    );
    assert_eq!(e.size(), before);
    stdout(
        e.run(&["evidence", "verify", "EV-7", "--force", "--tree"])
            .arg(e.p("other")),
        1,
    );
    let v = stdout(e.run(&["verify", "--json"]), 0);
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["findings"][0]["code"], "TREE_DIFFERED");
}

/// A file swapped for a link (or another file) between the walk and the
/// read is not read as the tree's.
#[test]
fn a_file_swapped_after_the_walk_is_not_read() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a.txt"), "seized").unwrap();
    std::fs::write(t.path().join("secret"), "not on the drive").unwrap();
    let w = caselog::storage::tree::walk(&root).unwrap();
    assert!(caselog::storage::tree::hash(&w, None, &|_| {}).is_ok());
    std::fs::remove_file(root.join("a.txt")).unwrap();
    std::os::unix::fs::symlink(t.path().join("secret"), root.join("a.txt")).unwrap();
    let e = caselog::storage::tree::hash(&w, None, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("a.txt"), "{e}");
    // Another regular file moved into its place: not the one listed
    // either (made first, so it cannot reuse the listed file's inode).
    std::fs::write(t.path().join("other"), "seized").unwrap();
    std::fs::rename(t.path().join("other"), root.join("a.txt")).unwrap();
    let e = caselog::storage::tree::hash(&w, None, &|_| {}).unwrap_err();
    assert!(
        e.to_string().contains("not the file the walk listed"),
        "{e}"
    );
}
