//! The cohort report for 200 students × 300 claims each (60,000 scored
//! claims) on SQLite: how long reading and computing it takes, and the
//! JSON it becomes. Target < 500 ms.
//!
//! `cargo bench --bench reports` (set `PRACTICUM_BENCH_STUDENTS` and
//! `PRACTICUM_BENCH_CLAIMS` to change the size).

use std::time::Instant;

use diesel::prelude::*;
use practicum::claims::scoring::{ScoringPolicy, claim_of_key, score};
use practicum::config::{RawSettings, Settings};
use practicum::practicum::reports::tally;
use practicum::scenarios::AnswerKey;
use practicum::scenarios::library::{GenerationRequest, Library};
use practicum::service::ehr::store_plan;
use practicum::startup::prepare_database;
use practicum::store::schema::{claim_scores, claim_submissions};
use practicum::store::{DbConn, cohorts, ehr, programs, users};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[actix_web::main]
async fn main() {
    let students = env("PRACTICUM_BENCH_STUDENTS", 200);
    let per_student = env("PRACTICUM_BENCH_CLAIMS", 300);
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings::from_raw(RawSettings {
        data_dir: Some(dir.path().to_path_buf()),
        log: Some("warn".into()),
        ..Default::default()
    })
    .expect("settings");
    let (pool, _) = prepare_database(&settings, true).await.expect("database");
    let codes = practicum::codes::shipped_shared().expect("code sets");
    let library = Library::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &codes,
        8,
    );
    let mut conn = pool.get().expect("connection");
    let program = programs::find_by_name(&mut conn, "Demo Coding Certificate")
        .expect("query")
        .expect("demo program");
    let cohort = cohorts::list(&mut conn, program.id, None).expect("cohorts")[0].clone();

    // Fixture: students enrolled, encounters generated, claims scored.
    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..students {
        let u = users::insert(
            &mut conn,
            users::NewUser {
                email: format!("bench{i}@students.example"),
                display_name: format!("Bench Student {i:03}"),
                role: "student".into(),
                credential: None,
                program_id: program.id,
                password_hash: "x".into(),
            },
        )
        .expect("user");
        cohorts::enrol(&mut conn, cohort.id, u.id, "student").expect("enrol");
        ids.push(u.id);
    }
    let plan = library
        .plan(&GenerationRequest {
            count: per_student as u32,
            seed: 99,
            ..Default::default()
        })
        .expect("plan");
    let run = ehr::open_run(
        &mut conn,
        &ehr::NewRun {
            cohort_id: cohort.id,
            requested_by: None,
            seed: 99,
            requested: per_student as i32,
            areas: String::new(),
            difficulties: String::new(),
        },
    )
    .expect("run");
    let encounters = store_plan(&mut conn, &library, &run, &plan, |_| {})
        .expect("store")
        .all;
    // One perfect and one flawed score per encounter, alternated by student.
    let mut scored = Vec::new();
    for e in &encounters {
        let keys = ehr::keys_of(&mut conn, *e).expect("keys");
        let key: AnswerKey = serde_json::from_str(&keys[0].body).expect("key");
        let perfect = claim_of_key(&key);
        let mut flawed = perfect.clone();
        flawed.lines[0].units += 1;
        let policy = ScoringPolicy::default();
        let a = score(&perfect, &key, &policy, &[]);
        let b = score(&flawed, &key, &policy, &[]);
        let body = serde_json::to_string(&perfect).expect("claim");
        scored.push([
            (
                a.total,
                a.passed,
                serde_json::to_string(&tally(&a)).expect("tally"),
                serde_json::to_string(&a).expect("report"),
                body.clone(),
            ),
            (
                b.total,
                b.passed,
                serde_json::to_string(&tally(&b)).expect("tally"),
                serde_json::to_string(&b).expect("report"),
                body,
            ),
        ]);
    }
    let DbConn::Sqlite(c) = &mut *conn else {
        panic!("the benchmark runs on SQLite");
    };
    let at = practicum::store::now();
    c.immediate_transaction(|c| -> QueryResult<()> {
        for (si, student) in ids.iter().enumerate() {
            for (ei, e) in encounters.iter().enumerate() {
                let (total, passed, t, report, body) = &scored[ei][(si + ei) % 2];
                let sub: i64 = diesel::insert_into(claim_submissions::table)
                    .values((
                        claim_submissions::encounter_id.eq(e),
                        claim_submissions::student_id.eq(student),
                        claim_submissions::version.eq(1),
                        claim_submissions::body.eq(body),
                        claim_submissions::idempotency_key.eq(format!("b{si}-{ei}")),
                        claim_submissions::submitted_at
                            .eq(at - chrono::Duration::hours((ei % 300) as i64)),
                        claim_submissions::late.eq(false),
                    ))
                    .returning(claim_submissions::id)
                    .get_result(c)?;
                diesel::insert_into(claim_scores::table)
                    .values((
                        claim_scores::submission_id.eq(sub),
                        claim_scores::key_version.eq(1),
                        claim_scores::engine_version.eq("scoring-1"),
                        claim_scores::total.eq(total),
                        claim_scores::passed.eq(passed),
                        claim_scores::report.eq(report),
                        claim_scores::created_at.eq(at),
                        claim_scores::tally.eq(t),
                    ))
                    .execute(c)?;
            }
        }
        Ok(())
    })
    .expect("claims");
    println!(
        "fixture: {students} students × {} encounters = {} scored claims in {:.1} s",
        encounters.len(),
        students * encounters.len(),
        started.elapsed().as_secs_f64()
    );

    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let report =
            practicum::service::reports::cohort_report_from(&mut conn, cohort.id).expect("report");
        bytes = serde_json::to_vec(&report).expect("json").len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(report.overall.claims as usize, students * encounters.len());
    }
    times.sort_by(f64::total_cmp);
    let t = Instant::now();
    let rows = practicum::store::reports::cohort_scores(&mut conn, cohort.id).expect("rows");
    let query = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let parsed = rows
        .iter()
        .filter(|r| serde_json::from_str::<practicum::practicum::reports::Tally>(&r.tally).is_ok())
        .count();
    let parse = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "  of which: score query {query:.0} ms ({} rows), tally parsing {parse:.0} ms ({parsed})",
        rows.len()
    );
    println!(
        "cohort report (read + compute + JSON, {} KiB): min {:.0} ms, median {:.0} ms, max {:.0} ms (target < 500 ms)",
        bytes / 1024,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
