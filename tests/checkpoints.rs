//! Checkpoints, proofs and witnesses at the library level: every proof of a
//! small ledger verifies offline and breaks under any tampering; truncation,
//! rollback and rewrite are caught by `verify --against` and by a witness.

use crate::common;

use caselog::audit::{Code, External};
use caselog::tlog::checkpoint::{self, Checkpoint};
use caselog::tlog::note::{self, Note, VerifierKey, TYPE_COSIGNATURE};
use caselog::tlog::proof;
use caselog::tlog::prooffile::{verify_inclusion_file, ConsistencyProof, InclusionProof};
use caselog::tlog::witness::{Witness, WitnessError};
use caselog::{verify_store_with, HashAlg, Ledger, Seq, TreeSize, VerifyOptions};

fn log_key(l: &Ledger) -> VerifierKey {
    l.origin().log_key(common::authority().public())
}

#[test]
fn every_inclusion_proof_verifies_offline_and_tampering_breaks_it() {
    for alg in [HashAlg::Blake3, HashAlg::Sha256] {
        let t = tempfile::tempdir().unwrap();
        let mut l = common::build_small(&t.path().join("l"), alg);
        let cp = l
            .checkpoint(&common::authority())
            .unwrap()
            .to_text()
            .into_bytes();
        let trust = [log_key(&l)];
        for seq in 0..7 {
            let p = l
                .inclusion_proof(Seq(seq), TreeSize(7), cp.clone())
                .unwrap();
            let text = p.to_text();
            let parsed = InclusionProof::parse(text.as_bytes()).unwrap();
            assert_eq!(parsed, p);
            let v = verify_inclusion_file(&parsed, &pin(&trust)).unwrap();
            assert_eq!(v.entry.seq, Seq(seq));
            // Every byte of the file, flipped: refused (or, for bytes that
            // do not carry meaning, such as base64 padding bits, still the
            // same proof), never a panic.
            let bytes = text.as_bytes();
            for i in 0..bytes.len() {
                let mut b = bytes.to_vec();
                b[i] ^= 0x01;
                if let Ok(q) = InclusionProof::parse(&b) {
                    if verify_inclusion_file(&q, &pin(&trust)).is_ok() {
                        assert_eq!(
                            q, p,
                            "flip at byte {i} gave a different proof that verifies"
                        );
                    }
                }
            }
        }
        // Another authority key is not trusted.
        let p = l.inclusion_proof(Seq(2), TreeSize(7), cp.clone()).unwrap();
        let other = l.origin().log_key(common::outsider().public());
        assert!(verify_inclusion_file(&p, &pin(&[other])).is_err());
        // A record from another position with the same path is refused.
        let mut q = p.clone();
        q.record = l.record_bytes(Seq(3)).unwrap().unwrap();
        assert!(verify_inclusion_file(&q, &pin(&trust)).is_err());
    }
}

#[test]
fn consistency_proofs_between_all_sizes() {
    let t = tempfile::tempdir().unwrap();
    let l = common::build_small(&t.path().join("l"), HashAlg::Sha256);
    for old in 1..=7u64 {
        for new in old..=7 {
            let p = l.consistency_proof(TreeSize(old), TreeSize(new)).unwrap();
            let p = ConsistencyProof::parse(p.to_text().as_bytes()).unwrap();
            let a = l.tree_head_at(TreeSize(old)).unwrap();
            let b = l.tree_head_at(TreeSize(new)).unwrap();
            proof::verify_consistency(HashAlg::Sha256, a.size, b.size, &a.root, &b.root, &p.path)
                .unwrap();
        }
    }
}

#[test]
fn inclusion_proof_at_one_million_has_at_most_20_hashes() {
    let size = TreeSize(1_000_000);
    for idx in [0, 1, 499_999, 524_287, 524_288, 999_998, 999_999] {
        let n = proof::inclusion_ranges(idx, size).unwrap().len();
        assert!(n <= 20, "index {idx}: {n} hashes");
    }
}

#[test]
fn stored_checkpoints_are_verified() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Blake3);
    l.checkpoint(&common::authority()).unwrap();
    drop(l);
    let r = caselog::verify_store(caselog::Ledger::open(&dir, false).unwrap().store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);

    // A stored checkpoint with another root, validly signed by the
    // authority (a fork the operator made): CHECKPOINT_MISMATCH.
    let forged = Checkpoint {
        items: None,
        origin: caselog::tlog::checkpoint::Origin::parse(&format!(
            "caselog/blake3/{}",
            common::LEDGER_ID
        ))
        .unwrap(),
        head: caselog::TreeHead {
            size: TreeSize(5),
            root: caselog::Hash([1; 32]),
        },
    }
    .sign(&common::authority());
    {
        let db = rocksdb::DB::open_cf(
            &rocksdb::Options::default(),
            &dir,
            caselog::storage::layout::ALL_CFS,
        )
        .unwrap();
        let cf = db.cf_handle("checkpoints").unwrap();
        db.put_cf(cf, 5u64.to_be_bytes(), forged.unwrap().to_text())
            .unwrap();
        // And one signed by a non-member at size 6: BAD_CHECKPOINT.
        let head6 = caselog::Ledger::open(&dir, false)
            .unwrap()
            .tree_head_at(TreeSize(6))
            .unwrap();
        let by_outsider = Checkpoint {
            items: None,
            origin: forged_origin(),
            head: head6,
        }
        .sign(&common::outsider());
        db.put_cf(cf, 6u64.to_be_bytes(), by_outsider.unwrap().to_text())
            .unwrap();
    }
    let r = caselog::verify_store(caselog::Ledger::open(&dir, false).unwrap().store()).unwrap();
    assert_eq!(
        r.problems[0].code,
        Code::CheckpointMismatch,
        "{:#?}",
        r.problems
    );
    assert!(r.problems[0].message.contains("size 5"));
    assert!(r.has(Code::BadCheckpoint, None));
}

fn forged_origin() -> caselog::tlog::checkpoint::Origin {
    caselog::tlog::checkpoint::Origin::parse(&format!("caselog/blake3/{}", common::LEDGER_ID))
        .unwrap()
}

/// Checkpoint at 7, then the ledger truncated to 4 and re-extended to 8
/// with different, validly signed entries.
fn rewritten() -> (tempfile::TempDir, Vec<u8>, Ledger) {
    let t = tempfile::tempdir().unwrap();
    let mut orig = common::build_small(&t.path().join("orig"), HashAlg::Blake3);
    let cp7 = orig
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let mut re =
        common::build_small_prefix(&t.path().join("re"), HashAlg::Blake3, common::LEDGER_ID, 4);
    for k in 0..4 {
        re.append_at(
            common::note(&format!("rewritten history {k}")),
            &common::authority(),
            common::t(500 + k),
        )
        .unwrap();
    }
    (t, cp7, re)
}

#[test]
fn verify_against_detects_rewrite_and_truncation() {
    let (_t, cp7, re) = rewritten();
    let opts = VerifyOptions {
        against: vec![External {
            label: "cp7".into(),
            bytes: cp7.clone(),
            trust: vec![],
        }],
        ..Default::default()
    };
    let r = verify_store_with(re.store(), &opts).unwrap();
    assert_eq!(r.problems.len(), 1, "{:#?}", r.problems);
    assert_eq!(r.problems[0].code, Code::CheckpointMismatch);
    assert!(r.problems[0].message.contains("size 7"));

    // Truncation alone: a 5-entry ledger against the size-7 checkpoint.
    let t = tempfile::tempdir().unwrap();
    let short =
        common::build_small_prefix(&t.path().join("s"), HashAlg::Blake3, common::LEDGER_ID, 5);
    let r = verify_store_with(short.store(), &opts).unwrap();
    assert_eq!(r.problems.len(), 1, "{:#?}", r.problems);
    assert_eq!(r.problems[0].code, Code::Truncated);
    assert!(r.problems[0]
        .message
        .contains("covers 7 entries but the ledger holds 5"));

    // A checkpoint of another ledger: BAD_CHECKPOINT, not a pass.
    let t2 = tempfile::tempdir().unwrap();
    let mut other = common::build_small_with_id(
        &t2.path().join("o"),
        HashAlg::Blake3,
        caselog::LedgerId([9; 16]),
    );
    let foreign = other
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let r = verify_store_with(
        short.store(),
        &VerifyOptions {
            against: vec![External {
                label: "x".into(),
                bytes: foreign,
                trust: vec![],
            }],
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        r.has(Code::BadCheckpoint, None) || r.has(Code::Truncated, None),
        "{:#?}",
        r.problems
    );
    assert!(!r.is_ok());
}

#[test]
fn witness_cosigns_consistent_growth_and_refuses_rewrite_and_rollback() {
    let t = tempfile::tempdir().unwrap();
    let wsigner = caselog::storage::keys::Signer::from_seed("Counsel (test)", &[0x0c; 32]);
    let w = Witness::init(&t.path().join("w"), "counsel.example/witness", &wsigner).unwrap();
    let wkey = w.verifier_key().clone();
    assert_eq!(wkey.typ, TYPE_COSIGNATURE);

    let mut l =
        common::build_small_prefix(&t.path().join("l"), HashAlg::Blake3, common::LEDGER_ID, 5);
    let lk = log_key(&l);
    let cp5 = l
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let c = w.cosign(&wsigner, &lk, &cp5, None, 1_000).unwrap();
    assert!(
        c.previous.is_none(),
        "first checkpoint is trusted on first use"
    );
    // The cosignature verifies under the witness key and a quorum of 1.
    let cos = c.note.to_text().into_bytes();
    checkpoint::verify(
        &cos,
        std::slice::from_ref(&lk),
        std::slice::from_ref(&wkey),
        1,
    )
    .unwrap();
    assert_eq!(
        l.add_cosignatures(&c.note, std::slice::from_ref(&wkey))
            .unwrap(),
        1
    );

    // Growth with a valid consistency proof: cosigned.
    l.append_at(
        common::note("later fact"),
        &common::authority(),
        common::t(900),
    )
    .unwrap();
    let cp6 = l
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    assert!(matches!(
        w.cosign(&wsigner, &lk, &cp6, None, 1_001),
        Err(WitnessError::ProofRequired { old: 5, new: 6 })
    ));
    let p = l.consistency_proof(TreeSize(5), TreeSize(6)).unwrap();
    let c = w.cosign(&wsigner, &lk, &cp6, Some(&p), 1_002).unwrap();
    assert_eq!(c.previous, Some(TreeSize(5)));

    // An older checkpoint (size 5, which the log did sign): refused, and
    // nothing saved, for it shows nothing about the log.
    let evidence_dir = t.path().join("w/evidence");
    let saved = || std::fs::read_dir(&evidence_dir).unwrap().count();
    assert!(matches!(
        w.cosign(&wsigner, &lk, &cp5, None, 1_003),
        Err(WitnessError::Older {
            held: 6,
            offered: 5
        })
    ));
    assert_eq!(saved(), 0);

    // A rewritten ledger of the same id: its checkpoint at 8 with its own
    // (valid for it) proof from 6 does not extend what the witness holds.
    // The proof does not verify: refused as bad input, nothing saved
    // (anyone can send a bad proof).
    let (_t2, _cp7, mut re) = rewritten();
    let cp8 = re
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let p = re.consistency_proof(TreeSize(6), TreeSize(8)).unwrap();
    match w.cosign(&wsigner, &lk, &cp8, Some(&p), 1_004) {
        Err(WitnessError::BadProof(reason)) => {
            assert!(
                reason.contains("from the held size 6 to 8 does not verify"),
                "{reason}"
            )
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    assert_eq!(saved(), 0);
    // Split view: a different root at the held size, signed by the log:
    // refused with evidence; offered again, the same evidence directory.
    let cp6_fork = re.checkpoint_at_for_test(6);
    let mut seen = Vec::new();
    for now in [1_005, 1_006] {
        match w.cosign(&wsigner, &lk, &cp6_fork, None, now) {
            Err(WitnessError::Inconsistent { reason, evidence }) => {
                assert!(reason.contains("split view"), "{reason}");
                assert_eq!(
                    std::fs::read(evidence.join("offered.checkpoint")).unwrap(),
                    cp6_fork
                );
                assert!(evidence.join("held.checkpoint").is_file());
                seen.push(evidence);
            }
            other => panic!("expected refusal, got {other:?}"),
        }
    }
    assert_eq!(seen[0], seen[1], "the same split view is saved once");
    assert_eq!(saved(), 1);
    // The same root at the held size with another body (an item-map line
    // the held checkpoint does not have) is a split view too: the whole
    // body must be the one held.
    let other_body = Checkpoint {
        items: Some(caselog::tlog::itemmap::MapHead {
            count: 1,
            root: caselog::Hash([7; 32]),
        }),
        origin: l.origin(),
        head: l.tree_head_at(TreeSize(6)).unwrap(),
    }
    .sign(&common::authority())
    .unwrap()
    .to_text()
    .into_bytes();
    match w.cosign(&wsigner, &lk, &other_body, None, 1_007) {
        Err(WitnessError::Inconsistent { reason, .. }) => {
            assert!(
                reason.contains("two different checkpoints signed for size 6"),
                "{reason}"
            )
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    assert_eq!(saved(), 2);
    // The very checkpoint held is cosigned again.
    w.cosign(&wsigner, &lk, &cp6, None, 1_008).unwrap();
    // A checkpoint not signed by the log key: refused before anything else.
    let bad = Checkpoint::parse_body(&Note::parse(&cp6).unwrap().text)
        .unwrap()
        .sign(&common::outsider())
        .unwrap()
        .to_text()
        .into_bytes();
    assert!(matches!(
        w.cosign(&wsigner, &lk, &bad, None, 1_009),
        Err(WitnessError::Checkpoint(_))
    ));
}

trait CheckpointAt {
    fn checkpoint_at_for_test(&self, size: u64) -> Vec<u8>;
}
impl CheckpointAt for Ledger {
    /// A checkpoint of this ledger's tree at an earlier size, signed by the authority.
    fn checkpoint_at_for_test(&self, size: u64) -> Vec<u8> {
        Checkpoint {
            items: None,
            origin: self.origin(),
            head: self.tree_head_at(TreeSize(size)).unwrap(),
        }
        .sign(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes()
    }
}

#[test]
fn sha256_checkpoint_verifies_from_the_c2sp_text_alone() {
    // Recompute key id and signature with sha2 + ed25519-dalek directly.
    use ed25519_dalek::{Signature, VerifyingKey};
    use sha2::{Digest, Sha256};
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), HashAlg::Sha256);
    let text = l.checkpoint(&common::authority()).unwrap().to_text();
    let (body, sigs) = text.split_once("\n\n").unwrap();
    let body = format!("{body}\n");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], format!("caselog/sha256/{}", common::LEDGER_ID));
    assert_eq!(lines[1], "7");
    let line = sigs.lines().next().unwrap();
    let rest = line.strip_prefix("\u{2014} ").unwrap();
    let (name, b64) = rest.split_once(' ').unwrap();
    assert_eq!(name, lines[0]);
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let pk = common::authority().public().0;
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', 0x01]);
    h.update(pk);
    assert_eq!(&raw[..4], &h.finalize()[..4]);
    let vk = VerifyingKey::from_bytes(&pk).unwrap();
    vk.verify_strict(
        body.as_bytes(),
        &Signature::from_bytes(&raw[4..].try_into().unwrap()),
    )
    .unwrap();
    // And the root is the RFC 6962 MTH of the stored records.
    let leaves: Vec<_> = l
        .records_from(Seq(0))
        .map(|r| HashAlg::Sha256.leaf(&r.unwrap().1))
        .collect();
    let root = caselog::tlog::merkle::root_of_leaves(HashAlg::Sha256, &leaves);
    assert_eq!(
        lines[2],
        base64::engine::general_purpose::STANDARD.encode(root.0)
    );
    let _ = note::TYPE_ED25519;
}

#[test]
fn automatic_checkpoints() {
    let t = tempfile::tempdir().unwrap();
    let a = common::authority();
    let i = common::investigator();
    let mut l = Ledger::init(
        &t.path().join("l"),
        caselog::Genesis {
            case_id: "C",
            title: "T",
            hash: HashAlg::Blake3,
            time: common::t(0),
            ledger_id: None,
            checkpoint_every: Some(3),
            zone: None,
        },
        &a,
    )
    .unwrap();
    l.append_at(
        caselog::Body::MemberEnroll(caselog::format::entry::MemberEnroll {
            profile: Default::default(),
            name: "i".into(),
            role: caselog::Role::Investigator,
            key: i.public(),
        }),
        &a,
        common::t(1),
    )
    .unwrap();
    l.append_at(common::note("by authority: size 3"), &a, common::t(2))
        .unwrap();
    assert!(l.stored_checkpoint(TreeSize(3)).unwrap().is_some());
    assert_eq!(l.checkpoint_due(), None);
    for k in 0..3 {
        l.append_at(common::note("by investigator"), &i, common::t(3 + k))
            .unwrap();
    }
    assert_eq!(
        l.checkpoint_due(),
        Some(TreeSize(6)),
        "investigator cannot sign a checkpoint"
    );
    assert!(l.stored_checkpoint(TreeSize(6)).unwrap().is_none());
    // A batch crossing a multiple: one checkpoint at its end.
    l.append_batch_at(
        vec![
            (common::note("x"), &a),
            (common::note("y"), &a),
            (common::note("z"), &a),
        ],
        common::t(10),
    )
    .unwrap();
    assert!(l.stored_checkpoint(TreeSize(9)).unwrap().is_some());
    let r = caselog::verify_store(l.store()).unwrap();
    assert!(r.is_ok(), "{:#?}", r.problems);
    let _ = l.checkpoint_every();
}

/// Defect: an unsigned or forged checkpoint claiming size 999 made `verify
/// --against` report TRUNCATED ("entries were removed") on an intact
/// ledger. A checkpoint is authenticated before it is believed: a bad one
/// is BAD_CHECKPOINT and never a tampering finding (SPEC §9.2).
#[test]
fn verify_against_believes_only_authenticated_checkpoints() {
    use caselog::tlog::checkpoint::Origin;
    use caselog::tlog::merkle::TreeHead;
    let t = tempfile::tempdir().unwrap();
    let l = common::build_small(&t.path().join("l"), HashAlg::Blake3);
    let claim = |origin: Origin, size: u64| Checkpoint {
        items: None,
        origin,
        head: TreeHead {
            size: TreeSize(size),
            root: caselog::Hash([1; 32]),
        },
    };
    let check = |bytes: Vec<u8>, trust: Vec<VerifierKey>| {
        let opts = VerifyOptions {
            against: vec![External {
                label: "given".into(),
                bytes,
                trust,
            }],
            ..VerifyOptions::default()
        };
        verify_store_with(l.store(), &opts).unwrap()
    };
    let body = claim(l.origin(), 999).body();
    // Unsigned: a signature line by nobody in particular.
    let unsigned = format!("{body}\n\u{2014} nobody AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").into_bytes();
    // Signed by an outsider under this ledger's origin.
    let forged = claim(l.origin(), 999)
        .sign(&common::outsider())
        .unwrap()
        .to_text()
        .into_bytes();
    // Signed by the authority, but for another ledger.
    let other = Origin {
        ledger: caselog::LedgerId([9; 16]),
        ..l.origin()
    };
    let elsewhere = claim(other, 999)
        .sign(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    for (what, bytes, trust) in [
        ("unsigned", unsigned, vec![]),
        ("forged", forged.clone(), vec![]),
        ("forged, trusted key given", forged, vec![log_key(&l)]),
        ("another ledger", elsewhere, vec![]),
    ] {
        let r = check(bytes, trust);
        assert!(
            r.has(Code::BadCheckpoint, None),
            "{what}: {:#?}",
            r.problems
        );
        assert!(!r.has(Code::Truncated, None), "{what}: believed a forgery");
        assert!(!r.has(Code::CheckpointMismatch, None), "{what}");
    }
    // The authority's own checkpoint of size 999 is believed: TRUNCATED.
    let genuine = claim(l.origin(), 999)
        .sign(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let r = check(genuine, vec![]);
    assert!(r.has(Code::Truncated, None), "{:#?}", r.problems);
    assert!(!r.has(Code::BadCheckpoint, None));
}

/// Defect: `checkpoint add-cosignature` stored unchecked lines, so a forged
/// line with a witness's (public) name and key id blocked the genuine
/// cosignature forever. Only verifying lines are stored, and a stored line
/// that does not verify gives way to the genuine one.
#[test]
fn add_cosignature_stores_only_verifying_lines() {
    use caselog::ledger::LedgerError;
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), HashAlg::Blake3);
    let wsigner = caselog::storage::keys::Signer::from_seed("Witness (test)", &[0x0d; 32]);
    let name = "witness.example/w";
    let wkey = VerifierKey::new(name, TYPE_COSIGNATURE, wsigner.public()).unwrap();
    let stored = l.checkpoint(&common::authority()).unwrap();
    let genuine = note::cosign(&stored.text, name, &wsigner, 1_000).unwrap();
    let mut forged_line = genuine.clone();
    forged_line.sig[20] ^= 1;
    let with = |g: note::NoteSig| {
        let mut n = stored.clone();
        n.add_sig(g);
        n
    };
    // A forged line is refused, by name, with or without the witness key.
    for keys in [vec![], vec![wkey.clone()]] {
        let e = l
            .add_cosignatures(&with(forged_line.clone()), &keys)
            .unwrap_err();
        assert!(
            matches!(&e, LedgerError::UnverifiedSignatures { names } if names == &[name.to_owned()]),
            "{e}"
        );
    }
    // The genuine line needs the key that checks it.
    assert!(l.add_cosignatures(&with(genuine.clone()), &[]).is_err());
    // A forged line already stored (by an older version) gives way.
    let mut n = stored.clone();
    n.add_sig(forged_line.clone());
    let mut b = caselog::storage::store::Batch::new();
    b.put(
        caselog::storage::layout::CF_CHECKPOINTS,
        TreeSize(7).0.to_be_bytes().to_vec(),
        n.to_text().into_bytes(),
    );
    // (Written as that version would: straight into the store.)
    let dir = l.store().dir().to_owned();
    drop(l);
    caselog::storage::store::WriteStore::open(&dir)
        .unwrap()
        .commit(b)
        .unwrap();
    let mut l = Ledger::open(&dir, true).unwrap();
    assert_eq!(
        l.add_cosignatures(&with(genuine), std::slice::from_ref(&wkey))
            .unwrap(),
        1
    );
    let bytes = l.stored_checkpoint(TreeSize(7)).unwrap().unwrap();
    checkpoint::verify(&bytes, &[log_key(&l)], &[wkey], 1).unwrap();
}

/// A policy of log keys alone.
fn pin(logs: &[caselog::tlog::note::VerifierKey]) -> caselog::tlog::trust::TrustPolicy {
    caselog::tlog::trust::TrustPolicy::from_keys(logs, &[], 0, &[], 0).unwrap()
}
