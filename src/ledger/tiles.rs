//! Reading the ledger as C2SP `tlog-tiles` (hash tiles and entry bundles),
//! for `caselog serve`. The hashes are the stored `tree` nodes (SPEC §8),
//! fetched with one `multi_get` per tile.

use super::*;
use crate::tlog::tiles::{encode_bundle, Tile, MAX_BUNDLE_ENTRY};

impl Ledger {
    /// Refuse a tile the current tree does not cover.
    fn check_tile(&self, t: &Tile) -> Result<(), LedgerError> {
        let size = self.head.tree.size.0;
        match t.needs_size() {
            Some(n) if n <= size => Ok(()),
            _ => Err(Missing::Tile {
                path: t.path(),
                size,
            }
            .into()),
        }
    }

    /// The bytes of hash tile `t`: its hashes, concatenated.
    pub fn hash_tile(&self, t: Tile) -> Result<Vec<u8>, LedgerError> {
        assert!(
            t.level.is_some(),
            "ledger: hash_tile called for an entry bundle"
        );
        self.check_tile(&t)?;
        let ids = t.nodes();
        let got = self.fetch(&ids)?;
        let mut out = Vec::with_capacity(ids.len() * 32);
        for id in &ids {
            out.extend_from_slice(&got[id].0);
        }
        Ok(out)
    }

    /// The bytes of entry bundle `t`: its records, each prefixed by its
    /// length (uint16, big-endian).
    pub fn entry_bundle(&self, t: Tile) -> Result<Vec<u8>, LedgerError> {
        assert!(
            t.level.is_none(),
            "ledger: entry_bundle called for a hash tile"
        );
        self.check_tile(&t)?;
        let seqs = t.seqs();
        let keys: Vec<[u8; 8]> = seqs.clone().map(|s| Seq(s).key()).collect();
        let vals = self.store().multi_get(CF_ENTRIES, &keys)?;
        let mut records = Vec::with_capacity(keys.len());
        for (seq, v) in seqs.zip(vals) {
            let r = v.ok_or(Damage::RecordMissing { seq })?;
            if r.len() > MAX_BUNDLE_ENTRY {
                return Err(LedgerError::TooLargeForBundle { seq, size: r.len() });
            }
            records.push(r);
        }
        Ok(encode_bundle(&records).expect("ledger: record lengths checked above"))
    }
}
