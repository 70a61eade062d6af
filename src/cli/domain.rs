//! CLI handlers for the investigation: events, notifications, actions,
//! evidence, custody, corrections and the timeline. Arguments are checked
//! (EDTF dates, grades, files, ids) before the ledger is opened; member
//! names and entry references are resolved once it is.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use serde_json::json;

use caselog::export::timeline::{self, Filter};
use caselog::format::disclosure::Disclosure;
use caselog::format::edtf::Edtf;
use caselog::format::entry::{
    Body, Entry, LedgerId, MemberKey, Record, Seq, Timestamp, MAX_NOTE_LEN, MAX_SHORT_TEXT,
};
use caselog::format::kinds::{
    self, Action, Correction, CustodyReceive, CustodyRelease, Domain, Event, EvidenceClose,
    EvidenceIntake, EvidenceVerify, FileFixity, Notification, Receipt, Source,
};
use caselog::storage::evidence::{self, Digests};
use caselog::storage::keys::{self, Signer};
use caselog::{Hash, Ledger, LedgerError};

use super::args::{ActionCommand, CustodyCommand, EventCommand, EvidenceCommand, NotifyCommand};
use super::error::CliError;
use super::{check_text, load_signer, need_ledger_dir, out, read_input, Cli, Command};

/// Exit status when a re-hash does not match.
const EXIT_MISMATCH: u8 = 1;
/// Files larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_MIN: u64 = 8 << 20;

/// An entry named on the command line: seq or leaf hash, resolved later.
#[derive(Debug, Clone)]
pub(super) struct EntryArg(String);

/// A checked domain command.
pub(super) enum DomainCmd {
    Append {
        dir: PathBuf,
        signer: Signer,
        body: Domain,
        refs: Vec<EntryArg>,
        private: Vec<Disclosure>,
    },
    EvidenceAdd {
        dir: PathBuf,
        signer: Signer,
        intake: EvidenceIntake,
        files: Vec<PathBuf>,
        copy: bool,
        private: Vec<Disclosure>,
    },
    EvidenceVerify {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        item: String,
        path: PathBuf,
        file: String,
    },
    EvidenceList {
        dir: PathBuf,
        json: bool,
    },
    EvidenceShow {
        dir: PathBuf,
        item: String,
        json: bool,
    },
    Release {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        item: String,
        to: String,
        reason: String,
        location: Option<String>,
    },
    Receive {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        item: String,
        seal_intact: bool,
        condition: Option<String>,
    },
    Receipt {
        signer: Signer,
        ledger: LedgerId,
        item: String,
        release: Hash,
        seal_intact: bool,
        condition: Option<String>,
        out: PathBuf,
    },
    ImportReceipt {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        receipt: ReceiptFile,
    },
    CustodyShow {
        dir: PathBuf,
        item: String,
        json: bool,
    },
    Correct {
        private: Vec<Disclosure>,
        dir: PathBuf,
        signer: Signer,
        target: EntryArg,
        set: std::collections::BTreeMap<String, String>,
        reason: String,
    },
    Timeline {
        dir: PathBuf,
        filter: Filter,
        json: bool,
        reveal: caselog::format::disclosure::Reveal,
    },
}

fn edtf(s: &str, flag: &str) -> Result<Edtf, CliError> {
    Edtf::parse(s).map_err(|e| {
        CliError::input(
            format!("--{flag}: {e}"),
            "give an EDTF date such as 2008-10~ or 2008-11-06",
        )
    })
}

fn opt_text(v: &Option<String>, what: &str, max: usize) -> Result<Option<String>, CliError> {
    v.as_deref().map(|s| check_text(what, s, max)).transpose()
}

fn item_id(s: &str) -> Result<String, CliError> {
    if kinds::valid_item_id(s) {
        Ok(s.to_owned())
    } else {
        Err(CliError::input(
            format!("{s:?} is not an item id"),
            "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. EV-0001",
        ))
    }
}

fn hex32(s: &str, what: &str) -> Result<Hash, CliError> {
    Hash::from_hex(s).ok_or_else(|| {
        CliError::input(
            format!("{what} {s:?} is not 64 hex digits"),
            "copy it from `caselog custody release` output",
        )
    })
}

/// Today as an EDTF day (UTC).
fn today() -> Edtf {
    Edtf::parse(&chrono::Utc::now().format("%Y-%m-%d").to_string())
        .expect("today is a valid EDTF day")
}

/// Validate a domain command before any database is opened.
pub(super) fn validate(cli: &Cli) -> Result<DomainCmd, CliError> {
    // Private fields apply to the appending commands that take them (each
    // reads them first); the caller has refused them for every other command.
    Ok(match &cli.command {
        Command::Event(EventCommand::Add(_)) => check_event_add(cli)?,
        Command::Notify(NotifyCommand::Add { .. }) => check_notify_add(cli)?,
        Command::Action(ActionCommand::Add { .. }) => check_action_add(cli)?,
        Command::Evidence(EvidenceCommand::Add { .. }) => check_evidence_add(cli)?,
        Command::Evidence(EvidenceCommand::Verify { .. }) => check_evidence_verify(cli)?,
        Command::Evidence(EvidenceCommand::List { json }) => DomainCmd::EvidenceList {
            dir: need_ledger_dir(&cli.ledger)?,
            json: *json,
        },
        Command::Evidence(EvidenceCommand::Show { item, json }) => DomainCmd::EvidenceShow {
            dir: need_ledger_dir(&cli.ledger)?,
            item: item_id(item)?,
            json: *json,
        },
        Command::Evidence(EvidenceCommand::Dispose { .. }) => check_evidence_dispose(cli)?,
        Command::Evidence(EvidenceCommand::Return { .. }) => check_evidence_return(cli)?,
        Command::Custody(CustodyCommand::Release { .. }) => check_custody_release(cli)?,
        Command::Custody(CustodyCommand::Receive { .. }) => check_custody_receive(cli)?,
        Command::Custody(CustodyCommand::Receipt { .. }) => check_custody_receipt(cli)?,
        Command::Custody(CustodyCommand::ImportReceipt { .. }) => {
            check_custody_import_receipt(cli)?
        }
        Command::Custody(CustodyCommand::Show { item, json }) => DomainCmd::CustodyShow {
            dir: need_ledger_dir(&cli.ledger)?,
            item: item_id(item)?,
            json: *json,
        },
        Command::Correct { .. } => check_correct(cli)?,
        Command::Timeline { .. } => check_timeline(cli)?,
        _ => unreachable!("cli: not a domain command"),
    })
}

fn check_event_add(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Event(EventCommand::Add(a)) = &cli.command else {
        unreachable!("cli: check_event_add called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        if a.sources.len() != a.grades.len() {
            return Err(CliError::input(
                format!(
                    "{} --source but {} --grade",
                    a.sources.len(),
                    a.grades.len()
                ),
                "give one --grade (e.g. B2) after each --source",
            ));
        }
        if a.source_refs.len() > a.sources.len() {
            return Err(CliError::input(
                "more --source-ref than --source",
                "give each --source-ref after its --source",
            ));
        }
        let mut sources = Vec::new();
        for (i, (name, grade)) in a.sources.iter().zip(&a.grades).enumerate() {
            if !kinds::valid_grade(grade) {
                return Err(CliError::input(
                    format!("grade {grade:?} is not an Admiralty grade"),
                    "use reliability A-F then credibility 1-6, e.g. B2 (usually reliable, probably true)",
                ));
            }
            sources.push(Source {
                name: check_text("source", name, MAX_SHORT_TEXT)?,
                grade: grade.clone(),
                reference: a.source_refs.get(i).cloned(),
                digest: None,
            });
        }
        for t in &a.tags {
            check_text("tag", t, 255)?;
        }
        DomainCmd::Append {
            private: private.clone(),
            body: Domain::Event(Event {
                title: check_text("title", &a.title, MAX_SHORT_TEXT)?,
                description: opt_text(&a.description, "description", MAX_NOTE_LEN)?,
                occurred: edtf(&a.occurred, "occurred")?,
                location: opt_text(&a.location, "location", MAX_SHORT_TEXT)?,
                sources,
                tags: a.tags.clone(),
                refs: Vec::new(),
            }),
            refs: a.refs.iter().cloned().map(EntryArg).collect(),
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_notify_add(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Notify(NotifyCommand::Add {
        by,
        to,
        count,
        channel,
        sent,
        subject,
        template,
    }) = &cli.command
    else {
        unreachable!("cli: check_notify_add called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let digest = match template {
            None => None,
            Some(p) => Some(hash_with_progress(p)?.blake3),
        };
        DomainCmd::Append {
            private: private.clone(),
            body: Domain::Notification(Notification {
                by: check_text("--by", by, MAX_SHORT_TEXT)?,
                to: check_text("--to", to, MAX_SHORT_TEXT)?,
                count: *count,
                channel: channel.clone(),
                sent: edtf(sent, "sent")?,
                subject: opt_text(subject, "subject", MAX_SHORT_TEXT)?,
                digest,
            }),
            refs: Vec::new(),
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_action_add(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Action(ActionCommand::Add {
        title,
        occurred,
        by,
        authority,
        outcome,
    }) = &cli.command
    else {
        unreachable!("cli: check_action_add called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let occurred = edtf(occurred, "occurred")?;
        let signer = load_signer(cli)?;
        DomainCmd::Append {
            private: private.clone(),
            body: Domain::Action(Action {
                title: check_text("title", title, MAX_SHORT_TEXT)?,
                by: match by {
                    Some(b) => check_text("--by", b, MAX_SHORT_TEXT)?,
                    None => signer.name().to_owned(),
                },
                occurred,
                authority: opt_text(authority, "authority", MAX_SHORT_TEXT)?,
                outcome: opt_text(outcome, "outcome", MAX_NOTE_LEN)?,
            }),
            refs: Vec::new(),
            signer,
            dir,
        }
    })
}

fn check_evidence_add(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Evidence(EvidenceCommand::Add {
        item,
        description,
        files,
        collected_by,
        collected,
        location,
        seal,
        copy,
    }) = &cli.command
    else {
        unreachable!("cli: check_evidence_add called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        let item = item_id(item)?;
        let mut names = std::collections::BTreeSet::new();
        for f in files {
            let meta = std::fs::metadata(f).map_err(|e| {
                CliError::input(
                    format!("cannot read {}: {e}", f.display()),
                    "check the --file path",
                )
            })?;
            if !meta.is_file() {
                return Err(CliError::input(
                    format!("{} is not a regular file", f.display()),
                    "give files, not directories",
                ));
            }
            if !names.insert(file_name(f)) {
                return Err(CliError::input(
                    format!("two files named {:?}", file_name(f)),
                    "file names must be unique within an item; rename one",
                ));
            }
        }
        let collected = match collected {
            Some(c) => edtf(c, "collected")?,
            None => today(),
        };
        let signer = load_signer(cli)?;
        DomainCmd::EvidenceAdd {
            private: private.clone(),
            intake: EvidenceIntake {
                item,
                description: check_text("description", description, MAX_SHORT_TEXT)?,
                collected_by: match collected_by {
                    Some(c) => check_text("--collected-by", c, MAX_SHORT_TEXT)?,
                    None => signer.name().to_owned(),
                },
                collected,
                location: opt_text(location, "location", MAX_SHORT_TEXT)?,
                seal: opt_text(seal, "seal", MAX_SHORT_TEXT)?,
                files: Vec::new(),
            },
            files: files.clone(),
            copy: *copy,
            signer,
            dir,
        }
    })
}

fn check_evidence_verify(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Evidence(EvidenceCommand::Verify { item, path, file }) = &cli.command else {
        unreachable!("cli: check_evidence_verify called for another command")
    };
    Ok({
        let dir = need_ledger_dir(&cli.ledger)?;
        if !path.is_file() {
            return Err(CliError::input(
                format!("{} is not a readable file", path.display()),
                "check the path",
            ));
        }
        DomainCmd::EvidenceVerify {
            private: private.clone(),
            item: item_id(item)?,
            file: file.clone().unwrap_or_else(|| file_name(path)),
            path: path.clone(),
            signer: load_signer(cli)?,
            dir,
        }
    })
}

fn check_evidence_dispose(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Evidence(EvidenceCommand::Dispose {
        item,
        method,
        reason,
    }) = &cli.command
    else {
        unreachable!("cli: check_evidence_dispose called for another command")
    };
    Ok(DomainCmd::Append {
        private: private.clone(),
        body: Domain::EvidenceDispose(EvidenceClose {
            item: item_id(item)?,
            detail: check_text("--method", method, MAX_SHORT_TEXT)?,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        }),
        refs: Vec::new(),
        dir: need_ledger_dir(&cli.ledger)?,
        signer: load_signer(cli)?,
    })
}

fn check_evidence_return(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Evidence(EvidenceCommand::Return { item, to, reason }) = &cli.command else {
        unreachable!("cli: check_evidence_return called for another command")
    };
    Ok(DomainCmd::Append {
        private: private.clone(),
        body: Domain::EvidenceReturn(EvidenceClose {
            item: item_id(item)?,
            detail: check_text("--to", to, MAX_SHORT_TEXT)?,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        }),
        refs: Vec::new(),
        dir: need_ledger_dir(&cli.ledger)?,
        signer: load_signer(cli)?,
    })
}

fn check_custody_release(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Custody(CustodyCommand::Release {
        item,
        to,
        reason,
        location,
    }) = &cli.command
    else {
        unreachable!("cli: check_custody_release called for another command")
    };
    Ok(DomainCmd::Release {
        private: private.clone(),
        item: item_id(item)?,
        to: check_text("--to", to, MAX_SHORT_TEXT)?,
        reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        location: opt_text(location, "location", MAX_SHORT_TEXT)?,
        dir: need_ledger_dir(&cli.ledger)?,
        signer: load_signer(cli)?,
    })
}

fn check_custody_receive(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Custody(CustodyCommand::Receive {
        item,
        seal_broken,
        condition,
    }) = &cli.command
    else {
        unreachable!("cli: check_custody_receive called for another command")
    };
    Ok(DomainCmd::Receive {
        private: private.clone(),
        item: item_id(item)?,
        seal_intact: !seal_broken,
        condition: opt_text(condition, "condition", MAX_SHORT_TEXT)?,
        dir: need_ledger_dir(&cli.ledger)?,
        signer: load_signer(cli)?,
    })
}

fn check_custody_receipt(cli: &Cli) -> Result<DomainCmd, CliError> {
    let Command::Custody(CustodyCommand::Receipt {
        ledger_id,
        item,
        release,
        seal_broken,
        condition,
        out,
    }) = &cli.command
    else {
        unreachable!("cli: check_custody_receipt called for another command")
    };
    Ok({
        let id = hex::decode(ledger_id)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| {
                CliError::input(
                    format!("--ledger-id {ledger_id:?} is not 32 hex digits"),
                    "copy it from `caselog custody release` output",
                )
            })?;
        if out.exists() {
            return Err(CliError::input(
                format!("{} already exists", out.display()),
                "choose another --out",
            ));
        }
        DomainCmd::Receipt {
            ledger: LedgerId(id),
            item: item_id(item)?,
            release: hex32(release, "--release")?,
            seal_intact: !seal_broken,
            condition: opt_text(condition, "condition", MAX_SHORT_TEXT)?,
            out: out.clone(),
            signer: load_signer(cli)?,
        }
    })
}

fn check_custody_import_receipt(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Custody(CustodyCommand::ImportReceipt { file }) = &cli.command else {
        unreachable!("cli: check_custody_import_receipt called for another command")
    };
    Ok(DomainCmd::ImportReceipt {
        private: private.clone(),
        receipt: ReceiptFile::parse(&read_input(file, "receipt")?).map_err(|m| {
            CliError::input(
                format!("{}: {m}", file.display()),
                "give a file made by `caselog custody receipt`",
            )
        })?,
        dir: need_ledger_dir(&cli.ledger)?,
        signer: load_signer(cli)?,
    })
}

fn check_correct(cli: &Cli) -> Result<DomainCmd, CliError> {
    let private = super::private_fields(cli)?;
    let Command::Correct { entry, set, reason } = &cli.command else {
        unreachable!("cli: check_correct called for another command")
    };
    Ok({
        let mut map = std::collections::BTreeMap::new();
        for kv in set {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                CliError::input(
                    format!("--set {kv:?} is not FIELD=VALUE"),
                    "e.g. --set occurred=2008-11-06",
                )
            })?;
            if k.is_empty() || k.len() > 64 {
                return Err(CliError::input(
                    format!("--set {kv:?}: empty or long field name"),
                    "name a field of the entry's body",
                ));
            }
            map.insert(k.to_owned(), v.to_owned());
        }
        DomainCmd::Correct {
            private: private.clone(),
            target: EntryArg(entry.clone()),
            set: map,
            reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
            dir: need_ledger_dir(&cli.ledger)?,
            signer: load_signer(cli)?,
        }
    })
}

fn check_timeline(cli: &Cli) -> Result<DomainCmd, CliError> {
    let Command::Timeline {
        from,
        to,
        kinds,
        json,
        reveal,
    } = &cli.command
    else {
        unreachable!("cli: check_timeline called for another command")
    };
    Ok({
        for k in kinds {
            if !caselog::format::entry::KINDS.contains(&k.as_str()) {
                return Err(CliError::input(
                    format!("unknown kind {k:?}"),
                    "kinds: event, notification, action, evidence.intake",
                ));
            }
        }
        DomainCmd::Timeline {
            filter: Filter {
                from: from
                    .as_deref()
                    .map(|f| edtf(f, "from"))
                    .transpose()?
                    .and_then(|e| e.earliest()),
                to: to
                    .as_deref()
                    .map(|t| edtf(t, "to"))
                    .transpose()?
                    .and_then(|e| e.latest()),
                kinds: kinds.clone(),
            },
            dir: need_ledger_dir(&cli.ledger)?,
            json: *json,
            reveal: if *reveal {
                caselog::format::disclosure::Reveal::Paths(vec!["*".into()])
            } else {
                caselog::format::disclosure::Reveal::None
            },
        }
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| p.display().to_string())
}

fn progress_bar(len: u64, name: &str) -> Option<indicatif::ProgressBar> {
    if len < PROGRESS_MIN || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("template")
        .progress_chars("=> "),
    );
    pb.set_message(format!("hashing {name}"));
    Some(pb)
}

fn hash_with_progress(p: &Path) -> Result<Digests, CliError> {
    let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let pb = progress_bar(len, &file_name(p));
    let d = evidence::hash_file(p, &mut |n| {
        if let Some(pb) = &pb {
            pb.set_position(n);
        }
    })
    .map_err(|e| {
        CliError::input(
            format!("cannot read {}: {e}", p.display()),
            "check the path and permissions",
        )
    })?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(d)
}

fn resolve_entry(l: &Ledger, e: &EntryArg) -> Result<(Seq, Hash), CliError> {
    let seq = if let Ok(n) = e.0.parse::<u64>() {
        Seq(n)
    } else if let Some(h) = Hash::from_hex(&e.0) {
        l.seq_of_leaf(&h)?.ok_or_else(|| {
            CliError::input(
                format!("no entry has leaf hash {h}"),
                "see `caselog log --json`",
            )
        })?
    } else {
        return Err(CliError::input(
            format!("{:?} is neither a seq nor a leaf hash", e.0),
            "see `caselog log`",
        ));
    };
    let raw = l
        .record_bytes(seq)?
        .ok_or_else(|| CliError::input(format!("no entry {seq}"), "see `caselog log`"))?;
    Ok((seq, l.hash_alg().leaf(&raw)))
}

fn resolve_member(l: &Ledger, who: &str) -> Result<MemberKey, CliError> {
    if let Ok(k) = keys::parse_public(who) {
        return Ok(k.key);
    }
    let found: Vec<_> = l.members().iter().filter(|m| m.name == who).collect();
    match found.as_slice() {
        [m] => Ok(m.key),
        [] => Err(CliError::input(
            format!("no member named {who:?}"),
            "see `caselog member list`",
        )),
        _ => Err(CliError::input(
            format!("several members are named {who:?}"),
            "give the member's key instead",
        )),
    }
}

fn append(
    l: &mut Ledger,
    body: Domain,
    signer: &Signer,
    private: Vec<Disclosure>,
) -> Result<(Seq, Hash), CliError> {
    let r = l
        .append_private(Body::Domain(body), signer, private)
        .map_err(domain_err)?;
    super::checkpoint_notice(l);
    Ok(r)
}

fn domain_err(e: LedgerError) -> CliError {
    match e {
        LedgerError::Custody(c) => CliError::input(
            format!("refused, nothing written: {c}"),
            "see `caselog custody show ITEM`",
        ),
        LedgerError::BadReference(m) => CliError::input(
            format!("refused, nothing written: {m}"),
            "refer to an earlier entry",
        ),
        other => other.into(),
    }
}

fn decode(raw: &[u8]) -> Option<(Record, Entry)> {
    let r = Record::decode(raw).ok()?;
    let e = Entry::decode(&r.entry_bytes).ok()?;
    Some((r, e))
}

/// Run a domain command.
pub(super) fn run(cmd: DomainCmd) -> Result<u8, CliError> {
    match cmd {
        cmd @ DomainCmd::Append { .. } => run_append(cmd),
        cmd @ DomainCmd::EvidenceAdd { .. } => run_evidence_add(cmd),
        cmd @ DomainCmd::EvidenceVerify { .. } => run_evidence_verify(cmd),
        cmd @ DomainCmd::EvidenceList { .. } => run_evidence_list(cmd),
        cmd @ DomainCmd::EvidenceShow { .. } => run_evidence_show(cmd),
        cmd @ DomainCmd::Release { .. } => run_release(cmd),
        cmd @ DomainCmd::Receive { .. } => run_receive(cmd),
        cmd @ DomainCmd::Receipt { .. } => run_receipt(cmd),
        cmd @ DomainCmd::ImportReceipt { .. } => run_import_receipt(cmd),
        DomainCmd::CustodyShow { dir, item, json } => custody_show(&dir, &item, json),
        cmd @ DomainCmd::Correct { .. } => run_correct(cmd),
        cmd @ DomainCmd::Timeline { .. } => run_timeline(cmd),
    }
}

fn run_append(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Append {
        private,
        dir,
        signer,
        mut body,
        refs,
    } = cmd
    else {
        unreachable!("cli: run_append called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    if let Domain::Event(e) = &mut body {
        for r in &refs {
            e.refs.push(resolve_entry(&l, r)?.1);
        }
    }
    let what = body.kind();
    let (seq, leaf) = append(&mut l, body, &signer, private)?;
    out(&format!("seq {seq}: {what} recorded (leaf {leaf})\n"))?;
    Ok(0)
}

fn run_evidence_add(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::EvidenceAdd {
        dir,
        signer,
        mut intake,
        files,
        copy,
        private,
    } = cmd
    else {
        unreachable!("cli: run_evidence_add called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    // Refuse (not a member, duplicate item...) before hashing.
    l.precheck(
        &Body::Domain(Domain::EvidenceIntake(intake.clone())),
        &signer,
    )
    .map_err(domain_err)?;
    for f in &files {
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let pb = progress_bar(len, &file_name(f));
        let mut tick = |n| {
            if let Some(pb) = &pb {
                pb.set_position(n);
            }
        };
        let d = if copy {
            evidence::store_blob(&dir, f, &mut tick)
        } else {
            evidence::hash_file(f, &mut tick)
        }
        .map_err(|e| {
            CliError::input(
                format!("cannot read {}: {e}", f.display()),
                "check the path and permissions",
            )
        })?;
        if let Some(pb) = pb {
            pb.finish_and_clear();
        }
        let name = file_name(f);
        intake.files.push(FileFixity {
            media_type: evidence::guess_media_type(&name).map(str::to_owned),
            name,
            size: d.size,
            blake3: d.blake3,
            sha256: d.sha256,
        });
    }
    let item = intake.item.clone();
    let shown: Vec<String> = intake
        .files
        .iter()
        .map(|f| {
            format!(
                "  {}  {} bytes\n    blake3 {}\n    sha256 {}\n",
                f.name, f.size, f.blake3, f.sha256
            )
        })
        .collect();
    let (seq, leaf) = append(&mut l, Domain::EvidenceIntake(intake), &signer, private)?;
    out(&format!(
        "seq {seq}: {item} taken into evidence (leaf {leaf}){}\n{}",
        if copy {
            "; copies stored in the ledger's blob store"
        } else {
            ""
        },
        shown.concat()
    ))?;
    Ok(0)
}

fn run_evidence_verify(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::EvidenceVerify {
        private,
        dir,
        signer,
        item,
        path,
        file,
    } = cmd
    else {
        unreachable!("cli: run_evidence_verify called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let st = l
        .custody()
        .get(&item)
        .ok_or_else(|| CliError::input(format!("no item {item}"), "see `caselog evidence list`"))?;
    let (b3, sha) = *st.files.get(&file).ok_or_else(|| {
        CliError::input(
            format!("{item} has no file named {file:?}"),
            format!(
                "pass --file with one of: {}",
                st.files.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let d = hash_with_progress(&path)?;
    let matches = d.blake3 == b3 && d.sha256 == sha;
    let body = Domain::EvidenceVerify(EvidenceVerify {
        item: item.clone(),
        file: FileFixity {
            name: file.clone(),
            size: d.size,
            blake3: d.blake3,
            sha256: d.sha256,
            media_type: None,
        },
        matches,
    });
    let (seq, _) = append(&mut l, body, &signer, private)?;
    if matches {
        out(&format!(
            "seq {seq}: {item} {file}: MATCH (BLAKE3 and SHA-256 equal the intake digests)\n"
        ))?;
    } else {
        out(&format!(
            "seq {seq}: {item} {file}: MISMATCH recorded\n  intake  blake3 {b3}\n          sha256 {sha}\n  now     blake3 {}\n          sha256 {}\n",
            d.blake3, d.sha256
        ))?;
        return Ok(EXIT_MISMATCH);
    }
    Ok(0)
}

fn run_evidence_list(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::EvidenceList { dir, json } = cmd else {
        unreachable!("cli: run_evidence_list called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let mut s = String::new();
    for st in l.custody().iter() {
        let status = match (&st.closed, &st.pending) {
            (Some((how, at)), _) => format!("{how} at seq {at}"),
            (None, Some((_, to))) => {
                format!("released to {}, awaiting receipt", l.members().display(to))
            }
            _ => "held".to_owned(),
        };
        if json {
            s.push_str(
                &(json!({
                    "item": st.item,
                    "intake": st.intake.0,
                    "holder": l.members().display(&st.holder),
                    "holder_key": st.holder.to_hex(),
                    "status": status,
                    "files": st.files.len(),
                })
                .to_string()
                    + "\n"),
            );
        } else {
            s.push_str(&format!(
                "{:<12} holder {:<28} {:<40} files {}\n",
                st.item,
                l.members().display(&st.holder),
                status,
                st.files.len()
            ));
        }
    }
    if s.is_empty() && !json {
        s = "no evidence items\n".into();
    }
    out(&s)?;
    Ok(0)
}

fn run_evidence_show(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::EvidenceShow { dir, item, json } = cmd else {
        unreachable!("cli: run_evidence_show called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let records = l.item_records(&item)?;
    let intake = records
        .iter()
        .find_map(|(_, raw)| match decode(raw)?.1.body {
            Body::Domain(Domain::EvidenceIntake(i)) => Some(i),
            _ => None,
        });
    let Some(intake) = intake else {
        return Err(CliError::input(
            format!("no item {item}"),
            "see `caselog evidence list`",
        ));
    };
    let st = l.custody().get(&item);
    if json {
        let v = json!({
            "item": intake.item,
            "description": intake.description,
            "collected_by": intake.collected_by,
            "collected": intake.collected.as_str(),
            "location": intake.location,
            "seal": intake.seal,
            "holder": st.map(|s| l.members().display(&s.holder)),
            "files": intake.files.iter().map(|f| json!({
                "name": f.name, "size": f.size, "blake3": f.blake3.to_hex(),
                "sha256": f.sha256.to_hex(), "media_type": f.media_type,
                "stored_copy": evidence::blob_path(&dir, &f.blake3).is_file(),
            })).collect::<Vec<_>>(),
            "entries": records.iter().map(|(s, _)| s.0).collect::<Vec<_>>(),
        });
        out(&(serde_json::to_string_pretty(&v).expect("json") + "\n"))?;
    } else {
        let mut s =
            format!(
            "item         {}\ndescription  {}\ncollected    {} by {}{}{}\nholder       {}\nfiles\n",
            intake.item,
            intake.description,
            intake.collected,
            intake.collected_by,
            intake.location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default(),
            intake.seal.as_ref().map(|x| format!(", seal {x}")).unwrap_or_default(),
            st.map(|s| l.members().display(&s.holder)).unwrap_or_default(),
        );
        for f in &intake.files {
            s.push_str(&format!(
                "  {} ({} bytes{}){}\n    blake3  {}\n    sha256  {}\n",
                f.name,
                f.size,
                f.media_type
                    .as_ref()
                    .map(|m| format!(", {m}"))
                    .unwrap_or_default(),
                if evidence::blob_path(&dir, &f.blake3).is_file() {
                    " [copy stored]"
                } else {
                    ""
                },
                f.blake3,
                f.sha256
            ));
        }
        s.push_str("history (see `caselog custody show` for holders)\n");
        for (seq, raw) in &records {
            if let Some((_, e)) = decode(raw) {
                s.push_str(&format!(
                    "  {:>5}  {}  {}\n",
                    seq.0,
                    e.time,
                    e.body.summary()
                ));
            }
        }
        out(&s)?;
    }
    Ok(0)
}

fn run_release(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Release {
        private,
        dir,
        signer,
        item,
        to,
        reason,
        location,
    } = cmd
    else {
        unreachable!("cli: run_release called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let to_key = resolve_member(&l, &to)?;
    let name = l.members().display(&to_key);
    let (seq, leaf) = append(
        &mut l,
        Domain::CustodyRelease(CustodyRelease {
            item: item.clone(),
            to: to_key,
            reason,
            location,
        }),
        &signer,
        private,
    )?;
    out(&format!(
        "seq {seq}: {item} released to {name}; it is in transit until they receive it\n  receiver with ledger access:  caselog custody receive {item}\n  external receiver (offline):  caselog custody receipt --key THEIR_KEY --ledger-id {} --item {item} --release {leaf} --out {item}.receipt\n",
        l.id()
    ))?;
    Ok(0)
}

fn run_receive(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Receive {
        private,
        dir,
        signer,
        item,
        seal_intact,
        condition,
    } = cmd
    else {
        unreachable!("cli: run_receive called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let release = l
        .custody()
        .get(&item)
        .and_then(|s| s.pending.map(|(r, _)| r))
        .ok_or_else(|| {
            CliError::input(
                format!("{item} has no release awaiting receipt"),
                "the holder must run `caselog custody release` first",
            )
        })?;
    let (seq, _) = append(
        &mut l,
        Domain::CustodyReceive(CustodyReceive {
            item: item.clone(),
            release,
            seal_intact,
            condition,
            receipt: None,
        }),
        &signer,
        private,
    )?;
    out(&format!(
        "seq {seq}: {item} received by {}{}\n",
        signer.name(),
        if seal_intact {
            ""
        } else {
            " — SEAL BROKEN recorded"
        }
    ))?;
    Ok(0)
}

fn run_receipt(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Receipt {
        signer,
        ledger,
        item,
        release,
        seal_intact,
        condition,
        out: path,
    } = cmd
    else {
        unreachable!("cli: run_receipt called for another command")
    };
    let time = Timestamp::now();
    let body = CustodyReceive {
        item: item.clone(),
        release,
        seal_intact,
        condition: condition.clone(),
        receipt: None,
    };
    let msg = kinds::receipt_message(&ledger, &body, &signer.public(), &time);
    let r = ReceiptFile {
        ledger,
        body,
        receipt: Receipt {
            key: signer.public(),
            time,
            sig: signer.sign(&msg),
        },
    };
    std::fs::write(&path, r.to_json())
        .map_err(|e| CliError::storage(format!("cannot write {}: {e}", path.display()), None))?;
    out(&format!(
        "receipt for {item} signed by {} written to {}; give it to the holder for `caselog custody import-receipt`\n",
        signer.name(),
        path.display()
    ))?;
    Ok(0)
}

fn run_import_receipt(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::ImportReceipt {
        private,
        dir,
        signer,
        receipt,
    } = cmd
    else {
        unreachable!("cli: run_import_receipt called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    if receipt.ledger != l.id() {
        return Err(CliError::input(
            format!(
                "the receipt is for ledger {}, this is {}",
                receipt.ledger,
                l.id()
            ),
            "check --ledger",
        ));
    }
    let mut body = receipt.body.clone();
    body.receipt = Some(receipt.receipt.clone());
    let item = body.item.clone();
    let who = l.members().display(&receipt.receipt.key);
    let (seq, _) = append(&mut l, Domain::CustodyReceive(body), &signer, private)?;
    out(&format!(
        "seq {seq}: {item} received by {who} (external receipt imported)\n"
    ))?;
    Ok(0)
}

fn run_correct(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Correct {
        private,
        dir,
        signer,
        target,
        set,
        reason,
    } = cmd
    else {
        unreachable!("cli: run_correct called for another command")
    };
    let mut l = Ledger::open(&dir, true)?;
    let (tseq, leaf) = resolve_entry(&l, &target)?;
    let (seq, _) = append(
        &mut l,
        Domain::Correction(Correction {
            target: leaf,
            set,
            reason,
        }),
        &signer,
        private,
    )?;
    out(&format!(
        "seq {seq}: correction of entry {tseq} recorded; the original stays\n"
    ))?;
    Ok(0)
}

fn run_timeline(cmd: DomainCmd) -> Result<u8, CliError> {
    let DomainCmd::Timeline {
        dir,
        filter,
        json,
        reveal,
    } = cmd
    else {
        unreachable!("cli: run_timeline called for another command")
    };
    let l = Ledger::open(&dir, false)?;
    let mut b = timeline::Builder::new();
    for item in l.records_from(Seq(0)) {
        let (_, raw) = item?;
        if let Some((_, e)) = decode(&raw) {
            b.push(&e, l.hash_alg().leaf(&raw));
        }
    }
    let rows = b.finish(&filter);
    let mut s = String::new();
    for r in &rows {
        let private = caselog::export::revealed(&l, r, &reveal)?;
        if json {
            s.push_str(&(caselog::export::row_json(&l, r, &private).to_string() + "\n"));
        } else {
            let mark = if r.occurred.is_imprecise() {
                "≈"
            } else {
                " "
            };
            s.push_str(&format!(
                "{mark}{:<24} recorded {}  #{:<4} {:<15} {}\n",
                r.occurred.as_str(),
                &r.recorded.to_string()[..16],
                r.seq.0,
                r.kind,
                r.summary
            ));
            if !r.sd.is_empty() {
                if private.is_empty() {
                    s.push_str(&format!(
                        "{:>27} {} private field(s), shown with --reveal\n",
                        "",
                        r.sd.len()
                    ));
                } else {
                    for (k, v) in &private {
                        s.push_str(&format!(
                            "{:>27} private {k}: {}\n",
                            "",
                            v.replace('\n', " ")
                        ));
                    }
                }
            }
            for c in &r.corrections {
                let fields: Vec<String> = c
                    .fields
                    .iter()
                    .map(|(k, (old, new))| {
                        format!("{k}: {} -> {new}", old.as_deref().unwrap_or("(none)"))
                    })
                    .collect();
                s.push_str(&format!(
                    "{:>27} CORRECTED by #{} ({}){}: {}\n",
                    "",
                    c.seq.0,
                    c.reason,
                    if c.applied {
                        ""
                    } else {
                        " [not applicable: invalid value]"
                    },
                    fields.join("; ")
                ));
            }
        }
    }
    if !json {
        s.push_str(&format!(
            "{} dated entries; ≈ marks approximate, uncertain, interval or coarser-than-a-day dates\n",
            rows.len()
        ));
    }
    out(&s)?;
    Ok(0)
}

fn custody_show(dir: &Path, item: &str, json: bool) -> Result<u8, CliError> {
    let l = Ledger::open(dir, false)?;
    let records = l.item_records(item)?;
    if records.is_empty() {
        return Err(CliError::input(
            format!("no item {item}"),
            "see `caselog evidence list`",
        ));
    }
    // Replay this item's entries; breaks are what `verify` would report.
    let mut c = caselog::rules::custody::Custody::new();
    let mut rows = Vec::new();
    let mut breaks = Vec::new();
    let mut holders: Vec<(MemberKey, Seq, Option<Seq>)> = Vec::new();
    for (seq, raw) in &records {
        let Some((_, e)) = decode(raw) else {
            breaks.push(format!("entry {seq} cannot be decoded"));
            continue;
        };
        let leaf = l.hash_alg().leaf(raw);
        match c.check(&e, &l.id(), l.members()) {
            Err(err) => breaks.push(format!("seq {seq}: {err}")),
            Ok(findings) => {
                for f in findings {
                    breaks.push(format!("seq {seq}: {f:?}"));
                }
                c.apply(&e, &leaf);
            }
        }
        let holder = c.get(item).map(|s| s.holder);
        if let Some(h) = holder {
            if holders.last().map(|x| x.0) != Some(h) {
                if let Some(last) = holders.last_mut() {
                    last.2 = Some(*seq);
                }
                holders.push((h, *seq, None));
            }
        }
        let signer = match &e.body {
            Body::Domain(Domain::CustodyReceive(r)) if r.receipt.is_some() => format!(
                "{} (receipt signed by {})",
                l.members().display(&e.author),
                l.members().display(&r.receipt.as_ref().expect("some").key)
            ),
            _ => l.members().display(&e.author),
        };
        rows.push((
            seq.0,
            e.time.to_string(),
            e.body.kind(),
            signer,
            e.body.summary(),
        ));
    }
    if json {
        let v = json!({
            "item": item,
            "holders": holders.iter().map(|(k, from, to)| json!({"holder": l.members().display(k), "key": k.to_hex(), "from_seq": from.0, "until_seq": to.map(|s| s.0)})).collect::<Vec<_>>(),
            "entries": rows.iter().map(|(s, t, k, who, sum)| json!({"seq": s, "recorded": t, "kind": k, "signed_by": who, "summary": sum})).collect::<Vec<_>>(),
            "breaks": breaks,
        });
        out(&(serde_json::to_string_pretty(&v).expect("json") + "\n"))?;
    } else {
        let mut s = format!("custody of {item}\nholders\n");
        for (k, from, to) in &holders {
            s.push_str(&format!(
                "  {:<32} from seq {:<5} {}\n",
                l.members().display(k),
                from.0,
                to.map(|t| format!("until seq {t}"))
                    .unwrap_or_else(|| "to now".into())
            ));
        }
        s.push_str("entries\n");
        for (seq, t, kind, who, sum) in &rows {
            s.push_str(&format!(
                "  {seq:>5}  {t}  {kind:<16} signed by {who}\n         {sum}\n"
            ));
        }
        if breaks.is_empty() {
            s.push_str("no custody breaks\n");
        } else {
            s.push_str("CUSTODY BREAKS\n");
            for b in &breaks {
                s.push_str(&format!("  {b}\n"));
            }
        }
        out(&s)?;
    }
    Ok(if breaks.is_empty() { 0 } else { 1 })
}

/// An external receiver's signed receipt, as a JSON file.
#[derive(Clone, Debug)]
pub(super) struct ReceiptFile {
    ledger: LedgerId,
    body: CustodyReceive,
    receipt: Receipt,
}

impl ReceiptFile {
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&json!({
            "format": "caselog-receipt/v1",
            "ledger": self.ledger.to_hex(),
            "item": self.body.item,
            "release": self.body.release.to_hex(),
            "seal_intact": self.body.seal_intact,
            "condition": self.body.condition,
            "time": self.receipt.time.to_string(),
            "key": self.receipt.key.to_hex(),
            "sig": hex::encode(self.receipt.sig),
        }))
        .expect("json")
            + "\n"
    }

    fn parse(b: &[u8]) -> Result<ReceiptFile, String> {
        let v: serde_json::Value =
            serde_json::from_slice(b).map_err(|e| format!("not JSON: {e}"))?;
        if v["format"] != "caselog-receipt/v1" {
            return Err("not a caselog receipt (format caselog-receipt/v1)".into());
        }
        let s = |k: &str| v[k].as_str().ok_or_else(|| format!("missing {k}"));
        let h32 = |k: &str| -> Result<[u8; 32], String> {
            hex::decode(s(k)?)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("{k} is not 64 hex digits"))
        };
        let ledger = hex::decode(s("ledger")?)
            .ok()
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .ok_or("ledger is not 32 hex digits")?;
        let item = s("item")?.to_owned();
        if !kinds::valid_item_id(&item) {
            return Err("bad item id".into());
        }
        let sig: [u8; 64] = hex::decode(s("sig")?)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("sig is not 128 hex digits")?;
        let condition = match &v["condition"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(c) if !c.trim().is_empty() && c.len() <= MAX_SHORT_TEXT => {
                Some(c.clone())
            }
            _ => return Err("condition must be text or null".into()),
        };
        Ok(ReceiptFile {
            ledger: LedgerId(ledger),
            body: CustodyReceive {
                item,
                release: Hash(h32("release")?),
                seal_intact: v["seal_intact"]
                    .as_bool()
                    .ok_or("seal_intact must be true or false")?,
                condition,
                receipt: None,
            },
            receipt: Receipt {
                key: MemberKey(h32("key")?),
                time: Timestamp::parse(s("time")?)
                    .ok_or("time is not YYYY-MM-DDTHH:MM:SS.ffffffZ")?,
                sig,
            },
        })
    }
}
