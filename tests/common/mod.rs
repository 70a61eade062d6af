//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use caselog::entry::{Body, MemberEnroll, MemberRevoke, Note};
use caselog::keys::Signer;
use caselog::{Genesis, HashAlg, Ledger, LedgerId, Role, Timestamp};

pub fn authority() -> Signer {
    Signer::from_seed("Authority (test)", &[0x01; 32])
}
pub fn investigator() -> Signer {
    Signer::from_seed("Det. Roe (test)", &[0x02; 32])
}
pub fn outsider() -> Signer {
    Signer::from_seed("Outsider (test)", &[0x03; 32])
}

/// 2008-10-09T12:00:00.000000Z plus `n` seconds.
pub fn t(n: i64) -> Timestamp {
    Timestamp::from_micros(1_223_553_600_000_000 + n * 1_000_000).unwrap()
}

pub const LEDGER_ID: LedgerId = LedgerId([
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
]);

pub fn note(s: &str) -> Body {
    Body::Note(Note { text: s.into() })
}

/// The small fixed ledger the golden vectors pin: 7 entries.
pub fn build_small(dir: &Path, alg: HashAlg) -> Ledger {
    build_small_with_id(dir, alg, LEDGER_ID)
}

pub fn build_small_with_id(dir: &Path, alg: HashAlg, id: LedgerId) -> Ledger {
    build_small_prefix(dir, alg, id, 7)
}

/// The first `n` (1..=7) entries of the golden fixture.
pub fn build_small_prefix(dir: &Path, alg: HashAlg, id: LedgerId, n: usize) -> Ledger {
    let a = authority();
    let i = investigator();
    let mut l = Ledger::init(
        dir,
        Genesis {
            case_id: "EXT-2008-TEST",
            title: "Extortion letter (test fixture)",
            hash: alg,
            time: t(0),
            ledger_id: Some(id),
            checkpoint_every: None,
        },
        &a,
    )
    .unwrap();
    let items: Vec<(Body, &Signer, i64)> = vec![
        (
            Body::MemberEnroll(MemberEnroll {
                name: i.name().into(),
                role: Role::Investigator,
                key: i.public(),
            }),
            &a,
            60,
        ),
        (
            note("Letter received; holds names, SSNs and birth dates of 75 members"),
            &i,
            120,
        ),
        (note("Company spokesperson informed"), &a, 180),
        (note("Outside investigation engaged"), &i, 240),
        (
            Body::MemberRevoke(MemberRevoke {
                key: i.public(),
                reason: "reassigned".into(),
            }),
            &a,
            300,
        ),
        (note("Reward announced"), &a, 360),
    ];
    for (body, signer, secs) in items.into_iter().take(n.saturating_sub(1)) {
        l.append_at(body, signer, t(secs)).unwrap();
    }
    l
}
