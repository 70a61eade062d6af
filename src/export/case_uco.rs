//! CASE/UCO 1.4 JSON-LD export (<https://caseontology.org>): the
//! investigation, its investigative actions, the evidence files as
//! `observable:File` with SHA-256 hashes, each custody action as an
//! investigative action (its place a `location:Location`, its legal
//! authority an `investigation:Authorization` instrument) whose result is
//! an `investigation:ProvenanceRecord` of the item as it then stood (item
//! id = exhibit number), and recorded events and notifications as
//! `core:Event`.
//!
//! Owns only the mapping; every node gets a stable IRI under `kb:` built
//! from the ledger id and the entry's leaf hash, so exports are
//! deterministic and can be merged with other CASE graphs.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::export::iso;
use crate::export::timeline::Row;
use crate::format::entry::{Body, MemberKey, Seq};
use crate::format::kinds::{Domain, FileFixity, Seals};
use crate::ledger::{self, Damage, Ledger, LedgerError};
use crate::rules::custody::{Custody, ItemState};
use crate::rules::policy::Members;

fn dt(secs: Option<i64>) -> Option<Json> {
    iso(secs).map(|s| json!({"@type": "xsd:dateTime", "@value": s}))
}

fn put_time(node: &mut Json, key: &str, secs: Option<i64>) {
    if let Some(v) = dt(secs) {
        node[key] = v;
    }
}

fn file_node(id: &str, hash_id: &str, facets: (&str, &str), f: &FileFixity) -> Vec<Json> {
    let mut file_facet = json!({
        "@id": facets.0,
        "@type": "observable:FileFacet",
        "observable:fileName": f.name,
        "observable:sizeInBytes": {"@type": "xsd:integer", "@value": f.size.to_string()},
    });
    if let Some(m) = &f.media_type {
        file_facet["observable:mimeType"] = json!(m);
    }
    vec![
        json!({
            "@id": id,
            "@type": "observable:File",
            "core:hasFacet": [
                file_facet,
                {
                    "@id": facets.1,
                    "@type": "observable:ContentDataFacet",
                    "observable:hash": [{"@id": hash_id}],
                    "observable:sizeInBytes": {"@type": "xsd:integer", "@value": f.size.to_string()},
                },
            ],
        }),
        json!({
            "@id": hash_id,
            "@type": "types:Hash",
            "types:hashMethod": "SHA256",
            "types:hashValue": {"@type": "xsd:hexBinary", "@value": f.sha256.to_hex().to_uppercase()},
        }),
    ]
}

/// The whole case as one JSON-LD document: the investigation, the
/// members as identities, dated facts, and each item's chain of custody.
pub fn to_case(l: &Ledger, rows: &[Row]) -> Result<Json, LedgerError> {
    let mut g = Graph::new(l);
    g.identities();
    for r in rows {
        g.dated_fact(r);
    }
    for st in l.custody().iter() {
        g.custody_chain(&st.item)?;
    }
    let case_title = first_entry(l)?;
    let investigation = json!({
        "@id": g.kb("investigation"),
        "@type": "investigation:Investigation",
        "core:name": case_title.0,
        "core:description": format!("{} — exported from caselog ledger {} ({}), {} entries, root {}", case_title.1, l.id(), l.hash_alg(), l.head().tree.size.0, l.head().tree.root),
        "investigation:focus": "extortion",
        "core:object": g.objects,
    });
    g.nodes.insert(0, investigation);
    Ok(json!({
        "@context": {
            "kb": "http://example.org/kb/",
            "action": "https://ontology.unifiedcyberontology.org/uco/action/",
            "core": "https://ontology.unifiedcyberontology.org/uco/core/",
            "identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
            "investigation": "https://ontology.caseontology.org/case/investigation/",
            "location": "https://ontology.unifiedcyberontology.org/uco/location/",
            "observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
            "types": "https://ontology.unifiedcyberontology.org/uco/types/",
            "xsd": "http://www.w3.org/2001/XMLSchema#"
        },
        "@graph": g.nodes,
    }))
}

/// The graph being built: its nodes, the investigation's objects, and the
/// identity IRI of each member.
struct Graph<'a> {
    l: &'a Ledger,
    nodes: Vec<Json>,
    objects: Vec<Json>,
    identities: BTreeMap<MemberKey, String>,
    /// Location and authorization nodes already added.
    named: std::collections::BTreeSet<String>,
}

impl<'a> Graph<'a> {
    fn new(l: &'a Ledger) -> Self {
        Graph {
            l,
            nodes: Vec::new(),
            objects: Vec::new(),
            identities: BTreeMap::new(),
            named: Default::default(),
        }
    }

    /// IRIs end in a UUID (as UCO suggests), derived from the ledger id and
    /// the node's role so that the same ledger always exports the same graph.
    fn kb(&self, s: &str) -> String {
        let h = blake3::hash(format!("caselog-case-iri\0{}\0{s}", self.l.id()).as_bytes());
        let mut b: [u8; 16] = h.as_bytes()[..16]
            .try_into()
            .expect("case_uco: 16 of 32 bytes");
        b[6] = (b[6] & 0x0f) | 0x50; // version 5 (name-based) layout
        b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
        let x = hex::encode(b);
        let kind = s.split('-').next().unwrap_or("node");
        format!(
            "kb:{kind}-{}-{}-{}-{}-{}",
            &x[..8],
            &x[8..12],
            &x[12..16],
            &x[16..20],
            &x[20..]
        )
    }

    /// People and organisations that sign entries.
    fn identities(&mut self) {
        for m in self.l.members().iter() {
            let id = self.kb(&format!("identity-{}", &m.key.to_hex()[..16]));
            let who = m
                .profile
                .describe()
                .map(|p| format!("; {p}"))
                .unwrap_or_default();
            self.nodes.push(json!({"@id": id, "@type": "identity:Identity", "core:name": m.name, "core:description": format!("ledger member, role {}{who}", m.role)}));
            self.identities.insert(m.key, id);
        }
    }

    /// Dated facts: events and notifications as core:Event, actions as
    /// investigative actions; other rows have no node of their own.
    fn dated_fact(&mut self, r: &Row) {
        let id = self.kb(&format!("entry-{}", &r.leaf.to_hex()[..24]));
        let node = match &r.body {
            Domain::Action(a) => {
                let mut n = json!({
                    "@id": id, "@type": "investigation:InvestigativeAction",
                    "core:name": a.title,
                    "core:description": format!("{} (caselog seq {}, occurred {})", a.outcome.clone().unwrap_or_default(), r.seq.0, r.occurred),
                });
                if let Some(p) = self.identities.get(&r.author) {
                    n["action:performer"] = json!({"@id": p});
                }
                put_time(&mut n, "action:startTime", r.occurred.earliest());
                put_time(&mut n, "action:endTime", r.occurred.latest());
                n
            }
            Domain::Event(_) | Domain::Notification(_) => {
                let mut n = json!({
                    "@id": id, "@type": "core:Event",
                    "core:name": r.summary,
                    "core:eventType": r.kind.name(),
                    "core:description": format!("caselog seq {}, occurred {} (EDTF), recorded {}", r.seq.0, r.occurred, r.recorded),
                });
                put_time(&mut n, "core:startTime", r.occurred.earliest());
                put_time(&mut n, "core:endTime", r.occurred.latest());
                n
            }
            _ => return,
        };
        self.objects.push(json!({"@id": id}));
        self.nodes.push(node);
    }

    /// Evidence: every custody action (intake, re-hash, release, receipt or
    /// refusal, check-in, check-out, disposal, return) as an investigative
    /// action whose result is a provenance record of the item as it stood
    /// after it: holder, storage, seals (exhibit number = item id).
    fn custody_chain(&mut self, item: &str) -> Result<(), LedgerError> {
        let mut files: Vec<Json> = Vec::new();
        let mut last_record: Option<String> = None;
        let mut state = Custody::new();
        for (seq, raw) in self.l.item_records(item)? {
            let (_, e) = ledger::decode(seq, &raw)?;
            let Body::Domain(d) = &e.body else { continue };
            let Some(step) = self.step(d, &e.author, &mut files) else {
                continue;
            };
            let leaf = self.l.hash_alg().leaf(&raw);
            state.apply(&e, &leaf);
            let act_id = self.kb(&format!("entry-{}", &leaf.to_hex()[..24]));
            let mut act = json!({
                "@id": act_id,
                "@type": "investigation:InvestigativeAction",
                "core:name": step.name,
                "core:description": format!("{}caselog seq {seq}, recorded {}", step.details.iter().map(|d| format!("{d}; ")).collect::<String>(), e.time),
            });
            put_time(
                &mut act,
                "action:startTime",
                Some(e.time.micros().div_euclid(1_000_000)),
            );
            if let Some(p) = self.identities.get(&e.author) {
                act["action:performer"] = json!({"@id": p});
            }
            if let Some(prev) = &last_record {
                act["action:object"] = json!([{"@id": prev}]);
            }
            if let Some(at) = &step.location {
                act["action:location"] = json!([{"@id": self.location(at)}]);
            }
            if let Some(a) = &step.authority {
                act["action:instrument"] = json!([{"@id": self.authorization(a)}]);
            }
            if let Some(now) = state.get(item) {
                let rec_id = self.kb(&format!("provenance-{}", &leaf.to_hex()[..24]));
                self.nodes.push(json!({
                    "@id": rec_id,
                    "@type": "investigation:ProvenanceRecord",
                    "investigation:exhibitNumber": item,
                    "core:description": format!("{} after caselog seq {seq}", self.standing(now)),
                    "core:object": files,
                }));
                act["action:result"] = json!([{"@id": rec_id}]);
                self.objects.push(json!({"@id": rec_id}));
                last_record = Some(rec_id);
            }
            self.objects.push(json!({"@id": act_id}));
            self.nodes.push(act);
        }
        Ok(())
    }

    /// How an item stands: `EV-1 held by Det. Roe (Detective, PAPD); in
    /// storage at Property room B; seals S-2`.
    fn standing(&self, s: &ItemState) -> String {
        let mut out = format!("{} held by {}", s.item, self.l.members().display(&s.holder));
        if let Some((_, to)) = &s.pending {
            out.push_str(&format!(
                "; released to {}, not yet received",
                self.l.members().display(to)
            ));
        }
        if let Some((at, _)) = &s.stored {
            out.push_str(&format!("; in storage at {at}"));
        }
        if !s.seals.is_empty() {
            let list: Vec<&str> = s.seals.iter().map(String::as_str).collect();
            out.push_str(&format!("; seals {}", list.join(", ")));
        }
        if let Some((how, _)) = &s.closed {
            out.push_str(&format!("; {how}"));
        }
        out
    }

    /// A `location:Location` node for a place named in a custody step (one
    /// per distinct name).
    fn location(&mut self, name: &str) -> String {
        let id = self.kb(&format!(
            "location-{}",
            blake3::hash(name.as_bytes()).to_hex()
        ));
        if self.named.insert(id.clone()) {
            self.nodes
                .push(json!({"@id": id, "@type": "location:Location", "core:name": name}));
        }
        id
    }

    /// An `investigation:Authorization` node for a legal authority (warrant,
    /// subpoena, consent) named in a custody step.
    fn authorization(&mut self, text: &str) -> String {
        let id = self.kb(&format!(
            "authorization-{}",
            blake3::hash(text.as_bytes()).to_hex()
        ));
        if self.named.insert(id.clone()) {
            self.nodes.push(json!({
                "@id": id,
                "@type": "investigation:Authorization",
                "investigation:authorizationIdentifier": [text],
            }));
        }
        id
    }

    /// One custody step: its name, details, place and legal authority; an
    /// intake or attach adds its files to the graph and to `files`. `None` for entries
    /// that are not custody steps.
    fn step(&mut self, d: &Domain, author: &MemberKey, files: &mut Vec<Json>) -> Option<Step> {
        Some(match d {
            Domain::EvidenceIntake(i) => {
                for f in &i.files {
                    self.add_file(f, files);
                }
                if let Some(t) = &i.tree {
                    self.add_tree(t, files);
                }
                intake_step(i)
            }
            Domain::EvidenceAttach(a) => {
                for f in &a.files {
                    self.add_file(f, files);
                }
                Step::new(
                    format!("Files attached to {} ({})", a.item, a.description),
                    a.files.iter().map(|f| format!("file {}", f.name)).collect(),
                )
            }
            Domain::EvidenceVerify(v) => Step::new(
                format!(
                    "Re-hash of {} file {}: {}",
                    v.item,
                    v.file.name,
                    if v.matches { "match" } else { "MISMATCH" }
                ),
                Vec::new(),
            ),
            Domain::EvidenceDispose(c) => Step::new(
                format!("Disposal of {}: {}", c.item, c.detail),
                vec![format!("reason: {}", c.reason)],
            ),
            Domain::EvidenceReturn(c) => Step::new(
                format!("Return of {} to {}", c.item, c.detail),
                vec![format!("reason: {}", c.reason)],
            ),
            _ => handling_step(d, author, self.l.members())?,
        })
    }

    /// A tree (SPEC §13.8): its manifest, and each file the kept manifest
    /// lists (named `ROOT/PATH`), as `observable:File`s with their SHA-256.
    /// Without a kept manifest only the manifest's own digests are known.
    fn add_tree(&mut self, t: &crate::format::tree::Tree, files: &mut Vec<Json>) {
        self.add_file(&t.manifest, files);
        let dir = self.l.store().dir();
        let Ok(Some(bytes)) = crate::storage::tree::read_manifest(dir, &t.manifest.blake3) else {
            return;
        };
        let Ok(m) = crate::format::tree::Manifest::decode(&bytes) else {
            return;
        };
        if crate::format::tree::digests(&m.content_listing()) != (t.blake3, t.sha256) {
            return;
        }
        for tf in &m.files {
            let f = FileFixity {
                name: format!("{}/{}", t.name, tf.path),
                size: tf.size,
                blake3: tf.blake3,
                sha256: tf.sha256,
                media_type: None,
            };
            let at = blake3::hash(f.name.as_bytes()).to_hex();
            self.add_file_as(&format!("{}-{}", tf.blake3.to_hex(), &at[..16]), &f, files);
        }
    }

    /// An intake file as `observable:File` with its SHA-256.
    fn add_file(&mut self, f: &FileFixity, files: &mut Vec<Json>) {
        self.add_file_as(&f.blake3.to_hex(), f, files);
    }

    /// [`Self::add_file`] under node ids made from `b3` (a tree's files
    /// add their path's digest: equal contents are still two files).
    fn add_file_as(&mut self, b3: &str, f: &FileFixity, files: &mut Vec<Json>) {
        let fid = self.kb(&format!("file-{b3}"));
        let (hid, f1, f2) = (
            self.kb(&format!("hash-{b3}")),
            self.kb(&format!("filefacet-{b3}")),
            self.kb(&format!("contentfacet-{b3}")),
        );
        self.nodes.extend(file_node(&fid, &hid, (&f1, &f2), f));
        files.push(json!({"@id": fid}));
    }
}

/// A custody step as the export names it.
struct Step {
    name: String,
    details: Vec<String>,
    location: Option<String>,
    authority: Option<String>,
}

impl Step {
    fn new(name: String, details: Vec<String>) -> Step {
        Step {
            name,
            details,
            location: None,
            authority: None,
        }
    }

    fn at(mut self, location: Option<String>) -> Step {
        self.location = location;
        self
    }
}

/// An intake: when and by whom collected, seal, lineage, device.
fn intake_step(i: &crate::format::kinds::EvidenceIntake) -> Step {
    let mut details = vec![format!(
        "collected {}{} by {}",
        i.collected,
        i.zone.as_ref().map(|z| format!(" {z}")).unwrap_or_default(),
        i.collected_by
    )];
    details.extend(i.seal.as_ref().map(|s| format!("seal {s}")));
    details.extend(i.lineage.as_ref().map(|l| l.describe()));
    details.extend(
        i.device
            .as_ref()
            .map(|d| format!("device {}", d.describe())),
    );
    Step::new(
        format!("Evidence intake of {} ({})", i.item, i.description),
        details,
    )
    .at(i.location.clone())
}

/// A handling (SPEC §13.2, §13.6): release, receipt or refusal, check-in,
/// check-out; `None` for other kinds.
fn handling_step(d: &Domain, author: &MemberKey, members: &Members) -> Option<Step> {
    let seals = |s: &Seals| s.describe().into_iter().collect::<Vec<_>>();
    let cond = |c: &Option<String>| c.as_ref().map(|x| format!("condition: {x}"));
    Some(match d {
        Domain::CustodyRelease(c) => {
            let mut details = vec![format!("purpose: {}", c.reason)];
            details.extend(c.transport.as_ref().map(|t| format!("transport: {t}")));
            details.extend(seals(&c.seals));
            let name = format!(
                "Custody release of {} to {}",
                c.item,
                members.display(&c.to)
            );
            Step {
                authority: c.authority.clone(),
                ..Step::new(name, details).at(c.location.clone())
            }
        }
        Domain::CustodyReceive(c) => {
            let to = members.display(&c.receipt.as_ref().map(|r| r.key).unwrap_or(*author));
            let name = match &c.rejected {
                Some(why) => format!("Custody transfer of {} refused by {to}: {why}", c.item),
                None => format!("Custody receipt of {} by {to}", c.item),
            };
            let mut details = vec![match c.seal_intact {
                Some(true) => "seal recorded as intact".to_owned(),
                Some(false) => "seal recorded as NOT intact".to_owned(),
                None => "no seal".to_owned(),
            }];
            details.extend(cond(&c.condition));
            details.extend(seals(&c.seals));
            Step::new(name, details)
        }
        Domain::CustodyStore(c) => {
            let mut details: Vec<String> =
                c.reason.iter().map(|r| format!("reason: {r}")).collect();
            details.extend(cond(&c.condition));
            details.extend(seals(&c.seals));
            Step::new(format!("Check-in of {} to {}", c.item, c.location), details)
                .at(Some(c.location.clone()))
        }
        Domain::CustodyRetrieve(c) => {
            let mut details = vec![format!("reason: {}", c.reason)];
            details.extend(cond(&c.condition));
            details.extend(seals(&c.seals));
            Step::new(format!("Check-out of {} from storage", c.item), details)
        }
        _ => return None,
    })
}

/// Case id and title from the genesis entry.
fn first_entry(l: &Ledger) -> Result<(String, String), LedgerError> {
    match l.read(Seq(0))?.map(|(_, e)| e.body) {
        Some(Body::LedgerOpen(o)) => Ok((o.case_id, o.title)),
        Some(_) => Err(Damage::Genesis.into()),
        None => Err(Damage::RecordMissing { seq: 0 }.into()),
    }
}
