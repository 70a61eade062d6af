//! Key-file loaders: private key files (plain or encrypted, with a
//! passphrase and without) and public key arguments.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::os::unix::fs::OpenOptionsExt as _;

fuzz_target!(|data: &[u8]| {
    // The loader reads a path (and checks its mode), so the input goes
    // through a 0600 file on a RAM-backed directory when there is one.
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("caselog-fuzz-key-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, data).unwrap();
    drop(f);
    let _ = caselog::storage::keys::load_private(&path, None);
    let _ = caselog::storage::keys::load_private(&path, Some(b"passphrase"));
    let _ = caselog::storage::keys::public_of_private(&path);
    let _ = std::fs::remove_file(&path);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = caselog::storage::keys::parse_public(s);
    }
});
