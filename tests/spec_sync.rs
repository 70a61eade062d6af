//! The written contract and the code agree: every verification code is in
//! SPEC.md's table and in the JSON Schema, and nothing else is.

use std::collections::BTreeSet;

use caselog::audit::{Code, FindingCode};
use caselog::{Kind, Role};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `code` enum of a report array's items in the JSON Schema.
fn enum_of(array: &serde_json::Value) -> BTreeSet<String> {
    array["items"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn codes_match_spec_and_schema() {
    let ours: BTreeSet<String> = Code::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(ours.len(), Code::ALL.len());

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/verify-report.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        enum_of(&schema["properties"]["problems"]),
        ours,
        "schemas/verify-report.schema.json"
    );

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
    assert_eq!(
        enum_of(&schema["properties"]["findings"]),
        found,
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
        .chain([
            &l::META_MEMBER_PREFIX,
            &l::META_ITEM_PREFIX,
            &l::META_IMPORT_PREFIX,
            &l::META_HOLD_PREFIX,
            &l::META_PRODUCTION_PREFIX,
            &l::META_RETENTION_PREFIX,
        ])
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

use crate::common;

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

/// SPEC §16.1 (issue 25, item 9): the worked example beyond genesis, for
/// a stranger's verifier: a second record, the interior nodes of the
/// 7-leaf tree, a witness cosignature, an item-map leaf and its items
/// line, a disclosure and its digest, an external receipt's message and
/// signature. Recomputed here and required in SPEC verbatim.
#[test]
fn spec_worked_example_continued_is_true() {
    use base64::Engine as _;
    use caselog::format::cbor::Value;
    use caselog::format::disclosure::Disclosure;
    use caselog::format::kinds::{receipt_message, CustodyReceive};
    use caselog::storage::keys::Signer;
    use caselog::{HashAlg, Seq};
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let wrap = |h: String| {
        h.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let alg = HashAlg::Sha256;
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), alg);
    let raw1 = l.record_bytes(Seq(1)).unwrap().unwrap();
    let lh: Vec<_> = (0..7)
        .map(|s| alg.leaf(&l.record_bytes(Seq(s)).unwrap().unwrap()))
        .collect();
    // RFC 9162 §2.1.1: MTH(7) splits at 4, MTH(4..7) at 2.
    let n = |a: &caselog::Hash, b: &caselog::Hash| alg.node(a, b);
    let (a01, a23, a45) = (n(&lh[0], &lh[1]), n(&lh[2], &lh[3]), n(&lh[4], &lh[5]));
    let (m03, m46) = (n(&a01, &a23), n(&a45, &lh[6]));
    let top = n(&m03, &m46);
    let note = l.checkpoint(&common::authority()).unwrap().to_text();
    let body = &note[..note.find("\n\n").unwrap() + 1];
    assert_eq!(
        top,
        l.head().tree.root,
        "the nodes below give the tree's root"
    );
    let witness = Signer::from_seed("Witness (test)", &[0x36; 32]);
    let time = 1_228_824_000u64; // 2008-12-09T12:00:00Z
    let cosig =
        caselog::tlog::note::cosign(body, "counsel.example/witness", &witness, time).unwrap();
    let cosig_line = format!(
        "— {} {}",
        cosig.name,
        b64(&[&cosig.id[..], &cosig.sig].concat())
    );
    let heads: caselog::format::ids::ItemHeads = [("EV-0001".to_owned(), (Seq(5), lh[5]))].into();
    let map_leaf = caselog::tlog::itemmap::map_leaf(alg, "EV-0001", Seq(5), &lh[5]);
    let map = caselog::tlog::itemmap::head(alg, &heads).unwrap();
    let d = Disclosure {
        salt: [0x5a; 16],
        path: "members/017".into(),
        value: Value::Text("FAKE-NAME Test Person".into()),
    };
    let lab = Signer::from_seed("State lab (external, test)", &[0x34; 32]);
    let receipt = CustodyReceive {
        item: "EV-0001".into(),
        release: lh[6],
        seal_intact: Some(true),
        condition: Some("sealed bag".into()),
        rejected: None,
        seals: Default::default(),
        receipt: None,
    };
    let rtime = caselog::Timestamp::parse("2008-10-10T09:30:00.000000Z").unwrap();
    let msg = receipt_message(&common::LEDGER_ID, &receipt, &lab.public(), &rtime);
    let sel = caselog::audit::bundle::Selection {
        seqs: vec![(6, 6)],
        ..Default::default()
    };
    let tiny = caselog::audit::bundle::build(&l, note.as_bytes(), &sel)
        .unwrap()
        .encode();
    let vk_log = l.origin().log_key(common::authority().public());
    let verdict =
        caselog::audit::bundle::verify_bytes(&tiny, std::slice::from_ref(&vk_log), &[], 0);
    assert!(verdict.report.is_ok(), "{:?}", verdict.report.problems);
    let example = format!(
        "record seq 1 ('member.enroll'), {rlen} bytes:\n{rec1}\n\
         LH(seq 1) = {lh1}\n\n\
         the 7 leaf hashes LH(seq 0) .. LH(seq 6):\n{leaves}\n\n\
         interior nodes, H(0x01 || left || right) (RFC 9162 §2.1.1):\n\
         n01 = H(LH0, LH1)   = {a01}\n\
         n23 = H(LH2, LH3)   = {a23}\n\
         n45 = H(LH4, LH5)   = {a45}\n\
         n0123 = H(n01, n23) = {m03}\n\
         n456 = H(n45, LH6)  = {m46}\n\
         root = H(n0123, n456) = {root}\n\n\
         witness key: seed 36..36 (32 bytes), name counsel.example/witness, verifier key\n{wkey}\n\
         cosignature at time {time}: Ed25519 over \"cosignature/v1\\ntime {time}\\n\" || checkpoint body; the line is\n\
         \"— \" name \" \" base64(key id || 8-byte big-endian time || signature):\n{cosig_line}\n\n\
         item map of one item, EV-0001 at seq 5 with leaf LH(seq 5):\n\
         map leaf = H(0x00 || CBOR [\"EV-0001\", 5, LH5]) = {map_leaf}\n\
         checkpoint extension line: caselog-items {count} {map_root}\n\n\
         disclosure [salt 5a..5a (16 bytes), \"members/017\", \"FAKE-NAME Test Person\"], {dlen} bytes:\n{dis}\n\
         its digest H(0x02 || disclosure) = {dig}\n\n\
         external receipt of EV-0001 (release LH6, seal_intact true, condition \"sealed bag\",\n\
         time 2008-10-10T09:30:00.000000Z) by the key of seed 34..34: the signed message, {mlen} bytes:\n{msg}\n\
         signature:\n{rsig}\n\n\
         a partial bundle of seq 6 against the checkpoint above (§14; the membership records\n\
         a verifier needs to judge its author ride along, each with its inclusion path), {blen} bytes:\n{tiny}",
        rlen = raw1.len(),
        rec1 = wrap(hex::encode(&raw1)),
        lh1 = lh[1].to_hex(),
        leaves = lh.iter().map(|h| h.to_hex()).collect::<Vec<_>>().join("\n"),
        a01 = a01.to_hex(),
        a23 = a23.to_hex(),
        a45 = a45.to_hex(),
        m03 = m03.to_hex(),
        m46 = m46.to_hex(),
        root = top.to_hex(),
        wkey = caselog::tlog::note::VerifierKey::new(
            "counsel.example/witness",
            caselog::tlog::note::TYPE_COSIGNATURE,
            witness.public()
        )
        .unwrap(),
        cosig_line = cosig_line,
        map_leaf = map_leaf.to_hex(),
        count = map.count,
        map_root = b64(&map.root.0),
        dlen = d.encode().len(),
        dis = wrap(hex::encode(d.encode())),
        dig = d.digest(alg).to_hex(),
        mlen = msg.len(),
        msg = wrap(hex::encode(&msg)),
        rsig = wrap(hex::encode(lab.sign(&msg).unwrap())),
        blen = tiny.len(),
        tiny = wrap(hex::encode(&tiny)),
    );
    // The cosignature verifies under the witness key, as a verifier checks it.
    let vk = caselog::tlog::note::VerifierKey::new(
        "counsel.example/witness",
        caselog::tlog::note::TYPE_COSIGNATURE,
        witness.public(),
    )
    .unwrap();
    let cosigned = format!("{note}{cosig_line}\n");
    let parsed = caselog::tlog::note::Note::parse(cosigned.as_bytes()).unwrap();
    let sig = parsed.sigs.iter().find(|g| g.name == vk.name).unwrap();
    assert_eq!(
        caselog::tlog::note::verify_sig(&parsed.text, sig, &vk).unwrap(),
        Some(time)
    );
    if std::env::var_os("CASELOG_PRINT_SPEC_EXAMPLE").is_some() {
        println!("{example}");
    }
    let spec = std::fs::read_to_string(root().join("schemas/SPEC.md")).unwrap();
    assert!(
        spec.contains(&example),
        "SPEC.md §16.1 differs from the computed example; print it with CASELOG_PRINT_SPEC_EXAMPLE=1:\n{example}"
    );
}
