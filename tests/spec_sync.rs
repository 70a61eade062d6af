//! The written contract and the code agree: every verification code is in
//! SPEC.md's table and in the JSON Schema, and nothing else is.

use std::collections::BTreeSet;

use caselog::audit::{Code, FindingCode};
use caselog::{Kind, Role};

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
    let codes = |from: &str, to: &str| -> BTreeSet<String> {
        let sec = &spec[spec.find(from).unwrap()..spec.find(to).unwrap()];
        sec.lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        codes("## 9. Verification codes", "### 9.3 Findings"),
        ours,
        "SPEC.md §9"
    );

    // SPEC §9.3: the findings, apart from the problems, in both.
    let found: BTreeSet<String> = FindingCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert!(
        found.is_disjoint(&ours),
        "a code both a problem and a finding"
    );
    assert_eq!(codes("### 9.3 Findings", "## 10."), found, "SPEC.md §9.3");
    let in_schema: BTreeSet<String> = schema["properties"]["findings"]["items"]["properties"]
        ["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        in_schema, found,
        "schemas/verify-report.schema.json findings"
    );
}

#[test]
fn kinds_match_cddl() {
    let cddl = std::fs::read_to_string(root().join("schemas/entry.cddl")).unwrap();
    let line = cddl.lines().find(|l| l.starts_with("kind = ")).unwrap();
    let in_cddl: BTreeSet<&str> = line["kind = ".len()..]
        .split(" / ")
        .map(|k| k.trim().trim_matches('"'))
        .collect();
    let ours: BTreeSet<&str> = Kind::ALL.into_iter().map(Kind::name).collect();
    assert_eq!(in_cddl, ours);
}

/// SPEC §5's table names every kind once, with exactly the roles the code's
/// table (`format::kind`) lets append it.
#[test]
fn kinds_and_roles_match_spec() {
    let spec = std::fs::read_to_string(root().join("schemas/SPEC.md")).unwrap();
    let sec = &spec[spec.find("## 5. Kinds and bodies").unwrap()..spec.find("## 6.").unwrap()];
    let mut seen = BTreeSet::new();
    for row in sec.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let who = cells.last().unwrap().trim_end_matches(" |");
        // The role column, before any parenthesised per-item rule.
        let who = who.split(" (").next().unwrap();
        let roles: BTreeSet<Role> = match who {
            w if w.starts_with("only at `seq` 0") => BTreeSet::new(),
            "any role" => Role::ALL.into_iter().collect(),
            "any role but external" => Role::ALL
                .into_iter()
                .filter(|r| *r != Role::External)
                .collect(),
            list => list
                .split(", ")
                .map(|n| Role::from_name(n).unwrap_or_else(|| panic!("SPEC §5: role {n:?}")))
                .collect(),
        };
        for name in cells[0].trim_start_matches("| ").split(", ") {
            let name = name.trim_matches('`');
            let kind = Kind::from_name(name).unwrap_or_else(|| panic!("SPEC §5: kind {name:?}"));
            let ours: BTreeSet<Role> = kind.roles().iter().copied().collect();
            assert_eq!(roles, ours, "SPEC §5 roles of {name}");
            assert!(seen.insert(kind), "SPEC §5 lists {name} twice");
        }
    }
    assert_eq!(seen, Kind::ALL.into_iter().collect(), "SPEC §5 kinds");
}

/// SPEC §8's table names exactly the column families and `meta` rows of
/// `storage::layout`, and the prose names its two files.
#[test]
fn storage_layout_matches_spec() {
    use caselog::storage::layout as l;
    let spec = std::fs::read_to_string(root().join("schemas/SPEC.md")).unwrap();
    let sec = &spec[spec.find("## 8. Storage layout").unwrap()..spec.find("## 9.").unwrap()];
    let rows: Vec<&str> = sec
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .collect();
    let cfs: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.strip_prefix("| `"))
        .filter_map(|r| r.split('`').next())
        .collect();
    assert_eq!(
        cfs,
        l::ALL_CFS.into_iter().collect(),
        "SPEC §8 column families"
    );
    // The key column of the `meta` rows: `"format"`, `"member/" || key ...`.
    let meta_keys: BTreeSet<String> = rows
        .iter()
        .skip_while(|r| !r.starts_with("| `meta`"))
        .filter_map(|r| r.split('|').nth(2))
        .filter_map(|k| k.trim().strip_prefix("`\""))
        .map(|k| k.split('"').next().unwrap().to_owned())
        .collect();
    let ours: BTreeSet<String> = l::META_FIXED
        .iter()
        .chain([&l::META_MEMBER_PREFIX, &l::META_ITEM_PREFIX])
        .map(|k| String::from_utf8(k.to_vec()).unwrap())
        .collect();
    assert_eq!(meta_keys, ours, "SPEC §8 meta rows");
    for (prefix, name) in [(l::INDEX_LEAF_PREFIX, "L"), (l::INDEX_ITEM_PREFIX, "I")] {
        assert_eq!(prefix, name.as_bytes()[0]);
        let cell = format!("`\"{name}\"` (0x{prefix:02x})");
        assert!(sec.contains(&cell), "SPEC §8 lacks {cell}");
    }
    for file in [l::LOCK_FILE, l::GATE_FILE] {
        assert!(sec.contains(&format!("`{file}`")), "SPEC §8 lacks {file}");
    }
}

mod common;

/// The worked example in SPEC.md §16 (a stranger's first check of their
/// own code, without the repository's vectors) is computed here from the
/// golden fixture and must appear in the SPEC verbatim.
/// `CASELOG_PRINT_SPEC_EXAMPLE=1` prints it, to paste after a format change.
#[test]
fn spec_worked_example_is_true() {
    use caselog::format::entry::signing_message;
    use caselog::tlog::checkpoint::Checkpoint;
    use caselog::{HashAlg, Record, Seq};
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), HashAlg::Sha256);
    let raw = l.record_bytes(Seq(0)).unwrap().unwrap();
    let rec = Record::decode(&raw).unwrap();
    let wrap = |h: String| {
        h.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let note = l.checkpoint(&common::authority()).unwrap().to_text();
    let cp = Checkpoint::parse_body(&note[..note.find("\n\n").unwrap() + 1]).unwrap();
    let vkey = l.origin().log_key(common::authority().public());
    let example = format!(
        "authority seed (RFC 8032 secret key): {seed}\n\
         authority public key:                 {public}\n\
         ledger id:                            {ledger}\n\n\
         entry (seq 0, 'ledger.open'), {elen} bytes:\n{entry}\n\n\
         signing message = \"caselog-entry-v1\" || 0x00 || entry; signature:\n{sig}\n\n\
         record = [entry, signature], {rlen} bytes:\n{record}\n\n\
         LH(record) = SHA-256(0x00 || record):\n{leaf}\n\n\
         tree of the 7 golden records: size {size}, root (hex) {root}\n\n\
         log verifier key (key id = SHA-256(name || 0x0A || 0x01 || key)[:4]):\n{vkey}\n\n\
         signed checkpoint note:\n{note}",
        seed = hex::encode([0x01u8; 32]),
        public = common::authority().public().to_hex(),
        ledger = common::LEDGER_ID.to_hex(),
        elen = rec.entry_bytes.len(),
        entry = wrap(hex::encode(&rec.entry_bytes)),
        sig = wrap(hex::encode(rec.sig)),
        rlen = raw.len(),
        record = wrap(hex::encode(&raw)),
        leaf = HashAlg::Sha256.leaf(&raw).to_hex(),
        size = cp.head.size.0,
        root = cp.head.root.to_hex(),
        vkey = vkey,
        note = note,
    );
    assert_eq!(
        signing_message(&rec.entry_bytes)[..17],
        *b"caselog-entry-v1\0"
    );
    if std::env::var_os("CASELOG_PRINT_SPEC_EXAMPLE").is_some() {
        println!("{example}");
    }
    let spec = std::fs::read_to_string(root().join("schemas/SPEC.md")).unwrap();
    assert!(
        spec.contains(&example),
        "SPEC.md §16 differs from the computed example; print it with CASELOG_PRINT_SPEC_EXAMPLE=1:\n{example}"
    );
}
