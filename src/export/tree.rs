//! A tree manifest for other tools (SPEC §13.8): hashdeep's known-file
//! format, so an examiner can audit a copy of a seized drive with the tool
//! they already use (`hashdeep -r -l -o f -c sha256 -a -k FILE DIR`), and JSON.
//!
//! Owns: those two renderings. The manifest's own bytes are
//! `format::tree`.

use serde_json::json;
use thiserror::Error;

use crate::format::tree::Manifest;

/// Why a manifest cannot be written in hashdeep's format.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HashdeepError {
    /// hashdeep's format is one file per line: a name with a line break
    /// cannot be written.
    #[error("the path {path:?} holds a line break, which hashdeep's format cannot carry")]
    LineBreak {
        /// The path.
        path: String,
    },
}

/// hashdeep 4.4's "HASHDEEP-1.0" known-file format with the `size` and
/// `sha256` columns, file names `<tree name>/<path>` (what `hashdeep -r
/// -l` prints when run beside the tree). Lines starting `##` are comments
/// to hashdeep.
pub fn hashdeep(m: &Manifest, item: &str) -> Result<String, HashdeepError> {
    // The tree's and the item's names cannot hold a control character
    // (format::tree::check_name, SPEC §13.8, §13.2), so no line break can
    // reach these comment lines; the command quotes them for a POSIX shell.
    let name = shell_quote(&m.name);
    let mut s = format!(
        "%%%% HASHDEEP-1.0\n%%%% size,sha256,filename\n\
         ## caselog evidence manifest of item {item}, tree {name}: {} files\n\
         ## audit a copy, from the directory holding {name}:\n\
         ##   hashdeep -r -l -o f -c sha256 -a -k THIS-FILE {name}\n##\n",
        m.files.len()
    );
    for f in &m.files {
        if f.path.contains(['\n', '\r']) {
            return Err(HashdeepError::LineBreak {
                path: f.path.clone(),
            });
        }
        s.push_str(&format!(
            "{},{},{}/{}\n",
            f.size,
            f.sha256.to_hex(),
            m.name,
            f.path
        ));
    }
    Ok(s)
}

/// The manifest as one JSON object (digests in lowercase hex).
pub fn json(m: &Manifest, item: &str) -> serde_json::Value {
    json!({
        "type": crate::format::tree::MANIFEST_TYPE,
        "item": item,
        "name": m.name,
        "files": m.files.iter().map(|f| json!({
            "path": f.path, "size": f.size, "blake3": f.blake3.to_hex(),
            "sha256": f.sha256.to_hex(), "mtime": f.mtime,
        })).collect::<Vec<_>>(),
        "skipped": m.skipped.iter().map(|s| json!({"path": s.path, "type": s.what})).collect::<Vec<_>>(),
    })
}

/// `s` as one word for a POSIX shell: as is when it holds only characters
/// no shell treats specially, else in single quotes (each `'` written as
/// `'\''`).
pub fn shell_quote(s: &str) -> String {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_./-+:,@%=".contains(&b);
    if !s.is_empty() && s.bytes().all(plain) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_quoting_keeps_every_name_one_word() {
        assert_eq!(shell_quote("drive_E-01.img"), "drive_E-01.img");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("My Drive"), "'My Drive'");
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_quote("x;y`z`"), "'x;y`z`'");
    }
}
