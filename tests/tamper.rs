//! Tamper tests: open the RocksDB underneath a ledger directly, change it
//! the way an attacker with disk access would, and assert that `verify`
//! names the exact problem code and entry.

use crate::common;

use std::path::Path;

use caselog::audit::Code;
use caselog::format::entry::{Entry, Record};
use caselog::storage::layout::{ALL_CFS, CF_ENTRIES, CF_INDEX, CF_META, CF_TREE};
use caselog::{verify_store, Hash, HashAlg, LedgerId, Report, Seq};
use rocksdb::{Options, DB};

fn raw(dir: &Path) -> DB {
    DB::open_cf(&Options::default(), dir, ALL_CFS).unwrap()
}

fn verify(dir: &Path) -> Report {
    let store = caselog::storage::store::Store::open(dir).unwrap();
    verify_store(&store).unwrap()
}

fn fixture(alg: HashAlg) -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    drop(common::build_small(&dir, alg));
    (t, dir)
}

fn get(db: &DB, cf: &str, key: &[u8]) -> Vec<u8> {
    db.get_cf(db.cf_handle(cf).unwrap(), key).unwrap().unwrap()
}
fn put(db: &DB, cf: &str, key: &[u8], v: &[u8]) {
    db.put_cf(db.cf_handle(cf).unwrap(), key, v).unwrap();
}
fn del(db: &DB, cf: &str, key: &[u8]) {
    db.delete_cf(db.cf_handle(cf).unwrap(), key).unwrap();
}

/// The first problem reported is `code` at `seq`.
fn assert_first(r: &Report, code: Code, seq: Option<u64>) {
    let p = r
        .problems
        .first()
        .unwrap_or_else(|| panic!("no problem reported, expected {code}"));
    assert_eq!(
        (p.code, p.seq),
        (code, seq),
        "first problem: {p}; all: {:#?}",
        r.problems
    );
}

fn each_alg(f: impl Fn(HashAlg)) {
    f(HashAlg::Blake3);
    f(HashAlg::Sha256);
}

#[test]
fn untouched_ledger_verifies() {
    each_alg(|alg| {
        let (_t, dir) = fixture(alg);
        let r = verify(&dir);
        assert!(r.is_ok(), "{:#?}", r.problems);
        assert_eq!(r.entries, 7);
        assert_eq!(r.hash, Some(alg));
        assert_eq!(r.ledger, Some(common::LEDGER_ID));
    });
}

#[test]
fn flipped_byte_in_signature() {
    each_alg(|alg| {
        let (_t, dir) = fixture(alg);
        {
            let db = raw(&dir);
            let mut v = get(&db, CF_ENTRIES, &Seq(3).key());
            *v.last_mut().unwrap() ^= 0x01;
            put(&db, CF_ENTRIES, &Seq(3).key(), &v);
        }
        let r = verify(&dir);
        assert_first(&r, Code::BadSignature, Some(3));
        assert!(r.has(Code::BadPrev, Some(4)));
        assert!(r.has(Code::HeadMismatch, None));
    });
}

#[test]
fn flipped_byte_in_entry_text() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let mut v = get(&db, CF_ENTRIES, &Seq(2).key());
        let pos = v.windows(6).position(|w| w == b"Letter").unwrap();
        v[pos] ^= 0x20; // "Letter" -> "letter": still valid UTF-8 and CBOR
        put(&db, CF_ENTRIES, &Seq(2).key(), &v);
    }
    assert_first(&verify(&dir), Code::BadSignature, Some(2));
}

#[test]
fn deleted_record() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    del(&raw(&dir), CF_ENTRIES, &Seq(3).key());
    let r = verify(&dir);
    assert_first(&r, Code::SeqGap, Some(4));
    assert!(r.has(Code::BadPrev, Some(4)));
}

#[test]
fn two_records_swapped() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let a = get(&db, CF_ENTRIES, &Seq(3).key());
        let b = get(&db, CF_ENTRIES, &Seq(4).key());
        put(&db, CF_ENTRIES, &Seq(3).key(), &b);
        put(&db, CF_ENTRIES, &Seq(4).key(), &a);
    }
    let r = verify(&dir);
    assert_first(&r, Code::SeqOrder, Some(3));
    assert!(r.has(Code::SeqOrder, Some(4)));
}

/// A record for `seq` with the right `prev`, signed by `signer`.
fn forged(
    dir: &Path,
    seq: u64,
    signer: &caselog::storage::keys::Signer,
    ledger: LedgerId,
    alg: HashAlg,
) -> Vec<u8> {
    let db = raw(dir);
    let prev_raw = get(&db, CF_ENTRIES, &Seq(seq - 1).key());
    let entry = Entry {
        item_prev: None,
        ledger,
        seq: Seq(seq),
        prev: alg.leaf(&prev_raw),
        time: common::t(10_000),
        author: signer.public(),
        body: common::note("forged"),
        sd: vec![],
    };
    Record::sign(&entry, signer).unwrap().encode()
}

#[test]
fn record_replaced_by_non_member() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    let rec = forged(
        &dir,
        3,
        &common::outsider(),
        common::LEDGER_ID,
        HashAlg::Blake3,
    );
    put(&raw(&dir), CF_ENTRIES, &Seq(3).key(), &rec);
    let r = verify(&dir);
    assert_first(&r, Code::UnknownAuthor, Some(3));
    assert!(
        !r.has(Code::BadSignature, Some(3)),
        "the forged signature itself is valid"
    );
}

#[test]
fn record_spliced_from_another_ledger() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    let t2 = tempfile::tempdir().unwrap();
    let other = t2.path().join("other");
    drop(common::build_small_with_id(
        &other,
        HashAlg::Blake3,
        LedgerId([0x42; 16]),
    ));
    let foreign = get(&raw(&other), CF_ENTRIES, &Seq(3).key());
    put(&raw(&dir), CF_ENTRIES, &Seq(3).key(), &foreign);
    let r = verify(&dir);
    assert_first(&r, Code::WrongLedger, Some(3));
}

#[test]
fn tail_truncated_with_meta_patched() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    // The head of the same ledger at 5 entries (deterministic fixture).
    let t2 = tempfile::tempdir().unwrap();
    let five = t2.path().join("five");
    {
        let l = common::build_small(&five, HashAlg::Blake3);
        drop(l);
        let db = raw(&five);
        del(&db, CF_ENTRIES, &Seq(6).key());
        del(&db, CF_ENTRIES, &Seq(5).key());
    }
    let head5 = {
        // Recompute what the head at size 5 is by verifying the prefix.
        let r = verify(&five);
        let root = r.root.unwrap();
        let db = raw(&five);
        let last = HashAlg::Blake3.leaf(&get(&db, CF_ENTRIES, &Seq(4).key()));
        caselog::ledger::Head {
            tree: caselog::TreeHead {
                size: caselog::TreeSize(5),
                root,
            },
            last,
            time: common::t(240),
        }
    };
    {
        let db = raw(&dir);
        del(&db, CF_ENTRIES, &Seq(6).key());
        del(&db, CF_ENTRIES, &Seq(5).key());
        put(&db, CF_META, b"head", &head5.encode());
        // Member rows as they stood at size 5: the investigator not revoked.
        let key = [b"member/".as_slice(), &common::investigator().public().0].concat();
        let row = caselog::ledger::encode_member(&caselog::rules::policy::Member {
            name: common::investigator().name().into(),
            role: caselog::Role::Investigator,
            key: common::investigator().public(),
            enrolled: Seq(1),
            revoked: None,
            profile: Default::default(),
        });
        put(&db, CF_META, &key, &row);
    }
    let r = verify(&dir);
    assert!(!r.has(Code::HeadMismatch, None), "{:#?}", r.problems);
    assert_first(&r, Code::TreeMismatch, None);
    assert!(r.has(Code::IndexMismatch, None));
}

#[test]
fn entry_rewritten_and_resigned_by_its_author() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let old = Record::decode(&get(&db, CF_ENTRIES, &Seq(2).key())).unwrap();
        let mut e = Entry::decode(&old.entry_bytes).unwrap();
        e.body = common::note("Letter received; nothing of interest");
        let rec = Record::sign(&e, &common::investigator());
        put(&db, CF_ENTRIES, &Seq(2).key(), &rec.unwrap().encode());
    }
    let r = verify(&dir);
    assert!(!r.has(Code::BadSignature, Some(2)));
    assert_first(&r, Code::BadPrev, Some(3));
}

#[test]
fn stored_head_altered() {
    let (_t, dir) = fixture(HashAlg::Sha256);
    {
        let db = raw(&dir);
        let mut h = caselog::ledger::Head::decode(&get(&db, CF_META, b"head")).unwrap();
        h.tree.root = Hash([0xab; 32]);
        put(&db, CF_META, b"head", &h.encode());
    }
    assert_first(&verify(&dir), Code::HeadMismatch, None);
}

#[test]
fn stored_tree_node_altered() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let id = caselog::tlog::merkle::NodeId { level: 1, index: 1 };
        let mut v = get(&db, CF_TREE, &id.key());
        v[0] ^= 0x80;
        put(&db, CF_TREE, &id.key(), &v);
    }
    // Node (1,1) covers leaves 2 and 3; it is created by seq 3.
    assert_first(&verify(&dir), Code::TreeMismatch, Some(3));
}

#[test]
fn index_row_removed() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let leaf = HashAlg::Blake3.leaf(&get(&db, CF_ENTRIES, &Seq(2).key()));
        del(
            &db,
            CF_INDEX,
            &caselog::storage::layout::leaf_index_key(&leaf),
        );
    }
    assert_first(&verify(&dir), Code::IndexMismatch, Some(2));
}

#[test]
fn revoked_member_key_used_after_revocation() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    let rec = forged(
        &dir,
        7,
        &common::investigator(),
        common::LEDGER_ID,
        HashAlg::Blake3,
    );
    put(&raw(&dir), CF_ENTRIES, &Seq(7).key(), &rec);
    let r = verify(&dir);
    assert_first(&r, Code::RevokedAuthor, Some(7));
}

#[test]
fn non_canonical_record_bytes() {
    let (_t, dir) = fixture(HashAlg::Blake3);
    {
        let db = raw(&dir);
        let v = get(&db, CF_ENTRIES, &Seq(3).key());
        // Re-encode the array head 0x82 as 0x98 0x02 (non-shortest length).
        let mut nv = vec![0x98, 0x02];
        nv.extend_from_slice(&v[1..]);
        put(&db, CF_ENTRIES, &Seq(3).key(), &nv);
    }
    assert_first(&verify(&dir), Code::NonCanonical, Some(3));
}

/// SPEC §8.1: an import row must decode canonically and name only entries
/// the ledger has; a well-formed one is not a problem.
#[test]
fn import_rows_that_do_not_decode_or_name_missing_entries_are_reported() {
    use caselog::ledger::ImportRecord;
    let (_t, dir) = fixture(HashAlg::Sha256);
    let size = verify(&dir).entries;
    let good = ImportRecord {
        source: [7; 32],
        name: "tips.jsonl".into(),
        lines: 3,
        done: 3,
        done_bytes: 90,
        done_sha256: [8; 32],
        entries: 2,
        seqs: Some((Seq(1), Seq(2))),
        runs: 1,
        updated: common::t(9),
    };
    let cases: [(ImportRecord, Option<Vec<u8>>, bool); 4] = [
        (good.clone(), None, false),
        // A seq the ledger does not have.
        (
            ImportRecord {
                seqs: Some((Seq(1), Seq(size))),
                ..good.clone()
            },
            None,
            true,
        ),
        // Not a map of the SPEC's shape.
        (good.clone(), Some(vec![0xa0]), true),
        // More lines done than the source has.
        (
            ImportRecord {
                done: 4,
                ..good.clone()
            },
            None,
            true,
        ),
    ];
    for (rec, bytes, bad) in cases {
        let (_t, dir) = fixture(HashAlg::Sha256);
        {
            let db = raw(&dir);
            put(
                &db,
                CF_META,
                &rec.key(),
                &bytes.unwrap_or_else(|| rec.encode()),
            );
        }
        let r = verify(&dir);
        assert_eq!(
            r.has(Code::MetaMismatch, None),
            bad,
            "{rec:?}: {:#?}",
            r.problems
        );
        assert_eq!(r.problems.is_empty(), !bad, "{:#?}", r.problems);
    }
}

/// The custody cache rows (SPEC §8: `hold/`, `production/`, `retention/`)
/// are compared with the replay: a row altered, added with nothing behind
/// it, or removed is `META_MISMATCH`, and the untouched ledger verifies.
#[test]
fn custody_cache_rows_that_differ_from_the_replay_are_reported() {
    use caselog::format::entry::Body;
    use caselog::format::kinds::{Domain, RetentionSet};
    use caselog::rules::production::ProductionState;
    let fresh = || {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        let mut l = common::build_small(&dir, HashAlg::Sha256);
        l.append(common::intake_body("EV-1"), &common::authority())
            .unwrap();
        let body = Body::Domain(Domain::RetentionSet(RetentionSet {
            category: "ten years".into(),
            days: 3650,
            items: vec!["EV-1".into()],
            authority: "schedule 7".into(),
        }));
        l.append(body, &common::authority()).unwrap();
        drop(l);
        assert!(verify(&dir).problems.is_empty());
        (t, dir)
    };
    let key = |p: &[u8], id: &[u8]| [p, id].concat();
    let ret = key(caselog::storage::layout::META_RETENTION_PREFIX, b"EV-1");
    let bogus = ProductionState {
        leaf: caselog::Hash([3; 32]),
        seq: caselog::Seq(2),
        to: common::authority().public(),
        manifest: [4; 32],
    };
    type Tamper<'a> = Box<dyn Fn(&DB) + 'a>;
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "retention row altered",
            Box::new(|db| {
                let mut v = get(db, CF_META, &ret);
                let n = v.len();
                v[n - 1] ^= 1;
                put(db, CF_META, &ret, &v);
            }),
        ),
        (
            "retention row removed",
            Box::new(|db| del(db, CF_META, &ret)),
        ),
        (
            "a production row with no production",
            Box::new(|db| {
                let k = key(
                    caselog::storage::layout::META_PRODUCTION_PREFIX,
                    &bogus.leaf.0,
                );
                put(db, CF_META, &k, &bogus.encode());
            }),
        ),
        (
            "a hold row with no hold",
            Box::new(|db| {
                let h = caselog::rules::hold::Hold {
                    hold: "LH-9".into(),
                    placed: caselog::Seq(1),
                    items: vec![],
                    released: None,
                };
                put(
                    db,
                    CF_META,
                    &key(caselog::storage::layout::META_HOLD_PREFIX, b"LH-9"),
                    &h.encode(),
                );
            }),
        ),
    ];
    for (name, tamper) in cases {
        let (_t, dir) = fresh();
        tamper(&raw(&dir));
        let r = verify(&dir);
        assert!(r.has(Code::MetaMismatch, None), "{name}: {:#?}", r.problems);
    }
}
