//! A sample of signed forgeries over caselog's golden ledger (SPEC §16):
//! each is re-signed with the members' own keys (the golden vector
//! publishes their seeds) and re-chained, so only the rule it breaks can
//! show it; the verifier must name that rule's code (SPEC §9). A control
//! (the same ledger, rebuilt unchanged) must verify.

use super::{json, Suite};
use crate::audit::engine::ChainVerifier;
use crate::audit::Code;
use crate::format::entry::{Body, Entry, MemberEnroll, MemberRevoke, Note, Record};
use crate::format::hash::{Hash, HashAlg};
use crate::format::ids::{LedgerId, MemberKey, Role, Seq, Timestamp};
use crate::format::sig::Signer;

/// One forgery: its name, the code it must be reported with (`None`: a
/// control that must verify), and how it changes the golden entries.
type Case = (&'static str, Option<Code>, fn(&mut Vec<Entry>, &Keys));

struct Keys {
    authority: Signer,
    investigator: Signer,
    outsider: Signer,
}

const CASES: [Case; 7] = [
    (
        "control: the golden ledger rebuilt unchanged",
        None,
        |_, _| {},
    ),
    (
        "a note by the investigator after their revocation",
        Some(Code::RevokedAuthor),
        |e, k| {
            let n = note(e, &k.investigator.public(), "written after revocation");
            e.push(n);
        },
    ),
    (
        "a note signed by a key never enrolled",
        Some(Code::UnknownAuthor),
        |e, k| {
            let n = note(e, &k.outsider.public(), "by an outsider");
            e.push(n);
        },
    ),
    (
        "a member enrolled by the investigator",
        Some(Code::RoleNotAllowed),
        |e, k| {
            e[2].body = Body::MemberEnroll(MemberEnroll {
                profile: Default::default(),
                name: "Accomplice".into(),
                role: Role::Authority,
                key: k.outsider.public(),
            });
        },
    ),
    (
        "an entry dated before the one it follows",
        Some(Code::TimeBackwards),
        |e, _| {
            e[3].time = Timestamp::from_micros(e[2].time.micros() - 1_000_000)
                .expect("validation: time in range");
        },
    ),
    (
        "an entry left out (its seq skipped)",
        Some(Code::SeqGap),
        |e, _| {
            e.remove(3);
        },
    ),
    (
        "the last authority revoked",
        Some(Code::BadMembership),
        |e, k| {
            e[5].body = Body::MemberRevoke(MemberRevoke {
                key: k.authority.public(),
                reason: "no authority left".into(),
            });
        },
    ),
];

fn note(e: &[Entry], author: &MemberKey, text: &str) -> Entry {
    let last = e.last().expect("validation: the golden ledger has entries");
    Entry {
        seq: Seq(last.seq.0 + 1),
        time: last.time,
        author: *author,
        body: Body::Note(Note { text: text.into() }),
        sd: Vec::new(),
        item_prev: None,
        ..last.clone()
    }
}

/// Re-chain and re-sign (each by its author's key); `seq` is kept as the
/// forgery left it.
fn rebuild(alg: HashAlg, entries: &[Entry], keys: &Keys) -> Option<Vec<Vec<u8>>> {
    let signers = [&keys.authority, &keys.investigator, &keys.outsider];
    let mut prev = Hash::ZERO;
    let mut out = Vec::new();
    for e in entries {
        let mut e = e.clone();
        e.prev = prev;
        let s = signers.iter().find(|s| s.public() == e.author)?;
        let raw = Record::sign(&e, s).ok()?.encode();
        prev = alg.leaf(&raw);
        out.push(raw);
    }
    Some(out)
}

pub(super) fn suite(text: &str) -> Suite {
    let mut s = Suite::new(
        "signed-forgeries",
        "caselog tests/vectors/ledger-sha256.json re-signed with its published member seeds (SPEC §9, §16)",
    );
    let v = json(text);
    let seed = |k: &str| -> Option<[u8; 32]> { hex::decode(v[k].as_str()?).ok()?.try_into().ok() };
    let (Some(a), Some(i)) = (seed("authority_seed"), seed("investigator_seed")) else {
        s.case(|| "seeds".into(), false);
        return s;
    };
    let keys = Keys {
        authority: Signer::from_seed("authority", &a),
        investigator: Signer::from_seed("investigator", &i),
        outsider: Signer::from_seed("outsider", &[0x7e; 32]),
    };
    let golden: Option<Vec<Entry>> = v["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let raw = hex::decode(e["record"].as_str()?).ok()?;
            Entry::decode(&Record::decode(&raw).ok()?.entry_bytes).ok()
        })
        .collect();
    let Some(golden) = golden.filter(|g| g.len() > 5) else {
        s.case(|| "golden entries decode".into(), false);
        return s;
    };
    let ledger: LedgerId = golden[0].ledger;
    for (name, want, forge) in CASES {
        let mut entries = golden.clone();
        forge(&mut entries, &keys);
        let codes: Option<Vec<Code>> = rebuild(HashAlg::Sha256, &entries, &keys).map(|records| {
            let mut cv = ChainVerifier::for_ledger(HashAlg::Sha256, ledger);
            for (pos, raw) in records.iter().enumerate() {
                let seq = entries[pos].seq.0;
                let _ = pos;
                cv.push(seq, raw);
            }
            cv.finish().problems.iter().map(|p| p.code).collect()
        });
        let ok = match (want, codes) {
            (None, Some(c)) => c.is_empty(),
            (Some(w), Some(c)) => c.contains(&w),
            (_, None) => false,
        };
        s.case(|| name.to_owned(), ok);
    }
    s
}
