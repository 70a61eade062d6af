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
        let s = Zeroizing::new(std::fs::read_to_string(f).map_err(|e| {
            CliError::input(
                format!("cannot read passphrase file {}: {e}", f.display()),
                "check the --passphrase-file path",
            )
        })?);
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
