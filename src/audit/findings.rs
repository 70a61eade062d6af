//! What an entry states for a court to see (SPEC §9.3), as report
//! [`Finding`]s naming who recorded it. Used by both verifiers' engine and
//! by `custody show`, so every output words a finding the same way.

use crate::format::entry::{Body, Entry};
use crate::format::kinds::Domain;
use crate::rules::custody::{self, Custody, Finding as Stated};
use crate::rules::policy::Members;

use super::report::{CopyCheck, Finding, FindingCode as F};

/// The findings of `entry` (at `seq`), with its author named as `members`
/// names them and the intake digests `custody` holds; a copy finding
/// starts as [`CopyCheck::NotChecked`] until a caller re-hashes the copy.
pub fn findings_of(seq: u64, entry: &Entry, members: &Members, custody: &Custody) -> Vec<Finding> {
    let mut by = members.display(&entry.author);
    if let Body::Domain(Domain::CustodyReceive(b)) = &entry.body {
        if let Some(rc) = &b.receipt {
            by = format!("{by} (receipt signed by {})", members.display(&rc.key));
        }
    }
    let mut out = Vec::new();
    for f in custody::stated(entry) {
        let (code, item, detail) = match f {
            Stated::SealBroken { item } => (F::SealBroken, item, String::new()),
            Stated::DigestMismatch { item, file } if file.ends_with('/') => {
                (F::TreeDiffered, item, file)
            }
            Stated::DigestMismatch { item, file } => (F::CopyDiffered, item, file),
            Stated::Refused { item, reason } => (F::TransferRefused, item, reason),
            Stated::Condition { item, text } => (F::ReceiptCondition, item, text),
            Stated::SelfCheck { size, problems } => (
                F::SelfCheckProblems,
                String::new(),
                format!("{size}: {}", problems.join(", ")),
            ),
        };
        // A tree's own copy is its manifest and any stored files, which
        // `verify --evidence` reports on as problems.
        let copy = code == F::CopyDiffered;
        let intake_blake3 = copy
            .then(|| custody.get(&item)?.files.get(&detail).map(|(b3, _)| *b3))
            .flatten();
        out.push(Finding {
            code,
            seq,
            item,
            by: by.clone(),
            detail,
            intake_blake3,
            copy: copy.then_some(CopyCheck::NotChecked),
        });
    }
    out
}
