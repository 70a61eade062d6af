//! `export timeline|report|bundle` and bundle verification.

use crate::cli::args::ExportCommand;
use crate::cli::args::ExportFormat;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::edtf_bound;
use crate::cli::input::kinds_arg;
use crate::cli::input::need_ledger_dir;
use crate::cli::input::parse_range;
use crate::cli::input::read_input;
use crate::cli::output::check_new_file;
use crate::cli::output::create_new;
use crate::cli::output::finish;
use crate::cli::output::write_new;
use crate::cli::output::{out, Progress, ProgressReader};
use crate::cli::render;
use crate::cli::Cli;
use crate::cli::Command;
use caselog::audit::bundle;
use caselog::audit::bundle::Selection;
use caselog::format::disclosure::Reveal;
use caselog::storage::evidence::Digests;
use caselog::Hash;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::path::PathBuf;

/// A checked export command.
pub(crate) enum ExportCmd {
    Timeline {
        dir: PathBuf,
        out: PathBuf,
        format: ExportFormat,
        filter: caselog::export::timeline::Filter,
        reveal: Reveal,
    },
    Report {
        dir: PathBuf,
        out: PathBuf,
        exhibit: Option<String>,
        title: Option<String>,
        reveal: Reveal,
        preparer: Option<caselog::MemberKey>,
        tsa: Option<caselog::tlog::tsp::Anchors>,
    },
    Bundle {
        dir: PathBuf,
        out: PathBuf,
        sel: Selection,
        checkpoint: Option<Vec<u8>>,
    },
    Certification {
        dir: PathBuf,
        out: PathBuf,
        exhibit: String,
        items: Vec<String>,
        tsa: Option<caselog::tlog::tsp::Anchors>,
    },
    VerifyBundle {
        file: PathBuf,
        bundle_file: std::fs::File,
        policy: caselog::tlog::trust::TrustPolicy,
        tsa: Option<caselog::tlog::tsp::Anchors>,
        json: bool,
        /// `bundle extract --out DIR`: write the carried files once verified.
        extract: Option<PathBuf>,
    },
}

impl ExportCmd {
    /// Make a bundle verification also write its carried files to `dir`.
    pub(crate) fn extract_to(&mut self, dir: PathBuf) {
        if let ExportCmd::VerifyBundle { extract, .. } = self {
            *extract = Some(dir);
        }
    }
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

pub(crate) fn validate(cli: &Cli) -> Result<ExportCmd, CliError> {
    let Command::Export(args) = &cli.command else {
        unreachable!("cli: not an export command")
    };
    let kinds = kinds_arg(&args.kinds, "see schemas/SPEC.md §5 for kinds")?;
    match &args.cmd {
        None => {
            let (Some(format), Some(out)) = (args.format, args.out.clone()) else {
                return Err(CliError::input(
                    "export needs --format and --out (or a subcommand: bundle, report)",
                    "e.g. caselog export --format timesketch --out case.jsonl",
                ));
            };
            check_new_file(&out)?;
            Ok(ExportCmd::Timeline {
                dir: need_ledger_dir(&cli.ledger)?,
                out,
                format,
                reveal: Reveal::from_args(&args.reveal),
                filter: caselog::export::timeline::Filter {
                    from: edtf_bound(&args.from, "from", true)?,
                    to: edtf_bound(&args.to, "to", false)?,
                    kinds: kinds.clone(),
                },
            })
        }
        Some(ExportCommand::Report {
            out,
            exhibit,
            title,
            reveal,
            tsa_ca,
            ..
        }) => {
            check_new_file(out)?;
            Ok(ExportCmd::Report {
                dir: need_ledger_dir(&cli.ledger)?,
                out: out.clone(),
                exhibit: exhibit.clone(),
                title: title.clone(),
                reveal: Reveal::from_args(reveal),
                // Names the preparer; the public half is enough (the report
                // is not signed), so no passphrase is asked.
                preparer: cli
                    .key
                    .as_deref()
                    .map(crate::cli::input::key_public)
                    .transpose()?,
                tsa: crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
            })
        }
        Some(ExportCommand::Certification {
            out,
            exhibit,
            items,
            tsa_ca,
        }) => {
            check_new_file(out)?;
            Ok(ExportCmd::Certification {
                dir: need_ledger_dir(&cli.ledger)?,
                out: out.clone(),
                exhibit: exhibit.clone(),
                items: items.clone(),
                tsa: crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
            })
        }
        Some(bundle @ ExportCommand::Bundle { .. }) => validate_bundle(cli, bundle),
    }
}

fn validate_bundle(cli: &Cli, cmd: &ExportCommand) -> Result<ExportCmd, CliError> {
    let ExportCommand::Bundle {
        out,
        seqs,
        items,
        kinds,
        checkpoint,
        with_files,
        reveal,
        ..
    } = cmd
    else {
        unreachable!("cli: validate_bundle called for another export")
    };
    let kinds = kinds_arg(kinds, "see schemas/SPEC.md §5 for kinds")?;
    check_new_file(out)?;
    Ok(ExportCmd::Bundle {
        dir: need_ledger_dir(&cli.ledger)?,
        out: out.clone(),
        sel: Selection {
            seqs: seqs
                .iter()
                .map(|s| parse_range(s))
                .collect::<Result<_, _>>()?,
            items: items.clone(),
            kinds,
            with_files: *with_files,
            reveal: Reveal::from_args(reveal),
        },
        checkpoint: checkpoint
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
    })
}

pub(crate) fn validate_verify(
    file: &Path,
    policy: caselog::tlog::trust::TrustPolicy,
    tsa: Option<caselog::tlog::tsp::Anchors>,
    json: bool,
) -> Result<ExportCmd, CliError> {
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
    Ok(ExportCmd::VerifyBundle {
        file: file.to_owned(),
        bundle_file,
        policy,
        tsa,
        json,
        extract: None,
    })
}

pub(crate) fn run(cmd: ExportCmd) -> Result<u8, CliError> {
    match cmd {
        cmd @ ExportCmd::Timeline { .. } => run_export_timeline(cmd),
        cmd @ ExportCmd::Report { .. } => run_report(cmd),
        cmd @ ExportCmd::Bundle { .. } => run_bundle(cmd),
        cmd @ ExportCmd::Certification { .. } => run_certification(cmd),
        cmd @ ExportCmd::VerifyBundle { .. } => run_verify_bundle(cmd),
    }
}

pub(crate) fn run_export_timeline(cmd: ExportCmd) -> Result<u8, CliError> {
    let ExportCmd::Timeline {
        dir,
        out: path,
        format,
        filter,
        reveal,
    } = cmd
    else {
        unreachable!("cli: run_export_timeline called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
    let bar = Progress::spinner("exporting the timeline", l.head().tree.size.0);
    if format != ExportFormat::Case {
        let mut f = create_new(&path, &reveal)?;
        let n = match format {
            ExportFormat::Timesketch => {
                caselog::export::write_timesketch(&l, &filter, &reveal, &mut f)
            }
            ExportFormat::Csv => caselog::export::write_csv(&l, &filter, &reveal, &mut f),
            _ => caselog::export::write_json(&l, &filter, &reveal, &mut f),
        }
        .map_err(|e| CliError::storage(e.to_string(), None))?;
        let bytes = finish(f, &path)?;
        bar.finish();
        out(&format!(
            "wrote {} ({n} rows, {bytes} bytes); {}\n",
            path.display(),
            privacy_note(&reveal)
        ))?;
        return Ok(exit::OK);
    }
    let rows = caselog::export::timeline_rows(&l, &filter)?;
    let bytes =
        serde_json::to_vec_pretty(&caselog::export::case_uco::to_case(&l, &rows)?).expect("json");
    write_new(&path, &bytes, &reveal)?;
    bar.finish();
    out(&format!(
        "wrote {} ({} rows, {} bytes); {}\n",
        path.display(),
        rows.len(),
        bytes.len(),
        privacy_note(&reveal)
    ))?;
    Ok(exit::OK)
}

pub(crate) fn run_report(cmd: ExportCmd) -> Result<u8, CliError> {
    let ExportCmd::Report {
        dir,
        out: path,
        exhibit,
        title,
        reveal,
        preparer,
        tsa,
    } = cmd
    else {
        unreachable!("cli: run_report called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
    let bar = Progress::spinner("rendering the court report", l.head().tree.size.0);
    let made = caselog::export::court::Made {
        exhibit: exhibit.as_deref(),
        title: title.as_deref(),
        reveal: reveal.clone(),
        preparer,
        tsa: tsa.as_ref(),
    };
    let html = caselog::export::court::render_with(&l, &made)?;
    write_new(&path, html.as_bytes(), &reveal)?;
    bar.finish();
    out(&format!(
        "wrote {} ({} bytes); {}\n",
        path.display(),
        html.len(),
        privacy_note(&reveal)
    ))?;
    Ok(exit::OK)
}

pub(crate) fn run_certification(cmd: ExportCmd) -> Result<u8, CliError> {
    let ExportCmd::Certification {
        dir,
        out: path,
        exhibit,
        items,
        tsa,
    } = cmd
    else {
        unreachable!("cli: run_certification called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
    let bar = Progress::spinner(
        "verifying and rendering the certification",
        l.head().tree.size.0,
    );
    let c = caselog::export::certification::Certify {
        exhibit: &exhibit,
        items,
        tsa: tsa.as_ref(),
    };
    let html = caselog::export::certification::render(&l, &c)?;
    write_new(&path, html.as_bytes(), &Reveal::None)?;
    bar.finish();
    out(&format!(
        "wrote {} ({} bytes): a template for counsel to adapt and a qualified person to sign, not legal advice\n",
        path.display(),
        html.len()
    ))?;
    Ok(exit::OK)
}

pub(crate) fn run_bundle(cmd: ExportCmd) -> Result<u8, CliError> {
    let ExportCmd::Bundle {
        dir,
        out: path,
        sel,
        checkpoint,
    } = cmd
    else {
        unreachable!("cli: run_bundle called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
    let bar = Progress::spinner("writing the bundle", l.head().tree.size.0);
    let cp = match checkpoint {
        Some(b) => b,
        None => l.latest_checkpoint()?.map(|(_, b)| b).ok_or_else(|| {
            CliError::input(
                "no checkpoint stored",
                "an authority makes one with `caselog checkpoint`",
            )
        })?,
    };
    let mut f = create_new(&path, &sel.reveal)?;
    let w = bundle::write(&l, &cp, &sel, &mut f).map_err(|e| match e {
        bundle::BundleError::Io(_) => CliError::storage(e.to_string(), None),
        _ => CliError::input(e.to_string(), "check --checkpoint"),
    })?;
    let bytes = finish(f, &path)?;
    bar.finish();
    out(&format!(
        "wrote {} ({} bytes): {} bundle of {} record(s) against the checkpoint of size {}\n",
        path.display(),
        bytes,
        if w.full { "full" } else { "partial" },
        w.records,
        w.size
    ))?;
    if !sel.items.is_empty() {
        out(&if w.item_proofs > 0 {
            format!(
                "item map proof included: the bundle carries every entry about {} up to size {} (SPEC §13.7)\n",
                sel.items.join(", "),
                w.size
            )
        } else {
            format!(
                "the checkpoint of size {} has no item map: the bundle cannot prove that it holds every entry about {} (an authority can sign a new checkpoint with `caselog checkpoint`)\n",
                w.size,
                sel.items.join(", ")
            )
        })?;
    }
    Ok(exit::OK)
}

pub(crate) fn run_verify_bundle(cmd: ExportCmd) -> Result<u8, CliError> {
    let ExportCmd::VerifyBundle {
        file,
        bundle_file,
        policy,
        tsa,
        json,
        extract,
    } = cmd
    else {
        unreachable!("cli: run_verify_bundle called for another command")
    };
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
    if mirrors.is_empty() {
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

pub(crate) fn privacy_note(r: &Reveal) -> &'static str {
    match r {
        Reveal::None => "private fields redacted (digests kept)",
        Reveal::Paths(_) => "REVEALED private fields are included: handle as personal data",
    }
}
