//! Keys held by an SSH agent.
//!
//! Owns: finding an Ed25519 key in the agent listening at a socket (OpenSSH's
//! `ssh-agent`, or an agent in front of a hardware token such as
//! yubikey-agent or gpg-agent), by public key or by `SHA256:` fingerprint,
//! and the [`HeldKey`] that asks that agent to sign. The private key never
//! enters caselog's memory and no key file is read; the agent returns a plain
//! Ed25519 signature (RFC 8709: an `ssh-ed25519` signature is the RFC
//! 8032 §5.1.6 signature over exactly the bytes sent), so records signed this way
//! are byte for byte what a key file would have produced, and
//! [`Signer::sign`] verifies each before use (SPEC §4.1).
//!
//! The protocol (draft-ietf-sshm-ssh-agent: `REQUEST_IDENTITIES`,
//! `SIGN_REQUEST` with flags 0) is spoken by the `ssh-agent-client-rs`
//! crate. FIDO keys (`sk-ssh-ed25519@openssh.com`) are refused: the
//! authenticator signs a hash of the message wrapped with its flags and
//! counter, which is not an Ed25519 signature over caselog's message.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ssh_agent_client_rs::{Client, Identity};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, PublicKey};
use thiserror::Error;

use crate::format::ids::MemberKey;
use crate::format::sig::{HeldKey, SignError, Signer};

/// Largest message sent to an agent: OpenSSH's agent drops a request over
/// 256 KiB (`AGENT_MAX_LEN`), and the request carries the key blob and
/// framing beside the message.
pub const MAX_AGENT_MESSAGE: usize = 256 * 1024 - 1024;

/// Why a key could not be found in, or used through, an agent.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The agent's socket could not be reached.
    #[error("cannot reach the SSH agent at {}: {detail}", socket.display())]
    Connect {
        /// The socket tried.
        socket: PathBuf,
        /// What connecting said.
        detail: String,
    },
    /// The agent did not answer the protocol (or refused to list keys).
    #[error("the SSH agent at {} did not list its keys: {detail}", socket.display())]
    Protocol {
        /// The socket.
        socket: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The agent holds no Ed25519 key with this fingerprint.
    #[error("the SSH agent holds no key {fingerprint} ({held} key(s) held)")]
    NotHeld {
        /// The fingerprint asked for, `SHA256:…`.
        fingerprint: String,
        /// How many keys the agent holds.
        held: usize,
    },
    /// The key is a FIDO security key, whose signatures are not Ed25519
    /// signatures over the message.
    #[error("{fingerprint} is a FIDO security key (sk-ssh-ed25519@openssh.com): its signatures cover the authenticator's flags and counter, not caselog's message, so no caselog verifier could check them")]
    SecurityKey {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// The key is not Ed25519 at all.
    #[error("{fingerprint} is a {algorithm} key; caselog signs with Ed25519 only")]
    WrongAlgorithm {
        /// The key's fingerprint.
        fingerprint: String,
        /// Its algorithm.
        algorithm: String,
    },
}

/// An open connection to an agent and the keys it listed.
pub struct Agent {
    socket: PathBuf,
    keys: Vec<PublicKey>,
}

impl Agent {
    /// Connect to the agent at `socket` and list its keys (certificates
    /// are skipped: caselog names members by bare keys).
    pub fn connect(socket: &Path) -> Result<Agent, AgentError> {
        let mut client = Client::connect(socket).map_err(|e| AgentError::Connect {
            socket: socket.to_owned(),
            detail: describe(&e),
        })?;
        let ids = client
            .list_all_identities()
            .map_err(|e| AgentError::Protocol {
                socket: socket.to_owned(),
                detail: describe(&e),
            })?;
        let keys = ids
            .into_iter()
            .filter_map(|i| match i {
                Identity::PublicKey(k) => Some(k.into_owned()),
                Identity::Certificate(_) => None,
            })
            .collect();
        Ok(Agent {
            socket: socket.to_owned(),
            keys,
        })
    }

    /// How many (non-certificate) keys the agent holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the agent holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether the agent holds the Ed25519 key `key`.
    pub fn holds(&self, key: &MemberKey) -> bool {
        self.keys
            .iter()
            .any(|k| matches!(k.key_data(), KeyData::Ed25519(e) if e.0 == key.0))
    }

    /// A signer for the key with this OpenSSH fingerprint (`SHA256:…`).
    pub fn signer_by_fingerprint(&self, fingerprint: &str) -> Result<Signer, AgentError> {
        let found = self
            .keys
            .iter()
            .find(|k| k.fingerprint(HashAlg::Sha256).to_string() == fingerprint);
        let Some(k) = found else {
            return Err(AgentError::NotHeld {
                fingerprint: fingerprint.to_owned(),
                held: self.keys.len(),
            });
        };
        self.signer(k)
    }

    /// A signer for the Ed25519 key `key`, held by this agent.
    pub fn signer_for(&self, key: &MemberKey) -> Result<Signer, AgentError> {
        self.signer_by_fingerprint(&crate::storage::keys::fingerprint(key))
    }

    fn signer(&self, k: &PublicKey) -> Result<Signer, AgentError> {
        let fingerprint = k.fingerprint(HashAlg::Sha256).to_string();
        let public = match k.key_data() {
            KeyData::Ed25519(e) => MemberKey(e.0),
            KeyData::SkEd25519(_) => return Err(AgentError::SecurityKey { fingerprint }),
            other => {
                return Err(AgentError::WrongAlgorithm {
                    fingerprint,
                    algorithm: other.algorithm().to_string(),
                })
            }
        };
        // One connection per signer, kept for its life: an import of many
        // entries does not reconnect for each.
        let conn = UnixStream::connect(&self.socket).map_err(|e| AgentError::Connect {
            socket: self.socket.clone(),
            detail: e.to_string(),
        })?;
        let held = AgentKey {
            conn: Mutex::new(conn),
            key: k.clone(),
        };
        Ok(Signer::held(k.comment(), public, Arc::new(held)))
    }
}

/// The agent's key: a connection and the public key to name in requests.
struct AgentKey {
    conn: Mutex<UnixStream>,
    key: PublicKey,
}

impl HeldKey for AgentKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, SignError> {
        if msg.len() > MAX_AGENT_MESSAGE {
            return Err(SignError::Agent {
                detail: format!(
                    "the message is {} bytes; OpenSSH's agent signs at most {MAX_AGENT_MESSAGE}",
                    msg.len()
                ),
            });
        }
        // One request at a time on the connection; a clone of the socket
        // is handed to the client, which owns what it reads from.
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let stream = conn.try_clone().map_err(|e| SignError::Agent {
            detail: e.to_string(),
        })?;
        let mut client = Client::with_read_write(Box::new(stream));
        let sig = client.sign(&self.key, msg).map_err(|e| SignError::Agent {
            detail: describe(&e),
        })?;
        if sig.algorithm() != Algorithm::Ed25519 {
            return Err(SignError::BadAgentSignature {
                detail: format!("an {} signature, not ssh-ed25519", sig.algorithm()),
            });
        }
        Ok(sig.as_bytes().to_vec())
    }
}

/// The agent client's error with its cause (its own text names none).
fn describe(e: &ssh_agent_client_rs::Error) -> String {
    use ssh_agent_client_rs::Error as E;
    match e {
        E::AgentCommunicationError(io) => io.to_string(),
        E::RemoteFailure => {
            "the agent refused (the key was removed, a confirmation was declined, or the key was added with destination constraints, ssh-add -h)".into()
        }
        other => match std::error::Error::source(other) {
            Some(s) => format!("{other}: {s}"),
            None => other.to_string(),
        },
    }
}
