//! Private values (SPEC §15): reading the disclosures of an entry,
//! erasing one (a signed `disclosure.erased` entry, then the value's
//! deletion) and finishing an erasure a crash interrupted (`purge`).

use super::*;

impl Ledger {
    /// The stored disclosures of entry `seq` (those not erased), by digest.
    pub fn disclosures_of(&self, seq: Seq) -> Result<Vec<(Hash, Disclosure)>, LedgerError> {
        let mut out = Vec::new();
        for kv in self.store().iter_from(CF_DISCLOSURES, &seq.key()) {
            let (k, v) = kv?;
            let Some((s, d)) = crate::storage::layout::parse_disclosure_key(&k) else {
                break;
            };
            if s != seq {
                break;
            }
            let disc = Disclosure::decode(&v).map_err(|e| {
                LedgerError::Damaged(Damage::DisclosureUnreadable {
                    seq: seq.0,
                    reason: e.to_string(),
                })
            })?;
            out.push((d, disc));
        }
        Ok(out)
    }

    /// Erase the private field `path` of entry `target`: delete its
    /// disclosure and append a `disclosure.erased` entry (authority only) in
    /// one synced batch, then purge the value from every file.
    ///
    /// Commit order, and what a crash at each point leaves:
    /// 1. one synced batch: the disclosure's delete, the erasure entry, the
    ///    `purge/pending` row. Before it: nothing happened. After it: the
    ///    erasure is recorded, the value may still sit in the WAL or SSTs.
    /// 2. [`Ledger::purge`]: flush every column family (the WAL holding the
    ///    value becomes obsolete), compact the disclosures to the bottommost
    ///    level (checked: no deletion marker may remain), delete obsolete
    ///    files, then delete the `purge/pending` row. A crash anywhere here
    ///    leaves the row, and the next writable open (or `caselog erase
    ///    --resume`) runs the purge again; every step is idempotent.
    pub fn erase(
        &mut self,
        target: Seq,
        path: &str,
        reason: &str,
        authority: Option<&str>,
        signer: &Signer,
    ) -> Result<(Seq, Hash), LedgerError> {
        let found: Vec<(Hash, Disclosure)> = self
            .disclosures_of(target)?
            .into_iter()
            .filter(|(_, d)| d.path == path)
            .collect();
        let Some((digest, _)) = found.first().cloned() else {
            return Err(Missing::PrivateField {
                seq: target.0,
                path: path.to_owned(),
            }
            .into());
        };
        let raw = self
            .record_bytes(target)?
            .ok_or(Missing::Entry { seq: target.0 })?;
        let body = Body::Domain(Domain::DisclosureErased(
            crate::format::kinds::DisclosureErased {
                target: self.alg.leaf(&raw),
                digest,
                path: path.to_owned(),
                reason: reason.to_owned(),
                authority: authority.map(str::to_owned),
            },
        ));
        let mut deletes = Batch::new();
        for (d, _) in &found {
            deletes.delete(
                CF_DISCLOSURES,
                crate::storage::layout::disclosure_key(target, d).to_vec(),
            );
        }
        let erasure_seq = self.head.tree.size.0;
        deletes.put(CF_META, META_PURGE, cbor::encode(&Value::Uint(erasure_seq)));
        let out = self
            .stage_items_with(
                vec![(body, signer, Vec::new())],
                Timestamp::now(),
                false,
                deletes,
            )
            .map_err(|(_, e)| e)?;
        // Crash here: the erasure is committed with its pending-purge row;
        // the next writable open finishes the purge.
        crate::storage::failpoint::hit("erase.after_commit");
        self.purge()?;
        Ok(out[0])
    }

    /// Purge erased values from every file of the ledger directory, then
    /// clear the `purge/pending` row (see [`Ledger::erase`]).
    pub fn purge(&mut self) -> Result<(), LedgerError> {
        self.writer()?.flush()?;
        crate::storage::failpoint::hit("erase.after_flush");
        self.writer()?.compact(CF_DISCLOSURES)?;
        self.writer()?.purge_obsolete()?;
        let mut b = Batch::new();
        b.delete(CF_META, META_PURGE.to_vec());
        self.writer()?.commit(b)?;
        Ok(())
    }
}
