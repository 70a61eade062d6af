//! `verify`: a ledger directory (with `--against` checkpoints and
//! `--evidence`) or a bundle (`--bundle`, and `bundle extract`, which
//! verifies before it writes).

use crate::cli::args::BundleCommand;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::parse_vkeys;
use crate::cli::input::read_input;
use crate::cli::input::target;
use crate::cli::output::ProgressReader;
use crate::cli::output::{out, Progress};
use crate::cli::remote::Target;
use crate::cli::render;
use caselog::audit::bundle;
use caselog::audit::External;
use caselog::storage::evidence::Digests;
use caselog::Hash;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::path::PathBuf;

/// A checked `verify` of a ledger directory.
pub(crate) struct VerifyStoreCmd {
    dir: Target,
    json: bool,
    against: Vec<External>,
    evidence: bool,
    tsa: Option<caselog::tlog::tsp::Anchors>,
}

/// Check `verify`'s options before anything is opened: a bundle's pins
/// and file, or a ledger's `--against` checkpoints and trust keys.
pub(crate) fn check_verify(
    a: &crate::cli::args::VerifyArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let tsa = crate::cli::cmd::timestamp::anchors(a.tsa_ca.as_deref())?;
    if let Some(file) = &a.bundle {
        let policy = crate::cli::input::trust_policy(
            (&a.trust, &a.witness, a.quorum),
            (&a.mirror, a.mirror_quorum),
            a.policy.as_deref(),
        )?;
        return Ok(Box::new(validate_bundle(file, policy, tsa, a.json)?));
    }
    let trust = parse_vkeys(&a.trust, "--trust key")?;
    let against = a
        .against
        .iter()
        .map(|p| {
            Ok(External {
                label: p.display().to_string(),
                bytes: read_input(p, "checkpoint")?,
                trust: trust.clone(),
            })
        })
        .collect::<Result<_, CliError>>()?;
    Ok(Box::new(VerifyStoreCmd {
        dir: target(g)?,
        json: a.json,
        against,
        evidence: a.evidence,
        tsa,
    }))
}

/// `bundle extract`: the bundle is verified before anything is written.
pub(crate) fn check_bundle(c: &BundleCommand) -> Result<Checked, CliError> {
    let BundleCommand::Extract(a) = c;
    let tsa = crate::cli::cmd::timestamp::anchors(a.tsa_ca.as_deref())?;
    let policy = crate::cli::input::pins(&a.pins)?;
    let mut x = validate_bundle(&a.file, policy, tsa, false)?;
    x.extract = Some(check_new_dir(&a.out)?);
    Ok(Box::new(x))
}

impl Run for VerifyStoreCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_verify(*self)
    }
}

impl Run for VerifyBundleCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_verify_bundle(*self)
    }
}

fn run_verify(cmd: VerifyStoreCmd) -> Result<u8, CliError> {
    let VerifyStoreCmd {
        dir,
        json,
        against,
        evidence,
        tsa,
    } = cmd;
    if dir.is_remote() {
        // With --remote: bring the copy up to the server first (closed
        // again before the verifier opens it read-only).
        drop(dir.open(true)?);
    }
    let store = caselog::storage::store::Store::open(dir.dir())?;
    let opts = caselog::VerifyOptions {
        against,
        evidence_dir: evidence.then(|| dir.dir().to_owned()),
        tsa_anchors: tsa,
    };
    let bar = Progress::entries("verifying", caselog::audit::claimed_size(&store));
    let report = caselog::audit::verify_store_progress(&store, &opts, &|n| bar.set(n))?;
    bar.finish();
    if json {
        out(&(serde_json::to_string_pretty(&report.to_json()).expect("json") + "\n"))?;
    } else {
        out(&render::report_text(&report))?;
    }
    Ok(if report.is_ok() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// A checked `verify --bundle` or `bundle extract`.
pub(crate) struct VerifyBundleCmd {
    file: PathBuf,
    bundle_file: std::fs::File,
    policy: caselog::tlog::trust::TrustPolicy,
    tsa: Option<caselog::tlog::tsp::Anchors>,
    json: bool,
    /// `bundle extract --out DIR`: write the carried files once verified.
    extract: Option<PathBuf>,
}

/// A directory to create for output: it must not exist, its parent must.
pub(crate) fn check_new_dir(dir: &Path) -> Result<PathBuf, CliError> {
    if std::fs::symlink_metadata(dir).is_ok() {
        return Err(CliError::input(
            format!("{} already exists", dir.display()),
            "name a new directory for --out; nothing is written into an existing one",
        ));
    }
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if parent.is_some_and(|p| !p.is_dir()) {
        return Err(CliError::input(
            format!("{} has no parent directory", dir.display()),
            "create the parent directory first",
        ));
    }
    Ok(dir.to_owned())
}

pub(crate) fn validate_bundle(
    file: &Path,
    policy: caselog::tlog::trust::TrustPolicy,
    tsa: Option<caselog::tlog::tsp::Anchors>,
    json: bool,
) -> Result<VerifyBundleCmd, CliError> {
    let meta = std::fs::metadata(file).map_err(|e| {
        CliError::input(
            format!("cannot read bundle {}: {e}", file.display()),
            "check the path",
        )
    })?;
    if meta.len() > bundle::MAX_BUNDLE as u64 {
        return Err(CliError::input(
            format!("{} is larger than 1 GiB", file.display()),
            "export a partial bundle",
        ));
    }
    // Opened now (a missing or unreadable file is bad input), read while
    // verifying: a bundle is never held in memory whole.
    let bundle_file = std::fs::File::open(file).map_err(|e| {
        CliError::input(
            format!("cannot read bundle {}: {e}", file.display()),
            "check the path",
        )
    })?;
    Ok(VerifyBundleCmd {
        file: file.to_owned(),
        bundle_file,
        policy,
        tsa,
        json,
        extract: None,
    })
}

fn run_verify_bundle(cmd: VerifyBundleCmd) -> Result<u8, CliError> {
    let VerifyBundleCmd {
        file,
        bundle_file,
        policy,
        tsa,
        json,
        extract,
    } = cmd;
    let len = bundle_file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = ProgressReader::new(bundle_file, Progress::bytes("checking bundle", len));
    let v = bundle::verify_reader_with(&mut reader, &policy, tsa.as_ref()).map_err(|e| {
        CliError::storage(format!("cannot read bundle {}: {e}", file.display()), None)
    })?;
    reader.finish();
    // SPEC §14.1: not a bundle at all is bad input: one line on
    // stderr (the JSON report with --json), exit 2.
    if let (true, false, Some(p)) = (v.not_a_bundle, json, v.report.problems.first()) {
        return Err(CliError::input(
            format!("{}: {} ({})", file.display(), p.message, p.code),
            "give the file `caselog export bundle` wrote, complete and unaltered",
        ));
    }
    out(&render_bundle_verdict(&v, json))?;
    if let Some(dir) = extract {
        if !v.report.is_ok() {
            eprintln!("caselog: the bundle did not verify: nothing extracted");
            return Ok(exit::FAILED);
        }
        out(&extract_files(&file, &v, &dir)?)?;
    }
    // SPEC §14.1: a file that is not a bundle is bad input (2).
    Ok(if v.not_a_bundle {
        exit::INPUT
    } else if v.report.is_ok() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// `bundle extract`: write the carried files of the verified bundle `v`
/// (read again from `file`, each re-hashed as written) into the new `dir`
/// as ITEM/NAME, mode 0600, with a SHA256SUMS file; returns what to print.
fn extract_files(file: &Path, v: &bundle::Verdict, dir: &Path) -> Result<String, CliError> {
    let io = |e: std::io::Error| {
        CliError::storage(format!("cannot extract into {}: {e}", dir.display()), None)
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(io)?;
    let names: std::collections::HashMap<Hash, (String, String)> = v
        .carried
        .iter()
        .map(|(h, i, n)| (*h, (i.clone(), n.clone())))
        .collect();
    let (mut sums, mut said) = (String::new(), String::new());
    let reader = std::fs::File::open(file).map_err(io)?;
    bundle::carried_files(reader, v, &mut |b3, content| {
        let (item, name) = names
            .get(&b3)
            .cloned()
            .unwrap_or_else(|| ("unlisted".into(), String::new()));
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains(['/', '\0'])
            && !name.chars().any(char::is_control);
        let rel = format!(
            "{item}/{}",
            if plain {
                name.clone()
            } else {
                format!("{b3}.bin")
            }
        );
        let path = dir.join(&rel);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(path.parent().expect("item dir"))?;
        let d = write_file(&path, content)?;
        if d.blake3 != b3 {
            return Err(std::io::Error::other(format!(
                "{rel} changed since the bundle was verified"
            )));
        }
        sums.push_str(&format!("{}  {rel}\n", d.sha256));
        said.push_str(&format!(
            "  {rel}  sha256 {}{}\n",
            d.sha256,
            if plain {
                String::new()
            } else {
                format!(" (the intake names it {name:?}, not a plain file name)")
            }
        ));
        Ok(())
    })
    .map_err(io)?;
    let count = sums.lines().count();
    write_file(&dir.join("SHA256SUMS"), &mut sums.as_bytes()).map_err(io)?;
    Ok(format!(
        "extracted {count} carried file(s) of the verified bundle into {} (each re-hashed as written; check with: cd {} && sha256sum -c SHA256SUMS):\n{said}",
        dir.display(),
        dir.display()
    ))
}

/// Write `content` to the new file `path` (0600, synced), hashing it.
fn write_file(path: &Path, content: &mut dyn std::io::Read) -> std::io::Result<Digests> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let d = caselog::storage::evidence::hash_reader(content, Some(&mut f), &mut |_| {})?;
    f.sync_all()?;
    Ok(d)
}

pub(crate) const PARTIAL_NOTE: &str = "Partial bundle: it does not show that no other entries exist between those included. Custody, references and the chain's links are checked only for items shown complete.";

/// The verdict on a bundle as text or as the JSON report (always JSON with
/// `--json`, whatever went wrong).
pub(crate) fn render_bundle_verdict(v: &bundle::Verdict, json: bool) -> String {
    let partial_note = (v.full == Some(false)).then_some(PARTIAL_NOTE);
    let witnesses = v.checkpoint.as_ref().map_or(&[][..], |c| c.witnesses());
    let mirrors = v.checkpoint.as_ref().map_or(&[][..], |c| c.mirrors());
    let dated = |l: &[(caselog::tlog::note::VerifierKey, u64)]| {
        l.iter()
            .map(|(k, t)| serde_json::json!({"name": k.name, "time": t, "time_rfc3339": render::rfc3339(*t)}))
            .collect::<Vec<_>>()
    };
    if json {
        let mut j = v.report.to_json();
        j["bundle"] = serde_json::json!({
            "full": v.full,
            "checkpoint_size": v.checkpoint.as_ref().map(|c| c.checkpoint().head.size.0),
            "witnesses": dated(witnesses),
            "mirrors": dated(mirrors),
            "limits": partial_note,
        });
        return serde_json::to_string_pretty(&j).expect("json") + "\n";
    }
    let mut s = render::report_text_with(
        &v.report,
        if v.full == Some(true) {
            "VERIFIED: every record decodes canonically, every signature verifies, the chain, membership and custody recompute, and the records give the root of the checkpoint signed by the pinned log key"
        } else {
            "VERIFIED: every included record decodes canonically, its signature verifies, its author was an enrolled member with the right role, and its inclusion path leads to the root of the checkpoint signed by the pinned log key"
        },
    );
    let Some(full) = v.full else { return s };
    let mut scope = render::scope_text(&v.report, Some((full, &v.report.scope.signed_by)));
    // Cosignatures are part of what was checked; none, of what was not.
    let at = scope.find("Not checked:\n").expect("cli: scope lists");
    let mut unchecked = String::new();
    if witnesses.is_empty() {
        unchecked.push_str("  - that anyone besides the log's key-holder saw this checkpoint: no cosignature by a --witness key was required or checked\n");
    }
    // A full bundle carries every record: this run recomputed them all.
    if mirrors.is_empty() && !full {
        unchecked.push_str("  - that anyone besides the log's key-holder holds every record to this size and recomputed its item map: no cosignature by a --mirror key was required or checked\n");
    }
    scope.insert_str(at + "Not checked:\n".len(), &unchecked);
    let mut lines: String = witnesses
        .iter()
        .map(|(k, t)| {
            format!(
                "  - a cosignature by witness {}, dated {}\n",
                k.name,
                render::rfc3339(*t)
            )
        })
        .collect();
    for (k, t) in mirrors {
        lines.push_str(&format!(
            "  - a cosignature by mirror {}, dated {}: it states it holds every record to this size, checked as a writer checks them, and recomputed the item map\n",
            k.name,
            render::rfc3339(*t)
        ));
    }
    scope.insert_str(at, &lines);
    s.push_str(&scope);
    s
}
