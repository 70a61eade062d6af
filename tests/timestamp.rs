//! RFC 3161 time-stamps on checkpoints (SPEC §10.5): known-answer tokens
//! made by `openssl ts`, every refusal with its own code (forged tokens
//! correctly signed by keys that chain to the trusted root, each breaking
//! one rule), and `caselog timestamp` / `verify --tsa-ca` against a local
//! TSA (`tools/test-tsa`, OpenSSL behind loopback HTTP).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::Duration;

use caselog::tlog::tsp::{verify_token, Anchors, TspError};
use caselog::{HashAlg, TreeSize};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData, SignerIdentifier, SignerInfos};
use der::asn1::{GeneralizedTime, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use rcgen::{CertificateParams, CustomExtension, IsCa, Issuer, KeyPair, SigningKey};
use sha2::Digest;
use x509_cert::Certificate;
use x509_tsp::TstInfo;

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

/// A test root and the issuer to sign TSA certificates with.
fn root() -> (Issuer<'static, KeyPair>, Anchors) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "forgery test root");
    let cert = p.self_signed(&key).unwrap();
    let anchors = Anchors::from_pem(cert.pem().as_bytes()).unwrap();
    (Issuer::new(p, key), anchors)
}

#[derive(Clone, Copy)]
enum Eku {
    Critical,
    NotCritical,
    None,
    WithCodeSigning,
}

struct Tsa {
    cert: Vec<u8>,
    key: KeyPair,
}

/// A TSA certificate from `issuer`, valid in `years` (default: 2020-2040).
fn tsa(issuer: &Issuer<'_, KeyPair>, eku: Eku, years: (i32, i32)) -> Tsa {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::ExplicitNoCa;
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "forged TSA");
    p.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    p.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    // extKeyUsage: SEQUENCE { id-kp-timeStamping [, id-kp-codeSigning] }
    let ts = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
    let cs = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
    let (content, critical) = match eku {
        Eku::Critical => ([&[0x30, 10][..], &ts].concat(), true),
        Eku::NotCritical => ([&[0x30, 10][..], &ts].concat(), false),
        Eku::WithCodeSigning => ([&[0x30, 20][..], &ts, &cs].concat(), true),
        Eku::None => (Vec::new(), false),
    };
    if !content.is_empty() {
        let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 37], content);
        ext.set_criticality(critical);
        p.custom_extensions.push(ext);
    }
    let cert = p.signed_by(&key, issuer).unwrap();
    Tsa {
        cert: cert.der().to_vec(),
        key,
    }
}

fn sha256(b: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(b).to_vec()
}

/// A token like OpenSSL's, over `body` at `gen_time`, signed by `tsa` with
/// a valid CMS signature and ESS signing-certificate attribute.
fn forge(tsa: &Tsa, body: &[u8], gen_time: &str) -> Vec<u8> {
    let (template, _, _) = kat("ec");
    let ci = ContentInfo::from_der(&template).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let econtent: OctetString = sd
        .encap_content_info
        .econtent
        .as_ref()
        .unwrap()
        .decode_as()
        .unwrap();
    let mut info = TstInfo::from_der(econtent.as_bytes()).unwrap();
    info.message_imprint.hashed_message = OctetString::new(sha256(body)).unwrap();
    info.gen_time = GeneralizedTime::from_date_time(
        der::DateTime::from_system_time(
            std::time::UNIX_EPOCH
                + Duration::from_secs(
                    chrono::DateTime::parse_from_rfc3339(gen_time)
                        .unwrap()
                        .timestamp() as u64,
                ),
        )
        .unwrap(),
    );
    info.tsa = None;
    let info = info.to_der().unwrap();
    sd.encap_content_info.econtent =
        Some(Any::encode_from(&OctetString::new(info.clone()).unwrap()).unwrap());
    let cert = Certificate::from_der(&tsa.cert).unwrap();
    sd.certificates = Some(CertificateSet(
        SetOfVec::try_from(vec![CertificateChoices::Certificate(cert.clone())]).unwrap(),
    ));
    let mut si = sd.signer_infos.0.get(0).unwrap().clone();
    si.sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    });
    let attrs: Vec<x509_cert::attr::Attribute> = si
        .signed_attrs
        .take()
        .unwrap()
        .into_vec()
        .into_iter()
        .map(|mut a| {
            let v = match a.oid.to_string().as_str() {
                // message-digest over the new TSTInfo
                "1.2.840.113549.1.9.4" => {
                    Any::encode_from(&OctetString::new(sha256(&info)).unwrap()).unwrap()
                }
                // signingCertificateV2: SEQ { SEQ { SEQ { OCTET STRING sha256(cert) } } }
                "1.2.840.113549.1.9.16.2.47" => {
                    let h = sha256(&tsa.cert);
                    Any::from_der(
                        &[&[0x30, 0x26, 0x30, 0x24, 0x30, 0x22, 0x04, 0x20][..], &h].concat(),
                    )
                    .unwrap()
                }
                _ => return a,
            };
            a.values = SetOfVec::try_from(vec![v]).unwrap();
            a
        })
        .collect();
    let attrs = SetOfVec::try_from(attrs).unwrap();
    let sig = tsa.key.sign(&attrs.to_der().unwrap()).unwrap();
    si.signed_attrs = Some(attrs);
    si.signature = OctetString::new(sig).unwrap();
    sd.signer_infos = SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
    ContentInfo {
        content_type: ci.content_type,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

const NOW: &str = "2026-11-30T12:00:00Z";

#[test]
fn forged_tokens_are_each_refused_with_their_own_code() {
    let (issuer, anchors) = root();
    let body = b"caselog/sha256/00112233445566778899aabbccddeeff\n1\nAAAA\n";
    let check = |t: &Tsa| verify_token(&forge(t, body, NOW), body, Some(&anchors));
    // The forger's control: a proper TSA certificate gives a valid token.
    let good = tsa(&issuer, Eku::Critical, (2020, 2040));
    let ok = check(&good).unwrap();
    assert_eq!(ok.gen_time.to_string(), "2026-11-30T12:00:00.000000Z");
    // No EKU, a non-critical one, one with another purpose too.
    for eku in [Eku::None, Eku::NotCritical, Eku::WithCodeSigning] {
        let r = check(&tsa(&issuer, eku, (2020, 2040)));
        assert!(matches!(r, Err(TspError::Eku { .. })), "{r:?}");
    }
    // A certificate that expired before genTime.
    let r = check(&tsa(&issuer, Eku::Critical, (2020, 2021)));
    assert!(matches!(r, Err(TspError::Expired { .. })), "{r:?}");
    // A certificate not valid yet at genTime.
    let r = check(&tsa(&issuer, Eku::Critical, (2030, 2040)));
    assert!(matches!(r, Err(TspError::Expired { .. })), "{r:?}");
    // A root nobody trusts.
    let (rogue, _) = root();
    let r = check(&tsa(&rogue, Eku::Critical, (2020, 2040)));
    assert!(matches!(r, Err(TspError::Untrusted { .. })), "{r:?}");
    // genTime moved after signing.
    let mut t = forge(&good, body, NOW);
    let at = t.windows(15).position(|w| w == b"20261130120000Z").unwrap();
    t[at + 3] = b'5';
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

/// Replace the token's certificates by `cert` (signature left as it was).
fn swap_cert(token: &[u8], cert: &[u8]) -> Vec<u8> {
    let ci = ContentInfo::from_der(token).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let c = Certificate::from_der(cert).unwrap();
    sd.certificates = Some(CertificateSet(
        SetOfVec::try_from(vec![CertificateChoices::Certificate(c.clone())]).unwrap(),
    ));
    let mut si = sd.signer_infos.0.get(0).unwrap().clone();
    si.sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: c.tbs_certificate.issuer.clone(),
        serial_number: c.tbs_certificate.serial_number.clone(),
    });
    sd.signer_infos = SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
    ContentInfo {
        content_type: ci.content_type,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
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
    assert!(
        l.store_timestamp(TreeSize(7), &late, Some(&anchors))
            .unwrap()
            .1
    );
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
