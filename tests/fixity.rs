//! Evidence fixity against the reference tools: on a large generated file
//! caselog's one-pass digests equal `b3sum` and `sha256sum`, and a one-bit
//! change is detected. tools/test installs b3sum (Debian package b3sum).

use std::io::Write;
use std::process::Command;

fn tool_digest(tool: &str, path: &std::path::Path) -> String {
    let out = Command::new(tool)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed (tools/test installs it): {e}"));
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn large_file_matches_b3sum_and_sha256sum_and_one_bit_is_detected() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("image.bin");
    // 48 MiB + 13 bytes of deterministic pseudo-random data: many chunks,
    // a short last one.
    let mut f = std::fs::File::create(&p).unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..48 {
        for b in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&buf).unwrap();
    }
    f.write_all(b"tail of file!").unwrap();
    drop(f);

    let mut calls = 0;
    let d = caselog::storage::evidence::hash_file(&p, &mut |_| calls += 1).unwrap();
    assert_eq!(d.size, 48 * (1 << 20) + 13);
    assert!(calls >= 48, "progress reported per chunk");
    assert_eq!(d.blake3.to_hex(), tool_digest("b3sum", &p));
    assert_eq!(d.sha256.to_hex(), tool_digest("sha256sum", &p));

    // Flip one bit in the middle.
    let mut bytes = std::fs::read(&p).unwrap();
    let mid = bytes.len() / 2 + 12_345;
    bytes[mid] ^= 0x10;
    std::fs::write(&p, &bytes).unwrap();
    let e = caselog::storage::evidence::hash_file(&p, &mut |_| {}).unwrap();
    assert_eq!(e.size, d.size);
    assert_ne!(e.blake3, d.blake3);
    assert_ne!(e.sha256, d.sha256);

    // The blob store keeps a byte-identical copy named by its BLAKE3.
    let ledger_dir = t.path().join("ledger");
    std::fs::create_dir(&ledger_dir).unwrap();
    let s = caselog::storage::evidence::store_blob(&ledger_dir, &p, &mut |_| {}).unwrap();
    assert_eq!(s, e);
    let blob = caselog::storage::evidence::blob_path(&ledger_dir, &s.blake3);
    assert_eq!(std::fs::read(&blob).unwrap(), bytes);
    assert_eq!(
        caselog::storage::evidence::check_blob(&ledger_dir, &s.blake3).unwrap(),
        Some(e)
    );
}
