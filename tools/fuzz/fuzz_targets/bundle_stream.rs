//! The streamed bundle reader (`verify --bundle`, `bundle extract`): a
//! bundle of any size read with constant memory. Whatever the bytes, it
//! answers (a verdict or a read error) without panicking; the files it
//! lets through are only those of a bundle that verified.
#![no_main]
use std::io::Cursor;

use caselog::audit::bundle::{carried_files, verify_reader};
use caselog::tlog::checkpoint::Origin;
use caselog::{HashAlg, LedgerId, Signer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The test fixtures' authority, pinned for the ledger id they use.
    let authority = Signer::from_seed("Authority (test)", &[0x01; 32]);
    let trust = [Origin {
        alg: HashAlg::Sha256,
        ledger: LedgerId([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
    }
    .log_key(authority.public())];
    let Ok(verdict) = verify_reader(Cursor::new(data), &trust, &[], 0) else {
        return;
    };
    let mut files = 0usize;
    let r = carried_files(Cursor::new(data), &verdict, &mut |_, rd| {
        files += 1;
        std::io::copy(rd, &mut std::io::sink()).map(|_| ())
    });
    if !verdict.report.is_ok() || verdict.not_a_bundle {
        assert!(r.is_err(), "bundle: files let through from a bundle that did not verify");
        assert_eq!(files, 0);
    }
});
