//! The storage layout of SPEC §8 in one place: every column family, every
//! key and every `meta` row of a ledger directory, and the two files beside
//! the database. Nothing else in the crate spells a key; `tests/spec_sync.rs`
//! holds this file and the SPEC table to the same names.
//!
//! # The life of a write, crash by crash
//!
//! An **append** (`ledger::Ledger::append_*`) writes one RocksDB `WriteBatch`
//! with `sync = true`: the record in `entries`, every complete-subtree node
//! it finishes in `tree`, its `index` rows, the member and item rows it
//! changes in `meta`, its disclosures, and the new `head`. A crash before the
//! WAL sync leaves none of it (the caller was never told it succeeded); a
//! crash after leaves all of it. There is no third state: the head is in the
//! same batch as the record.
//!
//! A **checkpoint** is one more synced batch: the signed note under its tree
//! size in `checkpoints`. Checkpoint files handed out are written after it,
//! through `newfile` (temporary file, fsync, rename, fsync of the directory):
//! a crash leaves either no file or the whole file, never a torn one.
//!
//! An **erasure** writes, in one synced batch, the `disclosure.erased` entry,
//! the deletion of the disclosure row and the [`META_PURGE`] row. Then the
//! purge: every column family flushed (the WAL that held the value becomes
//! obsolete), `disclosures` compacted to the bottommost level, obsolete files
//! deleted, and only then `purge/pending` deleted. A crash anywhere in the
//! purge leaves the row, and the next writable open finishes the purge before
//! anything else, so the value ends up gone from every file.
//!
//! A **time-stamp** is one synced batch: the token under its checkpoint's
//! size in `timestamps`, written only after the checkpoint is stored and
//! the token verified; a crash leaves the token or nothing.
//!
//! **Init** builds the whole directory (genesis entry, meta rows) in a
//! staging directory beside the target and renames it into place: a crash
//! leaves no ledger or a whole one, and a stale staging directory is removed
//! by the next init.

use crate::format::hash::Hash;
use crate::format::ids::{MemberKey, Seq};

/// `entries`: 8-byte big-endian seq → record bytes.
pub const CF_ENTRIES: &str = "entries";
/// `tree`: 9-byte node id (level, index BE) → 32-byte hash of a complete subtree.
pub const CF_TREE: &str = "tree";
/// `index`: `"L" || leaf hash` → seq, and `"I" || item || 0 || seq` → leaf hash.
pub const CF_INDEX: &str = "index";
/// `checkpoints`: 8-byte big-endian tree size → signed note.
pub const CF_CHECKPOINTS: &str = "checkpoints";
/// `disclosures`: seq (8 BE) || digest → disclosure bytes.
pub const CF_DISCLOSURES: &str = "disclosures";
/// `meta`: ledger id, hash, head, member and item rows, configuration.
pub const CF_META: &str = "meta";
/// `timestamps`: tree size (8 BE) || SHA-256 of the token → RFC 3161
/// time-stamp token (DER) over that size's checkpoint body. Added in
/// layout 1.2: a writer creates it in an older ledger; a reader of an
/// older ledger finds none.
pub const CF_TIMESTAMPS: &str = "timestamps";
/// Every column family, in creation order.
pub const ALL_CFS: [&str; 7] = [
    CF_ENTRIES,
    CF_TREE,
    CF_INDEX,
    CF_CHECKPOINTS,
    CF_DISCLOSURES,
    CF_META,
    CF_TIMESTAMPS,
];

/// How many of [`ALL_CFS`] every ledger has (layout 1.0); the rest were
/// added later and are created by a writer when missing.
pub const BASE_CFS: usize = 6;

/// Key of a time-stamp token in `timestamps`: the checkpoint's tree size
/// (8 bytes BE) || SHA-256 of the token's DER, so a checkpoint's tokens
/// sort together and the same token is stored once.
pub fn timestamp_key(size: u64, token: &[u8]) -> [u8; 40] {
    use sha2::Digest;
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&size.to_be_bytes());
    k[8..].copy_from_slice(&sha2::Sha256::digest(token));
    k
}

/// Name of the writer lock file inside a ledger directory.
pub const LOCK_FILE: &str = "caselog.lock";
/// Name of the open gate inside a ledger directory (see `store::gate`).
pub const GATE_FILE: &str = "caselog.gate";

/// `meta` key: format version (CBOR uint).
pub const META_FORMAT: &[u8] = b"format";
/// `meta` key: ledger id (16 raw bytes).
pub const META_LEDGER: &[u8] = b"ledger";
/// `meta` key: hash name (UTF-8).
pub const META_HASH: &[u8] = b"hash";
/// `meta` key: head (CBOR map size, root, last, time).
pub const META_HEAD: &[u8] = b"head";
/// `meta` key prefix for member rows: `"member/" || key(32)`.
pub const META_MEMBER_PREFIX: &[u8] = b"member/";
/// `meta` key prefix for evidence item rows: `"item/" || item id`.
pub const META_ITEM_PREFIX: &[u8] = b"item/";
/// `meta` key prefix for legal hold rows: `"hold/" || hold id` (SPEC
/// §8, §13.9): a cache of the holds replayed from the entries.
pub const META_HOLD_PREFIX: &[u8] = b"hold/";
/// `meta` key prefix for discovery production rows: `"production/" ||
/// leaf hash` (SPEC §8, §13.11): a cache of the productions replayed from
/// the entries.
pub const META_PRODUCTION_PREFIX: &[u8] = b"production/";
/// `meta` key prefix for retention rows: `"retention/" || item id` (SPEC
/// §8, §13.12): a cache of each item's retention replayed from the entries.
pub const META_RETENTION_PREFIX: &[u8] = b"retention/";
/// `meta` key prefix for import rows: `"import/" || SHA-256 of the source`
/// (SPEC §8): how many of a source's lines are in the ledger.
pub const META_IMPORT_PREFIX: &[u8] = b"import/";
/// `meta` key: automatic checkpoint interval (CBOR uint), set at init.
pub const META_CHECKPOINT_EVERY: &[u8] = b"config/checkpoint_every";
/// `meta` row written in the same batch as an erasure and deleted once the
/// erased value is purged from every file (SPEC §8, §15): CBOR uint, the
/// erasure's seq. Present on open: a purge was interrupted; it is finished.
pub const META_PURGE: &[u8] = b"purge/pending";
/// Every fixed `meta` key (the prefixed rows are the four `_PREFIX`es).
pub const META_FIXED: [&[u8]; 6] = [
    META_FORMAT,
    META_LEDGER,
    META_HASH,
    META_HEAD,
    META_CHECKPOINT_EVERY,
    META_PURGE,
];

/// `index` key prefix for leaf hash → seq rows.
pub const INDEX_LEAF_PREFIX: u8 = b'L';
/// `index` key prefix for item rows: `"I" || item id || 0x00 || seq (8 BE)` → leaf hash.
pub const INDEX_ITEM_PREFIX: u8 = b'I';

/// `entries` key of a seq: 8 bytes big-endian.
pub fn entry_key(seq: Seq) -> [u8; 8] {
    seq.0.to_be_bytes()
}

/// Inverse of [`entry_key`]; `None` unless exactly 8 bytes.
pub fn seq_of_key(k: &[u8]) -> Option<Seq> {
    <[u8; 8]>::try_from(k)
        .ok()
        .map(|b| Seq(u64::from_be_bytes(b)))
}

/// `tree` key of a node: `level (1 byte) || index (8 bytes, big-endian)`.
pub fn tree_key(level: u8, index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = level;
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Inverse of [`tree_key`]; `None` unless 9 bytes with a level below 64.
pub fn node_of_key(k: &[u8]) -> Option<(u8, u64)> {
    if k.len() != 9 || k[0] > 63 {
        return None;
    }
    Some((k[0], u64::from_be_bytes(k[1..].try_into().ok()?)))
}

/// `checkpoints` key of a tree size: 8 bytes big-endian.
pub fn checkpoint_key(size: u64) -> [u8; 8] {
    size.to_be_bytes()
}

/// Inverse of [`checkpoint_key`]; `None` unless exactly 8 bytes.
pub fn size_of_key(k: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(k).ok().map(u64::from_be_bytes)
}

/// `disclosures` key: seq (8 BE) || disclosure digest (32).
pub fn disclosure_key(seq: Seq, digest: &Hash) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&entry_key(seq));
    k[8..].copy_from_slice(&digest.0);
    k
}

/// Inverse of [`disclosure_key`].
pub fn parse_disclosure_key(k: &[u8]) -> Option<(Seq, Hash)> {
    if k.len() != 40 {
        return None;
    }
    Some((seq_of_key(&k[..8])?, Hash::from_slice(&k[8..])?))
}

/// `index` key of a leaf hash: `"L" || leaf`.
pub fn leaf_index_key(leaf: &Hash) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = INDEX_LEAF_PREFIX;
    k[1..].copy_from_slice(&leaf.0);
    k
}

/// `index` key of an item row: `"I" || item || 0x00 || seq (8 BE)`.
pub fn item_index_key(item: &str, seq: Seq) -> Vec<u8> {
    let mut k = item_index_prefix(item);
    k.extend_from_slice(&entry_key(seq));
    k
}

/// The prefix all of one item's `index` rows share: `"I" || item || 0x00`.
pub fn item_index_prefix(item: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(item.len() + 10);
    k.push(INDEX_ITEM_PREFIX);
    k.extend_from_slice(item.as_bytes());
    k.push(0);
    k
}

/// `meta` key of a member row: `"member/" || key`.
pub fn member_key(k: &MemberKey) -> Vec<u8> {
    [META_MEMBER_PREFIX, &k.0].concat()
}

/// `meta` key of an item row: `"item/" || item id`.
pub fn item_meta_key(item: &str) -> Vec<u8> {
    [META_ITEM_PREFIX, item.as_bytes()].concat()
}

/// `meta` key of an item's retention row: `"retention/" || item id`
/// (SPEC §8, §13.12).
pub fn retention_meta_key(item: &str) -> Vec<u8> {
    [META_RETENTION_PREFIX, item.as_bytes()].concat()
}

/// `meta` key of a discovery production's cache row:
/// `"production/" || leaf hash of its entry` (SPEC §8, §13.11).
pub fn production_meta_key(leaf: &crate::format::hash::Hash) -> Vec<u8> {
    [META_PRODUCTION_PREFIX, &leaf.0[..]].concat()
}

/// `meta` key of a legal hold's cache row: `"hold/" || hold id`.
pub fn hold_meta_key(hold: &str) -> Vec<u8> {
    [META_HOLD_PREFIX, hold.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(seq_of_key(&entry_key(Seq(0x0102))), Some(Seq(0x0102)));
        assert_eq!(node_of_key(&tree_key(3, 9)), Some((3, 9)));
        assert_eq!(node_of_key(&tree_key(64, 9)), None);
        assert_eq!(size_of_key(&checkpoint_key(7)), Some(7));
        let h = Hash([7; 32]);
        assert_eq!(
            parse_disclosure_key(&disclosure_key(Seq(5), &h)),
            Some((Seq(5), h))
        );
        assert_eq!(parse_disclosure_key(&[0; 39]), None);
        assert_eq!(&item_index_key("EV-1", Seq(2))[..6], b"IEV-1\0");
        assert_eq!(leaf_index_key(&h)[0], b'L');
    }
}
