//! RFC 3161 time-stamp tokens (stored, carried in bundles) and TSA replies.
#![no_main]
use caselog::tlog::tsp::{accept_reply, verify_token, Nonce};
use libfuzzer_sys::fuzz_target;

const BODY: &[u8] = b"caselog/sha256/00112233445566778899aabbccddeeff\n3\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

fuzz_target!(|data: &[u8]| {
    let _ = verify_token(data, BODY, None);
    let _ = accept_reply(data, BODY, Nonce(0x04d0_273c_813c_a1a5));
});
