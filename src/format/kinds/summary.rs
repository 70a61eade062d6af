//! The one-line English summary of each investigation body, as logs,
//! `custody show` and the timeline print it.

use super::*;

impl Domain {
    /// One line for logs, naming members by key id.
    pub fn summary(&self) -> String {
        self.summary_with(&|k| format!("key {}", k.short()))
    }

    /// One line for logs, naming members with `name` (a reader with the
    /// membership gives their names).
    pub fn summary_with(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::Event(b) => format!("[{}] {}", dated(&b.occurred, &b.zone), b.title),
            Domain::Notification(b) => format!(
                "[{}] {} notified {}{} by {}{}",
                dated(&b.sent, &b.zone),
                b.by,
                b.to,
                b.count.map(|c| format!(" ({c})")).unwrap_or_default(),
                b.channel,
                b.subject
                    .as_ref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default()
            ),
            Domain::Action(b) => format!(
                "[{}] {}{}{}",
                dated(&b.occurred, &b.zone),
                b.title,
                by_unless_said(&b.title, &b.by),
                b.authority
                    .as_ref()
                    .map(|a| format!(" under {a}"))
                    .unwrap_or_default()
            ),
            Domain::EvidenceIntake(_)
            | Domain::EvidenceAttach(_)
            | Domain::EvidenceVerify(_)
            | Domain::EvidenceDispose(_)
            | Domain::EvidenceReturn(_)
            | Domain::CustodyRelease(_)
            | Domain::CustodyReceive(_)
            | Domain::CustodyStore(_)
            | Domain::CustodyRetrieve(_) => self.evidence_summary(name),
            Domain::DisclosureErased(b) => format!(
                "private field {} of entry {} erased: {}{}",
                b.path,
                &b.target.to_hex()[..16],
                b.reason,
                b.authority
                    .as_ref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            ),
            Domain::HoldPlace(_)
            | Domain::HoldRelease(_)
            | Domain::LedgerCheck(_)
            | Domain::RetentionSet(_) => self.record_summary(),
            Domain::Production(_) | Domain::ProductionReceipt(_) | Domain::ExportReveal(_) => {
                self.production_summary(name)
            }
            Domain::Void(b) => format!(
                "VOID: entry {} entered in error: {}",
                &b.target.to_hex()[..16],
                b.reason
            ),
            Domain::Correction(b) => format!(
                "correction of {}: {} ({})",
                &b.target.to_hex()[..16],
                b.set
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                b.reason
            ),
        }
    }

    /// [`Domain::summary_with`] for discovery productions.
    fn production_summary(
        &self,
        name: &dyn Fn(&crate::format::ids::MemberKey) -> String,
    ) -> String {
        match self {
            Domain::Production(b) => format!(
                "production to {} under {}: {} ({} file(s), Bates {}{:06} to {}{:06}{}; manifest SHA-256 {})",
                name(&b.to),
                b.authority,
                b.items.join(", "),
                b.files,
                b.bates_prefix,
                b.bates_first,
                b.bates_prefix,
                b.bates_last,
                if b.timeline { "; with the court report" } else { "" },
                &hex::encode(b.manifest)[..16]
            ),
            Domain::ProductionReceipt(b) => format!(
                "production {} received: manifest SHA-256 {}{}",
                &b.production.to_hex()[..16],
                &hex::encode(b.manifest)[..16],
                b.receipt
                    .as_ref()
                    .map(|r| format!(" (acknowledgement signed by {} at {})", name(&r.key), r.time))
                    .unwrap_or_default()
            ),
            Domain::ExportReveal(b) => format!(
                "private fields {} revealed in an export ({}) to {} (SHA-256 {}): {}",
                b.fields.join(", "),
                b.export,
                b.file,
                &hex::encode(b.sha256)[..16],
                b.purpose
            ),
            _ => unreachable!("summary: production_summary is called for productions and exports only"),
        }
    }

    /// [`Domain::summary_with`] for holds and self-checks.
    fn record_summary(&self) -> String {
        match self {
            Domain::HoldPlace(b) => format!(
                "legal hold {} placed on {} under {}: {}",
                b.hold,
                if b.items.is_empty() {
                    "the whole case".to_owned()
                } else {
                    b.items.join(", ")
                },
                b.authority,
                b.reason
            ),
            Domain::HoldRelease(b) => format!("legal hold {} released: {}", b.hold, b.reason),
            Domain::RetentionSet(b) => format!(
                "retention category {:?} ({} days from this entry, under {}) set for {}",
                b.category,
                b.days,
                b.authority,
                b.items.join(", ")
            ),
            Domain::LedgerCheck(b) => format!(
                "self-check of the {} entries before it ({}): {}; {} stored cop(ies), {} bytes, re-hashed",
                b.size,
                b.tool,
                if b.problems.is_empty() {
                    "no problem found".to_owned()
                } else {
                    format!("PROBLEMS FOUND: {}", b.problems.join(", "))
                },
                b.copies,
                b.copy_bytes
            ),
            _ => unreachable!("summary: record_summary is called for holds and checks only"),
        }
    }

    /// [`Domain::summary_with`] for evidence and custody entries.
    fn evidence_summary(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::EvidenceIntake(b) => format!(
                "[{}] {} taken in: {} ({}){}",
                dated(&b.collected, &b.zone),
                b.item,
                b.description,
                intake_contents(b),
                b.lineage
                    .as_ref()
                    .map(|l| format!("; {}", l.describe()))
                    .unwrap_or_default()
            ),
            Domain::EvidenceAttach(b) => format!(
                "{}: {} file(s) attached: {} ({})",
                b.item,
                b.files.len(),
                b.description,
                b.files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Domain::EvidenceVerify(b) => format!(
                "{} file {} re-hashed: {}",
                b.item,
                b.file.name,
                if b.matches {
                    "digests match those recorded when it was taken in"
                } else {
                    "DIGESTS DIFFER from those recorded when it was taken in"
                }
            ),
            Domain::EvidenceDispose(b) => {
                format!("{} disposed ({}): {}", b.item, b.detail, b.reason)
            }
            Domain::EvidenceReturn(b) => {
                format!("{} returned to {}: {}", b.item, b.detail, b.reason)
            }
            _ => self.custody_summary(name),
        }
    }

    /// [`Domain::summary_with`] for custody handlings.
    fn custody_summary(&self, name: &dyn Fn(&crate::format::ids::MemberKey) -> String) -> String {
        match self {
            Domain::CustodyRelease(b) => format!(
                "{} released to {}: {}{}{}{}",
                b.item,
                name(&b.to),
                b.reason,
                b.authority
                    .as_ref()
                    .map(|a| format!(" under {a}"))
                    .unwrap_or_default(),
                b.transport
                    .as_ref()
                    .map(|t| format!("; transport: {t}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyReceive(b) => format!(
                "{} {}{}{}{}{}{}{}",
                b.item,
                if b.rejected.is_some() {
                    "REFUSED by the receiver"
                } else {
                    "received"
                },
                if b.receipt.is_some() {
                    " (external receipt)"
                } else {
                    ""
                },
                b.rejected
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                if b.rejected.is_some() { "; " } else { ", " },
                match b.seal_intact {
                    Some(true) => "seal recorded as intact",
                    Some(false) => "seal recorded as NOT intact",
                    None => "no seal",
                },
                b.condition
                    .as_ref()
                    .map(|c| format!("; condition: {c}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyStore(b) => format!(
                "{} checked in to {}{}{}",
                b.item,
                b.location,
                b.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                seals_phrase(&b.seals)
            ),
            Domain::CustodyRetrieve(b) => format!(
                "{} checked out of storage: {}{}",
                b.item,
                b.reason,
                seals_phrase(&b.seals)
            ),
            _ => unreachable!("kinds: custody_summary called for another kind"),
        }
    }
}

/// `2008-10-09T14:05:00 America/Los_Angeles`: a date with its zone as given.
fn dated(d: &Edtf, zone: &Option<String>) -> String {
    match zone {
        Some(z) => format!("{d} {z}"),
        None => d.to_string(),
    }
}

/// "2 files", "tree drive/: 51 files, 1275003 bytes", or both.
fn intake_contents(b: &EvidenceIntake) -> String {
    let n = b.files.len();
    let files = format!("{n} file{}", if n == 1 { "" } else { "s" });
    match &b.tree {
        None => files,
        Some(t) => {
            let tree = format!("tree {}: {} files, {} bytes", t.key(), t.files, t.bytes);
            if n == 0 {
                tree
            } else {
                format!("{files}; {tree}")
            }
        }
    }
}

/// "; seal S-1 broken, seal S-2 applied", or nothing.
fn seals_phrase(s: &Seals) -> String {
    s.describe().map(|d| format!("; {d}")).unwrap_or_default()
}

/// " by WHO", unless the title already says it ("... engaged by the PBM").
fn by_unless_said(title: &str, by: &str) -> String {
    let said = title
        .to_lowercase()
        .contains(&format!("by {}", by.to_lowercase()));
    if said {
        String::new()
    } else {
        format!(" by {by}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(title: &str, by: &str) -> Domain {
        Domain::Action(Action {
            zone: None,
            title: title.into(),
            by: by.into(),
            occurred: Edtf::parse("2008-11~").unwrap(),
            authority: None,
            outcome: None,
        })
    }

    #[test]
    fn an_action_names_its_agent_once() {
        assert_eq!(
            action("Investigation engaged by the PBM", "the PBM").summary(),
            "[2008-11~] Investigation engaged by the PBM"
        );
        assert_eq!(
            action("Outside investigation engaged", "the company").summary(),
            "[2008-11~] Outside investigation engaged by the company"
        );
    }

    #[test]
    fn a_release_names_its_receiver_as_the_reader_knows_them() {
        let d = Domain::CustodyRelease(CustodyRelease {
            item: "EV-0001".into(),
            to: MemberKey([7; 32]),
            reason: "examination".into(),
            location: None,
            authority: None,
            transport: None,
            seals: Seals::default(),
        });
        assert!(d
            .summary()
            .starts_with("EV-0001 released to key 0707070707070707:"));
        assert_eq!(
            d.summary_with(&|_| "Outside forensic agency".into()),
            "EV-0001 released to Outside forensic agency: examination"
        );
    }
}
