//! Inclusion and consistency proof files (C2SP tlog-proof style).
#![no_main]
use caselog::tlog::prooffile::{ConsistencyProof, InclusionProof};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = InclusionProof::parse(data);
    let _ = ConsistencyProof::parse(data);
});
