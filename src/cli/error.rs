//! CLI errors: one line with the problem and the fix, and an exit code.

use crate::cli::exit;
use std::fmt;

use caselog::ledger::Missing;
use caselog::storage::keys::KeyError;
use caselog::storage::store::StoreError;
use caselog::LedgerError;

/// An error the CLI reports and exits with.
#[derive(Debug)]
pub struct CliError {
    /// Exit status.
    pub code: u8,
    /// What went wrong.
    pub msg: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl CliError {
    pub fn input(msg: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError {
            code: exit::INPUT,
            msg: msg.into(),
            hint: Some(hint.into()),
        }
    }
    pub fn storage(msg: impl Into<String>, hint: Option<String>) -> CliError {
        CliError {
            code: exit::STORAGE,
            msg: msg.into(),
            hint,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line: newlines in underlying messages are flattened.
        let msg = self.msg.replace('\n', " ");
        match &self.hint {
            Some(h) => write!(f, "caselog: error: {msg} (hint: {h})"),
            None => write!(f, "caselog: error: {msg}"),
        }
    }
}

impl From<caselog::net::client::RemoteError> for CliError {
    fn from(e: caselog::net::client::RemoteError) -> CliError {
        use caselog::net::client::RemoteError as R;
        match &e {
            R::Sign(s) => s.clone().into(),
            R::BadUrl { .. } => CliError::input(
                e.to_string(),
                "give the case URL, e.g. https://cases.example/case-2008",
            ),
            R::Unreachable { .. } => CliError::storage(
                e.to_string(),
                Some("check the URL and that `caselog serve` runs there".into()),
            ),
            R::Api { err, .. } => CliError {
                code: err.exit,
                msg: e.to_string(),
                hint: Some(api_hint(&err.code).into()),
            },
            _ => CliError::storage(e.to_string(), Some("is this a caselog server?".into())),
        }
    }
}

/// What to do about a server's refusal, by its code (SPEC §17).
fn api_hint(code: &str) -> &'static str {
    match code {
        "UNKNOWN_AUTHOR" | "REVOKED_AUTHOR" => "ask an authority of the case to enroll your key (`caselog member add`)",
        "UNSIGNED" | "BAD_REQUEST_SIGNATURE" | "DIGEST_MISMATCH" => "pass the member key with --key",
        "STALE_REQUEST" => "check this machine's clock",
        "REPLAYED" => "run the command again (each request is accepted once)",
        "TIME_SKEW" => "check this machine's clock: entries must carry the current time",
        "TOO_LARGE" => "shorten the entry, or take large content in as evidence",
        "ROLE_NOT_ALLOWED" => "ask an authority: your role may not do this",
        "READ_ONLY" => "this server serves a copy; append to the case's own server",
        "BUSY" | "STORAGE" | "INTERNAL" => "retry shortly; if it persists, tell the server's operator",
        _ => "nothing was written; see `caselog --remote URL log` for the case as the server holds it",
    }
}

impl From<caselog::net::mirror::MirrorError> for CliError {
    fn from(e: caselog::net::mirror::MirrorError) -> CliError {
        use caselog::net::mirror::MirrorError as M;
        match e {
            M::Remote(r) => r.into(),
            M::Ledger(l) => l.into(),
            M::Rollback { .. } | M::Fork { .. } => CliError {
                code: exit::FAILED,
                msg: format!("refused: {e}"),
                hint: Some("keep the evidence; do not trust this server's copy of the case".into()),
            },
            M::BadBundle { .. } => {
                CliError::storage(e.to_string(), Some("is this a caselog server?".into()))
            }
            _ => CliError::storage(e.to_string(), None),
        }
    }
}

impl From<caselog::format::sig::SignError> for CliError {
    fn from(e: caselog::format::sig::SignError) -> CliError {
        CliError::input(
            format!("nothing written: {e}"),
            "check the agent (`ssh-add -l` lists its keys), or sign with the key file",
        )
    }
}

impl From<caselog::storage::agent::AgentError> for CliError {
    fn from(e: caselog::storage::agent::AgentError) -> CliError {
        use caselog::storage::agent::AgentError as A;
        let hint = match &e {
            A::Connect { .. } => "start one (eval \"$(ssh-agent)\") and add the key with ssh-add KEYFILE; SSH_AUTH_SOCK names its socket",
            A::Protocol { .. } => "check that SSH_AUTH_SOCK names an SSH agent's socket",
            A::NotHeld { .. } => "add the key to the agent (ssh-add KEYFILE; `ssh-add -l` lists what it holds), or pass the key file itself to --key",
            A::SecurityKey { .. } | A::WrongAlgorithm { .. } => {
                "use an ssh-ed25519 key (`caselog key generate`; a hardware agent such as yubikey-agent holds one)"
            }
            _ => "see `caselog key --help`",
        };
        CliError::input(e.to_string(), hint)
    }
}

impl From<KeyError> for CliError {
    fn from(e: KeyError) -> CliError {
        let hint = match &e {
            KeyError::WrongPassphrase { .. } => "check $CASELOG_PASSPHRASE or --passphrase-file",
            KeyError::PassphraseRequired { .. } => {
                "set $CASELOG_PASSPHRASE, pass --passphrase-file FILE, or run in a terminal to be prompted"
            }
            KeyError::Exists { .. } => "choose another --out path or move the old key away",
            KeyError::NotAKey { .. } | KeyError::WrongAlgorithm { .. } => {
                "give an Ed25519 key made by `caselog key generate` or `ssh-keygen -t ed25519`"
            }
            KeyError::SecurityKey { .. } => {
                "use an ssh-ed25519 key (`caselog key generate`; a hardware agent such as yubikey-agent holds one)"
            }
            KeyError::BadPublicKey(_) => "give a .pub file, an ssh-ed25519 line or 64 hex digits",
            KeyError::Permissions { .. } => "private keys must be readable by their owner only",
            KeyError::PublicKeyGiven { .. } => {
                "give the private key file (the same path without .pub) to --key or $CASELOG_KEY"
            }
            KeyError::KdfTooCostly { .. } => "ssh-keygen -p rewrites the key with the rounds given by -a",
            KeyError::Io { .. } => "check the path and its permissions",
            _ => "see `caselog key --help`",
        };
        let code = match &e {
            KeyError::Io { source, .. } if source.kind() != std::io::ErrorKind::NotFound => {
                exit::STORAGE
            }
            _ => exit::INPUT,
        };
        CliError {
            code,
            msg: e.to_string(),
            hint: Some(hint.into()),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        match &e {
            StoreError::NotALedger { .. } => CliError::input(
                e.to_string(),
                "check --ledger / $CASELOG_LEDGER, or create one with `caselog init`",
            ),
            StoreError::AlreadyExists { .. } => {
                CliError::input(e.to_string(), "choose a new --ledger directory")
            }
            StoreError::Locked { .. } => CliError::storage(
                e.to_string(),
                Some(
                    "wait for it to finish; read-only commands (log, show, verify) work meanwhile"
                        .into(),
                ),
            ),
            _ if disk_full(&e) => CliError::storage(
                format!("nothing recorded: {e}"),
                Some("the disk holding the ledger is full; free space on it and run the command again".into()),
            ),
            _ => CliError::storage(
                e.to_string(),
                Some("check the disk and the directory's permissions".into()),
            ),
        }
    }
}

/// True when the store failed because its filesystem is out of space
/// (ENOSPC from the OS, or RocksDB's text for it).
fn disk_full(e: &StoreError) -> bool {
    match e {
        StoreError::Io { source, .. } => {
            source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(28)
        }
        StoreError::Db { msg, .. } => msg.contains("No space left on device"),
        _ => false,
    }
}

impl From<LedgerError> for CliError {
    fn from(e: LedgerError) -> CliError {
        match e {
            LedgerError::Store(s) => s.into(),
            LedgerError::Sign(s) => s.into(),
            LedgerError::Policy(p) => CliError::input(
                format!("refused, nothing written: {p}"),
                "see `caselog member list`; an authority can enroll members with `caselog member add`",
            ),
            LedgerError::Invalid(i) => CliError::input(format!("refused, nothing written: {i}"), "shorten or fix the text"),
            LedgerError::ClockBehind { .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                "fix the system clock (entries must not go back in time)",
            ),
            LedgerError::Custody(c) => CliError::input(
                format!("refused, nothing written: {c}"),
                custody_hint(&c),
            ),
            LedgerError::NotVoidable { .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                "a release is answered by a receipt, an enrolment by a revocation, an intake by a disposal or return",
            ),
            LedgerError::IdentityCorrection { seq, .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                format!("correct what entry {seq} says, not what it is about: record the right entry anew and, if this one was entered in error, say so in a note or correction of its other fields"),
            ),
            LedgerError::BadCorrection { seq, .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                format!("see its fields with `caselog show {seq} --json`"),
            ),
            LedgerError::BadReference { .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                "refer to an earlier entry (see `caselog log --json` for leaf hashes)",
            ),
            LedgerError::NotFound(m) => CliError::input(m.to_string(), missing_hint(&m)),
            LedgerError::UnverifiedSignatures { .. } => CliError::input(
                format!("refused, nothing stored: {e}"),
                "pin each witness with --witness VKEY (its verifier key), or ask for a fresh cosignature",
            ),
            LedgerError::TooManySignatures { .. } => CliError::input(
                format!("refused, nothing stored: {e}"),
                "keep the cosignatures of the witnesses you rely on",
            ),
            LedgerError::TooLarge { .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                "shorten the text, or take large content in as evidence (`caselog evidence add --copy`)",
            ),
            LedgerError::Disclosure(d) => CliError::input(
                format!("refused, nothing written: {d}"),
                "use FIELD=VALUE with a field name of 1-128 bytes and no control characters",
            ),
            LedgerError::BadLedgerCheck { .. } => CliError::storage(
                format!("nothing recorded: {e}"),
                Some("the stored tree differs from the records (see the problems above and `caselog verify`)".into()),
            ),
            LedgerError::Damaged(_) => CliError::storage(e.to_string(), Some("run `caselog verify` to see what is wrong".into())),
            LedgerError::TooManyTimestamps { .. } => CliError::input(
                format!("refused, nothing stored: {e}"),
                "sign a new checkpoint (`caselog checkpoint`) and time-stamp that",
            ),
            LedgerError::StaleHead { .. } => CliError::input(
                format!("refused, nothing written: {e}"),
                "others appended meanwhile; run the command again",
            ),
            LedgerError::Upstream { ref code, status, .. } => CliError {
                code: if status == 0 || status >= 500 { exit::STORAGE } else { exit::INPUT },
                msg: e.to_string(),
                hint: Some(api_hint(code).into()),
            },
            _ => CliError::storage(e.to_string(), None),
        }
    }
}

/// How to find what exists, for each thing that was not found.
fn missing_hint(m: &Missing) -> &'static str {
    match m {
        Missing::Entry { .. } => "see `caselog log`",
        Missing::Item { .. } => "see `caselog evidence list`",
        Missing::PrivateField { .. } => "see `caselog show ENTRY --reveal` for its private fields",
        Missing::EvidenceFile { .. } => {
            "the file was taken in without --copy, so the ledger holds only its digests"
        }
        _ => "see `caselog checkpoint list` and `caselog log`",
    }
}

/// What to do about a custody rule an append broke.
fn custody_hint(c: &caselog::rules::custody::CustodyError) -> String {
    match c {
                    caselog::rules::custody::CustodyError::Storage { item, .. } => format!(
                        "see `caselog custody show {item}`; a stored item is checked out with `caselog custody retrieve {item} --reason WHY`"
                    ),
                    caselog::rules::custody::CustodyError::SealUnstated { .. } => {
                        "the receiver states what they found: sign the receipt again with --seal-intact, or --seal-broken SEAL".to_owned()
                    }
                    caselog::rules::custody::CustodyError::Seal { item, .. } => format!(
                        "see the seals on it with `caselog custody show {item}`; a new seal gets a new number"
                    ),
                    caselog::rules::custody::CustodyError::DuplicateFile { item, .. } => format!(
                        "a name is one file of the item for good: attach it under another name (see the item's files with `caselog evidence show {item}`)"
                    ),
                    caselog::rules::custody::CustodyError::UnderHold { hold, .. } => format!(
                        "see `caselog hold list`; when the hold no longer applies an authority records it with `caselog hold release {hold} --reason WHY`"
                    ),
                    caselog::rules::custody::CustodyError::BadHold { .. } => {
                        "see `caselog hold list` for the holds placed and released".to_owned()
                    }
                    _ => "see `caselog custody show ITEM`".to_owned(),
    }
}
