//! A TSA's `TimeStampResp` (RFC 3161 §2.4.2): granted, carrying a token
//! that answers our request (same nonce, same imprint).

use der::{Decode, Encode};
use x509_tsp::{TimeStampResp, TstInfo};

use super::token::tst_info;
use super::{imprint, malformed, Nonce, TspError};

/// Check a reply to the request for `body` with `nonce`; the token's DER.
/// The token itself is then checked like any stored token
/// ([`super::verify_token`]).
pub fn accept_reply(reply: &[u8], body: &[u8], nonce: Nonce) -> Result<Vec<u8>, TspError> {
    let resp = TimeStampResp::from_der(reply).map_err(|e| malformed(format!("reply: {e}")))?;
    // PKIStatus granted (0) or grantedWithMods (1), RFC 3161 §2.4.2.
    let status = resp.status.status as u8;
    if status > 1 {
        let text = resp
            .status
            .status_string
            .as_ref()
            .and_then(|s| s.iter().next())
            .map(|s| format!(": {}", s.as_str()))
            .unwrap_or_default();
        return Err(TspError::Refused { status, text });
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| malformed("a granted reply without a token"))?;
    let der = token.to_der().map_err(malformed)?;
    let (_, info): (_, TstInfo) = tst_info(&der)?;
    if info.nonce.as_ref().map(|n| n.as_bytes()) != Some(&nonce.bytes()[..]) {
        return Err(TspError::Nonce);
    }
    if info.message_imprint.hashed_message.as_bytes() != imprint(body) {
        return Err(TspError::Imprint);
    }
    Ok(der)
}
