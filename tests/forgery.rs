//! Signed forgeries: from a real ledger's bundle, build bundles that are
//! cryptographically perfect (entries re-signed with the members' own keys,
//! re-chained, the root recomputed and the checkpoint re-signed by an
//! authority) but break one rule of SPEC.md each, and require that the
//! Rust verifier and the independent Python verifier (tools/verify-bundle)
//! reject every one with the same set of codes, and accept every control.
//!
//! The defence expert's inputs are not flipped bytes: they are forgeries an
//! insider holding a member's key could make. A verifier that lets one
//! through prints VERIFIED on an altered exhibit.

use crate::common;

use crate::common::{receive, release};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::rc::Rc;

use caselog::audit::bundle::{self, Bundle, Item, ItemProof, Selection};
use caselog::audit::Code;
use caselog::format::cbor::{self, Value};
use caselog::format::disclosure::{Disclosure, Reveal};
use caselog::format::edtf::Edtf;
use caselog::format::entry::{signing_message, Body, MemberEnroll, MemberRevoke, Timestamp};
use caselog::format::ids::ItemHeads;
use caselog::format::kinds::{
    receipt_message, Action, Correction, CustodyReceive, CustodyRetrieve, CustodyStore, Domain,
    Event, EvidenceClose, EvidenceIntake, EvidenceVerify, FileFixity, Notification, Receipt, Seals,
    Source,
};
use caselog::storage::keys::Signer;
use caselog::tlog::checkpoint::{Checkpoint, Origin};
use caselog::tlog::itemmap::{self, MapHead};
use caselog::tlog::merkle::{root_of_leaves, TreeHead, TreeSize};
use caselog::tlog::note::{self, VerifierKey, TYPE_COSIGNATURE};
use caselog::{Hash, HashAlg, Ledger, Role, Seq};

fn a2() -> Signer {
    Signer::from_seed("Second authority (test)", &[0x31; 32])
}
fn c1() -> Signer {
    Signer::from_seed("Custodian One (test)", &[0x32; 32])
}
fn c2() -> Signer {
    Signer::from_seed("Custodian Two (test)", &[0x33; 32])
}
fn lab() -> Signer {
    Signer::from_seed("State lab (external, test)", &[0x34; 32])
}
fn counsel() -> Signer {
    Signer::from_seed("Counsel (test)", &[0x35; 32])
}
fn witness() -> Signer {
    Signer::from_seed("Witness (test)", &[0x36; 32])
}
fn mirror() -> Signer {
    Signer::from_seed("Mirror (test)", &[0x37; 32])
}
fn signers() -> Vec<Signer> {
    vec![
        common::authority(),
        common::investigator(),
        common::outsider(),
        a2(),
        c1(),
        c2(),
        lab(),
        counsel(),
    ]
}

const LETTER: &[u8] = b"FAKE scan of the extortion letter (test data)";

fn letter_file() -> FileFixity {
    use sha2::Digest as _;
    FileFixity {
        name: "letter.txt".into(),
        size: LETTER.len() as u64,
        blake3: Hash(*blake3::hash(LETTER).as_bytes()),
        sha256: Hash(sha2::Sha256::digest(LETTER).into()),
        media_type: Some("text/plain".into()),
    }
}

fn d(x: Domain) -> Body {
    Body::Domain(x)
}

/// The base ledger: every kind, custody with an external receipt, a
/// correction, private fields (one erased), a revoked investigator and a
/// revoked second authority. Returns the ledger, the erased disclosure's
/// bytes and the seq of the entry that held it.
fn base_ledger(dir: &Path) -> (Ledger, Vec<u8>, Seq) {
    let a = common::authority();
    let mut l = common::build_small(dir, HashAlg::Blake3);
    let t = common::t;
    for (s, role) in [
        (a2(), Role::Authority),
        (c1(), Role::Custodian),
        (c2(), Role::Custodian),
        (lab(), Role::External),
        (counsel(), Role::Counsel),
    ] {
        let body = Body::MemberEnroll(MemberEnroll {
            profile: Default::default(),
            name: s.name().into(),
            role,
            key: s.public(),
        });
        l.append_at(body, &a, t(400)).unwrap();
    }
    let note3 = l.seq_leaf(Seq(3));
    let (_, event) = l
        .append_at(
            d(Domain::Event(Event {
                zone: None,
                title: "Extortion letter received".into(),
                description: Some("Lists members' names, SSNs and birth dates".into()),
                occurred: Edtf::parse("2008-10~").unwrap(),
                location: Some("Company mail room".into()),
                sources: vec![Source {
                    name: "company press release".into(),
                    grade: "B2".into(),
                    reference: None,
                    digest: None,
                }],
                tags: vec!["extortion".into()],
                refs: vec![note3],
            })),
            &a,
            t(410),
        )
        .unwrap();
    l.append_at(
        d(Domain::Notification(Notification {
            zone: None,
            by: "Company".into(),
            to: "Affected members".into(),
            count: Some(75),
            channel: "letter".into(),
            sent: Edtf::parse("2008-11-06").unwrap(),
            subject: None,
            digest: None,
        })),
        &a,
        t(420),
    )
    .unwrap();
    l.append_at(
        d(Domain::Action(Action {
            zone: None,
            title: "Subpoena served".into(),
            by: "Counsel".into(),
            occurred: Edtf::parse("2008-11-10T09:30:00-05:00").unwrap(),
            authority: Some("Subpoena 08-1234".into()),
            outcome: None,
        })),
        &counsel(),
        t(430),
    )
    .unwrap();
    l.append_at(intake("EV-1"), &c1(), t(440)).unwrap();
    l.append_at(
        d(Domain::EvidenceVerify(EvidenceVerify {
            item: "EV-1".into(),
            file: letter_file(),
            matches: true,
        })),
        &c1(),
        t(450),
    )
    .unwrap();
    // SPEC §13.6: an evidence-room check-in and check-out, the intake's
    // seal broken and a new one applied, a release under a warrant.
    l.append_at(
        d(Domain::CustodyStore(CustodyStore {
            item: "EV-1".into(),
            location: "Property room B, locker 12".into(),
            reason: Some("awaiting examination".into()),
            condition: None,
            seals: Seals::default(),
        })),
        &c1(),
        t(452),
    )
    .unwrap();
    l.append_at(
        d(Domain::CustodyRetrieve(CustodyRetrieve {
            item: "EV-1".into(),
            reason: "transfer for examination".into(),
            condition: Some("bag intact".into()),
            seals: Seals {
                broken: vec!["S-1187".into()],
                applied: vec!["S-1188".into()],
            },
        })),
        &c1(),
        t(455),
    )
    .unwrap();
    let mut first = release("EV-1", &c2());
    if let Body::Domain(Domain::CustodyRelease(r)) = &mut first {
        r.authority = Some("Search warrant 08-SW-1123".into());
        r.transport = Some("hand carried".into());
    }
    let (_, rel) = l.append_at(first, &c1(), t(460)).unwrap();
    l.append_at(receive("EV-1", rel, true), &c2(), t(470))
        .unwrap();
    let (_, rel) = l.append_at(release("EV-1", &lab()), &c2(), t(480)).unwrap();
    let body = receipt("EV-1", rel, l.id(), &lab(), true);
    l.append_at(d(Domain::CustodyReceive(body)), &c2(), t(490))
        .unwrap();
    l.append_at(
        d(Domain::Correction(Correction {
            target: event,
            set: BTreeMap::from([("title".into(), "Extortion letter received (by post)".into())]),
            reason: "detail from the mail log".into(),
        })),
        &a,
        t(500),
    )
    .unwrap();
    // Private fields, one of them erased; then later entries.
    let private = ["members/001", "members/002"]
        .iter()
        .map(|p| Disclosure::new(p, Value::Text(format!("FAKE-NAME {p}"))).unwrap())
        .collect();
    let (pseq, _) = l
        .append_private(
            common::note("Members named in the letter (private)"),
            &a,
            private,
        )
        .unwrap();
    let erased = l
        .disclosures_of(pseq)
        .unwrap()
        .into_iter()
        .find(|(_, d)| d.path == "members/001")
        .unwrap()
        .1
        .encode();
    l.erase(pseq, "members/001", "court order", Some("Order 09-42"), &a)
        .unwrap();
    let now = Timestamp::now();
    let revoke = Body::MemberRevoke(MemberRevoke {
        key: a2().public(),
        reason: "reassigned".into(),
    });
    l.append_at(revoke, &a, now).unwrap();
    l.append_at(intake("EV-2"), &c1(), now).unwrap();
    l.append_at(
        d(Domain::EvidenceDispose(EvidenceClose {
            item: "EV-2".into(),
            detail: "shredded".into(),
            reason: "duplicate copy".into(),
        })),
        &c1(),
        now,
    )
    .unwrap();
    (l, erased, pseq)
}

fn intake(item: &str) -> Body {
    d(Domain::EvidenceIntake(EvidenceIntake {
        zone: None,
        tree: None,
        device: None,
        lineage: None,
        item: item.into(),
        description: "scan of the letter".into(),
        collected_by: "Custodian One".into(),
        collected: Edtf::parse("2008-10-09").unwrap(),
        location: None,
        seal: Some("S-1187".into()),
        files: vec![letter_file()],
    }))
}

fn receipt(
    item: &str,
    release: Hash,
    ledger: caselog::LedgerId,
    by: &Signer,
    seal_intact: bool,
) -> CustodyReceive {
    let mut body = CustodyReceive {
        seals: Default::default(),
        rejected: None,
        item: item.into(),
        release,
        seal_intact: Some(seal_intact),
        condition: Some("sealed bag".into()),
        receipt: None,
    };
    let time = common::t(485);
    let sig = by
        .sign(&receipt_message(&ledger, &body, &by.public(), &time))
        .unwrap();
    body.receipt = Some(Receipt {
        key: by.public(),
        time,
        sig,
    });
    body
}

trait LeafOf {
    fn seq_leaf(&self, seq: Seq) -> Hash;
}
impl LeafOf for Ledger {
    fn seq_leaf(&self, seq: Seq) -> Hash {
        self.hash_alg()
            .leaf(&self.record_bytes(seq).unwrap().unwrap())
    }
}

// ---- the forger --------------------------------------------------------------

/// A bundle taken apart into entry maps, to be changed and put back together
/// with every signature, link, root and checkpoint made valid again.
#[derive(Clone)]
struct Forge {
    alg: HashAlg,
    ledger: caselog::LedgerId,
    /// (bundle seq, entry map) per record.
    entries: Vec<(u64, Value)>,
    /// Records whose bytes are given as they are (not re-encoded or re-signed).
    raw: BTreeMap<usize, Vec<u8>>,
    /// Entry bytes given as they are (re-signed, not re-encoded).
    raw_entry: BTreeMap<usize, Vec<u8>>,
    /// Records whose `prev` is left as set (not re-chained).
    keep_prev: BTreeSet<usize>,
    /// Records whose signature is replaced by this one.
    bad_sig: BTreeMap<usize, [u8; 64]>,
    disclosures: Vec<(Seq, Vec<u8>)>,
    files: Vec<(Hash, Vec<u8>)>,
    /// Who signs the checkpoint.
    cp_signer: Rc<Signer>,
    /// Checkpoint size and root to claim instead of the recomputed ones.
    cp_claim: Option<TreeHead>,
    /// Extra note signature lines (cosignatures).
    cosign: Vec<(String, Rc<Signer>)>,
    /// The key id those lines claim instead of their signer's (a line
    /// relabelled as another cosigner's).
    cosign_id: Option<[u8; 4]>,
    /// Leave records out of a partial bundle: only these indices, with paths.
    partial: Option<Vec<usize>>,
    /// Custody receipts left as set (not re-signed).
    keep_receipt: BTreeSet<usize>,
    /// Identity of each entry (its index in the export; new ones get fresh ids).
    ids: Vec<usize>,
    /// Leaf hash in the export -> identity: references (event refs,
    /// correction and erasure targets, the release a receipt answers) are
    /// pointed at the re-signed entry they named, as a forger would.
    links: HashMap<Hash, usize>,
    keys: Rc<HashMap<[u8; 32], Signer>>,
    /// Time-stamp tokens to carry, made over the body of the checkpoint
    /// the forger signs (SPEC §10.5).
    stamp: Option<Stamp>,
    /// Entries whose `item_prev` is left as set (not re-linked).
    keep_item_prev: BTreeSet<usize>,
    /// The checkpoint's item-map line to claim instead of the recomputed one.
    items_claim: Option<Option<MapHead>>,
    /// Items a partial bundle proves whole (SPEC §13.7), and a change made
    /// to their proofs.
    claims: Vec<String>,
    proof_edit: Option<fn(&mut ItemProof)>,
}

/// Makes time-stamp tokens over a checkpoint body.
type Stamp = Rc<dyn Fn(&[u8]) -> Vec<Vec<u8>>>;

impl Forge {
    fn from_bundle(b: &Bundle) -> Forge {
        let entries = b
            .items
            .iter()
            .map(|i| {
                let Value::Array(a) = cbor::decode(&i.record).unwrap() else {
                    panic!("record")
                };
                let Value::Bytes(e) = &a[0] else {
                    panic!("entry")
                };
                (i.seq.0, cbor::decode(e).unwrap())
            })
            .collect();
        let links = b
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (b.alg.leaf(&it.record), i))
            .collect();
        Forge {
            ids: (0..b.items.len()).collect(),
            links,
            keep_receipt: BTreeSet::new(),
            alg: b.alg,
            ledger: b.ledger,
            entries,
            raw: BTreeMap::new(),
            raw_entry: BTreeMap::new(),
            keep_prev: BTreeSet::new(),
            bad_sig: BTreeMap::new(),
            disclosures: b.disclosures.clone(),
            files: b.files.clone(),
            cp_signer: Rc::new(common::authority()),
            cp_claim: None,
            cosign: Vec::new(),
            cosign_id: None,
            stamp: None,
            keep_item_prev: BTreeSet::new(),
            items_claim: None,
            claims: Vec::new(),
            proof_edit: None,
            partial: None,
            keys: Rc::new(signers().into_iter().map(|s| (s.public().0, s)).collect()),
        }
    }

    fn map(&mut self, i: usize) -> &mut BTreeMap<String, Value> {
        match &mut self.entries[i].1 {
            Value::Map(m) => m,
            _ => panic!("entry {i} is not a map"),
        }
    }

    fn body(&mut self, i: usize) -> &mut BTreeMap<String, Value> {
        match self.map(i).get_mut("body") {
            Some(Value::Map(m)) => m,
            _ => panic!("body of {i} is not a map"),
        }
    }

    fn set(&mut self, i: usize, key: &str, v: Value) {
        self.map(i).insert(key.into(), v);
    }

    fn set_body(&mut self, i: usize, key: &str, v: Value) {
        self.body(i).insert(key.into(), v);
    }

    /// Index of the first entry of `kind`.
    fn find(&self, kind: &str) -> usize {
        self.entries
            .iter()
            .position(|(_, e)| {
                matches!(e, Value::Map(m) if m.get("kind") == Some(&Value::Text(kind.into())))
            })
            .unwrap_or_else(|| panic!("no {kind} entry"))
    }

    /// Re-sign entry `i` as `s` (its author becomes `s`).
    fn author(&mut self, i: usize, s: &Signer) {
        self.set(i, "author", Value::Bytes(s.public().0.to_vec()));
    }

    /// Append a copy of entry `src`, changed by `f`, at the end.
    fn append(&mut self, src: usize, f: impl FnOnce(&mut BTreeMap<String, Value>)) -> usize {
        let mut e = self.entries[src].1.clone();
        let Value::Map(m) = &mut e else { panic!() };
        let seq = self.entries.last().unwrap().0 + 1;
        m.insert("seq".into(), Value::Uint(seq));
        m.remove("sd");
        let last_time = self.entries.last().unwrap().1.clone();
        if let Value::Map(lm) = last_time {
            m.insert("time".into(), lm["time"].clone());
        }
        f(m);
        self.entries.push((seq, e));
        self.ids.push(usize::MAX - self.ids.len());
        self.entries.len() - 1
    }

    /// Remove entry `i` (later entries keep their seqs: a gap).
    fn remove(&mut self, i: usize) {
        self.entries.remove(i);
        self.ids.remove(i);
    }

    /// Insert a copy of entry `src` right after it; later entries move up
    /// one seq.
    fn duplicate(&mut self, src: usize) {
        let e = self.entries[src].clone();
        self.entries.insert(src + 1, e);
        self.ids.insert(src + 1, usize::MAX - self.ids.len());
        for k in src + 1..self.entries.len() {
            let seq = self.entries[k - 1].0 + 1;
            self.entries[k].0 = seq;
            self.set(k, "seq", Value::Uint(seq));
        }
    }

    /// Point references at the re-signed entries they named, and re-sign a
    /// receipt whose message changed.
    fn relink(&self, i: usize, e: &mut Value, leaves: &HashMap<usize, Hash>) {
        let fix = |v: &mut Value| {
            if let Value::Bytes(b) = v {
                if let Some(h) = Hash::from_slice(b)
                    .and_then(|h| self.links.get(&h))
                    .and_then(|id| leaves.get(id))
                {
                    *b = h.0.to_vec();
                }
            }
        };
        let Value::Map(m) = e else { return };
        let ledger = m.get("ledger").cloned();
        let custody_receipt = m.get("kind") == Some(&text("custody.receive"));
        let Some(Value::Map(b)) = m.get_mut("body") else {
            return;
        };
        for k in ["target", "release"] {
            if let Some(v) = b.get_mut(k) {
                fix(v);
            }
        }
        if let Some(Value::Array(refs)) = b.get_mut("refs") {
            refs.iter_mut().for_each(fix);
        }
        if self.keep_receipt.contains(&i) || !custody_receipt {
            return;
        }
        let Some(Value::Map(rc)) = b.get("receipt").cloned() else {
            return;
        };
        let Some(Value::Bytes(key)) = rc.get("key") else {
            return;
        };
        let Some(s) = <[u8; 32]>::try_from(key.as_slice())
            .ok()
            .and_then(|k| self.keys.get(&k))
        else {
            return;
        };
        // "caselog-receipt-v1" || 0x00 || {ledger, item, release,
        // seal_intact, ? condition, ? rejected, ? seals_broken,
        // ? seals_applied, time, key}, SPEC §13.3.
        let mut msg_map = BTreeMap::new();
        for k in [
            "item",
            "release",
            "seal_intact",
            "condition",
            "rejected",
            "seals_broken",
            "seals_applied",
        ] {
            if let Some(v) = b.get(k) {
                msg_map.insert(k.to_owned(), v.clone());
            }
        }
        msg_map.insert("ledger".into(), ledger.unwrap_or(Value::Bytes(vec![])));
        let (Some(time), Some(key)) = (rc.get("time"), rc.get("key")) else {
            return;
        };
        msg_map.insert("time".into(), time.clone());
        msg_map.insert("key".into(), key.clone());
        let mut msg = b"caselog-receipt-v1\x00".to_vec();
        msg.extend_from_slice(&cbor::encode(&Value::Map(msg_map)));
        let mut rc = rc.clone();
        rc.insert("sig".into(), Value::Bytes(s.sign(&msg).unwrap().to_vec()));
        b.insert("receipt".into(), Value::Map(rc));
    }

    fn leaf_of(&self, i: usize) -> Hash {
        self.records()[i].1
    }

    /// The records (bytes, leaf), re-chained and re-signed.
    fn records(&self) -> Vec<(Vec<u8>, Hash)> {
        let mut out = Vec::with_capacity(self.entries.len());
        let mut prev = Hash::ZERO;
        let mut leaves = HashMap::new();
        let mut item_last: HashMap<String, Hash> = HashMap::new();
        for (i, (_, e)) in self.entries.iter().enumerate() {
            let item = entry_item(e);
            let bytes = if let Some(r) = self.raw.get(&i) {
                r.clone()
            } else {
                let mut e = e.clone();
                self.relink(i, &mut e, &leaves);
                // SPEC §13.7: re-linked to the item's latest entry, as a
                // forger re-chains `prev`.
                if let (Value::Map(m), Some(it), false) =
                    (&mut e, &item, self.keep_item_prev.contains(&i))
                {
                    if m.contains_key("item_prev") {
                        match item_last.get(it) {
                            Some(l) => m.insert("item_prev".into(), Value::Bytes(l.0.to_vec())),
                            None => m.remove("item_prev"),
                        };
                    }
                }
                if let (Value::Map(m), false) = (&mut e, self.keep_prev.contains(&i)) {
                    m.insert("prev".into(), Value::Bytes(prev.0.to_vec()));
                }
                let eb = self
                    .raw_entry
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| cbor::encode(&e));
                let sig = match self.bad_sig.get(&i) {
                    Some(s) => *s,
                    None => {
                        // The author's own key; an author no key is known
                        // for (a mutation made it up) gets an outsider's.
                        let author = match &e {
                            Value::Map(m) => match m.get("author") {
                                Some(Value::Bytes(a)) => <[u8; 32]>::try_from(a.as_slice()).ok(),
                                _ => None,
                            },
                            _ => None,
                        };
                        let outsider = common::outsider();
                        let s = author.and_then(|k| self.keys.get(&k)).unwrap_or(&outsider);
                        s.sign(&signing_message(&eb)).unwrap()
                    }
                };
                cbor::encode(&Value::Array(vec![
                    Value::Bytes(eb),
                    Value::Bytes(sig.to_vec()),
                ]))
            };
            let leaf = self.alg.leaf(&bytes);
            if let Some(it) = item {
                item_last.insert(it, leaf);
            }
            out.push((bytes, leaf));
            leaves.insert(self.ids[i], leaf);
            prev = leaf;
        }
        out
    }

    fn build(&self) -> Vec<u8> {
        let recs = self.records();
        let leaves: Vec<Hash> = recs.iter().map(|(_, l)| *l).collect();
        let head = self.cp_claim.unwrap_or(TreeHead {
            size: TreeSize(leaves.len() as u64),
            root: root_of_leaves(self.alg, &leaves),
        });
        // SPEC §13.7: every item's latest entry, as the forger sees them.
        let mut heads = ItemHeads::new();
        for ((_, leaf), (seq, e)) in recs.iter().zip(&self.entries) {
            if let Some(it) = entry_item(e) {
                heads.insert(it, (Seq(*seq), *leaf));
            }
        }
        let cp = Checkpoint {
            items: self
                .items_claim
                .unwrap_or_else(|| itemmap::head(self.alg, &heads)),
            origin: Origin {
                alg: self.alg,
                ledger: self.ledger,
            },
            head,
        };
        let item_proofs: Vec<ItemProof> = self
            .claims
            .iter()
            .map(|it| {
                let (index, path) = itemmap::prove(self.alg, &heads, it).unwrap();
                let mut p = ItemProof {
                    item: it.clone(),
                    seq: heads[it].0,
                    index,
                    path,
                };
                if let Some(f) = self.proof_edit {
                    f(&mut p);
                }
                p
            })
            .collect();
        let mut n = cp.sign(&self.cp_signer).unwrap();
        for (name, s) in &self.cosign {
            let mut g = note::cosign(&n.text, name, s, 1_700_000_000).unwrap();
            if let Some(id) = self.cosign_id {
                g.id = id;
            }
            n.add_sig(g);
        }
        let mut timestamps = self
            .stamp
            .as_ref()
            .map_or_else(Vec::new, |f| f(cp.body().as_bytes()));
        timestamps.sort();
        let items = match &self.partial {
            None => recs
                .into_iter()
                .zip(&self.entries)
                .map(|((record, _), (seq, _))| Item {
                    seq: Seq(*seq),
                    record,
                    path: vec![],
                })
                .collect(),
            Some(pick) => pick
                .iter()
                .copied()
                .collect::<BTreeSet<usize>>()
                .into_iter()
                .map(|i| Item {
                    seq: Seq(self.entries[i].0),
                    record: recs[i].0.clone(),
                    path: inclusion_path(self.alg, i, &leaves),
                })
                .collect(),
        };
        Bundle {
            ledger: self.ledger,
            alg: self.alg,
            checkpoint: n.to_text(),
            full: self.partial.is_none(),
            items,
            files: self.files.clone(),
            disclosures: self.disclosures.clone(),
            timestamps,
            item_proofs,
        }
        .encode()
    }
}

/// The evidence item an entry map is about (SPEC §13.7), by its kind.
fn entry_item(e: &Value) -> Option<String> {
    const KINDS: [&str; 9] = [
        "evidence.intake",
        "evidence.attach",
        "evidence.verify",
        "evidence.dispose",
        "evidence.return",
        "custody.release",
        "custody.receive",
        "custody.store",
        "custody.retrieve",
    ];
    let Value::Map(m) = e else { return None };
    match (m.get("kind"), m.get("body")) {
        (Some(Value::Text(k)), Some(Value::Map(b))) if KINDS.contains(&k.as_str()) => {
            match b.get("item") {
                Some(Value::Text(i)) => Some(i.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// RFC 9162 §2.1.3.1 PATH(m, D[n]), written out recursively.
fn inclusion_path(alg: HashAlg, m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    // k: the largest power of two smaller than n.
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if m < k {
        let mut p = inclusion_path(alg, m, &leaves[..k]);
        p.push(root_of_leaves(alg, &leaves[k..]));
        p
    } else {
        let mut p = inclusion_path(alg, m - k, &leaves[k..]);
        p.push(root_of_leaves(alg, &leaves[..k]));
        p
    }
}

// ---- the corpus ------------------------------------------------------------------

struct Case {
    name: String,
    bytes: Vec<u8>,
    /// None: a control that both must accept. Some(code): a forgery both
    /// must reject, reporting at least this code.
    want: Option<&'static str>,
    /// A finding (SPEC §9.3) both must report; every case's findings must
    /// be the same in both.
    finding: Option<&'static str>,
    trust: Vec<VerifierKey>,
    witnesses: Vec<VerifierKey>,
    quorum: usize,
    /// Mirror keys pinned (`--mirror`) and the mirror quorum.
    mirrors: Vec<VerifierKey>,
    mirror_quorum: usize,
    /// TSA roots both verifiers are given (`--tsa-ca`).
    tsa_ca: Option<std::path::PathBuf>,
}

struct Corpus {
    base: Forge,
    authority_key: VerifierKey,
    cases: Vec<Case>,
}

impl Corpus {
    fn add(&mut self, name: &str, want: Option<&'static str>, f: impl FnOnce(&mut Forge)) {
        let mut g = self.base.clone();
        f(&mut g);
        self.push(name, want, g.build(), vec![self.authority_key.clone()]);
    }

    /// A control (both must accept it) whose entries state `finding`.
    fn found(&mut self, name: &str, finding: &'static str, f: impl FnOnce(&mut Forge)) {
        self.add(name, None, f);
        self.cases.last_mut().expect("forgery: just added").finding = Some(finding);
    }

    fn push(
        &mut self,
        name: &str,
        want: Option<&'static str>,
        bytes: Vec<u8>,
        trust: Vec<VerifierKey>,
    ) {
        self.cases.push(Case {
            name: name.into(),
            bytes,
            want,
            finding: None,
            trust,
            witnesses: vec![],
            quorum: 0,
            mirrors: vec![],
            mirror_quorum: 0,
            tsa_ca: None,
        });
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn corpus(dir: &Path) -> (Corpus, Vec<u8>) {
    let (l, erased, pseq) = base_ledger(&dir.join("l"));
    let mut l = l;
    let cp = l
        .checkpoint(&common::authority())
        .unwrap()
        .to_text()
        .into_bytes();
    let sel = Selection {
        reveal: Reveal::Paths(vec!["*".into()]),
        ..Selection::default()
    };
    let exported = bundle::build(&l, &cp, &sel).unwrap().encode();
    let mut base = Forge::from_bundle(&Bundle::decode(&exported).unwrap());
    // The forger's rebuild of the untouched export must be the export, byte
    // for byte; from here on the base also carries the letter's file.
    let rebuilt = base.build();
    base.files = vec![(letter_file().blake3, LETTER.to_vec())];
    let origin = l.origin();
    let mut c = Corpus {
        base,
        authority_key: origin.log_key(common::authority().public()),
        cases: vec![],
    };
    let n = c.base.entries.len();
    let i = |c: &Corpus, k: &str| c.base.find(k);
    let (note, event, notif, action) = (2, i(&c, "event"), i(&c, "notification"), i(&c, "action"));
    let (intake, verify, rel, rec) = (
        i(&c, "evidence.intake"),
        i(&c, "evidence.verify"),
        i(&c, "custody.release"),
        i(&c, "custody.receive"),
    );
    let (corr, erase) = (i(&c, "correction"), i(&c, "disclosure.erased"));
    let pidx = c
        .base
        .entries
        .iter()
        .position(|(s, _)| *s == pseq.0)
        .unwrap();
    let receipt_rec = rec + 2;
    let dispose = i(&c, "evidence.dispose");

    // Controls: what both must accept.
    c.add("control-rebuild", None, |_| {});
    c.add("control-whitespace-like-U+001C-is-text", None, |g| {
        g.set_body(note, "text", text("\u{1c}"))
    });
    c.add("control-correction-with-empty-value", None, |g| {
        g.set_body(
            corr,
            "set",
            Value::Map(BTreeMap::from([("title".into(), text(""))])),
        )
    });
    // §13.1: the case's zone in the genesis entry, spelling only.
    c.add("control-case-zone", None, |g| {
        g.set_body(0, "zone", text("America/Los_Angeles"))
    });
    c.add("case-zone-an-offset", Some("BAD_BODY"), |g| {
        g.set_body(0, "zone", text("-07:00"))
    });
    // §13.1: the IANA zone of a human-entered date, spelling only.
    c.add("control-zone-names", None, |g| {
        g.set_body(event, "zone", text("America/Argentina/Buenos_Aires"));
        g.set_body(notif, "zone", text("Etc/GMT+5"));
        g.set_body(action, "zone", text("UTC"));
        g.set_body(intake, "zone", text("America/Los_Angeles"));
    });
    c.add("zone-is-an-offset", Some("BAD_BODY"), |g| {
        g.set_body(event, "zone", text("-07:00"))
    });
    c.add("zone-not-ascii", Some("BAD_BODY"), |g| {
        g.set_body(action, "zone", text("Europe/Zürich"))
    });
    c.add("zone-empty-part", Some("BAD_BODY"), |g| {
        g.set_body(intake, "zone", text("America//Los_Angeles"))
    });
    c.add("zone-on-a-note", Some("BAD_BODY"), |g| {
        g.set_body(note, "zone", text("UTC"))
    });
    c.add("control-edtf-datetime-zone", None, |g| {
        g.set_body(event, "occurred", text("1985-04-12T23:20:30+14:00"))
    });
    // The last three entries: the second authority's revocation, an intake
    // and its disposal. Cut before them, the second authority was active.
    let truncate = |g: &mut Forge| {
        for _ in 0..3 {
            g.remove(g.entries.len() - 1);
        }
        let keep: Vec<(Seq, Vec<u8>)> = g
            .disclosures
            .iter()
            .filter(|(s, _)| s.0 < (n - 3) as u64)
            .cloned()
            .collect();
        g.disclosures = keep;
    };
    c.add("control-truncated-and-resigned", None, truncate);
    let mut g = c.base.clone();
    truncate(&mut g);
    g.cp_signer = Rc::new(a2());
    let both = vec![c.authority_key.clone(), origin.log_key(a2().public())];
    c.push(
        "control-checkpoint-by-authority-before-revocation",
        None,
        g.build(),
        both,
    );
    c.add("control-partial", None, |g| {
        g.disclosures.clear();
        g.files.clear();
        g.partial = Some(vec![0, 1, 5, 7, 8, 9, 10, 11, note, event]);
    });
    // §13.7: item links, the checkpoint's item map, item bundles.
    let kind_of = |g: &Forge, k: usize| match &g.entries[k].1 {
        Value::Map(m) => match m.get("kind") {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let membership: Vec<usize> = (0..n)
        .filter(|&k| {
            ["ledger.open", "member.enroll", "member.revoke"]
                .contains(&kind_of(&c.base, k).as_str())
        })
        .collect();
    let ev1: Vec<usize> = (0..n)
        .filter(|&k| entry_item(&c.base.entries[k].1).as_deref() == Some("EV-1"))
        .collect();
    assert_eq!(
        ev1.len(),
        8,
        "EV-1: intake, verify, store, retrieve, two releases, two receipts"
    );
    let item_bundle = move |g: &mut Forge, leave_out: Option<usize>| {
        g.disclosures.clear();
        g.files.clear();
        let mut pick = membership.clone();
        pick.extend(ev1.iter().copied().filter(|k| Some(*k) != leave_out));
        g.partial = Some(pick);
        g.claims = vec!["EV-1".into()];
    };
    let ib = item_bundle.clone();
    c.add("control-item-bundle-complete", None, move |g| ib(g, None));
    c.add("control-item-link-absent", None, |g| {
        if let Value::Map(m) = &mut g.entries[verify].1 {
            m.remove("item_prev");
        }
    });
    c.add("item-link-skips-an-entry", Some("CUSTODY_ITEM_LINK"), |g| {
        let l = g.leaf_of(intake);
        g.set(rec, "item_prev", Value::Bytes(l.0.to_vec()));
        g.keep_item_prev.insert(rec);
    });
    c.add("item-link-on-intake", Some("BAD_ENTRY"), |g| {
        let l = g.leaf_of(intake - 1);
        g.set(intake, "item_prev", Value::Bytes(l.0.to_vec()));
        g.keep_item_prev.insert(intake);
    });
    c.add("item-link-on-a-note", Some("BAD_ENTRY"), |g| {
        g.set(note, "item_prev", Value::Bytes(vec![1; 32]));
    });
    c.add("item-map-root-wrong", Some("CHECKPOINT_MISMATCH"), |g| {
        g.items_claim = Some(Some(MapHead {
            count: 2,
            root: Hash([7; 32]),
        }));
    });
    c.add("control-checkpoint-without-item-map", None, |g| {
        g.items_claim = Some(None);
    });
    let stored = i(&c, "custody.store");
    let ib = item_bundle.clone();
    c.add(
        "item-bundle-leaves-out-an-entry",
        Some("ITEM_INCOMPLETE"),
        move |g| ib(g, Some(stored)),
    );
    let ib = item_bundle.clone();
    c.add(
        "item-bundle-stops-early",
        Some("ITEM_INCOMPLETE"),
        move |g| ib(g, Some(receipt_rec)),
    );
    let ib = item_bundle.clone();
    c.add(
        "item-bundle-proof-edited",
        Some("ITEM_INCOMPLETE"),
        move |g| {
            ib(g, None);
            g.proof_edit = Some(|p| p.index ^= 1);
        },
    );
    let ib = item_bundle.clone();
    c.add(
        "item-bundle-without-item-map",
        Some("ITEM_INCOMPLETE"),
        move |g| {
            ib(g, None);
            g.items_claim = Some(None);
        },
    );
    let ib = item_bundle.clone();
    c.add(
        "item-bundle-custody-break",
        Some("CUSTODY_NOT_HOLDER"),
        move |g| {
            ib(g, None);
            g.author(rel, &c2());
        },
    );

    // §2 and §4: encoding.
    c.add("non-canonical-entry", Some("NON_CANONICAL"), |g| {
        let e = cbor::encode(&g.entries[note].1);
        let at = e.windows(3).position(|w| w == [0x61, b'v', 0x01]).unwrap();
        let mut bad = e[..at + 2].to_vec();
        bad.extend_from_slice(&[0x18, 0x01]);
        bad.extend_from_slice(&e[at + 3..]);
        g.raw_entry.insert(note, bad);
    });
    c.add("record-with-short-signature", Some("DECODE"), |g| {
        let mut r = g.records();
        let Value::Array(mut a) = cbor::decode(&r[note].0).unwrap() else {
            panic!()
        };
        a[1] = Value::Bytes(vec![0; 63]);
        r[note].0 = cbor::encode(&Value::Array(a));
        g.raw.insert(note, r[note].0.clone());
    });
    c.add("record-over-1MiB", Some("DECODE"), |g| {
        // Read in passes by both verifiers: hashed while read, reported.
        g.raw.insert(
            note,
            vec![0x82; caselog::format::cbor::MAX_ENCODED_LEN + 10],
        );
    });
    c.add("bad-signature", Some("BAD_SIGNATURE"), |g| {
        g.bad_sig.insert(note, [7; 64]);
    });
    // §3: the entry map.
    c.add("version-2", Some("BAD_VERSION"), |g| {
        g.set(note, "v", Value::Uint(2))
    });
    c.add("version-true", Some("BAD_ENTRY"), |g| {
        g.set(note, "v", Value::Bool(true))
    });
    c.add("stray-entry-key", Some("BAD_ENTRY"), |g| {
        g.set(note, "x", Value::Uint(0))
    });
    c.add("time-with-newline", Some("BAD_ENTRY"), |g| {
        let Value::Text(t) = g.map(note)["time"].clone() else {
            panic!()
        };
        g.set(note, "time", Value::Text(t + "\n"));
    });
    c.add("time-feb-30", Some("BAD_ENTRY"), |g| {
        g.set(note, "time", text("2008-02-30T12:00:00.000000Z"))
    });
    c.add("sd-twice", Some("BAD_ENTRY"), |g| {
        let d = Value::Bytes(vec![9; 32]);
        g.set(note, "sd", Value::Array(vec![d.clone(), d]));
    });
    c.add("unknown-kind", Some("UNKNOWN_KIND"), |g| {
        g.set(note, "kind", text("note.v2"))
    });
    c.add("wrong-ledger", Some("WRONG_LEDGER"), |g| {
        for k in 0..n {
            g.set(k, "ledger", Value::Bytes(vec![0xee; 16]));
        }
    });
    c.add("seq-order", Some("SEQ_ORDER"), |g| {
        g.set(note, "seq", Value::Uint(99))
    });
    c.add("seq-gap", Some("SEQ_GAP"), |g| g.remove(note + 1));
    c.add("seq-u64-max", Some("SEQ_GAP"), |g| {
        let k = g.append(3, |m| {
            m.insert("seq".into(), Value::Uint(u64::MAX));
        });
        g.entries[k].0 = u64::MAX;
    });
    c.add("bad-prev", Some("BAD_PREV"), |g| {
        g.keep_prev.insert(note);
        g.set(note, "prev", Value::Bytes(vec![1; 32]));
    });
    c.add("time-backwards", Some("TIME_BACKWARDS"), |g| {
        g.set(note, "time", text("2001-01-01T00:00:00.000000Z"))
    });
    // §5: bodies.
    c.add("stray-body-key", Some("BAD_BODY"), |g| {
        g.set_body(note, "x", Value::Uint(0))
    });
    c.add("blank-note", Some("BAD_BODY"), |g| {
        g.set_body(note, "text", text(" \u{3000}\n"))
    });
    c.add("long-short-text", Some("BAD_BODY"), |g| {
        g.set_body(event, "title", Value::Text("x".repeat(1025)))
    });
    c.add("edtf-month-13", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("2008-13"))
    });
    c.add("control-edtf-XXXX-XX-XX", None, |g| {
        g.set_body(event, "occurred", text("XXXX-XX-XX"))
    });
    c.add("edtf-201X-05", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("201X-05"))
    });
    c.add("edtf-interval-reversed", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("2008-10/2008-09"))
    });
    c.add("edtf-zone-15h", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("2008-10-01T10:00:00+15:00"))
    });
    // SPEC §13.1: nothing follows a Y year (both verifiers once took it).
    c.add("edtf-qualified-long-year", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("Y-170000002?"))
    });
    c.add("control-edtf-long-year", None, |g| {
        g.set_body(event, "occurred", text("Y-170000002"))
    });
    c.add("edtf-qualified-datetime", Some("BAD_BODY"), |g| {
        g.set_body(event, "occurred", text("2008-10-01T10:00:00Z?"))
    });
    c.add("grade-G1", Some("BAD_BODY"), |g| {
        g.set_body(
            event,
            "sources",
            Value::Array(vec![Value::Map(BTreeMap::from([
                ("name".into(), text("x")),
                ("grade".into(), text("G1")),
            ]))]),
        )
    });
    c.add("blank-tag", Some("BAD_BODY"), |g| {
        g.set_body(event, "tags", Value::Array(vec![text("  ")]))
    });
    c.add("channel-fax", Some("BAD_BODY"), |g| {
        g.set_body(notif, "channel", text("fax"))
    });
    c.add("count-negative", Some("BAD_BODY"), |g| {
        g.set_body(notif, "count", Value::Nint(0))
    });
    c.add("action-missing-by", Some("BAD_BODY"), |g| {
        g.body(action).remove("by");
    });
    c.add("item-id-space", Some("BAD_BODY"), |g| {
        g.set_body(intake, "item", text("EV 1"))
    });
    // SPEC §13.5: device identifiers and lineage at intake.
    let ev2 = (0..n)
        .find(|&k| {
            let (_, Value::Map(m)) = &c.base.entries[k] else {
                return false;
            };
            matches!(m.get("body"), Some(Value::Map(b)) if b.get("item") == Some(&text("EV-2")))
        })
        .unwrap();
    let map = |kv: &[(&str, &str)]| {
        Value::Map(kv.iter().map(|(k, v)| ((*k).to_owned(), text(v))).collect())
    };
    let image_of = |src: &str| {
        map(&[
            ("role", "image"),
            ("derived_from", src),
            ("tool", "FTK Imager"),
            ("tool_version", "4.7.1"),
            ("method", "physical acquisition, write-blocked"),
        ])
    };
    c.add("control-intake-provenance", None, |g| {
        g.set_body(
            intake,
            "device",
            map(&[("make", "Acme"), ("serial", "SN-1")]),
        );
        g.set_body(intake, "lineage", map(&[("role", "original")]));
        g.set_body(ev2, "lineage", image_of("EV-1"));
    });
    c.add("intake-device-empty", Some("BAD_BODY"), |g| {
        g.set_body(intake, "device", map(&[]));
    });
    c.add("intake-device-unknown-field", Some("BAD_BODY"), |g| {
        g.set_body(intake, "device", map(&[("colour", "grey")]));
    });
    c.add("lineage-original-with-tool", Some("BAD_BODY"), |g| {
        g.set_body(
            intake,
            "lineage",
            map(&[("role", "original"), ("tool", "dd")]),
        );
    });
    c.add("lineage-copy-without-method", Some("BAD_BODY"), |g| {
        let l = map(&[("role", "image"), ("derived_from", "EV-1"), ("tool", "dd")]);
        g.set_body(ev2, "lineage", l);
    });
    c.add("lineage-role-unknown", Some("BAD_BODY"), |g| {
        g.set_body(intake, "lineage", map(&[("role", "photocopy")]));
    });
    c.add(
        "lineage-copy-of-a-later-item",
        Some("CUSTODY_UNKNOWN_ITEM"),
        |g| {
            g.set_body(intake, "lineage", image_of("EV-2"));
        },
    );
    c.add("intake-duplicate-file-names", Some("BAD_BODY"), |g| {
        let f = g.body(intake)["files"].clone();
        let Value::Array(mut a) = f else { panic!() };
        a.push(a[0].clone());
        g.set_body(intake, "files", Value::Array(a));
    });
    c.add("verify-matches-as-1", Some("BAD_BODY"), |g| {
        g.set_body(verify, "matches", Value::Uint(1))
    });
    c.add("correction-empty-set", Some("BAD_BODY"), |g| {
        g.set_body(corr, "set", Value::Map(BTreeMap::new()))
    });
    c.add("erasure-path-with-DEL", Some("BAD_BODY"), |g| {
        g.set_body(erase, "path", text("members/\u{7f}"))
    });
    c.add("receipt-time-bad", Some("BAD_BODY"), |g| {
        let Some(Value::Map(r)) = g.body(receipt_rec).get_mut("receipt") else {
            panic!()
        };
        r.insert("time".into(), text("2008-10-09"));
    });
    // §6: membership and roles.
    c.add("unknown-author", Some("UNKNOWN_AUTHOR"), |g| {
        g.author(note, &common::outsider())
    });
    c.add("revoked-author", Some("REVOKED_AUTHOR"), |g| {
        g.append(3, |m| {
            m.insert(
                "author".into(),
                Value::Bytes(common::investigator().public().0.to_vec()),
            );
        });
    });
    c.add("external-writes-note", Some("ROLE_NOT_ALLOWED"), |g| {
        g.append(3, |m| {
            m.insert("author".into(), Value::Bytes(lab().public().0.to_vec()));
        });
    });
    c.add("counsel-enrolls", Some("ROLE_NOT_ALLOWED"), |g| {
        g.append(1, |m| {
            m.insert("author".into(), Value::Bytes(counsel().public().0.to_vec()));
            if let Some(Value::Map(b)) = m.get_mut("body") {
                b.insert(
                    "key".into(),
                    Value::Bytes(common::outsider().public().0.to_vec()),
                );
            }
        });
    });
    c.add("enroll-weak-key", Some("BAD_MEMBERSHIP"), |g| {
        let mut identity = vec![0u8; 32];
        identity[0] = 1;
        g.append(1, |m| {
            if let Some(Value::Map(b)) = m.get_mut("body") {
                b.insert("key".into(), Value::Bytes(identity));
            }
        });
    });
    // §6: who a member is.
    let enroll = i(&c, "member.enroll");
    c.add("control-enroll-with-title-and-organization", None, |g| {
        g.set_body(enroll, "title", text("Detective"));
        g.set_body(enroll, "organization", text("Palo Alto Police Department"));
        g.set_body(enroll, "contact", text("+1 650 555 0100"));
    });
    c.add("enroll-blank-organization", Some("BAD_BODY"), |g| {
        g.set_body(enroll, "organization", text(" "))
    });
    c.add("enroll-unknown-field", Some("BAD_BODY"), |g| {
        g.set_body(enroll, "rank", text("Sergeant"))
    });
    c.add("enroll-twice", Some("BAD_MEMBERSHIP"), |g| {
        g.append(1, |_| {});
    });
    c.add("genesis-key-not-author", Some("BAD_GENESIS"), |g| {
        g.set_body(0, "authority_key", Value::Bytes(a2().public().0.to_vec()))
    });
    c.add("genesis-other-hash", Some("BAD_GENESIS"), |g| {
        g.set_body(0, "hash", text("sha256"))
    });
    c.add("second-genesis", Some("BAD_GENESIS"), |g| {
        g.append(0, |_| {});
    });
    // §13.2-§13.3: custody and evidence.
    c.add("verify-unknown-item", Some("CUSTODY_UNKNOWN_ITEM"), |g| {
        g.set_body(verify, "item", text("EV-9"))
    });
    c.add("second-intake", Some("CUSTODY_DUPLICATE_ITEM"), |g| {
        g.append(intake, |_| {});
    });
    // Ids differing only in letter case name one item (issue 25, item 5).
    c.add(
        "second-intake-in-other-case",
        Some("CUSTODY_DUPLICATE_ITEM"),
        |g| {
            g.append(intake, |m| {
                if let Some(Value::Map(b)) = m.get_mut("body") {
                    b.insert("item".into(), text("ev-1"));
                }
                m.remove("item_prev");
            });
        },
    );
    c.add("release-by-non-holder", Some("CUSTODY_NOT_HOLDER"), |g| {
        g.author(rel, &c2())
    });
    c.add("release-to-outsider", Some("CUSTODY_BAD_RECEIVER"), |g| {
        g.set_body(
            rel,
            "to",
            Value::Bytes(common::outsider().public().0.to_vec()),
        )
    });
    c.add("receive-by-other", Some("CUSTODY_WRONG_RECEIVER"), |g| {
        g.author(rec, &c1())
    });
    c.add(
        "receive-wrong-release",
        Some("CUSTODY_WRONG_RELEASE"),
        |g| g.set_body(rec, "release", Value::Bytes(vec![3; 32])),
    );
    c.add("double-release", Some("CUSTODY_DOUBLE_RELEASE"), |g| {
        g.duplicate(rel)
    });
    c.add("after-disposal", Some("CUSTODY_AFTER_DISPOSAL"), |g| {
        g.append(dispose, |_| {});
    });
    // SPEC §9.3: recorded facts are findings, never problems.
    c.found("control-seal-broken", "SEAL_BROKEN", |g| {
        g.set_body(rec, "seal_intact", Value::Bool(false))
    });
    // SPEC §13.6: a receipt of a sealed item states what was found; only
    // an item with no seal may be received without saying.
    c.add(
        "receipt-of-sealed-item-silent-on-seal",
        Some("CUSTODY_SEAL"),
        |g| {
            g.body(rec).remove("seal_intact");
        },
    );
    let retrieve = i(&c, "custody.retrieve");
    c.add("control-receipts-of-unsealed-item-say-nothing", None, |g| {
        g.body(retrieve).remove("seals_applied");
        g.body(rec).remove("seal_intact");
        g.body(receipt_rec).remove("seal_intact");
    });
    c.found("control-receipt-condition", "RECEIPT_CONDITION", |g| {
        g.set_body(rec, "condition", text("bag torn at one corner"))
    });
    // SPEC §13.2: a refused transfer leaves the item with the releaser.
    c.found(
        "control-external-receiver-refuses",
        "TRANSFER_REFUSED",
        |g| {
            g.set_body(
                receipt_rec,
                "rejected",
                text("seal number differs from the form"),
            );
        },
    );
    c.add(
        "refuser-then-acts-as-holder",
        Some("CUSTODY_NOT_HOLDER"),
        |g| {
            g.set_body(rec, "rejected", text("not the item requested"));
        },
    );
    c.add(
        "refusal-added-to-a-signed-receipt",
        Some("CUSTODY_BAD_RECEIPT"),
        |g| {
            g.set_body(receipt_rec, "rejected", text("added by the holder"));
            g.keep_receipt.insert(receipt_rec);
        },
    );
    c.add("refusal-blank", Some("BAD_BODY"), |g| {
        g.set_body(rec, "rejected", text(" "));
    });
    c.add("receipt-forged", Some("CUSTODY_BAD_RECEIPT"), |g| {
        let Some(Value::Map(r)) = g.body(receipt_rec).get_mut("receipt") else {
            panic!()
        };
        r.insert("sig".into(), Value::Bytes(vec![5; 64]));
        g.keep_receipt.insert(receipt_rec);
    });
    c.add(
        "receipt-by-member-not-external",
        Some("CUSTODY_BAD_RECEIPT"),
        |g| {
            let ledger = g.ledger;
            let Value::Map(b) = g.map(receipt_rec)["body"].clone() else {
                panic!()
            };
            let Some(Value::Bytes(relh)) = b.get("release") else {
                panic!()
            };
            let body = receipt(
                "EV-1",
                Hash::from_slice(relh).unwrap(),
                ledger,
                &counsel(),
                true,
            );
            let v = Body::Domain(Domain::CustodyReceive(body)).to_value();
            g.set(receipt_rec, "body", v);
        },
    );
    // §13.6: evidence rooms and seals.
    let (store, retrieve) = (i(&c, "custody.store"), i(&c, "custody.retrieve"));
    let texts = |v: &[&str]| Value::Array(v.iter().map(|s| text(s)).collect());
    c.add("store-by-non-holder", Some("CUSTODY_NOT_HOLDER"), |g| {
        g.author(store, &c2())
    });
    c.add("stored-twice", Some("CUSTODY_STORAGE"), |g| {
        g.duplicate(store)
    });
    c.add("retrieved-when-not-stored", Some("CUSTODY_STORAGE"), |g| {
        g.duplicate(retrieve)
    });
    c.add("released-while-stored", Some("CUSTODY_STORAGE"), |g| {
        g.remove(retrieve)
    });
    c.add("seal-broken-that-is-not-on-it", Some("CUSTODY_SEAL"), |g| {
        g.set_body(retrieve, "seals_broken", texts(&["S-9999"]))
    });
    c.add("seal-reapplied-after-breaking", Some("CUSTODY_SEAL"), |g| {
        g.set_body(rec, "seals_applied", texts(&["S-1187"]))
    });
    c.add("seal-applied-twice", Some("CUSTODY_SEAL"), |g| {
        g.set_body(rec, "seals_applied", texts(&["S-1188"]))
    });
    c.add("control-receiver-breaks-and-reseals", None, |g| {
        g.set_body(rec, "seals_broken", texts(&["S-1188"]));
        g.set_body(rec, "seals_applied", texts(&["S-2001"]));
    });
    c.add("seal-in-both-lists", Some("BAD_BODY"), |g| {
        g.set_body(retrieve, "seals_applied", texts(&["S-1187"]))
    });
    c.add("seal-listed-twice", Some("BAD_BODY"), |g| {
        g.set_body(retrieve, "seals_applied", texts(&["S-1188", "S-1188"]))
    });
    c.add("seals-empty-list", Some("BAD_BODY"), |g| {
        g.set_body(store, "seals_applied", texts(&[]))
    });
    c.add("store-without-location", Some("BAD_BODY"), |g| {
        g.body(store).remove("location");
    });
    c.add(
        "seals-added-to-a-signed-receipt",
        Some("CUSTODY_BAD_RECEIPT"),
        |g| {
            g.set_body(receipt_rec, "seals_broken", texts(&["S-1188"]));
            g.keep_receipt.insert(receipt_rec);
        },
    );
    c.add("control-external-receiver-breaks-a-seal", None, |g| {
        g.set_body(receipt_rec, "seals_broken", texts(&["S-1188"]));
    });
    c.add("verify-misstates", Some("EVIDENCE_MISMATCH"), |g| {
        let Some(Value::Map(f)) = g.body(verify).get_mut("file") else {
            panic!()
        };
        f.insert("sha256".into(), Value::Bytes(vec![1; 32]));
    });
    c.found("control-verify-truthful-mismatch", "COPY_DIFFERED", |g| {
        let Some(Value::Map(f)) = g.body(verify).get_mut("file") else {
            panic!()
        };
        f.insert("sha256".into(), Value::Bytes(vec![1; 32]));
        g.set_body(verify, "matches", Value::Bool(false));
    });
    c.add("verify-unknown-file", Some("EVIDENCE_MISMATCH"), |g| {
        let Some(Value::Map(f)) = g.body(verify).get_mut("file") else {
            panic!()
        };
        f.insert("name".into(), text("other.txt"));
    });
    c.add("carried-file-altered", Some("EVIDENCE_MISMATCH"), |g| {
        let mut x = LETTER.to_vec();
        x[0] ^= 1;
        g.files = vec![(Hash(*blake3::hash(&x).as_bytes()), x)];
    });
    // §13.5: files attached to an item later. The re-hash entry becomes
    // an attach of the lab's report (a copy of the re-hash, appended at the
    // end, re-hashes the report).
    let lab_report = b"lab report: the letter's paper and toner\n".to_vec();
    let report_file = |name: &str| {
        use sha2::Digest as _;
        FileFixity {
            name: name.into(),
            size: lab_report.len() as u64,
            blake3: Hash(*blake3::hash(&lab_report).as_bytes()),
            sha256: Hash(sha2::Sha256::digest(&lab_report).into()),
            media_type: None,
        }
    };
    let attach = |g: &mut Forge, at: usize, files: Vec<FileFixity>| {
        let item = g.body(at).get("item").cloned().expect("an item entry");
        g.set(at, "kind", text("evidence.attach"));
        let body = BTreeMap::from([
            ("item".to_owned(), item),
            ("description".to_owned(), text("lab report")),
            (
                "files".to_owned(),
                Value::Array(files.iter().map(FileFixity::to_value).collect()),
            ),
        ]);
        g.set(at, "body", Value::Map(body));
    };
    c.add("control-attach-then-verify-and-carry", None, |g| {
        let again = g.append(verify, |_| {});
        attach(g, verify, vec![report_file("lab-report.txt")]);
        g.set_body(again, "file", report_file("lab-report.txt").to_value());
        g.set_body(again, "matches", Value::Bool(true));
        g.files.push((report_file("x").blake3, lab_report.clone()));
        g.files.sort();
    });
    c.add("attach-misstated-verify", Some("EVIDENCE_MISMATCH"), |g| {
        let again = g.append(verify, |_| {});
        attach(g, verify, vec![report_file("lab-report.txt")]);
        let mut f = report_file("lab-report.txt");
        f.sha256 = Hash([3; 32]);
        g.set_body(again, "file", f.to_value());
        g.set_body(again, "matches", Value::Bool(true));
    });
    c.add(
        "attach-a-name-the-item-has",
        Some("EVIDENCE_DUPLICATE_FILE"),
        |g| {
            attach(g, verify, vec![report_file(&letter_file().name)]);
        },
    );
    c.add("attach-to-no-item", Some("CUSTODY_UNKNOWN_ITEM"), |g| {
        attach(g, verify, vec![report_file("lab-report.txt")]);
        g.set_body(verify, "item", text("EV-404"));
    });
    c.add(
        "attach-after-disposal",
        Some("CUSTODY_AFTER_DISPOSAL"),
        |g| {
            let i = g.append(dispose, |_| {});
            attach(g, i, vec![report_file("lab-report.txt")]);
        },
    );
    c.add("attach-no-files", Some("BAD_BODY"), |g| {
        attach(g, verify, vec![]);
    });
    c.add("attach-one-name-twice", Some("BAD_BODY"), |g| {
        let f = report_file("lab-report.txt");
        attach(g, verify, vec![f.clone(), f]);
    });
    c.add("attach-by-external", Some("ROLE_NOT_ALLOWED"), |g| {
        attach(g, verify, vec![report_file("lab-report.txt")]);
        g.author(verify, &lab());
    });
    c.add(
        "attach-file-carried-altered",
        Some("EVIDENCE_MISMATCH"),
        |g| {
            attach(g, verify, vec![report_file("lab-report.txt")]);
            let mut x = lab_report.clone();
            x[0] ^= 1;
            g.files.push((report_file("x").blake3, x));
            g.files.sort();
        },
    );
    // §13.9: legal holds. The last revocation (by the authority, right
    // before EV-2's intake and disposal) becomes a hold; EV-1 is open then.
    let late = dispose - 2;
    let hold = |g: &mut Forge, at: usize, kind: &str, body: Vec<(&str, Value)>| {
        g.set(at, "kind", text(kind));
        let b = body.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        g.set(at, "body", Value::Map(b));
    };
    let place = |id: &str, items: &[&str]| {
        let mut b = vec![
            ("hold", text(id)),
            ("reason", text("civil suit")),
            ("authority", text("litigation hold notice")),
        ];
        if !items.is_empty() {
            b.push(("items", texts(items)));
        }
        b
    };
    let release = |id: &str| vec![("hold", text(id)), ("reason", text("settled"))];
    c.add("control-hold-on-another-item", None, |g| {
        hold(g, late, "hold.place", place("LH-1", &["EV-1"]));
    });
    c.add("disposal-under-hold-on-the-case", Some("UNDER_HOLD"), |g| {
        hold(g, late, "hold.place", place("LH-1", &[]));
    });
    c.add("control-disposal-after-the-hold-is-released", None, |g| {
        g.duplicate(late);
        hold(g, late, "hold.place", place("LH-1", &[]));
        hold(g, late + 1, "hold.release", release("LH-1"));
    });
    c.add("erasure-under-hold-on-the-case", Some("UNDER_HOLD"), |g| {
        let at = erase - 1;
        hold(g, at, "hold.place", place("LH-1", &[]));
        g.author(at, &common::authority());
    });
    c.add("hold-id-used-twice", Some("BAD_HOLD"), |g| {
        g.duplicate(late);
        hold(g, late, "hold.place", place("LH-1", &["EV-1"]));
        hold(g, late + 1, "hold.place", place("LH-1", &["EV-1"]));
    });
    c.add("hold-release-of-nothing", Some("BAD_HOLD"), |g| {
        hold(g, late, "hold.release", release("LH-9"));
    });
    c.add("hold-on-no-item", Some("CUSTODY_UNKNOWN_ITEM"), |g| {
        hold(g, late, "hold.place", place("LH-1", &["EV-404"]));
    });
    c.add(
        "hold-placed-by-a-custodian",
        Some("ROLE_NOT_ALLOWED"),
        |g| {
            hold(g, late, "hold.place", place("LH-1", &["EV-1"]));
            g.author(late, &c1());
        },
    );
    c.add("hold-naming-an-item-twice", Some("BAD_BODY"), |g| {
        hold(g, late, "hold.place", place("LH-1", &["EV-1", "EV-1"]));
    });
    // §13.10: a self-check states the tree before it. The last entry
    // becomes one; its size and root are filled in by `ledger_check`.
    let last = n - 1;
    let check_body = |size: u64, root: Hash, problems: &[&str]| {
        Value::Map(BTreeMap::from([
            ("size".to_owned(), Value::Uint(size)),
            ("root".to_owned(), Value::Bytes(root.0.to_vec())),
            ("copies".to_owned(), Value::Uint(1)),
            ("copy_bytes".to_owned(), Value::Uint(12)),
            ("problems".to_owned(), texts(problems)),
            ("tool".to_owned(), text("caselog 0.1.0")),
        ]))
    };
    let ledger_check = |g: &mut Forge, problems: &[&str], wrong: Option<Hash>, size_off: u64| {
        let leaves: Vec<Hash> = g.records()[..last].iter().map(|(_, l)| *l).collect();
        let root = wrong.unwrap_or_else(|| caselog::tlog::merkle::root_of_leaves(g.alg, &leaves));
        g.set(last, "kind", text("ledger.check"));
        g.map(last).remove("item_prev");
        g.author(last, &common::authority());
        g.set(
            last,
            "body",
            check_body(last as u64 + size_off, root, problems),
        );
    };
    c.add("control-ledger-check", None, |g| {
        ledger_check(g, &[], None, 0)
    });
    c.found(
        "control-ledger-check-stating-problems",
        "SELF_CHECK_PROBLEMS",
        |g| ledger_check(g, &["EVIDENCE_MISMATCH", "TREE_MISMATCH"], None, 0),
    );
    c.add("ledger-check-wrong-root", Some("BAD_LEDGER_CHECK"), |g| {
        ledger_check(g, &[], Some(Hash([9; 32])), 0)
    });
    c.add("ledger-check-wrong-size", Some("BAD_LEDGER_CHECK"), |g| {
        ledger_check(g, &[], None, 1)
    });
    c.add("ledger-check-problems-unsorted", Some("BAD_BODY"), |g| {
        ledger_check(g, &["TREE_MISMATCH", "EVIDENCE_MISMATCH"], None, 0)
    });
    c.add("ledger-check-problem-not-a-code", Some("BAD_BODY"), |g| {
        ledger_check(g, &["tree mismatch"], None, 0)
    });
    c.add("ledger-check-by-external", Some("ROLE_NOT_ALLOWED"), |g| {
        ledger_check(g, &[], None, 0);
        g.author(last, &lab());
    });
    // §13.11: discovery productions, appended at the end: a production by
    // the authority to the external lab, then its receipt.
    let produce = |g: &mut Forge, items: &[&str], to: &Signer, by: &Signer| -> usize {
        let p = g.append(note, |m| {
            m.insert("kind".into(), text("production"));
            m.remove("item_prev");
            m.insert(
                "body".into(),
                Value::Map(BTreeMap::from([
                    ("to".into(), Value::Bytes(to.public().0.to_vec())),
                    ("authority".into(), text("discovery request of 2009-03-02")),
                    ("items".into(), texts(items)),
                    ("timeline".into(), Value::Bool(true)),
                    ("bates_prefix".into(), text("EXT")),
                    ("bates_first".into(), Value::Uint(1)),
                    ("bates_last".into(), Value::Uint(2)),
                    ("files".into(), Value::Uint(12)),
                    ("manifest".into(), Value::Bytes(vec![0x6d; 32])),
                ])),
            );
        });
        g.author(p, by);
        p
    };
    // The receipt of production `p`: by `by`, with `manifest`, and when
    // `ack` is given an offline acknowledgement (key, signer).
    let receipt =
        |g: &mut Forge, p: usize, by: &Signer, manifest: u8, ack: Option<(&Signer, &Signer)>| {
            let production = g.leaf_of(p);
            let ledger = g.ledger;
            let r = g.append(p, |m| {
                m.insert("kind".into(), text("production.receipt"));
                let mut b = BTreeMap::from([
                    ("production".into(), Value::Bytes(production.0.to_vec())),
                    ("manifest".into(), Value::Bytes(vec![manifest; 32])),
                ]);
                if let Some((key, signer)) = ack {
                    let time = "2026-12-06T10:00:00.000000Z";
                    let msg = caselog::format::kinds::production_receipt_message(
                        &ledger,
                        &[manifest; 32],
                        &key.public(),
                        &Timestamp::parse(time).unwrap(),
                    );
                    b.insert(
                        "receipt".into(),
                        Value::Map(BTreeMap::from([
                            ("key".into(), Value::Bytes(key.public().0.to_vec())),
                            ("time".into(), text(time)),
                            (
                                "sig".into(),
                                Value::Bytes(signer.sign(&msg).unwrap().to_vec()),
                            ),
                        ])),
                    );
                }
                m.insert("body".into(), Value::Map(b));
            });
            g.author(r, by);
        };
    let a = common::authority;
    c.add(
        "control-production-and-its-receipt-by-the-recipient",
        None,
        |g| {
            let p = produce(g, &["EV-1", "EV-2"], &lab(), &a());
            receipt(g, p, &lab(), 0x6d, None);
        },
    );
    c.add(
        "control-production-receipt-from-an-offline-acknowledgement",
        None,
        |g| {
            let p = produce(g, &["EV-1"], &lab(), &counsel());
            receipt(g, p, &counsel(), 0x6d, Some((&lab(), &lab())));
        },
    );
    c.add(
        "production-of-an-item-never-taken-in",
        Some("BAD_PRODUCTION"),
        |g| {
            produce(g, &["EV-1", "EV-404"], &lab(), &a());
        },
    );
    c.add("production-to-a-non-member", Some("BAD_PRODUCTION"), |g| {
        produce(g, &["EV-1"], &common::outsider(), &a());
    });
    c.add(
        "production-to-its-own-author",
        Some("BAD_PRODUCTION"),
        |g| {
            produce(g, &["EV-1"], &counsel(), &counsel());
        },
    );
    c.add("production-by-a-custodian", Some("ROLE_NOT_ALLOWED"), |g| {
        produce(g, &["EV-1"], &lab(), &c1());
    });
    c.add("production-items-unsorted", Some("BAD_BODY"), |g| {
        produce(g, &["EV-2", "EV-1"], &lab(), &a());
    });
    c.add(
        "production-receipt-of-no-production",
        Some("BAD_PRODUCTION"),
        |g| {
            receipt(g, note, &lab(), 0x6d, None);
        },
    );
    c.add(
        "production-receipt-stating-another-manifest",
        Some("BAD_PRODUCTION"),
        |g| {
            let p = produce(g, &["EV-1"], &lab(), &a());
            receipt(g, p, &lab(), 0x6e, None);
        },
    );
    c.add(
        "production-receipt-by-someone-else",
        Some("BAD_PRODUCTION"),
        |g| {
            let p = produce(g, &["EV-1"], &lab(), &a());
            receipt(g, p, &c1(), 0x6d, None);
        },
    );
    c.add(
        "production-acknowledged-by-another-key",
        Some("BAD_PRODUCTION"),
        |g| {
            let p = produce(g, &["EV-1"], &lab(), &a());
            receipt(g, p, &counsel(), 0x6d, Some((&c2(), &c2())));
        },
    );
    c.add(
        "production-acknowledgement-signed-by-another-key",
        Some("BAD_PRODUCTION"),
        |g| {
            let p = produce(g, &["EV-1"], &lab(), &a());
            receipt(g, p, &counsel(), 0x6d, Some((&lab(), &c2())));
        },
    );
    // §15.1: an export that revealed private values, recorded.
    let reveal = |g: &mut Forge, fields: &[&str], by: &Signer| {
        let r = g.append(note, |m| {
            m.insert("kind".into(), text("export.reveal"));
            m.remove("item_prev");
            m.insert(
                "body".into(),
                Value::Map(BTreeMap::from([
                    ("export".into(), text("timeline csv")),
                    ("fields".into(), texts(fields)),
                    ("purpose".into(), text("victim notification letters")),
                    ("file".into(), text("members.csv")),
                    ("sha256".into(), Value::Bytes(vec![0x5a; 32])),
                ])),
            );
        });
        g.author(r, by);
    };
    c.add("control-export-reveal-by-counsel", None, |g| {
        reveal(g, &["members/*"], &counsel())
    });
    c.add("export-reveal-by-external", Some("ROLE_NOT_ALLOWED"), |g| {
        reveal(g, &["members/*"], &lab())
    });
    c.add(
        "export-reveal-by-custodian",
        Some("ROLE_NOT_ALLOWED"),
        |g| reveal(g, &["*"], &c1()),
    );
    c.add("export-reveal-of-no-field", Some("BAD_BODY"), |g| {
        reveal(g, &[], &counsel())
    });
    // §13.12: retention. A copy of EV-2's disposal, right before it, becomes
    // a retention.set by the authority.
    let retain = |g: &mut Forge, items: &[&str], days: u64, by: &Signer| {
        g.duplicate(dispose);
        g.set(dispose, "kind", text("retention.set"));
        g.map(dispose).remove("item_prev");
        g.set(
            dispose,
            "body",
            Value::Map(BTreeMap::from([
                ("category".into(), text("Misdemeanour evidence")),
                ("days".into(), Value::Uint(days)),
                ("items".into(), texts(items)),
                (
                    "authority".into(),
                    text("records retention schedule, item 7"),
                ),
            ])),
        );
        g.author(dispose, by);
    };
    // Every entry from `from` on is moved `days` later (times stay ordered).
    let later = |g: &mut Forge, from: usize, days: i64| {
        for k in from..g.entries.len() {
            let Some(Value::Text(t)) = g.map(k).get("time").cloned() else {
                panic!("time")
            };
            let us = Timestamp::parse(&t).unwrap().micros() + days * 86_400_000_000;
            g.set(
                k,
                "time",
                text(&Timestamp::from_micros(us).unwrap().to_string()),
            );
        }
    };
    c.add("control-retention-on-another-item", None, |g| {
        retain(g, &["EV-1"], 1, &a())
    });
    c.add(
        "disposal-within-the-retention-period",
        Some("UNDER_RETENTION"),
        |g| retain(g, &["EV-2"], 1, &a()),
    );
    c.add("control-disposal-after-the-retention-period", None, |g| {
        retain(g, &["EV-2"], 1, &a());
        later(g, dispose + 1, 2);
    });
    c.add(
        "retention-set-by-a-custodian",
        Some("ROLE_NOT_ALLOWED"),
        |g| retain(g, &["EV-2"], 1, &c1()),
    );
    c.add("retention-on-no-item", Some("CUSTODY_UNKNOWN_ITEM"), |g| {
        retain(g, &["EV-404"], 1, &a())
    });
    c.add("retention-of-zero-days", Some("BAD_BODY"), |g| {
        retain(g, &["EV-2"], 0, &a())
    });
    // §13.4: references.
    c.add("event-refers-to-nothing", Some("BAD_REFERENCE"), |g| {
        g.set_body(event, "refs", Value::Array(vec![Value::Bytes(vec![4; 32])]))
    });
    // §13.4: a void marks an earlier entry entered in error.
    let void_of = |g: &mut Forge, target: Hash| -> usize {
        g.append(corr, |m| {
            m.insert("kind".into(), text("void"));
            m.insert(
                "body".into(),
                Value::Map(BTreeMap::from([
                    ("target".into(), Value::Bytes(target.0.to_vec())),
                    ("reason".into(), text("entered against the wrong case")),
                ])),
            );
        })
    };
    c.add("control-void-of-an-event", None, |g| {
        let t = g.leaf_of(event);
        void_of(g, t);
    });
    // Verifiers accept a void of any earlier entry (the writer is stricter).
    c.add("control-void-of-a-release", None, |g| {
        let t = g.leaf_of(rel);
        void_of(g, t);
    });
    c.add("void-of-nothing", Some("BAD_REFERENCE"), |g| {
        void_of(g, Hash([5; 32]));
    });
    c.add("void-without-reason", Some("BAD_BODY"), |g| {
        let t = g.leaf_of(event);
        let i = void_of(g, t);
        g.body(i).remove("reason");
    });
    c.add("void-by-external", Some("ROLE_NOT_ALLOWED"), |g| {
        let t = g.leaf_of(event);
        let i = void_of(g, t);
        g.author(i, &lab());
    });
    // §15: erasure and disclosures.
    c.add("erasure-digest-not-in-sd", Some("BAD_REFERENCE"), |g| {
        g.set_body(erase, "digest", Value::Bytes(vec![6; 32]))
    });
    c.add("erasure-of-entry-without-sd", Some("BAD_REFERENCE"), |g| {
        let t = g.leaf_of(note);
        g.set_body(erase, "target", Value::Bytes(t.0.to_vec()));
    });
    c.add("erasure-twice", Some("BAD_REFERENCE"), |g| {
        g.append(erase, |_| {});
    });
    c.add("erased-disclosure-carried", Some("BAD_DISCLOSURE"), |g| {
        g.disclosures.push((Seq(g.entries[pidx].0), erased.clone()));
        g.disclosures.sort();
    });
    c.add("disclosure-moved", Some("BAD_DISCLOSURE"), |g| {
        let (_, d) = g.disclosures[0].clone();
        g.disclosures = vec![(Seq(g.entries[note].0), d)];
    });
    // §10 and §14: the checkpoint.
    c.add(
        "checkpoint-by-revoked-authority",
        Some("BAD_CHECKPOINT"),
        |g| g.cp_signer = Rc::new(a2()),
    );
    c.add("checkpoint-by-counsel", Some("BAD_CHECKPOINT"), |g| {
        g.cp_signer = Rc::new(counsel())
    });
    c.add(
        "checkpoint-root-mismatch",
        Some("CHECKPOINT_MISMATCH"),
        |g| {
            let recs = g.records();
            g.cp_claim = Some(TreeHead {
                size: TreeSize(recs.len() as u64),
                root: Hash([8; 32]),
            });
        },
    );
    c.add("records-missing", Some("TRUNCATED"), |g| {
        let recs = g.records();
        let leaves: Vec<Hash> = recs.iter().map(|(_, l)| *l).collect();
        g.cp_claim = Some(TreeHead {
            size: TreeSize(leaves.len() as u64),
            root: root_of_leaves(g.alg, &leaves),
        });
        let keep: BTreeMap<usize, Vec<u8>> = recs.into_iter().map(|(r, _)| r).enumerate().collect();
        g.raw = keep;
        g.remove(n - 1);
    });
    c.add("empty-bundle", Some("EMPTY"), |g| {
        for _ in 0..n {
            g.remove(0);
        }
    });
    c.add("partial-path-wrong", Some("CHECKPOINT_MISMATCH"), |g| {
        g.disclosures.clear();
        g.files.clear();
        g.partial = Some(vec![0, 1, 5, 7, 8, 9, 10, 11, note]);
        g.cp_claim = Some(TreeHead {
            size: TreeSize(n as u64),
            root: Hash([8; 32]),
        });
    });
    c.add(
        "partial-by-revoked-authority",
        Some("BAD_CHECKPOINT"),
        |g| {
            g.disclosures.clear();
            g.files.clear();
            g.partial = Some(vec![0, 1, 5, 7, 8, 9, 10, 11, note, n - 3]);
            g.cp_signer = Rc::new(a2());
        },
    );

    // Checkpoints that need other pinned keys.
    let a2_key = origin.log_key(a2().public());
    let mut g = c.base.clone();
    g.cp_signer = Rc::new(a2());
    let bytes = g.build();
    c.push(
        "checkpoint-by-revoked-authority-pinned",
        Some("BAD_CHECKPOINT"),
        bytes,
        vec![a2_key],
    );
    // A log key pinned under another name vouches for nothing (§10.2).
    let misnamed = VerifierKey::new(
        "example.com/log",
        note::TYPE_ED25519,
        common::authority().public(),
    )
    .unwrap();
    let bytes = c.base.build();
    c.push(
        "log-key-not-named-after-origin",
        Some("BAD_CHECKPOINT"),
        bytes,
        vec![misnamed],
    );
    // One witness pinned under two names is one witness (§10.2).
    let w1 = VerifierKey::new("w.example/one", TYPE_COSIGNATURE, witness().public()).unwrap();
    let w2 = VerifierKey::new("w.example/two", TYPE_COSIGNATURE, witness().public()).unwrap();
    let mut g = c.base.clone();
    g.cosign = vec![
        ("w.example/one".into(), Rc::new(witness())),
        ("w.example/two".into(), Rc::new(witness())),
    ];
    let bytes = g.build();
    c.cases.push(Case {
        name: "quorum-of-one-witness-under-two-names".into(),
        bytes: bytes.clone(),
        want: Some("BAD_CHECKPOINT"),
        finding: None,
        trust: vec![c.authority_key.clone()],
        witnesses: vec![w1.clone(), w2.clone()],
        quorum: 2,
        mirrors: vec![],
        mirror_quorum: 0,
        tsa_ca: None,
    });
    c.cases.push(Case {
        name: "control-quorum-of-one".into(),
        bytes,
        want: None,
        finding: None,
        trust: vec![c.authority_key.clone()],
        witnesses: vec![w1, w2],
        quorum: 1,
        mirrors: vec![],
        mirror_quorum: 0,
        tsa_ca: None,
    });
    mirror_cases(&mut c);
    timestamp_cases(&mut c, dir);
    tree_cases(&mut c, intake, verify);
    assert!(
        rebuilt == exported,
        "the forger's rebuild differs from the export"
    );
    (c, exported)
}

/// SPEC §10.5: a carried time-stamp that breaks one rule, each correctly
/// signed by a key the forger holds (chaining to the pinned TSA root
/// unless the rule is the root), and a control both must accept.
/// A small tree manifest (SPEC §13.8) and the intake's `tree` for it.
fn drive_tree() -> (Vec<u8>, caselog::format::tree::Tree) {
    use caselog::format::tree::{format_mtime, Manifest, TreeFile};
    let file = |path: &str, content: &[u8]| TreeFile {
        path: path.into(),
        size: content.len() as u64,
        blake3: Hash(*blake3::hash(content).as_bytes()),
        sha256: Hash(<sha2::Sha256 as sha2::Digest>::digest(content).into()),
        mtime: format_mtime(1_222_956_191, 0).unwrap(),
    };
    let m = Manifest {
        name: "drive".into(),
        files: vec![file("docs/ransom.txt", b"pay"), file("notes.txt", b"n")],
        skipped: vec![],
    };
    let bytes = m.encode();
    let t = m.tree(&bytes);
    (bytes, t)
}

/// §13.8: directory trees. The intake's `tree` is body schema both
/// verifiers check; its re-verification is an `evidence.verify` of the
/// file `<name>/`; its manifest may travel in `files`.
fn tree_cases(c: &mut Corpus, intake: usize, verify: usize) {
    let (manifest, tree) = drive_tree();
    let with_tree = |g: &mut Forge, t: &caselog::format::tree::Tree| {
        g.set_body(intake, "tree", t.to_value());
    };
    let verify_tree = |g: &mut Forge, b3: Hash, matches: bool| {
        let f = FileFixity {
            name: "drive/".into(),
            size: 4,
            blake3: b3,
            sha256: tree.sha256,
            media_type: None,
        };
        g.set_body(verify, "file", f.to_value());
        g.set_body(verify, "matches", Value::Bool(matches));
    };
    let carry = |g: &mut Forge, bytes: Vec<u8>| {
        g.files
            .push((Hash(*blake3::hash(&bytes).as_bytes()), bytes));
        g.files.sort();
    };
    c.add("control-tree-verified-manifest-carried", None, |g| {
        with_tree(g, &tree);
        verify_tree(g, tree.blake3, true);
        carry(g, manifest.clone());
    });
    c.add("tree-verify-misstates", Some("EVIDENCE_MISMATCH"), |g| {
        with_tree(g, &tree);
        verify_tree(g, Hash([7; 32]), true);
    });
    c.found(
        "control-tree-verify-truthful-mismatch",
        "TREE_DIFFERED",
        |g| {
            with_tree(g, &tree);
            verify_tree(g, Hash([7; 32]), false);
        },
    );
    c.add("tree-verify-without-tree", Some("EVIDENCE_MISMATCH"), |g| {
        verify_tree(g, tree.blake3, true);
    });
    c.add(
        "tree-manifest-carried-altered",
        Some("EVIDENCE_MISMATCH"),
        |g| {
            with_tree(g, &tree);
            let mut m = manifest.clone();
            let last = m.len() - 1;
            m[last] ^= 1;
            carry(g, m);
        },
    );
    c.add("tree-name-dotdot", Some("BAD_BODY"), |g| {
        let mut t = tree.clone();
        t.name = "..".into();
        t.manifest.name = "...tree.cbor".into();
        with_tree(g, &t);
    });
    c.add("tree-name-with-a-line-break", Some("BAD_BODY"), |g| {
        let mut t = tree.clone();
        t.name = "drive\n##   rm -rf ~".into();
        t.manifest.name = format!("{}.tree.cbor", t.name);
        with_tree(g, &t);
    });
    c.add("tree-manifest-misnamed", Some("BAD_BODY"), |g| {
        let mut t = tree.clone();
        t.manifest.name = "drive.cbor".into();
        with_tree(g, &t);
    });
    c.add("tree-file-named-like-its-manifest", Some("BAD_BODY"), |g| {
        with_tree(g, &tree);
        let mut f = letter_file();
        f.name = "drive.tree.cbor".into();
        g.set_body(intake, "files", Value::Array(vec![f.to_value()]));
    });
    c.add("tree-unknown-key", Some("BAD_BODY"), |g| {
        let Value::Map(mut m) = tree.to_value() else {
            panic!()
        };
        m.insert("root".into(), text("/mnt/drive"));
        g.set_body(intake, "tree", Value::Map(m));
    });
}

fn timestamp_cases(c: &mut Corpus, dir: &Path) {
    use common::tsp::{forge, root_pem, tsa, Eku, NOW};
    let (issuer, _, pem) = root_pem();
    let ca = dir.join("tsa-root.pem");
    std::fs::write(&ca, pem).unwrap();
    let good = Rc::new(tsa(&issuer, Eku::Critical, (2000, 2040)));
    let (rogue, _) = common::tsp::root();
    let cases: Vec<(&str, Option<&'static str>, Stamp)> = vec![
        ("control-timestamp", None, {
            let g = good.clone();
            Rc::new(move |b: &[u8]| vec![forge(&g, b, NOW)])
        }),
        (
            "timestamp-not-a-token",
            Some("BAD_TIMESTAMP"),
            Rc::new(|_: &[u8]| vec![b"0\x03\x02\x01\x01".to_vec()]),
        ),
        ("timestamp-gentime-moved", Some("TIMESTAMP_SIGNATURE"), {
            let g = good.clone();
            Rc::new(move |b: &[u8]| {
                let mut t = forge(&g, b, NOW);
                let at = t.windows(15).position(|w| w == b"20350101000000Z").unwrap();
                t[at + 3] = b'4';
                vec![t]
            })
        }),
        ("timestamp-other-checkpoint", Some("TIMESTAMP_IMPRINT"), {
            let g = good.clone();
            Rc::new(move |_: &[u8]| vec![forge(&g, b"another checkpoint\n", NOW)])
        }),
        ("timestamp-no-eku", Some("TIMESTAMP_EKU"), {
            let t = Rc::new(tsa(&issuer, Eku::None, (2000, 2040)));
            Rc::new(move |b: &[u8]| vec![forge(&t, b, NOW)])
        }),
        ("timestamp-expired-tsa", Some("TIMESTAMP_EXPIRED"), {
            let t = Rc::new(tsa(&issuer, Eku::Critical, (2000, 2001)));
            Rc::new(move |b: &[u8]| vec![forge(&t, b, NOW)])
        }),
        ("timestamp-rogue-root", Some("TIMESTAMP_UNTRUSTED"), {
            let t = Rc::new(tsa(&rogue, Eku::Critical, (2000, 2040)));
            Rc::new(move |b: &[u8]| vec![forge(&t, b, NOW)])
        }),
        (
            "timestamp-before-entries",
            Some("TIMESTAMP_BEFORE_ENTRY"),
            {
                let g = good.clone();
                Rc::new(move |b: &[u8]| vec![forge(&g, b, "2001-01-01T00:00:00Z")])
            },
        ),
    ];
    // genTime has whole seconds: it is compared with the last entry's time
    // cut to the whole second (SPEC §10.5 step 7). The last entry is moved
    // to 12:00:00.5; a token of 12:00:00 is taken, one of 11:59:59 is not.
    let last_second = |g: &mut Forge| {
        let last = g.entries.len() - 1;
        g.set(last, "time", text("2030-06-01T12:00:00.500000Z"));
    };
    let cases: Vec<(&str, Option<&'static str>, Stamp, bool)> = cases
        .into_iter()
        .map(|(n, w, s)| (n, w, s, false))
        .chain([
            (
                "control-timestamp-same-second",
                None,
                {
                    let g = good.clone();
                    let s: Stamp =
                        Rc::new(move |b: &[u8]| vec![forge(&g, b, "2030-06-01T12:00:00Z")]);
                    s
                },
                true,
            ),
            (
                "timestamp-second-before-entry",
                Some("TIMESTAMP_BEFORE_ENTRY"),
                {
                    let g = good.clone();
                    let s: Stamp =
                        Rc::new(move |b: &[u8]| vec![forge(&g, b, "2030-06-01T11:59:59Z")]);
                    s
                },
                true,
            ),
        ])
        .collect();
    for (name, want, stamp, moved) in cases {
        let mut g = c.base.clone();
        if moved {
            last_second(&mut g);
        }
        g.stamp = Some(stamp);
        let bytes = g.build();
        c.cases.push(Case {
            name: name.into(),
            bytes,
            want,
            finding: None,
            trust: vec![c.authority_key.clone()],
            witnesses: vec![],
            quorum: 0,
            mirrors: vec![],
            mirror_quorum: 0,
            tsa_ca: Some(ca.clone()),
        });
    }
}

/// Mirror cosignatures (SPEC §10.6, §17.7) under `--mirror KEY
/// --mirror-quorum 1`: the control, a checkpoint no mirror cosigned, and a
/// line carrying the mirror's name and key id signed by the witness's key
/// (a witness's cosignature passed off as the mirror's).
fn mirror_cases(c: &mut Corpus) {
    let m = VerifierKey::new("mirror.example/m1", TYPE_COSIGNATURE, mirror().public()).unwrap();
    let mut g = c.base.clone();
    g.cosign = vec![("mirror.example/m1".into(), Rc::new(mirror()))];
    let cosigned = g.build();
    g.cosign = vec![("mirror.example/m1".into(), Rc::new(witness()))];
    g.cosign_id = Some(m.id());
    let relabelled = g.build();
    for (name, bytes, want) in [
        ("control-mirror-quorum-of-one", cosigned, None),
        (
            "mirror-quorum-unmet",
            c.base.build(),
            Some("BAD_CHECKPOINT"),
        ),
        (
            "mirror-line-signed-by-a-witness-key",
            relabelled,
            Some("BAD_CHECKPOINT"),
        ),
    ] {
        c.cases.push(Case {
            name: name.into(),
            bytes,
            want,
            finding: None,
            trust: vec![c.authority_key.clone()],
            witnesses: vec![],
            quorum: 0,
            mirrors: vec![m.clone()],
            mirror_quorum: 1,
            tsa_ca: None,
        });
    }
}

// ---- running both verifiers --------------------------------------------------------

/// (problem codes, finding codes) of the Rust verifier; its JSON report
/// is written to `json` for the schema check.
fn rust_codes(c: &Case, json: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let tsa = c
        .tsa_ca
        .as_ref()
        .map(|f| caselog::tlog::tsp::Anchors::from_pem(&std::fs::read(f).unwrap()).unwrap());
    let policy = caselog::tlog::trust::TrustPolicy::from_keys(
        &c.trust,
        &c.witnesses,
        c.quorum,
        &c.mirrors,
        c.mirror_quorum,
    )
    .unwrap();
    let report = bundle::verify_reader_with(std::io::Cursor::new(&c.bytes), &policy, tsa.as_ref())
        .unwrap()
        .report;
    let doc = serde_json::to_vec_pretty(&report.to_json()).unwrap();
    std::fs::write(json.join(format!("{}.json", c.name)), doc).unwrap();
    if std::env::var("FORGERY_DEBUG").is_ok() {
        eprintln!("{}: {:?} {:?}", c.name, report.problems, report.findings);
    }
    let problems = report.problems.iter().map(|p| p.code.as_str().to_owned());
    let findings = report.findings.iter().map(|f| f.code.as_str().to_owned());
    (problems.collect(), findings.collect())
}

/// (problem codes, finding codes) of tools/verify-bundle.
fn python_codes(dir: &Path, c: &Case) -> (BTreeSet<String>, BTreeSet<String>) {
    let sub = dir.join(&c.name);
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("b"), &c.bytes).unwrap();
    let mut v = common::python_batch_findings(
        &sub,
        &c.trust,
        &c.witnesses,
        c.quorum,
        c.tsa_ca.as_deref(),
        (&c.mirrors, c.mirror_quorum),
    );
    assert_eq!(v.len(), 1, "{}", c.name);
    let (_, problems, findings) = v.remove(0);
    (problems, findings)
}

/// The corpus, built once per test binary (a base ledger and ~170
/// bundles); every case's test reads it.
struct Shared {
    _dir: tempfile::TempDir,
    cases: Vec<Case>,
}

fn shared() -> &'static Shared {
    static SHARED: std::sync::OnceLock<Shared> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (c, exported) = corpus(dir.path());
        // The unmodified rebuild is the export, byte for byte: the forger's
        // re-signing is faithful, so every difference below is the forgery.
        assert_eq!(c.cases[0].name, "control-rebuild");
        assert!(!exported.is_empty());
        Shared {
            _dir: dir,
            cases: c.cases,
        }
    })
}

/// Both verifiers on one case: a forgery is rejected by both with the
/// same codes (including the one it was made to break), a control is
/// accepted by both, and both state the same findings.
fn check_case(name: &str) {
    let case = shared()
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("forgery: the corpus has no case {name}"));
    let t = tempfile::tempdir().unwrap();
    let (r, rf) = rust_codes(case, t.path());
    let (p, pf) = python_codes(t.path(), case);
    let agree = match case.want {
        None => r.is_empty() && p.is_empty(),
        Some(code) => r == p && r.contains(code),
    };
    // Findings never fail a verification, and both list the same.
    let ok = agree && rf == pf && case.finding.is_none_or(|f| rf.contains(f));
    assert!(
        ok,
        "{name}: want {:?} finding {:?}, rust {r:?} {rf:?}, python {p:?} {pf:?}",
        case.want, case.finding
    );
}

#[test]
fn every_case_has_its_named_test_and_every_code_its_forgery() {
    let s = shared();
    let corpus: Vec<&str> = s.cases.iter().map(|c| c.name.as_str()).collect();
    let unnamed: Vec<&&str> = corpus.iter().filter(|n| !NAMES.contains(n)).collect();
    let gone: Vec<&&str> = NAMES.iter().filter(|n| !corpus.contains(n)).collect();
    assert!(
        unnamed.is_empty() && gone.is_empty(),
        "add a line to cases! for {unnamed:?}; remove {gone:?}"
    );
    // Every code a full or partial bundle can exhibit has a forgery.
    let store_only = [
        "HEAD_MISMATCH",
        "TREE_MISMATCH",
        "INDEX_MISMATCH",
        "META_MISMATCH",
    ];
    let covered: BTreeSet<&str> = s.cases.iter().filter_map(|c| c.want).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !store_only.contains(c) && !covered.contains(c))
        .collect();
    assert!(missing.is_empty(), "no forgery exhibits {missing:?}");
    let found: BTreeSet<&str> = s.cases.iter().filter_map(|c| c.finding).collect();
    let unshown: Vec<&str> = caselog::audit::FindingCode::ALL
        .iter()
        .map(|f| f.as_str())
        .filter(|f| !found.contains(f))
        .collect();
    assert!(unshown.is_empty(), "no control states {unshown:?}");
}

#[test]
fn every_report_follows_the_schema() {
    // Every Rust report, whatever its codes, areas and findings, follows
    // schemas/verify-report.schema.json (the named tests check the codes).
    let s = shared();
    let t = tempfile::tempdir().unwrap();
    for case in &s.cases {
        rust_codes(case, t.path());
    }
    common::validate_jsons("verify-report.schema.json", t.path());
    eprintln!(
        "forgery corpus: {} cases ({} controls)",
        s.cases.len(),
        s.cases.iter().filter(|x| x.want.is_none()).count()
    );
}

// ---- random re-signed mutations ------------------------------------------------

/// xorshift64*: a fixed, seedable sequence (no dependency, reproducible).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A value that is often almost right: the strings, numbers and sizes the
/// schema rules turn on.
fn random_value(r: &mut Rng) -> Value {
    const TEXTS: [&str; 24] = [
        "",
        " ",
        "\u{1c}",
        "\u{3000}",
        "x",
        "2008",
        "2008-13",
        "XXXX",
        "201X-XX",
        "201X-05",
        "2008-10/..",
        "../..",
        "Y12345",
        "Y-012345",
        "1985-04-12T23:20:30Z",
        "1985-04-12T23:20:30+14:59",
        "2008-02-29",
        "EV-1",
        "EV 1",
        "B2",
        "G9",
        "letter",
        "external",
        "blake3",
    ];
    match r.below(9) {
        0 | 1 => Value::Text(TEXTS[r.below(TEXTS.len())].into()),
        2 => Value::Text("y".repeat([1024, 1025, 255, 256, 64, 65][r.below(6)])),
        3 => Value::Uint([0, 1, 2, 75, u64::MAX][r.below(5)]),
        4 => Value::Nint(0),
        5 => Value::Bool(r.below(2) == 1),
        6 => Value::Bytes(vec![r.below(256) as u8; [0, 16, 31, 32, 64][r.below(5)]]),
        7 => Value::Map(BTreeMap::new()),
        _ => Value::Array(vec![]),
    }
}

/// Change one node somewhere inside `v`: replace it, or delete or add a
/// map key.
fn mutate(v: &mut Value, r: &mut Rng, depth: usize) {
    let descend = depth < 4 && r.below(3) != 0;
    match v {
        Value::Map(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = keys[r.below(keys.len())].clone();
            match r.below(8) {
                0 => {
                    m.remove(&k);
                }
                1 => {
                    m.insert("zz".into(), random_value(r));
                }
                _ if descend => mutate(m.get_mut(&k).unwrap(), r, depth + 1),
                _ => {
                    m.insert(k, random_value(r));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = r.below(a.len());
            if descend {
                mutate(&mut a[i], r, depth + 1)
            } else {
                a[i] = random_value(r)
            }
        }
        _ => *v = random_value(r),
    }
}

/// The same differential idea over random mutations, each re-signed,
/// re-chained and re-checkpointed: the two verifiers must give the same
/// codes on every one. (The byte-flip test in tests/bundle.rs never
/// re-signs, so it could not see a rule one verifier forgot.)
#[test]
fn random_resigned_mutations_get_the_same_codes() {
    let t = tempfile::tempdir().unwrap();
    let (c, _) = corpus(t.path());
    let cases: usize = std::env::var("CASELOG_FORGERY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("CASELOG_FORGERY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d);
    let mut r = Rng(seed.max(1));
    let dir = t.path().join("random");
    std::fs::create_dir(&dir).unwrap();
    let mut built = Vec::new();
    for k in 0..cases {
        let mut g = c.base.clone();
        let i = r.below(g.entries.len());
        // Mostly the body, where most rules live; sometimes the entry map.
        if r.below(4) != 0 {
            if let Some(b) = g.map(i).get_mut("body") {
                mutate(b, &mut r, 1);
            }
        } else {
            mutate(&mut g.entries[i].1, &mut r, 0);
        }
        let name = format!("m{k:04}-entry{i:02}");
        let bytes = g.build();
        std::fs::write(dir.join(&name), &bytes).unwrap();
        built.push((name, bytes));
    }
    let trust = std::slice::from_ref(&c.authority_key);
    let py: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> =
        common::python_batch_findings(&dir, trust, &[], 0, None, (&[], 0))
            .into_iter()
            .map(|(name, problems, findings)| (name, (problems, findings)))
            .collect();
    let mut disagree = Vec::new();
    let mut rejected = 0;
    for (name, bytes) in &built {
        let report = bundle::verify_bytes(bytes, trust, &[], 0).report;
        let rc: BTreeSet<String> = report.problems.iter().map(|p| p.code.to_string()).collect();
        let rf: BTreeSet<String> = report.findings.iter().map(|f| f.code.to_string()).collect();
        rejected += usize::from(!rc.is_empty());
        // Problems and findings (SPEC §9.3) alike.
        if Some(&(rc.clone(), rf.clone())) != py.get(name) {
            disagree.push(format!(
                "{name}: rust {rc:?} {rf:?}, python {:?}",
                py.get(name)
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} re-signed mutations (seed {seed}) get different codes:\n{}",
        disagree.len(),
        built.len(),
        disagree.join("\n")
    );
    eprintln!(
        "forgery: {} random re-signed mutations (seed {seed}), {rejected} rejected, same codes from both verifiers",
        built.len()
    );
}

/// One test per case of the corpus, by its name with `-` as `_`:
/// `cargo test --test suite forgery::case::tree_unknown_key` runs one.
/// `every_case_has_its_named_test_and_every_code_its_forgery` fails when
/// the corpus and this list differ.
macro_rules! cases {
    ($($test:ident: $name:literal,)*) => {
        const NAMES: &[&str] = &[$($name),*];
        mod case {
            $(
                #[test]
                fn $test() {
                    super::check_case($name)
                }
            )*
        }
    };
}

cases! {
    control_rebuild: "control-rebuild",
    control_whitespace_like_u_001c_is_text: "control-whitespace-like-U+001C-is-text",
    control_correction_with_empty_value: "control-correction-with-empty-value",
    control_case_zone: "control-case-zone",
    case_zone_an_offset: "case-zone-an-offset",
    control_zone_names: "control-zone-names",
    zone_is_an_offset: "zone-is-an-offset",
    zone_not_ascii: "zone-not-ascii",
    zone_empty_part: "zone-empty-part",
    zone_on_a_note: "zone-on-a-note",
    control_edtf_datetime_zone: "control-edtf-datetime-zone",
    control_truncated_and_resigned: "control-truncated-and-resigned",
    control_checkpoint_by_authority_before_revocation: "control-checkpoint-by-authority-before-revocation",
    control_partial: "control-partial",
    control_item_bundle_complete: "control-item-bundle-complete",
    control_item_link_absent: "control-item-link-absent",
    item_link_skips_an_entry: "item-link-skips-an-entry",
    item_link_on_intake: "item-link-on-intake",
    item_link_on_a_note: "item-link-on-a-note",
    item_map_root_wrong: "item-map-root-wrong",
    control_checkpoint_without_item_map: "control-checkpoint-without-item-map",
    item_bundle_leaves_out_an_entry: "item-bundle-leaves-out-an-entry",
    item_bundle_stops_early: "item-bundle-stops-early",
    item_bundle_proof_edited: "item-bundle-proof-edited",
    item_bundle_without_item_map: "item-bundle-without-item-map",
    item_bundle_custody_break: "item-bundle-custody-break",
    non_canonical_entry: "non-canonical-entry",
    record_with_short_signature: "record-with-short-signature",
    record_over_1mib: "record-over-1MiB",
    bad_signature: "bad-signature",
    version_2: "version-2",
    version_true: "version-true",
    stray_entry_key: "stray-entry-key",
    time_with_newline: "time-with-newline",
    time_feb_30: "time-feb-30",
    sd_twice: "sd-twice",
    unknown_kind: "unknown-kind",
    wrong_ledger: "wrong-ledger",
    seq_order: "seq-order",
    seq_gap: "seq-gap",
    seq_u64_max: "seq-u64-max",
    bad_prev: "bad-prev",
    time_backwards: "time-backwards",
    stray_body_key: "stray-body-key",
    blank_note: "blank-note",
    long_short_text: "long-short-text",
    edtf_month_13: "edtf-month-13",
    control_edtf_xxxx_xx_xx: "control-edtf-XXXX-XX-XX",
    edtf_201x_05: "edtf-201X-05",
    edtf_interval_reversed: "edtf-interval-reversed",
    edtf_zone_15h: "edtf-zone-15h",
    edtf_qualified_long_year: "edtf-qualified-long-year",
    control_edtf_long_year: "control-edtf-long-year",
    edtf_qualified_datetime: "edtf-qualified-datetime",
    grade_g1: "grade-G1",
    blank_tag: "blank-tag",
    channel_fax: "channel-fax",
    count_negative: "count-negative",
    action_missing_by: "action-missing-by",
    item_id_space: "item-id-space",
    control_intake_provenance: "control-intake-provenance",
    intake_device_empty: "intake-device-empty",
    intake_device_unknown_field: "intake-device-unknown-field",
    lineage_original_with_tool: "lineage-original-with-tool",
    lineage_copy_without_method: "lineage-copy-without-method",
    lineage_role_unknown: "lineage-role-unknown",
    lineage_copy_of_a_later_item: "lineage-copy-of-a-later-item",
    intake_duplicate_file_names: "intake-duplicate-file-names",
    verify_matches_as_1: "verify-matches-as-1",
    correction_empty_set: "correction-empty-set",
    erasure_path_with_del: "erasure-path-with-DEL",
    receipt_time_bad: "receipt-time-bad",
    unknown_author: "unknown-author",
    revoked_author: "revoked-author",
    external_writes_note: "external-writes-note",
    counsel_enrolls: "counsel-enrolls",
    enroll_weak_key: "enroll-weak-key",
    control_enroll_with_title_and_organization: "control-enroll-with-title-and-organization",
    enroll_blank_organization: "enroll-blank-organization",
    enroll_unknown_field: "enroll-unknown-field",
    enroll_twice: "enroll-twice",
    genesis_key_not_author: "genesis-key-not-author",
    genesis_other_hash: "genesis-other-hash",
    second_genesis: "second-genesis",
    verify_unknown_item: "verify-unknown-item",
    second_intake: "second-intake",
    second_intake_in_other_case: "second-intake-in-other-case",
    release_by_non_holder: "release-by-non-holder",
    release_to_outsider: "release-to-outsider",
    receive_by_other: "receive-by-other",
    receive_wrong_release: "receive-wrong-release",
    double_release: "double-release",
    after_disposal: "after-disposal",
    control_seal_broken: "control-seal-broken",
    receipt_of_sealed_item_silent_on_seal: "receipt-of-sealed-item-silent-on-seal",
    control_receipts_of_unsealed_item_say_nothing: "control-receipts-of-unsealed-item-say-nothing",
    control_receipt_condition: "control-receipt-condition",
    control_external_receiver_refuses: "control-external-receiver-refuses",
    refuser_then_acts_as_holder: "refuser-then-acts-as-holder",
    refusal_added_to_a_signed_receipt: "refusal-added-to-a-signed-receipt",
    refusal_blank: "refusal-blank",
    receipt_forged: "receipt-forged",
    receipt_by_member_not_external: "receipt-by-member-not-external",
    store_by_non_holder: "store-by-non-holder",
    stored_twice: "stored-twice",
    retrieved_when_not_stored: "retrieved-when-not-stored",
    released_while_stored: "released-while-stored",
    seal_broken_that_is_not_on_it: "seal-broken-that-is-not-on-it",
    seal_reapplied_after_breaking: "seal-reapplied-after-breaking",
    seal_applied_twice: "seal-applied-twice",
    control_receiver_breaks_and_reseals: "control-receiver-breaks-and-reseals",
    seal_in_both_lists: "seal-in-both-lists",
    seal_listed_twice: "seal-listed-twice",
    seals_empty_list: "seals-empty-list",
    store_without_location: "store-without-location",
    seals_added_to_a_signed_receipt: "seals-added-to-a-signed-receipt",
    control_external_receiver_breaks_a_seal: "control-external-receiver-breaks-a-seal",
    verify_misstates: "verify-misstates",
    control_verify_truthful_mismatch: "control-verify-truthful-mismatch",
    verify_unknown_file: "verify-unknown-file",
    carried_file_altered: "carried-file-altered",
    control_attach_then_verify_and_carry: "control-attach-then-verify-and-carry",
    attach_misstated_verify: "attach-misstated-verify",
    attach_a_name_the_item_has: "attach-a-name-the-item-has",
    attach_to_no_item: "attach-to-no-item",
    attach_after_disposal: "attach-after-disposal",
    attach_no_files: "attach-no-files",
    attach_one_name_twice: "attach-one-name-twice",
    attach_by_external: "attach-by-external",
    attach_file_carried_altered: "attach-file-carried-altered",
    control_hold_on_another_item: "control-hold-on-another-item",
    disposal_under_hold_on_the_case: "disposal-under-hold-on-the-case",
    control_disposal_after_the_hold_is_released: "control-disposal-after-the-hold-is-released",
    erasure_under_hold_on_the_case: "erasure-under-hold-on-the-case",
    hold_id_used_twice: "hold-id-used-twice",
    hold_release_of_nothing: "hold-release-of-nothing",
    hold_on_no_item: "hold-on-no-item",
    hold_placed_by_a_custodian: "hold-placed-by-a-custodian",
    hold_naming_an_item_twice: "hold-naming-an-item-twice",
    control_ledger_check: "control-ledger-check",
    control_ledger_check_stating_problems: "control-ledger-check-stating-problems",
    ledger_check_wrong_root: "ledger-check-wrong-root",
    ledger_check_wrong_size: "ledger-check-wrong-size",
    ledger_check_problems_unsorted: "ledger-check-problems-unsorted",
    ledger_check_problem_not_a_code: "ledger-check-problem-not-a-code",
    ledger_check_by_external: "ledger-check-by-external",
    control_production_and_its_receipt_by_the_recipient: "control-production-and-its-receipt-by-the-recipient",
    control_production_receipt_from_an_offline_acknowledgement: "control-production-receipt-from-an-offline-acknowledgement",
    production_of_an_item_never_taken_in: "production-of-an-item-never-taken-in",
    production_to_a_non_member: "production-to-a-non-member",
    production_to_its_own_author: "production-to-its-own-author",
    production_by_a_custodian: "production-by-a-custodian",
    production_items_unsorted: "production-items-unsorted",
    production_receipt_of_no_production: "production-receipt-of-no-production",
    production_receipt_stating_another_manifest: "production-receipt-stating-another-manifest",
    production_receipt_by_someone_else: "production-receipt-by-someone-else",
    production_acknowledged_by_another_key: "production-acknowledged-by-another-key",
    production_acknowledgement_signed_by_another_key: "production-acknowledgement-signed-by-another-key",
    control_export_reveal_by_counsel: "control-export-reveal-by-counsel",
    export_reveal_by_external: "export-reveal-by-external",
    export_reveal_by_custodian: "export-reveal-by-custodian",
    export_reveal_of_no_field: "export-reveal-of-no-field",
    control_retention_on_another_item: "control-retention-on-another-item",
    disposal_within_the_retention_period: "disposal-within-the-retention-period",
    control_disposal_after_the_retention_period: "control-disposal-after-the-retention-period",
    retention_set_by_a_custodian: "retention-set-by-a-custodian",
    retention_on_no_item: "retention-on-no-item",
    retention_of_zero_days: "retention-of-zero-days",
    event_refers_to_nothing: "event-refers-to-nothing",
    control_void_of_an_event: "control-void-of-an-event",
    control_void_of_a_release: "control-void-of-a-release",
    void_of_nothing: "void-of-nothing",
    void_without_reason: "void-without-reason",
    void_by_external: "void-by-external",
    erasure_digest_not_in_sd: "erasure-digest-not-in-sd",
    erasure_of_entry_without_sd: "erasure-of-entry-without-sd",
    erasure_twice: "erasure-twice",
    erased_disclosure_carried: "erased-disclosure-carried",
    disclosure_moved: "disclosure-moved",
    checkpoint_by_revoked_authority: "checkpoint-by-revoked-authority",
    checkpoint_by_counsel: "checkpoint-by-counsel",
    checkpoint_root_mismatch: "checkpoint-root-mismatch",
    records_missing: "records-missing",
    empty_bundle: "empty-bundle",
    partial_path_wrong: "partial-path-wrong",
    partial_by_revoked_authority: "partial-by-revoked-authority",
    checkpoint_by_revoked_authority_pinned: "checkpoint-by-revoked-authority-pinned",
    log_key_not_named_after_origin: "log-key-not-named-after-origin",
    quorum_of_one_witness_under_two_names: "quorum-of-one-witness-under-two-names",
    control_quorum_of_one: "control-quorum-of-one",
    control_mirror_quorum_of_one: "control-mirror-quorum-of-one",
    mirror_quorum_unmet: "mirror-quorum-unmet",
    mirror_line_signed_by_a_witness_key: "mirror-line-signed-by-a-witness-key",
    control_timestamp: "control-timestamp",
    timestamp_not_a_token: "timestamp-not-a-token",
    timestamp_gentime_moved: "timestamp-gentime-moved",
    timestamp_other_checkpoint: "timestamp-other-checkpoint",
    timestamp_no_eku: "timestamp-no-eku",
    timestamp_expired_tsa: "timestamp-expired-tsa",
    timestamp_rogue_root: "timestamp-rogue-root",
    timestamp_before_entries: "timestamp-before-entries",
    control_timestamp_same_second: "control-timestamp-same-second",
    timestamp_second_before_entry: "timestamp-second-before-entry",
    control_tree_verified_manifest_carried: "control-tree-verified-manifest-carried",
    tree_verify_misstates: "tree-verify-misstates",
    control_tree_verify_truthful_mismatch: "control-tree-verify-truthful-mismatch",
    tree_verify_without_tree: "tree-verify-without-tree",
    tree_manifest_carried_altered: "tree-manifest-carried-altered",
    tree_name_dotdot: "tree-name-dotdot",
    tree_name_with_a_line_break: "tree-name-with-a-line-break",
    tree_manifest_misnamed: "tree-manifest-misnamed",
    tree_file_named_like_its_manifest: "tree-file-named-like-its-manifest",
    tree_unknown_key: "tree-unknown-key",
}
