//! C2SP signed notes (c2sp.org/signed-note): text signed by one or more
//! keys, with Ed25519 signatures (type 0x01) and timestamped Ed25519
//! cosignatures (type 0x04, c2sp.org/tlog-cosignature).
//!
//! Owns: parsing and printing notes and verifier keys (`name+hexid+base64`),
//! key ids, signing, and verification against a set of trusted keys that
//! ignores unknown signatures and rejects the note if a known key's
//! signature fails.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use thiserror::Error;

use crate::format::entry::MemberKey;
use crate::format::sig;
use crate::format::sig::Signer;

/// Signature type byte for Ed25519 note signatures (signed-note §Signatures).
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte for timestamped Ed25519 cosignatures (tlog-cosignature).
pub const TYPE_COSIGNATURE: u8 = 0x04;
/// Largest note accepted (bytes).
pub const MAX_NOTE_LEN: usize = 64 * 1024;
/// Most signature lines accepted (the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;
/// The em dash and space that start a signature line.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note or key was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteError {
    /// The bytes do not follow the signed-note format.
    #[error("malformed note: {0}")]
    Malformed(String),
    /// The note is larger than [`MAX_NOTE_LEN`].
    #[error("note is {0} bytes, more than the {MAX_NOTE_LEN}-byte limit")]
    TooLarge(usize),
    /// A verifier key string is malformed.
    #[error("malformed verifier key: {0}")]
    BadKey(String),
    /// A signature from a trusted key does not verify.
    #[error("signature by trusted key {name} does not verify")]
    BadSignature {
        /// The member's name.
        name: String,
    },
    /// No trusted key signed the note.
    #[error("no signature from a trusted key{}", if names.is_empty() { String::new() } else { format!(" (signed by: {})", names.join(", ")) })]
    Untrusted {
        /// The key names on the lines.
        names: Vec<String>,
    },
    /// The signer's key, held by an agent, did not sign.
    #[error(transparent)]
    Sign(#[from] crate::format::sig::SignError),
}

/// A key id: the first four bytes of SHA-256(name || 0x0A || type || key).
pub fn key_id(name: &str, typ: u8, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, typ]);
    h.update(key);
    h.finalize()[..4].try_into().expect("4 bytes")
}

/// Key names must be non-empty with no Unicode spaces and no `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// A public key that verifies note signatures of one type under one name.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name.
    pub name: String,
    /// Signature type (0x01 log signature, 0x04 cosignature).
    pub typ: u8,
    /// Ed25519 public key.
    pub key: MemberKey,
}

impl VerifierKey {
    /// A verifier key for `key` under `name`.
    pub fn new(name: &str, typ: u8, key: MemberKey) -> Result<VerifierKey, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKey(format!(
                "name {name:?} is empty or has spaces or '+'"
            )));
        }
        if typ != TYPE_ED25519 && typ != TYPE_COSIGNATURE {
            return Err(NoteError::BadKey(format!(
                "unsupported signature type 0x{typ:02x}"
            )));
        }
        sig::checked_key(&key.0).map_err(|e| NoteError::BadKey(e.to_string()))?;
        Ok(VerifierKey {
            name: name.to_owned(),
            typ,
            key,
        })
    }

    /// This key's id.
    pub fn id(&self) -> [u8; 4] {
        key_id(&self.name, self.typ, &self.key.0)
    }

    /// Parse `name+hexid+base64(type || key)`; the id must match.
    pub fn parse(s: &str) -> Result<VerifierKey, NoteError> {
        let s = s.trim();
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(hexid), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(NoteError::BadKey("expected name+hexid+base64".into()));
        };
        if hexid.len() != 8
            || !hexid
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(NoteError::BadKey(
                "key id must be 8 lowercase hex digits".into(),
            ));
        }
        let raw = B64
            .decode(b64)
            .map_err(|_| NoteError::BadKey("bad base64 key".into()))?;
        if raw.len() != 33 {
            return Err(NoteError::BadKey(format!(
                "key material is {} bytes, expected 33",
                raw.len()
            )));
        }
        let k = VerifierKey::new(name, raw[0], MemberKey(raw[1..].try_into().expect("32")))?;
        if hex::encode(k.id()) != hexid {
            return Err(NoteError::BadKey(format!(
                "key id {hexid} does not match the key"
            )));
        }
        Ok(k)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.typ];
        raw.extend_from_slice(&self.key.0);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id()),
            B64.encode(raw)
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// The Go `note` signer-key string `PRIVATE+KEY+name+hexid+base64(0x01||seed)`
/// parsed into a signer (test vectors only; caselog keeps keys in OpenSSH files).
pub fn parse_go_signer_key(s: &str) -> Result<(String, Signer), NoteError> {
    let rest = s
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or_else(|| NoteError::BadKey("missing PRIVATE+KEY+ prefix".into()))?;
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(hexid), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::BadKey(
            "expected PRIVATE+KEY+name+hexid+base64".into(),
        ));
    };
    let raw = zeroize::Zeroizing::new(
        B64.decode(b64)
            .map_err(|_| NoteError::BadKey("bad base64".into()))?,
    );
    if raw.len() != 33 || raw[0] != TYPE_ED25519 {
        return Err(NoteError::BadKey("expected 0x01 || 32-byte seed".into()));
    }
    let seed: zeroize::Zeroizing<[u8; 32]> =
        zeroize::Zeroizing::new(raw[1..].try_into().expect("32"));
    let signer = Signer::from_seed(name, &seed);
    if hex::encode(key_id(name, TYPE_ED25519, &signer.public().0)) != hexid {
        return Err(NoteError::BadKey("key id does not match".into()));
    }
    Ok((name.to_owned(), signer))
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSig {
    /// Key name.
    pub name: String,
    /// Key id (first four decoded bytes).
    pub id: [u8; 4],
    /// The rest of the decoded bytes (a signature, or timestamp || signature).
    pub sig: Vec<u8>,
}

impl NoteSig {
    /// The line, without its newline.
    pub fn line(&self) -> String {
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&self.sig);
        format!("{SIG_PREFIX}{} {}", self.name, B64.encode(raw))
    }
}

/// A parsed signed note: its text and signature lines (nothing verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline.
    pub text: String,
    /// Signature lines in order.
    pub sigs: Vec<NoteSig>,
}

impl Note {
    /// Parse a signed note, strictly (signed-note §Format).
    pub fn parse(bytes: &[u8]) -> Result<Note, NoteError> {
        if bytes.len() > MAX_NOTE_LEN {
            return Err(NoteError::TooLarge(bytes.len()));
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::Malformed("not UTF-8".into()))?;
        if s.chars().any(|c| (c as u32) < 0x20 && c != '\n') {
            return Err(NoteError::Malformed(
                "control character other than newline".into(),
            ));
        }
        let split = s
            .rfind("\n\n")
            .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
        let text = &s[..split + 1];
        let sig_block = &s[split + 2..];
        if !sig_block.ends_with('\n') {
            return Err(NoteError::Malformed(
                "signature block must end with a newline".into(),
            ));
        }
        let mut sigs = Vec::new();
        for line in sig_block[..sig_block.len() - 1].split('\n') {
            let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
                NoteError::Malformed(format!(
                    "signature line does not start with an em dash: {line:?}"
                ))
            })?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| NoteError::Malformed("signature line has no key name".into()))?;
            if !valid_name(name) {
                return Err(NoteError::Malformed(format!("bad key name {name:?}")));
            }
            let raw = B64
                .decode(b64)
                .map_err(|_| NoteError::Malformed(format!("bad base64 in signature by {name}")))?;
            if raw.len() < 5 {
                return Err(NoteError::Malformed(format!(
                    "signature by {name} is too short"
                )));
            }
            sigs.push(NoteSig {
                name: name.to_owned(),
                id: raw[..4].try_into().expect("4"),
                sig: raw[4..].to_vec(),
            });
        }
        if sigs.is_empty() {
            return Err(NoteError::Malformed("no signature lines".into()));
        }
        if sigs.len() > MAX_SIGNATURES {
            return Err(NoteError::Malformed(format!(
                "more than {MAX_SIGNATURES} signatures"
            )));
        }
        Ok(Note {
            text: text.to_owned(),
            sigs,
        })
    }

    /// The note as bytes: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut s = self.text.clone();
        s.push('\n');
        for g in &self.sigs {
            s.push_str(&g.line());
            s.push('\n');
        }
        s
    }

    /// Add a signature line unless the same key already signed.
    pub fn add_sig(&mut self, g: NoteSig) {
        if !self.sigs.iter().any(|o| o.name == g.name && o.id == g.id) {
            self.sigs.push(g);
        }
    }

    /// The signature lines whose name and id match `key`.
    pub fn sigs_by<'a>(&'a self, key: &'a VerifierKey) -> impl Iterator<Item = &'a NoteSig> + 'a {
        let id = key.id();
        self.sigs
            .iter()
            .filter(move |g| g.name == key.name && g.id == id)
    }
}

/// Check the text: UTF-8, ends with a newline, no control characters.
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') || text.ends_with("\n\n") {
        return Err(NoteError::Malformed(
            "text must end with exactly one newline".into(),
        ));
    }
    if text.chars().any(|c| (c as u32) < 0x20 && c != '\n') {
        return Err(NoteError::Malformed("control character in text".into()));
    }
    Ok(())
}

/// Sign `text` with an Ed25519 note signature (type 0x01) under `name`.
pub fn sign(text: &str, name: &str, signer: &Signer) -> Result<NoteSig, NoteError> {
    check_text(text)?;
    let vk = VerifierKey::new(name, TYPE_ED25519, signer.public())?;
    Ok(NoteSig {
        name: name.to_owned(),
        id: vk.id(),
        sig: signer.sign(text.as_bytes())?.to_vec(),
    })
}

/// The message a v1 cosignature signs: `cosignature/v1\ntime T\n` + text.
pub fn cosignature_message(time: u64, text: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

/// Cosign `text` (a checkpoint body) at `time` (POSIX seconds), type 0x04.
pub fn cosign(text: &str, name: &str, signer: &Signer, time: u64) -> Result<NoteSig, NoteError> {
    check_text(text)?;
    if time > i64::MAX as u64 {
        return Err(NoteError::Malformed("timestamp beyond 2^63-1".into()));
    }
    let vk = VerifierKey::new(name, TYPE_COSIGNATURE, signer.public())?;
    let mut sigb = time.to_be_bytes().to_vec();
    sigb.extend_from_slice(&signer.sign(&cosignature_message(time, text))?);
    Ok(NoteSig {
        name: name.to_owned(),
        id: vk.id(),
        sig: sigb,
    })
}

/// Check one signature line against a key of either type. Returns the
/// cosignature timestamp for type 0x04.
pub fn verify_sig(text: &str, g: &NoteSig, key: &VerifierKey) -> Result<Option<u64>, NoteError> {
    let bad = || NoteError::BadSignature {
        name: key.name.clone(),
    };
    match key.typ {
        TYPE_ED25519 => {
            let s: [u8; 64] = g.sig.as_slice().try_into().map_err(|_| bad())?;
            sig::verify(&key.key.0, text.as_bytes(), &s).map_err(|_| bad())?;
            Ok(None)
        }
        TYPE_COSIGNATURE => {
            if g.sig.len() != 72 {
                return Err(bad());
            }
            let t = u64::from_be_bytes(g.sig[..8].try_into().expect("8"));
            if t > i64::MAX as u64 {
                return Err(bad());
            }
            let s: [u8; 64] = g.sig[8..].try_into().expect("64");
            sig::verify(&key.key.0, &cosignature_message(t, text), &s).map_err(|_| bad())?;
            Ok(Some(t))
        }
        _ => Err(bad()),
    }
}

/// Verify a note against trusted keys: every signature by a trusted key
/// must verify, and at least one must be present. Unknown signatures are
/// ignored. Returns the keys that verified.
pub fn verify(note: &Note, trusted: &[VerifierKey]) -> Result<Vec<VerifierKey>, NoteError> {
    let mut ok = Vec::new();
    for k in trusted {
        for g in note.sigs_by(k) {
            verify_sig(&note.text, g, k)?;
            if !ok.contains(k) {
                ok.push(k.clone());
            }
        }
    }
    if ok.is_empty() {
        return Err(NoteError::Untrusted {
            names: note.sigs.iter().map(|g| g.name.clone()).collect(),
        });
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_malformed() {
        let good = "a\nb\n\n\u{2014} n AAAAAAAA\n";
        Note::parse(good.as_bytes()).unwrap();
        for bad in [
            "a\nb\n\u{2014} n AAAAAAAA\n",   // no blank line
            "a\nb\n\n\u{2014} n AAAAAAAA",   // no final newline
            "a\nb\n\n- n AAAAAAAA\n",        // hyphen, not em dash
            "a\nb\n\n\u{2014} n AAAA\n",     // too short
            "a\nb\n\n\u{2014} n A!AAAAAA\n", // bad base64
            "a\rb\n\n\u{2014} n AAAAAAAA\n", // control character
            "a\nb\n\n\u{2014} n+x AAAAAAAA\n",
            "a\nb\n\n\n",
        ] {
            assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Note::parse(&vec![b'a'; MAX_NOTE_LEN + 1]),
            Err(NoteError::TooLarge(_))
        ));
    }
}
