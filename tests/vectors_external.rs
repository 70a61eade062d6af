//! Public test vectors, copied into tests/vectors/external with their
//! licences: RFC 6962 reference tree roots, Wycheproof Ed25519, the CCTV
//! Ed25519 edge cases and the C2SP signed-note vector, all run through the
//! project's own functions.

use crate::common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use caselog::tlog::merkle::{root_of_leaves, Frontier};
use caselog::{Hash, HashAlg};
use serde_json::Value;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/external")
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// The RFC 6962 test leaves (testdata/README.md).
const RFC6962_LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn rfc6962_reference_roots() {
    let alg = HashAlg::Sha256;
    let leaves: Vec<Hash> = RFC6962_LEAVES
        .iter()
        .map(|h| alg.leaf(&hex::decode(h).unwrap()))
        .collect();
    // Roots of every prefix, computed incrementally.
    let mut f = Frontier::new();
    let mut roots = vec![f.root(alg)];
    for l in &leaves {
        f.append(alg, *l);
        roots.push(f.root(alg));
    }
    for (n, r) in roots.iter().enumerate() {
        assert_eq!(*r, root_of_leaves(alg, &leaves[..n]));
    }
    // Every happy-path vector names (size, root) pairs of this tree.
    let mut files = Vec::new();
    json_files(&testdata().join("merkle-rfc6962"), &mut files);
    let mut checked = 0;
    for p in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        // additional/ and single-entry/ hold edge cases with their own roots, not the
        // reference tree.
        if v["wantErr"] != Value::Bool(false)
            || p.components()
                .any(|c| c.as_os_str() == "additional" || c.as_os_str() == "single-entry")
        {
            continue;
        }
        for (size_k, root_k) in [("treeSize", "root"), ("size1", "root1"), ("size2", "root2")] {
            if let (Some(size), Some(root)) = (v[size_k].as_u64(), v[root_k].as_str()) {
                if size as usize <= leaves.len() {
                    assert_eq!(
                        roots[size as usize].0.to_vec(),
                        b64(root),
                        "{}: root of size {size}",
                        p.display()
                    );
                    checked += 1;
                }
            }
        }
        if let (Some(idx), Some(lh)) = (v["leafIdx"].as_u64(), v["leafHash"].as_str()) {
            if (idx as usize) < leaves.len() {
                assert_eq!(leaves[idx as usize].0.to_vec(), b64(lh), "{}", p.display());
            }
        }
    }
    assert!(
        checked >= 8,
        "expected RFC 6962 happy-path roots, found {checked}"
    );
}

#[test]
fn wycheproof_ed25519() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("wycheproof/ed25519_test.json")).unwrap(),
    )
    .unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in v["testGroups"].as_array().unwrap() {
        let pk = hex::decode(group["publicKey"]["pk"].as_str().unwrap()).unwrap();
        let pk: [u8; 32] = pk.try_into().unwrap();
        for t in group["tests"].as_array().unwrap() {
            let msg = hex::decode(t["msg"].as_str().unwrap()).unwrap();
            let sig = hex::decode(t["sig"].as_str().unwrap()).unwrap();
            let id = t["tcId"].as_u64().unwrap();
            let result = match <[u8; 64]>::try_from(sig.as_slice()) {
                Ok(s) => caselog::format::sig::verify(&pk, &msg, &s).is_ok(),
                // A signature that is not 64 bytes never reaches the verifier:
                // the record decoder refuses it (bstr .size 64).
                Err(_) => false,
            };
            match t["result"].as_str().unwrap() {
                "valid" => {
                    assert!(result, "wycheproof tcId {id} valid but rejected");
                    valid += 1;
                }
                "invalid" => {
                    assert!(!result, "wycheproof tcId {id} invalid but accepted");
                    invalid += 1;
                }
                other => panic!("tcId {id}: unexpected result {other}"),
            }
        }
    }
    assert!(valid > 0 && invalid > 0, "valid {valid} invalid {invalid}");
    eprintln!("vectors: Wycheproof Ed25519 {valid} valid accepted, {invalid} invalid rejected");
}

#[test]
fn cctv_ed25519_edge_cases() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("cctv-ed25519/ed25519vectors.json")).unwrap(),
    )
    .unwrap();
    let must_reject = [
        "low_order_A",
        "low_order_R",
        "non_canonical_A",
        "non_canonical_R",
        "reencoded_k",
    ];
    let mut rejected = 0;
    for t in v.as_array().unwrap() {
        let flags: Vec<&str> = t["flags"]
            .as_array()
            .map(|a| a.iter().map(|f| f.as_str().unwrap()).collect())
            .unwrap_or_default();
        let key: [u8; 32] = hex::decode(t["key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(t["sig"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let ok =
            caselog::format::sig::verify(&key, t["msg"].as_str().unwrap().as_bytes(), &sig).is_ok();
        if flags.iter().any(|f| must_reject.contains(f)) {
            assert!(
                !ok,
                "CCTV vector {} with flags {flags:?} accepted",
                t["number"]
            );
            rejected += 1;
        }
        // Keys the verifier accepts are also accepted for enrollment
        // exactly when they are not of small order.
        if flags.contains(&"low_order_A") {
            assert!(
                caselog::format::sig::checked_key(&key).is_err(),
                "weak key {} enrollable",
                t["number"]
            );
        }
    }
    assert!(rejected > 100, "only {rejected} flagged vectors found");
    eprintln!("vectors: CCTV Ed25519 {rejected} edge cases rejected");
}

/// A vector's hash: base64 of exactly 32 bytes, else `None` (garbage).
fn hash32(v: &Value) -> Option<Hash> {
    Hash::from_slice(&b64(v.as_str()?))
}

fn proof_of(v: &Value) -> Option<Vec<Hash>> {
    match v {
        Value::Null => Some(vec![]),
        Value::Array(a) => a.iter().map(hash32).collect(),
        _ => None,
    }
}

#[test]
fn rfc6962_inclusion_and_consistency_proofs() {
    use caselog::tlog::proof::{verify_consistency, verify_inclusion};
    use caselog::TreeSize;
    let alg = HashAlg::Sha256;
    let (mut ok, mut rejected) = (0, 0);
    let mut deviations = Vec::new();
    for kind in ["inclusion", "consistency"] {
        let mut files = Vec::new();
        json_files(&testdata().join("merkle-rfc6962").join(kind), &mut files);
        for p in files {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let want_err = v["wantErr"].as_bool().unwrap();
            let result = if kind == "inclusion" {
                match (
                    hash32(&v["root"]),
                    hash32(&v["leafHash"]),
                    proof_of(&v["proof"]),
                ) {
                    (Some(root), Some(leaf), Some(proof)) => verify_inclusion(
                        alg,
                        v["leafIdx"].as_u64().unwrap(),
                        TreeSize(v["treeSize"].as_u64().unwrap()),
                        &leaf,
                        &proof,
                        &root,
                    )
                    .is_ok(),
                    _ => false,
                }
            } else {
                match (
                    hash32(&v["root1"]),
                    hash32(&v["root2"]),
                    proof_of(&v["proof"]),
                ) {
                    (Some(r1), Some(r2), Some(proof)) => verify_consistency(
                        alg,
                        TreeSize(v["size1"].as_u64().unwrap()),
                        TreeSize(v["size2"].as_u64().unwrap()),
                        &r1,
                        &r2,
                        &proof,
                    )
                    .is_ok(),
                    _ => false,
                }
            };
            if result == want_err {
                deviations.push(p.file_name().unwrap().to_string_lossy().to_string());
                continue;
            }
            if want_err {
                rejected += 1
            } else {
                ok += 1
            }
        }
    }
    // One documented deviation: this vector's "roots" are 12-byte
    // placeholders ("don't care 2"). caselog types roots as 32-byte hashes,
    // so it refuses them as malformed before comparing; the equal-size rule
    // the vector exercises is covered by proof::tests with real roots.
    assert_eq!(
        deviations,
        vec!["sizes-are-equal-one-and-proof-is-empty.json".to_string()]
    );
    assert!(ok >= 10 && rejected >= 100, "ok {ok} rejected {rejected}");
    eprintln!("vectors: RFC 6962 proofs {ok} verified, {rejected} wantErr rejected");
}

#[test]
fn go_sumdb_signed_note_known_answer() {
    use caselog::tlog::note::{self, Note, VerifierKey};
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("signed-note/go-sumdb-note.json")).unwrap(),
    )
    .unwrap();
    let (name, signer) = note::parse_go_signer_key(v["signer_key"].as_str().unwrap()).unwrap();
    let vkey = VerifierKey::parse(v["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(
        vkey.to_string(),
        v["verifier_key"].as_str().unwrap(),
        "verifier key re-encodes"
    );
    assert_eq!(vkey.key, signer.public());
    let text = v["text"].as_str().unwrap();
    // Sign: byte for byte the Go output.
    let g = note::sign(text, &name, &signer).unwrap();
    let signed = Note {
        text: text.to_owned(),
        sigs: vec![g],
    }
    .to_text();
    assert_eq!(signed, v["signed_note"].as_str().unwrap());
    // Verify the Go note.
    let n = Note::parse(v["signed_note"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(
        note::verify(&n, std::slice::from_ref(&vkey)).unwrap(),
        vec![vkey.clone()]
    );
    // Any changed byte of the text fails.
    let bytes = v["signed_note"].as_str().unwrap().as_bytes().to_vec();
    for i in 0..text.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(n) = Note::parse(&b) {
            assert!(
                note::verify(&n, std::slice::from_ref(&vkey)).is_err(),
                "flip at {i} accepted"
            );
        }
    }
    // An unknown key is ignored, so with no trusted signature it fails.
    let other = VerifierKey::new(
        "PeterNeumann",
        note::TYPE_ED25519,
        caselog::storage::keys::Signer::from_seed("x", &[1; 32]).public(),
    )
    .unwrap();
    assert!(matches!(
        note::verify(&n, &[other]),
        Err(note::NoteError::Untrusted { .. })
    ));
}

#[test]
fn entry_and_checkpoint_signatures_are_domain_separated() {
    // The same key signs entries ("caselog-entry-v1" || 0x00 || entry) and
    // checkpoints (the note body). Neither signature verifies as the other.
    use caselog::format::entry::{signing_message, Record};
    let signer = caselog::storage::keys::Signer::from_seed("authority", &[0x44; 32]);
    let entry_bytes = b"\xa1dtextdsome".to_vec();
    let rec = Record {
        entry_bytes: entry_bytes.clone(),
        sig: signer.sign(&signing_message(&entry_bytes)).unwrap(),
    };
    assert!(rec.verify_signature(&signer.public()).is_ok());
    // The entry signature is not a valid signature over the raw bytes...
    assert!(caselog::format::sig::verify(&signer.public().0, &entry_bytes, &rec.sig).is_err());
    // ...and a note signature over text T does not verify as an entry of T.
    let text = "caselog/blake3/00112233445566778899aabbccddeeff\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    let g = caselog::tlog::note::sign(
        text,
        "caselog/blake3/00112233445566778899aabbccddeeff",
        &signer,
    )
    .unwrap();
    let sig: [u8; 64] = g.sig.clone().try_into().unwrap();
    let as_entry = Record {
        entry_bytes: text.as_bytes().to_vec(),
        sig,
    };
    assert!(as_entry.verify_signature(&signer.public()).is_err());
    // And a cosignature (type 0x04 message) never verifies as a log signature.
    let c = caselog::tlog::note::cosign(text, "w", &signer, 1).unwrap();
    assert!(caselog::format::sig::verify(
        &signer.public().0,
        text.as_bytes(),
        &c.sig[8..].try_into().unwrap()
    )
    .is_err());
}

/// The independent verifier (tools/verify-bundle) must give the verdict of
/// `verify_strict` on every public Ed25519 vector (CCTV and Wycheproof):
/// before, OpenSSL's verification accepted small-order R and A, so a
/// checkpoint or entry "signed" by a weak pinned key passed (SPEC §4).
#[test]
fn python_verifier_signatures_agree_with_verify_strict() {
    let mut cases: Vec<([u8; 32], Vec<u8>, [u8; 64])> = Vec::new();
    let cctv: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("cctv-ed25519/ed25519vectors.json")).unwrap(),
    )
    .unwrap();
    for t in cctv.as_array().unwrap() {
        let key = hex::decode(t["key"].as_str().unwrap()).unwrap();
        let sig = hex::decode(t["sig"].as_str().unwrap()).unwrap();
        cases.push((
            key.try_into().unwrap(),
            t["msg"].as_str().unwrap().as_bytes().to_vec(),
            sig.try_into().unwrap(),
        ));
    }
    let wp: Value = serde_json::from_str(
        &std::fs::read_to_string(testdata().join("wycheproof/ed25519_test.json")).unwrap(),
    )
    .unwrap();
    for group in wp["testGroups"].as_array().unwrap() {
        let pk = hex::decode(group["publicKey"]["pk"].as_str().unwrap()).unwrap();
        for t in group["tests"].as_array().unwrap() {
            let sig = hex::decode(t["sig"].as_str().unwrap()).unwrap();
            if let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) {
                let msg = hex::decode(t["msg"].as_str().unwrap()).unwrap();
                cases.push((pk.clone().try_into().unwrap(), msg, sig));
            }
        }
    }
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("sigs.jsonl");
    let mut lines = String::new();
    for (k, m, s) in &cases {
        lines.push_str(&format!(
            "{{\"pub\":\"{}\",\"msg\":\"{}\",\"sig\":\"{}\"}}\n",
            hex::encode(k),
            hex::encode(m),
            hex::encode(s)
        ));
    }
    std::fs::write(&file, lines).unwrap();
    let out = std::process::Command::new(common::python())
        .arg(common::verify_bundle_script())
        .arg("--check-signatures")
        .arg(&file)
        .output()
        .expect("run tools/verify-bundle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(verdicts.len(), cases.len());
    let mut accepted = 0;
    for ((k, m, s), py) in cases.iter().zip(&verdicts) {
        let rust = caselog::format::sig::verify(k, m, s).is_ok();
        assert_eq!(
            rust,
            *py,
            "key {} sig {}: verify_strict {rust}, Python {py}",
            hex::encode(k),
            hex::encode(s)
        );
        accepted += usize::from(rust);
    }
    eprintln!(
        "vectors: {} Ed25519 vectors, same verdict in both verifiers ({accepted} accepted)",
        cases.len()
    );
}

/// C2SP tlog-proof: the spec's own example is read as the spec describes
/// it (index, five path hashes leaf-most first, the checkpoint kept
/// verbatim), and a proof caselog writes follows the same grammar, checked
/// here line by line from the spec's text rather than by caselog's parser.
#[test]
fn c2sp_tlog_proof_example_parses_and_caselog_writes_the_same_grammar() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/external/c2sp-tlog-proof");
    let example = std::fs::read(dir.join("example.tlog-proof")).unwrap();
    let p = caselog::tlog::prooffile::InclusionProof::parse(&example).unwrap();
    assert_eq!(p.index, 73894);
    assert_eq!(p.path.len(), 5);
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(p.path[0].0),
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="
    );
    assert!(p.checkpoint.starts_with(b"example.com/fancylog\n109482\n"));
    assert_eq!(
        p.to_text().as_bytes(),
        &example[..],
        "re-encoded byte for byte"
    );
    // The grammar of the spec's "Format" section, applied to a proof
    // caselog made for a real ledger.
    let t = tempfile::tempdir().unwrap();
    let mut l = crate::common::build_small(&t.path().join("l"), caselog::HashAlg::Sha256);
    l.checkpoint(&crate::common::authority()).unwrap();
    let (size, cp) = l.latest_checkpoint().unwrap().unwrap();
    for seq in 0..size.0 {
        let text = l
            .inclusion_proof(caselog::Seq(seq), size, cp.clone())
            .unwrap()
            .to_text();
        let (head, checkpoint) = text
            .split_once("\n\n")
            .expect("an empty line before the checkpoint");
        let mut lines = head.lines();
        assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
        let mut next = lines.next().unwrap();
        if let Some(extra) = next.strip_prefix("extra ") {
            base64::engine::general_purpose::STANDARD
                .decode(extra)
                .expect("extra is standard base64");
            next = lines.next().unwrap();
        }
        let index = next.strip_prefix("index ").expect("index line");
        assert_eq!(index, seq.to_string(), "ASCII decimal, no leading zeroes");
        for h in lines {
            let b = base64::engine::general_purpose::STANDARD
                .decode(h)
                .expect("base64 hash line");
            assert_eq!(b.len(), 32, "one SHA-256 hash per line");
        }
        assert_eq!(checkpoint.as_bytes(), &cp[..], "the checkpoint verbatim");
    }
}
