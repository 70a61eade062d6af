//! The HTTP answer to a ledger error (SPEC §17.3): a refused write carries
//! the §9 code a verifier reports for the same rule; the rest map to the
//! request codes. Used by the routes and by the sequencer that commits.

use crate::audit::engine::refusal_code;
use crate::ledger::{Ledger, LedgerError};
use crate::net::api::{ApiError, HeadInfo};

/// The HTTP answer to a refused write or a failed read.
pub(crate) fn refusal(l: &Ledger, e: &LedgerError) -> ApiError {
    if let LedgerError::StaleHead { .. } = e {
        let mut err = ApiError::new(409, "STALE_HEAD", 2, e.to_string());
        err.head = Some(Box::new(HeadInfo::of(l.id(), l.hash_alg(), l.head())));
        return err;
    }
    if let Some(code) = refusal_code(e) {
        return ApiError::new(
            422,
            code.as_str(),
            2,
            format!("refused, nothing written: {e}"),
        );
    }
    match e {
        LedgerError::TooLarge { .. } => ApiError::new(413, "TOO_LARGE", 2, e.to_string()),
        LedgerError::NotFound(_) => ApiError::new(404, "NOT_FOUND", 2, e.to_string()),
        LedgerError::ReadOnly => {
            ApiError::new(405, "READ_ONLY", 2, "this case is served read-only")
        }
        LedgerError::TooLargeForBundle { .. } => {
            ApiError::new(409, "TOO_LARGE_FOR_BUNDLE", 2, e.to_string())
        }
        LedgerError::UnverifiedSignatures { .. } | LedgerError::TooManySignatures { .. } => {
            ApiError::new(422, "BAD_CHECKPOINT", 2, e.to_string())
        }
        LedgerError::Store(_) | LedgerError::Damaged(_) => {
            ApiError::new(503, "STORAGE", 3, e.to_string())
        }
        _ => ApiError::new(422, "REFUSED", 2, e.to_string()),
    }
}
