//! End-to-end tests of the `caselog` binary: the happy path, pinned output
//! shapes, exit codes, and bad input that must leave the ledger untouched.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const PASS: &str = "correct horse battery staple";

struct Env {
    _t: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    fn new() -> Env {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_owned();
        Env { _t: t, root }
    }
    fn p(&self, s: &str) -> PathBuf {
        self.root.join(s)
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_LEDGER")
            .env_remove("CASELOG_KEY")
            .env_remove("CASELOG_PASSPHRASE")
            .env_remove("SSH_AUTH_SOCK")
            .env("CASELOG_LEDGER", self.p("ledger"));
        c
    }
    fn as_key(&self, key: &str) -> Command {
        let mut c = self.cmd();
        c.env("CASELOG_KEY", self.p(key))
            .env("CASELOG_PASSPHRASE", PASS);
        c
    }
    /// Keys for an authority (encrypted) and an investigator (unencrypted),
    /// a ledger, the investigator enrolled and a note by each.
    fn populated() -> Env {
        let e = Env::new();
        e.cmd()
            .env("CASELOG_PASSPHRASE", PASS)
            .args(["key", "generate", "--name", "Case Authority", "--out"])
            .arg(e.p("auth"))
            .assert()
            .success()
            .stdout(predicate::str::contains("passphrase-encrypted"));
        e.cmd()
            .args([
                "key",
                "generate",
                "--name",
                "Det. Roe",
                "--no-passphrase",
                "--out",
            ])
            .arg(e.p("roe"))
            .assert()
            .success()
            .stderr(predicate::str::contains("UNENCRYPTED"));
        e.as_key("auth")
            .args([
                "init",
                "--case",
                "EXT-2008-001",
                "--title",
                "Extortion letter",
            ])
            .assert()
            .success()
            .stdout(predicate::str::starts_with("created ledger "));
        e.as_key("auth")
            .args([
                "member",
                "add",
                "--name",
                "Det. Roe",
                "--role",
                "investigator",
                "--pubkey",
            ])
            .arg(e.p("roe.pub"))
            .assert()
            .success()
            .stdout(predicate::str::starts_with(
                "seq 1: enrolled Det. Roe as investigator (SHA256:",
            ));
        e.as_key("roe")
            .args(["note", "Letter received by the company, early October"])
            .assert()
            .success()
            .stdout(predicate::str::starts_with("seq 2: note recorded (leaf "));
        e
    }
    /// A new unencrypted key file `file` (named `key_name` inside), its
    /// public half enrolled by the authority as `name` with `role`.
    fn enrol(&self, file: &str, key_name: &str, name: &str, role: &str) {
        self.cmd()
            .args([
                "key",
                "generate",
                "--name",
                key_name,
                "--no-passphrase",
                "--out",
            ])
            .arg(self.p(file))
            .assert()
            .success();
        self.as_key("auth")
            .args(["member", "add", "--name", name, "--role", role, "--pubkey"])
            .arg(self.p(&format!("{file}.pub")))
            .assert()
            .success();
    }
    fn verify_json(&self) -> serde_json::Value {
        let out = self.cmd().args(["verify", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Run `c`, which must be refused with exit 2; its one-line error.
fn refusal(c: &mut Command) -> String {
    let a = c.assert().code(2);
    one_line(&a.get_output().stderr)
}

/// stderr is exactly one line naming the problem (and a hint).
fn one_line(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr).to_string();
    assert_eq!(
        s.trim_end().lines().count(),
        1,
        "stderr not one line: {s:?}"
    );
    assert!(s.starts_with("caselog: error: "), "{s:?}");
    s
}

#[test]
fn init_enroll_append_verify() {
    let e = Env::populated();
    assert_eq!(mode(&e.p("auth")), 0o600);
    assert_eq!(mode(&e.p("roe")), 0o600);
    let out = e
        .cmd()
        .arg("verify")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines[0].starts_with("ledger   ") && lines[0].len() == 9 + 32,
        "{s}"
    );
    assert_eq!(lines[1], "case     EXT-2008-001");
    assert_eq!(lines[2], "hash     sha256");
    assert_eq!(lines[3], "entries  3");
    assert!(lines[4].starts_with("root     ") && lines[4].len() == 9 + 64);
    assert_eq!(lines[5], "checkpoints 0 compared");
    assert!(lines[6].starts_with("VERIFIED"));

    let j = e.verify_json();
    assert_eq!(j["verified"], true);
    assert_eq!(j["entries"], 3);
    assert_eq!(j["problems"].as_array().unwrap().len(), 0);

    let log = e
        .cmd()
        .arg("log")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let log = String::from_utf8(log).unwrap();
    let rows: Vec<&str> = log.lines().collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].contains("ledger.open") && rows[0].contains("Case Authority"));
    assert!(
        rows[2].contains("Det. Roe")
            && rows[2].contains("note")
            && rows[2].contains("early October")
    );

    let jl = e
        .cmd()
        .args(["log", "--json", "--from", "1", "--limit", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let jl = String::from_utf8(jl).unwrap();
    assert_eq!(jl.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(jl.trim()).unwrap();
    assert_eq!(v["seq"], 1);
    assert_eq!(v["kind"], "member.enroll");
    assert_eq!(v["body"]["role"], "investigator");
    let leaf = v["leaf"].as_str().unwrap().to_owned();

    e.cmd()
        .args(["show", &leaf])
        .assert()
        .success()
        .stdout(predicate::str::contains("seq      1\n").and(predicate::str::contains("[valid]")));
    e.cmd()
        .args(["show", "2", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"author_name\": \"Det. Roe\""));
    e.cmd().args(["member", "list"]).assert().success().stdout(
        predicate::str::contains("Case Authority")
            .and(predicate::str::contains("Det. Roe"))
            .and(predicate::str::contains("active")),
    );
    e.cmd()
        .args(["key", "show"])
        .arg(e.p("auth.pub"))
        .assert()
        .success()
        .stdout(predicate::str::contains("name         Case Authority"));
    // key show on an encrypted private key works without the passphrase
    // and never prints secret material.
    e.cmd()
        .args(["key", "show"])
        .arg(e.p("auth"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("fingerprint  SHA256:")
                .and(predicate::str::contains("PRIVATE").not()),
        );

    // Revoke by name, then the revoked key is refused.
    e.as_key("auth")
        .args(["member", "revoke", "Det. Roe", "--reason", "reassigned"])
        .assert()
        .success();
    let before = e.verify_json();
    let out = e
        .as_key("roe")
        .args(["note", "after revocation"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("revoked"));
    assert_eq!(e.verify_json(), before);
}

#[test]
fn sha256_ledger() {
    let e = Env::new();
    e.cmd()
        .args(["key", "generate", "--name", "A", "--no-passphrase", "--out"])
        .arg(e.p("a"))
        .assert()
        .success();
    e.cmd()
        .env("CASELOG_KEY", e.p("a"))
        .args(["init", "--case", "C", "--title", "T", "--hash", "sha256"])
        .assert()
        .success();
    e.cmd()
        .arg("verify")
        .assert()
        .success()
        .stdout(predicate::str::contains("hash     sha256"));
}

#[test]
fn missing_ledger_dir() {
    let e = Env::new();
    let out = e
        .cmd()
        .arg("verify")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("no ledger at"));
    let out = e
        .cmd()
        .env_remove("CASELOG_LEDGER")
        .arg("log")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("--ledger"));
}

#[test]
fn wrong_passphrase_leaves_ledger_untouched() {
    let e = Env::populated();
    let before = e.verify_json();
    let out = e
        .cmd()
        .env("CASELOG_KEY", e.p("auth"))
        .env("CASELOG_PASSPHRASE", "wrong")
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("wrong passphrase"));
    // No passphrase and no terminal: a clear error, not a hang.
    let out = e
        .cmd()
        .env("CASELOG_KEY", e.p("auth"))
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("passphrase"));
    assert_eq!(e.verify_json(), before);
}

#[test]
fn corrupt_key_file() {
    let e = Env::populated();
    let before = e.verify_json();
    std::fs::write(
        e.p("bad"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .unwrap();
    // A key others can read is refused, with the fix in the message.
    let err = e
        .as_key("bad")
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("chmod 600"));
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(e.p("bad"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = e
        .as_key("bad")
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("not an OpenSSH private key"));
    let out = e
        .cmd()
        .env("CASELOG_KEY", e.p("missing"))
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    one_line(&out);
    assert_eq!(e.verify_json(), before);
}

#[test]
fn unknown_role_is_a_usage_error() {
    let e = Env::populated();
    let before = e.verify_json();
    e.as_key("auth")
        .args([
            "member", "add", "--name", "X", "--role", "admin", "--pubkey",
        ])
        .arg(e.p("roe.pub"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'admin'"));
    assert_eq!(e.verify_json(), before);
}

#[test]
fn non_member_and_wrong_role_are_refused() {
    let e = Env::populated();
    let before = e.verify_json();
    e.cmd()
        .args([
            "key",
            "generate",
            "--name",
            "Stranger",
            "--no-passphrase",
            "--out",
        ])
        .arg(e.p("s"))
        .assert()
        .success();
    let out = e
        .as_key("s")
        .args(["note", "x"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = one_line(&out);
    assert!(err.contains("not an enrolled member"));
    // Issue 25, item 8: the key is named as `key show` / `member list` and
    // ssh-keygen -l name keys (its OpenSSH fingerprint), not a hex prefix.
    let shown = stdout_of(e.cmd().args(["key", "show"]).arg(e.p("s.pub")));
    let fp = shown
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(err.contains(fp), "{err} lacks {fp}");
    let out = e
        .as_key("roe")
        .args([
            "member", "add", "--name", "S", "--role", "counsel", "--pubkey",
        ])
        .arg(e.p("s.pub"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("may not append member.enroll"));
    assert_eq!(e.verify_json(), before);
}

#[test]
fn second_writer_gets_locked_error_and_readers_work() {
    let e = Env::populated();
    let before = e.verify_json();
    let held = caselog::Ledger::open(&e.p("ledger"), true).unwrap();
    let out = e
        .as_key("roe")
        .args(["note", "x"])
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let line = one_line(&out);
    assert!(
        line.contains("is locked by another caselog process"),
        "{line}"
    );
    assert!(
        line.contains(&format!("pid {}", std::process::id())),
        "{line}"
    );
    e.cmd().arg("verify").assert().success();
    e.cmd().arg("log").assert().success();
    e.cmd().args(["show", "0"]).assert().success();
    drop(held);
    assert_eq!(e.verify_json(), before);
}

#[test]
fn tampered_ledger_exits_1_with_code() {
    let e = Env::populated();
    {
        let db = rocksdb::DB::open_cf(
            &rocksdb::Options::default(),
            e.p("ledger"),
            caselog::storage::layout::ALL_CFS,
        )
        .unwrap();
        let cf = db.cf_handle("entries").unwrap();
        let k = 2u64.to_be_bytes();
        let mut v = db.get_cf(cf, k).unwrap().unwrap();
        *v.last_mut().unwrap() ^= 1;
        db.put_cf(cf, k, v).unwrap();
    }
    e.cmd().arg("verify").assert().code(1).stdout(
        predicate::str::contains("BAD_SIGNATURE seq 2: signature by 'Det. Roe' does not verify")
            .and(predicate::str::contains("FAILED")),
    );
    let j = e.verify_json();
    assert_eq!(j["verified"], false);
    assert_eq!(j["problems"][0]["code"], "BAD_SIGNATURE");
    assert_eq!(j["problems"][0]["seq"], 2);
}

#[test]
fn bad_show_argument_and_existing_ledger() {
    let e = Env::populated();
    let out = e
        .cmd()
        .args(["show", "zz"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    one_line(&out);
    let out = e
        .cmd()
        .args(["show", "99"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("no entry 99"));
    let out = e
        .as_key("auth")
        .args(["init", "--case", "X", "--title", "Y"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("already exists"));
    let out = e
        .cmd()
        .args(["key", "generate", "--name", "x", "--no-passphrase", "--out"])
        .arg(e.p("auth"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&out).contains("refusing to overwrite"));
}

#[test]
fn help_has_examples() {
    for sub in [
        &["init"][..],
        &["note"],
        &["log"],
        &["show"],
        &["verify"],
        &["member", "add"],
        &["member", "revoke"],
        &["key", "generate"],
        &["key", "show"],
    ] {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.args(sub)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

/// Keys made by OpenSSH's own ssh-keygen (with and without a passphrase)
/// sign entries; tools/test installs openssh-client so this always runs.
#[test]
fn ssh_keygen_keys_work() {
    let e = Env::new();
    let keygen = |file: &str, pass: &str| {
        let st = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-C", "Keygen User", "-N", pass, "-f"])
            .arg(e.p(file))
            .status()
            .expect("ssh-keygen must be installed (tools/test installs openssh-client)");
        assert!(st.success());
    };
    keygen("enc", PASS);
    keygen("plain", "");
    e.as_key("enc")
        .args(["init", "--case", "C", "--title", "T"])
        .assert()
        .success();
    e.as_key("enc")
        .args([
            "member",
            "add",
            "--name",
            "Plain",
            "--role",
            "custodian",
            "--pubkey",
        ])
        .arg(e.p("plain.pub"))
        .assert()
        .success();
    e.cmd()
        .env("CASELOG_KEY", e.p("plain"))
        .args(["note", "signed with an ssh-keygen key"])
        .assert()
        .success();
    e.cmd().arg("verify").assert().success();
    e.cmd()
        .args(["member", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Keygen User"));
    // Our .pub line and ssh-keygen's agree on the fingerprint.
    let fp = std::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(e.p("plain.pub"))
        .output()
        .unwrap();
    let fp = String::from_utf8(fp.stdout).unwrap();
    let ours = e
        .cmd()
        .args(["key", "show"])
        .arg(e.p("plain.pub"))
        .output()
        .unwrap();
    let ours = String::from_utf8(ours.stdout).unwrap();
    let want = fp.split_whitespace().nth(1).unwrap();
    assert!(
        ours.contains(want),
        "ssh-keygen says {want}, caselog says {ours}"
    );
}

fn stdout_of(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn checkpoint_prove_witness_verify_proof() {
    let e = Env::populated();
    // Only an authority may checkpoint.
    let err = e
        .as_key("roe")
        .arg("checkpoint")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    one_line(&err);
    let cp = stdout_of(
        e.as_key("auth")
            .args(["checkpoint", "--out"])
            .arg(e.p("cp3")),
    );
    assert!(
        cp.starts_with("caselog/sha256/")
            && cp.contains("\n3\n")
            && cp.contains("\n\n\u{2014} caselog/sha256/"),
        "{cp}"
    );
    assert_eq!(std::fs::read_to_string(e.p("cp3")).unwrap(), cp);
    let vkey = stdout_of(e.cmd().arg("log-key").arg("--key").arg(e.p("auth.pub")));
    std::fs::write(e.p("log.vkey"), &vkey).unwrap();
    assert_eq!(stdout_of(e.cmd().args(["log-key", "--all"])), vkey);
    // No --key: every active authority (here the one), as --trust takes it.
    assert_eq!(stdout_of(e.cmd().arg("log-key")), vkey);
    e.cmd()
        .arg("log-key")
        .arg("--key")
        .arg(e.p("roe.pub"))
        .assert()
        .code(2);

    // Prove entry 2 and check it offline.
    e.cmd()
        .args(["prove", "inclusion", "2", "--out"])
        .arg(e.p("p2"))
        .assert()
        .success();
    let proof = std::fs::read_to_string(e.p("p2")).unwrap();
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\nextra "));
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.env_remove("CASELOG_LEDGER")
        .arg("verify-proof")
        .arg(e.p("p2"))
        .arg("--trust")
        .arg(e.p("log.vkey"));
    let v = stdout_of(&mut c);
    assert!(
        v.starts_with("VERIFIED: entry 2 is included in ledger"),
        "{v}"
    );
    assert!(v.contains("early October"));
    // Tampered proof: the record changed.
    let bad = proof.replacen("\nindex 2\n", "\nindex 1\n", 1);
    assert_ne!(bad, proof);
    std::fs::write(e.p("bad"), &bad).unwrap();
    let mut c = Command::cargo_bin("caselog").unwrap();
    let o = c
        .arg("verify-proof")
        .arg(e.p("bad"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("FAILED: inclusion path"),
        "{o:?}"
    );
    // Untrusted log key: exit 1.
    stdout_of(
        e.cmd()
            .args(["key", "generate", "--name", "x", "--no-passphrase", "--out"])
            .arg(e.p("x")),
    );
    e.as_key("auth")
        .args([
            "member",
            "add",
            "--name",
            "Second Authority",
            "--role",
            "authority",
            "--pubkey",
        ])
        .arg(e.p("x.pub"))
        .assert()
        .success();
    let other_vkey = stdout_of(e.cmd().arg("log-key").arg("--key").arg(e.p("x.pub")));
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.arg("verify-proof")
        .arg(e.p("p2"))
        .arg("--trust")
        .arg(other_vkey.trim())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no signature from a trusted key"));

    // Counsel as a witness.
    e.cmd()
        .args([
            "key",
            "generate",
            "--name",
            "Counsel",
            "--no-passphrase",
            "--out",
        ])
        .arg(e.p("counsel"))
        .assert()
        .success();
    let w = stdout_of(
        e.cmd()
            .env("CASELOG_KEY", e.p("counsel"))
            .args([
                "witness",
                "init",
                "--name",
                "counsel.example/witness",
                "--state",
            ])
            .arg(e.p("w")),
    );
    let wvkey = w.lines().last().unwrap().to_owned();
    assert_eq!(
        stdout_of(e.cmd().args(["witness", "show", "--state"]).arg(e.p("w"))).trim(),
        wvkey
    );
    let line = stdout_of(
        e.cmd()
            .env("CASELOG_KEY", e.p("counsel"))
            .args(["witness", "cosign", "--state"])
            .arg(e.p("w"))
            .arg("--log-key")
            .arg(e.p("log.vkey"))
            .arg("--checkpoint")
            .arg(e.p("cp3"))
            .arg("--out")
            .arg(e.p("cp3.cosigned")),
    );
    assert!(
        line.starts_with("\u{2014} counsel.example/witness "),
        "{line}"
    );
    // Without the witness's key the line cannot be checked: refused, exit 2.
    e.cmd()
        .args(["checkpoint", "add-cosignature"])
        .arg(e.p("cp3.cosigned"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "refused, nothing stored: signature line(s) by counsel.example/witness do not verify",
        ));
    assert_eq!(
        stdout_of(
            e.cmd()
                .args(["checkpoint", "add-cosignature"])
                .arg(e.p("cp3.cosigned"))
                .args(["--witness", &wvkey])
        ),
        "1 new signature line(s) added\n"
    );
    e.cmd()
        .args(["prove", "inclusion", "2", "--checkpoint"])
        .arg(e.p("cp3"))
        .arg("--out")
        .arg(e.p("p2w"))
        .assert()
        .success();
    // The proof made from the stored (now cosigned) checkpoint has the witness.
    e.cmd()
        .args(["prove", "inclusion", "2", "--out"])
        .arg(e.p("p2w"))
        .assert()
        .success();
    let mut c = Command::cargo_bin("caselog").unwrap();
    let v = stdout_of(
        c.arg("verify-proof")
            .arg(e.p("p2w"))
            .arg("--trust")
            .arg(e.p("log.vkey"))
            .arg("--witness")
            .arg(&wvkey)
            .arg("--quorum")
            .arg("1"),
    );
    assert!(v.contains("witness   counsel.example/witness"), "{v}");
    // Quorum 1 with a different witness pinned: exit 1.
    let fake_w = caselog::tlog::note::VerifierKey::new(
        "counsel.example/witness",
        caselog::tlog::note::TYPE_COSIGNATURE,
        caselog::storage::keys::Signer::from_seed("f", &[4; 32]).public(),
    )
    .unwrap();
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.arg("verify-proof")
        .arg(e.p("p2w"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .arg("--witness")
        .arg(fake_w.to_string())
        .arg("--quorum")
        .arg("1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0 valid witness cosignature(s); the trust policy requires 1 of the pinned witness keys",
        ));

    // The ledger grows; the witness needs a consistency proof.
    e.as_key("roe")
        .args(["note", "Clients received similar letters"])
        .assert()
        .success();
    e.as_key("auth")
        .args(["checkpoint", "--out"])
        .arg(e.p("cp5"))
        .assert()
        .success();
    let cosign = |proof: Option<&str>| {
        let mut c = e.cmd();
        c.env("CASELOG_KEY", e.p("counsel"))
            .args(["witness", "cosign", "--state"])
            .arg(e.p("w"))
            .arg("--log-key")
            .arg(e.p("log.vkey"))
            .arg("--checkpoint")
            .arg(e.p("cp5"));
        if let Some(p) = proof {
            c.arg("--proof").arg(e.p(p));
        }
        c
    };
    let err = cosign(None).assert().code(2).get_output().stderr.clone();
    assert!(one_line(&err).contains("consistency proof from size 3 to 5 is required"));
    e.cmd()
        .args(["prove", "consistency", "--old"])
        .arg(e.p("cp3"))
        .arg("--out")
        .arg(e.p("step"))
        .assert()
        .success();
    assert!(std::fs::read_to_string(e.p("step"))
        .unwrap()
        .starts_with("caselog/consistency-proof@v1\nold 3\nnew 5\n"));
    cosign(Some("step")).assert().success();
    // An older checkpoint: offering size 3 again is refused (exit 2), and
    // nothing is saved: the log did sign it, it shows nothing.
    let mut c = e.cmd();
    let err = c
        .env("CASELOG_KEY", e.p("counsel"))
        .args(["witness", "cosign", "--state"])
        .arg(e.p("w"))
        .arg("--log-key")
        .arg(e.p("log.vkey"))
        .arg("--checkpoint")
        .arg(e.p("cp3"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        one_line(&err).contains("does not cosign the smaller size 3"),
        "{}",
        one_line(&err)
    );
    assert_eq!(std::fs::read_dir(e.p("w/evidence")).unwrap().count(), 0);

    // verify --against an earlier checkpoint: consistent.
    e.cmd()
        .arg("verify")
        .arg("--against")
        .arg(e.p("cp3"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .assert()
        .success();
    e.cmd()
        .args(["checkpoint", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("counsel.example/witness"));
    e.cmd()
        .args(["checkpoint", "show", "3"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("caselog/sha256/"));

    // A checkpoint of another ledger is not one of this ledger's: exit 1.
    let other = Env::new();
    other
        .cmd()
        .env("CASELOG_KEY", e.p("auth"))
        .env("CASELOG_PASSPHRASE", PASS)
        .args(["init", "--case", "X", "--title", "Other"])
        .assert()
        .success();
    other
        .cmd()
        .env("CASELOG_KEY", e.p("auth"))
        .env("CASELOG_PASSPHRASE", PASS)
        .args(["checkpoint", "--out"])
        .arg(e.p("foreign"))
        .assert()
        .success();
    e.cmd()
        .arg("verify")
        .arg("--against")
        .arg(e.p("foreign"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BAD_CHECKPOINT"));
}

#[test]
fn investigation_end_to_end() {
    let e = Env::populated();
    // Roles: a custodian and an external lab.
    for (k, name, role, org) in [
        ("cust", "Custodian", "custodian", "Property unit"),
        ("lab", "Lab", "external", "State crime lab"),
    ] {
        e.cmd()
            .args([
                "key",
                "generate",
                "--name",
                name,
                "--no-passphrase",
                "--out",
            ])
            .arg(e.p(k))
            .assert()
            .success();
        e.as_key("auth")
            .args(["member", "add", "--name", name, "--role", role])
            .args(["--title", "Examiner", "--organization", org, "--pubkey"])
            .arg(e.p(&format!("{k}.pub")))
            .assert()
            .success();
    }
    let members = stdout_of(e.cmd().args(["member", "list"]));
    assert!(
        members.contains("    Examiner, State crime lab"),
        "{members}"
    );
    let before = e.verify_json();
    // Bad EDTF: exit 2, one line with an example, nothing written.
    let err = e
        .as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "x",
            "--occurred",
            "early October",
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("examples: 2008-11-06"));
    let err = e
        .as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "x",
            "--occurred",
            "2008-10",
            "--source",
            "s",
            "--grade",
            "G9",
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("Admiralty"));
    assert_eq!(e.verify_json(), before);

    let seq_of = |c: &mut Command| -> u64 {
        let s = stdout_of(c);
        s.strip_prefix("seq ")
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let letter = seq_of(e.as_key("roe").args([
        "event",
        "add",
        "--title",
        "Letter received",
        "--occurred",
        "2008-10~",
        "--source",
        "press release",
        "--grade",
        "B2",
    ]));
    e.as_key("roe")
        .args([
            "notify",
            "add",
            "--by",
            "president",
            "--to",
            "employees",
            "--channel",
            "email",
            "--sent",
            "2008-11-06",
        ])
        .assert()
        .success();
    let clients = seq_of(e.as_key("roe").args([
        "event",
        "add",
        "--title",
        "Clients got letters",
        "--occurred",
        "2008-11-06",
        "--ref",
        &letter.to_string(),
    ]));
    e.as_key("roe")
        .args([
            "correct",
            &clients.to_string(),
            "--set",
            "occurred=2008-11-01/2008-11-06",
            "--reason",
            "only 'this week'",
        ])
        .assert()
        .success();
    e.as_key("roe")
        .args(["correct", "999", "--set", "title=x", "--reason", "r"])
        .assert()
        .code(2);
    // A correction that cannot apply (a field the kind lacks, an invalid
    // value) is refused before anything is written.
    let before = stdout_of(e.cmd().arg("log"));
    for set in ["sent=2008-11-01", "occurred=yesterday"] {
        let o = e
            .as_key("roe")
            .args([
                "correct",
                &clients.to_string(),
                "--set",
                set,
                "--reason",
                "r",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{set}");
        assert!(
            one_line(&o.stderr).contains("does not give a valid event body"),
            "{set}"
        );
    }
    assert_eq!(stdout_of(e.cmd().arg("log")), before);
    let tl = stdout_of(e.cmd().arg("timeline"));
    let lines: Vec<&str> = tl.lines().collect();
    assert!(lines[0].starts_with("≈2008-10~"), "{tl}");
    assert!(
        lines[1].starts_with("≈2008-11-01/2008-11-06") && lines[1].contains("Clients got letters"),
        "{tl}"
    );
    assert!(
        lines[2].contains("CORRECTED by #")
            && lines[2].contains("occurred: 2008-11-06 -> 2008-11-01/2008-11-06"),
        "{tl}"
    );
    assert!(lines[3].starts_with(" 2008-11-06"), "{tl}");
    let j = stdout_of(
        e.cmd()
            .args(["timeline", "--kind", "notification", "--json"]),
    );
    assert_eq!(j.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(j.trim()).unwrap();
    assert_eq!(v["occurred"], "2008-11-06");

    // Evidence with a stored copy, custody to the external lab by receipt.
    std::fs::write(e.p("scan.txt"), b"FAKE scan for tests\n").unwrap();
    let add = stdout_of(
        e.as_key("cust")
            .args([
                "evidence",
                "add",
                "EV-1",
                "--description",
                "scan",
                "--collected",
                "2008-10~",
                "--seal",
                "S-1",
                "--copy",
                "--file",
            ])
            .arg(e.p("scan.txt")),
    );
    assert!(add.contains("blake3 ") && add.contains("sha256 "), "{add}");
    let show: serde_json::Value = serde_json::from_str(&stdout_of(
        e.cmd().args(["evidence", "show", "EV-1", "--json"]),
    ))
    .unwrap();
    let sha = show["files"][0]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    assert_eq!(show["files"][0]["stored_copy"], true);
    // Only the holder may release; duplicate intake refused.
    e.as_key("roe")
        .args([
            "custody", "release", "EV-1", "--to", "Lab", "--reason", "exam",
        ])
        .assert()
        .code(2);
    e.as_key("cust")
        .args(["evidence", "add", "EV-1", "--description", "again"])
        .assert()
        .code(2);
    // SPEC §13.5: a forensic image of EV-1 names its source, tool and
    // method; a copy of an item never taken in, or a copy without its
    // method, is refused and nothing is written.
    let image = [
        "evidence",
        "add",
        "EV-2",
        "--description",
        "forensic image of the scan",
        "--copy-role",
        "image",
        "--tool",
        "dd",
        "--tool-version",
        "9.1",
        "--imei",
        "356938035643809",
    ];
    let head = stdout_of(e.cmd().arg("log")).lines().count();
    let err = e
        .as_key("cust")
        .args(image)
        .args(["--derived-from", "EV-9"])
        .assert()
        .code(2);
    let out = one_line(&err.get_output().stderr);
    assert!(
        out.contains("a copy names derived_from, tool and method"),
        "{out}"
    );
    let err = e
        .as_key("cust")
        .args(image)
        .args(["--derived-from", "EV-9", "--method", "bit-for-bit"])
        .assert()
        .code(2);
    let out = one_line(&err.get_output().stderr);
    assert!(out.contains("EV-9"), "{out}");
    assert_eq!(stdout_of(e.cmd().arg("log")).lines().count(), head);
    e.as_key("cust")
        .args(image)
        .args(["--derived-from", "EV-1", "--method", "bit-for-bit"])
        .assert()
        .success();
    // SPEC §13.2: the receiver refuses the image; the custodian keeps it.
    e.as_key("cust")
        .args([
            "custody", "release", "EV-2", "--to", "Det. Roe", "--reason", "exam",
        ])
        .assert()
        .success();
    let refused = stdout_of(e.as_key("roe").args([
        "custody",
        "receive",
        "EV-2",
        "--reject",
        "the original was requested",
    ]));
    assert!(
        refused.contains("EV-2 refused by Det. Roe (the original was requested); it stays with"),
        "{refused}"
    );
    let custody = stdout_of(e.cmd().args(["custody", "show", "EV-2"]));
    assert!(
        custody.contains("EV-2 REFUSED by the receiver: the original was requested"),
        "{custody}"
    );
    e.as_key("roe")
        .args(["custody", "release", "EV-2", "--to", "Lab", "--reason", "x"])
        .assert()
        .code(2);
    let shown = stdout_of(e.cmd().args(["evidence", "show", "EV-2"]));
    assert!(
        shown.contains("copy         image of EV-1, made with dd 9.1 (bit-for-bit)")
            && shown.contains("device       imei 356938035643809"),
        "{shown}"
    );
    // SPEC §13.6: an evidence-room check-in; a stored item is checked out
    // before it is released; seals are each used once.
    let stored = stdout_of(e.as_key("cust").args([
        "custody",
        "store",
        "EV-1",
        "--location",
        "Property room B, locker 12",
    ]));
    assert!(
        stored.contains("EV-1 checked in to Property room B, locker 12"),
        "{stored}"
    );
    let out = refusal(e.as_key("cust").args([
        "custody", "release", "EV-1", "--to", "Lab", "--reason", "exam",
    ]));
    assert!(
        out.contains("EV-1: is in storage at Property room B, locker 12")
            && out.contains("custody retrieve EV-1"),
        "{out}"
    );
    for (broken, applied, why) in [
        ("S-9", "S-2", "seal \"S-9\" is not on the item"),
        ("S-1", "S-1", "both broken and applied"),
    ] {
        let out = refusal(
            e.as_key("cust")
                .args(["custody", "retrieve", "EV-1", "--reason", "exam"])
                .args(["--break-seal", broken, "--apply-seal", applied]),
        );
        assert!(out.contains(why), "{out}");
    }
    e.as_key("cust")
        .args(["custody", "retrieve", "EV-1", "--reason", "exam"])
        .args(["--break-seal", "S-1", "--apply-seal", "S-2"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "seal S-1 broken, seal S-2 applied",
        ));
    let cs = stdout_of(e.cmd().args(["custody", "show", "EV-1"]));
    assert!(
        cs.contains("seals on it: S-2") && !cs.contains("in storage"),
        "{cs}"
    );
    let rel = stdout_of(e.as_key("cust").args([
        "custody",
        "release",
        "EV-1",
        "--to",
        "Lab",
        "--reason",
        "exam",
        "--authority",
        "Search warrant 08-SW-1123",
        "--transport",
        "FedEx 7712 3456 9901",
    ]));
    let release = rel
        .split("--release ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let ledger_id = rel
        .split("--ledger-id ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // A stranger's receipt is refused on import.
    e.cmd()
        .args([
            "key",
            "generate",
            "--name",
            "Stranger",
            "--no-passphrase",
            "--out",
        ])
        .arg(e.p("stranger"))
        .assert()
        .success();
    for (k, out) in [("stranger", "bad.receipt"), ("lab", "good.receipt")] {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.arg("--key")
            .arg(e.p(k))
            .args([
                "custody",
                "receipt",
                "--ledger-id",
                &ledger_id,
                "--item",
                "EV-1",
                "--release",
                &release,
                "--seal-intact",
                "--break-seal",
                "S-2",
                "--out",
            ])
            .arg(e.p(out))
            .assert()
            .success();
    }
    let err = e
        .as_key("cust")
        .args(["custody", "import-receipt"])
        .arg(e.p("bad.receipt"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("not an enrolled external member"));
    e.as_key("cust")
        .args(["custody", "import-receipt"])
        .arg(e.p("good.receipt"))
        .assert()
        .success();
    let cs = stdout_of(e.cmd().args(["custody", "show", "EV-1"]));
    assert!(
        cs.contains("Lab")
            && cs.contains("no custody breaks")
            && cs.contains("released to Lab (Examiner, State crime lab): exam under Search warrant 08-SW-1123; transport: FedEx 7712 3456 9901")
            && cs.contains("received (external receipt), seal recorded as intact; seal S-2 broken")
            && !cs.contains("seals on it"),
        "{cs}"
    );
    // Re-verification of an outside copy: match (exit 0), then mismatch (exit 1, recorded).
    e.as_key("cust")
        .args(["evidence", "verify", "EV-1"])
        .arg(e.p("scan.txt"))
        .assert()
        .success()
        .stdout(predicate::str::contains("MATCH"));
    std::fs::write(e.p("scan.txt"), b"FAKE scan for tests, altered\n").unwrap();
    e.as_key("cust")
        .args(["evidence", "verify", "EV-1"])
        .arg(e.p("scan.txt"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MISMATCH recorded"));
    // SPEC §9.3: the ledger is intact; the differing copy is a finding,
    // named with its seq and who recorded it, never a failure.
    let j = e.verify_json();
    assert_eq!(j["verified"], true, "{j:#}");
    assert_eq!(j["problems"].as_array().unwrap().len(), 0);
    let codes: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["TRANSFER_REFUSED", "COPY_DIFFERED"], "{j:#}");
    let f = &j["findings"][1];
    assert_eq!(f["item"], "EV-1");
    assert_eq!(f["stored_copy"], "not-checked");
    assert!(f["by"].as_str().unwrap().starts_with("Custodian"), "{f}");
    let text = stdout_of(e.cmd().args(["verify", "--evidence"]));
    assert!(
        text.contains("findings 2 fact(s) recorded in the entries")
            && text.contains("differed from the digests recorded when it was taken in; the ledger's own copy, re-hashed in this run, matches them (COPY_DIFFERED)")
            && text.contains("\nVERIFIED: ")
            && text.contains("\nChecked:\n")
            && text.contains("stored evidence copies re-hashed against the digests recorded when they were taken in: EV-1 \"scan.txt\"")
            && text.contains("\nNot checked:\n"),
        "{text}"
    );
    // A tampered stored copy is caught by verify --evidence.
    let b3 = show["files"][0]["blake3"].as_str().unwrap().to_owned();
    let blob = e.p("ledger").join("blobs").join(&b3[..2]).join(&b3);
    std::fs::write(&blob, b"tampered").unwrap();
    e.cmd()
        .args(["verify", "--evidence"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("stored copy of EV-1"));
    e.cmd()
        .args(["evidence", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("EV-1"));
}

#[test]
fn export_bundle_and_verify_offline() {
    let e = Env::populated();
    e.cmd()
        .args(["export", "bundle", "--out"])
        .arg(e.p("b"))
        .assert()
        .code(2); // no checkpoint yet
    e.as_key("auth").arg("checkpoint").assert().success();
    let vkey = stdout_of(e.cmd().arg("log-key").arg("--key").arg(e.p("auth.pub")));
    stdout_of(
        e.cmd()
            .args(["export", "bundle", "--out"])
            .arg(e.p("full.bundle")),
    );
    stdout_of(
        e.cmd()
            .args(["export", "bundle", "--seq", "2", "--out"])
            .arg(e.p("one.bundle")),
    );
    e.cmd()
        .args(["export", "bundle", "--out"])
        .arg(e.p("full.bundle"))
        .assert()
        .code(2); // exists
    let verify = |file: &str, key: &str| {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_LEDGER")
            .arg("verify")
            .arg("--bundle")
            .arg(e.p(file))
            .arg("--trust")
            .arg(key.trim());
        c
    };
    verify("full.bundle", &vkey)
        .assert()
        .success()
        .stdout(predicate::str::contains("entries  3"));
    verify("one.bundle", &vkey)
        .assert()
        .success()
        .stdout(predicate::str::contains("Partial bundle: it does not show"));
    // --json carries the bundle facts.
    let out = verify("one.bundle", &vkey).arg("--json").output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["bundle"]["full"], false);
    assert_eq!(j["verified"], true);
    // A flipped byte in a record: exit 1.
    let mut b = std::fs::read(e.p("full.bundle")).unwrap();
    let pos = b.windows(5).position(|w| w == b"early").unwrap();
    b[pos] ^= 0x20;
    std::fs::write(e.p("bad.bundle"), &b).unwrap();
    verify("bad.bundle", &vkey)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BAD_SIGNATURE"));
    // Garbage: not a bundle at all, bad input (SPEC §14.1): exit 2 with
    // one line naming the code, not a panic; with --json, the JSON report.
    std::fs::write(e.p("junk.bundle"), b"\xff\x00junk").unwrap();
    let err = verify("junk.bundle", &vkey)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = one_line(&err);
    assert!(
        msg.contains("junk.bundle: not a caselog bundle:") && msg.contains("(NON_CANONICAL)"),
        "{msg}"
    );
    let out = verify("junk.bundle", &vkey).arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["verified"], false);
    assert_eq!(j["problems"][0]["area"], "bundle");
    // A checkpoint signature that fails: FAILED with BAD_CHECKPOINT, and
    // --json still gives the JSON report (it used to print plain text).
    let good = caselog::tlog::note::VerifierKey::parse(vkey.trim()).unwrap();
    let other = caselog::tlog::note::VerifierKey::new(
        &good.name,
        caselog::tlog::note::TYPE_ED25519,
        caselog::storage::keys::Signer::from_seed("not the authority", &[9; 32]).public(),
    )
    .unwrap()
    .to_string();
    let out = verify("full.bundle", &other)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["problems"][0]["code"], "BAD_CHECKPOINT");
    // No --trust: usage error.
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.arg("verify")
        .arg("--bundle")
        .arg(e.p("full.bundle"))
        .assert()
        .code(2);
}

#[test]
fn export_formats_from_the_cli() {
    let e = Env::populated();
    e.as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "Letter received",
            "--occurred",
            "2008-10~",
        ])
        .assert()
        .success();
    e.cmd()
        .args(["export", "--out"])
        .arg(e.p("x"))
        .assert()
        .code(2); // no --format
    e.cmd()
        .args(["export", "--format", "pdf", "--out"])
        .arg(e.p("x"))
        .assert()
        .code(2);
    for (fmt, file) in [
        ("json", "t.json"),
        ("csv", "t.csv"),
        ("timesketch", "t.jsonl"),
        ("case", "t.jsonld"),
    ] {
        e.cmd()
            .args(["export", "--format", fmt, "--out"])
            .arg(e.p(file))
            .assert()
            .success()
            .stdout(predicate::str::contains("1 rows"));
    }
    e.cmd()
        .args(["export", "--format", "csv", "--out"])
        .arg(e.p("t.csv"))
        .assert()
        .code(2); // exists
    let ts = std::fs::read_to_string(e.p("t.jsonl")).unwrap();
    assert!(ts.contains("\"timestamp_desc\":\"Occurred (approximate)\""));
    e.cmd()
        .args(["export", "report", "--exhibit", "Ex. 1", "--out"])
        .arg(e.p("r.html"))
        .assert()
        .success();
    let html = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(html.contains("Letter received") && html.contains("Ex. 1"));
    e.cmd()
        .args(["export", "--format", "json", "--from", "2009", "--out"])
        .arg(e.p("none.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("0 rows"));
}

#[test]
fn private_fields_reveal_and_erase() {
    let e = Env::populated();
    let ssn = "000-00-0042";
    e.as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "Letter lists members",
            "--occurred",
            "2008-10~",
            "--private",
            &format!("members/001=FAKE-NAME-001, SSN {ssn}"),
            "--private",
            "members/002=FAKE-NAME-002",
        ])
        .assert()
        .success();
    // Not on commands that do not append a private-capable entry.
    e.as_key("auth")
        .args([
            "member",
            "add",
            "--name",
            "X",
            "--role",
            "counsel",
            "--private",
            "a=b",
            "--pubkey",
        ])
        .arg(e.p("roe.pub"))
        .assert()
        .code(2);
    e.as_key("roe")
        .args(["note", "x", "--private", "bad"])
        .assert()
        .code(2);
    let show = stdout_of(e.cmd().args(["show", "3"]));
    assert!(
        !show.contains(ssn) && show.contains("redacted; show with --reveal"),
        "{show}"
    );
    let show = stdout_of(e.cmd().args(["show", "3", "--reveal"]));
    assert!(show.contains(ssn) && show.contains("members/002"), "{show}");
    assert!(!stdout_of(e.cmd().arg("log")).contains(ssn));
    assert!(stdout_of(e.cmd().args(["log", "--reveal"])).contains(ssn));
    assert!(!stdout_of(e.cmd().arg("timeline")).contains(ssn));
    assert!(stdout_of(e.cmd().args(["timeline", "--reveal"])).contains(ssn));
    e.cmd()
        .args(["export", "--format", "timesketch", "--out"])
        .arg(e.p("t.jsonl"))
        .assert()
        .success()
        .stdout(predicate::str::contains("redacted"));
    assert!(!std::fs::read_to_string(e.p("t.jsonl"))
        .unwrap()
        .contains(ssn));
    // A revealing export needs a purpose, and is recorded with it.
    let err = refusal(
        e.cmd()
            .args([
                "export",
                "--format",
                "json",
                "--reveal",
                "members/*",
                "--out",
            ])
            .arg(e.p("t.json")),
    );
    assert!(err.contains("add --purpose"), "{err}");
    assert!(!e.p("t.json").exists());
    let err = refusal(
        e.cmd()
            .args(["export", "--format", "json", "--purpose", "x", "--out"])
            .arg(e.p("t.json")),
    );
    assert!(
        err.contains("--purpose is recorded only for an export that reveals"),
        "{err}"
    );
    let before = e.verify_json()["entries"].as_u64().unwrap();
    e.as_key("roe")
        .args([
            "export",
            "--format",
            "json",
            "--reveal",
            "members/*",
            "--purpose",
            "victim notification letters",
            "--out",
        ])
        .arg(e.p("t.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("REVEALED"))
        .stdout(predicate::str::contains(format!(
            "seq {before}: the reveal of members/* in {} is recorded, with its purpose, signed by Det. Roe",
            e.p("t.json").display()
        )));
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(std::fs::read(e.p("t.json")).unwrap()));
    let shown = stdout_of(e.cmd().args(["show", &before.to_string(), "--json"]));
    assert!(
        shown.contains("export.reveal")
            && shown.contains("victim notification letters")
            && shown.contains(&digest),
        "{shown}"
    );
    // A member who may not record it (an external) gets no file.
    e.enrol(
        "ext",
        "Outside lab (test)",
        "Outside lab (test)",
        "external",
    );
    let err = refusal(
        e.as_key("ext")
            .args([
                "export",
                "--format",
                "csv",
                "--reveal",
                "*",
                "--purpose",
                "x",
                "--out",
            ])
            .arg(e.p("x.csv")),
    );
    assert!(err.contains("the export was removed"), "{err}");
    assert!(!e.p("x.csv").exists());
    assert!(std::fs::read_to_string(e.p("t.json"))
        .unwrap()
        .contains(ssn));
    // Erase: authority only; then gone, and the ledger verifies.
    e.as_key("roe")
        .args([
            "erase",
            "3",
            "--field",
            "members/001",
            "--reason",
            "court order",
        ])
        .assert()
        .code(2);
    e.as_key("auth")
        .args(["erase", "3", "--field", "members/404", "--reason", "x"])
        .assert()
        .code(2);
    e.as_key("auth")
        .args([
            "erase",
            "3",
            "--field",
            "members/001",
            "--reason",
            "court order",
            "--authority",
            "Order 2009-CV-0042",
        ])
        .assert()
        .success();
    assert!(!stdout_of(e.cmd().args(["show", "3", "--reveal"])).contains(ssn));
    let j = e.verify_json();
    assert_eq!(j["verified"], true);
    assert_eq!(j["erasures"], 1);
    assert_eq!(j["private_fields"], 2);
    assert_eq!(j["disclosures_present"], 1);
}

#[test]
fn import_jsonl_checks_everything_first_then_group_commits() {
    let e = Env::populated();
    let before = e.verify_json();
    let mut lines = String::new();
    for i in 0..2500 {
        if i % 2 == 0 {
            lines.push_str(&format!(
                "{{\"kind\":\"note\",\"body\":{{\"text\":\"tip {i}\"}}}}\n"
            ));
        } else {
            lines.push_str(&format!(
                "{{\"kind\":\"event\",\"body\":{{\"title\":\"call {i}\",\"occurred\":\"2008-11~\"}},\"private\":{{\"caller\":\"FAKE-CALLER-{i}\"}}}}\n"
            ));
        }
    }
    // One bad line in the middle: nothing is written, the line is named.
    let bad = lines.replacen(
        "\"occurred\":\"2008-11~\"",
        "\"occurred\":\"mid November\"",
        1,
    );
    std::fs::write(e.p("bad.jsonl"), &bad).unwrap();
    let err = e
        .as_key("roe")
        .args(["import"])
        .arg(e.p("bad.jsonl"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = one_line(&err);
    assert!(
        msg.contains("line 2:") && msg.contains("nothing was written"),
        "{msg}"
    );
    // A reference to no earlier entry: refused before any write, line named.
    std::fs::write(e.p("role.jsonl"), format!("{lines}{{\"kind\":\"correction\",\"body\":{{\"target\":\"{}\",\"set\":{{\"title\":\"x\"}},\"reason\":\"r\"}}}}\n", "00".repeat(32))).unwrap();
    let err = e
        .as_key("roe")
        .args(["import"])
        .arg(e.p("role.jsonl"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("line 2501:"));
    assert_eq!(e.verify_json(), before);
    // The good file: three synced batches.
    std::fs::write(e.p("ok.jsonl"), &lines).unwrap();
    e.as_key("roe")
        .args(["import", "--batch", "1000"])
        .arg(e.p("ok.jsonl"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "imported 2500 entries (seq 3..2502) in 3 synced batch(es)",
        ));
    let j = e.verify_json();
    assert_eq!(j["verified"], true);
    assert_eq!(j["entries"], 2503);
    assert_eq!(j["private_fields"], 1250);
    // --skip resumes after a given line; stdin works.
    e.as_key("roe")
        .args(["import", "-", "--skip", "2499"])
        .write_stdin(lines.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains("imported 1 entries"));
}

#[test]
fn append_body_json_with_private_section() {
    let e = Env::populated();
    std::fs::write(
        e.p("e.json"),
        "{\n  \"kind\": \"event\",\n  \"body\": {\"title\": \"Member list received\", \"occurred\": \"2008-10~\"},\n  \"private\": {\"members/001\": \"FAKE-NAME-001, SSN 000-00-0001\"}\n}\n",
    )
    .unwrap();
    e.as_key("roe")
        .args(["append", "--body-json"])
        .arg(e.p("e.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("with 1 private field(s)"));
    assert!(!stdout_of(e.cmd().args(["show", "3"])).contains("000-00-0001"));
    assert!(stdout_of(e.cmd().args(["show", "3", "--reveal"])).contains("000-00-0001"));
    std::fs::write(
        e.p("bad.json"),
        "{\"kind\": \"member.enroll\", \"body\": {}}",
    )
    .unwrap();
    let err = e
        .as_key("roe")
        .args(["append", "--body-json"])
        .arg(e.p("bad.json"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(one_line(&err).contains("cannot be imported"));
}

/// Key files are exactly 0600 under any umask, and no output (stdout,
/// stderr, exported files) carries the secret seed, its expanded scalar or
/// the private key file's body, with `RUST_LOG=trace` and backtraces on,
/// including on failures.
#[test]
fn keys_are_0600_under_any_umask_and_no_output_leaks_a_secret() {
    use base64::Engine as _;
    use sha2::Digest as _;
    use std::os::unix::fs::PermissionsExt as _;
    let e = Env::new();
    let bin = assert_cmd::cargo::cargo_bin("caselog");
    for umask in ["000", "022", "077", "277"] {
        let k = e.p(&format!("k{umask}"));
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask}; exec '{}' key generate --name U --no-passphrase --out '{}'",
                bin.display(),
                k.display()
            ))
            .output()
            .unwrap();
        assert!(st.status.success(), "umask {umask}: {st:?}");
        let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "umask {umask}: key file mode {mode:o}");
    }

    let seed = [0x6bu8; 32];
    let signer = caselog::storage::keys::Signer::from_seed("Leak Test Authority", &seed);
    caselog::storage::keys::write_key_files(&signer, &e.p("auth"), None).unwrap();
    caselog::storage::keys::write_key_files(&signer, &e.p("auth-enc"), Some(b"right")).unwrap();
    let pem = std::fs::read_to_string(e.p("auth")).unwrap();
    let scalar = sha2::Sha512::digest(seed);
    let mut secrets: Vec<String> = vec![
        hex::encode(seed),
        base64::engine::general_purpose::STANDARD.encode(seed),
        hex::encode(&scalar[..32]),
    ];
    secrets.extend(
        pem.lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 20)
            .map(str::to_owned),
    );
    let mut seen = Vec::new();
    let run = |args: &[&str], key: &str, pass: &str| {
        let o = e
            .cmd()
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "full")
            .env("CASELOG_KEY", e.p(key))
            .env("CASELOG_PASSPHRASE", pass)
            .args(args)
            .output()
            .unwrap();
        [o.stdout, o.stderr].concat()
    };
    seen.push(run(
        &["init", "--case", "LEAK", "--title", "leak test"],
        "auth",
        "",
    ));
    seen.push(run(&["note", "first"], "auth", ""));
    seen.push(run(&["note", "wrong passphrase"], "auth-enc", "wrong"));
    seen.push(run(&["note", "right passphrase"], "auth-enc", "right"));
    seen.push(run(&["checkpoint"], "auth", ""));
    seen.push(run(
        &["key", "show", e.p("auth").to_str().unwrap()],
        "auth",
        "",
    ));
    seen.push(run(&["log", "--json"], "auth", ""));
    seen.push(run(&["verify", "--json"], "auth", ""));
    seen.push(run(&["show", "0"], "auth", ""));
    seen.push(run(
        &["export", "bundle", "--out", e.p("b.cbor").to_str().unwrap()],
        "auth",
        "",
    ));
    seen.push(std::fs::read(e.p("b.cbor")).unwrap());
    seen.push(run(&["member", "add", "--help"], "auth", ""));
    assert!(
        String::from_utf8_lossy(&seen[2]).contains("passphrase"),
        "the wrong passphrase must fail: {}",
        String::from_utf8_lossy(&seen[2])
    );
    for out in &seen {
        let text = String::from_utf8_lossy(out);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "secret material in output: {text}"
            );
        }
        assert!(
            !out.windows(32).any(|w| w == seed),
            "raw seed bytes in output"
        );
    }
}

/// Defect: an entry within 72 bytes of the 1 MiB limit was acknowledged and
/// its record then failed to decode forever. Every append path checks the
/// stored record, and private values, against the limit (SPEC §2).
#[test]
fn import_refuses_items_over_the_limit_and_writes_nothing() {
    let e = Env::populated();
    let before = e.verify_json();
    let big = "x".repeat(1 << 20);
    std::fs::write(
        e.p("big.jsonl"),
        format!("{{\"kind\":\"note\",\"body\":{{\"text\":\"ok\"}}}}\n{{\"kind\":\"note\",\"body\":{{\"text\":\"tip\"}},\"private\":{{\"caller\":\"{big}\"}}}}\n"),
    )
    .unwrap();
    let err = e
        .as_key("roe")
        .args(["import"])
        .arg(e.p("big.jsonl"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let msg = one_line(&err);
    assert!(
        msg.contains("line 2:")
            && msg.contains("private field \"caller\"")
            && msg.contains("over the 1048576-byte limit"),
        "{msg}"
    );
    assert_eq!(e.verify_json(), before);
}

/// A passphrase file others can read is refused like a private key file
/// (checked on the descriptor that is read); owner-only, it works.
#[test]
fn passphrase_file_must_be_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let e = Env::new();
    std::fs::write(e.p("pass"), "correct horse\n").unwrap();
    std::fs::set_permissions(e.p("pass"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let gen = |e: &Env| {
        let mut c = e.cmd();
        c.arg("--passphrase-file")
            .arg(e.p("pass"))
            .args(["key", "generate", "--name", "Det. Roe", "--out"])
            .arg(e.p("k"));
        c
    };
    let err = gen(&e).assert().code(2).get_output().stderr.clone();
    let msg = one_line(&err);
    assert!(
        msg.contains("is readable by others (mode 644)") && msg.contains("chmod 600"),
        "{msg}"
    );
    assert!(!e.p("k").exists());
    std::fs::set_permissions(e.p("pass"), std::fs::Permissions::from_mode(0o600)).unwrap();
    gen(&e).assert().success();
    assert!(e.p("k").exists());
}

/// A case ledger is confidential: its directory is owner-only from
/// creation; an export holding revealed private values is 0600, a redacted
/// one stays shareable (0644). A revoked authority's key is marked wherever
/// keys are printed (log-key --all, the court report).
#[test]
fn ledger_and_revealed_exports_are_owner_only_and_revoked_keys_are_marked() {
    use std::os::unix::fs::PermissionsExt as _;
    let e = Env::populated();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&e.p("ledger")), 0o700);
    e.as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "Member list",
            "--occurred",
            "2008-10~",
        ])
        .args(["--private", "members/001=FAKE-NAME-001"])
        .assert()
        .success();
    for (name, reveal) in [("red.json", false), ("rev.json", true)] {
        let mut c = e.as_key("auth");
        c.args(["export", "--format", "json", "--out"])
            .arg(e.p(name));
        if reveal {
            c.args(["--reveal", "*", "--purpose", "file mode test"]);
        }
        c.assert().success();
        assert_eq!(
            mode(&e.p(name)),
            if reveal { 0o600 } else { 0o644 },
            "{name}"
        );
    }
    // A second authority, enrolled then revoked.
    e.cmd()
        .env("CASELOG_PASSPHRASE", PASS)
        .args(["key", "generate", "--name", "Deputy", "--out"])
        .arg(e.p("dep"))
        .assert()
        .success();
    e.as_key("auth")
        .args([
            "member",
            "add",
            "--name",
            "Deputy",
            "--role",
            "authority",
            "--pubkey",
        ])
        .arg(e.p("dep.pub"))
        .assert()
        .success();
    e.as_key("auth")
        .args(["member", "revoke", "Deputy", "--reason", "left the unit"])
        .assert()
        .success();
    let all = stdout_of(e.cmd().args(["log-key", "--all"]));
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 2, "{all}");
    assert!(!lines[0].starts_with('#') || !lines[1].starts_with('#'));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("# REVOKED at seq ") && l.contains("'Deputy'")),
        "{all}"
    );
    let out = e
        .cmd()
        .arg("log-key")
        .arg("--key")
        .arg(e.p("dep.pub"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'Deputy' was revoked at seq"));
    e.cmd()
        .args(["export", "report", "--out"])
        .arg(e.p("r.html"))
        .assert()
        .success();
    let html = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(
        html.contains("<strong>REVOKED</strong> at seq"),
        "report does not mark the revoked key"
    );
}

/// Each command's help lists only the options it takes: signing and
/// private-field options appear on the commands that sign or take private
/// fields, and are refused by the others; the form with --key before the
/// command still works.
#[test]
fn commands_show_and_take_only_their_options() {
    let e = Env::populated();
    let help = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--help");
        stdout_of(e.cmd().args(&all))
    };
    for cmd in [
        &["checkpoint", "list"][..],
        &["witness", "show"],
        &["log"],
        &["verify"],
        &["member", "list"],
        &["timeline"],
    ] {
        let h = help(cmd);
        for opt in ["--private", "--private-file", "--passphrase-file"] {
            assert!(!h.contains(opt), "{cmd:?} --help lists {opt}:\n{h}");
        }
    }
    assert!(!help(&["verify"]).contains("--key"));
    for cmd in [
        &["note"][..],
        &["event", "add"],
        &["custody", "release"],
        &["correct"],
    ] {
        let h = help(cmd);
        for opt in ["--key", "--passphrase-file", "--private", "--private-file"] {
            assert!(h.contains(opt), "{cmd:?} --help lacks {opt}");
        }
    }
    let h = help(&["member", "add"]);
    assert!(h.contains("--key") && !h.contains("--private"), "{h}");
    // Refused where they do not apply (clap: usage error, exit 2).
    e.cmd().args(["log", "--private", "a=b"]).assert().code(2);
    e.cmd()
        .args(["verify", "--passphrase-file", "x"])
        .assert()
        .code(2);
    // Before the command: the signing key applies to the command that signs.
    e.cmd()
        .env("CASELOG_PASSPHRASE", PASS)
        .arg("--key")
        .arg(e.p("auth"))
        .args(["note", "signed with the key given before the command"])
        .assert()
        .success();
    e.cmd()
        .args(["note", "signed with the key given after it", "--key"])
        .arg(e.p("roe"))
        .assert()
        .success();
    let log = stdout_of(e.cmd().arg("log"));
    assert!(
        log.contains("given before the command") && log.contains("given after it"),
        "{log}"
    );
}

/// Completion scripts and man pages come from the clap definitions.
#[test]
fn completions_and_man_pages_are_generated() {
    let e = Env::new();
    let bash = stdout_of(e.cmd().args(["completions", "bash"]));
    assert!(
        bash.contains("_caselog()") && bash.contains("custody"),
        "{bash}"
    );
    let zsh = stdout_of(e.cmd().args(["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef caselog"), "{zsh}");
    let fish = stdout_of(e.cmd().args(["completions", "fish"]));
    assert!(fish.contains("complete -c caselog"), "{fish}");
    e.cmd().args(["completions", "tcsh"]).assert().code(2);
    stdout_of(e.cmd().args(["man", "--out"]).arg(e.p("man")));
    let page = std::fs::read_to_string(e.p("man/caselog-verify.1")).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH caselog-verify"),
        "{page}"
    );
    assert!(page.contains("against"), "the page documents the options");
    assert!(e.p("man/caselog.1").exists() && e.p("man/caselog-custody-release.1").exists());
}

/// SPEC §13.1: a human-entered date keeps the IANA zone it was given,
/// shown as given in the log, the timeline and its exports; a zone that is
/// not an IANA name is refused in one line and nothing is written.
#[test]
fn human_entered_dates_keep_their_zone() {
    let e = Env::populated();
    let head = stdout_of(e.cmd().arg("log")).lines().count();
    let out = refusal(
        e.as_key("roe")
            .args([
                "event",
                "add",
                "--title",
                "Call",
                "--occurred",
                "2008-10-09",
            ])
            .args(["--zone", "-07:00"]),
    );
    assert!(
        out.contains("--zone \"-07:00\" is not an IANA time zone name")
            && out.contains("America/Los_Angeles"),
        "{out}"
    );
    assert_eq!(stdout_of(e.cmd().arg("log")).lines().count(), head);
    e.as_key("roe")
        .args(["event", "add", "--title", "Call from the extortionist"])
        .args(["--occurred", "2008-10-09T14:05:00"])
        .env("CASELOG_ZONE", "America/Los_Angeles")
        .assert()
        .success();
    let log = stdout_of(e.cmd().arg("log"));
    assert!(
        log.contains("[2008-10-09T14:05:00 America/Los_Angeles] Call from the extortionist"),
        "{log}"
    );
    let j = stdout_of(e.cmd().args(["timeline", "--kind", "event", "--json"]));
    let row: serde_json::Value = j
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["occurred"] == "2008-10-09T14:05:00")
        .unwrap();
    assert_eq!(row["zone"], "America/Los_Angeles");
    // Issue 25, item 4: the zone makes it an instant (14:05 PDT = 21:05
    // UTC) wherever it is ordered and shown; the stored text is unchanged.
    assert_eq!(row["occurred_earliest"], "2008-10-09T21:05:00Z", "{row}");
    assert_eq!(row["occurred_latest"], "2008-10-09T21:05:00Z");
    assert_eq!(row["approximate"], false);
    assert_eq!(row["zone_resolution"]["as"], "instant");
    let text = stdout_of(e.cmd().args(["timeline", "--kind", "event"]));
    assert!(
        text.contains(
            "America/Los_Angeles = 2008-10-09 21:05:00 UTC (in America/Los_Angeles, tz database"
        ),
        "{text}"
    );
    stdout_of(
        e.cmd()
            .args(["export", "--format", "timesketch", "--out"])
            .arg(e.p("ts.jsonl")),
    );
    let ts = std::fs::read_to_string(e.p("ts.jsonl")).unwrap();
    let ev: serde_json::Value = ts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["occurred_edtf"] == "2008-10-09T14:05:00")
        .unwrap();
    assert_eq!(ev["datetime"], "2008-10-09T21:05:00Z", "{ev}");
    assert_eq!(ev["timestamp_desc"], "Occurred");
    stdout_of(
        e.cmd()
            .args(["export", "report", "--out"])
            .arg(e.p("r.html")),
    );
    let report = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(report.contains("= 2008-10-09 21:05:00 UTC (in America/Los_Angeles"));
    assert!(e.verify_json()["verified"].as_bool().unwrap());
}

/// Issue 25, item 8: a trust file of several keys (what `caselog log-key >
/// FILE` writes for two authorities, plus comments) works in both
/// verifiers; a file with no key is refused.
#[test]
fn a_trust_file_of_several_authorities_works_in_both_verifiers() {
    let e = Env::populated();
    e.enrol("a2", "Second", "Second", "authority");
    e.as_key("auth").arg("checkpoint").assert().success();
    let keys = stdout_of(e.cmd().arg("log-key"));
    assert_eq!(keys.lines().count(), 2, "{keys}");
    std::fs::write(
        e.p("log.vkey"),
        format!("# the case's authorities\n\n{keys}"),
    )
    .unwrap();
    stdout_of(e.cmd().args(["export", "bundle", "--out"]).arg(e.p("b")));
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.env_remove("CASELOG_LEDGER")
        .args(["verify", "--bundle"])
        .arg(e.p("b"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .assert()
        .success()
        .stdout(predicate::str::contains("VERIFIED"));
    let py = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verify-bundle"))
        .arg(e.p("b"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .output()
        .unwrap();
    assert!(
        py.status.success() && String::from_utf8_lossy(&py.stdout).contains("VERIFIED"),
        "{py:?}"
    );
    std::fs::write(e.p("empty.vkey"), "# nothing here\n").unwrap();
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.env_remove("CASELOG_LEDGER")
        .args(["verify", "--bundle"])
        .arg(e.p("b"))
        .arg("--trust")
        .arg(e.p("empty.vkey"));
    assert!(refusal(&mut c).contains("holds no key"));
}

/// Issue 25, item 8: refusals say the first thing first and offer the fix;
/// nothing is written by any of them.
#[test]
fn refusals_name_the_problem_and_the_fix() {
    let e = Env::populated();
    let before = e.verify_json()["entries"].clone();
    // A .pub given as --key with no agent is said to be a public key
    // whose private half an agent must hold, not "run chmod".
    let err = refusal(
        e.cmd()
            .env("CASELOG_KEY", e.p("roe.pub"))
            .args(["note", "x"]),
    );
    assert!(
        err.contains("roe.pub is a public key, so an SSH agent must hold its private half, but SSH_AUTH_SOCK is not set")
            && err.contains("without .pub")
            && !err.contains("chmod"),
        "{err}"
    );
    // A date and time with a space: the EDTF spelling is offered.
    let event = |when: &str| {
        let mut c = e.as_key("roe");
        c.args(["event", "add", "--title", "Call", "--occurred", when]);
        c
    };
    let err = refusal(&mut event("2026-07-15 02:20"));
    assert!(err.contains("--occurred 2026-07-15T02:20:00"), "{err}");
    // SPEC §13.1: nothing follows a Y year.
    assert!(refusal(&mut event("Y-170000002?")).contains("Y-prefixed year"));
    assert_eq!(e.verify_json()["entries"], before);
    // A date in the future is recorded, with a warning.
    event("2999-01-01")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "--occurred 2999-01-01 lies wholly in the future",
        ));
}

fn python() -> PathBuf {
    std::env::var_os("CASELOG_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap()).join(".cache/caselog/venv/bin/python")
        })
}

/// Issue 25, item 7: `bundle extract` writes a verified bundle's carried
/// files (and a SHA256SUMS that `sha256sum -c` accepts); a bundle that
/// does not verify writes nothing, an existing --out is refused.
#[test]
fn bundle_extract_writes_only_what_verified() {
    let e = Env::populated();
    std::fs::write(e.p("letter.txt"), b"FAKE letter for tests\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "letter",
            "--collected",
            "2008-10~",
            "--copy",
            "--file",
        ])
        .arg(e.p("letter.txt"))
        .assert()
        .success();
    e.as_key("auth").arg("checkpoint").assert().success();
    std::fs::write(e.p("log.vkey"), stdout_of(e.cmd().arg("log-key"))).unwrap();
    stdout_of(
        e.cmd()
            .args([
                "export",
                "bundle",
                "--item",
                "EV-1",
                "--with-files",
                "--out",
            ])
            .arg(e.p("ev1.bundle")),
    );
    let extract = |bundle: &str, out: &str| {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_LEDGER")
            .args(["bundle", "extract"])
            .arg(e.p(bundle))
            .arg("--trust")
            .arg(e.p("log.vkey"))
            .arg("--out")
            .arg(e.p(out));
        c
    };
    let said = stdout_of(&mut extract("ev1.bundle", "files"));
    assert!(
        said.contains("extracted 1 carried file(s)") && said.contains("EV-1/letter.txt"),
        "{said}"
    );
    assert_eq!(
        std::fs::read(e.p("files/EV-1/letter.txt")).unwrap(),
        b"FAKE letter for tests\n"
    );
    assert_eq!(mode(&e.p("files/EV-1/letter.txt")), 0o600);
    assert_eq!(mode(&e.p("files")), 0o700);
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(e.p("files"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    // An existing directory is refused.
    assert!(refusal(&mut extract("ev1.bundle", "files")).contains("already exists"));
    // One flipped byte of the carried file: FAILED, nothing written.
    let mut b = std::fs::read(e.p("ev1.bundle")).unwrap();
    let at = b.windows(9).position(|w| w == b"FAKE lett").unwrap();
    b[at] ^= 1;
    std::fs::write(e.p("bad.bundle"), &b).unwrap();
    extract("bad.bundle", "bad")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nothing extracted"));
    assert!(!e.p("bad").exists());
}

/// Issue 25, item 5: a correction shows each field before and after and
/// has --dry-run; it cannot change what an entry is about; item ids that
/// differ only in letter case name one item. Refusals write nothing.
#[test]
fn corrections_keep_identity_and_item_ids_ignore_case() {
    let e = Env::populated();
    event_and_item(&e, "Call", "2008-10-09");
    let entries = || e.verify_json()["entries"].as_u64().unwrap();
    let before = entries();
    let dry = stdout_of(e.as_key("roe").args([
        "correct",
        "3",
        "--set",
        "title=Call from the extortionist",
        "--reason",
        "log",
        "--dry-run",
    ]));
    assert!(
        dry.starts_with("entry 3 (event): [2008-10-09] Call\n")
            && dry.contains("  title: \"Call\" -> \"Call from the extortionist\"\n")
            && dry.contains("dry run: the correction would be accepted; nothing recorded"),
        "{dry}"
    );
    assert_eq!(entries(), before);
    let err =
        refusal(
            e.as_key("roe")
                .args(["correct", "4", "--set", "item=EV-9", "--reason", "typo"]),
        );
    assert!(err.contains("its item says what it is about"), "{err}");
    let err = refusal(
        e.as_key("roe")
            .args([
                "evidence",
                "add",
                "ev-1",
                "--description",
                "again",
                "--collected",
                "2008-10~",
                "--file",
            ])
            .arg(e.p("scan.txt")),
    );
    assert!(err.contains("already taken in as EV-1"), "{err}");
    assert_eq!(entries(), before);
    let done = stdout_of(e.as_key("roe").args([
        "correct",
        "3",
        "--set",
        "title=Call from the extortionist",
        "--reason",
        "log",
    ]));
    assert!(
        done.contains("seq 5: correction of entry 3 recorded"),
        "{done}"
    );
}

/// Issue 25, item 5: `void` marks an entry entered in error; the timeline,
/// JSON, CSV and report show it struck through with the reason; a void of
/// an intake (its custody effect stays) or of nothing is refused.
#[test]
fn a_void_strikes_an_entry_through_everywhere() {
    let e = Env::populated();
    event_and_item(&e, "Letter posted from Fresno", "2008-10~");
    let done = stdout_of(
        e.as_key("roe")
            .args(["void", "3", "--reason", "another case's letter"]),
    );
    assert!(
        done.starts_with("seq 5: entry 3 marked as entered in error"),
        "{done}"
    );
    let text = stdout_of(e.cmd().args(["timeline"]));
    assert!(
        text.contains("VOID: entered in error (#5): another case's letter"),
        "{text}"
    );
    let j = stdout_of(e.cmd().args(["timeline", "--json"]));
    let row: serde_json::Value = j
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["seq"] == 3)
        .unwrap();
    assert_eq!(row["voided"][0]["reason"], "another case's letter", "{row}");
    assert_eq!(row["voided"][0]["by"], "Det. Roe");
    stdout_of(
        e.cmd()
            .args(["export", "report", "--out"])
            .arg(e.p("r.html")),
    );
    let report = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(
        report.contains("<s>Letter posted from Fresno</s>"),
        "struck through in the report"
    );
    assert!(report.contains("entered in error (void #5 by Det. Roe: another case&#39;s letter)"));
    let err = refusal(e.as_key("roe").args(["void", "4", "--reason", "typo"]));
    assert!(
        err.contains("evidence.intake, which cannot be voided"),
        "{err}"
    );
    let err = refusal(e.as_key("roe").args(["void", "99", "--reason", "typo"]));
    assert!(err.contains("99"), "{err}");
    assert!(e.verify_json()["verified"].as_bool().unwrap());
}

/// Seq 3: an event by Det. Roe; seq 4: the intake of EV-1 (one file).
fn event_and_item(e: &Env, title: &str, occurred: &str) {
    e.as_key("roe")
        .args(["event", "add", "--title", title, "--occurred", occurred])
        .assert()
        .success();
    std::fs::write(e.p("scan.txt"), b"FAKE scan\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "scan",
            "--collected",
            "2008-10~",
        ])
        .arg("--file")
        .arg(e.p("scan.txt"))
        .assert()
        .success();
}

/// Issue 25, item 4: a case zone (init --zone) is signed in the genesis;
/// a local date-time entered without a zone is read in it by the views,
/// which say so; the report gives the export time in it too.
#[test]
fn the_case_zone_reads_local_times_and_says_so() {
    let e = Env::new();
    e.cmd()
        .args(["key", "generate", "--name", "A", "--no-passphrase", "--out"])
        .arg(e.p("a"))
        .assert()
        .success();
    let init = stdout_of(e.as_key("a").args([
        "init",
        "--case",
        "Z-1",
        "--title",
        "zones",
        "--zone",
        "America/Los_Angeles",
    ]));
    assert!(
        init.contains("(case time zone America/Los_Angeles)"),
        "{init}"
    );
    e.as_key("a")
        .args([
            "event",
            "add",
            "--title",
            "Call",
            "--occurred",
            "2008-10-09T14:05:00",
        ])
        .env_remove("CASELOG_ZONE")
        .assert()
        .success();
    let j = stdout_of(e.cmd().args(["timeline", "--json"]));
    let row: serde_json::Value = serde_json::from_str(j.lines().next().unwrap()).unwrap();
    assert_eq!(
        row["zone"],
        serde_json::Value::Null,
        "nothing was entered: {row}"
    );
    assert_eq!(row["occurred_earliest"], "2008-10-09T21:05:00Z");
    assert_eq!(row["zone_resolution"]["from"], "case");
    stdout_of(
        e.cmd()
            .args(["export", "report", "--out"])
            .arg(e.p("r.html")),
    );
    let report = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(report.contains("in the case's zone, America/Los_Angeles)"));
    assert!(report.contains("(the case's zone; none was entered)"));
    assert!(e.verify_json()["verified"].as_bool().unwrap());
}

/// Issue 25, item 8: what the ledger records by default names the member
/// as enrolled, never the key file's comment ("laptop key").
#[test]
fn defaults_name_the_enrolled_member_not_the_key_comment() {
    let e = Env::populated();
    e.enrol("poe", "laptop key", "Sgt. Poe", "investigator");
    e.as_key("poe")
        .args([
            "action",
            "add",
            "--title",
            "Mail-room logs requested",
            "--occurred",
            "2008-11-10",
        ])
        .assert()
        .success();
    std::fs::write(e.p("scan.txt"), b"FAKE scan\n").unwrap();
    e.as_key("poe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "scan",
            "--collected",
            "2008-10~",
            "--file",
        ])
        .arg(e.p("scan.txt"))
        .assert()
        .success();
    let log = stdout_of(e.cmd().args(["log", "--json"]));
    assert!(
        log.contains("\"by\":\"Sgt. Poe\"") && log.contains("\"collected_by\":\"Sgt. Poe\""),
        "{log}"
    );
    assert!(!log.contains(":\"laptop key\""), "{log}");
}

/// `log` and `timeline` take the same filters and select the same way; a
/// pipe gets every word (nothing is cut with "…"); a filter that matches
/// nothing says so on stderr and exits 0; a bad filter is exit 2.
#[test]
fn log_and_timeline_filter_alike_and_a_pipe_gets_every_word() {
    let e = Env::populated();
    let long = format!(
        "Second letter received, {} shipped via FedEx 7712",
        "with a photocopy of the member list and a demand, ".repeat(2)
    );
    for (title, when) in [
        (long.as_str(), "2008-10-09"),
        ("Press release", "2008-11-06"),
    ] {
        e.as_key("roe")
            .args(["event", "add", "--title", title, "--occurred", when])
            .assert()
            .success();
    }
    let lines = |args: &[&str]| -> Vec<String> {
        let out = e.cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            one_line(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let seqs = |ls: &[String]| -> Vec<String> {
        ls.iter()
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect()
    };
    // The whole summary, case-insensitively found, in a pipe.
    let hit = lines(&["log", "--grep", "fedex"]);
    assert_eq!(seqs(&hit), ["3"]);
    assert!(hit[0].contains("shipped via FedEx 7712") && !hit[0].contains('…'));
    assert_eq!(
        seqs(&lines(&["log", "--kind", "event", "--since", "2008-11"])),
        ["4"]
    );
    assert_eq!(seqs(&lines(&["log", "--until", "2008-10-31"])), ["3"]);
    assert_eq!(
        seqs(&lines(&["log", "--author", "Det. Roe", "--kind", "note"])),
        ["2"]
    );
    assert_eq!(seqs(&lines(&["log", "--seq", "3..4"])), ["3", "4"]);
    let json = lines(&["log", "--grep", "FEDEX", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!((json.len(), v["seq"].as_u64()), (1, Some(3)));
    // The timeline: the same options (and its former --from), the same rows.
    let tl = lines(&["timeline", "--grep", "fedex"]);
    assert!(tl[0].contains("FedEx 7712") && tl.iter().any(|l| l.starts_with("1 dated")));
    for args in [
        &["timeline", "--since", "2008-11"][..],
        &["timeline", "--from", "2008-11"],
        &["timeline", "--seq", "4"],
        &["timeline", "--author", "Det. Roe", "--grep", "press"],
    ] {
        let tl = lines(args);
        assert!(tl[0].contains("Press release"), "{args:?}: {tl:?}");
        assert!(
            tl.iter().any(|l| l.starts_with("1 dated")),
            "{args:?}: {tl:?}"
        );
    }
    // Nothing matches: exit 0, nothing on stdout, one line on stderr.
    for cmd in ["log", "timeline"] {
        e.cmd()
            .args([cmd, "--grep", "no such words"])
            .assert()
            .code(0)
            .stderr("caselog: no entries match\n");
    }
    // Bad filters: exit 2 with the fix.
    for (args, says) in [
        (
            &["log", "--seq", "9..3"][..],
            "--seq \"9..3\" is not a seq range",
        ),
        (&["log", "--since", "2008-13"], "--since"),
        (&["timeline", "--from", "2008-13"], "--from"),
        (&["log", "--author", "Nobody"], "Nobody"),
        (&["log", "--kind", "letter"], "unknown kind"),
        (&["log", "--grep", " "], "--grep needs some text"),
    ] {
        let msg = refusal(e.cmd().args(args));
        assert!(msg.contains(says), "{args:?}: {msg}");
    }
}

/// A copy an interrupted `evidence add --copy` left half-written in
/// blobs/tmp is removed by the next command that opens the ledger for
/// writing, which says so once; a reader leaves it alone.
#[test]
fn partial_evidence_copies_are_removed_at_the_next_write_and_reported_once() {
    let e = Env::populated();
    let tmp = e.p("ledger/blobs/tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("in-999999-0-0"), vec![7u8; 4096]).unwrap();
    std::fs::write(tmp.join("in-999999-1-0"), b"half").unwrap();
    e.cmd().args(["log"]).assert().success().stderr("");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        2,
        "a reader removes nothing"
    );
    e.as_key("roe")
        .args(["note", "after the interruption"])
        .assert()
        .success()
        .stderr(
            "caselog: notice: removed 2 partial evidence copies (4100 bytes) that an \
             interrupted command left in blobs/tmp; nothing recorded refers to them\n",
        );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    e.as_key("roe")
        .args(["note", "and again"])
        .assert()
        .success()
        .stderr("");
    e.cmd().arg("verify").assert().code(0);
}

/// `status` says what needs attention, from what the ledger records: an
/// item in transit to an external lab (a receipt owed), a file with no
/// stored copy, the seals, the checkpoint (or that there is none) and a
/// revoked member; `--json` says the same.
#[test]
fn status_shows_what_needs_attention() {
    let e = Env::populated();
    e.enrol("cust", "Custodian", "Custodian", "custodian");
    e.enrol("lab", "Lab", "Lab", "external");
    std::fs::write(e.p("scan.txt"), b"FAKE scan for tests\n").unwrap();
    e.as_key("cust")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "scan",
            "--seal",
            "S-1",
        ])
        .args(["--file"])
        .arg(e.p("scan.txt"))
        .assert()
        .success();
    e.as_key("cust")
        .args([
            "custody", "release", "EV-1", "--to", "Lab", "--reason", "exam",
        ])
        .assert()
        .success();
    let text = stdout_of(e.cmd().arg("status"));
    for want in [
        "ledger: 7 entries, the newest recorded ",
        "  EV-1  from Custodian to Lab: released at seq 6, ",
        "a receipt signed offline by the receiver is owed",
        "files with no stored copy (taken in without --copy):\n  EV-1: scan.txt\n",
        "seals on items now:\n  EV-1: S-1\n",
        "checkpoint: none signed yet",
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    e.as_key("auth").arg("checkpoint").assert().success();
    e.as_key("auth")
        .args(["member", "revoke", "Det. Roe", "--reason", "left the unit"])
        .assert()
        .success();
    let text = stdout_of(e.cmd().arg("status"));
    assert!(
        text.contains(
            "checkpoint: size 7 (1 entry since); the newest entry it covers was recorded "
        ),
        "{text}"
    );
    assert!(text.contains("0 signature line(s) by keys other than the ledger's authorities"));
    assert!(
        text.contains("revoked at seq 7: Det. Roe (SHA256:"),
        "{text}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&stdout_of(e.cmd().args(["status", "--json"]))).unwrap();
    assert_eq!(j["entries"], 8);
    assert_eq!(j["in_transit"][0]["item"], "EV-1");
    assert_eq!(j["in_transit"][0]["receipt_owed_offline"], true);
    assert_eq!(j["in_transit"][0]["release_seq"], 6);
    assert_eq!(j["without_copy"][0]["files"][0], "scan.txt");
    assert_eq!(j["checkpoint"]["size"], 7);
    assert_eq!(j["checkpoint"]["timestamp_token_stored"], false);
    assert_eq!(j["revoked"][0]["name"], "Det. Roe");
    std::fs::create_dir(e.p("status-json")).unwrap();
    std::fs::write(e.p("status-json/status.json"), j.to_string()).unwrap();
    crate::common::validate_jsons("status.schema.json", &e.p("status-json"));
}

/// Issue 28, item 6: `evidence add --to ITEM` attaches a lab's files to an
/// item taken in earlier, as a signed entry linked to the item; the files
/// are then the item's in every view (show, custody, re-hash, --evidence,
/// the report, the certification, CASE/UCO, a bundle carrying them, both
/// verifiers); a name the item has, an unknown item and intake-only
/// options are refused with nothing written.
#[test]
fn evidence_add_to_attaches_files_shown_with_the_item_everywhere() {
    let e = Env::populated();
    std::fs::write(e.p("scan.txt"), "scan of the letter\n").unwrap();
    std::fs::write(e.p("lab-report.txt"), "paper and toner analysis\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "letter",
            "--copy",
            "--file",
        ])
        .arg(e.p("scan.txt"))
        .assert()
        .success();
    let attach = |file: &str| {
        let mut c = e.as_key("roe");
        c.args([
            "evidence",
            "add",
            "--to",
            "EV-1",
            "--description",
            "lab report",
            "--copy",
            "--file",
        ])
        .arg(e.p(file));
        c
    };
    let out = stdout_of(&mut attach("lab-report.txt"));
    assert!(
        out.starts_with("seq 4: 1 file(s) attached to EV-1 (leaf "),
        "{out}"
    );
    let before = e.verify_json()["entries"].clone();
    // The same name again, an item never taken in, an intake's option.
    let err = refusal(&mut attach("lab-report.txt"));
    assert!(
        err.contains("EV-1 already has a file named \"lab-report.txt\"")
            && err.contains("another name"),
        "{err}"
    );
    let err = refusal(
        e.as_key("roe")
            .args([
                "evidence",
                "add",
                "--to",
                "EV-9",
                "--description",
                "x",
                "--file",
            ])
            .arg(e.p("scan.txt")),
    );
    assert!(
        err.contains("item EV-9 was never taken into evidence"),
        "{err}"
    );
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "--to",
            "EV-1",
            "--description",
            "x",
            "--seal",
            "S-1",
            "--file",
        ])
        .arg(e.p("scan.txt"))
        .assert()
        .code(2);
    assert_eq!(e.verify_json()["entries"], before);
    // Re-hashed, shown and checked as a file of the item.
    let out = stdout_of(
        e.as_key("roe")
            .args(["evidence", "verify", "EV-1"])
            .arg(e.p("lab-report.txt")),
    );
    assert!(out.contains("EV-1 lab-report.txt: MATCH"), "{out}");
    let show = stdout_of(e.cmd().args(["evidence", "show", "EV-1"]));
    assert!(
        show.contains("  attached at seq 4: lab report\n  lab-report.txt (25 bytes")
            && show.contains("[copy stored]"),
        "{show}"
    );
    let j: serde_json::Value = serde_json::from_str(&stdout_of(
        e.cmd().args(["evidence", "show", "EV-1", "--json"]),
    ))
    .unwrap();
    assert_eq!(j["attached"][0]["seq"], 4);
    assert_eq!(j["attached"][0]["files"][0]["name"], "lab-report.txt");
    let custody = stdout_of(e.cmd().args(["custody", "show", "EV-1"]));
    assert!(
        custody.contains("evidence.attach  signed by Det. Roe")
            && custody.contains("EV-1: 1 file(s) attached: lab report (lab-report.txt)"),
        "{custody}"
    );
    let v = stdout_of(e.cmd().args(["verify", "--evidence"]));
    assert!(v.contains("EV-1 \"lab-report.txt\""), "{v}");
    // Exports for counsel.
    e.as_key("auth").arg("checkpoint").assert().success();
    stdout_of(
        e.cmd()
            .args(["export", "report", "--out"])
            .arg(e.p("r.html")),
    );
    let report = std::fs::read_to_string(e.p("r.html")).unwrap();
    assert!(report.contains("lab-report.txt<br><small>attached at No. 4</small>"));
    stdout_of(
        e.cmd()
            .args(["export", "certification", "--exhibit", "A", "--out"])
            .arg(e.p("c.html")),
    );
    let cert = std::fs::read_to_string(e.p("c.html")).unwrap();
    assert!(
        cert.contains("Attached by entry No. 4 recorded ")
            && cert.contains("SHA-256 when attached"),
        "{cert}"
    );
    stdout_of(
        e.cmd()
            .args(["export", "--format", "case", "--out"])
            .arg(e.p("case.jsonld")),
    );
    let case = std::fs::read_to_string(e.p("case.jsonld")).unwrap();
    assert!(
        case.contains("lab-report.txt") && case.contains("Files attached to EV-1 (lab report)")
    );
    // A bundle carrying the attached file: both verifiers accept it.
    stdout_of(
        e.cmd()
            .args(["export", "bundle", "--with-files", "--out"])
            .arg(e.p("b")),
    );
    std::fs::write(e.p("log.vkey"), stdout_of(e.cmd().arg("log-key"))).unwrap();
    let mut c = Command::cargo_bin("caselog").unwrap();
    c.env_remove("CASELOG_LEDGER")
        .args(["verify", "--bundle"])
        .arg(e.p("b"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .assert()
        .success()
        .stdout(predicate::str::contains("VERIFIED"));
    let py = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verify-bundle"))
        .arg(e.p("b"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .output()
        .unwrap();
    assert!(
        py.status.success() && String::from_utf8_lossy(&py.stdout).contains("VERIFIED"),
        "{py:?}"
    );
}

/// Issue 29, item 3: legal holds. While a hold is in force the writer
/// refuses a disposal or return of the items it names, and a hold on the
/// whole case also refuses erasure; only an authority places or releases
/// one; the holds survive reopening (their rows) and `verify` agrees.
#[test]
fn legal_holds_block_disposal_and_erasure_until_released() {
    let e = Env::populated();
    std::fs::write(e.p("scan.txt"), "scan\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "letter",
            "--file",
        ])
        .arg(e.p("scan.txt"))
        .assert()
        .success();
    e.as_key("roe")
        .args([
            "event",
            "add",
            "--title",
            "Caller named",
            "--occurred",
            "2008-11",
            "--private",
            "caller=FAKE Name",
        ])
        .assert()
        .success();
    let place = |id: &str, item: Option<&str>| {
        let mut c = e.as_key("auth");
        c.args([
            "hold",
            "place",
            id,
            "--authority",
            "litigation hold notice 1",
            "--reason",
            "civil suit",
        ]);
        if let Some(i) = item {
            c.args(["--item", i]);
        }
        c
    };
    // Only an authority places a hold.
    let err = refusal(e.as_key("roe").args([
        "hold",
        "place",
        "LH-0",
        "--authority",
        "a",
        "--reason",
        "b",
    ]));
    assert!(err.contains("may not append hold.place"), "{err}");
    place("LH-1", Some("EV-1")).assert().success();
    let dispose = || {
        let mut c = e.as_key("roe");
        c.args([
            "evidence",
            "dispose",
            "EV-1",
            "--method",
            "shredded",
            "--reason",
            "no longer needed",
        ]);
        c
    };
    let before = e.verify_json()["entries"].clone();
    let err = refusal(&mut dispose());
    assert!(
        err.contains(
            "disposal of EV-1 is forbidden while legal hold LH-1 (placed at seq 5) is in force"
        ) && err.contains("caselog hold release LH-1"),
        "{err}"
    );
    // A hold on the whole case also stops erasure.
    place("LH-2", None).assert().success();
    let err = refusal(e.as_key("auth").args([
        "erase",
        "4",
        "--field",
        "caller",
        "--reason",
        "court order",
    ]));
    assert!(
        err.contains("an erasure is forbidden while legal hold LH-2"),
        "{err}"
    );
    let err = refusal(&mut place("LH-1", None));
    assert!(
        err.contains("legal hold LH-1: the id was already used at seq 5"),
        "{err}"
    );
    assert_eq!(
        e.verify_json()["entries"].as_u64(),
        before.as_u64().map(|n| n + 1)
    );
    // Reopened (every command opens anew): the holds are still in force.
    let list = stdout_of(e.cmd().args(["hold", "list"]));
    assert!(
        list.contains("LH-1  on EV-1  placed at seq 5  IN FORCE")
            && list.contains("LH-2  on the whole case  placed at seq 6  IN FORCE"),
        "{list}"
    );
    let status = stdout_of(e.cmd().arg("status"));
    assert!(status.contains("legal hold LH-2 in force since seq 6 on the whole case: no disposal or return, no erasure"), "{status}");
    for id in ["LH-1", "LH-2"] {
        e.as_key("auth")
            .args(["hold", "release", id, "--reason", "suit settled"])
            .assert()
            .success();
    }
    let err = refusal(
        e.as_key("auth")
            .args(["hold", "release", "LH-2", "--reason", "again"]),
    );
    assert!(
        err.contains("legal hold LH-2: already released at seq 8"),
        "{err}"
    );
    dispose().assert().success();
    e.as_key("auth")
        .args(["erase", "4", "--field", "caller", "--reason", "court order"])
        .assert()
        .success();
    let j = e.verify_json();
    assert_eq!(j["verified"], true, "{j}");
    let held: serde_json::Value =
        serde_json::from_str(&stdout_of(e.cmd().args(["hold", "list", "--json"]))).unwrap();
    assert_eq!(held[1]["released_seq"], 8);
    // The certificate of disposition: files, custody, holds, the closing
    // entry, and a fresh verification.
    stdout_of(
        e.cmd()
            .args(["export", "disposition", "EV-1", "--out"])
            .arg(e.p("d.html")),
    );
    let d = std::fs::read_to_string(e.p("d.html")).unwrap();
    for want in [
        "<h1>Certificate of disposition: EV-1</h1>",
        "<b>VERIFIED: every record decodes canonically",
        "<td>scan.txt</td><td>5</td>",
        "<td>LH-1</td><td>EV-1</td><td>5</td><td>7</td>",
        "<td>LH-2</td><td>the whole case</td><td>6</td><td>8</td>",
        "EV-1 disposed by entry No. 9, recorded ",
        "found no break.",
    ] {
        assert!(d.contains(want), "{want:?} not in the certificate");
    }
    std::fs::write(e.p("s2.txt"), "other\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-2",
            "--description",
            "envelope",
            "--file",
        ])
        .arg(e.p("s2.txt"))
        .assert()
        .success();
    let err = refusal(
        e.cmd()
            .args(["export", "disposition", "EV-2", "--out"])
            .arg(e.p("d2.html")),
    );
    assert!(
        err.contains("EV-2 has not been disposed of or returned"),
        "{err}"
    );
    assert!(!e.p("d2.html").exists());
}

/// Issue 29, item 4: `caselog fsck` verifies everything, re-hashes the
/// stored copies, and records the result as a `ledger.check` stating the
/// tree before it (an authority's run also signs a checkpoint); a copy
/// that changed on disk makes it exit 1 and record the problem's code.
#[test]
fn fsck_records_a_self_check_that_verifiers_recompute() {
    let e = Env::populated();
    std::fs::write(e.p("scan.txt"), "scan of the letter\n").unwrap();
    e.as_key("roe")
        .args([
            "evidence",
            "add",
            "EV-1",
            "--description",
            "letter",
            "--copy",
            "--file",
        ])
        .arg(e.p("scan.txt"))
        .assert()
        .success();
    let out = stdout_of(e.as_key("auth").arg("fsck"));
    assert!(
        out.contains("VERIFIED")
            && out.contains("recorded as seq 4 (leaf ")
            && out.contains("checkpoint of size 5 signed"),
        "{out}"
    );
    let log = stdout_of(e.cmd().args(["log", "--seq", "4..4"]));
    assert!(
        log.contains("ledger.check  self-check of the 4 entries before it (caselog ")
            && log.contains("no problem found; 1 stored cop(ies), 19 bytes, re-hashed"),
        "{log}"
    );
    assert_eq!(e.verify_json()["verified"], true);
    // The stored copy rots on disk: fsck says so, exit 1, and records it.
    let b3 = caselog::Hash(*blake3::hash(b"scan of the letter\n").as_bytes());
    let blob = caselog::storage::evidence::blob_path(&e.p("ledger"), &b3);
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(&blob, perms).unwrap();
    std::fs::write(&blob, "scan of the letteR\n").unwrap();
    let before = e.verify_json()["entries"].clone();
    e.cmd().args(["fsck", "--no-record"]).assert().code(1);
    assert_eq!(e.verify_json()["entries"], before);
    let o = e.as_key("roe").arg("fsck").output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(
        said.contains("recorded as seq 5")
            && said.contains("an authority signs a checkpoint of it with `caselog checkpoint`"),
        "{said}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&stdout_of(e.cmd().args(["show", "5", "--json"]))).unwrap();
    assert_eq!(
        j["body"]["problems"],
        serde_json::json!(["EVIDENCE_MISMATCH"]),
        "{j}"
    );
    assert_eq!(j["body"]["size"], 5);
}

/// Issue 29, item 5: `caselog validation-report` runs the built-in
/// known-answer vectors against this binary and writes a record that names
/// the binary's SHA-256; signed, it is a C2SP signed note that verifies
/// under the printed key and fails with any line changed; `--record` notes
/// it in the case.
#[test]
fn validation_report_runs_the_vectors_and_signs_the_record() {
    let e = Env::populated();
    let text = stdout_of(e.cmd().arg("validation-report"));
    let exe = std::fs::read(assert_cmd::cargo::cargo_bin("caselog")).unwrap();
    use sha2::Digest as _;
    let sha = hex::encode(sha2::Sha256::digest(&exe));
    assert!(
        text.starts_with("caselog-validation/v1\ntool caselog "),
        "{text}"
    );
    assert!(text.contains(&format!("binary-sha256 {sha}\n")), "{text}");
    for suite in [
        "wycheproof-ed25519 151/151",
        "cctv-ed25519 808/808",
        "go-sumdb-signed-note",
        "golden-ledger-sha256 8/8",
        "golden-ledger-blake3 8/8",
    ] {
        assert!(text.contains(&format!("suite {suite}")), "{suite}: {text}");
    }
    assert!(
        text.contains("suite rfc6962-proofs 195/196 passed")
            && text.contains("deviation rfc6962-proofs consistency/additional/sizes-are-equal-one-and-proof-is-empty.json: its roots are 12-byte placeholders"),
        "{text}"
    );
    assert!(
        text.ends_with("result every vector gave its published answer but the 1 documented deviation(s) above\n"),
        "{text}"
    );
    let err = refusal(
        e.cmd()
            .args(["validation-report", "--record", "--out"])
            .arg(e.p("x.note")),
    );
    assert!(
        err.contains("--record notes the report in the case, which needs a key"),
        "{err}"
    );
    let said = stdout_of(
        e.as_key("roe")
            .args(["validation-report", "--record", "--out"])
            .arg(e.p("v.note")),
    );
    let vkey = said
        .split("its verifier key: ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let vkey = caselog::tlog::note::VerifierKey::parse(vkey).unwrap();
    let doc = std::fs::read(e.p("v.note")).unwrap();
    let n = caselog::tlog::note::Note::parse(&doc).unwrap();
    assert!(caselog::tlog::note::verify(&n, std::slice::from_ref(&vkey)).is_ok());
    let forged = String::from_utf8(doc.clone())
        .unwrap()
        .replace("808/808", "809/809");
    let n = caselog::tlog::note::Note::parse(forged.as_bytes()).unwrap();
    assert!(caselog::tlog::note::verify(&n, std::slice::from_ref(&vkey)).is_err());
    assert!(said.contains("noted in the case as seq 3"), "{said}");
    let log = stdout_of(e.cmd().args(["log", "--seq", "3..3"]));
    let file_sha = hex::encode(sha2::Sha256::digest(&doc));
    assert!(
        log.contains("tool validation: caselog ") && log.contains(&file_sha),
        "{log}"
    );
}

/// Issue 29, item 1: a discovery production end to end through the CLI:
/// the package (natives by Bates number, the DAT read back by a CSV reader
/// with Concordance's delimiters, the OPT, PDF/A-2b reports, tlog-proofs
/// that verify, a manifest `sha256sum -c` accepts), its entry, the
/// recipient's offline acknowledgement and its record; both verifiers
/// accept the result, and every bad input is refused with nothing written.
#[test]
fn a_discovery_production_is_packaged_recorded_and_acknowledged() {
    let e = Env::populated();
    e.enrol(
        "defense",
        "Defense counsel (test)",
        "Defense counsel (test)",
        "external",
    );
    std::fs::write(e.p("letter.txt"), "letter\n").unwrap();
    std::fs::write(e.p("photo.png"), b"\x89PNG\r\n\x1a\nnot really an image").unwrap();
    std::fs::write(e.p("memo.txt"), "not kept\n").unwrap();
    let add = |item: &str, file: &str, copy: bool| {
        let mut c = e.as_key("roe");
        c.args([
            "evidence",
            "add",
            item,
            "--description",
            &format!("{item} (test)"),
            "--file",
        ])
        .arg(e.p(file));
        if copy {
            c.arg("--copy");
        }
        c.assert().success();
    };
    add("EV-1", "letter.txt", true);
    add("EV-2", "photo.png", true);
    add("EV-3", "memo.txt", false);
    e.as_key("auth").args(["checkpoint"]).assert().success();
    let produce = |out: &str, items: &[&str], to: &str| {
        let mut c = e.as_key("roe");
        c.args([
            "export",
            "production",
            "--to",
            to,
            "--authority",
            "Rule 16 request of 2009-03-02",
            "--bates-prefix",
            "EXT",
            "--timeline",
            "--out",
        ])
        .arg(e.p(out));
        for i in items {
            c.args(["--item", i]);
        }
        c
    };
    let entries = || e.verify_json()["entries"].clone();
    let before = entries();
    // Bad input: one line, exit 2, no package and no entry.
    for (items, to, want) in [
        (
            &["EV-1", "EV-9"][..],
            "Defense counsel (test)",
            "no evidence item \"EV-9\" was taken in",
        ),
        (&["EV-1"][..], "Nobody", "Nobody"),
        (
            &["EV-1", "EV-3"][..],
            "Defense counsel (test)",
            "no stored copy of EV-3/memo.txt",
        ),
    ] {
        let err = refusal(&mut produce("bad", items, to));
        assert!(err.contains(want), "{err}");
        assert!(!e.p("bad").exists() && !e.p("bad.partial").exists());
    }
    assert_eq!(entries(), before);
    let out = produce("prod", &["EV-2", "EV-1"], "Defense counsel (test)")
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("2 native(s) EXT000001 to EXT000002 (1 image(s) in the OPT)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("production to Defense counsel (test) under Rule 16 request of 2009-03-02"),
        "{stdout}"
    );
    let refuse_existing = refusal(&mut produce("prod", &["EV-1"], "Defense counsel (test)"));
    assert!(
        refuse_existing.contains("already exists"),
        "{refuse_existing}"
    );
    let pkg = e.p("prod");
    // Natives by Bates number, in item order, byte for byte.
    assert_eq!(
        std::fs::read(pkg.join("NATIVES/EXT000001.txt")).unwrap(),
        b"letter\n"
    );
    assert!(pkg.join("NATIVES/EXT000002.png").is_file());
    // The manifest is what sha256sum -c reads.
    let sum = std::process::Command::new("sha256sum")
        .args(["-c", "--quiet", "MANIFEST.sha256"])
        .current_dir(&pkg)
        .status()
        .unwrap();
    assert!(sum.success());
    // The DAT, read back by Python's CSV reader with Concordance's delimiters.
    let py = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import csv,sys,json\n\
raw=open(sys.argv[1],'rb').read()\n\
assert raw.startswith(b'\\xef\\xbb\\xbf'), 'no BOM'\n\
assert b'\\r\\n' in raw and raw.count(b'\\n')==raw.count(b'\\r\\n'), 'not CRLF'\n\
rows=list(csv.reader(raw.decode('utf-8-sig').splitlines(), delimiter='\\x14', quotechar='\\u00fe'))\n\
print(json.dumps(rows))",
        )
        .arg(pkg.join("DATA/loadfile.dat"))
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let rows: Vec<Vec<String>> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(
        rows[0][..6],
        [
            "BEGBATES",
            "ENDBATES",
            "ITEM",
            "FILENAME",
            "NATIVEPATH",
            "SHA256"
        ]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1][..5],
        [
            "EXT000001",
            "EXT000001",
            "EV-1",
            "letter.txt",
            "NATIVES\\EXT000001.txt"
        ]
    );
    use sha2::Digest as _;
    assert_eq!(rows[1][5], hex::encode(sha2::Sha256::digest(b"letter\n")));
    let opt = std::fs::read_to_string(pkg.join("DATA/loadfile.opt")).unwrap();
    assert_eq!(opt, "EXT000002,PROD001,NATIVES\\EXT000002.png,Y,,,1\r\n");
    // The reports, PDF/A-2b by the independent checks.
    for pdf in ["REPORTS/report.pdf", "REPORTS/certification.pdf"] {
        crate::exports::check_pdf_a2b(&pkg.join(pdf)).unwrap();
    }
    // Each tlog-proof verifies offline against the authority's log key.
    let vkey = e
        .cmd()
        .args(["log-key", "--key"])
        .arg(e.p("auth.pub"))
        .output()
        .unwrap();
    std::fs::write(e.p("log.vkey"), &vkey.stdout).unwrap();
    let proofs: Vec<PathBuf> = ["EV-1", "EV-2"]
        .iter()
        .flat_map(|i| {
            std::fs::read_dir(pkg.join("PROOFS").join(i))
                .unwrap()
                .map(|d| d.unwrap().path())
        })
        .collect();
    assert_eq!(proofs.len(), 2);
    for p in &proofs {
        e.cmd()
            .env_remove("CASELOG_LEDGER")
            .arg("verify-proof")
            .arg(p)
            .arg("--trust")
            .arg(e.p("log.vkey"))
            .assert()
            .success();
    }
    for b in ["PROOFS/EV-1.bundle", "PROOFS/EV-2.bundle"] {
        e.cmd()
            .args(["verify", "--bundle"])
            .arg(pkg.join(b))
            .arg("--trust")
            .arg(e.p("log.vkey"))
            .assert()
            .success();
    }
    // The recipient acknowledges offline; an altered package is refused.
    let ack = |dir: &Path, out: &str| {
        let mut c = e.cmd();
        c.env_remove("CASELOG_LEDGER")
            .env("CASELOG_KEY", e.p("defense"))
            .args(["production", "acknowledge"])
            .arg(dir)
            .arg("--out")
            .arg(e.p(out));
        c
    };
    ack(&pkg, "ack.json")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "checked 15 file(s) against MANIFEST.sha256",
        ));
    let copy = e.p("altered");
    std::fs::create_dir(&copy).unwrap();
    let cp = std::process::Command::new("cp")
        .arg("-r")
        .arg(pkg.join("."))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cp.success());
    std::fs::write(copy.join("NATIVES/EXT000001.txt"), "altered\n").unwrap();
    let err = refusal(&mut ack(&copy, "bad-ack.json"));
    assert!(
        err.contains("NATIVES/EXT000001.txt does not have the SHA-256"),
        "{err}"
    );
    assert!(!e.p("bad-ack.json").exists());
    // Recorded by the producer; both verifiers accept the ledger with it.
    e.as_key("roe")
        .args(["production", "receipt", "--file"])
        .arg(e.p("ack.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "received by Defense counsel (test)",
        ));
    // A receipt file whose signature was altered is refused, nothing written.
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(e.p("ack.json")).unwrap()).unwrap();
    v["time"] = "2026-01-01T00:00:00.000000Z".into();
    std::fs::write(e.p("forged.json"), v.to_string()).unwrap();
    let n = entries();
    let err = refusal(
        e.as_key("roe")
            .args(["production", "receipt", "--file"])
            .arg(e.p("forged.json")),
    );
    assert!(err.contains("its signature does not verify"), "{err}");
    assert_eq!(entries(), n);
    let report = e.verify_json();
    assert_eq!(report["verified"], true, "{report}");
    e.as_key("auth").args(["checkpoint"]).assert().success();
    e.cmd()
        .args(["export", "bundle", "--out"])
        .arg(e.p("all.bundle"))
        .assert()
        .success();
    let py = crate::common::python();
    let out = std::process::Command::new(py)
        .arg("tools/verify-bundle")
        .arg(e.p("all.bundle"))
        .arg("--trust")
        .arg(e.p("log.vkey"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("VERIFIED"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Issue 29, item 3: a retention category blocks disposal until its period
/// (days from the entry that set it) ends; returning the item stays
/// possible; only an authority sets one; the disposition certificate
/// states it.
#[test]
fn a_retention_category_blocks_disposal_until_its_period_ends() {
    let e = Env::populated();
    std::fs::write(e.p("scan.txt"), "scan\n").unwrap();
    for item in ["EV-1", "EV-2"] {
        e.as_key("roe")
            .args(["evidence", "add", item, "--description", "letter", "--file"])
            .arg(e.p("scan.txt"))
            .assert()
            .success();
    }
    let set = |key: &str, days: &str| {
        let mut c = e.as_key(key);
        c.args([
            "retention",
            "set",
            "Felony evidence, 10 years",
            "--days",
            days,
            "--item",
            "EV-1",
            "--item",
            "EV-2",
            "--authority",
            "schedule item 7",
        ]);
        c
    };
    let err = refusal(&mut set("roe", "3650"));
    assert!(err.contains("may not append retention.set"), "{err}");
    let err = refusal(&mut set("auth", "0"));
    assert!(err.contains("--days 0 is not 1 to 36500"), "{err}");
    set("auth", "3650").assert().success().stdout(predicate::str::contains("EV-1, EV-2 in retention category \"Felony evidence, 10 years\" for 3650 days: no disposal before"));
    let before = e.verify_json()["entries"].clone();
    let err = refusal(e.as_key("roe").args([
        "evidence", "dispose", "EV-1", "--method", "shredded", "--reason", "x",
    ]));
    assert!(
        err.contains("EV-1 is in retention category \"Felony evidence, 10 years\"")
            && err.contains("may not be disposed of before"),
        "{err}"
    );
    assert_eq!(e.verify_json()["entries"], before, "nothing written");
    let status = stdout_of(e.cmd().args(["status"]));
    assert!(
        status.contains("EV-1 in retention category \"Felony evidence, 10 years\" (seq 5) until")
            && status.contains("no disposal before then"),
        "{status}"
    );
    let js: serde_json::Value =
        serde_json::from_str(&stdout_of(e.cmd().args(["status", "--json"]))).unwrap();
    assert_eq!(js["retention"][0]["item"], "EV-1");
    assert_eq!(js["retention"][0]["ended_by_this_clock"], false);
    std::fs::create_dir(e.p("status-json")).unwrap();
    std::fs::write(e.p("status-json/status.json"), js.to_string()).unwrap();
    crate::common::validate_jsons("status.schema.json", &e.p("status-json"));
    let list = stdout_of(e.cmd().args(["retention", "list"]));
    assert!(
        list.contains("EV-1  \"Felony evidence, 10 years\"  3650 days from seq")
            && list.contains("  runs"),
        "{list}"
    );
    // Returning the item to its owner is not a disposal.
    e.as_key("roe")
        .args([
            "evidence",
            "return",
            "EV-2",
            "--to",
            "the company",
            "--reason",
            "released by the prosecutor",
        ])
        .assert()
        .success();
    e.cmd()
        .args(["export", "disposition", "EV-2", "--out"])
        .arg(e.p("d.html"))
        .assert()
        .success();
    let cert = std::fs::read_to_string(e.p("d.html")).unwrap();
    assert!(
        cert.contains("<h2>Retention</h2>") && cert.contains("(3650 days), set by entry No."),
        "{cert}"
    );
    assert_eq!(e.verify_json()["verified"], true);
}
