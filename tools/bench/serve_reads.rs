//! Served reads through the access log (issue 29, item 2), for
//! `serve_bench --reads R`: C clients x R signed `GET api/show/N`, each
//! recorded and synced before it is answered; beside the ceiling it rests
//! on, this machine's rate of synced appends to one file (measured here,
//! same run), and the time `caselog access verify` takes over the log.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use caselog::net::httpsig::{self, Params, RequestParts};
use caselog::storage::keys::Signer;

/// One client's R reads; the number answered 200.
fn client(url: &str, s: &Signer, reads: usize, entries: u64) -> usize {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = url.trim_end_matches('/');
    let authority = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let case_path = base
        .split_once(&authority)
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();
    let mut ok = 0;
    for i in 0..reads {
        let path = format!("{case_path}/api/show/{}", i as u64 % entries);
        let params = Params {
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs(),
            nonce: format!("{}-{i}-{}", s.public().short(), std::process::id()),
            key: s.public(),
            with_digest: false,
        };
        let parts = RequestParts {
            method: "GET",
            authority: &authority,
            path: &path,
            query: "?",
            content_digest: None,
        };
        let (input, sig) = httpsig::sign(s, &params, &parts).expect("sign");
        let r = agent
            .get(&format!("http://{authority}{path}"))
            .header("signature-input", &input)
            .header("signature", &sig)
            .call();
        ok += usize::from(r.is_ok_and(|r| r.status() == 200));
    }
    ok
}

/// Synced appends of `n` records of `len` bytes to one file, per second.
fn fsync_ceiling(dir: &Path, n: usize, len: usize) -> f64 {
    use std::io::Write as _;
    let mut f = std::fs::File::create(dir.join("ceiling")).expect("file");
    let rec = vec![0x5a; len];
    let t = Instant::now();
    for _ in 0..n {
        f.write_all(&rec).expect("write");
        f.sync_data().expect("sync");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// Run the read phase against the served ledger at `dir` (`url`), with
/// `signers` enrolled; prints its rows.
pub fn run(cli: &str, dir: &Path, url: &str, signers: Vec<Signer>, reads: usize, entries: u64) {
    let clients = signers.len();
    let t = Instant::now();
    let handles: Vec<_> = signers
        .into_iter()
        .map(|s| {
            let url = url.to_owned();
            std::thread::spawn(move || client(&url, &s, reads, entries))
        })
        .collect();
    let ok: usize = handles.into_iter().map(|h| h.join().expect("client")).sum();
    let rate = ok as f64 / t.elapsed().as_secs_f64();
    let ceiling = fsync_ceiling(dir, 2000, 330);
    let t = Instant::now();
    let out = Command::new(cli)
        .arg("--ledger")
        .arg(dir)
        .args(["access", "verify", "--json"])
        .output()
        .expect("access verify");
    let took = t.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    println!("== served reads through the access log: {clients} clients x {reads} GET api/show/N (same run)");
    println!(
        "{:<44} {:>12}",
        "synced 330-byte appends to one file (ceiling)",
        format!("{ceiling:.0}/s")
    );
    println!(
        "{:<44} {:>12}   ratio {:.2} to the ceiling",
        "caselog serve, reads answered and recorded",
        format!("{rate:.0}/s"),
        rate / ceiling
    );
    println!(
        "access log: {} records for {ok} answered reads; access verify {} in {took:.2} s ({:.0} records/s)",
        v["records"],
        if v["verified"] == true { "VERIFIED" } else { "FAILED" },
        v["records"].as_f64().unwrap_or(0.0) / took
    );
}
