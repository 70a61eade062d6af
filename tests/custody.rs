//! Chain of custody and evidence: every break produces its own code; a
//! clean chain (with an external receipt) verifies; the writer refuses
//! breaks before writing; recorded findings (broken seal, digest mismatch)
//! are reported.

use crate::common;

use crate::common::{receive, release};

use std::path::Path;

use caselog::audit::Code;
use caselog::format::edtf::Edtf;
use caselog::format::entry::{Body, MemberEnroll, Timestamp};
use caselog::format::kinds::{
    receipt_message, Correction, CustodyReceive, Domain, EvidenceClose, EvidenceIntake,
    EvidenceVerify, FileFixity, Receipt,
};
use caselog::storage::keys::Signer;
use caselog::storage::layout::{ALL_CFS, CF_ENTRIES};
use caselog::{verify_store, Entry, Hash, HashAlg, Ledger, LedgerError, Record, Role, Seq};

fn c1() -> Signer {
    Signer::from_seed("Custodian One", &[0x21; 32])
}
fn c2() -> Signer {
    Signer::from_seed("Custodian Two", &[0x22; 32])
}
fn lab() -> Signer {
    Signer::from_seed("State lab (external)", &[0x23; 32])
}

fn file() -> FileFixity {
    FileFixity {
        name: "letter.pdf".into(),
        size: 3,
        blake3: Hash(*blake3::hash(b"abc").as_bytes()),
        sha256: Hash([7; 32]),
        media_type: None,
    }
}

fn d(x: Domain) -> Body {
    Body::Domain(x)
}

/// Authority, two custodians, an external lab; EV-1 taken in by c1.
fn fixture(dir: &Path) -> Ledger {
    let a = common::authority();
    let mut l = common::build_small_prefix(dir, HashAlg::Blake3, common::LEDGER_ID, 1);
    for (s, role) in [
        (c1(), Role::Custodian),
        (c2(), Role::Custodian),
        (lab(), Role::External),
    ] {
        l.append_at(
            Body::MemberEnroll(MemberEnroll {
                profile: Default::default(),
                name: s.name().into(),
                role,
                key: s.public(),
            }),
            &a,
            common::t(10),
        )
        .unwrap();
    }
    l.append_at(
        d(Domain::EvidenceIntake(EvidenceIntake {
            zone: None,
            tree: None,
            device: None,
            lineage: None,
            item: "EV-1".into(),
            description: "scan of the letter".into(),
            collected_by: "Custodian One".into(),
            collected: Edtf::parse("2008-10~").unwrap(),
            location: None,
            seal: Some("S-1".into()),
            files: vec![file()],
        })),
        &c1(),
        common::t(20),
    )
    .unwrap();
    l
}

/// Write a validly signed record after the head, bypassing the writer's
/// policy (what an insider with disk access could do).
fn forge(dir: &Path, signer: &Signer, body: Body) -> u64 {
    let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, ALL_CFS).unwrap();
    let cf = db.cf_handle(CF_ENTRIES).unwrap();
    let mut it = db.iterator_cf(cf, rocksdb::IteratorMode::End);
    let (k, v) = it.next().unwrap().unwrap();
    let seq = u64::from_be_bytes((*k).try_into().unwrap()) + 1;
    let e = Entry {
        item_prev: None,
        ledger: common::LEDGER_ID,
        seq: Seq(seq),
        prev: HashAlg::Blake3.leaf(&v),
        time: common::t(10_000),
        author: signer.public(),
        body,
        sd: vec![],
    };
    drop(it);
    db.put_cf(
        cf,
        Seq(seq).key(),
        Record::sign(&e, signer).unwrap().encode(),
    )
    .unwrap();
    seq
}

fn verify(dir: &Path) -> caselog::Report {
    verify_store(&caselog::storage::store::Store::open(dir).unwrap()).unwrap()
}

fn first_entry_problem(r: &caselog::Report) -> (Code, Option<u64>) {
    let p = r
        .problems
        .iter()
        .find(|p| p.area == "entry")
        .unwrap_or_else(|| panic!("no entry problem: {:#?}", r.problems));
    (p.code, p.seq)
}

#[test]
fn clean_chain_with_external_receipt_verifies() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = fixture(&dir);
    let (_, rel) = l
        .append_at(release("EV-1", &lab()), &c1(), common::t(30))
        .unwrap();
    // The lab signs a receipt offline; the holder imports it.
    let mut body = CustodyReceive {
        seals: Default::default(),
        rejected: None,
        item: "EV-1".into(),
        release: rel,
        seal_intact: Some(true),
        condition: Some("sealed bag".into()),
        receipt: None,
    };
    let time = common::t(40);
    let sig = lab()
        .sign(&receipt_message(
            &common::LEDGER_ID,
            &body,
            &lab().public(),
            &time,
        ))
        .unwrap();
    body.receipt = Some(Receipt {
        key: lab().public(),
        time,
        sig,
    });
    l.append_at(d(Domain::CustodyReceive(body)), &c1(), common::t(50))
        .unwrap();
    assert_eq!(l.custody().get("EV-1").unwrap().holder, lab().public());
    // An external member may receive but not release (role table).
    let e = l
        .append_at(release("EV-1", &c2()), &lab(), common::t(60))
        .unwrap_err();
    assert!(matches!(e, LedgerError::Policy(_)), "{e}");
    let r = verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
}

#[test]
fn writer_refuses_breaks_and_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let mut l = fixture(&t.path().join("l"));
    let before = l.head().encode();
    let refused = |l: &mut Ledger, body: Body, s: &Signer| {
        let e = l.append_at(body, s, common::t(100)).unwrap_err();
        assert!(
            matches!(
                e,
                LedgerError::Custody(_) | LedgerError::BadReference { .. }
            ),
            "{e}"
        );
    };
    refused(&mut l, release("EV-1", &c1()), &c2()); // not the holder
    refused(&mut l, release("EV-9", &c2()), &c1()); // unknown item
    refused(&mut l, release("EV-1", &common::outsider()), &c1()); // receiver not a member
    refused(
        &mut l,
        d(Domain::EvidenceIntake(EvidenceIntake {
            zone: None,
            tree: None,
            device: None,
            lineage: None,
            item: "EV-1".into(),
            description: "again".into(),
            collected_by: "x".into(),
            collected: Edtf::parse("2008").unwrap(),
            location: None,
            seal: None,
            files: vec![],
        })),
        &c1(),
    ); // duplicate item
    refused(&mut l, receive("EV-1", Hash([1; 32]), true), &c2()); // no pending release
    refused(
        &mut l,
        d(Domain::Correction(Correction {
            target: Hash([9; 32]),
            set: [("title".to_string(), "x".to_string())].into(),
            reason: "r".into(),
        })),
        &c1(),
    ); // bad reference
    assert_eq!(l.head().encode(), before);
    assert!(verify_store(l.store()).unwrap().is_ok());
}

#[test]
fn every_break_has_its_code() {
    type Case = fn(&Path, Ledger) -> (Code, u64);
    let cases: Vec<(&str, Case)> = vec![
        ("release by non-holder", |dir, l| {
            drop(l);
            (
                Code::CustodyNotHolder,
                forge(dir, &c2(), release("EV-1", &c1())),
            )
        }),
        ("receipt by the wrong party", |dir, mut l| {
            let (_, rel) = l
                .append_at(release("EV-1", &c2()), &c1(), common::t(30))
                .unwrap();
            drop(l);
            (
                Code::CustodyWrongReceiver,
                forge(dir, &common::authority(), receive("EV-1", rel, true)),
            )
        }),
        ("released twice", |dir, mut l| {
            l.append_at(release("EV-1", &c2()), &c1(), common::t(30))
                .unwrap();
            drop(l);
            (
                Code::CustodyDoubleRelease,
                forge(dir, &c1(), release("EV-1", &lab())),
            )
        }),
        ("used after disposal", |dir, mut l| {
            l.append_at(
                d(Domain::EvidenceDispose(EvidenceClose {
                    item: "EV-1".into(),
                    detail: "shredded".into(),
                    reason: "court order".into(),
                })),
                &c1(),
                common::t(30),
            )
            .unwrap();
            drop(l);
            (
                Code::CustodyAfterDisposal,
                forge(dir, &c1(), release("EV-1", &c2())),
            )
        }),
        ("receipt signed by a non-member", |dir, mut l| {
            let (_, rel) = l
                .append_at(release("EV-1", &lab()), &c1(), common::t(30))
                .unwrap();
            let o = common::outsider();
            let mut body = CustodyReceive {
                seals: Default::default(),
                rejected: None,
                item: "EV-1".into(),
                release: rel,
                seal_intact: Some(true),
                condition: None,
                receipt: None,
            };
            let time = Timestamp::from_micros(0).unwrap();
            body.receipt = Some(Receipt {
                key: o.public(),
                time,
                sig: o
                    .sign(&receipt_message(
                        &common::LEDGER_ID,
                        &body,
                        &o.public(),
                        &time,
                    ))
                    .unwrap(),
            });
            // The writer refuses it...
            let e = l
                .append_at(
                    d(Domain::CustodyReceive(body.clone())),
                    &c1(),
                    common::t(40),
                )
                .unwrap_err();
            assert!(matches!(e, LedgerError::Custody(_)), "{e}");
            drop(l);
            // ...and the verifier flags it when forged in.
            (
                Code::CustodyBadReceipt,
                forge(dir, &c1(), d(Domain::CustodyReceive(body))),
            )
        }),
        ("forged receipt signature", |dir, mut l| {
            let (_, rel) = l
                .append_at(release("EV-1", &lab()), &c1(), common::t(30))
                .unwrap();
            let body = CustodyReceive {
                seals: Default::default(),
                rejected: None,
                item: "EV-1".into(),
                release: rel,
                seal_intact: Some(true),
                condition: None,
                receipt: Some(Receipt {
                    key: lab().public(),
                    time: common::t(1),
                    sig: [0x11; 64],
                }),
            };
            drop(l);
            (
                Code::CustodyBadReceipt,
                forge(dir, &c1(), d(Domain::CustodyReceive(body))),
            )
        }),
        ("unknown item", |dir, l| {
            drop(l);
            (
                Code::CustodyUnknownItem,
                forge(dir, &c1(), release("EV-404", &c2())),
            )
        }),
        ("correction of a non-existent entry", |dir, l| {
            drop(l);
            let body = d(Domain::Correction(Correction {
                target: Hash([9; 32]),
                set: [("title".to_string(), "x".to_string())].into(),
                reason: "r".into(),
            }));
            (Code::BadReference, forge(dir, &c1(), body))
        }),
    ];
    for (name, case) in cases {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        let (code, seq) = case(&dir, fixture(&dir));
        let r = verify(&dir);
        assert_eq!(
            first_entry_problem(&r),
            (code, Some(seq)),
            "{name}: {:#?}",
            r.problems
        );
    }
}

fn store_body(item: &str, seals: caselog::format::kinds::Seals) -> Body {
    d(Domain::CustodyStore(caselog::format::kinds::CustodyStore {
        item: item.into(),
        location: "Property room B, locker 12".into(),
        reason: None,
        condition: None,
        seals,
    }))
}

fn retrieve_body(item: &str, broken: &[&str], applied: &[&str]) -> Body {
    d(Domain::CustodyRetrieve(
        caselog::format::kinds::CustodyRetrieve {
            item: item.into(),
            reason: "examination".into(),
            condition: None,
            seals: caselog::format::kinds::Seals {
                broken: broken.iter().map(|s| s.to_string()).collect(),
                applied: applied.iter().map(|s| s.to_string()).collect(),
            },
        },
    ))
}

/// SPEC §13.6: the writer refuses each storage and seal break with its
/// error, writes nothing, and the item's state (stored, seals) is what a
/// verifier replays; a reopened writer reads it back from the item row.
#[test]
fn evidence_room_and_seals_are_enforced_by_the_writer() {
    use caselog::rules::custody::CustodyError as E;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = fixture(&dir);
    let refused = |l: &mut Ledger, body: Body, s: &Signer| -> E {
        let before = l.head().encode();
        let e = l.append_at(body, s, common::t(100)).unwrap_err();
        assert_eq!(l.head().encode(), before);
        match e {
            LedgerError::Custody(c) => c,
            other => panic!("{other}"),
        }
    };
    let none = caselog::format::kinds::Seals::default();
    assert!(matches!(
        refused(&mut l, retrieve_body("EV-1", &[], &[]), &c1()),
        E::Storage { .. }
    ));
    assert!(matches!(
        refused(&mut l, store_body("EV-1", none.clone()), &c2()),
        E::NotHolder { .. }
    ));
    l.append_at(store_body("EV-1", none.clone()), &c1(), common::t(30))
        .unwrap();
    for body in [store_body("EV-1", none.clone()), release("EV-1", &c2())] {
        assert!(matches!(refused(&mut l, body, &c1()), E::Storage { .. }));
    }
    assert!(matches!(
        refused(&mut l, retrieve_body("EV-1", &["S-2"], &[]), &c1()),
        E::Seal { .. }
    ));
    l.append_at(
        retrieve_body("EV-1", &["S-1"], &["S-2"]),
        &c1(),
        common::t(40),
    )
    .unwrap();
    drop(l);
    // Reopened: the item row carries the seals.
    let mut l = Ledger::open(&dir, true).unwrap();
    let s = l.custody().get("EV-1").unwrap().clone();
    assert_eq!(s.seals.iter().collect::<Vec<_>>(), ["S-2"]);
    assert_eq!(s.retired.iter().collect::<Vec<_>>(), ["S-1"]);
    assert!(s.stored.is_none());
    for applied in ["S-1", "S-2"] {
        let mut body = release("EV-1", &c2());
        if let Body::Domain(Domain::CustodyRelease(r)) = &mut body {
            r.seals.applied = vec![applied.into()];
        }
        assert!(matches!(refused(&mut l, body, &c1()), E::Seal { .. }));
    }
    let (_, rel) = l
        .append_at(release("EV-1", &c2()), &c1(), common::t(50))
        .unwrap();
    let mut rec = receive("EV-1", rel, true);
    if let Body::Domain(Domain::CustodyReceive(r)) = &mut rec {
        r.seals.broken = vec!["S-2".into()];
        r.seals.applied = vec!["S-3".into()];
    }
    l.append_at(rec, &c2(), common::t(60)).unwrap();
    assert!(verify_store(l.store()).unwrap().is_ok());
}

/// An item row written before seals were tracked (no `seals`/`retired`)
/// takes its seals from the intake's `seal` (SPEC §8, §13.6), so an old
/// ledger verifies and a writer reopening it knows the seal.
#[test]
fn item_rows_without_seals_read_as_the_intakes_seal() {
    use caselog::format::cbor::{self, Value};
    use caselog::rules::custody::ItemState;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let l = fixture(&dir);
    drop(l);
    let key = [&b"item/"[..], b"EV-1"].concat();
    {
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), &dir, ALL_CFS).unwrap();
        let meta = db.cf_handle("meta").unwrap();
        let row = db.get_cf(meta, &key).unwrap().unwrap();
        let Value::Map(mut m) = cbor::decode(&row).unwrap() else {
            panic!("item row")
        };
        assert!(m.remove("seals").is_some() && m.remove("retired").is_some());
        db.put_cf(meta, &key, cbor::encode(&Value::Map(m))).unwrap();
    }
    let mut l = Ledger::open(&dir, true).unwrap();
    let s: &ItemState = l.custody().get("EV-1").unwrap();
    assert_eq!(s.seals.iter().collect::<Vec<_>>(), ["S-1"]);
    assert!(verify_store(l.store()).unwrap().is_ok());
    l.append_at(retrieve_body("EV-1", &[], &[]), &c1(), common::t(30))
        .unwrap_err();
    l.append_at(store_body("EV-1", Default::default()), &c1(), common::t(30))
        .unwrap();
    l.append_at(
        retrieve_body("EV-1", &["S-1"], &["S-2"]),
        &c1(),
        common::t(31),
    )
    .unwrap();
    assert!(verify_store(l.store()).unwrap().is_ok());
}

/// SPEC §9.3: a receipt recording a broken seal, a refused transfer and a
/// condition, and a truthful re-hash that differed, are findings: the
/// ledger verifies, and each is listed with its seq and who recorded it.
#[test]
fn recorded_facts_are_findings_not_failures() {
    use caselog::audit::{CopyCheck, FindingCode as F};
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = fixture(&dir);
    let (_, rel) = l
        .append_at(release("EV-1", &c2()), &c1(), common::t(30))
        .unwrap();
    let mut refusal = CustodyReceive {
        rejected: Some("wrong bag".into()),
        condition: Some("bag torn".into()),
        ..receive_body("EV-1", rel, false)
    };
    refusal.seal_intact = Some(false);
    let (refused, _) = l
        .append_at(d(Domain::CustodyReceive(refusal)), &c2(), common::t(40))
        .unwrap();
    let mut f = file();
    f.sha256 = Hash([8; 32]);
    let differed = d(Domain::EvidenceVerify(EvidenceVerify {
        item: "EV-1".into(),
        file: f,
        matches: false,
    }));
    let (rehash, _) = l.append_at(differed, &c1(), common::t(50)).unwrap();
    drop(l);
    let r = verify(&dir);
    assert!(r.is_ok(), "{:#?}", r.problems);
    let got: Vec<(F, u64, &str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.code, f.seq, f.by.as_str(), f.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (F::SealBroken, refused.0, "Custodian Two", ""),
            (F::TransferRefused, refused.0, "Custodian Two", "wrong bag"),
            (F::ReceiptCondition, refused.0, "Custodian Two", "bag torn"),
            (F::CopyDiffered, rehash.0, "Custodian One", "letter.pdf"),
        ]
    );
    // Plain verify does not re-hash the ledger's own copy, and says so.
    let last = r.findings.last().unwrap();
    assert_eq!(last.copy, Some(CopyCheck::NotChecked));
    assert!(
        last.sentence().contains("was not re-hashed in this run"),
        "{}",
        last.sentence()
    );
    let j = r.to_json();
    assert_eq!(j["verified"], true);
    assert_eq!(j["findings"][3]["code"], "COPY_DIFFERED");
    assert_eq!(j["findings"][3]["stored_copy"], "not-checked");
}

fn receive_body(item: &str, release: Hash, seal_intact: bool) -> CustodyReceive {
    match receive(item, release, seal_intact) {
        Body::Domain(Domain::CustodyReceive(b)) => b,
        _ => unreachable!("common::receive makes a receipt"),
    }
}
