//! Code-set benchmarks: load time from the shipped fixtures, resident memory
//! afterwards, validations per second on one core, and search latency.
//!
//! Run: `cargo bench --bench codes`. Besides criterion's timings it prints a
//! summary with RSS and search p50/p99.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::Criterion;
use practicum::codes::CodeSets;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A realistic mix: billable codes, expansions, headers, bad 7th characters, typos.
fn sample_codes(sets: &CodeSets) -> Vec<String> {
    let t = sets.icd10cm_latest().expect("release");
    let billable = t.billable_codes();
    let mut out: Vec<String> = billable.iter().step_by(37).map(|k| k.dotted()).collect();
    out.extend(
        [
            "E11", "S52.521B", "S52.531", "Z99.999", "e119", "s52531a", "QA0.0101", "12345",
        ]
        .map(str::to_owned),
    );
    out
}

const QUERIES: &[&str] = &[
    "colles fracture right",
    "type 2 diabetes with hyperglycemia",
    "wheezing",
    "S52.5",
    "E11.3",
    "essential hypertension",
    "acute otitis media right ear",
    "concussion loss of consciousness",
    "dexamethasone",
    "99214",
    "crutches",
    "screening colonoscopy",
    "laceration forearm",
    "fract",
];

fn main() {
    let before = rss_mib();
    let start = Instant::now();
    let sets = CodeSets::shipped().expect("load");
    let load = start.elapsed();
    let after = rss_mib();
    let codes = sample_codes(&sets);
    if let Ok(path) = std::env::var("PRACTICUM_BENCH_CODES") {
        std::fs::write(&path, codes.join("\n")).expect("write the sample codes");
    }
    let dos = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();

    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3))
        .sample_size(10);
    c.bench_function("codeset load (all shipped sets + index)", |b| {
        b.iter(|| black_box(CodeSets::shipped().expect("load")))
    });
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3));
    c.bench_function(
        &format!("icd10cm validate ({} mixed codes)", codes.len()),
        |b| {
            b.iter(|| {
                for code in &codes {
                    black_box(sets.validate_icd10cm(black_box(code), dos).is_ok());
                }
            })
        },
    );
    for q in ["colles fracture right", "S52.5", "fract"] {
        c.bench_function(&format!("search {q:?}"), |b| {
            b.iter(|| black_box(sets.search().search(black_box(q), None, 20)))
        });
    }

    // Validations per second, single thread, measured directly.
    let rounds = 200;
    let t0 = Instant::now();
    let mut ok = 0usize;
    for _ in 0..rounds {
        for code in &codes {
            ok += usize::from(sets.validate_icd10cm(black_box(code), dos).is_ok());
        }
    }
    let per_sec = (rounds * codes.len()) as f64 / t0.elapsed().as_secs_f64();
    black_box(ok);

    let mut lat: Vec<f64> = Vec::new();
    for _ in 0..50 {
        for q in QUERIES {
            let t = Instant::now();
            black_box(sets.search().search(q, None, 20));
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];

    println!("\n== code-set figures (one core) ==");
    println!(
        "load from shipped fixtures: {:.0} ms (first load in this process)",
        load.as_secs_f64() * 1000.0
    );
    println!("RSS: {before:.1} MiB before, {after:.1} MiB after loading every code set");
    println!(
        "ICD-10-CM validations: {:.2} million/s ({} mixed codes x {rounds})",
        per_sec / 1e6,
        codes.len()
    );
    println!(
        "search latency over {} queries: p50 {:.3} ms, p99 {:.3} ms",
        lat.len(),
        pct(0.5),
        pct(0.99)
    );
}
