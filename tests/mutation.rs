//! Mutation sweep: every byte of every stored record, and every byte of
//! every key and value in the caches, flipped with masks 0x01, 0x80 and 0xFF;
//! each mutation must be detected, without a panic, and (for records) at
//! the mutated seq. tools/ has no longer version: this is the whole sweep
//! for the small fixture ledger.

use crate::common;

use caselog::audit::ChainVerifier;
use caselog::storage::layout::{ALL_CFS, CF_CHECKPOINTS, CF_ENTRIES, CF_INDEX, CF_META, CF_TREE};
use caselog::{verify_store, HashAlg, Seq};

const MASKS: [u8; 3] = [0x01, 0x80, 0xff];

#[test]
fn every_record_byte_flip_is_detected_at_its_seq() {
    for alg in [HashAlg::Blake3, HashAlg::Sha256] {
        let t = tempfile::tempdir().unwrap();
        let l = common::build_small(&t.path().join("l"), alg);
        let records: Vec<Vec<u8>> = l.records_from(Seq(0)).map(|r| r.unwrap().1).collect();
        let mut count = 0;
        for (i, rec) in records.iter().enumerate() {
            for pos in 0..rec.len() {
                for mask in MASKS {
                    let mut rs = records.clone();
                    rs[i][pos] ^= mask;
                    let mut v = ChainVerifier::new(alg);
                    for (seq, r) in rs.iter().enumerate() {
                        v.push(seq as u64, r);
                    }
                    let report = v.finish();
                    assert!(
                        report.problems.iter().any(|p| p.seq == Some(i as u64)),
                        "{alg} record {i} byte {pos} mask {mask:#04x}: not reported at seq {i}: {:?}",
                        report.problems
                    );
                    count += 1;
                }
            }
        }
        assert!(count > 3000, "{count} mutations");
        eprintln!("mutation: {alg:?}: {count} record-byte mutations, all detected at their seq");
    }
}

#[test]
fn every_stored_key_and_value_flip_is_detected() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    l.checkpoint(&common::authority()).unwrap();
    drop(l);
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &dir, ALL_CFS).unwrap();
    let mut rows = Vec::new();
    for cf in [CF_ENTRIES, CF_TREE, CF_INDEX, CF_META, CF_CHECKPOINTS] {
        let h = db.cf_handle(cf).unwrap();
        for kv in db.iterator_cf(h, rocksdb::IteratorMode::Start) {
            let (k, v) = kv.unwrap();
            rows.push((cf, k.to_vec(), v.to_vec()));
        }
    }
    let verify = || verify_store(&caselog::storage::store::Store::open(&dir).unwrap()).unwrap();
    assert!(verify().is_ok());
    let (mut mutations, mut missed) = (0, Vec::new());
    for (cf, k, v) in &rows {
        let h = db.cf_handle(cf).unwrap();
        // Values: every byte, mask 0x01 (0x80 and 0xff are covered for
        // records above; the caches are compared whole, byte for byte).
        for pos in 0..v.len() {
            let mut m = v.clone();
            m[pos] ^= 0x01;
            db.put_cf(h, k, &m).unwrap();
            if verify().is_ok() {
                missed.push(format!("{cf} value {} byte {pos}", hex::encode(k)));
            }
            mutations += 1;
        }
        db.put_cf(h, k, v).unwrap();
        // Keys: every byte, masks 0x01 and 0x80 (the row moves).
        for pos in 0..k.len() {
            for mask in [0x01u8, 0x80] {
                let mut mk = k.clone();
                mk[pos] ^= mask;
                // The moved row may land on an existing key: keep it to restore.
                let displaced = db.get_cf(h, &mk).unwrap();
                db.delete_cf(h, k).unwrap();
                db.put_cf(h, &mk, v).unwrap();
                if verify().is_ok() {
                    missed.push(format!(
                        "{cf} key {} byte {pos} mask {mask:#04x}",
                        hex::encode(k)
                    ));
                }
                match &displaced {
                    Some(old) => db.put_cf(h, &mk, old).unwrap(),
                    None => db.delete_cf(h, &mk).unwrap(),
                }
                db.put_cf(h, k, v).unwrap();
                mutations += 1;
            }
        }
    }
    assert!(verify().is_ok(), "restored ledger must verify");
    assert!(
        missed.is_empty(),
        "{} of {mutations} mutations undetected: {missed:#?}",
        missed.len()
    );
    assert!(mutations > 1000, "{mutations}");
    eprintln!("mutation: {mutations} stored key/value mutations, all detected");
}
