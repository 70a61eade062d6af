//! One file per command group; each owns the checks (`check_*`: clap
//! arguments → a [`Checked`] command, before any database is opened) and
//! the runs (`run_*`) of its commands.

pub(crate) mod checkpoint;
pub(crate) mod custody;
pub(crate) mod docs;
pub(crate) mod domain;
pub(crate) mod domain_cmd;
pub(crate) mod entry;
pub(crate) mod event;
pub(crate) mod evidence;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod member;
pub(crate) mod receipt_file;
pub(crate) mod serve;
pub(crate) mod setup;
pub(crate) mod timestamp;
pub(crate) mod tree;
pub(crate) mod verify;
pub(crate) mod witness;

use crate::cli::input::EntryRef;
use caselog::format::disclosure::Disclosure;
use caselog::storage::keys::Signer;
use caselog::tlog::note::Note;
use caselog::tlog::note::VerifierKey;
use caselog::tlog::prooffile::ConsistencyProof;
use caselog::HashAlg;
use caselog::MemberKey;
use caselog::Seq;
use std::path::PathBuf;

/// A command whose arguments have been checked and whose key is loaded.
pub(crate) enum Checked {
    Init {
        dir: PathBuf,
        signer: Signer,
        case_id: String,
        title: String,
        hash: HashAlg,
        checkpoint_every: Option<u64>,
        zone: Option<String>,
    },
    KeyGenerate {
        name: String,
        out: PathBuf,
        passphrase: Option<zeroize::Zeroizing<String>>,
    },
    KeyShow {
        file: PathBuf,
    },
    Member(Box<member::MemberCmd>),
    Note {
        dir: PathBuf,
        signer: Signer,
        text: String,
        private: Vec<Disclosure>,
    },
    Log {
        dir: PathBuf,
        json: bool,
        from: u64,
        limit: Option<u64>,
        reveal: bool,
    },
    Show {
        dir: PathBuf,
        id: EntryRef,
        json: bool,
        reveal: bool,
    },
    EraseResume {
        dir: PathBuf,
    },
    Erase {
        dir: PathBuf,
        signer: Signer,
        entry: String,
        field: String,
        reason: String,
        authority: Option<String>,
    },
    Verify(Box<verify::VerifyStoreCmd>),
    Timestamp {
        dir: PathBuf,
        url: String,
        size: Option<u64>,
        anchors: Option<caselog::tlog::tsp::Anchors>,
    },
    CheckpointSign {
        dir: PathBuf,
        signer: Signer,
        out: Option<PathBuf>,
    },
    CheckpointList {
        dir: PathBuf,
    },
    CheckpointShow {
        dir: PathBuf,
        size: Option<u64>,
    },
    CheckpointAddCosig {
        dir: PathBuf,
        note: Note,
        witnesses: Vec<VerifierKey>,
    },
    LogKey {
        dir: PathBuf,
        /// One authority's key; `None`: every authority.
        key: Option<MemberKey>,
        /// With `key` absent: revoked authorities too (marked).
        all: bool,
    },
    ProveInclusion {
        dir: PathBuf,
        seq: Seq,
        checkpoint: Option<Vec<u8>>,
        out: Option<PathBuf>,
    },
    ProveConsistency {
        dir: PathBuf,
        old: Vec<u8>,
        new: Option<Vec<u8>>,
        out: Option<PathBuf>,
    },
    VerifyProof(Box<checkpoint::VerifyProofCmd>),
    WitnessInit {
        state: PathBuf,
        name: String,
        signer: Signer,
    },
    WitnessCosign {
        state: PathBuf,
        signer: Signer,
        log_key: VerifierKey,
        checkpoint: Vec<u8>,
        proof: Option<ConsistencyProof>,
        out: Option<PathBuf>,
    },
    WitnessShow {
        state: PathBuf,
    },
    Domain(Box<domain_cmd::DomainCmd>),
    Import(import::ImportCmd),
    AppendJson(import::ImportCmd),
    Export(export::ExportCmd),
    VerifyBundle(Box<verify::VerifyBundleCmd>),
    Serve(caselog::net::server::ServeConfig),
    WitnessServe {
        state: PathBuf,
        log_keys: Vec<VerifierKey>,
        listen: std::net::SocketAddr,
        tls: Option<(PathBuf, PathBuf)>,
        limits: caselog::net::server::Limits,
        signer: Signer,
    },
    Mirror {
        url: String,
        dir: PathBuf,
        signer: Signer,
        cosigner: Option<caselog::net::mirror::MirrorCosigner>,
    },
    Completions {
        shell: clap_complete::Shell,
    },
    Man {
        out: PathBuf,
    },
}
