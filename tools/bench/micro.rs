//! Criterion micro-benchmarks of the per-entry hot paths: what one append
//! and one verified entry cost, piece by piece. `cargo bench --bench micro`
//! (tools/bench/run prints the ledger-level table with ratios instead).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use caselog::format::entry::{Body, Entry, LedgerId, Note, Record, Seq};
use caselog::format::hash::Hash;
use caselog::storage::keys::Signer;
use caselog::{HashAlg, Timestamp};

fn entry(signer: &Signer) -> Entry {
    Entry {
        item_prev: None,
        ledger: LedgerId([7; 16]),
        seq: Seq(123_456),
        prev: Hash([9; 32]),
        time: Timestamp::now(),
        author: signer.public(),
        body: Body::Note(Note {
            text: "Benchmark note: tip line call logged, caller declined to give a name; follow-up assigned.".into(),
        }),
        sd: Vec::new(),
    }
}

fn per_entry(c: &mut Criterion) {
    let signer = Signer::from_seed("bench", &[5; 32]);
    let e = entry(&signer);
    let rec = Record::sign(&e, &signer).unwrap();
    let raw = rec.encode();
    let mut g = c.benchmark_group("entry");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode", |b| b.iter(|| black_box(&e).encode()));
    g.bench_function("encode+sign (Record::sign)", |b| {
        b.iter(|| Record::sign(black_box(&e), &signer).unwrap())
    });
    g.bench_function("strict decode (record + entry)", |b| {
        b.iter(|| {
            let r = Record::decode(black_box(&raw)).unwrap();
            Entry::decode(&r.entry_bytes).unwrap()
        })
    });
    g.bench_function("verify_strict signature", |b| {
        b.iter(|| rec.verify_signature(&signer.public()).unwrap())
    });
    for alg in [HashAlg::Blake3, HashAlg::Sha256] {
        g.bench_function(format!("leaf hash {}", alg.name()), |b| {
            b.iter(|| alg.leaf(black_box(&raw)))
        });
    }
    g.finish();
}

fn edtf(c: &mut Criterion) {
    c.bench_function("edtf parse interval", |b| {
        b.iter(|| caselog::format::edtf::Edtf::parse(black_box("2008-11-01/2008-11-06")).unwrap())
    });
}

criterion_group!(benches, per_entry, edtf);
criterion_main!(benches);
