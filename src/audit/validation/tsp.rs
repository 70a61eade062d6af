//! RFC 3161 time-stamp tokens made by OpenSSL's `openssl ts` (an
//! independent implementation) over a checkpoint body, one under an ECDSA
//! P-256 root and one under an RSA-2048 root (`tests/vectors/tsp/make`):
//! each verifies against its own root with the time OpenSSL printed, and
//! is refused against the other root, over another body, or with a byte
//! of the token changed.

use super::Suite;
use crate::tlog::tsp::{verify_token, Anchors};

const BODY: &[u8] = include_bytes!("../../../tests/vectors/tsp/body.txt");
const TOKENS: [(&str, &[u8], &str, &[u8]); 2] = [
    (
        "ecdsa-p256",
        include_bytes!("../../../tests/vectors/tsp/ec/token.der"),
        include_str!("../../../tests/vectors/tsp/ec/token.txt"),
        include_bytes!("../../../tests/vectors/tsp/ec/ca.pem"),
    ),
    (
        "rsa-2048",
        include_bytes!("../../../tests/vectors/tsp/rsa/token.der"),
        include_str!("../../../tests/vectors/tsp/rsa/token.txt"),
        include_bytes!("../../../tests/vectors/tsp/rsa/ca.pem"),
    ),
];

/// OpenSSL's "Time stamp: Dec  5 10:00:00 2026 GMT" as SPEC §3 text
/// (whole seconds).
fn openssl_time(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.strip_prefix("Time stamp: "))?;
    let t = chrono::NaiveDateTime::parse_from_str(
        line.trim_end_matches(" GMT").trim(),
        "%b %e %H:%M:%S %Y",
    )
    .ok()?;
    Some(t.format("%Y-%m-%dT%H:%M:%S.000000Z").to_string())
}

pub(super) fn suite() -> Suite {
    let mut s = Suite::new(
        "rfc3161-openssl-tokens",
        "caselog tests/vectors/tsp, made and verified with OpenSSL `openssl ts` (RFC 3161, RFC 5816)",
    );
    for (i, (name, token, text, ca)) in TOKENS.iter().enumerate() {
        let Ok(anchors) = Anchors::from_pem(ca) else {
            s.case(|| format!("{name}: root parses"), false);
            continue;
        };
        let want = openssl_time(text);
        let got = verify_token(token, BODY, Some(&anchors))
            .ok()
            .map(|t| t.gen_time.to_string());
        s.case(
            || format!("{name}: verifies with OpenSSL's time"),
            want.is_some() && got == want,
        );
        let (_, _, _, other) = TOKENS[1 - i];
        let other = Anchors::from_pem(other).ok();
        s.case(
            || format!("{name}: refused under the other root"),
            other.is_some_and(|o| verify_token(token, BODY, Some(&o)).is_err()),
        );
        let mut body = BODY.to_vec();
        body[0] ^= 1;
        s.case(
            || format!("{name}: refused over another body"),
            verify_token(token, &body, Some(&anchors)).is_err(),
        );
        for at in (0..token.len()).step_by(token.len() / 32 + 1) {
            let mut t = token.to_vec();
            t[at] ^= 0x01;
            let refused = verify_token(&t, BODY, Some(&anchors)).is_err();
            s.case(|| format!("{name}: byte {at} changed, refused"), refused);
        }
    }
    s
}
