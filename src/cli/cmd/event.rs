//! `event add`, `notify add`, `action add`, `correct`, `timeline`.

use crate::cli::args::ActionAddArgs;
use crate::cli::args::CorrectArgs;
use crate::cli::args::EventAdd;
use crate::cli::args::NotifyAddArgs;
use crate::cli::args::TimelineArgs;
use crate::cli::args::VoidArgs;
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::domain_append::AppendCmd;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::edtf;
use crate::cli::input::load_signer;
use crate::cli::input::opt_text;
use crate::cli::input::private_fields;
use crate::cli::input::resolve_entry;
use crate::cli::input::target;
use crate::cli::input::EntryArg;
use crate::cli::output::hash_with_progress;
use crate::cli::output::out;
use crate::cli::remote::Target;
use crate::cli::select::Wanted;
use caselog::export::timeline;
use caselog::export::timeline::Filter;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::MAX_NOTE_LEN;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds;
use caselog::format::kinds::Action;
use caselog::format::kinds::Correction;
use caselog::format::kinds::Domain;
use caselog::format::kinds::Event;
use caselog::format::kinds::Notification;
use caselog::format::kinds::Source;
use caselog::storage::keys::Signer;

pub(crate) fn check_event_add(a: &EventAdd, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    Ok({
        let dir = target(g)?;
        if a.sources.len() != a.grades.len() {
            return Err(CliError::input(
                format!(
                    "{} --source but {} --grade",
                    a.sources.len(),
                    a.grades.len()
                ),
                "give one --grade (e.g. B2) after each --source",
            ));
        }
        if a.source_refs.len() > a.sources.len() {
            return Err(CliError::input(
                "more --source-ref than --source",
                "give each --source-ref after its --source",
            ));
        }
        let mut sources = Vec::new();
        for (i, (name, grade)) in a.sources.iter().zip(&a.grades).enumerate() {
            if !kinds::valid_grade(grade) {
                return Err(CliError::input(
                    format!("grade {grade:?} is not an Admiralty grade"),
                    "use reliability A-F then credibility 1-6, e.g. B2 (usually reliable, probably true)",
                ));
            }
            sources.push(Source {
                name: check_text("source", name, MAX_SHORT_TEXT)?,
                grade: grade.clone(),
                reference: a.source_refs.get(i).cloned(),
                digest: None,
            });
        }
        for t in &a.tags {
            check_text("tag", t, 255)?;
        }
        Box::new(AppendCmd {
            private: private.clone(),
            body: Domain::Event(Event {
                zone: crate::cli::input::zone(&a.zone)?,
                title: check_text("title", &a.title, MAX_SHORT_TEXT)?,
                description: opt_text(&a.description, "description", MAX_NOTE_LEN)?,
                occurred: edtf(&a.occurred, "occurred")?,
                location: opt_text(&a.location, "location", MAX_SHORT_TEXT)?,
                sources,
                tags: a.tags.clone(),
                refs: Vec::new(),
            }),
            refs: a.refs.iter().cloned().map(EntryArg).collect(),
            signer: load_signer(g)?,
            dir,
        })
    })
}

pub(crate) fn check_notify_add(a: &NotifyAddArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let NotifyAddArgs {
        by,
        to,
        count,
        channel,
        sent,
        subject,
        template,
        zone,
        ..
    } = a;
    Ok({
        let dir = target(g)?;
        let digest = match template {
            None => None,
            Some(p) => Some(hash_with_progress(p)?.blake3),
        };
        Box::new(AppendCmd {
            private: private.clone(),
            body: Domain::Notification(Notification {
                zone: crate::cli::input::zone(zone)?,
                by: check_text("--by", by, MAX_SHORT_TEXT)?,
                to: check_text("--to", to, MAX_SHORT_TEXT)?,
                count: *count,
                channel: channel.clone(),
                sent: edtf(sent, "sent")?,
                subject: opt_text(subject, "subject", MAX_SHORT_TEXT)?,
                digest,
            }),
            refs: Vec::new(),
            signer: load_signer(g)?,
            dir,
        })
    })
}

pub(crate) fn check_action_add(a: &ActionAddArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let ActionAddArgs {
        title,
        occurred,
        by,
        authority,
        outcome,
        zone,
        ..
    } = a;
    Ok({
        let dir = target(g)?;
        let occurred = edtf(occurred, "occurred")?;
        let signer = load_signer(g)?;
        Box::new(AppendCmd {
            private: private.clone(),
            body: Domain::Action(Action {
                zone: crate::cli::input::zone(zone)?,
                title: check_text("title", title, MAX_SHORT_TEXT)?,
                // Empty until run: then the signer's enrolled name, which
                // needs the ledger (not the key file's comment).
                by: match by {
                    Some(b) => check_text("--by", b, MAX_SHORT_TEXT)?,
                    None => String::new(),
                },
                occurred,
                authority: opt_text(authority, "authority", MAX_SHORT_TEXT)?,
                outcome: opt_text(outcome, "outcome", MAX_NOTE_LEN)?,
            }),
            refs: Vec::new(),
            signer,
            dir,
        })
    })
}

pub(crate) fn check_correct(a: &CorrectArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let CorrectArgs {
        entry,
        set,
        reason,
        dry_run,
        ..
    } = a;
    Ok({
        let mut map = std::collections::BTreeMap::new();
        for kv in set {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                CliError::input(
                    format!("--set {kv:?} is not FIELD=VALUE"),
                    "e.g. --set occurred=2008-11-06",
                )
            })?;
            if k.is_empty() || k.len() > 64 {
                return Err(CliError::input(
                    format!("--set {kv:?}: empty or long field name"),
                    "name a field of the entry's body",
                ));
            }
            map.insert(k.to_owned(), v.to_owned());
        }
        Box::new(CorrectCmd {
            private: private.clone(),
            target: EntryArg(entry.clone()),
            set: map,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
            dry_run: *dry_run,
            dir: target(g)?,
            signer: load_signer(g)?,
        })
    })
}

pub(crate) fn check_void(a: &VoidArgs, g: &Globals) -> Result<Checked, CliError> {
    let VoidArgs { entry, reason, .. } = a;
    Ok(Box::new(VoidCmd {
        target: EntryArg(entry.clone()),
        reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `void ENTRY`, checked.
pub(crate) struct VoidCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) target: EntryArg,
    pub(crate) reason: String,
}

impl Run for VoidCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_void(*self)
    }
}

pub(crate) fn run_void(cmd: VoidCmd) -> Result<u8, CliError> {
    let VoidCmd {
        dir,
        signer,
        target,
        reason,
    } = cmd;
    let mut l = dir.open(true)?;
    let (tseq, leaf) = resolve_entry(&l, &target)?;
    let body = Domain::Void(caselog::format::kinds::Void {
        target: leaf,
        reason,
    });
    let (seq, _) = append(&mut l, body, &signer, Vec::new())?;
    out(&format!(
        "seq {seq}: entry {tseq} marked as entered in error; it stays in the ledger, shown struck through\n"
    ))?;
    Ok(exit::OK)
}

pub(crate) fn check_timeline(a: &TimelineArgs, g: &Globals) -> Result<Checked, CliError> {
    let sel = &a.select;
    // `--from`/`--to` are the former names of `--since`/`--until`.
    let since = if a.from.is_some() {
        (&a.from, "from")
    } else {
        (&sel.since, "since")
    };
    let until = if a.to.is_some() {
        (&a.to, "to")
    } else {
        (&sel.until, "until")
    };
    Ok(Box::new(TimelineCmd {
        wanted: Wanted::check(sel, since, until)?,
        dir: target(g)?,
        json: a.json,
        reveal: if a.reveal {
            caselog::format::disclosure::Reveal::Paths(vec!["*".into()])
        } else {
            caselog::format::disclosure::Reveal::None
        },
    }))
}

/// `correct ENTRY --set ...`, checked.
pub(crate) struct CorrectCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) target: EntryArg,
    pub(crate) set: std::collections::BTreeMap<String, String>,
    pub(crate) reason: String,
    pub(crate) dry_run: bool,
}

impl Run for CorrectCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_correct(*self)
    }
}

pub(crate) fn run_correct(cmd: CorrectCmd) -> Result<u8, CliError> {
    let CorrectCmd {
        private,
        dir,
        signer,
        target,
        set,
        reason,
        dry_run,
    } = cmd;
    let mut l = dir.open(!dry_run)?;
    let (tseq, leaf) = resolve_entry(&l, &target)?;
    let before = correction_preview(&l, tseq, &set)?;
    let body = Domain::Correction(Correction {
        target: leaf,
        set,
        reason,
    });
    let said = if dry_run {
        l.precheck(&caselog::format::entry::Body::Domain(body), &signer)?;
        "dry run: the correction would be accepted; nothing recorded".to_owned()
    } else {
        let (seq, _) = append(&mut l, body, &signer, private)?;
        format!("seq {seq}: correction of entry {tseq} recorded; the original stays")
    };
    out(&format!("{before}{said}\n"))?;
    Ok(exit::OK)
}

/// The target's kind and summary, then each field set: its value before
/// (as recorded) and after.
fn correction_preview(
    l: &caselog::Ledger,
    seq: caselog::Seq,
    set: &std::collections::BTreeMap<String, String>,
) -> Result<String, CliError> {
    use caselog::format::cbor::Value;
    let raw = l
        .record_bytes(seq)?
        .ok_or_else(|| CliError::input(format!("no entry {seq}"), "see `caselog log`"))?;
    let (_, e) = caselog::ledger::decode(seq, &raw)?;
    let mut s = format!(
        "entry {seq} ({}): {}\n",
        e.body.kind().name(),
        e.body.summary_with(&|k| l.members().display(k))
    );
    let fields = match &e.body {
        caselog::format::entry::Body::Domain(d) => d.to_value(),
        _ => Value::Map(Default::default()),
    };
    for (k, v) in set {
        let was = match &fields {
            Value::Map(m) => match m.get(k) {
                Some(Value::Text(t)) => format!("{t:?}"),
                Some(_) => "(not text)".to_owned(),
                None => "(none)".to_owned(),
            },
            _ => "(none)".to_owned(),
        };
        s.push_str(&format!("  {k}: {was} -> {v:?}\n"));
    }
    Ok(s)
}

/// `timeline`, checked.
pub(crate) struct TimelineCmd {
    pub(crate) dir: Target,
    pub(crate) wanted: Wanted,
    pub(crate) json: bool,
    pub(crate) reveal: caselog::format::disclosure::Reveal,
}

impl Run for TimelineCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_timeline(*self)
    }
}

pub(crate) fn run_timeline(cmd: TimelineCmd) -> Result<u8, CliError> {
    let TimelineCmd {
        dir,
        wanted,
        json,
        reveal,
    } = cmd;
    let l = dir.open(false)?;
    let select = wanted.resolve(&l)?;
    let filter = Filter {
        from: select.since,
        to: select.until,
        kinds: select.kinds.clone(),
    };
    let mut rows = caselog::export::timeline_rows(&l, &filter)?;
    rows.retain(|r| select.keeps_row(r, l.members()));
    if rows.is_empty() && select != caselog::export::select::Select::default() {
        eprintln!("caselog: no entries match");
    }
    let mut s = String::new();
    for r in &rows {
        let private = caselog::export::revealed(&l, r, &reveal)?;
        if json {
            s.push_str(&(caselog::export::row_json(&l, r, &private).to_string() + "\n"));
        } else {
            s.push_str(&timeline_text(r, &private));
        }
    }
    if !json {
        s.push_str(&format!(
            "{} dated entries; ≈ marks approximate, uncertain, interval or coarser-than-a-day dates\n",
            rows.len()
        ));
    }
    out(&s)?;
    Ok(exit::OK)
}

/// One timeline row as text: the date (≈ when imprecise), the entry, its
/// private fields (or how many are hidden) and its corrections.
fn timeline_text(r: &timeline::Row, private: &[(String, String)]) -> String {
    let mut s = String::new();
    let mark = if r.occurred.is_imprecise() {
        "≈"
    } else {
        " "
    };
    s.push_str(&format!(
        "{mark}{:<24} recorded {}  #{:<4} {:<15} {}\n",
        r.occurred.as_str(),
        &r.recorded.to_string()[..16],
        r.seq.0,
        r.kind,
        r.summary
    ));
    for v in &r.voided {
        s.push_str(&format!(
            "{:>27} VOID: entered in error (#{}): {}\n",
            "", v.seq.0, v.reason
        ));
    }
    match (r.body.zone(), r.case_zone.as_deref(), &r.zoned) {
        (Some(z), _, Some(how)) => s.push_str(&format!("{:>27} {z} {}\n", "", how.describe(z))),
        (None, Some(z), Some(how)) => s.push_str(&format!(
            "{:>27} {} (the case's zone; none was entered)\n",
            "",
            how.describe(z)
        )),
        _ => {}
    }
    if !r.sd.is_empty() {
        if private.is_empty() {
            s.push_str(&format!(
                "{:>27} {} private field(s), shown with --reveal\n",
                "",
                r.sd.len()
            ));
        } else {
            for (k, v) in private {
                s.push_str(&format!(
                    "{:>27} private {k}: {}\n",
                    "",
                    v.replace('\n', " ")
                ));
            }
        }
    }
    for c in &r.corrections {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|(k, (old, new))| format!("{k}: {} -> {new}", old.as_deref().unwrap_or("(none)")))
            .collect();
        s.push_str(&format!(
            "{:>27} CORRECTED by #{} ({}){}: {}\n",
            "",
            c.seq.0,
            c.reason,
            if c.applied {
                ""
            } else {
                " [not applicable: invalid value]"
            },
            fields.join("; ")
        ));
    }
    s
}
