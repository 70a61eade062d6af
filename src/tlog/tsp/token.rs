//! Offline verification of a stored time-stamp token (RFC 3161 §2.4.2,
//! CMS SignedData of RFC 5652 §5), in the order SPEC §10.5 gives: shape,
//! CMS signature, message imprint, EKU, validity at `genTime`, path to a
//! trust anchor.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::oid::ObjectIdentifier;
use der::{Decode, Encode};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::Certificate;
use x509_tsp::TstInfo;

use super::ess::{self, ID_SIGNING_CERT, ID_SIGNING_CERT_V2};
use super::{imprint, malformed, TspError, ID_CT_TST_INFO, ID_KP_TIME_STAMPING, ID_SIGNED_DATA};
use crate::format::ids::Timestamp;

/// `id-contentType`, `id-messageDigest`: RFC 5652 §11.1, §11.2.
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// Signature algorithms (RFC 5758 §3.2, RFC 8017 App. C).
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// `id-kp-timeStamping`'s DER contents, as webpki takes EKU purposes.
const TIME_STAMPING_DER: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// Trust anchors for TSA certificates (`--tsa-ca FILE`, PEM).
#[derive(Debug, Clone)]
pub struct Anchors {
    certs: Vec<CertificateDer<'static>>,
}

impl Anchors {
    /// The certificates of a PEM file; at least one.
    pub fn from_pem(pem: &[u8]) -> Result<Anchors, String> {
        let certs = rustls_pemfile::certs(&mut &pem[..])
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for c in &certs {
            webpki::anchor_from_trusted_cert(c).map_err(|e| e.to_string())?;
        }
        match certs.is_empty() {
            true => Err("no CERTIFICATE block".into()),
            false => Ok(Anchors { certs }),
        }
    }
}

/// A token that verified: what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamped {
    /// The TSA's `genTime`: the checkpoint's state existed no later.
    pub gen_time: Timestamp,
    /// The TSA's name (TSTInfo `tsa`, else the signer's subject).
    pub tsa: String,
    /// The token's serial number, hex.
    pub serial: String,
    /// Whether the signer chained to a given trust anchor (else only the
    /// signature, imprint, EKU and validity were checked).
    pub anchored: bool,
}

/// The SignedData, TSTInfo and eContent bytes of a DER token. Only the
/// DER encoding is accepted (decoded, re-encoded, compared).
pub(crate) fn tst_info(token: &[u8]) -> Result<(SignedData, TstInfo), TspError> {
    let (sd, info, _) = parts(token)?;
    Ok((sd, info))
}

fn parts(token: &[u8]) -> Result<(SignedData, TstInfo, Vec<u8>), TspError> {
    let ci = ContentInfo::from_der(token).map_err(malformed)?;
    if ci.to_der().map_err(malformed)? != token {
        return Err(malformed("not DER"));
    }
    if ci.content_type != ID_SIGNED_DATA {
        return Err(malformed("not CMS SignedData"));
    }
    let sd: SignedData = ci.content.decode_as().map_err(malformed)?;
    let encap = &sd.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(malformed("the signed content is not a TSTInfo"));
    }
    let content: OctetString = encap
        .econtent
        .as_ref()
        .ok_or_else(|| malformed("no TSTInfo"))?
        .decode_as()
        .map_err(malformed)?;
    let bytes = content.as_bytes().to_vec();
    let info = TstInfo::from_der(&bytes).map_err(|e| malformed(format!("TSTInfo: {e}")))?;
    Ok((sd, info, bytes))
}

/// Verify `token` as a time-stamp of the checkpoint `body`, offline; with
/// `anchors`, the signer must chain to one of them at `genTime`.
pub fn verify_token(
    token: &[u8],
    body: &[u8],
    anchors: Option<&Anchors>,
) -> Result<Timestamped, TspError> {
    let (sd, info, econtent) = parts(token)?;
    let si = only_signer(&sd)?;
    let certs = certificates(&sd)?;
    let signer = find_signer(si, &certs)?;
    check_signature(si, &econtent, signer)?;
    if info.message_imprint.hash_algorithm.oid != super::ID_SHA256
        || info.message_imprint.hashed_message.as_bytes() != imprint(body)
    {
        return Err(TspError::Imprint);
    }
    check_eku(&signer.0)?;
    let secs = info
        .gen_time
        .to_unix_duration()
        .as_secs()
        .try_into()
        .map_err(|_| malformed("genTime out of range"))?;
    let gen_time = Timestamp::from_micros(secs_to_micros(secs))
        .ok_or_else(|| malformed("genTime out of range"))?;
    check_validity(&signer.0, info.gen_time.to_unix_duration(), &gen_time)?;
    if let Some(a) = anchors {
        check_path(signer, &certs, a, info.gen_time.to_unix_duration())?;
    }
    let tsa = match &info.tsa {
        Some(x509_cert::ext::pkix::name::GeneralName::DirectoryName(n)) => n.to_string(),
        _ => signer.0.tbs_certificate.subject.to_string(),
    };
    Ok(Timestamped {
        gen_time,
        tsa,
        serial: hex::encode(info.serial_number.as_bytes()),
        anchored: anchors.is_some(),
    })
}

fn secs_to_micros(secs: i64) -> i64 {
    secs.saturating_mul(1_000_000)
}

/// The one SignerInfo, with the fields no signature covers held to the
/// only values RFC 5652 allows here (so no two accepted tokens differ in
/// them): SignedData version 3 (§5.1, the content is not `id-data`),
/// SignerInfo version 1 or 3 as its `sid` says (§5.3), its digest
/// algorithm listed in `digestAlgorithms`, and algorithm parameters
/// absent or NULL.
fn only_signer(sd: &SignedData) -> Result<&SignerInfo, TspError> {
    use cms::content_info::CmsVersion;
    let mut it = sd.signer_infos.0.iter();
    let si = match (it.next(), it.next()) {
        (Some(si), None) => si,
        _ => return Err(malformed("not exactly one SignerInfo")),
    };
    let si_version = match si.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => CmsVersion::V3,
    };
    if sd.version != CmsVersion::V3 || si.version != si_version {
        return Err(malformed("a CMS version other than RFC 5652 sets"));
    }
    if !sd.digest_algorithms.iter().any(|a| *a == si.digest_alg) {
        return Err(malformed("the signer's digest is not in digestAlgorithms"));
    }
    let plain = |p: &Option<der::Any>| p.as_ref().is_none_or(|p| *p == der::Any::null());
    let all_plain = sd.digest_algorithms.iter().all(|a| plain(&a.parameters))
        && plain(&si.signature_algorithm.parameters);
    if !all_plain {
        return Err(malformed("algorithm parameters other than absent or NULL"));
    }
    Ok(si)
}

/// Each certificate in the token, parsed, with its DER.
fn certificates(sd: &SignedData) -> Result<Vec<(Certificate, Vec<u8>)>, TspError> {
    let Some(set) = &sd.certificates else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in set.0.iter() {
        if let CertificateChoices::Certificate(c) = c {
            out.push((c.clone(), c.to_der().map_err(malformed)?));
        }
    }
    Ok(out)
}

fn find_signer<'a>(
    si: &SignerInfo,
    certs: &'a [(Certificate, Vec<u8>)],
) -> Result<&'a (Certificate, Vec<u8>), TspError> {
    certs
        .iter()
        .find(|(c, _)| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                matches!(c.tbs_certificate.get::<SubjectKeyIdentifier>(), Ok(Some((_, k))) if k == *ski)
            }
        })
        .ok_or_else(|| malformed("the signer's certificate is not in the token"))
}

fn digest(alg: ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    Some(match alg {
        a if a == super::ID_SHA256 => sha2::Sha256::digest(data).to_vec(),
        a if a == ID_SHA384 => sha2::Sha384::digest(data).to_vec(),
        a if a == ID_SHA512 => sha2::Sha512::digest(data).to_vec(),
        // Only to match an RFC 2634 ESSCertID, never for a signature.
        a if a == ess::SHA1 => ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
            .as_ref()
            .to_vec(),
        _ => return None,
    })
}

fn sig_failure(what: impl Into<String>) -> TspError {
    TspError::Signature { what: what.into() }
}

/// The one value of the signed attribute `oid`, DER.
fn attr(si: &SignerInfo, oid: ObjectIdentifier) -> Result<Option<Vec<u8>>, TspError> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| sig_failure("no signed attributes"))?;
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(a) = found.next() else {
        return Ok(None);
    };
    let mut vals = a.values.iter();
    match (vals.next(), vals.next(), found.next()) {
        (Some(v), None, None) => Ok(Some(v.to_der().map_err(malformed)?)),
        _ => Err(sig_failure(format!("attribute {oid} is not single-valued"))),
    }
}

/// RFC 5652 §5.4 and §5.6: content type and message digest in the signed
/// attributes, the ESS signing certificate (RFC 3161 §2.4.1), and the
/// signature over the attributes' DER `SET OF` under the signer's key.
fn check_signature(
    si: &SignerInfo,
    econtent: &[u8],
    (_, signer_der): &(Certificate, Vec<u8>),
) -> Result<(), TspError> {
    let ct = attr(si, ID_CONTENT_TYPE)?.ok_or_else(|| sig_failure("no content-type"))?;
    if ObjectIdentifier::from_der(&ct).ok() != Some(ID_CT_TST_INFO) {
        return Err(sig_failure("content-type is not TSTInfo"));
    }
    let md = attr(si, ID_MESSAGE_DIGEST)?.ok_or_else(|| sig_failure("no message-digest"))?;
    let md = OctetString::from_der(&md).map_err(malformed)?;
    let want = digest(si.digest_alg.oid, econtent)
        .ok_or_else(|| sig_failure(format!("digest {} not supported", si.digest_alg.oid)))?;
    if md.as_bytes() != want {
        return Err(sig_failure(
            "message-digest differs from the TSTInfo's digest",
        ));
    }
    check_ess(si, signer_der)?;
    let msg = si
        .signed_attrs
        .as_ref()
        .expect("tsp: signed attributes checked above")
        .to_der()
        .map_err(malformed)?;
    let cert = CertificateDer::from(signer_der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&cert)
        .map_err(|e| sig_failure(format!("signer certificate: {e}")))?;
    let algs = signature_algs(si)?;
    let sig = si.signature.as_bytes();
    if algs
        .iter()
        .any(|alg| ee.verify_signature(*alg, &msg, sig).is_ok())
    {
        Ok(())
    } else {
        Err(sig_failure(
            "the signature does not verify under the signer's key",
        ))
    }
}

fn check_ess(si: &SignerInfo, signer_der: &[u8]) -> Result<(), TspError> {
    let (oid, value) = match attr(si, ID_SIGNING_CERT_V2)? {
        Some(v) => (ID_SIGNING_CERT_V2, v),
        None => (
            ID_SIGNING_CERT,
            attr(si, ID_SIGNING_CERT)?
                .ok_or_else(|| sig_failure("no ESS signing-certificate attribute"))?,
        ),
    };
    let (alg, hash) = ess::first_cert_hash(oid, &value).map_err(sig_failure)?;
    match digest(alg, signer_der) {
        Some(h) if h == hash => Ok(()),
        Some(_) => Err(sig_failure(
            "the ESS signing certificate is another certificate",
        )),
        None => Err(sig_failure(format!("ESS hash {alg} not supported"))),
    }
}

fn signature_algs(
    si: &SignerInfo,
) -> Result<Vec<&'static dyn SignatureVerificationAlgorithm>, TspError> {
    use webpki::ring as w;
    let (sig, dig) = (si.signature_algorithm.oid, si.digest_alg.oid);
    Ok(match sig {
        s if s == ECDSA_SHA256 => vec![w::ECDSA_P256_SHA256, w::ECDSA_P384_SHA256],
        s if s == ECDSA_SHA384 => vec![w::ECDSA_P256_SHA384, w::ECDSA_P384_SHA384],
        s if s == SHA256_RSA || (s == RSA_ENCRYPTION && dig == super::ID_SHA256) => {
            vec![w::RSA_PKCS1_2048_8192_SHA256]
        }
        s if s == SHA384_RSA || (s == RSA_ENCRYPTION && dig == ID_SHA384) => {
            vec![w::RSA_PKCS1_2048_8192_SHA384]
        }
        s if s == SHA512_RSA || (s == RSA_ENCRYPTION && dig == ID_SHA512) => {
            vec![w::RSA_PKCS1_2048_8192_SHA512]
        }
        other => {
            return Err(sig_failure(format!(
                "signature algorithm {other} with digest {dig} not supported"
            )))
        }
    })
}

/// RFC 3161 §2.3: the TSA's certificate has one EKU, `timeStamping`, and
/// the extension is critical.
fn check_eku(signer: &Certificate) -> Result<(), TspError> {
    let what = match signer.tbs_certificate.get::<ExtendedKeyUsage>() {
        Ok(Some((true, eku))) if eku.0 == [ID_KP_TIME_STAMPING] => return Ok(()),
        Ok(Some((false, _))) => "the extended key usage is not critical".to_owned(),
        Ok(Some((true, eku))) => format!("extended key usage {:?}", eku.0),
        Ok(None) => "no extended key usage".to_owned(),
        Err(e) => format!("extended key usage: {e}"),
    };
    Err(TspError::Eku { what })
}

fn check_validity(
    cert: &Certificate,
    gen: std::time::Duration,
    gen_time: &Timestamp,
) -> Result<(), TspError> {
    let v = &cert.tbs_certificate.validity;
    if v.not_before.to_unix_duration() <= gen && gen <= v.not_after.to_unix_duration() {
        return Ok(());
    }
    Err(TspError::Expired {
        gen_time: gen_time.to_string(),
        cert: cert.tbs_certificate.subject.to_string(),
    })
}

/// webpki builds the path from the signer through the token's other
/// certificates to an anchor, checking each signature, validity at
/// `genTime`, basic constraints and the EKU.
fn check_path(
    (_, signer_der): &(Certificate, Vec<u8>),
    certs: &[(Certificate, Vec<u8>)],
    anchors: &Anchors,
    gen: std::time::Duration,
) -> Result<(), TspError> {
    let cert = CertificateDer::from(signer_der.as_slice());
    let ee = webpki::EndEntityCert::try_from(&cert).map_err(|e| TspError::Untrusted {
        what: e.to_string(),
    })?;
    let trust: Vec<_> = anchors
        .certs
        .iter()
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    let inter: Vec<CertificateDer> = certs
        .iter()
        .filter(|(_, d)| d != signer_der)
        .map(|(_, d)| CertificateDer::from(d.as_slice()))
        .collect();
    let r = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &trust,
        &inter,
        UnixTime::since_unix_epoch(gen),
        webpki::KeyUsage::required(TIME_STAMPING_DER),
        None,
        None,
    );
    r.map(|_| ()).map_err(|e| TspError::Untrusted {
        what: untrusted_reason(&e),
    })
}

/// A sentence for why no path to a root was found.
fn untrusted_reason(e: &webpki::Error) -> String {
    use webpki::Error as W;
    match e {
        W::UnknownIssuer => "no given root (or certificate in the token) issued it".into(),
        W::CertExpired { .. } | W::CertNotValidYet { .. } => {
            "a certificate above the signer is not valid at genTime".into()
        }
        W::CaUsedAsEndEntity => "the signer certificate is a CA certificate".into(),
        W::InvalidSignatureForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate's signature does not verify under its issuer's key".into()
        }
        other => format!("{other:?}"),
    }
}
