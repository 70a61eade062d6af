//! The README's walkthrough runs as written: every ```sh block from
//! "## Five-minute walkthrough" up to "## Exit codes", in order, in one
//! bash session (`set -euo pipefail`) in a fresh directory, with the
//! caselog under test on the PATH.
//!
//! What the harness supplies, as a reader's machine would: the passphrase
//! a reader types at the prompt (`CASELOG_PASSPHRASE`, and an askpass
//! program for `ssh-add`), `tools/` beside
//! the working directory (the reader is in the clone), and the build: the
//! `cargo build` line is skipped (tools/test has just built caselog) and
//! `$CARGO_TARGET_DIR/release/caselog` is the binary under test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

fn walkthrough(readme: &str) -> Vec<String> {
    let start = readme
        .find("## Five-minute walkthrough")
        .expect("walkthrough heading");
    let end = readme[start..]
        .find("## Exit codes")
        .map_or(readme.len(), |i| start + i);
    let mut blocks = Vec::new();
    let mut rest = &readme[start..end];
    while let Some(i) = rest.find("```sh\n") {
        let body = &rest[i + 6..];
        let j = body.find("```").expect("closed code block");
        blocks.push(body[..j].to_owned());
        rest = &body[j + 3..];
    }
    blocks
}

/// Run the blocks; returns (success, combined output).
fn run(blocks: &[String], dir: &Path) -> (bool, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_caselog"));
    let target = dir.join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::os::unix::fs::symlink(&bin, target.join("release/caselog")).unwrap();
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::os::unix::fs::symlink(root.join("tools"), work.join("tools")).unwrap();
    // The agent the walkthrough starts is stopped when the script ends.
    let mut script = String::from(
        "set -euo pipefail\nset -x\ntrap '[ -n \"${SSH_AGENT_PID:-}\" ] && ssh-agent -k >/dev/null' EXIT\n",
    );
    for b in blocks {
        for line in b.lines() {
            if !line.trim_start().starts_with("cargo build") {
                script.push_str(line);
                script.push('\n');
            }
        }
    }
    let venv = common::python();
    let venv = venv.parent().and_then(Path::parent).unwrap();
    let askpass = dir.join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho 'correct horse battery staple'\n").unwrap();
    std::fs::set_permissions(
        &askpass,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&work)
        .env_remove("CASELOG_LEDGER")
        .env_remove("CASELOG_KEY")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("SSH_AGENT_PID")
        // `ssh-add` asks for the passphrase through SSH_ASKPASS (no terminal).
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("CARGO_TARGET_DIR", &target)
        .env("CASELOG_PASSPHRASE", "correct horse battery staple")
        .env("CASELOG_VENV", venv)
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn readme_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let blocks = walkthrough(&readme);
    assert!(blocks.len() >= 5, "found {} blocks", blocks.len());
    let t = tempfile::tempdir().unwrap();
    let (ok, text) = run(&blocks, t.path());
    assert!(ok, "the README walkthrough failed:\n{text}");
    if std::env::var_os("CASELOG_PRINT_README_RUN").is_some() {
        println!("{text}");
    }
}

#[test]
fn the_harness_sees_a_failing_line() {
    let md = "## Five-minute walkthrough\n```sh\nexport PATH=\"$CARGO_TARGET_DIR/release:$PATH\"\ncaselog --version\ncaselog verify --ledger no-such-ledger\n```\n## Exit codes\n";
    let blocks = walkthrough(md);
    assert_eq!(blocks.len(), 1);
    let t = tempfile::tempdir().unwrap();
    let (ok, text) = run(&blocks, t.path());
    assert!(!ok, "{text}");
    assert!(text.contains("caselog 0."), "the first line ran: {text}");
}
