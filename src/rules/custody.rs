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

use crate::format::code::Code;
use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use crate::format::cbor::{self, MapBuilder, MapReader, Value};
use crate::format::entry::{Body, Entry, LedgerId, MemberKey, Role, Seq};
use crate::format::hash::Hash;
use crate::format::ids::ItemHeads;
use crate::format::kinds::{
    receipt_message, CustodyReceive, Domain, EvidenceVerify, FileFixity, Seals,
};
use crate::format::sig;
use crate::rules::hold::{holding, Hold, Holds};
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
    /// In an evidence room: the location and the `custody.store` seq.
    pub stored: Option<(String, Seq)>,
    /// Seals on the item now: the intake's `seal`, then as applied (SPEC §13.6).
    pub seals: BTreeSet<String>,
    /// Seals broken since: a seal number is used once.
    pub retired: BTreeSet<String>,
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
        if let Some((at, s)) = &self.stored {
            m = m.put(
                "stored",
                Value::Array(vec![Value::Text(at.clone()), Value::Uint(s.0)]),
            );
        }
        let texts = |set: &BTreeSet<String>| {
            Value::Array(set.iter().map(|t| Value::Text(t.clone())).collect())
        };
        m = m.put("seals", texts(&self.seals));
        m = m.put("retired", texts(&self.retired));
        cbor::encode(&m.build())
    }

    /// Parse a cache row for `item`. A row written before seals were
    /// tracked (no `seals` key) takes its seals from the intake's `seal`,
    /// which `intake_seal` reads from the intake entry: nothing but the
    /// intake could have set them then.
    pub fn decode(
        item: &str,
        b: &[u8],
        intake_seal: &dyn Fn(Seq) -> Option<Option<String>>,
    ) -> Option<ItemState> {
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
        let stored = match r.opt("stored") {
            None => None,
            Some(Value::Array(a)) if a.len() == 2 => match (&a[0], &a[1]) {
                (Value::Text(t), Value::Uint(n)) => Some((t.clone(), Seq(*n))),
                _ => return None,
            },
            Some(_) => return None,
        };
        let texts = |v: Value| -> Option<BTreeSet<String>> {
            match v {
                Value::Array(a) => a
                    .into_iter()
                    .map(|t| match t {
                        Value::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        };
        let (seals, retired) = match (r.opt("seals"), r.opt("retired")) {
            (Some(s), Some(t)) => (texts(s)?, texts(t)?),
            (None, None) => (intake_seal(intake)?.into_iter().collect(), BTreeSet::new()),
            _ => return None,
        };
        r.finish().ok()?;
        Some(ItemState {
            item: item.to_owned(),
            intake,
            holder,
            pending,
            closed,
            files,
            stored,
            seals,
            retired,
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
    /// A second intake of the same item id (or of one that differs only
    /// in letter case).
    #[error("item {item} was already taken in{} at seq {at}", if item == taken_as { String::new() } else { format!(" as {taken_as} (ids that differ only in letter case name one item)") })]
    DuplicateItem {
        /// The evidence item id.
        item: String,
        /// The id it was taken in under.
        taken_as: String,
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
    /// Check-in of an item already in storage, check-out of one that is
    /// not, or a release, disposal or return while it is stored.
    #[error("{item}: {reason}")]
    Storage {
        /// The evidence item id.
        item: String,
        /// Why.
        reason: String,
    },
    /// A seal broken that is not on the item, or applied when it was
    /// already used on it.
    #[error("{item}: seal {seal:?} {reason}")]
    Seal {
        /// The evidence item id.
        item: String,
        /// The seal number.
        seal: String,
        /// Why.
        reason: String,
    },
    /// A receipt of an item carrying seals that does not state whether
    /// they were intact (SPEC §13.6).
    #[error("{item}: seal {seal:?} is on the item, and the receipt does not state whether it was intact")]
    SealUnstated {
        /// The evidence item id.
        item: String,
        /// A seal on the item.
        seal: String,
    },
    /// An `item_prev` that is not the leaf hash of the latest earlier
    /// entry about the item (SPEC §13.7).
    #[error("{item}: item_prev {got} is not the latest earlier entry about it ({})", latest.map(|h| h.to_string()).unwrap_or_else(|| "there is none".into()))]
    ItemLink {
        /// The evidence item id.
        item: String,
        /// The leaf hash of its latest earlier entry, if any.
        latest: Option<Hash>,
        /// The `item_prev` the entry carries.
        got: Hash,
    },
    /// An `evidence.attach` naming a file like one the item already has
    /// (a name is one file of the item for good, SPEC §13.5).
    #[error("{item} already has a file named {name:?}")]
    DuplicateFile {
        /// The evidence item id.
        item: String,
        /// The file name.
        name: String,
    },
    /// A disposal, return or erasure while a legal hold covers it.
    #[error("{what} is forbidden while legal hold {hold} (placed at seq {placed}) is in force")]
    UnderHold {
        /// What was attempted ("disposal of EV-1", "an erasure").
        what: String,
        /// The hold's id.
        hold: String,
        /// The seq of its `hold.place`.
        placed: u64,
    },
    /// A disposal before the end of the item's retention period.
    #[error("{item} is in retention category {category:?} (set at seq {set}) until {}: it may not be disposed of before", crate::format::ids::Timestamp::from_micros(i64::try_from(*until).unwrap_or(i64::MAX)).map_or_else(|| until.to_string(), |t| t.to_string()))]
    UnderRetention {
        /// The item.
        item: String,
        /// Its category.
        category: String,
        /// The seq of the `retention.set`.
        set: u64,
        /// The end of the period, microseconds since the Unix epoch.
        until: u64,
    },
    /// A hold placed under an id already used, or a release of a hold that
    /// is not in force.
    #[error("legal hold {hold}: {reason}")]
    BadHold {
        /// The hold's id.
        hold: String,
        /// Why.
        reason: String,
    },
    /// A `production` or `production.receipt` that breaks SPEC §13.11.
    #[error("production: {reason}")]
    BadProduction {
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

/// The SPEC §9 code of a custody break; a writer refusing the same rule
/// says the same code.
impl From<&CustodyError> for Code {
    fn from(e: &CustodyError) -> Code {
        match e {
            CustodyError::UnknownItem(_) => Code::CustodyUnknownItem,
            CustodyError::DuplicateItem { .. } => Code::CustodyDuplicateItem,
            CustodyError::NotHolder { .. } => Code::CustodyNotHolder,
            CustodyError::BadReceiver(_) => Code::CustodyBadReceiver,
            CustodyError::WrongReceiver { .. } => Code::CustodyWrongReceiver,
            CustodyError::WrongRelease { .. } => Code::CustodyWrongRelease,
            CustodyError::DoubleRelease { .. } => Code::CustodyDoubleRelease,
            CustodyError::AfterDisposal { .. } => Code::CustodyAfterDisposal,
            CustodyError::BadReceipt { .. } => Code::CustodyBadReceipt,
            CustodyError::Storage { .. } => Code::CustodyStorage,
            CustodyError::Seal { .. } | CustodyError::SealUnstated { .. } => Code::CustodySeal,
            CustodyError::ItemLink { .. } => Code::CustodyItemLink,
            CustodyError::BadVerify { .. } => Code::EvidenceMismatch,
            CustodyError::DuplicateFile { .. } => Code::EvidenceDuplicateFile,
            CustodyError::UnderHold { .. } => Code::UnderHold,
            CustodyError::BadHold { .. } => Code::BadHold,
            CustodyError::BadProduction { .. } => Code::BadProduction,
            CustodyError::UnderRetention { .. } => Code::UnderRetention,
        }
    }
}

/// Facts an entry states that a court must see (SPEC §9.3): reported
/// beside the verdict, never a reason to fail it. Read from the entry
/// alone ([`stated`]); whether the statement is consistent with custody
/// is [`Custody::check`]'s job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A receipt that says the item's seal was not intact.
    SealBroken {
        /// The evidence item id.
        item: String,
    },
    /// A re-hash of a file (or, named `<name>/`, of a tree's content
    /// listing) that the entry says differed from the intake digests.
    DigestMismatch {
        /// The evidence item id.
        item: String,
        /// The file name as the intake lists it.
        file: String,
    },
    /// A self-check (`ledger.check`) that found problems (SPEC §13.10).
    SelfCheck {
        /// The entries it checked.
        size: u64,
        /// The §9 codes it found, as recorded.
        problems: Vec<String>,
    },
    /// A receipt refusing the transfer, with the receiver's reason.
    Refused {
        /// The evidence item id.
        item: String,
        /// The reason, as recorded.
        reason: String,
    },
    /// The condition the receiver recorded on receipt.
    Condition {
        /// The evidence item id.
        item: String,
        /// The condition, as recorded.
        text: String,
    },
}

/// The findings `entry` states (SPEC §9.3), in the order of that section.
pub fn stated(entry: &Entry) -> Vec<Finding> {
    let mut out = Vec::new();
    match &entry.body {
        Body::Domain(Domain::EvidenceVerify(b)) if !b.matches => {
            out.push(Finding::DigestMismatch {
                item: b.item.clone(),
                file: b.file.name.clone(),
            })
        }
        Body::Domain(Domain::LedgerCheck(c)) if !c.problems.is_empty() => {
            out.push(Finding::SelfCheck {
                size: c.size,
                problems: c.problems.clone(),
            })
        }
        Body::Domain(Domain::CustodyReceive(b)) => {
            if b.seal_intact == Some(false) {
                out.push(Finding::SealBroken {
                    item: b.item.clone(),
                });
            }
            if let Some(reason) = &b.rejected {
                out.push(Finding::Refused {
                    item: b.item.clone(),
                    reason: reason.clone(),
                });
            }
            if let Some(text) = &b.condition {
                out.push(Finding::Condition {
                    item: b.item.clone(),
                    text: text.clone(),
                });
            }
        }
        _ => {}
    }
    out
}

/// Every item's custody state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Custody {
    items: BTreeMap<String, ItemState>,
    /// Each item id in ASCII lower case -> the id as taken in: ids that
    /// differ only by letter case name one item (SPEC §13.2).
    folded: BTreeMap<String, String>,
    /// The latest valid entry about each item (SPEC §13.7): what the next
    /// entry's `item_prev` names and what a checkpoint's item map holds.
    heads: ItemHeads,
    /// Legal holds by id, released ones included (SPEC §13.9).
    holds: Holds,
    /// Discovery productions by the leaf hash of their entry (SPEC §13.11).
    productions: crate::rules::production::Productions,
    /// Each item's retention category (SPEC §13.12).
    retention: crate::rules::retention::Retentions,
}

/// Only the holder may release, dispose of, return, store or retrieve an
/// item, and not while a release of it is pending.
fn holder_only<'a>(
    s: &'a ItemState,
    author: &MemberKey,
    members: &Members,
) -> Result<&'a ItemState, CustodyError> {
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
    Ok(s)
}

/// An item in an evidence room is checked out before it is handed over,
/// disposed of, returned or checked in again (SPEC §13.6).
fn not_stored(s: &ItemState) -> Result<(), CustodyError> {
    match &s.stored {
        Some((at, seq)) => Err(CustodyError::Storage {
            item: s.item.clone(),
            reason: format!(
                "is in storage at {at} since seq {}; check it out first",
                seq.0
            ),
        }),
        None => Ok(()),
    }
}

/// A seal broken is one on the item now; a seal applied was never used on
/// it (SPEC §13.6).
fn check_seals(s: &ItemState, seals: &Seals) -> Result<(), CustodyError> {
    let bad = |seal: &String, reason: &str| CustodyError::Seal {
        item: s.item.clone(),
        seal: seal.clone(),
        reason: reason.to_owned(),
    };
    if let Some(b) = seals.broken.iter().find(|b| !s.seals.contains(*b)) {
        return Err(bad(b, "is not on the item"));
    }
    if let Some(a) = seals
        .applied
        .iter()
        .find(|a| s.seals.contains(*a) || s.retired.contains(*a))
    {
        return Err(bad(a, "was already used on the item"));
    }
    Ok(())
}

/// Seals after a handling: broken ones retired, applied ones added.
fn apply_seals(s: &mut ItemState, seals: &Seals) {
    for b in &seals.broken {
        s.seals.remove(b);
        s.retired.insert(b.clone());
    }
    s.seals.extend(seals.applied.iter().cloned());
}

impl Custody {
    /// No items.
    pub fn new() -> Custody {
        Custody::default()
    }

    /// From cached rows and each item's latest entry.
    pub fn from_list(list: Vec<ItemState>, heads: ItemHeads) -> Custody {
        let items: BTreeMap<String, ItemState> =
            list.into_iter().map(|s| (s.item.clone(), s)).collect();
        Custody {
            folded: items
                .keys()
                .map(|k| (k.to_ascii_lowercase(), k.clone()))
                .collect(),
            items,
            heads,
            holds: Holds::new(),
            productions: Default::default(),
            retention: Default::default(),
        }
    }

    /// With the holds of the cached `hold/` rows.
    pub fn with_holds(mut self, holds: Vec<Hold>) -> Custody {
        self.holds = holds.into_iter().map(|h| (h.hold.clone(), h)).collect();
        self
    }

    /// Every hold by id, released ones included.
    pub fn holds(&self) -> &Holds {
        &self.holds
    }

    /// With these productions (read from their rows at open).
    pub fn with_productions(
        mut self,
        p: Vec<crate::rules::production::ProductionState>,
    ) -> Custody {
        self.productions = p.into_iter().map(|p| (p.leaf, p)).collect();
        self
    }

    /// With these retention rows (read at open).
    pub fn with_retention(mut self, r: Vec<crate::rules::retention::Retention>) -> Custody {
        self.retention = r.into_iter().map(|r| (r.item.clone(), r)).collect();
        self
    }

    /// Each item's retention by item id (SPEC §13.12).
    pub fn retention(&self) -> &crate::rules::retention::Retentions {
        &self.retention
    }

    /// Every production by the leaf hash of its entry (SPEC §13.11).
    pub fn productions(&self) -> &crate::rules::production::Productions {
        &self.productions
    }

    /// Every item's latest entry (SPEC §13.7).
    pub fn heads(&self) -> &ItemHeads {
        &self.heads
    }

    /// The `item_prev` an entry with `body` must carry: the leaf hash of
    /// the latest entry about its item; `None` for an intake or an entry
    /// about no item.
    pub fn link_for(&self, body: &Body) -> Option<Hash> {
        match body {
            Body::Domain(d) if !matches!(d, Domain::EvidenceIntake(_)) => {
                self.heads.get(d.item()?).map(|(_, leaf)| *leaf)
            }
            _ => None,
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

    /// Check `entry` against custody so far; `Err` is a break. What the
    /// entry states for a court to see is [`stated`].
    pub fn check(
        &self,
        entry: &Entry,
        ledger: &LedgerId,
        members: &Members,
    ) -> Result<(), CustodyError> {
        let Body::Domain(d) = &entry.body else {
            return Ok(());
        };
        if let (Some(item), Some(got)) = (d.item(), entry.item_prev) {
            let last = self.heads.get(item).map(|(_, l)| *l);
            if last != Some(got) {
                return Err(CustodyError::ItemLink {
                    item: item.to_owned(),
                    latest: last,
                    got,
                });
            }
        }
        match d {
            Domain::EvidenceIntake(b) => self.check_intake(b),
            Domain::EvidenceVerify(b) => self.check_verify(b),
            Domain::EvidenceAttach(b) => self.check_attach(b),
            Domain::EvidenceDispose(b) | Domain::EvidenceReturn(b) => {
                self.check_close(d, b, entry, members)
            }
            Domain::RetentionSet(b) => b.items.iter().try_for_each(|i| self.open_item(i).map(drop)),
            Domain::DisclosureErased(_) | Domain::HoldPlace(_) | Domain::HoldRelease(_) => {
                self.check_holds(d)
            }
            Domain::CustodyRelease(b) => {
                let s = holder_only(self.open_item(&b.item)?, &entry.author, members)?;
                not_stored(s)?;
                match members.get(&b.to) {
                    Some(m) if m.revoked.is_none() && b.to != entry.author => {}
                    _ => return Err(CustodyError::BadReceiver(members.display(&b.to))),
                }
                check_seals(s, &b.seals)?;
                Ok(())
            }
            Domain::CustodyReceive(b) => self.check_receive(b, entry, ledger, members),
            Domain::Production(_) | Domain::ProductionReceipt(_) => {
                self.check_production(d, entry, ledger, members)
            }
            Domain::CustodyStore(b) => {
                let s = holder_only(self.open_item(&b.item)?, &entry.author, members)?;
                not_stored(s)?;
                check_seals(s, &b.seals)?;
                Ok(())
            }
            Domain::CustodyRetrieve(b) => {
                let s = holder_only(self.open_item(&b.item)?, &entry.author, members)?;
                if s.stored.is_none() {
                    return Err(CustodyError::Storage {
                        item: b.item.clone(),
                        reason: "checked out, but it is not in storage".into(),
                    });
                }
                check_seals(s, &b.seals)?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `evidence.dispose` and `evidence.return`: by the holder, not in
    /// storage, under no hold; a disposal also after the item's retention
    /// period (SPEC §13.2, §13.9, §13.12).
    fn check_close(
        &self,
        d: &Domain,
        b: &crate::format::kinds::EvidenceClose,
        entry: &Entry,
        members: &Members,
    ) -> Result<(), CustodyError> {
        not_stored(holder_only(
            self.open_item(&b.item)?,
            &entry.author,
            members,
        )?)?;
        let how = match d {
            Domain::EvidenceDispose(_) => "disposal",
            _ => "return",
        };
        self.not_held(Some(&b.item), || format!("{how} of {}", b.item))?;
        match (d, self.retention.get(&b.item)) {
            (Domain::EvidenceDispose(_), Some(r)) if r.forbids(entry.time.micros()) => {
                Err(CustodyError::UnderRetention {
                    item: b.item.clone(),
                    category: r.category.clone(),
                    set: r.set.0,
                    until: r.until,
                })
            }
            _ => Ok(()),
        }
    }

    /// SPEC §13.11: a `production` or `production.receipt`.
    fn check_production(
        &self,
        d: &Domain,
        entry: &Entry,
        ledger: &LedgerId,
        members: &Members,
    ) -> Result<(), CustodyError> {
        use crate::rules::production as p;
        let r = match d {
            Domain::Production(b) => {
                p::check_production(b, &entry.author, |i| self.items.contains_key(i), members)
            }
            Domain::ProductionReceipt(b) => {
                p::check_receipt(b, entry, ledger, &self.productions, members)
            }
            _ => Ok(()),
        };
        r.map_err(|reason| CustodyError::BadProduction { reason })
    }

    /// `evidence.intake`: an id not taken in before (to ASCII case), and a
    /// copy's source in evidence.
    fn check_intake(&self, b: &crate::format::kinds::EvidenceIntake) -> Result<(), CustodyError> {
        let same = self.folded.get(&b.item.to_ascii_lowercase());
        if let Some(s) = same.and_then(|id| self.items.get(id)) {
            return Err(CustodyError::DuplicateItem {
                item: b.item.clone(),
                taken_as: s.item.clone(),
                at: s.intake.0,
            });
        }
        // A copy is made from an item already in evidence (SPEC §13.5).
        match b.lineage.as_ref().and_then(|l| l.derived_from.as_ref()) {
            Some(src) if !self.items.contains_key(src) => {
                Err(CustodyError::UnknownItem(src.clone()))
            }
            _ => Ok(()),
        }
    }

    /// No legal hold in force covers `item` (`None`: an erasure).
    fn not_held(&self, item: Option<&str>, what: impl Fn() -> String) -> Result<(), CustodyError> {
        match holding(&self.holds, item) {
            Some(h) => Err(CustodyError::UnderHold {
                what: what(),
                hold: h.hold.clone(),
                placed: h.placed.0,
            }),
            None => Ok(()),
        }
    }

    /// SPEC §13.9: an erasure under no hold on the whole case; a hold
    /// placed or released as [`Self::check_place`] and this say.
    fn check_holds(&self, d: &Domain) -> Result<(), CustodyError> {
        let bad = |hold: &str, reason: String| CustodyError::BadHold {
            hold: hold.to_owned(),
            reason,
        };
        match d {
            Domain::HoldPlace(b) => self.check_place(b),
            Domain::HoldRelease(b) => match self.holds.get(&b.hold).map(|h| h.released) {
                Some(None) => Ok(()),
                Some(Some(at)) => Err(bad(&b.hold, format!("already released at seq {}", at.0))),
                None => Err(bad(&b.hold, "no hold was placed under this id".into())),
            },
            _ => self.not_held(None, || "an erasure".into()),
        }
    }

    /// `hold.place`: an id never used, and every item named taken in and
    /// not disposed of or returned.
    fn check_place(&self, b: &crate::format::kinds::HoldPlace) -> Result<(), CustodyError> {
        if let Some(h) = self.holds.get(&b.hold) {
            return Err(CustodyError::BadHold {
                hold: b.hold.clone(),
                reason: format!("the id was already used at seq {}", h.placed.0),
            });
        }
        for i in &b.items {
            self.open_item(i)?;
        }
        Ok(())
    }

    /// `evidence.attach`: an open item, and no name it already has.
    fn check_attach(&self, b: &crate::format::kinds::EvidenceAttach) -> Result<(), CustodyError> {
        let s = self.open_item(&b.item)?;
        match b.files.iter().find(|f| s.files.contains_key(&f.name)) {
            Some(f) => Err(CustodyError::DuplicateFile {
                item: b.item.clone(),
                name: f.name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// `evidence.verify`: the file was taken in, and the entry tells the
    /// truth about whether its digests still match (a mismatch is a
    /// recorded fact, not a break).
    fn check_verify(&self, b: &EvidenceVerify) -> Result<(), CustodyError> {
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
        Ok(())
    }

    /// `custody.receive`: answers the pending release, by the named
    /// receiver (or the holder importing the receiver's signed receipt).
    fn check_receive(
        &self,
        b: &CustodyReceive,
        entry: &Entry,
        ledger: &LedgerId,
        members: &Members,
    ) -> Result<(), CustodyError> {
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
        check_seals(s, &b.seals)?;
        // SPEC §13.6: the receipt of a sealed item states its seal's
        // condition; only an item with no seal may be received without.
        match (b.seal_intact, s.seals.iter().next()) {
            (None, Some(seal)) => Err(CustodyError::SealUnstated {
                item: b.item.clone(),
                seal: seal.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Apply a checked entry; returns the item rows it changed.
    pub fn apply(&mut self, entry: &Entry, leaf: &Hash) -> Vec<ItemState> {
        let Body::Domain(d) = &entry.body else {
            return Vec::new();
        };
        match d {
            Domain::HoldPlace(b) => {
                let h = Hold {
                    hold: b.hold.clone(),
                    placed: entry.seq,
                    items: b.items.clone(),
                    released: None,
                };
                self.holds.insert(b.hold.clone(), h);
            }
            Domain::HoldRelease(b) => {
                if let Some(h) = self.holds.get_mut(&b.hold) {
                    h.released = Some(entry.seq);
                }
            }
            Domain::RetentionSet(b) => {
                for i in &b.items {
                    let r = crate::rules::retention::Retention {
                        item: i.clone(),
                        category: b.category.clone(),
                        days: b.days,
                        set: entry.seq,
                        until: crate::rules::retention::Retention::end(entry.time.micros(), b.days),
                    };
                    self.retention.insert(i.clone(), r);
                }
            }
            Domain::Production(b) => {
                let p = crate::rules::production::ProductionState {
                    leaf: *leaf,
                    seq: entry.seq,
                    to: b.to,
                    manifest: b.manifest,
                };
                self.productions.insert(*leaf, p);
            }
            _ => {}
        }
        let Some(item) = d.item() else {
            return Vec::new();
        };
        self.heads.insert(item.to_owned(), (entry.seq, *leaf));
        match d {
            Domain::EvidenceIntake(b) => {
                self.folded
                    .insert(b.item.to_ascii_lowercase(), b.item.clone());
                self.items
                    .insert(b.item.clone(), ItemState::taken_in(b, entry));
            }
            // A re-hash changes no item row: nothing to write.
            Domain::EvidenceVerify(_) => return Vec::new(),
            _ => {
                if let Some(s) = self.items.get_mut(item) {
                    s.step(d, entry.seq, leaf);
                }
            }
        }
        self.items.get(item).cloned().into_iter().collect()
    }
}

impl ItemState {
    /// The state an intake starts (SPEC §13.2, §13.6).
    fn taken_in(b: &crate::format::kinds::EvidenceIntake, entry: &Entry) -> ItemState {
        ItemState {
            item: b.item.clone(),
            intake: entry.seq,
            holder: entry.author,
            pending: None,
            closed: None,
            // A tree is re-verified as one file named "<name>/" whose
            // digests are those of its content listing, and its manifest
            // is a file of the item (SPEC §13.8).
            files: b
                .files
                .iter()
                .chain(b.tree.iter().map(|t| &t.manifest))
                .map(|f: &FileFixity| (f.name.clone(), (f.blake3, f.sha256)))
                .chain(b.tree.iter().map(|t| (t.key(), (t.blake3, t.sha256))))
                .collect(),
            stored: None,
            seals: b.seal.iter().cloned().collect(),
            retired: BTreeSet::new(),
        }
    }

    /// One checked entry about this item, after its intake.
    fn step(&mut self, d: &Domain, seq: Seq, leaf: &Hash) {
        match d {
            Domain::CustodyRelease(b) => {
                self.pending = Some((*leaf, b.to));
                apply_seals(self, &b.seals);
            }
            Domain::CustodyReceive(b) => {
                // A refused transfer answers the release; the releaser
                // keeps the item (SPEC §13.2).
                if let Some((_, to)) = self.pending.take().filter(|_| b.rejected.is_none()) {
                    self.holder = to;
                }
                apply_seals(self, &b.seals);
            }
            Domain::CustodyStore(b) => {
                self.stored = Some((b.location.clone(), seq));
                apply_seals(self, &b.seals);
            }
            Domain::CustodyRetrieve(b) => {
                self.stored = None;
                apply_seals(self, &b.seals);
            }
            Domain::EvidenceAttach(b) => {
                for f in &b.files {
                    self.files.insert(f.name.clone(), (f.blake3, f.sha256));
                }
            }
            Domain::EvidenceDispose(_) => self.closed = Some(("disposed".into(), seq)),
            Domain::EvidenceReturn(_) => self.closed = Some(("returned".into(), seq)),
            _ => {}
        }
    }
}

/// The custody state machine on its own (no store): each rule of SPEC
/// §13.2 and §13.6 broken once, after the steps that make it reachable.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::edtf::Edtf;
    use crate::format::entry::Profile;
    use crate::format::handling::Seals;
    use crate::format::ids::Timestamp;
    use crate::format::kinds::{CustodyRelease, EvidenceClose, EvidenceIntake};
    use crate::rules::policy::Member;

    const A: MemberKey = MemberKey([1; 32]);
    const B: MemberKey = MemberKey([2; 32]);
    const C: MemberKey = MemberKey([3; 32]);

    fn members() -> Members {
        let m = |name: &str, key, role| Member {
            name: name.into(),
            role,
            key,
            enrolled: Seq(0),
            revoked: None,
            profile: Profile::default(),
        };
        Members::from_list(vec![
            m("Custodian A", A, Role::Custodian),
            m("Lab B", B, Role::Investigator),
            m("Counsel C", C, Role::Counsel),
        ])
    }

    /// A case's custody as entries go by: each checked, then applied.
    struct Case {
        custody: Custody,
        members: Members,
        seq: u64,
        ledger: LedgerId,
    }

    impl Case {
        fn new() -> Case {
            Case {
                custody: Custody::new(),
                members: members(),
                seq: 1,
                ledger: LedgerId([7; 16]),
            }
        }

        /// The entry `author` would append next (its item link set).
        fn entry(&self, author: MemberKey, d: Domain) -> Entry {
            let item_prev = d
                .item()
                .and_then(|i| self.custody.heads().get(i).map(|(_, l)| *l))
                .filter(|_| !matches!(d, Domain::EvidenceIntake(_)));
            Entry {
                ledger: self.ledger,
                seq: Seq(self.seq),
                prev: Hash([0; 32]),
                time: Timestamp::parse("2008-10-09T21:05:00.000000Z").unwrap(),
                author,
                body: Body::Domain(d),
                sd: Vec::new(),
                item_prev,
            }
        }

        fn try_step(&mut self, author: MemberKey, d: Domain) -> Result<Hash, CustodyError> {
            let e = self.entry(author, d);
            self.custody.check(&e, &self.ledger, &self.members)?;
            let leaf = Hash([self.seq as u8; 32]);
            self.custody.apply(&e, &leaf);
            self.seq += 1;
            Ok(leaf)
        }

        fn step(&mut self, author: MemberKey, d: Domain) -> Hash {
            self.try_step(author, d).expect("custody: a valid step")
        }
    }

    fn intake(item: &str, seal: Option<&str>) -> Domain {
        Domain::EvidenceIntake(EvidenceIntake {
            zone: None,
            device: None,
            lineage: None,
            tree: None,
            item: item.into(),
            description: "extortion letter".into(),
            collected_by: "Custodian A".into(),
            collected: Edtf::parse("2008-10~").unwrap(),
            location: None,
            seal: seal.map(str::to_owned),
            files: vec![],
        })
    }

    fn release(item: &str, to: MemberKey) -> Domain {
        Domain::CustodyRelease(CustodyRelease {
            item: item.into(),
            to,
            reason: "latent prints".into(),
            location: None,
            authority: None,
            transport: None,
            seals: Seals::default(),
        })
    }

    fn receive(item: &str, release: Hash, seal_intact: Option<bool>) -> Domain {
        Domain::CustodyReceive(CustodyReceive {
            item: item.into(),
            release,
            seal_intact,
            condition: None,
            rejected: None,
            seals: Seals::default(),
            receipt: None,
        })
    }

    #[test]
    fn a_transfer_moves_the_item_and_each_break_is_named() {
        let mut c = Case::new();
        c.step(A, intake("EV-1", None));
        assert!(matches!(
            c.try_step(B, intake("ev-1", None)),
            Err(CustodyError::DuplicateItem { at: 1, .. })
        ));
        assert!(matches!(
            c.try_step(B, release("EV-1", C)),
            Err(CustodyError::NotHolder { .. })
        ));
        assert!(matches!(
            c.try_step(A, release("EV-1", MemberKey([9; 32]))),
            Err(CustodyError::BadReceiver(_))
        ));
        assert!(matches!(
            c.try_step(A, release("EV-2", B)),
            Err(CustodyError::UnknownItem(_))
        ));
        let r = c.step(A, release("EV-1", B));
        assert!(matches!(
            c.try_step(A, release("EV-1", C)),
            Err(CustodyError::DoubleRelease { .. })
        ));
        assert!(matches!(
            c.try_step(C, receive("EV-1", r, None)),
            Err(CustodyError::WrongReceiver { .. })
        ));
        assert!(matches!(
            c.try_step(B, receive("EV-1", Hash([0xee; 32]), None)),
            Err(CustodyError::WrongRelease { .. })
        ));
        c.step(B, receive("EV-1", r, None));
        assert_eq!(c.custody.get("EV-1").unwrap().holder, B);
        // The old holder may no longer release it; the new one may.
        assert!(matches!(
            c.try_step(A, release("EV-1", C)),
            Err(CustodyError::NotHolder { .. })
        ));
        c.step(B, release("EV-1", C));
    }

    #[test]
    fn a_sealed_items_receipt_must_state_the_seal_and_nothing_follows_disposal() {
        let mut c = Case::new();
        c.step(A, intake("EV-1", Some("S-1")));
        let r = c.step(A, release("EV-1", B));
        assert!(matches!(
            c.try_step(B, receive("EV-1", r, None)),
            Err(CustodyError::SealUnstated { .. })
        ));
        c.step(B, receive("EV-1", r, Some(true)));
        c.step(
            B,
            Domain::EvidenceDispose(EvidenceClose {
                item: "EV-1".into(),
                detail: "shredded".into(),
                reason: "case closed".into(),
            }),
        );
        assert!(matches!(
            c.try_step(B, release("EV-1", C)),
            Err(CustodyError::AfterDisposal { .. })
        ));
    }

    #[test]
    fn an_item_link_must_name_the_latest_entry_about_the_item() {
        let mut c = Case::new();
        c.step(A, intake("EV-1", None));
        let mut e = c.entry(A, release("EV-1", B));
        e.item_prev = Some(Hash([0x55; 32]));
        assert!(matches!(
            c.custody.check(&e, &c.ledger, &c.members),
            Err(CustodyError::ItemLink { .. })
        ));
    }
}
