//! Tool validation (ISO/IEC 27041, UK FSR Code): known-answer vectors from
//! public sources, built into the binary, run against the very code that
//! signs and verifies (SPEC §4, §7, §10.2), so a lab can record that the
//! installed program gives the published answers. The vectors are the ones
//! `tests/vectors/` holds, with their sources and licences named there.
//!
//! Owns running the suites and their results; the CLI writes and signs
//! the record (`caselog validation-report`).

mod forgeries;
mod tsp;

use serde_json::Value;

use crate::format::entry::{Entry, Record};
use crate::format::hash::{Hash, HashAlg};
use crate::format::sig;
use crate::tlog::merkle::root_of_leaves;
use crate::tlog::note::{self, Note, VerifierKey};

/// One suite's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suite {
    /// Short name (`wycheproof-ed25519`).
    pub name: &'static str,
    /// Where the vectors come from, and their licence.
    pub source: &'static str,
    /// Cases run.
    pub cases: u64,
    /// Cases that gave the published answer.
    pub passed: u64,
    /// The first failing cases' ids (at most 20).
    pub failures: Vec<String>,
    /// Cases whose published answer caselog does not give, on purpose,
    /// each with why (counted neither passed nor failed).
    pub deviations: Vec<(String, &'static str)>,
}

impl Suite {
    fn new(name: &'static str, source: &'static str) -> Suite {
        Suite {
            name,
            source,
            cases: 0,
            passed: 0,
            failures: Vec::new(),
            deviations: Vec::new(),
        }
    }
    /// Every case ran gave its published answer, deviations aside.
    pub fn ok(&self) -> bool {
        self.passed + self.deviations.len() as u64 == self.cases
    }
    fn case(&mut self, id: impl FnOnce() -> String, ok: bool) {
        self.cases += 1;
        if ok {
            self.passed += 1;
        } else if self.failures.len() < 20 {
            self.failures.push(id());
        }
    }
}

const WYCHEPROOF: &str = include_str!("../../tests/vectors/external/wycheproof/ed25519_test.json");
const CCTV: &str = include_str!("../../tests/vectors/external/cctv-ed25519/ed25519vectors.json");
const SUMDB_NOTE: &str =
    include_str!("../../tests/vectors/external/signed-note/go-sumdb-note.json");
const LEDGER_SHA256: &str = include_str!("../../tests/vectors/ledger-sha256.json");
const LEDGER_BLAKE3: &str = include_str!("../../tests/vectors/ledger-blake3.json");

/// Run every suite.
pub fn run() -> Vec<Suite> {
    vec![
        wycheproof(),
        cctv(),
        sumdb_note(),
        golden(HashAlg::Sha256, LEDGER_SHA256, "golden-ledger-sha256"),
        golden(HashAlg::Blake3, LEDGER_BLAKE3, "golden-ledger-blake3"),
        rfc6962(),
        tsp::suite(),
        forgeries::suite(LEDGER_SHA256),
    ]
}

/// The one RFC 6962 vector caselog answers otherwise, and why.
const RFC6962_DEVIATION: (&str, &str) = (
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
    "its roots are 12-byte placeholders; caselog takes roots as 32-byte hashes and refuses them as malformed before comparing",
);

/// RFC 6962 inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4):
/// each verifies exactly when the vector says it should.
fn rfc6962() -> Suite {
    use crate::tlog::merkle::TreeSize;
    use crate::tlog::proof::{verify_consistency, verify_inclusion};
    let mut s = Suite::new(
        "rfc6962-proofs",
        "transparency-dev/merkle testdata (RFC 6962 inclusion and consistency), Apache-2.0",
    );
    let alg = HashAlg::Sha256;
    let hash = |v: &Value| -> Option<Hash> {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD
            .decode(v.as_str()?)
            .ok()?;
        Some(Hash(b.try_into().ok()?))
    };
    let path = |v: &Value| -> Option<Vec<Hash>> {
        match v {
            Value::Null => Some(Vec::new()),
            Value::Array(a) => a.iter().map(&hash).collect(),
            _ => None,
        }
    };
    for (name, text) in super::validation_vectors::RFC6962 {
        let v = json(text);
        let size = |k: &str| TreeSize(v[k].as_u64().unwrap_or_default());
        let verified = if name.starts_with("inclusion/") {
            match (hash(&v["root"]), hash(&v["leafHash"]), path(&v["proof"])) {
                (Some(root), Some(leaf), Some(p)) => {
                    let idx = v["leafIdx"].as_u64().unwrap_or_default();
                    verify_inclusion(alg, idx, size("treeSize"), &leaf, &p, &root).is_ok()
                }
                _ => false,
            }
        } else {
            match (hash(&v["root1"]), hash(&v["root2"]), path(&v["proof"])) {
                (Some(r1), Some(r2), Some(p)) => {
                    verify_consistency(alg, size("size1"), size("size2"), &r1, &r2, &p).is_ok()
                }
                _ => false,
            }
        };
        let want = v["wantErr"].as_bool() == Some(false);
        if *name == RFC6962_DEVIATION.0 && verified != want {
            s.cases += 1;
            s.deviations.push((name.to_string(), RFC6962_DEVIATION.1));
            continue;
        }
        s.case(|| name.to_string(), verified == want);
    }
    s
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("validation: built-in vectors are JSON")
}

fn hex_of(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap_or_default()).unwrap_or_default()
}

/// Wycheproof Ed25519: "valid" verifies, "invalid" does not (strict, SPEC §4).
fn wycheproof() -> Suite {
    let mut s = Suite::new(
        "wycheproof-ed25519",
        "C2SP/wycheproof testvectors_v1/ed25519_test.json, Apache-2.0",
    );
    let v = json(WYCHEPROOF);
    for group in v["testGroups"].as_array().into_iter().flatten() {
        let pk: Option<[u8; 32]> = hex_of(&group["publicKey"]["pk"]).try_into().ok();
        for t in group["tests"].as_array().into_iter().flatten() {
            let sig: Option<[u8; 64]> = hex_of(&t["sig"]).try_into().ok();
            let verified = match (pk, sig) {
                (Some(pk), Some(sig)) => sig::verify(&pk, &hex_of(&t["msg"]), &sig).is_ok(),
                _ => false,
            };
            let want = t["result"].as_str() == Some("valid");
            s.case(|| format!("tcId {}", t["tcId"]), verified == want);
        }
    }
    s
}

/// CCTV Ed25519 edge cases: every vector flagged as a low-order or
/// non-canonical point, or a re-encoded k, is rejected.
fn cctv() -> Suite {
    let mut s = Suite::new(
        "cctv-ed25519",
        "C2SP/CCTV ed25519/ed25519vectors.json, published for reuse",
    );
    const MUST_REJECT: [&str; 5] = [
        "low_order_A",
        "low_order_R",
        "non_canonical_A",
        "non_canonical_R",
        "reencoded_k",
    ];
    for t in json(CCTV).as_array().into_iter().flatten() {
        let flagged = t["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| MUST_REJECT.contains(&f.as_str().unwrap_or_default()));
        if !flagged {
            continue;
        }
        let key: Option<[u8; 32]> = hex_of(&t["key"]).try_into().ok();
        let sig: Option<[u8; 64]> = hex_of(&t["sig"]).try_into().ok();
        let msg = t["msg"].as_str().unwrap_or_default().as_bytes();
        let accepted = match (key, sig) {
            (Some(k), Some(g)) => sig::verify(&k, msg, &g).is_ok(),
            _ => false,
        };
        s.case(|| format!("number {}", t["number"]), !accepted);
    }
    s
}

/// The Go sumdb signed-note example: signed byte for byte, verified, and
/// refused with any byte of its text changed.
fn sumdb_note() -> Suite {
    let mut s = Suite::new(
        "go-sumdb-signed-note",
        "golang.org/x/mod sumdb/note documentation, BSD-3-Clause",
    );
    let v = json(SUMDB_NOTE);
    let text = v["text"].as_str().unwrap_or_default();
    let signed = v["signed_note"].as_str().unwrap_or_default();
    let keys = note::parse_go_signer_key(v["signer_key"].as_str().unwrap_or_default())
        .ok()
        .zip(VerifierKey::parse(v["verifier_key"].as_str().unwrap_or_default()).ok());
    let Some(((name, signer), vkey)) = keys else {
        s.case(|| "keys parse".into(), false);
        return s;
    };
    let ours = note::sign(text, &name, &signer).map(|g| {
        Note {
            text: text.to_owned(),
            sigs: vec![g],
        }
        .to_text()
    });
    s.case(
        || "signs byte for byte".into(),
        ours.as_deref() == Ok(signed),
    );
    let trusted = std::slice::from_ref(&vkey);
    let verifies = |b: &[u8]| Note::parse(b).is_ok_and(|n| note::verify(&n, trusted).is_ok());
    s.case(|| "verifies".into(), verifies(signed.as_bytes()));
    for i in 0..text.len() {
        let mut b = signed.as_bytes().to_vec();
        b[i] ^= 0x01;
        s.case(|| format!("flip at {i} refused"), !verifies(&b));
    }
    s
}

/// caselog's own golden ledger (SPEC §16): each record decodes, chains,
/// verifies under its author, hashes to the published leaf, and the leaves
/// give the published root.
fn golden(alg: HashAlg, text: &str, name: &'static str) -> Suite {
    let mut s = Suite::new(name, "caselog tests/vectors (SPEC §4, §7, §16)");
    let v = json(text);
    let (mut prev, mut leaves) = (Hash::ZERO, Vec::new());
    for (i, e) in v["entries"].as_array().into_iter().flatten().enumerate() {
        let raw = hex_of(&e["record"]);
        let leaf = Hash::from_hex(e["leaf_hash"].as_str().unwrap_or_default());
        let ok = Record::decode(&raw).ok().and_then(|r| {
            let entry = Entry::decode(&r.entry_bytes).ok()?;
            let signed = r.verify_signature(&entry.author).is_ok();
            let here = alg.leaf(&raw);
            let fine =
                signed && entry.seq.0 == i as u64 && entry.prev == prev && Some(here) == leaf;
            prev = here;
            leaves.push(here);
            Some(fine)
        });
        s.case(|| format!("seq {i}"), ok == Some(true));
    }
    let root = root_of_leaves(alg, &leaves).to_hex();
    s.case(|| "root".into(), Some(root.as_str()) == v["root"].as_str());
    s
}

#[cfg(test)]
mod tests {
    /// Every built-in vector gives its published answer (the installed
    /// binary's `validation-report` runs the same), but the one documented
    /// deviation.
    #[test]
    fn every_suite_passes() {
        for s in super::run() {
            assert!(s.cases > 0, "{} ran nothing", s.name);
            assert!(s.ok(), "{}: {:?}", s.name, s.failures);
            assert!(s.deviations.len() <= 1, "{}: {:?}", s.name, s.deviations);
        }
    }

    /// The forgery suite can fail: with the investigator's published seed
    /// replaced, no forgery can be re-signed and every case fails.
    #[test]
    fn the_forgery_suite_fails_without_the_members_keys() {
        let mut v: serde_json::Value = serde_json::from_str(super::LEDGER_SHA256).unwrap();
        v["investigator_seed"] = "03".repeat(32).into();
        let s = super::forgeries::suite(&v.to_string());
        assert!(!s.ok() && s.failures.len() >= 6, "{:?}", s.failures);
    }

    /// The built-in RFC 6962 list is the directory's `*.json` files.
    #[test]
    fn the_built_in_rfc6962_list_is_the_directory() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/external/merkle-rfc6962");
        let mut found = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    found.push(
                        p.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        found.sort();
        let built: Vec<String> = super::super::validation_vectors::RFC6962
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(
            built, found,
            "regenerate src/audit/validation_vectors.rs (its header says how)"
        );
    }
}
