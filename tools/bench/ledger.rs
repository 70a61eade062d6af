//! The ledger benchmark: append, verify, proof and export rates next to
//! the raw Ed25519, hashing and fsync ceilings measured in the same run.
//! Run through `tools/bench/run` (release build); prints one table.
//!
//! Usage: bench [--entries N] [--proof-entries N] [--cli PATH]
//!        bench --hash FILE | --sha256 FILE   (time one pass over FILE)

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use caselog::format::edtf::Edtf;
use caselog::format::entry::{Body, Note};
use caselog::format::kinds::{Domain, Event};
use caselog::storage::keys::{self, Signer};
use caselog::{verify_store, Genesis, HashAlg, Ledger, Timestamp};

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// A dated event (the entries from `--entries` to `--proof-entries` are
/// events, so the Timesketch export has rows to write).
fn event(i: u64) -> Body {
    Body::Domain(Domain::Event(Event {
        zone: None,
        title: format!("Tip line call {i}: caller reports a letter like the extortion letter"),
        description: Some("Logged by the tip line; follow-up assigned.".into()),
        occurred: Edtf::parse(&format!("2008-11-{:02}", i % 28 + 1)).expect("edtf"),
        location: None,
        sources: Vec::new(),
        tags: vec!["tipline".into()],
        refs: Vec::new(),
    }))
}

fn note(i: u64) -> Body {
    Body::Note(Note {
        text: format!("Benchmark note {i}: tip line call logged, caller declined to give a name; follow-up assigned."),
    })
}

fn main() {
    let mut entries: u64 = 100_000;
    let mut proof_entries: u64 = 1_000_000;
    let mut cli: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--entries" => {
                entries = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--entries N")
            }
            "--proof-entries" => {
                proof_entries = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--proof-entries N")
            }
            "--cli" => cli = args.next(),
            "--hostile" => {
                hostile();
                return;
            }
            mode @ ("--verify-only" | "--append-only" | "--append-pipelined") => {
                // One phase alone, for a profiler:
                // perf record -- bench --append-only 50000
                let n: u64 = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{mode} N"));
                profile_one(mode, n);
                return;
            }
            "--ceilings" => {
                // Only the Ed25519 ceilings, one line: sign (1 core),
                // verify_strict 1 core, 1 core key once, all cores, all
                // cores key once (per second), each the best of 3: on a
                // shared machine the best is the closest to the hardware.
                let signer = Signer::from_seed("bench authority", &[5u8; 32]);
                let mut c = [0f64; 5];
                for _ in 0..3 {
                    let r = ed25519_ceilings(&signer, &mut Vec::new());
                    for (best, x) in c.iter_mut().zip(r) {
                        *best = best.max(x);
                    }
                }
                println!(
                    "{:.0} {:.0} {:.0} {:.0} {:.0}",
                    c[0], c[1], c[2], c[3], c[4]
                );
                return;
            }
            "--one-core-rates" => {
                // From RAM, one thread: SHA-256, BLAKE3, and both in the one
                // pass a tree's worker makes (MB/s): the compute bound of
                // `evidence add --tree` per core.
                one_core_rates();
                return;
            }
            "--hash" => {
                // Time one evidence hashing pass (BLAKE3 + SHA-256) and exit.
                let p = args.next().expect("--hash PATH");
                let t = Instant::now();
                let d = caselog::storage::evidence::hash_file(Path::new(&p), &mut |_| {})
                    .expect("hash");
                println!("{:.3} {} {}", t.elapsed().as_secs_f64(), d.blake3, d.sha256);
                return;
            }
            "--sha256" => {
                // The SHA-256 ceiling on a file: the sha2 crate alone (SHA
                // extensions when the CPU has them), same read size.
                use sha2::Digest as _;
                use std::io::Read as _;
                let p = args.next().expect("--sha256 PATH");
                let t = Instant::now();
                let mut f = std::fs::File::open(&p).expect("open");
                let mut buf = vec![0u8; 128 * 1024];
                let mut h = sha2::Sha256::new();
                loop {
                    let n = f.read(&mut buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                println!(
                    "{:.3} {}",
                    t.elapsed().as_secs_f64(),
                    hex::encode(h.finalize())
                );
                return;
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let signer = Signer::from_seed("bench authority", &[5u8; 32]);
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // Ceilings: Ed25519 on one core and on all cores.
    let [sign_rate, verify_rate, verify_once, verify_all, verify_all_once] =
        ed25519_ceilings(&signer, &mut rows);
    let _ = verify_once;
    let msg = vec![0x5au8; 300];
    // Ceiling: write + fdatasync of a small record in the same filesystem.
    let fpath = tmp.path().join("fsync-probe");
    let mut f = std::fs::File::create(&fpath).expect("probe file");
    let n_sync = 500u64;
    let t = Instant::now();
    for _ in 0..n_sync {
        f.write_all(&msg).expect("write");
        f.sync_data().expect("fdatasync");
    }
    let fsync_rate = rate(n_sync, t.elapsed());
    rows.push((
        "write+fdatasync 300 B".into(),
        format!("{fsync_rate:.0} /s"),
        "ceiling".into(),
    ));

    // Ceilings: hashing 256 MiB from RAM on one core.
    let buf = vec![0xa5u8; 256 << 20];
    let t = Instant::now();
    std::hint::black_box(blake3::hash(&buf));
    let b3 = buf.len() as f64 / t.elapsed().as_secs_f64() / 1e9;
    let t = Instant::now();
    {
        use sha2::Digest as _;
        std::hint::black_box(sha2::Sha256::digest(&buf));
    }
    let s256 = buf.len() as f64 / t.elapsed().as_secs_f64() / 1e9;
    drop(buf);
    rows.push((
        "BLAKE3, 1 thread, from RAM".into(),
        format!("{b3:.2} GB/s"),
        "ceiling".into(),
    ));
    rows.push((
        "SHA-256 (sha2), from RAM".into(),
        format!("{s256:.2} GB/s"),
        "ceiling".into(),
    ));

    // Library appends, one synced batch each.
    let dir = tmp.path().join("single");
    let mut l = init(&dir, &signer);
    let n_single = 1_000u64;
    let t = Instant::now();
    for i in 0..n_single {
        l.append(note(i), &signer).expect("append");
    }
    let single = rate(n_single, t.elapsed());
    rows.push((
        "library append, synced, 1/batch".into(),
        format!("{single:.0} /s"),
        format!("{:.2} x fsync ceiling", single / fsync_rate),
    ));
    drop(l);

    // Library group commit: build the big ledger for the verify run, its
    // first half with one synced `append_batch` after another, the second
    // half pipelined (the committer writes batch k while k+1 is signed).
    let dir = tmp.path().join("big");
    let mut l = init(&dir, &signer);
    let half = entries / 2;
    let t = Instant::now();
    fill(&mut l, &signer, half, note);
    let grouped = rate(half - 1, t.elapsed());
    rows.push((
        "library append_batch, 1000/batch".into(),
        format!("{grouped:.0} /s"),
        format!("{:.2} x sign ceiling", grouped / sign_rate),
    ));
    let t = Instant::now();
    fill_pipelined(&mut l, &signer, entries, note);
    let piped = rate(entries - half, t.elapsed());
    rows.push((
        "library append_batch, pipelined".into(),
        format!("{piped:.0} /s"),
        format!("{:.2} x sign ceiling", piped / sign_rate),
    ));
    drop(l);

    // Full verify of the big ledger.
    let store = caselog::storage::store::Store::open(&dir).expect("open");
    let t = Instant::now();
    let report = verify_store(&store).expect("verify");
    let vt = t.elapsed();
    assert!(
        report.is_ok(),
        "benchmark ledger must verify: {:?}",
        report.problems.first()
    );
    let vrate = rate(report.entries, vt);
    rows.push((
        format!("verify {} entries (library, all cores)", report.entries),
        format!("{vrate:.0} /s"),
        format!(
            "{:.2} x all-core ceiling ({:.2} x with the key decoded once)",
            vrate / verify_all,
            vrate / verify_all_once
        ),
    ));
    drop(store);

    // Proofs: extend the ledger to `proof_entries`, then time inclusion-proof
    // generation from RocksDB (one multi_get each) and offline verification.
    let mut l = Ledger::open(&dir, true).expect("reopen");
    fill(&mut l, &signer, proof_entries, event);
    l.flush().expect("flush");
    let cp = l
        .checkpoint(&signer)
        .expect("checkpoint")
        .to_text()
        .into_bytes();
    let size = l.head().tree.size;
    let trust = [l.origin().log_key(signer.public())];
    let mut gen = Vec::new();
    let mut proofs = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut max_hashes = 0;
    for _ in 0..1_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let seq = caselog::Seq(x % size.0);
        let t = Instant::now();
        let p = l.inclusion_proof(seq, size, cp.clone()).expect("proof");
        gen.push(t.elapsed());
        max_hashes = max_hashes.max(p.path.len());
        proofs.push(p);
    }
    gen.sort();
    let policy = caselog::tlog::trust::TrustPolicy::from_keys(&trust, &[], 0, &[], 0)
        .expect("log keys alone");
    let t = Instant::now();
    for p in &proofs {
        caselog::tlog::prooffile::verify_inclusion_file(p, &policy).expect("proof verifies");
    }
    let pv = rate(proofs.len() as u64, t.elapsed());
    rows.push((
        format!("inclusion proof gen at {} entries", size.0),
        format!(
            "p50 {:.3} ms, p99 {:.3} ms",
            ms(gen[gen.len() / 2]),
            ms(gen[gen.len() * 99 / 100])
        ),
        format!("{max_hashes} hashes max; target p50 < 1 ms"),
    ));
    rows.push((
        "inclusion proof verify (offline, full)".into(),
        format!("{pv:.0} /s"),
        format!(
            "{:.2} x verify_strict ceiling (2 signatures each)",
            pv / verify_rate
        ),
    ));
    drop(l);

    // CLI `caselog verify` and exports of the large ledger: rate and peak
    // RSS (exports stream: their RSS must not grow with the ledger).
    if let (Some(bin), true) = (&cli, Path::new("/usr/bin/time").exists()) {
        let (secs, rss_kb) = run_timed(bin, &dir, &["verify"]);
        let cli_verify_rate = rate(size.0, secs);
        rows.push((
            format!("CLI verify {} entries", size.0),
            format!("{cli_verify_rate:.0} /s, peak RSS {} MiB", rss_kb / 1024),
            format!(
                "{:.2} x all-core ceiling; target RSS < 64 MiB",
                cli_verify_rate / verify_all
            ),
        ));
        for (what, format) in [
            ("bundle", None),
            ("Timesketch", Some("timesketch")),
            ("CSV timeline", Some("csv")),
            ("JSON timeline", Some("json")),
        ] {
            let out = tmp.path().join(format!("export-{what}"));
            let out_s = out.to_str().expect("utf-8 temp path");
            let args: Vec<&str> = match format {
                None => vec!["export", "bundle", "--out", out_s],
                Some(f) => vec!["export", "--format", f, "--out", out_s],
            };
            let (secs, rss_kb) = run_timed(bin, &dir, &args);
            let mib = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) >> 20;
            rows.push((
                format!("CLI export {what}, {} entries", size.0),
                format!(
                    "{:.0} /s, peak RSS {} MiB",
                    rate(size.0, secs),
                    rss_kb / 1024
                ),
                format!(
                    "{mib} MiB written; {:.2} x CLI verify rate",
                    rate(size.0, secs) / cli_verify_rate
                ),
            ));
            let _ = std::fs::remove_file(&out);
        }
        // Daily use at this size (issue 28): `status` reads meta rows, not
        // records; `log --grep` with no match reads and searches every entry.
        let (secs, rss_kb) = run_timed(bin, &dir, &["status"]);
        rows.push((
            format!("CLI status, {} entries", size.0),
            format!("{:.0} ms, peak RSS {} MiB", ms(secs), rss_kb / 1024),
            "reads the state rows, not the records; target < 1 s".into(),
        ));
        let (secs, rss_kb) = run_timed(bin, &dir, &["log", "--grep", "no such words"]);
        rows.push((
            format!("CLI log --grep (no match), {} entries", size.0),
            format!(
                "{:.0} /s, peak RSS {} MiB",
                rate(size.0, secs),
                rss_kb / 1024
            ),
            format!(
                "every entry decoded and searched; {:.2} x CLI verify rate",
                rate(size.0, secs) / cli_verify_rate
            ),
        ));
        let (secs, _) = run_timed(bin, &dir, &["log", "--seq", "500000..500099"]);
        rows.push((
            format!("CLI log --seq (100 entries), {} entries", size.0),
            format!("{:.0} ms", ms(secs)),
            "reads from the first seq asked, stops after the last".into(),
        ));
    }

    // The passphrase KDF's deliberate cost (bcrypt-pbkdf, OpenSSH's default
    // 16 rounds), against loading an unencrypted key.
    {
        let plain = tmp.path().join("kdf-plain");
        let enc = tmp.path().join("kdf-enc");
        keys::write_key_files(&signer, &plain, None).expect("key");
        keys::write_key_files(&signer, &enc, Some(b"bench passphrase")).expect("key");
        let time = |p: &Path, pass: Option<&[u8]>| {
            let mut v: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    keys::load_private(p, pass).expect("load key");
                    t.elapsed()
                })
                .collect();
            v.sort();
            v[2]
        };
        let (tp, te) = (time(&plain, None), time(&enc, Some(b"bench passphrase")));
        rows.push((
            "key load, passphrase (KDF)".into(),
            format!("{:.1} ms", ms(te)),
            format!(
                "deliberate cost; unencrypted key {:.2} ms; not in CLI note p50",
                ms(tp)
            ),
        ));
    }

    // CLI `caselog note` latency (process start, key load, open, append, sync).
    if let Some(bin) = cli {
        let key = tmp.path().join("clikey");
        keys::write_key_files(&signer, &key, None).expect("key");
        let mut lat = Vec::new();
        for i in 0..50 {
            let t = Instant::now();
            let st = Command::new(&bin)
                .arg("--ledger")
                .arg(&dir)
                .arg("--key")
                .arg(&key)
                .arg("note")
                .arg(format!("cli bench {i}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("run caselog");
            assert!(st.success(), "caselog note failed");
            lat.push(t.elapsed());
        }
        lat.sort();
        let p50 = lat[lat.len() / 2];
        let p99 = lat[lat.len() * 99 / 100];
        rows.push((
            format!("CLI note on {}-entry ledger", size.0),
            format!("p50 {:.1} ms, p99 {:.1} ms", ms(p50), ms(p99)),
            format!(
                "{:.0} /s = {:.2} x library single append",
                1.0 / p50.as_secs_f64(),
                (1.0 / p50.as_secs_f64()) / single
            ),
        ));
    }

    println!("{:<38} {:>28}   ratio", "measure", "result");
    for (a, b, c) in rows {
        println!("{a:<38} {b:>28}   {c}");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn init(dir: &Path, signer: &Signer) -> Ledger {
    Ledger::init(
        dir,
        Genesis {
            case_id: "BENCH",
            title: "benchmark ledger",
            hash: HashAlg::Blake3,
            time: Timestamp::now(),
            ledger_id: None,
            checkpoint_every: None,
            zone: None,
        },
        signer,
    )
    .expect("init")
}

/// `--append-only N`: time building N notes with `append_batch`, one
/// synced call after another; `--append-pipelined N`: the same calls
/// inside [`Ledger::pipelined`]; `--verify-only N`: build them untimed,
/// then time the full verify.
fn profile_one(mode: &str, n: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let signer = Signer::from_seed("bench authority", &[5u8; 32]);
    let dir = tmp.path().join("l");
    let mut l = init(&dir, &signer);
    let t = Instant::now();
    if mode == "--append-pipelined" {
        fill_pipelined(&mut l, &signer, n, note);
        println!(
            "append_batch, pipelined: {:.0} /s",
            rate(n - 1, t.elapsed())
        );
        return;
    }
    fill(&mut l, &signer, n, note);
    if mode == "--append-only" {
        println!("append_batch: {:.0} /s", rate(n - 1, t.elapsed()));
        return;
    }
    drop(l);
    let store = caselog::storage::store::Store::open(&dir).expect("open");
    let t = Instant::now();
    let r = verify_store(&store).expect("verify");
    assert!(r.is_ok());
    println!("verify: {:.0} /s", rate(r.entries, t.elapsed()));
}

/// Append `body(i)` for i from the ledger's size up to `n`, 1,000 per
/// `append_batch` (one synced WriteBatch each).
fn fill(l: &mut Ledger, signer: &Signer, n: u64, body: fn(u64) -> Body) {
    let mut done = l.head().tree.size.0;
    while done < n {
        let k = 1000.min(n - done);
        let items: Vec<_> = (0..k).map(|i| (body(done + i), signer)).collect();
        l.append_batch_at(items, Timestamp::now())
            .expect("append batch");
        done += k;
    }
}

/// [`fill`] inside [`Ledger::pipelined`]: each batch is written and
/// synced by the committer while the next is signed. Returns once all are
/// durable.
fn fill_pipelined(l: &mut Ledger, signer: &Signer, n: u64, body: fn(u64) -> Body) {
    let run = l.pipelined(|l| fill(l, signer, n, body)).expect("pipeline");
    assert!(run.commit_error.is_none(), "commit: {:?}", run.commit_error);
}

/// Run `bin --ledger dir ARGS` under `/usr/bin/time`: wall time and peak
/// RSS in KiB. Panics with the command's stderr if it fails.
fn run_timed(bin: &str, dir: &Path, args: &[&str]) -> (Duration, u64) {
    let t = Instant::now();
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(bin)
        .arg("--ledger")
        .arg(dir)
        .args(args)
        .output()
        .expect("run caselog");
    let secs = t.elapsed();
    assert!(
        o.status.success(),
        "caselog {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rss_kb = String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (secs, rss_kb)
}

/// Peak resident memory of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Named hostile CBOR inputs through the record and bundle decoders: each
/// must be refused with its own error, fast, without growing memory.
fn hostile() {
    let big = caselog::format::cbor::MAX_ENCODED_LEN;
    let mut fixtures: Vec<(&str, Vec<u8>)> = vec![
        ("duplicate map keys", hex::decode("a2616101616102").unwrap()),
        ("non-shortest integer", hex::decode("190017").unwrap()),
        ("indefinite-length array", hex::decode("9f01ff").unwrap()),
        (
            "indefinite-length byte string",
            hex::decode("5f4101ff").unwrap(),
        ),
        ("tag (epoch time)", hex::decode("c11a514b67b0").unwrap()),
        ("trailing bytes", hex::decode("820102ff").unwrap()),
        ("invalid UTF-8 text", hex::decode("62c328").unwrap()),
        ("half-precision float", hex::decode("f93c00").unwrap()),
        (
            "byte string of length 2^63, no data",
            hex::decode("5b8000000000000000").unwrap(),
        ),
        (
            "array of length 2^63, no data",
            hex::decode("9b8000000000000000").unwrap(),
        ),
        (
            "map of length 2^64-1, no data",
            hex::decode("bbffffffffffffffff").unwrap(),
        ),
    ];
    fixtures.push(("array nested 100,000 deep", vec![0x81; 100_000]));
    fixtures.push(("map nested 100,000 deep", {
        let mut v = Vec::new();
        for _ in 0..100_000 {
            v.extend_from_slice(&[0xa1, 0x61, 0x61]);
        }
        v
    }));
    fixtures.push(("oversized entry (1 MiB + 1)", {
        let mut v = vec![0x5a];
        v.extend_from_slice(&((big as u32) + 1).to_be_bytes());
        v.resize(big + 6, 0);
        v
    }));
    let base = peak_rss_kib();
    println!(
        "{:<40} {:>10} {:>10}   error",
        "hostile input", "bytes", "max ms"
    );
    let mut worst = Duration::ZERO;
    for (name, bytes) in &fixtures {
        let mut max = Duration::ZERO;
        let mut err = String::new();
        for _ in 0..20 {
            let t = Instant::now();
            let r = caselog::Record::decode(bytes);
            let b = caselog::audit::bundle::Bundle::decode(bytes);
            max = max.max(t.elapsed());
            assert!(r.is_err() && b.is_err(), "{name}: accepted");
            err = r.err().map(|e| e.to_string()).unwrap_or_default();
        }
        worst = worst.max(max);
        println!("{name:<40} {:>10} {:>10.3}   {err}", bytes.len(), ms(max));
    }
    let grew = peak_rss_kib().saturating_sub(base);
    println!(
        "all {} refused by the record and bundle decoders; slowest {:.3} ms (target < 100 ms); peak RSS grew {grew} KiB while decoding",
        fixtures.len(),
        ms(worst)
    );
}

/// Best of 3 over 256 MiB in RAM, one thread: SHA-256 (sha2), BLAKE3, and
/// `hash_serial` (both, 128 KiB chunks), in MB/s.
fn one_core_rates() {
    use sha2::Digest as _;
    let buf: Vec<u8> = (0..256u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let rate = |f: &dyn Fn()| {
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min);
        buf.len() as f64 / 1e6 / best
    };
    let sha = rate(&|| {
        std::hint::black_box(sha2::Sha256::digest(&buf));
    });
    let b3 = rate(&|| {
        std::hint::black_box(blake3::hash(&buf));
    });
    let both = rate(&|| {
        std::hint::black_box(caselog::storage::evidence::hash_serial(&buf[..], None).unwrap());
    });
    println!("{sha:.0} {b3:.0} {both:.0}");
}

/// The Ed25519 ceilings, measured now: (sign on 1 core, verify_strict on 1
/// core key decoded per call, on 1 core key decoded once, on all cores per
/// call, on all cores once), per second, with their table rows.
fn ed25519_ceilings(signer: &Signer, rows: &mut Vec<(String, String, String)>) -> [f64; 5] {
    let msg = vec![0x5au8; 300];
    let n = 20_000u64;
    let t = Instant::now();
    let mut sig = [0u8; 64];
    for i in 0..n {
        let mut m = msg.clone();
        m[0] = i as u8;
        sig = signer.sign(&m).unwrap();
    }
    let sign_rate = rate(n, t.elapsed());
    let mut m0 = msg.clone();
    m0[0] = (n - 1) as u8;
    // verify_strict two ways: decoding the public key on every call (what
    // a verifier without a key cache does; the ceiling) and with
    // the key decoded once (the signature check alone).
    let pk = signer.public().0;
    let sg = ed25519_dalek::Signature::from_bytes(&sig);
    let per_call = || {
        ed25519_dalek::VerifyingKey::from_bytes(&pk)
            .expect("key")
            .verify_strict(&m0, &sg)
            .expect("verifies")
    };
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&pk).expect("key");
    let once = || vk.verify_strict(&m0, &sg).expect("verifies");
    let t = Instant::now();
    (0..n).for_each(|_| per_call());
    let verify_rate = rate(n, t.elapsed());
    let t = Instant::now();
    (0..n).for_each(|_| once());
    let verify_once = rate(n, t.elapsed());
    rows.push((
        "ed25519 sign, 1 core".into(),
        format!("{sign_rate:.0} /s"),
        "ceiling".into(),
    ));
    rows.push((
        "ed25519 verify_strict, 1 core".into(),
        format!("{verify_rate:.0} /s"),
        "ceiling (key decoded per call)".into(),
    ));
    rows.push((
        "ed25519 verify_strict, 1 core".into(),
        format!("{verify_once:.0} /s"),
        "ceiling (key decoded once)".into(),
    ));
    // All cores: the ceilings for the parallel verifier.
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let all = |f: &(dyn Fn() + Sync)| {
        use rayon::prelude::*;
        let t = Instant::now();
        (0..n * cores as u64).into_par_iter().for_each(|_| f());
        rate(n * cores as u64, t.elapsed())
    };
    let verify_all = all(&per_call);
    let verify_all_once = all(&once);
    rows.push((
        format!("ed25519 verify_strict, {cores} cores"),
        format!("{verify_all:.0} /s"),
        "ceiling (key decoded per call)".into(),
    ));
    rows.push((
        format!("ed25519 verify_strict, {cores} cores"),
        format!("{verify_all_once:.0} /s"),
        "ceiling (key decoded once)".into(),
    ));

    [
        sign_rate,
        verify_rate,
        verify_once,
        verify_all,
        verify_all_once,
    ]
}
