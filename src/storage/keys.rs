//! Key files and public-key formats.
//!
//! Owns: generating Ed25519 keys as OpenSSH private-key files (passphrase
//! encrypted with bcrypt-pbkdf + AES-256-CTR, exactly as `ssh-keygen -t
//! ed25519` writes them, so either tool's keys work), loading them, the
//! in-memory [`Signer`] (zeroized on drop, never shown by `Debug`), and
//! parsing public keys given as an OpenSSH line, a `.pub` file or hex.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::public::{Ed25519PublicKey, KeyData};
use ssh_key::{HashAlg as SshHash, LineEnding, PrivateKey, PublicKey};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::format::ids::MemberKey;

/// Largest key file read (a real one is under 1 KiB).
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Why a key could not be made, loaded or parsed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// Refusing to overwrite an existing key file.
    #[error("{path} already exists; refusing to overwrite a key")]
    Exists {
        /// The file concerned.
        path: PathBuf,
    },
    /// The file is not an OpenSSH private key.
    #[error("{path} is not an OpenSSH private key ({detail})")]
    NotAKey {
        /// The file concerned.
        path: PathBuf,
        /// What the decoder said.
        detail: String,
    },
    /// The key is not Ed25519.
    #[error("{path} holds a {algorithm} key; caselog needs Ed25519")]
    WrongAlgorithm {
        /// The file concerned.
        path: PathBuf,
        /// The algorithm found.
        algorithm: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("{path} is passphrase-protected and no passphrase was given")]
    PassphraseRequired {
        /// The file concerned.
        path: PathBuf,
    },
    /// A public key was given where the private key is needed.
    #[error("{path} is a public key, not a private key")]
    PublicKeyGiven {
        /// The file concerned.
        path: PathBuf,
    },
    /// The private key file can be read by other users.
    #[error("{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}")]
    Permissions {
        /// The file concerned.
        path: PathBuf,
        /// The file mode found.
        mode: u32,
    },
    /// The encrypted key asks for more bcrypt-pbkdf rounds than caselog
    /// will spend (a hostile file could otherwise stall the loader).
    #[error("{path} asks for {rounds} key-derivation rounds (at most {max} accepted); re-encrypt it: ssh-keygen -p -a 100 -f {path}")]
    KdfTooCostly {
        /// The file concerned.
        path: PathBuf,
        /// The KDF rounds the file asks for.
        rounds: u32,
        /// The most allowed.
        max: u32,
    },
    /// The passphrase did not decrypt the key.
    #[error("wrong passphrase for {path}")]
    WrongPassphrase {
        /// The file concerned.
        path: PathBuf,
    },
    /// The public key is a FIDO security key (`sk-ssh-ed25519@openssh.com`),
    /// whose signatures are not Ed25519 signatures over the message.
    #[error("{path} is a FIDO security key (sk-ssh-ed25519@openssh.com): its signatures cover the authenticator's flags and counter, not caselog's message, so no caselog verifier could check them")]
    SecurityKey {
        /// The file concerned.
        path: PathBuf,
    },
    /// The public key text could not be parsed.
    #[error("not a public key: {0}")]
    BadPublicKey(String),
    /// Key generation or encoding failed inside ssh-key.
    #[error("key encoding failed: {0}")]
    Encoding(String),
}

pub use crate::format::sig::Signer;

/// The key in OpenSSH's private-key structure, ready to encrypt and write.
fn to_ssh(signer: &Signer) -> Result<PrivateKey, KeyError> {
    let seed = signer.seed().ok_or_else(|| {
        KeyError::Encoding("the key is held by an agent; it has no file to write".into())
    })?;
    let kp = Ed25519Keypair::from_seed(&seed);
    PrivateKey::new(KeypairData::Ed25519(kp), signer.name().to_owned())
        .map_err(|e| KeyError::Encoding(e.to_string()))
}

/// SHA-256 fingerprint in OpenSSH's `SHA256:...` form.
pub fn fingerprint(key: &MemberKey) -> String {
    let f = key.fingerprint();
    debug_assert_eq!(
        f,
        ssh_public(key, "").fingerprint(SshHash::Sha256).to_string()
    );
    f
}

fn ssh_public(key: &MemberKey, comment: &str) -> PublicKey {
    PublicKey::new(KeyData::Ed25519(Ed25519PublicKey(key.0)), comment)
}

/// The OpenSSH public-key line: `ssh-ed25519 AAAA... name`.
pub fn openssh_public_line(key: &MemberKey, name: &str) -> String {
    ssh_public(key, name)
        .to_openssh()
        .expect("keys: encoding an Ed25519 public key cannot fail")
}

/// Write `signer` to `path` (mode 0600, new file only) and its public key to
/// `path.pub`. With `passphrase`, the private key is encrypted. Missing
/// parent directories are created, mode 0700.
///
/// Commit order ([`crate::storage::newfile`]): the private key is written to a
/// temporary file in the same directory, synced, then hard-linked to `path`
/// (fails if `path` exists,
/// so a crash never leaves a half-written key under the final name), then
/// the `.pub` file is written the same way.
pub fn write_key_files(
    signer: &Signer,
    path: &Path,
    passphrase: Option<&[u8]>,
) -> Result<PathBuf, KeyError> {
    let pub_path = pub_path(path);
    for p in [path, pub_path.as_path()] {
        if p.exists() {
            return Err(KeyError::Exists { path: p.to_owned() });
        }
    }
    // Missing parent directories are made owner-only (keys/ in the README).
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        use std::os::unix::fs::DirBuilderExt as _;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| KeyError::Io {
                path: dir.to_owned(),
                source,
            })?;
    }
    let mut key = to_ssh(signer)?;
    if let Some(pass) = passphrase {
        key = key
            .encrypt(&mut rand_core::OsRng, pass)
            .map_err(|e| KeyError::Encoding(e.to_string()))?;
    }
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| KeyError::Encoding(e.to_string()))?;
    write_new(path, pem.as_bytes(), 0o600)?;
    let line = openssh_public_line(&signer.public(), signer.name()) + "\n";
    write_new(&pub_path, line.as_bytes(), 0o644)?;
    Ok(pub_path)
}

/// `FILE.pub` beside `FILE`.
pub fn pub_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<(), KeyError> {
    let result = (|| {
        let mut f = crate::storage::newfile::NewFile::create(path, mode)?;
        let (head, tail) = data.split_at(data.len() / 2);
        f.write_all(head)?;
        f.flush()?;
        // Crash here: half the key is in the temporary file, none under `path`.
        crate::storage::failpoint::hit("keys.mid_write");
        f.write_all(tail)?;
        f.commit()
    })();
    result.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_owned(),
            }
        } else {
            KeyError::Io {
                path: path.to_owned(),
                source: e,
            }
        }
    })
}

/// Whether the key file at `path` is encrypted (so a passphrase is needed).
pub fn is_encrypted(path: &Path) -> Result<bool, KeyError> {
    Ok(read_private(path)?.is_encrypted())
}

fn read_private(path: &Path) -> Result<PrivateKey, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    // One open: the mode checked is the mode of the file read (no window
    // for the path to be swapped between the check and the read).
    let mut f = fs::File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if meta.len() > MAX_KEY_FILE {
        return Err(KeyError::NotAKey {
            path: path.to_owned(),
            detail: format!("file is {} bytes", meta.len()),
        });
    }
    // Room for the whole file up front: a growing Vec would leave copies of
    // the key text behind in freed memory; this buffer is zeroized on drop.
    let mut text = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE as usize + 1));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut f, MAX_KEY_FILE + 1),
        &mut text,
    )
    .map_err(io)?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(KeyError::NotAKey {
            path: path.to_owned(),
            detail: "file grew while being read".into(),
        });
    }
    // A `.pub` given for --key is the first thing to say, before its mode.
    if (text.starts_with(b"ssh-") || text.starts_with(b"sk-"))
        && PublicKey::from_openssh(String::from_utf8_lossy(&text).trim()).is_ok()
    {
        return Err(KeyError::PublicKeyGiven {
            path: path.to_owned(),
        });
    }
    // Like ssh, refuse a private key others can read.
    let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    PrivateKey::from_openssh(&*text).map_err(|e| KeyError::NotAKey {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

/// What a `--key` file holds, read without decrypting anything.
#[derive(Clone, Debug)]
pub enum KeyFile {
    /// An OpenSSH private key file (its public half is stored in the clear).
    Private {
        /// Whether a passphrase is needed to load it.
        encrypted: bool,
        /// Its public key.
        public: MemberKey,
    },
    /// A public key (a `.pub` file): its private half is held elsewhere,
    /// in an SSH agent (`storage::agent`).
    Public(NamedKey),
}

/// Read the key file at `path`: a private key (checked as
/// [`load_private`] checks it, mode included) or an Ed25519 public key.
pub fn key_file(path: &Path) -> Result<KeyFile, KeyError> {
    match read_private(path) {
        Err(KeyError::PublicKeyGiven { .. }) => {}
        Err(e) => return Err(e),
        Ok(key) => {
            let KeyData::Ed25519(k) = key.public_key().key_data() else {
                return Err(KeyError::WrongAlgorithm {
                    path: path.to_owned(),
                    algorithm: key.algorithm().to_string(),
                });
            };
            return Ok(KeyFile::Private {
                encrypted: key.is_encrypted(),
                public: MemberKey(k.0),
            });
        }
    }
    let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    let pk = PublicKey::from_openssh(text.trim())
        .map_err(|e| KeyError::BadPublicKey(format!("{}: {e}", path.display())))?;
    match pk.key_data() {
        KeyData::Ed25519(k) => Ok(KeyFile::Public(NamedKey {
            key: MemberKey(k.0),
            comment: Some(pk.comment().to_owned()).filter(|c| !c.is_empty()),
        })),
        KeyData::SkEd25519(_) => Err(KeyError::SecurityKey {
            path: path.to_owned(),
        }),
        other => Err(KeyError::WrongAlgorithm {
            path: path.to_owned(),
            algorithm: other.algorithm().to_string(),
        }),
    }
}

/// Most bcrypt-pbkdf rounds accepted in an encrypted key file. ssh-keygen
/// and caselog write 16 (about 0.1 s); `ssh-keygen -a 1000` takes seconds.
/// A file asking for 2^32 rounds would stall the loader for days.
pub const MAX_KDF_ROUNDS: u32 = 1000;

/// Load an OpenSSH Ed25519 private key, decrypting it with `passphrase`
/// when it is encrypted.
pub fn load_private(path: &Path, passphrase: Option<&[u8]>) -> Result<Signer, KeyError> {
    let mut key = read_private(path)?;
    if key.is_encrypted() {
        let pass = passphrase.ok_or_else(|| KeyError::PassphraseRequired {
            path: path.to_owned(),
        })?;
        if let ssh_key::Kdf::Bcrypt { rounds, .. } = key.kdf() {
            if *rounds > MAX_KDF_ROUNDS {
                return Err(KeyError::KdfTooCostly {
                    path: path.to_owned(),
                    rounds: *rounds,
                    max: MAX_KDF_ROUNDS,
                });
            }
        }
        key = key.decrypt(pass).map_err(|_| KeyError::WrongPassphrase {
            path: path.to_owned(),
        })?;
    }
    let KeypairData::Ed25519(kp) = key.key_data() else {
        return Err(KeyError::WrongAlgorithm {
            path: path.to_owned(),
            algorithm: key.algorithm().to_string(),
        });
    };
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(kp.private.to_bytes());
    let signer = Signer::from_seed(key.comment(), &seed);
    // The file stores the public half too; a mismatch means a corrupt file.
    if signer.public().0 != kp.public.0 {
        return Err(KeyError::NotAKey {
            path: path.to_owned(),
            detail: "public and private halves do not match".into(),
        });
    }
    Ok(signer)
}

/// The public key and comment of a private key file, read without
/// decrypting it (OpenSSH stores the public half in the clear).
pub fn public_of_private(path: &Path) -> Result<NamedKey, KeyError> {
    let key = read_private(path)?;
    let KeyData::Ed25519(k) = key.public_key().key_data() else {
        return Err(KeyError::WrongAlgorithm {
            path: path.to_owned(),
            algorithm: key.algorithm().to_string(),
        });
    };
    Ok(NamedKey {
        key: MemberKey(k.0),
        comment: Some(key.comment().to_owned()).filter(|c| !c.is_empty()),
    })
}

/// A public key with the name found beside it (the OpenSSH comment).
#[derive(Clone, Debug)]
pub struct NamedKey {
    /// The key.
    pub key: MemberKey,
    /// Comment from an OpenSSH line, if any.
    pub comment: Option<String>,
}

/// Parse a public key given as a path to a `.pub` file, an OpenSSH
/// `ssh-ed25519 AAAA... [comment]` line, or 64 hex characters.
pub fn parse_public(arg: &str) -> Result<NamedKey, KeyError> {
    let arg = arg.trim();
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        let b = hex::decode(arg).map_err(|e| KeyError::BadPublicKey(e.to_string()))?;
        return Ok(NamedKey {
            key: MemberKey(b.try_into().expect("64 hex digits")),
            comment: None,
        });
    }
    let text = if arg.starts_with("ssh-") {
        arg.to_owned()
    } else {
        let p = Path::new(arg);
        let meta = fs::metadata(p).map_err(|e| {
            KeyError::BadPublicKey(format!(
                "{arg:?} is neither a key (ssh-ed25519 line or 64 hex digits) nor a readable file: {e}"
            ))
        })?;
        if meta.len() > MAX_KEY_FILE {
            return Err(KeyError::BadPublicKey(format!("{arg}: file too large")));
        }
        fs::read_to_string(p)
            .map_err(|e| KeyError::BadPublicKey(format!("{arg}: {e}")))?
            .trim()
            .to_owned()
    };
    if text.contains("PRIVATE KEY") {
        return Err(KeyError::BadPublicKey(format!(
            "{arg} is a private key; give the .pub file instead"
        )));
    }
    let pk = PublicKey::from_openssh(&text)
        .map_err(|e| KeyError::BadPublicKey(format!("{arg}: {e}")))?;
    let KeyData::Ed25519(k) = pk.key_data() else {
        return Err(KeyError::BadPublicKey(format!(
            "{arg}: {} key; caselog needs ssh-ed25519",
            pk.algorithm()
        )));
    };
    let comment = Some(pk.comment().to_owned()).filter(|c| !c.is_empty());
    Ok(NamedKey {
        key: MemberKey(k.0),
        comment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Missing parent directories are created owner-only; existing ones
    /// are left as they are.
    #[test]
    fn missing_parents_are_made_0700() {
        use std::os::unix::fs::PermissionsExt as _;
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("keys/case/authority");
        write_key_files(&Signer::from_seed("t", &[3u8; 32]), &path, None).unwrap();
        for d in ["keys", "keys/case"] {
            let mode = fs::metadata(t.path().join(d)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{d}");
        }
        assert!(path.exists() && pub_path(&path).exists());
    }

    /// An encrypted key file whose KDF asks for 2^32-1 rounds is refused
    /// at once instead of stalling the loader; the same file with its
    /// original 16 rounds still loads.
    #[test]
    fn kdf_rounds_are_bounded() {
        use base64::Engine as _;
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("k");
        let s = Signer::from_seed("t", &[9u8; 32]);
        write_key_files(&s, &path, Some(b"pw")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        // "openssh-key-v1\0", string cipher, string kdf, string kdfoptions
        // (string salt, uint32 rounds): PROTOCOL.key in OpenSSH.
        let mut at = 15;
        for _ in 0..2 {
            let n = u32::from_be_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + n;
        }
        at += 4; // kdfoptions length
        let salt = u32::from_be_bytes(raw[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + salt;
        assert_eq!(u32::from_be_bytes(raw[at..at + 4].try_into().unwrap()), 16);
        raw[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let body = base64::engine::general_purpose::STANDARD.encode(&raw);
        let mut pem = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for chunk in body.as_bytes().chunks(70) {
            pem.push_str(std::str::from_utf8(chunk).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END OPENSSH PRIVATE KEY-----\n");
        let bad = t.path().join("bad");
        fs::write(&bad, pem).unwrap();
        fs::set_permissions(&bad, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        match load_private(&bad, Some(b"pw")) {
            Err(KeyError::KdfTooCostly { rounds, max, .. }) => {
                assert_eq!((rounds, max), (u32::MAX, MAX_KDF_ROUNDS));
            }
            other => panic!("expected KdfTooCostly, got {:?}", other.map(|s| s.public())),
        }
        assert_eq!(
            load_private(&path, Some(b"pw")).unwrap().public(),
            s.public()
        );
    }

    #[test]
    fn debug_never_shows_secret() {
        let seed = [7u8; 32];
        let s = Signer::from_seed("t", &seed);
        let d = format!("{s:?}");
        assert!(!d.contains(&hex::encode(seed)));
        assert!(!d.contains("[7, 7"));
        assert!(d.contains(&s.public().to_hex()));
    }

    #[test]
    fn write_and_load_encrypted_and_plain() {
        let dir = tempfile::tempdir().unwrap();
        let s = Signer::from_seed("Det. Roe", &[9u8; 32]);
        let p = dir.path().join("roe");
        write_key_files(&s, &p, Some(b"correct horse")).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        assert!(is_encrypted(&p).unwrap());
        assert!(matches!(
            load_private(&p, None),
            Err(KeyError::PassphraseRequired { .. })
        ));
        assert!(matches!(
            load_private(&p, Some(b"wrong")),
            Err(KeyError::WrongPassphrase { .. })
        ));
        let l = load_private(&p, Some(b"correct horse")).unwrap();
        assert_eq!(l.public(), s.public());
        assert_eq!(l.name(), "Det. Roe");
        assert!(matches!(
            write_key_files(&s, &p, None),
            Err(KeyError::Exists { .. })
        ));
        let pubk = parse_public(pub_path(&p).to_str().unwrap()).unwrap();
        assert_eq!(pubk.key, s.public());
        assert_eq!(pubk.comment.as_deref(), Some("Det. Roe"));
        assert_eq!(parse_public(&s.public().to_hex()).unwrap().key, s.public());

        let q = dir.path().join("plain");
        write_key_files(&s, &q, None).unwrap();
        assert!(!is_encrypted(&q).unwrap());
        assert_eq!(load_private(&q, None).unwrap().public(), s.public());
    }

    #[test]
    fn corrupt_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad");
        fs::write(&p, "-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load_private(&p, None),
            Err(KeyError::Permissions { mode: 0o644, .. })
        ));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            load_private(&p, None),
            Err(KeyError::NotAKey { .. })
        ));
        assert!(parse_public("ssh-ed25519 !!!").is_err());
        assert!(parse_public(p.to_str().unwrap()).is_err());
    }
}
