//! `member add`, `member revoke`, `member list`.

use crate::cli::args::MemberAdd;
use crate::cli::args::MemberCommand;
use crate::cli::args::RoleArg;
use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::check_text;
use crate::cli::input::load_signer;
use crate::cli::input::opt_text;
use crate::cli::input::target;
use crate::cli::input::MemberRef;
use crate::cli::output::checkpoint_notice;
use crate::cli::output::out;
use crate::cli::remote::Target;
use crate::cli::render;
use caselog::format::entry::Body;
use caselog::format::entry::MemberEnroll;
use caselog::format::entry::MemberRevoke;
use caselog::format::entry::MAX_SHORT_TEXT;
use caselog::storage::keys;
use caselog::storage::keys::Signer;
use caselog::Role;

/// A checked `member` command.
pub(crate) enum MemberCmd {
    Add {
        dir: Target,
        signer: Signer,
        body: MemberEnroll,
    },
    Revoke {
        dir: Target,
        signer: Signer,
        member: MemberRef,
        reason: String,
    },
    List {
        dir: Target,
        json: bool,
    },
}

/// Check a `member` command before the ledger is opened.
pub(crate) fn check(c: &MemberCommand, g: &Globals) -> Result<MemberCmd, CliError> {
    match c {
        MemberCommand::Add(a) => check_add(a, g),
        MemberCommand::Revoke(a) => check_revoke(&a.member, &a.reason, g),
        MemberCommand::List(a) => Ok(MemberCmd::List {
            dir: target(g)?,
            json: a.json,
        }),
    }
}

impl Run for MemberCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run(*self)
    }
}

/// Run a checked `member` command.
fn run(cmd: MemberCmd) -> Result<u8, CliError> {
    match cmd {
        MemberCmd::Add { dir, signer, body } => run_add(&dir, &signer, body),
        MemberCmd::Revoke {
            dir,
            signer,
            member,
            reason,
        } => run_revoke(&dir, &signer, member, reason),
        MemberCmd::List { dir, json } => run_list(&dir, json),
    }
}

fn check_add(a: &MemberAdd, g: &Globals) -> Result<MemberCmd, CliError> {
    Ok({
        let dir = target(g)?;
        let named = keys::parse_public(&a.pubkey)?;
        caselog::format::sig::checked_key(&named.key.0).map_err(|e| {
            CliError::input(
                format!("refused key {}: {e}", named.key.fingerprint()),
                "generate a fresh key with `caselog key generate`",
            )
        })?;
        let role = match a.role {
            RoleArg::Authority => Role::Authority,
            RoleArg::Investigator => Role::Investigator,
            RoleArg::Custodian => Role::Custodian,
            RoleArg::Counsel => Role::Counsel,
            RoleArg::External => Role::External,
        };
        MemberCmd::Add {
            body: MemberEnroll {
                name: check_text("name", &a.name, MAX_SHORT_TEXT)?,
                role,
                key: named.key,
                profile: caselog::format::entry::Profile {
                    title: opt_text(&a.title, "title", MAX_SHORT_TEXT)?,
                    organization: opt_text(&a.organization, "organization", MAX_SHORT_TEXT)?,
                    contact: opt_text(&a.contact, "contact", MAX_SHORT_TEXT)?,
                },
            },
            signer: load_signer(g)?,
            dir,
        }
    })
}

fn check_revoke(member: &str, reason: &str, g: &Globals) -> Result<MemberCmd, CliError> {
    Ok({
        let dir = target(g)?;
        let member = match keys::parse_public(member) {
            Ok(k) => MemberRef::Key(k.key),
            Err(_) => MemberRef::Name(member.to_owned()),
        };
        MemberCmd::Revoke {
            reason: check_text("reason", reason, MAX_SHORT_TEXT)?,
            signer: load_signer(g)?,
            member,
            dir,
        }
    })
}

fn run_add(dir: &Target, signer: &Signer, body: MemberEnroll) -> Result<u8, CliError> {
    let mut l = dir.open(true)?;
    let (name, role, key) = (body.name.clone(), body.role, body.key);
    let (seq, _) = l.append(Body::MemberEnroll(body), signer)?;
    out(&format!(
        "seq {seq}: enrolled {name} as {role} ({})\n",
        keys::fingerprint(&key)
    ))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

fn run_revoke(
    dir: &Target,
    signer: &Signer,
    member: MemberRef,
    reason: String,
) -> Result<u8, CliError> {
    let mut l = dir.open(true)?;
    let key = match member {
        MemberRef::Key(k) => k,
        MemberRef::Name(n) => {
            let found: Vec<_> = l.members().iter().filter(|m| m.name == n).collect();
            match found.as_slice() {
                [m] => m.key,
                [] => {
                    return Err(CliError::input(
                        format!("no member named {n:?} and not a public key"),
                        "see `caselog member list`",
                    ))
                }
                _ => {
                    return Err(CliError::input(
                        format!("several members are named {n:?}"),
                        "give the member's key instead of the name",
                    ))
                }
            }
        }
    };
    let name = l.members().display(&key);
    let (seq, _) = l.append(Body::MemberRevoke(MemberRevoke { key, reason }), signer)?;
    out(&format!("seq {seq}: revoked {name}\n"))?;
    checkpoint_notice(&l);
    Ok(exit::OK)
}

fn run_list(dir: &Target, json: bool) -> Result<u8, CliError> {
    let l = dir.open(false)?;
    let mut s = String::new();
    if json {
        let v: Vec<_> = l.members().iter().map(render::member_json).collect();
        s = serde_json::to_string_pretty(&v).expect("json") + "\n";
    } else {
        let mut ms: Vec<_> = l.members().iter().collect();
        ms.sort_by_key(|m| m.enrolled);
        for m in ms {
            s.push_str(&render::member_line(m));
            s.push('\n');
        }
    }
    out(&s)?;
    Ok(exit::OK)
}
