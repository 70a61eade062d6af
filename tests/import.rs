//! Imports that resume on their own (SPEC §8.1): the `import/` row
//! written with each batch says which lines are in, so a killed, crashed
//! or interrupted import continues where its last durable batch ended and
//! no line is ever appended twice; a grown file continues with its new
//! lines, an edited one is refused, `--again` imports on purpose, and
//! every bad line is named while nothing is written.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Case {
    _t: tempfile::TempDir,
    root: PathBuf,
}

impl Case {
    /// A ledger whose authority (unencrypted key `k`) imports.
    fn new() -> Case {
        let t = tempfile::tempdir().unwrap();
        let c = Case {
            root: t.path().to_owned(),
            _t: t,
        };
        c.cmd()
            .args(["key", "generate", "--name", "A", "--no-passphrase", "--out"])
            .arg(c.p("k"))
            .assert()
            .success();
        c.cmd()
            .args(["init", "--case", "IM-1", "--title", "Imports"])
            .assert()
            .success();
        c
    }
    fn p(&self, s: &str) -> PathBuf {
        self.root.join(s)
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_PASSPHRASE")
            .env_remove("CASELOG_FAILPOINT")
            .env_remove("SSH_AUTH_SOCK")
            .env("CASELOG_LEDGER", self.p("ledger"))
            .env("CASELOG_KEY", self.p("k"));
        c
    }
    /// `caselog import FILE --batch 500` and its (exit code, stdout, stderr).
    fn import(
        &self,
        file: &Path,
        extra: &[&str],
        failpoint: Option<&str>,
    ) -> (i32, String, String) {
        let mut c = self.cmd();
        c.args(["import", "--batch", "500"]).arg(file).args(extra);
        if let Some(f) = failpoint {
            c.env("CASELOG_FAILPOINT", f);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }
    fn verify(&self) -> serde_json::Value {
        let out = self.cmd().args(["verify", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
    /// How many entries carry exactly `text`.
    fn count(&self, text: &str) -> usize {
        let out = self
            .cmd()
            .args(["log", "--json", "--grep", text])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(&format!("\"{text}\"")))
            .count()
    }
}

fn notes(from: usize, to: usize) -> String {
    (from..=to)
        .map(|i| format!("{{\"kind\": \"note\", \"body\": {{\"text\": \"tip {i}\"}}}}\n"))
        .collect()
}

#[test]
fn a_killed_import_continues_after_its_last_durable_batch_and_adds_no_line_twice() {
    let c = Case::new();
    let file = c.p("tips.jsonl");
    std::fs::write(&file, notes(1, 2_500) + "\n").unwrap();
    // Killed (like kill -9) right after its third batch became durable.
    let (code, _, _) = c.import(&file, &[], Some("store.after_write@3"));
    assert_ne!(code, 0);
    assert_eq!(c.verify()["entries"], 1 + 1_500);
    // The same command again: it says where it goes on, and does.
    let (code, out, err) = c.import(&file, &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("resuming")
            && err.contains("lines 1..1500 of 2501 are in, 1500 entries (seq 1..1500)")
            && err.contains("continuing at line 1501"),
        "{err}"
    );
    assert!(
        out.contains("imported 1000 entries (seq 1501..2500)"),
        "{out}"
    );
    // Once more: every line is in, nothing is written, exit 0.
    let (code, out, err) = c.import(&file, &[], None);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.contains(
            "was imported already (lines 1..2501 of 2501 are in, 2500 entries (seq 1..2500)"
        ) && err.contains("nothing written")
            && err.contains("--again"),
        "{err}"
    );
    let j = c.verify();
    assert_eq!(
        (j["entries"].as_u64(), j["verified"].as_bool()),
        (Some(2_501), Some(true))
    );
    for tip in ["tip 1", "tip 1500", "tip 1501", "tip 2500"] {
        assert_eq!(c.count(tip), 1, "{tip}");
    }
    // Killed before its second batch was written: one batch is in.
    let c = Case::new();
    let (code, _, _) = c.import(&file, &[], Some("store.before_write@2"));
    assert_ne!(code, 0);
    let (code, out, _) = c.import(&file, &[], None);
    assert_eq!(code, 0);
    assert!(
        out.contains("imported 2000 entries (seq 501..2500)"),
        "{out}"
    );
}

#[test]
fn ctrl_c_and_sigterm_stop_after_the_batch_in_flight_and_print_the_command_that_continues() {
    for (point, after) in [("import.sigint@2", 1_000), ("import.sigterm@3", 1_500)] {
        let c = Case::new();
        let file = c.p("tips.jsonl");
        std::fs::write(&file, notes(1, 2_500)).unwrap();
        let (code, out, err) = c.import(&file, &[], Some(point));
        assert_eq!(code, 130, "{point}: {out}{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        let continue_at = format!(
            "run the same command again to continue at line {}: caselog import --batch 500 {}",
            after + 1,
            file.display()
        );
        assert!(
            err.contains(&format!("interrupted; lines 1..{after} are in ({after} entries from this run, in whole batches), nothing after"))
                && err.contains(&continue_at),
            "{point}: {err}"
        );
        assert_eq!(c.verify()["entries"], 1 + after as u64);
        // `status` says the import is unfinished and how to finish it.
        let text = c.cmd().arg("status").output().unwrap().stdout;
        let text = String::from_utf8_lossy(&text);
        assert!(
            text.contains(&format!(
                "import of {} stopped: lines 1..{after} of 2500 are in; run `caselog import {}` again to continue",
                file.display(),
                file.display()
            )),
            "{text}"
        );
        let json = c.cmd().args(["status", "--json"]).output().unwrap().stdout;
        let j: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(j["unfinished_imports"][0]["lines_in"], after);
        std::fs::create_dir_all(c.p("status")).unwrap();
        std::fs::write(c.p("status/s.json"), &json).unwrap();
        crate::common::validate_jsons("status.schema.json", &c.p("status"));
        let (code, out, _) = c.import(&file, &[], None);
        assert_eq!(code, 0);
        assert!(
            out.contains(&format!(
                "imported {} entries (seq {}..2500)",
                2_500 - after,
                after + 1
            )),
            "{out}"
        );
        assert_eq!(c.count("tip 2500"), 1);
    }
}

#[test]
fn a_grown_file_adds_its_new_lines_an_edited_one_is_refused_and_again_is_on_purpose() {
    let c = Case::new();
    let file = c.p("tips.jsonl");
    std::fs::write(&file, notes(1, 10)).unwrap();
    assert_eq!(c.import(&file, &[], None).0, 0);
    // The export grew: only the new lines go in.
    std::fs::write(&file, notes(1, 15)).unwrap();
    let (code, out, err) = c.import(&file, &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("begins with the lines imported before")
            && err.contains("continuing at line 11"),
        "{err}"
    );
    assert!(out.contains("imported 5 entries (seq 11..15)"), "{out}");
    // An edited line among those imported: refused, nothing written.
    std::fs::write(&file, notes(1, 15).replace("tip 3\"", "tip three\"")).unwrap();
    let before = c.verify()["entries"].clone();
    let (code, _, err) = c.import(&file, &[], None);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("has changed since it was imported") && err.contains("--again"),
        "{err}"
    );
    assert_eq!(c.verify()["entries"], before);
    // On purpose: every line again, with a warning.
    let (code, out, err) = c.import(&file, &["--again"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: a different")
            && err.contains("--again imports every line of this one"),
        "{err}"
    );
    assert!(out.contains("imported 15 entries (seq 16..30)"), "{out}");
    assert_eq!(c.count("tip 1"), 2);
    assert_eq!(c.verify()["verified"], true);
}

#[test]
fn every_bad_line_is_named_up_to_a_cap_and_nothing_is_written() {
    let c = Case::new();
    let mut text = notes(1, 5);
    for i in 0..25 {
        text.push_str(if i % 2 == 0 {
            "not json\n"
        } else {
            "{\"kind\": \"member.add\", \"body\": {}}\n"
        });
    }
    let file = c.p("bad.jsonl");
    std::fs::write(&file, text).unwrap();
    let (code, out, err) = c.import(&file, &[], None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    let listed: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("bad.jsonl: line "))
        .collect();
    assert_eq!(listed.len(), 20, "{err}");
    assert!(
        listed[0].contains("line 6: not JSON")
            && listed[1].contains("line 7: kind \"member.add\" cannot be imported"),
        "{err}"
    );
    let last = err.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("caselog: error: 25 lines of ")
            && last.contains("(lines 6, 7, 8,")
            && last.contains(" and 5 more, listed above); nothing was written"),
        "{last}"
    );
    assert_eq!(c.verify()["entries"], 1);
}
