//! Golden vectors: a fixed key, fixed ledger id and fixed times must give
//! exactly the record bytes, leaf hashes and root in tests/vectors/.
//! Regenerate (only on a deliberate format change) with
//! CASELOG_UPDATE_VECTORS=1 cargo test --test suite golden::.

use crate::common;

use caselog::format::entry::{Entry, Record};
use caselog::tlog::merkle::root_of_leaves;
use caselog::{Hash, HashAlg, Seq};
use serde_json::{json, Value};

fn check(alg: HashAlg) {
    let dir = tempfile::tempdir().unwrap();
    let l = common::build_small(&dir.path().join("l"), alg);
    let mut entries = Vec::new();
    let mut leaves = Vec::new();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item.unwrap();
        let rec = Record::decode(&raw).unwrap();
        let leaf = alg.leaf(&raw);
        leaves.push(leaf);
        entries.push(json!({
            "seq": seq.0,
            "entry": hex::encode(&rec.entry_bytes),
            "signature": hex::encode(rec.sig),
            "record": hex::encode(&raw),
            "leaf_hash": leaf.to_hex(),
        }));
    }
    let got = json!({
        "description": "caselog format v1 golden ledger: see tests/common/mod.rs build_small",
        "hash": alg.name(),
        "ledger_id": common::LEDGER_ID.to_hex(),
        "authority_seed": hex::encode([0x01u8; 32]),
        "investigator_seed": hex::encode([0x02u8; 32]),
        "authority_public": common::authority().public().to_hex(),
        "investigator_public": common::investigator().public().to_hex(),
        "entries": entries,
        "tree_size": leaves.len(),
        "root": l.head().tree.root.to_hex(),
    });
    let path = format!(
        "{}/tests/vectors/ledger-{}.json",
        env!("CARGO_MANIFEST_DIR"),
        alg.name()
    );
    if std::env::var_os("CASELOG_UPDATE_VECTORS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(got, want, "{path} no longer matches: the format changed");

    // The vector is self-consistent by the spec's definitions, independent
    // of the ledger code: leaf = H(0x00 || record), root = MTH(leaves),
    // each signature verifies over the context string, prev links chain.
    let mut prev = Hash::ZERO;
    for (i, e) in want["entries"].as_array().unwrap().iter().enumerate() {
        let raw = hex::decode(e["record"].as_str().unwrap()).unwrap();
        let rec = Record::decode(&raw).unwrap();
        let entry = Entry::decode(&rec.entry_bytes).unwrap();
        assert_eq!(entry.seq.0, i as u64);
        assert_eq!(entry.prev, prev);
        rec.verify_signature(&entry.author).unwrap();
        let mut msg = b"caselog-entry-v1\x00".to_vec();
        msg.extend_from_slice(&rec.entry_bytes);
        assert_eq!(
            msg,
            caselog::format::entry::signing_message(&rec.entry_bytes)
        );
        let leaf = Hash::from_hex(e["leaf_hash"].as_str().unwrap()).unwrap();
        assert_eq!(alg.digest(&[&[0u8], &raw]), leaf);
        prev = leaf;
    }
    assert_eq!(
        root_of_leaves(alg, &leaves).to_hex(),
        want["root"].as_str().unwrap()
    );
}

#[test]
fn golden_blake3() {
    check(HashAlg::Blake3);
}

#[test]
fn golden_sha256() {
    check(HashAlg::Sha256);
}
