//! `export timeline|report|bundle|certification`.

use crate::cli::args::ExportArgs;
use crate::cli::args::ExportBundleArgs;
use crate::cli::args::ExportCertificationArgs;
use crate::cli::args::ExportCommand;
use crate::cli::args::ExportFormat;
use crate::cli::args::ExportReportArgs;
use crate::cli::cmd::reveal_record::{self, RevealRecord};
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::edtf_bound;
use crate::cli::input::kinds_arg;
use crate::cli::input::parse_range;
use crate::cli::input::read_input;
use crate::cli::input::target;
use crate::cli::output::check_new_file;
use crate::cli::output::create_new;
use crate::cli::output::finish;
use crate::cli::output::write_new;
use crate::cli::output::{out, Progress};
use crate::cli::remote::Target;
use caselog::audit::bundle;
use caselog::audit::bundle::Selection;
use caselog::format::disclosure::Reveal;
use std::path::PathBuf;

/// Check an `export` (a timeline) or one of its subcommands.
pub(crate) fn check(args: &ExportArgs, g: &Globals) -> Result<Checked, CliError> {
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
            let reveal = Reveal::from_args(&args.reveal);
            Ok(Box::new(ExportTimelineCmd {
                dir: target(g)?,
                out,
                format,
                recorded: reveal_record::check(&reveal, args.purpose.as_deref(), g)?,
                reveal,
                filter: caselog::export::timeline::Filter {
                    from: edtf_bound(&args.from, "from", true)?,
                    to: edtf_bound(&args.to, "to", false)?,
                    kinds: kinds.clone(),
                },
            }))
        }
        Some(ExportCommand::Report(ExportReportArgs {
            out,
            pdf,
            exhibit,
            title,
            reveal,
            tsa_ca,
            purpose,
            ..
        })) => {
            check_new_file(out)?;
            check_pdf(out, pdf.as_deref())?;
            let recorded = reveal_record::check(&Reveal::from_args(reveal), purpose.as_deref(), g)?;
            Ok(Box::new(ExportReportCmd {
                recorded,
                dir: target(g)?,
                out: out.clone(),
                pdf: pdf.clone(),
                exhibit: exhibit.clone(),
                title: title.clone(),
                reveal: Reveal::from_args(reveal),
                // Names the preparer; the public half is enough (the report
                // is not signed), so no passphrase is asked.
                preparer: g
                    .key
                    .as_deref()
                    .map(crate::cli::input::key_public)
                    .transpose()?,
                tsa: crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
            }))
        }
        Some(ExportCommand::Disposition(a)) => crate::cli::cmd::disposition::check(a, g),
        Some(ExportCommand::Production(a)) => crate::cli::cmd::production::check_export(a, g),
        Some(ExportCommand::Certification(ExportCertificationArgs {
            out,
            pdf,
            exhibit,
            items,
            tsa_ca,
        })) => {
            check_new_file(out)?;
            check_pdf(out, pdf.as_deref())?;
            Ok(Box::new(ExportCertificationCmd {
                dir: target(g)?,
                out: out.clone(),
                pdf: pdf.clone(),
                exhibit: exhibit.clone(),
                items: items.clone(),
                tsa: crate::cli::cmd::timestamp::anchors(tsa_ca.as_deref())?,
            }))
        }
        Some(ExportCommand::Bundle(a)) => check_bundle(g, a),
    }
}

fn check_bundle(g: &Globals, a: &ExportBundleArgs) -> Result<Checked, CliError> {
    let ExportBundleArgs {
        out,
        seqs,
        items,
        kinds,
        checkpoint,
        with_files,
        reveal,
        purpose,
        ..
    } = a;
    let recorded = reveal_record::check(&Reveal::from_args(reveal), purpose.as_deref(), g)?;
    let kinds = kinds_arg(kinds, "see schemas/SPEC.md §5 for kinds")?;
    check_new_file(out)?;
    Ok(Box::new(ExportBundleCmd {
        recorded,
        dir: target(g)?,
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
    }))
}

/// `export --format F --out FILE` (a timeline), checked.
pub(crate) struct ExportTimelineCmd {
    pub(crate) recorded: Option<RevealRecord>,
    pub(crate) dir: Target,
    pub(crate) out: PathBuf,
    pub(crate) format: ExportFormat,
    pub(crate) filter: caselog::export::timeline::Filter,
    pub(crate) reveal: Reveal,
}

impl Run for ExportTimelineCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_export_timeline(*self)
    }
}

pub(crate) fn run_export_timeline(cmd: ExportTimelineCmd) -> Result<u8, CliError> {
    let ExportTimelineCmd {
        recorded,
        dir,
        out: path,
        format,
        filter,
        reveal,
    } = cmd;
    let l = dir.open(false)?;
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
        drop(l);
        let what = format!("timeline {}", format!("{format:?}").to_lowercase());
        reveal_record::record(&dir, recorded, &[(&what, &path)], &reveal)?;
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
    drop(l);
    reveal_record::record(&dir, recorded, &[("timeline case", &path)], &reveal)?;
    Ok(exit::OK)
}

/// `export report`, checked.
pub(crate) struct ExportReportCmd {
    pub(crate) recorded: Option<RevealRecord>,
    pub(crate) dir: Target,
    pub(crate) out: PathBuf,
    pub(crate) pdf: Option<PathBuf>,
    pub(crate) exhibit: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) reveal: Reveal,
    pub(crate) preparer: Option<caselog::MemberKey>,
    pub(crate) tsa: Option<caselog::tlog::tsp::Anchors>,
}

impl Run for ExportReportCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_report(*self)
    }
}

pub(crate) fn run_report(cmd: ExportReportCmd) -> Result<u8, CliError> {
    let ExportReportCmd {
        recorded,
        dir,
        out: path,
        pdf,
        exhibit,
        title,
        reveal,
        preparer,
        tsa,
    } = cmd;
    let l = dir.open(false)?;
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
    if let Some(pdf) = &pdf {
        write_pdf(pdf, &path, &html, &reveal)?;
    }
    drop(l);
    let mut files = vec![("report", path.as_path())];
    if let Some(p) = &pdf {
        files.push(("report (PDF/A rendition)", p.as_path()));
    }
    reveal_record::record(&dir, recorded, &files, &reveal)?;
    Ok(exit::OK)
}

/// `export certification`, checked.
pub(crate) struct ExportCertificationCmd {
    pub(crate) dir: Target,
    pub(crate) out: PathBuf,
    pub(crate) pdf: Option<PathBuf>,
    pub(crate) exhibit: String,
    pub(crate) items: Vec<String>,
    pub(crate) tsa: Option<caselog::tlog::tsp::Anchors>,
}

impl Run for ExportCertificationCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_certification(*self)
    }
}

pub(crate) fn run_certification(cmd: ExportCertificationCmd) -> Result<u8, CliError> {
    let ExportCertificationCmd {
        dir,
        out: path,
        pdf,
        exhibit,
        items,
        tsa,
    } = cmd;
    let l = dir.open(false)?;
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
    if let Some(pdf) = pdf {
        write_pdf(&pdf, &path, &html, &Reveal::None)?;
    }
    Ok(exit::OK)
}

/// `export bundle`, checked.
pub(crate) struct ExportBundleCmd {
    pub(crate) recorded: Option<RevealRecord>,
    pub(crate) dir: Target,
    pub(crate) out: PathBuf,
    pub(crate) sel: Selection,
    pub(crate) checkpoint: Option<Vec<u8>>,
}

impl Run for ExportBundleCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_bundle(*self)
    }
}

pub(crate) fn run_bundle(cmd: ExportBundleCmd) -> Result<u8, CliError> {
    let ExportBundleCmd {
        recorded,
        dir,
        out: path,
        sel,
        checkpoint,
    } = cmd;
    let l = dir.open(false)?;
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
    drop(l);
    reveal_record::record(&dir, recorded, &[("bundle", &path)], &sel.reveal)?;
    Ok(exit::OK)
}

/// Refuse a `--pdf` that would overwrite a file or the HTML itself.
fn check_pdf(html: &std::path::Path, pdf: Option<&std::path::Path>) -> Result<(), CliError> {
    let Some(pdf) = pdf else { return Ok(()) };
    if pdf == html {
        return Err(CliError::input(
            "--pdf names the same file as --out",
            "give the PDF its own name, e.g. --pdf exhibit.pdf",
        ));
    }
    check_new_file(pdf)
}

/// Write the PDF/A-2b rendition of the HTML exhibit just written.
pub(crate) fn write_pdf(
    pdf: &std::path::Path,
    html_path: &std::path::Path,
    html: &str,
    reveal: &Reveal,
) -> Result<(), CliError> {
    let name = html_path.file_name().map_or_else(
        || html_path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = caselog::export::pdf::render(&caselog::export::pdf::Rendition {
        source_name: &name,
        html,
        made: chrono::Utc::now(),
    })
    .map_err(|e| {
        CliError::input(
            e.to_string(),
            "the HTML form was written and is complete; no PDF was (please report this as a caselog bug)",
        )
    })?;
    write_new(pdf, &bytes, reveal)?;
    out(&format!(
        "wrote {} ({} bytes): PDF/A-2b rendition of {name}, the same text\n",
        pdf.display(),
        bytes.len()
    ))
}

pub(crate) fn privacy_note(r: &Reveal) -> &'static str {
    match r {
        Reveal::None => "private fields redacted (digests kept)",
        Reveal::Paths(_) => "REVEALED private fields are included: handle as personal data",
    }
}
