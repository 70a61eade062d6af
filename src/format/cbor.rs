//! Deterministic CBOR: the only place bytes of the format are encoded or
//! decoded.
//!
//! Owns: the [`Value`] data model used by every other module (unsigned and
//! negative integers, byte strings, text strings, arrays, maps with text keys,
//! booleans), the deterministic encoding of RFC 8949 §4.2.1 ("core
//! deterministic encoding": definite lengths, shortest-form integers and
//! lengths, map keys sorted by their encoded bytes, no duplicates), and a
//! strict decoder that accepts only that encoding.
//!
//! The decoder works in two steps: a scan of the raw bytes that checks
//! every rule before allocating what it builds, naming the first one broken
//! (non-shortest head, indefinite length, tag, float, unsorted or duplicate
//! key, invalid UTF-8, depth, truncation, trailing bytes), and a re-encoding
//! of the value built, compared byte for byte with the input. `serde_cbor`
//! (unmaintained, RUSTSEC-2021-0127) is only a test oracle: the encoder and
//! the decoder are both held to it by differential property tests.

use std::collections::BTreeMap;

use thiserror::Error;

/// Largest encoded item the decoder accepts (1 MiB).
pub const MAX_ENCODED_LEN: usize = 1 << 20;
/// Deepest nesting of arrays and maps the decoder accepts.
pub const MAX_DEPTH: usize = 16;

/// An array of text strings, or `None` for anything else (rows and
/// records that keep lists of ids).
pub fn text_array(v: Value) -> Option<Vec<String>> {
    match v {
        Value::Array(a) => a
            .into_iter()
            .map(|v| match v {
                Value::Text(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A CBOR value in the subset the format uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is `-1 - n`.
    Nint(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5 with text keys; the map keeps keys unique.
    Map(BTreeMap<String, Value>),
    /// Simple values 20 and 21.
    Bool(bool),
}

/// Why bytes were refused by [`decode`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Input longer than [`MAX_ENCODED_LEN`].
    #[error("encoded item is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// Input ended inside an item.
    #[error("truncated CBOR at byte {offset}")]
    Truncated {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Bytes remain after the first complete item.
    #[error("{extra} trailing bytes after the CBOR item")]
    TrailingBytes {
        /// How many bytes are left over.
        extra: usize,
    },
    /// An integer or length was not written in its shortest form.
    #[error("non-shortest integer or length at byte {offset}")]
    NonShortest {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Indefinite-length strings, arrays or maps are not deterministic.
    #[error("indefinite-length item at byte {offset}")]
    Indefinite {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Tags (major type 6) are not part of the format.
    #[error("CBOR tag at byte {offset} is not allowed")]
    Tag {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Floats, null, undefined and other simple values are not allowed.
    #[error("float or simple value at byte {offset} is not allowed")]
    Simple {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Reserved additional-information values 28..30.
    #[error("malformed CBOR head at byte {offset}")]
    Malformed {
        /// Byte offset in the input.
        offset: usize,
    },
    /// A text string that is not UTF-8.
    #[error("invalid UTF-8 in text string at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset in the input.
        offset: usize,
    },
    /// A map key that is not a text string.
    #[error("map key at byte {offset} is not a text string")]
    NonTextKey {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Map keys out of deterministic order.
    #[error("map keys not in deterministic order at byte {offset}")]
    UnsortedKeys {
        /// Byte offset in the input.
        offset: usize,
    },
    /// The same key twice in one map.
    #[error("duplicate map key {key:?} at byte {offset}")]
    DuplicateKey {
        /// Byte offset in the input.
        offset: usize,
        /// The key, short form.
        key: String,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {max} levels")]
    TooDeep {
        /// The most allowed.
        max: usize,
    },
    /// The value did not re-encode to the same bytes (should be caught above).
    #[error("encoding is not deterministic CBOR")]
    NotCanonical,
}

impl DecodeError {
    /// True for failures that are about the encoding rules rather than
    /// about the bytes being unreadable.
    pub fn is_non_canonical(&self) -> bool {
        matches!(
            self,
            DecodeError::NonShortest { .. }
                | DecodeError::Indefinite { .. }
                | DecodeError::UnsortedKeys { .. }
                | DecodeError::DuplicateKey { .. }
                | DecodeError::NotCanonical
        )
    }
}

/// Deterministic encoding of `v` (RFC 8949 §4.2.1): shortest heads,
/// definite lengths, map keys in the bytewise order of their encodings.
/// Written directly (the writer signs every entry with it); the tests check
/// it byte for byte against serde_cbor's encoder.
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_into(v, &mut out);
    out
}

/// [`encode`], appended to `out` (a map written field by field, such as
/// an entry, puts a nested value in place with it).
pub fn encode_into(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Uint(n) => push_head(out, 0, *n),
        Value::Nint(n) => push_head(out, 1, *n),
        Value::Bytes(b) => {
            push_head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::Text(t) => {
            push_head(out, 3, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(a) => {
            push_head(out, 4, a.len() as u64);
            for x in a {
                encode_into(x, out);
            }
        }
        Value::Map(m) => {
            push_head(out, 5, m.len() as u64);
            // A text key encodes as head(3, len) || bytes, and heads grow
            // with len, so bytewise order of encodings is shorter first,
            // then bytewise (RFC 8949 §4.2.1).
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            for k in keys {
                push_head(out, 3, k.len() as u64);
                out.extend_from_slice(k.as_bytes());
                encode_into(&m[k], out);
            }
        }
        // Simple values 20 (false) and 21 (true), RFC 8949 §3.3.
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
    }
}

/// Append `t` as a text string (major type 3, shortest head): what
/// [`encode`] writes for `Value::Text(t)` and for a map key `t`.
pub fn push_text(out: &mut Vec<u8>, t: &str) {
    push_head(out, 3, t.len() as u64);
    out.extend_from_slice(t.as_bytes());
}

/// Append `n` as an unsigned integer (major type 0, shortest head).
pub fn push_uint(out: &mut Vec<u8>, n: u64) {
    push_head(out, 0, n);
}

/// Append the head of an array of `len` items (major type 4); the items
/// follow.
pub fn push_array_head(out: &mut Vec<u8>, len: usize) {
    push_head(out, 4, len as u64);
}

/// Append the head of a map of `len` pairs (major type 5); the pairs
/// follow, keys in the order [`encode`] would sort them.
pub fn push_map_head(out: &mut Vec<u8>, len: usize) {
    push_head(out, 5, len as u64);
}

/// Append `b` as a byte string (major type 2, shortest head): what
/// [`encode`] writes for `Value::Bytes(b)`, without building the value.
pub fn push_bytes(out: &mut Vec<u8>, b: &[u8]) {
    push_head(out, 2, b.len() as u64);
    out.extend_from_slice(b);
}

/// Append the shortest head of major type `major` with argument `n`
/// (RFC 8949 §3, §4.2.1).
fn push_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// The head of a data item of major type `major` (0..=7) with argument
/// `n`, in the shortest form (RFC 8949 §3 and §4.2.1). For writers that
/// stream an array or map whose items are encoded one by one.
pub fn encode_head(major: u8, n: u64) -> Vec<u8> {
    assert!(major < 8, "codec: major type {major} out of range");
    let mut out = Vec::with_capacity(9);
    push_head(&mut out, major, n);
    out
}

/// Strictly decode one deterministic CBOR item occupying all of `bytes`
/// (at most [`MAX_ENCODED_LEN`]).
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    decode_limit(bytes, MAX_ENCODED_LEN)
}

/// [`decode`] with another size limit (bundles carry many records).
pub fn decode_limit(bytes: &[u8], max: usize) -> Result<Value, DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max,
        });
    }
    let mut s = Scanner { b: bytes, pos: 0 };
    let v = s.item(0)?;
    if s.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            extra: bytes.len() - s.pos,
        });
    }
    // Decode, re-encode, compare (habit 5): whatever the scan built, only
    // the value whose one encoding is exactly these bytes is accepted.
    if encode(&v) != bytes {
        return Err(DecodeError::NotCanonical);
    }
    Ok(v)
}

/// How many argument bytes follow the initial byte `ib` of a head that
/// starts at `start` (RFC 8949 §3): 0 for an argument in the byte itself.
/// Indefinite lengths and reserved values are refused here.
pub(crate) fn arg_width(ib: u8, start: usize) -> Result<usize, DecodeError> {
    match ib & 0x1f {
        0..=23 => Ok(0),
        info @ 24..=27 => Ok(1 << (info - 24)),
        31 => Err(DecodeError::Indefinite { offset: start }),
        _ => Err(DecodeError::Malformed { offset: start }),
    }
}

/// The rules a whole head must meet once its argument is read, in this
/// order (SPEC §2): only `false`/`true` among simple values, no tags, the
/// shortest form (RFC 8949 §4.2.1). Shared by the in-memory scanner and
/// the streaming one (`cborstream`), so both name the same first breach.
pub(crate) fn judge_head(ib: u8, arg: u64, start: usize) -> Result<(u8, u64), DecodeError> {
    let (major, info) = (ib >> 5, ib & 0x1f);
    if major == 7 {
        // Only simple values 20 (false) and 21 (true), in one byte.
        return if info == 20 || info == 21 {
            Ok((7, arg))
        } else {
            Err(DecodeError::Simple { offset: start })
        };
    }
    if major == 6 {
        return Err(DecodeError::Tag { offset: start });
    }
    // Smallest value that needs this width.
    let min = match info {
        24 => 24,
        25 => 0x100,
        26 => 0x1_0000,
        27 => 0x1_0000_0000,
        _ => 0,
    };
    if arg < min {
        return Err(DecodeError::NonShortest { offset: start });
    }
    Ok((major, arg))
}

/// Structural scan of raw bytes: checks every deterministic-encoding rule
/// and bounds every length against the remaining input before anything is
/// allocated.
struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let v = *self
            .b
            .get(self.pos)
            .ok_or(DecodeError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(v)
    }

    /// Reads a head; returns (major type, argument).
    fn head(&mut self) -> Result<(u8, u64), DecodeError> {
        let start = self.pos;
        let ib = self.byte()?;
        let n = arg_width(ib, start)?;
        if self.b.len() - self.pos < n {
            return Err(DecodeError::Truncated { offset: self.pos });
        }
        let mut arg = u64::from(ib & 0x1f);
        if n > 0 {
            arg = 0;
            for &x in &self.b[self.pos..self.pos + n] {
                arg = (arg << 8) | u64::from(x);
            }
        }
        self.pos += n;
        judge_head(ib, arg, start)
    }

    fn take(&mut self, len: u64) -> Result<&[u8], DecodeError> {
        let remaining = (self.b.len() - self.pos) as u64;
        if len > remaining {
            return Err(DecodeError::Truncated {
                offset: self.b.len(),
            });
        }
        let s = &self.b[self.pos..self.pos + len as usize];
        self.pos += len as usize;
        Ok(s)
    }

    /// One item, checked and built: every rule is checked on the raw bytes
    /// before the value that holds them is allocated.
    fn item(&mut self, depth: usize) -> Result<Value, DecodeError> {
        let start = self.pos;
        let (major, arg) = self.head()?;
        match major {
            0 => Ok(Value::Uint(arg)),
            1 => Ok(Value::Nint(arg)),
            // judge_head let through only simple values 20 and 21.
            7 => Ok(Value::Bool(arg == 21)),
            2 => Ok(Value::Bytes(self.take(arg)?.to_vec())),
            3 => {
                let s = self.take(arg)?;
                let t = std::str::from_utf8(s)
                    .map_err(|_| DecodeError::InvalidUtf8 { offset: start })?;
                Ok(Value::Text(t.to_owned()))
            }
            4 => {
                if depth >= MAX_DEPTH {
                    return Err(DecodeError::TooDeep { max: MAX_DEPTH });
                }
                // Every element takes at least one byte.
                if arg > (self.b.len() - self.pos) as u64 {
                    return Err(DecodeError::Truncated {
                        offset: self.b.len(),
                    });
                }
                let mut a = Vec::with_capacity(arg as usize);
                for _ in 0..arg {
                    a.push(self.item(depth + 1)?);
                }
                Ok(Value::Array(a))
            }
            5 => self.map(depth, arg),
            _ => unreachable!("codec: head() returned major type {major}"),
        }
    }

    /// The entries of a map of `arg` pairs whose head was just read.
    fn map(&mut self, depth: usize, arg: u64) -> Result<Value, DecodeError> {
        if depth >= MAX_DEPTH {
            return Err(DecodeError::TooDeep { max: MAX_DEPTH });
        }
        if arg > (self.b.len() - self.pos) as u64 / 2 {
            return Err(DecodeError::Truncated {
                offset: self.b.len(),
            });
        }
        let mut m = BTreeMap::new();
        let mut prev: Option<(usize, usize)> = None;
        for _ in 0..arg {
            let kstart = self.pos;
            let (kmaj, klen) = self.head()?;
            if kmaj != 3 {
                return Err(DecodeError::NonTextKey { offset: kstart });
            }
            let ks = self.take(klen)?;
            let key = std::str::from_utf8(ks)
                .map_err(|_| DecodeError::InvalidUtf8 { offset: kstart })?
                .to_owned();
            let kend = self.pos;
            if let Some((ps, pe)) = prev {
                // RFC 8949 §4.2.1: keys sorted bytewise by encoding.
                match self.b[ps..pe].cmp(&self.b[kstart..kend]) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => {
                        return Err(DecodeError::DuplicateKey {
                            offset: kstart,
                            key,
                        })
                    }
                    std::cmp::Ordering::Greater => {
                        return Err(DecodeError::UnsortedKeys { offset: kstart })
                    }
                }
            }
            prev = Some((kstart, kend));
            let v = self.item(depth + 1)?;
            m.insert(key, v);
        }
        Ok(Value::Map(m))
    }
}

/// Typed access to a decoded map, reporting the first schema violation.
///
/// Used by `entry` and other modules to turn a [`Value::Map`] into a struct:
/// every key must be consumed, unknown keys are an error.
pub struct MapReader {
    what: &'static str,
    m: BTreeMap<String, Value>,
}

/// A schema violation found while reading a decoded value.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The value was not the expected CBOR type.
    #[error("{what}: expected {expected}")]
    WrongType {
        /// What was being read.
        what: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A required key is absent.
    #[error("{what}: missing key {key:?}")]
    Missing {
        /// What was being read.
        what: &'static str,
        /// The key, short form.
        key: String,
    },
    /// A key the schema does not define.
    #[error("{what}: unknown key {key:?}")]
    Unknown {
        /// What was being read.
        what: &'static str,
        /// The key, short form.
        key: String,
    },
    /// A value is out of its allowed range or format.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being read.
        what: String,
        /// Why.
        reason: String,
    },
}

impl MapReader {
    /// Start reading `v`, which must be a map.
    pub fn new(what: &'static str, v: Value) -> Result<Self, SchemaError> {
        match v {
            Value::Map(m) => Ok(MapReader { what, m }),
            _ => Err(SchemaError::WrongType {
                what: what.to_owned(),
                expected: "a map",
            }),
        }
    }

    fn missing(&self, key: &str) -> SchemaError {
        SchemaError::Missing {
            what: self.what,
            key: key.to_owned(),
        }
    }

    fn wrong(&self, key: &str, expected: &'static str) -> SchemaError {
        SchemaError::WrongType {
            what: format!("{}.{}", self.what, key),
            expected,
        }
    }

    /// Take an optional raw value.
    pub fn opt(&mut self, key: &str) -> Option<Value> {
        self.m.remove(key)
    }

    /// Take a required raw value.
    pub fn req(&mut self, key: &str) -> Result<Value, SchemaError> {
        self.m.remove(key).ok_or_else(|| self.missing(key))
    }

    /// Take a required unsigned integer.
    pub fn uint(&mut self, key: &str) -> Result<u64, SchemaError> {
        match self.req(key)? {
            Value::Uint(n) => Ok(n),
            _ => Err(self.wrong(key, "an unsigned integer")),
        }
    }

    /// Take a required text string.
    pub fn text(&mut self, key: &str) -> Result<String, SchemaError> {
        match self.req(key)? {
            Value::Text(t) => Ok(t),
            _ => Err(self.wrong(key, "a text string")),
        }
    }

    /// Take a required non-empty text string of at most `max` bytes.
    pub fn text_nonempty(&mut self, key: &str, max: usize) -> Result<String, SchemaError> {
        let t = self.text(key)?;
        if t.trim().is_empty() || t.len() > max {
            return Err(SchemaError::Invalid {
                what: format!("{}.{}", self.what, key),
                reason: format!("must be non-empty text of at most {max} bytes"),
            });
        }
        Ok(t)
    }

    /// Take a required byte string.
    pub fn bytes(&mut self, key: &str) -> Result<Vec<u8>, SchemaError> {
        match self.req(key)? {
            Value::Bytes(b) => Ok(b),
            _ => Err(self.wrong(key, "a byte string")),
        }
    }

    /// Take a required byte string of exactly `N` bytes.
    pub fn fixed<const N: usize>(&mut self, key: &str) -> Result<[u8; N], SchemaError> {
        let b = self.bytes(key)?;
        <[u8; N]>::try_from(b.as_slice()).map_err(|_| SchemaError::Invalid {
            what: format!("{}.{}", self.what, key),
            reason: format!("must be exactly {N} bytes, got {}", b.len()),
        })
    }

    /// Take an optional non-empty text string of at most `max` bytes.
    pub fn opt_text(&mut self, key: &str, max: usize) -> Result<Option<String>, SchemaError> {
        if !self.m.contains_key(key) {
            return Ok(None);
        }
        self.text_nonempty(key, max).map(Some)
    }

    /// Take an optional unsigned integer.
    pub fn opt_uint(&mut self, key: &str) -> Result<Option<u64>, SchemaError> {
        if !self.m.contains_key(key) {
            return Ok(None);
        }
        self.uint(key).map(Some)
    }

    /// Take a required boolean.
    pub fn bool(&mut self, key: &str) -> Result<bool, SchemaError> {
        match self.req(key)? {
            Value::Bool(b) => Ok(b),
            _ => Err(self.wrong(key, "a boolean")),
        }
    }

    /// Take an optional boolean.
    pub fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, SchemaError> {
        if !self.m.contains_key(key) {
            return Ok(None);
        }
        self.bool(key).map(Some)
    }

    /// Take an optional byte string of exactly `N` bytes.
    pub fn opt_fixed<const N: usize>(&mut self, key: &str) -> Result<Option<[u8; N]>, SchemaError> {
        if !self.m.contains_key(key) {
            return Ok(None);
        }
        self.fixed::<N>(key).map(Some)
    }

    /// Take an optional non-empty array (absent: empty vector). An empty
    /// array is refused: the key is omitted instead (one encoding only).
    pub fn opt_array(&mut self, key: &str, max: usize) -> Result<Vec<Value>, SchemaError> {
        match self.m.remove(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) if !a.is_empty() && a.len() <= max => Ok(a),
            Some(_) => Err(SchemaError::Invalid {
                what: format!("{}.{}", self.what, key),
                reason: format!("must be a non-empty array of at most {max} items, or absent"),
            }),
        }
    }

    /// Take an optional non-empty map (absent: None).
    pub fn opt_map(&mut self, key: &str) -> Result<Option<Value>, SchemaError> {
        match self.m.remove(key) {
            None => Ok(None),
            Some(v @ Value::Map(_)) => Ok(Some(v)),
            Some(_) => Err(self.wrong(key, "a map")),
        }
    }

    /// Finish: any key left over is unknown to the schema.
    pub fn finish(self) -> Result<(), SchemaError> {
        match self.m.into_keys().next() {
            None => Ok(()),
            Some(key) => Err(SchemaError::Unknown {
                what: self.what,
                key,
            }),
        }
    }
}

/// Builds a [`Value::Map`] with text keys.
#[derive(Default)]
pub struct MapBuilder(BTreeMap<String, Value>);

impl MapBuilder {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add a key.
    pub fn put(mut self, k: &str, v: Value) -> Self {
        let old = self.0.insert(k.to_owned(), v);
        assert!(old.is_none(), "codec: key {k:?} put twice");
        self
    }
    /// Add a text value.
    pub fn text(self, k: &str, v: &str) -> Self {
        self.put(k, Value::Text(v.to_owned()))
    }
    /// Add a byte-string value.
    pub fn bytes(self, k: &str, v: &[u8]) -> Self {
        self.put(k, Value::Bytes(v.to_vec()))
    }
    /// Add a text value when present.
    pub fn opt_text(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(t) => self.text(k, t),
            None => self,
        }
    }
    /// Add a boolean when present.
    pub fn opt_bool(self, k: &str, v: Option<bool>) -> Self {
        match v {
            Some(b) => self.put(k, Value::Bool(b)),
            None => self,
        }
    }
    /// Add an array when non-empty (an empty one is omitted).
    pub fn opt_array(self, k: &str, v: Vec<Value>) -> Self {
        if v.is_empty() {
            self
        } else {
            self.put(k, Value::Array(v))
        }
    }
    /// Add an unsigned integer.
    pub fn uint(self, k: &str, v: u64) -> Self {
        self.put(k, Value::Uint(v))
    }
    /// The finished map.
    pub fn build(self) -> Value {
        Value::Map(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(test)]
    fn to_serde(v: &Value) -> serde_cbor::Value {
        use serde_cbor::Value as S;
        match v {
            Value::Uint(n) => S::Integer(i128::from(*n)),
            Value::Nint(n) => S::Integer(-1 - i128::from(*n)),
            Value::Bytes(b) => S::Bytes(b.clone()),
            Value::Text(t) => S::Text(t.clone()),
            Value::Array(a) => S::Array(a.iter().map(to_serde).collect()),
            // serde_cbor's Value ordering is "shorter first, then bytewise",
            // which for text keys equals RFC 8949 §4.2.1 bytewise order of the
            // encoded keys.
            Value::Map(m) => S::Map(
                m.iter()
                    .map(|(k, v)| (S::Text(k.clone()), to_serde(v)))
                    .collect(),
            ),
            Value::Bool(b) => S::Bool(*b),
        }
    }

    fn from_serde(v: serde_cbor::Value) -> Result<Value, DecodeError> {
        use serde_cbor::Value as S;
        Ok(match v {
            S::Integer(i) if i >= 0 => {
                Value::Uint(u64::try_from(i).map_err(|_| DecodeError::NotCanonical)?)
            }
            S::Integer(i) => {
                Value::Nint(u64::try_from(-1 - i).map_err(|_| DecodeError::NotCanonical)?)
            }
            S::Bytes(b) => Value::Bytes(b),
            S::Text(t) => Value::Text(t),
            S::Array(a) => Value::Array(a.into_iter().map(from_serde).collect::<Result<_, _>>()?),
            S::Map(m) => {
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    let S::Text(k) = k else {
                        return Err(DecodeError::NonTextKey { offset: 0 });
                    };
                    out.insert(k, from_serde(v)?);
                }
                Value::Map(out)
            }
            S::Bool(b) => Value::Bool(b),
            _ => return Err(DecodeError::Simple { offset: 0 }),
        })
    }

    fn m(pairs: &[(&str, Value)]) -> Value {
        let mut b = MapBuilder::new();
        for (k, v) in pairs {
            b = b.put(k, v.clone());
        }
        b.build()
    }

    #[test]
    fn rfc8949_known_encodings() {
        // RFC 8949 Appendix A examples within our subset.
        let cases: &[(Value, &str)] = &[
            (Value::Uint(0), "00"),
            (Value::Uint(23), "17"),
            (Value::Uint(24), "1818"),
            (Value::Uint(1000), "1903e8"),
            (Value::Uint(1_000_000), "1a000f4240"),
            (Value::Uint(1_000_000_000_000), "1b000000e8d4a51000"),
            (Value::Uint(u64::MAX), "1bffffffffffffffff"),
            (Value::Nint(0), "20"),
            (Value::Nint(999), "3903e7"),
            (Value::Bool(false), "f4"),
            (Value::Bool(true), "f5"),
            (Value::Bytes(vec![1, 2, 3, 4]), "4401020304"),
            (Value::Text("IETF".into()), "6449455446"),
            (Value::Text("\u{00fc}".into()), "62c3bc"),
            (
                Value::Array(vec![Value::Uint(1), Value::Uint(2), Value::Uint(3)]),
                "83010203",
            ),
        ];
        for (v, hexs) in cases {
            let enc = encode(v);
            assert_eq!(hex::encode(&enc), *hexs, "{v:?}");
            assert_eq!(&decode(&enc).unwrap(), v);
        }
    }

    #[test]
    fn encoder_matches_serde_cbor() {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<u64>().prop_map(Value::Uint),
            any::<u64>().prop_map(Value::Nint),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
            ".{0,30}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
        ];
        let tree = leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,26}", inner, 0..8).prop_map(Value::Map),
            ]
        });
        proptest!(ProptestConfig::with_cases(2000), |(v in tree)| {
            let reference = serde_cbor::to_vec(&to_serde(&v)).unwrap();
            prop_assert_eq!(&encode(&v), &reference);
            // The decoder builds what serde_cbor parses from the same bytes.
            let parsed = from_serde(serde_cbor::from_slice(&reference).unwrap()).unwrap();
            prop_assert_eq!(&parsed, &v);
            prop_assert_eq!(decode(&reference).unwrap(), parsed);
        });
    }

    #[test]
    fn heads_match_whole_item_encodings() {
        for n in [
            0u64,
            1,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64,
            1 << 32,
            u64::MAX,
        ] {
            assert_eq!(encode_head(0, n), encode(&Value::Uint(n)), "{n}");
        }
        for n in [0usize, 23, 24, 300, 70000] {
            let a = encode(&Value::Array(vec![Value::Uint(0); n]));
            assert_eq!(encode_head(4, n as u64), a[..a.len() - n], "{n}");
        }
    }

    #[test]
    fn map_keys_sorted_length_first() {
        let v = m(&[
            ("bb", Value::Uint(1)),
            ("a", Value::Uint(2)),
            ("c", Value::Uint(3)),
        ]);
        // a, c (length 1) before bb (length 2).
        assert_eq!(hex::encode(encode(&v)), "a361610261630362626201");
    }

    #[test]
    fn rejects_each_non_deterministic_form() {
        type Check = fn(&DecodeError) -> bool;
        let bad: &[(&str, Check)] = &[
            ("1817", |e| matches!(e, DecodeError::NonShortest { .. })), // 23 in two bytes
            ("190017", |e| matches!(e, DecodeError::NonShortest { .. })),
            ("5f4101ff", |e| matches!(e, DecodeError::Indefinite { .. })),
            ("9f01ff", |e| matches!(e, DecodeError::Indefinite { .. })),
            ("bf616101ff", |e| {
                matches!(e, DecodeError::Indefinite { .. })
            }),
            ("a2616201616101", |e| {
                matches!(e, DecodeError::UnsortedKeys { .. })
            }),
            ("a2616101616102", |e| {
                matches!(e, DecodeError::DuplicateKey { .. })
            }),
            ("0000", |e| {
                matches!(e, DecodeError::TrailingBytes { extra: 1 })
            }),
            ("c11a514b67b0", |e| matches!(e, DecodeError::Tag { .. })),
            ("f93c00", |e| matches!(e, DecodeError::Simple { .. })),
            ("f6", |e| matches!(e, DecodeError::Simple { .. })),
            ("62c328", |e| matches!(e, DecodeError::InvalidUtf8 { .. })),
            ("a10101", |e| matches!(e, DecodeError::NonTextKey { .. })),
            ("5b8000000000000000", |e| {
                matches!(e, DecodeError::Truncated { .. })
            }),
            ("9b8000000000000000", |e| {
                matches!(e, DecodeError::Truncated { .. })
            }),
            ("1c", |e| matches!(e, DecodeError::Malformed { .. })),
            ("", |e| matches!(e, DecodeError::Truncated { .. })),
        ];
        for (hexs, want) in bad {
            let b = hex::decode(hexs).unwrap();
            let e = decode(&b).expect_err(hexs);
            assert!(want(&e), "{hexs}: got {e:?}");
        }
    }

    #[test]
    fn rejects_deep_nesting_without_recursing_far() {
        let b = vec![0x81u8; 100_000];
        assert_eq!(decode(&b), Err(DecodeError::TooDeep { max: MAX_DEPTH }));
        let m: Vec<u8> = [0xa1u8, 0x61, 0x61].repeat(100_000);
        assert_eq!(decode(&m), Err(DecodeError::TooDeep { max: MAX_DEPTH }));
        // A map claiming 2^64-1 pairs with no data: truncated, no allocation.
        let b = hex::decode("bbffffffffffffffff").unwrap();
        assert!(matches!(decode(&b), Err(DecodeError::Truncated { .. })));
    }

    #[test]
    fn rejects_oversized() {
        let b = vec![0u8; MAX_ENCODED_LEN + 1];
        assert!(matches!(decode(&b), Err(DecodeError::TooLarge { .. })));
    }

    #[test]
    fn map_reader_reports_unknown_and_missing() {
        let v = m(&[("a", Value::Uint(1)), ("zz", Value::Uint(2))]);
        let mut r = MapReader::new("t", v.clone()).unwrap();
        assert_eq!(r.uint("a").unwrap(), 1);
        assert!(matches!(r.finish(), Err(SchemaError::Unknown { .. })));
        let mut r = MapReader::new("t", v).unwrap();
        assert!(matches!(r.uint("b"), Err(SchemaError::Missing { .. })));
    }
}
