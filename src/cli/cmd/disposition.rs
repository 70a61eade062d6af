//! `export disposition ITEM --out FILE`: the certificate of disposition of
//! an item disposed of or returned (SPEC §13.9).

use std::path::PathBuf;

use caselog::export::disposition::{render, DispositionError};
use caselog::format::disclosure::Reveal;

use crate::cli::args::ExportDispositionArgs;
use crate::cli::cmd::{Checked, Run};
use crate::cli::error::CliError;
use crate::cli::exit;
use crate::cli::globals::Globals;
use crate::cli::input::{item_id, target};
use crate::cli::output::{check_new_file, out, write_new, Progress};
use crate::cli::remote::Target;

/// `export disposition`, checked.
pub(crate) struct DispositionCmd {
    dir: Target,
    item: String,
    out: PathBuf,
}

pub(crate) fn check(a: &ExportDispositionArgs, g: &Globals) -> Result<Checked, CliError> {
    check_new_file(&a.out)?;
    Ok(Box::new(DispositionCmd {
        dir: target(g)?,
        item: item_id(&a.item)?,
        out: a.out.clone(),
    }))
}

impl Run for DispositionCmd {
    fn run(self: Box<Self>) -> Result<u8, CliError> {
        let l = self.dir.open(false)?;
        let bar = Progress::spinner(
            "verifying and rendering the certificate",
            l.head().tree.size.0,
        );
        let html = render(&l, &self.item).map_err(|e| match e {
            DispositionError::Ledger(e) => CliError::from(e),
            e @ DispositionError::NotClosed { .. } => CliError::input(
                e.to_string(),
                "a certificate of disposition is for an item disposed of or returned (`caselog evidence dispose|return`)",
            ),
            e => CliError::input(e.to_string(), "see `caselog custody show ITEM`"),
        })?;
        write_new(&self.out, html.as_bytes(), &Reveal::None)?;
        bar.finish();
        out(&format!(
            "wrote {} ({} bytes): the certificate of disposition of {}\n",
            self.out.display(),
            html.len(),
            self.item
        ))?;
        Ok(exit::OK)
    }
}
