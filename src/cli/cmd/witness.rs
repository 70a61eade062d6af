//! The witness: `witness init`, `witness cosign`, `witness show`,
//! `witness serve`.

use crate::cli::args::WitnessCommand;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::load_signer;
use crate::cli::input::read_input;
use crate::cli::output::out;
use crate::cli::output::write_or_print;
use caselog::storage::keys::Signer;
use caselog::tlog::note::VerifierKey;
use caselog::tlog::note::TYPE_COSIGNATURE;
use caselog::tlog::prooffile::ConsistencyProof;
use caselog::tlog::witness::Witness;
use caselog::tlog::witness::WitnessError;
use std::path::Path;
use std::path::PathBuf;

/// Check a `witness` command before any state is opened.
pub(crate) fn check(c: &WitnessCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        WitnessCommand::Init(a) => check_init(&a.name, &a.state, g),
        WitnessCommand::Cosign(a) => check_cosign(
            &a.state,
            &a.log_key,
            &a.checkpoint,
            a.proof.as_deref(),
            &a.out,
            g,
        ),
        WitnessCommand::Serve(a) => check_witness_serve(a, g),
        WitnessCommand::Show(a) => Ok(Box::new(WitnessShowCmd {
            state: a.state.clone(),
        })),
    }
}

fn check_init(name: &str, state: &Path, g: &Globals) -> Result<Checked, CliError> {
    if !caselog::tlog::note::valid_name(name) {
        return Err(CliError::input(
            format!("witness name {name:?} is empty or contains spaces or '+'"),
            "use a schema-less URL such as counsel.example/witness",
        ));
    }
    Ok(Box::new(WitnessInitCmd {
        state: state.to_owned(),
        name: name.to_owned(),
        signer: load_signer(g)?,
    }))
}

fn check_cosign(
    state: &Path,
    log_key: &str,
    checkpoint: &Path,
    proof: Option<&Path>,
    out: &Option<PathBuf>,
    g: &Globals,
) -> Result<Checked, CliError> {
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
    Ok(Box::new(WitnessCosignCmd {
        state: state.to_owned(),
        log_key,
        checkpoint: read_input(checkpoint, "checkpoint")?,
        proof,
        out: out.clone(),
        signer: load_signer(g)?,
    }))
}

/// `witness init`, checked.
struct WitnessInitCmd {
    state: PathBuf,
    name: String,
    signer: Signer,
}

impl Run for WitnessInitCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_witness_init(&self.state, &self.name, &self.signer)
    }
}

/// `witness cosign`, checked.
struct WitnessCosignCmd {
    state: PathBuf,
    signer: Signer,
    log_key: VerifierKey,
    checkpoint: Vec<u8>,
    proof: Option<ConsistencyProof>,
    out: Option<PathBuf>,
}

impl Run for WitnessCosignCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_witness_cosign(CosignInput {
            state: &self.state,
            signer: &self.signer,
            log_key: &self.log_key,
            bytes: &self.checkpoint,
            proof: self.proof.as_ref(),
            path: self.out.as_deref(),
        })
    }
}

/// `witness show`, checked.
struct WitnessShowCmd {
    state: PathBuf,
}

impl Run for WitnessShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_witness_show(&self.state)
    }
}

/// `witness serve`, checked.
struct WitnessServeCmd {
    state: PathBuf,
    log_keys: Vec<VerifierKey>,
    listen: std::net::SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    limits: caselog::net::server::Limits,
    signer: Signer,
}

impl Run for WitnessServeCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let c = *self;
        run_witness_serve(&c.state, c.log_keys, c.listen, c.tls, c.limits, c.signer)
    }
}

fn run_witness_init(state: &Path, name: &str, signer: &Signer) -> Result<u8, CliError> {
    let w = Witness::init(state, name, signer).map_err(witness_err)?;
    out(&format!(
        "witness state created in {}\nverifier key (give it to whoever checks cosignatures):\n{}\n",
        state.display(),
        w.verifier_key()
    ))?;
    Ok(exit::OK)
}

/// What `witness cosign` was given, checked.
struct CosignInput<'a> {
    pub(crate) state: &'a Path,
    pub(crate) signer: &'a Signer,
    pub(crate) log_key: &'a VerifierKey,
    pub(crate) bytes: &'a [u8],
    pub(crate) proof: Option<&'a ConsistencyProof>,
    pub(crate) path: Option<&'a Path>,
}

fn run_witness_cosign(i: CosignInput<'_>) -> Result<u8, CliError> {
    let CosignInput {
        state,
        signer,
        log_key,
        bytes,
        proof,
        path,
    } = i;
    let w = Witness::open(state).map_err(witness_err)?;
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let c = w
        .cosign(signer, log_key, bytes, proof, now)
        .map_err(witness_err)?;
    if let Some(p) = path {
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
fn run_witness_show(state: &std::path::Path) -> Result<u8, CliError> {
    let w = Witness::open(state).map_err(witness_err)?;
    debug_assert_eq!(w.verifier_key().typ, TYPE_COSIGNATURE);
    out(&format!("{}\n", w.verifier_key()))?;
    Ok(exit::OK)
}

pub(crate) fn check_witness_serve(
    a: &crate::cli::args::WitnessServeArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let crate::cli::args::WitnessServeArgs {
        state,
        log_key,
        listen,
        tls_cert,
        tls_key,
        insecure_http,
        limits,
        ..
    } = a;
    let listen: std::net::SocketAddr = listen.parse().map_err(|_| {
        CliError::input(
            format!("--listen {listen:?} is not an address"),
            "give HOST:PORT, e.g. 127.0.0.1:8090",
        )
    })?;
    let tls = tls_cert.clone().zip(tls_key.clone());
    crate::cli::cmd::serve::plain_only_on_loopback(listen, tls.is_some(), *insecure_http)?;
    Ok(Box::new(WitnessServeCmd {
        state: state.clone(),
        log_keys: crate::cli::input::parse_vkeys(log_key, "--log-key")?,
        listen,
        tls,
        limits: crate::cli::cmd::serve::listen_limits(limits)?,
        signer: load_signer(g)?,
    }))
}

fn run_witness_serve(
    state: &std::path::Path,
    log_keys: Vec<caselog::tlog::note::VerifierKey>,
    listen: std::net::SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    limits: caselog::net::server::Limits,
    signer: Signer,
) -> Result<u8, CliError> {
    let w = caselog::tlog::witness::Witness::open(state).map_err(witness_err)?;
    if signer.public() != w.verifier_key().key {
        return Err(CliError::input(
            "the key given is not this witness's key",
            format!(
                "use the key the witness was made with ({})",
                w.verifier_key()
            ),
        ));
    }
    let vkey = w.verifier_key().to_string();
    let mut server = caselog::net::witness::WitnessServer::bind(w, signer, log_keys, listen)
        .map_err(|e| CliError::storage(e.to_string(), Some("is the port in use?".into())))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Some((cert, key)) = &tls {
        server = server.with_tls(cert, key).map_err(|e| {
            CliError::input(e.to_string(), "give a PEM certificate chain and its key")
        })?;
    }
    let addr = server
        .local_addr()
        .map_err(|e| CliError::storage(e.to_string(), None))?;
    eprintln!("caselog: witness {vkey} at {scheme}://{addr}/add-checkpoint");
    server
        .run(limits)
        .map_err(|e| CliError::storage(e.to_string(), None))?;
    Ok(exit::OK)
}
