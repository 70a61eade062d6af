//! The filters `log` and `timeline` share (`SelectArgs`), checked before
//! the ledger is opened; the member named by `--author` is looked up once
//! it is ([`Wanted::resolve`]).

use caselog::export::select::Select;
use caselog::Ledger;

use crate::cli::args::SelectArgs;
use crate::cli::error::CliError;
use crate::cli::input::{edtf, item_id, kinds_arg, resolve_member};

/// Checked filters; `author` still a name, file or key.
#[derive(Debug)]
pub(crate) struct Wanted {
    select: Select,
    author: Option<String>,
}

impl Wanted {
    /// Check `a`; `since` and `until` are (value, the option's name as
    /// given), as `timeline` still takes the older `--from` and `--to`.
    pub(crate) fn check(
        a: &SelectArgs,
        since: (&Option<String>, &str),
        until: (&Option<String>, &str),
    ) -> Result<Wanted, CliError> {
        let bound = |(v, flag): (&Option<String>, &str), earliest: bool| {
            v.as_deref()
                .map(|d| edtf(d, flag))
                .transpose()
                .map(|e| e.and_then(|e| if earliest { e.earliest() } else { e.latest() }))
        };
        if a.grep.as_deref().is_some_and(|g| g.trim().is_empty()) {
            return Err(CliError::input(
                "--grep needs some text",
                "e.g. --grep fedex (case does not matter)",
            ));
        }
        let select = Select {
            grep: a.grep.clone(),
            item: a.item.as_deref().map(item_id).transpose()?,
            author: None,
            kinds: kinds_arg(
                &a.kinds,
                "kinds as in `caselog log`: note, event, custody.release, ...",
            )?,
            since: bound(since, true)?,
            until: bound(until, false)?,
            seqs: a.seqs.as_deref().map(seq_range).transpose()?,
        };
        Ok(Wanted {
            select,
            author: a.author.clone(),
        })
    }

    /// The filters, `--author` looked up among `l`'s members.
    pub(crate) fn resolve(self, l: &Ledger) -> Result<Select, CliError> {
        let mut s = self.select;
        s.author = self.author.map(|a| resolve_member(l, &a)).transpose()?;
        Ok(s)
    }
}

/// `A..B`, `A..`, `..B` or `N`, inclusive.
fn seq_range(s: &str) -> Result<(u64, u64), CliError> {
    let bad = || {
        CliError::input(
            format!("--seq {s:?} is not a seq range"),
            "give A..B (inclusive), A.., ..B or one seq, e.g. --seq 10..20",
        )
    };
    let num = |t: &str, none: u64| -> Result<u64, CliError> {
        if t.is_empty() {
            Ok(none)
        } else {
            t.parse().map_err(|_| bad())
        }
    };
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (num(a, 0)?, num(b, u64::MAX)?),
        None => {
            let n = num(s, 0).and_then(|n| if s.is_empty() { Err(bad()) } else { Ok(n) })?;
            (n, n)
        }
    };
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn seq_ranges() {
        use super::seq_range as r;
        assert_eq!(r("5..9").unwrap(), (5, 9));
        assert_eq!(r("5..").unwrap(), (5, u64::MAX));
        assert_eq!(r("..9").unwrap(), (0, 9));
        assert_eq!(r("7").unwrap(), (7, 7));
        for bad in ["", "9..5", "a..b", "1...2", "-1"] {
            assert!(r(bad).is_err(), "{bad:?}");
        }
    }
}
