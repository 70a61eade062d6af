//! `timestamp`: an RFC 3161 time-stamp of a stored checkpoint, from a TSA,
//! checked and stored beside it; and the `--tsa-ca` trust anchors that
//! `timestamp` and `verify` take.

use crate::cli::args::TimestampArgs;
use crate::cli::cmd::Run;
use crate::cli::globals::Globals;
use crate::cli::remote::Target;
use std::path::Path;

use caselog::audit::Code;
use caselog::net::tsa::{self, TsaError};
use caselog::tlog::tsp::Anchors;
use caselog::TreeSize;

use crate::cli::cmd::Checked;
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::input::{read_input, target};
use crate::cli::output::out;

/// The trust anchors of `--tsa-ca FILE`, if given.
pub(crate) fn anchors(file: Option<&Path>) -> Result<Option<Anchors>, CliError> {
    let Some(f) = file else { return Ok(None) };
    let pem = read_input(f, "TSA CA certificate")?;
    Anchors::from_pem(&pem).map(Some).map_err(|e| {
        CliError::input(
            format!("--tsa-ca {}: {e}", f.display()),
            "give the TSA's root certificate(s) in PEM (-----BEGIN CERTIFICATE-----)",
        )
    })
}

pub(crate) fn check_timestamp(a: &TimestampArgs, g: &Globals) -> Result<Checked, CliError> {
    let TimestampArgs { tsa, size, tsa_ca } = a;
    match url::Url::parse(tsa) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return Err(CliError::input(
                format!("--tsa {tsa:?} is not an http(s) URL"),
                "give the TSA's RFC 3161 URL, e.g. https://tsa.example/tsr",
            ))
        }
    }
    Ok(Box::new(TimestampCmd {
        dir: target(g)?,
        url: tsa.clone(),
        size: *size,
        anchors: anchors(tsa_ca.as_deref())?,
    }))
}

/// `timestamp --tsa URL`, checked.
pub(crate) struct TimestampCmd {
    pub(crate) dir: Target,
    pub(crate) url: String,
    pub(crate) size: Option<u64>,
    pub(crate) anchors: Option<caselog::tlog::tsp::Anchors>,
}

impl Run for TimestampCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        run_timestamp(*self)
    }
}

pub(crate) fn run_timestamp(cmd: TimestampCmd) -> Result<u8, CliError> {
    let TimestampCmd {
        dir,
        url,
        size,
        anchors,
    } = cmd;
    let mut l = dir.open(true)?;
    let size = match size {
        Some(s) => TreeSize(s),
        None => l.latest_checkpoint()?.map(|(s, _)| s).ok_or_else(|| {
            CliError::input(
                "no checkpoint is stored to time-stamp",
                "an authority signs one first with `caselog checkpoint`",
            )
        })?,
    };
    let ca = crate::cli::remote::tls_ca()?;
    match tsa::timestamp_checkpoint(&mut l, size, &url, anchors.as_ref(), ca.as_deref()) {
        Ok((t, new)) => {
            let what = if new { "stored" } else { "already stored" };
            let fact = caselog::audit::TimestampFact {
                size: size.0,
                gen_time: t.gen_time,
                tsa: t.tsa,
                anchored: t.anchored,
            };
            out(&format!(
                "token {what}\n{}",
                crate::cli::render::timestamp_line(&fact)
            ))?;
            Ok(exit::OK)
        }
        Err(TsaError::Reply(e)) => Err(CliError {
            code: exit::FAILED,
            msg: format!("{} refused, nothing stored: {e}", Code::of_timestamp(&e)),
            hint: Some(match Code::of_timestamp(&e) {
                Code::TimestampUntrusted => "give the TSA's root certificate with --tsa-ca".into(),
                _ => "the TSA's answer cannot serve as evidence; use another TSA".into(),
            }),
        }),
        Err(TsaError::Ledger(e @ caselog::LedgerError::TimestampBeforeEntry { .. })) => {
            Err(CliError {
                code: exit::FAILED,
                msg: format!("TIMESTAMP_BEFORE_ENTRY refused, nothing stored: {e}"),
                hint: Some("the TSA's clock or the entries' times are wrong; use another TSA and check the entries".into()),
            })
        }
        Err(TsaError::Ledger(e)) => Err(e.into()),
        Err(e) => Err(CliError::storage(
            e.to_string(),
            Some("check the TSA's URL and that it is reachable".into()),
        )),
    }
}
