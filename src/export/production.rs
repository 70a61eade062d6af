//! A discovery production (SPEC §13.11, §15.4): the package counsel hands
//! the other side, in the layout review platforms load.
//!
//! Owns the package: natives named with Bates numbers (copied from the
//! ledger's evidence store, each re-hashed against the SHA-256 recorded
//! when it was taken in), the EDRM load files (a Concordance DAT; an
//! Opticon OPT when natives are images), per-item bundles and one C2SP
//! tlog-proof per entry about an item, the certification (and with
//! `timeline` the court report) as HTML and PDF/A-2b, a `PRODUCTION.json`,
//! a `README.txt`, and `MANIFEST.sha256` naming every other file with its
//! SHA-256. The ledger entry that records the production (SPEC §13.11) is
//! the caller's, made after the package is complete.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::format::entry::Body;
use crate::format::fixity::FileFixity;
use crate::format::ids::Seq;
use crate::format::kinds::Domain;
use crate::ledger::{Ledger, LedgerError};
use crate::tlog::merkle::TreeSize;

/// Why no package was made (nothing is left behind by the caller).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProductionError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// Writing the package failed.
    #[error("writing the package: {0}")]
    Io(#[from] std::io::Error),
    /// An item was never taken in.
    #[error("item {item} was never taken into evidence")]
    UnknownItem {
        /// The item.
        item: String,
    },
    /// Files with no copy in the ledger's evidence store.
    #[error("no stored copy of {}", files.join(", "))]
    NoCopy {
        /// `ITEM/name` of each.
        files: Vec<String>,
    },
    /// A stored copy no longer has the digest recorded for it.
    #[error(
        "the stored copy of {item}/{name} no longer has the SHA-256 recorded when it was taken in"
    )]
    CopyDiffers {
        /// The item.
        item: String,
        /// The file.
        name: String,
    },
    /// No checkpoint covers the entries about an item.
    #[error(
        "no checkpoint covers the entries about {item} (the latest entry about it is seq {seq})"
    )]
    NotCheckpointed {
        /// The item.
        item: String,
        /// Its latest entry.
        seq: u64,
    },
    /// The PDF rendition failed.
    #[error(transparent)]
    Pdf(#[from] crate::export::pdf::PdfError),
    /// Writing a bundle failed.
    #[error("bundle: {0}")]
    Bundle(String),
}

/// What to produce.
pub struct Plan<'a> {
    /// Items, sorted, each once.
    pub items: &'a [String],
    /// The recipient as enrolled (name and key id), for the package's text.
    pub to: &'a str,
    /// The recipient's key (hex), for `PRODUCTION.json`.
    pub to_key: &'a str,
    /// The authority or request it answers.
    pub authority: &'a str,
    /// Bates prefix and first number.
    pub bates: (&'a str, u64),
    /// The court report's HTML, when the timeline is produced.
    pub report_html: Option<&'a str>,
    /// The certification's HTML for the items.
    pub certification_html: &'a str,
    /// When the package is made.
    pub made: chrono::DateTime<chrono::Utc>,
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Files written, the manifest not counted.
    pub files: u64,
    /// Natives (Bates-numbered files).
    pub natives: u64,
    /// First and last Bates numbers.
    pub bates: (u64, u64),
    /// Natives that are images (listed in the OPT).
    pub images: u64,
    /// Inclusion proofs written.
    pub proofs: u64,
    /// The checkpoint size the proofs and bundles are against.
    pub size: u64,
    /// SHA-256 of `MANIFEST.sha256`.
    pub manifest: [u8; 32],
}

/// Files written so far (relative path, SHA-256 of the bytes written),
/// for the manifest: each file is hashed once, as it is written.
type Written = Vec<(PathBuf, [u8; 32])>;

/// One native to produce.
#[derive(Clone)]
struct Native {
    item: String,
    file: FileFixity,
    seq: Seq,
    time: String,
    description: String,
}

/// Write the package into the empty directory `dir`.
pub fn write(l: &Ledger, plan: &Plan<'_>, dir: &Path) -> Result<Package, ProductionError> {
    let natives = gather(l, plan.items)?;
    let (size, checkpoint) = l
        .latest_checkpoint()?
        .ok_or(ProductionError::NotCheckpointed {
            item: plan.items[0].clone(),
            seq: 0,
        })?;
    for item in plan.items {
        let last = l.item_records(item)?.last().map_or(0, |(s, _)| s.0);
        if last >= size.0 {
            return Err(ProductionError::NotCheckpointed {
                item: item.clone(),
                seq: last,
            });
        }
    }
    let mut written: Written = Vec::new();
    let first = plan.bates.1;
    let (rows, images) = copy_natives(l, plan, &natives, dir, &mut written)?;
    write_file(dir, "DATA/loadfile.dat", &dat(&rows), &mut written)?;
    if images > 0 {
        write_file(
            dir,
            "DATA/loadfile.opt",
            opt(&rows).as_bytes(),
            &mut written,
        )?;
    }
    let proofs = write_proofs(l, plan.items, size, &checkpoint, dir, &mut written)?;
    write_reports(plan, dir, &mut written)?;
    let last = first + natives.len() as u64 - 1;
    let meta = production_json(l, plan, (first, last), size);
    write_file(dir, "PRODUCTION.json", meta.as_bytes(), &mut written)?;
    write_file(
        dir,
        "README.txt",
        readme(plan, (first, last), size, images > 0).as_bytes(),
        &mut written,
    )?;
    let manifest = manifest(&written);
    std::fs::write(dir.join("MANIFEST.sha256"), &manifest)?;
    sync_tree(dir, &written)?;
    Ok(Package {
        files: written.len() as u64,
        natives: natives.len() as u64,
        bates: (first, last),
        images,
        proofs,
        size: size.0,
        manifest: Sha256::digest(&manifest).into(),
    })
}

/// Every file recorded for each item (at intake or attached), in item
/// order and then as recorded; each must have a stored copy.
fn gather(l: &Ledger, items: &[String]) -> Result<Vec<Native>, ProductionError> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for item in items {
        let mut description = None;
        let before = out.len();
        for (seq, raw) in l.item_records(item)? {
            let (_, e) = crate::ledger::decode(seq, &raw)?;
            let Body::Domain(d) = &e.body else { continue };
            if let Domain::EvidenceIntake(i) = d {
                description = Some(i.description.clone());
            }
            let desc = match d {
                Domain::EvidenceAttach(a) => Some(a.description.clone()),
                _ => description.clone(),
            };
            for f in d.recorded_files() {
                if !crate::storage::evidence::blob_path(l.store().dir(), &f.blake3).is_file() {
                    missing.push(format!("{item}/{}", f.name));
                }
                out.push(Native {
                    item: item.clone(),
                    file: f.clone(),
                    seq,
                    time: e.time.to_string(),
                    description: desc.clone().unwrap_or_default(),
                });
            }
        }
        if description.is_none() {
            return Err(ProductionError::UnknownItem { item: item.clone() });
        }
        debug_assert!(out.len() > before, "production: an intake records a file");
    }
    if !missing.is_empty() {
        return Err(ProductionError::NoCopy { files: missing });
    }
    Ok(out)
}

/// One row of the load files.
struct Row {
    bates: String,
    native: String,
    n: Native,
    image: bool,
}

fn copy_natives(
    l: &Ledger,
    plan: &Plan<'_>,
    natives: &[Native],
    dir: &Path,
    written: &mut Written,
) -> Result<(Vec<Row>, u64), ProductionError> {
    std::fs::create_dir_all(dir.join("NATIVES"))?;
    let mut rows = Vec::new();
    let mut images = 0;
    for (i, n) in natives.iter().enumerate() {
        let bates = format!("{}{:06}", plan.bates.0, plan.bates.1 + i as u64);
        let ext = extension(&n.file.name);
        let rel = format!("NATIVES/{bates}{ext}");
        let src = crate::storage::evidence::blob_path(l.store().dir(), &n.file.blake3);
        let mut out = std::fs::File::create_new(dir.join(&rel))?;
        let d = crate::storage::evidence::hash_serial(std::fs::File::open(&src)?, Some(&mut out))?;
        if d.sha256 != n.file.sha256 || d.blake3 != n.file.blake3 {
            return Err(ProductionError::CopyDiffers {
                item: n.item.clone(),
                name: n.file.name.clone(),
            });
        }
        written.push((PathBuf::from(&rel), d.sha256.0));
        let image = is_image(&ext);
        images += u64::from(image);
        rows.push(Row {
            bates,
            native: rel,
            n: n.clone(),
            image,
        });
    }
    Ok((rows, images))
}

/// The file's extension, kept when it is short and plain (`.txt`).
fn extension(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

fn is_image(ext: &str) -> bool {
    matches!(
        ext,
        ".tif" | ".tiff" | ".jpg" | ".jpeg" | ".png" | ".gif" | ".bmp"
    )
}

/// Concordance DAT: UTF-8 with a byte-order mark, fields quoted with þ
/// (U+00FE) and separated by U+0014 (shown as ¶), CRLF line ends; a line
/// break inside a value becomes ® (U+00AE), as Concordance expects.
fn dat(rows: &[Row]) -> Vec<u8> {
    const FIELDS: [&str; 12] = [
        "BEGBATES",
        "ENDBATES",
        "ITEM",
        "FILENAME",
        "NATIVEPATH",
        "SHA256",
        "BLAKE3",
        "BYTES",
        "MEDIATYPE",
        "RECORDED_SEQ",
        "RECORDED_UTC",
        "DESCRIPTION",
    ];
    let line = |vals: &[String]| {
        let quoted: Vec<String> = vals
            .iter()
            .map(|v| {
                format!(
                    "\u{fe}{}\u{fe}",
                    v.replace(['\r', '\n'], "\u{ae}").replace('\u{fe}', "")
                )
            })
            .collect();
        quoted.join("\u{14}") + "\r\n"
    };
    let mut out = "\u{feff}".to_string();
    out.push_str(&line(&FIELDS.map(String::from)));
    for r in rows {
        out.push_str(&line(&[
            r.bates.clone(),
            r.bates.clone(),
            r.n.item.clone(),
            r.n.file.name.clone(),
            r.native.replace('/', "\\"),
            r.n.file.sha256.to_hex(),
            r.n.file.blake3.to_hex(),
            r.n.file.size.to_string(),
            r.n.file.media_type.clone().unwrap_or_default(),
            r.n.seq.0.to_string(),
            r.n.time.clone(),
            r.n.description.clone(),
        ]));
    }
    out.into_bytes()
}

/// Opticon OPT: `BATES,VOLUME,PATH,Y,,,PAGES` per image (one page each:
/// natives are not paginated here), CRLF line ends.
fn opt(rows: &[Row]) -> String {
    rows.iter()
        .filter(|r| r.image)
        .map(|r| {
            format!(
                "{},PROD001,{},Y,,,1\r\n",
                r.bates,
                r.native.replace('/', "\\")
            )
        })
        .collect()
}

/// Per item: a bundle of every entry about it, and one tlog-proof per
/// entry, against the checkpoint of `size`.
fn write_proofs(
    l: &Ledger,
    items: &[String],
    size: TreeSize,
    checkpoint: &[u8],
    dir: &Path,
    written: &mut Written,
) -> Result<u64, ProductionError> {
    let mut n = 0;
    write_file(dir, "PROOFS/checkpoint", checkpoint, written)?;
    for item in items {
        let sel = crate::audit::bundle::Selection {
            items: vec![item.clone()],
            ..Default::default()
        };
        let mut buf = Vec::new();
        crate::audit::bundle::write(l, checkpoint, &sel, &mut buf)
            .map_err(|e| ProductionError::Bundle(e.to_string()))?;
        write_file(dir, &format!("PROOFS/{item}.bundle"), &buf, written)?;
        for (seq, _) in l.item_records(item)? {
            let p = l.inclusion_proof(seq, size, checkpoint.to_vec())?;
            let rel = format!("PROOFS/{item}/{}.tlog-proof", seq.0);
            write_file(dir, &rel, p.to_text().as_bytes(), written)?;
            n += 1;
        }
    }
    Ok(n)
}

fn write_reports(
    plan: &Plan<'_>,
    dir: &Path,
    written: &mut Written,
) -> Result<(), ProductionError> {
    let mut docs = vec![("certification", plan.certification_html)];
    if let Some(r) = plan.report_html {
        docs.push(("report", r));
    }
    for (name, html) in docs {
        let html_name = format!("{name}.html");
        write_file(
            dir,
            &format!("REPORTS/{html_name}"),
            html.as_bytes(),
            written,
        )?;
        let pdf = crate::export::pdf::render(&crate::export::pdf::Rendition {
            source_name: &html_name,
            html,
            made: plan.made,
        })?;
        write_file(dir, &format!("REPORTS/{name}.pdf"), &pdf, written)?;
    }
    Ok(())
}

fn production_json(l: &Ledger, plan: &Plan<'_>, bates: (u64, u64), size: TreeSize) -> String {
    let v = serde_json::json!({
        "format": "caselog-production/v1",
        "ledger": l.id().to_hex(),
        "to": plan.to,
        "to_key": plan.to_key,
        "authority": plan.authority,
        "items": plan.items,
        "timeline": plan.report_html.is_some(),
        "bates_prefix": plan.bates.0,
        "bates_first": bates.0,
        "bates_last": bates.1,
        "checkpoint_size": size.0,
        "made": plan.made.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "tool": format!("caselog {}", env!("CARGO_PKG_VERSION")),
    });
    serde_json::to_string_pretty(&v).expect("production: JSON of plain values") + "\n"
}

fn readme(plan: &Plan<'_>, bates: (u64, u64), size: TreeSize, opt: bool) -> String {
    let p = plan.bates.0;
    let indent = " ".repeat(20);
    let mut lines = vec![
        format!("Discovery production made with caselog {}", env!("CARGO_PKG_VERSION")),
        String::new(),
        format!("To: {}", plan.to),
        format!("Authority: {}", plan.authority),
        format!("Items: {}", plan.items.join(", ")),
        format!("Bates range: {p}{:06} to {p}{:06}", bates.0, bates.1),
        String::new(),
        "NATIVES/            each file recorded for the items, named by its Bates number; each was".into(),
        format!("{indent}re-hashed when copied and has the SHA-256 recorded when it was taken in"),
        "DATA/loadfile.dat   Concordance load file (UTF-8 with BOM; fields quoted with U+00FE and".into(),
        format!("{indent}separated by U+0014; CRLF)"),
        match opt {
            true => "DATA/loadfile.opt   Opticon image load file for the natives that are images".into(),
            false => format!("{indent}(no OPT: no native is an image)"),
        },
        "PROOFS/             for each item, a bundle of every entry about it and one C2SP tlog-proof".into(),
        format!("{indent}(.tlog-proof) per entry, all against the signed checkpoint of size {}", size.0),
        format!("{indent}(PROOFS/checkpoint)"),
        format!(
            "REPORTS/            the certification{}, as HTML and as PDF/A-2b renditions",
            if plan.report_html.is_some() { " and the court report (the whole timeline)" } else { "" }
        ),
        "PRODUCTION.json     what was produced, to whom, under what authority".into(),
        "MANIFEST.sha256     the SHA-256 of every other file (check with: sha256sum -c MANIFEST.sha256)".into(),
        String::new(),
        "The ledger records this production in a signed entry of kind `production` that states the".into(),
        "SHA-256 of MANIFEST.sha256. To verify the records offline, obtain the ledger's log verifier key".into(),
        "from a source you trust (not from this package) and run, for example:".into(),
        "  caselog verify --bundle PROOFS/ITEM.bundle --trust 'LOG_VERIFIER_KEY'".into(),
        "  caselog verify-proof PROOFS/ITEM/SEQ.tlog-proof --trust 'LOG_VERIFIER_KEY'".into(),
        "To acknowledge receipt: caselog production acknowledge THIS_DIRECTORY --key YOUR_KEY --out receipt.json".into(),
    ];
    lines.push(String::new());
    lines.join("\r\n")
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8], written: &mut Written) -> std::io::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::File::create_new(&path)?;
    f.write_all(bytes)?;
    written.push((PathBuf::from(rel), Sha256::digest(bytes).into()));
    Ok(())
}

/// `sha256sum` format, sorted by path: `<hex>  <path>\n`.
pub fn manifest(files: &[(PathBuf, [u8; 32])]) -> Vec<u8> {
    let mut sorted: Vec<&(PathBuf, [u8; 32])> = files.iter().collect();
    sorted.sort();
    let mut out = String::new();
    for (rel, sha256) in sorted {
        out.push_str(&format!("{}  {}\n", hex::encode(sha256), rel.display()));
    }
    out.into_bytes()
}

/// Sync every file written and the directories, so the package is durable
/// before the ledger says it was made.
fn sync_tree(dir: &Path, files: &Written) -> std::io::Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for rel in files
        .iter()
        .map(|(p, _)| p.as_path())
        .chain([Path::new("MANIFEST.sha256")])
    {
        std::fs::File::open(dir.join(rel))?.sync_all()?;
        let mut p = rel.parent();
        while let Some(d) = p {
            dirs.insert(dir.join(d));
            p = d.parent();
        }
    }
    dirs.insert(dir.to_path_buf());
    for d in dirs {
        std::fs::File::open(d)?.sync_all()?;
    }
    Ok(())
}
