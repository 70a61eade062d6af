//! The court report: one self-contained HTML exhibit (inline CSS and SVG,
//! no scripts, no network) that prints cleanly to PDF.
//!
//! Owns the layout: caption and exhibit label, an SVG timeline that draws
//! approximate and interval dates as ranges, the chronology with
//! corrections beside the originals, per-item custody tables, evidence
//! digests, and a verification appendix with the checkpoint and the steps
//! to re-verify. The report contains everything recorded (selective
//! disclosure is a later version).

mod axis;

use std::fmt::Write as _;

use axis::Axis;

use crate::audit::verify_store;
use crate::export::timeline::{Filter, Row};
use crate::export::timeline_rows;
use crate::format::entry::Body;
use crate::format::ids::Seq;
use crate::format::kinds::Domain;
use crate::ledger::{Ledger, LedgerError};
use crate::tlog::checkpoint;

/// HTML-escape text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

pub(crate) const CSS: &str = r#"
:root { --ink:#111; --muted:#555; --rule:#bbb; --approx:#b45309; }
body { font: 11pt/1.4 Georgia, "Times New Roman", serif; color: var(--ink); margin: 2em auto; max-width: 60em; }
h1 { font-size: 16pt; margin: .2em 0; } h2 { font-size: 13pt; border-bottom: 1px solid var(--rule); margin-top: 1.6em; }
.caption { border: 2px solid var(--ink); padding: .8em 1em; display: flex; justify-content: space-between; gap: 1em; }
.exhibit { border: 2px solid var(--ink); padding: .4em .8em; font-weight: bold; align-self: flex-start; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid var(--rule); padding: .25em .4em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
.mono, code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
.when { white-space: nowrap; word-break: keep-all; }
.approx { color: var(--approx); } .zone { font-size: 8pt; color: #475569; } .corr { color: #7c2d12; font-size: 9pt; }
.made { font-size: 9.5pt; color: var(--muted); } .legend p { font-size: 9pt; }
.ok { color: #166534; font-weight: bold; } .bad { color: #991b1b; font-weight: bold; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .6em; border: 1px solid var(--rule); }
svg text { font: 8pt sans-serif; }
@media print {
  body { margin: 0; max-width: none; }
  h2, h3 { break-after: avoid; } tr, .caption, svg, .legend, .made { break-inside: avoid; }
  h2 + h3, h2 + table, h3 + table, h2 + p { break-before: avoid; }
  .appendix tr { break-inside: auto; }
  thead { display: table-header-group; }
}
@page { size: A4; margin: 18mm 15mm 20mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 9pt sans-serif; }
  @bottom-left { content: "caselog court report"; font: 9pt sans-serif; } }
"#;

/// A row's drawn span: its earliest and latest second (an open end runs
/// to the other end of all the dates).
fn span(r: &Row) -> Option<(i64, i64)> {
    match (r.occurred.earliest(), r.occurred.latest()) {
        (Some(a), Some(b)) => Some((a, b)),
        (Some(a), None) => Some((a, a)),
        (None, Some(b)) => Some((b, b)),
        _ => None,
    }
}

/// Labels on the left, the plot on the right, one row per dated entry.
const SVG_W: f64 = 900.0;
const PLOT_X0: f64 = 380.0;
const PLOT_X1: f64 = 880.0;
const ROW_H: f64 = 16.0;

fn svg_timeline(rows: &[Row]) -> String {
    let spans: Vec<(i64, i64)> = rows.iter().filter_map(span).collect();
    if spans.is_empty() {
        return "<p>No dated entries.</p>".into();
    }
    let axis = Axis::new(&spans, PLOT_X0, PLOT_X1);
    let height = 40.0 + ROW_H * rows.len() as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {SVG_W} {height}" role="img" aria-label="Timeline of dated entries">"#
    );
    svg_axis(&mut s, &axis, height);
    let (min, max) = (axis.segs[0].t0, axis.segs[axis.segs.len() - 1].t1);
    for (i, r) in rows.iter().enumerate() {
        svg_row(&mut s, &axis, r, 30.0 + ROW_H * i as f64, (min, max));
    }
    s.push_str("</svg>");
    s
}

/// Tick lines with their labels, and a marked break between segments.
fn svg_axis(s: &mut String, axis: &Axis, height: f64) {
    for (x, label) in axis.ticks() {
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="20" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="14" text-anchor="middle">{label}</text>"##,
            height - 10.0
        );
    }
    for x in axis.breaks() {
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="18" width="8" height="{:.1}" fill="#fff"/><path d="M{:.1} {:.1} l4 -8 M{:.1} {:.1} l4 -8" stroke="#555"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555">time cut</text>"##,
            x - 4.0,
            height - 26.0,
            x - 4.0,
            height - 10.0,
            x,
            height - 10.0,
            height - 2.0
        );
    }
}

/// One entry: a dot for an exact day, a bar for a range (dashed when
/// approximate or uncertain), and its label on the left.
fn svg_row(s: &mut String, axis: &Axis, r: &Row, yy: f64, (min, max): (i64, i64)) {
    let (lo, hi) = match (r.occurred.earliest(), r.occurred.latest()) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, max),
        (None, Some(b)) => (min, b),
        _ => return,
    };
    let (x0, x1) = (axis.x(lo), axis.x(hi));
    let imprecise = r.occurred.is_imprecise();
    let color = if imprecise { "#b45309" } else { "#1f2937" };
    if x1 - x0 < 3.0 && !imprecise {
        let _ = write!(
            s,
            r#"<circle cx="{x0:.1}" cy="{yy:.1}" r="3.5" fill="{color}"/>"#
        );
    } else {
        let dash = if r.occurred.is_approximate() || r.occurred.is_uncertain() {
            r#" stroke-dasharray="4 2""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="7" fill="{color}" fill-opacity="0.25" stroke="{color}"{dash}/>"#,
            yy - 3.5,
            (x1 - x0).max(3.0)
        );
    }
    let mut summary: String = r.summary.chars().take(44).collect();
    if r.summary.chars().count() > 44 {
        summary.push('…');
    }
    let label = format!("#{} {} {}", r.seq.0, r.occurred.as_str(), summary);
    let _ = write!(
        s,
        r#"<text x="4" y="{:.1}">{}</text>"#,
        yy + 3.0,
        esc(&label)
    );
}

/// A recorded time to the second, date and time apart (`2008-10-09
/// 12:00:00`), kept on one line by the `when` class.
fn when(t: &crate::format::ids::Timestamp) -> String {
    t.to_string()[..19].replacen('T', " ", 1)
}

/// Render the report for the whole ledger: caption, timeline, chronology,
/// custody, digests, erasures and the verification appendix, in order.
pub fn render(
    l: &Ledger,
    exhibit: Option<&str>,
    title: Option<&str>,
    reveal: &crate::format::disclosure::Reveal,
) -> Result<String, LedgerError> {
    let made = Made {
        exhibit,
        title,
        reveal: reveal.clone(),
        ..Made::default()
    };
    render_with(l, &made)
}

/// [`render`], saying who prepared it and checking time-stamps against
/// the given roots.
pub fn render_with(l: &Ledger, made: &Made<'_>) -> Result<String, LedgerError> {
    let (exhibit, title, reveal) = (made.exhibit, made.title, &made.reveal);
    let rows = timeline_rows(l, &Filter::default())?;
    let mut h = caption(l, exhibit, title)?;
    h.push_str(&prepared(l, made.preparer.as_ref())?);
    h.push_str("<h2>Timeline</h2><p>Bars are ranges: approximate (~), uncertain (?) and interval dates are drawn over the whole period they cover (dashed when qualified); dots are exact days. The axis follows the dates: where a long stretch holds no date it is left out (marked “time cut”), so each side is drawn to its own scale.</p>");
    h.push_str(&svg_timeline(&rows));
    h.push_str("<h2>Chronology</h2><table><thead><tr><th>No.</th><th>Occurred</th><th>Recorded (UTC)</th><th>Event</th><th>Source (grade)</th><th>Evidence</th><th>Recorded by</th></tr></thead><tbody>");
    for r in &rows {
        chronology_row(&mut h, l, r, reveal)?;
    }
    h.push_str("</tbody></table>");
    h.push_str(GRADES);
    custody_and_digests(&mut h, l)?;
    erasures_table(&mut h, l)?;
    appendix(&mut h, l, made.tsa)?;
    h.push_str("</div></body></html>\n");
    Ok(h)
}

/// The legend of the Admiralty (NATO AJP-2.1) grades the sources carry.
const GRADES: &str = "<div class=\"legend\"><h3>Source grades</h3><p>Each source is graded as recorded by the member who entered it, on the Admiralty scale: a letter for the source's reliability and a digit for the information's credibility. Reliability: A completely reliable, B usually reliable, C fairly reliable, D not usually reliable, E unreliable, F reliability cannot be judged. Credibility: 1 confirmed by other sources, 2 probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 truth cannot be judged. A grade is the recorder's assessment, not a finding of this software.</p></div>";

/// When, by what and by whom the report was made, and what it covers.
fn prepared(
    l: &Ledger,
    preparer: Option<&crate::format::entry::MemberKey>,
) -> Result<String, LedgerError> {
    let now = chrono::Utc::now();
    let local = match l.read(Seq(0))?.map(|(_, e)| e.body) {
        Some(Body::LedgerOpen(o)) => o.zone.and_then(|z| {
            let tz: chrono_tz::Tz = z.parse().ok()?;
            Some(format!(
                " ({} in the case's zone, {z})",
                now.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S %Z")
            ))
        }),
        _ => None,
    };
    let now = format!(
        "{}{}",
        now.format("%Y-%m-%d %H:%M:%S UTC"),
        local.unwrap_or_default()
    );
    let size = l.head().tree.size.0;
    let cp = match l.latest_checkpoint()? {
        Some((s, _)) if s.0 == size => format!("the latest checkpoint covers all {size} entries"),
        Some((s, _)) => {
            let after = size - s.0;
            let (n, are) = if after == 1 {
                ("entry", "is")
            } else {
                ("entries", "are")
            };
            format!("the latest checkpoint covers the first {} of them; the {after} {n} after it {are} not yet covered by any checkpoint", s.0)
        }
        None => "no checkpoint covers them yet".into(),
    };
    let by = match preparer {
        Some(k) if l.members().get(k).is_some() => format!(
            "Prepared by {} (the member whose key was given to the export; the report itself is not signed).",
            esc(&l.members().display(k))
        ),
        Some(k) => format!("Prepared with key {}, which is not a member of this ledger.", esc(&k.short())),
        None => "The preparing member was not stated (give --key to the export to name them).".into(),
    };
    Ok(format!(
        "<p class=\"made\">Exported {now} by caselog {}; as of size {size}: this report shows the ledger's first {size} entries, and {cp}. {by}</p>",
        env!("CARGO_PKG_VERSION")
    ))
}

/// The document head and the caption with the exhibit label.
fn caption(l: &Ledger, exhibit: Option<&str>, title: Option<&str>) -> Result<String, LedgerError> {
    let (case_id, case_title) = match l.read(Seq(0))?.map(|(_, e)| e.body) {
        Some(Body::LedgerOpen(o)) => (o.case_id, o.title),
        _ => ("unknown".into(), "unknown".into()),
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{CSS}</style></head><body>\n",
        esc(title.unwrap_or(&case_title)),
        esc(&case_id)
    );
    let _ = write!(
        h,
        r#"<div class="caption"><div><h1>{}</h1><div>Case {}: {}</div><div>Timeline and evidence record exported from caselog ledger <span class="mono">{}</span> ({} entries).</div></div>{}</div>"#,
        esc(title.unwrap_or(&case_title)),
        esc(&case_id),
        esc(&case_title),
        l.id(),
        l.head().tree.size.0,
        exhibit
            .map(|e| format!(r#"<div class="exhibit">{}</div>"#, esc(e)))
            .unwrap_or_default()
    );
    Ok(h)
}

/// One chronology row: dates, the entry with its private fields and
/// corrections, sources, evidence, signer.
/// The date as entered: ≈ when imprecise, its zone beneath (SPEC §13.1).
fn occurred_cell(r: &crate::export::timeline::Row) -> String {
    let date = esc(r.occurred.as_str());
    let date = if r.occurred.is_imprecise() {
        format!(r#"<span class="approx">≈ {date}</span>"#)
    } else {
        date
    };
    match (r.body.zone(), r.case_zone.as_deref(), &r.zoned) {
        (Some(z), _, Some(how)) => format!(
            r#"{date}<br><span class="zone">{}</span><br><span class="zone">{}</span>"#,
            esc(z),
            esc(&how.describe(z))
        ),
        (None, Some(z), Some(how)) => format!(
            r#"{date}<br><span class="zone">{} (the case's zone; none was entered)</span>"#,
            esc(&how.describe(z))
        ),
        (Some(z), _, None) => format!(r#"{date}<br><span class="zone">{}</span>"#, esc(z)),
        _ => date,
    }
}

fn chronology_row(
    h: &mut String,
    l: &Ledger,
    r: &crate::export::timeline::Row,
    reveal: &crate::format::disclosure::Reveal,
) -> Result<(), LedgerError> {
    let occurred = occurred_cell(r);
    let sources = match &r.body {
        Domain::Event(e) => e
            .sources
            .iter()
            .map(|s| format!("{} ({})", esc(&s.name), esc(&s.grade)))
            .collect::<Vec<_>>()
            .join("<br>"),
        _ => String::new(),
    };
    let evidence = match &r.body {
        Domain::EvidenceIntake(i) => i
            .digest_rows()
            .iter()
            .map(|f| {
                format!(
                    "{} {} <span class=\"mono\">{}…</span>",
                    esc(&i.item),
                    esc(&f.name),
                    &f.sha256.to_hex()[..12]
                )
            })
            .collect::<Vec<_>>()
            .join("<br>"),
        d => d.item().map(esc).unwrap_or_default(),
    };
    // SPEC §13.4: an entry entered in error stays, struck through.
    let mut event = if r.voided.is_empty() {
        esc(&r.summary)
    } else {
        format!(
            r#"<s>{}</s><div class="corr">{}</div>"#,
            esc(&r.summary),
            esc(&crate::export::voided_text(l, r))
        )
    };
    let private = crate::export::revealed(l, r, reveal)?;
    for (k, v) in &private {
        let _ = write!(
            event,
            r#"<div class="corr">private {}: {}</div>"#,
            esc(k),
            esc(v)
        );
    }
    if r.sd.len() > private.len() {
        let _ = write!(
            event,
            r#"<div class="corr">{} private field(s) redacted (digests kept)</div>"#,
            r.sd.len() - private.len()
        );
    }
    corrections_cell(&mut event, r);
    let _ = write!(
        h,
        "<tr><td>{}</td><td>{occurred}</td><td class=\"mono when\">{}</td><td>{event}</td><td>{sources}</td><td>{evidence}</td><td>{}</td></tr>",
        r.seq.0,
        when(&r.recorded),
        esc(&l.members().display(&r.author))
    );
    Ok(())
}

/// The corrections of a row, appended to its event cell: who corrected
/// what from what to what, and whether the correction applies.
fn corrections_cell(event: &mut String, r: &crate::export::timeline::Row) {
    for c in &r.corrections {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|(k, (o, n))| {
                format!(
                    "{}: {} → {}",
                    esc(k),
                    esc(o.as_deref().unwrap_or("(none)")),
                    esc(n)
                )
            })
            .collect();
        let _ = write!(
            event,
            r#"<div class="corr">Corrected by No. {} ({}){}: {}</div>"#,
            c.seq.0,
            esc(&c.reason),
            if c.applied {
                ""
            } else {
                " — not applied, invalid value"
            },
            fields.join("; ")
        );
    }
}

/// Per item: its custody steps and status; then every file's digests.
fn custody_and_digests(h: &mut String, l: &Ledger) -> Result<(), LedgerError> {
    h.push_str("<h2>Chain of custody</h2>");
    let mut digests = String::new();
    if l.custody().iter().next().is_none() {
        h.push_str("<p>No evidence items.</p>");
    }
    for st in l.custody().iter() {
        let _ = write!(h, "<h3>{}</h3><table><thead><tr><th>No.</th><th>Recorded (UTC)</th><th>Step</th><th>Signed by</th></tr></thead><tbody>", esc(&st.item));
        for (seq, raw) in l.item_records(&st.item)? {
            let (_, e) = crate::ledger::decode(seq, &raw)?;
            let signer = match &e.body {
                Body::Domain(Domain::CustodyReceive(c)) if c.receipt.is_some() => format!(
                    "{} (receipt signed by {})",
                    l.members().display(&e.author),
                    l.members().display(&c.receipt.as_ref().expect("some").key)
                ),
                _ => l.members().display(&e.author),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"mono when\">{}</td><td>{}</td><td>{}</td></tr>",
                seq.0,
                when(&e.time),
                esc(&e.body.summary_with(&|k| l.members().display(k))),
                esc(&signer)
            );
            entry_digests(&mut digests, seq, &e.body);
        }
        let status = match (&st.closed, &st.pending) {
            (Some((how, at)), _) => format!("{how} at No. {at}"),
            (None, Some((_, to))) => {
                format!("released to {}, awaiting receipt", l.members().display(to))
            }
            _ => format!("held by {}", l.members().display(&st.holder)),
        };
        let _ = write!(
            h,
            "</tbody></table><p>Status at export: {}.</p>",
            esc(&status)
        );
    }
    h.push_str("<h2>Evidence digests</h2>");
    if digests.is_empty() {
        h.push_str("<p>No evidence files.</p>");
    } else {
        let _ = write!(h, "<table><thead><tr><th>Item</th><th>File</th><th>Bytes</th><th>SHA-256</th><th>BLAKE3</th></tr></thead><tbody>{digests}</tbody></table>");
    }
    Ok(())
}

/// Erasures (court orders, retention): the values are gone, the digests stay.
fn erasures_table(h: &mut String, l: &Ledger) -> Result<(), LedgerError> {
    let mut erasures = String::new();
    for item in l.records_from(Seq(0)) {
        let (seq, raw) = item?;
        if let Body::Domain(Domain::DisclosureErased(d)) = crate::ledger::decode(seq, &raw)?.1.body
        {
            let target = l
                .seq_of_leaf(&d.target)?
                .map(|s| s.0.to_string())
                .unwrap_or_else(|| "?".into());
            let _ = write!(
                erasures,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}…</td></tr>",
                seq.0,
                target,
                esc(&d.path),
                esc(&d.reason),
                esc(d.authority.as_deref().unwrap_or("")),
                &d.digest.to_hex()[..16]
            );
        }
    }
    h.push_str("<h2>Erasures</h2>");
    if erasures.is_empty() {
        h.push_str("<p>No private field has been erased.</p>");
    } else {
        let _ = write!(h, "<table><thead><tr><th>No.</th><th>Of entry</th><th>Field</th><th>Reason</th><th>Authority</th><th>Digest</th></tr></thead><tbody>{erasures}</tbody></table>");
    }
    Ok(())
}

/// The latest checkpoint, its signers, and what its time-stamps show.
pub(crate) fn checkpoint_rows(
    h: &mut String,
    l: &Ledger,
    tsa: Option<&crate::tlog::tsp::Anchors>,
) -> Result<(), LedgerError> {
    let Some((size, note)) = l.latest_checkpoint()? else {
        h.push_str("<tr><th>Checkpoint</th><td>none stored</td></tr>");
        return Ok(());
    };
    h.push_str(&checkpoint_row(l, &note));
    let body = l.checkpoint_body(size)?;
    let mut rows = String::new();
    for token in l.timestamps_at(size)? {
        let line = match crate::tlog::tsp::verify_token(&token, body.as_bytes(), tsa) {
            Ok(t) if t.anchored => format!(
                "The state of the ledger at {} entries existed no later than {} UTC, per the time-stamping authority {} (RFC 3161 token, verified against its root certificate).",
                size.0, when(&t.gen_time), t.tsa
            ),
            Ok(t) => format!(
                "A time-stamp by {} for {} UTC (its authority's certificate was not checked against a root: export with --tsa-ca to state this time).",
                t.tsa, when(&t.gen_time)
            ),
            Err(e) => format!("A stored time-stamp does not verify: {e}."),
        };
        let _ = write!(rows, "{}<br>", esc(&line));
    }
    if rows.is_empty() {
        rows = "none (an independent time can be added with <code>caselog timestamp</code>)".into();
    }
    let _ = write!(h, "<tr><th>Time-stamps</th><td>{rows}</td></tr>");
    Ok(())
}

/// A table row with a checkpoint note, verbatim, and the names that
/// signed it (shared with the certification).
pub(crate) fn checkpoint_row(l: &Ledger, note: &[u8]) -> String {
    let signers = checkpoint::parse(note)
        .map(|(_, n)| {
            n.sigs
                .iter()
                .map(|g| signer_name(l, g))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    format!(
        "<tr><th>Latest checkpoint</th><td><pre>{}</pre>Signature lines (not verified by this table; see the verification above): {}</td></tr>",
        esc(&String::from_utf8_lossy(note)),
        esc(&signers)
    )
}

/// Who a checkpoint's signature line names: the authority whose log key
/// has its name and key id, as `member list` names them; otherwise the
/// line's own key name (a witness, or no authority of this ledger).
fn signer_name(l: &Ledger, g: &crate::tlog::note::NoteSig) -> String {
    let by = l
        .members()
        .iter()
        .filter(|m| m.role == crate::format::entry::Role::Authority)
        .find(|m| {
            let k = l.origin().log_key(m.key);
            k.name == g.name && k.id() == g.id
        });
    match by {
        Some(m) => format!(
            "{} (authority; log key {})",
            l.members().display(&m.key),
            hex::encode(g.id)
        ),
        None => format!(
            "key {} {} (not an authority of this ledger: a witness or another signer)",
            g.name,
            hex::encode(g.id)
        ),
    }
}

/// What the report says of how it was made, beyond the ledger itself.
#[derive(Default)]
pub struct Made<'a> {
    /// Exhibit label.
    pub exhibit: Option<&'a str>,
    /// Caption title (default: the case title).
    pub title: Option<&'a str>,
    /// Which private fields it reveals.
    pub reveal: crate::format::disclosure::Reveal,
    /// The member preparing it (the key given to the export), named as
    /// enrolled; the report itself is not signed.
    pub preparer: Option<crate::format::entry::MemberKey>,
    /// Time-stamping roots (`--tsa-ca`): only then is a time-stamp's time
    /// stated as shown.
    pub tsa: Option<&'a crate::tlog::tsp::Anchors>,
}

/// The findings of a verification run as a table row (SPEC §9.3): facts
/// the members recorded, shown apart from the verdict on integrity.
pub(crate) fn findings_row(report: &crate::audit::Report) -> String {
    let mut cell = String::new();
    if report.findings.is_empty() {
        cell.push_str("none: no entry records a seal found not intact, a copy or tree that differed on re-hashing, a refused transfer or a condition on receipt");
    } else {
        cell.push_str("Facts recorded in the entries, each a statement by the member named; they are not problems of the ledger's integrity and do not change the verdict above:<br>");
        for f in report.findings.iter().take(200) {
            let _ = write!(cell, "{}<br>", esc(&f.to_string()));
        }
        let more = report.findings.len().saturating_sub(200) as u64 + report.findings_omitted;
        if more > 0 {
            let _ = write!(
                cell,
                "... and {more} more (listed by <code>caselog verify</code>)"
            );
        }
    }
    format!("<tr><th>Findings recorded in the ledger</th><td>{cell}</td></tr>")
}

/// The verification appendix: identity, verdict at export, the latest
/// checkpoint, the log keys (revoked ones marked), how to re-verify.
fn appendix(
    h: &mut String,
    l: &Ledger,
    tsa: Option<&crate::tlog::tsp::Anchors>,
) -> Result<(), LedgerError> {
    let report = verify_store(l.store()).map_err(LedgerError::Store)?;
    h.push_str(r#"<div class="appendix"><h2>Verification appendix</h2><table>"#);
    let _ = write!(
        h,
        "<tr><th>Ledger id</th><td class=\"mono\">{}</td></tr><tr><th>Hash</th><td>{}</td></tr><tr><th>Entries</th><td>{}</td></tr><tr><th>Merkle root</th><td class=\"mono\">{}</td></tr>",
        l.id(),
        l.hash_alg(),
        l.head().tree.size.0,
        l.head().tree.root
    );
    let verdict = if report.is_ok() {
        format!(
            r#"<span class="ok">VERIFIED</span> at export: {} entries, {} checkpoint(s) compared; every signature, link, membership, custody step and the Merkle tree recomputed. Stored evidence copies were not re-hashed by this run (the evidence digests above were).</p>"#,
            report.entries, report.checkpoints
        )
    } else {
        let list: Vec<String> = report
            .problems
            .iter()
            .take(50)
            .map(|p| esc(&p.to_string()))
            .collect();
        format!(
            r#"<span class="bad">PROBLEMS FOUND</span> at export:<br>{}"#,
            list.join("<br>")
        )
    };
    let _ = write!(h, "<tr><th>Verification</th><td>{verdict}</td></tr>");
    h.push_str(&findings_row(&report));
    checkpoint_rows(h, l, tsa)?;
    h.push_str("<tr><th>Log verifier keys</th><td class=\"mono\">");
    for m in l
        .members()
        .iter()
        .filter(|m| m.role == crate::format::entry::Role::Authority)
    {
        let k = l.origin().log_key(m.key);
        match m.revoked {
            None => {
                let _ = write!(h, "{}<br>", esc(&k.to_string()));
            }
            // A revoked key vouches only for checkpoints of sizes up to its
            // revocation (SPEC §10.3); say so beside it.
            Some(r) => {
                let _ = write!(
                    h,
                    "<s>{}</s> <strong>REVOKED</strong> at seq {} ({}): valid only for checkpoints of size {} or less<br>",
                    esc(&k.to_string()),
                    r.0,
                    esc(&m.name),
                    r.0
                );
            }
        }
    }
    h.push_str("</td></tr></table>");
    h.push_str(
        "<h3>How to re-verify</h3><ol>\
<li>Obtain the bundle exported alongside this report (<code>caselog export bundle --out case.bundle</code>) and the log verifier key above from a source you trust (not from this document alone).</li>\
<li>Verify with caselog, offline: <pre>caselog verify --bundle case.bundle --trust 'LOG_VERIFIER_KEY' [--witness 'WITNESS_KEY' --quorum 1]</pre></li>\
<li>Verify with the independent verifier written from the published specification: <pre>tools/verify-bundle case.bundle --trust 'LOG_VERIFIER_KEY'</pre></li>\
<li>Both must print VERIFIED, with the ledger id and root shown above. Any alteration, removal or reordering of an entry, or a signature by anyone not enrolled, makes them fail with a stated reason.</li>\
<li>To check an evidence file, compute its SHA-256 (e.g. <code>sha256sum FILE</code>) and compare with the digests table.</li></ol>",
    );
    Ok(())
}

/// The digest rows an intake or attach adds to the report's table.
fn entry_digests(digests: &mut String, seq: Seq, body: &Body) {
    if let Body::Domain(Domain::EvidenceAttach(a)) = body {
        for f in a.digest_rows() {
            let _ = write!(
                digests,
                "<tr><td>{}</td><td>{}<br><small>attached at No. {}</small></td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                esc(&a.item),
                esc(&f.name),
                seq.0,
                f.size,
                f.sha256,
                f.blake3
            );
        }
    }
    if let Body::Domain(Domain::EvidenceIntake(i)) = body {
        for f in i.digest_rows() {
            let what = match f.what {
                crate::format::kinds::DigestOf::File => String::new(),
                w => format!("<br><small>{}</small>", esc(&w.describe())),
            };
            let _ = write!(
                digests,
                "<tr><td>{}</td><td>{}{what}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                esc(&i.item),
                esc(&f.name),
                f.size,
                f.sha256,
                f.blake3
            );
        }
        if let Some(t) = &i.tree {
            let _ = write!(
                digests,
                "<tr><td colspan=\"5\">{} tree {}: {} file(s), {} bytes; its file-by-file manifest in hashdeep's format: <code>caselog evidence manifest {} -o {}.hashdeep</code></td></tr>",
                esc(&i.item),
                esc(&t.key()),
                t.files,
                t.bytes,
                esc(&i.item),
                esc(&i.item)
            );
        }
    }
}
