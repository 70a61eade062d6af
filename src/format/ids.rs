//! The identifiers every layer names: ledger identity, positions, member
//! keys, recorded time and roles (SPEC §3, §6). A leaf module: it imports
//! nothing from the crate, so every other module may use it.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};

/// A ledger's random 16-byte identity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LedgerId(pub [u8; 16]);

impl LedgerId {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Parse exactly 32 lowercase hex digits.
    pub fn from_hex(s: &str) -> Option<LedgerId> {
        if s.len() != 32 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut k = [0u8; 16];
        hex::decode_to_slice(s, &mut k).ok()?;
        Some(LedgerId(k))
    }
}
impl fmt::Display for LedgerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for LedgerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LedgerId({})", self.to_hex())
    }
}

/// A position in the ledger (genesis is 0). Also the Merkle leaf index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Seq(pub u64);

impl Seq {
    /// The 8-byte big-endian storage key.
    pub fn key(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}
impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An Ed25519 public key of a member, as 32 raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberKey(pub [u8; 32]);

impl MemberKey {
    /// Lowercase hex, the form the CLI and JSON use.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Short form for messages: first 8 bytes of hex.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..8])
    }
    /// The OpenSSH fingerprint `SHA256:...` (unpadded base64 of SHA-256
    /// over the key's wire form, `string "ssh-ed25519" || string key`,
    /// RFC 4253 §6.6 and RFC 8709): the form `caselog member list` and
    /// `ssh-keygen -l` show, so messages name a key the same way.
    pub fn fingerprint(&self) -> String {
        use base64::Engine as _;
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(11u32.to_be_bytes());
        h.update(b"ssh-ed25519");
        h.update(32u32.to_be_bytes());
        h.update(self.0);
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.finalize());
        format!("SHA256:{b64}")
    }
    /// Parse exactly 64 lowercase hex digits (the form [`Self::to_hex`] writes).
    pub fn from_hex(s: &str) -> Option<MemberKey> {
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut k = [0u8; 32];
        hex::decode_to_slice(s, &mut k).ok()?;
        Some(MemberKey(k))
    }
}
impl fmt::Display for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberKey({})", self.to_hex())
    }
}

/// Recorded time: UTC with microseconds, written exactly as
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 3339 profile, SPEC §3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Timestamp(DateTime<Utc>);

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl Timestamp {
    /// The current system time, truncated to microseconds.
    pub fn now() -> Timestamp {
        let now = Utc::now();
        Timestamp::from_micros(now.timestamp_micros()).expect("entry: system time out of range")
    }
    /// From microseconds since the Unix epoch.
    pub fn from_micros(us: i64) -> Option<Timestamp> {
        DateTime::from_timestamp_micros(us).map(Timestamp)
    }
    /// Microseconds since the Unix epoch.
    pub fn micros(&self) -> i64 {
        self.0.timestamp_micros()
    }
    /// This time with its fraction of a second dropped (what a time of
    /// whole seconds, such as an RFC 3161 `genTime`, can be compared with).
    pub fn whole_second(&self) -> Timestamp {
        let us = self.micros();
        Timestamp::from_micros(us - us.rem_euclid(1_000_000))
            .expect("ids: a whole second of a valid time is valid")
    }
    /// Parse the exact format; anything else (other offsets, fewer digits,
    /// leap seconds, years outside 0000..9999) is refused.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let naive = Self::fields(s)?;
        // chrono represents a leap second as nanosecond >= 1e9; refuse it.
        if chrono::Timelike::nanosecond(&naive) >= 1_000_000_000 {
            return None;
        }
        let t = Timestamp(naive.and_utc());
        // Canonical only: the one spelling Display gives this time (the
        // fields above always fit the fast spelling, or they are refused).
        (t.text().is_some_and(|b| b == s.as_bytes())).then_some(t)
    }

    /// `TIME_FORMAT` written digit by digit into a fixed buffer (chrono's
    /// strftime interpreter, then `write!`, cost ~3 % of a batch append);
    /// `None` for what this spelling cannot show (years outside
    /// 0000..=9999, leap seconds), which Display leaves to chrono. A unit
    /// test holds the two to the same output.
    fn text(&self) -> Option<[u8; 27]> {
        use chrono::{Datelike as _, Timelike as _};
        let d = &self.0;
        let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
        if d.nanosecond() >= 1_000_000_000 {
            return None;
        }
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |to: usize, mut n: u32| {
            for c in b[..to].iter_mut().rev() {
                if n == 0 {
                    break;
                }
                *c = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(4, year);
        put(7, d.month());
        put(10, d.day());
        put(13, d.hour());
        put(16, d.minute());
        put(19, d.second());
        put(26, d.nanosecond() / 1000);
        Some(b)
    }

    /// The fields of `YYYY-MM-DDTHH:MM:SS.ffffffZ` read at their fixed
    /// places (chrono's format interpreter cost ~3 % of decoding an entry);
    /// `parse` still compares the result's spelling with `s`.
    fn fields(s: &str) -> Option<NaiveDateTime> {
        let b = s.as_bytes();
        if b.len() != 27 {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<u32> {
            b[from..to].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let seps = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (26, b'Z'),
        ];
        if seps.iter().any(|&(i, c)| b[i] != c) {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?
            .and_hms_micro_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 26)?)
    }
}
impl fmt::Display for Timestamp {
    /// `TIME_FORMAT`, written from the fields directly (chrono's strftime
    /// interpreter cost 3 % of a batch append); chrono formats the cases
    /// the fast path would spell differently (years outside 0..=9999, leap
    /// seconds). A unit test holds the two to the same output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(b) => f.write_str(std::str::from_utf8(&b).expect("ids: the time is ASCII")),
            None => write!(f, "{}", self.0.format(TIME_FORMAT)),
        }
    }
}

/// Member roles (SPEC §6).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Role {
    /// Runs the ledger: opens it, enrolls and revokes members.
    Authority,
    /// Records investigative facts.
    Investigator,
    /// Holds evidence.
    Custodian,
    /// Legal counsel.
    Counsel,
    /// Someone outside the team (e.g. a lab) who signs receipts.
    External,
}

impl Role {
    /// All roles in registry order.
    pub const ALL: [Role; 5] = [
        Role::Authority,
        Role::Investigator,
        Role::Custodian,
        Role::Counsel,
        Role::External,
    ];
    /// The name used in bodies and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Authority => "authority",
            Role::Investigator => "investigator",
            Role::Custodian => "custodian",
            Role::Counsel => "counsel",
            Role::External => "external",
        }
    }
    /// Parse a role name.
    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An item id: 1-64 characters from `A-Z a-z 0-9 . _ -`, starting with a
/// letter or digit (e.g. `EV-0001`).
pub fn valid_item_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// Every evidence item's latest entry: item id → (seq, leaf hash). What an
/// entry's `item_prev` links to and what a checkpoint's item map commits
/// to (SPEC §13.7).
pub type ItemHeads = std::collections::BTreeMap<String, (Seq, crate::format::hash::Hash)>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_display_matches_chrono_format() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Years 1 BCE .. 12000 CE, microsecond precision.
            let us = (x % 441_000_000_000_000_000) as i64 - 62_200_000_000_000_000;
            let t = Timestamp::from_micros(us).unwrap();
            assert_eq!(t.to_string(), t.0.format(TIME_FORMAT).to_string(), "{us}");
        }
        for us in [
            0,
            -1,
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            -62_167_219_200_000_001,
        ] {
            let t = Timestamp::from_micros(us).unwrap();
            assert_eq!(t.to_string(), t.0.format(TIME_FORMAT).to_string(), "{us}");
        }
    }

    /// The fixed-place reader accepts and refuses what chrono's format
    /// interpreter did, for canonical spellings and for each one-byte change.
    #[test]
    fn timestamp_parse_agrees_with_chrono() {
        let chrono_parse = |s: &str| -> Option<Timestamp> {
            let n = NaiveDateTime::parse_from_str(s, TIME_FORMAT).ok()?;
            let t = Timestamp(n.and_utc());
            (s.len() == 27
                && chrono::Timelike::nanosecond(&n) < 1_000_000_000
                && t.to_string() == s)
                .then_some(t)
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let us = (x % 253_402_300_800_000_000) as i64;
            let s = Timestamp::from_micros(us).unwrap().to_string();
            assert_eq!(Timestamp::parse(&s), chrono_parse(&s), "{s}");
            let mut b = s.clone().into_bytes();
            let i = (x >> 40) as usize % b.len();
            b[i] = b"0159:-.TZ+ x"[(x >> 50) as usize % 12];
            let m = String::from_utf8(b).unwrap();
            assert_eq!(Timestamp::parse(&m), chrono_parse(&m), "{m}");
        }
    }

    #[test]
    fn timestamp_exact_format() {
        let t = Timestamp::parse("2008-10-09T14:03:07.000125Z").unwrap();
        assert_eq!(t.to_string(), "2008-10-09T14:03:07.000125Z");
        for bad in [
            "2008-10-09T14:03:07Z",
            "2008-10-09T14:03:07.000125+00:00",
            "2008-10-09T14:03:07.0001250Z",
            "2008-10-09 14:03:07.000125Z",
            "2008-13-09T14:03:07.000125Z",
            "2008-10-09T14:03:60.000125Z",
            "2008-10-09t14:03:07.000125z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
        assert_eq!(Role::from_name("admin"), None);
    }
}
