//! The kinds of SPEC §5 in one table: each kind's name (written in an
//! entry's `kind`) and the roles that may append it (SPEC §5, §6).
//! `tests/spec_sync.rs` holds this table, SPEC §5 and `entry.cddl` to the
//! same names and roles. Per-item rules beyond the role (who holds an item,
//! who was named as receiver) are the custody state machine's
//! (`rules::custody`).

use std::fmt;

use crate::format::ids::Role;

/// An entry kind (SPEC §5).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[non_exhaustive]
pub enum Kind {
    /// `ledger.open`: the genesis entry.
    LedgerOpen,
    /// `member.enroll`
    MemberEnroll,
    /// `member.revoke`
    MemberRevoke,
    /// `note`: free text.
    Note,
    /// `event`: something that happened in the incident.
    Event,
    /// `notification`: who was told what, when.
    Notification,
    /// `action`: an investigative action.
    Action,
    /// `evidence.intake`
    EvidenceIntake,
    /// `evidence.verify`
    EvidenceVerify,
    /// `evidence.dispose`
    EvidenceDispose,
    /// `evidence.return`
    EvidenceReturn,
    /// `custody.release`
    CustodyRelease,
    /// `custody.receive`
    CustodyReceive,
    /// `correction`
    Correction,
    /// `disclosure.erased`
    DisclosureErased,
    /// `custody.store`: check-in to an evidence room (SPEC §13.6).
    CustodyStore,
    /// `custody.retrieve`: check-out of an evidence room (SPEC §13.6).
    CustodyRetrieve,
    /// `void`: an earlier entry was entered in error (SPEC §13.4).
    Void,
    /// `evidence.attach`: further files of an item (SPEC §13.5).
    EvidenceAttach,
    /// `hold.place`: a legal hold placed (SPEC §13.9).
    HoldPlace,
    /// `hold.release`: a legal hold released (SPEC §13.9).
    HoldRelease,
    /// `ledger.check`: a self-check's result (SPEC §13.10).
    LedgerCheck,
    /// `production`: a discovery package handed over (SPEC §13.11).
    Production,
    /// `production.receipt`: its recipient acknowledged it (SPEC §13.11).
    ProductionReceipt,
    /// `export.reveal`: private values exported, and why (SPEC §15.1).
    ExportReveal,
    /// `retention.set`: items' retention category and period (SPEC §13.12).
    RetentionSet,
}

use Role::{Authority as A, Counsel as C, Custodian as K, External as X, Investigator as I};

/// (kind, name, roles that may append it). `ledger.open` lists none: it is
/// only at seq 0, signed by the key its own body names (SPEC §6 rule 1).
const TABLE: [(Kind, &str, &[Role]); 26] = [
    (Kind::LedgerOpen, "ledger.open", &[]),
    (Kind::MemberEnroll, "member.enroll", &[A]),
    (Kind::MemberRevoke, "member.revoke", &[A]),
    (Kind::Note, "note", &[A, I, K, C]),
    (Kind::Event, "event", &[A, I, C]),
    (Kind::Notification, "notification", &[A, I, C]),
    (Kind::Action, "action", &[A, I, C]),
    (Kind::EvidenceIntake, "evidence.intake", &[A, I, K]),
    (Kind::EvidenceVerify, "evidence.verify", &[A, I, K]),
    (Kind::EvidenceDispose, "evidence.dispose", &[A, I, K]),
    (Kind::EvidenceReturn, "evidence.return", &[A, I, K]),
    (Kind::CustodyRelease, "custody.release", &[A, I, K, C]),
    (Kind::CustodyReceive, "custody.receive", &[A, I, K, C, X]),
    (Kind::Correction, "correction", &[A, I, K, C]),
    (Kind::DisclosureErased, "disclosure.erased", &[A]),
    (Kind::CustodyStore, "custody.store", &[A, I, K]),
    (Kind::CustodyRetrieve, "custody.retrieve", &[A, I, K]),
    (Kind::Void, "void", &[A, I, K, C]),
    (Kind::EvidenceAttach, "evidence.attach", &[A, I, K]),
    (Kind::HoldPlace, "hold.place", &[A]),
    (Kind::HoldRelease, "hold.release", &[A]),
    (Kind::LedgerCheck, "ledger.check", &[A, I, K]),
    (Kind::Production, "production", &[A, I, C]),
    (
        Kind::ProductionReceipt,
        "production.receipt",
        &[A, I, K, C, X],
    ),
    (Kind::ExportReveal, "export.reveal", &[A, I, C]),
    (Kind::RetentionSet, "retention.set", &[A]),
];

impl Kind {
    /// Every kind, in registry order (SPEC §5).
    pub const ALL: [Kind; 26] = {
        let mut all = [Kind::LedgerOpen; 26];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (Kind, &'static str, &'static [Role]) {
        let row = &TABLE[self as usize];
        assert!(row.0 == self, "kind: table out of order at {self:?}");
        row
    }

    /// The name written in an entry's `kind`.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The kind of a name; `None` for a name SPEC §5 does not define.
    pub fn from_name(name: &str) -> Option<Kind> {
        TABLE.iter().find(|r| r.1 == name).map(|r| r.0)
    }

    /// The roles that may append this kind (SPEC §5); empty for `ledger.open`.
    pub fn roles(self) -> &'static [Role] {
        self.row().2
    }

    /// Whether a member with `role` may append this kind at all.
    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_table_is_in_order() {
        for (i, k) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(k as usize, i);
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("no.such.kind"), None);
        assert_eq!(Kind::from_name("Note"), None);
    }

    #[test]
    fn role_table() {
        assert!(Kind::MemberEnroll.allows(Role::Authority));
        assert!(!Kind::MemberEnroll.allows(Role::Investigator));
        assert!(!Kind::MemberRevoke.allows(Role::Counsel));
        assert!(Kind::Note.allows(Role::Investigator));
        assert!(!Kind::Note.allows(Role::External));
        assert!(Kind::CustodyReceive.allows(Role::External));
        for r in Role::ALL {
            assert!(!Kind::LedgerOpen.allows(r));
        }
    }
}
