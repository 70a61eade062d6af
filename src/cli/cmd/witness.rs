//! The witness: `witness init`, `witness cosign`, `witness show`.

use crate::cli::args::Cli;
use crate::cli::args::Command;
use crate::cli::args::WitnessCommand;
use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::load_signer;
use crate::cli::input::read_input;
use crate::cli::output::out;
use crate::cli::output::write_or_print;
use caselog::tlog::note::TYPE_COSIGNATURE;
use caselog::tlog::prooffile::ConsistencyProof;
use caselog::tlog::witness::Witness;
use caselog::tlog::witness::WitnessError;

pub(crate) fn check_witness_init(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Witness(WitnessCommand::Init { name, state, .. }) = &cli.command else {
        unreachable!("cli: check_witness_init called for another command")
    };
    Ok({
        if !caselog::tlog::note::valid_name(name) {
            return Err(CliError::input(
                format!("witness name {name:?} is empty or contains spaces or '+'"),
                "use a schema-less URL such as counsel.example/witness",
            ));
        }
        Checked::WitnessInit {
            state: state.clone(),
            name: name.clone(),
            signer: load_signer(cli)?,
        }
    })
}

pub(crate) fn check_witness_cosign(cli: &Cli) -> Result<Checked, CliError> {
    let Command::Witness(WitnessCommand::Cosign {
        state,
        log_key,
        checkpoint,
        proof,
        out,
        ..
    }) = &cli.command
    else {
        unreachable!("cli: check_witness_cosign called for another command")
    };
    Ok({
        let log_key = crate::cli::input::parse_vkey(log_key, "--log-key")?;
        let proof = match proof {
            None => None,
            Some(p) => Some(
                ConsistencyProof::parse(&read_input(p, "proof")?).map_err(|e| {
                    CliError::input(
                        format!("{}: {e}", p.display()),
                        "give a file made by `caselog prove consistency`",
                    )
                })?,
            ),
        };
        Checked::WitnessCosign {
            state: state.clone(),
            log_key,
            checkpoint: read_input(checkpoint, "checkpoint")?,
            proof,
            out: out.clone(),
            signer: load_signer(cli)?,
        }
    })
}

pub(crate) fn run_witness_init(cmd: Checked) -> Result<u8, CliError> {
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
    Ok(exit::OK)
}

pub(crate) fn run_witness_cosign(cmd: Checked) -> Result<u8, CliError> {
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
    Ok(exit::OK)
}

pub(crate) fn witness_err(e: WitnessError) -> CliError {
    let code = match &e {
        WitnessError::Inconsistent { .. } | WitnessError::EvidenceFull { .. } => exit::FAILED,
        WitnessError::Io { .. } => exit::STORAGE,
        WitnessError::Checkpoint(_) => exit::FAILED,
        _ => exit::INPUT,
    };
    let hint = match &e {
        WitnessError::Inconsistent { .. } => {
            "give the evidence directory to whoever oversees the ledger"
        }
        WitnessError::EvidenceFull { .. } => {
            "move the evidence directories somewhere safe, then offer the checkpoint again to save this one"
        }
        WitnessError::Older { .. } => "offer the log's latest checkpoint",
        WitnessError::BadProof(_) => {
            "ask the ledger operator for `caselog prove consistency --old HELD` against this checkpoint"
        }
        WitnessError::ProofRequired { .. } => {
            "ask the ledger operator for `caselog prove consistency --old HELD`"
        }
        WitnessError::Checkpoint(_) => "check --log-key and that the checkpoint file is intact",
        WitnessError::NoState { .. } => "create one with `caselog witness init`, or check --state",
        WitnessError::NotEmpty { .. } => "choose a new --state directory",
        WitnessError::WrongKey { .. } => "give the key the witness was made with (--key)",
        _ => "see `caselog witness --help`",
    };
    CliError {
        code,
        msg: e.to_string(),
        hint: Some(hint.into()),
    }
}

/// `witness show`: the witness's verifier key.
pub(crate) fn run_witness_show(state: &std::path::Path) -> Result<u8, CliError> {
    let w = Witness::open(state).map_err(witness_err)?;
    debug_assert_eq!(w.verifier_key().typ, TYPE_COSIGNATURE);
    out(&format!("{}\n", w.verifier_key()))?;
    Ok(exit::OK)
}
