//! Chain of custody: each evidence item's holder over time, derived from the
//! entries. The ledger checks an append against it (refusing breaks before
//! anything is written); the verifier replays it over every entry and
//! reports breaks with stable codes. Both call [`Custody::check`] and
//! [`Custody::apply`], so they cannot disagree.
//!
//! Two-step protocol (SPEC §13.2): `custody.release` by the current holder
//! naming the receiver, then `custody.receive` by that receiver — or, for an
//! external receiver without ledger access, imported by the holder with the
//! receiver's offline-signed receipt.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::format::cbor::{self, MapBuilder, MapReader, Value};
use crate::format::entry::{Body, Entry, LedgerId, MemberKey, Role, Seq};
use crate::format::hash::Hash;
use crate::format::kinds::{receipt_message, CustodyReceive, Domain, EvidenceVerify, FileFixity};
use crate::format::sig;
use crate::rules::policy::Members;

/// Where an item is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemState {
    /// Item id.
    pub item: String,
    /// Seq of its intake.
    pub intake: Seq,
    /// Current holder.
    pub holder: MemberKey,
    /// A release waiting for its receipt: (release leaf hash, receiver).
    pub pending: Option<(Hash, MemberKey)>,
    /// `disposed` or `returned`, with the seq, once the item left custody.
    pub closed: Option<(String, Seq)>,
    /// The intake's files (name → BLAKE3, SHA-256).
    pub files: BTreeMap<String, (Hash, Hash)>,
}

impl ItemState {
    /// CBOR for the `meta` cache row `item/<id>`.
    pub fn encode(&self) -> Vec<u8> {
        let mut m = MapBuilder::new()
            .uint("intake", self.intake.0)
            .bytes("holder", &self.holder.0)
            .put(
                "files",
                Value::Map(
                    self.files
                        .iter()
                        .map(|(k, (b, s))| {
                            (
                                k.clone(),
                                Value::Array(vec![
                                    Value::Bytes(b.0.to_vec()),
                                    Value::Bytes(s.0.to_vec()),
                                ]),
                            )
                        })
                        .collect(),
                ),
            );
        if let Some((r, to)) = &self.pending {
            m = m.put(
                "pending",
                Value::Array(vec![
                    Value::Bytes(r.0.to_vec()),
                    Value::Bytes(to.0.to_vec()),
                ]),
            );
        }
        if let Some((how, s)) = &self.closed {
            m = m.put(
                "closed",
                Value::Array(vec![Value::Text(how.clone()), Value::Uint(s.0)]),
            );
        }
        cbor::encode(&m.build())
    }

    /// Parse a cache row for `item`.
    pub fn decode(item: &str, b: &[u8]) -> Option<ItemState> {
        let pair = |v: Value| -> Option<(Hash, Hash)> {
            match v {
                Value::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                    (Value::Bytes(x), Value::Bytes(y)) => {
                        Some((Hash::from_slice(x)?, Hash::from_slice(y)?))
                    }
                    _ => None,
                },
                _ => None,
            }
        };
        let mut r = MapReader::new("item", cbor::decode(b).ok()?).ok()?;
        let intake = Seq(r.uint("intake").ok()?);
        let holder = MemberKey(r.fixed::<32>("holder").ok()?);
        let files = match r.req("files").ok()? {
            Value::Map(m) => m
                .into_iter()
                .map(|(k, v)| Some((k, pair(v)?)))
                .collect::<Option<_>>()?,
            _ => return None,
        };
        let pending = match r.opt("pending") {
            None => None,
            Some(v) => {
                let (a, b) = pair(v)?;
                Some((a, MemberKey(b.0)))
            }
        };
        let closed = match r.opt("closed") {
            None => None,
            Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
                (Value::Text(t), Value::Uint(n)) => Some((t.clone(), Seq(*n))),
                _ => return None,
            },
            Some(_) => return None,
        };
        r.finish().ok()?;
        Some(ItemState {
            item: item.to_owned(),
            intake,
            holder,
            pending,
            closed,
            files,
        })
    }
}

/// A custody rule broken by an entry (refused at append, reported by verify).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CustodyError {
    /// The item was never taken in.
    #[error("item {0} was never taken into evidence")]
    UnknownItem(String),
    /// A second intake of the same item id.
    #[error("item {item} was already taken in at seq {at}")]
    DuplicateItem {
        /// The evidence item id.
        item: String,
        /// The seq of that entry.
        at: u64,
    },
    /// Release, disposal or return by someone who does not hold the item.
    #[error("{who} does not hold {item} (held by {holder})")]
    NotHolder {
        /// The evidence item id.
        item: String,
        /// Who tried.
        who: String,
        /// Who holds the item.
        holder: String,
    },
    /// A release naming a receiver who is not an active member.
    #[error("receiver {0} is not an active member")]
    BadReceiver(String),
    /// A receipt by someone other than the named receiver.
    #[error("{item} was released to {expected}, but received by {got}")]
    WrongReceiver {
        /// The evidence item id.
        item: String,
        /// What was expected.
        expected: String,
        /// Who received it.
        got: String,
    },
    /// A receipt that does not answer the item's pending release.
    #[error("{item}: the receipt answers no pending release of this item")]
    WrongRelease {
        /// The evidence item id.
        item: String,
    },
    /// A release (or disposal) while a release is still pending.
    #[error("{item} is already released to {to} and not yet received")]
    DoubleRelease {
        /// The evidence item id.
        item: String,
        /// The receiver it is released to.
        to: String,
    },
    /// Any action on an item after it was disposed of or returned.
    #[error("{item} was {how} at seq {at}")]
    AfterDisposal {
        /// The evidence item id.
        item: String,
        /// How it left custody (disposed of, returned).
        how: String,
        /// The seq of that entry.
        at: u64,
    },
    /// An external receipt with a bad signature or by a non-external key.
    #[error("{item}: receipt {reason}")]
    BadReceipt {
        /// The evidence item id.
        item: String,
        /// Why.
        reason: String,
    },
    /// An `evidence.verify` that names an unknown file or misstates the match.
    #[error("{item}: {reason}")]
    BadVerify {
        /// The evidence item id.
        item: String,
        /// Why.
        reason: String,
    },
}

/// Facts an entry records that a court must see (allowed, but reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Received with the seal broken.
    SealBroken {
        /// The evidence item id.
        item: String,
    },
    /// A re-hash of a file did not match its intake digests.
    DigestMismatch {
        /// The evidence item id.
        item: String,
        /// The file name.
        file: String,
    },
}

/// Every item's custody state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Custody {
    items: BTreeMap<String, ItemState>,
}

/// Only the holder may release, dispose of or return an item, and not
/// while a release of it is pending.
fn holder_only(s: &ItemState, author: &MemberKey, members: &Members) -> Result<(), CustodyError> {
    if s.holder != *author {
        return Err(CustodyError::NotHolder {
            item: s.item.clone(),
            who: members.display(author),
            holder: members.display(&s.holder),
        });
    }
    if let Some((_, to)) = &s.pending {
        return Err(CustodyError::DoubleRelease {
            item: s.item.clone(),
            to: members.display(to),
        });
    }
    Ok(())
}

impl Custody {
    /// No items.
    pub fn new() -> Custody {
        Custody::default()
    }

    /// From cached rows.
    pub fn from_list(list: Vec<ItemState>) -> Custody {
        Custody {
            items: list.into_iter().map(|s| (s.item.clone(), s)).collect(),
        }
    }

    /// One item.
    pub fn get(&self, item: &str) -> Option<&ItemState> {
        self.items.get(item)
    }

    /// All items by id.
    pub fn iter(&self) -> impl Iterator<Item = &ItemState> {
        self.items.values()
    }

    fn open_item(&self, item: &str) -> Result<&ItemState, CustodyError> {
        let s = self
            .items
            .get(item)
            .ok_or_else(|| CustodyError::UnknownItem(item.to_owned()))?;
        if let Some((how, at)) = &s.closed {
            return Err(CustodyError::AfterDisposal {
                item: item.to_owned(),
                how: how.clone(),
                at: at.0,
            });
        }
        Ok(s)
    }

    /// Check `entry` (whose leaf hash is `leaf`) against custody so far.
    /// `Ok` carries findings to report; `Err` is a break.
    pub fn check(
        &self,
        entry: &Entry,
        ledger: &LedgerId,
        members: &Members,
    ) -> Result<Vec<Finding>, CustodyError> {
        let Body::Domain(d) = &entry.body else {
            return Ok(Vec::new());
        };
        match d {
            Domain::EvidenceIntake(b) => {
                if let Some(s) = self.items.get(&b.item) {
                    return Err(CustodyError::DuplicateItem {
                        item: b.item.clone(),
                        at: s.intake.0,
                    });
                }
                // A copy is made from an item already in evidence (SPEC §13.5).
                match b.lineage.as_ref().and_then(|l| l.derived_from.as_ref()) {
                    Some(src) if !self.items.contains_key(src) => {
                        Err(CustodyError::UnknownItem(src.clone()))
                    }
                    _ => Ok(Vec::new()),
                }
            }
            Domain::EvidenceVerify(b) => self.check_verify(b),
            Domain::EvidenceDispose(b) | Domain::EvidenceReturn(b) => {
                holder_only(self.open_item(&b.item)?, &entry.author, members)?;
                Ok(Vec::new())
            }
            Domain::CustodyRelease(b) => {
                holder_only(self.open_item(&b.item)?, &entry.author, members)?;
                match members.get(&b.to) {
                    Some(m) if m.revoked.is_none() && b.to != entry.author => Ok(Vec::new()),
                    _ => Err(CustodyError::BadReceiver(members.display(&b.to))),
                }
            }
            Domain::CustodyReceive(b) => self.check_receive(b, entry, ledger, members),
            _ => Ok(Vec::new()),
        }
    }

    /// `evidence.verify`: the file was taken in, and the entry tells the
    /// truth about whether its digests still match (a mismatch is a
    /// recorded fact, not a break).
    fn check_verify(&self, b: &EvidenceVerify) -> Result<Vec<Finding>, CustodyError> {
        let s = self.open_item(&b.item)?;
        let (b3, sha) = s
            .files
            .get(&b.file.name)
            .ok_or_else(|| CustodyError::BadVerify {
                item: b.item.clone(),
                reason: format!("no file named {:?} was taken in", b.file.name),
            })?;
        let same = *b3 == b.file.blake3 && *sha == b.file.sha256;
        if same != b.matches {
            return Err(CustodyError::BadVerify {
                item: b.item.clone(),
                reason: format!(
                    "entry says the digests {} but they {}",
                    if b.matches { "match" } else { "differ" },
                    if same { "match" } else { "differ" }
                ),
            });
        }
        Ok(if same {
            Vec::new()
        } else {
            vec![Finding::DigestMismatch {
                item: b.item.clone(),
                file: b.file.name.clone(),
            }]
        })
    }

    /// `custody.receive`: answers the pending release, by the named
    /// receiver (or the holder importing the receiver's signed receipt).
    fn check_receive(
        &self,
        b: &CustodyReceive,
        entry: &Entry,
        ledger: &LedgerId,
        members: &Members,
    ) -> Result<Vec<Finding>, CustodyError> {
        let name = |k: &MemberKey| members.display(k);
        let s = self.open_item(&b.item)?;
        let Some((release, to)) = &s.pending else {
            return Err(CustodyError::WrongRelease {
                item: b.item.clone(),
            });
        };
        if *release != b.release {
            return Err(CustodyError::WrongRelease {
                item: b.item.clone(),
            });
        }
        let receiver = match &b.receipt {
            None => entry.author,
            Some(rc) => {
                // Imported by the holder; signed by the receiver.
                if entry.author != s.holder {
                    return Err(CustodyError::NotHolder {
                        item: b.item.clone(),
                        who: name(&entry.author),
                        holder: name(&s.holder),
                    });
                }
                match members.get(&rc.key) {
                    Some(m) if m.role == Role::External && m.revoked.is_none() => {}
                    _ => {
                        return Err(CustodyError::BadReceipt {
                            item: b.item.clone(),
                            reason: format!(
                                "signer {} is not an enrolled external member",
                                name(&rc.key)
                            ),
                        })
                    }
                }
                let msg = receipt_message(ledger, b, &rc.key, &rc.time);
                sig::verify(&rc.key.0, &msg, &rc.sig).map_err(|e| CustodyError::BadReceipt {
                    item: b.item.clone(),
                    reason: format!("signature does not verify ({e})"),
                })?;
                rc.key
            }
        };
        if receiver != *to {
            return Err(CustodyError::WrongReceiver {
                item: b.item.clone(),
                expected: name(to),
                got: name(&receiver),
            });
        }
        Ok(if b.seal_intact {
            Vec::new()
        } else {
            vec![Finding::SealBroken {
                item: b.item.clone(),
            }]
        })
    }

    /// Apply a checked entry; returns the item rows it changed.
    pub fn apply(&mut self, entry: &Entry, leaf: &Hash) -> Vec<ItemState> {
        let Body::Domain(d) = &entry.body else {
            return Vec::new();
        };
        let changed = match d {
            Domain::EvidenceIntake(b) => {
                let files = b
                    .files
                    .iter()
                    .map(|f: &FileFixity| (f.name.clone(), (f.blake3, f.sha256)))
                    .collect();
                self.items.insert(
                    b.item.clone(),
                    ItemState {
                        item: b.item.clone(),
                        intake: entry.seq,
                        holder: entry.author,
                        pending: None,
                        closed: None,
                        files,
                    },
                );
                Some(b.item.as_str())
            }
            Domain::CustodyRelease(b) => {
                if let Some(s) = self.items.get_mut(&b.item) {
                    s.pending = Some((*leaf, b.to));
                }
                Some(b.item.as_str())
            }
            Domain::CustodyReceive(b) => {
                if let Some(s) = self.items.get_mut(&b.item) {
                    // A refused transfer answers the release; the releaser
                    // keeps the item (SPEC §13.2).
                    if let Some((_, to)) = s.pending.take().filter(|_| b.rejected.is_none()) {
                        s.holder = to;
                    }
                }
                Some(b.item.as_str())
            }
            Domain::EvidenceDispose(b) | Domain::EvidenceReturn(b) => {
                let how = if matches!(d, Domain::EvidenceDispose(_)) {
                    "disposed"
                } else {
                    "returned"
                };
                if let Some(s) = self.items.get_mut(&b.item) {
                    s.closed = Some((how.to_owned(), entry.seq));
                }
                Some(b.item.as_str())
            }
            _ => None,
        };
        changed
            .and_then(|i| self.items.get(i))
            .cloned()
            .into_iter()
            .collect()
    }
}
