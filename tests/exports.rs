//! Exports for other tools, checked with those tools' own validators:
//! JSON against schemas/timeline.schema.json and verify reports against
//! schemas/verify-report.schema.json (Python jsonschema), CASE/UCO with
//! `case_validate` (case-utils), Timesketch's mandatory fields, and the
//! court report rendered by headless Chromium to PDF and PNG, whose text
//! layer (`pdftotext`) must hold every event title. tools/test installs the
//! venv, chromium and poppler-utils.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use caselog::format::edtf::Edtf;
use caselog::format::entry::Body;
use caselog::format::kinds::{
    Action, Domain, Event, EvidenceIntake, FileFixity, Notification, Source,
};
use caselog::{Hash, HashAlg, Ledger};

fn venv_bin(name: &str) -> PathBuf {
    let py = match std::env::var_os("CASELOG_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => {
            Path::new(&std::env::var_os("HOME").unwrap()).join(".cache/caselog/venv/bin/python")
        }
    };
    assert!(py.exists(), "no Python venv: run tools/test");
    py.parent().unwrap().join(name)
}

const TITLES: [&str; 3] = [
    "Anonymous extortion letter received",
    "Clients received similar letters",
    "Reward offered for information",
];

fn ledger(dir: &Path) -> Ledger {
    let a = common::authority();
    let mut l = common::build_small(dir, HashAlg::Sha256);
    let ev = |title: &str, occ: &str| {
        Body::Domain(Domain::Event(Event {
            zone: None,
            title: title.into(),
            description: None,
            occurred: Edtf::parse(occ).unwrap(),
            location: None,
            sources: vec![Source {
                name: "company press release".into(),
                grade: "B2".into(),
                reference: None,
                digest: None,
            }],
            tags: vec![],
            refs: vec![],
        }))
    };
    for (i, (t, d)) in TITLES
        .iter()
        .zip(["2008-10~", "2008-11-01/2008-11-06", "2008-11~"])
        .enumerate()
    {
        l.append_at(ev(t, d), &a, common::t(1000 + i as i64))
            .unwrap();
    }
    l.append_at(
        Body::Domain(Domain::Notification(Notification {
            zone: None,
            by: "university system president".into(),
            to: "employees".into(),
            count: None,
            channel: "email".into(),
            sent: Edtf::parse("2008-11-06").unwrap(),
            subject: Some("Investigation".into()),
            digest: None,
        })),
        &a,
        common::t(1100),
    )
    .unwrap();
    l.append_at(
        Body::Domain(Domain::Action(Action {
            zone: None,
            title: "Outside investigation engaged".into(),
            by: "the company".into(),
            occurred: Edtf::parse("2008-11~").unwrap(),
            authority: Some("engagement letter".into()),
            outcome: None,
        })),
        &a,
        common::t(1200),
    )
    .unwrap();
    l.append_at(
        Body::Domain(Domain::EvidenceIntake(EvidenceIntake {
            zone: None,
            tree: None,
            device: None,
            lineage: None,
            item: "EV-0001".into(),
            description: "scan of the letter (synthetic)".into(),
            collected_by: "custodian".into(),
            collected: Edtf::parse("2008-10~").unwrap(),
            location: None,
            seal: Some("S-1".into()),
            files: vec![FileFixity {
                name: "scan.pdf".into(),
                size: 1234,
                blake3: Hash([0xab; 32]),
                sha256: Hash([0xcd; 32]),
                media_type: Some("application/pdf".into()),
            }],
        })),
        &a,
        common::t(1300),
    )
    .unwrap();
    l
}

/// The CASE graph at `path` conforms to CASE 1.4 (`case_validate`).
fn assert_case_conforms(path: &Path) {
    let out = Command::new(venv_bin("case_validate"))
        .args(["--built-version", "case-1.4.0"])
        .arg(path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("Conforms: True"),
        "{report}"
    );
}

fn validate_json(schema: &str, doc: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(schema);
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1]))); print('ok')",
        ])
        .arg(&schema)
        .arg(doc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        doc.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_csv_timesketch_and_case_exports() {
    let t = tempfile::tempdir().unwrap();
    let l = ledger(&t.path().join("l"));
    let rows = caselog::export::timeline_rows(&l, &Default::default()).unwrap();
    assert_eq!(rows.len(), 6);

    let json_path = t.path().join("t.json");
    std::fs::write(
        &json_path,
        serde_json::to_vec(&caselog::export::to_json(&l, &rows, &Default::default()).unwrap())
            .unwrap(),
    )
    .unwrap();
    validate_json("timeline.schema.json", &json_path);

    let csv = String::from_utf8(caselog::export::to_csv(&l, &rows, &Default::default()).unwrap())
        .unwrap();
    // The streaming exports (what the CLI writes) hold the same content:
    // CSV byte for byte, JSON value for value, rows in the same order.
    let mut streamed = Vec::new();
    let n = caselog::export::write_csv(&l, &Default::default(), &Default::default(), &mut streamed)
        .unwrap();
    assert_eq!((n, String::from_utf8(streamed).unwrap()), (6, csv.clone()));
    let mut streamed = Vec::new();
    caselog::export::write_json(&l, &Default::default(), &Default::default(), &mut streamed)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&streamed).unwrap(),
        caselog::export::to_json(&l, &rows, &Default::default()).unwrap()
    );
    let streamed_path = t.path().join("streamed.json");
    std::fs::write(&streamed_path, &streamed).unwrap();
    validate_json("timeline.schema.json", &streamed_path);
    // A filter narrows both the same way.
    let filter = caselog::export::timeline::Filter {
        kinds: vec![caselog::Kind::Event],
        ..Default::default()
    };
    let narrowed = caselog::export::timeline_rows(&l, &filter).unwrap();
    let mut streamed = Vec::new();
    let n = caselog::export::write_csv(&l, &filter, &Default::default(), &mut streamed).unwrap();
    assert_eq!(n, narrowed.len() as u64);
    assert_eq!(
        streamed,
        caselog::export::to_csv(&l, &narrowed, &Default::default()).unwrap()
    );
    assert_eq!(csv.lines().count(), 7);
    assert!(csv.starts_with("seq,occurred,earliest,latest,"));

    let mut ts = Vec::new();
    let n =
        caselog::export::write_timesketch(&l, &Default::default(), &Default::default(), &mut ts)
            .unwrap();
    let ts = String::from_utf8(ts).unwrap();
    assert_eq!((n, ts.lines().count()), (6, 6));
    for line in ts.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for k in ["message", "datetime", "timestamp_desc"] {
            assert!(
                v[k].is_string() && !v[k].as_str().unwrap().is_empty(),
                "{k} missing: {line}"
            );
        }
        assert!(v["timestamp"].is_i64());
        assert!(v["occurred_edtf"].is_string());
    }
    // Approximate October maps to its earliest bound, EDTF kept.
    let oct: serde_json::Value = ts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["occurred_edtf"].as_str().unwrap().starts_with("2008-10"))
        .expect("the October 2008 event");
    assert_eq!(oct["datetime"], "2008-10-01T00:00:00Z");
    assert_eq!(oct["timestamp_desc"], "Occurred (approximate)");

    let case_path = t.path().join("case.jsonld");
    std::fs::write(
        &case_path,
        serde_json::to_vec_pretty(&caselog::export::case_uco::to_case(&l, &rows).unwrap()).unwrap(),
    )
    .unwrap();
    assert_case_conforms(&case_path);
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&case_path).unwrap()).unwrap();
    let g = case["@graph"].as_array().unwrap();
    assert!(g
        .iter()
        .any(|n| n["@type"] == "investigation:ProvenanceRecord"
            && n["investigation:exhibitNumber"] == "EV-0001"));
    assert!(g
        .iter()
        .any(|n| n["@type"] == "types:Hash" && n["types:hashValue"]["@value"] == "CD".repeat(32)));
}

#[test]
fn verify_reports_follow_their_schema() {
    let t = tempfile::tempdir().unwrap();
    let mut l = ledger(&t.path().join("l"));
    l.checkpoint(&common::authority()).unwrap();
    let r = caselog::verify_store(l.store()).unwrap();
    let p = t.path().join("r.json");
    std::fs::write(&p, serde_json::to_vec(&r.to_json()).unwrap()).unwrap();
    validate_json("verify-report.schema.json", &p);
}

/// The report's fixture: [`ledger`], plus an event two years before the
/// rest (the timeline must not squeeze the others into a sliver for it)
/// and the evidence released to a member named in the custody table.
fn report_ledger(dir: &Path) -> Ledger {
    let a = common::authority();
    let mut l = ledger(dir);
    let lab = caselog::storage::keys::Signer::from_seed("Outside forensic agency", &[0x41; 32]);
    let outlier = Body::Domain(Domain::Event(Event {
        zone: None,
        title: "Exposed data held in the system".into(),
        description: None,
        occurred: Edtf::parse("2006-06?").unwrap(),
        location: None,
        sources: vec![],
        tags: vec![],
        refs: vec![],
    }));
    l.append_at(outlier, &a, common::t(1400)).unwrap();
    let enroll = Body::MemberEnroll(caselog::format::entry::MemberEnroll {
        profile: Default::default(),
        name: lab.name().into(),
        role: caselog::Role::Investigator,
        key: lab.public(),
    });
    l.append_at(enroll, &a, common::t(1500)).unwrap();
    l.append_at(common::release("EV-0001", &lab), &a, common::t(1600))
        .unwrap();
    l
}

/// `pdftotext -bbox`: every word of the PDF with its box, as XHTML.
fn pdf_bbox(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-bbox"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (x, y) of every word of the PDF, from `pdftotext -bbox`.
fn pdf_words(pdf: &Path) -> Vec<(String, f64, f64)> {
    let html = pdf_bbox(pdf);
    html.split("<word ")
        .skip(1)
        .filter_map(|w| {
            let num = |k: &str| -> Option<f64> {
                let at = w.find(&format!("{k}=\""))? + k.len() + 2;
                w[at..].split('"').next()?.parse().ok()
            };
            let text = w.split('>').nth(1)?.split('<').next()?.to_owned();
            Some((text, num("xMin")?, num("yMin")?))
        })
        .collect()
}

/// Per page of the PDF: its height and its lines of text (y, words joined),
/// top to bottom, from `pdftotext -bbox`; the page number footer left out.
fn pdf_pages(pdf: &Path) -> Vec<(f64, Vec<(f64, String)>)> {
    let html = pdf_bbox(pdf);
    html.split("<page ")
        .skip(1)
        .map(|p| {
            let height: f64 = p
                .split("height=\"")
                .nth(1)
                .and_then(|h| h.split('"').next())
                .and_then(|h| h.parse().ok())
                .unwrap();
            let mut lines: Vec<(f64, String)> = Vec::new();
            for w in p.split("<word ").skip(1) {
                let y: f64 = w
                    .split("yMax=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let t = w
                    .split('>')
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .to_owned();
                match lines.iter_mut().find(|(ly, _)| (ly - y).abs() < 2.0) {
                    Some((_, text)) => {
                        text.push(' ');
                        text.push_str(&t);
                    }
                    None => lines.push((y, t)),
                }
            }
            lines.sort_by(|a, b| a.0.total_cmp(&b.0));
            // The footer ("Page N of M", "caselog court report") is not content.
            lines.retain(|(y, _)| *y < height * 0.93);
            (height, lines)
        })
        .collect()
}

/// Render `html` with headless Chromium to DIR/NAME.pdf (print) and
/// DIR/NAME.png (screenshot).
fn render_in_chromium(dir: &Path, name: &str, html: &str) -> (PathBuf, PathBuf) {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium must be installed (tools/test installs it)");
    let base = |extra: &str| {
        let mut c = Command::new(chromium);
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(extra)
        .arg(format!("file://{}", page.display()));
        c
    };
    let pdf = dir.join(format!("{name}.pdf"));
    let png = dir.join(format!("{name}.png"));
    assert!(base(&format!("--print-to-pdf={}", pdf.display()))
        .output()
        .unwrap()
        .status
        .success());
    assert!(base(&format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,1600")
        .output()
        .unwrap()
        .status
        .success());
    (pdf, png)
}

/// The PDF's text layer, one line.
fn pdf_text(pdf: &Path) -> String {
    let text = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&text.stdout).replace('\n', " ")
}

#[test]
fn certification_renders_in_chromium_with_the_facts_it_certifies() {
    let t = tempfile::tempdir().unwrap();
    let mut l = report_ledger(&t.path().join("l"));
    l.checkpoint(&common::authority()).unwrap();
    let c = caselog::export::certification::Certify {
        exhibit: "Gov't Ex. 12",
        items: vec!["EV-0001".into()],
        tsa: None,
    };
    let html = caselog::export::certification::render(&l, &c).unwrap();
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    let (pdf, _) = render_in_chromium(t.path(), "cert", &html);
    let text = pdf_text(&pdf);
    // Digests may wrap inside their cell.
    let joined = text.replace(' ', "");
    assert!(joined.contains(&"cd".repeat(32)), "{text}");
    assert!(text.contains("caselog certification") && !text.contains("court report"));
    for want in [
        "902(13)",
        "902(14)",
        "NOT LEGAL ADVICE",
        "VERIFIED",
        &l.head().tree.root.to_hex(),
        "no copy kept",
        "28 U.S.C. § 1746",
        "Gov't Ex. 12",
        // Issue 25: the custody as recorded, and the findings row.
        "Custody as recorded",
        "released to Outside forensic agency",
        "Findings recorded",
    ] {
        assert!(text.contains(want), "certification lacks {want:?}: {text}");
    }
    // An item that was never taken in is an error, not an empty section.
    let c = caselog::export::certification::Certify {
        exhibit: "X",
        items: vec!["EV-9".into()],
        tsa: None,
    };
    assert!(matches!(
        caselog::export::certification::render(&l, &c),
        Err(caselog::LedgerError::NotFound(
            caselog::ledger::Missing::Item { .. }
        ))
    ));
}

#[test]
fn court_report_renders_in_chromium_with_every_title() {
    let t = tempfile::tempdir().unwrap();
    let mut l = report_ledger(&t.path().join("l"));
    l.checkpoint(&common::authority()).unwrap();
    let made = caselog::export::court::Made {
        exhibit: Some("Gov't Ex. 12"),
        preparer: Some(common::investigator().public()),
        ..Default::default()
    };
    let html = caselog::export::court::render_with(&l, &made).unwrap();
    // Self-contained: no scripts, no remote resources.
    assert!(!html.contains("<script"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import")
    );
    for t in TITLES {
        assert!(html.contains(t), "{t}");
    }
    assert!(html.contains("Gov&#39;t Ex. 12"));
    assert!(html.contains("VERIFIED"));
    let (pdf, png) = render_in_chromium(t.path(), "report", &html);
    assert!(
        std::fs::metadata(&png).unwrap().len() > 10_000,
        "screenshot too small"
    );
    let text = pdf_text(&pdf);
    for t in TITLES {
        assert!(text.contains(t), "PDF text lacks {t:?}: {text}");
    }
    assert!(text.contains("Verification appendix"));
    assert!(text.contains("EV-0001"));
    // Issue 25, item 6: when, by what, by whom, as of which size; the
    // grade legend; the checkpoint's signer by member name.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Exported 20",
        &format!("by caselog {}", env!("CARGO_PKG_VERSION")),
        "as of size",
        "Prepared by Det. Roe (test)",
        "Source grades",
        "B usually reliable",
        "2 probably true",
        "(authority; log key",
    ] {
        assert!(flat.contains(want), "PDF text lacks {want:?}: {flat}");
    }
    // No heading is the last line of a page, and no page but the last is
    // nearly empty. (The demo's report had a page 11% full before the
    // appendix's forced page break; none is forced now.)
    assert!(!html.contains("break-before: page"));
    let pages = pdf_pages(&pdf);
    assert!(pages.len() >= 2, "{} pages", pages.len());
    for (i, (height, lines)) in pages.iter().enumerate() {
        let last = lines.last().map(|(_, t)| t.as_str()).unwrap_or("");
        for h in [
            "Timeline",
            "Chronology",
            "Source grades",
            "Custody",
            "Evidence digests",
            "Erasures",
            "Verification appendix",
        ] {
            assert_ne!(last, h, "page {} ends with the heading {h:?}", i + 1);
        }
        let used = lines.last().map_or(0.0, |(y, _)| *y) / height;
        assert!(
            i + 1 == pages.len() || used > 0.5,
            "page {} is {:.0}% used",
            i + 1,
            used * 100.0
        );
    }
    // The custody table names the receiver, not a key id.
    assert!(
        text.contains("released to Outside forensic agency"),
        "{text}"
    );
    assert!(!text.contains("released to key"), "{text}");
    // Recorded times are whole on their line (they wrapped mid-timestamp).
    let layout = Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let layout = String::from_utf8_lossy(&layout.stdout);
    assert!(layout.contains("2008-10-09 12:21:40"), "{layout}");
    // The timeline: the 2006 outlier is cut off to its own scale and the
    // months of 2008 get the width (their tick labels well apart, in order).
    let words = pdf_words(&pdf);
    let at = |w: &str| {
        words
            .iter()
            .find(|(t, _, _)| t == w)
            .map(|(_, x, y)| (*x, *y))
            .unwrap_or_else(|| panic!("no {w:?} on the page: {words:?}"))
    };
    let (jun06, oct08, nov08) = (at("2006-06"), at("2008-10"), at("2008-11"));
    let cut = at("cut");
    assert!(
        cut.0 > jun06.0 && cut.0 < nov08.0,
        "cut {cut:?}, 2006-06 {jun06:?}, 2008-11 {nov08:?}"
    );
    assert!(
        nov08.0 - oct08.0 > 60.0,
        "October and November 2008 are {:.0} pt apart",
        nov08.0 - oct08.0
    );
    assert!((oct08.1 - nov08.1).abs() < 1.0 && (jun06.1 - oct08.1).abs() < 1.0);
}

/// Issue 15: each custody action of an item is an investigative action
/// whose result is a provenance record of the item as it then stood; the
/// evidence room is a `location:Location`, the warrant an
/// `investigation:Authorization`; a refused transfer says so; the graph
/// still conforms to CASE 1.4.
#[test]
fn case_export_has_a_provenance_record_per_custody_action() {
    use caselog::format::kinds::{CustodyRetrieve, CustodyStore, Seals};
    let t = tempfile::tempdir().unwrap();
    let mut l = ledger(&t.path().join("l"));
    let a = common::authority();
    let i = caselog::storage::keys::Signer::from_seed("Dana Cruz (test)", &[0x44; 32]);
    l.append_at(
        Body::MemberEnroll(caselog::format::entry::MemberEnroll {
            name: i.name().into(),
            role: caselog::Role::Custodian,
            key: i.public(),
            profile: caselog::format::entry::Profile {
                title: Some("Evidence technician".into()),
                organization: Some("State crime lab".into()),
                contact: None,
            },
        }),
        &a,
        common::t(1350),
    )
    .unwrap();
    let steps = [
        Domain::CustodyStore(CustodyStore {
            item: "EV-0001".into(),
            location: "Property room B, locker 12".into(),
            reason: Some("awaiting examination".into()),
            condition: None,
            seals: Seals::default(),
        }),
        Domain::CustodyRetrieve(CustodyRetrieve {
            item: "EV-0001".into(),
            reason: "transfer".into(),
            condition: None,
            seals: Seals {
                broken: vec!["S-1".into()],
                applied: vec!["S-2".into()],
            },
        }),
    ];
    let mut at = 1400;
    for d in steps {
        l.append_at(Body::Domain(d), &a, common::t(at)).unwrap();
        at += 10;
    }
    for refuse in [true, false] {
        let mut rel = common::release("EV-0001", &i);
        if let Body::Domain(Domain::CustodyRelease(r)) = &mut rel {
            r.authority = Some("Search warrant 08-SW-1123".into());
            r.transport = Some("hand carried".into());
        }
        let (_, leaf) = l.append_at(rel, &a, common::t(at)).unwrap();
        let mut rec = common::receive("EV-0001", leaf, true);
        if let Body::Domain(Domain::CustodyReceive(r)) = &mut rec {
            r.rejected = refuse.then(|| "the original was requested".into());
        }
        l.append_at(rec, &i, common::t(at + 5)).unwrap();
        at += 10;
    }
    let rows = caselog::export::timeline_rows(&l, &Default::default()).unwrap();
    let case = caselog::export::case_uco::to_case(&l, &rows).unwrap();
    let case_path = t.path().join("case.jsonld");
    std::fs::write(&case_path, serde_json::to_vec_pretty(&case).unwrap()).unwrap();
    assert_case_conforms(&case_path);
    let g = case["@graph"].as_array().unwrap();
    let records: Vec<&str> = g
        .iter()
        .filter(|n| n["@type"] == "investigation:ProvenanceRecord")
        .map(|n| n["core:description"].as_str().unwrap())
        .collect();
    // Intake, check-in, check-out, release, refusal, release, receipt.
    assert_eq!(records.len(), 7, "{records:#?}");
    assert!(records[1].contains("in storage at Property room B, locker 12; seals S-1"));
    assert!(records[2].contains("seals S-2") && !records[2].contains("in storage"));
    assert!(
        records[4].contains(&format!("held by {}", a.name())),
        "{}",
        records[4]
    );
    assert!(
        records[6].contains("held by Dana Cruz (test) (Evidence technician, State crime lab)"),
        "{}",
        records[6]
    );
    assert!(g.iter().any(|n| n["@type"] == "identity:Identity"
        && n["core:description"]
            == "ledger member, role custodian; Evidence technician, State crime lab"));
    let names: Vec<&str> = g
        .iter()
        .filter(|n| n["@type"] == "investigation:InvestigativeAction")
        .filter_map(|n| n["core:name"].as_str())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.contains("refused by") && n.contains("the original was requested")),
        "{names:#?}"
    );
    assert!(g.iter().any(
        |n| n["@type"] == "location:Location" && n["core:name"] == "Property room B, locker 12"
    ));
    assert!(g.iter().any(|n| n["@type"] == "investigation:Authorization"
        && n["investigation:authorizationIdentifier"][0] == "Search warrant 08-SW-1123"));
}

/// Issue 25, item 8 (OWASP CSV injection): a name or text that a
/// spreadsheet would run as a formula is exported inert, with a leading
/// `'`; ordinary text is unchanged. Member names are chosen by whoever
/// enrols, titles and subject lines by whoever wrote them.
#[test]
fn csv_cells_a_spreadsheet_would_run_are_made_inert() {
    use caselog::format::entry::MemberEnroll;
    let t = tempfile::tempdir().unwrap();
    let mut l = common::build_small(&t.path().join("l"), HashAlg::Sha256);
    let hostile = [
        "=HYPERLINK(\"http://x.invalid\",\"pay\")",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\tpadded",
        "\rreturn",
    ];
    for (i, name) in hostile.iter().chain(&["Plain Name"]).enumerate() {
        let who = caselog::storage::keys::Signer::from_seed(name, &[0x60 + i as u8; 32]);
        let enrol = Body::MemberEnroll(MemberEnroll {
            profile: Default::default(),
            name: (*name).into(),
            role: caselog::Role::Investigator,
            key: who.public(),
        });
        let at = |k: i64| common::t(2000 + 10 * i as i64 + k);
        l.append_at(enrol, &common::authority(), at(0)).unwrap();
        let action = Body::Domain(Domain::Action(Action {
            zone: None,
            title: format!("Action {i}"),
            by: "the company".into(),
            occurred: Edtf::parse("2008-11~").unwrap(),
            authority: None,
            outcome: None,
        }));
        l.append_at(action, &who, at(1)).unwrap();
    }
    let rows = caselog::export::timeline_rows(&l, &Default::default()).unwrap();
    let csv = caselog::export::to_csv(&l, &rows, &Default::default()).unwrap();
    let mut r = csv::Reader::from_reader(&csv[..]);
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "author")
        .unwrap();
    let authors: Vec<String> = r.records().map(|x| x.unwrap()[col].to_owned()).collect();
    for name in hostile {
        assert!(
            authors.iter().any(|s| s == &format!("'{name}")),
            "{name:?} not neutralised in {authors:?}"
        );
    }
    for s in &authors {
        assert!(!s.starts_with(['=', '+', '-', '@', '\t', '\r']), "{s:?}");
    }
    assert!(authors.iter().any(|s| s == "Plain Name"), "{authors:?}");
}

/// The checks an independent tool can make of a PDF/A-2b file here
/// (veraPDF is in no registry this project may use): `qpdf --check`
/// finds no syntax or stream error, `pdffonts` lists every font as
/// embedded and subset, the XMP metadata says `pdfaid:part` 2 and
/// `pdfaid:conformance` B, and the catalog has a GTS_PDFA1 output intent.
pub(crate) fn check_pdf_a2b(pdf: &Path) -> Result<(), String> {
    let qpdf = Command::new("qpdf")
        .arg("--check")
        .arg(pdf)
        .output()
        .expect("qpdf (tools/test installs it)");
    if !qpdf.status.success() {
        return Err(format!(
            "qpdf --check: {}",
            String::from_utf8_lossy(&qpdf.stdout)
        ));
    }
    let fonts = Command::new("pdffonts")
        .arg(pdf)
        .output()
        .expect("pdffonts (poppler-utils)");
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    if rows.is_empty() || rows.iter().any(|r| !r.contains(" yes yes ")) {
        return Err(format!("a font is not embedded and subset: {fonts}"));
    }
    // Uncompressed view of every object, so the XMP stream can be read.
    let qdf = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&qdf.stdout);
    for want in [
        "<pdfaid:part>2</pdfaid:part>",
        "<pdfaid:conformance>B</pdfaid:conformance>",
        "/S /GTS_PDFA1",
        "/OutputIntents",
    ] {
        if !body.contains(want) {
            return Err(format!("no {want} in the PDF"));
        }
    }
    if body.contains("/Encrypt") || body.contains("/JavaScript") {
        return Err("encrypted or scripted".into());
    }
    Ok(())
}

#[test]
fn court_report_and_certification_render_as_pdf_a_2b_with_the_same_text() {
    let t = tempfile::tempdir().unwrap();
    let mut l = report_ledger(&t.path().join("l"));
    l.checkpoint(&common::authority()).unwrap();
    let made = caselog::export::court::Made {
        exhibit: Some("Gov't Ex. 12"),
        ..Default::default()
    };
    let report = caselog::export::court::render_with(&l, &made).unwrap();
    let c = caselog::export::certification::Certify {
        exhibit: "Gov't Ex. 12",
        items: vec![],
        tsa: None,
    };
    let cert = caselog::export::certification::render(&l, &c).unwrap();
    for (name, html) in [("report", &report), ("certification", &cert)] {
        let pdf = caselog::export::pdf::render(&caselog::export::pdf::Rendition {
            source_name: &format!("{name}.html"),
            html,
            made: chrono::Utc::now(),
        })
        .unwrap();
        let path = t.path().join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        check_pdf_a2b(&path).unwrap();
        // Every paragraph, heading and list item of the HTML is in the
        // PDF's text layer, word for word (tables wrap within columns, so
        // their cells are checked word by word).
        let text = pdf_text(&path)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let (blocks, _) = caselog::export::pdf::blocks::read(html);
        let flat = |i: &caselog::export::pdf::blocks::Inline| {
            i.iter()
                .map(|s| s.text.as_str())
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        use caselog::export::pdf::blocks::Block;
        for b in &blocks {
            match b {
                Block::Heading(_, i) | Block::Para(i) => {
                    assert!(text.contains(&flat(i)), "{name}: PDF lacks {:?}", flat(i))
                }
                Block::Table(h, rows) => {
                    for cell in h.iter().chain(rows.iter().flatten()) {
                        for w in flat(cell).split(' ').filter(|w| w.len() < 12) {
                            assert!(text.contains(w), "{name}: PDF lacks the word {w:?}");
                        }
                    }
                }
                _ => {}
            }
        }
        assert!(text.contains(&format!(
            "rendition of the HTML exhibit {name}.html (SHA-256"
        )));
        // No heading ends a page.
        for (i, (_, lines)) in pdf_pages(&path).iter().enumerate() {
            let last = lines
                .iter()
                .rev()
                .nth(1)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            for b in &blocks {
                if let Block::Heading(_, h) = b {
                    assert_ne!(last, flat(h), "{name}: page {} ends with a heading", i + 1);
                }
            }
        }
        // The checker can fail: a truncated file does not pass.
        let cut = t.path().join(format!("{name}-cut.pdf"));
        std::fs::write(&cut, &pdf[..pdf.len() * 2 / 3]).unwrap();
        assert!(check_pdf_a2b(&cut).is_err(), "a truncated PDF passed");
    }
    assert!(pdf_text(&t.path().join("report.pdf")).contains("timeline drawing is not reproduced"));
}

/// `status` says a retention period has ended by the local clock: set in
/// 2008 for 30 days, it ended long ago; a closed item is not listed.
#[test]
fn status_lists_retention_periods_that_ended() {
    use caselog::format::kinds::RetentionSet;
    let t = tempfile::tempdir().unwrap();
    let mut l = ledger(&t.path().join("l"));
    let a = common::authority();
    l.append_at(common::intake_body("EV-7"), &a, common::t(2000))
        .unwrap();
    let set = Body::Domain(Domain::RetentionSet(RetentionSet {
        category: "thirty days".into(),
        days: 30,
        items: vec!["EV-7".into()],
        authority: "schedule 1".into(),
    }));
    l.append_at(set, &a, common::t(2100)).unwrap();
    let s = caselog::export::status::status(&l).unwrap();
    let (r, ended) = &s.retention[0];
    assert_eq!((r.item.as_str(), r.days, *ended), ("EV-7", 30, true));
    assert!(!r.forbids(common::t(2100).micros() + 30 * 86_400_000_000));
    assert!(r.forbids(common::t(2100).micros() + 30 * 86_400_000_000 - 1));
}
