//! Who may append what: the membership state machine and the role check.
//!
//! Owns [`Members`], the set of enrolled keys as it stands after each
//! entry; which role may append which kind is the table in `format::kind`. The ledger uses it to refuse an append before
//! writing; the verifier replays it over every entry. Both call the same
//! [`Members::check`] and [`Members::apply`], so they cannot disagree.

use crate::format::code::Code;
use std::collections::BTreeMap;

use thiserror::Error;

use crate::format::entry::{Body, Entry, MemberKey, Role, Seq};
use crate::format::kind::Kind;
use crate::format::sig::{self, SigError};

/// One member as of some point in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The key.
    pub key: MemberKey,
    /// Seq of the entry that enrolled it (0 for the genesis authority).
    pub enrolled: Seq,
    /// Seq of the revoking entry, if revoked.
    pub revoked: Option<Seq>,
    /// Title, organisation, contact as enrolled.
    pub profile: crate::format::entry::Profile,
}

/// How a genesis breaks SPEC §6 rule 1.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenesisFault {
    /// The entry at seq 0 is not a `ledger.open`.
    #[error("the first entry must be ledger.open, found {kind}")]
    NotOpen {
        /// The kind found.
        kind: Kind,
    },
    /// `ledger.open` is not signed by the authority key it names.
    #[error("ledger.open must be signed by the authority key it names")]
    WrongSigner,
    /// The authority key is refused (SPEC §4: small order or not a point).
    #[error("authority key {key} refused: {err}")]
    WeakKey {
        /// The key, short form.
        key: String,
        /// Why the key is refused.
        err: SigError,
    },
    /// A `ledger.open` after seq 0.
    #[error("ledger.open may only appear at seq 0")]
    OpenLater,
}

/// Why an entry is not allowed at its position.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The author's key was never enrolled.
    #[error("author {key} is not an enrolled member")]
    UnknownAuthor {
        /// The key, short form.
        key: String,
    },
    /// The author was revoked before this entry.
    #[error("author '{name}' was revoked at seq {revoked}")]
    RevokedAuthor {
        /// The member's name.
        name: String,
        /// The seq of the revocation.
        revoked: u64,
    },
    /// The author's role may not append this kind.
    #[error("'{name}' has role {role}, which may not append {kind}")]
    RoleNotAllowed {
        /// The member's name.
        name: String,
        /// Their role.
        role: Role,
        /// The kind they tried to append.
        kind: Kind,
    },
    /// A checkpoint signer that is not an active authority (SPEC §10).
    #[error("'{name}' has role {role}, which may not sign checkpoints")]
    NotAnAuthority {
        /// The member's name.
        name: String,
        /// Their role.
        role: Role,
    },
    /// Genesis rules broken (SPEC §6 rule 1).
    #[error("{0}")]
    BadGenesis(GenesisFault),
    /// Enrolling a key that is already a member (or was revoked).
    #[error("key {key} is already enrolled as '{name}'")]
    AlreadyEnrolled {
        /// The key, short form.
        key: String,
        /// The member's name.
        name: String,
    },
    /// Revoking a key that is not an active member.
    #[error("key {key} is not an active member")]
    NotAMember {
        /// The key, short form.
        key: String,
    },
    /// Revoking the last active authority would leave nobody to manage the ledger.
    #[error("'{name}' is the last active authority and cannot be revoked")]
    LastAuthority {
        /// The member's name.
        name: String,
    },
    /// The enrolled key is invalid or of small order.
    #[error("enrolled key {key}: {err}")]
    BadMemberKey {
        /// The key, short form.
        key: String,
        /// Why the key is refused.
        err: SigError,
    },
}

/// The SPEC §9 code a verifier reports for a membership rule; a writer
/// refusing the same rule says the same code.
impl From<&PolicyError> for Code {
    fn from(e: &PolicyError) -> Code {
        match e {
            PolicyError::UnknownAuthor { .. } => Code::UnknownAuthor,
            PolicyError::RevokedAuthor { .. } => Code::RevokedAuthor,
            PolicyError::RoleNotAllowed { .. } | PolicyError::NotAnAuthority { .. } => {
                Code::RoleNotAllowed
            }
            PolicyError::BadGenesis(_) => Code::BadGenesis,
            _ => Code::BadMembership,
        }
    }
}

/// Membership as of the entries applied so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Members {
    by_key: BTreeMap<MemberKey, Member>,
}

impl Members {
    /// Nobody enrolled (before genesis).
    pub fn new() -> Members {
        Members::default()
    }

    /// From stored rows (the `meta` cache).
    pub fn from_list(list: Vec<Member>) -> Members {
        Members {
            by_key: list.into_iter().map(|m| (m.key, m)).collect(),
        }
    }

    /// Look a key up.
    pub fn get(&self, key: &MemberKey) -> Option<&Member> {
        self.by_key.get(key)
    }

    /// Every member ever enrolled, by key.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.by_key.values()
    }

    /// Name for messages: the member's name or the short key.
    pub fn display(&self, key: &MemberKey) -> String {
        self.get(key)
            .map(|m| match m.profile.describe() {
                Some(p) => format!("{} ({p})", m.name),
                None => m.name.clone(),
            })
            .unwrap_or_else(|| format!("unknown key {}", key.fingerprint()))
    }

    /// Check that `entry` may stand at its position given the members so
    /// far. Does not check the signature (the caller does).
    pub fn check(&self, entry: &Entry) -> Result<(), PolicyError> {
        let kind = entry.body.kind();
        if entry.seq.0 == 0 {
            let Body::LedgerOpen(open) = &entry.body else {
                return Err(PolicyError::BadGenesis(GenesisFault::NotOpen { kind }));
            };
            if open.authority_key != entry.author {
                return Err(PolicyError::BadGenesis(GenesisFault::WrongSigner));
            }
            // SPEC §6 rule 1: a genesis key that is no valid point of large
            // order breaks the genesis, not a later enrollment.
            return sig::checked_key(&open.authority_key.0)
                .map(|_| ())
                .map_err(|err| {
                    PolicyError::BadGenesis(GenesisFault::WeakKey {
                        key: open.authority_key.fingerprint(),
                        err,
                    })
                });
        }
        if let Body::LedgerOpen(_) = entry.body {
            return Err(PolicyError::BadGenesis(GenesisFault::OpenLater));
        }
        let m = self
            .by_key
            .get(&entry.author)
            .ok_or_else(|| PolicyError::UnknownAuthor {
                key: entry.author.fingerprint(),
            })?;
        if let Some(r) = m.revoked {
            return Err(PolicyError::RevokedAuthor {
                name: m.name.clone(),
                revoked: r.0,
            });
        }
        if !kind.allows(m.role) {
            return Err(PolicyError::RoleNotAllowed {
                name: m.name.clone(),
                role: m.role,
                kind,
            });
        }
        match &entry.body {
            Body::MemberEnroll(e) => {
                if let Some(old) = self.by_key.get(&e.key) {
                    return Err(PolicyError::AlreadyEnrolled {
                        key: e.key.fingerprint(),
                        name: old.name.clone(),
                    });
                }
                check_key(&e.key)
            }
            Body::MemberRevoke(r) => match self.by_key.get(&r.key) {
                Some(t) if t.revoked.is_none() => {
                    let others = self
                        .by_key
                        .values()
                        .filter(|o| {
                            o.role == Role::Authority && o.revoked.is_none() && o.key != t.key
                        })
                        .count();
                    if t.role == Role::Authority && others == 0 {
                        Err(PolicyError::LastAuthority {
                            name: t.name.clone(),
                        })
                    } else {
                        Ok(())
                    }
                }
                _ => Err(PolicyError::NotAMember {
                    key: r.key.fingerprint(),
                }),
            },
            _ => Ok(()),
        }
    }

    /// Apply the membership effect of a checked entry. Returns the member
    /// rows it changed (for the store's cache).
    pub fn apply(&mut self, entry: &Entry) -> Vec<Member> {
        match &entry.body {
            Body::LedgerOpen(o) => vec![self.insert(Member {
                name: o.authority_name.clone(),
                role: Role::Authority,
                key: o.authority_key,
                enrolled: entry.seq,
                revoked: None,
                profile: Default::default(),
            })],
            Body::MemberEnroll(e) => vec![self.insert(Member {
                name: e.name.clone(),
                role: e.role,
                key: e.key,
                enrolled: entry.seq,
                revoked: None,
                profile: e.profile.clone(),
            })],
            Body::MemberRevoke(r) => match self.by_key.get_mut(&r.key) {
                Some(m) => {
                    m.revoked = Some(entry.seq);
                    vec![m.clone()]
                }
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn insert(&mut self, m: Member) -> Member {
        self.by_key.insert(m.key, m.clone());
        m
    }
}

fn check_key(key: &MemberKey) -> Result<(), PolicyError> {
    sig::checked_key(&key.0)
        .map(|_| ())
        .map_err(|err| PolicyError::BadMemberKey {
            key: key.fingerprint(),
            err,
        })
}
