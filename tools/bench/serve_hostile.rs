//! Section 4 of the serving benchmark (issue 26): hostile peers against
//! `caselog serve` and `caselog witness serve` while honest members
//! append, until a `kill -9` of the server in the middle of the load.
//!
//! Against the server: connections that never send headers; unsigned
//! 4 MiB bodies sent in full; public GETs declaring a 4 MiB body and
//! stalling; an enrolled member's signed 4 MiB bodies stalled after 1 KiB;
//! one captured signed request replayed again and again; a member reading
//! the head as fast as it can. Against the witness: header stalls, 4 MiB
//! bodies, bodies stalled after 10 bytes, while an honest log posts its
//! checkpoint. Reported: honest append rate (ratio to the quiet load of
//! section 1), p50/p99, what each hostile peer was answered, both
//! processes' peak RSS, and the check after the kill: every acknowledged
//! record present, none twice, `verify` clean.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use caselog::net::client::Remote;
use caselog::net::httpsig::{self, Params, RequestParts};
use caselog::storage::keys::Signer;
use caselog::Ledger;

use super::{check, free_port, load, make_ledger, member, pct, rss_kib, serve, Server};

/// The server is killed this long into the load.
const KILL_AFTER: Duration = Duration::from_secs(8);

/// Status codes of the answers one kind of hostile request got.
type Answers = Arc<Mutex<BTreeMap<u16, u64>>>;

fn count(a: &Answers, status: u16) {
    *a.lock().expect("answers").entry(status).or_default() += 1;
}

fn show(a: &Answers) -> String {
    let m = a.lock().expect("answers");
    if m.is_empty() {
        return "no answer".into();
    }
    m.iter()
        .map(|(s, n)| match s {
            0 => format!("{n} still held open, unanswered, when let go"),
            1 => format!("{n} closed by the peer without an answer"),
            s => format!("{n} x {s}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The status of the answer on `c` (0: closed without one).
fn status_of(c: &mut TcpStream) -> u16 {
    let _ = c.set_read_timeout(Some(Duration::from_secs(40)));
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while got.len() < 12 {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    std::str::from_utf8(&got)
        .ok()
        .and_then(|s| s.get(9..12))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The head of a request signed by `s` for a body of `len` bytes whose
/// digest is `digest` (to send by hand, whole or in part).
fn signed_head(addr: &str, method: &str, path: &str, body: &[u8], s: &Signer) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let digest = httpsig::content_digest(body);
    let params = Params {
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
        nonce: format!(
            "h{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ),
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
    let length = if body.is_empty() {
        String::new()
    } else {
        format!(
            "Content-Length: {}\r\ncontent-type: application/cbor\r\n",
            body.len()
        )
    };
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{length}content-digest: {digest}\r\nsignature-input: {input}\r\nsignature: {sig}\r\n\r\n"
    )
}

/// Run `f` in a loop on a thread until `stop`.
fn every(stop: &Arc<AtomicBool>, f: impl Fn() + Send + 'static) -> JoinHandle<()> {
    let stop = stop.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            f();
        }
    })
}

/// Hold `n` connections that send `first` (perhaps nothing) and then
/// stall, renewed every `hold`; each answer is counted.
fn stallers(
    stop: &Arc<AtomicBool>,
    at: &str,
    n: usize,
    hold: Duration,
    first: impl Fn() -> Vec<u8> + Send + Sync + 'static,
    answers: &Answers,
) -> JoinHandle<()> {
    let (at, answers, first) = (at.to_owned(), answers.clone(), Arc::new(first));
    every(stop, move || {
        let held: Vec<_> = (0..n)
            .filter_map(|_| {
                let mut c = TcpStream::connect(&at).ok()?;
                c.write_all(&first()).ok()?;
                Some(c)
            })
            .collect();
        std::thread::sleep(hold);
        for mut c in held {
            let _ = c.set_nonblocking(true);
            let mut b = [0u8; 12];
            match c.peek(&mut b) {
                Ok(0) => count(&answers, 1),
                Ok(_) => {
                    let _ = c.set_nonblocking(false);
                    count(&answers, status_of(&mut c))
                }
                Err(_) => count(&answers, 0),
            }
        }
    })
}

/// The attacks on the server; returns their threads and what each got.
fn attack_server(
    stop: &Arc<AtomicBool>,
    addr: &str,
    url: &str,
    hostile: usize,
) -> (Vec<JoinHandle<()>>, Vec<(&'static str, Answers)>) {
    let kinds: Vec<(&'static str, Answers)> = [
        "128 connections that never send headers (renewed every 0.5 s)",
        "unsigned 4 MiB bodies sent in full (4 senders)",
        "public GETs declaring a 4 MiB body, stalled (16 at a time)",
        "a member's signed 4 MiB bodies stalled after 1 KiB (8 at a time)",
        "one captured signed request replayed",
    ]
    .into_iter()
    .map(|k| (k, Answers::default()))
    .collect();
    let mut hs = vec![stallers(
        stop,
        addr,
        128,
        Duration::from_millis(500),
        Vec::new,
        &kinds[0].1,
    )];
    for _ in 0..4 {
        let (at, a) = (addr.to_owned(), kinds[1].1.clone());
        let junk = vec![0u8; 4 << 20];
        hs.push(every(stop, move || {
            if let Ok(mut c) = TcpStream::connect(&at) {
                let _ = c.write_all(b"POST /case-hostile/api/append HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n");
                let _ = c.write_all(&junk);
                count(&a, status_of(&mut c));
            }
        }));
    }
    let public = || {
        b"GET /case-hostile/checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n"
            .to_vec()
    };
    hs.push(stallers(
        stop,
        addr,
        16,
        Duration::from_secs(1),
        public,
        &kinds[2].1,
    ));
    let (at, s) = (addr.to_owned(), member(hostile));
    let member_stall = move || {
        let body = vec![0u8; 4 << 20];
        let mut b = signed_head(&at, "POST", "/case-hostile/api/append", &body, &s).into_bytes();
        b.extend_from_slice(&body[..1024]);
        b
    };
    hs.push(stallers(
        stop,
        addr,
        8,
        Duration::from_secs(2),
        member_stall,
        &kinds[3].1,
    ));
    let capture = signed_head(addr, "GET", "/case-hostile/api/head", b"", &member(hostile));
    let (at, a) = (addr.to_owned(), kinds[4].1.clone());
    hs.push(every(stop, move || {
        if let Ok(mut c) = TcpStream::connect(&at) {
            let _ = c.write_all(capture.as_bytes());
            count(&a, status_of(&mut c));
        }
    }));
    let s = member(hostile);
    let r = Remote::new(url).expect("url");
    hs.push(every(stop, move || {
        let _ = r.head(&s);
    }));
    (hs, kinds)
}

/// A witness for the case (`caselog witness init` and `serve`), with the
/// body an honest log posts to it; the witness process and its address.
// The child is killed and waited for by `Server`'s `Drop`.
#[allow(clippy::zombie_processes)]
fn witness(cli: &str, root: &Path, dir: &Path, a: &Signer) -> (Server, String, String) {
    let (log_key, cp) = {
        let mut l = Ledger::open(dir, true).expect("open");
        let n = l.checkpoint(a).expect("checkpoint");
        (l.origin().log_key(a.public()).to_string(), n.to_text())
    };
    let key = root.join("witness.key");
    let w = Signer::from_seed("Bench witness", &[0x57; 32]);
    caselog::storage::keys::write_key_files(&w, &key, None).expect("key");
    let state = root.join("witness");
    let ok = Command::new(cli)
        .args([
            "witness",
            "init",
            "--name",
            "bench.example/witness",
            "--key",
        ])
        .arg(&key)
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::null())
        .status()
        .expect("witness init");
    assert!(ok.success(), "witness init failed");
    let port = free_port();
    let child = Command::new(cli)
        .args(["witness", "serve", "--key"])
        .arg(&key)
        .arg("--state")
        .arg(&state)
        .args([
            "--log-key",
            &log_key,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(Stdio::null())
        .spawn()
        .expect("witness serve");
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (Server(child), format!("127.0.0.1:{port}"), cp);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("caselog witness serve did not start");
}

/// The attacks on the witness, and its honest log's requests.
struct WitnessLoad {
    threads: Vec<JoinHandle<()>>,
    kinds: Vec<(&'static str, Answers)>,
    /// Latencies of the honest requests answered 200.
    latencies: Arc<Mutex<Vec<Duration>>>,
    /// What the honest requests were answered.
    honest: Answers,
}

fn attack_witness(stop: &Arc<AtomicBool>, at: &str, cp: String) -> WitnessLoad {
    let kinds: Vec<(&'static str, Answers)> = [
        "witness: 128 connections that never send headers",
        "witness: 4 MiB bodies (2 senders)",
        "witness: bodies stalled after 10 bytes (32 at a time)",
    ]
    .into_iter()
    .map(|k| (k, Answers::default()))
    .collect();
    let mut hs = vec![stallers(
        stop,
        at,
        128,
        Duration::from_millis(500),
        Vec::new,
        &kinds[0].1,
    )];
    for _ in 0..2 {
        let (at, a) = (at.to_owned(), kinds[1].1.clone());
        let junk = vec![b'x'; 4 << 20];
        hs.push(every(stop, move || {
            if let Ok(mut c) = TcpStream::connect(&at) {
                let _ = c.write_all(
                    b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n",
                );
                let _ = c.write_all(&junk);
                count(&a, status_of(&mut c));
            }
        }));
    }
    let stall = || {
        b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\nold 0\n\nxx"
            .to_vec()
    };
    hs.push(stallers(
        stop,
        at,
        32,
        Duration::from_secs(2),
        stall,
        &kinds[2].1,
    ));
    let (lat, honest) = (Arc::<Mutex<Vec<Duration>>>::default(), Answers::default());
    let (at, l, h) = (at.to_owned(), lat.clone(), honest.clone());
    let size: u64 = cp
        .lines()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("size");
    let held = Arc::new(AtomicU64::new(0));
    hs.push(every(stop, move || {
        let body = format!("old {}\n\n{cp}", held.load(Ordering::Relaxed));
        let t = Instant::now();
        let Ok(mut c) = TcpStream::connect(&at) else { return };
        let req = format!(
            "POST /add-checkpoint HTTP/1.1\r\nHost: {at}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let _ = c.write_all(req.as_bytes());
        let s = status_of(&mut c);
        if s == 200 {
            held.store(size, Ordering::Relaxed);
            l.lock().expect("lat").push(t.elapsed());
        }
        count(&h, s);
        std::thread::sleep(Duration::from_millis(20));
    }));
    WitnessLoad {
        threads: hs,
        kinds,
        latencies: lat,
        honest,
    }
}

/// Section 4: the honest load of section 1 with hostile peers beside it.
pub fn phase(cli: &str, root: &Path, clients: usize, m: usize, quiet_rate: f64) {
    let dir = root.join("case-hostile");
    // Clients 0..clients are honest; member `clients` is enrolled too and
    // turns hostile.
    let a = make_ledger(&dir, clients + 1);
    let (wsrv, waddr, cp) = witness(cli, root, &dir, &a);
    let (mut srv, url) = serve(cli, &dir);
    let (pid, wpid) = (srv.0.id(), wsrv.0.id());
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let (mut hs, mut kinds) = attack_server(&stop, &addr, &url, clients);
    let w = attack_witness(&stop, &waddr, cp);
    hs.extend(w.threads);
    kinds.extend(w.kinds);
    let (wlat, honest) = (w.latencies, w.honest);
    let (peak, wpeak) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (p, w) = (peak.clone(), wpeak.clone());
    hs.push(every(&stop, move || {
        p.fetch_max(rss_kib(pid), Ordering::Relaxed);
        w.fetch_max(rss_kib(wpid), Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(50));
    }));
    let killer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(KILL_AFTER);
            let _ = srv.0.kill(); // SIGKILL
            let _ = srv.0.wait();
            stop.store(true, Ordering::Relaxed);
        })
    };
    let (seen, took) = load(&url, clients, m, stop.clone());
    killer.join().expect("killer");
    for h in hs {
        let _ = h.join();
    }
    drop(wsrv);
    let acked: usize = seen.iter().map(|s| s.acked.len()).sum();
    let mut lat: Vec<_> = seen.iter().flat_map(|s| s.latencies.clone()).collect();
    let rate = acked as f64 / took.as_secs_f64();
    let (lost, dup, clean) = check(&dir, &seen);
    println!();
    println!("== hostile peers during the load of {clients} honest clients, kill -9 of the server after {} s", KILL_AFTER.as_secs());
    println!(
        "{:<44} {:>12}   ratio {:.3} to the quiet load above",
        "caselog serve, acknowledged appends",
        format!("{rate:.0}/s"),
        rate / quiet_rate
    );
    println!(
        "{:<44} {:>12}",
        "latency p50 / p99",
        format!("{:.1} / {:.1} ms", pct(&mut lat, 0.5), pct(&mut lat, 0.99))
    );
    println!("acknowledged {acked}; lost {lost}; duplicated {dup}; verify {}; server peak RSS {} MiB (goal < 256)", if clean { "clean" } else { "PROBLEMS" }, peak.load(Ordering::Relaxed) / 1024);
    let mut wl = wlat.lock().expect("lat").clone();
    println!(
        "witness: honest add-checkpoint {} ; p50 / p99 {:.1} / {:.1} ms; witness peak RSS {} MiB",
        show(&honest),
        pct(&mut wl, 0.5),
        pct(&mut wl, 0.99),
        wpeak.load(Ordering::Relaxed) / 1024
    );
    println!("what each hostile peer was answered (count x HTTP status):");
    for (k, a) in &kinds {
        println!("  {k}: {}", show(a));
    }
}
