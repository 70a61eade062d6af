//! Checkpoints and proofs: `checkpoint` (sign, list, show,
//! add-cosignature), `log-key`, `prove inclusion|consistency`,
//! `verify-proof`.

use crate::cli::args::CheckpointCommand;
use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::args::ProveCommand;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::load_signer;
use crate::cli::input::need_ledger_dir;
use crate::cli::input::parse_vkeys;
use crate::cli::input::read_input;
use crate::cli::output::out;
use crate::cli::output::write_or_print;
use caselog::storage::keys;
use caselog::tlog::checkpoint;
use caselog::tlog::checkpoint::Checkpoint;
use caselog::tlog::note::Note;
use caselog::tlog::prooffile;
use caselog::tlog::prooffile::InclusionProof;
use caselog::tlog::prooffile::ProofFileError;
use caselog::Ledger;
use caselog::Seq;
use caselog::TreeSize;

pub(crate) fn check_checkpoint(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Checkpoint { cmd, out, .. } = &cli.command else {
        unreachable!("cli: check_checkpoint called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        match cmd {
            None => Checked::CheckpointSign {
                signer: load_signer(cli)?,
                out: out.clone(),
                dir,
            },
            Some(CheckpointCommand::List) => Checked::CheckpointList { dir },
            Some(CheckpointCommand::Show { size }) => Checked::CheckpointShow { dir, size: *size },
            Some(CheckpointCommand::AddCosignature { file, witness }) => {
                let note = Note::parse(&read_input(file, "checkpoint")?).map_err(|e| {
                    CliError::input(
                        format!("{}: {e}", file.display()),
                        "give the cosigned checkpoint the witness returned",
                    )
                })?;
                let witnesses = parse_vkeys(witness, "--witness key")?;
                Checked::CheckpointAddCosig {
                    dir,
                    note,
                    witnesses,
                }
            }
        }
    })
}

pub(crate) fn check_prove_inclusion(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Prove(ProveCommand::Inclusion {
        seq,
        checkpoint,
        out,
        ..
    }) = &cli.command
    else {
        unreachable!("cli: check_prove_inclusion called for another command")
    };
    Ok(Checked::ProveInclusion {
        dir: need_ledger_dir(&cli.ledger)?,
        seq: Seq(*seq),
        checkpoint: checkpoint
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
        out: out.clone(),
    })
}

/// A checked `verify-proof`: the parsed proof and what it is held to.
pub(crate) struct VerifyProofCmd {
    proof: InclusionProof,
    policy: caselog::tlog::trust::TrustPolicy,
}

pub(crate) fn check_verify_proof(
    a: &crate::cli::args::VerifyProofArgs,
) -> Result<Checked, CliError> {
    let proof = InclusionProof::parse(&read_input(&a.file, "proof")?).map_err(|e| {
        CliError::input(
            format!("{}: {e}", a.file.display()),
            "give a file made by `caselog prove inclusion`",
        )
    })?;
    Ok(Checked::VerifyProof(Box::new(VerifyProofCmd {
        proof,
        policy: crate::cli::input::pins(&a.pins)?,
    })))
}

/// A checkpoint file given for this ledger must match its history.
pub(crate) fn check_against_ledger(
    l: &Ledger,
    bytes: &[u8],
    what: &str,
) -> Result<Checkpoint, CliError> {
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
            code: exit::FAILED,
            msg: format!(
                "{what} covers {} entries but the ledger holds {}: the ledger was truncated or rolled back",
                cp.head.size.0,
                l.head().tree.size.0
            ),
            hint: Some("run `caselog verify --against` on it".into()),
        });
    }
    let here = l.tree_head_at(cp.head.size)?;
    if here.root != cp.head.root {
        return Err(CliError {
            code: exit::FAILED,
            msg: format!(
                "{what} has root {} at size {}, the ledger has {}: the ledger was rewritten or forked",
                cp.head.root, cp.head.size.0, here.root
            ),
            hint: Some("run `caselog verify --against` on it".into()),
        });
    }
    Ok(cp)
}

pub(crate) fn run_checkpoint_sign(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointSign {
        dir,
        signer,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_checkpoint_sign called for another command")
    };
    let mut l = crate::cli::remote::open(&dir, true)?;
    let note = l.checkpoint(&signer)?;
    let text = note.to_text();
    if let Some(p) = &path {
        write_or_print(Some(p), &text)?;
    }
    out(&text)?;
    Ok(exit::OK)
}

pub(crate) fn run_checkpoint_list(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointList { dir } = cmd else {
        unreachable!("cli: run_checkpoint_list called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
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
    Ok(exit::OK)
}

pub(crate) fn run_checkpoint_show(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointShow { dir, size } = cmd else {
        unreachable!("cli: run_checkpoint_show called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
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
    Ok(exit::OK)
}

pub(crate) fn run_log_key(cmd: Checked) -> Result<u8, CliError> {
    let Checked::LogKey { dir, key, all } = cmd else {
        unreachable!("cli: run_log_key called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
    let authorities: Vec<&caselog::rules::policy::Member> = l
        .members()
        .iter()
        .filter(|m| m.role == caselog::Role::Authority)
        .filter(|m| key.is_none_or(|k| m.key == k))
        .filter(|m| all || key.is_some() || m.revoked.is_none())
        .collect();
    if let (Some(k), true) = (key, authorities.is_empty()) {
        return Err(CliError::input(
            format!("key {} is not an authority of this ledger", k.fingerprint()),
            "give an authority's key, or none for every active authority",
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
    Ok(exit::OK)
}

pub(crate) fn run_prove_inclusion(cmd: Checked) -> Result<u8, CliError> {
    let Checked::ProveInclusion {
        dir,
        seq,
        checkpoint: cp_bytes,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_prove_inclusion called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
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
    let p = l.inclusion_proof(seq, cp.head.size, bytes)?;
    write_or_print(path.as_deref(), &p.to_text())?;
    Ok(exit::OK)
}

pub(crate) fn run_prove_consistency(cmd: Checked) -> Result<u8, CliError> {
    let Checked::ProveConsistency {
        dir,
        old,
        new,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_prove_consistency called for another command")
    };
    let l = crate::cli::remote::open(&dir, false)?;
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
    let p = l.consistency_proof(old_cp.head.size, new_size)?;
    write_or_print(path.as_deref(), &p.to_text())?;
    Ok(exit::OK)
}

pub(crate) fn run_verify_proof(cmd: VerifyProofCmd) -> Result<u8, CliError> {
    let VerifyProofCmd { proof, policy } = cmd;
    match prooffile::verify_inclusion_file(&proof, &policy) {
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
            for (m, t) in v.checkpoint.mirrors() {
                s.push_str(&format!(
                    "mirror    {} (cosigned at unix time {t}; its cosignature states that the mirror holds every record to this size, checked, and recomputed the item map)\n",
                    m.name
                ));
            }
            s.push_str(
                    "Not proven by this file alone: that the author was an enrolled member (a full bundle or `caselog verify` shows that), and anything about entries not included.\n",
                );
            out(&s)?;
            Ok(exit::OK)
        }
        Err(e) => {
            let code = match e {
                ProofFileError::Malformed(_) => exit::INPUT,
                _ => exit::FAILED,
            };
            out(&format!("FAILED: {e}\n"))?;
            Ok(code)
        }
    }
}

pub(crate) fn run_checkpoint_add_cosig(cmd: Checked) -> Result<u8, CliError> {
    let Checked::CheckpointAddCosig {
        dir,
        note,
        witnesses,
    } = cmd
    else {
        unreachable!("cli: run_checkpoint_add_cosig called for another command")
    };
    let mut l = crate::cli::remote::open(&dir, true)?;
    let n = l.add_cosignatures(&note, &witnesses)?;
    out(&format!("{n} new signature line(s) added\n"))?;
    Ok(exit::OK)
}

pub(crate) fn check_prove_consistency(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Prove(ProveCommand::Consistency { old, new, out }) = &cli.command else {
        unreachable!("cli: check_prove_consistency called for another command")
    };
    Ok(Checked::ProveConsistency {
        dir: need_ledger_dir(&cli.ledger)?,
        old: read_input(old, "checkpoint")?,
        new: new
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
        out: out.clone(),
    })
}
