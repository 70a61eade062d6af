//! `access [--item] [--reader]`, `access verify`, `access checkpoint`:
//! the access log of a served case (SPEC §18), read on the machine that
//! holds the ledger (the server may be running).

use serde_json::json;

use caselog::net::access::check::{self, AccessReport};
use caselog::storage::keys::Signer;

use crate::cli::args::{AccessArgs, AccessCommand};
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{item_id, load_signer, resolve_member, target};
use crate::cli::output::{out, write_new};
use crate::cli::remote::Target;

/// Check `access` and its subcommands.
pub(crate) fn check(a: &AccessArgs, g: &Globals) -> Result<Checked, CliError> {
    let dir = target(g)?;
    if matches!(dir, Target::Remote(_)) {
        return Err(CliError::input(
            "the access log is read on the machine that holds the ledger, not through --remote",
            "run it there with --ledger DIR",
        ));
    }
    Ok(match &a.cmd {
        Some(AccessCommand::Verify(v)) => Box::new(AccessVerifyCmd { dir, json: v.json }),
        Some(AccessCommand::Checkpoint(c)) => Box::new(AccessCheckpointCmd {
            dir,
            signer: load_signer(g)?,
            out: c.out.clone(),
        }),
        None => Box::new(AccessListCmd {
            dir,
            item: a.item.as_deref().map(item_id).transpose()?,
            reader: a.reader.clone(),
            json: a.json,
        }),
    })
}

fn verified(dir: &Target) -> Result<(caselog::Ledger, AccessReport), CliError> {
    let l = dir.open(false)?;
    let rep = check::verify(&l).map_err(|e| CliError::storage(e.to_string(), None))?;
    Ok((l, rep))
}

/// One line saying what the listing rests on.
fn standing(rep: &AccessReport) -> String {
    let latest = rep
        .checkpoints
        .iter()
        .rev()
        .find(|c| c.signer.is_some() && c.root_matches);
    let cp = match latest {
        Some(c) => format!(
            "the latest valid checkpoint (signed by {}) covers {} of them",
            c.signer.as_deref().unwrap_or_default(),
            c.size
        ),
        None => "no signed checkpoint covers them yet (caselog access checkpoint)".into(),
    };
    match rep.problems.len() {
        0 => format!(
            "{} read(s) recorded; every request signature verified as the reader's; {cp}",
            rep.count
        ),
        n => format!(
            "{} read(s) recorded; {n} PROBLEM(S) (caselog access verify lists them); {cp}",
            rep.count
        ),
    }
}

/// `access` (the list), checked.
pub(crate) struct AccessListCmd {
    dir: Target,
    item: Option<String>,
    reader: Option<String>,
    json: bool,
}

impl Run for AccessListCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let (l, rep) = verified(&self.dir)?;
        let reader = self
            .reader
            .as_deref()
            .map(|r| resolve_member(&l, r))
            .transpose()?;
        let rows: Vec<_> = rep
            .records
            .iter()
            .filter(|r| self.item.as_deref().is_none_or(|i| check::about(r, i)))
            .filter(|r| reader.is_none_or(|k| r.reader == k))
            .collect();
        if self.json {
            let v: Vec<_> = rows
                .iter()
                .map(|r| {
                    json!({"seq": r.seq, "time": r.time.to_string(), "reader": l.members().display(&r.reader),
                    "reader_key": r.reader.to_hex(), "method": r.method, "path": r.path, "query": r.query,
                    "status": r.status, "items": r.items, "whole_ledger": r.whole})
                })
                .collect();
            let doc = json!({"records": rep.count, "problems": rep.problems.len(), "reads": v});
            out(&(serde_json::to_string_pretty(&doc).expect("cli: JSON") + "\n"))?;
            return Ok(exit::OK);
        }
        out(&format!("{}\n", standing(&rep)))?;
        if rows.is_empty() {
            out("no read matches\n")?;
        }
        for r in rows {
            let about = match (r.whole, r.items.is_empty()) {
                (true, _) => "the whole ledger (any item)".to_owned(),
                (false, true) => "no item".to_owned(),
                (false, false) => r.items.join(", "),
            };
            out(&format!(
                "{:>6}  {}  {}  {} {}{}  {}  about {about}\n",
                r.seq,
                r.time,
                l.members().display(&r.reader),
                r.method,
                r.path,
                if r.query == "?" { "" } else { &r.query },
                r.status
            ))?;
        }
        Ok(exit::OK)
    }
}

/// `access verify`, checked.
pub(crate) struct AccessVerifyCmd {
    dir: Target,
    json: bool,
}

impl Run for AccessVerifyCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let (l, rep) = verified(&self.dir)?;
        let code = if rep.problems.is_empty() {
            exit::OK
        } else {
            exit::FAILED
        };
        if self.json {
            let doc = json!({
                "verified": rep.problems.is_empty(),
                "records": rep.count,
                "torn_tail_bytes": rep.torn,
                "root": rep.root.map(|r| r.to_hex()),
                "checkpoints": rep.checkpoints.iter().map(|c| json!({"size": c.size, "signer": c.signer, "root_matches": c.root_matches})).collect::<Vec<_>>(),
                "problems": rep.problems.iter().map(|p| json!({"at": p.at, "problem": p.what})).collect::<Vec<_>>(),
            });
            out(&(serde_json::to_string_pretty(&doc).expect("cli: JSON") + "\n"))?;
            return Ok(code);
        }
        for p in &rep.problems {
            out(&format!("problem at {}: {}\n", p.at, p.what))?;
        }
        let verdict = if rep.problems.is_empty() {
            "VERIFIED"
        } else {
            "NOT VERIFIED"
        };
        out(&format!(
            "{verdict}: access log of ledger {} ({}): {} record(s), {} checkpoint(s)\n",
            l.id(),
            check::location(l.store().dir()).display(),
            rep.count,
            rep.checkpoints.len()
        ))?;
        out("Checked: each record decodes canonically at its position; its request signature (RFC 9421) verifies under the key of the member it names, who is enrolled in the ledger; no request is recorded twice; each stored checkpoint is signed by an authority of the ledger and states the root of the records before it.\n")?;
        out("Not checked: that the server recorded every read it answered (a record proves a read; no record is not proof of none), the items the server derived for each read, and the records after the latest checkpoint against anything held elsewhere.\n")?;
        if rep.torn > 0 {
            out(&format!(
                "A torn last record ({} bytes, never answered) is ignored.\n",
                rep.torn
            ))?;
        }
        Ok(code)
    }
}

/// `access checkpoint`, checked.
pub(crate) struct AccessCheckpointCmd {
    dir: Target,
    signer: Signer,
    out: Option<std::path::PathBuf>,
}

impl Run for AccessCheckpointCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let l = self.dir.open(false)?;
        let me = l.members().get(&self.signer.public());
        if me.is_none_or(|m| m.role != caselog::Role::Authority || m.revoked.is_some()) {
            return Err(CliError::input(
                format!(
                    "{} is not an active authority of this ledger",
                    self.signer.name()
                ),
                "an authority signs the access log's checkpoints (--key)",
            ));
        }
        let (size, note) = check::sign_checkpoint(&l, &self.signer)
            .map_err(|e| CliError::storage(e.to_string(), None))?;
        if let Some(p) = &self.out {
            write_new(p, &note, &caselog::format::disclosure::Reveal::None)?;
        }
        out(&format!(
            "signed the access log's checkpoint of size {size} (origin {}); stored in {}\n",
            check::origin(&l),
            check::location(l.store().dir())
                .join("checkpoints")
                .display()
        ))?;
        Ok(exit::OK)
    }
}
