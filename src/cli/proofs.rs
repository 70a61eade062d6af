//! CLI handlers for checkpoints, proofs, offline proof checks and witnesses.

use std::path::Path;

use caselog::storage::keys;
use caselog::tlog::checkpoint::{self, Checkpoint};
use caselog::tlog::note::TYPE_COSIGNATURE;
use caselog::tlog::prooffile::{self, ProofFileError};
use caselog::tlog::witness::{Witness, WitnessError};
use caselog::{Ledger, LedgerError, TreeSize};

use super::error::{CliError, EXIT_INPUT, EXIT_STORAGE};
use super::{out, Checked};

/// Exit status when a proof does not hold or a witness refuses.
const EXIT_FAILED: u8 = 1;

fn write_or_print(path: Option<&Path>, text: &str) -> Result<(), CliError> {
    match path {
        None => out(text),
        Some(p) => std::fs::write(p, text)
            .map_err(|e| CliError::storage(format!("cannot write {}: {e}", p.display()), None)),
    }
}

fn ledger_err(e: LedgerError) -> CliError {
    match e {
        LedgerError::NotFound(m) => {
            CliError::input(m, "see `caselog checkpoint list` and `caselog log`")
        }
        other => other.into(),
    }
}

/// A checkpoint file given for this ledger must match its history.
fn check_against_ledger(l: &Ledger, bytes: &[u8], what: &str) -> Result<Checkpoint, CliError> {
    let (cp, _) = checkpoint::parse(bytes).map_err(|e| {
        CliError::input(
            format!("{what}: {e}"),
            "give a checkpoint file made by `caselog checkpoint`",
        )
    })?;
    if cp.origin != l.origin() {
        return Err(CliError::input(
            format!(
                "{what} is for {}, this ledger is {}",
                cp.origin.line(),
                l.origin().line()
            ),
            "check --ledger",
        ));
    }
    if cp.head.size > l.head().tree.size {
        return Err(CliError {
            code: EXIT_FAILED,
            msg: format!(
                "{what} covers {} entries but the ledger holds {}: the ledger was truncated or rolled back",
                cp.head.size.0,
                l.head().tree.size.0
            ),
            hint: Some("run `caselog verify --against` on it".into()),
        });
    }
    let here = l.tree_head_at(cp.head.size).map_err(ledger_err)?;
    if here.root != cp.head.root {
        return Err(CliError {
            code: EXIT_FAILED,
            msg: format!(
                "{what} has root {} at size {}, the ledger has {}: the ledger was rewritten or forked",
                cp.head.root, cp.head.size.0, here.root
            ),
            hint: Some("run `caselog verify --against` on it".into()),
        });
    }
    Ok(cp)
}

pub(super) fn run(cmd: Checked) -> Result<u8, CliError> {
    match cmd {
        cmd @ Checked::CheckpointSign { .. } => return run_checkpoint_sign(cmd),
        cmd @ Checked::CheckpointList { .. } => return run_checkpoint_list(cmd),
        cmd @ Checked::CheckpointShow { .. } => return run_checkpoint_show(cmd),
        Checked::CheckpointAddCosig {
            dir,
            note,
            witnesses,
        } => {
            let mut l = Ledger::open(&dir, true)?;
            let n = l.add_cosignatures(&note, &witnesses).map_err(ledger_err)?;
            out(&format!("{n} new signature line(s) added\n"))?;
        }
        cmd @ Checked::LogKey { .. } => return run_log_key(cmd),
        cmd @ Checked::ProveInclusion { .. } => return run_prove_inclusion(cmd),
        cmd @ Checked::ProveConsistency { .. } => return run_prove_consistency(cmd),
        cmd @ Checked::VerifyProof { .. } => return run_verify_proof(cmd),
        cmd @ Checked::WitnessInit { .. } => return run_witness_init(cmd),
        cmd @ Checked::WitnessCosign { .. } => return run_witness_cosign(cmd),
        Checked::WitnessShow { state } => {
            let w = Witness::open(&state).map_err(witness_err)?;
            debug_assert_eq!(w.verifier_key().typ, TYPE_COSIGNATURE);
            out(&format!("{}\n", w.verifier_key()))?;
        }
        _ => unreachable!("cli: command routed to proofs::run that it does not handle"),
    }
    Ok(0)
}

fn run_checkpoint_sign(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointSign {
        dir,
        signer,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_checkpoint_sign called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let note = l.checkpoint(&signer)?;
    let text = note.to_text();
    if let Some(p) = &path {
        write_or_print(Some(p), &text)?;
    }
    out(&text)?;
    Ok(0)
}

fn run_checkpoint_list(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointList { dir } = cmd else {
        unreachable!("cli: run_checkpoint_list called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let mut s = String::new();
    for (size, bytes) in l.stored_checkpoints()? {
        match checkpoint::parse(&bytes) {
            Ok((cp, n)) => s.push_str(&format!(
                "{:>8}  {}  {}\n",
                size.0,
                cp.head.root,
                n.sigs
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(e) => s.push_str(&format!("{:>8}  unreadable: {e}\n", size.0)),
        }
    }
    if s.is_empty() {
        s = "no checkpoints stored (an authority makes one with `caselog checkpoint`)\n".into();
    }
    out(&s)?;
    Ok(0)
}

fn run_checkpoint_show(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointShow { dir, size } = cmd else {
        unreachable!("cli: run_checkpoint_show called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let found = match size {
        Some(n) => l.stored_checkpoint(TreeSize(n))?,
        None => l.latest_checkpoint()?.map(|(_, b)| b),
    };
    let b = found.ok_or_else(|| {
        CliError::input(
            "no such checkpoint stored",
            "see `caselog checkpoint list`; make one with `caselog checkpoint`",
        )
    })?;
    out(&String::from_utf8_lossy(&b))?;
    Ok(0)
}

fn run_log_key(cmd: Checked) -> Result<u8, CliError> {
    let Checked::LogKey { dir, key } = cmd else {
        unreachable!("cli: run_log_key called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let authorities: Vec<&caselog::rules::policy::Member> = l
        .members()
        .iter()
        .filter(|m| m.role == caselog::Role::Authority)
        .filter(|m| key.is_none_or(|k| m.key == k))
        .collect();
    if let (Some(k), true) = (key, authorities.is_empty()) {
        return Err(CliError::input(
            format!("key {} is not an authority of this ledger", k.short()),
            "give an authority's key, or --all",
        ));
    }
    // Active keys as bare lines (what --trust takes); a revoked key
    // is marked wherever it is printed: a comment line with --all,
    // a warning on stderr for --key.
    let mut s = String::new();
    for m in authorities {
        let k = l.origin().log_key(m.key);
        match (m.revoked, key.is_some()) {
            (None, _) => s.push_str(&format!("{k}\n")),
            (Some(r), true) => {
                eprintln!(
                    "caselog: note: '{}' was revoked at seq {}; checkpoints of a larger size signed by this key are refused",
                    m.name, r.0
                );
                s.push_str(&format!("{k}\n"));
            }
            (Some(r), false) => s.push_str(&format!(
                "# REVOKED at seq {} ('{}'), valid only for checkpoints of size {} or less: {k}\n",
                r.0, m.name, r.0
            )),
        }
    }
    out(&s)?;
    Ok(0)
}

fn run_prove_inclusion(cmd: Checked) -> Result<u8, CliError> {
    let Checked::ProveInclusion {
        dir,
        seq,
        checkpoint: cp_bytes,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_prove_inclusion called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let bytes = match cp_bytes {
        Some(b) => {
            check_against_ledger(&l, &b, "the --checkpoint")?;
            b
        }
        None => l.latest_checkpoint()?.map(|(_, b)| b).ok_or_else(|| {
            CliError::input(
                "no checkpoint stored",
                "an authority makes one with `caselog checkpoint`",
            )
        })?,
    };
    let (cp, _) = checkpoint::parse(&bytes).map_err(|e| {
        CliError::storage(
            format!("stored checkpoint: {e}"),
            Some("run `caselog verify`".into()),
        )
    })?;
    if seq.0 >= cp.head.size.0 {
        return Err(CliError::input(
            format!(
                "entry {seq} is not covered by the checkpoint of size {}",
                cp.head.size.0
            ),
            "make a newer checkpoint with `caselog checkpoint`",
        ));
    }
    let p = l
        .inclusion_proof(seq, cp.head.size, bytes)
        .map_err(ledger_err)?;
    write_or_print(path.as_deref(), &p.to_text())?;
    Ok(0)
}

fn run_prove_consistency(cmd: Checked) -> Result<u8, CliError> {
    let Checked::ProveConsistency {
        dir,
        old,
        new,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_prove_consistency called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let old_cp = check_against_ledger(&l, &old, "the --old checkpoint")?;
    let new_size = match new {
        Some(b) => {
            check_against_ledger(&l, &b, "the --new checkpoint")?
                .head
                .size
        }
        None => l.latest_checkpoint()?.map(|(s, _)| s).ok_or_else(|| {
            CliError::input(
                "no checkpoint stored",
                "an authority makes one with `caselog checkpoint`",
            )
        })?,
    };
    if new_size < old_cp.head.size {
        return Err(CliError::input(
            format!(
                "new size {} is smaller than old size {}",
                new_size.0, old_cp.head.size.0
            ),
            "swap --old and --new",
        ));
    }
    let p = l
        .consistency_proof(old_cp.head.size, new_size)
        .map_err(ledger_err)?;
    write_or_print(path.as_deref(), &p.to_text())?;
    Ok(0)
}

fn run_verify_proof(cmd: Checked) -> Result<u8, CliError> {
    let Checked::VerifyProof {
        proof,
        trust,
        witnesses,
        quorum,
    } = cmd
    else {
        unreachable!("cli: run_verify_proof called for another command")
    };
    match prooffile::verify_inclusion_file(&proof, &trust, &witnesses, quorum) {
        Ok(v) => {
            let cp = v.checkpoint.checkpoint();
            let mut s = format!(
                    "VERIFIED: entry {} is included in ledger {} ({}) at tree size {}\nroot      {}\nleaf      {}\nentry     {} {} by key {} ({})\nsummary   {}\nlog key   {}\n",
                    v.entry.seq,
                    cp.origin.ledger,
                    cp.origin.alg,
                    cp.head.size.0,
                    cp.head.root,
                    v.leaf,
                    v.entry.time,
                    v.entry.body.kind(),
                    v.entry.author.short(),
                    keys::fingerprint(&v.entry.author),
                    v.entry.body.summary().replace('\n', " "),
                    v.checkpoint.log_keys().iter().map(|k| k.name.clone()).collect::<Vec<_>>().join(", "),
                );
            for (w, t) in v.checkpoint.witnesses() {
                s.push_str(&format!(
                    "witness   {} (cosigned at unix time {t})\n",
                    w.name
                ));
            }
            s.push_str(
                    "Not proven by this file alone: that the author was an enrolled member (a full bundle or `caselog verify` shows that), and anything about entries not included.\n",
                );
            out(&s)?;
            Ok(0)
        }
        Err(e) => {
            let code = match e {
                ProofFileError::Malformed(_) => EXIT_INPUT,
                _ => EXIT_FAILED,
            };
            out(&format!("FAILED: {e}\n"))?;
            Ok(code)
        }
    }
}

fn run_witness_init(cmd: Checked) -> Result<u8, CliError> {
    let Checked::WitnessInit {
        state,
        name,
        signer,
    } = cmd
    else {
        unreachable!("cli: run_witness_init called for another command")
    };
    let w = Witness::init(&state, &name, &signer).map_err(witness_err)?;
    out(&format!(
        "witness state created in {}\nverifier key (give it to whoever checks cosignatures):\n{}\n",
        state.display(),
        w.verifier_key()
    ))?;
    Ok(0)
}

fn run_witness_cosign(cmd: Checked) -> Result<u8, CliError> {
    let Checked::WitnessCosign {
        state,
        signer,
        log_key,
        checkpoint: bytes,
        proof,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_witness_cosign called for another command")
    };
    let w = Witness::open(&state).map_err(witness_err)?;
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let c = w
        .cosign(&signer, &log_key, &bytes, proof.as_ref(), now)
        .map_err(witness_err)?;
    if let Some(p) = &path {
        write_or_print(Some(p), &c.note.to_text())?;
    }
    if c.previous.is_none() {
        eprintln!("caselog: notice: first checkpoint seen for this ledger; trusted on first use");
    }
    out(&format!("{}\n", c.line))?;
    Ok(0)
}

fn witness_err(e: WitnessError) -> CliError {
    let code = match &e {
        WitnessError::Inconsistent { .. } => EXIT_FAILED,
        WitnessError::Io { .. } => EXIT_STORAGE,
        WitnessError::Checkpoint(_) => EXIT_FAILED,
        _ => EXIT_INPUT,
    };
    let hint = match &e {
        WitnessError::Inconsistent { .. } => {
            "give the evidence directory to whoever oversees the ledger"
        }
        WitnessError::ProofRequired { .. } => {
            "ask the ledger operator for `caselog prove consistency --old HELD`"
        }
        WitnessError::Checkpoint(_) => "check --log-key and that the checkpoint file is intact",
        _ => "see `caselog witness --help`",
    };
    CliError {
        code,
        msg: e.to_string(),
        hint: Some(hint.into()),
    }
}
