//! Command-line syntax (clap). Parsing only: no file or database is touched
//! here; `cli::validate` turns these into checked commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tamper-evident incident timeline and evidence ledger.
///
/// Every entry is CBOR, signed with Ed25519 by an enrolled member, chained to
/// the previous one and covered by a Merkle tree, in a RocksDB directory.
/// `caselog verify` recomputes all of it.
///
/// Exit codes: 0 ok/verified, 1 verification found problems, 2 usage or bad
/// input, 3 storage/IO error or ledger locked.
#[derive(Parser, Debug)]
#[command(name = "caselog", version, max_term_width = 100)]
#[command(
    after_help = "Example:\n  export CASELOG_LEDGER=./case-2008 CASELOG_KEY=./keys/authority\n  caselog init --case EXT-2008-001 --title \"Extortion letter\"\n  caselog note \"Letter received by the company\"\n  caselog verify"
)]
pub struct Cli {
    /// Ledger directory.
    #[arg(long, global = true, env = "CASELOG_LEDGER", value_name = "DIR")]
    pub ledger: Option<PathBuf>,
    /// Private key file that signs new entries (OpenSSH Ed25519).
    #[arg(long, global = true, env = "CASELOG_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Read the key passphrase from this file (else $CASELOG_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Hash algorithms a ledger can use.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HashArg {
    /// BLAKE3 (default).
    Blake3,
    /// SHA-256: the tree is then exactly RFC 6962/9162.
    Sha256,
}

/// Member roles.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RoleArg {
    /// Opens the ledger, enrolls and revokes members.
    Authority,
    /// Records investigative facts.
    Investigator,
    /// Holds evidence.
    Custodian,
    /// Legal counsel.
    Counsel,
    /// Outside party that signs receipts only.
    External,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a new ledger for a case; the --key holder becomes its authority.
    #[command(
        after_help = "Example:\n  caselog --ledger ./case-2008 --key ./keys/authority init --case EXT-2008-001 \\\n      --title \"Extortion letter to a pharmacy benefit manager\""
    )]
    Init {
        /// Case identifier, e.g. EXT-2008-001.
        #[arg(long = "case", value_name = "ID")]
        case_id: String,
        /// Case title.
        #[arg(long)]
        title: String,
        /// Ledger hash, fixed for the ledger's life.
        #[arg(long, value_enum, default_value = "blake3")]
        hash: HashArg,
    },
    /// Generate and inspect Ed25519 key files.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Enroll, revoke and list members.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Append a free-text note signed by --key.
    #[command(
        after_help = "Example:\n  caselog note \"Company spokesperson confirms the letter arrived in early October\"\n  echo \"long text\" | caselog note -"
    )]
    Note {
        /// The text ("-" reads it from standard input).
        text: String,
    },
    /// List entries.
    #[command(
        after_help = "Example:\n  caselog log --from 10 --limit 5\n  caselog log --json | jq .kind"
    )]
    Log {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// First seq to list.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Most entries to list.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Show one entry in full, by seq or leaf hash (hex).
    #[command(after_help = "Example:\n  caselog show 3\n  caselog show 9f2c...e1 --json")]
    Show {
        /// Seq number or 64-hex-digit leaf hash.
        id: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Recompute and check everything: encoding, chain, signatures, members, tree.
    #[command(
        after_help = "Exit status: 0 verified, 1 problems found, 2 bad input, 3 storage error.\n\nExample:\n  caselog verify\n  caselog verify --json > report.json"
    )]
    Verify {
        /// JSON report (schemas/verify-report.schema.json).
        #[arg(long)]
        json: bool,
    },
}

/// `caselog key ...`
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an OpenSSH Ed25519 key (mode 0600) and FILE.pub beside it.
    #[command(
        after_help = "The passphrase comes from --passphrase-file, $CASELOG_PASSPHRASE, or a prompt.\n\nExample:\n  CASELOG_PASSPHRASE=... caselog key generate --name \"Det. Roe\" --out keys/roe"
    )]
    Generate {
        /// Holder's name, stored as the key comment.
        #[arg(long)]
        name: String,
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Store the key unencrypted (not recommended).
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Print a key's name, public key and fingerprint (never the secret).
    #[command(
        after_help = "Example:\n  caselog key show keys/roe\n  caselog key show keys/roe.pub"
    )]
    Show {
        /// Private or public key file.
        file: PathBuf,
    },
}

/// `caselog member ...`
#[derive(Subcommand, Debug)]
pub enum MemberCommand {
    /// Enroll a member (signed by --key, which must be an authority).
    #[command(
        after_help = "Example:\n  caselog member add --name \"Det. Roe\" --role investigator --pubkey keys/roe.pub"
    )]
    Add(MemberAdd),
    /// Revoke a member's key from now on (authority only).
    #[command(
        after_help = "Example:\n  caselog member revoke keys/roe.pub --reason \"left the unit\""
    )]
    Revoke {
        /// The member: .pub file, ssh-ed25519 line, hex key, or exact name.
        member: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List members with role and status.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `member add`.
#[derive(Args, Debug)]
pub struct MemberAdd {
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// Role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Public key: .pub file, ssh-ed25519 line, or 64 hex digits.
    #[arg(long, value_name = "FILE|KEY")]
    pub pubkey: String,
}
