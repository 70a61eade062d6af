//! Where passphrases come from: --passphrase-file, $CASELOG_PASSPHRASE, or
//! a terminal prompt. Passphrases live in `Zeroizing` buffers and are never
//! echoed or logged.

use std::io::IsTerminal as _;
use std::path::Path;

use zeroize::Zeroizing;

use super::error::CliError;

/// Environment variable holding a passphrase.
pub const ENV_PASSPHRASE: &str = "CASELOG_PASSPHRASE";

/// A passphrase from the file or the environment, if either is given.
pub fn from_file_or_env(file: Option<&Path>) -> Result<Option<Zeroizing<String>>, CliError> {
    if let Some(f) = file {
        let s = read_passphrase_file(f)?;
        // One trailing newline is not part of the passphrase.
        let trimmed = s.strip_suffix('\n').unwrap_or(&s);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        return Ok(Some(Zeroizing::new(trimmed.to_owned())));
    }
    if let Ok(v) = std::env::var(ENV_PASSPHRASE) {
        return Ok(Some(Zeroizing::new(v)));
    }
    Ok(None)
}

/// Longest passphrase file read.
const MAX_PASSPHRASE_FILE: u64 = 64 * 1024;

/// Read a passphrase file: owner-only (like a private key), checked on the
/// descriptor that is read, into a buffer sized up front and zeroized.
fn read_passphrase_file(f: &Path) -> Result<Zeroizing<String>, CliError> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    let bad = |e: std::io::Error| {
        CliError::input(
            format!("cannot read passphrase file {}: {e}", f.display()),
            "check the --passphrase-file path",
        )
    };
    let file = std::fs::File::open(f).map_err(bad)?;
    let meta = file.metadata().map_err(bad)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CliError::input(
            format!(
                "passphrase file {} is readable by others (mode {mode:03o})",
                f.display()
            ),
            format!("chmod 600 {}", f.display()),
        ));
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_PASSPHRASE_FILE as usize + 1));
    file.take(MAX_PASSPHRASE_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(bad)?;
    if buf.len() as u64 > MAX_PASSPHRASE_FILE {
        return Err(CliError::input(
            format!("passphrase file {} is larger than 64 KiB", f.display()),
            "give a file holding only the passphrase",
        ));
    }
    match std::str::from_utf8(&buf) {
        Ok(s) => Ok(Zeroizing::new(s.to_owned())),
        Err(_) => Err(CliError::input(
            format!("passphrase file {} is not UTF-8 text", f.display()),
            "give a file holding only the passphrase",
        )),
    }
}

/// Ask on the terminal (only when stdin is one).
pub fn prompt(question: &str) -> Result<Option<Zeroizing<String>>, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    rpassword::prompt_password(question)
        .map(|p| Some(Zeroizing::new(p)))
        .map_err(|e| {
            CliError::input(
                format!("cannot read passphrase: {e}"),
                "set $CASELOG_PASSPHRASE instead",
            )
        })
}

/// A passphrase for a new key: file, environment, or asked twice.
pub fn for_new_key(file: Option<&Path>) -> Result<Zeroizing<String>, CliError> {
    let p = match from_file_or_env(file)? {
        Some(p) => p,
        None => {
            let a = prompt("New key passphrase: ")?.ok_or_else(|| {
                CliError::input(
                    "no passphrase given for the new key",
                    "set $CASELOG_PASSPHRASE, pass --passphrase-file FILE, or --no-passphrase",
                )
            })?;
            let b = prompt("Repeat passphrase: ")?.unwrap_or_default();
            if *a != *b {
                return Err(CliError::input(
                    "passphrases differ",
                    "type the same passphrase twice",
                ));
            }
            a
        }
    };
    if p.is_empty() {
        return Err(CliError::input(
            "empty passphrase",
            "choose a passphrase, or pass --no-passphrase to store the key unencrypted",
        ));
    }
    Ok(p)
}
