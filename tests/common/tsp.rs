//! Forged RFC 3161 tokens for the tests: a test root, TSA certificates that
//! break one rule each, and tokens correctly signed by them (the forger
//! holds the key; every difference is the rule broken).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use caselog::tlog::tsp::Anchors;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{CertificateSet, SignedData, SignerIdentifier, SignerInfos};
use der::asn1::{GeneralizedTime, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use rcgen::{CertificateParams, CustomExtension, IsCa, Issuer, KeyPair, SigningKey};
use sha2::Digest;
use x509_cert::Certificate;
use x509_tsp::TstInfo;

/// A genTime after every fixture entry.
pub const NOW: &str = "2035-01-01T00:00:00Z";

/// An OpenSSL-made token (the shape every forgery starts from).
fn template() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tsp/ec/token.der"))
        .unwrap()
}

/// A test root (its anchors and PEM) and the issuer to sign TSA certificates with.
pub fn root() -> (Issuer<'static, KeyPair>, Anchors) {
    let (i, a, _) = root_pem();
    (i, a)
}

/// [`root`], with its certificate's PEM.
pub fn root_pem() -> (Issuer<'static, KeyPair>, Anchors, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "forgery test root");
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let cert = p.self_signed(&key).unwrap();
    let anchors = Anchors::from_pem(cert.pem().as_bytes()).unwrap();
    (Issuer::new(p, key), anchors, cert.pem())
}

#[derive(Clone, Copy)]
pub enum Eku {
    Critical,
    NotCritical,
    None,
    WithCodeSigning,
}

pub struct Tsa {
    pub cert: Vec<u8>,
    pub key: KeyPair,
}

/// A TSA certificate from `issuer`, valid in `years` (default: 2020-2040).
pub fn tsa(issuer: &Issuer<'_, KeyPair>, eku: Eku, years: (i32, i32)) -> Tsa {
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
pub fn forge(tsa: &Tsa, body: &[u8], gen_time: &str) -> Vec<u8> {
    let template = template();
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
    let mut si = put_cert(&mut sd, &tsa.cert);
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
    wrap(ci.content_type, sd, si)
}

/// Replace the token's certificates by `cert` (signature left as it was).
pub fn swap_cert(token: &[u8], cert: &[u8]) -> Vec<u8> {
    let ci = ContentInfo::from_der(token).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    let si = put_cert(&mut sd, cert);
    wrap(ci.content_type, sd, si)
}

/// Make `cert` the token's only certificate and its signer's identity; the
/// signer info to finish.
fn put_cert(sd: &mut SignedData, cert: &[u8]) -> cms::signed_data::SignerInfo {
    let c = Certificate::from_der(cert).unwrap();
    sd.certificates = Some(CertificateSet(
        SetOfVec::try_from(vec![CertificateChoices::Certificate(c.clone())]).unwrap(),
    ));
    let mut si = sd.signer_infos.0.get(0).unwrap().clone();
    si.sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: c.tbs_certificate.issuer.clone(),
        serial_number: c.tbs_certificate.serial_number.clone(),
    });
    si
}

/// The token: `sd` with `si` as its one signer, in a ContentInfo of `ty`.
fn wrap(
    ty: der::oid::ObjectIdentifier,
    mut sd: SignedData,
    si: cms::signed_data::SignerInfo,
) -> Vec<u8> {
    sd.signer_infos = SignerInfos(SetOfVec::try_from(vec![si]).unwrap());
    ContentInfo {
        content_type: ty,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}
