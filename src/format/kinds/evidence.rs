//! Evidence (SPEC §13.5, §13.8): `evidence.intake` with its fixity
//! digests, `evidence.attach` (further files of an item),
//! `evidence.verify`, `evidence.dispose` and `evidence.return`: the
//! bodies, their CBOR maps and strict readers.

use super::*;

/// `evidence.intake`: an item taken into evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceIntake {
    /// Item id, unique in the ledger.
    pub item: String,
    /// What it is.
    pub description: String,
    /// Who collected it.
    pub collected_by: String,
    /// When collected (EDTF).
    pub collected: Edtf,
    /// The IANA time zone the date is local to, as given (SPEC §13.1).
    pub zone: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// Seal number.
    pub seal: Option<String>,
    /// Files with fixity digests.
    pub files: Vec<FileFixity>,
    /// The device it is or was read from (SPEC §13.5).
    pub device: Option<crate::format::provenance::Device>,
    /// Its place in the chain of copies (SPEC §13.5).
    pub lineage: Option<Box<crate::format::provenance::Lineage>>,
    /// A directory tree taken in as a whole (SPEC §13.8).
    pub tree: Option<Box<crate::format::tree::Tree>>,
}

/// `evidence.attach`: further files of an item taken in earlier (a lab's
/// report, an image made of it), with their fixity digests; they become
/// files of the item (SPEC §13.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceAttach {
    /// Item id.
    pub item: String,
    /// What the files are.
    pub description: String,
    /// The files, at least one, named unlike every file of the item.
    pub files: Vec<FileFixity>,
}

/// `evidence.verify`: a later re-hash of one of an item's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceVerify {
    /// Item id.
    pub item: String,
    /// Digests measured now.
    pub file: FileFixity,
    /// `true` when they equal the intake's digests for that file name.
    pub matches: bool,
}

/// `evidence.dispose` or `evidence.return`: the item leaves custody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceClose {
    /// Item id.
    pub item: String,
    /// Destroyed how / returned to whom.
    pub detail: String,
    /// Why.
    pub reason: String,
}

/// One digest an intake records, as every export shows it (SPEC §13.5,
/// §13.8): a file, a tree's content listing, or a tree's manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestRow {
    /// The name the intake gives it (a tree's listing: `NAME/`).
    pub name: String,
    /// Bytes (a listing: the total of the tree's files).
    pub size: u64,
    /// SHA-256.
    pub sha256: Hash,
    /// BLAKE3.
    pub blake3: Hash,
    /// What the digests are of.
    pub what: DigestOf,
}

/// What a [`DigestRow`]'s digests are of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestOf {
    /// A file, byte for byte.
    File,
    /// A tree's content listing (path, size and both digests of each of
    /// `files` files), not of any one file.
    Listing {
        /// The tree's files.
        files: u64,
    },
    /// A tree's manifest file (each file's path, size, digests, mtime).
    Manifest,
}

impl DigestOf {
    /// How a table describes the row.
    pub fn describe(&self) -> String {
        match self {
            DigestOf::File => "file".into(),
            DigestOf::Listing { files } => {
                format!("tree: the content listing of its {files} file(s) (path, size, BLAKE3, SHA-256 of each)")
            }
            DigestOf::Manifest => {
                "tree manifest: every file's path, size, digests and modification time".into()
            }
        }
    }
}

impl EvidenceIntake {
    /// Every digest the intake records: its files, then, for a tree, its
    /// content listing and its manifest.
    pub fn digest_rows(&self) -> Vec<DigestRow> {
        let row = |f: &FileFixity, what| DigestRow {
            name: f.name.clone(),
            size: f.size,
            sha256: f.sha256,
            blake3: f.blake3,
            what,
        };
        let mut rows: Vec<DigestRow> = self.files.iter().map(|f| row(f, DigestOf::File)).collect();
        if let Some(t) = &self.tree {
            rows.push(DigestRow {
                name: t.key(),
                size: t.bytes,
                sha256: t.sha256,
                blake3: t.blake3,
                what: DigestOf::Listing { files: t.files },
            });
            rows.push(row(&t.manifest, DigestOf::Manifest));
        }
        rows
    }

    /// Files taken in: the files given one by one plus a tree's files.
    pub fn file_count(&self) -> u64 {
        self.files.len() as u64 + self.tree.as_ref().map_or(0, |t| t.files)
    }

    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        let m = MapBuilder::new()
            .text("item", &self.item)
            .text("description", &self.description)
            .text("collected_by", &self.collected_by)
            .text("collected", self.collected.as_str())
            .opt_text("zone", self.zone.as_deref())
            .opt_text("location", self.location.as_deref())
            .opt_text("seal", self.seal.as_deref())
            .opt_array(
                "files",
                self.files.iter().map(FileFixity::to_value).collect(),
            );
        let m = match &self.device {
            Some(d) => m.put("device", d.to_value()),
            None => m,
        };
        let m = match &self.lineage {
            Some(l) => m.put("lineage", l.to_value()),
            None => m,
        };
        let m = match &self.tree {
            Some(t) => m.put("tree", t.to_value()),
            None => m,
        };
        m.build()
    }
}

impl EvidenceAttach {
    /// The body as a CBOR map (SPEC §13.5, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("item", &self.item)
            .text("description", &self.description)
            .put(
                "files",
                Value::Array(self.files.iter().map(FileFixity::to_value).collect()),
            )
            .build()
    }

    /// Its digests, as every export shows them.
    pub fn digest_rows(&self) -> Vec<DigestRow> {
        self.files
            .iter()
            .map(|f| DigestRow {
                name: f.name.clone(),
                size: f.size,
                sha256: f.sha256,
                blake3: f.blake3,
                what: DigestOf::File,
            })
            .collect()
    }
}

impl EvidenceVerify {
    /// The body as a CBOR map (SPEC §13, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("item", &self.item)
            .put("file", self.file.to_value())
            .put("matches", Value::Bool(self.matches))
            .build()
    }
}

impl EvidenceClose {
    /// The body as a CBOR map; `detail_key` is `method` for a disposal and
    /// `to` for a return (SPEC §13).
    pub fn to_value(&self, detail_key: &str) -> Value {
        MapBuilder::new()
            .text("item", &self.item)
            .text(detail_key, &self.detail)
            .text("reason", &self.reason)
            .build()
    }
}

pub(super) fn read_intake(v: Value) -> Result<Domain, SchemaError> {
    let w = "evidence.intake body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let description = r.text_nonempty("description", MAX_SHORT_TEXT)?;
    let collected_by = r.text_nonempty("collected_by", MAX_SHORT_TEXT)?;
    let collected = edtf(&mut r, "collected", w)?;
    let zone = zone(&mut r, w)?;
    let location = r.opt_text("location", MAX_SHORT_TEXT)?;
    let seal = r.opt_text("seal", MAX_SHORT_TEXT)?;
    let files: Vec<FileFixity> = r
        .opt_array("files", MAX_LIST)?
        .into_iter()
        .map(FileFixity::from_value)
        .collect::<Result<_, _>>()?;
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "evidence.intake body.files",
            "file names must be unique within an item",
        ));
    }
    let device = r
        .opt_map("device")?
        .map(crate::format::provenance::Device::from_value)
        .transpose()?;
    let lineage = r
        .opt_map("lineage")?
        .map(crate::format::provenance::Lineage::from_value)
        .transpose()?
        .map(Box::new);
    let tree = r
        .opt_map("tree")?
        .map(crate::format::tree::Tree::from_value)
        .transpose()?
        .map(Box::new);
    r.finish()?;
    // The tree takes two of the item's file names (SPEC §13.8).
    if let Some(t) = &tree {
        if files.iter().any(|f| t.names().contains(&f.name)) {
            return Err(invalid(
                "evidence.intake body.files",
                "a file is named like the tree (\"<name>/\" or \"<name>.tree.cbor\")",
            ));
        }
    }
    Ok(Domain::EvidenceIntake(EvidenceIntake {
        item,
        description,
        collected_by,
        collected,
        zone,
        location,
        seal,
        files,
        device,
        lineage,
        tree,
    }))
}

pub(super) fn read_attach(v: Value) -> Result<Domain, SchemaError> {
    let w = "evidence.attach body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let description = r.text_nonempty("description", MAX_SHORT_TEXT)?;
    let files: Vec<FileFixity> = match r.req("files")? {
        Value::Array(a) if !a.is_empty() && a.len() <= MAX_LIST => a
            .into_iter()
            .map(FileFixity::from_value)
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "evidence.attach body.files",
                "an array of 1 to 256 files",
            ))
        }
    };
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "evidence.attach body.files",
            "file names must be unique within an item",
        ));
    }
    r.finish()?;
    Ok(Domain::EvidenceAttach(EvidenceAttach {
        item,
        description,
        files,
    }))
}

pub(super) fn read_verify(v: Value) -> Result<Domain, SchemaError> {
    let w = "evidence.verify body";
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let file = FileFixity::from_value(r.req("file")?)?;
    let matches = r.bool("matches")?;
    r.finish()?;
    Ok(Domain::EvidenceVerify(EvidenceVerify {
        item,
        file,
        matches,
    }))
}

pub(super) fn read_close(
    v: Value,
    w: &'static str,
    detail_key: &str,
) -> Result<EvidenceClose, SchemaError> {
    let mut r = MapReader::new(w, v)?;
    let item = item(&mut r, w)?;
    let detail = r.text_nonempty(detail_key, MAX_SHORT_TEXT)?;
    let reason = r.text_nonempty("reason", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(EvidenceClose {
        item,
        detail,
        reason,
    })
}

pub(super) fn read_dispose(v: Value) -> Result<Domain, SchemaError> {
    read_close(v, "evidence.dispose body", "method").map(Domain::EvidenceDispose)
}

pub(super) fn read_return(v: Value) -> Result<Domain, SchemaError> {
    read_close(v, "evidence.return body", "to").map(Domain::EvidenceReturn)
}
