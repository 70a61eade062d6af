//! `retention set|list`: retention categories (SPEC §13.12). Setting one is
//! a signed entry by an authority; while an item's period runs the writer
//! refuses its disposal, as both verifiers do.

use serde_json::json;

use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::ids::Timestamp;
use caselog::format::kinds::{Domain, RetentionSet, MAX_RETENTION_DAYS};

use crate::cli::args::RetentionCommand;
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{check_text, load_signer, target};
use crate::cli::output::out;
use crate::cli::remote::Target;

/// Each `retention` command to its check.
pub(crate) fn check(c: &RetentionCommand, g: &Globals) -> Result<Checked, CliError> {
    let a = match c {
        RetentionCommand::List(a) => {
            return Ok(Box::new(RetentionListCmd {
                dir: target(g)?,
                json: a.json,
            }))
        }
        RetentionCommand::Set(a) => a,
    };
    if !(1..=MAX_RETENTION_DAYS).contains(&a.days) {
        return Err(CliError::input(
            format!("--days {} is not 1 to {MAX_RETENTION_DAYS}", a.days),
            "e.g. --days 3650 for ten years",
        ));
    }
    let items = crate::cli::input::distinct_items(&a.items)?;
    Ok(Box::new(RetentionSetCmd {
        body: RetentionSet {
            category: check_text("the category", &a.category, MAX_SHORT_TEXT)?,
            days: a.days,
            items,
            authority: check_text("--authority", &a.authority, MAX_SHORT_TEXT)?,
        },
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `retention set`, checked.
pub(crate) struct RetentionSetCmd {
    body: RetentionSet,
    dir: Target,
    signer: caselog::storage::keys::Signer,
}

impl Run for RetentionSetCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let mut l = self.dir.open(true)?;
        let items = self.body.items.clone();
        let (seq, _) = append(
            &mut l,
            Domain::RetentionSet(self.body),
            &self.signer,
            Vec::new(),
        )?;
        let r = l
            .custody()
            .retention()
            .get(&items[0])
            .expect("cli: the retention just set");
        out(&format!(
            "seq {seq}: {} in retention category {:?} for {} days: no disposal before {} UTC\n",
            items.join(", "),
            r.category,
            r.days,
            when(r.until)
        ))?;
        Ok(exit::OK)
    }
}

/// `retention list`, checked.
pub(crate) struct RetentionListCmd {
    dir: Target,
    json: bool,
}

fn when(until: u64) -> String {
    i64::try_from(until)
        .ok()
        .and_then(Timestamp::from_micros)
        .map_or_else(|| format!("{until} µs after 1970"), |t| t.to_string())
}

impl Run for RetentionListCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let l = self.dir.open(false)?;
        let now = Timestamp::now().micros();
        let rows = l.custody().retention();
        if self.json {
            let v: Vec<_> = rows
                .values()
                .map(|r| {
                    json!({"item": r.item, "category": r.category, "days": r.days, "set_seq": r.set.0,
                    "until": when(r.until), "ended": !r.forbids(now)})
                })
                .collect();
            out(&(serde_json::to_string_pretty(&v).expect("cli: JSON") + "\n"))?;
            return Ok(exit::OK);
        }
        if rows.is_empty() {
            out("no item has a retention category\n")?;
        }
        for r in rows.values() {
            let state = match r.forbids(now) {
                true => "runs",
                false => "ENDED (by this machine's clock): the item may be disposed of",
            };
            out(&format!(
                "{}  {:?}  {} days from seq {}  until {}  {state}\n",
                r.item,
                r.category,
                r.days,
                r.set.0,
                when(r.until)
            ))?;
        }
        Ok(exit::OK)
    }
}
