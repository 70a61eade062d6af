//! Directory-tree manifest decoder (SPEC §13.8): any bytes give a manifest
//! or an error. Whatever decodes must re-encode to the same bytes
//! (canonical only), and its content listing must be computable.
#![no_main]
use caselog::format::tree::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Manifest::decode(data) {
        assert_eq!(
            m.encode(),
            data,
            "tree manifest: accepted a non-canonical encoding"
        );
        let _ = m.content_listing();
    }
});
