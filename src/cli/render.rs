//! How entries, members and reports look on the terminal and in JSON.

use serde_json::{json, Value as Json};

use caselog::format::cbor::Value;
use caselog::format::entry::{Entry, Record};
use caselog::rules::policy::{Member, Members};
use caselog::storage::keys;
use caselog::{Hash, Report, Seq};

pub use caselog::export::json::{entry_json, value_json};

/// Revealed private fields as a JSON object.
pub fn private_json(private: &[(caselog::Hash, caselog::format::disclosure::Disclosure)]) -> Json {
    Json::Object(
        private
            .iter()
            .map(|(_, d)| (d.path.clone(), json!(d.value_text())))
            .collect(),
    )
}

/// `  [private: a=..., b=...]` or `  [N private fields redacted]` for log lines.
pub fn private_suffix(
    e: &Entry,
    private: &[(caselog::Hash, caselog::format::disclosure::Disclosure)],
) -> String {
    if e.sd.is_empty() {
        return String::new();
    }
    if private.is_empty() {
        return format!("  [{} private field(s), shown with --reveal]", e.sd.len());
    }
    let shown: Vec<String> = private
        .iter()
        .map(|(_, d)| format!("{}={}", d.path, d.value_text().replace('\n', " ")))
        .collect();
    let erased = e.sd.len().saturating_sub(private.len());
    format!(
        "  [private: {}{}]",
        shown.join(", "),
        if erased > 0 {
            format!("; {erased} erased")
        } else {
            String::new()
        }
    )
}

/// The private-field lines of `caselog show`.
pub fn private_text(
    e: &Entry,
    private: &[(caselog::Hash, caselog::format::disclosure::Disclosure)],
) -> String {
    if e.sd.is_empty() {
        return String::new();
    }
    let mut s = String::from("private\n");
    for h in &e.sd {
        match private.iter().find(|(d, _)| d == h) {
            Some((_, d)) => s.push_str(&format!(
                "  {:<16} {}\n",
                d.path,
                d.value_text().replace('\n', "\n                   ")
            )),
            None => s.push_str(&format!(
                "  (digest {}…) {}\n",
                &h.to_hex()[..16],
                if private.is_empty() {
                    "redacted; show with --reveal"
                } else {
                    "erased"
                }
            )),
        }
    }
    s
}

/// One line of `caselog log`.
pub fn entry_line(seq: Seq, e: &Entry, members: &Members) -> String {
    let summary: String = e
        .body
        .summary_with(&|k| members.display(k))
        .replace('\n', " ");
    let summary = clip(&summary, 100);
    format!(
        "{:>6}  {}  {:<24}  {:<14}  {}",
        seq.0,
        e.time,
        clip(&members.display(&e.author), 24),
        e.body.kind(),
        summary
    )
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Full multi-line view of `caselog show`.
pub fn entry_text(seq: Seq, leaf: &Hash, record: &Record, e: &Entry, members: &Members) -> String {
    let sig_ok = match record.verify_signature(&e.author) {
        Ok(()) => "valid".to_owned(),
        Err(err) => format!("INVALID ({err})"),
    };
    let mut s = format!(
        "seq      {}\nleaf     {}\nledger   {}\ntime     {}\nauthor   {} ({})\nkind     {}\nprev     {}\nsig      {} [{}]\nbody\n",
        seq.0,
        leaf,
        e.ledger,
        e.time,
        members.display(&e.author),
        e.author,
        e.body.kind(),
        e.prev,
        hex::encode(record.sig),
        sig_ok,
    );
    if let Value::Map(m) = e.body.to_value() {
        for (k, v) in m {
            let shown = match value_json(&v) {
                Json::String(t) => t,
                other => other.to_string(),
            };
            s.push_str(&format!(
                "  {k:<16} {}\n",
                shown.replace('\n', "\n                   ")
            ));
        }
    }
    s
}

/// A member as JSON.
pub fn member_json(m: &Member) -> Json {
    json!({
        "name": m.name,
        "role": m.role.name(),
        "key": m.key.to_hex(),
        "fingerprint": keys::fingerprint(&m.key),
        "enrolled": m.enrolled.0,
        "revoked": m.revoked.map(|s| s.0),
        "title": m.profile.title,
        "organization": m.profile.organization,
        "contact": m.profile.contact,
    })
}

/// One line of `caselog member list`.
pub fn member_line(m: &Member) -> String {
    let status = match m.revoked {
        Some(s) => format!("revoked at seq {s}"),
        None => "active".to_owned(),
    };
    let mut line = format!(
        "{:<36} {:<12} {}  enrolled seq {:<5} {}",
        clip(&m.name, 36),
        m.role.name(),
        keys::fingerprint(&m.key),
        m.enrolled.0,
        status
    );
    if let Some(p) = m.profile.describe() {
        line.push_str(&format!("\n    {p}"));
    }
    if let Some(c) = &m.profile.contact {
        line.push_str(&format!("\n    contact: {c}"));
    }
    line
}

/// Human verification report of a ledger.
pub fn report_text(r: &Report) -> String {
    report_text_with(
        r,
        "VERIFIED: every record decodes canonically, every signature verifies, the chain, membership, custody and Merkle tree recompute and match the stored head",
    )
}

/// What one verified RFC 3161 time-stamp shows; the time is stated only
/// when its signer chained to a `--tsa-ca` root.
pub fn timestamp_line(t: &caselog::audit::TimestampFact) -> String {
    match t.anchored {
        true => format!(
            "time     the state of size {} existed no later than {} ({})\n",
            t.size, t.gen_time, t.tsa
        ),
        false => format!(
            "time     size {}: a time-stamp by {} for {}, its signer not checked against a TSA root (give --tsa-ca)\n",
            t.size, t.tsa, t.gen_time
        ),
    }
}

/// Human verification report with the given success sentence.
pub fn report_text_with(r: &Report, verified: &str) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "ledger   {}\ncase     {}\nhash     {}\nentries  {}\nroot     {}\ncheckpoints {} compared\n",
        r.ledger
            .map(|l| l.to_hex())
            .unwrap_or_else(|| "unknown".into()),
        r.case_id.as_deref().unwrap_or("unknown"),
        r.hash.map(|h| h.name()).unwrap_or("unknown"),
        r.entries,
        r.root.map(|h| h.to_hex()).unwrap_or_default(),
        r.checkpoints,
    ));
    if r.private_fields > 0 || r.erasures > 0 {
        s.push_str(&format!(
            "private  {} field(s): {} disclosure(s) present and matching, the rest redacted or erased ({} erasure(s))\n",
            r.private_fields, r.disclosures_present, r.erasures
        ));
    }
    for t in &r.timestamps {
        s.push_str(&timestamp_line(t));
    }
    for c in &r.items {
        s.push_str(&match &c.reason {
            None => format!(
                "item     {}: custody complete as of size {}: every entry about it, from its intake to seq {}, is in the bundle, linked, and its custody replays\n",
                c.item, c.size, c.head
            ),
            Some(why) => format!(
                "item     {}: completeness as of size {} cannot be shown: {why}\n",
                c.item, c.size
            ),
        });
    }
    if r.evidence_missing > 0 {
        s.push_str(&format!(
            "evidence {} file(s) not re-hashed: the blob store holds no copy (taken in without --copy, or removed)\n",
            r.evidence_missing
        ));
    }
    if r.is_ok() {
        s.push_str(verified);
        s.push_str(if r.checkpoints > 0 {
            " and every checkpoint compared.\n"
        } else {
            ".\n"
        });
    } else {
        for p in &r.problems {
            s.push_str(&format!("{p}\n"));
        }
        if r.problems_omitted > 0 {
            s.push_str(&format!("... and {} more problems\n", r.problems_omitted));
        }
        s.push_str(&format!(
            "FAILED: {} problem(s) found.\n",
            r.problems.len() as u64 + r.problems_omitted
        ));
    }
    s
}
