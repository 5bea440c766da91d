//! Bulk generation into SQLite: a cohort's run of N encounters (default
//! 30,000) generated and stored the way `practicum generate --cohort` does,
//! in a fresh database under a temporary directory.
//!
//! `cargo bench --bench ehr` (set `PRACTICUM_BENCH_ENCOUNTERS` to change N).

use std::time::Instant;

use practicum::config::{RawSettings, Settings};
use practicum::scenarios::library::{GenerationRequest, Library};
use practicum::service::ehr::store_plan;
use practicum::startup::prepare_database;
use practicum::store::{cohorts, ehr, programs};

#[actix_web::main]
async fn main() {
    let count: u32 = std::env::var("PRACTICUM_BENCH_ENCOUNTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings::from_raw(RawSettings {
        data_dir: Some(dir.path().to_path_buf()),
        log: Some("warn".into()),
        ..Default::default()
    })
    .expect("settings");
    let (pool, _) = prepare_database(&settings, true).await.expect("database");
    let codes = practicum::codes::shipped_shared().expect("code sets");
    let started = Instant::now();
    let library = Library::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &codes,
        32,
    );
    let loaded = started.elapsed();
    let mut conn = pool.get().expect("connection");
    let program = programs::find_by_name(&mut conn, "Demo Coding Certificate")
        .expect("query")
        .expect("demo program");
    let cohort = cohorts::list(&mut conn, program.id, None).expect("cohorts")[0].clone();
    let req = GenerationRequest {
        count,
        seed: 4242,
        ..Default::default()
    };
    let plan = library.plan(&req).expect("plan");
    let run = ehr::open_run(
        &mut conn,
        &ehr::NewRun {
            cohort_id: cohort.id,
            requested_by: None,
            seed: 4242,
            requested: count as i32,
            areas: String::new(),
            difficulties: String::new(),
        },
    )
    .expect("run");
    let started = Instant::now();
    let outcome = store_plan(&mut conn, &library, &run, &plan, |_| {}).expect("stored");
    let took = started.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(dir.path().join("practicum.db"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "library loaded and validated ({} scenarios, 32 combinations each) in {:.2} s",
        library.all().len(),
        loaded.as_secs_f64()
    );
    println!(
        "bulk generation into SQLite: {} encounters stored in {:.2} s ({:.0}/s, target < 30 s for 30,000); database {:.1} MiB",
        outcome.created.len(),
        took,
        outcome.created.len() as f64 / took,
        db_bytes as f64 / 1_048_576.0
    );
    assert_eq!(
        outcome.created.len(),
        count as usize,
        "every planned encounter stored"
    );
}
