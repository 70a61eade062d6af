//! Item proofs (SPEC §13.7, §14): what lets a partial bundle of one
//! evidence item prove that it carries every entry about that item up to
//! its checkpoint. Each proof places the item's latest entry (seq, and the
//! leaf hash of the record the bundle carries there) in the item map whose
//! count and root the checkpoint's `caselog-items` line commits to; the
//! item links (`item_prev`) tie every earlier entry to it.
//!
//! Owns: the `item_proofs` value of a bundle (building and strict reading),
//! planning them for a selection, and judging them after the records
//! passed through the chain verifier.

use crate::audit::report::{Code, ItemChain, Report};
use crate::audit::ChainVerifier;
use crate::format::cbor::{SchemaError, Value};
use crate::format::entry::{Body, Seq};
use crate::format::hash::Hash;
use crate::format::kinds::Domain;
use crate::ledger::{Damage, Ledger, LedgerError};
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::itemmap;

/// Most item proofs in one bundle.
pub(super) const MAX_ITEM_PROOFS: usize = 4096;

/// One item's place in the checkpoint's item map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemProof {
    /// The item id.
    pub item: String,
    /// Seq of its latest entry at the checkpoint's size.
    pub seq: Seq,
    /// Its index in the map (items in id order).
    pub index: u64,
    /// Inclusion path to the map root, leaf-most first.
    pub path: Vec<Hash>,
}

/// `[item, seq, index, [* path hash]]` per proof, ascending by item.
pub(super) fn to_value(proofs: &[ItemProof]) -> Value {
    Value::Array(
        proofs
            .iter()
            .map(|p| {
                Value::Array(vec![
                    Value::Text(p.item.clone()),
                    Value::Uint(p.seq.0),
                    Value::Uint(p.index),
                    Value::Array(p.path.iter().map(|h| Value::Bytes(h.0.to_vec())).collect()),
                ])
            })
            .collect(),
    )
}

fn bad(m: &str) -> SchemaError {
    SchemaError::Invalid {
        what: "bundle.item_proofs".into(),
        reason: m.into(),
    }
}

/// Strict reading: a non-empty array of at most [`MAX_ITEM_PROOFS`]
/// proofs, item ids valid and strictly ascending, paths of at most 64
/// hashes of 32 bytes.
pub(super) fn from_value(v: Value) -> Result<Vec<ItemProof>, SchemaError> {
    let Value::Array(ps) = v else {
        return Err(bad("must be an array"));
    };
    if ps.is_empty() || ps.len() > MAX_ITEM_PROOFS {
        return Err(bad("must hold 1 to 4096 proofs when present"));
    }
    let mut out: Vec<ItemProof> = Vec::with_capacity(ps.len());
    for p in ps {
        let shape = "a proof is not [item id, seq, index, [* bstr32]]";
        let Value::Array(a) = p else {
            return Err(bad(shape));
        };
        let [i, s, x, path]: [Value; 4] = a.try_into().map_err(|_| bad(shape))?;
        let (Value::Text(item), Value::Uint(seq), Value::Uint(index), Value::Array(path)) =
            (i, s, x, path)
        else {
            return Err(bad(shape));
        };
        if !crate::format::ids::valid_item_id(&item) || path.len() > 64 {
            return Err(bad(shape));
        }
        let path = path
            .into_iter()
            .map(|h| match h {
                Value::Bytes(b) if b.len() == 32 => Ok(Hash::from_slice(&b).expect("32")),
                _ => Err(bad(shape)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if out.last().is_some_and(|l| l.item >= item) {
            return Err(bad("proofs must be in strictly ascending item order"));
        }
        out.push(ItemProof {
            item,
            seq: Seq(seq),
            index,
            path,
        });
    }
    Ok(out)
}

/// Proofs for the selected `items` at the checkpoint `cp` (none when it
/// has no item map), and the seqs a claimed copy's source intake adds to
/// the bundle (SPEC §13.5: custody replays the source's intake first).
pub(super) fn plan(
    l: &Ledger,
    cp: &Checkpoint,
    items: &[String],
) -> Result<(Vec<ItemProof>, Vec<Seq>), LedgerError> {
    let Some(line) = &cp.items else {
        return Ok((Vec::new(), Vec::new()));
    };
    let heads = l.item_heads_at(cp.head.size)?;
    if itemmap::head(l.hash_alg(), &heads).as_ref() != Some(line) {
        return Err(Damage::CheckpointUnreadable {
            size: cp.head.size.0,
            reason: "its item map differs from the ledger's".into(),
        }
        .into());
    }
    let mut proofs = Vec::new();
    let mut extra = Vec::new();
    let mut wanted: Vec<&String> = items.iter().collect();
    wanted.sort();
    wanted.dedup();
    for item in wanted {
        let Some((seq, _)) = heads.get(item) else {
            continue;
        };
        let (index, path) =
            itemmap::prove(l.hash_alg(), &heads, item).expect("bundle: the item is in the map");
        proofs.push(ItemProof {
            item: item.clone(),
            seq: *seq,
            index,
            path,
        });
        extra.extend(source_intake(l, item)?);
    }
    Ok((proofs, extra))
}

/// The seq of the intake of the item `item` was copied from, if any.
fn source_intake(l: &Ledger, item: &str) -> Result<Option<Seq>, LedgerError> {
    let Some((seq, raw)) = l.item_records(item)?.into_iter().next() else {
        return Ok(None);
    };
    let (_, e) = crate::ledger::decode(seq, &raw)?;
    let Body::Domain(Domain::EvidenceIntake(i)) = &e.body else {
        return Ok(None);
    };
    let Some(src) = i.lineage.as_ref().and_then(|g| g.derived_from.as_ref()) else {
        return Ok(None);
    };
    Ok(l.item_records(src)?.into_iter().next().map(|(s, _)| s))
}

/// After the records: each claimed item's latest carried entry must be the
/// one the checkpoint's item map places it at (`ITEM_INCOMPLETE`
/// otherwise); the item's completeness is stated in the report, or why it
/// cannot be shown (entries written before item links).
pub(super) fn judge(v: &ChainVerifier<'_>, cp: &Checkpoint, proofs: &[ItemProof], r: &mut Report) {
    let size = cp.head.size.0;
    for p in proofs {
        let fail = |r: &mut Report, why: String| {
            r.add(
                Code::ItemIncomplete,
                None,
                "item",
                format!("{}: {why}", p.item),
            );
        };
        let Some(line) = &cp.items else {
            fail(r, "the checkpoint commits to no item map".into());
            continue;
        };
        let Some((seq, leaf)) = v.custody().heads().get(&p.item) else {
            fail(r, "the bundle carries no valid entry about it".into());
            continue;
        };
        if *seq != p.seq {
            fail(
                r,
                format!(
                    "the item map says its latest entry at size {size} is seq {}, the bundle's is seq {}",
                    p.seq.0, seq.0
                ),
            );
            continue;
        }
        if let Err(e) = itemmap::verify(v.alg(), line, &p.item, (*seq, leaf), p.index, &p.path) {
            fail(r, format!("its item map proof does not verify ({e})"));
            continue;
        }
        let reason = v.unlinked().get(&p.item).map(|at| {
            format!("entry {at} about it carries no item link (written before links), so entries before it cannot be shown complete")
        });
        r.items.push(ItemChain {
            item: p.item.clone(),
            size,
            head: seq.0,
            complete: reason.is_none(),
            reason,
        });
    }
}
