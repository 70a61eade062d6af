//! Deterministic CBOR (SPEC §2) checked from a seekable reader, for items
//! too large to hold: bundles of up to 1 GiB.
//!
//! Owns: [`CborStream`], which applies exactly the rules of the in-memory
//! scanner in `codec` (same first breach, same [`DecodeError`]) while
//! reading through a small buffer, and the bounded reads a bundle verifier
//! needs (a head, a byte string of known size, a skipped item). Memory does
//! not grow with the input: nothing is allocated for an item's contents
//! except map keys (to check their order) and what a caller asks to read.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::format::cbor::{DecodeError, MAX_DEPTH};

/// Map keys up to this size are compared in memory; longer ones are
/// compared by reading both back (a hostile key may be gigabytes).
const KEY_IN_MEMORY: u64 = 4096;
/// Chunk for UTF-8 checks and comparisons.
const CHUNK: usize = 64 * 1024;

/// Why a streamed item was refused.
#[derive(Debug)]
pub enum StreamError {
    /// The bytes break SPEC §2.
    Decode(DecodeError),
    /// The reader failed.
    Io(io::Error),
}

impl From<io::Error> for StreamError {
    fn from(e: io::Error) -> StreamError {
        StreamError::Io(e)
    }
}

impl From<DecodeError> for StreamError {
    fn from(e: DecodeError) -> StreamError {
        StreamError::Decode(e)
    }
}

/// A reader of deterministic CBOR with a position and a known length.
pub struct CborStream<R> {
    r: BufReader<R>,
    pos: u64,
    len: u64,
}

/// Where a map key's encoding lies, and its bytes when it is short.
pub struct MapKey {
    start: u64,
    text_start: u64,
    end: u64,
    bytes: Option<Vec<u8>>,
}

impl MapKey {
    /// The key's text, when it was short enough to keep.
    pub fn text(&self) -> Option<&str> {
        let b = self.bytes.as_deref()?;
        std::str::from_utf8(&b[(self.text_start - self.start) as usize..]).ok()
    }
}

impl<R: Read + Seek> CborStream<R> {
    /// Wrap `r`, whose whole length is the input.
    pub fn new(mut r: R) -> io::Result<CborStream<R>> {
        let len = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(0))?;
        Ok(CborStream {
            r: BufReader::with_capacity(CHUNK, r),
            pos: 0,
            len,
        })
    }

    /// Input length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for empty input.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Current position.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Move to `pos` (relative to here, so the buffer is kept when it
    /// already holds `pos`).
    pub fn seek(&mut self, pos: u64) -> io::Result<()> {
        let delta = pos as i128 - self.pos as i128;
        match i64::try_from(delta) {
            Ok(d) => self.r.seek_relative(d)?,
            Err(_) => {
                self.r.seek(SeekFrom::Start(pos))?;
            }
        }
        self.pos = pos;
        Ok(())
    }

    fn remaining(&self) -> u64 {
        self.len - self.pos
    }

    fn byte(&mut self) -> Result<u8, StreamError> {
        if self.pos >= self.len {
            return Err(DecodeError::Truncated {
                offset: self.pos as usize,
            }
            .into());
        }
        let mut b = [0u8; 1];
        self.r.read_exact(&mut b)?;
        self.pos += 1;
        Ok(b[0])
    }

    /// A head: (major type, argument), the rules of `codec`'s scanner in
    /// its order: argument bytes, then simple values, tags, shortest form.
    pub fn head(&mut self) -> Result<(u8, u64), StreamError> {
        let start = self.pos as usize;
        let ib = self.byte()?;
        let n = crate::format::cbor::arg_width(ib, start)? as u64;
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                offset: self.pos as usize,
            }
            .into());
        }
        let mut arg = u64::from(ib & 0x1f);
        if n > 0 {
            arg = 0;
            for _ in 0..n {
                arg = (arg << 8) | u64::from(self.byte()?);
            }
        }
        Ok(crate::format::cbor::judge_head(ib, arg, start)?)
    }

    /// Skip `n` bytes (refused if fewer remain).
    pub fn skip(&mut self, n: u64) -> Result<(), StreamError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.len as usize,
            }
            .into());
        }
        // Relative, so a skip inside the buffer keeps it (an absolute seek
        // would drop it and read again for every small item).
        self.r.seek_relative(n as i64)?;
        self.pos += n;
        Ok(())
    }

    /// Read `n` bytes into memory (the caller bounds `n`).
    pub fn read_vec(&mut self, n: u64) -> Result<Vec<u8>, StreamError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.len as usize,
            }
            .into());
        }
        let mut v = vec![0u8; n as usize];
        self.r.read_exact(&mut v)?;
        self.pos += n;
        Ok(v)
    }

    /// A reader of the next `n` bytes (the caller then accounts for them
    /// with [`CborStream::advanced`]).
    pub fn take(&mut self, n: u64) -> Result<io::Take<&mut BufReader<R>>, StreamError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.len as usize,
            }
            .into());
        }
        Ok((&mut self.r).take(n))
    }

    /// Record that `n` bytes were consumed through [`CborStream::take`].
    pub fn advanced(&mut self, n: u64) {
        self.pos += n;
    }

    /// Check a text string of `n` bytes is UTF-8, in chunks.
    fn utf8(&mut self, n: u64, start: usize) -> Result<(), StreamError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated {
                offset: self.len as usize,
            }
            .into());
        }
        let bad = || StreamError::Decode(DecodeError::InvalidUtf8 { offset: start });
        let mut left = n;
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4);
        while left > 0 {
            let carried = buf.len();
            let k = left.min(CHUNK as u64) as usize;
            buf.resize(carried + k, 0);
            self.r.read_exact(&mut buf[carried..])?;
            self.pos += k as u64;
            left -= k as u64;
            match std::str::from_utf8(&buf) {
                Ok(_) => buf.clear(),
                // Cut inside a character: carry its first bytes over.
                Err(e) if e.error_len().is_none() && left > 0 => {
                    let keep = buf.split_off(e.valid_up_to());
                    buf = keep;
                }
                Err(_) => return Err(bad()),
            }
        }
        Ok(())
    }

    /// Check one whole item from here (SPEC §2), reading past it.
    pub fn item(&mut self, depth: usize) -> Result<(), StreamError> {
        let start = self.pos as usize;
        let (major, arg) = self.head()?;
        match major {
            0 | 1 | 7 => Ok(()),
            2 => self.skip(arg),
            3 => self.utf8(arg, start),
            4 => {
                if depth >= MAX_DEPTH {
                    return Err(DecodeError::TooDeep { max: MAX_DEPTH }.into());
                }
                // Every element takes at least one byte.
                if arg > self.remaining() {
                    return Err(DecodeError::Truncated {
                        offset: self.len as usize,
                    }
                    .into());
                }
                for _ in 0..arg {
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            5 => {
                if depth >= MAX_DEPTH {
                    return Err(DecodeError::TooDeep { max: MAX_DEPTH }.into());
                }
                if arg > self.remaining() / 2 {
                    return Err(DecodeError::Truncated {
                        offset: self.len as usize,
                    }
                    .into());
                }
                let mut prev: Option<MapKey> = None;
                for _ in 0..arg {
                    prev = Some(self.map_key(prev.as_ref())?);
                    self.item(depth + 1)?;
                }
                Ok(())
            }
            _ => unreachable!("cborstream: head() returned major type {major}"),
        }
    }

    /// Check the size of a map of `n` pairs against what remains (every
    /// pair takes at least two bytes).
    pub fn map_fits(&self, n: u64) -> Result<(), StreamError> {
        if n > self.remaining() / 2 {
            return Err(DecodeError::Truncated {
                offset: self.len as usize,
            }
            .into());
        }
        Ok(())
    }

    /// The next map key, checked (a text string, after `prev` in the
    /// order of RFC 8949 §4.2.1, not equal to it).
    pub fn map_key(&mut self, prev: Option<&MapKey>) -> Result<MapKey, StreamError> {
        let key = self.key()?;
        if let Some(p) = prev {
            match self.compare(p, &key)? {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => {
                    let shown = key.text().unwrap_or_default().to_owned();
                    return Err(DecodeError::DuplicateKey {
                        offset: key.start as usize,
                        key: shown,
                    }
                    .into());
                }
                std::cmp::Ordering::Greater => {
                    return Err(DecodeError::UnsortedKeys {
                        offset: key.start as usize,
                    }
                    .into())
                }
            }
        }
        Ok(key)
    }

    /// A map key: a text string, checked; its bytes kept when short.
    fn key(&mut self) -> Result<MapKey, StreamError> {
        let start = self.pos;
        let (kmaj, klen) = self.head()?;
        if kmaj != 3 {
            return Err(DecodeError::NonTextKey {
                offset: start as usize,
            }
            .into());
        }
        let text_at = self.pos;
        self.utf8(klen, start as usize)?;
        let end = self.pos;
        let bytes = if end - start <= KEY_IN_MEMORY {
            self.seek(start)?;
            let b = self.read_vec(end - start)?;
            Some(b)
        } else {
            None
        };
        Ok(MapKey {
            start,
            text_start: text_at,
            end,
            bytes,
        })
    }

    /// Bytewise order of two key encodings (RFC 8949 §4.2.1), reading long
    /// ones back in chunks. Leaves the position where it was.
    fn compare(&mut self, a: &MapKey, b: &MapKey) -> Result<std::cmp::Ordering, StreamError> {
        if let (Some(x), Some(y)) = (&a.bytes, &b.bytes) {
            return Ok(x.as_slice().cmp(y.as_slice()));
        }
        self.compare_ranges((a.start, a.end), (b.start, b.end))
    }

    /// Bytewise order of the input's bytes `a.0..a.1` and `b.0..b.1`, read
    /// back in chunks. Leaves the position where it was.
    pub fn compare_ranges(
        &mut self,
        a: (u64, u64),
        b: (u64, u64),
    ) -> Result<std::cmp::Ordering, StreamError> {
        let (a, b) = (
            MapKey {
                start: a.0,
                text_start: a.0,
                end: a.1,
                bytes: None,
            },
            MapKey {
                start: b.0,
                text_start: b.0,
                end: b.1,
                bytes: None,
            },
        );
        let back = self.pos;
        let (la, lb) = (a.end - a.start, b.end - b.start);
        let mut off = 0u64;
        let result = loop {
            let k = la.min(lb).saturating_sub(off).min(CHUNK as u64);
            if k == 0 {
                break la.cmp(&lb);
            }
            self.seek(a.start + off)?;
            let x = self.read_vec(k)?;
            self.seek(b.start + off)?;
            let y = self.read_vec(k)?;
            match x.cmp(&y) {
                std::cmp::Ordering::Equal => off += k,
                o => break o,
            }
        };
        self.seek(back)?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_check(b: &[u8]) -> Result<(), DecodeError> {
        let mut s = CborStream::new(std::io::Cursor::new(b.to_vec())).unwrap();
        match s.item(0) {
            Ok(()) if s.pos() == s.len() => Ok(()),
            Ok(()) => Err(DecodeError::TrailingBytes {
                extra: (s.len() - s.pos()) as usize,
            }),
            Err(StreamError::Decode(e)) => Err(e),
            Err(StreamError::Io(e)) => panic!("io on memory: {e}"),
        }
    }

    /// The streamed check gives the in-memory decoder's verdict and the same
    /// kind of breach (DECODE or NON_CANONICAL), on fixed and random input.
    #[test]
    fn agrees_with_the_in_memory_decoder() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let seeds: Vec<Vec<u8>> = vec![
            hex::decode("a2616101616202").unwrap(),
            hex::decode("a2616201616101").unwrap(),
            hex::decode("a2616101616102").unwrap(),
            hex::decode("830102").unwrap(),
            hex::decode("1801").unwrap(),
            hex::decode("9f").unwrap(),
            hex::decode("c0").unwrap(),
            hex::decode("62c328").unwrap(),
            hex::decode("f818").unwrap(),
        ];
        let mut inputs = seeds.clone();
        for _ in 0..20_000 {
            let n = (next() % 12) as usize;
            let mut v: Vec<u8> = (0..n).map(|_| next() as u8).collect();
            if next() % 3 == 0 {
                let s = &seeds[(next() % seeds.len() as u64) as usize];
                v.splice(0..0, s.iter().copied());
            }
            inputs.push(v);
        }
        for b in inputs {
            let mem = crate::format::cbor::decode(&b).map(|_| ());
            let st = stream_check(&b);
            assert_eq!(
                mem.is_ok(),
                st.is_ok(),
                "{} {mem:?} {st:?}",
                hex::encode(&b)
            );
            if let (Err(m), Err(s)) = (&mem, &st) {
                assert_eq!(
                    m.is_non_canonical(),
                    s.is_non_canonical(),
                    "{} {m:?} {s:?}",
                    hex::encode(&b)
                );
            }
        }
    }
}
