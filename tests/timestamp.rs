//! RFC 3161 time-stamps on checkpoints (SPEC §10.5): known-answer tokens
//! made by `openssl ts`, every refusal with its own code (forged tokens
//! correctly signed by keys that chain to the trusted root, each breaking
//! one rule), and `caselog timestamp` / `verify --tsa-ca` against a local
//! TSA (`tools/test-tsa`, OpenSSL behind loopback HTTP).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::Duration;

use crate::common::tsp::{forge, root, swap_cert, tsa, Eku, Tsa, NOW};
use caselog::tlog::tsp::{verify_token, Anchors, TspError};
use caselog::{HashAlg, TreeSize};
use rcgen::CertificateParams;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tsp")
}

fn kat(kind: &str) -> (Vec<u8>, Vec<u8>, Anchors) {
    let d = vectors();
    let anchors = Anchors::from_pem(&std::fs::read(d.join(kind).join("ca.pem")).unwrap()).unwrap();
    (
        std::fs::read(d.join(kind).join("token.der")).unwrap(),
        std::fs::read(d.join("body.txt")).unwrap(),
        anchors,
    )
}

#[test]
fn openssl_tokens_verify_offline_under_their_roots_only() {
    let (ec, body, ec_root) = kat("ec");
    let (rsa, _, rsa_root) = kat("rsa");
    // genTime as `openssl ts -reply -text` shows it (*/token.txt).
    for (token, root, time) in [
        (&ec, &ec_root, "2026-11-30T22:02:53.000000Z"),
        (&rsa, &rsa_root, "2026-11-30T22:02:54.000000Z"),
    ] {
        let t = verify_token(token, &body, Some(root)).unwrap();
        assert_eq!(t.gen_time.to_string(), time);
        assert!(t.tsa.contains("caselog test TSA"), "{}", t.tsa);
        assert!(t.anchored);
        // Without a root: checked, but not anchored.
        assert!(!verify_token(token, &body, None).unwrap().anchored);
    }
    // Under the other's root: no path.
    assert!(matches!(
        verify_token(&ec, &body, Some(&rsa_root)),
        Err(TspError::Untrusted { .. })
    ));
    assert!(matches!(
        verify_token(&rsa, &body, Some(&ec_root)),
        Err(TspError::Untrusted { .. })
    ));
    // Over another checkpoint body.
    let mut other = body.clone();
    other[body.len() - 3] ^= 1;
    assert_eq!(
        verify_token(&ec, &other, Some(&ec_root)),
        Err(TspError::Imprint)
    );
}

#[test]
fn every_truncation_or_extension_of_a_token_is_refused_without_panic() {
    for kind in ["ec", "rsa"] {
        let (token, body, root) = kat(kind);
        for n in 0..token.len() {
            assert!(verify_token(&token[..n], &body, Some(&root)).is_err());
        }
        for extra in [&[0u8][..], b"\x30\x00", &token[..]] {
            let t = [&token[..], extra].concat();
            assert!(verify_token(&t, &body, Some(&root)).is_err());
        }
    }
}

#[test]
fn every_flipped_bit_of_a_token_is_refused() {
    for kind in ["ec", "rsa"] {
        let (token, body, root) = kat(kind);
        for i in 0..token.len() {
            for bit in [0x01u8, 0x80] {
                let mut t = token.clone();
                t[i] ^= bit;
                if let Ok(v) = verify_token(&t, &body, Some(&root)) {
                    panic!("{kind}: byte {i} ^ {bit:#x} accepted: {v:?}");
                }
            }
        }
    }
}

// ---- Forged tokens: correctly signed, each breaking one rule ----

#[test]
fn forged_tokens_are_each_refused_with_their_own_code() {
    let (issuer, anchors) = root();
    let body = b"caselog/sha256/00112233445566778899aabbccddeeff\n1\nAAAA\n";
    let check = |t: &Tsa| verify_token(&forge(t, body, NOW), body, Some(&anchors));
    // The forger's control: a proper TSA certificate gives a valid token.
    let good = tsa(&issuer, Eku::Critical, (2020, 2040));
    let ok = check(&good).unwrap();
    assert_eq!(ok.gen_time.to_string(), "2035-01-01T00:00:00.000000Z");
    // No EKU, a non-critical one, one with another purpose too.
    for eku in [Eku::None, Eku::NotCritical, Eku::WithCodeSigning] {
        let r = check(&tsa(&issuer, eku, (2020, 2040)));
        assert!(matches!(r, Err(TspError::Eku { .. })), "{r:?}");
    }
    // A certificate that expired before genTime.
    let r = check(&tsa(&issuer, Eku::Critical, (2020, 2021)));
    assert!(matches!(r, Err(TspError::Expired { .. })), "{r:?}");
    // A certificate not valid yet at genTime.
    let r = check(&tsa(&issuer, Eku::Critical, (2036, 2040)));
    assert!(matches!(r, Err(TspError::Expired { .. })), "{r:?}");
    // A root nobody trusts.
    let (rogue, _) = root();
    let r = check(&tsa(&rogue, Eku::Critical, (2020, 2040)));
    assert!(matches!(r, Err(TspError::Untrusted { .. })), "{r:?}");
    // genTime moved after signing.
    let mut t = forge(&good, body, NOW);
    let at = t.windows(15).position(|w| w == b"20350101000000Z").unwrap();
    t[at + 3] = b'4';
    let r = verify_token(&t, body, Some(&anchors));
    assert!(matches!(r, Err(TspError::Signature { .. })), "{r:?}");
    // Another certificate for the same key put in (ESS names the first).
    let twin = {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "forged TSA");
        p.signed_by(&good.key, &issuer).unwrap().der().to_vec()
    };
    let swapped = swap_cert(&forge(&good, body, NOW), &twin);
    let r = verify_token(&swapped, body, Some(&anchors));
    assert!(
        matches!(
            r,
            Err(TspError::Signature { .. }) | Err(TspError::Malformed { .. })
        ),
        "{r:?}"
    );
    // Over another body.
    let r = verify_token(&forge(&good, b"another\n", NOW), body, Some(&anchors));
    assert_eq!(r, Err(TspError::Imprint));
}

#[test]
fn a_time_stamp_earlier_than_an_entry_is_refused_and_reported() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Sha256);
    l.checkpoint(&common::authority()).unwrap();
    let body = l.checkpoint_body(TreeSize(7)).unwrap();
    let (issuer, anchors) = root();
    let good = tsa(&issuer, Eku::Critical, (2000, 2040));
    // The fixture's entries are of October 2008; a token of 2008-10-01.
    let early = forge(&good, body.as_bytes(), "2008-10-01T00:00:00Z");
    match l.store_timestamp(TreeSize(7), &early, Some(&anchors)) {
        Err(caselog::LedgerError::TimestampBeforeEntry { seq: 6, .. }) => {}
        other => panic!("{other:?}"),
    }
    let late = forge(&good, body.as_bytes(), NOW);
    let store = |l: &mut caselog::Ledger, size: u64, t: &[u8]| {
        l.store_timestamp(TreeSize(size), t, Some(&anchors))
            .unwrap()
            .1
    };
    assert!(store(&mut l, 7, &late));
    assert!(!store(&mut l, 7, &late), "stored once");
    // A later checkpoint's tokens are its own.
    l.append(common::note("one more"), &common::authority())
        .unwrap();
    l.checkpoint(&common::authority()).unwrap();
    let body8 = l.checkpoint_body(TreeSize(8)).unwrap();
    let t8 = forge(&good, body8.as_bytes(), NOW);
    assert!(store(&mut l, 8, &t8));
    assert_eq!(l.timestamps_at(TreeSize(7)).unwrap(), vec![late.clone()]);
    assert_eq!(l.timestamps_at(TreeSize(8)).unwrap(), vec![t8]);
    assert!(l.timestamps_at(TreeSize(6)).unwrap().is_empty());
    // The early one put in by hand: the verifier reports it.
    drop(l);
    {
        let w = caselog::storage::store::WriteStore::open(&dir).unwrap();
        let mut b = caselog::storage::store::Batch::new();
        b.put(
            caselog::storage::layout::CF_TIMESTAMPS,
            caselog::storage::layout::timestamp_key(7, &early),
            early.clone(),
        );
        w.commit(b).unwrap();
    }
    let store = caselog::storage::store::Store::open(&dir).unwrap();
    let opts = caselog::VerifyOptions {
        tsa_anchors: Some(anchors),
        ..Default::default()
    };
    let r = caselog::verify_store_with(&store, &opts).unwrap();
    assert!(
        r.has(caselog::audit::Code::TimestampBeforeEntry, Some(6)),
        "{:?}",
        r.problems
    );
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.timestamps.len(), 2);
}

/// genTime has whole seconds (SPEC §10.5 step 7): a token of the last
/// entry's own second agrees with an entry recorded late in that second,
/// one a second earlier does not; the verifier says the same.
#[test]
fn a_time_stamp_of_the_last_entrys_own_second_is_accepted() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Sha256);
    let at = caselog::Timestamp::from_micros(common::t(1000).micros() + 999_999).unwrap();
    l.append_at(common::note("late in its second"), &common::authority(), at)
        .unwrap();
    l.checkpoint(&common::authority()).unwrap();
    let body = l.checkpoint_body(TreeSize(8)).unwrap();
    let (issuer, anchors) = root();
    let good = tsa(&issuer, Eku::Critical, (2000, 2040));
    let second = |t: caselog::Timestamp| format!("{}Z", &t.to_string()[..19]);
    let before = forge(&good, body.as_bytes(), &second(common::t(999)));
    match l.store_timestamp(TreeSize(8), &before, Some(&anchors)) {
        Err(caselog::LedgerError::TimestampBeforeEntry { seq: 7, .. }) => {}
        other => panic!("{other:?}"),
    }
    let same = forge(&good, body.as_bytes(), &second(at));
    assert!(
        l.store_timestamp(TreeSize(8), &same, Some(&anchors))
            .unwrap()
            .1
    );
    drop(l);
    let store = caselog::storage::store::Store::open(&dir).unwrap();
    let opts = caselog::VerifyOptions {
        tsa_anchors: Some(anchors),
        ..Default::default()
    };
    let r = caselog::verify_store_with(&store, &opts).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.timestamps.len(), 1);
}

// ---- The CLI against a local TSA ----

struct TestTsa(Child, String, PathBuf);

impl Drop for TestTsa {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn test_tsa_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/test-tsa")
}

/// `tools/test-tsa init DIR [--rsa]` then `serve DIR`: its URL and root.
#[allow(clippy::zombie_processes)]
fn test_tsa(dir: &Path, rsa: bool) -> TestTsa {
    let mut init = Proc::new("python3");
    init.arg(test_tsa_script()).arg("init").arg(dir);
    if rsa {
        init.arg("--rsa");
    }
    assert!(init.stdout(Stdio::null()).status().unwrap().success());
    let port_file = dir.join("port");
    let child = Proc::new("python3")
        .arg(test_tsa_script())
        .args(["serve"])
        .arg(dir)
        .arg("--port-file")
        .arg(&port_file)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if let Ok(p) = std::fs::read_to_string(&port_file) {
            return TestTsa(child, format!("http://127.0.0.1:{p}/"), dir.join("ca.pem"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("tools/test-tsa did not start");
}

fn caselog(dir: &Path) -> Proc {
    let mut c = Proc::new(assert_cmd::cargo::cargo_bin("caselog"));
    c.arg("--ledger").arg(dir).env_remove("CASELOG_REMOTE");
    c
}

#[test]
fn caselog_timestamp_and_verify_with_a_local_tsa() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = common::build_small(&dir, HashAlg::Sha256);
    l.checkpoint(&common::authority()).unwrap();
    drop(l);
    let ec = test_tsa(&t.path().join("ec"), false);
    let rsa = test_tsa(&t.path().join("rsa"), true);
    // Not yet any: verify states no time.
    for tsa in [&ec, &rsa] {
        let out = caselog(&dir)
            .args(["timestamp", "--tsa", &tsa.1, "--tsa-ca"])
            .arg(&tsa.2)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.starts_with("token stored\ntime     the state of size 7 existed no later than 20"),
            "{text}"
        );
    }
    // Each token checked under its own root; the other's root is refused.
    let verify = |ca: &Path| {
        caselog(&dir)
            .arg("verify")
            .arg("--tsa-ca")
            .arg(ca)
            .output()
            .unwrap()
    };
    let both = t.path().join("both.pem");
    std::fs::write(
        &both,
        [
            std::fs::read(&ec.2).unwrap(),
            std::fs::read(&rsa.2).unwrap(),
        ]
        .concat(),
    )
    .unwrap();
    let out = verify(&both);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("existed no later than").count(), 2, "{text}");
    let out = verify(&ec.2);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("TIMESTAMP_UNTRUSTED").count(), 1, "{text}");
    // A TSA whose root is not the one given: refused, nothing stored.
    let out = caselog(&dir)
        .args(["timestamp", "--tsa", &rsa.1, "--tsa-ca"])
        .arg(&ec.2)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TIMESTAMP_UNTRUSTED refused, nothing stored"),
        "{err}"
    );
    let l = caselog::Ledger::open(&dir, false).unwrap();
    assert_eq!(l.timestamps_at(TreeSize(7)).unwrap().len(), 2);
    let vkey = l.authority_log_keys()[0].to_string();
    drop(l);
    // A bundle carries both tokens; both verifiers state both times.
    let b = t.path().join("case.bundle");
    let out = caselog(&dir)
        .args(["export", "bundle", "--out"])
        .arg(&b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rust = Proc::new(assert_cmd::cargo::cargo_bin("caselog"))
        .args(["verify", "--trust", &vkey, "--tsa-ca"])
        .arg(&both)
        .arg("--bundle")
        .arg(&b)
        .output()
        .unwrap();
    let py = Proc::new(common::python())
        .arg(common::verify_bundle_script())
        .arg(&b)
        .args(["--trust", &vkey, "--tsa-ca"])
        .arg(&both)
        .output()
        .unwrap();
    for (who, out) in [("caselog", rust), ("verify-bundle", py)] {
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{who}: {text}");
        assert_eq!(
            text.matches("the state of size 7 existed no later than 20")
                .count(),
            2,
            "{who}: {text}"
        );
    }
    // Bad input: no such checkpoint, not a URL, not a PEM.
    for (args, want) in [
        (
            vec!["timestamp", "--tsa", &ec.1, "--size", "3"],
            "no checkpoint is stored at size 3",
        ),
        (
            vec!["timestamp", "--tsa", "tsa.example"],
            "is not an http(s) URL",
        ),
        (
            vec!["verify", "--tsa-ca", "Cargo.toml"],
            "--tsa-ca Cargo.toml",
        ),
    ] {
        let out = caselog(&dir)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
#[allow(clippy::zombie_processes)]
fn serve_time_stamps_each_checkpoint_it_stores() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-ts");
    let a = common::authority();
    let l = common::build_small(&dir, HashAlg::Sha256);
    let note = caselog::Checkpoint {
        items: None,
        origin: l.origin(),
        head: l.head().tree,
    }
    .sign(&a)
    .unwrap()
    .to_text();
    drop(l);
    let tsa = test_tsa(&t.path().join("tsa"), false);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Proc::new(assert_cmd::cargo::cargo_bin("caselog"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--tsa", &tsa.1, "--tsa-ca"])
        .arg(&tsa.2)
        .arg(&dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/case-ts");
    let r = caselog::net::client::Remote::new(&url).unwrap();
    let mut posted = Err(None);
    for _ in 0..100 {
        match r.post_checkpoint(&a, &note) {
            Ok(()) => {
                posted = Ok(());
                break;
            }
            Err(e) => posted = Err(Some(e)),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    posted.unwrap();
    let l = caselog::Ledger::open(&dir, false).unwrap();
    assert_eq!(l.timestamps_at(TreeSize(7)).unwrap().len(), 1);
    drop(l);
    let out = caselog(&dir)
        .arg("verify")
        .arg("--tsa-ca")
        .arg(&tsa.2)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("the state of size 7 existed no later than"),
        "{text}"
    );
}
