//! Keys held by a real OpenSSH `ssh-agent` (README "Keys in an agent",
//! SPEC §4.1): the agent signs entries and checkpoints with no private key
//! file left to read, its signatures are byte for byte a key file's, both
//! verifiers accept what it signed, an encrypted key file the agent holds
//! needs no passphrase, and each way the agent can be missing or wrong is
//! one line, exit 2, nothing written.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common::agent::SshAgent;

const PASS: &str = "correct horse battery staple";

struct Case {
    _t: tempfile::TempDir,
    root: PathBuf,
    agent: SshAgent,
}

impl Case {
    fn new() -> Case {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().to_owned();
        let agent = SshAgent::start(&root);
        Case { _t: t, root, agent }
    }
    fn p(&self, s: &str) -> PathBuf {
        self.root.join(s)
    }
    /// caselog with this case's ledger and agent, and no key or passphrase
    /// from the environment (stdin is not a terminal: no prompt).
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("caselog").unwrap();
        c.env_remove("CASELOG_KEY")
            .env_remove("CASELOG_PASSPHRASE")
            .env("CASELOG_LEDGER", self.p("ledger"))
            .env("SSH_AUTH_SOCK", &self.agent.sock);
        c
    }
    /// `caselog key generate`, encrypted with [`PASS`].
    fn generate(&self, file: &str, name: &str) -> PathBuf {
        self.cmd()
            .env("CASELOG_PASSPHRASE", PASS)
            .args(["key", "generate", "--name", name, "--out"])
            .arg(self.p(file))
            .assert()
            .success();
        self.p(file)
    }
    fn entries(&self) -> u64 {
        let out = self.cmd().args(["verify", "--json"]).output().unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        j["entries"].as_u64().unwrap()
    }
}

fn fingerprint(pub_file: &Path) -> String {
    let k = caselog::storage::keys::parse_public(pub_file.to_str().unwrap()).unwrap();
    caselog::storage::keys::fingerprint(&k.key)
}

/// The one-line error of a refused command (exit 2).
fn refusal(c: &mut Command) -> String {
    let out = c.assert().code(2).get_output().stderr.clone();
    let s = String::from_utf8_lossy(&out).to_string();
    assert_eq!(s.trim_end().lines().count(), 1, "{s}");
    s
}

#[test]
fn the_agent_signs_what_the_key_file_would_and_no_key_file_is_read() {
    let c = Case::new();
    let auth = c.generate("auth", "Sgt.Auth");
    let roe = c.generate("roe", "Det.Roe");
    // Byte for byte: the agent's signature is the key file's (Ed25519 is
    // deterministic), over an entry's signing message.
    let file = caselog::load_key(&auth, Some(PASS.as_bytes())).unwrap();
    c.agent.add(&auth, Some(PASS), &[]);
    c.agent.add(&roe, Some(PASS), &[]);
    let agent = caselog::storage::agent::Agent::connect(&c.agent.sock).unwrap();
    let held = agent.signer_for(&file.public()).unwrap();
    assert!(held.is_held() && held.name() == "Sgt.Auth");
    let msg = caselog::format::entry::signing_message(b"\xa1\x61a\x01");
    assert_eq!(held.sign(&msg).unwrap(), file.sign(&msg).unwrap());
    // From here no private key file exists: the agent alone signs.
    for k in [&auth, &roe] {
        std::fs::remove_file(k).unwrap();
    }
    c.cmd()
        .args(["init", "--case", "AG-1", "--title", "Agent case", "--key"])
        .arg(c.p("auth.pub"))
        .assert()
        .success();
    c.cmd()
        .arg("--key")
        .arg(format!("agent:{}", fingerprint(&c.p("auth.pub"))))
        .args([
            "member",
            "add",
            "--role",
            "investigator",
            "--name",
            "Det. Roe",
            "--pubkey",
        ])
        .arg(c.p("roe.pub"))
        .assert()
        .success();
    c.cmd()
        .arg("--key")
        .arg(c.p("roe.pub"))
        .args(["note", "signed in the agent"])
        .assert()
        .success();
    c.cmd()
        .args(["checkpoint", "--key"])
        .arg(c.p("auth.pub"))
        .assert()
        .success();
    c.cmd().arg("verify").assert().success();
    assert_eq!(c.entries(), 3);
    // The independent verifier agrees, from a bundle and the log key.
    c.cmd()
        .args(["export", "bundle", "--out"])
        .arg(c.p("b"))
        .assert()
        .success();
    let vkey = c.cmd().arg("log-key").output().unwrap().stdout;
    std::fs::write(c.p("log.vkey"), vkey).unwrap();
    let py = std::process::Command::new(crate::common::python())
        .arg(crate::common::verify_bundle_script())
        .arg(c.p("b"))
        .arg("--trust")
        .arg(c.p("log.vkey"))
        .output()
        .unwrap();
    assert!(
        py.status.success() && String::from_utf8_lossy(&py.stdout).contains("VERIFIED"),
        "{py:?}"
    );
}

#[test]
fn an_encrypted_key_file_the_agent_holds_needs_no_passphrase() {
    let c = Case::new();
    let auth = c.generate("auth", "Sgt.Auth");
    let init = |c: &Case| {
        let mut cmd = c.cmd();
        cmd.args(["init", "--case", "AG-2", "--title", "Unlock", "--key"])
            .arg(&auth);
        cmd
    };
    // Not in the agent, no passphrase given, no terminal: refused.
    let err = refusal(&mut init(&c));
    assert!(err.contains("passphrase"), "{err}");
    assert!(!c.p("ledger").exists());
    // `ssh-add` of caselog's own key file, once: then no passphrase.
    c.agent.add(&auth, Some(PASS), &[]);
    init(&c).assert().success();
    c.cmd()
        .arg("--key")
        .arg(&auth)
        .args(["note", "unlocked once"])
        .assert()
        .success();
    assert_eq!(c.entries(), 2);
}

#[test]
fn a_missing_agent_a_missing_key_and_a_fido_key_are_refused_and_nothing_is_written() {
    let c = Case::new();
    let auth = c.generate("auth", "Sgt.Auth");
    c.agent.add(&auth, Some(PASS), &[]);
    c.cmd()
        .args(["init", "--case", "AG-3", "--title", "Refusals", "--key"])
        .arg(c.p("auth.pub"))
        .assert()
        .success();
    let note = |key: &str| {
        let mut cmd = c.cmd();
        cmd.args(["note", "must not land", "--key", key]);
        cmd
    };
    let pub_file = c.p("auth.pub");
    let pub_file = pub_file.to_str().unwrap();
    // No agent at all.
    let err = refusal(note(pub_file).env_remove("SSH_AUTH_SOCK"));
    assert!(err.contains("SSH_AUTH_SOCK is not set"), "{err}");
    // An agent socket that is not there.
    let err = refusal(note(pub_file).env("SSH_AUTH_SOCK", c.p("gone.sock")));
    assert!(err.contains("cannot reach the SSH agent"), "{err}");
    // A fingerprint the agent does not hold.
    let err = refusal(&mut note(
        "agent:SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ));
    assert!(
        err.contains("holds no key SHA256:AAAA") && err.contains("ssh-add"),
        "{err}"
    );
    // A FIDO (sk-ssh-ed25519) public key: refused, with the reason.
    let mut blob = Vec::new();
    for part in [&b"sk-ssh-ed25519@openssh.com"[..], &[9u8; 32][..], b"ssh:"] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    use base64::Engine as _;
    let line = format!(
        "sk-ssh-ed25519@openssh.com {} token\n",
        base64::engine::general_purpose::STANDARD.encode(&blob)
    );
    std::fs::write(c.p("fido.pub"), line).unwrap();
    let err = refusal(&mut note(c.p("fido.pub").to_str().unwrap()));
    assert!(
        err.contains("FIDO security key") && err.contains("ssh-ed25519"),
        "{err}"
    );
    // The agent forgot the key after it was named: refused at once.
    c.agent.forget_all();
    let err = refusal(&mut note(pub_file));
    assert!(
        err.contains("holds no key") && err.contains("(0 key(s) held)"),
        "{err}"
    );
    assert_eq!(c.entries(), 1);
}
