//! Ledger record and entry decoder: any bytes give a value or an error.
//! Whatever decodes must re-encode to the same bytes (canonical only).
#![no_main]
use caselog::{Entry, Record};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Record::decode(data) {
        assert_eq!(
            r.encode(),
            data,
            "record: accepted a non-canonical encoding"
        );
        let _ = Entry::decode(&r.entry_bytes);
    }
    if let Ok(e) = Entry::decode(data) {
        assert_eq!(e.encode(), data, "entry: accepted a non-canonical encoding");
    }
    let _ = caselog::format::cbor::decode(data);
});
