//! Library-level behaviour of the writer: append policy, refusals that
//! write nothing, the writer lock, reopening.

use crate::common;

use caselog::format::entry::{Body, MemberEnroll, MemberRevoke};
use caselog::rules::policy::PolicyError;
use caselog::storage::store::StoreError;
use caselog::tlog::merkle::root_of_leaves;
use caselog::{verify_store, HashAlg, Ledger, LedgerError, MemberKey, Role, Seq};

fn head_bytes(l: &Ledger) -> Vec<u8> {
    l.head().encode()
}

/// A ledger opened read-only refuses every write with a typed error (the
/// store under it has no write methods at all) and changes nothing.
#[test]
fn read_only_ledgers_refuse_writes() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let size = common::build_small(&dir, HashAlg::Blake3).head().tree.size;
    let mut l = Ledger::open(&dir, false).unwrap();
    let e = l
        .append_at(common::note("x"), &common::authority(), common::t(5000))
        .unwrap_err();
    assert!(matches!(e, LedgerError::ReadOnly), "{e}");
    assert!(matches!(
        l.checkpoint(&common::authority()),
        Err(LedgerError::ReadOnly)
    ));
    drop(l);
    assert_eq!(Ledger::open(&dir, false).unwrap().head().tree.size, size);
}

#[test]
fn refusals_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    let before = head_bytes(&l);

    // Not a member.
    let e = l
        .append_at(common::note("x"), &common::outsider(), common::t(1000))
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Policy(PolicyError::UnknownAuthor { .. })),
        "{e}"
    );
    // Revoked member.
    let e = l
        .append_at(common::note("x"), &common::investigator(), common::t(1000))
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Policy(PolicyError::RevokedAuthor { .. })),
        "{e}"
    );
    // Clock earlier than the head.
    let e = l
        .append_at(common::note("x"), &common::authority(), common::t(10))
        .unwrap_err();
    assert!(matches!(e, LedgerError::ClockBehind { .. }), "{e}");
    // Weak (small-order) key cannot be enrolled: the identity point.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let e = l
        .append_at(
            Body::MemberEnroll(MemberEnroll {
                profile: Default::default(),
                name: "weak".into(),
                role: Role::Counsel,
                key: MemberKey(identity),
            }),
            &common::authority(),
            common::t(1000),
        )
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Policy(PolicyError::BadMemberKey { .. })),
        "{e}"
    );
    // The last authority cannot be revoked.
    let e = l
        .append_at(
            Body::MemberRevoke(MemberRevoke {
                key: common::authority().public(),
                reason: "x".into(),
            }),
            &common::authority(),
            common::t(1000),
        )
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Policy(PolicyError::LastAuthority { .. })),
        "{e}"
    );
    // Empty note text breaks the body schema.
    let e = l
        .append_at(common::note("   "), &common::authority(), common::t(1000))
        .unwrap_err();
    assert!(matches!(e, LedgerError::Invalid(_)), "{e}");

    assert_eq!(head_bytes(&l), before);
    drop(l);
    let l = Ledger::open(&dir, false).unwrap();
    assert_eq!(head_bytes(&l), before);
    let r = verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert_eq!(r.entries, 7);
}

#[test]
fn investigator_cannot_enroll() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let a = common::authority();
    let i = common::investigator();
    let mut l = Ledger::init(
        &dir,
        caselog::Genesis {
            case_id: "C",
            title: "T",
            hash: HashAlg::Blake3,
            time: common::t(0),
            ledger_id: None,
            checkpoint_every: None,
            zone: None,
        },
        &a,
    )
    .unwrap();
    l.append_at(
        Body::MemberEnroll(MemberEnroll {
            profile: Default::default(),
            name: "i".into(),
            role: Role::Investigator,
            key: i.public(),
        }),
        &a,
        common::t(1),
    )
    .unwrap();
    let e = l
        .append_at(
            Body::MemberEnroll(MemberEnroll {
                profile: Default::default(),
                name: "o".into(),
                role: Role::Investigator,
                key: common::outsider().public(),
            }),
            &i,
            common::t(2),
        )
        .unwrap_err();
    assert!(
        matches!(e, LedgerError::Policy(PolicyError::RoleNotAllowed { .. })),
        "{e}"
    );
}

#[test]
fn second_writer_is_refused_and_readers_work() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut w = common::build_small(&dir, HashAlg::Blake3);
    match Ledger::open(&dir, true) {
        Err(LedgerError::Store(StoreError::Locked { pid, .. })) => {
            assert_eq!(pid, Some(std::process::id()))
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    // A reader opens and verifies while the writer holds the lock...
    let r = Ledger::open(&dir, false).unwrap();
    assert!(verify_store(r.store()).unwrap().is_ok());
    // ...and the writer keeps appending.
    w.append_at(
        common::note("after reader"),
        &common::authority(),
        common::t(400),
    )
    .unwrap();
    drop(w);
    // The lock is released with the writer.
    let w2 = Ledger::open(&dir, true).unwrap();
    assert_eq!(w2.head().tree.size.0, 8);
}

#[test]
fn reopen_continues_the_tree() {
    for alg in [HashAlg::Blake3, HashAlg::Sha256] {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        drop(common::build_small(&dir, alg));
        // Append in several sessions so every frontier shape is reloaded.
        for round in 0..10 {
            let mut l = Ledger::open(&dir, true).unwrap();
            for k in 0..(round + 1) {
                l.append_at(
                    common::note(&format!("r{round} k{k}")),
                    &common::authority(),
                    common::t(1000 + round * 100 + k),
                )
                .unwrap();
            }
        }
        let l = Ledger::open(&dir, false).unwrap();
        let leaves: Vec<_> = l
            .records_from(Seq(0))
            .map(|r| alg.leaf(&r.unwrap().1))
            .collect();
        assert_eq!(leaves.len(), 7 + 55);
        assert_eq!(l.head().tree.root, root_of_leaves(alg, &leaves));
        let r = verify_store(l.store()).unwrap();
        assert!(r.is_ok(), "{:#?}", r.problems);
        assert_eq!(r.root, Some(l.head().tree.root));
    }
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("file"), b"x").unwrap();
    let e = Ledger::init(
        t.path(),
        caselog::Genesis {
            case_id: "C",
            title: "T",
            hash: HashAlg::Blake3,
            time: common::t(0),
            ledger_id: None,
            checkpoint_every: None,
            zone: None,
        },
        &common::authority(),
    )
    .unwrap_err();
    assert!(
        matches!(e, LedgerError::Store(StoreError::AlreadyExists { .. })),
        "{e}"
    );
}

#[test]
fn open_missing_ledger() {
    let t = tempfile::tempdir().unwrap();
    let e = Ledger::open(&t.path().join("nope"), false).unwrap_err();
    assert!(
        matches!(e, LedgerError::Store(StoreError::NotALedger { .. })),
        "{e}"
    );
}

/// Defect: `append` checked the entry against the 1 MiB item limit but
/// stored `record = entry + signature`; an entry within 72 bytes of the
/// limit was acknowledged and then failed `Record::decode` forever. Now
/// the record is checked: refused, nothing written, the ledger verifies.
#[test]
fn an_entry_whose_record_would_exceed_the_limit_is_refused() {
    use caselog::format::cbor::MAX_ENCODED_LEN;
    use caselog::format::kinds::{Correction, Domain};
    use caselog::{Entry, Seq};
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), HashAlg::Blake3);
    let target = l.hash_alg().leaf(&l.record_bytes(Seq(2)).unwrap().unwrap());
    let body = |pad: usize| {
        let mut set = std::collections::BTreeMap::new();
        for i in 0..15 {
            set.insert(format!("f{i:02}"), "y".repeat(65_536));
        }
        set.insert("last".into(), "z".repeat(pad));
        caselog::Body::Domain(Domain::Correction(Correction {
            target,
            set,
            reason: "size test".into(),
        }))
    };
    // The entry as the ledger will encode it, to aim its size.
    let size = |pad: usize| {
        Entry {
            item_prev: None,
            ledger: l.id(),
            seq: Seq(l.head().tree.size.0),
            prev: l.head().last,
            time: common::t(1000),
            author: common::authority().public(),
            body: body(pad),
            sd: vec![],
        }
        .encode()
        .len()
    };
    let base = size(0);
    let pad = MAX_ENCODED_LEN - 40 - base;
    assert!(size(pad) <= MAX_ENCODED_LEN && size(pad) + 72 > MAX_ENCODED_LEN);
    let head = l.head().clone();
    let err = l
        .append_at(body(pad), &common::authority(), common::t(1000))
        .unwrap_err();
    assert!(
        matches!(&err, caselog::LedgerError::TooLarge { what, .. } if what == "record"),
        "{err}"
    );
    assert_eq!(l.head(), &head);
    // Well inside the limit: accepted, and it reads back.
    let (seq, _) = l
        .append_at(body(pad - 200), &common::authority(), common::t(1000))
        .unwrap();
    let raw = l.record_bytes(seq).unwrap().unwrap();
    assert!(raw.len() <= MAX_ENCODED_LEN);
    let r = caselog::verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
}

/// A correction must apply to its target (a field of the target's kind, a
/// value its schema takes), whether the target is stored or staged earlier
/// in the same batch; otherwise the whole batch is refused and nothing is
/// written.
#[test]
fn corrections_that_cannot_apply_are_refused() {
    use caselog::format::edtf::Edtf;
    use caselog::format::entry::Entry;
    use caselog::format::kinds::{Correction, Domain, Notification};
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    let inv = common::authority();
    let time = common::t(50_000);
    let notice = Body::Domain(Domain::Notification(Notification {
        zone: None,
        by: "spokesperson".into(),
        to: "the public".into(),
        count: None,
        channel: "press".into(),
        sent: Edtf::parse("2008-11-06").unwrap(),
        subject: None,
        digest: None,
    }));
    // The leaf the notification will have when staged first in the batch.
    let entry = Entry {
        item_prev: None,
        ledger: l.id(),
        seq: Seq(l.head().tree.size.0),
        prev: l.head().last,
        time,
        author: inv.public(),
        body: notice.clone(),
        sd: Vec::new(),
    };
    let leaf = l
        .hash_alg()
        .leaf(&caselog::Record::sign(&entry, &inv).unwrap().encode());
    let correct = |field: &str, value: &str| {
        Body::Domain(Domain::Correction(Correction {
            target: leaf,
            set: [(field.to_owned(), value.to_owned())].into(),
            reason: "test".into(),
        }))
    };
    let first = l.head().tree.size.0;
    let before = head_bytes(&l);
    for (field, value) in [("occurred", "2008-11-01"), ("sent", "not a date")] {
        let batch = vec![(notice.clone(), &inv), (correct(field, value), &inv)];
        let e = l.append_batch_at(batch, time).unwrap_err();
        assert!(
            matches!(&e, LedgerError::BadCorrection { seq, fields, .. } if *seq == first && fields == &[field.to_owned()]),
            "{field}: {e}"
        );
        assert_eq!(head_bytes(&l), before, "nothing written");
    }
    // Within the batch and once stored, a correction that applies is taken.
    let batch = vec![
        (notice.clone(), &inv),
        (correct("sent", "2008-11-01/2008-11-06"), &inv),
    ];
    let out = l.append_batch_at(batch, time).unwrap();
    assert_eq!(out[0].1, leaf);
    l.append_at(correct("subject", "Press release"), &inv, common::t(60_000))
        .unwrap();
    let e = l
        .append_at(correct("title", "x"), &inv, common::t(60_001))
        .unwrap_err();
    assert!(matches!(e, LedgerError::BadCorrection { .. }), "{e}");
    assert!(verify_store(l.store()).unwrap().is_ok());
}

/// Issue 16: a writer opened for one append at a time (as each CLI command
/// is) leaves neither a growing pile of table files nor of write-ahead
/// logs: opens replay the log without flushing it, and a writer's close
/// flushes once the logs pass a bound. (Before, every open flushed one
/// table file per family written, four per append, and level 0 grew until
/// a compaction stalled an append for seconds.)
#[test]
fn one_append_per_open_keeps_the_files_bounded() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let start = common::build_small(&dir, HashAlg::Sha256)
        .head()
        .tree
        .size
        .0;
    let count = |ext: &str| {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(ext)
            })
            .count()
    };
    let a = common::authority();
    for i in 0..150 {
        let mut l = Ledger::open(&dir, true).unwrap();
        l.append(common::note(&format!("one append, one open {i}")), &a)
            .unwrap();
    }
    let (sst, wal) = (count(".sst"), count(".log"));
    assert!(wal <= 50, "{wal} write-ahead logs left after 150 opens");
    assert!(sst <= 60, "{sst} table files left after 150 opens");
    let l = Ledger::open(&dir, false).unwrap();
    assert_eq!(l.head().tree.size.0, start + 150);
    assert!(caselog::verify_store(l.store()).unwrap().is_ok());
}

/// Issue 16: appends inside `Ledger::pipelined` (the committer writes
/// batch k while batch k+1 is signed) leave the same ledger a reopen
/// reads: every batch durable, the head the writer held, and it verifies.
#[test]
fn pipelined_appends_are_durable_and_verify() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    let a = common::authority();
    let start = l.head().tree.size.0;
    let run = l
        .pipelined(|l| {
            (0..5)
                .map(|b| {
                    let items = (0..100).map(|i| (common::note(&format!("{b}/{i}")), &a));
                    l.append_batch_at(items.collect(), common::t(9_000 + b))
                        .map(|out| out.len())
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    assert!(run.commit_error.is_none());
    assert_eq!(run.result.unwrap(), vec![100; 5]);
    assert_eq!(run.durable, 5);
    let held = head_bytes(&l);
    assert_eq!(l.head().tree.size.0, start + 500);
    drop(l);
    let l = Ledger::open(&dir, false).unwrap();
    assert_eq!(head_bytes(&l), held, "the reopened head is the one held");
    assert!(verify_store(l.store()).unwrap().is_ok());
}

/// Inside a pipeline an append may refer to entries from before it, or
/// earlier in its own batch, but not to an entry of an earlier batch of
/// the pipeline (it may not be written yet): that is refused whether or
/// not the committer got to it, so the outcome does not depend on timing.
/// Once the pipeline is over, the same reference is taken.
#[test]
fn a_pipeline_refuses_references_to_its_own_earlier_batches() {
    use caselog::format::kinds::{Correction, Domain};
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    let a = common::authority();
    let correct = |target| {
        Body::Domain(Domain::Correction(Correction {
            target,
            set: [("text".to_owned(), "corrected".to_owned())].into(),
            reason: "test".into(),
        }))
    };
    let old = l
        .append_at(common::note("before"), &a, common::t(9_000))
        .unwrap()
        .1;
    let before = l.head().tree.size.0;
    let run = l
        .pipelined(|l| {
            let new = l.append_at(common::note("inside"), &a, common::t(9_001))?.1;
            // Wait until the committer has written it (a reader sees it),
            // with a deadline: refused all the same.
            let written = || Ledger::open(&dir, false).is_ok_and(|r| r.head().tree.size.0 > before);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while !written() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert!(written(), "the committer did not write the entry in 30 s");
            let refused = l.append_at(correct(new), &a, common::t(9_002));
            l.append_at(correct(old), &a, common::t(9_003))?;
            Ok::<_, LedgerError>((new, refused))
        })
        .unwrap();
    let (new, refused) = run.result.unwrap();
    assert!(
        matches!(&refused, Err(LedgerError::BadReference { leaf }) if *leaf == new),
        "{refused:?}"
    );
    assert_eq!(run.durable, 2);
    l.append_at(correct(new), &a, common::t(9_004)).unwrap();
    assert!(verify_store(l.store()).unwrap().is_ok());
}

/// A pipeline whose work panics still closes the handoff, so the
/// committer ends and the panic reaches the caller instead of a hang; what
/// was handed over before the panic is durable.
#[test]
fn a_panic_inside_a_pipeline_does_not_hang() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let l = common::build_small(&dir, HashAlg::Blake3);
    let size = l.head().tree.size.0;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut l = l;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            l.pipelined(|l| {
                let a = common::authority();
                l.append_at(common::note("handed over"), &a, common::t(9_000))
                    .unwrap();
                panic!("work failed");
            })
        }));
        drop(l);
        tx.send(r.is_err()).unwrap();
    });
    let panicked = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the pipeline returned");
    assert!(panicked);
    let l = Ledger::open(&dir, false).unwrap();
    assert_eq!(l.head().tree.size.0, size + 1);
}
