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
/// With `cut` (a terminal), the author and summary are shortened to fit
/// a line, marked with `…`; otherwise (a pipe, a file) nothing is cut, so
/// `grep` finds every word.
pub fn entry_line(seq: Seq, e: &Entry, members: &Members, cut: bool) -> String {
    let summary: String = e
        .body
        .summary_with(&|k| members.display(k))
        .replace('\n', " ");
    let author = members.display(&e.author);
    let (summary, author) = if cut {
        (clip(&summary, 100), clip(&author, 24))
    } else {
        (summary, author)
    };
    format!(
        "{:>6}  {}  {:<24}  {:<14}  {}",
        seq.0,
        e.time,
        author,
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
    let verified = format!(
        "VERIFIED: every record decodes canonically, every signature verifies, the chain, membership, custody and Merkle tree recompute and match the stored head{}",
        if r.checkpoints > 0 { " and every checkpoint compared" } else { "" }
    );
    let mut s = report_text_with(r, &verified);
    s.push_str(&scope_text(r, None));
    s
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

/// The findings of a report under their own heading (SPEC §9.3): facts
/// the entries state, apart from the verdict on integrity.
pub fn findings_text(r: &Report) -> String {
    if r.findings.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "findings {} fact(s) recorded in the entries for a court to see; they are statements by the members named, not problems of the ledger's integrity:
",
        r.findings.len() as u64 + r.findings_omitted
    );
    for f in &r.findings {
        s.push_str(&format!(
            "  {f}
"
        ));
    }
    if r.findings_omitted > 0 {
        s.push_str(&format!("  ... and {} more findings\n", r.findings_omitted));
    }
    s
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
                "item     {}: custody complete as of size {}: every entry about it, from its intake to seq {}, is in the bundle, linked, and its custody replays; this rests on the item map in the checkpoint signed by {}, {}\n",
                c.item, c.size, c.head, list_or(&r.scope.signed_by, "the pinned log key"), rests_on(&r.scope.recomputed_by)
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
    s.push_str(&findings_text(r));
    if r.is_ok() {
        s.push_str(verified);
        s.push_str(".\n");
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

/// What an item map rests on beyond the authority's signature: the
/// cosignatures of pinned mirrors that verified, each stating that its
/// mirror recomputed the item map from every record (SPEC §17.7; this
/// verifier checks the signature, not the mirror's work), or nothing.
pub fn rests_on(mirrors: &[String]) -> String {
    match mirrors.len() {
        0 => "asserted by the authority's checkpoint only: no pinned --mirror cosigned it, and nothing here recomputes it from the whole ledger".into(),
        1 => format!(
            "and on the verified cosignature of 1 mirror, which states it recomputed that item map from every record: {}",
            mirrors[0]
        ),
        n => format!(
            "and on the verified cosignatures of {n} mirrors, each stating it recomputed that item map from every record: {}",
            mirrors.join(", ")
        ),
    }
}

/// RFC 3339 (UTC, whole seconds) of a unix time, as cosignatures carry.
pub fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("unix time {unix}"))
}

/// Up to the named files, then how many more.
fn named(r: &Report) -> String {
    let more = r
        .evidence_checked
        .saturating_sub(r.scope.rehashed.len() as u64);
    let mut s = r.scope.rehashed.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// The lists every verify output ends with: what was checked, against
/// what, and what was not. `bundle`: `Some(full)` for a bundle.
pub fn scope_text(r: &Report, bundle: Option<(bool, &[String])>) -> String {
    let mut yes: Vec<String> = Vec::new();
    let mut no: Vec<String> = Vec::new();
    let items = r.scope.items_replayed;
    match bundle {
        None => {
            yes.push(format!("{} record(s): canonical CBOR, strict Ed25519 signatures, the hash chain and its order, recorded times never going back, membership and roles, references and erasures, and the custody of {items} item(s)", r.entries));
            yes.push("the Merkle tree recomputed from the records, compared with the stored head, tree nodes, leaf index, and member and item rows".into());
        }
        Some((true, _)) => yes.push(format!("{} record(s), every entry up to the checkpoint: canonical CBOR, strict Ed25519 signatures, the hash chain and its order, recorded times, membership and roles, references and erasures, the custody of {items} item(s), and their Merkle root against the checkpoint's", r.entries)),
        Some((false, _)) => yes.push(format!("{} included record(s): canonical CBOR, strict Ed25519 signatures, each author's membership and role as the included membership records give it, each inclusion path to the checkpoint's root{}", r.entries, if items > 0 { format!(", and the custody of {items} claimed item(s)") } else { String::new() })),
    }
    if let Some((_, signed_by)) = bundle {
        yes.push(format!(
            "the checkpoint's signature by a pinned log key, held by {}",
            list_or(signed_by, "no member the bundle names")
        ));
        // The caller adds each cosignature it verified under this line.
    } else if r.checkpoints > 0 {
        yes.push(format!("{} checkpoint(s) ({} given with --against): each signed by an authority active at its size (or a --trust key), and its root equal to the recomputed root at its size", r.checkpoints, r.scope.against));
    }
    if r.scope.rehash && r.evidence_checked > 0 {
        let what = if bundle.is_some() {
            "carried file(s) re-hashed against the intakes that list them"
        } else {
            "stored evidence copies re-hashed against the digests recorded when they were taken in"
        };
        yes.push(format!("{} {what}: {}", r.evidence_checked, named(r)));
    }
    if r.private_fields > 0 {
        yes.push(format!("{} private field(s) committed to by digest: the {} disclosure(s) present, each against its digest (the other values are redacted or erased)", r.private_fields, r.disclosures_present));
    }
    let anchored = r.timestamps.iter().filter(|t| t.anchored).count();
    if anchored > 0 {
        yes.push(format!("{anchored} RFC 3161 time-stamp(s): signature, imprint over the checkpoint, EKU, validity, and the chain to a --tsa-ca root"));
    }
    let loose = r.timestamps.len() - anchored;
    if loose > 0 {
        yes.push(format!("{loose} RFC 3161 time-stamp(s): signature, imprint over the checkpoint, EKU and validity"));
        no.push("who signed the time-stamps: give --tsa-ca ROOT.pem to check their chain to a trusted authority".into());
    }
    match bundle {
        None if !r.scope.rehash => {
            no.push("the stored evidence copies: give --evidence to re-hash them".into())
        }
        _ => {}
    }
    if r.evidence_missing > 0 {
        no.push(match bundle {
            None => format!(
                "{} intake file(s) with no stored copy here (taken in without --copy, or removed)",
                r.evidence_missing
            ),
            Some(_) => format!(
                "{} file(s) the included intakes list but the bundle does not carry",
                r.evidence_missing
            ),
        });
    }
    if bundle.is_none() && r.scope.against == 0 {
        no.push("whether this copy was rebuilt after entries were removed or rewritten: only a checkpoint held by someone else shows that (give --against FILE)".into());
    }
    if r.timestamps.is_empty() {
        no.push("when the entries existed: no RFC 3161 time-stamp was checked (recorded times are the signers' clocks)".into());
    }
    if let Some((false, _)) = bundle {
        no.push("Partial bundle: it does not show that no other entries exist between those included. Custody, references and the chain's links are checked only for items shown complete above.".into());
    }
    no.push("whether what the members recorded is true: the entries and the findings are their signed statements".into());
    let mut s = String::from("Checked:\n");
    for x in yes {
        s.push_str(&format!("  - {x}\n"));
    }
    s.push_str("Not checked:\n");
    for x in no {
        s.push_str(&format!("  - {x}\n"));
    }
    s
}

fn list_or(v: &[String], none: &str) -> String {
    if v.is_empty() {
        none.to_owned()
    } else {
        v.join(", ")
    }
}
