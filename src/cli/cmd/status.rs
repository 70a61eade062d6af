//! `status`: what needs attention in a case, worded from
//! [`caselog::export::status`] (the ledger's current state, nothing
//! verified; the text says so where a reader could think otherwise).

use caselog::export::status::{status, InTransit, Status};
use caselog::format::entry::Timestamp;
use caselog::format::ids::Role;
use caselog::rules::policy::Members;
use serde_json::json;

use crate::cli::args::StatusArgs;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::target;
use crate::cli::output::out;
use crate::cli::remote::Target;

/// `status`, checked.
pub(crate) struct StatusCmd {
    dir: Target,
    json: bool,
}

pub(crate) fn check(a: &StatusArgs, g: &Globals) -> Result<Checked, CliError> {
    Ok(Box::new(StatusCmd {
        dir: target(g)?,
        json: a.json,
    }))
}

impl Run for StatusCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let l = self.dir.open(false)?;
        let s = status(&l)?;
        let now = Timestamp::now();
        out(&if self.json {
            serde_json::to_string_pretty(&status_json(&s, l.members(), &now)).expect("cli: JSON")
                + "\n"
        } else {
            status_text(&s, l.members(), &now)
        })?;
        Ok(exit::OK)
    }
}

/// "3 d 4 h", "5 h 2 min", "40 s" from `then` to `now`.
fn age(then: &Timestamp, now: &Timestamp) -> String {
    let s = (now.micros() - then.micros()).max(0) / 1_000_000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

fn transit_line(t: &InTransit, m: &Members, now: &Timestamp) -> String {
    let when = match (&t.release, &t.released) {
        (Some(seq), Some(at)) => format!("released at seq {seq}, {at} ({} ago)", age(at, now)),
        _ => "release entry not found".into(),
    };
    let owed = if t.to_role == Some(Role::External) {
        "; a receipt signed offline by the receiver is owed (`caselog custody import-receipt`)"
    } else {
        ""
    };
    format!(
        "  {}  from {} to {}: {when}{owed}\n",
        t.item,
        m.display(&t.holder),
        m.display(&t.to)
    )
}

fn status_text(s: &Status, m: &Members, now: &Timestamp) -> String {
    let mut o = format!(
        "ledger: {} entries, the newest recorded {} ({} ago)\n",
        s.entries,
        s.newest,
        age(&s.newest, now)
    );
    o.push_str("in transit (released, not yet received or refused):\n");
    if s.in_transit.is_empty() {
        o.push_str("  none\n");
    }
    for t in &s.in_transit {
        o.push_str(&transit_line(t, m, now));
    }
    let lists: [(&str, Vec<String>); 4] = [
        (
            "files with no stored copy (taken in without --copy)",
            s.without_copy
                .iter()
                .map(|(i, f)| format!("{i}: {}", f.join(", ")))
                .collect(),
        ),
        (
            "seals on items now",
            s.sealed
                .iter()
                .map(|(i, v)| format!("{i}: {}", v.join(", ")))
                .collect(),
        ),
        (
            "in an evidence room",
            s.stored
                .iter()
                .map(|(i, at, seq)| format!("{i} at {at} since seq {seq}"))
                .collect(),
        ),
        (
            "closed",
            s.closed
                .iter()
                .map(|(i, how, seq)| format!("{i} {how} at seq {seq}"))
                .collect(),
        ),
    ];
    for (title, rows) in lists.iter().filter(|(_, r)| !r.is_empty()) {
        o.push_str(&format!("{title}:\n"));
        for r in rows {
            o.push_str(&format!("  {r}\n"));
        }
    }
    o.push_str(&checkpoint_text(s, now));
    if let Some(seq) = s.purge_pending {
        o.push_str(&format!("erasure recorded at seq {seq} not yet purged from the files: the next command that writes finishes it (or `caselog erase --resume`)\n"));
    }
    for (name, key, seq) in &s.revoked {
        o.push_str(&format!(
            "revoked at seq {seq}: {name} ({})\n",
            key.fingerprint()
        ));
    }
    o.push_str(&holds_and_imports(s));
    o
}

fn checkpoint_text(s: &Status, now: &Timestamp) -> String {
    let Some(c) = &s.checkpoint else {
        return "checkpoint: none signed yet (an authority signs one with `caselog checkpoint`)\n"
            .into();
    };
    let covered = c
        .newest_covered
        .as_ref()
        .map(|t| {
            format!(
                "; the newest entry it covers was recorded {t} ({} ago)",
                age(t, now)
            )
        })
        .unwrap_or_default();
    format!(
        "checkpoint: size {} ({} since){covered}; {}; time-stamp token {}\n",
        c.size.0,
        match s.entries - c.size.0 {
            1 => "1 entry".to_owned(),
            n => format!("{n} entries"),
        },
        match c.other_signatures {
            Some(n) => format!("{n} signature line(s) by keys other than the ledger's authorities (witnesses, mirrors; counted here, not re-verified: a reader who pins their keys checks them, e.g. `caselog verify --bundle FILE --trust LOG_VKEY --witness VKEY --quorum 1`)"),
            None => "its stored note could not be parsed, so nothing is said of its signature lines".into(),
        },
        if c.timestamped { "stored (not verified here)" } else { "none" },
    )
}

fn status_json(s: &Status, m: &Members, now: &Timestamp) -> serde_json::Value {
    json!({
        "entries": s.entries,
        "newest_recorded": s.newest.to_string(),
        "in_transit": s.in_transit.iter().map(|t| json!({
            "item": t.item,
            "holder": m.display(&t.holder),
            "to": m.display(&t.to),
            "receipt_owed_offline": t.to_role == Some(Role::External),
            "release_seq": t.release.map(|x| x.0),
            "released": t.released.map(|x| x.to_string()),
            "seconds_since_release": t.released.map(|x| (now.micros() - x.micros()).max(0) / 1_000_000),
        })).collect::<Vec<_>>(),
        "without_copy": s.without_copy.iter().map(|(i, f)| json!({"item": i, "files": f})).collect::<Vec<_>>(),
        "sealed": s.sealed.iter().map(|(i, v)| json!({"item": i, "seals": v})).collect::<Vec<_>>(),
        "stored": s.stored.iter().map(|(i, at, seq)| json!({"item": i, "location": at, "since_seq": seq.0})).collect::<Vec<_>>(),
        "closed": s.closed.iter().map(|(i, how, seq)| json!({"item": i, "how": how, "seq": seq.0})).collect::<Vec<_>>(),
        "checkpoint": s.checkpoint.as_ref().map(|c| json!({
            "size": c.size.0,
            "entries_since": s.entries - c.size.0,
            "newest_covered_recorded": c.newest_covered.map(|t| t.to_string()),
            "other_signature_lines_unverified": c.other_signatures,
            "timestamp_token_stored": c.timestamped,
        })),
        "purge_pending_seq": s.purge_pending.map(|x| x.0),
        "revoked": s.revoked.iter().map(|(n, k, seq)| json!({"name": n, "key": k.to_hex(), "seq": seq.0})).collect::<Vec<_>>(),
        "holds_in_force": s.holds.iter().map(|h| json!({
            "hold": h.hold,
            "placed_seq": h.placed.0,
            "items": h.items,
            "whole_case": h.items.is_empty(),
        })).collect::<Vec<_>>(),
        "retention": s.retention.iter().map(|(r, ended)| json!({
            "item": r.item,
            "category": r.category,
            "set_seq": r.set.0,
            "until": i64::try_from(r.until).ok().and_then(Timestamp::from_micros).map(|t| t.to_string()),
            "ended_by_this_clock": ended,
        })).collect::<Vec<_>>(),
        "unfinished_imports": s.unfinished_imports.iter().map(|r| json!({
            "source": r.name,
            "source_sha256": hex::encode(r.source),
            "lines": r.lines,
            "lines_in": r.done,
            "entries": r.entries,
            "updated_recorded": r.updated.to_string(),
        })).collect::<Vec<_>>(),
    })
}

/// The legal holds in force and the unfinished imports, a line each.
fn holds_and_imports(s: &Status) -> String {
    let mut o = String::new();
    for h in &s.holds {
        o.push_str(&format!(
            "legal hold {} in force since seq {} on {}: no disposal or return{}\n",
            h.hold,
            h.placed.0,
            if h.items.is_empty() {
                "the whole case".to_owned()
            } else {
                h.items.join(", ")
            },
            if h.items.is_empty() {
                ", no erasure"
            } else {
                ""
            }
        ));
    }
    for (r, ended) in &s.retention {
        let until = i64::try_from(r.until)
            .ok()
            .and_then(Timestamp::from_micros)
            .map_or_else(|| r.until.to_string(), |t| t.to_string());
        o.push_str(&format!(
            "{} in retention category {:?} (seq {}) until {until}: {}\n",
            r.item,
            r.category,
            r.set.0,
            if *ended {
                "ENDED by this machine's clock; it may be reviewed for disposition"
            } else {
                "no disposal before then"
            }
        ));
    }
    for r in &s.unfinished_imports {
        o.push_str(&format!(
            "import of {} stopped: lines 1..{} of {} are in; {} to continue\n",
            r.name,
            r.done,
            r.lines,
            if r.name == "-" {
                "give the same input to `caselog import -` again".to_owned()
            } else {
                format!("run `caselog import {}` again", r.name)
            }
        ));
    }
    o
}
