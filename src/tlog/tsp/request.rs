//! The `TimeStampReq` caselog sends (RFC 3161 §2.4.1): SHA-256 message
//! imprint of the checkpoint body, a fresh nonce, `certReq` true (the
//! signer's certificate comes back in the token, so it verifies offline).

use der::asn1::{Int, OctetString};
use der::{Any, Encode};
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TspVersion};

use super::{imprint, ID_SHA256};

/// A request nonce: 63 random bits with the top one set, so its DER
/// INTEGER is always 8 positive bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nonce(pub u64);

impl Nonce {
    /// A fresh random nonce.
    pub fn random() -> Nonce {
        use rand_core::RngCore;
        let r = rand_core::OsRng.next_u64();
        Nonce((r >> 2) | (1 << 62))
    }

    pub(crate) fn bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

/// DER `TimeStampReq` for the checkpoint `body` (the note's three lines).
pub fn request(body: &[u8], nonce: Nonce) -> Vec<u8> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            // sha256 with NULL parameters, as RFC 5754 §2 permits and TSAs expect.
            hash_algorithm: AlgorithmIdentifier {
                oid: ID_SHA256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(imprint(body).to_vec())
                .expect("tsp: a 32-byte octet string"),
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce.bytes()).expect("tsp: an 8-byte integer")),
        cert_req: true,
        extensions: None,
    };
    req.to_der()
        .expect("tsp: encoding a request of plain parts")
}
