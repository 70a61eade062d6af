//! One file's fixity record (SPEC §13.5): name, size, BLAKE3 and SHA-256.
//!
//! Owns: the `file` map, shared by evidence intake and re-hash entries
//! (`kinds`) and by directory-tree manifests (`tree`), which is why it
//! lives beside both rather than in either.

use crate::format::cbor::{MapBuilder, MapReader, SchemaError, Value};
use crate::format::hash::Hash;
use crate::format::limits::MAX_SHORT_TEXT;

/// One file of an evidence item, with its fixity digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFixity {
    /// File name as taken in.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 digest.
    pub blake3: Hash,
    /// SHA-256 digest (what other forensic tools and courts compare).
    pub sha256: Hash,
    /// Media type, e.g. `image/png`.
    pub media_type: Option<String>,
}

impl FileFixity {
    /// CBOR of the `file` map.
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("name", &self.name)
            .uint("size", self.size)
            .bytes("blake3", &self.blake3.0)
            .bytes("sha256", &self.sha256.0)
            .opt_text("media_type", self.media_type.as_deref())
            .build()
    }
    /// Read a `file` map.
    pub fn from_value(v: Value) -> Result<FileFixity, SchemaError> {
        let mut r = MapReader::new("file", v)?;
        let f = FileFixity {
            name: r.text_nonempty("name", MAX_SHORT_TEXT)?,
            size: r.uint("size")?,
            blake3: Hash(r.fixed::<32>("blake3")?),
            sha256: Hash(r.fixed::<32>("sha256")?),
            media_type: r.opt_text("media_type", 255)?,
        };
        r.finish()?;
        Ok(f)
    }
}
