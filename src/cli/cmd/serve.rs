//! `caselog serve` and `caselog mirror`: checks and runs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use caselog::net::client::Remote;
use caselog::net::client::RemoteError;
use caselog::net::mirror::follow;
use caselog::net::mirror::MirrorCosigner;
use caselog::net::mirror::MirrorError;
use caselog::net::server::{Limits, ServeConfig, Server};
use caselog::storage::keys::Signer;

use crate::cli::args::MirrorArgs;
use crate::cli::args::ServeArgs;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::load_signer;
use crate::cli::output::out;

/// A case name is the last element of its directory: it becomes a URL path
/// element, so only letters, digits, `.`, `_` and `-`.
fn case_name(dir: &std::path::Path) -> Result<String, CliError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| {
            !n.is_empty()
                && !n.starts_with('.')
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .ok_or_else(|| {
            CliError::input(
                format!("{} cannot name a case in a URL", dir.display()),
                "name ledger directories with letters, digits, '.', '_' and '-' only",
            )
        })?;
    Ok(name.to_owned())
}

fn is_ledger(dir: &std::path::Path) -> bool {
    dir.join("CURRENT").is_file()
}

/// Collect the cases from the LEDGER arguments, --cases DIR, or --ledger.
fn cases(
    g: &Globals,
    ledgers: &[PathBuf],
    all_in: Option<&PathBuf>,
) -> Result<BTreeMap<String, PathBuf>, CliError> {
    let mut dirs: Vec<PathBuf> = ledgers.to_vec();
    if let Some(root) = all_in {
        let rd = std::fs::read_dir(root).map_err(|e| {
            CliError::input(
                format!("cannot read {}: {e}", root.display()),
                "give a directory of ledgers",
            )
        })?;
        for d in rd.flatten() {
            if is_ledger(&d.path()) {
                dirs.push(d.path());
            }
        }
    }
    if dirs.is_empty() {
        dirs.extend(g.ledger.clone());
    }
    if dirs.is_empty() {
        return Err(CliError::input(
            "no ledger to serve",
            "give LEDGER directories, --cases DIR or --ledger DIR",
        ));
    }
    let mut out = BTreeMap::new();
    for d in dirs {
        if !is_ledger(&d) {
            return Err(CliError::input(
                format!("no ledger at {}", d.display()),
                "give ledger directories made by `caselog init`",
            ));
        }
        let name = case_name(&d)?;
        if let Some(other) = out.insert(name.clone(), d.clone()) {
            return Err(CliError::input(
                format!(
                    "{} and {} would both be served as case {name:?}",
                    other.display(),
                    d.display()
                ),
                "rename one of the directories",
            ));
        }
    }
    Ok(out)
}

pub(crate) fn check_serve(a: &ServeArgs, g: &Globals) -> Result<Checked, CliError> {
    let ServeArgs {
        ledgers,
        cases: all_in,
        listen,
        tls_cert,
        tls_key,
        insecure_http,
        read_only,
        max_body,
        max_blob,
        max_in_flight,
        min_free,
        public_host,
        limits,
        witness,
        quorum,
        mirror,
        publish,
        publish_entries,
        tsa,
        tsa_ca,
    } = a;
    let addr: SocketAddr = listen.parse().map_err(|_| {
        CliError::input(
            format!("--listen {listen:?} is not an address"),
            "give HOST:PORT, e.g. 127.0.0.1:8080",
        )
    })?;
    let tls = tls_cert.clone().zip(tls_key.clone());
    plain_only_on_loopback(addr, tls.is_some(), *insecure_http)?;
    if *max_body < 1024 || max_in_flight < max_body {
        return Err(CliError::input(
            format!("--max-body {max_body} must be at least 1024 and at most --max-in-flight {max_in_flight}"),
            "raise --max-in-flight, or lower --max-body",
        ));
    }
    if addr.ip().is_unspecified() && public_host.is_empty() {
        return Err(CliError::input(
            format!("--listen {addr} is every address: requests cannot be checked against the host they were signed for"),
            "add --public-host with the name clients use, e.g. --public-host cases.example:8443",
        ));
    }
    if let Some(h) = public_host.iter().find(|h| !valid_host(h)) {
        return Err(CliError::input(
            format!("--public-host {h:?} is not HOST or HOST:PORT"),
            "give the host name (and port) clients put in their URLs, e.g. cases.example:8443",
        ));
    }
    Ok(Box::new(ServeCmd(ServeConfig {
        cases: cases(g, ledgers, all_in.as_ref())?,
        listen: addr,
        tls,
        max_body: *max_body,
        limits: listen_limits(limits)?,
        max_in_flight: *max_in_flight,
        min_free: *min_free,
        public_hosts: public_host.clone(),
        read_only: *read_only,
        max_blob: *max_blob,
        witnesses: witness
            .iter()
            .map(|w| witness_peer(w))
            .collect::<Result<_, _>>()?,
        quorum: *quorum,
        mirrors: mirror_keys(mirror)?,
        witness_ca: crate::cli::remote::tls_ca()?,
        publish: publish.clone().map(|u| (u, *publish_entries)),
        tsa: match tsa {
            Some(url) => Some((
                url.clone(),
                crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
            )),
            None => None,
        },
    })))
}

/// Plain HTTP only on loopback, unless forced.
pub(crate) fn plain_only_on_loopback(
    addr: SocketAddr,
    tls: bool,
    forced: bool,
) -> Result<(), CliError> {
    if tls || addr.ip().is_loopback() || forced {
        return Ok(());
    }
    Err(CliError::input(
        format!("plain HTTP on {addr} would send case data unencrypted"),
        "give --tls-cert and --tls-key, listen on 127.0.0.1, or force it with --insecure-http",
    ))
}

/// `VKEY@URL`: split at the first `@http://` or `@https://`.
fn witness_peer(s: &str) -> Result<caselog::net::witness::WitnessPeer, CliError> {
    let at = s
        .find("@http://")
        .or_else(|| s.find("@https://"))
        .ok_or_else(|| {
            CliError::input(
                format!("--witness {s:?} is not VKEY@URL"),
                "e.g. --witness 'counsel.example/witness+1a2b3c4d+BA...@http://127.0.0.1:8090'",
            )
        })?;
    let key = crate::cli::input::parse_vkey(&s[..at], "--witness")?;
    if key.typ != caselog::tlog::note::TYPE_COSIGNATURE {
        return Err(CliError::input(
            format!(
                "--witness {:?} is not a witness (cosignature) key",
                &s[..at]
            ),
            "give the key `caselog witness show` prints",
        ));
    }
    Ok(caselog::net::witness::WitnessPeer {
        url: s[at + 1..].to_owned(),
        key,
    })
}

/// A `--public-host`: letters, digits, `.-_`, an optional `:PORT`, or a
/// bracketed IPv6 literal with an optional port.
fn valid_host(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((a, p)) if !a.contains(':') || a.ends_with(']') => (a, Some(p)),
        _ => (h, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = match host.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    port_ok && host_ok
}

/// The listener's limits, each at least 1.
pub(crate) fn listen_limits(a: &crate::cli::args::LimitArgs) -> Result<Limits, CliError> {
    if a.max_connections == 0 || a.header_timeout == 0 || a.body_timeout == 0 {
        return Err(CliError::input(
            "--max-connections, --header-timeout and --body-timeout must be at least 1",
            "raise them",
        ));
    }
    Ok(Limits {
        connections: a.max_connections,
        header_timeout: std::time::Duration::from_secs(a.header_timeout),
        body_timeout: std::time::Duration::from_secs(a.body_timeout),
    })
}

/// `serve`, checked: the server's whole configuration.
struct ServeCmd(ServeConfig);

impl Run for ServeCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_serve(self.0)
    }
}

fn run_serve(cfg: ServeConfig) -> Result<u8, CliError> {
    let server = Server::bind(&cfg).map_err(|e| {
        CliError::storage(
            e.to_string(),
            Some("is another caselog using the ledger or the port?".into()),
        )
    })?;
    let addr = server
        .local_addr()
        .map_err(|e| CliError::storage(e.to_string(), None))?;
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    for name in cfg.cases.keys() {
        eprintln!(
            "caselog: serving {scheme}://{addr}/{name}{}",
            if cfg.read_only { " (read-only)" } else { "" }
        );
    }
    server
        .run()
        .map_err(|e| CliError::storage(e.to_string(), None))?;
    Ok(exit::OK)
}

pub(crate) fn check_mirror(a: &MirrorArgs, g: &Globals) -> Result<Checked, CliError> {
    let MirrorArgs {
        url,
        dir,
        cosign,
        cosign_name,
        cosign_passphrase_file,
        ..
    } = a;
    Remote::new(url)?;
    let cosigner = match (cosign, cosign_name) {
        (Some(key), Some(name)) => {
            if !caselog::tlog::note::valid_name(name) {
                return Err(CliError::input(
                    format!("--cosign-name {name:?} is empty or contains spaces or '+'"),
                    "use a schema-less URL such as counsel.example/mirror",
                ));
            }
            let signer = crate::cli::input::load_key_file(key, cosign_passphrase_file.as_deref())?;
            Some(MirrorCosigner {
                name: name.clone(),
                signer,
            })
        }
        _ => None,
    };
    Ok(Box::new(MirrorCmd {
        url: url.clone(),
        dir: dir.clone(),
        signer: load_signer(g)?,
        cosigner,
    }))
}

/// `mirror URL DIR`, checked.
struct MirrorCmd {
    url: String,
    dir: PathBuf,
    signer: Signer,
    cosigner: Option<MirrorCosigner>,
}

impl Run for MirrorCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_mirror(&self.url, &self.dir, &self.signer, self.cosigner.as_ref())
    }
}

fn run_mirror(
    url: &str,
    dir: &std::path::Path,
    signer: &Signer,
    cosigner: Option<&MirrorCosigner>,
) -> Result<u8, CliError> {
    let remote = crate::cli::remote::client(url)?;
    let bar = crate::cli::output::Progress::entries("following", None);
    let (mut l, f) = follow(&remote, signer, dir, &mut |done, _| bar.set(done))?;
    bar.finish();
    let cp = match f.checkpoint {
        Some(n) => format!("; the server's checkpoint at size {n} matches this copy"),
        None => "; the server has signed no checkpoint yet".into(),
    };
    out(&format!(
        "{}: {} entries ({} new), root {}{cp}\n",
        dir.display(),
        f.to,
        f.to - f.from,
        l.head().tree.root
    ))?;
    let (Some(c), Some(size)) = (cosigner, f.checkpoint) else {
        if cosigner.is_some() {
            out("nothing cosigned: the server has no checkpoint to cosign\n")?;
        }
        return Ok(exit::OK);
    };
    let vkey = c
        .verifier_key()
        .map_err(|e| CliError::input(e.to_string(), "choose another --cosign-name"))?;
    out(&format!(
        "mirror verifier key (verifiers pin it with --mirror, the server with serve --mirror): {vkey}\n"
    ))?;
    let m = match caselog::net::mirror::cosign(&remote, signer, &mut l, size, c) {
        Err(MirrorError::Remote(RemoteError::Api { err, .. })) if err.code == "NO_MIRRORS" => {
            return Err(CliError::input(
                format!("the server accepts no mirror cosignatures; this copy keeps its cosignature of the checkpoint of size {size} and hands it over at the next run"),
                format!("ask the server's operator to add: serve --mirror '{vkey}'"),
            ))
        }
        r => r?,
    };
    out(&format!(
        "mirror {} cosigned the checkpoint of size {size}{}; the server {}\n",
        c.name,
        if m.held {
            " (the cosignature this copy already held)"
        } else {
            ""
        },
        if m.added > 0 {
            "stored it"
        } else {
            "already held it"
        },
    ))?;
    Ok(exit::OK)
}

/// `serve --mirror`: the mirrors' verifier keys, cosignature keys only.
fn mirror_keys(given: &[String]) -> Result<Vec<caselog::tlog::note::VerifierKey>, CliError> {
    let keys = crate::cli::input::parse_vkeys(given, "--mirror key")?;
    if let Some(k) = keys
        .iter()
        .find(|k| k.typ != caselog::tlog::note::TYPE_COSIGNATURE)
    {
        return Err(CliError::input(
            format!(
                "--mirror key {} is not a cosignature key (type 0x04)",
                k.name
            ),
            "give the key `caselog mirror --cosign` prints",
        ));
    }
    Ok(keys)
}
