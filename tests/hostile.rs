//! Hostile input: every parser that reads outside data is fed random and
//! mutated bytes and must return an error or a value, never panic. These
//! property tests run in every CI; the coverage-guided fuzz targets for the
//! same parsers are in tools/fuzz (tools/fuzz/run).

use caselog::audit::bundle::Bundle;
use caselog::format::disclosure::Disclosure;
use caselog::format::edtf::Edtf;
use caselog::tlog::checkpoint;
use caselog::tlog::note::{Note, VerifierKey};
use caselog::tlog::prooffile::{ConsistencyProof, InclusionProof};
use proptest::prelude::*;

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..600)
}

/// A valid-looking checkpoint note to mutate.
const NOTE: &str = "caselog/blake3/00112233445566778899aabbccddeeff\n7\nq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\n\n\u{2014} caselog/blake3/00112233445566778899aabbccddeeff AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic_on_random_bytes(b in any_bytes()) {
        let _ = Bundle::decode(&b);
        let _ = Note::parse(&b);
        let _ = checkpoint::parse(&b);
        let _ = InclusionProof::parse(&b);
        let _ = ConsistencyProof::parse(&b);
        let _ = Disclosure::decode(&b);
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = Edtf::parse(s);
            let _ = VerifierKey::parse(s);
            let _ = caselog::storage::keys::parse_public(s.lines().next().unwrap_or(""));
        }
    }

    #[test]
    fn mutated_notes_never_panic(pos in 0usize..NOTE.len(), byte in any::<u8>(), cut in 0usize..NOTE.len()) {
        let mut b = NOTE.as_bytes().to_vec();
        b[pos] = byte;
        let _ = checkpoint::parse(&b);
        let _ = checkpoint::parse(&b[..cut]);
        let mut p = format!("c2sp.org/tlog-proof@v1\nextra AAAA\nindex 3\n\n{NOTE}").into_bytes();
        let i = pos % p.len();
        p[i] = byte;
        let _ = InclusionProof::parse(&p);
    }

    #[test]
    fn edtf_never_panics(s in "[0-9X?~%/.\\-TZ:+Y]{0,40}") {
        if let Ok(e) = Edtf::parse(&s) {
            prop_assert_eq!(e.as_str(), s.as_str());
            if let (Some(a), Some(b)) = (e.earliest(), e.latest()) {
                prop_assert!(a <= b);
            }
        }
    }
}
