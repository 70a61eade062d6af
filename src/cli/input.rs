//! Turning argument strings into checked values before any database is
//! opened: the ledger directory, the signing key, texts within their
//! limits, private fields, kinds, EDTF dates, entry and member references.

use crate::cli::error::CliError;
use crate::cli::globals::Globals;
use crate::cli::remote::Target;
use crate::cli::secret;
use caselog::format::disclosure::Disclosure;
use caselog::format::edtf::Edtf;
use caselog::format::entry::MemberKey;
use caselog::format::entry::Seq;
use caselog::format::kinds;
use caselog::storage::keys;
use caselog::storage::keys::Signer;
use caselog::tlog::note::VerifierKey;
use caselog::Hash;
use caselog::Ledger;
use std::path::Path;
use std::path::PathBuf;

/// A member named on the command line: a key, or a name to look up.
pub(crate) enum MemberRef {
    Key(MemberKey),
    Name(String),
}

/// An entry named on the command line.
pub(crate) enum EntryRef {
    Seq(Seq),
    Leaf(Hash),
}

/// `--kind` names as kinds; an unknown name is bad input.
pub(crate) fn kinds_arg(names: &[String], hint: &str) -> Result<Vec<caselog::Kind>, CliError> {
    names
        .iter()
        .map(|k| {
            caselog::Kind::from_name(k)
                .ok_or_else(|| CliError::input(format!("unknown kind {k:?}"), hint))
        })
        .collect()
}

/// Read a small input file, naming it in the error.
pub(crate) fn read_input(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        CliError::input(
            format!("cannot read {what} {}: {e}", path.display()),
            "check the path",
        )
    })?;
    if meta.len() > 4 * 1024 * 1024 {
        return Err(CliError::input(
            format!("{what} {} is larger than 4 MiB", path.display()),
            "give the right file",
        ));
    }
    std::fs::read(path).map_err(|e| {
        CliError::input(
            format!("cannot read {what} {}: {e}", path.display()),
            "check the path",
        )
    })
}

/// Verifier keys given as strings or files. A file holds one key per line
/// (`caselog log-key > log.vkey` writes one per authority); blank lines
/// and lines starting with `#` are skipped; a file with no key is refused.
pub(crate) fn parse_vkeys(list: &[String], what: &str) -> Result<Vec<VerifierKey>, CliError> {
    let bad = |s: &str, e: &dyn std::fmt::Display| {
        CliError::input(
            format!("{what} {s:?}: {e}"),
            "give a verifier key name+hexid+base64 as printed by `caselog log-key` or `caselog witness show`, or a file of them, one per line",
        )
    };
    let mut keys = Vec::new();
    for s in list {
        if !Path::new(s).is_file() {
            keys.push(VerifierKey::parse(s).map_err(|e| bad(s, &e))?);
            continue;
        }
        let text = String::from_utf8(read_input(Path::new(s), what)?)
            .map_err(|_| bad(s, &"the file is not UTF-8 text"))?;
        let before = keys.len();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = VerifierKey::parse(line).map_err(|e| bad(&format!("{s}:{}", n + 1), &e))?;
            keys.push(key);
        }
        if keys.len() == before {
            return Err(bad(s, &"the file holds no key (only blank or # lines)"));
        }
    }
    Ok(keys)
}

/// Exactly one verifier key (a string, or a file holding one).
pub(crate) fn parse_vkey(s: &str, what: &str) -> Result<VerifierKey, CliError> {
    let mut keys = parse_vkeys(&[s.to_owned()], what)?;
    if keys.len() != 1 {
        return Err(CliError::input(
            format!(
                "{what} {s:?} holds {} keys; this option takes one",
                keys.len()
            ),
            "give the one key (a line of the file) that this option names",
        ));
    }
    Ok(keys.remove(0))
}

/// The public half of --key (a .pub file, or a private key file read
/// without decrypting).
/// The public key of a private or public key file (no passphrase needed).
pub(crate) fn key_public(path: &Path) -> Result<MemberKey, CliError> {
    Ok(show_key(path)?.key)
}

pub(crate) fn need_ledger(l: &Option<PathBuf>) -> Result<PathBuf, CliError> {
    l.clone().ok_or_else(|| {
        CliError::input("no ledger given", "pass --ledger DIR or set CASELOG_LEDGER")
    })
}

/// The ledger the command works on: the served case of `--remote` (its
/// local copy may not exist yet), else an existing `--ledger` directory.
pub(crate) fn target(g: &Globals) -> Result<Target, CliError> {
    if let Some(c) = &g.remote_case {
        return Ok(Target::Remote(c.clone()));
    }
    let dir = need_ledger(&g.ledger)?;
    if !dir.is_dir() {
        return Err(CliError::input(
            format!("no ledger at {}", dir.display()),
            "check --ledger / $CASELOG_LEDGER, or create one with `caselog init`",
        ));
    }
    Ok(Target::Local(dir))
}

pub(crate) fn load_signer(g: &Globals) -> Result<Signer, CliError> {
    // The command's own options first, then the ones before the command
    // (merged in `Globals`).
    let path = g.key.as_ref();
    let path = path.ok_or_else(|| {
        CliError::input(
            "this command signs an entry but no key was given",
            "pass --key FILE or set CASELOG_KEY",
        )
    })?;
    load_key_file(path, g.passphrase_file.as_deref())
}

/// The signer `--key` names (README "Keys in an agent"):
/// - `agent:SHA256:…`: the key with that fingerprint in the SSH agent at
///   `$SSH_AUTH_SOCK`;
/// - a public key file (`.pub`): that key, in the agent;
/// - an encrypted private key file whose key the agent holds (`ssh-add
///   FILE` once per login): the agent signs, no passphrase is asked;
/// - any other private key file: loaded, its passphrase (when encrypted)
///   from `pass_file`, else `CASELOG_PASSPHRASE`, else a prompt.
pub(crate) fn load_key_file(path: &Path, pass_file: Option<&Path>) -> Result<Signer, CliError> {
    if let Some(fp) = path.to_str().and_then(|s| s.strip_prefix("agent:")) {
        return Ok(
            agent(&format!("--key agent:{fp} names a key in an SSH agent"))?
                .signer_by_fingerprint(fp)?,
        );
    }
    let public = match keys::key_file(path)? {
        keys::KeyFile::Public(k) => {
            let what = format!(
                "{} is a public key, so an SSH agent must hold its private half",
                path.display()
            );
            return Ok(agent(&what)?.signer_for(&k.key)?);
        }
        keys::KeyFile::Private {
            encrypted: false, ..
        } => return Ok(keys::load_private(path, None)?),
        keys::KeyFile::Private { public, .. } => public,
    };
    // An agent that cannot be reached here is no error: the file is
    // there, and its passphrase is asked for instead.
    if let Some(a) = agent("").ok().filter(|a| a.holds(&public)) {
        return Ok(a.signer_for(&public)?);
    }
    let pass = match secret::from_file_or_env(pass_file)? {
        Some(p) => Some(p),
        None => secret::prompt(&format!("Passphrase for {}: ", path.display()))?,
    };
    Ok(keys::load_private(
        path,
        pass.as_ref().map(|p| p.as_bytes()),
    )?)
}

/// The SSH agent at `$SSH_AUTH_SOCK`, its keys listed; `why` says what
/// needed it.
fn agent(why: &str) -> Result<caselog::storage::agent::Agent, CliError> {
    let sock = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty());
    let sock = sock.ok_or_else(|| {
        CliError::input(
            format!("{why}, but SSH_AUTH_SOCK is not set (no agent)"),
            "start an agent (eval \"$(ssh-agent)\") and add the key (ssh-add KEYFILE), or pass the private key file (without .pub) to --key",
        )
    })?;
    Ok(caselog::storage::agent::Agent::connect(Path::new(&sock))?)
}

pub(crate) fn check_text(what: &str, s: &str, max: usize) -> Result<String, CliError> {
    if s.trim().is_empty() {
        return Err(CliError::input(
            format!("{what} is empty"),
            format!("give a non-empty {what}"),
        ));
    }
    if s.len() > max {
        return Err(CliError::input(
            format!(
                "{what} is {} bytes, more than the {max}-byte limit",
                s.len()
            ),
            format!("shorten the {what}"),
        ));
    }
    Ok(s.to_owned())
}

/// The private fields given with --private / --private-file.
pub(crate) fn private_fields(g: &Globals) -> Result<Vec<Disclosure>, CliError> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |field: &str, value: caselog::format::cbor::Value| -> Result<(), CliError> {
        if !seen.insert(field.to_owned()) {
            return Err(CliError::input(
                format!("private field {field:?} given twice"),
                "give each field once",
            ));
        }
        let d = Disclosure::new(field, value)
            .map_err(|e| CliError::input(e.to_string(), "use FIELD=VALUE, e.g. members/001=..."))?;
        if d.encode().len() > caselog::format::cbor::MAX_ENCODED_LEN {
            return Err(CliError::input(
                format!("private field {field:?} is larger than 1 MiB"),
                "store large files as evidence instead",
            ));
        }
        out.push(d);
        Ok(())
    };
    for kv in &g.private {
        let (k, v) = kv.split_once('=').ok_or_else(|| {
            CliError::input(
                format!("--private {kv:?} is not FIELD=VALUE"),
                "e.g. --private ssn=000-00-0000",
            )
        })?;
        add(k, caselog::format::cbor::Value::Text(v.to_owned()))?;
    }
    for kv in &g.private_file {
        let (k, p) = kv.split_once('=').ok_or_else(|| {
            CliError::input(
                format!("--private-file {kv:?} is not FIELD=PATH"),
                "e.g. --private-file members=members.csv",
            )
        })?;
        let bytes = read_input(Path::new(p), "private file")?;
        add(k, caselog::format::cbor::Value::Bytes(bytes))?;
    }
    Ok(out)
}

/// Refuse --private on commands that do not take it.
pub(crate) fn no_private(g: &Globals) -> Result<(), CliError> {
    if g.private.is_empty() && g.private_file.is_empty() {
        Ok(())
    } else {
        Err(CliError::input(
            "--private / --private-file apply to commands that append an investigation entry (note, event, notify, action, evidence, custody, correct)",
            "drop them from this command",
        ))
    }
}

/// An entry given as seq or leaf hash.
pub(crate) fn resolve_seq(l: &Ledger, s: &str) -> Result<Seq, CliError> {
    if let Ok(n) = s.parse::<u64>() {
        if l.record_bytes(Seq(n))?.is_some() {
            return Ok(Seq(n));
        }
        return Err(CliError::input(
            format!("no entry {n}"),
            "see `caselog log`",
        ));
    }
    let h = Hash::from_hex(s).ok_or_else(|| {
        CliError::input(
            format!("{s:?} is neither a seq nor a leaf hash"),
            "see `caselog log`",
        )
    })?;
    l.seq_of_leaf(&h)?.ok_or_else(|| {
        CliError::input(
            format!("no entry has leaf hash {h}"),
            "see `caselog log --json`",
        )
    })
}

/// An entry named on the command line: seq or leaf hash, resolved later.
#[derive(Debug, Clone)]
pub(crate) struct EntryArg(pub(crate) String);

pub(crate) fn edtf(s: &str, flag: &str) -> Result<Edtf, CliError> {
    let e = Edtf::parse(s).map_err(|e| {
        let hint = match spaced_datetime(s) {
            Some(fixed) => format!("use T between date and time, with seconds: --{flag} {fixed} (add Z or +hh:mm to state the UTC offset)"),
            None => "give an EDTF date such as 2008-10~ or 2008-11-06".to_owned(),
        };
        CliError::input(format!("--{flag}: {e}"), hint)
    })?;
    // Accepted (a planned date can be right), but said: a typo in the
    // year would otherwise reach a court unnoticed.
    if e.earliest()
        .is_some_and(|t| t > chrono::Utc::now().timestamp())
    {
        eprintln!("caselog: warning: --{flag} {s} lies wholly in the future (recorded as given)");
    }
    Ok(e)
}

/// `2026-07-15 02:20` or `2026-07-15 02:20:05` as the EDTF date-time it
/// was meant to be (`2026-07-15T02:20:00`), if that parses.
fn spaced_datetime(s: &str) -> Option<String> {
    let (date, time) = s.trim().split_once(' ')?;
    let time = time.trim();
    let time = match time.len() {
        5 => format!("{time}:00"),
        _ => time.to_owned(),
    };
    let fixed = format!("{date}T{time}");
    Edtf::parse(&fixed).is_ok().then_some(fixed)
}

pub(crate) fn opt_text(
    v: &Option<String>,
    what: &str,
    max: usize,
) -> Result<Option<String>, CliError> {
    v.as_deref().map(|s| check_text(what, s, max)).transpose()
}

pub(crate) fn item_id(s: &str) -> Result<String, CliError> {
    if kinds::valid_item_id(s) {
        Ok(s.to_owned())
    } else {
        Err(CliError::input(
            format!("{s:?} is not an item id"),
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. EV-0001",
        ))
    }
}

/// `--item` values: each an item id, none given twice (in the order given).
pub(crate) fn distinct_items(given: &[String]) -> Result<Vec<String>, CliError> {
    let mut items: Vec<String> = Vec::new();
    for i in given {
        let i = item_id(i)?;
        if items.contains(&i) {
            return Err(CliError::input(
                format!("--item {i} is given twice"),
                "name each item once",
            ));
        }
        items.push(i);
    }
    Ok(items)
}

pub(crate) fn hex32(s: &str, what: &str) -> Result<Hash, CliError> {
    Hash::from_hex(s).ok_or_else(|| {
        CliError::input(
            format!("{what} {s:?} is not 64 hex digits"),
            "copy it from `caselog custody release` output",
        )
    })
}

/// Today as an EDTF day (UTC).
pub(crate) fn today() -> Edtf {
    Edtf::parse(&chrono::Utc::now().format("%Y-%m-%d").to_string())
        .expect("today is a valid EDTF day")
}

pub(crate) fn resolve_entry(l: &Ledger, e: &EntryArg) -> Result<(Seq, Hash), CliError> {
    let seq = if let Ok(n) = e.0.parse::<u64>() {
        Seq(n)
    } else if let Some(h) = Hash::from_hex(&e.0) {
        l.seq_of_leaf(&h)?.ok_or_else(|| {
            CliError::input(
                format!("no entry has leaf hash {h}"),
                "see `caselog log --json`",
            )
        })?
    } else {
        return Err(CliError::input(
            format!("{:?} is neither a seq nor a leaf hash", e.0),
            "see `caselog log`",
        ));
    };
    let raw = l
        .record_bytes(seq)?
        .ok_or_else(|| CliError::input(format!("no entry {seq}"), "see `caselog log`"))?;
    Ok((seq, l.hash_alg().leaf(&raw)))
}

pub(crate) fn resolve_member(l: &Ledger, who: &str) -> Result<MemberKey, CliError> {
    if let Ok(k) = keys::parse_public(who) {
        return Ok(k.key);
    }
    let found: Vec<_> = l.members().iter().filter(|m| m.name == who).collect();
    match found.as_slice() {
        [m] => Ok(m.key),
        [] => Err(CliError::input(
            format!("no member named {who:?}"),
            "see `caselog member list`",
        )),
        _ => Err(CliError::input(
            format!("several members are named {who:?}"),
            "give the member's key instead",
        )),
    }
}

pub(crate) fn parse_range(s: &str) -> Result<(u64, u64), CliError> {
    let bad = || {
        CliError::input(
            format!("--seq {s:?} is not A..B or N"),
            "e.g. --seq 5..12 or --seq 7",
        )
    };
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
        None => {
            let n = s.parse().map_err(|_| bad())?;
            (n, n)
        }
    };
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

pub(crate) fn edtf_bound(
    s: &Option<String>,
    flag: &str,
    earliest: bool,
) -> Result<Option<i64>, CliError> {
    match s {
        None => Ok(None),
        Some(v) => {
            let e = caselog::format::edtf::Edtf::parse(v).map_err(|e| {
                CliError::input(
                    format!("--{flag}: {e}"),
                    "give an EDTF date such as 2008-10",
                )
            })?;
            Ok(if earliest { e.earliest() } else { e.latest() })
        }
    }
}

/// `--zone`: an IANA time zone name (SPEC §13.1), spelling checked.
pub(crate) fn zone(z: &crate::cli::args::ZoneArg) -> Result<Option<String>, CliError> {
    match &z.zone {
        Some(n) if !caselog::format::edtf::valid_zone(n) => Err(CliError::input(
            format!("--zone {n:?} is not an IANA time zone name"),
            "give a name like America/Los_Angeles or Europe/London; put a UTC offset in the date itself (2008-10-09T14:05:00-07:00)",
        )),
        Some(n) => {
            if !caselog::export::zone::known(n) {
                eprintln!(
                    "caselog: warning: --zone {n} is not in this build's tz database (release {}): recorded as given, but views cannot make its local times instants",
                    caselog::export::zone::tzdb_release()
                );
            }
            Ok(Some(n.clone()))
        }
        None => Ok(None),
    }
}

/// The trust policy an offline verifier pins (SPEC §10.6): a `--policy`
/// file, or the key options. Refused: a key pinned in two roles, a quorum
/// larger than the keys it counts, a policy with no log key.
pub(crate) fn trust_policy(
    (trust, witness, quorum): (&[String], &[String], usize),
    (mirror, mirror_quorum): (&[String], usize),
    policy: Option<&Path>,
) -> Result<caselog::tlog::trust::TrustPolicy, CliError> {
    use caselog::tlog::trust::{TrustError, TrustPolicy};
    let p = match policy {
        Some(f) => TrustPolicy::parse(&read_input(f, "policy")?).map_err(|e| {
            CliError::input(
                format!("{}: {e}", f.display()),
                "write log, witness, mirror, group, quorum and mirror-quorum lines as SPEC §10.6 shows",
            )
        })?,
        None => {
            let p = TrustPolicy::from_keys(
                &parse_vkeys(trust, "--trust key")?,
                &parse_vkeys(witness, "--witness key")?,
                quorum,
                &parse_vkeys(mirror, "--mirror key")?,
                mirror_quorum,
            )
            .and_then(|p| p.check_sizes().map(|()| p));
            p.map_err(|e| match e {
                TrustError::QuorumTooLarge { role, .. } => CliError::input(
                    e.to_string(),
                    format!("pin at least as many --{role} keys as the quorum"),
                ),
                e => CliError::input(
                    e.to_string(),
                    "pin each key in one role only: a witness's cosignature is byte-for-byte a mirror's",
                ),
            })?
        }
    };
    if p.logs.is_empty() {
        return Err(CliError::input(
            "no log key is pinned",
            "pin the log verifier key counsel received (`caselog log-key`) with --trust or a `log` line",
        ));
    }
    Ok(p)
}

/// [`trust_policy`] of the shared `--trust`/`--witness`/`--mirror`/
/// `--policy` options.
pub(crate) fn pins(
    p: &crate::cli::args::Pins,
) -> Result<caselog::tlog::trust::TrustPolicy, CliError> {
    trust_policy(
        (&p.trust, &p.witness, p.quorum),
        (&p.mirror, p.mirror_quorum),
        p.policy.as_deref(),
    )
}

/// The public half of a private or public key file, never decrypting.
pub(crate) fn show_key(file: &Path) -> Result<keys::NamedKey, CliError> {
    match keys::parse_public(&file.to_string_lossy()) {
        Ok(k) => Ok(k),
        Err(_) => {
            let mut k = keys::public_of_private(file).map_err(|e| {
                let mut c: CliError = e.into();
                c.code = crate::cli::exit::INPUT;
                c
            })?;
            // An encrypted key keeps its comment inside the encrypted part;
            // take the name from the .pub beside it when that matches.
            if k.comment.is_none() {
                if let Ok(p) = keys::parse_public(&keys::pub_path(file).to_string_lossy()) {
                    if p.key == k.key {
                        k.comment = p.comment;
                    }
                }
            }
            Ok(k)
        }
    }
}
