//! The newcomer's set-up checks (tools/prereq.sh, used by tools/env.sh):
//! the libclang check looks for the file bindgen loads, so a machine with
//! only Debian's libclang-cpp is told (or, as root, made) to install
//! libclang-dev instead of failing later inside the RocksDB build.

use std::path::Path;
use std::process::Command;

fn check_libclang(dir: &Path) -> std::process::Output {
    let prereq = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/prereq.sh");
    Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && check_libclang && echo found",
            prereq.display()
        ))
        .env("CASELOG_LIBCLANG_DIRS", dir)
        .env("CASELOG_NO_INSTALL", "1")
        .output()
        .unwrap()
}

#[test]
fn libclang_cpp_alone_is_not_libclang() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("libclang-cpp.so.14"), b"").unwrap();
    std::fs::write(t.path().join("libclang-cpp.so"), b"").unwrap();
    let o = check_libclang(t.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sudo apt-get install -y libclang-dev"),
        "{err}"
    );
}

#[test]
fn each_name_bindgen_loads_is_found() {
    for name in [
        "libclang.so",
        "libclang.so.1",
        "libclang-14.so",
        "libclang-14.so.1",
    ] {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join(name), b"").unwrap();
        let o = check_libclang(t.path());
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&o.stdout), "found\n", "{name}");
    }
}
