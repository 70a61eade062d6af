//! `caselog serve` end to end on loopback: every refusal has its own
//! status and code and writes nothing; two members append from two
//! processes; a mirror follows and refuses a server that forks or rolls
//! back, with evidence saved.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Proc, Stdio};
use std::time::Duration;

use crate::common::{authority, build_small, investigator, note, outsider};
use caselog::format::entry::{Body, Entry, MemberEnroll, Record};
use caselog::ledger::Submission;
use caselog::net::api::{self, HeadInfo};
use caselog::net::client::{Remote, RemoteError};
use caselog::net::httpsig::{self, Params, RequestParts};
use caselog::net::server::{ServeConfig, Server};
use caselog::storage::keys::Signer;
use caselog::{Hash, HashAlg, Ledger, LedgerId, Role, Seq, Timestamp};

/// Serve `dirs` (case name = directory name) in this process; returns the
/// base URL. The server thread lives until the test process ends.
fn serve_in_process(dirs: &[&Path], max_body: usize) -> String {
    serve_with_witnesses(dirs, max_body, Vec::new())
}

fn serve_with_witnesses(
    dirs: &[&Path],
    max_body: usize,
    witnesses: Vec<caselog::net::witness::WitnessPeer>,
) -> String {
    serve_full(dirs, max_body, witnesses, None)
}

fn serve_full(
    dirs: &[&Path],
    max_body: usize,
    witnesses: Vec<caselog::net::witness::WitnessPeer>,
    publish: Option<(String, bool)>,
) -> String {
    serve_tls(dirs, max_body, witnesses, publish, None)
}

fn serve_tls(
    dirs: &[&Path],
    max_body: usize,
    witnesses: Vec<caselog::net::witness::WitnessPeer>,
    publish: Option<(String, bool)>,
    tls: Option<(PathBuf, PathBuf)>,
) -> String {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let cases = dirs
        .iter()
        .map(|d| {
            (
                d.file_name().unwrap().to_str().unwrap().to_owned(),
                d.to_path_buf(),
            )
        })
        .collect();
    let server = Server::bind(&ServeConfig {
        cases,
        listen: "127.0.0.1:0".parse().unwrap(),
        tls,
        max_body,
        limits: caselog::net::server::Limits {
            connections: 64,
            ..Default::default()
        },
        read_only: false,
        max_blob: 1 << 30,
        witness_ca: None,
        quorum: witnesses.len(),
        witnesses,
        publish,
        tsa: None,
        ..ServeConfig::new(Default::default(), "127.0.0.1:0".parse().unwrap())
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || server.run().unwrap());
    next_second();
    format!("{scheme}://{addr}")
}

/// `HOST:PORT` of a case URL `http://HOST:PORT/CASE`.
fn host_of(url: &str) -> String {
    let rest = url.trim_start_matches("http://");
    rest.split('/').next().unwrap().to_owned()
}

/// Wait for the next wall-clock second: a server refuses requests signed
/// in the second it started (SIGNED_BEFORE_START; clients would retry a
/// second later), so tests start signing after it.
fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()),
    ));
}

/// The head of a signed request as raw HTTP/1.1, for a body of `body`
/// (its digest signed), to send by hand: all of it, part of it, or none.
fn raw_signed_head(addr: &str, method: &str, path: &str, body: &[u8], s: &Signer) -> String {
    let digest = httpsig::content_digest(body);
    let params = Params {
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        nonce: format!("n{}", rand_nonce()),
        key: s.public(),
        with_digest: true,
    };
    let parts = RequestParts {
        method,
        authority: addr,
        path,
        query: "?",
        content_digest: Some(&digest),
    };
    let (input, sig) = httpsig::sign(s, &params, &parts).unwrap();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\ncontent-type: application/cbor\r\ncontent-digest: {digest}\r\nsignature-input: {input}\r\nsignature: {sig}\r\n\r\n",
        body.len()
    )
}

fn rand_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) ^ u64::from(std::process::id()) << 32
}

/// The fixture ledger (SHA-256) with `members` enrolled by the authority.
fn case_with(dir: &Path, members: &[(&Signer, Role)]) -> Ledger {
    let mut l = build_small(dir, HashAlg::Sha256);
    for (m, role) in members {
        let enroll = MemberEnroll {
            profile: Default::default(),
            name: m.name().into(),
            role: *role,
            key: m.public(),
        };
        l.append(Body::MemberEnroll(enroll), &authority()).unwrap();
    }
    l
}

/// A note record by `s` signed against `head`.
fn note_record(head: &HeadInfo, s: &Signer, text: &str) -> Vec<u8> {
    record(head, s, note(text))
}

fn record(head: &HeadInfo, s: &Signer, body: Body) -> Vec<u8> {
    let mut id = [0u8; 16];
    hex::decode_to_slice(&head.ledger, &mut id).unwrap();
    let entry = Entry {
        item_prev: None,
        ledger: LedgerId(id),
        seq: Seq(head.size),
        prev: Hash::from_hex(&head.last).unwrap(),
        time: Timestamp::now().max(Timestamp::parse(&head.time).unwrap()),
        author: s.public(),
        body,
        sd: Vec::new(),
    };
    Record::sign(&entry, s).unwrap().encode()
}

fn sub(record: Vec<u8>) -> Vec<Submission> {
    vec![Submission {
        record,
        private: Vec::new(),
    }]
}

/// The server's answer to `f` must be an API error with this status and code.
fn refused<T: std::fmt::Debug>(r: Result<T, RemoteError>, status: u16, code: &str) {
    match r {
        Err(RemoteError::Api { err, .. }) => {
            assert_eq!(
                (err.status, err.code.as_str()),
                (status, code),
                "{}",
                err.error
            )
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// A signed request sent as given: `signer` signs, `claimed` is the keyid.
struct Raw {
    method: &'static str,
    path: String,
    body: Vec<u8>,
    nonce: String,
}

fn send_raw(base: &str, raw: &Raw, signer: &Signer, claimed: &Signer) -> (u16, serde_json::Value) {
    let authority = base.trim_start_matches("http://");
    let digest = (!raw.body.is_empty()).then(|| httpsig::content_digest(&raw.body));
    let params = Params {
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        nonce: raw.nonce.clone(),
        key: claimed.public(),
        with_digest: digest.is_some(),
    };
    let parts = RequestParts {
        method: raw.method,
        authority,
        path: &raw.path,
        query: "?",
        content_digest: digest.as_deref(),
    };
    let (input, sig) = httpsig::sign(signer, &params, &parts).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{base}{}", raw.path);
    let mut resp = if raw.method == "POST" {
        let mut r = agent
            .post(&url)
            .header("signature-input", &input)
            .header("signature", &sig)
            .header("content-type", api::CBOR);
        if let Some(d) = &digest {
            r = r.header("content-digest", d);
        }
        r.send(&raw.body[..]).unwrap()
    } else {
        agent
            .get(&url)
            .header("signature-input", &input)
            .header("signature", &sig)
            .call()
            .unwrap()
    };
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_vec().unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn every_refusal_has_its_status_and_code_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-a");
    drop(build_small(&dir, HashAlg::Sha256));
    let base = serve_in_process(&[&dir], 64 << 10);
    let r = Remote::new(&format!("{base}/case-a")).unwrap();
    let (a, inv, out) = (authority(), investigator(), outsider());
    let head = r.head(&a).unwrap();
    assert_eq!(head.size, 7);

    // Not a member; a revoked member.
    refused(r.head(&out), 403, "UNKNOWN_AUTHOR");
    refused(r.head(&inv), 403, "REVOKED_AUTHOR");
    refused(
        r.append(&out, &sub(note_record(&head, &out, "x")), None),
        403,
        "UNKNOWN_AUTHOR",
    );
    // Unsigned: a public tile is served, an entry bundle is not.
    assert_eq!(
        r.tile(
            caselog::tlog::tiles::Tile {
                level: Some(0),
                index: 0,
                width: 7
            },
            None
        )
        .unwrap()
        .len(),
        7 * 32
    );
    refused(
        r.tile(
            caselog::tlog::tiles::Tile {
                level: None,
                index: 0,
                width: 7,
            },
            None,
        ),
        401,
        "UNSIGNED",
    );

    // A request claiming the authority's key, signed by another key.
    let raw = Raw {
        method: "GET",
        path: "/case-a/api/head".into(),
        body: Vec::new(),
        nonce: "n1".into(),
    };
    let (status, body) = send_raw(&base, &raw, &out, &a);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("BAD_REQUEST_SIGNATURE"))
    );

    // A replayed request: the same signed append sent twice.
    let rec = note_record(&head, &a, "appended once");
    let raw = Raw {
        method: "POST",
        path: "/case-a/api/append".into(),
        body: api::encode_submissions(&sub(rec)),
        nonce: "replay-me".into(),
    };
    let (status, _) = send_raw(&base, &raw, &a, &a);
    assert_eq!(status, 200);
    // Acknowledged means readable: the head already includes it.
    assert_eq!(r.head(&a).unwrap().size, 8);
    let (status, body) = send_raw(&base, &raw, &a, &a);
    assert_eq!((status, body["code"].as_str()), (401, Some("REPLAYED")));
    let head8 = r.head(&a).unwrap();
    assert_eq!(head8.size, 8);

    // A stale head: signed against size 7, the ledger is at 8; the answer
    // carries the head to sign against.
    match r.append(&a, &sub(note_record(&head, &a, "stale")), None) {
        Err(RemoteError::Api { err, .. }) => {
            assert_eq!((err.status, err.code.as_str()), (409, "STALE_HEAD"));
            assert_eq!(err.head.as_deref(), Some(&head8));
        }
        other => panic!("{other:?}"),
    }
    // An oversized body.
    let big = note_record(&head8, &a, &"x".repeat(900));
    let many: Vec<Submission> = (0..100).map(|_| sub(big.clone()).remove(0)).collect();
    refused(r.append(&a, &many, None), 413, "TOO_LARGE");
    // The same rules as the verifier, with its codes: a record whose
    // signature fails; a kind the author's role may not append.
    let mut bad = Record::decode(&note_record(&head8, &a, "forged")).unwrap();
    bad.sig[0] ^= 1;
    refused(r.append(&a, &sub(bad.encode()), None), 422, "BAD_SIGNATURE");
    let enroll = Body::MemberEnroll(MemberEnroll {
        profile: Default::default(),
        name: "X".into(),
        role: Role::Investigator,
        key: out.public(),
    });
    // The authority may enroll: that is accepted below; an investigator
    // may not, but the only investigator is revoked, so the role rule is
    // shown with a record whose author differs from the request's key.
    refused(
        r.append(&a, &sub(record(&head8, &out, enroll.clone())), None),
        403,
        "AUTHOR_MISMATCH",
    );
    // A record far from the server's clock.
    let mut e = Entry::decode(
        &Record::decode(&note_record(&head8, &a, "old"))
            .unwrap()
            .entry_bytes,
    )
    .unwrap();
    e.time = Timestamp::parse("2009-01-01T00:00:00.000000Z").unwrap();
    refused(
        r.append(&a, &sub(Record::sign(&e, &a).unwrap().encode()), None),
        422,
        "TIME_SKEW",
    );
    // A minute ahead: refused, or every later entry would inherit it.
    e.time = Timestamp::from_micros(Timestamp::now().micros() + 60_000_000).unwrap();
    let err = r
        .append(&a, &sub(Record::sign(&e, &a).unwrap().encode()), None)
        .unwrap_err();
    assert!(
        err.to_string().contains("s ahead of the server's clock"),
        "{err}"
    );

    // Nothing of the refused requests was written.
    assert_eq!(r.head(&a).unwrap(), head8);
    // A good one still goes through.
    let out8 = r
        .append(&a, &sub(record(&head8, &a, enroll)), None)
        .unwrap();
    assert_eq!(out8.entries[0].seq, 8);
}

#[test]
fn role_rules_are_the_verifiers_with_its_codes() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-b");
    let inv = Signer::from_seed("Active investigator", &[0x22; 32]);
    drop(case_with(&dir, &[(&inv, Role::Investigator)]));
    let base = serve_in_process(&[&dir], api::DEFAULT_MAX_BODY);
    let r = Remote::new(&format!("{base}/case-b")).unwrap();
    let head = r.head(&inv).unwrap();
    let enroll = Body::MemberEnroll(MemberEnroll {
        profile: Default::default(),
        name: "X".into(),
        role: Role::Investigator,
        key: outsider().public(),
    });
    refused(
        r.append(&inv, &sub(record(&head, &inv, enroll)), None),
        422,
        "ROLE_NOT_ALLOWED",
    );
    // Another ledger's record.
    let mut other = head.clone();
    other.ledger = "ffeeddccbbaa99887766554433221100".into();
    refused(
        r.append(&inv, &sub(note_record(&other, &inv, "elsewhere")), None),
        422,
        "WRONG_LEDGER",
    );
    assert_eq!(r.head(&inv).unwrap(), head);
    assert_eq!(
        r.append(&inv, &sub(note_record(&head, &inv, "fine")), None)
            .unwrap()
            .entries[0]
            .seq,
        head.size
    );
}

/// `caselog --remote URL --ledger COPY --key KEY`, the command to follow.
fn remote_cmd(url: &str, copy: impl AsRef<Path>, key: impl AsRef<Path>) -> Proc {
    let mut c = Proc::new(bin());
    c.args(["--remote", url, "--ledger"])
        .arg(copy.as_ref())
        .arg("--key")
        .arg(key.as_ref())
        .env_remove("CASELOG_LEDGER");
    c
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("caselog")
}

/// `caselog serve` as a child process; killed when dropped.
struct ServeProc(Child, String);

impl Drop for ServeProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve_proc(dir: &Path) -> ServeProc {
    serve_proc_with(dir, &[])
}

fn serve_read_only(dir: &Path) -> ServeProc {
    serve_proc_with(dir, &["--read-only"])
}

fn serve_proc_with(dir: &Path, extra: &[&str]) -> ServeProc {
    serve_proc_env(dir, extra, &[])
}

fn serve_proc_env(dir: &Path, extra: &[&str], env: &[(&str, String)]) -> ServeProc {
    serve_port(dir, 0, extra, env)
}

/// `caselog serve` on this port (again, after a restart).
fn serve_on(dir: &Path, port: u16) -> ServeProc {
    serve_port(dir, port, &[], &[])
}

/// `caselog serve` on `port` (0: a port the OS picks, read back from the
/// address the server prints once it is bound, so no other process can
/// take it in between). Its stderr is drained on a thread.
// The child is killed and waited for by `ServeProc`'s `Drop`.
#[allow(clippy::zombie_processes)]
fn serve_port(dir: &Path, port: u16, extra: &[&str], env: &[(&str, String)]) -> ServeProc {
    use std::io::BufRead;
    let mut child = Proc::new(bin())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .arg(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = lines
        .find_map(|l| l.ok()?.strip_prefix("caselog: serving ").map(str::to_owned))
        .map(|u| u.trim_end_matches(" (read-only)").to_owned())
        .unwrap_or_else(|| panic!("caselog serve did not start"));
    std::thread::spawn(move || lines.for_each(drop));
    next_second();
    ServeProc(child, url)
}

fn write_key(dir: &Path, name: &str, s: &Signer) -> PathBuf {
    let p = dir.join(name);
    caselog::storage::keys::write_key_files(s, &p, None).unwrap();
    p
}

#[test]
fn two_members_append_from_two_processes() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-c");
    let a = authority();
    let inv = Signer::from_seed("Det. Two", &[0x24; 32]);
    drop(case_with(&dir, &[(&inv, Role::Investigator)]));
    let keys = [
        write_key(t.path(), "a.key", &a),
        write_key(t.path(), "i.key", &inv),
    ];
    let s = serve_proc(&dir);
    const N: usize = 15;
    let workers: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(w, key)| {
            let (key, url, copy) = (key.clone(), s.1.clone(), t.path().join(format!("copy{w}")));
            std::thread::spawn(move || {
                for i in 0..N {
                    let out = remote_cmd(&url, &copy, &key)
                        .args(["note", &format!("worker {w} note {i}")])
                        .env_remove("CASELOG_LEDGER")
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    drop(s);
    let l = Ledger::open(&dir, false).unwrap();
    assert_eq!(l.head().tree.size.0, 8 + 2 * N as u64);
    let report = caselog::verify_store(l.store()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // Each copy is a verified prefix of the served ledger.
    for w in 0..2 {
        let copy = t.path().join(format!("copy{w}"));
        let c = Ledger::open(&copy, false).unwrap();
        let n = c.head().tree.size;
        assert_eq!(c.head().tree, l.tree_head_at(n).unwrap());
    }
}

fn mirror(url: &str, dir: &Path, key: &Path) -> std::process::Output {
    Proc::new(bin())
        .args(["mirror", url])
        .arg(dir)
        .arg("--key")
        .arg(key)
        .env_remove("CASELOG_LEDGER")
        .output()
        .unwrap()
}

fn checkpoint(dir: &Path, a: &Signer) {
    let mut l = Ledger::open(dir, true).unwrap();
    l.checkpoint(a).unwrap();
}

/// A checkpoint over the ledger's true root at its size whose
/// `caselog-items` line is the item map of one entry earlier (EV-2, taken
/// in last, left out): what an operator holding an authority key could
/// sign to make a partial item bundle look complete.
fn false_completeness(l: &Ledger, a: &Signer) -> String {
    let size = l.head().tree.size;
    caselog::Checkpoint {
        items: caselog::tlog::itemmap::head(
            l.hash_alg(),
            &l.item_heads_at(caselog::TreeSize(size.0 - 1)).unwrap(),
        ),
        origin: l.origin(),
        head: l.tree_head_at(size).unwrap(),
    }
    .sign(a)
    .unwrap()
    .to_text()
}

#[test]
fn a_false_completeness_line_is_refused_by_the_server_and_the_mirror() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let key = write_key(t.path(), "a.key", &a);
    let dir = t.path().join("case-i");
    let mut l = build_small(&dir, HashAlg::Sha256);
    l.append(common::intake_body("EV-1"), &a).unwrap();
    l.append(common::intake_body("EV-2"), &a).unwrap();
    let forged = false_completeness(&l, &a);
    let size = l.head().tree.size.0;
    // The ledger refuses it itself.
    let e = l
        .store_signed_checkpoint(
            &caselog::tlog::note::Note::parse(forged.as_bytes()).unwrap(),
            &[],
        )
        .unwrap_err();
    assert!(e.to_string().contains("states item map 1 items"), "{e}");
    drop(l);
    // So does the server: 422, nothing stored, nothing published.
    {
        let base = serve_in_process(&[&dir], api::DEFAULT_MAX_BODY);
        let r = Remote::new(&format!("{base}/case-i")).unwrap();
        refused(r.post_checkpoint(&a, &forged), 422, "BAD_CHECKPOINT");
        assert!(r.checkpoint().unwrap().is_none());
    }
    // A server that stored one anyway (written straight into its store, as
    // a tampered server would): the mirror refuses it with evidence and
    // does not call it matching.
    let served = t.path().join("s/case-i");
    std::fs::create_dir_all(served.parent().unwrap()).unwrap();
    copy_dir(&dir, &served);
    let mut b = caselog::storage::store::Batch::new();
    b.put(
        caselog::storage::layout::CF_CHECKPOINTS,
        size.to_be_bytes().to_vec(),
        forged.clone().into_bytes(),
    );
    caselog::storage::store::WriteStore::open(&served)
        .unwrap()
        .commit(b)
        .unwrap();
    let m = t.path().join("mirror");
    let s = serve_read_only(&served);
    let out = mirror(&s.1, &m, &key);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stdout.contains("matches"), "{stdout}");
    assert!(stderr.contains("completeness line is false"), "{stderr}");
    let ev = caselog::net::mirror::evidence_dir(&m);
    let saved: Vec<_> = std::fs::read_dir(&ev)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1);
    // What the server served is case content: 0700 / 0600.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode(&ev), mode(&saved[0])), (0o700, 0o600));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_mirror_refuses_a_fork_and_a_rollback_with_evidence() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let key = write_key(t.path(), "a.key", &a);
    // One history, copied before it diverges: `old` (7 entries), `one`
    // and `two` (8 entries each, different 8th entries).
    let (old, one, two) = (
        t.path().join("o/case"),
        t.path().join("1/case"),
        t.path().join("2/case"),
    );
    for d in [&old, &one, &two] {
        drop(build_small(d, HashAlg::Sha256));
    }
    for (d, text) in [(&one, "history one"), (&two, "history two")] {
        let mut l = Ledger::open(d, true).unwrap();
        l.append(note(text), &a).unwrap();
        drop(l);
        checkpoint(d, &a);
    }
    let m = t.path().join("mirror");
    {
        let s1 = serve_proc(&one);
        let out = mirror(&s1.1, &m, &key);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("checkpoint at size 8 matches"));
    }
    let c = Ledger::open(&m, false).unwrap();
    assert!(caselog::verify_store(c.store())
        .unwrap()
        .problems
        .is_empty());
    drop(c);
    // The second server forked: same size, another root.
    {
        let s2 = serve_proc(&two);
        let out = mirror(&s2.1, &m, &key);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("history differs") && err.contains("evidence"),
            "{err}"
        );
    }
    // The old server rolled back.
    {
        let s0 = serve_proc(&old);
        let out = mirror(&s0.1, &m, &key);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("rolled back"));
    }
    let ev = caselog::net::mirror::evidence_dir(&m);
    let saved: Vec<String> = std::fs::read_dir(&ev)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(saved.iter().any(|f| f.ends_with("-fork.txt")), "{saved:?}");
    assert!(
        saved.iter().any(|f| f.ends_with("-rollback.txt")),
        "{saved:?}"
    );
    // The copy is untouched by the refused servers.
    let c = Ledger::open(&m, false).unwrap();
    assert_eq!(c.head().tree.size.0, 8);
}

#[test]
fn tiles_give_the_checkpoints_root_to_an_independent_reader() {
    // 256² + 300 entries: full and partial tiles at levels 0 and 1, and a
    // partial tile at level 2.
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-t");
    let a = authority();
    let mut l = build_small(&dir, HashAlg::Sha256);
    let n = 65_536 + 300 - 7;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5_000) {
        let items = chunk
            .iter()
            .map(|i| (note(&format!("entry {i}")), &a))
            .collect();
        l.append_batch_at(items, Timestamp::now()).unwrap();
    }
    l.checkpoint(&a).unwrap();
    let root = l.head().tree.root;
    let vkey = l.authority_log_keys()[0].to_string();
    drop(l);
    let base = serve_in_process(&[&dir], api::DEFAULT_MAX_BODY);
    let out = Proc::new(common::python())
        .arg(common::verify_bundle_script())
        .args(["--tiles", &format!("{base}/case-t"), "--trust", &vkey])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("root            {}", root.to_hex())),
        "{stdout}"
    );
    assert!(stdout.contains("checkpoint_size 65836"), "{stdout}");
    // The same root `caselog verify` recomputes.
    let v = Proc::new(bin())
        .arg("--ledger")
        .arg(&dir)
        .arg("verify")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).contains(&root.to_hex()));
    // A tile beyond the tree is not served; a non-canonical path is not one.
    let r = Remote::new(&format!("{base}/case-t")).unwrap();
    refused(
        r.tile(
            caselog::tlog::tiles::Tile {
                level: Some(0),
                index: 257,
                width: 45,
            },
            None,
        ),
        404,
        "NOT_FOUND",
    );
    let status = ureq::get(&format!("{base}/case-t/tile/0/1"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 404);
}

/// A witness served in this process; returns its URL and verifier key.
fn witness_in_process(
    state: &Path,
    log_key: caselog::tlog::note::VerifierKey,
) -> (String, caselog::tlog::note::VerifierKey) {
    witness_limited(state, log_key, caselog::net::server::Limits::default())
}

fn witness_limited(
    state: &Path,
    log_key: caselog::tlog::note::VerifierKey,
    limits: caselog::net::server::Limits,
) -> (String, caselog::tlog::note::VerifierKey) {
    let w_signer = Signer::from_seed("witness", &[0x77; 32]);
    let w =
        caselog::tlog::witness::Witness::init(state, "counsel.example/witness", &w_signer).unwrap();
    let vkey = w.verifier_key().clone();
    let server = caselog::net::witness::WitnessServer::bind(
        w,
        w_signer,
        vec![log_key],
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || server.run(limits).unwrap());
    (format!("http://{addr}"), vkey)
}

fn add_checkpoint(url: &str, body: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{url}/add-checkpoint"))
        .send(body.as_bytes())
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

#[test]
fn a_witness_over_http_refuses_what_does_not_extend_its_last_checkpoint() {
    use caselog::net::witness::request_body;
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let (one, two) = (t.path().join("1/case"), t.path().join("2/case"));
    let mut cps = Vec::new();
    let mut log_key = None;
    for (d, text) in [(&one, "history one"), (&two, "history two")] {
        let mut l = build_small(d, HashAlg::Sha256);
        let cp7 = l.checkpoint(&a).unwrap().to_text();
        l.append(note(text), &a).unwrap();
        let cp8 = l.checkpoint(&a).unwrap().to_text();
        let proof = l
            .consistency_proof(caselog::TreeSize(7), caselog::TreeSize(8))
            .unwrap()
            .path;
        log_key = Some(l.authority_log_keys()[0].clone());
        cps.push((cp7, cp8, proof));
    }
    let log_key = log_key.unwrap();
    let (url, wkey) = witness_in_process(&t.path().join("w"), log_key.clone());
    let (cp7, cp8, proof) = &cps[0];
    // First contact: old 0, trusted on first use; then 7 -> 8 with a proof.
    let (s, body) = add_checkpoint(&url, &request_body(0, &[], cp7));
    assert_eq!(s, 200, "{body}");
    assert!(body.starts_with("\u{2014} counsel.example/witness ") && body.ends_with('\n'));
    let (s, body) = add_checkpoint(&url, &request_body(7, proof, cp8));
    assert_eq!(s, 200, "{body}");
    // A wrong old size: 409 with the size held, as text/x.tlog.size.
    let (s, body) = add_checkpoint(&url, &request_body(0, &[], cp8));
    assert_eq!((s, body.as_str()), (409, "8\n"));
    // The other history at the same size: a split view, refused, evidence saved.
    let (_, two8, _) = &cps[1];
    let (s, body) = add_checkpoint(&url, &request_body(8, &[], two8));
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("split view"), "{body}");
    let evidence = || {
        std::fs::read_dir(t.path().join("w/evidence"))
            .unwrap()
            .count()
    };
    assert_eq!(evidence(), 1);
    // The same split view again: the same evidence, not a second copy.
    assert_eq!(add_checkpoint(&url, &request_body(8, &[], two8)).0, 422);
    assert_eq!(evidence(), 1);
    // Extending 7 with the other history's proof from the held 8: old is 8,
    // the proof is for 7 -> 8 of the other tree: does not verify.
    let (s, _) = add_checkpoint(&url, &request_body(8, &cps[1].2, two8));
    assert_eq!(s, 422);
    // A genuine larger checkpoint with a junk one-hash proof, 50 times:
    // refused as bad input each time and nothing saved; then with its
    // real proof it is cosigned.
    let (cp9, proof9) = {
        let mut l = Ledger::open(&one, true).unwrap();
        l.append(note("nine"), &a).unwrap();
        let cp9 = l.checkpoint(&a).unwrap().to_text();
        let p = l
            .consistency_proof(caselog::TreeSize(8), caselog::TreeSize(9))
            .unwrap()
            .path;
        (cp9, p)
    };
    for i in 0..50u8 {
        let (s, body) = add_checkpoint(&url, &request_body(8, &[Hash([i; 32])], &cp9));
        assert_eq!(s, 422, "{body}");
        assert!(body.contains("does not verify"), "{body}");
    }
    assert_eq!(evidence(), 1, "a bad proof is not evidence");
    // Old larger than new; malformed; an unknown log; a bad signature.
    assert_eq!(add_checkpoint(&url, &request_body(9, &[], cp8)).0, 400);
    assert_eq!(add_checkpoint(&url, "old 01\n\n").0, 400);
    let foreign = cp8.replace(
        "caselog/sha256/00112233445566778899aabbccddeeff",
        "caselog/sha256/ffeeddccbbaa99887766554433221100",
    );
    assert_eq!(add_checkpoint(&url, &request_body(8, &[], &foreign)).0, 404);
    // A signature byte changed in the middle of the log's signature line.
    let mut forged = cp8.clone().into_bytes();
    let n = cp8.rfind('\u{2014}').unwrap() + 80;
    forged[n] = if forged[n] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        add_checkpoint(
            &url,
            &request_body(8, &[], &String::from_utf8(forged).unwrap())
        )
        .0,
        403
    );
    // The witness still holds size 8 of history one: it cosigns it again.
    let (s, body) = add_checkpoint(&url, &request_body(8, &[], cp8));
    assert_eq!(s, 200);
    let cosigned = format!("{cp8}{body}");
    caselog::tlog::checkpoint::verify(
        cosigned.as_bytes(),
        std::slice::from_ref(&log_key),
        std::slice::from_ref(&wkey),
        1,
    )
    .unwrap();
    let (s, body) = add_checkpoint(&url, &request_body(8, &proof9, &cp9));
    assert_eq!(s, 200, "{body}");
    assert_eq!(evidence(), 1);
}

#[test]
fn a_witness_answers_stalled_bodies_408_and_frees_their_slots() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let mut l = build_small(&t.path().join("case"), HashAlg::Sha256);
    let cp = l.checkpoint(&authority()).unwrap().to_text();
    let log_key = l.authority_log_keys()[0].clone();
    let limits = caselog::net::server::Limits {
        connections: 4,
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
    };
    let (url, _) = witness_limited(&t.path().join("w"), log_key, limits);
    let addr = url.trim_start_matches("http://");
    // Every slot taken by a client that sends a third of the body it
    // declared, then nothing.
    let mut held: Vec<std::net::TcpStream> = (0..4)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(
                b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\nold 0\n",
            )
            .unwrap();
            c
        })
        .collect();
    for c in &mut held {
        let (got, took) = read_until_closed(c);
        assert!(took < Duration::from_secs(10), "held for {took:?}");
        assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    }
    // The slots are free again: an honest request is cosigned.
    let (s, body) = add_checkpoint(&url, &caselog::net::witness::request_body(0, &[], &cp));
    assert_eq!(s, 200, "{body}");
}

#[test]
fn serve_gathers_witness_cosignatures_for_each_checkpoint() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-w");
    let a = authority();
    let l = build_small(&dir, HashAlg::Sha256);
    let log_key = l.authority_log_keys()[0].clone();
    drop(l);
    let (wurl, wkey) = witness_in_process(&t.path().join("w"), log_key.clone());
    let base = serve_with_witnesses(
        &[&dir],
        api::DEFAULT_MAX_BODY,
        vec![caselog::net::witness::WitnessPeer {
            url: wurl,
            key: wkey.clone(),
        }],
    );
    let r = Remote::new(&format!("{base}/case-w")).unwrap();
    for text in ["one", "two"] {
        let head = r.head(&a).unwrap();
        r.append(&a, &sub(note_record(&head, &a, text)), None)
            .unwrap();
        let size = caselog::TreeSize(head.size + 1);
        let mut root = [0u8; 32];
        let cp = {
            // The authority signs the head it fetched, as `caselog checkpoint` does.
            let h = r.head(&a).unwrap();
            hex::decode_to_slice(&h.root, &mut root).unwrap();
            caselog::Checkpoint {
                items: None,
                origin: caselog::tlog::checkpoint::Origin::parse(&format!(
                    "caselog/sha256/{}",
                    h.ledger
                ))
                .unwrap(),
                head: caselog::TreeHead {
                    size,
                    root: Hash(root),
                },
            }
        };
        r.post_checkpoint(&a, &cp.sign(&a).unwrap().to_text())
            .unwrap();
        let stored = r.checkpoint().unwrap().unwrap();
        // Verifies with a quorum of one under the pinned witness key.
        caselog::tlog::checkpoint::verify(
            stored.as_bytes(),
            std::slice::from_ref(&log_key),
            std::slice::from_ref(&wkey),
            1,
        )
        .unwrap_or_else(|e| panic!("{e}: {stored}"));
    }
}

#[test]
fn kill_9_during_load_loses_no_acknowledged_record() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-k");
    let members: Vec<Signer> = (0..6u8)
        .map(|i| Signer::from_seed(&format!("m{i}"), &[0x40 + i; 32]))
        .collect();
    let enrolled: Vec<(&Signer, Role)> = members.iter().map(|m| (m, Role::Investigator)).collect();
    drop(case_with(&dir, &enrolled));
    let mut s = serve_proc(&dir);
    let url = s.1.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = members
        .into_iter()
        .enumerate()
        .map(|(w, m)| {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || {
                let r = Remote::new(&url).unwrap();
                let mut acked = Vec::new();
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let Ok((head, turn)) = r.turn(&m, false) else {
                        break;
                    };
                    match r.append(
                        &m,
                        &sub(note_record(&head, &m, &format!("w{w} n{i}"))),
                        Some(turn),
                    ) {
                        Ok(a) => acked.push((a.entries[0].seq, a.entries[0].leaf.clone())),
                        Err(RemoteError::Api { err, .. }) if err.code == "STALE_HEAD" => continue,
                        Err(_) => break,
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    // SIGKILL: no chance to flush or close.
    s.0.kill().unwrap();
    s.0.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked: Vec<(u64, String)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    assert!(
        acked.len() > 10,
        "too few appends before the kill: {}",
        acked.len()
    );
    let l = Ledger::open(&dir, true).unwrap();
    for (seq, leaf) in &acked {
        let raw = l
            .record_bytes(Seq(*seq))
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged seq {seq} lost"));
        assert_eq!(l.hash_alg().leaf(&raw).to_hex(), *leaf);
    }
    assert!(caselog::verify_store(l.store())
        .unwrap()
        .problems
        .is_empty());
}

/// Records chained from `head`, signed by `s`, for one append request.
fn chain(head: &HeadInfo, s: &Signer, n: usize, tag: &str) -> Vec<Submission> {
    let mut h = head.clone();
    (0..n)
        .map(|i| {
            let record = note_record(&h, s, &format!("{tag} {i}"));
            h.last = caselog::HashAlg::Sha256.leaf(&record).to_hex();
            h.size += 1;
            Submission {
                record,
                private: Vec::new(),
            }
        })
        .collect()
}

/// Sign and post a checkpoint of the case's current head.
fn post_checkpoint(r: &Remote, a: &Signer) -> u64 {
    let h = r.head(a).unwrap();
    let mut root = [0u8; 32];
    hex::decode_to_slice(&h.root, &mut root).unwrap();
    let cp = caselog::Checkpoint {
        items: None,
        origin: caselog::tlog::checkpoint::Origin::parse(&format!("caselog/sha256/{}", h.ledger))
            .unwrap(),
        head: caselog::TreeHead {
            size: caselog::TreeSize(h.size),
            root: Hash(root),
        },
    };
    r.post_checkpoint(a, &cp.sign(a).unwrap().to_text())
        .unwrap();
    h.size
}

#[test]
fn checkpoints_and_tiles_are_published_to_an_object_store() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let (open, private) = (t.path().join("case-p"), t.path().join("case-q"));
    let mut vkeys = Vec::new();
    for d in [&open, &private] {
        let l = build_small(d, HashAlg::Sha256);
        vkeys.push(l.authority_log_keys()[0].to_string());
    }
    let store = t.path().join("bucket");
    let url = format!("file://{}", store.display());
    let base = serve_full(
        &[&open],
        api::DEFAULT_MAX_BODY,
        Vec::new(),
        Some((url.clone(), false)),
    );
    let base_q = serve_full(
        &[&private],
        api::DEFAULT_MAX_BODY,
        Vec::new(),
        Some((url, true)),
    );
    for (base, case) in [(&base, "case-p"), (&base_q, "case-q")] {
        let r = Remote::new(&format!("{base}/{case}")).unwrap();
        // Three checkpoints: tiles at levels 0 and 1, a partial that grows,
        // one that becomes full.
        for n in [300usize, 100, 200] {
            let head = r.head(&a).unwrap();
            r.append(&a, &chain(&head, &a, n, case), None).unwrap();
            post_checkpoint(&r, &a);
        }
    }
    // The static copy verifies with the independent reader, as served.
    for (case, vkey) in [("case-p", &vkeys[0]), ("case-q", &vkeys[1])] {
        let out = Proc::new(common::python())
            .arg(common::verify_bundle_script())
            .args([
                "--tiles",
                &format!("file://{}/{case}", store.display()),
                "--trust",
                vkey,
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("checkpoint_size 607"), "{stdout}");
    }
    // Entry bundles only where asked; the full tiles and the last partial.
    assert!(!store.join("case-p/tile/entries").exists());
    assert!(store.join("case-q/tile/entries/001").is_file());
    assert!(store.join("case-q/tile/entries/002.p/95").is_file());
    // A file:// store holding case content is private to the server's user.
    let mode = |p: &str| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(store.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    for d in ["case-q", "case-q/tile/entries", "case-q/tile/entries/002.p"] {
        assert_eq!(mode(d), 0o700, "{d}");
    }
    for f in [
        "case-q/tile/entries/001",
        "case-q/tile/entries/002.p/95",
        "case-q/checkpoint",
    ] {
        assert_eq!(mode(f), 0o600, "{f}");
    }
    assert_eq!(
        std::fs::read(store.join("case-p/tile/0/001"))
            .unwrap()
            .len(),
        8192
    );
    assert_eq!(
        std::fs::read(store.join("case-p/tile/1/000.p/2"))
            .unwrap()
            .len(),
        64
    );
    let bundle = std::fs::read(store.join("case-q/tile/entries/002.p/95")).unwrap();
    let leaves = std::fs::read(store.join("case-q/tile/0/002.p/95")).unwrap();
    let recs = caselog::tlog::tiles::decode_bundle(&bundle).unwrap();
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(
            HashAlg::Sha256.leaf(r).0.as_slice(),
            &leaves[32 * i..32 * i + 32]
        );
    }
}

/// A local S3-compatible server (moto, from tools/requirements.txt) with
/// one empty bucket that anyone may read (as a deployment makes public the
/// tiles and checkpoints it serves); killed when dropped.
fn s3_server(bucket: &str) -> (ServeProc, String) {
    let port = free_port();
    let child = Proc::new(common::python())
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto (tools/requirements.txt): run tools/test to install it");
    let url = format!("http://127.0.0.1:{port}");
    let proc = ServeProc(child, url.clone());
    for _ in 0..200 {
        if ureq::put(&format!("{url}/{bucket}")).send_empty().is_ok() {
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": format!("arn:aws:s3:::{bucket}/*"),
                }],
            });
            ureq::put(&format!("{url}/{bucket}?policy"))
                .send(policy.to_string())
                .unwrap();
            return (proc, url);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the S3 test server (moto) did not start");
}

#[test]
fn checkpoints_and_tiles_are_published_to_an_s3_bucket() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let dir = t.path().join("case-s3");
    let vkey = build_small(&dir, HashAlg::Sha256).authority_log_keys()[0].to_string();
    let (_s3, endpoint) = s3_server("evidence-tiles");
    let env = [
        ("AWS_ENDPOINT", endpoint.clone()),
        ("AWS_ALLOW_HTTP", "true".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    let s = serve_proc_env(&dir, &["--publish", "s3://evidence-tiles/pub"], &env);
    let r = Remote::new(&s.1).unwrap();
    for n in [300usize, 100] {
        let head = r.head(&a).unwrap();
        r.append(&a, &chain(&head, &a, n, "s3"), None).unwrap();
        post_checkpoint(&r, &a);
    }
    // The bucket, read over S3's HTTP, verifies with the independent reader.
    let published = format!("{endpoint}/evidence-tiles/pub/case-s3");
    let out = Proc::new(common::python())
        .arg(common::verify_bundle_script())
        .args(["--tiles", &published, "--trust", &vkey])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checkpoint_size 407"), "{stdout}");
    // Without --publish-entries, no entry bundle leaves the server.
    let bundle = ureq::get(&format!("{published}/tile/entries/001.p/151")).call();
    assert!(
        matches!(bundle, Err(ureq::Error::StatusCode(404))),
        "{bundle:?}"
    );
    assert!(ureq::get(&format!("{published}/tile/0/001.p/151"))
        .call()
        .is_ok());
}

#[test]
fn tls_with_an_agencys_own_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let t = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let (cert, key, ca_file) = (
        t.path().join("cert.pem"),
        t.path().join("key.pem"),
        t.path().join("ca.pem"),
    );
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let dir = t.path().join("case-tls");
    drop(build_small(&dir, HashAlg::Sha256));
    let base = serve_tls(
        &[&dir],
        api::DEFAULT_MAX_BODY,
        Vec::new(),
        None,
        Some((cert, key)),
    );
    assert!(base.starts_with("https://"));
    let url = format!("{base}/case-tls");
    // Not trusted by the public web's roots: refused before any request.
    match Remote::new(&url).unwrap().head(&authority()) {
        Err(RemoteError::Unreachable { .. }) => {}
        other => panic!("an untrusted certificate was accepted: {other:?}"),
    }
    // Trusted with the agency's CA: the case is served over TLS.
    let r = Remote::new(&url)
        .unwrap()
        .trusting(&std::fs::read(&ca_file).unwrap())
        .unwrap();
    let head = r.head(&authority()).unwrap();
    assert_eq!(head.size, 7);
    r.append(
        &authority(),
        &sub(note_record(&head, &authority(), "over TLS")),
        None,
    )
    .unwrap();
    // The CLI: a copy followed over TLS with CASELOG_TLS_CA.
    let key_file = write_key(t.path(), "a.key", &authority());
    let out = Proc::new(bin())
        .args(["mirror", &url])
        .arg(t.path().join("copy"))
        .arg("--key")
        .arg(&key_file)
        .env("CASELOG_TLS_CA", &ca_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 entries"));
}

#[test]
fn plain_http_is_refused_off_loopback_unless_forced() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-h");
    drop(build_small(&dir, HashAlg::Sha256));
    let out = Proc::new(bin())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unencrypted") && err.contains("--tls-cert"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    // Forced, on every address: the names clients use are needed to check
    // what requests were signed for.
    for (extra, want) in [
        (&[][..], "add --public-host"),
        (
            &["--public-host", "cases example"][..],
            "is not HOST or HOST:PORT",
        ),
    ] {
        let out = Proc::new(bin())
            .args(["serve", "--listen", "0.0.0.0:0", "--insecure-http"])
            .args(extra)
            .arg(&dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn private_values_reach_the_roles_allowed_and_erasure_works_remotely() {
    use caselog::format::cbor::Value;
    use caselog::format::disclosure::Disclosure;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-v");
    let a = authority();
    let counsel = Signer::from_seed("Counsel", &[0x51; 32]);
    let custodian = Signer::from_seed("Custodian", &[0x52; 32]);
    let mut l = case_with(
        &dir,
        &[(&counsel, Role::Counsel), (&custodian, Role::Custodian)],
    );
    let private =
        vec![Disclosure::new("caller", Value::Text("FAKE Caller, 555-0100".into())).unwrap()];
    let (seq, _) = l
        .append_private(note("tip line call"), &a, private)
        .unwrap();
    drop(l);
    let s = serve_proc(&dir);
    let show = |key: &Path, copy: &str| {
        let out = remote_cmd(&s.1, t.path().join(copy), key)
            .args(["show", &seq.to_string(), "--reveal", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (ck, uk, ak) = (
        write_key(t.path(), "counsel.key", &counsel),
        write_key(t.path(), "custodian.key", &custodian),
        write_key(t.path(), "a.key", &a),
    );
    assert!(show(&ck, "c1").contains("FAKE Caller, 555-0100"));
    assert!(!show(&uk, "c2").contains("FAKE Caller"));
    // The authority erases it through the server: gone there and here.
    let out = remote_cmd(&s.1, t.path().join("c3"), &ak)
        .args([
            "erase",
            &seq.to_string(),
            "--field",
            "caller",
            "--reason",
            "court order 12",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = Remote::new(&s.1).unwrap();
    assert!(r.disclosures(&a, seq.0).unwrap().is_empty());
    assert!(!show(&ck, "c4").contains("FAKE Caller"));
    drop(s);
    let l = Ledger::open(&dir, false).unwrap();
    assert!(caselog::verify_store(l.store())
        .unwrap()
        .problems
        .is_empty());
}

#[test]
fn a_mirror_is_a_ledger_that_verifies_and_can_be_served_read_only() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let key = write_key(t.path(), "a.key", &a);
    let dir = t.path().join("origin").join("case-m");
    {
        let mut l = build_small(&dir, HashAlg::Sha256);
        l.checkpoint(&a).unwrap();
    }
    let copy = t.path().join("copy").join("case-m");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    {
        let s = serve_proc(&dir);
        let out = mirror(&s.1, &copy, &key);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v = Proc::new(bin())
        .arg("--ledger")
        .arg(&copy)
        .arg("verify")
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    // The copy served read-only: followed by a second mirror, refuses writes.
    let ro = serve_read_only(&copy);
    let second = t.path().join("second");
    let out = mirror(&ro.1, &second, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("checkpoint at size 7 matches"));
    let r = Remote::new(&ro.1).unwrap();
    let head = r.head(&a).unwrap();
    refused(
        r.append(&a, &sub(note_record(&head, &a, "no")), None),
        405,
        "READ_ONLY",
    );
}

/// Serve the case in `dir` in this process under `limits`; its address.
fn serve_limited(dir: &Path, limits: caselog::net::server::Limits) -> std::net::SocketAddr {
    let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
    let server = Server::bind(&ServeConfig {
        cases: [(name, dir.to_path_buf())].into_iter().collect(),
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: None,
        max_body: api::DEFAULT_MAX_BODY,
        limits,
        read_only: false,
        max_blob: 1 << 20,
        witness_ca: None,
        witnesses: Vec::new(),
        quorum: 0,
        publish: None,
        tsa: None,
        ..ServeConfig::new(Default::default(), "127.0.0.1:0".parse().unwrap())
    })
    .unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || server.run().unwrap());
    next_second();
    addr
}

#[test]
fn connections_over_the_limit_are_closed_at_once() {
    use std::io::{Read, Write};
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-l");
    drop(build_small(&dir, HashAlg::Sha256));
    let addr = serve_limited(
        &dir,
        caselog::net::server::Limits {
            connections: 2,
            ..Default::default()
        },
    );
    // Two idle connections take both slots (each sends half a request).
    let mut held: Vec<std::net::TcpStream> = (0..2)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(b"GET /case-l/checkpoint HTTP/1.1\r\n").unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A third is closed without an answer.
    let mut third = std::net::TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = third.write_all(b"GET /case-l/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = [0u8; 64];
    let n = third.read(&mut buf).unwrap_or(0);
    assert_eq!(
        n,
        0,
        "over the limit, got {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    // A slot freed: served again.
    held.pop();
    std::thread::sleep(Duration::from_millis(200));
    let status = ureq::get(&format!("http://{addr}/case-l/tile/0/000.p/7"))
        .call()
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
}

/// Read from `c` until the server closes it; what it sent and how long
/// that took.
/// Send `bytes` (a request's head, perhaps part of its body) on a new
/// connection to `addr`; what came back before it closed.
fn send_head(addr: &str, bytes: &[u8]) -> String {
    use std::io::Write;
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.write_all(bytes).unwrap();
    read_until_closed(&mut c).0
}

fn read_until_closed(c: &mut std::net::TcpStream) -> (String, Duration) {
    use std::io::Read;
    let t0 = std::time::Instant::now();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    (String::from_utf8_lossy(&got).into_owned(), t0.elapsed())
}

/// A member request is judged from its headers before its body is read:
/// an unsigned or wrongly addressed request is answered at once, however
/// large the body it announces; a request replayed to another server (a
/// mirror of the same case name) or after a restart is refused.
#[test]
fn requests_are_authenticated_before_their_bodies_are_read() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-h");
    drop(build_small(&dir, HashAlg::Sha256));
    let a = authority();
    let s = serve_proc(&dir);
    let addr = host_of(&s.1);
    // 4 MiB announced, unsigned, not a byte sent: 401 at once.
    let started = std::time::Instant::now();
    let got = send_head(
        &addr,
        b"POST /case-h/api/append HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n",
    );
    assert!(got.starts_with("HTTP/1.1 401"), "{got}");
    assert!(got.contains("\"code\":\"UNSIGNED\""), "{got}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Signed, for another host: 421 WRONG_HOST before the body.
    let body = api::encode_submissions(&[]);
    let head = raw_signed_head(
        "cases.elsewhere:8443",
        "POST",
        "/case-h/api/append",
        &body,
        &a,
    );
    let got = send_head(&addr, head.as_bytes());
    assert!(got.starts_with("HTTP/1.1 421"), "{got}");
    assert!(got.contains("WRONG_HOST"), "{got}");
    // A request captured once, replayed: refused by the same server
    // (REPLAYED), by a mirror of the same case name elsewhere (WRONG_HOST)
    // and by this server after a restart (SIGNED_BEFORE_START).
    let r = Remote::new(&s.1).unwrap();
    let size = r.head(&a).unwrap().size;
    let capture = raw_signed_head(&addr, "GET", "/case-h/api/head", b"", &a).replace(
        "Content-Length: 0\r\ncontent-type: application/cbor\r\n",
        "",
    );
    let send = |at: &str, bytes: &str| send_head(at, bytes.as_bytes());
    let first = send(&addr, &capture);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(first.contains(&format!("\"size\":{size}")), "{first}");
    assert!(send(&addr, &capture).contains("REPLAYED"));
    let copy = t.path().join("m/case-h");
    copy_dir(&dir, &copy);
    let m = serve_read_only(&copy);
    let maddr = host_of(&m.1);
    assert!(send(&maddr, &capture).contains("WRONG_HOST"));
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    drop(s);
    let s2 = serve_on(&dir, port);
    let again = send(&addr, &capture);
    assert!(again.contains("SIGNED_BEFORE_START"), "{again}");
    // A client signs again and is answered.
    let r = Remote::new(&s2.1).unwrap();
    assert_eq!(r.head(&a).unwrap().size, size);
    // A refusal before the body is read closes the connection and says so:
    // the client's next request on its pool is answered, every time.
    let head = r.head(&a).unwrap();
    for _ in 0..20 {
        refused(
            r.append(
                &outsider(),
                &sub(note_record(&head, &outsider(), "x")),
                None,
            ),
            403,
            "UNKNOWN_AUTHOR",
        );
        assert_eq!(r.head(&a).unwrap().size, size);
    }
}

/// A public resource takes no body (413 before a byte of it is read), and
/// one member's stalled bodies hold at most a quarter of the server's
/// request bytes: its next request is 503 BUSY at once while another
/// member is still answered.
#[test]
fn public_bodies_are_refused_and_a_member_holds_a_quarter_of_the_budget() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-q");
    let other = Signer::from_seed("Other member (test)", &[0x38; 32]);
    drop(case_with(&dir, &[(&other, Role::Counsel)]));
    let a = authority();
    let s = serve_proc(&dir);
    let addr = host_of(&s.1);
    let started = std::time::Instant::now();
    let got = send_head(
        &addr,
        b"GET /case-q/checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n",
    );
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    assert!(got.contains("takes no request body"), "{got}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // 4 stalled 4 MiB bodies signed by the authority (16 MiB: its quarter
    // of the default 64 MiB), each a byte short of done.
    let body = vec![0u8; 4 << 20];
    let stalled: Vec<std::net::TcpStream> = (0..4)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(&addr).unwrap();
            let head = raw_signed_head(&addr, "POST", "/case-q/api/append", &body, &a);
            c.write_all(head.as_bytes()).unwrap();
            c.write_all(&body[..1024]).unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let head = raw_signed_head(&addr, "POST", "/case-q/api/append", &body, &a);
    let got = send_head(&addr, head.as_bytes());
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains("this member is sending"), "{got}");
    // Another member is answered meanwhile.
    let r = Remote::new(&s.1).unwrap();
    assert_eq!(r.head(&other).unwrap().size, 8);
    drop(stalled);
}

/// A member waits for at most two turns at once: a third is refused at
/// once, and turns held unused end after 500 ms.
#[test]
fn turns_are_bounded_per_member() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-t");
    let (a, b) = (authority(), Signer::from_seed("turns", &[0x33; 32]));
    drop(case_with(&dir, &[(&b, Role::Investigator)]));
    let base = serve_in_process(&[&dir], api::DEFAULT_MAX_BODY);
    let addr = base.trim_start_matches("http://").to_owned();
    let r = Remote::new(&format!("{base}/case-t")).unwrap();
    let held = std::time::Instant::now();
    r.turn(&a, false).unwrap();
    let ask = || {
        let head = raw_signed_head(&addr, "POST", "/case-t/api/turn", b"", &b);
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.write_all(head.as_bytes()).unwrap();
        c
    };
    let mut waiting = [ask(), ask()];
    std::thread::sleep(Duration::from_millis(100));
    let (third, _) = read_until_closed(&mut ask());
    assert!(third.starts_with("HTTP/1.1 503"), "{third}");
    assert!(third.contains("BUSY"), "{third}");
    // The two waiting are granted in turn, each after the unused turn
    // before it ended.
    for c in &mut waiting {
        let (got, _) = read_until_closed(c);
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    }
    let took = held.elapsed();
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn slow_clients_are_dropped_and_free_their_connection() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-s");
    drop(build_small(&dir, HashAlg::Sha256));
    let addr = serve_limited(
        &dir,
        caselog::net::server::Limits {
            connections: 4,
            header_timeout: Duration::from_secs(1),
            body_timeout: Duration::from_secs(1),
        },
    );
    let a = authority();
    let before = Remote::new(&format!("http://{addr}/case-s"))
        .unwrap()
        .head(&a)
        .unwrap();
    // That request's connection is gone (its client dropped; the server also
    // closes idle ones after 1 s) before the four below take every slot.
    std::thread::sleep(Duration::from_millis(1500));
    // All four slots taken by clients that never finish: one silent, one
    // with half its headers, one idle after an answer, one (signed) with
    // a third of the body it declared.
    let send = |bytes: &[u8]| {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(bytes).unwrap();
        c
    };
    let body = [7u8; 30];
    let signed = raw_signed_head(&addr.to_string(), "POST", "/case-s/api/append", &body, &a);
    let mut held = [
        send(b""),
        send(b"GET /case-s/checkpoint HTTP/1.1\r\n"),
        send(b"GET /case-s/tile/0/000.p/7 HTTP/1.1\r\nHost: x\r\n\r\n"),
        send(&[signed.as_bytes(), &body[..10]].concat()),
    ];
    let seen: Vec<(String, Duration)> = held.iter_mut().map(read_until_closed).collect();
    for (i, (got, took)) in seen.iter().enumerate() {
        assert!(
            *took < Duration::from_secs(10),
            "client {i} held for {took:?}"
        );
        match i {
            0 | 1 => assert_eq!(got, "", "client {i}"),
            2 => assert!(got.starts_with("HTTP/1.1 200"), "{got}"),
            _ => {
                assert!(got.starts_with("HTTP/1.1 408"), "{got}");
                assert!(got.contains("\"code\":\"SLOW_CLIENT\""), "{got}");
            }
        }
    }
    // The slots are free again, and nothing was written.
    let after = Remote::new(&format!("http://{addr}/case-s"))
        .unwrap()
        .head(&a)
        .unwrap();
    assert_eq!((after.size, &after.root), (before.size, &before.root));
}

#[test]
fn evidence_copies_taken_in_remotely_reach_the_servers_blob_store() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-e");
    let custodian = Signer::from_seed("Evidence custodian", &[0x61; 32]);
    drop(case_with(&dir, &[(&custodian, Role::Custodian)]));
    let key = write_key(t.path(), "c.key", &custodian);
    let letter = t.path().join("letter.pdf");
    std::fs::write(&letter, b"%PDF-1.4 the extortion letter, scanned").unwrap();
    let s = serve_proc(&dir);
    let out = remote_cmd(&s.1, t.path().join("copy"), &key)
        .args([
            "evidence",
            "add",
            "EV-0001",
            "--description",
            "Extortion letter",
            "--copy",
            "--file",
        ])
        .arg(&letter)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("uploaded to the server (1 new)"));
    // A file attached to the item later (`evidence add --to`) goes there too.
    let report = t.path().join("lab-report.pdf");
    std::fs::write(&report, b"%PDF-1.4 document examiner's report").unwrap();
    let out = remote_cmd(&s.1, t.path().join("copy"), &key)
        .args([
            "evidence",
            "add",
            "--to",
            "EV-0001",
            "--description",
            "lab report",
            "--copy",
            "--file",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && said.contains("1 file(s) attached to EV-0001")
            && said.contains("uploaded to the server (1 new)"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rd = caselog::storage::evidence::hash_file(&report, &mut |_| {}).unwrap();
    assert!(caselog::storage::evidence::blob_path(&dir, &rd.blake3).is_file());
    let d = caselog::storage::evidence::hash_file(&letter, &mut |_| {}).unwrap();
    let r = Remote::new(&s.1).unwrap();
    // Again: already there. A stranger: refused. A file no intake recorded: refused.
    assert!(!r
        .put_blob(&custodian, &letter, &d.blake3, &d.sha256)
        .unwrap());
    refused(
        r.put_blob(&outsider(), &letter, &d.blake3, &d.sha256),
        403,
        "UNKNOWN_AUTHOR",
    );
    let other = t.path().join("other.bin");
    std::fs::write(&other, b"not evidence").unwrap();
    let o = caselog::storage::evidence::hash_file(&other, &mut |_| {}).unwrap();
    refused(
        r.put_blob(&custodian, &other, &o.blake3, &o.sha256),
        422,
        "EVIDENCE_MISMATCH",
    );
    // A second item taken in without a copy: a body that is not the
    // signed digest is refused and nothing kept; the right one is stored.
    let photo = t.path().join("envelope.jpg");
    std::fs::write(&photo, b"JFIF photo of the envelope").unwrap();
    let out = remote_cmd(&s.1, t.path().join("copy"), &key)
        .args([
            "evidence",
            "add",
            "EV-0002",
            "--description",
            "Envelope photo",
            "--file",
        ])
        .arg(&photo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = caselog::storage::evidence::hash_file(&photo, &mut |_| {}).unwrap();
    refused(
        r.put_blob(&custodian, &other, &p.blake3, &p.sha256),
        401,
        "DIGEST_MISMATCH",
    );
    assert!(!caselog::storage::evidence::blob_path(&dir, &p.blake3).exists());
    // Longer than the size the intake recorded: refused at that size.
    let longer = t.path().join("longer.jpg");
    std::fs::write(
        &longer,
        [&std::fs::read(&photo).unwrap()[..], b"+appended"].concat(),
    )
    .unwrap();
    let err = r
        .put_blob(&custodian, &longer, &p.blake3, &p.sha256)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("longer than the 26 bytes recorded for it"),
        "{err}"
    );
    assert!(r
        .put_blob(&custodian, &photo, &p.blake3, &p.sha256)
        .unwrap());
    // A member has at most two uploads under way: with two stalled, a
    // third is refused BUSY (after the client's retries); once they are
    // gone, it is taken.
    let video = t.path().join("video.bin");
    std::fs::write(&video, vec![0x5a; 4096]).unwrap();
    let out = remote_cmd(&s.1, t.path().join("copy"), &key)
        .args([
            "evidence",
            "add",
            "EV-0003",
            "--description",
            "CCTV",
            "--file",
        ])
        .arg(&video)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = caselog::storage::evidence::hash_file(&video, &mut |_| {}).unwrap();
    let addr = host_of(&s.1);
    let path = format!("/case-e/api/blob/{}", v.blake3.to_hex());
    let body = std::fs::read(&video).unwrap();
    let stalled: Vec<std::net::TcpStream> = (0..2)
        .map(|_| {
            use std::io::Write;
            let head = raw_signed_head(&addr, "PUT", &path, &body, &custodian);
            let mut c = std::net::TcpStream::connect(&addr).unwrap();
            c.write_all(&[head.as_bytes(), &body[..100]].concat())
                .unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    refused(
        r.put_blob(&custodian, &video, &v.blake3, &v.sha256),
        503,
        "BUSY",
    );
    drop(stalled);
    std::thread::sleep(Duration::from_millis(300));
    assert!(r
        .put_blob(&custodian, &video, &v.blake3, &v.sha256)
        .unwrap());
    drop(s);
    // A server that must keep more free space than the disk has: 507.
    let s = serve_proc_with(&dir, &["--min-free", "1152921504606846976"]);
    let r = Remote::new(&s.1).unwrap();
    std::fs::remove_file(caselog::storage::evidence::blob_path(&dir, &v.blake3)).unwrap();
    refused(
        r.put_blob(&custodian, &video, &v.blake3, &v.sha256),
        507,
        "DISK_FULL",
    );
    drop(s);
    std::fs::copy(
        &video,
        caselog::storage::evidence::blob_path(&dir, &v.blake3),
    )
    .unwrap();
    let blob = caselog::storage::evidence::blob_path(&dir, &d.blake3);
    assert_eq!(
        std::fs::read(&blob).unwrap(),
        std::fs::read(&letter).unwrap()
    );
    let v = Proc::new(bin())
        .arg("--ledger")
        .arg(&dir)
        .args(["verify", "--evidence"])
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn a_witness_over_tls_cosigns_for_a_server_that_trusts_its_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let t = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let (cert, key) = (t.path().join("w.pem"), t.path().join("w.key"));
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    let dir = t.path().join("case-wt");
    let l = build_small(&dir, HashAlg::Sha256);
    let log_key = l.authority_log_keys()[0].clone();
    drop(l);
    let w_signer = Signer::from_seed("witness", &[0x78; 32]);
    let w =
        caselog::tlog::witness::Witness::init(&t.path().join("w"), "w.example/witness", &w_signer)
            .unwrap();
    let wkey = w.verifier_key().clone();
    let server = caselog::net::witness::WitnessServer::bind(
        w,
        w_signer,
        vec![log_key.clone()],
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap()
    .with_tls(&cert, &key)
    .unwrap();
    let wurl = format!("https://{}", server.local_addr().unwrap());
    std::thread::spawn(move || server.run(caselog::net::server::Limits::default()).unwrap());
    let peer = caselog::net::witness::WitnessPeer {
        url: wurl,
        key: wkey.clone(),
    };
    let s = Server::bind(&ServeConfig {
        cases: [("case-wt".to_owned(), dir.clone())].into_iter().collect(),
        listen: "127.0.0.1:0".parse().unwrap(),
        tls: None,
        max_body: api::DEFAULT_MAX_BODY,
        max_blob: 1 << 20,
        witness_ca: Some(ca_pem.into_bytes()),
        limits: caselog::net::server::Limits::default(),
        read_only: false,
        witnesses: vec![peer],
        quorum: 1,
        publish: None,
        tsa: None,
        ..ServeConfig::new(Default::default(), "127.0.0.1:0".parse().unwrap())
    })
    .unwrap();
    let base = format!("http://{}", s.local_addr().unwrap());
    std::thread::spawn(move || s.run().unwrap());
    let r = Remote::new(&format!("{base}/case-wt")).unwrap();
    post_checkpoint(&r, &authority());
    let stored = r.checkpoint().unwrap().unwrap();
    caselog::tlog::checkpoint::verify(stored.as_bytes(), &[log_key], &[wkey], 1)
        .unwrap_or_else(|e| panic!("{e}: {stored}"));
}

/// The resident memory of process `pid` in bytes (Linux `VmRSS`).
fn rss(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Issue 26's hostile-peer load, at test scale (`tools/bench` has the
/// figures): honest members append through `caselog serve` while hostile
/// peers hold connections without headers, announce 4 MiB bodies
/// unsigned (and send them), and replay a captured request; a witness is
/// stalled and sent junk proofs meanwhile. Honest appends keep being
/// acknowledged, the server stays under 256 MiB, and after a kill -9 every
/// acknowledged entry is in the ledger.
#[test]
fn hostile_peers_do_not_stop_honest_members() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-x");
    let members: Vec<Signer> = (0..8u8)
        .map(|i| Signer::from_seed(&format!("h{i}"), &[0x70 + i; 32]))
        .collect();
    let enrolled: Vec<(&Signer, Role)> = members.iter().map(|m| (m, Role::Investigator)).collect();
    let mut l = case_with(&dir, &enrolled);
    let cp = l.checkpoint(&authority()).unwrap().to_text();
    let (wurl, _) = witness_limited(
        &t.path().join("w"),
        l.authority_log_keys()[0].clone(),
        caselog::net::server::Limits {
            connections: 64,
            header_timeout: Duration::from_secs(2),
            body_timeout: Duration::from_secs(2),
        },
    );
    drop(l);
    let mut s = serve_proc_with(&dir, &["--header-timeout", "2", "--body-timeout", "2"]);
    let pid = s.0.id();
    let addr = host_of(&s.1);
    let waddr = wurl.trim_start_matches("http://").to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let mut hostile = Vec::new();
    // Connections that never send their headers, again and again.
    for at in [addr.clone(), waddr.clone()] {
        let stop = stop.clone();
        hostile.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let held: Vec<_> = (0..48)
                    .filter_map(|_| std::net::TcpStream::connect(&at).ok())
                    .collect();
                std::thread::sleep(Duration::from_millis(500));
                drop(held);
            }
        }));
    }
    // Unsigned 4 MiB bodies, sent in full.
    for _ in 0..2 {
        let (at, stop) = (addr.clone(), stop.clone());
        hostile.push(std::thread::spawn(move || {
            let junk = vec![0u8; 4 << 20];
            while !stop.load(Ordering::Relaxed) {
                if let Ok(mut c) = std::net::TcpStream::connect(&at) {
                    let _ = c.write_all(b"POST /case-x/api/append HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
                    let _ = c.write_all(&junk);
                }
            }
        }));
    }
    // A captured request, replayed; junk proofs to the witness.
    {
        let (at, wat, stop) = (addr.clone(), waddr.clone(), stop.clone());
        let capture = raw_signed_head(&at, "GET", "/case-x/api/head", b"", &members[0]).replace(
            "Content-Length: 0\r\ncontent-type: application/cbor\r\n",
            "",
        );
        let cp = cp.clone();
        hostile.push(std::thread::spawn(move || {
            let body = caselog::net::witness::request_body(7, &[Hash([9; 32])], &cp);
            while !stop.load(Ordering::Relaxed) {
                for (a, bytes) in [
                    (&at, capture.clone()),
                    (&wat, format!("POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())),
                ] {
                    if let Ok(mut c) = std::net::TcpStream::connect(a) {
                        let _ = c.write_all(bytes.as_bytes());
                        let _ = read_until_closed(&mut c);
                    }
                }
            }
        }));
    }
    // Memory, sampled while it lasts.
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    // Honest members: turn, append, as `--remote` does, for 4 s.
    let url = s.1.clone();
    let honest: Vec<_> = members
        .into_iter()
        .enumerate()
        .map(|(w, m)| {
            let (url, stop) = (url.clone(), stop.clone());
            std::thread::spawn(move || {
                let r = Remote::new(&url).unwrap();
                let (mut acked, mut took) = (Vec::new(), Vec::new());
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = std::time::Instant::now();
                    let Ok((head, turn)) = r.turn(&m, false) else {
                        continue;
                    };
                    let rec = sub(note_record(&head, &m, &format!("w{w} n{i}")));
                    if let Ok(a) = r.append(&m, &rec, Some(turn)) {
                        acked.push((a.entries[0].seq, a.entries[0].leaf.clone()));
                        took.push(t0.elapsed());
                    }
                    i += 1;
                }
                (acked, took)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    // The witness still cosigns for an honest log meanwhile.
    let (st, body) = add_checkpoint(&wurl, &caselog::net::witness::request_body(0, &[], &cp));
    assert_eq!(st, 200, "{body}");
    s.0.kill().unwrap();
    s.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let (mut acked, mut took) = (Vec::new(), Vec::new());
    for h in honest {
        let (a, t) = h.join().unwrap();
        acked.extend(a);
        took.extend(t);
    }
    sampler.join().unwrap();
    for h in hostile {
        h.join().unwrap();
    }
    took.sort();
    let peak = peak.load(Ordering::Relaxed);
    eprintln!(
        "hostile load: {} honest appends acknowledged in 4 s, p50 {:?}, p99 {:?}, server peak RSS {} MiB",
        acked.len(),
        took.get(took.len() / 2),
        took.get(took.len() * 99 / 100),
        peak >> 20
    );
    assert!(acked.len() >= 20, "only {} honest appends", acked.len());
    assert!(
        peak > 0 && peak < 256 << 20,
        "server RSS peaked at {} MiB",
        peak >> 20
    );
    let l = Ledger::open(&dir, true).unwrap();
    for (seq, leaf) in &acked {
        let raw = l
            .record_bytes(Seq(*seq))
            .unwrap()
            .expect("acknowledged entry lost");
        assert_eq!(&HashAlg::Sha256.leaf(&raw).to_hex(), leaf);
    }
}

/// `caselog mirror` with the mirror's own cosigner key (SPEC §17.7).
fn mirror_cosign(url: &str, dir: &Path, key: &Path, mkey: &Path) -> (Option<i32>, String) {
    let out = Proc::new(bin())
        .args(["mirror", url])
        .arg(dir)
        .arg("--key")
        .arg(key)
        .arg("--cosign")
        .arg(mkey)
        .args(["--cosign-name", "counsel.example/mirror"])
        .env_remove("CASELOG_LEDGER")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// Both verifiers on `bundle` with `args`: (Rust exit, stdout), (Python
/// exit, stdout).
fn both_verify(bundle: &Path, args: &[String]) -> [(Option<i32>, String); 2] {
    let rust = Proc::new(bin())
        .args(["verify", "--bundle"])
        .arg(bundle)
        .args(args)
        .env_remove("CASELOG_LEDGER")
        .output()
        .unwrap();
    let py = Proc::new(common::python())
        .arg(common::verify_bundle_script())
        .arg(bundle)
        .args(args)
        .output()
        .unwrap();
    [rust, py].map(|o| {
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
        )
    })
}

#[test]
fn a_mirror_cosigns_what_it_recomputed_and_both_verifiers_say_so() {
    let t = tempfile::tempdir().unwrap();
    let a = authority();
    let key = write_key(t.path(), "a.key", &a);
    let m = Signer::from_seed("Mirror (test)", &[0x37; 32]);
    let mkey = write_key(t.path(), "m.key", &m);
    let mvk = caselog::tlog::note::VerifierKey::new(
        "counsel.example/mirror",
        caselog::tlog::note::TYPE_COSIGNATURE,
        m.public(),
    )
    .unwrap()
    .to_string();
    let dir = t.path().join("case-c");
    let log_key = {
        let mut l = build_small(&dir, HashAlg::Sha256);
        l.append(common::intake_body("EV-1"), &a).unwrap();
        l.checkpoint(&a).unwrap();
        l.origin().log_key(a.public()).to_string()
    };
    let copy = t.path().join("copy");
    // A mirror name a key cannot carry: bad input before anything is made.
    let out = Proc::new(bin())
        .args(["mirror", "http://127.0.0.1:9/case-c"])
        .arg(&copy)
        .arg("--key")
        .arg(&key)
        .arg("--cosign")
        .arg(&mkey)
        .args(["--cosign-name", "counsel mirror"])
        .env_remove("CASELOG_LEDGER")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--cosign-name \"counsel mirror\" is empty or contains spaces"));
    assert!(!copy.exists());
    // A server that pins no mirror refuses the cosignature; the copy keeps
    // the one it made.
    {
        let s = serve_proc(&dir);
        let (code, text) = mirror_cosign(&s.1, &copy, &key, &mkey);
        assert_eq!(code, Some(2), "{text}");
        assert!(
            text.contains("the server accepts no mirror cosignatures; this copy keeps its cosignature of the checkpoint of size 8"),
            "{text}"
        );
        assert!(text.contains(&format!("serve --mirror '{mvk}'")), "{text}");
    }
    // One that pins it stores that same line, once.
    {
        let published = t.path().join("published");
        let store = format!("file://{}", published.display());
        let s = serve_proc_with(&dir, &["--mirror", &mvk, "--publish", &store]);
        // The stored checkpoint posted again: published, with its one line.
        let r = Remote::new(&s.1).unwrap();
        r.post_checkpoint(&a, &r.checkpoint().unwrap().unwrap())
            .unwrap();
        let object = published.join("case-c/checkpoint");
        let lines = |p: &Path| {
            std::fs::read_to_string(p)
                .unwrap()
                .matches('\u{2014}')
                .count()
        };
        assert_eq!(lines(&object), 1);
        let (code, text) = mirror_cosign(&s.1, &copy, &key, &mkey);
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("mirror counsel.example/mirror cosigned the checkpoint of size 8 (the cosignature this copy already held); the server stored it"),
            "{text}"
        );
        assert!(text.contains(&mvk), "{text}");
        let (code, text) = mirror_cosign(&s.1, &copy, &key, &mkey);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("the server already held it"), "{text}");
        // The published checkpoint was written again with the mirror's line.
        assert_eq!(lines(&object), 2);
        let served = Remote::new(&s.1).unwrap().checkpoint().unwrap().unwrap();
        let p = caselog::tlog::trust::TrustPolicy::from_keys(
            &[caselog::tlog::note::VerifierKey::parse(&log_key).unwrap()],
            &[],
            0,
            &[caselog::tlog::note::VerifierKey::parse(&mvk).unwrap()],
            1,
        )
        .unwrap();
        let vc = caselog::tlog::checkpoint::verify_with(served.as_bytes(), &p).unwrap();
        assert_eq!(vc.mirrors().len(), 1);
        assert_eq!(served.matches('\u{2014}').count(), 2, "{served}");
    }
    // An item bundle from the server's ledger: with the mirror pinned, both
    // verifiers say the item map was recomputed by it; without, that it
    // rests on the authority's word.
    let b = t.path().join("ev1.bundle");
    let out = Proc::new(bin())
        .arg("--ledger")
        .arg(&dir)
        .args(["export", "bundle", "--item", "EV-1", "--out"])
        .arg(&b)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trust = vec!["--trust".to_owned(), log_key.clone()];
    let pinned = [
        trust.clone(),
        vec![
            "--mirror".into(),
            mvk.clone(),
            "--mirror-quorum".into(),
            "1".into(),
        ],
    ]
    .concat();
    for (code, text) in both_verify(&b, &pinned) {
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("this rests on the item map in the checkpoint signed by")
                && text.contains("and on the verified cosignature of 1 mirror, which states it recomputed that item map from every record: counsel.example/mirror"),
            "{text}"
        );
        assert!(
            text.contains("a cosignature by mirror counsel.example/mirror"),
            "{text}"
        );
    }
    // An inclusion proof against the cosigned checkpoint: verify-proof
    // names the mirror and says its cosignature is its statement.
    let proof = t.path().join("ev1.tlog-proof");
    let out = Proc::new(bin())
        .arg("--ledger")
        .arg(&dir)
        .args(["prove", "inclusion", "7", "--out"])
        .arg(&proof)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Proc::new(bin())
        .arg("verify-proof")
        .arg(&proof)
        .args(&pinned)
        .env_remove("CASELOG_LEDGER")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("mirror    counsel.example/mirror (cosigned at unix time ")
            && text
                .contains("its cosignature states that the mirror holds every record to this size"),
        "{text}"
    );
    // The JSON report names the mirror and holds to its schema.
    let jsons = t.path().join("json");
    std::fs::create_dir(&jsons).unwrap();
    let out = Proc::new(bin())
        .args(["verify", "--json", "--bundle"])
        .arg(&b)
        .args(&pinned)
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["scope"]["recomputed_by"][0], "counsel.example/mirror");
    assert_eq!(j["bundle"]["mirrors"][0]["name"], "counsel.example/mirror");
    std::fs::write(jsons.join("mirror.json"), &out.stdout).unwrap();
    common::validate_jsons("verify-report.schema.json", &jsons);
    for (code, text) in both_verify(&b, &trust) {
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("asserted by the authority's checkpoint only"),
            "{text}"
        );
        assert!(
            text.contains("no cosignature by a --mirror key was required or checked"),
            "{text}"
        );
    }
    // The same pins as a policy file (C2SP tlog-policy, SPEC §10.6).
    let policy = t.path().join("policy");
    std::fs::write(
        &policy,
        format!("# counsel\nlog {log_key}\nmirror M {mvk}\ngroup Ms any M\nquorum none\nmirror-quorum Ms\n"),
    )
    .unwrap();
    let by_file = vec!["--policy".to_owned(), policy.display().to_string()];
    for (code, text) in both_verify(&b, &by_file) {
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("the verified cosignature of 1 mirror, which states it recomputed"),
            "{text}"
        );
    }
    // Groups that share members, 120 deep: decided in one pass by both
    // (as a tree it would be 2^120 visits).
    let mut deep = format!("log {log_key}\nmirror M {mvk}\ngroup G0 any M\ngroup H0 any M\n");
    for i in 1..120 {
        deep.push_str(&format!(
            "group G{i} any G{0} H{0}\ngroup H{i} any G{0} H{0}\n",
            i - 1
        ));
    }
    deep.push_str("quorum none\nmirror-quorum G119\n");
    std::fs::write(&policy, deep).unwrap();
    for (code, text) in both_verify(&b, &by_file) {
        assert_eq!(code, Some(0), "{text}");
    }
    // A second mirror required: refused by both, BAD_CHECKPOINT.
    let other = caselog::tlog::note::VerifierKey::new(
        "other.example/mirror",
        caselog::tlog::note::TYPE_COSIGNATURE,
        common::outsider().public(),
    )
    .unwrap()
    .to_string();
    let two = [
        trust.clone(),
        vec!["--mirror".into(), mvk.clone(), "--mirror".into(), other],
        vec!["--mirror-quorum".into(), "2".into()],
    ]
    .concat();
    for (code, text) in both_verify(&b, &two) {
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("BAD_CHECKPOINT") && text.contains("1 valid mirror cosignature"),
            "{text}"
        );
    }
    // Malformed policy files: bad input (exit 2) in both, naming the line.
    let w = caselog::tlog::note::VerifierKey::new(
        "w.example",
        caselog::tlog::note::TYPE_COSIGNATURE,
        common::investigator().public(),
    )
    .unwrap();
    for (bad, why) in [
        (format!("log {log_key}\nmirror M {mvk}\n"), "no quorum line"),
        (
            format!("log {log_key}\nwitness W {w}\nquorum none\nmirror-quorum W\n"),
            "counts witnesses",
        ),
        (
            format!("log {log_key}\nwitness W {w}\nmirror M {mvk}\ngroup G any W M\nquorum G\n"),
            "mixes",
        ),
        (
            format!("log {log_key}\nwitness W {w}\ngroup G 2 W\nquorum G\n"),
            "threshold",
        ),
        (
            format!("log {log_key}\nwitness W {mvk}\nmirror M {mvk}\nquorum W\n"),
            "line 3",
        ),
        (format!("log {log_key}\nquorum X\n"), "not defined"),
        (
            format!("log {log_key}\nquorum none\x0b\n"),
            "control character",
        ),
    ] {
        std::fs::write(&policy, &bad).unwrap();
        for (code, text) in both_verify(&b, &by_file) {
            assert_eq!(code, Some(2), "{bad}{text}");
            assert!(text.contains(why), "{why}: {text}");
        }
    }
    // One key pinned as witness and mirror: bad input (exit 2) in both.
    let both_roles = [
        trust,
        vec!["--witness".into(), mvk.clone(), "--mirror".into(), mvk],
    ]
    .concat();
    for (code, text) in both_verify(&b, &both_roles) {
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains("already pinned as"), "{text}");
    }
}

/// Issue 28: a member working on a served case (`--remote`) and a witness
/// (`caselog witness serve`) sign with keys a real ssh-agent holds; their
/// private key files are gone before either signs.
// The witness child is killed and waited for at the end of the test.
#[allow(clippy::zombie_processes)]
#[test]
fn a_remote_member_and_a_witness_sign_with_keys_in_an_agent() {
    use std::io::BufRead;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-ag");
    let (a, inv) = (authority(), Signer::from_seed("Det.Agent", &[0x2a; 32]));
    let witness = Signer::from_seed("Counsel", &[0x2b; 32]);
    let mut l = case_with(&dir, &[(&inv, Role::Investigator)]);
    let log_key = l.authority_log_keys()[0].clone();
    let cp = l.checkpoint(&a).unwrap().to_text();
    drop(l);
    let agent = common::agent::SshAgent::start(t.path());
    for (file, s) in [("inv.key", &inv), ("wit.key", &witness)] {
        let k = write_key(t.path(), file, s);
        agent.add(&k, None, &[]);
        std::fs::remove_file(&k).unwrap();
    }
    let s = serve_proc(&dir);
    let out = remote_cmd(&s.1, t.path().join("copy"), t.path().join("inv.key.pub"))
        .env("SSH_AUTH_SOCK", &agent.sock)
        .env_remove("CASELOG_PASSPHRASE")
        .args(["note", "from the field, signed in the agent"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(s);
    let l = Ledger::open(&dir, false).unwrap();
    let report = caselog::verify_store(l.store()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(l);
    // The witness: its state made and its cosignatures signed in the agent.
    std::fs::write(t.path().join("log.vkey"), log_key.to_string()).unwrap();
    let wkey = t.path().join("wit.key.pub");
    let state = t.path().join("w");
    let init = Proc::new(bin())
        .args([
            "witness",
            "init",
            "--name",
            "counsel.example/witness",
            "--state",
        ])
        .arg(&state)
        .arg("--key")
        .arg(&wkey)
        .env("SSH_AUTH_SOCK", &agent.sock)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let mut child = Proc::new(bin())
        .args(["witness", "serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .arg("--log-key")
        .arg(t.path().join("log.vkey"))
        .arg("--key")
        .arg(&wkey)
        .env("SSH_AUTH_SOCK", &agent.sock)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = lines
        .find_map(|l| {
            let l = l.ok()?;
            let at = l.split(" at ").nth(1)?;
            Some(at.trim_end_matches("/add-checkpoint").to_owned())
        })
        .expect("witness serve did not start");
    let (status, body) = add_checkpoint(&url, &caselog::net::witness::request_body(0, &[], &cp));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    let vkey = caselog::tlog::note::VerifierKey::new(
        "counsel.example/witness",
        caselog::tlog::note::TYPE_COSIGNATURE,
        witness.public(),
    )
    .unwrap();
    // The answer is the cosignature line; with it the note verifies under
    // the witness's key (SPEC §10.2).
    let (_, note) = caselog::tlog::checkpoint::parse(format!("{cp}{body}").as_bytes()).unwrap();
    let ok = caselog::tlog::note::verify(&note, std::slice::from_ref(&vkey)).unwrap();
    assert_eq!(ok, vec![vkey], "{body}");
}

/// Issue 29, item 2: every member read through `caselog serve` is in the
/// access log with the reader's own request signature; `caselog access
/// --item` lists who read an item; `access verify` re-checks every
/// signature and the checkpoints, and catches a record altered, removed,
/// or forged by whoever holds the server's disk.
#[test]
fn the_access_log_records_each_read_with_the_readers_signature() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("case-r");
    let reader = Signer::from_seed("Defense analyst (test)", &[0x61; 32]);
    let (intake_seq, note_seq) = {
        let mut l = case_with(&dir, &[(&reader, Role::External)]);
        let (s, _) = l
            .append(common::intake_body("EV-0001"), &authority())
            .unwrap();
        let (n, _) = l.append(note("not about an item"), &authority()).unwrap();
        (s.0, n.0)
    };
    let base = serve_in_process(&[&dir], 64 << 10);
    let get = |path: String, n: &str| {
        let raw = Raw {
            method: "GET",
            path,
            body: Vec::new(),
            nonce: n.into(),
        };
        send_raw(&base, &raw, &reader, &reader).0
    };
    assert_eq!(get(format!("/case-r/api/show/{intake_seq}"), "a1"), 200);
    assert_eq!(get(format!("/case-r/api/show/{note_seq}"), "a2"), 200);
    assert_eq!(get("/case-r/api/timeline".into(), "a3"), 200);
    assert_eq!(get("/case-r/api/show/9999".into(), "a4"), 404);
    // A read whose record would be over the limit is neither recorded nor
    // answered (431 TOO_LARGE).
    let huge = get(format!("/case-r/api/show/{}", "9".repeat(65_400)), "a5");
    assert_eq!(huge, 431, "TOO_LARGE");
    // A public read (the checkpoint) is nobody's: not recorded.
    let _ = ureq::get(&format!("{base}/case-r/checkpoint")).call();
    let access = |args: &[&str]| {
        Proc::new(bin())
            .arg("--ledger")
            .arg(&dir)
            .arg("access")
            .args(args)
            .output()
            .unwrap()
    };
    let out = access(&["--item", "EV-0001"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("4 read(s) recorded; every request signature verified as the reader's; no signed checkpoint"), "{text}");
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        rows.len(),
        2,
        "the read of EV-0001's entry and the timeline: {text}"
    );
    assert!(
        rows[0].contains(&format!(
            "Defense analyst (test)  GET /case-r/api/show/{intake_seq}  200  about EV-0001"
        )),
        "{text}"
    );
    assert!(
        rows[1].contains("GET /case-r/api/timeline  200  about the whole ledger (any item)"),
        "{text}"
    );
    let key = write_key(t.path(), "auth.key", &authority());
    let signed = Proc::new(bin())
        .arg("--ledger")
        .arg(&dir)
        .args(["access", "checkpoint", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let ok = access(&["verify"]);
    assert!(
        ok.status.success()
            && String::from_utf8_lossy(&ok.stdout).starts_with("VERIFIED: access log")
    );
    // Tampering with the file the server wrote.
    let log = dir.join("access/log");
    let original = std::fs::read(&log).unwrap();
    let records = || -> Vec<Vec<u8>> { caselog::net::access::store::read_all(&dir).unwrap().0 };
    let write = |recs: &[Vec<u8>]| {
        let mut b = Vec::new();
        for r in recs {
            b.extend_from_slice(&(r.len() as u32).to_be_bytes());
            b.extend_from_slice(r);
        }
        std::fs::write(&log, b).unwrap();
    };
    let problems = || {
        let out = access(&["verify", "--json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["problems"].to_string()
    };
    use caselog::net::access::record::AccessRecord;
    // A record whose path was changed (re-encoded canonically).
    let mut recs = records();
    let mut r = AccessRecord::decode(&recs[0]).unwrap();
    r.path = format!("/case-r/api/show/{note_seq}");
    recs[0] = r.encode();
    write(&recs);
    let p = problems();
    assert!(
        p.contains("request signature does not verify") && p.contains("does not state the root"),
        "{p}"
    );
    // A record removed.
    std::fs::write(&log, &original).unwrap();
    let mut recs = records();
    recs.remove(0);
    write(&recs);
    assert!(problems().contains("the record says seq 1, it is at 0"));
    // A read invented by the server's operator, signed with the authority's
    // own key but naming the reader.
    std::fs::write(&log, &original).unwrap();
    let mut recs = records();
    let mut fake = AccessRecord::decode(&recs[0]).unwrap();
    let parts = RequestParts {
        method: "GET",
        authority: &fake.authority,
        path: &fake.path,
        query: "?",
        content_digest: None,
    };
    let params = Params {
        created: 1,
        nonce: "forged".into(),
        key: reader.public(),
        with_digest: false,
    };
    let (input, sig) = httpsig::sign(&authority(), &params, &parts).unwrap();
    fake.seq = recs.len() as u64;
    fake.signature_input = input;
    fake.signature = sig;
    recs.push(fake.encode());
    write(&recs);
    assert!(problems().contains("request signature does not verify"));
    std::fs::write(&log, &original).unwrap();
    assert!(access(&["verify"]).status.success());
}
