//! `export production`, `production acknowledge`, `production receipt`:
//! a discovery package, its entry, and its recipient's acknowledgement
//! (SPEC §13.11, §15.4).
//!
//! Commit order of `export production`: the package is written into
//! `OUT.partial` beside OUT and synced; then the `production` entry (one
//! WriteBatch) states its manifest's digest; then `OUT.partial` is renamed
//! to OUT. A failure before the entry removes `OUT.partial` and writes
//! nothing; a crash between the entry and the rename leaves `OUT.partial`,
//! complete, which the entry's manifest digest identifies.

use std::path::{Path, PathBuf};

use serde_json::json;

use caselog::format::entry::{MemberKey, Timestamp, MAX_SHORT_TEXT};
use caselog::format::kinds::{
    production_receipt_message, valid_bates_prefix, Domain, Production, ProductionAck,
    ProductionReceipt,
};
use caselog::storage::keys::Signer;

use crate::cli::args::{ExportProductionArgs, ProductionCommand};
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{check_text, load_signer, resolve_member, target};
use crate::cli::output::{check_new_file, out};
use crate::cli::remote::Target;

/// `export production`, checked.
pub(crate) struct ProduceCmd {
    dir: Target,
    signer: Signer,
    to: String,
    authority: String,
    items: Vec<String>,
    timeline: bool,
    bates: (String, u64),
    out: PathBuf,
    tsa: Option<caselog::tlog::tsp::Anchors>,
}

/// Check `export production` before the ledger is opened.
pub(crate) fn check_export(a: &ExportProductionArgs, g: &Globals) -> Result<Checked, CliError> {
    let mut items = crate::cli::input::distinct_items(&a.items)?;
    items.sort();
    if !valid_bates_prefix(&a.bates_prefix) {
        return Err(CliError::input(
            format!(
                "--bates-prefix {:?} is not 1-16 of A-Z, 0-9, - and _",
                a.bates_prefix
            ),
            "e.g. --bates-prefix EXT",
        ));
    }
    if a.bates_start == 0 || a.bates_start > 999_999_000 {
        return Err(CliError::input(
            "--bates-start must be 1 to 999999000",
            "e.g. --bates-start 1",
        ));
    }
    if a.out.exists() || partial_of(&a.out).exists() {
        return Err(CliError::input(
            format!(
                "{} (or {}) already exists",
                a.out.display(),
                partial_of(&a.out).display()
            ),
            "give --out a new directory name",
        ));
    }
    Ok(Box::new(ProduceCmd {
        dir: target(g)?,
        signer: load_signer(g)?,
        to: a.to.clone(),
        authority: check_text("--authority", &a.authority, MAX_SHORT_TEXT)?,
        items,
        timeline: a.timeline,
        bates: (a.bates_prefix.clone(), a.bates_start),
        out: a.out.clone(),
        tsa: crate::cli::cmd::timestamp::anchors(a.tsa_ca.as_deref())?,
    }))
}

fn partial_of(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

impl Run for ProduceCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let partial = partial_of(&self.out);
        std::fs::create_dir(&partial).map_err(|e| {
            CliError::storage(format!("cannot create {}: {e}", partial.display()), None)
        })?;
        let r = produce(*self, &partial);
        if r.is_err() {
            let _ = std::fs::remove_dir_all(&partial);
        }
        r
    }
}

fn produce(c: ProduceCmd, partial: &Path) -> Result<u8, CliError> {
    let mut l = c.dir.open(true)?;
    let to = resolve_member(&l, &c.to)?;
    let to_name = l.members().display(&to);
    let first = format!("{}{:06}", c.bates.0, c.bates.1);
    let report = match c.timeline {
        true => Some(caselog::export::court::render_with(
            &l,
            &caselog::export::court::Made {
                exhibit: Some(&format!("Production {first} et seq.")),
                tsa: c.tsa.as_ref(),
                ..Default::default()
            },
        )?),
        false => None,
    };
    let certification = caselog::export::certification::render(
        &l,
        &caselog::export::certification::Certify {
            exhibit: &format!("Production {first} et seq."),
            items: c.items.clone(),
            tsa: c.tsa.as_ref(),
        },
    )?;
    let plan = caselog::export::production::Plan {
        items: &c.items,
        to: &to_name,
        to_key: &to.to_hex(),
        authority: &c.authority,
        bates: (&c.bates.0, c.bates.1),
        report_html: report.as_deref(),
        certification_html: &certification,
        made: chrono::Utc::now(),
    };
    let pkg = caselog::export::production::write(&l, &plan, partial).map_err(package_error)?;
    let body = Domain::Production(Production {
        to,
        authority: c.authority.clone(),
        items: c.items.clone(),
        timeline: c.timeline,
        bates_prefix: c.bates.0.clone(),
        bates_first: pkg.bates.0,
        bates_last: pkg.bates.1,
        files: pkg.files,
        manifest: pkg.manifest,
    });
    let (seq, _) = append(&mut l, body, &c.signer, Vec::new())?;
    std::fs::rename(partial, &c.out).map_err(|e| {
        CliError::storage(
            format!(
                "the production is recorded at seq {seq}, but {} could not be renamed to {}: {e}",
                partial.display(),
                c.out.display()
            ),
            Some("rename it by hand; its MANIFEST.sha256 has the digest the entry states".into()),
        )
    })?;
    out(&format!(
        "wrote {}: {} native(s) {first} to {}{:06}{}, {} tlog-proof(s) and {} bundle(s) against the checkpoint of size {}, {} file(s) in all\n",
        c.out.display(),
        pkg.natives,
        c.bates.0,
        pkg.bates.1,
        if pkg.images > 0 { format!(" ({} image(s) in the OPT)", pkg.images) } else { String::new() },
        pkg.proofs,
        c.items.len(),
        pkg.size,
        pkg.files
    ))?;
    out(&format!(
        "seq {seq}: production to {to_name} under {}: manifest SHA-256 {}\n  the recipient acknowledges it offline:  caselog production acknowledge {} --key THEIR_KEY --out receipt.json\n",
        c.authority,
        hex::encode(pkg.manifest),
        c.out.display()
    ))?;
    Ok(exit::OK)
}

fn package_error(e: caselog::export::production::ProductionError) -> CliError {
    use caselog::export::production::ProductionError as P;
    match e {
        P::Ledger(l) => l.into(),
        P::Io(_) | P::Bundle(_) => CliError::storage(e.to_string(), None),
        P::UnknownItem { .. } => CliError::input(e.to_string(), "see `caselog evidence list`"),
        P::NoCopy { .. } => CliError::input(
            format!("{e}; nothing was written"),
            "only files kept in the ledger (evidence add --copy) can be produced",
        ),
        P::CopyDiffers { .. } => CliError::input(
            format!("{e}; nothing was written"),
            "run `caselog verify --evidence` and record what was found",
        ),
        P::NotCheckpointed { .. } => CliError::input(
            format!("{e}; nothing was written"),
            "an authority signs one with `caselog checkpoint`",
        ),
        _ => CliError::input(e.to_string(), "please report this as a caselog bug"),
    }
}

/// Each `production` command to its check.
pub(crate) fn check(c: &ProductionCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        ProductionCommand::Acknowledge(a) => {
            check_new_file(&a.out)?;
            Ok(Box::new(AckCmd {
                package: a.package.clone(),
                out: a.out.clone(),
                signer: load_signer(g)?,
            }))
        }
        ProductionCommand::Receipt(a) => Ok(Box::new(ReceiptCmd {
            dir: target(g)?,
            package: a.package.clone(),
            file: a.file.clone(),
            signer: load_signer(g)?,
        })),
    }
}

fn checked_package(
    dir: &Path,
) -> Result<caselog::export::production_check::CheckedPackage, CliError> {
    caselog::export::production_check::check(dir).map_err(|e| {
        CliError::input(
            format!(
                "the package at {} does not check: {e}; nothing was signed",
                dir.display()
            ),
            "acknowledge only the package exactly as produced (ask the producer for a new copy)",
        )
    })
}

/// `production acknowledge`, checked.
pub(crate) struct AckCmd {
    package: PathBuf,
    out: PathBuf,
    signer: Signer,
}

impl Run for AckCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let p = checked_package(&self.package)?;
        let time = Timestamp::now();
        let key = self.signer.public();
        let msg = production_receipt_message(&p.ledger, &p.manifest, &key, &time);
        let sig = self.signer.sign(&msg)?;
        let v = json!({
            "format": "caselog-production-receipt/v1",
            "ledger": p.ledger.to_hex(),
            "manifest": hex::encode(p.manifest),
            "time": time.to_string(),
            "key": key.to_hex(),
            "sig": hex::encode(sig),
        });
        let text = serde_json::to_string_pretty(&v).expect("cli: JSON") + "\n";
        crate::cli::output::write_new(
            &self.out,
            text.as_bytes(),
            &caselog::format::disclosure::Reveal::None,
        )?;
        out(&format!(
            "checked {} file(s) against MANIFEST.sha256 (SHA-256 {}); receipt signed by {} written to {}: give it to the producer for `caselog production receipt --file`\n",
            p.files,
            hex::encode(p.manifest),
            self.signer.name(),
            self.out.display()
        ))?;
        Ok(exit::OK)
    }
}

/// `production receipt`, checked.
pub(crate) struct ReceiptCmd {
    dir: Target,
    package: Option<PathBuf>,
    file: Option<PathBuf>,
    signer: Signer,
}

impl Run for ReceiptCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let (manifest, ledger, ack) = match (&self.package, &self.file) {
            (Some(dir), _) => {
                let p = checked_package(dir)?;
                (p.manifest, p.ledger, None)
            }
            (None, Some(f)) => read_receipt_file(f)?,
            (None, None) => unreachable!("cli: clap requires --package or --file"),
        };
        let mut l = self.dir.open(true)?;
        if ledger != l.id() {
            return Err(CliError::input(
                format!("the package is from ledger {ledger}, this is {}", l.id()),
                "record it in the ledger that made the production (--ledger)",
            ));
        }
        let prod = l
            .custody()
            .productions()
            .values()
            .find(|p| p.manifest == manifest)
            .cloned();
        let Some(prod) = prod else {
            return Err(CliError::input(
                format!(
                    "no production in this ledger has manifest SHA-256 {}",
                    hex::encode(manifest)
                ),
                "check the package or receipt file (caselog log --kind production)",
            ));
        };
        let who = ack
            .as_ref()
            .map_or(self.signer.public(), |a: &ProductionAck| a.key);
        let body = Domain::ProductionReceipt(ProductionReceipt {
            production: prod.leaf,
            manifest,
            receipt: ack,
        });
        let (seq, _) = append(&mut l, body, &self.signer, Vec::new())?;
        out(&format!(
            "seq {seq}: production {} received by {}: manifest SHA-256 {}\n",
            prod.seq.0,
            l.members().display(&who),
            hex::encode(manifest)
        ))?;
        Ok(exit::OK)
    }
}

/// A `caselog-production-receipt/v1` file: its manifest, ledger and the
/// signed acknowledgement (checked again by the rules when recorded).
fn read_receipt_file(
    path: &Path,
) -> Result<([u8; 32], caselog::LedgerId, Option<ProductionAck>), CliError> {
    let bad = |m: &str| {
        CliError::input(
            format!("{}: {m}", path.display()),
            "give a file made by `caselog production acknowledge`",
        )
    };
    let text = std::fs::read(path).map_err(|e| bad(&format!("cannot read it ({e})")))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|_| bad("not JSON"))?;
    if v["format"] != "caselog-production-receipt/v1" {
        return Err(bad("not a caselog-production-receipt/v1 file"));
    }
    let hex32 = |k: &str| -> Option<[u8; 32]> { hex::decode(v[k].as_str()?).ok()?.try_into().ok() };
    let manifest = hex32("manifest").ok_or_else(|| bad("no manifest digest"))?;
    let key = MemberKey(hex32("key").ok_or_else(|| bad("no key"))?);
    let ledger = v["ledger"]
        .as_str()
        .and_then(caselog::LedgerId::from_hex)
        .ok_or_else(|| bad("no ledger id"))?;
    let time = v["time"]
        .as_str()
        .and_then(Timestamp::parse)
        .ok_or_else(|| bad("no time"))?;
    let sig: [u8; 64] = v["sig"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("no signature"))?;
    let msg = production_receipt_message(&ledger, &manifest, &key, &time);
    caselog::format::sig::verify(&key.0, &msg, &sig)
        .map_err(|_| bad("its signature does not verify"))?;
    Ok((manifest, ledger, Some(ProductionAck { key, time, sig })))
}
