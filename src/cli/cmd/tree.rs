//! `evidence add --tree`, `evidence verify --tree`, `evidence manifest`:
//! a directory (a seized drive's files) taken in as one item, re-verified
//! file by file, and handed to other tools (SPEC §13.8).

use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::globals::Globals;
use crate::cli::remote::Target;
use caselog::storage::keys::Signer;
use std::path::{Path, PathBuf};

use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::kinds::{Domain, EvidenceVerify, FileFixity};
use caselog::format::tree::{diff, digests, Manifest, Tree, TreeDiff};
use caselog::storage::{evidence, tree};
use caselog::Ledger;

use crate::cli::cmd::domain_append::append;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::{item_id, load_signer, target};
use crate::cli::output::{out, Progress};

/// `--tree DIR` must name a directory.
pub(crate) fn check_root(root: &Path) -> Result<(), CliError> {
    if !root.is_dir() {
        return Err(CliError::input(
            format!("{} is not a directory", root.display()),
            "give --tree the directory holding the files (e.g. a mounted drive)",
        ));
    }
    Ok(())
}

/// A tree hashed for an intake, its manifest stored.
pub(crate) struct Taken {
    pub(crate) tree: Tree,
    manifest: Manifest,
}

impl Taken {
    /// What `evidence add` prints about the tree.
    pub(crate) fn describe(&self) -> String {
        let t = &self.tree;
        let mut s = format!(
            "  tree {}  {} files, {} bytes\n    content listing blake3 {}\n                    sha256 {}\n    manifest {} (in the blob store)\n",
            t.key(), t.files, t.bytes, t.blake3, t.sha256, t.manifest.name
        );
        if !self.manifest.skipped.is_empty() {
            s.push_str(&format!(
                "    not hashed (listed in the manifest): {}\n",
                self.manifest
                    .skipped
                    .iter()
                    .map(|x| format!("{} ({})", x.path, x.what))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s
    }

    /// Blobs to send to a server: the manifest, and with `copy` every file.
    pub(crate) fn blobs(
        &self,
        dir: &Path,
        copy: bool,
    ) -> Vec<(PathBuf, caselog::Hash, caselog::Hash)> {
        let m = &self.tree.manifest;
        let mut v = vec![(evidence::blob_path(dir, &m.blake3), m.blake3, m.sha256)];
        if copy {
            v.extend(
                self.manifest
                    .files
                    .iter()
                    .map(|f| (evidence::blob_path(dir, &f.blake3), f.blake3, f.sha256)),
            );
        }
        v
    }
}

/// Walk and hash `root` (storing copies with `copy`), store its manifest in
/// the blob store of `dir`. Refuses an empty tree and a tree named like
/// one of the item's `files`.
pub(crate) fn take(
    root: &Path,
    dir: &Path,
    copy: bool,
    files: &[FileFixity],
) -> Result<Taken, CliError> {
    hash_tree(root, copy.then_some(dir), files)?.store(dir)
}

/// A tree walked and hashed, its manifest not stored yet (an import
/// hashes every tree in its check pass and stores the manifests only once
/// the whole file has passed).
pub(crate) struct Hashed {
    taken: Taken,
    bytes: Vec<u8>,
}

impl Hashed {
    /// The tree record the intake carries.
    pub(crate) fn tree(&self) -> &Tree {
        &self.taken.tree
    }

    /// Store the manifest in the blob store of `dir`.
    pub(crate) fn store(self, dir: &Path) -> Result<Taken, CliError> {
        tree::store_manifest(dir, &self.bytes).map_err(|e| {
            CliError::storage(
                format!("cannot store the tree manifest in {}: {e}", dir.display()),
                None,
            )
        })?;
        Ok(self.taken)
    }
}

/// Walk and hash `root` (storing file copies in `copy_to`'s blob store),
/// refusing an empty tree and a tree named like one of the item's `files`.
pub(crate) fn hash_tree(
    root: &Path,
    copy_to: Option<&Path>,
    files: &[FileFixity],
) -> Result<Hashed, CliError> {
    let manifest = scan(root, copy_to)?;
    if manifest.files.is_empty() {
        return Err(CliError::input(
            format!("{} holds no regular file", root.display()),
            "check the path (symbolic links are listed, never followed)",
        ));
    }
    let bytes = manifest.encode();
    let tree = manifest.tree(&bytes);
    if files.iter().any(|f| tree.names().contains(&f.name)) {
        return Err(CliError::input(
            format!(
                "a --file is named like the tree ({} or {})",
                tree.key(),
                tree.manifest_name()
            ),
            "rename the file or take the tree in as its own item",
        ));
    }
    Ok(Hashed {
        taken: Taken { tree, manifest },
        bytes,
    })
}

/// Walk `root` and hash every file in parallel, with a progress bar.
fn scan(root: &Path, copy_to: Option<&Path>) -> Result<Manifest, CliError> {
    hash_walked(&walk(root)?, copy_to)
}

fn walk_failed(e: tree::TreeError) -> CliError {
    CliError::input(
        e.to_string(),
        "check the directory and permissions; nothing was written",
    )
}

/// List `root` without following symbolic links.
fn walk(root: &Path) -> Result<tree::Walk, CliError> {
    tree::walk(root).map_err(walk_failed)
}

/// Hash every file of a walked tree in parallel, with a progress bar.
fn hash_walked(walked: &tree::Walk, copy_to: Option<&Path>) -> Result<Manifest, CliError> {
    let bar = Progress::bytes(
        &format!("hashing {} ({} files)", walked.name, walked.files.len()),
        walked.bytes(),
    );
    let m = tree::hash(walked, copy_to, &|n| bar.set(n)).map_err(walk_failed)?;
    bar.finish();
    Ok(m)
}

/// How `evidence verify --tree` records its comparison.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VerifyHow {
    /// Compare only; record nothing (no key needed).
    pub(crate) dry_run: bool,
    /// Record even a directory that shares no path with the item's tree.
    pub(crate) force: bool,
}

pub(crate) fn check_verify_tree(
    g: &Globals,
    item: &str,
    root: &Path,
    private: Vec<Disclosure>,
    how: VerifyHow,
) -> Result<Checked, CliError> {
    let dir = target(g)?;
    check_root(root)?;
    Ok(Box::new(EvidenceVerifyTreeCmd {
        private,
        item: item_id(item)?,
        root: root.to_owned(),
        signer: (!how.dry_run).then(|| load_signer(g)).transpose()?,
        dir,
        force: how.force,
    }))
}

/// `evidence verify ITEM DIR` (an item taken in as a tree), checked.
pub(crate) struct EvidenceVerifyTreeCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    /// None: --dry-run, nothing is recorded.
    pub(crate) signer: Option<Signer>,
    pub(crate) item: String,
    pub(crate) root: PathBuf,
    pub(crate) force: bool,
}

impl Run for EvidenceVerifyTreeCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_verify_tree(*self)
    }
}

pub(crate) fn run_verify_tree(cmd: EvidenceVerifyTreeCmd) -> Result<u8, CliError> {
    let EvidenceVerifyTreeCmd {
        private,
        dir,
        signer,
        item,
        root,
        force,
    } = cmd;
    let mut l = dir.open(signer.is_some())?;
    let (tree, then) = stored_manifest(&l, dir.dir(), &item)?;
    let body = |file: FileFixity, matches| {
        Domain::EvidenceVerify(EvidenceVerify {
            item: item.clone(),
            file,
            matches,
        })
    };
    let fixity = |size, (blake3, sha256)| FileFixity {
        name: tree.key(),
        size,
        blake3,
        sha256,
        media_type: None,
    };
    // Refuse (disposed item, not a member...) before hashing the tree.
    if let Some(signer) = &signer {
        let probe = body(fixity(tree.bytes, (tree.blake3, tree.sha256)), true);
        l.precheck(&Body::Domain(probe), signer)?;
    }
    let now = scan_checked(&root, &then, &item, force)?;
    let found = digests(&now.content_listing());
    let matches = found == (tree.blake3, tree.sha256);
    let d = diff(&then, &now);
    assert_eq!(
        matches,
        d.same_content(),
        "cli: listing digests disagree with the file comparison"
    );
    let size = now.files.iter().map(|f| f.size).sum();
    let at = match &signer {
        Some(signer) => {
            let recorded = body(fixity(size, found), matches);
            format!("seq {}", append(&mut l, recorded, signer, private)?.0)
        }
        None => "dry run, not recorded".to_owned(),
    };
    out(&verify_text(&at, &item, &tree, &d))?;
    Ok(if matches { exit::OK } else { exit::FAILED })
}

/// Walk `root`; unless `force`, refuse one that shares no file path with
/// the item's tree (a wrong directory would be recorded as a mismatch of
/// every file) before hashing anything.
fn scan_checked(
    root: &Path,
    then: &Manifest,
    item: &str,
    force: bool,
) -> Result<Manifest, CliError> {
    // One walk: checked, then hashed.
    let walked = walk(root)?;
    let shared = walked.files.iter().any(|f| {
        then.files
            .binary_search_by(|t| t.path.as_str().cmp(&f.rel))
            .is_ok()
    });
    if !force && !then.files.is_empty() && !shared {
        return Err(CliError::input(
            format!(
                "{} shares no file path with {item}'s tree {:?} ({} files): nothing recorded",
                root.display(),
                then.name,
                then.files.len()
            ),
            "give the directory that holds the tree's files (check with --dry-run), or add --force to record the comparison anyway",
        ));
    }
    hash_walked(&walked, None)
}

fn verify_text(at: &str, item: &str, tree: &Tree, d: &TreeDiff) -> String {
    let mut s = if d.same_content() {
        format!(
            "{at}: {item} tree {}: MATCH ({} files, {} bytes; every path, size, BLAKE3 and SHA-256 equal the intake's)\n",
            tree.key(), tree.files, tree.bytes
        )
    } else {
        format!(
            "{at}: {item} tree {}: MISMATCH{}: {} added, {} missing, {} changed\n",
            tree.key(),
            if at.starts_with("seq") {
                " recorded"
            } else {
                ""
            },
            d.added.len(),
            d.missing.len(),
            d.changed.len()
        )
    };
    for (what, paths) in [
        ("added", &d.added),
        ("missing", &d.missing),
        ("changed", &d.changed),
    ] {
        for p in paths {
            s.push_str(&format!("  {what:<8} {p}\n"));
        }
    }
    if !d.touched.is_empty() {
        s.push_str(&format!(
            "  {} file(s) with another modification time, content unchanged: {}\n",
            d.touched.len(),
            d.touched.join(", ")
        ));
    }
    s
}

/// The item's tree and its stored manifest, checked against the digests
/// its intake recorded (the manifest's own, and its content listing's).
fn stored_manifest(l: &Ledger, dir: &Path, item: &str) -> Result<(Tree, Manifest), CliError> {
    let tree = intake_tree(l, item)?;
    let m = &tree.manifest;
    let path = evidence::blob_path(dir, &m.blake3);
    let bytes = tree::read_manifest(dir, &m.blake3)
        .map_err(|e| CliError::storage(format!("cannot read {}: {e}", path.display()), None))?
        .ok_or_else(|| {
            CliError::input(
                format!(
                    "the manifest of {item} ({}) is not in this ledger's blob store",
                    m.name
                ),
                format!(
                    "restore {} from a backup of the ledger directory (BLAKE3 {})",
                    path.display(),
                    m.blake3
                ),
            )
        })?;
    let tampered = |why: String| CliError {
        code: exit::FAILED,
        msg: format!("the stored manifest of {item} {why} (EVIDENCE_MISMATCH)"),
        hint: Some(format!(
            "restore {} from a backup; `caselog verify --evidence` checks every stored copy",
            path.display()
        )),
    };
    if digests(&bytes) != (m.blake3, m.sha256) || bytes.len() as u64 != m.size {
        return Err(tampered(
            "no longer matches the digests its intake recorded".into(),
        ));
    }
    let manifest =
        Manifest::decode(&bytes).map_err(|e| tampered(format!("cannot be read: {e}")))?;
    if digests(&manifest.content_listing()) != (tree.blake3, tree.sha256) {
        return Err(tampered(
            "lists content other than its intake recorded".into(),
        ));
    }
    Ok((tree, manifest))
}

/// The `tree` of `item`'s intake.
fn intake_tree(l: &Ledger, item: &str) -> Result<Tree, CliError> {
    for (seq, raw) in l.item_records(item)? {
        if let Body::Domain(Domain::EvidenceIntake(i)) = caselog::ledger::decode(seq, &raw)?.1.body
        {
            return i.tree.map(|t| *t).ok_or_else(|| {
                CliError::input(
                    format!("{item} was taken in without --tree"),
                    "see `caselog evidence show`",
                )
            });
        }
    }
    Err(CliError::input(
        format!("no item {item}"),
        "see `caselog evidence list`",
    ))
}

pub(crate) fn check_manifest(
    g: &Globals,
    item: &str,
    format: &str,
    output: &Option<PathBuf>,
) -> Result<Checked, CliError> {
    if format == "cbor" && output.is_none() {
        return Err(CliError::input(
            "CBOR is not written to a terminal",
            "give -o FILE",
        ));
    }
    if let Some(p) = output {
        crate::cli::output::check_new_file(p)?;
    }
    Ok(Box::new(EvidenceManifestCmd {
        dir: target(g)?,
        item: item_id(item)?,
        format: format.to_owned(),
        output: output.clone(),
    }))
}

/// `evidence manifest ITEM`, checked.
pub(crate) struct EvidenceManifestCmd {
    pub(crate) dir: Target,
    pub(crate) item: String,
    pub(crate) format: String,
    pub(crate) output: Option<PathBuf>,
}

impl Run for EvidenceManifestCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_manifest(*self)
    }
}

pub(crate) fn run_manifest(cmd: EvidenceManifestCmd) -> Result<u8, CliError> {
    let EvidenceManifestCmd {
        dir,
        item,
        format,
        output,
    } = cmd;
    let l = dir.open(false)?;
    let (_, m) = stored_manifest(&l, dir.dir(), &item)?;
    let bytes = match format.as_str() {
        "hashdeep" => caselog::export::tree::hashdeep(&m, &item)
            .map_err(|e| CliError::input(e.to_string(), "use --format json or cbor"))?
            .into_bytes(),
        "json" => (serde_json::to_string_pretty(&caselog::export::tree::json(&m, &item))
            .expect("cli: JSON")
            + "\n")
            .into_bytes(),
        _ => m.encode(),
    };
    match output {
        Some(p) => {
            crate::cli::output::write_new(&p, &bytes, &caselog::format::disclosure::Reveal::None)?
        }
        None => out(std::str::from_utf8(&bytes).expect("cli: text formats are UTF-8"))?,
    }
    Ok(exit::OK)
}
