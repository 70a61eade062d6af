//! The court report timeline's time axis: where the events are, not where
//! the calendar is. One linear segment; or, when a few dates lie far from
//! the rest (an event of mid-2006 in a case of October 2008), two segments
//! with a marked break between them, so that clustered events are not
//! drawn on top of each other in the last few pixels.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// Share of the whole span an empty stretch must exceed to be cut out.
const BREAK_SHARE: f64 = 0.5;
/// Width of the break between two segments, in SVG units.
const BREAK_W: f64 = 24.0;
/// Smallest share of the plot a segment gets.
const MIN_SEG: f64 = 0.2;
/// Room a tick label takes (`2008-10` at 8 pt), in SVG units.
const LABEL_W: f64 = 44.0;

/// A stretch of time drawn linearly over `x0..x1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Segment {
    pub t0: i64,
    pub t1: i64,
    pub x0: f64,
    pub x1: f64,
}

/// The axis: segments left to right, a break between consecutive ones.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub segs: Vec<Segment>,
}

impl Axis {
    /// An axis over the date spans `(earliest, latest)` (seconds), drawn
    /// between `x0` and `x1`.
    pub(crate) fn new(spans: &[(i64, i64)], x0: f64, x1: f64) -> Axis {
        let mut pts: Vec<i64> = spans.iter().flat_map(|s| [s.0, s.1]).collect();
        pts.sort_unstable();
        let (min, max) = (pts[0], pts[pts.len() - 1]);
        let gap = pts
            .windows(2)
            .map(|w| (w[1] - w[0], w[0], w[1]))
            .max()
            .filter(|g| (g.0 as f64) > BREAK_SHARE * (max - min) as f64);
        let stretches = match gap {
            Some((_, a, b)) => vec![(min, a), (b, max)],
            None => vec![(min, max)],
        };
        Axis::lay_out(&stretches, x0, x1)
    }

    /// Give each stretch (padded by 3 % of itself, at least a day) a width
    /// in proportion to its length, at least [`MIN_SEG`] of the plot.
    fn lay_out(stretches: &[(i64, i64)], x0: f64, x1: f64) -> Axis {
        let padded: Vec<(i64, i64)> = stretches
            .iter()
            .map(|&(a, b)| {
                let pad = ((b - a) / 33).max(86_400);
                (a - pad, b + pad)
            })
            .collect();
        let plot = x1 - x0 - BREAK_W * (padded.len() - 1) as f64;
        let total: f64 = padded.iter().map(|(a, b)| (b - a) as f64).sum();
        let raw: Vec<f64> = padded
            .iter()
            .map(|(a, b)| ((b - a) as f64 / total).max(MIN_SEG))
            .collect();
        let norm: f64 = raw.iter().sum();
        let mut x = x0;
        let segs = padded
            .iter()
            .zip(raw)
            .map(|(&(t0, t1), share)| {
                let w = plot * share / norm;
                let s = Segment {
                    t0,
                    t1,
                    x0: x,
                    x1: x + w,
                };
                x += w + BREAK_W;
                s
            })
            .collect();
        Axis { segs }
    }

    /// Where time `t` is drawn (inside a break: across it, linearly).
    pub(crate) fn x(&self, t: i64) -> f64 {
        let first = self.segs[0];
        if t <= first.t0 {
            return first.x0;
        }
        for (i, s) in self.segs.iter().enumerate() {
            if t <= s.t1 {
                return s.x0 + (t - s.t0) as f64 / (s.t1 - s.t0).max(1) as f64 * (s.x1 - s.x0);
            }
            if let Some(n) = self.segs.get(i + 1).filter(|n| t < n.t0) {
                let f = (t - s.t1) as f64 / (n.t0 - s.t1) as f64;
                return s.x1 + f * (n.x0 - s.x1);
            }
        }
        self.segs[self.segs.len() - 1].x1
    }

    /// Where the breaks are drawn: the middle of each gap.
    pub(crate) fn breaks(&self) -> Vec<f64> {
        self.segs
            .windows(2)
            .map(|w| (w[0].x1 + w[1].x0) / 2.0)
            .collect()
    }

    /// Tick marks with their labels: years on a segment longer than three
    /// years, else month starts (`2008-10`); a segment with no tick inside
    /// is labelled at its start.
    pub(crate) fn ticks(&self) -> Vec<(f64, String)> {
        let mut out = Vec::new();
        for s in &self.segs {
            let years = (s.t1 - s.t0) > 3 * 365 * 86_400;
            let mut marks: Vec<(f64, String)> = starts(s.t0, s.t1, years)
                .into_iter()
                .map(|(t, label)| (self.x(t), label))
                .collect();
            // Before a break, the next segment's first label has the room.
            if s.x1 < self.segs[self.segs.len() - 1].x1 {
                marks.retain(|(x, _)| *x <= s.x1 - LABEL_W / 2.0);
            }
            if marks.is_empty() {
                marks.push((s.x0, label_of(s.t0, years)));
            }
            out.extend(marks);
        }
        self.spaced(out)
    }

    /// Drop ticks whose labels would touch the previous one.
    fn spaced(&self, ticks: Vec<(f64, String)>) -> Vec<(f64, String)> {
        let mut kept: Vec<(f64, String)> = Vec::new();
        for (x, label) in ticks {
            if kept.last().is_none_or(|(px, _)| x - px >= LABEL_W) {
                kept.push((x, label));
            }
        }
        kept
    }
}

fn date(t: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(t, 0)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn label_of(t: i64, years: bool) -> String {
    let d = date(t);
    match years {
        true => format!("{:04}", d.year()),
        false => format!("{:04}-{:02}", d.year(), d.month()),
    }
}

/// The starts of the years (or months) within `[t0, t1)`.
fn starts(t0: i64, t1: i64, years: bool) -> Vec<(i64, String)> {
    let d = date(t0);
    let (mut y, mut m) = (d.year(), if years { 1 } else { d.month() });
    let mut out = Vec::new();
    loop {
        let Some(t) = NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp())
        else {
            return out;
        };
        if t >= t1 {
            return out;
        }
        if t >= t0 {
            out.push((t, label_of(t, years)));
        }
        (y, m) = match (years, m) {
            (true, _) | (false, 12) => (y + 1, 1),
            (false, m) => (y, m + 1),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn an_outlier_gets_its_own_segment_and_the_cluster_the_width() {
        // One event of June 2006, nine of October-November 2008.
        let mut spans = vec![(ymd(2006, 6, 1), ymd(2006, 6, 30))];
        for d in 1..10 {
            spans.push((ymd(2008, 10, 3 * d - 2), ymd(2008, 10, 3 * d - 2)));
        }
        spans.push((ymd(2008, 11, 1), ymd(2008, 11, 30)));
        let a = Axis::new(&spans, 380.0, 880.0);
        assert_eq!(a.segs.len(), 2);
        assert_eq!(a.breaks().len(), 1);
        // The 2008 events spread over most of the plot, in order.
        let xs: Vec<f64> = spans[1..].iter().map(|s| a.x(s.0)).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]));
        // One linear axis over 2006-06..2008-11 would give them ~16 units.
        assert!(xs[xs.len() - 1] - xs[0] > 120.0, "{xs:?}");
        let ticks = a.ticks();
        let labels: Vec<&str> = ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert!(
            labels.contains(&"2008-10") && labels.contains(&"2008-11"),
            "{labels:?}"
        );
        assert!(labels.contains(&"2006-06"), "{labels:?}");
    }

    #[test]
    fn evenly_spread_dates_keep_one_segment_with_year_ticks() {
        let spans: Vec<(i64, i64)> = (2000..2010).map(|y| (ymd(y, 6, 1), ymd(y, 6, 1))).collect();
        let a = Axis::new(&spans, 0.0, 500.0);
        assert_eq!(a.segs.len(), 1);
        let labels: Vec<String> = a.ticks().into_iter().map(|t| t.1).collect();
        assert!(labels.contains(&"2005".to_string()), "{labels:?}");
        assert!(a.x(ymd(2000, 6, 1)) < a.x(ymd(2009, 6, 1)));
    }
}
