//! One line of an import (or of `append --body-json`): the JSON shape,
//! parsed into a body, its private fields and an intake's tree; and a
//! chunk of parsed lines turned into the items the ledger appends.

use std::collections::BTreeMap;
use std::path::PathBuf;

use caselog::format::cbor::Value;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::Note;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::kind::Kind;
use caselog::format::kinds::Domain;
use caselog::Signer;
use serde_json::Value as Json;

use crate::cli::cmd::tree::Taken;
use crate::cli::error::CliError;

/// A parsed line and its number (1-based).
pub(crate) type Line = (usize, Parsed);

/// Kinds an import may carry: membership and custody transfers stay
/// interactive; an intake may be imported, its files hashed by the import
/// from the directory its line's `tree` names (SPEC §13.8).
pub(crate) const IMPORTABLE: [Kind; 6] = [
    Kind::Note,
    Kind::Event,
    Kind::Notification,
    Kind::Action,
    Kind::Correction,
    Kind::EvidenceIntake,
];
/// Body keys whose JSON strings are lowercase hex byte strings.
const BYTE_KEYS: [&str; 4] = ["refs", "digest", "target", "ref_digest"];

pub(crate) fn to_value(key: Option<&str>, j: &Json) -> Result<Value, String> {
    let bytes_key = key.is_some_and(|k| BYTE_KEYS.contains(&k));
    Ok(match j {
        Json::String(s) if bytes_key => Value::Bytes(
            hex::decode(s).map_err(|_| format!("{} must be lowercase hex", key.unwrap_or("")))?,
        ),
        Json::String(s) => Value::Text(s.clone()),
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Uint(
            n.as_u64()
                .ok_or_else(|| format!("number {n} is not an unsigned integer"))?,
        ),
        Json::Array(a) => Value::Array(
            a.iter()
                .map(|x| to_value(key, x))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(m) => Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), to_value(Some(k), v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Json::Null => return Err("null is not allowed; leave the key out".into()),
    })
}

/// One parsed line.
pub(crate) struct Parsed {
    /// The entry's body.
    pub body: Body,
    /// Its private fields.
    pub private: Vec<Disclosure>,
    /// For an `evidence.intake`, the directory its `tree` key names: the
    /// import hashes it and puts the tree record in the body.
    pub tree: Option<PathBuf>,
}

/// One line → body, private fields and, for an intake, its tree.
pub(crate) fn parse_line(line: &str) -> Result<Parsed, String> {
    let j: Json = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(m) = &j else {
        return Err("a line must be a JSON object".into());
    };
    for k in m.keys() {
        if !["kind", "body", "private", "tree"].contains(&k.as_str()) {
            return Err(format!(
                "unknown key {k:?} (expected kind, body, private, tree)"
            ));
        }
    }
    let name = m
        .get("kind")
        .and_then(Json::as_str)
        .ok_or("missing \"kind\"")?;
    let Some(kind) = Kind::from_name(name).filter(|k| IMPORTABLE.contains(k)) else {
        let names: Vec<&str> = IMPORTABLE.iter().map(|k| k.name()).collect();
        return Err(format!(
            "kind {name:?} cannot be imported (importable: {})",
            names.join(", ")
        ));
    };
    let body_json = m.get("body").ok_or("missing \"body\"")?;
    let tree = parse_tree(kind, m.get("tree"), body_json)?;
    let body_v = to_value(None, body_json)?;
    let body = if kind == Kind::Note {
        let Value::Map(mut b) = body_v else {
            return Err("body must be an object".into());
        };
        let text = match b.remove("text") {
            Some(Value::Text(t))
                if !t.trim().is_empty() && t.len() <= MAX_NOTE_LEN && b.is_empty() =>
            {
                t
            }
            _ => return Err("a note body is {\"text\": \"...\"}".into()),
        };
        Body::Note(Note { text })
    } else {
        Body::Domain(
            Domain::from_value(kind, body_v)
                .expect("cli: importable kinds but note are domain kinds")
                .map_err(|e| e.to_string())?,
        )
    };
    let mut private = Vec::new();
    if let Some(p) = m.get("private") {
        let Json::Object(p) = p else {
            return Err("\"private\" must be an object of field: value".into());
        };
        for (k, v) in p {
            let Json::String(v) = v else {
                return Err(format!("private field {k:?} must be a string"));
            };
            private.push(Disclosure::new(k, Value::Text(v.clone())).map_err(|e| e.to_string())?);
        }
    }
    Ok(Parsed {
        body,
        private,
        tree,
    })
}

/// The `tree` key: a directory, on an `evidence.intake` line only. An
/// imported intake's files are hashed by the import, so its body may not
/// carry `files` or `tree` digests of its own.
fn parse_tree(kind: Kind, tree: Option<&Json>, body: &Json) -> Result<Option<PathBuf>, String> {
    if kind == Kind::EvidenceIntake {
        for k in ["files", "tree"] {
            if body.get(k).is_some() {
                return Err(format!(
                    "an imported intake's body has no {k:?}: name the directory to hash with \"tree\": \"DIR\" beside the body"
                ));
            }
        }
    }
    match tree {
        None => Ok(None),
        Some(_) if kind != Kind::EvidenceIntake => {
            Err("\"tree\" is only for an evidence.intake line".into())
        }
        Some(Json::String(d)) if !d.trim().is_empty() => Ok(Some(PathBuf::from(d))),
        Some(_) => Err("\"tree\" must be the path of a directory".into()),
    }
}

/// Put `tree` in an intake's body (the record `evidence add --tree`
/// writes).
pub(crate) fn with_tree(body: &mut Body, tree: &caselog::format::tree::Tree) {
    if let Body::Domain(Domain::EvidenceIntake(i)) = body {
        i.tree = Some(Box::new(tree.clone()));
    }
}

/// Put in each intake the tree the check pass hashed for its line (never
/// hashed twice: what was checked is what is signed).
pub(crate) fn attach_trees(
    mut chunk: Vec<Line>,
    trees: &BTreeMap<usize, Taken>,
) -> Result<Vec<Line>, CliError> {
    for (no, line) in chunk.iter_mut() {
        if line.tree.is_some() {
            let t = trees.get(no).ok_or_else(|| {
                CliError::input(
                    format!(
                        "the input changed after it was checked: line {no} names a tree it did not"
                    ),
                    "run the import again on an input that does not change",
                )
            })?;
            with_tree(&mut line.body, &t.tree);
        }
    }
    Ok(chunk)
}

/// What the ledger appends: a body, its signer, its private fields.
pub(crate) type Item<'a> = (Body, &'a Signer, Vec<Disclosure>);

/// Line numbers and ledger items of a parsed chunk.
pub(crate) fn split(chunk: Vec<Line>, signer: &Signer) -> (Vec<usize>, Vec<Item<'_>>) {
    chunk
        .into_iter()
        .map(|(no, p)| (no, (p.body, signer, p.private)))
        .unzip()
}
