//! `export timeline|report|bundle|certification`.

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
use crate::cli::output::{out, Progress};
use crate::cli::Cli;
use crate::cli::Command;
use caselog::audit::bundle;
use caselog::audit::bundle::Selection;
use caselog::format::disclosure::Reveal;
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

pub(crate) fn run(cmd: ExportCmd) -> Result<u8, CliError> {
    match cmd {
        cmd @ ExportCmd::Timeline { .. } => run_export_timeline(cmd),
        cmd @ ExportCmd::Report { .. } => run_report(cmd),
        cmd @ ExportCmd::Bundle { .. } => run_bundle(cmd),
        cmd @ ExportCmd::Certification { .. } => run_certification(cmd),
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

pub(crate) fn privacy_note(r: &Reveal) -> &'static str {
    match r {
        Reveal::None => "private fields redacted (digests kept)",
        Reveal::Paths(_) => "REVEALED private fields are included: handle as personal data",
    }
}
