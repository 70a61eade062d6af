//! The investigation commands (event, notify, action, evidence, custody,
//! correct, timeline): their dispatch. Their checked form ([`DomainCmd`])
//! is in `domain_cmd`; each group's checks and runs are in `event`,
//! `evidence`, `custody` and `tree`.

use crate::cli::args::ActionCommand;
use crate::cli::args::CustodyCommand;
use crate::cli::args::EventCommand;
use crate::cli::args::EvidenceCommand;
use crate::cli::args::NotifyCommand;
use crate::cli::cmd::custody::check_custody_import_receipt;
use crate::cli::cmd::custody::check_custody_receipt;
use crate::cli::cmd::custody::check_custody_receive;
use crate::cli::cmd::custody::check_custody_release;
use crate::cli::cmd::custody::custody_show;
use crate::cli::cmd::custody::run_import_receipt;
use crate::cli::cmd::custody::run_receipt;
use crate::cli::cmd::custody::run_receive;
use crate::cli::cmd::custody::run_release;
use crate::cli::cmd::domain_cmd::DomainCmd;
use crate::cli::cmd::event::check_action_add;
use crate::cli::cmd::event::check_correct;
use crate::cli::cmd::event::check_event_add;
use crate::cli::cmd::event::check_notify_add;
use crate::cli::cmd::event::check_timeline;
use crate::cli::cmd::event::run_append;
use crate::cli::cmd::event::run_correct;
use crate::cli::cmd::event::run_timeline;
use crate::cli::cmd::evidence::check_evidence_add;
use crate::cli::cmd::evidence::check_evidence_dispose;
use crate::cli::cmd::evidence::check_evidence_return;
use crate::cli::cmd::evidence::check_evidence_verify;
use crate::cli::cmd::evidence::run_evidence_add;
use crate::cli::cmd::evidence::run_evidence_list;
use crate::cli::cmd::evidence::run_evidence_show;
use crate::cli::cmd::evidence::run_evidence_verify;
use crate::cli::error::CliError;
use crate::cli::input::item_id;
use crate::cli::input::need_ledger_dir;
use crate::cli::Cli;
use crate::cli::Command;

/// Validate a domain command before any database is opened.
pub(crate) fn validate(cli: &Cli) -> Result<DomainCmd, CliError> {
    // Private fields apply to the appending commands that take them (each
    // reads them first); the caller has refused them for every other command.
    Ok(match &cli.command {
        Command::Event(EventCommand::Add(_)) => check_event_add(cli)?,
        Command::Notify(NotifyCommand::Add { .. }) => check_notify_add(cli)?,
        Command::Action(ActionCommand::Add { .. }) => check_action_add(cli)?,
        Command::Evidence(EvidenceCommand::Add { .. }) => check_evidence_add(cli)?,
        Command::Evidence(EvidenceCommand::Verify { .. }) => check_evidence_verify(cli)?,
        Command::Evidence(EvidenceCommand::Manifest {
            item,
            format,
            output,
        }) => crate::cli::cmd::tree::check_manifest(cli, item, format, output)?,
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
        Command::Custody(CustodyCommand::Store { .. } | CustodyCommand::Retrieve { .. }) => {
            crate::cli::cmd::custody::check_custody_storage(cli)?
        }
        Command::Custody(CustodyCommand::ImportReceipt { .. }) => {
            check_custody_import_receipt(cli)?
        }
        Command::Custody(CustodyCommand::Show { item, json }) => DomainCmd::CustodyShow {
            dir: need_ledger_dir(&cli.ledger)?,
            item: item_id(item)?,
            json: *json,
        },
        Command::Correct { .. } => check_correct(cli)?,
        Command::Void { .. } => crate::cli::cmd::event::check_void(cli)?,
        Command::Timeline { .. } => check_timeline(cli)?,
        _ => unreachable!("cli: not a domain command"),
    })
}

/// Run a domain command.
pub(crate) fn run(cmd: DomainCmd) -> Result<u8, CliError> {
    match cmd {
        cmd @ DomainCmd::Append { .. } => run_append(cmd),
        cmd @ DomainCmd::EvidenceAdd { .. } => run_evidence_add(cmd),
        cmd @ DomainCmd::EvidenceVerify { .. } => run_evidence_verify(cmd),
        cmd @ DomainCmd::EvidenceVerifyTree { .. } => crate::cli::cmd::tree::run_verify_tree(cmd),
        cmd @ DomainCmd::EvidenceManifest { .. } => crate::cli::cmd::tree::run_manifest(cmd),
        cmd @ DomainCmd::EvidenceList { .. } => run_evidence_list(cmd),
        cmd @ DomainCmd::EvidenceShow { .. } => run_evidence_show(cmd),
        cmd @ DomainCmd::Release { .. } => run_release(cmd),
        cmd @ DomainCmd::Receive { .. } => run_receive(cmd),
        cmd @ DomainCmd::Receipt { .. } => run_receipt(cmd),
        cmd @ DomainCmd::ImportReceipt { .. } => run_import_receipt(cmd),
        DomainCmd::CustodyShow { dir, item, json } => custody_show(&dir, &item, json),
        cmd @ DomainCmd::Correct { .. } => run_correct(cmd),
        cmd @ DomainCmd::Void { .. } => crate::cli::cmd::event::run_void(cmd),
        cmd @ DomainCmd::Timeline { .. } => run_timeline(cmd),
    }
}
