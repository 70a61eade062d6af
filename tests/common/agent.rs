//! A real OpenSSH `ssh-agent` for a test (tools/test installs
//! openssh-client), killed when dropped, and `ssh-add` to load it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `ssh-agent -D -a SOCK` in `dir`; its socket is [`SshAgent::sock`].
pub struct SshAgent {
    child: Child,
    /// The agent's socket, for `SSH_AUTH_SOCK`.
    pub sock: PathBuf,
    dir: PathBuf,
}

impl SshAgent {
    /// Start an agent and wait (at most 10 s) for its socket.
    pub fn start(dir: &Path) -> SshAgent {
        let sock = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client; tools/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        SshAgent {
            child,
            sock,
            dir: dir.to_owned(),
        }
    }

    /// `ssh-add [args] KEY`, the passphrase (if any) given through
    /// `SSH_ASKPASS` as a person's askpass program would.
    pub fn add(&self, key: &Path, passphrase: Option<&str>, args: &[&str]) {
        let askpass = self.dir.join("askpass.sh");
        let script = format!("#!/bin/sh\nprintf '%s\\n' '{}'\n", passphrase.unwrap_or(""));
        std::fs::write(&askpass, script).unwrap();
        std::fs::set_permissions(
            &askpass,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let out = Command::new("ssh-add")
            .args(args)
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.sock)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "ssh-add: {out:?}");
    }

    /// `ssh-add -D`: the agent forgets every key.
    pub fn forget_all(&self) {
        let st = Command::new("ssh-add")
            .arg("-D")
            .env("SSH_AUTH_SOCK", &self.sock)
            .output()
            .unwrap();
        assert!(st.status.success(), "ssh-add -D: {st:?}");
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
