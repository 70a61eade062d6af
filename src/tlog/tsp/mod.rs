//! RFC 3161 time-stamp tokens on checkpoints: independent evidence that a
//! state of the ledger existed no later than a time-stamping authority's
//! `genTime` (SPEC §10.5).
//!
//! Owns the request caselog sends (`request`), the checks on a TSA's
//! reply (`reply`), and the offline verification of a stored token
//! (`token`): CMS signature, message imprint, the signer certificate's
//! critical `timeStamping` EKU, its validity at `genTime`, and its path to
//! a trust anchor. The RustCrypto `x509-tsp`, `cms` and `x509-cert` types
//! parse the DER; `rustls-webpki` builds and checks the certificate path
//! and verifies signatures. What is written here is the glue.

mod ess;
pub mod reply;
pub mod request;
pub mod token;

use der::oid::ObjectIdentifier;
use thiserror::Error;

pub use reply::accept_reply;
pub use request::{request, Nonce};
pub use token::{verify_token, Anchors, Timestamped};

/// `id-signedData`, RFC 5652 §5.1.
pub(crate) const ID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-ct-TSTInfo`, RFC 3161 §2.4.2.
pub(crate) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// `id-kp-timeStamping`, RFC 5280 §4.2.1.12.
pub(crate) const ID_KP_TIME_STAMPING: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// `id-sha256`, RFC 5754 §2.2.
pub(crate) const ID_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Why a time-stamp reply or token was refused. Each verification failure
/// has its own SPEC §9 code (`audit::Code::of_timestamp`).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TspError {
    /// Not a DER `TimeStampToken` of the expected shape (`BAD_TIMESTAMP`).
    #[error("not a time-stamp token: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// The CMS signature, its signed attributes or the signing-certificate
    /// attribute do not verify (`TIMESTAMP_SIGNATURE`).
    #[error("the token's signature does not verify: {what}")]
    Signature {
        /// What failed.
        what: String,
    },
    /// The token time-stamps other data than this checkpoint's body
    /// (`TIMESTAMP_IMPRINT`).
    #[error("the token's message imprint is not the SHA-256 of this checkpoint's body")]
    Imprint,
    /// The signer certificate lacks a critical EKU of exactly
    /// `timeStamping` (`TIMESTAMP_EKU`).
    #[error("the signer certificate is not for time-stamping: {what}")]
    Eku {
        /// What the certificate has instead.
        what: String,
    },
    /// `genTime` is outside the validity of a certificate of the path
    /// (`TIMESTAMP_EXPIRED`).
    #[error("genTime {gen_time} is outside the validity of {cert}")]
    Expired {
        /// The token's time (RFC 3339).
        gen_time: String,
        /// Which certificate.
        cert: String,
    },
    /// No path from the signer certificate to a given trust anchor
    /// (`TIMESTAMP_UNTRUSTED`).
    #[error("the signer certificate does not chain to a trusted TSA root: {what}")]
    Untrusted {
        /// Why.
        what: String,
    },
    /// The TSA refused the request (reply status not granted).
    #[error("the TSA refused the request (status {status}{text})")]
    Refused {
        /// PKIStatus value.
        status: u8,
        /// Any status text, with a leading ": ".
        text: String,
    },
    /// The reply answers another request (nonce differs).
    #[error("the TSA's reply carries another nonce than the request's")]
    Nonce,
}

pub(crate) fn malformed(what: impl std::fmt::Display) -> TspError {
    TspError::Malformed {
        what: what.to_string(),
    }
}

/// SHA-256 of a checkpoint note's body: the message imprint (RFC 3161
/// §2.4.1) of its time-stamp.
pub fn imprint(body: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(body).into()
}
