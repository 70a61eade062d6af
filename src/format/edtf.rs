//! EDTF (Library of Congress Extended Date/Time Format, ISO 8601-2) levels 0
//! and 1: the dates investigators actually know ("early October 2008",
//! "data as of mid-2006", "between 1 and 15 October").
//!
//! Owns: strict parsing of an EDTF string into its original text plus the
//! earliest and latest second it covers (UTC, seconds since the Unix epoch,
//! `None` for an open `..` or unknown end), used for sorting and filtering;
//! display always keeps the original string.
//!
//! Supported, as listed in the specification (2019-02-04):
//! level 0 dates (`1985`, `1985-04`, `1985-04-12`), date and time
//! (`1985-04-12T23:20:30`, with `Z` or `±hh[:mm]`), intervals (`1964/2008`);
//! level 1 `Y`-prefixed years of more than four digits (`Y170000002`,
//! `Y-170000002`), negative years (`-1985`), seasons (`2001-21`..`2001-24`),
//! qualifiers `?` `~` `%` on a date, unspecified digits from the right
//! (`201X`, `20XX`, `2004-XX`, `1985-04-XX`, `1985-XX-XX`), and extended
//! intervals with open (`..`) or unknown (empty) ends and qualified ends.

use std::fmt;

use thiserror::Error;

/// An example of each form, shown when a string is refused.
pub const EXAMPLES: &str = "2008-11-06, 2008-10~ (approximate), 2006-06? (uncertain), 2008-10-01/2008-10-15, 2008-10/.. (open end), 201X";

/// A refused EDTF string.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{text:?} is not an EDTF date ({reason}); examples: {EXAMPLES}")]
pub struct EdtfError {
    /// The string given.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

/// A parsed EDTF value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edtf {
    text: String,
    earliest: Option<i64>,
    latest: Option<i64>,
    approximate: bool,
    uncertain: bool,
    interval: bool,
}

impl Edtf {
    /// Parse strictly.
    pub fn parse(s: &str) -> Result<Edtf, EdtfError> {
        let err = |reason: &str| EdtfError {
            text: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.is_empty() || s.len() > 64 || !s.is_ascii() {
            return Err(err("empty, too long or not ASCII"));
        }
        if let Some((a, b)) = s.split_once('/') {
            if b.contains('/') {
                return Err(err("more than one '/'"));
            }
            let start = parse_end(a).map_err(|r| err(&r))?;
            let end = parse_end(b).map_err(|r| err(&r))?;
            if matches!(start, End::Open | End::Unknown) && matches!(end, End::Open | End::Unknown)
            {
                return Err(err("an interval needs at least one date"));
            }
            let (e0, q0) = match &start {
                End::Date(d) => (Some(d.lo), d.qual),
                _ => (None, Qual::default()),
            };
            let (l1, q1) = match &end {
                End::Date(d) => (Some(d.hi), d.qual),
                _ => (None, Qual::default()),
            };
            if let (End::Date(a), End::Date(b)) = (&start, &end) {
                if a.lo > b.hi {
                    return Err(err("the interval ends before it starts"));
                }
            }
            return Ok(Edtf {
                text: s.to_owned(),
                earliest: e0,
                latest: l1,
                approximate: q0.approximate || q1.approximate,
                uncertain: q0.uncertain || q1.uncertain,
                interval: true,
            });
        }
        let d = parse_date(s).map_err(|r| err(&r))?;
        Ok(Edtf {
            text: s.to_owned(),
            earliest: Some(d.lo),
            latest: Some(d.hi),
            approximate: d.qual.approximate,
            uncertain: d.qual.uncertain,
            interval: false,
        })
    }

    /// The original string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// First second covered (None: open or unknown start).
    pub fn earliest(&self) -> Option<i64> {
        self.earliest
    }
    /// Last second covered (None: open or unknown end).
    pub fn latest(&self) -> Option<i64> {
        self.latest
    }
    /// Marked approximate (`~` or `%`).
    pub fn is_approximate(&self) -> bool {
        self.approximate
    }
    /// Marked uncertain (`?` or `%`).
    pub fn is_uncertain(&self) -> bool {
        self.uncertain
    }
    /// True when the value is an interval.
    pub fn is_interval(&self) -> bool {
        self.interval
    }
    /// True when the value is not an exact day or time: qualified, an
    /// interval, or coarser than a day.
    pub fn is_imprecise(&self) -> bool {
        self.approximate
            || self.uncertain
            || self.interval
            || matches!((self.earliest, self.latest), (Some(a), Some(b)) if b - a >= 86_400)
    }

    /// A date-time written without a UTC offset (`YYYY-MM-DDThh:mm:ss`):
    /// its wall-clock reading, which only a time zone turns into an
    /// instant (SPEC §13.1; until then it covers every offset).
    pub fn local_datetime(&self) -> Option<&str> {
        let t = self.text.as_bytes();
        (t.len() == 19 && t[10] == b'T' && !self.interval).then_some(self.text.as_str())
    }

    /// This value with its span narrowed to `[lo, hi]`, the instants a
    /// time zone gives a local date-time: a derived view (SPEC §13.1),
    /// the text as recorded. Panics unless the value is a local
    /// date-time and the instants lie in its span.
    pub fn resolved(&self, lo: i64, hi: i64) -> Edtf {
        assert!(
            self.local_datetime().is_some()
                && self.earliest.is_some_and(|e| e <= lo)
                && self.latest.is_some_and(|l| hi <= l)
                && lo <= hi,
            "edtf: resolved outside a local date-time's span"
        );
        Edtf {
            earliest: Some(lo),
            latest: Some(hi),
            ..self.clone()
        }
    }

    /// Sort key: the earliest second, then the latest; an unknown start
    /// sorts by its end.
    pub fn sort_key(&self) -> (i64, i64) {
        let lo = self.earliest.or(self.latest).unwrap_or(i64::MIN);
        let hi = self.latest.or(self.earliest).unwrap_or(i64::MAX);
        (lo, hi)
    }

    /// Whether the covered span overlaps `[from, to]` (inclusive bounds;
    /// `None` is unbounded). An open or unknown end overlaps everything on
    /// that side.
    pub fn overlaps(&self, from: Option<i64>, to: Option<i64>) -> bool {
        let lo = self.earliest.unwrap_or(i64::MIN);
        let hi = self.latest.unwrap_or(i64::MAX);
        from.is_none_or(|f| hi >= f) && to.is_none_or(|t| lo <= t)
    }
}

impl fmt::Display for Edtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An IANA time zone name as written in the tz database (SPEC §13.1):
/// `UTC`, `America/Los_Angeles`, `America/Argentina/Buenos_Aires`,
/// `Etc/GMT+5`. One to 64 bytes; parts separated by `/`, each 1 to 30 of
/// ASCII letters, digits, `_`, `-`, `+`, the first part starting with a
/// letter. Only the spelling is checked, never a database (two verifiers
/// with different tz releases must agree): the name is kept as given.
pub fn valid_zone(s: &str) -> bool {
    s.len() <= 64
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && s.split('/').all(|p| {
            (1..=30).contains(&p.len())
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"_-+".contains(&c))
        })
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Qual {
    approximate: bool,
    uncertain: bool,
}

#[derive(Debug)]
struct Span {
    lo: i64,
    hi: i64,
    qual: Qual,
}

enum End {
    Date(Span),
    Open,
    Unknown,
}

fn parse_end(s: &str) -> Result<End, String> {
    match s {
        "" => Ok(End::Unknown),
        ".." => Ok(End::Open),
        _ => {
            if s.contains('T') {
                return Err("interval ends are dates without a time".into());
            }
            parse_date(s).map(End::Date)
        }
    }
}

/// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
/// (H. Hinnant's days_from_civil), valid for any i64-sized year here.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if leap(y) => 29,
        _ => 28,
    }
}

fn day_start(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400
}

fn day_end(y: i64, m: u32, d: u32) -> i64 {
    day_start(y, m, d) + 86_399
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A date, date-time, season or qualified/unspecified date (no interval).
fn parse_date(s: &str) -> Result<Span, String> {
    let (body, qual) = split_qualifier(s)?;
    if let Some((date, time)) = body.split_once('T') {
        if qual != Qual::default() {
            return Err("qualifiers apply to dates, not date-times".into());
        }
        return parse_datetime(date, time);
    }
    if let Some(y) = body.strip_prefix('Y') {
        // SPEC §13.1: nothing follows a Y year, a qualifier included.
        if qual != Qual::default() {
            return Err("nothing may follow a Y-prefixed year (no qualifier)".into());
        }
        return long_year(y, qual);
    }
    let (neg, rest) = match body.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, body),
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let year = Year::parse(parts[0], neg)?;
    match parts[1..] {
        [] => Ok(year.whole(qual)),
        [m] => year_month(&year, m, qual),
        [m, d] => year_month_day(&year, m, d, qual),
        _ => Err("too many '-' separated parts".into()),
    }
}

/// The qualifier at the end (level 1, dates only): `?` uncertain, `~`
/// approximate, `%` both; at most one.
fn split_qualifier(s: &str) -> Result<(&str, Qual), String> {
    let q = |approximate, uncertain| Qual {
        approximate,
        uncertain,
    };
    let (body, qual) = match s.as_bytes().last() {
        Some(b'?') => (&s[..s.len() - 1], q(false, true)),
        Some(b'~') => (&s[..s.len() - 1], q(true, false)),
        Some(b'%') => (&s[..s.len() - 1], q(true, true)),
        _ => (s, Qual::default()),
    };
    if body.ends_with(['?', '~', '%']) {
        return Err("more than one qualifier".into());
    }
    Ok((body, qual))
}

/// Level 1: a Y-prefixed year of more than four digits, alone.
fn long_year(y: &str, qual: Qual) -> Result<Span, String> {
    let (neg, ds) = match y.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, y),
    };
    if !digits(ds) || ds.len() <= 4 {
        return Err("a Y-prefixed year has more than four digits (e.g. Y170000002)".into());
    }
    // At most eleven digits: |year| < 10^11 keeps every second of the
    // span inside i64 (2^63 s is about 2.9 * 10^11 years). SPEC §13.1.
    if ds.len() > 11 {
        return Err("year out of range (a Y-prefixed year has at most eleven digits)".into());
    }
    let v: i64 = ds.parse().map_err(|_| "year out of range".to_string())?;
    let y = if neg { -v } else { v };
    Ok(Span {
        lo: day_start(y, 1, 1),
        hi: day_end(y, 12, 31),
        qual,
    })
}

/// A four-character year, `X` digits allowed from the right: the range of
/// years it covers.
struct Year<'a> {
    text: &'a str,
    lo: i64,
    hi: i64,
    unspecified: bool,
}

impl<'a> Year<'a> {
    fn parse(ystr: &'a str, neg: bool) -> Result<Year<'a>, String> {
        if ystr.len() != 4 || !ystr.bytes().all(|b| b.is_ascii_digit() || b == b'X') {
            return Err("the year must be four digits (or Y followed by more)".into());
        }
        // Unspecified digits only from the right: 201X, 20XX, 2XXX, XXXX.
        let known = ystr.trim_end_matches('X');
        if known.contains('X') {
            return Err("unspecified digits (X) must be the rightmost digits of the year".into());
        }
        if neg && ystr.contains('X') {
            return Err("a negative year cannot have unspecified digits".into());
        }
        let width = 4 - known.len() as u32;
        let base: i64 = if known.is_empty() {
            0
        } else {
            known.parse().expect("edtf: four digits or fewer")
        };
        let lo = base * 10i64.pow(width);
        let hi = lo + 10i64.pow(width) - 1;
        let (lo, hi) = if neg { (-lo, -lo) } else { (lo, hi) };
        Ok(Year {
            text: ystr,
            lo,
            hi,
            unspecified: width > 0,
        })
    }

    /// Every day of every year covered.
    fn whole(&self, qual: Qual) -> Span {
        Span {
            lo: day_start(self.lo, 1, 1),
            hi: day_end(self.hi, 12, 31),
            qual,
        }
    }

    /// Every day of one month of a known year.
    fn month(&self, mv: u32, qual: Qual) -> Span {
        Span {
            lo: day_start(self.lo, mv, 1),
            hi: day_end(self.lo, mv, days_in_month(self.lo, mv)),
            qual,
        }
    }
}

/// `YYYY-MM`: a month, `XX`, or a season (level 1: 21-24, the three months
/// each covers, northern hemisphere).
fn year_month(y: &Year, m: &str, qual: Qual) -> Result<Span, String> {
    if m == "XX" {
        return Ok(y.whole(qual));
    }
    if m.len() != 2 || !digits(m) {
        return Err("the month must be two digits".into());
    }
    if y.unspecified {
        return Err("a month with an unspecified year is level 2, not supported".into());
    }
    let mv: u32 = m.parse().expect("edtf: two digits");
    let ylo = y.lo;
    let season = |lo: (i64, u32), hi: (i64, u32, u32)| Span {
        lo: day_start(lo.0, lo.1, 1),
        hi: day_end(hi.0, hi.1, hi.2),
        qual,
    };
    match mv {
        1..=12 => Ok(y.month(mv, qual)),
        21 => Ok(season((ylo, 3), (ylo, 5, 31))),
        22 => Ok(season((ylo, 6), (ylo, 8, 31))),
        23 => Ok(season((ylo, 9), (ylo, 11, 30))),
        24 => Ok(season((ylo, 12), (ylo + 1, 2, days_in_month(ylo + 1, 2)))),
        _ => Err(format!(
            "month {m} does not exist (01-12, or seasons 21-24)"
        )),
    }
}

/// `YYYY-MM-DD`, with `XX` for unspecified parts from the right.
fn year_month_day(y: &Year, m: &str, d: &str, qual: Qual) -> Result<Span, String> {
    // X digits run from the right (SPEC §13.1): below an unspecified
    // year, month and day are unspecified too.
    if y.unspecified {
        if m != "XX" || d != "XX" {
            return Err("a day with an unspecified year is level 2, not supported".into());
        }
        return Ok(y.whole(qual));
    }
    if m == "XX" {
        if d != "XX" {
            return Err("a known day in an unspecified month is level 2, not supported".into());
        }
        return Ok(y.whole(qual));
    }
    if m.len() != 2 || !digits(m) {
        return Err("the month must be two digits".into());
    }
    let mv: u32 = m.parse().expect("edtf: two digits");
    if !(1..=12).contains(&mv) {
        return Err(format!("month {m} does not exist"));
    }
    if d == "XX" {
        return Ok(y.month(mv, qual));
    }
    if d.len() != 2 || !digits(d) {
        return Err("the day must be two digits".into());
    }
    let dv: u32 = d.parse().expect("edtf: two digits");
    if dv == 0 || dv > days_in_month(y.lo, mv) {
        return Err(format!("day {d} does not exist in {}-{m}", y.text));
    }
    Ok(Span {
        lo: day_start(y.lo, mv, dv),
        hi: day_end(y.lo, mv, dv),
        qual,
    })
}

/// `YYYY-MM-DD` `T` `hh:mm:ss` [`Z` | `±hh` | `±hh:mm`]; an instant. A time
/// without a zone is local time of unknown zone: its span is widened to
/// every zone (−14:00 to +14:00).
fn parse_datetime(date: &str, time: &str) -> Result<Span, String> {
    let d = parse_date(date)?;
    if d.hi - d.lo != 86_399 || date.len() != 10 || date.contains('X') {
        return Err("a date-time needs a full, specified date".into());
    }
    let (clock, zone) = if let Some(c) = time.strip_suffix('Z') {
        (c, Some(0i64))
    } else if let Some(i) = time.find(['+', '-']) {
        let (c, z) = time.split_at(i);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let z = &z[1..];
        let (zh, zm) = match z.split_once(':') {
            Some((h, m)) => (h, m),
            None => (z, "00"),
        };
        if zh.len() != 2 || zm.len() != 2 || !digits(zh) || !digits(zm) {
            return Err("zone offset must be ±hh or ±hh:mm".into());
        }
        let (zh, zm): (i64, i64) = (zh.parse().expect("d"), zm.parse().expect("d"));
        if zh > 14 || zm > 59 {
            return Err("zone offset out of range".into());
        }
        (c, Some(sign * (zh * 3600 + zm * 60)))
    } else {
        (time, None)
    };
    let p: Vec<&str> = clock.split(':').collect();
    if p.len() != 3 || p.iter().any(|x| x.len() != 2 || !digits(x)) {
        return Err("time must be hh:mm:ss".into());
    }
    let (h, m, sec): (i64, i64, i64) = (
        p[0].parse().expect("d"),
        p[1].parse().expect("d"),
        p[2].parse().expect("d"),
    );
    if h > 23 || m > 59 || sec > 59 {
        return Err("time out of range".into());
    }
    let local = d.lo + h * 3600 + m * 60 + sec;
    Ok(match zone {
        Some(off) => Span {
            lo: local - off,
            hi: local - off,
            qual: Qual::default(),
        },
        None => Span {
            lo: local - 14 * 3600,
            hi: local + 14 * 3600,
            qual: Qual::default(),
        },
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn zone_names_are_checked_for_spelling_only() {
        for ok in [
            "UTC",
            "America/Los_Angeles",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "Europe/Zurich",
        ] {
            assert!(valid_zone(ok), "{ok}");
        }
        for bad in [
            "",
            "/UTC",
            "UTC/",
            "America//X",
            "-07:00",
            "Europe/Zürich",
            "a b",
            "+05",
        ] {
            assert!(!valid_zone(bad), "{bad}");
        }
    }
    use super::*;

    fn utc(y: i64, m: u32, d: u32) -> i64 {
        day_start(y, m, d)
    }

    #[test]
    fn civil_days_match_chrono() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (1900, 3, 1),
            (2008, 10, 9),
            (1, 1, 1),
            (-44, 3, 15),
        ] {
            let c = chrono::NaiveDate::from_ymd_opt(y as i32, m, d).unwrap();
            let want = c.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
            assert_eq!(utc(y, m, d), want, "{y}-{m}-{d}");
        }
    }
}
