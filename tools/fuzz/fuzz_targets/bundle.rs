//! Offline bundle decoder, and the disclosure decoder it carries.
#![no_main]
use caselog::audit::bundle::Bundle;
use caselog::format::disclosure::Disclosure;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bundle::decode(data) {
        assert_eq!(
            b.encode(),
            data,
            "bundle: accepted a non-canonical encoding"
        );
    }
    let _ = Disclosure::decode(data);
});
