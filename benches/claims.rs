//! Claim edits + scoring in-process on one core: claims built from generated
//! keys (half of them with one element changed), each run through every edit
//! and scored against its key. Target ≥ 100,000 claims/s.
//!
//! `cargo bench --bench claims` (criterion times one claim, then the
//! throughput run prints claims/s).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;

use practicum::claims::edits::{EditConfig, run};
use practicum::claims::scoring::{ScoringPolicy, claim_of_key, score};
use practicum::scenarios::library::{Library, window};

fn main() {
    let codes = practicum::codes::shipped_shared().expect("code sets");
    let library = Library::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &codes,
        8,
    );
    let dates = window(&codes).expect("a release");
    let mut cases = Vec::new();
    for s in library.all() {
        for seed in 0..50u64 {
            let g = s.generate(seed, dates).expect("generates");
            let mut claim = claim_of_key(&g.key);
            if seed % 2 == 1 {
                claim.lines[0].units += 1;
                claim.diagnoses.push("R69".into());
            }
            cases.push((claim.normalized().expect("fits the form"), g.key));
        }
    }
    let cfg = EditConfig::shipped().expect("edit lists");
    let policy = ScoringPolicy::default();
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3));
    let (right, key) = &cases[0];
    let (wrong, _) = &cases[1];
    c.bench_function("edits + scoring, a claim matching its key", |b| {
        b.iter(|| score(right, key, &policy, &run(black_box(right), &codes, &cfg)).total)
    });
    c.bench_function("edits + scoring, a claim with two errors", |b| {
        b.iter(|| score(wrong, key, &policy, &run(black_box(wrong), &codes, &cfg)).total)
    });
    c.final_summary();

    // `--test` (CI) checks the run works with one round.
    let rounds = if std::env::args().any(|a| a == "--test") {
        1
    } else {
        40
    };
    let started = Instant::now();
    let mut total = 0.0;
    for _ in 0..rounds {
        for (claim, key) in &cases {
            let findings = run(claim, &codes, &cfg);
            total += score(claim, key, &policy, &findings).total;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let n = cases.len() * rounds;
    println!(
        "edits + scoring: {n} claims in {secs:.2} s = {:.0} claims/s on one core (target ≥ 100,000); mean score {:.1}",
        n as f64 / secs,
        total / n as f64
    );
}
