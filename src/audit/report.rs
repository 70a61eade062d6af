//! The verification codes (SPEC §9) and the report every verifier returns.
//!
//! Owns: a [`Problem`] (a [`Code`], defined low in `format::code` so every
//! layer's refusals name the same codes), findings, and the [`Report`]
//! with its counts and its JSON form (`schemas/verify-report.schema.json`).

use std::fmt;

use serde_json::json;

pub use crate::format::code::Code;
use crate::format::entry::LedgerId;
use crate::format::hash::{Hash, HashAlg};

/// Most problems kept in a report; the rest are only counted.
pub const MAX_PROBLEMS: usize = 1000;

/// One problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable code.
    pub code: Code,
    /// The entry concerned, when the problem is about one entry.
    pub seq: Option<u64>,
    /// Where: `entry`, `tree`, `index`, `meta` or `checkpoint`.
    pub area: &'static str,
    /// A plain sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq {
            Some(s) => write!(f, "{} seq {}: {}", self.code, s, self.message),
            None => write!(f, "{} {}: {}", self.code, self.area, self.message),
        }
    }
}

/// What a ledger states that a court must see (SPEC §9.3). A finding is
/// a fact its members recorded, never a problem of the record's integrity:
/// it does not change the verdict or the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindingCode {
    /// A receipt that says the item's seal was not intact.
    SealBroken,
    /// A re-hash of a presented copy of a file that differed from the
    /// intake digests (`evidence.verify` with `matches` false).
    CopyDiffered,
    /// A re-hash of a presented copy of a tree whose content listing
    /// differed from the intake's.
    TreeDiffered,
    /// A receipt refusing the transfer (`rejected`).
    TransferRefused,
    /// The condition a receiver recorded on receipt.
    ReceiptCondition,
    /// A self-check (`ledger.check`) that recorded problems.
    SelfCheckProblems,
}

impl FindingCode {
    /// Every finding code, in SPEC §9.3 order.
    pub const ALL: [FindingCode; 6] = [
        FindingCode::CopyDiffered,
        FindingCode::TreeDiffered,
        FindingCode::SealBroken,
        FindingCode::TransferRefused,
        FindingCode::ReceiptCondition,
        FindingCode::SelfCheckProblems,
    ];

    /// The stable upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::SealBroken => "SEAL_BROKEN",
            FindingCode::CopyDiffered => "COPY_DIFFERED",
            FindingCode::TreeDiffered => "TREE_DIFFERED",
            FindingCode::TransferRefused => "TRANSFER_REFUSED",
            FindingCode::ReceiptCondition => "RECEIPT_CONDITION",
            FindingCode::SelfCheckProblems => "SELF_CHECK_PROBLEMS",
        }
    }
}

impl fmt::Display for FindingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What this run established about the stored or carried copy of the file
/// a [`FindingCode::CopyDiffered`] finding names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyCheck {
    /// Not re-hashed in this run (`verify` without `--evidence`).
    NotChecked,
    /// The ledger keeps no copy of it.
    NoCopy,
    /// The kept (or carried) copy was re-hashed and matches the intake.
    Matches,
    /// The kept (or carried) copy was re-hashed and does not match (an
    /// `EVIDENCE_MISMATCH` problem says so).
    Differs,
    /// A bundle: the file is not carried in it.
    NotCarried,
    /// A bundle: the file is carried and matches the intake.
    CarriedMatches,
    /// A bundle: the file is carried and does not match the intake (an
    /// `EVIDENCE_MISMATCH` problem says so).
    CarriedDiffers,
}

impl CopyCheck {
    /// The stable lower-case name (JSON `stored_copy`).
    pub fn as_str(self) -> &'static str {
        match self {
            CopyCheck::NotChecked => "not-checked",
            CopyCheck::NoCopy => "no-copy",
            CopyCheck::Matches => "matches",
            CopyCheck::Differs => "differs",
            CopyCheck::NotCarried => "not-carried",
            CopyCheck::CarriedMatches => "carried-matches",
            CopyCheck::CarriedDiffers => "carried-differs",
        }
    }

    fn clause(self) -> &'static str {
        match self {
            CopyCheck::NotChecked => "the ledger's own copy was not re-hashed in this run (verify --evidence does)",
            CopyCheck::NoCopy => "the ledger keeps no copy of it to compare",
            CopyCheck::Matches => "the ledger's own copy, re-hashed in this run, matches them",
            CopyCheck::Differs => "the ledger's own copy, re-hashed in this run, does not match them either (see EVIDENCE_MISMATCH)",
            CopyCheck::NotCarried => "this bundle does not carry the file",
            CopyCheck::CarriedMatches => "the copy this bundle carries, re-hashed, matches them",
            CopyCheck::CarriedDiffers => "the copy this bundle carries, re-hashed, does not match them either (see EVIDENCE_MISMATCH)",
        }
    }
}

/// One fact a ledger states (SPEC §9.3): who recorded what, where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// The entry that states it.
    pub seq: u64,
    /// The evidence item it is about.
    pub item: String,
    /// Who recorded it: the entry's author as `member list` names them
    /// (and the signer of an imported receipt).
    pub by: String,
    /// The file named (a copy or tree finding) or the recorded words (a
    /// refusal's reason, a condition), exactly as recorded.
    pub detail: String,
    /// The intake's BLAKE3 of the file named, when the intake was seen.
    pub intake_blake3: Option<Hash>,
    /// What this run established about the ledger's own copy (copy
    /// findings only).
    pub copy: Option<CopyCheck>,
}

impl Finding {
    /// The sentence every output shows, without the seq.
    pub fn sentence(&self) -> String {
        let (item, by, d) = (&self.item, &self.by, &self.detail);
        let copy = self
            .copy
            .map(|c| format!("; {}", c.clause()))
            .unwrap_or_default();
        match self.code {
            FindingCode::SealBroken => {
                format!("{by} recorded that {item} was received with its seal not intact")
            }
            FindingCode::CopyDiffered => format!(
                "{by} recorded that a copy of {item} file {d:?} they re-hashed differed from the digests recorded when it was taken in{copy}"
            ),
            FindingCode::TreeDiffered => format!(
                "{by} recorded that a copy of {item} tree {:?} they re-hashed differed from the intake's content listing (files added, missing or changed; the ledger records the listing's digests, not which files){copy}",
                d.trim_end_matches('/')
            ),
            FindingCode::TransferRefused => {
                format!("{by} recorded that the transfer of {item} was refused: {d:?}")
            }
            FindingCode::ReceiptCondition => {
                format!("{by} recorded the condition of {item} on receipt: {d:?}")
            }
            FindingCode::SelfCheckProblems => {
                let (size, codes) = d.split_once(": ").unwrap_or((d.as_str(), ""));
                format!("{by} recorded a self-check of the {size} entries before it that found problems: {codes}")
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}: {} ({})", self.seq, self.sentence(), self.code)
    }
}

/// The result of a verification run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Ledger id from the genesis entry (or `meta` if genesis is unreadable).
    pub ledger: Option<LedgerId>,
    /// Hash used.
    pub hash: Option<HashAlg>,
    /// Case id from the genesis entry.
    pub case_id: Option<String>,
    /// Records examined.
    pub entries: u64,
    /// Recomputed tree root over the records examined.
    pub root: Option<Hash>,
    /// Problems, in the order found, at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`].
    pub problems_omitted: u64,
    /// Facts the entries state for a court to see (SPEC §9.3), in entry
    /// order, at most [`MAX_PROBLEMS`]; they never fail a verification.
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_PROBLEMS`].
    pub findings_omitted: u64,
    /// Checkpoints (stored and given) compared with the recomputed tree.
    pub checkpoints: u64,
    /// Stored evidence copies re-hashed (`verify --evidence`).
    pub evidence_checked: u64,
    /// Intake files `verify --evidence` could not re-hash: no stored copy.
    pub evidence_missing: u64,
    /// Private fields committed to by the entries (`sd` digests).
    pub private_fields: u64,
    /// Of those, how many disclosures are present and match; the rest are
    /// redacted (or erased), which is not a failure.
    pub disclosures_present: u64,
    /// Erasures recorded (`disclosure.erased` entries).
    pub erasures: u64,
    /// RFC 3161 time-stamps that verified (SPEC §10.5), by checkpoint size.
    pub timestamps: Vec<TimestampFact>,
    /// Items whose every entry a partial bundle claims to carry, and
    /// whether that was shown (SPEC §13.7).
    pub items: Vec<ItemChain>,
    /// What the run covered beyond the records, for the "Checked:" and
    /// "Not checked:" lists every output ends with.
    pub scope: Scope,
}

/// What a verification run covered beyond the records themselves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Stored or carried copies were re-hashed (`verify --evidence`; a
    /// bundle's carried files always are).
    pub rehash: bool,
    /// The files re-hashed, named (`EV-1 "scan.pdf"`), at most
    /// [`MAX_NAMED`]; `evidence_checked` counts them all.
    pub rehashed: Vec<String>,
    /// Checkpoints given from outside (`--against`).
    pub against: u64,
    /// Items whose custody was replayed.
    pub items_replayed: u64,
    /// A bundle: who signed its checkpoint with a pinned key, by member
    /// name as the bundle's membership records give it.
    pub signed_by: Vec<String>,
    /// A bundle: the mirrors (by key name) whose cosignature of its
    /// checkpoint verified under a pinned mirror key; each says it
    /// recomputed the item map from every record (SPEC §17.7).
    pub recomputed_by: Vec<String>,
}

/// Most files named in [`Scope::rehashed`].
pub const MAX_NAMED: usize = 50;

impl Scope {
    /// Name one more re-hashed file (counted by the caller).
    pub fn rehashed(&mut self, name: String) {
        if self.rehashed.len() < MAX_NAMED {
            self.rehashed.push(name);
        }
    }
}

/// What an item bundle shows about one item's chain of entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemChain {
    /// The item id.
    pub item: String,
    /// The checkpoint's tree size.
    pub size: u64,
    /// Seq of the item's latest entry at that size.
    pub head: u64,
    /// Every entry about the item up to `size` is in the bundle, linked
    /// from its intake to `head`, and its custody replayed.
    pub complete: bool,
    /// Why completeness cannot be shown (entries written before links).
    pub reason: Option<String>,
}

/// What a verified time-stamp shows: the state of size `size` existed no
/// later than `gen_time`, per `tsa`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampFact {
    /// The checkpoint's tree size.
    pub size: u64,
    /// The TSA's genTime.
    pub gen_time: crate::format::ids::Timestamp,
    /// The TSA's name.
    pub tsa: String,
    /// Whether its signer chained to a `--tsa-ca` anchor; only then does
    /// the report state the time as shown.
    pub anchored: bool,
}

impl Code {
    /// The code of a time-stamp token's verification failure.
    pub fn of_timestamp(e: &crate::tlog::tsp::TspError) -> Code {
        use crate::tlog::tsp::TspError as E;
        match e {
            E::Signature { .. } => Code::TimestampSignature,
            E::Imprint => Code::TimestampImprint,
            E::Eku { .. } => Code::TimestampEku,
            E::Expired { .. } => Code::TimestampExpired,
            E::Untrusted { .. } => Code::TimestampUntrusted,
            _ => Code::BadTimestamp,
        }
    }
}

impl Report {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.problems_omitted == 0
    }

    /// Whether a problem with `code` (at `seq`, if given) was reported.
    pub fn has(&self, code: Code, seq: Option<u64>) -> bool {
        self.problems
            .iter()
            .any(|p| p.code == code && (seq.is_none() || p.seq == seq))
    }

    /// Count a carried evidence file; report it when it does not match the
    /// intake that lists it.
    pub fn checked_files(&mut self, ok: bool, blake3: &Hash) {
        self.evidence_checked += 1;
        if !ok {
            self.add(
                Code::EvidenceMismatch,
                None,
                "evidence",
                format!(
                    "carried file {} does not match an included intake's or attach's size and digests",
                    blake3
                ),
            );
        }
    }

    /// Record a problem (kept up to [`MAX_PROBLEMS`], then only counted).
    pub fn add(&mut self, code: Code, seq: Option<u64>, area: &'static str, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                code,
                seq,
                area,
                message,
            });
        } else {
            self.problems_omitted += 1;
        }
    }

    /// Record a finding (kept up to [`MAX_PROBLEMS`], then only counted).
    pub fn add_finding(&mut self, f: Finding) {
        if self.findings.len() < MAX_PROBLEMS {
            self.findings.push(f);
        } else {
            self.findings_omitted += 1;
        }
    }

    /// Settle what the copy and tree findings say about the ledger's own
    /// copies: `check(item, file name, intake BLAKE3)`.
    pub fn settle_copies(&mut self, check: impl Fn(&str, &str, Option<&Hash>) -> CopyCheck) {
        for f in &mut self.findings {
            if f.copy.is_some() {
                f.copy = Some(check(&f.item, &f.detail, f.intake_blake3.as_ref()));
            }
        }
    }

    /// Machine-readable form (`schemas/verify-report.schema.json`).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "format": "caselog-verify-report/v1",
            "verified": self.is_ok(),
            "ledger": self.ledger.map(|l| l.to_hex()),
            "hash": self.hash.map(|h| h.name()),
            "case": self.case_id,
            "entries": self.entries,
            "root": self.root.map(|r| r.to_hex()),
            "problems": self.problems.iter().map(|p| json!({
                "code": p.code.as_str(),
                "seq": p.seq,
                "area": p.area,
                "message": p.message,
            })).collect::<Vec<_>>(),
            "problems_omitted": self.problems_omitted,
            "findings": self.findings.iter().map(|f| json!({
                "code": f.code.as_str(),
                "seq": f.seq,
                "item": f.item,
                "by": f.by,
                "detail": f.detail,
                "stored_copy": f.copy.map(CopyCheck::as_str),
                "message": f.sentence(),
            })).collect::<Vec<_>>(),
            "findings_omitted": self.findings_omitted,
            "checkpoints": self.checkpoints,
            "evidence_checked": self.evidence_checked,
            "evidence_missing": self.evidence_missing,
            "private_fields": self.private_fields,
            "disclosures_present": self.disclosures_present,
            "erasures": self.erasures,
            "timestamps": self.timestamps.iter().map(|t| json!({
                "size": t.size,
                "gen_time": t.gen_time.to_string(),
                "tsa": t.tsa,
                "anchored": t.anchored,
            })).collect::<Vec<_>>(),
            "scope": json!({
                "rehash": self.scope.rehash,
                "rehashed": self.scope.rehashed,
                "against": self.scope.against,
                "items_replayed": self.scope.items_replayed,
                "signed_by": self.scope.signed_by,
                "recomputed_by": self.scope.recomputed_by,
            }),
            "items": self.items.iter().map(|c| json!({
                "item": c.item,
                "size": c.size,
                "head_seq": c.head,
                "complete": c.complete,
                "reason": c.reason,
            })).collect::<Vec<_>>(),
        })
    }
}
