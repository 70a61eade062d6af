//! The serving benchmark (issue 14), measured in one run on this machine:
//!
//! 1. loopback load: C concurrent clients (threads, each its own member key
//!    and connection) × M appends each, signed client-side, against
//!    `caselog serve`; throughput as a ratio to `caselog import` of the
//!    same number of notes on the same machine, p50/p99 latency (first
//!    attempt to acknowledgement), conflicts; then the ledger is checked:
//!    zero lost (every acknowledged record at its seq), zero duplicated
//!    (every client's note once), `verify` clean;
//! 2. `kill -9` of the server during that load, restart: every
//!    acknowledged record is present, the ledger verifies;
//! 3. `caselog mirror` following an N-entry served ledger: entries/s and
//!    peak RSS;
//! 4. hostile peers (issue 26) during the load of 1, against the server
//!    and a witness (`serve_hostile.rs`): honest throughput (ratio to 1 in
//!    this run), p50/p99, what each hostile peer was answered, peak RSS of
//!    both, and a kill -9 in the middle: every acknowledged record present.
//!
//! 5. served reads (issue 29, item 2): C clients x R signed reads, each
//!    recorded in the access log and synced before its answer, beside this
//!    machine's synced-append ceiling (`serve_reads.rs`).
//!
//! Usage: serve_bench --cli PATH [--clients C] [--appends M] [--mirror-entries N] [--reads R] [--only-reads]

#[path = "serve_hostile.rs"]
mod hostile;
#[path = "serve_reads.rs"]
mod reads;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use caselog::format::entry::{Body, Entry, MemberEnroll, Note, Record};
use caselog::ledger::Submission;
use caselog::net::api::HeadInfo;
use caselog::net::client::{Remote, RemoteError};
use caselog::storage::keys::Signer;
use caselog::{Genesis, Hash, HashAlg, Ledger, LedgerId, Role, Seq, Timestamp};

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn serve(cli: &str, dir: &Path) -> (Server, String) {
    let port = free_port();
    let child = Command::new(cli)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg(dir)
        .stderr(Stdio::null())
        .spawn()
        .expect("caselog serve");
    let s = Server(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Requests signed in the second the server started are
            // refused (SIGNED_BEFORE_START): start in the next one.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock");
            std::thread::sleep(Duration::from_nanos(
                1_000_000_000 - u64::from(now.subsec_nanos()),
            ));
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            return (s, format!("http://127.0.0.1:{port}/{name}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("caselog serve did not start");
}

fn member(i: usize) -> Signer {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1000).to_be_bytes());
    Signer::from_seed(&format!("Client {i}"), &seed)
}

/// A ledger with an authority and `clients` investigators enrolled.
fn make_ledger(dir: &Path, clients: usize) -> Signer {
    let a = Signer::from_seed("Authority", &[1; 32]);
    let mut l = Ledger::init(
        dir,
        Genesis {
            case_id: "BENCH",
            title: "serve benchmark",
            hash: HashAlg::Sha256,
            time: Timestamp::now(),
            ledger_id: None,
            checkpoint_every: None,
            zone: None,
        },
        &a,
    )
    .expect("init");
    let items: Vec<(Body, &Signer)> = (0..clients)
        .map(|i| {
            let m = member(i);
            (
                Body::MemberEnroll(MemberEnroll {
                    profile: Default::default(),
                    name: m.name().into(),
                    role: Role::Investigator,
                    key: m.public(),
                }),
                &a,
            )
        })
        .collect();
    l.append_batch_at(items, Timestamp::now()).expect("enroll");
    a
}

fn sign_note(head: &HeadInfo, s: &Signer, text: String) -> Vec<u8> {
    let mut id = [0u8; 16];
    hex::decode_to_slice(&head.ledger, &mut id).expect("ledger id");
    let entry = Entry {
        item_prev: None,
        ledger: LedgerId(id),
        seq: Seq(head.size),
        prev: Hash::from_hex(&head.last).expect("last"),
        time: Timestamp::now().max(Timestamp::parse(&head.time).expect("time")),
        author: s.public(),
        body: Body::Note(Note { text }),
        sd: Vec::new(),
    };
    Record::sign(&entry, s).unwrap().encode()
}

/// What one client saw acknowledged: (seq, leaf hex, text), latencies.
#[derive(Default)]
struct Seen {
    acked: Vec<(u64, String, String)>,
    latencies: Vec<Duration>,
    conflicts: u64,
    failed: u64,
}

/// One client: M appends, each signed against the head of a turn
/// (SPEC §17.2); on STALE_HEAD (a client without a turn got in first) it
/// waits for another turn.
fn client(url: &str, i: usize, m: usize, stop: &std::sync::atomic::AtomicBool) -> Seen {
    let r = Remote::new(url).expect("url");
    let s = member(i);
    let mut seen = Seen::default();
    let mut head;
    for k in 0..m {
        let text = format!("client {i} note {k}");
        let t0 = Instant::now();
        // Under contention every append waits for a turn first (an
        // optimistic attempt would lose against the other clients).
        let mut turn = match r.turn(&s, false) {
            Ok((h, t)) => {
                head = h;
                Some(t)
            }
            Err(_) => {
                seen.failed += 1;
                return seen;
            }
        };
        loop {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return seen;
            }
            let rec = sign_note(&head, &s, text.clone());
            let sub = vec![Submission {
                record: rec,
                private: Vec::new(),
            }];
            match r.append(&s, &sub, turn.take()) {
                Ok(a) => {
                    let e = &a.entries[0];
                    seen.acked.push((e.seq, e.leaf.clone(), text.clone()));
                    seen.latencies.push(t0.elapsed());
                    break;
                }
                Err(RemoteError::Api { err, .. }) if err.code == "STALE_HEAD" => {
                    // Lost the race: wait for a turn, sign against its head.
                    seen.conflicts += 1;
                    match r.turn(&s, false) {
                        Ok((h, t)) => {
                            head = h;
                            turn = Some(t);
                        }
                        Err(_) => {
                            seen.failed += 1;
                            return seen;
                        }
                    }
                }
                Err(_) => {
                    // The server is gone (the kill -9 phase) or refused.
                    seen.failed += 1;
                    return seen;
                }
            }
        }
    }
    seen
}

fn load(
    url: &str,
    clients: usize,
    m: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> (Vec<Seen>, Duration) {
    let t = Instant::now();
    let hs: Vec<_> = (0..clients)
        .map(|i| {
            let (url, stop) = (url.to_owned(), stop.clone());
            std::thread::spawn(move || client(&url, i, m, &stop))
        })
        .collect();
    let seen = hs.into_iter().map(|h| h.join().expect("client")).collect();
    (seen, t.elapsed())
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

/// Every acknowledged record is in the ledger at its seq; no note twice.
fn check(dir: &Path, seen: &[Seen]) -> (u64, u64, bool) {
    let l = Ledger::open(dir, false).expect("open");
    let mut lost = 0;
    for s in seen {
        for (seq, leaf, _) in &s.acked {
            let ok = l
                .record_bytes(Seq(*seq))
                .ok()
                .flatten()
                .is_some_and(|r| l.hash_alg().leaf(&r).to_hex() == *leaf);
            lost += u64::from(!ok);
        }
    }
    let mut texts = BTreeSet::new();
    let mut dup = 0;
    for r in l.records_from(Seq(0)) {
        let (seq, raw) = r.expect("record");
        if let Ok((_, e)) = caselog::ledger::decode(seq, &raw) {
            if let Body::Note(n) = e.body {
                dup += u64::from(!texts.insert(n.text));
            }
        }
    }
    let clean = caselog::verify_store(l.store())
        .expect("verify")
        .problems
        .is_empty();
    (lost, dup, clean)
}

fn import_rate(cli: &str, root: &Path, n: usize) -> f64 {
    let dir = root.join("import-ledger");
    let key = root.join("import.key");
    let a = Signer::from_seed("Authority", &[1; 32]);
    caselog::storage::keys::write_key_files(&a, &key, None).expect("key");
    drop(Ledger::init(
        &dir,
        Genesis {
            case_id: "IMPORT",
            title: "import rate",
            hash: HashAlg::Sha256,
            time: Timestamp::now(),
            ledger_id: None,
            checkpoint_every: None,
            zone: None,
        },
        &a,
    ));
    let f = root.join("notes.jsonl");
    let lines: String = (0..n)
        .map(|i| {
            format!(
                "{{\"kind\": \"note\", \"body\": {{\"text\": \"client {} note {}\"}}}}\n",
                i % 32,
                i
            )
        })
        .collect();
    std::fs::write(&f, lines).expect("jsonl");
    let t = Instant::now();
    let ok = Command::new(cli)
        .arg("--ledger")
        .arg(&dir)
        .arg("--key")
        .arg(&key)
        .arg("import")
        .arg(&f)
        .stdout(Stdio::null())
        .status()
        .expect("import");
    assert!(ok.success(), "caselog import failed");
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let (mut cli, mut clients, mut m, mut mirror_n) = (None, 32usize, 500usize, 1_000_000u64);
    let (mut reads_n, mut only_reads) = (200usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || {
            args.next()
                .and_then(|v| v.parse::<u64>().ok())
                .expect("a number")
        };
        match a.as_str() {
            "--cli" => cli = args.next(),
            "--clients" => clients = num() as usize,
            "--appends" => m = num() as usize,
            "--mirror-entries" => mirror_n = num(),
            "--reads" => reads_n = num() as usize,
            "--only-reads" => only_reads = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let cli = cli.expect("--cli PATH");
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();

    // 5 (first: quick). Reads through the access log.
    {
        let dir = root.join("case-reads");
        make_ledger(&dir, clients);
        let entries = Ledger::open(&dir, false).expect("open").head().tree.size.0;
        let (srv, url) = serve(&cli, &dir);
        reads::run(
            &cli,
            &dir,
            &url,
            (0..clients).map(member).collect(),
            reads_n,
            entries,
        );
        drop(srv);
    }
    if only_reads {
        return;
    }

    // 1. Loopback load, next to caselog import of as many notes.
    let total = clients * m;
    let import = import_rate(&cli, root, total);
    let dir = root.join("case-load");
    make_ledger(&dir, clients);
    let (srv, url) = serve(&cli, &dir);
    let (seen, took) = load(&url, clients, m, Arc::default());
    drop(srv);
    let acked: usize = seen.iter().map(|s| s.acked.len()).sum();
    let conflicts: u64 = seen.iter().map(|s| s.conflicts).sum();
    let failed: u64 = seen.iter().map(|s| s.failed).sum();
    let mut lat: Vec<Duration> = seen.iter().flat_map(|s| s.latencies.clone()).collect();
    let rate = acked as f64 / took.as_secs_f64();
    let (lost, dup, clean) = check(&dir, &seen);
    println!("== loopback load: {clients} clients x {m} appends, signed client-side (same run)");
    println!(
        "{:<44} {:>12}",
        "caselog import (CLI, same notes)",
        format!("{import:.0}/s")
    );
    println!(
        "{:<44} {:>12}   ratio {:.3} (goal >= 0.5)",
        "caselog serve, acknowledged appends",
        format!("{rate:.0}/s"),
        rate / import
    );
    println!(
        "{:<44} {:>12}",
        "latency p50 / p99",
        format!("{:.1} / {:.1} ms", pct(&mut lat, 0.5), pct(&mut lat, 0.99))
    );
    println!(
        "{:<44} {:>12}",
        "conflicts (STALE_HEAD) per append",
        format!("{:.2}", conflicts as f64 / acked.max(1) as f64)
    );
    println!("acknowledged {acked} of {total}; failed {failed}; lost {lost}; duplicated {dup}; verify {}", if clean { "clean" } else { "PROBLEMS" });

    // 1b. One client sending its records in batches: `caselog --remote import`.
    let dir = root.join("case-import");
    make_ledger(&dir, 1);
    let key = root.join("client0.key");
    caselog::storage::keys::write_key_files(&member(0), &key, None).expect("key");
    let (srv, url) = serve(&cli, &dir);
    let t = Instant::now();
    let ok = Command::new(&cli)
        .args(["--remote", &url, "--ledger"])
        .arg(root.join("client0-copy"))
        .arg("--key")
        .arg(&key)
        .arg("import")
        .arg(root.join("notes.jsonl"))
        .stdout(Stdio::null())
        .status()
        .expect("remote import");
    let remote_import = total as f64 / t.elapsed().as_secs_f64();
    drop(srv);
    println!(
        "{:<44} {:>12}   ratio {:.3}{}",
        "caselog --remote import (batches of 1000)",
        format!("{remote_import:.0}/s"),
        remote_import / import,
        if ok.success() { "" } else { " FAILED" }
    );

    // 2. kill -9 during the load.
    let dir = root.join("case-kill");
    make_ledger(&dir, clients);
    let (mut srv, url) = serve(&cli, &dir);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1500));
            let _ = srv.0.kill(); // SIGKILL
            let _ = srv.0.wait();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let (seen, _) = load(&url, clients, m, stop);
    killer.join().expect("killer");
    let acked: usize = seen.iter().map(|s| s.acked.len()).sum();
    let (lost, dup, clean) = check(&dir, &seen);
    println!();
    println!("== kill -9 of the server after 1.5 s of that load, then reopen");
    println!(
        "acknowledged before the kill {acked}; lost {lost}; duplicated {dup}; verify {}",
        if clean { "clean" } else { "PROBLEMS" }
    );

    hostile::phase(&cli, root, clients, m, rate);

    // 3. A mirror following an N-entry served ledger.
    let dir = root.join("case-big");
    let a = make_ledger(&dir, 1);
    {
        let mut l = Ledger::open(&dir, true).expect("open");
        let mut left = mirror_n.saturating_sub(2);
        while left > 0 {
            let k = left.min(20_000);
            let items = (0..k)
                .map(|i| {
                    (
                        Body::Note(Note {
                            text: format!("tip line note {left}-{i}"),
                        }),
                        &a,
                    )
                })
                .collect();
            l.append_batch_at(items, Timestamp::now()).expect("append");
            left -= k;
        }
        l.checkpoint(&a).expect("checkpoint");
    }
    let key = root.join("mirror.key");
    caselog::storage::keys::write_key_files(&member(0), &key, None).expect("key");
    let (srv, url) = serve(&cli, &dir);
    let copy: PathBuf = root.join("copy");
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(&cli)
        .args(["mirror", &url])
        .arg(&copy)
        .arg("--key")
        .arg(&key)
        .stdout(Stdio::null())
        .output()
        .expect("mirror (needs GNU time at /usr/bin/time)");
    let secs = t.elapsed().as_secs_f64();
    drop(srv);
    let rss_kib: u64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    println!();
    println!("== caselog mirror of a {mirror_n}-entry served ledger (loopback)");
    println!(
        "{} entries in {secs:.1} s = {:.0} entries/s; peak RSS {} MiB; exit {}",
        mirror_n,
        mirror_n as f64 / secs,
        rss_kib / 1024,
        out.status.code().unwrap_or(-1)
    );
}

/// The resident memory of process `pid` in KiB (Linux `VmRSS`).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}
