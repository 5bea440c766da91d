//! Demo data for trying the product: one program, one cohort in the current
//! term, an administrator, a supervisor and five students.

use chrono::NaiveDate;

use crate::auth::password;
use crate::practicum::programs::academic_term;
use crate::store::cohorts::CohortFields;
use crate::store::programs::ProgramFields;
use crate::store::users::NewUser;
use crate::store::{DbConn, StoreResult, cohorts, programs, users};

/// Password of every demo account. For trying the product only.
pub const DEMO_PASSWORD: &str = "practicum-demo";
/// Name of the demo program.
pub const DEMO_PROGRAM: &str = "Demo Coding Certificate";

/// The demo accounts: e-mail, name, role, credential.
pub const DEMO_ACCOUNTS: [(&str, &str, &str, Option<&str>); 7] = [
    ("admin@demo.example", "Avery Admin", "program_admin", None),
    (
        "supervisor@demo.example",
        "Sam Supervisor",
        "supervisor",
        Some("CPC, RHIT"),
    ),
    ("student1@demo.example", "Student One", "student", None),
    ("student2@demo.example", "Student Two", "student", None),
    ("student3@demo.example", "Student Three", "student", None),
    ("student4@demo.example", "Student Four", "student", None),
    ("student5@demo.example", "Student Five", "student", None),
];

/// The warning printed after seeding, listing the accounts.
pub fn announcement() -> String {
    let mut text = String::from(
        "Demo data seeded. These accounts are for trying the product only; never use them for real students:\n",
    );
    for (email, _, role, _) in DEMO_ACCOUNTS {
        text.push_str(&format!(
            "  {email:<26} {role:<14} password: {DEMO_PASSWORD}\n"
        ));
    }
    text
}

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The demo was created.
    Seeded,
    /// The demo program already existed; nothing changed.
    AlreadyPresent,
}

/// Hashes the demo password once per account (each with its own salt).
pub fn demo_hashes() -> anyhow::Result<Vec<String>> {
    DEMO_ACCOUNTS
        .iter()
        .map(|_| password::hash(DEMO_PASSWORD))
        .collect()
}

/// Creates the demo records unless the demo program exists already.
pub fn seed(conn: &mut DbConn, today: NaiveDate, hashes: &[String]) -> StoreResult<SeedOutcome> {
    if programs::find_by_name(conn, DEMO_PROGRAM)?.is_some() {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let program = programs::insert(
        conn,
        &ProgramFields {
            name: DEMO_PROGRAM.into(),
            ppe_hours_required: 40,
            pass_threshold_pct: 80,
        },
        None,
    )?;
    let (term_name, term_start, term_end) = academic_term(today);
    let cohort = cohorts::insert(
        conn,
        program.id,
        &CohortFields {
            name: format!("{term_name} cohort"),
            term_start,
            term_end,
        },
    )?;
    for ((email, name, role, credential), hash) in DEMO_ACCOUNTS.iter().zip(hashes) {
        let user = users::insert(
            conn,
            NewUser {
                email: (*email).into(),
                display_name: (*name).into(),
                role: (*role).into(),
                credential: credential.map(str::to_owned),
                program_id: program.id,
                password_hash: hash.clone(),
            },
        )?;
        if *role != "program_admin" {
            cohorts::enrol(conn, cohort.id, user.id, role)?;
        }
    }
    Ok(SeedOutcome::Seeded)
}

/// Encounters generated for the demo cohort: two of every served scenario.
pub const DEMO_ENCOUNTERS_PER_SCENARIO: u32 = 2;

/// Seed of the demo cohort's generation run, so every demo has the same charts.
pub const DEMO_GENERATION_SEED: u64 = 2026;

/// Generates the demo cohort's encounters unless it has some already.
pub fn seed_encounters(
    conn: &mut DbConn,
    library: &crate::scenarios::library::Library,
) -> StoreResult<usize> {
    use crate::scenarios::library::GenerationRequest;
    use crate::store::ehr;
    let Some(program) = programs::find_by_name(conn, DEMO_PROGRAM)? else {
        return Ok(0);
    };
    let Some(cohort) = cohorts::list(conn, program.id, None)?.into_iter().next() else {
        return Ok(0);
    };
    if ehr::count_encounters(conn, cohort.id)? > 0 || library.all().is_empty() {
        return Ok(0);
    }
    let req = GenerationRequest {
        scenarios: Vec::new(),
        count: library.all().len() as u32 * DEMO_ENCOUNTERS_PER_SCENARIO,
        seed: DEMO_GENERATION_SEED,
        ..Default::default()
    };
    let Ok(plan) = library.plan(&req) else {
        return Ok(0);
    };
    let run = ehr::open_run(
        conn,
        &ehr::NewRun {
            cohort_id: cohort.id,
            requested_by: None,
            seed: DEMO_GENERATION_SEED as i64,
            requested: req.count as i32,
            areas: String::new(),
            difficulties: String::new(),
        },
    )?;
    let outcome = super::ehr::store_plan(conn, library, &run, &plan, |_| {})?;
    Ok(outcome.created.len())
}
