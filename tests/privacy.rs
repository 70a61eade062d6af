//! Selective disclosure and erasure: private values never leak into
//! redacted outputs, revealed outputs carry them and still verify with both
//! verifiers, tampered disclosures get BAD_DISCLOSURE, and an erased value
//! is physically gone from every file of the ledger directory.

use crate::common;

use std::path::{Path, PathBuf};

use caselog::audit::bundle::{self, Bundle, Selection};
use caselog::audit::Code;
use caselog::format::cbor::Value;
use caselog::format::disclosure::{Disclosure, Reveal};
use caselog::storage::layout::{ALL_CFS, CF_DISCLOSURES};
use caselog::{verify_store, HashAlg, Ledger, Seq};

/// Synthetic, obviously fake member data: SSNs in the never-issued 000 area.
fn members() -> Vec<(String, String)> {
    (1..=5)
        .map(|i| {
            (
                format!("members/{i:03}"),
                format!("FAKE-NAME-{i:03} Testperson, SSN 000-00-{i:04}, DOB 1900-01-{i:02}"),
            )
        })
        .collect()
}

fn ledger(dir: &Path) -> (Ledger, Seq) {
    let mut l = common::build_small(dir, HashAlg::Blake3);
    let private: Vec<Disclosure> = members()
        .into_iter()
        .map(|(p, v)| Disclosure::new(&p, Value::Text(v)).unwrap())
        .collect();
    let (seq, _) = l
        .append_private(
            caselog::Body::Domain(caselog::format::kinds::Domain::Event(
                caselog::format::kinds::Event {
                    zone: None,
                    title: "Letter lists 5 members (private)".into(),
                    description: None,
                    occurred: caselog::format::edtf::Edtf::parse("2008-10~").unwrap(),
                    location: None,
                    sources: vec![],
                    tags: vec![],
                    refs: vec![],
                },
            )),
            &common::authority(),
            private,
        )
        .unwrap();
    l.checkpoint(&common::authority()).unwrap();
    (l, seq)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out)
        } else {
            out.push(p)
        }
    }
}

#[test]
fn redacted_outputs_hold_no_private_value_and_revealed_ones_verify() {
    let t = tempfile::tempdir().unwrap();
    let (l, seq) = ledger(&t.path().join("l"));
    // The signed record itself never holds the values.
    let raw = l.record_bytes(seq).unwrap().unwrap();
    for (_, v) in members() {
        assert!(!contains(&raw, &v));
    }
    assert_eq!(l.disclosures_of(seq).unwrap().len(), 5);
    let r = verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert_eq!((r.private_fields, r.disclosures_present), (5, 5));

    let rows = caselog::export::timeline_rows(&l, &Default::default()).unwrap();
    let all = Reveal::Paths(vec!["*".into()]);
    let cp = l.latest_checkpoint().unwrap().unwrap().1;
    let outputs = |reveal: &Reveal| -> Vec<(String, Vec<u8>)> {
        let sel = Selection {
            reveal: reveal.clone(),
            ..Default::default()
        };
        vec![
            (
                "json".into(),
                serde_json::to_vec(&caselog::export::to_json(&l, &rows, reveal).unwrap()).unwrap(),
            ),
            (
                "csv".into(),
                caselog::export::to_csv(&l, &rows, reveal).unwrap(),
            ),
            ("timesketch".into(), {
                let mut v = Vec::new();
                caselog::export::write_timesketch(&l, &Default::default(), reveal, &mut v).unwrap();
                v
            }),
            (
                "report".into(),
                caselog::export::court::render(&l, None, None, reveal)
                    .unwrap()
                    .into_bytes(),
            ),
            (
                "case".into(),
                serde_json::to_vec(&caselog::export::case_uco::to_case(&l, &rows).unwrap())
                    .unwrap(),
            ),
            (
                "bundle".into(),
                bundle::build(&l, &cp, &sel).unwrap().encode(),
            ),
        ]
    };
    for (name, bytes) in outputs(&Reveal::None) {
        for (_, v) in members() {
            assert!(!contains(&bytes, &v), "redacted {name} leaks {v}");
            assert!(!contains(&bytes, &v[..18]), "redacted {name} leaks a name");
        }
    }
    let revealed = outputs(&all);
    let bundle_bytes = &revealed.iter().find(|(n, _)| n == "bundle").unwrap().1;
    for (_, v) in members() {
        assert!(contains(bundle_bytes, &v), "revealed bundle lacks {v}");
        assert!(contains(
            &revealed.iter().find(|(n, _)| n == "report").unwrap().1,
            &v.replace('\'', "&#39;")
        ));
    }
    // Partial reveal: one field only.
    let one = bundle::build(
        &l,
        &cp,
        &Selection {
            reveal: Reveal::Paths(vec!["members/002".into()]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(one.disclosures.len(), 1);

    // Both verifiers accept redacted and revealed bundles.
    let vkey = l.origin().log_key(common::authority().public());
    let dir = t.path().join("bundles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("redacted"),
        bundle::build(&l, &cp, &Selection::default())
            .unwrap()
            .encode(),
    )
    .unwrap();
    std::fs::write(dir.join("revealed"), bundle_bytes).unwrap();
    std::fs::write(dir.join("one"), one.encode()).unwrap();
    // Tampered disclosures in a bundle: value changed, salt changed, moved.
    let b = Bundle::decode(bundle_bytes).unwrap();
    let d0 = Disclosure::decode(&b.disclosures[0].1).unwrap();
    let mut value = d0.clone();
    value.value = Value::Text("FAKE-NAME-999 Someoneelse, SSN 000-00-9999".into());
    let mut salt = d0.clone();
    salt.salt[0] ^= 1;
    for (name, seq, bytes) in [
        ("tampered-value", b.disclosures[0].0, value.encode()),
        ("tampered-salt", b.disclosures[0].0, salt.encode()),
        ("moved", Seq(b.disclosures[0].0 .0 - 1), d0.encode()),
    ] {
        let mut bad = b.clone();
        bad.disclosures[0] = (seq, bytes);
        bad.disclosures.sort();
        let (r, _) = bundle::verify(&bad, std::slice::from_ref(&vkey), &[], 0).unwrap();
        assert!(
            r.has(Code::BadDisclosure, None),
            "{name}: {:#?}",
            r.problems
        );
        std::fs::write(dir.join(name), bad.encode()).unwrap();
    }
    for n in ["redacted", "revealed", "one"] {
        let (r, _) = bundle::verify(
            &Bundle::decode(&std::fs::read(dir.join(n)).unwrap()).unwrap(),
            std::slice::from_ref(&vkey),
            &[],
            0,
        )
        .unwrap();
        assert!(r.is_ok(), "{n}: {:#?}", r.problems);
    }
    for (n, codes) in common::python_batch(&dir, std::slice::from_ref(&vkey), &[], 0) {
        let tampered = n.starts_with("tampered") || n == "moved";
        let want: std::collections::BTreeSet<String> = if tampered {
            ["BAD_DISCLOSURE".to_owned()].into()
        } else {
            Default::default()
        };
        assert_eq!(codes, want, "python on {n}");
    }
}

fn raw_db(dir: &Path) -> rocksdb::DB {
    rocksdb::DB::open_cf(&rocksdb::Options::default(), dir, ALL_CFS).unwrap()
}

#[test]
fn tampered_stored_disclosures_are_caught() {
    type Tamper = fn(&Disclosure) -> (Option<Seq>, Vec<u8>);
    let cases: [(&str, Tamper); 3] = [
        ("value", |d| {
            let mut x = d.clone();
            x.value = Value::Text("FAKE-NAME-999".into());
            (None, x.encode())
        }),
        ("salt", |d| {
            let mut x = d.clone();
            x.salt[15] ^= 0x80;
            (None, x.encode())
        }),
        ("moved", |d| (Some(Seq(3)), d.encode())),
    ];
    for (name, f) in cases {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        let (l, seq) = ledger(&dir);
        let (digest, d) = l.disclosures_of(seq).unwrap().remove(0);
        drop(l);
        {
            let db = raw_db(&dir);
            let cf = db.cf_handle(CF_DISCLOSURES).unwrap();
            let (to, bytes) = f(&d);
            db.delete_cf(cf, caselog::storage::layout::disclosure_key(seq, &digest))
                .unwrap();
            db.put_cf(
                cf,
                caselog::storage::layout::disclosure_key(to.unwrap_or(seq), &digest),
                bytes,
            )
            .unwrap();
        }
        let r = verify_store(&caselog::storage::store::Store::open(&dir).unwrap()).unwrap();
        assert_eq!(r.problems.len(), 1, "{name}: {:#?}", r.problems);
        assert_eq!(r.problems[0].code, Code::BadDisclosure, "{name}");
    }
}

#[test]
fn erasure_removes_every_byte_and_the_ledger_still_verifies() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let (mut l, seq) = ledger(&dir);
    let (path, value) = members()[2].clone();
    // Only an authority may erase.
    assert!(l
        .erase(seq, &path, "court order", None, &common::investigator())
        .is_err());
    assert!(l
        .erase(seq, "members/404", "x", None, &common::authority())
        .is_err());
    let (eseq, _) = l
        .erase(
            seq,
            &path,
            "court order",
            Some("Order 2009-CV-0042"),
            &common::authority(),
        )
        .unwrap();
    assert_eq!(l.disclosures_of(seq).unwrap().len(), 4);
    drop(l);
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    assert!(files.len() > 5);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !contains(&bytes, &value),
            "erased value still in {}",
            f.display()
        );
        assert!(
            !contains(&bytes, "SSN 000-00-0003"),
            "erased SSN still in {}",
            f.display()
        );
    }
    // Other members' values are still there (the scan can find values).
    let found_other = files
        .iter()
        .any(|f| contains(&std::fs::read(f).unwrap(), &members()[1].1));
    assert!(found_other, "the scan must be able to see stored values");
    let l = Ledger::open(&dir, false).unwrap();
    let r = verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    assert_eq!(
        (r.private_fields, r.disclosures_present, r.erasures),
        (5, 4, 1)
    );
    let raw = l.record_bytes(eseq).unwrap().unwrap();
    let e = caselog::Entry::decode(&caselog::Record::decode(&raw).unwrap().entry_bytes).unwrap();
    assert_eq!(e.body.kind().name(), "disclosure.erased");
    assert!(e.body.summary().contains("Order 2009-CV-0042"));
    let html =
        caselog::export::court::render(&l, None, None, &Reveal::Paths(vec!["*".into()])).unwrap();
    assert!(html.contains("Erasures") && html.contains("members/003") && !html.contains(&value));
}

/// Erasure is crash-safe (SPEC §15): killed after the erasure is committed
/// (or after the flush), the value is still in the files and the
/// `purge/pending` row says so; `caselog erase --resume` (or any writing
/// command) finishes the purge, after which no file holds the value and the
/// ledger verifies.
#[cfg(feature = "failpoints")]
#[test]
fn an_interrupted_erasure_is_finished_on_resume() {
    use std::os::unix::process::ExitStatusExt as _;
    let bin = env!("CARGO_BIN_EXE_caselog");
    for (n, point) in ["erase.after_commit", "erase.after_flush"]
        .iter()
        .enumerate()
    {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        let (l, seq) = ledger(&dir);
        let head = l.head().tree.size.0;
        drop(l);
        let key = t.path().join("authority");
        caselog::storage::keys::write_key_files(&common::authority(), &key, None).unwrap();
        let (path, value) = members()[n].clone();
        let run = |fp: Option<&str>, args: &[&str]| {
            let mut c = std::process::Command::new(bin);
            if let Some(fp) = fp {
                c.env("CASELOG_FAILPOINT", fp);
            }
            c.arg("--ledger")
                .arg(&dir)
                .arg("--key")
                .arg(&key)
                .args(args);
            c.output().unwrap()
        };
        let seq_s = seq.0.to_string();
        let o = run(
            Some(point),
            &["erase", &seq_s, "--field", &path, "--reason", "court order"],
        );
        assert_eq!(o.status.signal(), Some(6), "{point}: {o:?}");
        let in_files = |dir: &Path| {
            let mut files = Vec::new();
            all_files(dir, &mut files);
            files
                .iter()
                .filter(|f| contains(&std::fs::read(f).unwrap(), &value))
                .count()
        };
        assert!(
            in_files(&dir) > 0,
            "{point}: the crash left no trace to purge?"
        );
        {
            let store = caselog::storage::store::Store::open(&dir).unwrap();
            assert!(
                store
                    .get(
                        caselog::storage::layout::CF_META,
                        caselog::storage::layout::META_PURGE
                    )
                    .unwrap()
                    .is_some(),
                "{point}: no pending-purge row after the crash"
            );
            let r = verify_store(&store).unwrap();
            assert!(r.is_ok(), "{point}: {:#?}", r.problems);
        }
        let o = run(None, &["erase", "--resume"]);
        assert!(o.status.success(), "{point}: {o:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("the purge of the erasure at seq {head} is finished: the value is gone from the ledger's files\n")
        );
        assert_eq!(
            in_files(&dir),
            0,
            "{point}: the erased value is still in a file"
        );
        let l = Ledger::open(&dir, false).unwrap();
        assert_eq!(l.head().tree.size.0, head + 1, "{point}: the erasure entry");
        let r = verify_store(l.store()).unwrap();
        assert!(r.is_ok(), "{point}: {:#?}", r.problems);
        assert_eq!(r.erasures, 1);
        drop(l);
        // Nothing left to do: a second resume says so.
        let o = run(None, &["erase", "--resume"]);
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            "no erasure was waiting for its purge; nothing to do\n"
        );
    }
}
