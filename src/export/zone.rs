//! Local date-times made instants (SPEC §13.1, a derived view): a
//! date-time recorded without a UTC offset, beside an IANA zone, is read
//! in that zone with the tz database compiled into this build, so the
//! timeline, report, CSV, JSON and Timesketch order and show the true
//! instant. The stored bytes are never changed and verifiers never use a
//! tz database: two tz releases may disagree, so every output that uses
//! this says which release it used.

use std::str::FromStr;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::format::edtf::Edtf;

/// The tz database release the derived instants come from.
pub fn tzdb_release() -> &'static str {
    chrono_tz::IANA_TZDB_VERSION
}

/// Whether this build's tz database knows `zone`.
pub fn known(zone: &str) -> bool {
    Tz::from_str(zone).is_ok()
}

/// How a recorded date was read against its zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zoned {
    /// The local date-time is one instant in the zone (seconds since the
    /// epoch, UTC).
    Instant(i64),
    /// The local date-time happened twice (clocks went back): either.
    Ambiguous(i64, i64),
    /// The local date-time never happened in the zone (clocks went
    /// forward over it): left covering every offset.
    Skipped,
}

/// The value to order and show `d` by, with how its `zone` was applied;
/// `None` when there is nothing to apply (no zone, a date or a date-time
/// with its own offset). A zone this build's tz database does not know
/// leaves `d` as it is (its spelling was checked when it was recorded).
pub fn resolve(d: &Edtf, zone: Option<&str>) -> (Edtf, Option<Zoned>) {
    let (Some(local), Some(tz)) = (d.local_datetime(), zone.and_then(|z| Tz::from_str(z).ok()))
    else {
        return (d.clone(), None);
    };
    let Ok(naive) = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S") else {
        panic!("export: a local date-time EDTF accepted that chrono cannot read: {local}");
    };
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => {
            let at = t.timestamp();
            (d.resolved(at, at), Some(Zoned::Instant(at)))
        }
        chrono::LocalResult::Ambiguous(a, b) => {
            let (a, b) = (
                a.timestamp().min(b.timestamp()),
                a.timestamp().max(b.timestamp()),
            );
            (d.resolved(a, b), Some(Zoned::Ambiguous(a, b)))
        }
        chrono::LocalResult::None => (d.clone(), Some(Zoned::Skipped)),
    }
}

impl Zoned {
    /// How outputs name it: `instant`, `ambiguous`, `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Zoned::Instant(_) => "instant",
            Zoned::Ambiguous(..) => "ambiguous",
            Zoned::Skipped => "skipped",
        }
    }

    /// A sentence for a court: the local reading in UTC.
    pub fn describe(&self, zone: &str) -> String {
        let utc = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default()
        };
        let db = tzdb_release();
        match self {
            Zoned::Instant(t) => format!("= {} (in {zone}, tz database {db})", utc(*t)),
            Zoned::Ambiguous(a, b) => format!(
                "= {} or {} (the clocks of {zone} showed this time twice; tz database {db})",
                utc(*a),
                utc(*b)
            ),
            Zoned::Skipped => format!(
                "never shown by the clocks of {zone} (skipped when they went forward; tz database {db}): not made an instant"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, z: &str) -> (Edtf, Option<Zoned>) {
        resolve(&Edtf::parse(s).unwrap(), Some(z))
    }

    #[test]
    fn a_local_time_in_its_zone_is_one_instant() {
        // 2008-10-09 14:05 PDT (UTC-7) is 21:05 UTC.
        let (d, z) = at("2008-10-09T14:05:00", "America/Los_Angeles");
        let want = chrono::DateTime::parse_from_rfc3339("2008-10-09T21:05:00Z")
            .unwrap()
            .timestamp();
        assert_eq!((d.earliest(), d.latest()), (Some(want), Some(want)));
        assert_eq!(z, Some(Zoned::Instant(want)));
        assert!(!d.is_imprecise());
        assert_eq!(d.as_str(), "2008-10-09T14:05:00");
    }

    #[test]
    fn clock_changes_are_said_not_guessed() {
        // US DST ended 2008-11-02 02:00 PDT -> 01:00 PST: 01:30 twice.
        let (d, z) = at("2008-11-02T01:30:00", "America/Los_Angeles");
        assert!(matches!(z, Some(Zoned::Ambiguous(a, b)) if b - a == 3600));
        assert_eq!(d.latest().unwrap() - d.earliest().unwrap(), 3600);
        // It began 2008-03-09 02:00 -> 03:00: 02:30 never happened.
        let (d, z) = at("2008-03-09T02:30:00", "America/Los_Angeles");
        assert_eq!(z, Some(Zoned::Skipped));
        assert_eq!(d.latest().unwrap() - d.earliest().unwrap(), 28 * 3600);
    }

    #[test]
    fn only_local_date_times_with_a_known_zone_change() {
        for (s, z) in [
            ("2008-10-09", "America/Los_Angeles"),
            ("2008-10-09T14:05:00Z", "America/Los_Angeles"),
            ("2008-10-09T14:05:00-07:00", "Europe/Paris"),
            ("2008-10-09T14:05:00", "Mars/Olympus_Mons"),
        ] {
            let d = Edtf::parse(s).unwrap();
            assert_eq!(resolve(&d, Some(z)), (d.clone(), None), "{s} {z}");
        }
        let d = Edtf::parse("2008-10-09T14:05:00").unwrap();
        assert_eq!(resolve(&d, None), (d.clone(), None));
    }
}
