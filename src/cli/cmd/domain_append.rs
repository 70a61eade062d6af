//! What the investigation commands share (`event`, `evidence`, `custody`,
//! `tree`): the one append step, the checked entry most of them make
//! ([`AppendCmd`]) and the name a signer was enrolled under. Below those
//! files, so none imports another.

use crate::cli::cmd::Run;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::resolve_entry;
use crate::cli::input::EntryArg;
use crate::cli::output::checkpoint_notice;
use crate::cli::output::out;
use crate::cli::remote::Target;
use caselog::format::disclosure::Disclosure;
use caselog::format::entry::Body;
use caselog::format::entry::Seq;
use caselog::format::kinds::Domain;
use caselog::storage::keys::Signer;
use caselog::Hash;
use caselog::Ledger;

/// The name `signer` was enrolled under (what `member list` shows), or
/// the key file's name when it is not a member (the append then refuses).
pub(crate) fn enrolled_name(l: &Ledger, signer: &Signer) -> String {
    l.members()
        .get(&signer.public())
        .map_or_else(|| signer.name().to_owned(), |m| m.name.clone())
}

pub(crate) fn append(
    l: &mut Ledger,
    body: Domain,
    signer: &Signer,
    private: Vec<Disclosure>,
) -> Result<(Seq, Hash), CliError> {
    let r = l.append_private(Body::Domain(body), signer, private)?;
    checkpoint_notice(l);
    Ok(r)
}

/// A checked investigation entry (`event add`, `notify add`, `action
/// add`, `evidence dispose|return`, `custody store|retrieve`): one body,
/// its references and private fields.
pub(crate) struct AppendCmd {
    pub(crate) dir: Target,
    pub(crate) signer: Signer,
    pub(crate) body: Domain,
    pub(crate) refs: Vec<EntryArg>,
    pub(crate) private: Vec<Disclosure>,
}

impl Run for AppendCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_append(*self)
    }
}

fn run_append(cmd: AppendCmd) -> Result<u8, CliError> {
    let AppendCmd {
        private,
        dir,
        signer,
        mut body,
        refs,
    } = cmd;
    let mut l = dir.open(true)?;
    if let Domain::Event(e) = &mut body {
        for r in &refs {
            e.refs.push(resolve_entry(&l, r)?.1);
        }
    }
    if let Domain::Action(a) = &mut body {
        if a.by.is_empty() {
            a.by = enrolled_name(&l, &signer);
        }
    }
    let what = body.kind();
    // Evidence-room steps say what happened to the item (SPEC §13.6).
    let said = matches!(body, Domain::CustodyStore(_) | Domain::CustodyRetrieve(_))
        .then(|| body.summary_with(&|k| l.members().display(k)));
    let (seq, leaf) = append(&mut l, body, &signer, private)?;
    match said {
        Some(s) => out(&format!("seq {seq}: {s} (leaf {leaf})\n"))?,
        None => out(&format!("seq {seq}: {what} recorded (leaf {leaf})\n"))?,
    }
    Ok(exit::OK)
}
