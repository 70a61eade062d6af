//! Bundles: export → verify round trips (full and partial, both hashes) with
//! the Rust verifier and the independent Python verifier (tools/verify-bundle),
//! and a mutation corpus on which both verifiers must give identical verdicts.
//!
//! The Python verifier runs from the venv tools/test makes
//! ($CASELOG_PYTHON, default ~/.cache/caselog/venv/bin/python).

use crate::common;

use std::path::{Path, PathBuf};

use caselog::audit::bundle::{self, Bundle, Selection};
use caselog::tlog::note::VerifierKey;
use caselog::{HashAlg, Ledger, LedgerId, TreeSize};

struct Fixture {
    _t: tempfile::TempDir,
    dir: PathBuf,
    ledger: Ledger,
    vkey: VerifierKey,
    cp: Vec<u8>,
}

fn fixture(alg: HashAlg) -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().to_owned();
    let mut ledger = common::build_small(&dir.join("l"), alg);
    let cp = ledger
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let vkey = ledger.origin().log_key(common::authority().public());
    Fixture {
        _t: t,
        dir,
        ledger,
        vkey,
        cp,
    }
}

fn rust_ok(bytes: &[u8], vkey: &VerifierKey) -> bool {
    match Bundle::decode(bytes) {
        Err(_) => false,
        Ok(b) => {
            matches!(bundle::verify(&b, std::slice::from_ref(vkey), &[], 0), Ok((r, _)) if r.is_ok())
        }
    }
}

/// The codes the Rust verifier reports for a bundle file (empty: verified).
fn rust_codes(bytes: &[u8], vkey: &VerifierKey) -> std::collections::BTreeSet<String> {
    common::rust_codes(bytes, std::slice::from_ref(vkey), &[], 0)
}

/// Verdicts of the Python verifier for every file in `dir`.
fn python_verdicts(dir: &Path, vkey: &VerifierKey) -> Vec<(String, bool)> {
    python_codes(dir, vkey)
        .into_iter()
        .map(|(n, c)| (n, c.is_empty()))
        .collect()
}

/// Codes the Python verifier reports for every file in `dir`.
fn python_codes(
    dir: &Path,
    vkey: &VerifierKey,
) -> Vec<(String, std::collections::BTreeSet<String>)> {
    common::python_batch(dir, std::slice::from_ref(vkey), &[], 0)
}

#[test]
fn round_trips_with_both_verifiers() {
    for alg in [HashAlg::Blake3, HashAlg::Sha256] {
        let f = fixture(alg);
        let corpus = f.dir.join("ok");
        std::fs::create_dir(&corpus).unwrap();
        let sels = [
            ("full", Selection::default()),
            (
                "seq3",
                Selection {
                    seqs: vec![(3, 3)],
                    ..Default::default()
                },
            ),
            (
                "notes",
                Selection {
                    kinds: vec![caselog::Kind::Note],
                    ..Default::default()
                },
            ),
        ];
        for (name, sel) in sels {
            let b = bundle::build(&f.ledger, &f.cp, &sel).unwrap();
            let bytes = b.encode();
            // Deterministic: the same export twice gives the same bytes.
            assert_eq!(
                bundle::build(&f.ledger, &f.cp, &sel).unwrap().encode(),
                bytes
            );
            // Streamed to a writer (what `export bundle` does): the same bytes.
            let mut streamed = Vec::new();
            let w = bundle::write(&f.ledger, &f.cp, &sel, &mut streamed).unwrap();
            assert_eq!(streamed, bytes, "{alg} {name}: streamed bytes differ");
            assert_eq!(w.records, b.items.len() as u64);
            // Strict decode re-encodes the whole map through the codec and
            // compares bytes, so this also checks the streamed encoding is
            // canonical.
            assert_eq!(Bundle::decode(&bytes).unwrap(), b);
            assert!(rust_ok(&bytes, &f.vkey), "{alg} {name}");
            std::fs::write(corpus.join(name), &bytes).unwrap();
        }
        for (n, ok) in python_verdicts(&corpus, &f.vkey) {
            assert!(ok, "python rejected the valid {alg} bundle {n}");
        }
        // The wrong pinned key fails in both.
        let other = f.ledger.origin().log_key(common::outsider().public());
        assert!(!rust_ok(
            &std::fs::read(corpus.join("full")).unwrap(),
            &other
        ));
        assert!(python_verdicts(&corpus, &other).iter().all(|(_, ok)| !ok));
    }
}

#[test]
fn mutation_corpus_gets_identical_verdicts() {
    let f = fixture(HashAlg::Blake3);
    let corpus = f.dir.join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let full = bundle::build(&f.ledger, &f.cp, &Selection::default()).unwrap();
    let full_bytes = full.encode();
    let part = bundle::build(
        &f.ledger,
        &f.cp,
        &Selection {
            seqs: vec![(2, 3)],
            ..Default::default()
        },
    )
    .unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    // Every byte of the full bundle and of the partial one, flipped.
    for (tag, bytes) in [("full", &full_bytes), ("part", &part.encode())] {
        for i in 0..bytes.len() {
            let mut m = bytes.clone();
            m[i] ^= 0x01;
            cases.push((format!("{tag}-flip-{i:05}"), m));
        }
    }
    // Structural attacks.
    let mut dropped = full.clone();
    dropped.items.remove(3);
    cases.push(("drop-record".into(), dropped.encode()));
    let mut tail = full.clone();
    tail.items.pop();
    cases.push(("drop-last".into(), tail.encode()));
    let mut swapped = full.clone();
    let (a, b) = (
        swapped.items[3].record.clone(),
        swapped.items[4].record.clone(),
    );
    swapped.items[3].record = b;
    swapped.items[4].record = a;
    cases.push(("swap-records".into(), swapped.encode()));
    let t2 = tempfile::tempdir().unwrap();
    let other =
        common::build_small_with_id(&t2.path().join("o"), HashAlg::Blake3, LedgerId([0x42; 16]));
    let mut replay = full.clone();
    replay.items[3].record = other.record_bytes(caselog::Seq(3)).unwrap().unwrap();
    cases.push(("replay-other-ledger".into(), replay.encode()));
    // A checkpoint of a different size (validly signed).
    let mut l5 = f.ledger;
    let cp5 = caselog::tlog::checkpoint::Checkpoint {
        items: None,
        origin: l5.origin(),
        head: l5.tree_head_at(TreeSize(5)).unwrap(),
    }
    .sign(&common::authority())
    .unwrap()
    .to_text();
    let mut other_size = full.clone();
    other_size.checkpoint = cp5;
    cases.push(("checkpoint-other-size".into(), other_size.encode()));
    let mut flag = part.clone();
    flag.full = true;
    cases.push(("partial-claims-full".into(), flag.encode()));
    l5.append_at(common::note("later"), &common::authority(), common::t(5000))
        .unwrap();
    let cp8 = l5.checkpoint(&common::authority()).unwrap().to_text();
    let mut newer = full.clone();
    newer.checkpoint = cp8;
    cases.push(("checkpoint-newer-than-records".into(), newer.encode()));

    for (name, bytes) in &cases {
        std::fs::write(corpus.join(name), bytes).unwrap();
    }
    let py = python_codes(&corpus, &f.vkey);
    assert_eq!(py.len(), cases.len());
    let mut disagree = Vec::new();
    let mut accepted = Vec::new();
    for (name, codes) in &py {
        let bytes = std::fs::read(corpus.join(name)).unwrap();
        // The same verdict, and the same codes (SPEC §2 and §9.1 fix which).
        let r = rust_codes(&bytes, &f.vkey);
        if &r != codes {
            disagree.push(format!("{name}: rust {r:?}, python {codes:?}"));
        }
        if r.is_empty() {
            accepted.push(name.clone());
        }
    }
    assert!(
        disagree.is_empty(),
        "verifiers disagree on {} of {}: {:#?}",
        disagree.len(),
        py.len(),
        disagree
    );
    // No structural attack is accepted; a flip is accepted only when it hits
    // an ignored part (an unknown signature line's name), never a record.
    for a in &accepted {
        assert!(a.contains("-flip-"), "{a} accepted");
    }
    assert!(
        accepted.len() < 20,
        "{} flips accepted: {accepted:?}",
        accepted.len()
    );
    eprintln!(
        "bundle: {} mutated bundles, identical verdicts from both verifiers, {} accepted (only flips in ignored signature-line names may be)",
        py.len(),
        accepted.len()
    );
}

#[test]
fn evidence_files_travel_with_the_bundle() {
    use caselog::format::edtf::Edtf;
    use caselog::format::kinds::{Domain, EvidenceIntake, FileFixity};
    let f = fixture(HashAlg::Sha256);
    let mut l = f.ledger;
    let ldir = l.store().dir().to_owned();
    let src = f.dir.join("scan.txt");
    std::fs::write(&src, b"FAKE scan carried in a bundle\n").unwrap();
    let d = caselog::storage::evidence::store_blob(&ldir, &src, &mut |_| {}).unwrap();
    l.append_at(
        caselog::Body::Domain(Domain::EvidenceIntake(EvidenceIntake {
            zone: None,
            tree: None,
            device: None,
            lineage: None,
            item: "EV-7".into(),
            description: "scan".into(),
            collected_by: "c".into(),
            collected: Edtf::parse("2008-10~").unwrap(),
            location: None,
            seal: None,
            files: vec![FileFixity {
                name: "scan.txt".into(),
                size: d.size,
                blake3: d.blake3,
                sha256: d.sha256,
                media_type: None,
            }],
        })),
        &common::authority(),
        common::t(9000),
    )
    .unwrap();
    let cp = l
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let corpus = f.dir.join("files");
    std::fs::create_dir(&corpus).unwrap();
    for (name, sel) in [
        (
            "full",
            Selection {
                with_files: true,
                ..Default::default()
            },
        ),
        (
            "item",
            Selection {
                items: vec!["EV-7".into()],
                with_files: true,
                ..Default::default()
            },
        ),
    ] {
        let b = bundle::build(&l, &cp, &sel).unwrap();
        assert_eq!(b.files.len(), 1, "{name}");
        assert_eq!(b.files[0].1, std::fs::read(&src).unwrap());
        std::fs::write(corpus.join(format!("{name}-ok")), b.encode()).unwrap();
        let mut bad = b.clone();
        bad.files[0].1.push(b'!');
        std::fs::write(corpus.join(format!("{name}-tampered")), bad.encode()).unwrap();
    }
    let vkey = l.origin().log_key(common::authority().public());
    for (n, ok) in python_verdicts(&corpus, &vkey) {
        let bytes = std::fs::read(corpus.join(&n)).unwrap();
        let r = rust_ok(&bytes, &vkey);
        assert_eq!(ok, r, "{n}: python {ok}, rust {r}");
        assert_eq!(r, n.ends_with("-ok"), "{n}");
    }
}

/// What the Python verifier says about each item of an item bundle
/// (`items` of its JSON verdict).
fn python_items(file: &Path, vkey: &VerifierKey) -> serde_json::Value {
    let out = std::process::Command::new(common::python())
        .arg(common::verify_bundle_script())
        .args(["--json", "--trust"])
        .arg(vkey.to_string())
        .arg(file)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["verified"], true, "{v:#}");
    v["items"].clone()
}

/// SPEC §13.7: an item bundle proves that it carries every entry about its
/// item up to the checkpoint (item links, the checkpoint's item map), both
/// verifiers replay its custody and say so; a copy's bundle brings its
/// source's intake; entries after the checkpoint are not needed.
#[test]
fn an_item_bundle_proves_its_item_complete() {
    use caselog::format::kinds::{CustodyRetrieve, CustodyStore, Domain, Seals};
    let f = fixture(HashAlg::Sha256);
    let mut l = f.ledger;
    let a = common::authority();
    let mut at = 9000;
    let mut put = |l: &mut Ledger, d: Domain| {
        at += 1;
        l.append_at(caselog::Body::Domain(d), &a, common::t(at))
            .unwrap()
    };
    let intake = |item: &str, from: Option<&str>| {
        let mut i = match common::intake_body(item) {
            caselog::Body::Domain(Domain::EvidenceIntake(i)) => i,
            _ => unreachable!(),
        };
        i.lineage = from.map(|src| {
            Box::new(caselog::format::provenance::Lineage {
                role: caselog::format::provenance::CopyRole::Image,
                derived_from: Some(src.into()),
                tool: Some("dd".into()),
                tool_version: None,
                method: Some("bit-for-bit".into()),
            })
        });
        Domain::EvidenceIntake(i)
    };
    let store = || {
        Domain::CustodyStore(CustodyStore {
            item: "EV-7".into(),
            location: "Property room B".into(),
            reason: None,
            condition: None,
            seals: Seals::default(),
        })
    };
    put(&mut l, intake("EV-7", None));
    put(&mut l, store());
    let (head, _) = put(
        &mut l,
        Domain::CustodyRetrieve(CustodyRetrieve {
            item: "EV-7".into(),
            reason: "imaging".into(),
            condition: None,
            seals: Seals::default(),
        }),
    );
    let (copy, _) = put(&mut l, intake("EV-8", Some("EV-7")));
    let cp = l.checkpoint(&a).unwrap().to_text().into_bytes();
    assert!(String::from_utf8_lossy(&cp).contains("\ncaselog-items 2 "));
    // Later entries about EV-7 are beyond the checkpoint: not needed.
    put(&mut l, store());
    for (item, want_head) in [("EV-7", head), ("EV-8", copy)] {
        let sel = Selection {
            items: vec![item.into()],
            ..Default::default()
        };
        let b = bundle::build(&l, &cp, &sel).unwrap();
        assert_eq!(b.item_proofs.len(), 1);
        let (r, _) = bundle::verify(&b, std::slice::from_ref(&f.vkey), &[], 0).unwrap();
        assert!(r.is_ok(), "{item}: {:#?}", r.problems);
        assert_eq!(r.items.len(), 1);
        assert!(
            r.items[0].complete && r.items[0].head == want_head.0,
            "{:?}",
            r.items
        );
        let file = f.dir.join(format!("{item}.bundle"));
        std::fs::write(&file, b.encode()).unwrap();
        let py = python_items(&file, &f.vkey);
        assert_eq!(py[0]["complete"], true, "{py:#}");
        assert_eq!(py[0]["head_seq"], want_head.0, "{py:#}");
    }
}
