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
/// input, 3 storage/IO error or ledger locked, 130 an import stopped by
/// Ctrl-C or SIGTERM.
#[derive(Parser, Debug)]
#[command(name = "caselog", version, max_term_width = 100)]
#[command(
    after_help = "Example:\n  export CASELOG_LEDGER=./case-2008 CASELOG_KEY=./keys/authority\n  caselog init --case EXT-2008-001 --title \"Extortion letter\"\n  caselog note \"Letter received by the company\"\n  caselog verify"
)]
pub struct Cli {
    /// Ledger directory.
    #[arg(long, global = true, env = "CASELOG_LEDGER", value_name = "DIR")]
    pub ledger: Option<PathBuf>,
    /// Work on a case served by `caselog serve` (http(s)://HOST[:PORT]/CASE):
    /// records and requests are signed here with the member's own key; a
    /// local copy (--ledger, else a cache directory) follows the server.
    /// $CASELOG_TLS_CA=FILE trusts those CA certificates (PEM) for https.
    #[arg(long, global = true, env = "CASELOG_REMOTE", value_name = "URL")]
    pub remote: Option<String>,
    /// Key that signs, for the commands that sign (they also take --key
    /// after the command name): an OpenSSH Ed25519 private key file, or a
    /// key the SSH agent at $SSH_AUTH_SOCK holds, named by its .pub file
    /// or as agent:SHA256:... (an encrypted key file the agent holds is
    /// signed by the agent, no passphrase asked).
    #[arg(long, env = "CASELOG_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Read the key passphrase from this file (else $CASELOG_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// A private field, for the commands that take them (see their --help).
    #[arg(long = "private", value_name = "FIELD=VALUE", hide_short_help = true)]
    pub private: Vec<String>,
    /// Like --private, with the value read from a file.
    #[arg(
        long = "private-file",
        value_name = "FIELD=PATH",
        hide_short_help = true
    )]
    pub private_file: Vec<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The key that signs, on each command that signs. Its ids (`key`,
/// `passphrase_file`) are what marks a command as one that signs
/// (`Globals`); no other option may use them.
#[derive(Args, Debug, Default, Clone)]
pub struct Signing {
    /// Key that signs: an OpenSSH Ed25519 private key file, or a key the
    /// SSH agent holds (its .pub file, or agent:SHA256:...); else --key
    /// before the command, or $CASELOG_KEY.
    #[arg(long = "key", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Read the key passphrase from this file (else $CASELOG_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// The time zone of a human-entered date (SPEC §13.1).
#[derive(Args, Debug, Default, Clone)]
pub struct ZoneArg {
    /// IANA time zone the date is local to, kept and shown as given
    /// (e.g. America/Los_Angeles); a UTC offset goes in the date itself
    /// (2008-10-09T14:05:00-07:00).
    #[arg(
        long,
        env = "CASELOG_ZONE",
        value_name = "IANA",
        allow_hyphen_values = true
    )]
    pub zone: Option<String>,
}

/// Seal numbers broken and applied at a handling (SPEC §13.6).
#[derive(Args, Debug, Default, Clone)]
pub struct SealArgs {
    /// A seal on the item that was broken (repeatable).
    #[arg(long = "break-seal", value_name = "SEAL")]
    pub broken: Vec<String>,
    /// A new seal applied to the item (repeatable; each number is used once).
    #[arg(long = "apply-seal", value_name = "SEAL")]
    pub applied: Vec<String>,
}

/// What a receiver found of the item's seals (SPEC §13.6): stated, never
/// assumed. Required when the item carries seals; refused when it has none.
#[derive(Args, Debug, Default, Clone)]
pub struct SealFound {
    /// The item's seals were found intact.
    #[arg(long, conflicts_with = "seal_broken")]
    pub seal_intact: bool,
    /// This seal of the item was found broken (recorded as not intact, and
    /// the seal as broken).
    #[arg(long, value_name = "SEAL")]
    pub seal_broken: Option<String>,
}

/// Private fields, on each command that appends an investigation entry.
/// Its id `private` marks a command that takes them (`Globals`).
#[derive(Args, Debug, Default, Clone)]
pub struct Private {
    /// A private field of the entry (repeatable): only its salted digest
    /// enters the signed entry; the value is stored apart, shown only with
    /// --reveal, and can be erased.
    #[arg(long = "private", value_name = "FIELD=VALUE")]
    pub private: Vec<String>,
    /// Like --private, with the value read from a file.
    #[arg(long = "private-file", value_name = "FIELD=PATH")]
    pub private_file: Vec<String>,
}

/// Which entries `log` and `timeline` show (the same options on both).
#[derive(Args, Debug, Default, Clone)]
pub struct SelectArgs {
    /// Only entries containing TEXT (case-insensitive: the summary, the
    /// author's name, the kind and the body's fields; never private fields).
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only entries about this evidence item.
    #[arg(long, value_name = "ITEM")]
    pub item: Option<String>,
    /// Only entries signed by this member (name, .pub file or key).
    #[arg(long, value_name = "MEMBER")]
    pub author: Option<String>,
    /// Only these kinds (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Only entries whose date overlaps this EDTF date or later (the date
    /// they are about, else when recorded).
    #[arg(long, value_name = "EDTF")]
    pub since: Option<String>,
    /// Only entries whose date overlaps this EDTF date or earlier.
    #[arg(long, value_name = "EDTF")]
    pub until: Option<String>,
    /// Only seqs A to B, inclusive (`5..9`, `5..`, `..9`, or one seq).
    #[arg(long = "seq", value_name = "A..B")]
    pub seqs: Option<String>,
}

/// Hash algorithms a ledger can use.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HashArg {
    /// BLAKE3.
    Blake3,
    /// SHA-256 (default): the tree is exactly RFC 6962/9162 and C2SP tlog-tiles.
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
    Init(InitArgs),
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
    Note(NoteArgs),
    /// List entries.
    #[command(
        after_help = "Example:\n  caselog log --from 10 --limit 5\n  caselog log --grep fedex --since 2008-10 --author \"Det. Roe\"\n  caselog log --json | jq .kind"
    )]
    Log(LogArgs),
    /// Show one entry in full, by seq or leaf hash (hex).
    #[command(after_help = "Example:\n  caselog show 3\n  caselog show 9f2c...e1 --json")]
    Show(ShowArgs),
    /// Recompute and check everything: encoding, chain, signatures, members,
    /// tree, stored checkpoints, and checkpoints obtained earlier (--against).
    #[command(
        after_help = "Exit status: 0 verified, 1 problems found, 2 bad input, 3 storage error.\n\nExample:\n  caselog verify\n  caselog verify --json > report.json\n  caselog verify --against counsel-copy.checkpoint --trust 'caselog/blake3/...+1a2b3c4d+AT...'"
    )]
    Verify(VerifyArgs),
    /// Work with an exported bundle offline (no ledger needed).
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Export for counsel and other tools: the timeline as JSON, CSV,
    /// Timesketch JSONL or CASE/UCO JSON-LD; or `export bundle`, `export report`.
    #[command(
        after_help = "Example:\n  caselog export --format timesketch --out case.jsonl\n  caselog export --format case --out case.jsonld\n  caselog export bundle --out case.bundle\n  caselog export report --out exhibit.html --exhibit \"Gov't Ex. 12\""
    )]
    Export(ExportArgs),
    /// Record events: what happened, when (EDTF), and who says so.
    #[command(subcommand)]
    Event(EventCommand),
    /// Record notifications: who told whom, how, when.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Record investigative actions and their legal authority.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Take in evidence with fixity digests, re-verify it, list and show items.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Two-step chain of custody: release to a named receiver, receipt by them.
    #[command(subcommand)]
    Custody(CustodyCommand),
    /// Legal holds: while one is in force, the items it names (or, naming
    /// none, the whole case) cannot be disposed of, returned or, for a
    /// case-wide hold, have a private value erased (authority only).
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Retention categories: an item may not be disposed of before its
    /// period (days from the entry that set it) ends (authority only).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Discovery productions: acknowledge a package received (offline, by
    /// its recipient), and record that acknowledgement in the ledger.
    #[command(subcommand)]
    Production(ProductionCommand),
    /// Who read what through `caselog serve`: every member read is recorded
    /// with the reader's own signed request, in an access log with its own
    /// Merkle tree and checkpoints. Lists reads (--item, --reader); `verify`
    /// checks it; `checkpoint` signs its head (authority).
    #[command(
        after_help = "Example:\n  caselog access --item EV-0001\n  caselog access verify\n  caselog access checkpoint --key keys/authority"
    )]
    Access(AccessArgs),
    /// Correct fields of an earlier entry (nothing is deleted; both are shown).
    #[command(
        after_help = "Example:\n  caselog correct 7 --set occurred=2008-11-06 --reason \"email date confirmed\""
    )]
    Correct(CorrectArgs),
    /// Mark an earlier entry as entered in error, saying why. Nothing is
    /// removed: timelines, the report and exports show it struck through.
    #[command(
        after_help = "Only what states something can be voided (a note, event, notification, action or correction); membership, evidence and custody entries are undone by the entry that undoes them.\n\nExample:\n  caselog void 12 --reason \"entered against the wrong case\""
    )]
    Void(VoidArgs),
    /// The case timeline, ordered by when things happened (EDTF), with the
    /// recorded time beside each; approximate dates marked, corrections applied.
    #[command(
        after_help = "Example:\n  caselog timeline\n  caselog timeline --since 2008-10 --until 2008-11 --kind event --json\n  caselog timeline --grep fedex --item EV-0001"
    )]
    Timeline(TimelineArgs),
    /// Append one entry given as JSON: {"kind": ..., "body": {...}, "private": {...}}
    /// (the format of one `import` line), signed by --key.
    #[command(
        after_help = "Example:\n  caselog append --body-json event.json\n  echo '{\"kind\":\"note\",\"body\":{\"text\":\"call logged\"},\"private\":{\"caller\":\"...\"}}' | caselog append --body-json -"
    )]
    Append(AppendArgs),
    /// Import entries from JSON lines (one entry per line), signed by --key:
    /// the whole file is checked before the first write, then written in
    /// synced batches (group commit).
    #[command(
        after_help = "Each line: {\"kind\": \"event\", \"body\": {...}, \"private\": {\"field\": \"value\"}}\nwith bodies as in schemas/entry.cddl; byte fields (refs, digest, target, ...) as lowercase hex,\nas `caselog log --json` prints them. Kinds: note, event, notification, action, correction,\nevidence.intake. An intake line may name a directory to take in as a tree (as `evidence add --tree`):\n  {\"kind\": \"evidence.intake\", \"body\": {\"item\": \"EV-7\", \"description\": \"...\", \"collected_by\": \"...\", \"collected\": \"2008-10-09\"}, \"tree\": \"/mnt/drive\"}\nEvery tree is hashed while the file is checked; its manifest is stored once the whole file passed.\n\nEach batch is written with the file's import row (its SHA-256 and how many of its lines are in, SPEC §8.1):\nthe same command again continues after the last line in, and adds nothing once every line is in;\na file that grew goes on with its new lines; one edited since is refused (--again imports it anew).\n\nExit status: 0 imported (or nothing left to import), 2 bad input (each bad line named, nothing written),\n3 storage error, 130 stopped by Ctrl-C or SIGTERM; after 3 and 130 the lines of whole batches are in\nand the message gives the command that continues.\n\nExample:\n  caselog import tipline.jsonl\n  cat export.jsonl | caselog import -"
    )]
    Import(ImportArgs),
    /// Erase a private field's value (court order, retention): the value is
    /// deleted from the ledger's files; a `disclosure.erased` entry records
    /// the digest, reason and authority (authority role only).
    #[command(
        after_help = "If the command is interrupted after the erasure is recorded, the value is purged from the files on the next command that writes, or now with `caselog erase --resume`.\n\nExample:\n  caselog erase 5 --field members/017 --reason \"court order\" --authority \"Order 2009-CV-0042\"\n  caselog erase --resume"
    )]
    Erase(EraseArgs),
    /// Sign the current head as a checkpoint (C2SP signed note) with an
    /// authority's --key and store it; or list, show, add cosignatures.
    #[command(
        after_help = "Example:\n  caselog checkpoint --out head.checkpoint\n  caselog checkpoint list\n  caselog checkpoint show 12\n  caselog checkpoint add-cosignature cosigned.checkpoint"
    )]
    Checkpoint(CheckpointArgs),
    /// Have a stored checkpoint time-stamped by an RFC 3161 time-stamping
    /// authority (TSA): independent evidence that the ledger's state of that
    /// size existed no later than the TSA's time. The token is checked and
    /// stored beside the checkpoint; `verify --tsa-ca` checks it again.
    #[command(
        after_help = "Exit status: 0 stored (or already stored), 1 the TSA's token was refused (its code is printed), 2 bad input (no such checkpoint, bad URL or CA file), 3 storage or network error.\n\nExample:\n  caselog checkpoint\n  caselog timestamp --tsa https://tsa.example/ --tsa-ca tsa-root.pem"
    )]
    Timestamp(TimestampArgs),
    /// What needs attention: items in transit and receipts owed, files with
    /// no stored copy, seals, the last checkpoint, an unfinished erasure,
    /// revoked members (from the ledger's current state; nothing verified).
    #[command(after_help = "Example:\n  caselog status\n  caselog status --json | jq .in_transit")]
    Status(StatusArgs),
    /// Self-check: verify every entry and re-hash every stored evidence copy
    /// (as `verify --evidence`), then record the result as a signed
    /// `ledger.check` entry stating the size and root re-derived, and, by an
    /// authority, sign a checkpoint of it. Meant for a timer.
    #[command(
        after_help = "The entry states the tree before it, which every verifier recomputes (SPEC §13.10); problems found are listed in it by code. Exit status: 0 nothing found, 1 problems found (recorded unless --no-record), 2 bad input, 3 storage error.\n\nExample:\n  caselog fsck --key keys/custodian\n  caselog fsck --no-record --json"
    )]
    Fsck(FsckArgs),
    /// Tool validation (ISO/IEC 27041, UK FSR Code): run the built-in
    /// known-answer vectors (Wycheproof and CCTV Ed25519, the Go signed-note
    /// example, caselog's golden ledgers) against this binary and write the
    /// record: version, the binary's SHA-256, each suite's result; with
    /// --key, signed as a C2SP signed note.
    #[command(
        after_help = "Exit status: 0 every vector gave its published answer, 1 some did not, 2 bad input, 3 storage error.\n\nExample:\n  caselog validation-report --key keys/lab --out validation-2026-12.note\n  caselog validation-report --key keys/lab --out v.note --record   # and note it in the case"
    )]
    ValidationReport(ValidationReportArgs),
    /// Print the log verifier key (name+id+key) that counsel and witnesses pin:
    /// every active authority's, or the one of --key (no passphrase needed).
    #[command(
        after_help = "Example:\n  caselog log-key\n  caselog log-key --key keys/authority.pub\n  caselog log-key --all"
    )]
    LogKey(LogKeyArgs),
    /// Make inclusion and consistency proofs (plain-text files).
    #[command(subcommand)]
    Prove(ProveCommand),
    /// Check an inclusion proof file offline, with no database: checkpoint
    /// signature against pinned keys, witness quorum, record signature, path.
    #[command(
        after_help = "Exit status: 0 verified, 1 the proof does not hold, 2 bad input.\n\nExample:\n  caselog verify-proof letter.tlog-proof --trust \"$(cat log.vkey)\" --witness \"$(cat counsel.vkey)\" --quorum 1"
    )]
    VerifyProof(VerifyProofArgs),
    /// Act as a witness: cosign checkpoints only when consistent with the last one seen.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Serve cases over HTTP: members append records they sign themselves;
    /// tiles and checkpoints are public (C2SP tlog-tiles).
    #[command(
        after_help = "Each LEDGER directory is served as the case named after it: \
  http://ADDR/NAME/checkpoint, /NAME/tile/..., /NAME/api/...\n\nExample:\n  caselog serve ./cases/case-2008 --listen 127.0.0.1:8080\n  caselog serve --cases ./cases --listen 0.0.0.0:8443 --public-host cases.example:8443 --tls-cert cert.pem --tls-key key.pem"
    )]
    Serve(ServeArgs),
    /// Follow a served case into a local ledger: every record checked as a
    /// writer checks it, the server's checkpoint held to the copy; a server
    /// that forks or rolls back is refused and the evidence saved.
    #[command(
        after_help = "With --cosign, once the server's checkpoint matches the copy (every record to its size checked, root and item map recomputed), the mirror cosigns it (C2SP cosignature/v1), keeps the cosignature with the copy and hands it to the server, which keeps it if it pins this mirror (serve --mirror VKEY). Verifiers pin the printed key with --mirror.\n\nExit status: 0 up to date, 1 the server forked or rolled back (evidence in DIR.evidence/), 2 bad input, 3 storage or network error.\n\nExample:\n  caselog mirror https://cases.example/case-2008 ./mirror-2008 --key ./keys/counsel\n  caselog mirror https://cases.example/case-2008 ./mirror-2008 --key ./keys/counsel \\\n      --cosign ./keys/counsel-mirror --cosign-name counsel.example/mirror"
    )]
    Mirror(MirrorArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(
        after_help = "Example:\n  caselog completions bash > ~/.local/share/bash-completion/completions/caselog\n  caselog completions zsh > ~/.zfunc/_caselog\n  caselog completions fish > ~/.config/fish/completions/caselog.fish"
    )]
    Completions(CompletionsArgs),
    /// Write the man pages (caselog.1 and one per command) into DIR;
    /// tools/install-man installs them.
    #[command(hide = true)]
    Man(ManArgs),
}

/// Arguments of `caselog init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Case identifier, e.g. EXT-2008-001.
    #[arg(long = "case", value_name = "ID")]
    pub case_id: String,
    /// Case title.
    #[arg(long)]
    pub title: String,
    /// Ledger hash, fixed for the ledger's life.
    #[arg(long, value_enum, default_value = "sha256")]
    pub hash: HashArg,
    /// Sign a checkpoint automatically every N entries (when the
    /// appending key is an authority; otherwise a notice says one is due).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: Option<u64>,
    /// The case's IANA time zone (e.g. America/Los_Angeles), signed in
    /// the genesis entry: a date-time entered without a zone of its own
    /// is read in it by the timeline, report and exports (SPEC §13.1).
    #[arg(long = "zone", value_name = "IANA")]
    pub case_zone: Option<String>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog note`.
#[derive(Args, Debug)]
pub struct NoteArgs {
    /// The text ("-" reads it from standard input).
    pub text: String,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog log`.
#[derive(Args, Debug)]
pub struct LogArgs {
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// First seq to list (see also --seq A..B).
    #[arg(long, value_name = "SEQ", default_value_t = 0)]
    pub from: u64,
    /// Most entries to list.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Show private fields.
    #[arg(long)]
    pub reveal: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Arguments of `caselog show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Seq number or 64-hex-digit leaf hash.
    pub id: String,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Show private fields.
    #[arg(long)]
    pub reveal: bool,
}

/// Arguments of `caselog correct`.
#[derive(Args, Debug)]
pub struct CorrectArgs {
    /// The entry: seq or leaf hash.
    pub entry: String,
    /// FIELD=VALUE (repeatable), field names as in the entry's body.
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    pub set: Vec<String>,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// Show each field's value before and after, check the correction
    /// as the write would, and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// `caselog hold ...`.
#[derive(Subcommand, Debug)]
pub enum HoldCommand {
    /// Place a legal hold (authority): on the items named, or on the whole case.
    #[command(
        after_help = "Example:\n  caselog hold place LH-2009-01 --authority \"litigation hold notice of 2009-02-01\" \\\n      --reason \"civil suit filed\" --item EV-0001 --item EV-0002\n  caselog hold place LH-2009-02 --authority \"Order 2009-CV-0042\" --reason \"preserve everything\""
    )]
    Place(HoldPlaceArgs),
    /// Release a legal hold (authority).
    #[command(
        after_help = "Example:\n  caselog hold release LH-2009-01 --reason \"suit settled, order of 2011-03-02\""
    )]
    Release(HoldReleaseArgs),
    /// List the holds, in force and released.
    List(HoldListArgs),
}

/// `caselog retention ...`.
#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Give items a retention category with its period in days, counted
    /// from this entry (authority); a later one naming an item replaces it.
    #[command(
        after_help = "Example:\n  caselog retention set \"Felony evidence, 10 years\" --days 3650 --item EV-0001 \\\n      --authority \"State records retention schedule, item 7\""
    )]
    Set(RetentionSetArgs),
    /// Each item's retention category and when its period ends.
    List(RetentionListArgs),
}

/// Arguments of `caselog retention set`.
#[derive(Args, Debug)]
pub struct RetentionSetArgs {
    /// The category's name.
    pub category: String,
    /// The period in days from this entry (1 to 36500).
    #[arg(long)]
    pub days: u64,
    /// An item it applies to (repeatable).
    #[arg(long = "item", value_name = "ITEM", required = true)]
    pub items: Vec<String>,
    /// The schedule or policy it follows.
    #[arg(long)]
    pub authority: String,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog retention list`.
#[derive(Args, Debug)]
pub struct RetentionListArgs {
    /// JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog hold place`.
#[derive(Args, Debug)]
pub struct HoldPlaceArgs {
    /// The hold's id, used once in the ledger (e.g. the notice's number).
    pub hold: String,
    /// The legal authority: an order, a litigation-hold notice.
    #[arg(long)]
    pub authority: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    /// An item it holds (repeatable); none: the whole case.
    #[arg(long = "item", value_name = "ITEM")]
    pub items: Vec<String>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog hold release`.
#[derive(Args, Debug)]
pub struct HoldReleaseArgs {
    /// The hold's id, as placed.
    pub hold: String,
    /// Why it no longer applies.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog hold list`.
#[derive(Args, Debug)]
pub struct HoldListArgs {
    /// JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog void`.
#[derive(Args, Debug)]
pub struct VoidArgs {
    /// The entry: seq or leaf hash.
    pub entry: String,
    /// Why it was entered in error.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog timeline`.
#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// The former name of --since (still taken).
    #[arg(long, value_name = "EDTF", hide = true, conflicts_with = "since")]
    pub from: Option<String>,
    /// The former name of --until (still taken).
    #[arg(long, value_name = "EDTF", hide = true, conflicts_with = "until")]
    pub to: Option<String>,
    /// JSON lines.
    #[arg(long)]
    pub json: bool,
    /// Show private fields.
    #[arg(long)]
    pub reveal: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Arguments of `caselog append`.
#[derive(Args, Debug)]
pub struct AppendArgs {
    /// JSON file, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub body_json: String,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// JSON-lines file, or `-` for standard input.
    pub file: String,
    /// Entries per synced batch.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch: u64,
    /// Start after line N whatever the ledger records (a re-run of the
    /// same file continues on its own after the last line imported).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub skip: u64,
    /// Import the file even though its lines were imported before, each
    /// as a new entry again (without it, a re-run adds nothing twice).
    #[arg(long)]
    pub again: bool,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog erase`.
#[derive(Args, Debug)]
pub struct EraseArgs {
    /// The entry: seq or leaf hash.
    #[arg(required_unless_present = "resume")]
    pub entry: Option<String>,
    /// The private field's path.
    #[arg(long, required_unless_present = "resume")]
    pub field: Option<String>,
    /// Why.
    #[arg(long, required_unless_present = "resume")]
    pub reason: Option<String>,
    /// Finish the purge of an interrupted erasure (no new entry).
    #[arg(long, conflicts_with_all = ["entry", "field", "reason", "authority"])]
    pub resume: bool,
    /// Legal authority (court order number...).
    #[arg(long)]
    pub authority: Option<String>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog checkpoint`.
#[derive(Args, Debug)]
pub struct CheckpointArgs {
    #[command(subcommand)]
    pub cmd: Option<CheckpointCommand>,
    /// Also write the signed checkpoint to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog timestamp`.
#[derive(Args, Debug)]
pub struct TimestampArgs {
    /// The TSA's URL (RFC 3161 over HTTP: POST application/timestamp-query).
    #[arg(long, value_name = "URL")]
    pub tsa: String,
    /// The checkpoint's tree size (default: the largest stored checkpoint).
    #[arg(long, value_name = "N")]
    pub size: Option<u64>,
    /// The TSA's root certificate(s), PEM: the token must chain to one
    /// before it is stored (recommended; verify needs it to state the time).
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

/// Arguments of `caselog status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog validation-report`.
#[derive(Args, Debug)]
pub struct ValidationReportArgs {
    /// Write the record here (a new file; default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also append a note to the case naming the record's SHA-256 (needs
    /// --key, --out and a ledger).
    #[arg(long, requires = "out")]
    pub record: bool,
    /// The validator's key: the record is signed when one is given.
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog fsck`.
#[derive(Args, Debug)]
pub struct FsckArgs {
    /// Check only: record nothing (no key needed).
    #[arg(long)]
    pub no_record: bool,
    /// The verification report as JSON (schemas/verify-report.schema.json).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog log-key`.
#[derive(Args, Debug)]
pub struct LogKeyArgs {
    /// The authority whose log key to print (its private or .pub key
    /// file; no passphrase needed); without it, every active authority's.
    // Its id is not `key`: that id marks a command that signs (Globals).
    #[arg(long = "key", id = "authority_key", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Print the keys of every authority ever enrolled, revoked ones marked.
    #[arg(long, conflicts_with = "authority_key")]
    pub all: bool,
}

/// Arguments of `caselog serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Ledger directories to serve (else --ledger).
    #[arg(value_name = "LEDGER")]
    pub ledgers: Vec<PathBuf>,
    /// Serve every ledger directory found in DIR.
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// TLS certificate chain (PEM); with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); with --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on an address that is not loopback.
    #[arg(long)]
    pub insecure_http: bool,
    /// Serve without accepting writes (e.g. a mirror's copy).
    #[arg(long)]
    pub read_only: bool,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    pub max_body: usize,
    /// Largest evidence copy a member may upload, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub max_blob: u64,
    /// Request bytes held in memory at once, all requests together;
    /// a request that would go over is answered 503 before its body
    /// is read.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_in_flight: usize,
    /// Free space an evidence upload must leave on the disk, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub min_free: u64,
    /// A name clients reach this server by, HOST or HOST:PORT
    /// (repeatable): requests signed for other hosts are refused.
    /// Needed when listening on every address (0.0.0.0, ::).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub public_host: Vec<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// A witness to ask for a cosignature of each checkpoint stored
    /// (C2SP tlog-witness), as VKEY@URL (repeatable).
    #[arg(long, value_name = "VKEY@URL")]
    pub witness: Vec<String>,
    /// Cosignatures each checkpoint should gather; fewer are reported.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub quorum: usize,
    /// A mirror whose cosignatures (`caselog mirror --cosign`) this
    /// server accepts and keeps with the checkpoint, as its verifier
    /// key or a file holding it (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub mirror: Vec<String>,
    /// Have each checkpoint stored time-stamped by this RFC 3161 TSA
    /// (its token kept beside the checkpoint, SPEC §10.5).
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// With --tsa: the TSA's root certificate(s), PEM; a token that does
    /// not chain to one is not stored.
    #[arg(long, value_name = "FILE", requires = "tsa")]
    pub tsa_ca: Option<PathBuf>,
    /// Publish each checkpoint and its tiles as static C2SP tlog-tiles
    /// to file:///DIR or s3://BUCKET/PREFIX (AWS_* variables).
    #[arg(long, value_name = "URL")]
    pub publish: Option<String>,
    /// Publish the entry bundles too (they hold the case's content:
    /// only to a private store).
    #[arg(long, requires = "publish")]
    pub publish_entries: bool,
}

/// Arguments of `caselog mirror`.
#[derive(Args, Debug)]
pub struct MirrorArgs {
    /// The case URL, http(s)://HOST[:PORT]/CASE.
    pub url: String,
    /// The local copy (created when absent).
    pub dir: PathBuf,
    /// Cosign the server's checkpoint as a mirror with this key file
    /// (a key of its own, never a witness's; `caselog key generate`).
    #[arg(long, value_name = "FILE", requires = "cosign_name")]
    pub cosign: Option<PathBuf>,
    /// The mirror's name in its cosignatures, e.g. counsel.example/mirror.
    #[arg(long, value_name = "NAME", requires = "cosign")]
    pub cosign_name: Option<String>,
    /// Passphrase file of the --cosign key (else CASELOG_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE", requires = "cosign")]
    pub cosign_passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Arguments of `caselog man`.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// Directory to write the pages into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Timeline export formats.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    /// JSON document (schemas/timeline.schema.json).
    Json,
    /// CSV with a header row.
    Csv,
    /// Timesketch JSONL (message, datetime, timestamp, timestamp_desc, ...).
    Timesketch,
    /// CASE/UCO 1.4 JSON-LD.
    Case,
}

/// `caselog export [--format F --out FILE] | export bundle | export report`
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub cmd: Option<ExportCommand>,
    /// Timeline format.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Output file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only what overlaps this EDTF date or later.
    #[arg(long, value_name = "EDTF")]
    pub from: Option<String>,
    /// Only what overlaps this EDTF date or earlier.
    #[arg(long, value_name = "EDTF")]
    pub to: Option<String>,
    /// Only these kinds (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Leave private fields out (the default; their digests stay).
    #[arg(long, conflicts_with = "reveal")]
    pub redact: bool,
    /// Include these private fields (repeatable; `members/*` for a prefix, `*` for all).
    #[arg(long, value_name = "FIELD")]
    pub reveal: Vec<String>,
    /// Why private fields are revealed: required with --reveal, recorded
    /// in a signed export.reveal entry with the file's SHA-256.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
}

/// Where an item comes from (SPEC §13.5): device identifiers, and its place
/// in the chain of copies.
#[derive(Args, Debug, Default)]
pub struct Provenance {
    /// Device make.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub device_make: Option<String>,
    /// Device model.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub device_model: Option<String>,
    /// Device serial number.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub device_serial: Option<String>,
    /// Phone IMEI.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub imei: Option<String>,
    /// Host name.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub hostname: Option<String>,
    /// MAC address.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub mac: Option<String>,
    /// Which copy this item is: original, image, working-copy or derived.
    #[arg(long, value_name = "ROLE", help_heading = "Provenance")]
    pub copy_role: Option<String>,
    /// The item (taken in earlier) this copy was made from.
    #[arg(long, value_name = "ITEM", help_heading = "Provenance")]
    pub derived_from: Option<String>,
    /// The tool that made the copy.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub tool: Option<String>,
    /// The tool's version.
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub tool_version: Option<String>,
    /// How the copy was made (e.g. "physical acquisition, write-blocked").
    #[arg(long, value_name = "TEXT", help_heading = "Provenance")]
    pub method: Option<String>,
}

/// `caselog export ...` subcommands.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// A self-contained HTML court exhibit: caption, SVG timeline, chronology,
    /// custody tables, evidence digests and a verification appendix.
    #[command(
        after_help = "Example:\n  caselog export report --out exhibit-12.html --exhibit \"Gov't Ex. 12\" --title \"United States v. Doe\""
    )]
    Report(ExportReportArgs),
    /// The certification a qualified person signs for an exhibit (Fed. R.
    /// Evid. 902(13) and 902(14)): the process and a fresh verification, the
    /// checkpoint and its time-stamps, each file's SHA-256 when it was taken
    /// in (at intake, or attached later) and of the copy kept. Self-contained HTML that prints to PDF; a template for
    /// counsel, not legal advice.
    #[command(
        after_help = "Example:\n  caselog export certification --exhibit \"Gov't Ex. 12\" --out ex12-certification.html --tsa-ca tsa-root.pem\n  caselog export certification --exhibit \"Gov't Ex. 13\" --item EV-0001 --out ex13-certification.html"
    )]
    Certification(ExportCertificationArgs),
    /// A certificate of disposition for an item disposed of or returned: its
    /// files and digests, its custody, the legal holds that named it, the
    /// entry that closed it, and a fresh verification of the ledger.
    #[command(
        after_help = "Example:\n  caselog export disposition EV-0002 --out ev2-disposition.html"
    )]
    Disposition(ExportDispositionArgs),
    /// A discovery production: the items' files named by Bates number, the
    /// EDRM load files (Concordance DAT; Opticon OPT for images), per-item
    /// bundles and C2SP tlog-proofs, the certification (and with --timeline
    /// the court report) as HTML and PDF/A-2b, and a SHA-256 manifest; then
    /// a signed `production` entry stating the manifest's digest.
    #[command(
        after_help = "Example:\n  caselog export production --to \"Defense counsel\" --authority \"Rule 16 request of 2009-03-02\" \\\n      --item EV-0001 --item EV-0002 --timeline --bates-prefix EXT --out production-001\n\nThe recipient checks and acknowledges it (offline, with their own key):\n  caselog production acknowledge production-001 --key THEIR_KEY --out production-001.receipt"
    )]
    Production(ExportProductionArgs),
    /// One deterministic CBOR file to re-verify offline: every record (full),
    /// or a selection with inclusion proofs plus every membership record.
    #[command(
        after_help = "Verify it anywhere with:\n  caselog verify --bundle FILE --trust LOG_VKEY [--witness VKEY --quorum K] [--mirror VKEY --mirror-quorum K]\n  caselog verify --bundle FILE --policy FILE   (log, witness and mirror keys in one file, SPEC §10.6)\n  tools/verify-bundle FILE --trust LOG_VKEY   (independent Python verifier)\n\nExample:\n  caselog export bundle --out case.bundle\n  caselog export bundle --item EV-0001 --out ev1.bundle"
    )]
    Bundle(ExportBundleArgs),
}

/// Arguments of `caselog export report`.
#[derive(Args, Debug)]
pub struct ExportReportArgs {
    /// Output file (.html).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write a PDF/A-2b rendition of it (the same text; for courts'
    /// e-filing systems that take PDF/A).
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// Exhibit label.
    #[arg(long)]
    pub exhibit: Option<String>,
    /// Caption title (default: the case title).
    #[arg(long)]
    pub title: Option<String>,
    /// Leave private fields out (the default for the report).
    #[arg(long, conflicts_with = "reveal")]
    pub redact: bool,
    /// Include these private fields (repeatable; `*` for all).
    #[arg(long, value_name = "FIELD")]
    pub reveal: Vec<String>,
    /// Why private fields are revealed: required with --reveal, recorded
    /// in a signed export.reveal entry with the file's SHA-256.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// Root certificate(s) of trusted time-stamping authorities (PEM):
    /// the appendix then states the time each time-stamp shows.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

/// Arguments of `caselog export certification`.
#[derive(Args, Debug)]
pub struct ExportCertificationArgs {
    /// Output file (.html).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write a PDF/A-2b rendition of it (the same text; for courts'
    /// e-filing systems that take PDF/A).
    #[arg(long, value_name = "FILE")]
    pub pdf: Option<PathBuf>,
    /// The exhibit label it certifies.
    #[arg(long)]
    pub exhibit: String,
    /// Only this evidence item under 902(14) (repeatable; default: every item).
    #[arg(long = "item", value_name = "ITEM")]
    pub items: Vec<String>,
    /// Root certificate(s) of the time-stamping authority (PEM), so that
    /// the checkpoint's time-stamps are stated.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

/// Arguments of `caselog access`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AccessArgs {
    #[command(subcommand)]
    pub cmd: Option<AccessCommand>,
    /// Only reads about this item (reads of the whole timeline or of entry
    /// tiles, which include it, are listed too and marked so).
    #[arg(long, value_name = "ITEM")]
    pub item: Option<String>,
    /// Only reads by this member (name or key id).
    #[arg(long, value_name = "MEMBER")]
    pub reader: Option<String>,
    /// JSON.
    #[arg(long)]
    pub json: bool,
}

/// `caselog access ...`.
#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Check the access log: every record's request signature by the member
    /// it names, and every stored checkpoint's signature and root. Exit 1
    /// on a problem.
    Verify(AccessVerifyArgs),
    /// Sign a checkpoint of the access log's current records (authority),
    /// stored beside the log; `access verify` checks the log against it.
    Checkpoint(AccessCheckpointArgs),
}

/// Arguments of `caselog access verify`.
#[derive(Args, Debug)]
pub struct AccessVerifyArgs {
    /// JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog access checkpoint`.
#[derive(Args, Debug)]
pub struct AccessCheckpointArgs {
    /// Also write the signed checkpoint to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog export production`.
#[derive(Args, Debug)]
pub struct ExportProductionArgs {
    /// The recipient: an enrolled member's name or key id (enroll an
    /// outside party with role external).
    #[arg(long, value_name = "MEMBER")]
    pub to: String,
    /// The request or authority the production answers (a discovery
    /// request, a court order).
    #[arg(long)]
    pub authority: String,
    /// An item produced (repeatable).
    #[arg(long = "item", value_name = "ITEM", required = true)]
    pub items: Vec<String>,
    /// Also produce the court report (the whole timeline).
    #[arg(long)]
    pub timeline: bool,
    /// Bates prefix: 1-16 of A-Z, 0-9, - and _.
    #[arg(long, value_name = "PREFIX")]
    pub bates_prefix: String,
    /// First Bates number.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub bates_start: u64,
    /// Output directory (must not exist).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Root certificate(s) of the time-stamping authority (PEM), so that
    /// the reports state the checkpoint's time-stamps.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// `caselog production ...`.
#[derive(Subcommand, Debug)]
pub enum ProductionCommand {
    /// The recipient's acknowledgement, offline: re-hash every file the
    /// package's manifest names and sign the manifest's digest with your
    /// key, into a receipt file the producer records.
    #[command(
        after_help = "Example:\n  caselog production acknowledge production-001 --key keys/defense --out production-001.receipt"
    )]
    Acknowledge(ProductionAckArgs),
    /// Record a production's receipt: as its recipient, from the package
    /// you hold (--package), or the recipient's signed receipt file (--file).
    #[command(
        after_help = "Example:\n  caselog production receipt --file production-001.receipt\n  caselog production receipt --package production-001 --key keys/defense"
    )]
    Receipt(ProductionReceiptArgs),
}

/// Arguments of `caselog production acknowledge`.
#[derive(Args, Debug)]
pub struct ProductionAckArgs {
    /// The package directory received.
    pub package: PathBuf,
    /// Receipt file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog production receipt`.
#[derive(Args, Debug)]
pub struct ProductionReceiptArgs {
    /// The package directory, re-hashed (you are its recipient).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "file",
        required_unless_present = "file"
    )]
    pub package: Option<PathBuf>,
    /// The recipient's receipt file (`production acknowledge`).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog export disposition`.
#[derive(Args, Debug)]
pub struct ExportDispositionArgs {
    /// The item, disposed of or returned.
    pub item: String,
    /// Output file (.html).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Arguments of `caselog export bundle`.
#[derive(Args, Debug)]
pub struct ExportBundleArgs {
    /// Output file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Include seqs A..B (inclusive; repeatable; `7` alone is 7..7).
    #[arg(long = "seq", value_name = "A..B")]
    pub seqs: Vec<String>,
    /// Include every entry about this evidence item (repeatable).
    #[arg(long = "item", value_name = "ITEM")]
    pub items: Vec<String>,
    /// Include every entry of this kind (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Checkpoint to bundle against (default: the latest stored one).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Also carry the evidence files (from the blob store, `evidence add --copy`).
    #[arg(long)]
    pub with_files: bool,
    /// Leave private fields out (their digests stay in the entries).
    #[arg(long, conflicts_with = "reveal")]
    pub redact: bool,
    /// Include these private fields as disclosures (repeatable; `*` for all).
    #[arg(long, value_name = "FIELD")]
    pub reveal: Vec<String>,
    /// Why private fields are revealed: required with --reveal, recorded
    /// in a signed export.reveal entry with the file's SHA-256.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
}

/// `caselog event ...`
#[derive(Subcommand, Debug)]
pub enum BundleCommand {
    /// Verify a bundle, then write the evidence files it carries into a
    /// new directory (each under ITEM/FILE-NAME, with a SHA256SUMS file).
    #[command(
        after_help = "Nothing is written unless the bundle verifies (exit 1 then, with the report). Files are written 0600 in a new 0700 directory; a file name an intake gives that is not a plain file name is written as its BLAKE3 digest instead, and said.\n\nExit status: 0 verified and written, 1 problems found (nothing written), 2 bad input, 3 storage error.\n\nExample:\n  caselog bundle extract ev1.bundle --trust log.vkey --out ev1-files\n  (cd ev1-files && sha256sum -c SHA256SUMS)"
    )]
    Extract(BundleExtractArgs),
}

/// Arguments of `caselog bundle extract`.
#[derive(Args, Debug)]
pub struct BundleExtractArgs {
    /// The bundle file.
    pub file: PathBuf,
    /// Directory to create and write the carried files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub pins: Pins,
    /// Root certificate(s) of trusted time-stamping authorities (PEM).
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

/// `caselog verify`'s options (a ledger, or a bundle with `--bundle`).
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// JSON report (schemas/verify-report.schema.json).
    #[arg(long)]
    pub json: bool,
    /// A checkpoint obtained earlier that the ledger must still extend
    /// (detects truncation, rollback, rewrite). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub against: Vec<PathBuf>,
    /// Log verifier key that must have signed the --against checkpoints
    /// (default: any authority of this ledger). Repeatable.
    #[arg(long, value_name = "VKEY")]
    pub trust: Vec<String>,
    /// Also re-hash every evidence file stored in the ledger's blob store.
    #[arg(long)]
    pub evidence: bool,
    /// Root certificate(s) of trusted time-stamping authorities (PEM):
    /// each RFC 3161 time-stamp must chain to one, and the report states
    /// the time it shows. Without it, tokens are checked but no time is stated.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
    /// Verify an exported bundle instead of a ledger (no database; needs --trust).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["against", "evidence"])]
    pub bundle: Option<PathBuf>,
    /// With --bundle: pinned witness verifier key (repeatable).
    #[arg(long, value_name = "VKEY", requires = "bundle")]
    pub witness: Vec<String>,
    /// With --bundle: valid witness cosignatures required.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "bundle")]
    pub quorum: usize,
    /// With --bundle: pinned mirror verifier key (repeatable): a mirror
    /// cosigns only what it holds, checked, with the item map recomputed.
    #[arg(long, value_name = "VKEY", requires = "bundle")]
    pub mirror: Vec<String>,
    /// With --bundle: valid mirror cosignatures required.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "bundle")]
    pub mirror_quorum: usize,
    /// With --bundle: a trust policy file (C2SP tlog-policy form, with
    /// mirror lines; SPEC §10.6) instead of the key options.
    #[arg(long, value_name = "FILE", requires = "bundle", conflicts_with_all = ["trust", "witness", "quorum", "mirror", "mirror_quorum"])]
    pub policy: Option<PathBuf>,
}

/// `caselog verify-proof`'s options.
#[derive(Args, Debug)]
pub struct VerifyProofArgs {
    /// The proof file.
    pub file: PathBuf,
    #[command(flatten)]
    pub pins: Pins,
}

/// What an offline verifier pins: log keys, witnesses, mirrors and their
/// quorums, or one policy file holding them all (SPEC §10.6).
#[derive(Args, Debug, Clone)]
pub struct Pins {
    /// Pinned log verifier key, or a file holding them (repeatable; at
    /// least one unless --policy).
    #[arg(long, value_name = "VKEY", required_unless_present = "policy")]
    pub trust: Vec<String>,
    /// Pinned witness verifier key, or a file holding them (repeatable).
    #[arg(long, value_name = "VKEY")]
    pub witness: Vec<String>,
    /// Valid witness cosignatures required.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub quorum: usize,
    /// Pinned mirror verifier key (repeatable): a mirror cosigns only what
    /// it holds, checked, with the item map recomputed.
    #[arg(long, value_name = "VKEY")]
    pub mirror: Vec<String>,
    /// Valid mirror cosignatures required.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub mirror_quorum: usize,
    /// A trust policy file (C2SP tlog-policy form, with mirror lines; SPEC
    /// §10.6) instead of the key options.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["trust", "witness", "quorum", "mirror", "mirror_quorum"])]
    pub policy: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum EventCommand {
    /// Append an event.
    #[command(
        after_help = "Example:\n  caselog event add --title \"Extortion letter received\" --occurred 2008-10~ \\\n      --source \"company press release\" --grade B2 --tag extortion"
    )]
    Add(EventAdd),
}

/// Arguments of `event add`.
#[derive(Args, Debug)]
pub struct EventAdd {
    /// Short title.
    #[arg(long)]
    pub title: String,
    /// When it happened, EDTF (2008-10~, 2006-06?, 2008-11-06, 2008-10-01/2008-10-15).
    #[arg(long, value_name = "EDTF")]
    pub occurred: String,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Longer description.
    #[arg(long)]
    pub description: Option<String>,
    /// Where.
    #[arg(long)]
    pub location: Option<String>,
    /// A source (repeatable); each needs a --grade, in the same order.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// Admiralty grade of the source at the same position: A-F reliability + 1-6 credibility, e.g. B2.
    #[arg(long = "grade", value_name = "GRADE")]
    pub grades: Vec<String>,
    /// Reference (URL, document id) of the source at the same position.
    #[arg(long = "source-ref", value_name = "REF")]
    pub source_refs: Vec<String>,
    /// Tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// A related entry, by seq or leaf hash (repeatable).
    #[arg(long = "ref", value_name = "ENTRY")]
    pub refs: Vec<String>,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// `caselog notify ...`
#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Append a notification.
    #[command(
        after_help = "Example:\n  caselog notify add --by \"university system president\" --to \"university employees\" \\\n      --channel email --sent 2008-11-06 --subject \"Express investigation\""
    )]
    Add(NotifyAddArgs),
}

/// Arguments of `caselog notify add`.
#[derive(Args, Debug)]
pub struct NotifyAddArgs {
    /// Who notified.
    #[arg(long)]
    pub by: String,
    /// Whom (description of the recipients).
    #[arg(long)]
    pub to: String,
    /// How many recipients.
    #[arg(long)]
    pub count: Option<u64>,
    /// letter, email, phone, press, portal or other.
    #[arg(long, value_parser = ["letter", "email", "phone", "press", "portal", "other"])]
    pub channel: String,
    /// When sent (EDTF).
    #[arg(long, value_name = "EDTF")]
    pub sent: String,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Subject line.
    #[arg(long)]
    pub subject: Option<String>,
    /// A copy of the letter or template, to record its digest.
    #[arg(long, value_name = "PATH")]
    pub template: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// `caselog action ...`
#[derive(Subcommand, Debug)]
pub enum ActionCommand {
    /// Append an investigative action.
    #[command(
        after_help = "Example:\n  caselog action add --title \"Subpoena for mail-room logs\" --occurred 2008-11-10 --authority SUBP-2008-114"
    )]
    Add(ActionAddArgs),
}

/// Arguments of `caselog action add`.
#[derive(Args, Debug)]
pub struct ActionAddArgs {
    /// What was done.
    #[arg(long)]
    pub title: String,
    /// When (EDTF).
    #[arg(long, value_name = "EDTF")]
    pub occurred: String,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Who did it (default: the signer's name).
    #[arg(long)]
    pub by: Option<String>,
    /// Legal authority: warrant, subpoena or consent id.
    #[arg(long)]
    pub authority: Option<String>,
    /// Outcome.
    #[arg(long)]
    pub outcome: Option<String>,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// `caselog evidence ...`
#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Take an item into evidence: BLAKE3 and SHA-256 of each file in one read pass.
    #[command(
        after_help = "Example:\n  caselog evidence add EV-0001 --description \"Scan of the extortion letter\" \\\n      --file letter-scan.pdf --collected 2008-10~ --seal S-1187 --copy"
    )]
    Add(EvidenceAddArgs),
    /// Re-hash an outside copy of an item's file, or its whole tree, and record the result.
    #[command(
        after_help = "Exit status: 0 digests match, 1 they differ (the result is recorded either way, unless --dry-run; a recorded difference is a finding of the ledger, not a failure of its integrity), 2 bad input: nothing recorded.\n\nExamples:\n  caselog evidence verify EV-0001 /mnt/lab/letter-scan.pdf\n  caselog evidence verify EV-0001 lab-copy.eml --file extortion.eml --dry-run\n  caselog evidence verify EV-0007 --tree /mnt/lab/laptop-files"
    )]
    Verify(EvidenceVerifyArgs),
    /// Write an item's tree manifest: hashdeep's format (for `hashdeep -a -k`), JSON, or the CBOR itself.
    #[command(
        after_help = "The stored manifest is first checked against the digests its intake recorded.\n\nExample:\n  caselog evidence manifest EV-0007 -o laptop.hashdeep\n  (cd /mnt/lab && hashdeep -r -l -o f -c sha256 -a -k laptop.hashdeep laptop-files)"
    )]
    Manifest(EvidenceManifestArgs),
    /// List items with holder and status.
    List(EvidenceListArgs),
    /// Show an item: files with BLAKE3 and SHA-256 (hex), holder, history.
    Show(EvidenceShowArgs),
    /// Record that the holder destroyed the item.
    Dispose(EvidenceDisposeArgs),
    /// Record that the holder returned the item to its owner.
    Return(EvidenceReturnArgs),
}

/// Arguments of `caselog evidence add`.
#[derive(Args, Debug)]
pub struct EvidenceAddArgs {
    /// Item id, e.g. EV-0001 (unique in the ledger).
    #[arg(required_unless_present = "to")]
    pub item: Option<String>,
    /// Attach the --file(s) to this item, taken in earlier (a lab's
    /// report, an image made of it): a signed entry linked to the item,
    /// its files then re-verified, copied and shown like the intake's.
    #[arg(
        long,
        value_name = "ITEM",
        conflicts_with_all = [
            "item", "collected_by", "collected", "location", "seal", "tree", "zone",
            "device_make", "device_model", "device_serial", "imei", "hostname", "mac",
            "copy_role", "derived_from", "tool", "tool_version", "method",
        ],
        requires = "files"
    )]
    pub to: Option<String>,
    /// What it is.
    #[arg(long)]
    pub description: String,
    /// A file of the item (repeatable).
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Who collected it (default: the signer's name).
    #[arg(long)]
    pub collected_by: Option<String>,
    /// When collected (EDTF; default: today).
    #[arg(long, value_name = "EDTF")]
    pub collected: Option<String>,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Where.
    #[arg(long)]
    pub location: Option<String>,
    /// Seal number.
    #[arg(long)]
    pub seal: Option<String>,
    /// A directory taken in as a whole (a seized drive's files): every
    /// regular file hashed in parallel, recorded in a manifest (SPEC §13.8).
    #[arg(long, value_name = "DIR")]
    pub tree: Option<PathBuf>,
    /// Also keep a copy of each file in the ledger's blob store.
    #[arg(long)]
    pub copy: bool,
    #[command(flatten)]
    pub provenance: Box<Provenance>,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog evidence verify`.
#[derive(Args, Debug)]
pub struct EvidenceVerifyArgs {
    /// Item id.
    pub item: String,
    /// The copy to check.
    #[arg(required_unless_present = "tree")]
    pub path: Option<PathBuf>,
    /// Which of the item's files it is (default: the copy's file name).
    #[arg(long)]
    pub file: Option<String>,
    /// Re-hash a copy of the item's tree instead, naming every added,
    /// missing and changed file.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["path", "file"])]
    pub tree: Option<PathBuf>,
    /// Compare and print the result without recording it (no key needed).
    #[arg(long)]
    pub dry_run: bool,
    /// With --tree: record the comparison even when the directory shares
    /// no file path with the item's tree (otherwise refused as the wrong
    /// directory).
    #[arg(long, requires = "tree")]
    pub force: bool,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog evidence manifest`.
#[derive(Args, Debug)]
pub struct EvidenceManifestArgs {
    /// Item id.
    pub item: String,
    /// Output format.
    #[arg(long, default_value = "hashdeep", value_parser = ["hashdeep", "json", "cbor"])]
    pub format: String,
    /// Write to this file (default: standard output; CBOR needs a file).
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Arguments of `caselog evidence list`.
#[derive(Args, Debug)]
pub struct EvidenceListArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog evidence show`.
#[derive(Args, Debug)]
pub struct EvidenceShowArgs {
    /// Item id.
    pub item: String,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `caselog evidence dispose`.
#[derive(Args, Debug)]
pub struct EvidenceDisposeArgs {
    /// Item id.
    pub item: String,
    /// How.
    #[arg(long)]
    pub method: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog evidence return`.
#[derive(Args, Debug)]
pub struct EvidenceReturnArgs {
    /// Item id.
    pub item: String,
    /// To whom.
    #[arg(long)]
    pub to: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// `caselog custody ...`
#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// Release an item you hold to a named member (step 1 of 2).
    #[command(
        after_help = "Example:\n  caselog custody release EV-0001 --to \"State crime lab\" --reason \"document examination\" \\\n      --authority \"search warrant 08-SW-1123\" --transport \"hand carried by Det. Ruiz\" --apply-seal S-1188"
    )]
    Release(CustodyReleaseArgs),
    /// Receive an item released to you (step 2 of 2), signed with your --key;
    /// or refuse it (--reject REASON): the releaser keeps it.
    #[command(
        after_help = "An item that carries seals needs --seal-intact or --seal-broken SEAL (what you found); one with none takes neither and is recorded as \"no seal\".\n\nExample:\n  caselog custody receive EV-0001 --seal-intact --condition \"sealed bag, seal S-1187\"\n  caselog custody receive EV-0001 --seal-broken S-1187 --condition \"bag torn at one corner\"\n  caselog custody receive EV-0002 --seal-intact --reject \"wrong item: the original was requested\""
    )]
    Receive(CustodyReceiveArgs),
    /// External receiver: sign a receipt file offline with your --key (no ledger needed).
    #[command(
        after_help = "Example:\n  caselog custody receipt --key lab.key --ledger-id 0a6b... --item EV-0001 \\\n      --release 5ba6... --out EV-0001.receipt"
    )]
    Receipt(CustodyReceiptArgs),
    /// Check an item you hold into an evidence room (you stay accountable
    /// for it until you check it out).
    #[command(
        after_help = "Example:\n  caselog custody store EV-0001 --location \"Property room B, shelf 4, locker 12\" --reason \"awaiting examination\""
    )]
    Store(CustodyStoreArgs),
    /// Check an item you stored out of the evidence room.
    #[command(
        after_help = "Example:\n  caselog custody retrieve EV-0001 --reason \"transfer to the state lab\" --break-seal S-1187 --apply-seal S-1188"
    )]
    Retrieve(CustodyRetrieveArgs),
    /// Holder: record an external receiver's signed receipt.
    ImportReceipt(CustodyImportReceiptArgs),
    /// An item's holders over time, who signed what, and any breaks.
    Show(CustodyShowArgs),
}

/// Arguments of `caselog custody release`.
#[derive(Args, Debug)]
pub struct CustodyReleaseArgs {
    /// Item id.
    pub item: String,
    /// Receiver: member name, .pub file or key.
    #[arg(long)]
    pub to: String,
    /// Why (the purpose of the transfer).
    #[arg(long)]
    pub reason: String,
    /// Where.
    #[arg(long)]
    pub location: Option<String>,
    /// Legal authority for the transfer (warrant, subpoena, consent).
    #[arg(long)]
    pub authority: Option<String>,
    /// How the item travels (courier, carrier and tracking number).
    #[arg(long)]
    pub transport: Option<String>,
    #[command(flatten)]
    pub seals: SealArgs,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog custody receive`.
#[derive(Args, Debug)]
pub struct CustodyReceiveArgs {
    /// Item id.
    pub item: String,
    #[command(flatten)]
    pub found: SealFound,
    /// Condition on receipt.
    #[arg(long)]
    pub condition: Option<String>,
    /// Refuse the item, saying why; custody stays with the releaser.
    #[arg(long, value_name = "REASON")]
    pub reject: Option<String>,
    #[command(flatten)]
    pub seals: SealArgs,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog custody receipt`.
#[derive(Args, Debug)]
pub struct CustodyReceiptArgs {
    /// Ledger id (printed by `custody release`).
    #[arg(long)]
    pub ledger_id: String,
    /// Item id.
    #[arg(long)]
    pub item: String,
    /// Leaf hash of the release (printed by `custody release`).
    #[arg(long)]
    pub release: String,
    #[command(flatten)]
    pub found: SealFound,
    /// Condition on receipt.
    #[arg(long)]
    pub condition: Option<String>,
    /// Where to write the receipt.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub seals: SealArgs,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog custody store`.
#[derive(Args, Debug)]
pub struct CustodyStoreArgs {
    /// Item id.
    pub item: String,
    /// Where: room, shelf, locker.
    #[arg(long)]
    pub location: String,
    /// Why.
    #[arg(long)]
    pub reason: Option<String>,
    /// Condition at check-in.
    #[arg(long)]
    pub condition: Option<String>,
    #[command(flatten)]
    pub seals: SealArgs,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog custody retrieve`.
#[derive(Args, Debug)]
pub struct CustodyRetrieveArgs {
    /// Item id.
    pub item: String,
    /// Why (examination, court, transfer).
    #[arg(long)]
    pub reason: String,
    /// Condition at check-out.
    #[arg(long)]
    pub condition: Option<String>,
    #[command(flatten)]
    pub seals: SealArgs,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog custody import-receipt`.
#[derive(Args, Debug)]
pub struct CustodyImportReceiptArgs {
    /// The receipt file.
    pub file: PathBuf,
    #[command(flatten)]
    pub sign: Signing,
    #[command(flatten)]
    pub private: Private,
}

/// Arguments of `caselog custody show`.
#[derive(Args, Debug)]
pub struct CustodyShowArgs {
    /// Item id.
    pub item: String,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `caselog checkpoint ...`
#[derive(Subcommand, Debug)]
pub enum CheckpointCommand {
    /// List stored checkpoints (size, root, signers).
    List,
    /// Print a stored checkpoint (default: the latest).
    Show(CheckpointShowArgs),
    /// Merge cosignature lines from a cosigned checkpoint file into the stored one.
    #[command(
        after_help = "Every new line must verify under a --witness key or the log key of an authority active at the checkpoint's size; otherwise nothing is stored.\n\nExample:\n  caselog checkpoint add-cosignature cosigned.checkpoint --witness \"$(cat witness.vkey)\""
    )]
    AddCosignature(CheckpointAddCosignatureArgs),
}

/// Arguments of `caselog checkpoint show`.
#[derive(Args, Debug)]
pub struct CheckpointShowArgs {
    /// Tree size.
    pub size: Option<u64>,
}

/// Arguments of `caselog checkpoint add-cosignature`.
#[derive(Args, Debug)]
pub struct CheckpointAddCosignatureArgs {
    /// Checkpoint file with the witness's cosignature line(s).
    pub file: PathBuf,
    /// Verifier key of a witness whose cosignature lines may be stored
    /// (name+id+key as `caselog witness init` prints it, or a file).
    #[arg(long = "witness", value_name = "VKEY")]
    pub witness: Vec<String>,
}

/// `caselog prove ...`
#[derive(Subcommand, Debug)]
pub enum ProveCommand {
    /// Prove that entry SEQ is in a checkpointed tree (C2SP tlog-proof style).
    #[command(after_help = "Example:\n  caselog prove inclusion 3 --out letter.tlog-proof")]
    Inclusion(ProveInclusionArgs),
    /// Prove that a newer checkpoint extends an older one.
    #[command(
        after_help = "Example:\n  caselog prove consistency --old witness-held.checkpoint --out step.proof"
    )]
    Consistency(ProveConsistencyArgs),
}

/// Arguments of `caselog prove inclusion`.
#[derive(Args, Debug)]
pub struct ProveInclusionArgs {
    /// The entry.
    pub seq: u64,
    /// Checkpoint to prove against (default: the latest stored one).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Arguments of `caselog prove consistency`.
#[derive(Args, Debug)]
pub struct ProveConsistencyArgs {
    /// The older checkpoint.
    #[arg(long, value_name = "FILE")]
    pub old: PathBuf,
    /// The newer checkpoint (default: the latest stored one).
    #[arg(long, value_name = "FILE")]
    pub new: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `caselog witness ...`
#[derive(Subcommand, Debug)]
pub enum WitnessCommand {
    /// Create a witness state directory for the --key holder.
    #[command(
        after_help = "Example:\n  caselog witness init --name counsel.example/witness --key keys/counsel --state ./witness"
    )]
    Init(WitnessInitArgs),
    /// Cosign a checkpoint signed by --log-key if it extends the last one held.
    #[command(
        after_help = "Exit status: 0 cosigned, 1 refused (inconsistent: evidence saved), 2 bad input.\n\nExample:\n  caselog witness cosign --state ./witness --key keys/counsel --log-key \"$(cat log.vkey)\" \\\n      --checkpoint head.checkpoint --proof step.proof --out cosigned.checkpoint"
    )]
    Cosign(WitnessCosignArgs),
    /// Serve the witness over HTTP (C2SP tlog-witness `add-checkpoint`).
    #[command(
        after_help = "Example:\n  caselog witness serve --state ./witness --key keys/counsel --log-key log.vkey --listen 127.0.0.1:8090"
    )]
    Serve(WitnessServeArgs),
    /// Print this witness's verifier key.
    Show(WitnessShowArgs),
}

/// Arguments of `caselog witness init`.
#[derive(Args, Debug)]
pub struct WitnessInitArgs {
    /// Witness name (no spaces or '+'), e.g. counsel.example/witness.
    #[arg(long)]
    pub name: String,
    /// State directory to create.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog witness cosign`.
#[derive(Args, Debug)]
pub struct WitnessCosignArgs {
    /// State directory.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// The log's verifier key, or a file holding it.
    #[arg(long, value_name = "VKEY")]
    pub log_key: String,
    /// The checkpoint to cosign.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// Consistency proof from the held checkpoint to this one.
    #[arg(long, value_name = "FILE")]
    pub proof: Option<PathBuf>,
    /// Write the cosigned checkpoint to FILE.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog witness show`.
#[derive(Args, Debug)]
pub struct WitnessShowArgs {
    /// State directory.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
}

/// Arguments of `witness serve`.
#[derive(Args, Debug)]
pub struct WitnessServeArgs {
    /// State directory.
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
    /// A log's verifier key, or a file holding it (repeatable).
    #[arg(long, value_name = "VKEY", required = true)]
    pub log_key: Vec<String>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// TLS certificate chain (PEM); with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); with --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on an address that is not loopback.
    #[arg(long)]
    pub insecure_http: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub sign: Signing,
}

/// `caselog key ...`
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an OpenSSH Ed25519 key (mode 0600) and FILE.pub beside it.
    #[command(
        after_help = "The passphrase comes from --passphrase-file, $CASELOG_PASSPHRASE, or a prompt.\n\nExample:\n  CASELOG_PASSPHRASE=... caselog key generate --name \"Det. Roe\" --out keys/roe"
    )]
    Generate(KeyGenerateArgs),
    /// Print a key's name, public key and fingerprint (never the secret).
    #[command(
        after_help = "Example:\n  caselog key show keys/roe\n  caselog key show keys/roe.pub"
    )]
    Show(KeyShowArgs),
}

/// Arguments of `caselog key generate`.
#[derive(Args, Debug)]
pub struct KeyGenerateArgs {
    /// Holder's name, stored as the key comment.
    #[arg(long)]
    pub name: String,
    /// Where to write the private key.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Store the key unencrypted (not recommended).
    #[arg(long)]
    pub no_passphrase: bool,
    /// Read the new key's passphrase from this file (else $CASELOG_PASSPHRASE, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// Arguments of `caselog key show`.
#[derive(Args, Debug)]
pub struct KeyShowArgs {
    /// Private or public key file.
    pub file: PathBuf,
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
    Revoke(MemberRevokeArgs),
    /// List members with role and status.
    List(MemberListArgs),
}

/// Arguments of `caselog member revoke`.
#[derive(Args, Debug)]
pub struct MemberRevokeArgs {
    /// The member: .pub file, ssh-ed25519 line, hex key, or exact name.
    pub member: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub sign: Signing,
}

/// Arguments of `caselog member list`.
#[derive(Args, Debug)]
pub struct MemberListArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
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
    /// Title or rank, e.g. "Detective" (shown beside the name in custody records).
    #[arg(long)]
    pub title: Option<String>,
    /// Organisation, e.g. "Palo Alto Police Department".
    #[arg(long, visible_alias = "organisation")]
    pub organization: Option<String>,
    /// How to reach them (telephone, e-mail); recorded in the ledger.
    #[arg(long)]
    pub contact: Option<String>,
    #[command(flatten)]
    pub sign: Signing,
}

/// What a listener gives its clients (`serve` and `witness serve` alike).
#[derive(Args, Debug, Clone, Copy)]
pub struct LimitArgs {
    /// Connections served at once; more are closed.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_connections: usize,
    /// Seconds a client has to send its request headers (also how long
    /// an idle keep-alive connection is kept); slower ones are dropped.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client has to send a request body (for an evidence
    /// upload: the longest pause); slower ones are answered 408.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub body_timeout: u64,
}
