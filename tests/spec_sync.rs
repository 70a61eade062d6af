//! The written contract and the code agree: every verification code is in
//! SPEC.md's table and in the JSON Schema, and nothing else is.

use std::collections::BTreeSet;

use caselog::verify::Code;

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn codes_match_spec_and_schema() {
    let ours: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(ours.len(), Code::ALL.len());

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/verify-report.schema.json")).unwrap(),
    )
    .unwrap();
    let in_schema: BTreeSet<String> = schema["properties"]["problems"]["items"]["properties"]
        ["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(in_schema, ours, "schemas/verify-report.schema.json");

    let spec = std::fs::read_to_string(root().join("schemas/SPEC.md")).unwrap();
    let sec = &spec[spec.find("## 9. Verification codes").unwrap()..spec.find("## 10.").unwrap()];
    let in_spec: BTreeSet<String> = sec
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(in_spec, ours, "SPEC.md §9");
}

#[test]
fn kinds_match_cddl() {
    let cddl = std::fs::read_to_string(root().join("schemas/entry.cddl")).unwrap();
    let line = cddl.lines().find(|l| l.starts_with("kind = ")).unwrap();
    let in_cddl: BTreeSet<&str> = line["kind = ".len()..]
        .split(" / ")
        .map(|k| k.trim().trim_matches('"'))
        .collect();
    let ours: BTreeSet<&str> = caselog::entry::KINDS.into_iter().collect();
    assert_eq!(in_cddl, ours);
}
