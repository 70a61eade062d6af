//! C2SP `tlog-tiles` coordinates: which tree hashes or records a tile
//! holds, and its path. No IO: the ledger reads the nodes and records.
//!
//! Spec: <https://c2sp.org/tlog-tiles>. Tiles have height 8: the `n`-th
//! tile at level `l` holds, for `i` in `0..w`,
//! `MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])`, i.e. the stored
//! complete-subtree node at tree level `8·l`, index `n·256 + i` (SPEC §8's
//! `tree` rows). Entry bundles hold the records of a level-0 tile.

use thiserror::Error;

use crate::tlog::merkle::NodeId;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels a tile spans (log2 of [`TILE_WIDTH`]).
pub const TILE_HEIGHT: u8 = 8;
/// Largest record an entry bundle can carry: its length prefix is a
/// big-endian uint16 (C2SP tlog-tiles, "Log entries").
pub const MAX_BUNDLE_ENTRY: usize = u16::MAX as usize;

/// A tile: of hashes at a tile level, or an entry bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    /// `Some(l)`: hashes at tile level `l` (0..=63); `None`: entry bundle.
    pub level: Option<u8>,
    /// Index of the tile within its level.
    pub index: u64,
    /// Number of hashes or entries, 1..=256 (256: a full tile).
    pub width: u16,
}

/// Why a tile path was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// Not `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` with
    /// canonical numbers.
    #[error("not a C2SP tile path: {path:?}")]
    BadPath {
        /// The path given.
        path: String,
    },
}

impl Tile {
    /// The tile's path below the log prefix: `tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`, `<N>` in 3-digit groups, all but the last
    /// prefixed with `x` (C2SP tlog-tiles, "Merkle Tree").
    pub fn path(&self) -> String {
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_owned(),
        };
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut n = self.index / 1000;
        while n > 0 {
            groups.push(format!("x{:03}", n % 1000));
            n /= 1000;
        }
        groups.reverse();
        let mut p = format!("tile/{level}/{}", groups.join("/"));
        if u64::from(self.width) < TILE_WIDTH {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parse a path made by [`Tile::path`]; any other spelling (leading
    /// zeros, a missing `x`, width 0 or ≥ 256) is refused.
    pub fn parse(path: &str) -> Result<Tile, TileError> {
        let bad = || TileError::BadPath {
            path: path.to_owned(),
        };
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level_s, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = match level_s {
            "entries" => None,
            s => Some(canonical_decimal(s).filter(|&l| l <= 63).ok_or_else(bad)? as u8),
        };
        let (index_s, width) = match rest.split_once(".p/") {
            Some((i, w)) => (
                i,
                canonical_decimal(w)
                    .filter(|&w| (1..TILE_WIDTH).contains(&w))
                    .ok_or_else(bad)?,
            ),
            None => (rest, TILE_WIDTH),
        };
        let index = parse_index(index_s).ok_or_else(bad)?;
        let tile = Tile {
            level,
            index,
            width: width as u16,
        };
        // The round trip rejects every non-canonical spelling.
        if tile.path() != path {
            return Err(bad());
        }
        Ok(tile)
    }

    /// Tree level of the hashes in a hash tile (`8·l`), 0 for a bundle.
    fn tree_level(&self) -> u8 {
        self.level.unwrap_or(0) * TILE_HEIGHT
    }

    /// The stored nodes a hash tile (or a bundle's level-0 tile) holds, in
    /// order.
    pub fn nodes(&self) -> Vec<NodeId> {
        let first = self.index * TILE_WIDTH;
        (0..u64::from(self.width))
            .map(|i| NodeId {
                level: self.tree_level(),
                index: first + i,
            })
            .collect()
    }

    /// Seqs of the records an entry bundle holds.
    pub fn seqs(&self) -> std::ops::Range<u64> {
        let first = self.index * TILE_WIDTH;
        first..first + u64::from(self.width)
    }

    /// The smallest tree size whose nodes include every hash of the tile:
    /// `(n·256 + w)·256^l` leaves; `None` when that overflows (no such
    /// tree can exist).
    pub fn needs_size(&self) -> Option<u64> {
        let count = self
            .index
            .checked_mul(TILE_WIDTH)?
            .checked_add(u64::from(self.width))?;
        let per = 1u64.checked_shl(u32::from(self.tree_level()))?;
        count.checked_mul(per)
    }
}

/// The tiles a static copy of the log must add to go from a checkpoint
/// of size `old` to one of size `new` (C2SP tlog-tiles): at each level,
/// the full tiles that became full and the partial tile of `new`; with
/// `entries`, the entry bundles the same way. Full tiles are immutable, so
/// those already full at `old` are not repeated.
pub fn tiles_between(old: u64, new: u64, entries: bool) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut per: u64 = 1; // leaves per hash at this level: 256^level
    for level in 0u8..=63 {
        if per > new {
            break;
        }
        let (had, has) = (old / per, new / per);
        let mut push = |level: Option<u8>| {
            for index in had / TILE_WIDTH..has / TILE_WIDTH {
                out.push(Tile {
                    level,
                    index,
                    width: TILE_WIDTH as u16,
                });
            }
            if has % TILE_WIDTH != 0 && (has != had || old == 0) {
                let width = (has % TILE_WIDTH) as u16;
                out.push(Tile {
                    level,
                    index: has / TILE_WIDTH,
                    width,
                });
            }
        };
        push(Some(level));
        if level == 0 && entries {
            push(None);
        }
        per = match per.checked_mul(TILE_WIDTH) {
            Some(p) => p,
            None => break,
        };
    }
    out
}

/// A decimal number with no sign and no leading zeros.
fn canonical_decimal(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

/// `x001/x234/067` → 1234067 (each group exactly 3 digits).
fn parse_index(s: &str) -> Option<u64> {
    let groups: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x')?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some(n)
}

/// Encode an entry bundle: each record with a big-endian uint16 length
/// prefix (C2SP tlog-tiles, "Log entries"). `Err(i)`: record `i` is longer
/// than [`MAX_BUNDLE_ENTRY`] and cannot be carried.
pub fn encode_bundle(records: &[Vec<u8>]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(records.iter().map(|r| r.len() + 2).sum());
    for (i, r) in records.iter().enumerate() {
        let len = u16::try_from(r.len()).map_err(|_| i)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// Split an entry bundle into its records; `None` when the bytes are not
/// exactly a sequence of length-prefixed records.
pub fn decode_bundle(mut b: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        if b.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
        let rest = &b[2..];
        if rest.len() < len {
            return None;
        }
        out.push(&rest[..len]);
        b = &rest[len..];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_examples() {
        // C2SP tlog-tiles: index 1234067 is `x001/x234/067`.
        let t = Tile {
            level: Some(0),
            index: 1_234_067,
            width: 256,
        };
        assert_eq!(t.path(), "tile/0/x001/x234/067");
        let e = Tile {
            level: None,
            index: 0,
            width: 112,
        };
        assert_eq!(e.path(), "tile/entries/000.p/112");
        for p in [
            "tile/0/x001/x234/067",
            "tile/2/000.p/1",
            "tile/entries/x001/000",
            "tile/63/999",
        ] {
            assert_eq!(Tile::parse(p).unwrap().path(), p);
        }
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        for p in [
            "tile/0/1",
            "tile/00/000",
            "tile/0/001/000",
            "tile/0/x1/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/01",
            "tile/64/000",
            "tile/0/x000/001",
            "tile/entries/000.p/",
            "tile/0/000/",
            "tile//000",
            "tiles/0/000",
        ] {
            assert!(Tile::parse(p).is_err(), "{p}");
        }
    }

    #[test]
    fn a_tree_of_70000_has_the_tiles_the_spec_lists() {
        // "a tree of size 70,000 will be represented by 273 full level 0
        // tiles, one partial level 0 tile of width 112, one full level 1
        // tile, one partial level 1 tile of width 17, and one partial level
        // 2 tile of width 1."
        let fits = |t: Tile| t.needs_size().is_some_and(|n| n <= 70_000);
        let full0 = Tile {
            level: Some(0),
            index: 272,
            width: 256,
        };
        assert!(
            fits(full0)
                && !fits(Tile {
                    index: 273,
                    ..full0
                })
        );
        assert!(fits(Tile {
            level: Some(0),
            index: 273,
            width: 112
        }));
        assert!(!fits(Tile {
            level: Some(0),
            index: 273,
            width: 113
        }));
        assert!(fits(Tile {
            level: Some(1),
            index: 0,
            width: 256
        }));
        assert!(fits(Tile {
            level: Some(1),
            index: 1,
            width: 17
        }));
        assert!(!fits(Tile {
            level: Some(1),
            index: 1,
            width: 18
        }));
        assert!(fits(Tile {
            level: Some(2),
            index: 0,
            width: 1
        }));
        assert!(!fits(Tile {
            level: Some(2),
            index: 0,
            width: 2
        }));
    }

    #[test]
    fn tiles_between_lists_what_a_static_copy_needs() {
        // The spec's example: a tree of 70,000 from nothing.
        let all = tiles_between(0, 70_000, false);
        let at = |l: u8| {
            all.iter()
                .filter(|t| t.level == Some(l))
                .collect::<Vec<_>>()
        };
        assert_eq!(at(0).len(), 274);
        assert_eq!(at(0).iter().filter(|t| t.width == 256).count(), 273);
        assert_eq!(at(0).last().unwrap().width, 112);
        assert_eq!(
            at(1).iter().map(|t| t.width).collect::<Vec<_>>(),
            vec![256, 17]
        );
        assert_eq!(at(2).iter().map(|t| t.width).collect::<Vec<_>>(), vec![1]);
        assert_eq!(all.len(), 274 + 2 + 1);
        // Every tile fits the tree it is for.
        assert!(all.iter().all(|t| t.needs_size().unwrap() <= 70_000));
        // From 70,000 to 70,100: the level-0 partial grows, nothing else
        // changes (17 level-1 hashes, 1 level-2 hash still).
        let step = tiles_between(70_000, 70_100, true);
        assert_eq!(step.len(), 2);
        assert!(step.iter().all(|t| t.width == 212 && t.index == 273));
        // Across a tile boundary: the tile becomes full, a new partial.
        let cross = tiles_between(250, 260, false);
        assert_eq!(
            cross
                .iter()
                .map(|t| (t.level, t.index, t.width))
                .collect::<Vec<_>>(),
            vec![(Some(0), 0, 256), (Some(0), 1, 4), (Some(1), 0, 1)]
        );
        assert!(tiles_between(5, 5, true).is_empty());
    }

    #[test]
    fn bundles_round_trip_and_refuse_long_records() {
        let recs = vec![vec![1u8; 3], Vec::new(), vec![7u8; 300]];
        let b = encode_bundle(&recs).unwrap();
        let back: Vec<Vec<u8>> = decode_bundle(&b)
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(back, recs);
        assert!(decode_bundle(&b[..b.len() - 1]).is_none());
        assert_eq!(
            encode_bundle(&[vec![0; 10], vec![0; MAX_BUNDLE_ENTRY + 1]]),
            Err(1)
        );
    }
}
