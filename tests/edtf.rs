//! EDTF levels 0 and 1: every example of the specification (Library of
//! Congress, 2019-02-04) for these levels parses, and malformed or
//! level-2-only strings are refused with an example in the message.

use caselog::format::edtf::Edtf;

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, s)
        .unwrap()
        .and_utc()
        .timestamp()
}

const SPEC_VALID: &[&str] = &[
    // Level 0: date
    "1985-04-12",
    "1985-04",
    "1985",
    // Level 0: date and time
    "1985-04-12T23:20:30",
    "1985-04-12T23:20:30Z",
    "1985-04-12T23:20:30-04",
    "1985-04-12T23:20:30+04:30",
    // Level 0: time interval
    "1964/2008",
    "2004-06/2006-08",
    "2004-02-01/2005-02-08",
    "2004-02-01/2005-02",
    "2004-02-01/2005",
    "2005/2006-02",
    // Level 1: letter-prefixed calendar year
    "Y170000002",
    "Y-170000002",
    // Level 1: seasons
    "2001-21",
    "2001-22",
    "2001-23",
    "2001-24",
    // Level 1: qualification of a date
    "1984?",
    "2004-06~",
    "2004-06-11%",
    // Level 1: unspecified digits from the right
    "201X",
    "20XX",
    "2004-XX",
    "1985-04-XX",
    "1985-XX-XX",
    // Level 1: extended interval
    "1985-04-12/..",
    "1985-04/..",
    "1985/..",
    "../1985-04-12",
    "../1985-04",
    "../1985",
    "1985-04-12/",
    "1985-04/",
    "1985/",
    "/1985-04-12",
    "/1985-04",
    "/1985",
    "1984~/2004-06",
    "1984/2004-06~",
    "1984~/2004~",
    "1984?/2004%",
    "1984-06?/2004-08?",
    "1984-06-02?/2004-08-08~",
    "1984-06-02?/",
    // Level 1: negative calendar year
    "-1985",
];

const INVALID: &[&str] = &[
    "",
    "2004-13",
    "2004-02-30",
    "2005-02-29",
    "1985-04-12T25:00:00",
    "1985-04-12T23:20",
    "19850412",
    "1984??",
    "abc",
    "2004-6",
    "85",
    "../..",
    "/",
    "2008/2004",
    "Y1985",
    "1985-XX-12",
    "2004-X6",
    "1985-04-12T23:20:30Z?",
    "1985-04-12T23:20:30+15",
    "1X85",
    "2001-25",
    "1985-04-12/2005/2006",
    "1985-04-12T23:20:30/2008",
    "2008-10-09 ",
    "2008-10-9",
    "-19XX",
    "1985-04-12T23:20:30.5Z",
    "２００８",
    // Found by tools/fuzz (edtf): twelve digits overflowed the i64 span.
    "Y666015840740",
    "Y-999999999999",
    // SPEC §13.1: nothing follows a Y year (issue 25: this was accepted).
    "Y-170000002?",
    "Y170000002~",
    "Y170000002%",
];

#[test]
fn every_level_0_and_1_example_parses() {
    for s in SPEC_VALID {
        let e = Edtf::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(e.as_str(), *s);
        if let (Some(a), Some(b)) = (e.earliest(), e.latest()) {
            assert!(a <= b, "{s}");
        }
    }
}

#[test]
fn malformed_and_level_2_strings_are_refused_with_an_example() {
    for s in INVALID {
        let e = Edtf::parse(s).expect_err(s);
        let m = e.to_string();
        assert!(m.contains("examples: 2008-11-06"), "{s}: {m}");
    }
}

#[test]
fn bounds() {
    let b = |s: &str| {
        let e = Edtf::parse(s).unwrap();
        (e.earliest(), e.latest())
    };
    assert_eq!(
        b("2008-10~"),
        (
            Some(utc(2008, 10, 1, 0, 0, 0)),
            Some(utc(2008, 10, 31, 23, 59, 59))
        )
    );
    assert_eq!(
        b("2008-11-06"),
        (
            Some(utc(2008, 11, 6, 0, 0, 0)),
            Some(utc(2008, 11, 6, 23, 59, 59))
        )
    );
    assert_eq!(
        b("2006-06?"),
        (
            Some(utc(2006, 6, 1, 0, 0, 0)),
            Some(utc(2006, 6, 30, 23, 59, 59))
        )
    );
    assert_eq!(
        b("2008-02"),
        (
            Some(utc(2008, 2, 1, 0, 0, 0)),
            Some(utc(2008, 2, 29, 23, 59, 59))
        )
    );
    assert_eq!(
        b("201X"),
        (
            Some(utc(2010, 1, 1, 0, 0, 0)),
            Some(utc(2019, 12, 31, 23, 59, 59))
        )
    );
    assert_eq!(
        b("20XX"),
        (
            Some(utc(2000, 1, 1, 0, 0, 0)),
            Some(utc(2099, 12, 31, 23, 59, 59))
        )
    );
    assert_eq!(
        b("2001-24"),
        (
            Some(utc(2001, 12, 1, 0, 0, 0)),
            Some(utc(2002, 2, 28, 23, 59, 59))
        )
    );
    assert_eq!(
        b("2008-10-01/2008-10-15"),
        (
            Some(utc(2008, 10, 1, 0, 0, 0)),
            Some(utc(2008, 10, 15, 23, 59, 59))
        )
    );
    assert_eq!(b("2008-10/.."), (Some(utc(2008, 10, 1, 0, 0, 0)), None));
    assert_eq!(b("/2008"), (None, Some(utc(2008, 12, 31, 23, 59, 59))));
    assert_eq!(
        b("1985-04-12T23:20:30Z"),
        (
            Some(utc(1985, 4, 12, 23, 20, 30)),
            Some(utc(1985, 4, 12, 23, 20, 30))
        )
    );
    assert_eq!(
        b("1985-04-12T23:20:30+04:30"),
        (
            Some(utc(1985, 4, 12, 18, 50, 30)),
            Some(utc(1985, 4, 12, 18, 50, 30))
        )
    );
    assert_eq!(
        b("1985-04-12T23:20:30-04"),
        (
            Some(utc(1985, 4, 13, 3, 20, 30)),
            Some(utc(1985, 4, 13, 3, 20, 30))
        )
    );
    // No zone: any zone on Earth.
    let (lo, hi) = b("1985-04-12T23:20:30");
    assert_eq!(hi.unwrap() - lo.unwrap(), 28 * 3600);
    assert!(b("Y170000002").0.unwrap() > b("2008").1.unwrap());
    assert!(b("Y-170000002").1.unwrap() < b("-1985").0.unwrap());
    // The widest accepted years still order correctly (no overflow).
    assert!(b("Y99999999999").1.unwrap() > b("Y170000002").1.unwrap());
    assert!(b("Y-99999999999").0.unwrap() < b("Y-170000002").0.unwrap());
    assert_eq!(b("-1985").0.unwrap(), utc(-1985, 1, 1, 0, 0, 0));
}

#[test]
fn qualifiers_and_ordering() {
    let e = Edtf::parse("2008-10~").unwrap();
    assert!(e.is_approximate() && !e.is_uncertain() && e.is_imprecise());
    let e = Edtf::parse("2004-06-11%").unwrap();
    assert!(e.is_approximate() && e.is_uncertain());
    assert!(!Edtf::parse("2008-11-06").unwrap().is_imprecise());
    // The example: early October 2008 sorts before 6 November 2008.
    assert!(
        Edtf::parse("2008-10~").unwrap().sort_key() < Edtf::parse("2008-11-06").unwrap().sort_key()
    );
    let mut v: Vec<Edtf> = [
        "2008-11-06",
        "2006-06?",
        "2008-10~",
        "2008-10-01/2008-10-15",
        "../2005",
        "2008-11",
    ]
    .iter()
    .map(|s| Edtf::parse(s).unwrap())
    .collect();
    v.sort_by_key(|e| e.sort_key());
    let order: Vec<&str> = v.iter().map(|e| e.as_str()).collect();
    // Same start: the shorter span first.
    assert_eq!(
        order,
        [
            "../2005",
            "2006-06?",
            "2008-10-01/2008-10-15",
            "2008-10~",
            "2008-11",
            "2008-11-06"
        ]
    );
}

#[test]
fn interval_filtering() {
    let from = Some(utc(2008, 10, 10, 0, 0, 0));
    let to = Some(utc(2008, 10, 20, 23, 59, 59));
    let hit = |s: &str| Edtf::parse(s).unwrap().overlaps(from, to);
    assert!(hit("2008-10~"));
    assert!(hit("2008-10-01/2008-10-15"));
    assert!(hit("2008-10-15"));
    assert!(hit("2008/.."));
    assert!(hit("../2008-10-10"));
    assert!(!hit("2008-11-06"));
    assert!(!hit("2006-06?"));
    assert!(!hit("2008-10-21/2008-12"));
    assert!(Edtf::parse("2008-11-06").unwrap().overlaps(None, None));
}
