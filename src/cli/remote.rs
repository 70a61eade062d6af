//! Where a command's ledger is ([`Target`]): a local directory, or with
//! `--remote URL` a local copy that follows the served case
//! ([`caselog::net::mirror::follow`]) before it reads, and whose appends
//! go to the server first ([`caselog::net::mirror::RemoteUpstream`]).
//! `validate` makes the target before any ledger is opened; each checked
//! command carries it.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use caselog::net::client::Remote;
use caselog::net::mirror::{follow, RemoteUpstream};
use caselog::storage::keys::Signer;
use caselog::Ledger;

use crate::cli::error::CliError;

/// A served case this run works on: its URL, the local copy and the
/// member key that signs each request.
#[derive(Debug)]
pub(crate) struct RemoteCase {
    url: String,
    dir: PathBuf,
    signer: Signer,
}

/// The ledger a checked command works on.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// A ledger directory on this machine.
    Local(PathBuf),
    /// The local copy of a served case (`--remote`).
    Remote(Rc<RemoteCase>),
}

/// Where the copy of the case at `url` lives: --ledger, else
/// `$XDG_CACHE_HOME/caselog/remote/<host_port_case>` (or `~/.cache/...`).
pub(crate) fn copy_dir(url: &str, ledger: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(d) = ledger {
        return Ok(d.to_owned());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            CliError::input(
                "no place for the local copy of the remote case",
                "pass --ledger DIR for the copy, or set HOME",
            )
        })?;
    Ok(base.join("caselog").join("remote").join(copy_name(url)))
}

/// The copy's directory name: the URL after its scheme, letters, digits,
/// `.` and `-` kept and every other byte written `_XX` (hex), so two URLs
/// never share a copy (`host:8080/x` and `host/8080_x` differ).
fn copy_name(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let mut name = String::with_capacity(rest.len());
    for b in rest.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("_{b:02x}"));
        }
    }
    name
}

/// A client for `url`; with `$CASELOG_TLS_CA` (a PEM file), trusting
/// those root certificates instead of the public web's.
pub(crate) fn client(url: &str) -> Result<Remote, CliError> {
    let r = Remote::new(url)?;
    match tls_ca()? {
        None => Ok(r),
        Some(pem) => Ok(r.trusting(&pem)?),
    }
}

/// `$CASELOG_TLS_CA`: a PEM file of root certificates to trust for
/// `https` (an agency's own CA) instead of the public web's.
pub(crate) fn tls_ca() -> Result<Option<Vec<u8>>, CliError> {
    match std::env::var_os("CASELOG_TLS_CA") {
        None => Ok(None),
        Some(f) => std::fs::read(&f).map(Some).map_err(|e| {
            CliError::input(
                format!("CASELOG_TLS_CA={}: {e}", PathBuf::from(&f).display()),
                "point CASELOG_TLS_CA at a PEM file of CA certificates",
            )
        }),
    }
}

/// Say once (the copies are gone after) what the writable open removed.
fn swept_notice(l: Ledger) -> Ledger {
    let s = l.swept();
    if s.files > 0 {
        eprintln!(
            "caselog: notice: removed {} partial evidence cop{} ({} bytes) that an interrupted command left in blobs/tmp; nothing recorded refers to them",
            s.files,
            if s.files == 1 { "y" } else { "ies" },
            s.bytes
        );
    }
    l
}

/// The served case at `url` (checked: a valid case URL), its copy in
/// `dir` (whose parent is created).
pub(crate) fn case(url: &str, dir: PathBuf, signer: Signer) -> Result<RemoteCase, CliError> {
    Remote::new(url)?;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            CliError::storage(
                format!("cannot create {}: {e}", parent.display()),
                Some("pass --ledger DIR for the local copy".into()),
            )
        })?;
    }
    Ok(RemoteCase {
        url: url.to_owned(),
        dir,
        signer,
    })
}

impl Target {
    /// The ledger directory (for a remote case, its local copy).
    pub(crate) fn dir(&self) -> &Path {
        match self {
            Target::Local(d) => d,
            Target::Remote(c) => &c.dir,
        }
    }

    /// Whether the command works on a served case.
    pub(crate) fn is_remote(&self) -> bool {
        matches!(self, Target::Remote(_))
    }

    /// Open the ledger: for a remote case, bring the copy up to the
    /// server's head first and (for writing) send appends through the
    /// server.
    pub(crate) fn open(&self, writable: bool) -> Result<Ledger, CliError> {
        let ctx = match self {
            Target::Local(dir) => return Ok(swept_notice(Ledger::open(dir, writable)?)),
            Target::Remote(c) => c,
        };
        let remote = client(&ctx.url)?;
        let (l, _) = follow(&remote, &ctx.signer, &ctx.dir, &mut |_, _| {})?;
        let mut l = swept_notice(l);
        if writable {
            let signer = ctx.signer.clone();
            l.set_upstream(Box::new(RemoteUpstream {
                remote: client(&ctx.url)?,
                signer,
                turn: None,
            }));
        }
        Ok(l)
    }

    /// For a remote case: upload the copies of evidence files just taken
    /// in (`(path, blake3, sha256)`) to the server's blob store. Returns
    /// how many the server did not have yet; `None` for a local ledger.
    pub(crate) fn upload_blobs(
        &self,
        files: &[(PathBuf, caselog::Hash, caselog::Hash)],
    ) -> Result<Option<usize>, CliError> {
        let Target::Remote(ctx) = self else {
            return Ok(None);
        };
        let remote = client(&ctx.url)?;
        let mut sent = 0;
        for (path, b3, sha) in files {
            if remote.put_blob(&ctx.signer, path, b3, sha)? {
                sent += 1;
            }
        }
        Ok(Some(sent))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn copies_of_different_urls_never_share_a_directory() {
        let a = super::copy_name("https://host:8080/x");
        let b = super::copy_name("https://host/8080_x");
        assert_eq!(a, "host_3a8080_2fx");
        assert_eq!(b, "host_2f8080_5fx");
        assert_ne!(a, b);
    }
}
