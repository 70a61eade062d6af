//! Gathering witness cosignatures for each checkpoint a case stores
//! (`caselog serve --witness`), through [`request_cosignatures`].

use crate::format::hash::Hash;
use crate::net::server::Case;
use crate::net::witness::{request_cosignatures, WitnessPeer};
use crate::tlog::note::VerifierKey;

/// The witnesses a server asks, and the quorum it aims for.
#[derive(Debug, Default)]
pub(crate) struct Witnesses {
    pub(crate) peers: Vec<WitnessPeer>,
    pub(crate) quorum: usize,
    /// Mirrors whose cosignatures are accepted (`serve --mirror`).
    pub(crate) mirrors: Vec<VerifierKey>,
    /// Root certificates (PEM) trusted for `https` witnesses.
    pub(crate) ca: Option<Vec<u8>>,
}

/// What asking the witnesses gave.
pub(crate) struct Collected {
    /// Witnesses whose cosignature is now stored with the checkpoint.
    pub(crate) cosigned: usize,
    /// Why the others gave none.
    pub(crate) errors: Vec<String>,
}

impl Witnesses {
    /// Ask every witness whose cosignature `stored` (the checkpoint of
    /// `size` stored in `case`) lacks to cosign it, and store the
    /// cosignatures that verify.
    pub(crate) fn collect(
        &self,
        case: &Case,
        size: crate::tlog::merkle::TreeSize,
        stored: &str,
    ) -> Collected {
        let mut out = Collected {
            cosigned: 0,
            errors: Vec::new(),
        };
        if self.peers.is_empty() {
            return out;
        }
        let agent =
            match crate::net::client::agent(std::time::Duration::from_secs(10), self.ca.as_deref())
            {
                Ok(a) => a,
                Err(e) => {
                    out.errors.push(format!("witness CA: {e}"));
                    return out;
                }
            };
        let proof = |old: u64| -> Option<Vec<Hash>> {
            if old == 0 || old == size.0 {
                return Some(Vec::new());
            }
            let l = case.ledger.read().ok()?;
            l.consistency_proof(crate::tlog::merkle::TreeSize(old), size)
                .ok()
                .map(|p| p.path)
        };
        let held = crate::tlog::note::Note::parse(stored.as_bytes()).ok();
        let mut lines = Vec::new();
        for peer in &self.peers {
            // A witness whose cosignature is already stored is not asked
            // again: re-posting a checkpoint re-does nothing.
            if held.as_ref().is_some_and(|n| cosigned_by(n, &peer.key)) {
                out.cosigned += 1;
                continue;
            }
            let mut known = case
                .witnessed
                .lock()
                .map_or(0, |m| m.get(&peer.url).copied().unwrap_or(0));
            match request_cosignatures(&agent, peer, stored, &mut known, &proof) {
                Ok(got) if !got.is_empty() => {
                    known = size.0;
                    lines.extend(got);
                    out.cosigned += 1;
                }
                Ok(_) => out
                    .errors
                    .push(format!("{}: no valid cosignature in the answer", peer.url)),
                Err(e) => out.errors.push(e),
            }
            if let Ok(mut m) = case.witnessed.lock() {
                m.insert(peer.url.clone(), known);
            }
        }
        if lines.is_empty() {
            return out;
        }
        let text = format!("{stored}{}\n", lines.join("\n"));
        let keys: Vec<VerifierKey> = self.peers.iter().map(|p| p.key.clone()).collect();
        let stored_ok = crate::tlog::note::Note::parse(text.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|n| {
                let mut l = case
                    .ledger
                    .write()
                    .map_err(|_| "ledger lock poisoned".to_owned())?;
                l.add_cosignatures(&n, &keys).map_err(|e| e.to_string())
            });
        if let Err(e) = stored_ok {
            out.errors.push(format!("cosignatures not stored: {e}"));
            out.cosigned = 0;
        }
        out
    }
}

/// Whether `note` carries a cosignature by `key` that verifies.
fn cosigned_by(note: &crate::tlog::note::Note, key: &VerifierKey) -> bool {
    note.sigs_by(key)
        .any(|g| crate::tlog::note::verify_sig(&note.text, g, key).is_ok())
}
