//! Encounter generation speed: documents + key, no database, one core.
//! Run: `cargo bench --bench scenarios` (criterion times single encounters,
//! then the throughput run over every scenario prints encounters/s).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;

use practicum::codes::CodeSets;
use practicum::scenarios::load_dir;

fn main() {
    let (lib, errors) = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")));
    assert!(errors.is_empty(), "{errors:?}");
    let codes = CodeSets::shipped().expect("code sets");
    let t = codes.icd10cm_latest().expect("release");
    let window = (t.release.effective_from, t.release.effective_to);
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3));
    for s in lib.iter().take(3) {
        c.bench_function(&format!("generate one encounter: {}", s.spec.id), |b| {
            let mut seed = 0u64;
            b.iter(|| {
                seed += 1;
                s.generate(black_box(seed), window).expect("generate")
            })
        });
    }
    c.final_summary();

    // `--test` (CI) checks the run works with a small count.
    let per_scenario = if std::env::args().any(|a| a == "--test") {
        20
    } else {
        2_000u64
    };
    let start = Instant::now();
    let mut chars = 0usize;
    for s in &lib {
        for seed in 0..per_scenario {
            let g = s.generate(black_box(seed), window).expect("generate");
            chars += g
                .encounter
                .documents
                .iter()
                .map(|d| d.text.len())
                .sum::<usize>();
            black_box(&g.key);
        }
    }
    let n = per_scenario as usize * lib.len();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "generated {n} encounters from {} scenarios in {secs:.2} s: {:.0} encounters/s on one core ({} MB of documents)",
        lib.len(),
        n as f64 / secs,
        chars / 1_000_000
    );
}
