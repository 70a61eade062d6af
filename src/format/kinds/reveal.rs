//! `export.reveal` (SPEC §15.1): a local export that included private
//! values, recorded by the member who made it: what was exported, which
//! fields were revealed, why, and the SHA-256 of the file written.

use super::*;

/// `export.reveal`: private values left the ledger in an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportReveal {
    /// The export (`timeline csv`, `report`, `bundle`, ...).
    pub export: String,
    /// The `--reveal` patterns as given (1 to 256).
    pub fields: Vec<String>,
    /// Why (the purpose the member stated).
    pub purpose: String,
    /// The file's name.
    pub file: String,
    /// SHA-256 of the file written.
    pub sha256: [u8; 32],
}

impl ExportReveal {
    /// The body as a CBOR map (SPEC §15.1, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .text("export", &self.export)
            .put(
                "fields",
                Value::Array(self.fields.iter().map(|f| Value::Text(f.clone())).collect()),
            )
            .text("purpose", &self.purpose)
            .text("file", &self.file)
            .bytes("sha256", &self.sha256)
            .build()
    }
}

pub(super) fn read_reveal(v: Value) -> Result<Domain, SchemaError> {
    let w = "export.reveal body";
    let mut r = MapReader::new(w, v)?;
    let export = r.text_nonempty("export", MAX_SHORT_TEXT)?;
    let mut fields = Vec::new();
    match r.req("fields")? {
        Value::Array(a) if !a.is_empty() && a.len() <= MAX_LIST => {
            for v in a {
                match v {
                    Value::Text(s) if !s.is_empty() && s.len() <= MAX_SHORT_TEXT => fields.push(s),
                    _ => {
                        return Err(invalid(
                            "export.reveal body.fields",
                            "field paths or patterns (1-1024 bytes)",
                        ))
                    }
                }
            }
        }
        _ => {
            return Err(invalid(
                "export.reveal body.fields",
                "1 to 256 field paths or patterns",
            ))
        }
    }
    let purpose = r.text_nonempty("purpose", MAX_SHORT_TEXT)?;
    let file = r.text_nonempty("file", MAX_SHORT_TEXT)?;
    let sha256 = r.fixed::<32>("sha256")?;
    r.finish()?;
    Ok(Domain::ExportReveal(ExportReveal {
        export,
        fields,
        purpose,
        file,
        sha256,
    }))
}
