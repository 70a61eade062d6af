//! EDTF date parser: what parses must print back unchanged and have
//! earliest <= latest.
#![no_main]
use caselog::format::edtf::Edtf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = Edtf::parse(s) {
        assert_eq!(e.as_str(), s);
        if let (Some(a), Some(b)) = (e.earliest(), e.latest()) {
            assert!(a <= b, "edtf: earliest after latest for {s:?}");
        }
    }
});
