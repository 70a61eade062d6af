//! What needs attention in a case (`caselog status`), from the state the
//! ledger keeps current (meta rows: items, members, head, checkpoints,
//! time-stamps), never by reading every record: items in transit and the
//! receipts they wait for, items whose files have no stored copy, seals
//! on items, the last checkpoint and what it carries, an unfinished
//! erasure, revoked members, legal holds, retention periods (ended or
//! not, by this machine's clock), unfinished imports.
//!
//! Every fact is what the ledger records; nothing here is verified (that
//! is `audit`), and the view says so where it matters (cosignature lines
//! are counted, not checked).

use crate::format::entry::{MemberKey, Seq, Timestamp};
use crate::format::ids::Role;
use crate::ledger::{Ledger, LedgerError};
use crate::storage::evidence;
use crate::tlog::merkle::TreeSize;

/// One case's state for the people working it.
#[derive(Debug)]
pub struct Status {
    /// Entries recorded.
    pub entries: u64,
    /// When the newest was recorded.
    pub newest: Timestamp,
    /// Items released and not yet received (or refused).
    pub in_transit: Vec<InTransit>,
    /// Open items with files of which no copy is stored, with those files.
    pub without_copy: Vec<(String, Vec<String>)>,
    /// Open items that carry seals now, with the seals.
    pub sealed: Vec<(String, Vec<String>)>,
    /// Open items in an evidence room: (item, location, since seq).
    pub stored: Vec<(String, String, Seq)>,
    /// Items closed (disposed or returned): (item, how, seq).
    pub closed: Vec<(String, String, Seq)>,
    /// The newest stored checkpoint.
    pub checkpoint: Option<CheckpointState>,
    /// An erasure committed but not yet purged from the files.
    pub purge_pending: Option<Seq>,
    /// Revoked members: (name, key, revoking seq).
    pub revoked: Vec<(String, MemberKey, Seq)>,
    /// Legal holds in force (SPEC §13.9).
    pub holds: Vec<crate::rules::hold::Hold>,
    /// Imports that stopped before their source's last line (SPEC §8.1).
    pub unfinished_imports: Vec<crate::ledger::ImportRecord>,
    /// Open items with a retention category (SPEC §13.12), and whether its
    /// period has ended by this machine's clock when the view was made.
    pub retention: Vec<(crate::rules::retention::Retention, bool)>,
}

/// An item between a release and its receipt.
#[derive(Debug)]
pub struct InTransit {
    /// The item.
    pub item: String,
    /// Who released it (and holds it until the receipt).
    pub holder: MemberKey,
    /// Who is to receive it.
    pub to: MemberKey,
    /// The receiver's role (`external`: a receipt signed offline is owed).
    pub to_role: Option<Role>,
    /// Seq of the release.
    pub release: Option<Seq>,
    /// When the release was recorded.
    pub released: Option<Timestamp>,
}

/// The newest checkpoint, as stored.
#[derive(Debug)]
pub struct CheckpointState {
    /// Its tree size.
    pub size: TreeSize,
    /// When the newest entry it covers was recorded (a checkpoint carries
    /// no signing time of its own).
    pub newest_covered: Option<Timestamp>,
    /// Its signature lines by keys other than the ledger's authorities
    /// (witnesses, mirrors): counted, not verified (only a reader who
    /// pins their keys can check them). `None`: the stored note could not
    /// be parsed, so nothing is said of its lines.
    pub other_signatures: Option<usize>,
    /// Whether a time-stamp token is stored for its size (not verified).
    pub timestamped: bool,
}

/// The status of `l`.
pub fn status(l: &Ledger) -> Result<Status, LedgerError> {
    let mut s = Status {
        entries: l.head().tree.size.0,
        newest: l.head().time,
        in_transit: Vec::new(),
        without_copy: Vec::new(),
        sealed: Vec::new(),
        stored: Vec::new(),
        closed: Vec::new(),
        checkpoint: checkpoint_state(l)?,
        purge_pending: l.purge_pending()?,
        revoked: l
            .members()
            .iter()
            .filter_map(|m| m.revoked.map(|r| (m.name.clone(), m.key, r)))
            .collect(),
        unfinished_imports: l.imports()?.into_iter().filter(|r| !r.complete()).collect(),
        holds: l
            .custody()
            .holds()
            .values()
            .filter(|h| h.released.is_none())
            .cloned()
            .collect(),
        retention: l
            .custody()
            .retention()
            .values()
            .filter(|r| l.custody().get(&r.item).is_some_and(|i| i.closed.is_none()))
            .map(|r| (r.clone(), !r.forbids(Timestamp::now().micros())))
            .collect(),
    };
    let dir = l.store().dir().to_owned();
    for it in l.custody().iter() {
        if let Some((how, seq)) = &it.closed {
            s.closed.push((it.item.clone(), how.clone(), *seq));
            continue;
        }
        if let Some((leaf, to)) = &it.pending {
            let release = l.seq_of_leaf(leaf)?;
            let released = match release {
                Some(r) => l.read(r)?.map(|(_, e)| e.time),
                None => None,
            };
            s.in_transit.push(InTransit {
                item: it.item.clone(),
                holder: it.holder,
                to: *to,
                to_role: l.members().get(to).map(|m| m.role),
                release,
                released,
            });
        }
        let missing: Vec<String> = it
            .files
            .iter()
            .filter(|(_, (b3, _))| !evidence::blob_path(&dir, b3).is_file())
            .map(|(name, _)| name.clone())
            .collect();
        if !missing.is_empty() {
            s.without_copy.push((it.item.clone(), missing));
        }
        if !it.seals.is_empty() {
            s.sealed
                .push((it.item.clone(), it.seals.iter().cloned().collect()));
        }
        if let Some((at, seq)) = &it.stored {
            s.stored.push((it.item.clone(), at.clone(), *seq));
        }
    }
    Ok(s)
}

fn checkpoint_state(l: &Ledger) -> Result<Option<CheckpointState>, LedgerError> {
    let Some((size, bytes)) = l.latest_checkpoint()? else {
        return Ok(None);
    };
    let own = l.log_keys_at(size);
    let other_signatures = crate::tlog::note::Note::parse(&bytes).ok().map(|n| {
        n.sigs
            .iter()
            .filter(|g| !own.iter().any(|k| k.name == g.name && k.id() == g.id))
            .count()
    });
    let newest_covered = match size.0.checked_sub(1) {
        Some(last) => l.read(Seq(last))?.map(|(_, e)| e.time),
        None => None,
    };
    let timestamped = !l.timestamps_at(size)?.is_empty();
    Ok(Some(CheckpointState {
        size,
        newest_covered,
        other_signatures,
        timestamped,
    }))
}
