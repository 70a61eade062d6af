//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

pub mod agent;
pub mod tsp;

use caselog::format::entry::{Body, MemberEnroll, MemberRevoke, Note};
use caselog::storage::keys::Signer;
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
            zone: None,
        },
        &a,
    )
    .unwrap();
    let items: Vec<(Body, &Signer, i64)> = vec![
        (
            Body::MemberEnroll(MemberEnroll {
                profile: Default::default(),
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

/// The Python of the venv tools/test makes for tools/verify-bundle
/// ($CASELOG_PYTHON, default ~/.cache/caselog/venv/bin/python).
pub fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CASELOG_PYTHON") {
        return p.into();
    }
    let home = std::env::var_os("HOME").expect("HOME");
    let p = Path::new(&home).join(".cache/caselog/venv/bin/python");
    assert!(
        p.exists(),
        "no Python venv for tools/verify-bundle: run tools/test (it creates {})",
        p.display()
    );
    p
}

/// The independent verifier.
pub fn verify_bundle_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verify-bundle")
}

/// Run tools/verify-bundle --batch over every file in `dir`: for each,
/// its name and the codes it reported (empty: VERIFIED).
pub fn python_batch(
    dir: &Path,
    trust: &[caselog::tlog::note::VerifierKey],
    witnesses: &[caselog::tlog::note::VerifierKey],
    quorum: usize,
) -> Vec<(String, std::collections::BTreeSet<String>)> {
    python_batch_with(dir, trust, witnesses, quorum, None)
}

/// [`python_batch`], with TSA roots (`--tsa-ca`).
pub fn python_batch_with(
    dir: &Path,
    trust: &[caselog::tlog::note::VerifierKey],
    witnesses: &[caselog::tlog::note::VerifierKey],
    quorum: usize,
    tsa_ca: Option<&Path>,
) -> Vec<(String, std::collections::BTreeSet<String>)> {
    python_batch_findings(dir, trust, witnesses, quorum, tsa_ca, (&[], 0))
        .into_iter()
        .map(|(name, problems, _)| (name, problems))
        .collect()
}

/// Validate every `*.json` file in `dir` against `schemas/NAME` with
/// Python's jsonschema (one process for all); panics naming each failure.
pub fn validate_jsons(schema: &str, dir: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(schema);
    let script = r#"
import json, sys, pathlib, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
n = bad = 0
for p in sorted(pathlib.Path(sys.argv[2]).glob("*.json")):
    n += 1
    for e in v.iter_errors(json.load(open(p))):
        bad += 1
        print(p.name, e.json_path, e.message[:300])
print(n, "documents", bad, "errors")
sys.exit(1 if bad or not n else 0)
"#;
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .arg(&schema)
        .arg(dir)
        .output()
        .expect("run python jsonschema");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One verdict per file: (name, problem codes, finding codes, SPEC §9.3).
pub fn python_batch_findings(
    dir: &Path,
    trust: &[caselog::tlog::note::VerifierKey],
    witnesses: &[caselog::tlog::note::VerifierKey],
    quorum: usize,
    tsa_ca: Option<&Path>,
    (mirrors, mirror_quorum): (&[caselog::tlog::note::VerifierKey], usize),
) -> Vec<(
    String,
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
)> {
    let mut cmd = std::process::Command::new(python());
    cmd.arg(verify_bundle_script()).arg("--batch").arg(dir);
    if let Some(ca) = tsa_ca {
        cmd.arg("--tsa-ca").arg(ca);
    }
    for k in trust {
        cmd.arg("--trust").arg(k.to_string());
    }
    for k in witnesses {
        cmd.arg("--witness").arg(k.to_string());
    }
    cmd.arg("--quorum").arg(quorum.to_string());
    for k in mirrors {
        cmd.arg("--mirror").arg(k.to_string());
    }
    cmd.arg("--mirror-quorum").arg(mirror_quorum.to_string());
    let out = cmd.output().expect("run tools/verify-bundle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let codes = |s: Option<&str>| -> std::collections::BTreeSet<String> {
        s.unwrap_or("")
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            // NAME VERIFIED [FINDINGS C,C] | NAME FAILED CODE,CODE [FINDINGS C,C]
            let mut w = l.split(' ');
            let name = w.next().unwrap().to_owned();
            let problems = match w.next() {
                Some("VERIFIED") => Default::default(),
                Some("FAILED") => codes(w.next()),
                other => panic!("unexpected verdict {other:?} in {l:?}"),
            };
            let findings = match w.next() {
                None => Default::default(),
                Some("FINDINGS") => codes(w.next()),
                other => panic!("unexpected {other:?} in {l:?}"),
            };
            (name, problems, findings)
        })
        .collect()
}

/// The codes the Rust verifier reports for a bundle file (empty: verified).
pub fn rust_codes(
    bytes: &[u8],
    trust: &[caselog::tlog::note::VerifierKey],
    witnesses: &[caselog::tlog::note::VerifierKey],
    quorum: usize,
) -> std::collections::BTreeSet<String> {
    caselog::audit::bundle::verify_bytes(bytes, trust, witnesses, quorum)
        .report
        .problems
        .iter()
        .map(|p| p.code.as_str().to_owned())
        .collect()
}

/// `custody.release` of `item` to `to`, for examination.
pub fn release(item: &str, to: &Signer) -> Body {
    Body::Domain(caselog::format::kinds::Domain::CustodyRelease(
        caselog::format::kinds::CustodyRelease {
            authority: None,
            transport: None,
            seals: Default::default(),
            item: item.into(),
            to: to.public(),
            reason: "examination".into(),
            location: None,
        },
    ))
}

/// `custody.receive` of `item`, answering `release`.
pub fn receive(item: &str, release: caselog::Hash, seal_intact: bool) -> Body {
    Body::Domain(caselog::format::kinds::Domain::CustodyReceive(
        caselog::format::kinds::CustodyReceive {
            seals: Default::default(),
            rejected: None,
            item: item.into(),
            release,
            seal_intact: Some(seal_intact),
            condition: None,
            receipt: None,
        },
    ))
}

/// `evidence.intake` of `item`: one synthetic file, seal S-1.
pub fn intake_body(item: &str) -> Body {
    Body::Domain(caselog::format::kinds::Domain::EvidenceIntake(
        caselog::format::kinds::EvidenceIntake {
            zone: None,
            device: None,
            lineage: None,
            tree: None,
            item: item.into(),
            description: "scan (synthetic)".into(),
            collected_by: "custodian".into(),
            collected: caselog::format::edtf::Edtf::parse("2008-10~").unwrap(),
            location: None,
            seal: Some("S-1".into()),
            files: vec![],
        },
    ))
}
