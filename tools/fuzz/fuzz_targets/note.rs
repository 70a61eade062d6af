//! C2SP signed-note, checkpoint body and verifier-key parsers.
#![no_main]
use caselog::tlog::checkpoint;
use caselog::tlog::note::{Note, VerifierKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Note::parse(data);
    let _ = checkpoint::parse(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = VerifierKey::parse(s);
    }
});
