//! Access-log records of a served case (SPEC §18.1): read back from a
//! file whoever holds the server's disk can change.
#![no_main]
use caselog::net::access::record::AccessRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = AccessRecord::decode(data) {
        assert_eq!(r.encode(), data, "a record decodes only in its canonical form");
    }
});
