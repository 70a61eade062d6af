//! The verifier engine: the one place a record is judged.
//!
//! Owns the pure [`ChainVerifier`] that checks a stream of records in order
//! (encoding, ledger id, sequence, `prev` links, signatures, membership and
//! roles, custody, references, erasures, time order, the Merkle frontier)
//! and the checkpoints it was asked to watch. Both record sources feed it:
//! a ledger store (`audit::store`) and a bundle (`audit::bundle`). The
//! per-record work that needs no state ([`prepare`]) runs in parallel.

use std::collections::BTreeMap;

use crate::format::entry::{Body, Entry, EntryError, LedgerId, Record, Role, Timestamp};
use crate::format::hash::{Hash, HashAlg};
use crate::rules::custody::{Custody, CustodyError};
use crate::rules::policy::Members;
use crate::tlog::checkpoint::Checkpoint;
use crate::tlog::merkle::{self, Frontier, NodeId};
use crate::tlog::note::{self, Note, VerifierKey};

use super::report::{Code, Report};

/// The per-record work of verification that needs no state: decoding, the
/// leaf hash and the signature check. Independent across records, so it can
/// run in parallel; [`ChainVerifier::push_prepared`] does the rest in order.
pub struct Prepared {
    /// H(0x00 || record), RFC 9162 §2.1.1, over the bytes as stored.
    leaf: Hash,
    /// The entry and its signature result, or why it could not be read.
    decoded: Result<(Entry, SigResult), (&'static str, EntryError)>,
}

/// Outcome of one entry's signature check.
type SigResult = Result<(), crate::format::sig::SigError>;

/// A record too large to be read ([`crate::format::cbor::MAX_ENCODED_LEN`]): its
/// leaf hash (computed while streaming it) and the decode error the strict
/// decoder would give it.
pub fn prepare_oversized(leaf: Hash, len: usize) -> Prepared {
    let e = EntryError::Decode(crate::format::cbor::DecodeError::TooLarge {
        len,
        max: crate::format::cbor::MAX_ENCODED_LEN,
    });
    Prepared {
        leaf,
        decoded: Err(("record", e)),
    }
}

impl Prepared {
    /// The record's leaf hash.
    pub fn leaf(&self) -> Hash {
        self.leaf
    }

    /// The entry, when the record decoded.
    pub fn entry(&self) -> Option<&Entry> {
        self.decoded.as_ref().ok().map(|(e, _)| e)
    }
}

/// Do the state-free work for one stored record.
pub fn prepare(alg: HashAlg, raw: &[u8]) -> Prepared {
    let leaf = alg.leaf(raw);
    let decoded = Record::decode(raw)
        .map_err(|e| ("record", e))
        .and_then(|r| {
            let e = Entry::decode(&r.entry_bytes).map_err(|e| ("entry", e))?;
            let sig = r.verify_signature(&e.author);
            Ok((e, sig))
        });
    Prepared { leaf, decoded }
}

/// Checks a stream of records in order, storage-free. Feed it every record
/// with its stored position; read the result with [`ChainVerifier::finish`].
pub struct ChainVerifier<'a> {
    alg: HashAlg,
    expected: u64,
    last_leaf: Hash,
    last_time: Option<Timestamp>,
    members: Members,
    custody: Custody,
    frontier: Frontier,
    /// The tree before the record being checked, kept only when it is a
    /// `ledger.check` (SPEC §13.10).
    head_before: Option<merkle::TreeHead>,
    pub(super) report: Report,
    watch: BTreeMap<u64, Vec<Watched>>,
    /// Finds the seq of an earlier entry by leaf hash (for references).
    lookup: Option<LeafLookup<'a>>,
    /// The item the last pushed entry concerns (for index checks).
    last_item: Option<String>,
    /// (target leaf, digest) of every erasure seen.
    erased: Vec<(Hash, Hash)>,
    /// The `sd` digests of every entry seen that has private fields, by
    /// leaf hash (what an erasure may name, SPEC §15).
    private: std::collections::HashMap<Hash, Vec<Hash>>,
    /// A selection of records (partial bundle): no sequence, link or
    /// custody checks, which need every record, except for the claimed
    /// items.
    partial: bool,
    /// Items whose every entry a partial bundle claims to carry (SPEC
    /// §13.7): custody is replayed for them, and each entry about one but
    /// its intake must link to the one before.
    claimed: std::collections::BTreeSet<String>,
    /// Per claimed item, the first carried entry about it (not its intake)
    /// with no `item_prev`: from there on, completeness cannot be shown.
    unlinked: BTreeMap<String, u64>,
}

/// Finds the seq of an entry by its leaf hash.
pub type LeafLookup<'a> = Box<dyn Fn(&Hash) -> Option<u64> + 'a>;

/// A checkpoint to compare with the ledger when the tree reaches its size.
pub struct Watched {
    /// How to name it in messages (`stored checkpoint`, a file name).
    pub label: String,
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// Its note (signatures unchecked so far).
    pub note: Note,
    /// Keys that must sign it; empty means "an authority of this ledger
    /// active at that size".
    pub trust: Vec<VerifierKey>,
}

/// A checkpoint given to `verify` from outside (`--against`).
#[derive(Clone, Debug)]
pub struct External {
    /// Name for messages, e.g. the file name.
    pub label: String,
    /// The signed note bytes.
    pub bytes: Vec<u8>,
    /// Trusted log keys; empty means the ledger's own authorities.
    pub trust: Vec<VerifierKey>,
}

/// What to check besides the ledger itself.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Checkpoints obtained earlier that the ledger must still extend.
    pub against: Vec<External>,
    /// Ledger directory whose blob store is re-hashed (`verify --evidence`).
    pub evidence_dir: Option<std::path::PathBuf>,
    /// Trust anchors for time-stamping authorities (`--tsa-ca`); without
    /// them a token's signature, imprint, EKU and validity are checked but
    /// the time it shows is not stated.
    pub tsa_anchors: Option<crate::tlog::tsp::Anchors>,
}

impl<'a> ChainVerifier<'a> {
    /// Start a verifier for a ledger hashed with `alg`.
    pub fn new(alg: HashAlg) -> ChainVerifier<'a> {
        ChainVerifier {
            alg,
            expected: 0,
            last_leaf: Hash::ZERO,
            last_time: None,
            members: Members::new(),
            custody: Custody::new(),
            frontier: Frontier::new(),
            head_before: None,
            report: Report {
                hash: Some(alg),
                ..Report::default()
            },
            watch: BTreeMap::new(),
            lookup: None,
            last_item: None,
            erased: Vec::new(),
            private: std::collections::HashMap::new(),
            partial: false,
            claimed: Default::default(),
            unlinked: BTreeMap::new(),
        }
    }

    /// A verifier for every record of ledger `ledger` (a full bundle):
    /// each entry must carry that id.
    pub fn for_ledger(alg: HashAlg, ledger: LedgerId) -> ChainVerifier<'a> {
        let mut v = ChainVerifier::new(alg);
        v.report.ledger = Some(ledger);
        v
    }

    /// A verifier for a selection of records of ledger `ledger` (a partial
    /// bundle): each record is checked on its own (encoding, ledger id, seq,
    /// signature, time order) and membership is replayed over the records
    /// given; sequence gaps, `prev` links and custody are not checked.
    pub fn partial(alg: HashAlg, ledger: LedgerId) -> ChainVerifier<'a> {
        let mut v = ChainVerifier::new(alg);
        v.report.ledger = Some(ledger);
        v.partial = true;
        v
    }

    /// In a partial bundle, replay custody for `items`, whose every entry
    /// up to the checkpoint the bundle claims to carry (SPEC §13.7).
    pub fn claiming(mut self, items: impl IntoIterator<Item = String>) -> Self {
        self.claimed.extend(items);
        self
    }

    /// Per claimed item, the first entry after its intake that carries no
    /// `item_prev` (completeness cannot be shown past it).
    pub fn unlinked(&self) -> &BTreeMap<String, u64> {
        &self.unlinked
    }

    /// Report a problem about the entry at `seq` found outside the verifier
    /// (e.g. an inclusion path that fails).
    pub fn entry_problem(&mut self, code: Code, seq: u64, message: String) {
        self.report.entries += 1;
        self.problem(code, seq, message);
    }

    /// Check references (correction targets, related entries) with `f`.
    /// Without it, references are not checked.
    pub fn with_lookup(mut self, f: LeafLookup<'a>) -> Self {
        self.lookup = Some(f);
        self
    }

    /// The evidence item of the entry pushed last, if any.
    pub fn take_item(&mut self) -> Option<String> {
        self.last_item.take()
    }

    /// The ledger hash.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// Custody as recomputed so far.
    pub fn custody(&self) -> &Custody {
        &self.custody
    }

    /// Erasures seen so far: (target leaf hash, digest).
    pub fn erased(&self) -> &[(Hash, Hash)] {
        &self.erased
    }

    /// Compare a checkpoint with the ledger once the tree reaches its size.
    pub fn watch(&mut self, w: Watched) {
        self.watch
            .entry(w.checkpoint.head.size.0)
            .or_default()
            .push(w);
    }

    /// Report a checkpoint problem not tied to an entry.
    pub fn checkpoint_problem(&mut self, code: Code, message: String) {
        self.report.add(code, None, "checkpoint", message);
    }

    fn check_watched(&mut self) {
        let size = self.frontier.size().0;
        let Some(ws) = self.watch.remove(&size) else {
            return;
        };
        let root = self.frontier.root(self.alg);
        for w in ws {
            self.report.checkpoints += 1;
            if !self.authenticate(&w) {
                continue;
            }
            let cp = &w.checkpoint;
            if let (Some(line), false) = (&cp.items, self.partial) {
                let map = crate::tlog::itemmap::head(self.alg, self.custody.heads());
                if map.as_ref() != Some(line) {
                    self.checkpoint_problem(
                        Code::CheckpointMismatch,
                        format!(
                            "{} at size {size} commits to an item map of {} item(s), root {}, but the ledger's first {size} entries give {}",
                            w.label,
                            line.count,
                            line.root,
                            map.map(|m| format!("{} item(s), root {}", m.count, m.root)).unwrap_or_else(|| "no item".into())
                        ),
                    );
                }
            }
            if cp.head.root != root {
                self.checkpoint_problem(
                    Code::CheckpointMismatch,
                    format!(
                        "{} at size {size} has root {}, but the ledger's first {size} entries give {root}: entries before {size} were altered, reordered or replaced",
                        w.label, cp.head.root
                    ),
                );
            }
        }
    }

    /// Whether a watched checkpoint is for this ledger and signed by a key
    /// it may be believed from: a `--trust` key, or else an authority of
    /// this ledger active now (at its size, or at the ledger's end for a
    /// checkpoint beyond it). Reports `BAD_CHECKPOINT` when it is not, so
    /// that a forged or unsigned checkpoint is never taken as evidence of
    /// tampering (SPEC §9, §10.3).
    fn authenticate(&mut self, w: &Watched) -> bool {
        let cp = &w.checkpoint;
        let size = cp.head.size.0;
        if Some(cp.origin.ledger) != self.report.ledger || cp.origin.alg != self.alg {
            self.checkpoint_problem(
                Code::BadCheckpoint,
                format!(
                    "{} at size {size} is for {}, not this ledger",
                    w.label,
                    cp.origin.line()
                ),
            );
            return false;
        }
        let keys = if w.trust.is_empty() {
            self.members
                .iter()
                .filter(|m| m.role == Role::Authority && m.revoked.is_none())
                .map(|m| cp.origin.log_key(m.key))
                .collect()
        } else {
            w.trust.clone()
        };
        if let Err(e) = note::verify(&w.note, &keys) {
            self.checkpoint_problem(
                Code::BadCheckpoint,
                format!(
                    "{} at size {size} is not validly signed by {}: {e}",
                    w.label,
                    if w.trust.is_empty() {
                        "an authority of this ledger"
                    } else {
                        "a trusted key"
                    }
                ),
            );
            return false;
        }
        true
    }

    fn problem(&mut self, code: Code, seq: u64, message: String) {
        self.report.add(code, Some(seq), "entry", message);
    }

    /// Check the record stored at position `pos`; returns its leaf hash and
    /// the Merkle nodes it completes (for comparison with stored ones).
    pub fn push(&mut self, pos: u64, raw: &[u8]) -> (Hash, Vec<(NodeId, Hash)>) {
        let p = prepare(self.alg, raw);
        self.push_prepared(pos, p)
    }

    /// [`ChainVerifier::push`] with the per-record work (decoding, leaf
    /// hash, signature) already done by [`prepare`], possibly on another
    /// thread. Records must still be pushed in order.
    pub fn push_prepared(&mut self, pos: u64, p: Prepared) -> (Hash, Vec<(NodeId, Hash)>) {
        if pos != self.expected && !self.partial {
            let msg = if pos > self.expected {
                if pos - self.expected == 1 {
                    format!("entry {} is missing", self.expected)
                } else {
                    format!("entries {}..{} are missing", self.expected, pos - 1)
                }
            } else {
                format!("stored out of order after seq {}", self.expected - 1)
            };
            self.problem(Code::SeqGap, pos, msg);
        }
        // A hostile bundle may carry seq u64::MAX: no overflow, the gap is reported.
        self.expected = pos.saturating_add(1);
        self.report.entries += 1;
        let leaf = p.leaf;
        // SPEC §13.10: a self-check states the tree before it.
        self.head_before = match p.entry().map(|e| &e.body) {
            Some(Body::Domain(crate::format::kinds::Domain::LedgerCheck(_))) => {
                Some(self.frontier.head(self.alg))
            }
            _ => None,
        };
        let created = self.frontier.append(self.alg, leaf);
        self.check_entry(pos, p);
        self.last_leaf = leaf;
        self.check_watched();
        (leaf, created)
    }

    /// One record in order: the checks of SPEC §9.1, in its order (step 1,
    /// decoding, is done by [`prepare`]); an entry that breaks signature,
    /// membership, references or custody changes no state.
    fn check_entry(&mut self, pos: u64, p: Prepared) {
        let leaf = p.leaf;
        let (entry, sig) = match p.decoded {
            Ok(x) => x,
            Err((what, e)) => return self.entry_error(pos, what, &e),
        };
        self.check_position(pos, &entry);
        self.check_time(pos, &entry);
        // Each of these reports its own problem; all of them run.
        let signed = self.check_signature(pos, &entry, sig);
        let member = self.check_membership(pos, &entry);
        self.check_genesis(pos, &entry);
        let refs = self.check_references(pos, &entry);
        self.last_item = crate::ledger::entry_item(&entry.body).map(str::to_owned);
        self.report.private_fields += entry.sd.len() as u64;
        let valid = signed
            && member
            && refs
            && self.check_custody(pos, &entry)
            && self.check_ledger_check(pos, &entry);
        if valid {
            self.record_findings(pos, &entry);
            self.apply(&entry, &leaf);
        }
        if !entry.sd.is_empty() {
            self.private.insert(leaf, entry.sd);
        }
    }

    /// SPEC §13.10: a `ledger.check` states the size and root of the
    /// entries before it (not checkable in a partial bundle).
    fn check_ledger_check(&mut self, pos: u64, entry: &Entry) -> bool {
        let (Body::Domain(crate::format::kinds::Domain::LedgerCheck(c)), Some(head)) =
            (&entry.body, self.head_before.take())
        else {
            return true;
        };
        if self.partial || (c.size == head.size.0 && c.root == head.root) {
            return true;
        }
        self.problem(
            Code::BadLedgerCheck,
            pos,
            format!(
                "self-check states size {} and root {}, but the entries before it are {} with root {}",
                c.size,
                short(&c.root),
                head.size.0,
                short(&head.root)
            ),
        );
        false
    }

    /// §9.1 step 2: stored position, ledger id, `prev` link.
    fn check_position(&mut self, pos: u64, entry: &Entry) {
        if entry.seq.0 != pos {
            self.problem(
                Code::SeqOrder,
                pos,
                format!("entry stored at seq {pos} says it is seq {}", entry.seq),
            );
        }
        match self.report.ledger {
            None => self.report.ledger = Some(entry.ledger),
            Some(id) if id != entry.ledger => self.problem(
                Code::WrongLedger,
                pos,
                format!("entry belongs to ledger {}, not {}", entry.ledger, id),
            ),
            Some(_) => {}
        }
        if entry.prev != self.last_leaf && !self.partial {
            self.problem(
                Code::BadPrev,
                pos,
                if pos == 0 {
                    "genesis prev is not 32 zero bytes".to_owned()
                } else {
                    format!(
                        "prev {} is not the leaf hash {} of seq {}",
                        short(&entry.prev),
                        short(&self.last_leaf),
                        pos - 1
                    )
                },
            );
        }
    }

    /// §9.1 step 2, last: recorded time never goes back.
    fn check_time(&mut self, pos: u64, entry: &Entry) {
        if let Some(t) = self.last_time {
            if entry.time < t {
                self.problem(
                    Code::TimeBackwards,
                    pos,
                    format!(
                        "recorded time {} is earlier than the previous entry's {t}",
                        entry.time
                    ),
                );
            }
        }
        self.last_time = Some(self.last_time.map_or(entry.time, |t| t.max(entry.time)));
    }

    /// §9.1 step 3, first: the signature verifies (strict Ed25519, §4).
    fn check_signature(&mut self, pos: u64, entry: &Entry, sig: SigResult) -> bool {
        let Err(e) = sig else { return true };
        let who = match &entry.body {
            Body::LedgerOpen(o) if pos == 0 => o.authority_name.clone(),
            _ => self.members.display(&entry.author),
        };
        self.problem(
            Code::BadSignature,
            pos,
            format!("signature by '{who}' does not verify ({e})"),
        );
        false
    }

    /// §9.1 step 3: the author is an active member whose role may append
    /// this kind (§5, §6).
    fn check_membership(&mut self, pos: u64, entry: &Entry) -> bool {
        match self.members.check(entry) {
            Ok(()) => true,
            Err(e) => {
                self.problem(Code::from(&e), pos, e.to_string());
                false
            }
        }
    }

    /// §9.1 step 3, last: the genesis names the hash in use.
    fn check_genesis(&mut self, pos: u64, entry: &Entry) {
        if let Body::LedgerOpen(o) = &entry.body {
            if pos == 0 {
                self.report.case_id = Some(o.case_id.clone());
                if o.hash != self.alg {
                    self.problem(
                        Code::BadGenesis,
                        pos,
                        format!(
                            "genesis names hash {} but the ledger uses {}",
                            o.hash, self.alg
                        ),
                    );
                }
            }
        }
    }

    /// §9.1 step 4: references name earlier entries (§13.4), then erasures
    /// are valid (§15).
    fn check_references(&mut self, pos: u64, entry: &Entry) -> bool {
        let bad_refs: Vec<Hash> = match &self.lookup {
            Some(lookup) => crate::ledger::references(&entry.body)
                .into_iter()
                .filter(|h| lookup(h).is_none_or(|s| s >= pos))
                .copied()
                .collect(),
            None => Vec::new(),
        };
        let mut valid = bad_refs.is_empty();
        for h in bad_refs {
            self.problem(
                Code::BadReference,
                pos,
                format!("refers to {}, which is not an earlier entry", short(&h)),
            );
        }
        if let Some(why) = valid.then(|| self.bad_erasure(&entry.body)).flatten() {
            valid = false;
            self.problem(Code::BadReference, pos, why);
        }
        valid
    }

    /// §9.1 step 5: the custody state machine (§13.2), only when steps 3-4
    /// found nothing, and not in partial bundles.
    fn check_custody(&mut self, pos: u64, entry: &Entry) -> bool {
        if self.partial && !self.claims(entry) {
            return true;
        }
        if self.partial && entry.item_prev.is_none() {
            if let Body::Domain(d) = &entry.body {
                if !matches!(d, crate::format::kinds::Domain::EvidenceIntake(_)) {
                    let item = d.item().expect("engine: claimed entries name an item");
                    self.unlinked.entry(item.to_owned()).or_insert(pos);
                }
            }
        }
        match self.custody.check(entry, &entry.ledger, &self.members) {
            // In an item bundle a broken link is an entry left out.
            Err(e @ CustodyError::ItemLink { .. }) if self.partial => {
                self.problem(
                    Code::ItemIncomplete,
                    pos,
                    format!("{e}: an entry about the item is missing from the bundle"),
                );
                false
            }
            Err(e) => {
                self.problem(Code::from(&e), pos, e.to_string());
                false
            }
            Ok(()) => true,
        }
    }

    /// SPEC §9.3: what a valid entry states for a court to see, named by
    /// who recorded it. Never a problem.
    fn record_findings(&mut self, pos: u64, entry: &Entry) {
        for f in super::findings::findings_of(pos, entry, &self.members, &self.custody) {
            self.report.add_finding(f);
        }
    }

    /// A valid entry changes the replayed state: members, custody, erasures.
    fn apply(&mut self, entry: &Entry, leaf: &Hash) {
        self.members.apply(entry);
        // A partial bundle replays its claimed items, and the intakes it
        // carries (a claimed copy's source, SPEC §13.5).
        let intake = matches!(
            &entry.body,
            Body::Domain(crate::format::kinds::Domain::EvidenceIntake(_))
        );
        if !self.partial || self.claims(entry) || intake {
            self.custody.apply(entry, leaf);
        }
        if let Body::Domain(crate::format::kinds::Domain::DisclosureErased(d)) = &entry.body {
            self.report.erasures += 1;
            self.erased.push((d.target, d.digest));
        }
    }

    /// Whether `entry` is about an item this partial bundle claims whole.
    fn claims(&self, entry: &Entry) -> bool {
        match &entry.body {
            Body::Domain(d) => d.item().is_some_and(|i| self.claimed.contains(i)),
            _ => false,
        }
    }

    /// Why an erasure is invalid (SPEC §15): its digest is not in its
    /// target's `sd`, or that private field was already erased. A target
    /// that is not an earlier entry is a reference problem reported with
    /// the others; in a partial bundle an absent target is not judged.
    fn bad_erasure(&self, body: &Body) -> Option<String> {
        let Body::Domain(crate::format::kinds::Domain::DisclosureErased(d)) = body else {
            return None;
        };
        let digest = short(&d.digest);
        match self.private.get(&d.target) {
            Some(sd) if !sd.contains(&d.digest) => Some(format!(
                "erases private field {digest}, which entry {} does not have",
                short(&d.target)
            )),
            None if self.lookup.as_ref().is_some_and(|f| f(&d.target).is_some()) => Some(format!(
                "erases private field {digest} of entry {}, which has no private fields",
                short(&d.target)
            )),
            _ if self.erased.contains(&(d.target, d.digest)) => {
                Some(format!("erases private field {digest} a second time"))
            }
            _ => None,
        }
    }

    fn entry_error(&mut self, pos: u64, what: &str, e: &EntryError) {
        self.problem(Code::from(e), pos, format!("{what} cannot be read: {e}"));
    }

    /// Members as recomputed so far.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Size and root recomputed so far.
    pub fn tree_head(&self) -> merkle::TreeHead {
        self.frontier.head(self.alg)
    }

    /// Leaf hash and time of the last record.
    pub fn last(&self) -> (Hash, Option<Timestamp>) {
        (self.last_leaf, self.last_time)
    }

    /// The report so far, with the recomputed root filled in.
    pub fn finish(mut self) -> Report {
        if self.report.entries == 0 {
            self.report.add(
                Code::Empty,
                None,
                "entry",
                "the ledger has no entries".into(),
            );
        }
        let entries = self.frontier.size().0;
        for (size, ws) in std::mem::take(&mut self.watch) {
            for w in ws {
                if size == 0 {
                    let msg = format!("{} is of the empty tree", w.label);
                    self.report
                        .add(Code::BadCheckpoint, None, "checkpoint", msg);
                    continue;
                }
                // Believed only once authenticated: an unsigned or forged
                // checkpoint claiming a larger size is BAD_CHECKPOINT, not
                // evidence that entries were removed.
                if !self.authenticate(&w) {
                    continue;
                }
                let msg = format!(
                    "{} covers {size} entries but the ledger holds {entries}: entries were removed (truncation or rollback)",
                    w.label
                );
                self.report.add(Code::Truncated, None, "checkpoint", msg);
            }
        }
        self.report.root = Some(self.frontier.root(self.alg));
        self.report
    }
}

fn short(h: &Hash) -> String {
    h.to_hex()[..16].to_owned()
}
