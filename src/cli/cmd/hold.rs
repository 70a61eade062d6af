//! `hold place|release|list`: legal holds (SPEC §13.9). Placing and
//! releasing are signed entries by an authority; while a hold is in force
//! the writer refuses what it forbids, as both verifiers do.

use serde_json::json;

use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds::{Domain, HoldPlace, HoldRelease};

use crate::cli::args::HoldCommand;
use crate::cli::cmd::domain_append::AppendCmd;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{check_text, load_signer, target};
use crate::cli::output::out;
use crate::cli::remote::Target;

/// Each `hold` command to its check.
pub(crate) fn check(c: &HoldCommand, g: &Globals) -> Result<Checked, CliError> {
    let body = match c {
        HoldCommand::List(a) => {
            return Ok(Box::new(HoldListCmd {
                dir: target(g)?,
                json: a.json,
            }))
        }
        HoldCommand::Place(a) => {
            let items = crate::cli::input::distinct_items(&a.items)?;
            Domain::HoldPlace(HoldPlace {
                hold: check_text("the hold id", &a.hold, MAX_SHORT_TEXT)?,
                reason: check_text("--reason", &a.reason, MAX_SHORT_TEXT)?,
                authority: check_text("--authority", &a.authority, MAX_SHORT_TEXT)?,
                items,
            })
        }
        HoldCommand::Release(a) => Domain::HoldRelease(HoldRelease {
            hold: check_text("the hold id", &a.hold, MAX_SHORT_TEXT)?,
            reason: check_text("--reason", &a.reason, MAX_SHORT_TEXT)?,
        }),
    };
    Ok(Box::new(AppendCmd {
        private: Vec::new(),
        body,
        refs: Vec::new(),
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `hold list`, checked.
pub(crate) struct HoldListCmd {
    dir: Target,
    json: bool,
}

impl Run for HoldListCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let l = self.dir.open(false)?;
        let holds = l.custody().holds();
        if self.json {
            let v: Vec<_> = holds
                .values()
                .map(|h| {
                    json!({
                        "hold": h.hold,
                        "placed_seq": h.placed.0,
                        "items": h.items,
                        "whole_case": h.items.is_empty(),
                        "released_seq": h.released.map(|s| s.0),
                    })
                })
                .collect();
            out(&(serde_json::to_string_pretty(&v).expect("cli: JSON") + "\n"))?;
            return Ok(exit::OK);
        }
        if holds.is_empty() {
            out("no legal holds placed\n")?;
        }
        for h in holds.values() {
            let on = if h.items.is_empty() {
                "the whole case".to_owned()
            } else {
                h.items.join(", ")
            };
            let state = match h.released {
                Some(r) => format!("released at seq {}", r.0),
                None => "IN FORCE".to_owned(),
            };
            out(&format!(
                "{}  on {on}  placed at seq {}  {state}\n",
                h.hold, h.placed.0
            ))?;
        }
        Ok(exit::OK)
    }
}
