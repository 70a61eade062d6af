//! The ESS signing-certificate attributes that bind a CMS signature to the
//! signer's certificate (RFC 2634 §5.4 with SHA-1, RFC 5035 §3 with any
//! hash). RFC 3161 §2.4.1 requires one in every token; the crates do not
//! define them.

use der::asn1::OctetString;
use der::oid::ObjectIdentifier;
use der::{Any, Decode, Sequence};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// `id-aa-signingCertificate`, RFC 2634 §5.4.
pub(crate) const ID_SIGNING_CERT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-aa-signingCertificateV2`, RFC 5035 §3.
pub(crate) const ID_SIGNING_CERT_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// `ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL }`
#[derive(Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// `SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies OPTIONAL }`
#[derive(Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial OPTIONAL }`
#[derive(Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<Any>,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }`
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// The hash algorithm and certificate hash named first by a
/// signing-certificate attribute value (the signer's, RFC 5035 §3).
pub(crate) fn first_cert_hash(
    attr: ObjectIdentifier,
    value: &[u8],
) -> Result<(ObjectIdentifier, Vec<u8>), String> {
    if attr == ID_SIGNING_CERT {
        let sc = SigningCertificate::from_der(value).map_err(|e| e.to_string())?;
        let first = sc.certs.first().ok_or("an empty signingCertificate")?;
        return Ok((SHA1, first.cert_hash.as_bytes().to_vec()));
    }
    let sc = SigningCertificateV2::from_der(value).map_err(|e| e.to_string())?;
    let first = sc.certs.first().ok_or("an empty signingCertificateV2")?;
    let alg = first
        .hash_algorithm
        .as_ref()
        .map_or(super::ID_SHA256, |a| a.oid);
    Ok((alg, first.cert_hash.as_bytes().to_vec()))
}

/// `id-sha1`.
pub(crate) const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
