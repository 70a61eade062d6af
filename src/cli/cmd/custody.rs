//! `custody release|receive|receipt|import-receipt|show`: handovers,
//! signed receipts for receivers outside the ledger, and the per-item
//! chain of custody replayed from the entries.

use crate::cli::args::CustodyCommand;
use crate::cli::args::CustodyImportReceiptArgs;
use crate::cli::args::CustodyReceiptArgs;
use crate::cli::args::CustodyReceiveArgs;
use crate::cli::args::CustodyReleaseArgs;
use crate::cli::args::CustodyRetrieveArgs;
use crate::cli::args::CustodyStoreArgs;
use crate::cli::args::{SealArgs, SealFound};
use crate::cli::cmd::domain_append::append;
use crate::cli::cmd::domain_append::AppendCmd;
use crate::cli::cmd::receipt_file::ReceiptFile;
use crate::cli::cmd::Checked;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::hex32;
use crate::cli::input::item_id;
use crate::cli::input::load_signer;
use crate::cli::input::opt_text;
use crate::cli::input::private_fields;
use crate::cli::input::read_input;
use crate::cli::input::resolve_member;
use crate::cli::input::target;
use crate::cli::output::out;
use crate::cli::remote::Target;
use caselog::audit::{CustodyBreak, ItemCustody};
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::LedgerId;
use caselog::format::entry::Timestamp;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::format::kinds;
use caselog::format::kinds::CustodyReceive;
use caselog::format::kinds::CustodyRelease;
use caselog::format::kinds::Domain;
use caselog::format::kinds::Receipt;
use caselog::format::kinds::{CustodyRetrieve, CustodyStore, Seals};
use caselog::storage::keys::Signer;
use caselog::Hash;
use caselog::Ledger;
use serde_json::json;
use std::path::PathBuf;

/// Each `custody` command to its check.
pub(crate) fn check(c: &CustodyCommand, g: &Globals) -> Result<Checked, CliError> {
    match c {
        CustodyCommand::Release(a) => check_custody_release(a, g),
        CustodyCommand::Receive(a) => check_custody_receive(a, g),
        CustodyCommand::Receipt(a) => check_custody_receipt(a, g),
        CustodyCommand::Store(a) => check_custody_store(a, g),
        CustodyCommand::Retrieve(a) => check_custody_retrieve(a, g),
        CustodyCommand::ImportReceipt(a) => check_custody_import_receipt(a, g),
        CustodyCommand::Show(a) => Ok(Box::new(CustodyShowCmd {
            dir: target(g)?,
            item: item_id(&a.item)?,
            json: a.json,
        })),
    }
}

fn check_custody_release(a: &CustodyReleaseArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let CustodyReleaseArgs {
        item,
        to,
        reason,
        location,
        authority,
        transport,
        seals,
        ..
    } = a;
    Ok(Box::new(ReleaseCmd {
        private: private.clone(),
        item: item_id(item)?,
        to: check_text("--to", to, MAX_SHORT_TEXT)?,
        reason: check_text("--reason", reason, MAX_SHORT_TEXT)?,
        location: opt_text(location, "location", MAX_SHORT_TEXT)?,
        authority: opt_text(authority, "authority", MAX_SHORT_TEXT)?,
        transport: opt_text(transport, "transport", MAX_SHORT_TEXT)?,
        seals: check_seals(seals)?,
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `--seal-intact` / `--seal-broken SEAL`: what the receiver states of the
/// seals (SPEC §13.6); a seal found broken is also recorded as broken.
fn seal_found(f: &SealFound, mut seals: Seals) -> Result<(Option<bool>, Seals), CliError> {
    let Some(seal) = &f.seal_broken else {
        return Ok((f.seal_intact.then_some(true), seals));
    };
    let seal = check_text("--seal-broken", seal, MAX_SHORT_TEXT)?;
    if seals.applied.contains(&seal) {
        return Err(CliError::input(
            format!("seal {seal:?} is both found broken and applied"),
            "a seal number is used once: apply a new number",
        ));
    }
    if !seals.broken.contains(&seal) {
        seals.broken.push(seal);
    }
    Ok((Some(false), seals))
}

/// The receiver's statement against the item's seals now: required when
/// it carries seals, refused when it has none (never assumed either way).
fn check_seal_statement(
    item: &str,
    on_item: &std::collections::BTreeSet<String>,
    stated: Option<bool>,
) -> Result<(), CliError> {
    let list = on_item.iter().cloned().collect::<Vec<_>>().join(", ");
    match (stated, on_item.is_empty()) {
        (None, false) => Err(CliError::input(
            format!("{item} carries seal(s) {list}, and the receipt does not say what you found"),
            format!(
                "add --seal-intact, or --seal-broken SEAL naming the broken one (one of {list})"
            ),
        )),
        (Some(_), true) => Err(CliError::input(
            format!("{item} carries no seal, so there is no seal to state as intact or broken"),
            "leave out --seal-intact / --seal-broken (the receipt records \"no seal\")",
        )),
        _ => Ok(()),
    }
}

/// `--break-seal`/`--apply-seal`: each a seal number, none twice, none in
/// both lists (SPEC §13.6).
fn check_seals(a: &SealArgs) -> Result<Seals, CliError> {
    let list = |v: &[String], flag: &str| -> Result<Vec<String>, CliError> {
        let mut out: Vec<String> = Vec::new();
        for s in v {
            let s = check_text(flag, s, MAX_SHORT_TEXT)?;
            if out.contains(&s) {
                return Err(CliError::input(
                    format!("{flag} {s:?} is given twice"),
                    "name each seal once",
                ));
            }
            out.push(s);
        }
        Ok(out)
    };
    let seals = Seals {
        broken: list(&a.broken, "--break-seal")?,
        applied: list(&a.applied, "--apply-seal")?,
    };
    if let Some(s) = seals.broken.iter().find(|s| seals.applied.contains(s)) {
        return Err(CliError::input(
            format!("seal {s:?} is both broken and applied"),
            "a seal number is used once: apply a new seal",
        ));
    }
    Ok(seals)
}

/// `custody store`: evidence-room check-in by the holder (SPEC §13.6).
pub(crate) fn check_custody_store(a: &CustodyStoreArgs, g: &Globals) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let body = Domain::CustodyStore(CustodyStore {
        item: item_id(&a.item)?,
        location: check_text("--location", &a.location, MAX_SHORT_TEXT)?,
        reason: opt_text(&a.reason, "reason", MAX_SHORT_TEXT)?,
        condition: opt_text(&a.condition, "condition", MAX_SHORT_TEXT)?,
        seals: check_seals(&a.seals)?,
    });
    storage_append(body, private, g)
}

/// `custody retrieve`: evidence-room check-out by the holder (SPEC §13.6).
pub(crate) fn check_custody_retrieve(
    a: &CustodyRetrieveArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let body = Domain::CustodyRetrieve(CustodyRetrieve {
        item: item_id(&a.item)?,
        reason: check_text("--reason", &a.reason, MAX_SHORT_TEXT)?,
        condition: opt_text(&a.condition, "condition", MAX_SHORT_TEXT)?,
        seals: check_seals(&a.seals)?,
    });
    storage_append(body, private, g)
}

fn storage_append(
    body: Domain,
    private: Vec<Disclosure>,
    g: &Globals,
) -> Result<Checked, CliError> {
    Ok(Box::new(AppendCmd {
        private,
        body,
        refs: Vec::new(),
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

pub(crate) fn check_custody_receive(
    a: &CustodyReceiveArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let CustodyReceiveArgs {
        item,
        found,
        condition,
        reject,
        seals,
        ..
    } = a;
    let (seal_intact, seals) = seal_found(found, check_seals(seals)?)?;
    Ok(Box::new(ReceiveCmd {
        private: private.clone(),
        item: item_id(item)?,
        seal_intact,
        condition: opt_text(condition, "condition", MAX_SHORT_TEXT)?,
        rejected: opt_text(reject, "reject", MAX_SHORT_TEXT)?,
        seals,
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

pub(crate) fn check_custody_receipt(
    a: &CustodyReceiptArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let CustodyReceiptArgs {
        ledger_id,
        item,
        release,
        found,
        condition,
        out,
        seals,
        ..
    } = a;
    let (seal_intact, seals) = seal_found(found, check_seals(seals)?)?;
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
        Box::new(ReceiptCmd {
            ledger: LedgerId(id),
            item: item_id(item)?,
            release: hex32(release, "--release")?,
            seal_intact,
            condition: opt_text(condition, "condition", MAX_SHORT_TEXT)?,
            seals,
            out: out.clone(),
            signer: load_signer(g)?,
        })
    })
}

pub(crate) fn check_custody_import_receipt(
    a: &CustodyImportReceiptArgs,
    g: &Globals,
) -> Result<Checked, CliError> {
    let private = private_fields(g)?;
    let CustodyImportReceiptArgs { file, .. } = a;
    Ok(Box::new(ImportReceiptCmd {
        private: private.clone(),
        receipt: ReceiptFile::parse(&read_input(file, "receipt")?).map_err(|m| {
            CliError::input(
                format!("{}: {m}", file.display()),
                "give a file made by `caselog custody receipt`",
            )
        })?,
        dir: target(g)?,
        signer: load_signer(g)?,
    }))
}

/// `custody release`, checked.
pub(crate) struct ReleaseCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) item: String,
    pub(crate) to: String,
    pub(crate) reason: String,
    pub(crate) location: Option<String>,
    pub(crate) authority: Option<String>,
    pub(crate) transport: Option<String>,
    pub(crate) seals: Seals,
}

impl Run for ReleaseCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_release(*self)
    }
}

pub(crate) fn run_release(cmd: ReleaseCmd) -> Result<u8, CliError> {
    let ReleaseCmd {
        private,
        dir,
        signer,
        item,
        to,
        reason,
        location,
        authority,
        transport,
        seals,
    } = cmd;
    let mut l = dir.open(true)?;
    let to_key = resolve_member(&l, &to)?;
    let name = l.members().display(&to_key);
    let (seq, leaf) = append(
        &mut l,
        Domain::CustodyRelease(CustodyRelease {
            item: item.clone(),
            to: to_key,
            reason,
            location,
            authority,
            transport,
            seals,
        }),
        &signer,
        private,
    )?;
    out(&format!(
        "seq {seq}: {item} released to {name}; it is in transit until they receive it\n  receiver with ledger access:  caselog custody receive {item}\n  external receiver (offline):  caselog custody receipt --key THEIR_KEY --ledger-id {} --item {item} --release {leaf} --out {item}.receipt\n",
        l.id()
    ))?;
    Ok(exit::OK)
}

/// `custody receive`, checked.
pub(crate) struct ReceiveCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) item: String,
    pub(crate) seal_intact: Option<bool>,
    pub(crate) condition: Option<String>,
    pub(crate) rejected: Option<String>,
    pub(crate) seals: Seals,
}

impl Run for ReceiveCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_receive(*self)
    }
}

pub(crate) fn run_receive(cmd: ReceiveCmd) -> Result<u8, CliError> {
    let ReceiveCmd {
        private,
        dir,
        signer,
        item,
        seal_intact,
        condition,
        rejected,
        seals,
    } = cmd;
    let mut l = dir.open(true)?;
    let st = l.custody().get(&item);
    let release = st.and_then(|s| s.pending.map(|(r, _)| r)).ok_or_else(|| {
        CliError::input(
            format!("{item} has no release awaiting receipt"),
            "the holder must run `caselog custody release` first",
        )
    })?;
    let on_item = st.map(|s| s.seals.clone()).unwrap_or_default();
    check_seal_statement(&item, &on_item, seal_intact)?;
    let me = l.members().display(&signer.public());
    let (seq, _) = append(
        &mut l,
        Domain::CustodyReceive(CustodyReceive {
            rejected: rejected.clone(),
            item: item.clone(),
            release,
            seal_intact,
            condition,
            seals,
            receipt: None,
        }),
        &signer,
        private,
    )?;
    if let Some(why) = &rejected {
        let holder = l
            .custody()
            .get(&item)
            .map(|s| l.members().display(&s.holder))
            .unwrap_or_default();
        out(&format!(
            "seq {seq}: {item} refused by {me} ({why}); it stays with {holder}\n"
        ))?;
        return Ok(exit::OK);
    }
    out(&format!(
        "seq {seq}: {item} received by {me}; {}\n",
        match seal_intact {
            Some(true) => "seal recorded as intact",
            Some(false) => "seal recorded as NOT intact",
            None => "no seal",
        }
    ))?;
    Ok(exit::OK)
}

/// `custody receipt` (an external receiver's signed receipt file), checked.
pub(crate) struct ReceiptCmd {
    pub(crate) signer: Signer,
    pub(crate) ledger: LedgerId,
    pub(crate) item: String,
    pub(crate) release: Hash,
    pub(crate) seal_intact: Option<bool>,
    pub(crate) condition: Option<String>,
    pub(crate) seals: Seals,
    pub(crate) out: PathBuf,
}

impl Run for ReceiptCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_receipt(*self)
    }
}

pub(crate) fn run_receipt(cmd: ReceiptCmd) -> Result<u8, CliError> {
    let ReceiptCmd {
        signer,
        ledger,
        item,
        release,
        seal_intact,
        condition,
        seals,
        out: path,
    } = cmd;
    let time = Timestamp::now();
    let body = CustodyReceive {
        rejected: None,
        item: item.clone(),
        release,
        seal_intact,
        condition: condition.clone(),
        seals,
        receipt: None,
    };
    let msg = kinds::receipt_message(&ledger, &body, &signer.public(), &time);
    let r = ReceiptFile {
        ledger,
        body,
        receipt: Receipt {
            key: signer.public(),
            time,
            sig: signer.sign(&msg)?,
        },
    };
    caselog::storage::newfile::replace(&path, r.to_json().as_bytes(), 0o644)
        .map_err(|e| CliError::storage(format!("cannot write {}: {e}", path.display()), None))?;
    out(&format!(
        "receipt for {item} signed by {} written to {}; give it to the holder for `caselog custody import-receipt`\n",
        signer.name(),
        path.display()
    ))?;
    Ok(exit::OK)
}

/// `custody import-receipt FILE`, checked.
pub(crate) struct ImportReceiptCmd {
    pub(crate) private: Vec<Disclosure>,
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) receipt: ReceiptFile,
}

impl Run for ImportReceiptCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_import_receipt(*self)
    }
}

pub(crate) fn run_import_receipt(cmd: ImportReceiptCmd) -> Result<u8, CliError> {
    let ImportReceiptCmd {
        private,
        dir,
        signer,
        receipt,
    } = cmd;
    let mut l = dir.open(true)?;
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
    Ok(exit::OK)
}

/// `custody show ITEM`, checked.
pub(crate) struct CustodyShowCmd {
    dir: Target,
    item: String,
    json: bool,
}

impl Run for CustodyShowCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        custody_show(&self.dir, &self.item, self.json)
    }
}

fn custody_show(dir: &Target, item: &str, json: bool) -> Result<u8, CliError> {
    let l = dir.open(false)?;
    let Some(v) = caselog::audit::item_custody(&l, item)? else {
        return Err(CliError::input(
            format!("no item {item}"),
            "see `caselog evidence list`",
        ));
    };
    out(&if json {
        custody_json(&l, item, &v)
    } else {
        custody_text(&l, item, &v)
    })?;
    Ok(if v.breaks.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// One line per break, as `verify` words it.
fn break_lines(v: &ItemCustody) -> Vec<String> {
    v.breaks
        .iter()
        .map(|b| match b {
            CustodyBreak::Undecodable { seq } => format!("entry {seq} cannot be decoded"),
            CustodyBreak::Refused { seq, error } => format!("seq {seq}: {error}"),
        })
        .collect()
}

/// (seq, recorded, kind, signed by, summary) of each entry.
fn rows(l: &Ledger, v: &ItemCustody) -> Vec<(u64, String, &'static str, String, String)> {
    let m = l.members();
    v.entries
        .iter()
        .map(|(seq, e)| {
            let signer = match &e.body {
                Body::Domain(Domain::CustodyReceive(CustodyReceive {
                    receipt: Some(r), ..
                })) => format!(
                    "{} (receipt signed by {})",
                    m.display(&e.author),
                    m.display(&r.key)
                ),
                _ => m.display(&e.author),
            };
            let sum = e.body.summary_with(&|k| m.display(k));
            (seq.0, e.time.to_string(), e.body.kind().name(), signer, sum)
        })
        .collect()
}

fn custody_json(l: &Ledger, item: &str, v: &ItemCustody) -> String {
    let (holders, rows, breaks) = (&v.holders, &rows(l, v), &break_lines(v));
    let j = json!({
        "item": item,
        "holders": holders.iter().map(|h| json!({"holder": l.members().display(&h.holder), "key": h.holder.to_hex(), "from_seq": h.from.0, "until_seq": h.until.map(|s| s.0)})).collect::<Vec<_>>(),
        "entries": rows.iter().map(|(s, t, k, who, sum)| json!({"seq": s, "recorded": t, "kind": k, "signed_by": who, "summary": sum})).collect::<Vec<_>>(),
        "breaks": breaks,
        "findings": v.findings.iter().map(|f| json!({"code": f.code.as_str(), "seq": f.seq, "by": f.by, "detail": f.detail, "message": f.sentence()})).collect::<Vec<_>>(),
        "stored_at": v.now.as_ref().and_then(|s| s.stored.as_ref().map(|x| x.0.clone())),
        "seals": v.now.as_ref().map(|s| s.seals.iter().cloned().collect::<Vec<_>>()).unwrap_or_default(),
    });
    serde_json::to_string_pretty(&j).expect("cli: JSON") + "\n"
}

fn custody_text(l: &Ledger, item: &str, v: &ItemCustody) -> String {
    let (holders, rows, breaks) = (&v.holders, &rows(l, v), &break_lines(v));
    let mut s = format!("custody of {item}\nholders\n");
    for h in holders {
        s.push_str(&format!(
            "  {:<32} from seq {:<5} {}\n",
            l.members().display(&h.holder),
            h.from.0,
            h.until
                .map(|t| format!("until seq {t}"))
                .unwrap_or_else(|| "to now".into())
        ));
    }
    if let Some(now) = &v.now {
        if let Some((at, seq)) = &now.stored {
            s.push_str(&format!("in storage at {at} (since seq {})\n", seq.0));
        }
        if !now.seals.is_empty() {
            let list: Vec<&str> = now.seals.iter().map(String::as_str).collect();
            s.push_str(&format!("seals on it: {}\n", list.join(", ")));
        }
    }
    s.push_str("entries\n");
    for (seq, t, kind, who, sum) in rows {
        s.push_str(&format!(
            "  {seq:>5}  {t}  {kind:<16} signed by {who}\n         {sum}\n"
        ));
    }
    if !v.findings.is_empty() {
        s.push_str("findings (recorded by the members named; not custody breaks)\n");
        for f in &v.findings {
            s.push_str(&format!("  {f}\n"));
        }
    }
    if breaks.is_empty() {
        s.push_str("no custody breaks\n");
    } else {
        s.push_str("CUSTODY BREAKS\n");
        for b in breaks {
            s.push_str(&format!("  {b}\n"));
        }
    }
    s
}
