//! Directory trees as evidence: the tree manifest and its content digests
//! (SPEC §13.8).
//!
//! Owns: the manifest's bytes (one deterministic CBOR map listing every
//! regular file of a tree by relative path, with size, BLAKE3, SHA-256 and
//! modification time), the *content listing* the item's tree digests cover
//! (the same files without their times, so a faithful copy with new times
//! still matches), the `tree` map an intake carries, and the comparison of
//! two manifests (added, missing, changed, touched). No IO: walking and
//! hashing a directory is `storage::tree`.

use sha2::Digest as _;
use thiserror::Error;

use crate::format::cbor::{self, MapBuilder, MapReader, SchemaError, Value};
use crate::format::fixity::FileFixity;
use crate::format::hash::Hash;
use crate::format::limits::MAX_SHORT_TEXT;

/// The manifest's `type`.
pub const MANIFEST_TYPE: &str = "caselog-tree/v1";
/// Longest relative path, in bytes (Linux's `PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// Largest manifest accepted, in bytes (about six million files).
pub const MAX_MANIFEST: usize = 1 << 30;

/// One regular file of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// Path relative to the tree's root, `/`-separated (SPEC §13.8).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the content.
    pub blake3: Hash,
    /// SHA-256 of the content.
    pub sha256: Hash,
    /// Modification time, RFC 3339 in UTC (`2008-10-02T14:03:11.5Z`).
    pub mtime: String,
}

/// A directory entry that was not hashed (not a regular file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the tree's root.
    pub path: String,
    /// `symlink` (never followed) or `other` (device, socket, FIFO).
    pub what: &'static str,
}

/// A tree manifest (SPEC §13.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The tree root's own name (the last component of the path given).
    pub name: String,
    /// Regular files, strictly ascending by path bytes.
    pub files: Vec<TreeFile>,
    /// Entries not hashed, strictly ascending by path bytes.
    pub skipped: Vec<Skipped>,
}

/// Why manifest bytes were refused.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TreeError {
    /// Not deterministic CBOR of the subset (§2).
    #[error("tree manifest: {0}")]
    Cbor(#[from] cbor::DecodeError),
    /// Well-formed CBOR that breaks the manifest schema.
    #[error("tree manifest: {0}")]
    Schema(#[from] SchemaError),
}

/// The `tree` map of an `evidence.intake` (SPEC §13.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    /// The root's name, as in the manifest.
    pub name: String,
    /// Regular files in the manifest.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// BLAKE3 of the content listing.
    pub blake3: Hash,
    /// SHA-256 of the content listing.
    pub sha256: Hash,
    /// The manifest file itself (its size and digests).
    pub manifest: FileFixity,
}

impl Tree {
    /// The name under which an item's tree is re-verified: the root's
    /// name followed by `/` (never a file name, SPEC §13.8).
    pub fn key(&self) -> String {
        format!("{}/", self.name)
    }

    /// The manifest's file name: the root's name followed by `.tree.cbor`.
    pub fn manifest_name(&self) -> String {
        manifest_name(&self.name)
    }

    /// The item's file names the tree takes: [`Tree::key`] (its content
    /// listing) and [`Tree::manifest_name`] (the manifest itself).
    pub fn names(&self) -> [String; 2] {
        [self.key(), self.manifest_name()]
    }

    /// CBOR of the intake's `tree` map.
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("name", &self.name)
            .uint("files", self.files)
            .uint("bytes", self.bytes)
            .bytes("blake3", &self.blake3.0)
            .bytes("sha256", &self.sha256.0)
            .put("manifest", self.manifest.to_value())
            .build()
    }

    /// Read the intake's `tree` map.
    pub fn from_value(v: Value) -> Result<Tree, SchemaError> {
        let w = "evidence.intake body.tree";
        let mut r = MapReader::new(w, v)?;
        let t = Tree {
            name: r.text_nonempty("name", MAX_SHORT_TEXT)?,
            files: r.uint("files")?,
            bytes: r.uint("bytes")?,
            blake3: Hash(r.fixed::<32>("blake3")?),
            sha256: Hash(r.fixed::<32>("sha256")?),
            manifest: FileFixity::from_value(r.req("manifest")?)?,
        };
        r.finish()?;
        check_name(&t.name).map_err(|reason| invalid(format!("{w}.name"), reason))?;
        if t.manifest.name != t.manifest_name() {
            return Err(invalid(
                format!("{w}.manifest.name"),
                format!("must be {:?}", t.manifest_name()),
            ));
        }
        Ok(t)
    }
}

impl Manifest {
    /// Deterministic CBOR (§2) of the manifest.
    pub fn encode(&self) -> Vec<u8> {
        let files = self.files.iter().map(file_value).collect();
        let skipped: Vec<Value> = self
            .skipped
            .iter()
            .map(|s| {
                Value::Array(vec![
                    Value::Text(s.path.clone()),
                    Value::Text(s.what.into()),
                ])
            })
            .collect();
        let v = MapBuilder::new()
            .text("type", MANIFEST_TYPE)
            .text("name", &self.name)
            .put("files", Value::Array(files))
            .opt_array("skipped", skipped)
            .build();
        cbor::encode(&v)
    }

    /// Strictly decode manifest bytes: canonical CBOR, the schema, paths
    /// well formed and strictly ascending, times canonical RFC 3339.
    pub fn decode(bytes: &[u8]) -> Result<Manifest, TreeError> {
        let v = cbor::decode_limit(bytes, MAX_MANIFEST)?;
        let mut r = MapReader::new("tree manifest", v)?;
        if r.text("type")? != MANIFEST_TYPE {
            return Err(invalid("tree manifest.type", format!("must be {MANIFEST_TYPE:?}")).into());
        }
        let name = r.text_nonempty("name", MAX_SHORT_TEXT)?;
        check_name(&name).map_err(|e| invalid("tree manifest.name", e))?;
        let files = match r.req("files")? {
            Value::Array(a) => a
                .into_iter()
                .map(read_file)
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(invalid("tree manifest.files", "must be an array").into()),
        };
        let skipped = r
            .opt_array("skipped", usize::MAX)?
            .into_iter()
            .map(read_skipped)
            .collect::<Result<Vec<_>, _>>()?;
        r.finish()?;
        ascending(files.iter().map(|f| f.path.as_str()), "files")?;
        ascending(skipped.iter().map(|s| s.path.as_str()), "skipped")?;
        Ok(Manifest {
            name,
            files,
            skipped,
        })
    }

    /// The content listing: `[* [path, size, blake3, sha256]]` in manifest
    /// order, deterministic CBOR (SPEC §13.8). The item's tree digests are
    /// BLAKE3 and SHA-256 of these bytes.
    pub fn content_listing(&self) -> Vec<u8> {
        let rows = self
            .files
            .iter()
            .map(|f| {
                Value::Array(vec![
                    Value::Text(f.path.clone()),
                    Value::Uint(f.size),
                    Value::Bytes(f.blake3.0.to_vec()),
                    Value::Bytes(f.sha256.0.to_vec()),
                ])
            })
            .collect();
        cbor::encode(&Value::Array(rows))
    }

    /// The intake's `tree` map for this manifest, whose encoding is
    /// `manifest_bytes` (hashed here, BLAKE3 and SHA-256).
    pub fn tree(&self, manifest_bytes: &[u8]) -> Tree {
        let listing = self.content_listing();
        let (blake3, sha256) = digests(&listing);
        let (mb3, msha) = digests(manifest_bytes);
        Tree {
            name: self.name.clone(),
            files: self.files.len() as u64,
            bytes: self.files.iter().map(|f| f.size).sum(),
            blake3,
            sha256,
            manifest: FileFixity {
                name: manifest_name(&self.name),
                size: manifest_bytes.len() as u64,
                blake3: mb3,
                sha256: msha,
                media_type: Some("application/cbor".into()),
            },
        }
    }
}

fn manifest_name(root: &str) -> String {
    format!("{root}.tree.cbor")
}

/// BLAKE3 and SHA-256 of `bytes`.
pub fn digests(bytes: &[u8]) -> (Hash, Hash) {
    (
        Hash(*blake3::hash(bytes).as_bytes()),
        Hash(sha2::Sha256::digest(bytes).into()),
    )
}

fn file_value(f: &TreeFile) -> Value {
    Value::Array(vec![
        Value::Text(f.path.clone()),
        Value::Uint(f.size),
        Value::Bytes(f.blake3.0.to_vec()),
        Value::Bytes(f.sha256.0.to_vec()),
        Value::Text(f.mtime.clone()),
    ])
}

/// The elements of a manifest row that must be an array of `N` values.
fn row<const N: usize>(v: Value, w: &str, shape: &str) -> Result<[Value; N], SchemaError> {
    match v {
        Value::Array(a) => <[Value; N]>::try_from(a).map_err(|_| invalid(w, shape)),
        _ => Err(invalid(w, shape)),
    }
}

fn read_file(v: Value) -> Result<TreeFile, SchemaError> {
    let (w, shape) = (
        "tree manifest.files",
        "each file must be [path, size, blake3, sha256, mtime]",
    );
    let [Value::Text(path), Value::Uint(size), Value::Bytes(b3), Value::Bytes(sha), Value::Text(mtime)] =
        row(v, w, shape)?
    else {
        return Err(invalid(w, shape));
    };
    check_path(&path).map_err(|e| invalid(w, format!("{path:?}: {e}")))?;
    check_mtime(&mtime).map_err(|e| invalid(w, format!("{path:?}: {e}")))?;
    let hash = |b: Vec<u8>| Hash::from_slice(&b).ok_or_else(|| invalid(w, "digests are 32 bytes"));
    Ok(TreeFile {
        size,
        blake3: hash(b3)?,
        sha256: hash(sha)?,
        mtime,
        path,
    })
}

fn read_skipped(v: Value) -> Result<Skipped, SchemaError> {
    let (w, shape) = (
        "tree manifest.skipped",
        "each entry must be [path, \"symlink\" / \"other\"]",
    );
    let [Value::Text(path), Value::Text(what)] = row(v, w, shape)? else {
        return Err(invalid(w, shape));
    };
    check_path(&path).map_err(|e| invalid(w, format!("{path:?}: {e}")))?;
    let what = match what.as_str() {
        "symlink" => "symlink",
        "other" => "other",
        _ => return Err(invalid(w, "the kind is \"symlink\" or \"other\"")),
    };
    Ok(Skipped { path, what })
}

fn ascending<'a>(paths: impl Iterator<Item = &'a str>, key: &str) -> Result<(), SchemaError> {
    let mut last: Option<&str> = None;
    for p in paths {
        if last.is_some_and(|l| l.as_bytes() >= p.as_bytes()) {
            return Err(invalid(
                format!("tree manifest.{key}"),
                format!("paths must be strictly ascending; {p:?} is out of order or repeated"),
            ));
        }
        last = Some(p);
    }
    Ok(())
}

/// A relative path: `/`-separated components, none empty, `.` or `..`,
/// no NUL, at most [`MAX_PATH`] bytes.
pub fn check_path(p: &str) -> Result<(), String> {
    if p.len() > MAX_PATH {
        return Err(format!("longer than {MAX_PATH} bytes"));
    }
    p.split('/').try_for_each(check_component)
}

/// One path component (also the tree's name): non-empty, not `.` or
/// `..`, no `/` or NUL.
pub fn check_component(c: &str) -> Result<(), String> {
    if c.is_empty() || c == "." || c == ".." || c.contains(['/', '\0']) {
        return Err("a path component is empty, \".\", \"..\" or holds NUL".into());
    }
    Ok(())
}

/// A tree's own name (the root directory's): a path component (see
/// [`check_component`]) with no control character, for it is printed in
/// manifests, certifications and commands a person runs (SPEC §13.8).
/// File paths inside the tree keep whatever bytes the seized drive has.
pub fn check_name(c: &str) -> Result<(), String> {
    check_component(c)?;
    if c.chars().any(char::is_control) {
        return Err("a tree's name holds a control character".into());
    }
    Ok(())
}

/// A modification time as the manifest writes it (see [`format_mtime`]).
fn check_mtime(t: &str) -> Result<(), String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(t)
        .map_err(|_| "mtime is not an RFC 3339 time".to_owned())?;
    let utc = parsed.with_timezone(&chrono::Utc);
    if format_mtime(utc.timestamp(), utc.timestamp_subsec_nanos()).as_deref() != Some(t) {
        return Err("mtime is not in canonical form (UTC, Z, no trailing zero digits)".into());
    }
    Ok(())
}

/// RFC 3339 in UTC with `Z`, seconds, and 3, 6 or 9 fraction digits when
/// the nanoseconds need them (SPEC §13.8); `None` out of chrono's range.
pub fn format_mtime(secs: i64, nanos: u32) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

fn invalid(what: impl Into<String>, reason: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        what: what.into(),
        reason: reason.into(),
    }
}

/// How a tree as found now differs from its manifest (paths, ascending).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// In the tree now, not in the manifest.
    pub added: Vec<String>,
    /// In the manifest, not in the tree now.
    pub missing: Vec<String>,
    /// In both, with another size or digest.
    pub changed: Vec<String>,
    /// Same content, another modification time (not a content change).
    pub touched: Vec<String>,
}

impl TreeDiff {
    /// No file added, missing or changed: the content listings are equal.
    pub fn same_content(&self) -> bool {
        self.added.is_empty() && self.missing.is_empty() && self.changed.is_empty()
    }
}

/// Compare a manifest (`then`) with one made now, in one merge pass over
/// the two ascending file lists.
pub fn diff(then: &Manifest, now: &Manifest) -> TreeDiff {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let mut d = TreeDiff::default();
    let (mut a, mut b) = (then.files.iter().peekable(), now.files.iter().peekable());
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => return d,
            (Some(_), None) => Less,
            (None, Some(_)) => Greater,
            (Some(x), Some(y)) => x.path.as_bytes().cmp(y.path.as_bytes()),
        };
        match order {
            Less => d.missing.push(a.next().expect("tree: peeked").path.clone()),
            Greater => d.added.push(b.next().expect("tree: peeked").path.clone()),
            Equal => {
                let (x, y) = (
                    a.next().expect("tree: peeked"),
                    b.next().expect("tree: peeked"),
                );
                if (x.size, x.blake3, x.sha256) != (y.size, y.blake3, y.sha256) {
                    d.changed.push(x.path.clone());
                } else if x.mtime != y.mtime {
                    d.touched.push(x.path.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, fill: u8) -> TreeFile {
        TreeFile {
            path: path.into(),
            size: fill as u64,
            blake3: Hash([fill; 32]),
            sha256: Hash([fill ^ 0xff; 32]),
            mtime: format_mtime(1_222_956_191, 500_000_000).unwrap(),
        }
    }

    fn sample() -> Manifest {
        Manifest {
            name: "drive".into(),
            files: vec![file("a.txt", 1), file("dir/b", 2), file("dir/c d", 3)],
            skipped: vec![Skipped {
                path: "link".into(),
                what: "symlink",
            }],
        }
    }

    #[test]
    fn round_trip_and_known_listing() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
        assert_eq!(m.files[0].mtime, "2008-10-02T14:03:11.500Z");
        let t = m.tree(&bytes);
        assert_eq!((t.files, t.bytes, t.key()), (3, 6, "drive/".to_owned()));
        // Times are not in the listing: touching a file keeps the digests.
        let mut touched = m.clone();
        touched.files[1].mtime = format_mtime(0, 0).unwrap();
        assert_eq!(touched.content_listing(), m.content_listing());
        assert_ne!(touched.encode(), bytes);
        assert_eq!(Tree::from_value(t.to_value()).unwrap(), t);
    }

    #[test]
    fn refuses_what_is_not_one_encoding() {
        let refuse = |m: Manifest| Manifest::decode(&m.encode()).unwrap_err().to_string();
        let mut m = sample();
        m.files.swap(0, 1);
        assert!(refuse(m).contains("strictly ascending"));
        let mut m = sample();
        m.files[1].path = m.files[0].path.clone();
        assert!(refuse(m).contains("strictly ascending"));
        for bad in ["", "/abs", "a//b", "a/./b", "../up", "a/", "n\0ul"] {
            let mut m = sample();
            m.files[0].path = bad.into();
            assert!(refuse(m).contains("component"), "{bad:?}");
        }
        for bad in [
            "2008-10-02T14:03:11.50Z",
            "2008-10-02T16:03:11+02:00",
            "2008-10-02",
        ] {
            let mut m = sample();
            m.files[0].mtime = bad.into();
            assert!(refuse(m).contains("mtime"), "{bad:?}");
        }
        let mut bytes = sample().encode();
        bytes.push(0);
        assert!(Manifest::decode(&bytes).is_err());
    }

    #[test]
    fn diff_names_every_change() {
        let then = sample();
        let mut now = sample();
        now.files.remove(0); // a.txt missing
        now.files[0].mtime = format_mtime(0, 0).unwrap(); // dir/b touched
        now.files[1].sha256.0[0] ^= 1; // dir/c d changed
        now.files.push(file("z-new", 9));
        let d = diff(&then, &now);
        assert_eq!(d.missing, ["a.txt"]);
        assert_eq!(d.touched, ["dir/b"]);
        assert_eq!(d.changed, ["dir/c d"]);
        assert_eq!(d.added, ["z-new"]);
        assert!(!d.same_content());
        assert!(diff(&then, &then).same_content());
    }
}
