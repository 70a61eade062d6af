//! `ledger.check` (SPEC §13.10): the result of `caselog fsck`, the
//! ledger's self-check, as a signed entry: the size and root it
//! re-derived (which every verifier recomputes), how many stored evidence
//! copies it re-hashed, and the codes of whatever it found wrong.

use super::*;

/// Most problem codes one check lists (each SPEC §9 code at most once).
pub const MAX_CHECK_PROBLEMS: usize = 64;

/// `ledger.check`: a self-check of every entry before this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerCheck {
    /// Entries checked: every one before this entry (= its seq).
    pub size: u64,
    /// The Merkle tree hash (§7) of those entries, as re-derived.
    pub root: Hash,
    /// Stored evidence copies re-hashed.
    pub copies: u64,
    /// Their bytes.
    pub copy_bytes: u64,
    /// The SPEC §9 codes of the problems found, sorted, each once; empty:
    /// none.
    pub problems: Vec<String>,
    /// The checking program and its version.
    pub tool: String,
}

impl LedgerCheck {
    /// The body as a CBOR map (SPEC §13.10, `entry.cddl`).
    pub fn to_value(&self) -> Value {
        MapBuilder::new()
            .uint("size", self.size)
            .bytes("root", &self.root.0)
            .uint("copies", self.copies)
            .uint("copy_bytes", self.copy_bytes)
            .put(
                "problems",
                Value::Array(
                    self.problems
                        .iter()
                        .map(|p| Value::Text(p.clone()))
                        .collect(),
                ),
            )
            .text("tool", &self.tool)
            .build()
    }
}

pub(super) fn read_check(v: Value) -> Result<Domain, SchemaError> {
    let w = "ledger.check body";
    let mut r = MapReader::new(w, v)?;
    let size = r.uint("size")?;
    let root = Hash(r.fixed::<32>("root")?);
    let copies = r.uint("copies")?;
    let copy_bytes = r.uint("copy_bytes")?;
    let problems: Vec<String> = match r.req("problems")? {
        Value::Array(a) if a.len() <= MAX_CHECK_PROBLEMS => a
            .into_iter()
            .map(|v| match v {
                Value::Text(t) if is_code(&t) => Ok(t),
                _ => Err(invalid("ledger.check body.problems", "SPEC §9 codes")),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "ledger.check body.problems",
                "an array of at most 64 codes",
            ))
        }
    };
    if problems.windows(2).any(|w| w[0] >= w[1]) {
        return Err(invalid(
            "ledger.check body.problems",
            "sorted, each code once",
        ));
    }
    let tool = r.text_nonempty("tool", MAX_SHORT_TEXT)?;
    r.finish()?;
    Ok(Domain::LedgerCheck(LedgerCheck {
        size,
        root,
        copies,
        copy_bytes,
        problems,
        tool,
    }))
}

/// A SPEC §9 code's shape: upper-case ASCII words joined by single `_`
/// (`[A-Z]+(_[A-Z]+)*`), at most 64 bytes.
fn is_code(s: &str) -> bool {
    s.len() <= 64
        && s.split('_')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase()))
}
