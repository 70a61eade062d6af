//! `evidence add|verify|dispose|return|list|show`: intake with fixity
//! digests (and an optional copy), re-verification, closing an item.

use crate::cli::args::EvidenceAddArgs;
use crate::cli::args::EvidenceCommand;
use crate::cli::args::EvidenceDisposeArgs;
use crate::cli::args::EvidenceReturnArgs;
use crate::cli::args::EvidenceVerifyArgs;
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::domain_append::AppendCmd;
use crate::cli::cmd::evidence_files::{check_files, copies, describe, fixity_of};
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::edtf;
use crate::cli::input::item_id;
use crate::cli::input::load_signer;
use crate::cli::input::opt_text;
use crate::cli::input::private_fields;
use crate::cli::input::target;
use crate::cli::input::today;
use crate::cli::output::file_name;
use crate::cli::output::hash_with_progress;
use crate::cli::output::out;
use crate::cli::remote::Target;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds::Domain;
use caselog::format::kinds::EvidenceAttach;
use caselog::format::kinds::EvidenceClose;
use caselog::format::kinds::EvidenceIntake;
use caselog::format::kinds::EvidenceVerify;
use caselog::format::kinds::FileFixity;
use caselog::ledger;
use caselog::storage::evidence;
use caselog::storage::keys::Signer;
use caselog::Ledger;
use caselog::Seq;
use serde_json::json;
use std::path::Path;
use std::path::PathBuf;

/// Each `evidence` command to its check.
pub(crate) fn check(c: &EvidenceCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        EvidenceCommand::Add(a) => check_evidence_add(a, g),
        EvidenceCommand::Verify(a) => check_evidence_verify(a, g),
        EvidenceCommand::Manifest(a) => {
            crate::cli::cmd::tree::check_manifest(g, &a.item, &a.format, &a.output)
        }
        EvidenceCommand::List(a) => Ok(Box::new(EvidenceListCmd {
            dir: target(g)?,
            json: a.json,
        })),
        EvidenceCommand::Show(a) => Ok(Box::new(EvidenceShowCmd {
            dir: target(g)?,
            item: item_id(&a.item)?,
            json: a.json,
        })),
        EvidenceCommand::Dispose(a) => check_evidence_dispose(a, g),
        EvidenceCommand::Return(a) => check_evidence_return(a, g),
    }
}

fn check_evidence_add(a: &EvidenceAddArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let EvidenceAddArgs {
        item,
        description,
        files,
        collected_by,
        collected,
        location,
        seal,
        copy,
        provenance,
        zone,
        tree,
        ..
    } = a;
    if let Some(to) = &a.to {
        return crate::cli::cmd::evidence_attach::check(a, to, g);
    }
    let item = item.as_ref().expect("cli: clap requires ITEM without --to");
    Ok({
        let dir = target(g)?;
        let item = item_id(item)?;
        check_files(files)?;
        if let Some(t) = tree {
            crate::cli::cmd::tree::check_root(t)?;
        }
        let collected = match collected {
            Some(c) => edtf(c, "collected")?,
            None => today(),
        };
        let signer = load_signer(g)?;
        Box::new(EvidenceAddCmd {
            private: private.clone(),
            intake: EvidenceIntake {
                zone: crate::cli::input::zone(zone)?,
                device: device(provenance)?,
                lineage: lineage(provenance)?.map(Box::new),
                tree: None,
                item,
                description: check_text("description", description, MAX_SHORT_TEXT)?,
                // Empty until run: then the signer's enrolled name.
                collected_by: match collected_by {
                    Some(c) => check_text("--collected-by", c, MAX_SHORT_TEXT)?,
                    None => String::new(),
                },
                collected,
                location: opt_text(location, "location", MAX_SHORT_TEXT)?,
                seal: opt_text(seal, "seal", MAX_SHORT_TEXT)?,
                files: Vec::new(),
            },
            files: files.clone(),
            tree: tree.clone(),
            copy: *copy,
            signer,
            dir,
        })
    })
}

pub(crate) fn check_evidence_verify(
    a: &EvidenceVerifyArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let EvidenceVerifyArgs {
        item,
        path,
        file,
        tree,
        dry_run,
        force,
        ..
    } = a;
    if let Some(root) = tree {
        let how = crate::cli::cmd::tree::VerifyHow {
            dry_run: *dry_run,
            force: *force,
        };
        return crate::cli::cmd::tree::check_verify_tree(g, item, root, private, how);
    }
    let path = path
        .as_ref()
        .expect("cli: clap requires a path without --tree");
    Ok({
        let dir = target(g)?;
        if !path.is_file() {
            return Err(CliError::input(
                format!("{} is not a readable file", path.display()),
                "check the path",
            ));
        }
        Box::new(EvidenceVerifyCmd {
            private: private.clone(),
            item: item_id(item)?,
            file: file.clone().unwrap_or_else(|| file_name(path)),
            path: path.to_owned(),
            signer: (!dry_run).then(|| load_signer(g)).transpose()?,
            dir,
        })
    })
}

pub(crate) fn check_evidence_dispose(
    a: &EvidenceDisposeArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let EvidenceDisposeArgs {
        item,
        method,
        reason,
        ..
    } = a;
    Ok(Box::new(AppendCmd {
        private: private.clone(),
        body: Domain::EvidenceDispose(EvidenceClose {
            item: item_id(item)?,
            detail: check_text("--method", method, MAX_SHORT_TEXT)?,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        }),
        refs: Vec::new(),
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

pub(crate) fn check_evidence_return(
    a: &EvidenceReturnArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let EvidenceReturnArgs {
        item, to, reason, ..
    } = a;
    Ok(Box::new(AppendCmd {
        private: private.clone(),
        body: Domain::EvidenceReturn(EvidenceClose {
            item: item_id(item)?,
            detail: check_text("--to", to, MAX_SHORT_TEXT)?,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        }),
        refs: Vec::new(),
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `evidence add`, checked.
pub(crate) struct EvidenceAddCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) intake: EvidenceIntake,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) tree: Option<PathBuf>,
    pub(crate) copy: bool,
    pub(crate) private: Vec<Disclosure>,
}

impl Run for EvidenceAddCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_evidence_add(*self)
    }
}

pub(crate) fn run_evidence_add(cmd: EvidenceAddCmd) -> Result<u8, CliError> {
    let EvidenceAddCmd {
        dir,
        signer,
        mut intake,
        files,
        tree,
        copy,
        private,
    } = cmd;
    let mut l = dir.open(true)?;
    if intake.collected_by.is_empty() {
        intake.collected_by = crate::cli::cmd::domain_append::enrolled_name(&l, &signer);
    }
    // Refuse (not a member, duplicate item...) before hashing.
    l.precheck(
        &Body::Domain(Domain::EvidenceIntake(intake.clone())),
        &signer,
    )?;
    intake.files.extend(fixity_of(&files, dir.dir(), copy)?);
    let taken = match &tree {
        Some(root) => Some(crate::cli::cmd::tree::take(
            root,
            dir.dir(),
            copy,
            &intake.files,
        )?),
        None => None,
    };
    intake.tree = taken.as_ref().map(|t| Box::new(t.tree.clone()));
    let item = intake.item.clone();
    let mut shown = describe(&intake.files);
    let mut blobs = copies(dir.dir(), &intake.files, copy);
    if let Some(t) = &taken {
        shown.push(t.describe());
        blobs.extend(t.blobs(dir.dir(), copy));
    }
    let (seq, leaf) = append(&mut l, Domain::EvidenceIntake(intake), &signer, private)?;
    drop(l);
    // Through a server, the copies go there too, once the entry is in.
    let uploaded = if blobs.is_empty() {
        None
    } else {
        dir.upload_blobs(&blobs)?
    };
    out(&format!(
        "seq {seq}: {item} taken into evidence (leaf {leaf}){}{}\n{}",
        if copy {
            "; copies stored in the ledger's blob store"
        } else {
            ""
        },
        match uploaded {
            Some(n) => format!(" and uploaded to the server ({n} new)"),
            None => String::new(),
        },
        shown.concat()
    ))?;
    Ok(exit::OK)
}

/// `evidence verify ITEM PATH` (one file), checked.
pub(crate) struct EvidenceVerifyCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    /// None: --dry-run, nothing is recorded.
    pub(crate) signer: Option<Signer>,
    pub(crate) item: String,
    pub(crate) path: PathBuf,
    pub(crate) file: String,
}

impl Run for EvidenceVerifyCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_evidence_verify(*self)
    }
}

pub(crate) fn run_evidence_verify(cmd: EvidenceVerifyCmd) -> Result<u8, CliError> {
    let EvidenceVerifyCmd {
        private,
        dir,
        signer,
        item,
        path,
        file,
    } = cmd;
    let mut l = dir.open(signer.is_some())?;
    let st = l
        .custody()
        .get(&item)
        .ok_or_else(|| CliError::input(format!("no item {item}"), "see `caselog evidence list`"))?;
    let (b3, sha) = *st.files.get(&file).ok_or_else(|| {
        CliError::input(
            format!("{item} has no file named {file:?}"),
            format!(
                "pass --file with one of: {}",
                st.files.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let d = hash_with_progress(&path)?;
    let matches = d.blake3 == b3 && d.sha256 == sha;
    let body = Domain::EvidenceVerify(EvidenceVerify {
        item: item.clone(),
        file: FileFixity {
            name: file.clone(),
            size: d.size,
            blake3: d.blake3,
            sha256: d.sha256,
            media_type: None,
        },
        matches,
    });
    // --dry-run: the same comparison, nothing appended.
    let at = match &signer {
        Some(signer) => format!("seq {}", append(&mut l, body, signer, private)?.0),
        None => "dry run, not recorded".to_owned(),
    };
    if matches {
        out(&format!(
            "{at}: {item} {file}: MATCH (BLAKE3 and SHA-256 equal the digests recorded when it was taken in)\n"
        ))?;
        return Ok(exit::OK);
    }
    let (what, note) = match signer {
        Some(_) => ("MISMATCH recorded", "the ledger now records that this copy differed (a finding; the ledger's own copy is not affected: `caselog verify --evidence` re-hashes it)"),
        None => ("MISMATCH", "nothing was recorded (--dry-run)"),
    };
    out(&format!(
        "{at}: {item} {file}: {what}\n  recorded blake3 {b3}\n           sha256 {sha}\n  this     blake3 {}\n           sha256 {}\n  {note}\n",
        d.blake3, d.sha256
    ))?;
    Ok(exit::FAILED)
}

/// The number of files an item's intake took in (a tree's files counted
/// one by one) and, for a tree, how to name it.
fn intake_files(l: &Ledger, seq: Seq) -> Result<(u64, Option<String>), CliError> {
    let raw = l
        .record_bytes(seq)?
        .ok_or_else(|| CliError::storage(format!("the intake at seq {seq} is missing"), None))?;
    let (_, e) = caselog::ledger::decode(seq, &raw)?;
    let Body::Domain(Domain::EvidenceIntake(i)) = &e.body else {
        return Ok((0, None));
    };
    let tree = i.tree.as_ref().map(|t| {
        format!(
            "tree {}: {} files, {} bytes, listing sha256 {}",
            t.key(),
            t.files,
            t.bytes,
            t.sha256
        )
    });
    Ok((i.file_count(), tree))
}

/// `evidence list`, checked.
pub(crate) struct EvidenceListCmd {
    pub(crate) dir: Target,
    pub(crate) json: bool,
}

impl Run for EvidenceListCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_evidence_list(*self)
    }
}

pub(crate) fn run_evidence_list(cmd: EvidenceListCmd) -> Result<u8, CliError> {
    let EvidenceListCmd { dir, json } = cmd;
    let l = dir.open(false)?;
    let mut s = String::new();
    for st in l.custody().iter() {
        let (files, tree) = intake_files(&l, st.intake)?;
        let status = match (&st.closed, &st.pending) {
            (Some((how, at)), _) => format!("{how} at seq {at}"),
            (None, Some((_, to))) => {
                format!("released to {}, awaiting receipt", l.members().display(to))
            }
            _ => "held".to_owned(),
        };
        if json {
            s.push_str(
                &(json!({
                    "item": st.item,
                    "intake": st.intake.0,
                    "holder": l.members().display(&st.holder),
                    "holder_key": st.holder.to_hex(),
                    "status": status,
                    "files": files,
                    "tree": tree,
                })
                .to_string()
                    + "\n"),
            );
        } else {
            s.push_str(&format!(
                "{:<12} holder {:<28} {:<40} files {}{}\n",
                st.item,
                l.members().display(&st.holder),
                status,
                files,
                tree.as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ));
        }
    }
    if s.is_empty() && !json {
        s = "no evidence items\n".into();
    }
    out(&s)?;
    Ok(exit::OK)
}

/// `evidence show ITEM`, checked.
pub(crate) struct EvidenceShowCmd {
    pub(crate) dir: Target,
    pub(crate) item: String,
    pub(crate) json: bool,
}

impl Run for EvidenceShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_evidence_show(*self)
    }
}

pub(crate) fn run_evidence_show(cmd: EvidenceShowCmd) -> Result<u8, CliError> {
    let EvidenceShowCmd { dir, item, json } = cmd;
    let l = dir.open(false)?;
    let records = l.item_records(&item)?;
    let mut intake = None;
    for (seq, raw) in &records {
        if let Body::Domain(Domain::EvidenceIntake(i)) = ledger::decode(*seq, raw)?.1.body {
            intake = Some(i);
            break;
        }
    }
    let Some(intake) = intake else {
        return Err(CliError::input(
            format!("no item {item}"),
            "see `caselog evidence list`",
        ));
    };
    out(&if json {
        evidence_json(&l, dir.dir(), &intake, &records)
    } else {
        evidence_text(&l, dir.dir(), &intake, &records)?
    })?;
    Ok(exit::OK)
}

fn evidence_json(
    l: &Ledger,
    dir: &Path,
    intake: &EvidenceIntake,
    records: &[(Seq, Vec<u8>)],
) -> String {
    let st = l.custody().get(&intake.item);
    let v = json!({
        "item": intake.item,
        "description": intake.description,
        "collected_by": intake.collected_by,
        "collected": intake.collected.as_str(),
        "location": intake.location,
        "seal": intake.seal,
        "holder": st.map(|s| l.members().display(&s.holder)),
        "files": intake.files.iter().map(|f| json!({
            "name": f.name, "size": f.size, "blake3": f.blake3.to_hex(),
            "sha256": f.sha256.to_hex(), "media_type": f.media_type,
            "stored_copy": evidence::blob_path(dir, &f.blake3).is_file(),
        })).collect::<Vec<_>>(),
        "tree": intake.tree.as_ref().map(|t| json!({
            "name": t.name, "files": t.files, "bytes": t.bytes,
            "blake3": t.blake3.to_hex(), "sha256": t.sha256.to_hex(),
            "manifest": {"name": t.manifest.name, "size": t.manifest.size,
                "blake3": t.manifest.blake3.to_hex(), "sha256": t.manifest.sha256.to_hex(),
                "stored": evidence::blob_path(dir, &t.manifest.blake3).is_file()},
        })),
        "attached": attached(records).iter().map(|(seq, a)| json!({
            "seq": seq.0,
            "description": a.description,
            "files": a.files.iter().map(|f| json!({
                "name": f.name, "size": f.size, "blake3": f.blake3.to_hex(),
                "sha256": f.sha256.to_hex(), "media_type": f.media_type,
                "stored_copy": evidence::blob_path(dir, &f.blake3).is_file(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "entries": records.iter().map(|(s, _)| s.0).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).expect("cli: JSON") + "\n"
}

fn evidence_text(
    l: &Ledger,
    dir: &Path,
    intake: &EvidenceIntake,
    records: &[(Seq, Vec<u8>)],
) -> Result<String, CliError> {
    let st = l.custody().get(&intake.item);
    let mut s = format!(
        "item         {}\ndescription  {}\ncollected    {} by {}{}{}\nholder       {}\nfiles\n",
        intake.item,
        intake.description,
        intake.collected,
        intake.collected_by,
        intake
            .location
            .as_ref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default(),
        intake
            .seal
            .as_ref()
            .map(|x| format!(", seal {x}"))
            .unwrap_or_default(),
        st.map(|s| l.members().display(&s.holder))
            .unwrap_or_default(),
    );
    if let Some(d) = &intake.device {
        s.insert_str(
            s.len() - "files\n".len(),
            &format!("device       {}\n", d.describe()),
        );
    }
    if let Some(g) = &intake.lineage {
        s.insert_str(
            s.len() - "files\n".len(),
            &format!("copy         {}\n", g.describe()),
        );
    }
    s.push_str(&files_text(dir, &intake.files));
    s.push_str(&tree_text(dir, intake));
    for (seq, a) in attached(records) {
        s.push_str(&format!(
            "  attached at seq {}: {}\n{}",
            seq.0,
            a.description,
            files_text(dir, &a.files)
        ));
    }
    s.push_str("history (see `caselog custody show` for holders)\n");
    for (seq, raw) in records {
        let (_, e) = ledger::decode(*seq, raw)?;
        s.push_str(&format!(
            "  {:>5}  {}  {}\n",
            seq.0,
            e.time,
            e.body.summary_with(&|k| l.members().display(k))
        ));
    }
    Ok(s)
}

/// The files attached to the item after its intake, by seq.
fn attached(records: &[(Seq, Vec<u8>)]) -> Vec<(Seq, EvidenceAttach)> {
    records
        .iter()
        .filter_map(|(seq, raw)| match ledger::decode(*seq, raw).ok()?.1.body {
            Body::Domain(Domain::EvidenceAttach(a)) => Some((*seq, a)),
            _ => None,
        })
        .collect()
}

/// Files, each marked by whether its copy is in the blob store of `dir`.
fn files_text(dir: &Path, files: &[FileFixity]) -> String {
    let mut s = String::new();
    for f in files {
        s.push_str(&format!(
            "  {} ({} bytes{}){}\n    blake3  {}\n    sha256  {}\n",
            f.name,
            f.size,
            f.media_type
                .as_ref()
                .map(|m| format!(", {m}"))
                .unwrap_or_default(),
            if evidence::blob_path(dir, &f.blake3).is_file() {
                " [copy stored]"
            } else {
                ""
            },
            f.blake3,
            f.sha256
        ));
    }
    s
}

/// An intake's tree, marked by whether its manifest is in the blob store.
fn tree_text(dir: &Path, intake: &EvidenceIntake) -> String {
    let mut s = String::new();
    if let Some(t) = &intake.tree {
        s.push_str(&format!(
            "  tree {} ({} files, {} bytes; `caselog evidence manifest {}` lists them)\n    listing blake3  {}\n    listing sha256  {}\n    manifest {}{}\n",
            t.key(),
            t.files,
            t.bytes,
            intake.item,
            t.blake3,
            t.sha256,
            t.manifest.name,
            if evidence::blob_path(dir, &t.manifest.blake3).is_file() { " [stored]" } else { " [NOT in the blob store]" },
        ));
    }
    s
}

/// The device identifiers given, if any (SPEC §13.5).
fn device(
    p: &crate::cli::args::Provenance,
) -> Result<Option<caselog::format::provenance::Device>, CliError> {
    let given = [
        ("make", &p.device_make),
        ("model", &p.device_model),
        ("serial", &p.device_serial),
        ("imei", &p.imei),
        ("hostname", &p.hostname),
        ("mac", &p.mac),
    ];
    let mut out = Vec::new();
    for (k, v) in given {
        if let Some(v) = v {
            out.push((k.to_owned(), check_text(k, v, MAX_SHORT_TEXT)?));
        }
    }
    Ok((!out.is_empty()).then_some(caselog::format::provenance::Device(out)))
}

/// The item's place in the chain of copies, if given (SPEC §13.5).
fn lineage(
    p: &crate::cli::args::Provenance,
) -> Result<Option<caselog::format::provenance::Lineage>, CliError> {
    use caselog::format::provenance::{CopyRole, Lineage};
    let role = match (&p.copy_role, &p.derived_from) {
        (None, None) if p.tool.is_none() && p.method.is_none() && p.tool_version.is_none() => {
            return Ok(None)
        }
        (None, _) => return Err(CliError::input(
            "--derived-from, --tool, --tool-version and --method describe a copy: give --copy-role",
            "--copy-role image|working-copy|derived (or original, with none of them)",
        )),
        (Some(r), _) => CopyRole::from_name(r).ok_or_else(|| {
            CliError::input(
                format!("--copy-role {r:?} is not a copy role"),
                "use original, image, working-copy or derived",
            )
        })?,
    };
    let l = Lineage {
        role,
        derived_from: p.derived_from.clone(),
        tool: p.tool.clone(),
        tool_version: p.tool_version.clone(),
        method: p.method.clone(),
    };
    l.check().map_err(|e| {
        CliError::input(
            e.to_string(),
            "a copy gives --derived-from ITEM, --tool and --method; an original gives none of them",
        )
    })?;
    Ok(Some(l))
}
