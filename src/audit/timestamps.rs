//! The check of one RFC 3161 token (SPEC §10.5), shared by the store and
//! bundle verifiers: the token verifies for its checkpoint's body, then its
//! `genTime` is no earlier than the last entry's time the checkpoint covers.

use crate::format::ids::Timestamp;
use crate::tlog::tsp::{self, Anchors};

use super::report::{Code, Report, TimestampFact};

/// Check `token` for the checkpoint of `size` with `body`, whose last entry
/// has time `last`; a problem, or the fact it shows, goes to `report`.
pub(crate) fn check_token(
    report: &mut Report,
    size: u64,
    token: &[u8],
    body: &[u8],
    last: Option<Timestamp>,
    anchors: Option<&Anchors>,
) {
    let shown = match tsp::verify_token(token, body, anchors) {
        Ok(t) => t,
        Err(e) => {
            let msg = format!("time-stamp of the checkpoint of size {size}: {e}");
            report.add(Code::of_timestamp(&e), None, "timestamp", msg);
            return;
        }
    };
    // genTime has whole seconds (SPEC §10.5 step 7).
    if let Some(last) = last.filter(|l| shown.gen_time < l.whole_second()) {
        let msg = format!(
            "the time-stamp of size {size} says {} (by {}), earlier than entry {}'s recorded time {last}",
            shown.gen_time,
            shown.tsa,
            size - 1
        );
        report.add(Code::TimestampBeforeEntry, Some(size - 1), "timestamp", msg);
        return;
    }
    report.timestamps.push(TimestampFact {
        size,
        gen_time: shown.gen_time,
        tsa: shown.tsa,
        anchored: shown.anchored,
    });
}
