//! Checkpoints and proofs: `checkpoint` (sign, list, show,
//! add-cosignature), `log-key`, `prove inclusion|consistency`,
//! `verify-proof`.

use crate::cli::args::CheckpointArgs;
use crate::cli::args::CheckpointCommand;
use crate::cli::args::LogKeyArgs;
use crate::cli::args::ProveCommand;
use crate::cli::args::ProveConsistencyArgs;
use crate::cli::args::ProveInclusionArgs;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::load_signer;
use crate::cli::input::parse_vkeys;
use crate::cli::input::read_input;
use crate::cli::input::target;
use crate::cli::output::out;
use crate::cli::output::write_or_print;
use crate::cli::remote::Target;
use caselog::storage::keys;
use caselog::storage::keys::Signer;
use caselog::tlog::checkpoint;
use caselog::tlog::checkpoint::Checkpoint;
use caselog::tlog::note::Note;
use caselog::tlog::note::VerifierKey;
use caselog::tlog::prooffile;
use caselog::tlog::prooffile::InclusionProof;
use caselog::tlog::prooffile::ProofFileError;
use caselog::Ledger;
use caselog::MemberKey;
use caselog::Seq;
use caselog::TreeSize;
use std::path::PathBuf;

pub(crate) fn check_checkpoint(a: &CheckpointArgs, g: &Globals) -> Result<Checked, CliError> {
    let CheckpointArgs { cmd, out, .. } = a;
    Ok({
        let dir = target(g)?;
        match cmd {
            None => Box::new(CheckpointSignCmd {
                signer: load_signer(g)?,
                out: out.clone(),
                dir,
            }),
            Some(CheckpointCommand::List) => Box::new(CheckpointListCmd { dir }),
            Some(CheckpointCommand::Show(a)) => Box::new(CheckpointShowCmd { dir, size: a.size }),
            Some(CheckpointCommand::AddCosignature(a)) => {
                let (file, witness) = (&a.file, &a.witness);
                let note = Note::parse(&read_input(file, "checkpoint")?).map_err(|e| {
                    CliError::input(
                        format!("{}: {e}", file.display()),
                        "give the cosigned checkpoint the witness returned",
                    )
                })?;
                let witnesses = parse_vkeys(witness, "--witness key")?;
                Box::new(CheckpointAddCosigCmd {
                    dir,
                    note,
                    witnesses,
                })
            }
        }
    })
}

fn check_prove_inclusion(a: &ProveInclusionArgs, g: &Globals) -> Result<Checked, CliError> {
    let ProveInclusionArgs {
        seq,
        checkpoint,
        out,
        ..
    } = a;
    Ok(Box::new(ProveInclusionCmd {
        dir: target(g)?,
        seq: Seq(*seq),
        checkpoint: checkpoint
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
        out: out.clone(),
    }))
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
    Ok(Box::new(VerifyProofCmd {
        proof,
        policy: crate::cli::input::pins(&a.pins)?,
    }))
}

impl Run for VerifyProofCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_verify_proof(*self)
    }
}

/// `log-key`: one authority's key file, or every authority.
pub(crate) fn check_log_key(a: &LogKeyArgs, g: &Globals) -> Result<Checked, CliError> {
    Ok(Box::new(LogKeyCmd {
        key: a
            .key
            .as_deref()
            .map(crate::cli::input::key_public)
            .transpose()?,
        all: a.all,
        dir: target(g)?,
    }))
}

/// `prove inclusion` and `prove consistency`.
pub(crate) fn check_prove(c: &ProveCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        ProveCommand::Inclusion(a) => check_prove_inclusion(a, g),
        ProveCommand::Consistency(a) => check_prove_consistency(a, g),
    }
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

/// `checkpoint` (sign one now), checked.
pub(crate) struct CheckpointSignCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) out: Option<PathBuf>,
}

impl Run for CheckpointSignCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_checkpoint_sign(*self)
    }
}

pub(crate) fn run_checkpoint_sign(cmd: CheckpointSignCmd) -> Result<u8, CliError> {
    let CheckpointSignCmd {
        dir,
        signer,
        out: path,
    } = cmd;
    let mut l = dir.open(true)?;
    let note = l.checkpoint(&signer)?;
    let text = note.to_text();
    if let Some(p) = &path {
        write_or_print(Some(p), &text)?;
    }
    out(&text)?;
    Ok(exit::OK)
}

/// `checkpoint list`, checked.
pub(crate) struct CheckpointListCmd {
    pub(crate) dir: Target,
}

impl Run for CheckpointListCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_checkpoint_list(*self)
    }
}

pub(crate) fn run_checkpoint_list(cmd: CheckpointListCmd) -> Result<u8, CliError> {
    let CheckpointListCmd { dir } = cmd;
    let l = dir.open(false)?;
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

/// `checkpoint show [SIZE]`, checked.
pub(crate) struct CheckpointShowCmd {
    pub(crate) dir: Target,
    pub(crate) size: Option<u64>,
}

impl Run for CheckpointShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_checkpoint_show(*self)
    }
}

pub(crate) fn run_checkpoint_show(cmd: CheckpointShowCmd) -> Result<u8, CliError> {
    let CheckpointShowCmd { dir, size } = cmd;
    let l = dir.open(false)?;
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

/// `log-key`, checked.
pub(crate) struct LogKeyCmd {
    pub(crate) dir: Target,
    /// One authority's key; `None`: every authority.
    pub(crate) key: Option<MemberKey>,
    /// With `key` absent: revoked authorities too (marked).
    pub(crate) all: bool,
}

impl Run for LogKeyCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_log_key(*self)
    }
}

pub(crate) fn run_log_key(cmd: LogKeyCmd) -> Result<u8, CliError> {
    let LogKeyCmd { dir, key, all } = cmd;
    let l = dir.open(false)?;
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

/// `prove inclusion SEQ`, checked.
pub(crate) struct ProveInclusionCmd {
    pub(crate) dir: Target,
    pub(crate) seq: Seq,
    pub(crate) checkpoint: Option<Vec<u8>>,
    pub(crate) out: Option<PathBuf>,
}

impl Run for ProveInclusionCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_prove_inclusion(*self)
    }
}

pub(crate) fn run_prove_inclusion(cmd: ProveInclusionCmd) -> Result<u8, CliError> {
    let ProveInclusionCmd {
        dir,
        seq,
        checkpoint: cp_bytes,
        out: path,
    } = cmd;
    let l = dir.open(false)?;
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

/// `prove consistency --old FILE`, checked.
pub(crate) struct ProveConsistencyCmd {
    pub(crate) dir: Target,
    pub(crate) old: Vec<u8>,
    pub(crate) new: Option<Vec<u8>>,
    pub(crate) out: Option<PathBuf>,
}

impl Run for ProveConsistencyCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_prove_consistency(*self)
    }
}

pub(crate) fn run_prove_consistency(cmd: ProveConsistencyCmd) -> Result<u8, CliError> {
    let ProveConsistencyCmd {
        dir,
        old,
        new,
        out: path,
    } = cmd;
    let l = dir.open(false)?;
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

/// `checkpoint add-cosignature FILE`, checked.
pub(crate) struct CheckpointAddCosigCmd {
    pub(crate) dir: Target,
    pub(crate) note: Note,
    pub(crate) witnesses: Vec<VerifierKey>,
}

impl Run for CheckpointAddCosigCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_checkpoint_add_cosig(*self)
    }
}

pub(crate) fn run_checkpoint_add_cosig(cmd: CheckpointAddCosigCmd) -> Result<u8, CliError> {
    let CheckpointAddCosigCmd {
        dir,
        note,
        witnesses,
    } = cmd;
    let mut l = dir.open(true)?;
    let n = l.add_cosignatures(&note, &witnesses)?;
    out(&format!("{n} new signature line(s) added\n"))?;
    Ok(exit::OK)
}

fn check_prove_consistency(a: &ProveConsistencyArgs, g: &Globals) -> Result<Checked, CliError> {
    let ProveConsistencyArgs { old, new, out } = a;
    Ok(Box::new(ProveConsistencyCmd {
        dir: target(g)?,
        old: read_input(old, "checkpoint")?,
        new: new
            .as_deref()
            .map(|p| read_input(p, "checkpoint"))
            .transpose()?,
        out: out.clone(),
    }))
}
