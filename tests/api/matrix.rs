//! The authorization matrix: every route the server answers (read from the
//! route table the server itself registers, plus every OpenAPI operation) ×
//! seven callers → allowed or refused. A route without a rule here fails the
//! test, so a new route cannot be forgotten. Along the way every response to
//! a student is searched for answer-key text the student may not see yet.

use std::collections::BTreeMap;

use practicum::routes::{self, RouteInfo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::claims::{key_claim, submit};
use crate::common::{TestApp, spawn_app};
use crate::pages::{hidden, sign_in_with};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    StudentA,
    StudentB,
    Supervisor,
    OtherSupervisor,
    Admin,
    OtherAdmin,
}

use Who::*;

/// Refused callers first, so a wrongly allowed write shows before an allowed
/// caller's request changes what the next one sees.
const ORDER: [Who; 7] = [
    Anonymous,
    OtherAdmin,
    OtherSupervisor,
    StudentB,
    StudentA,
    Supervisor,
    Admin,
];

const EVERYONE: &[Who] = &ORDER;
const SIGNED_IN: &[Who] = &[
    StudentA,
    StudentB,
    Supervisor,
    OtherSupervisor,
    Admin,
    OtherAdmin,
];
/// The cohort's students and its staff (supervisor, program admin).
const COHORT: &[Who] = &[StudentA, StudentB, Supervisor, Admin];
/// Student A's own records, and the staff over them.
const OWNER: &[Who] = &[StudentA, Supervisor, Admin];
/// The cohort's staff.
const COHORT_STAFF: &[Who] = &[Supervisor, Admin];
/// Any supervisor or administrator, for records outside any cohort.
const STAFF: &[Who] = &[Supervisor, OtherSupervisor, Admin, OtherAdmin];
/// Everyone in the demo program.
const PROGRAM: &[Who] = &[StudentA, StudentB, Supervisor, OtherSupervisor, Admin];
/// The demo program's supervisors and administrator.
const PROGRAM_STAFF: &[Who] = &[Supervisor, OtherSupervisor, Admin];
/// The program's administrator only.
const ADMIN: &[Who] = &[Admin];
/// Any program administrator (their own program's records).
const ADMINS: &[Who] = &[Admin, OtherAdmin];
/// Students of the cohort (their own work).
const STUDENTS: &[Who] = &[StudentA, StudentB];

/// Who may use a route on the fixture's records. `None`: the route has no
/// rule yet — add one.
fn rule(method: &str, path: &str) -> Option<&'static [Who]> {
    Some(match (method, path) {
        // Probes, documents, static files, sign-in. (`/metrics` answers these
        // loopback callers; other machines need the metrics token.)
        ("GET", "/healthz" | "/readyz" | "/metrics" | "/api/openapi.json" | "/api/docs") => {
            EVERYONE
        }
        ("GET", p) if p.starts_with("/static/") => EVERYONE,
        ("GET", "/login") | ("POST", "/login" | "/api/v1/auth/login") => EVERYONE,
        ("GET", "/fhir/r4/metadata") => EVERYONE,
        // Any signed-in user: their own account, the code sets, lists that
        // filter to what the caller may see.
        (
            "POST",
            "/logout" | "/api/v1/auth/logout" | "/account/password" | "/api/v1/me/password",
        )
        | ("GET", "/" | "/dashboard" | "/account" | "/encoder" | "/ehr" | "/worklist")
        | ("GET", "/api/v1/me" | "/api/v1/codes/search" | "/api/v1/codes/{system}/{code}")
        | ("POST", "/api/v1/claims/check")
        | ("GET", "/api/v1/patients" | "/api/v1/encounters" | "/api/v1/users")
        | ("GET", "/fhir/r4/Patient" | "/fhir/r4/Encounter")
        | ("GET", "/api/v1/programs") => SIGNED_IN,
        // The cohort's mock EHR.
        ("GET", "/ehr/patients/{patient_id}" | "/ehr/encounters/{encounter_id}")
        | ("GET", "/ehr/documents/{document_id}/print")
        | ("GET", "/api/v1/patients/{patient_id}" | "/api/v1/encounters/{encounter_id}")
        | ("GET", "/api/v1/documents/{document_id}")
        | ("GET", "/fhir/r4/Patient/{id}" | "/fhir/r4/Patient/{id}/$everything")
        | ("GET", "/fhir/r4/Encounter/{id}" | "/fhir/r4/Encounter/{id}/$everything")
        | ("GET", "/fhir/r4/{kind}" | "/fhir/r4/{kind}/{id}")
        | ("GET", "/api/v1/cohorts/{cohort_id}" | "/cohorts/{cohort_id}/encounters")
        | ("GET", "/api/v1/encounters/{encounter_id}/claims")
        | ("GET", "/api/v1/cohorts/{cohort_id}/assignments")
        | ("GET", "/api/v1/assignments/{assignment_id}") => COHORT,
        // A student's own coding work.
        ("GET" | "POST", "/ehr/encounters/{encounter_id}/code")
        | ("GET" | "PUT", "/api/v1/encounters/{encounter_id}/claim-draft")
        | ("POST", "/api/v1/encounters/{encounter_id}/claims")
        | ("GET", "/api/v1/worklist")
        | ("POST", "/api/v1/encounters/{encounter_id}/heartbeat")
        | ("POST", "/assignments/{assignment_id}/start")
        | ("POST", "/api/v1/assignments/{assignment_id}/start") => STUDENTS,
        // Student A's records: their claim, hours and report.
        ("GET", "/ehr/claims/{claim_id}" | "/api/v1/claims/{claim_id}")
        | ("GET", "/api/v1/claims/{claim_id}/837p")
        | ("GET" | "POST", "/cohorts/{cohort_id}/students/{student_id}/hours")
        | ("GET" | "POST", "/api/v1/cohorts/{cohort_id}/students/{student_id}/hours")
        | ("GET", "/api/v1/cohorts/{cohort_id}/students/{student_id}/hours.csv")
        | ("GET", "/api/v1/cohorts/{cohort_id}/students/{student_id}/report")
        | ("GET", "/cohorts/{cohort_id}/students/{student_id}/record") => OWNER,
        // The cohort's staff: keys, review, generation, assignments, hours
        // decisions and reports.
        ("POST", "/ehr/claims/{claim_id}/review")
        | ("POST", "/api/v1/claims/{claim_id}/review" | "/api/v1/claims/{claim_id}/rescore")
        | ("POST", "/ehr/encounters/{encounter_id}/keys")
        | ("POST", "/ehr/encounters/{encounter_id}/keys/lock")
        | ("GET" | "POST", "/ehr/encounters/{encounter_id}/rescore")
        | ("GET" | "POST", "/api/v1/encounters/{encounter_id}/keys")
        | ("POST", "/api/v1/encounters/{encounter_id}/keys/{version}/approve")
        | ("POST", "/api/v1/encounters/{encounter_id}/keys/{version}/unlock")
        | ("GET" | "POST", "/api/v1/encounters/{encounter_id}/rescore")
        | ("GET", "/cohorts/{cohort_id}")
        | ("POST", "/cohorts/{cohort_id}/encounters")
        | ("POST", "/api/v1/cohorts/{cohort_id}/encounters/generate")
        | ("GET", "/api/v1/cohorts/{cohort_id}/generation-runs")
        | ("GET" | "POST", "/cohorts/{cohort_id}/assignments")
        | ("POST", "/api/v1/cohorts/{cohort_id}/assignments")
        | ("GET", "/cohorts/{cohort_id}/review" | "/api/v1/cohorts/{cohort_id}/review-queue")
        | ("GET", "/api/v1/cohorts/{cohort_id}/hours/pending")
        | ("POST", "/api/v1/hours/{entry_id}/decision" | "/api/v1/hours/{entry_id}/reversal")
        | ("POST", "/api/v1/cohorts/{cohort_id}/students/{student_id}/signoffs")
        | ("GET", "/cohorts/{cohort_id}/report" | "/api/v1/cohorts/{cohort_id}/report")
        | ("GET", "/api/v1/cohorts/{cohort_id}/report.csv")
        | ("GET", "/api/v1/cohorts/{cohort_id}/enrolments") => COHORT_STAFF,
        ("GET", "/api/v1/scenarios") => STAFF,
        // The program's own records: its members read them.
        ("GET", "/api/v1/programs/{program_id}" | "/api/v1/programs/{program_id}/cohorts") => {
            PROGRAM
        }
        ("GET", "/api/v1/programs/{program_id}/grading") => PROGRAM_STAFF,
        // Program administration.
        ("GET" | "POST", "/admin/programs") | ("POST", "/api/v1/programs") => ADMINS,
        ("GET" | "POST", "/admin/users") => ADMINS,
        // The body names the demo program.
        ("POST", "/api/v1/users") => ADMIN,
        ("GET" | "POST", "/admin/programs/{program_id}")
        | ("PATCH", "/api/v1/programs/{program_id}")
        | ("POST", "/admin/programs/{program_id}/cohorts")
        | ("POST", "/api/v1/programs/{program_id}/cohorts")
        | ("PUT", "/api/v1/programs/{program_id}/grading")
        | ("GET", "/admin/programs/{program_id}/audit" | "/api/v1/programs/{program_id}/audit")
        | ("GET" | "POST", "/admin/cohorts/{cohort_id}")
        | ("PATCH", "/api/v1/cohorts/{cohort_id}")
        | ("POST", "/admin/cohorts/{cohort_id}/roster" | "/api/v1/cohorts/{cohort_id}/roster")
        | ("POST", "/admin/cohorts/{cohort_id}/enrolments")
        | ("POST", "/admin/cohorts/{cohort_id}/enrolments/{user_id}/remove")
        | ("POST", "/api/v1/cohorts/{cohort_id}/enrolments")
        | ("DELETE", "/api/v1/cohorts/{cohort_id}/enrolments/{user_id}")
        | ("GET" | "POST", "/admin/users/{user_id}")
        | ("GET" | "PATCH", "/api/v1/users/{user_id}") => ADMIN,
        _ => return None,
    })
}

/// Writes the matrix sends without a complete body: their refusals are what
/// the row checks, and an allowed caller gets the validation answer (400 or
/// 422) instead of a success. Every other allowed answer must be a success,
/// or a 409 where an earlier allowed caller already made the change.
const PARTIAL_BODY: &[(&str, &str)] = &[
    ("POST", "/login"),
    ("POST", "/account/password"),
    ("POST", "/admin/programs"),
    ("POST", "/admin/programs/{program_id}"),
    ("POST", "/admin/programs/{program_id}/cohorts"),
    ("POST", "/admin/cohorts/{cohort_id}"),
    ("POST", "/admin/cohorts/{cohort_id}/roster"),
    ("POST", "/admin/cohorts/{cohort_id}/enrolments"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{user_id}"),
    ("POST", "/ehr/encounters/{encounter_id}/keys"),
    ("POST", "/ehr/claims/{claim_id}/review"),
    ("POST", "/cohorts/{cohort_id}/students/{student_id}/hours"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/claims/check"),
    ("POST", "/api/v1/me/password"),
    ("POST", "/api/v1/cohorts/{cohort_id}/roster"),
    (
        "POST",
        "/api/v1/cohorts/{cohort_id}/students/{student_id}/signoffs",
    ),
    ("PATCH", "/api/v1/users/{user_id}"),
];

/// The records the matrix points its paths at.
struct Fixture {
    params: BTreeMap<&'static str, String>,
    /// The claim E2's key describes, and the key as a supervisor's edit.
    e2_claim: Value,
    key_input: Value,
    /// Codes found only in E2's key (not in E1's, which student A may see,
    /// nor in the students' drafts): no student may see one before
    /// submitting on E2.
    secret_for_all: Vec<String>,
    /// Codes found only in E1's key (not in E2's): student B never submits
    /// on E1, so none may reach B all run.
    secret_for_b: Vec<String>,
    api: BTreeMap<Who, String>,
    pages: BTreeMap<Who, (reqwest::Client, String)>,
}

fn email(who: Who) -> Option<&'static str> {
    Some(match who {
        Anonymous => return None,
        StudentA => "student1@demo.example",
        StudentB => "student2@demo.example",
        Supervisor => "supervisor@demo.example",
        OtherSupervisor => "supervisor2@demo.example",
        Admin => "admin@demo.example",
        OtherAdmin => "admin@other.example",
    })
}

/// The codes of an encounter's newest key: a body holding all of them
/// carries the key.
fn key_codes(keys: &Value) -> Vec<String> {
    let key = &keys.as_array().unwrap().last().unwrap()["key"];
    let mut codes: Vec<String> = key["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    for line in key["lines"].as_array().unwrap() {
        codes.push(line["code"].as_str().unwrap().to_owned());
    }
    codes.sort();
    codes.dedup();
    codes
}

async fn page_client(app: &TestApp, who: Who) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    // The session's CSRF token: the sign-in form's for anonymous callers.
    let page = if let Some(address) = email(who) {
        let res = sign_in_with(app, &client, address).await;
        assert_eq!(res.status(), 303, "page sign-in as {address}");
        "/account"
    } else {
        "/login"
    };
    let html = client
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, hidden(&html, "csrf_token"))
}

async fn fixture(app: &TestApp) -> Fixture {
    let ids = app.demo_ids().await;
    app.seed_other_program();
    // A second cohort in the same program with its own supervisor.
    {
        use practicum::store::{cohorts, users};
        let mut conn = app.pool.get().unwrap();
        let cohort = cohorts::insert(
            &mut conn,
            ids.program_id,
            &cohorts::CohortFields {
                name: "Evening cohort".into(),
                term_start: chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                term_end: chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
            },
        )
        .unwrap();
        let hash = practicum::auth::password::hash("practicum-demo").unwrap();
        let sup = users::insert(
            &mut conn,
            users::NewUser {
                email: "supervisor2@demo.example".into(),
                display_name: "Second Supervisor".into(),
                role: "supervisor".into(),
                credential: Some("RHIT".into()),
                program_id: ids.program_id,
                password_hash: hash,
            },
        )
        .unwrap();
        cohorts::enrol(&mut conn, cohort.id, sup.id, "supervisor").unwrap();
    }
    let mut api = BTreeMap::new();
    let mut pages = BTreeMap::new();
    for who in ORDER {
        if let Some(address) = email(who) {
            api.insert(who, app.token(address).await);
        }
        pages.insert(who, page_client(app, who).await);
    }
    let sup = api[&Supervisor].clone();
    let student_a = api[&StudentA].clone();

    let (_, list) = app.get_json("/api/v1/encounters?limit=2", &student_a).await;
    let e1 = list["items"][0]["encounter"]["id"].as_i64().unwrap();
    let e2 = list["items"][1]["encounter"]["id"].as_i64().unwrap();
    let claim = key_claim(app, &sup, e1).await;
    let (status, submitted) = submit(app, &student_a, e1, Some("matrix-1"), &claim).await;
    assert_eq!(status, 201, "{submitted}");
    let claim_id = submitted["id"].as_i64().unwrap();

    let (_, e2_detail) = app
        .get_json(&format!("/api/v1/encounters/{e2}"), &student_a)
        .await;
    let patient_id = e2_detail["encounter"]["patient_id"]
        .as_i64()
        .or_else(|| e2_detail["patient"]["id"].as_i64())
        .unwrap_or_else(|| panic!("patient id in {e2_detail}"));
    let document_id = e2_detail["documents"][0]["id"].as_i64().unwrap();

    let (status, assignment) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/cohorts/{}/assignments", ids.cohort_id),
            &sup,
            &json!({"title": "Matrix practice", "mode": "practice", "count": 2,
                    "opens_at": "2026-01-01T00:00:00Z", "due_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{assignment}");
    let assignment_id = assignment["id"].as_i64().unwrap();

    let (status, entry) = app
        .send_json(
            Method::POST,
            &format!(
                "/api/v1/cohorts/{}/students/{}/hours",
                ids.cohort_id, ids.student1_id
            ),
            &student_a,
            &json!({"work_date": "2026-11-20", "minutes": 30, "activity": "Chart review",
                    "reason": "Worked offline on the printed notes"}),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
    let entry_id = entry["id"].as_i64().unwrap();

    let (_, users) = app.get_json("/api/v1/users?limit=500", &api[&Admin]).await;
    let id_of = |address: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == address)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let student4 = id_of("student4@demo.example");
    let student3 = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "student3@demo.example")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let (_, keys1) = app
        .get_json(&format!("/api/v1/encounters/{e1}/keys"), &sup)
        .await;
    let (_, keys2) = app
        .get_json(&format!("/api/v1/encounters/{e2}/keys"), &sup)
        .await;
    let key_input = crate::common::edit_of_newest_key(&keys2);
    // Each student has a draft, so reading it answers 200 to its owner.
    for who in [StudentA, StudentB] {
        let (status, draft) = app
            .send_json(
                Method::PUT,
                &format!("/api/v1/encounters/{e2}/claim-draft"),
                &api[&who],
                &json!({"diagnoses": ["R05.9"], "lines": []}),
            )
            .await;
        assert_eq!(status, 200, "{draft}");
    }
    let (codes1, codes2) = (key_codes(&keys1), key_codes(&keys2));
    let drafted = "R05.9".to_string();
    let secret_for_all: Vec<String> = codes2
        .iter()
        .filter(|c| !codes1.contains(c) && **c != drafted)
        .cloned()
        .collect();
    let secret_for_b: Vec<String> = codes1
        .iter()
        .filter(|c| !codes2.contains(c) && **c != drafted)
        .cloned()
        .collect();
    let e2_claim = key_claim(app, &sup, e2).await;
    // The search finds what it looks for where it is.
    assert!(
        secret_for_b
            .iter()
            .all(|c| holds_code(&keys1.to_string(), c))
    );
    assert!(
        !secret_for_all.is_empty() && !secret_for_b.is_empty(),
        "keys with codes of their own to look for: {keys1} {keys2}"
    );

    let params = BTreeMap::from([
        ("program_id", ids.program_id.to_string()),
        ("cohort_id", ids.cohort_id.to_string()),
        ("user_id", student3.to_string()),
        ("student_id", ids.student1_id.to_string()),
        ("encounter_id", e2.to_string()),
        ("claim_id", claim_id.to_string()),
        ("patient_id", patient_id.to_string()),
        ("document_id", document_id.to_string()),
        ("assignment_id", assignment_id.to_string()),
        ("entry_id", entry_id.to_string()),
        ("version", "1".to_string()),
        ("system", "icd10cm".to_string()),
        ("code", "J02.0".to_string()),
        ("enrolled_student", student4.to_string()),
    ]);
    Fixture {
        params,
        e2_claim,
        key_input,
        secret_for_all,
        secret_for_b,
        api,
        pages,
    }
}

/// The concrete URL (path and query) the matrix requests for a route.
fn concrete(route: &RouteInfo, f: &Fixture) -> String {
    let p = |k: &str| f.params[k].clone();
    let mut path = route.path.clone();
    // FHIR paths use the resource's own `{id}`.
    path = match path.as_str() {
        "/fhir/r4/Patient/{id}" | "/fhir/r4/Patient/{id}/$everything" => {
            path.replace("{id}", &p("patient_id"))
        }
        "/fhir/r4/Encounter/{id}" | "/fhir/r4/Encounter/{id}/$everything" => {
            path.replace("{id}", &p("encounter_id"))
        }
        "/fhir/r4/{kind}" => format!("/fhir/r4/Observation?encounter={}", p("encounter_id")),
        "/fhir/r4/{kind}/{id}" => format!("/fhir/r4/DocumentReference/{}", p("document_id")),
        "/api/v1/codes/search" => "/api/v1/codes/search?q=pharyngitis".into(),
        _ => path,
    };
    for (name, value) in &f.params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    assert!(!path.contains('{'), "unfilled parameter in {path}");
    path
}

/// A well-formed body for each API write, so a refusal is the access rule's
/// and not the parser's. Allowed callers really write; refused ones run
/// first, and what allowed ones change does not alter the later rows.
fn api_body(route: &RouteInfo, f: &Fixture, who: Who) -> Value {
    let p = |k: &str| f.params[k].parse::<i64>().unwrap();
    let today = chrono::Utc::now().date_naive();
    let days_ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let tag = format!("{who:?}").to_lowercase();
    match (route.method.as_str(), route.path.as_str()) {
        ("POST", "/api/v1/claims/{claim_id}/review") => json!({"outcome": "approved"}),
        ("POST", "/api/v1/cohorts/{cohort_id}/assignments") => json!({
            "title": format!("Matrix set ({tag})"), "mode": "practice", "count": 1,
            "opens_at": "2026-01-01T00:00:00Z", "due_at": "2030-01-01T00:00:00Z"}),
        ("POST", "/api/v1/cohorts/{cohort_id}/encounters/generate") => json!({"count": 1}),
        ("POST", "/api/v1/cohorts/{cohort_id}/enrolments") => {
            json!({"user_id": p("enrolled_student"), "role": "student"})
        }
        ("POST", "/api/v1/cohorts/{cohort_id}/students/{student_id}/hours") => json!({
            "work_date": days_ago(1), "minutes": 15, "activity": "Coding review",
            "reason": "Matrix check"}),
        ("POST", "/api/v1/cohorts/{cohort_id}/students/{student_id}/signoffs") => json!({
            "period_start": days_ago(60), "period_end": days_ago(50),
            "attestation": "I supervised this work and attest the hours are accurate."}),
        ("POST", "/api/v1/encounters/{encounter_id}/claims") => f.e2_claim.clone(),
        ("PUT", "/api/v1/encounters/{encounter_id}/claim-draft") => {
            json!({"diagnoses": ["R05.9"], "lines": []})
        }
        ("POST", "/api/v1/encounters/{encounter_id}/keys") => {
            let mut key = f.key_input.clone();
            key["base_version"] = json!(1);
            key["note"] = json!("Same codes, edited by the matrix");
            key
        }
        ("POST", "/api/v1/hours/{entry_id}/decision") => json!({"status": "approved"}),
        ("POST", "/api/v1/hours/{entry_id}/reversal") => json!({"reason": "Matrix reversal"}),
        ("POST", "/api/v1/programs") => json!({
            "name": format!("Matrix program ({tag})"), "ppe_hours_required": 100,
            "pass_threshold_pct": 70}),
        ("PATCH", "/api/v1/programs/{program_id}") => json!({"ppe_hours_required": 120}),
        ("POST", "/api/v1/programs/{program_id}/cohorts") => json!({
            "name": format!("Matrix cohort ({tag})"), "term_start": "2027-01-11",
            "term_end": "2027-05-14"}),
        ("POST", "/api/v1/users") => json!({
            "email": format!("matrix.{tag}@demo.example"), "display_name": "Matrix Student",
            "role": "student", "password": "a long enough password",
            "program_id": p("program_id")}),
        _ => json!({}),
    }
}

/// The fields of each page form beyond its CSRF token.
fn page_form(route: &RouteInfo, f: &Fixture) -> Vec<(&'static str, String)> {
    let opens = "2026-01-01T00:00".to_string();
    let due = "2030-01-01T00:00".to_string();
    match (route.method.as_str(), route.path.as_str()) {
        ("POST", "/cohorts/{cohort_id}/encounters") => vec![("count", "1".into())],
        ("POST", "/ehr/encounters/{encounter_id}/keys") => vec![
            ("note", "Same codes, edited by the matrix".into()),
            ("base_version", "1".into()),
            ("key_json", f.key_input.to_string()),
        ],
        ("POST", "/ehr/encounters/{encounter_id}/keys/lock") => {
            vec![("version", "1".into()), ("action", "approve".into())]
        }
        ("POST", "/cohorts/{cohort_id}/assignments") => vec![
            ("title", "Matrix page set".into()),
            ("mode", "practice".into()),
            ("opens_at", opens),
            ("due_at", due),
            ("count", "1".into()),
        ],
        ("POST", "/ehr/encounters/{encounter_id}/code") => {
            vec![("action", "check".into()), ("dx", "R05.9".into())]
        }
        _ => Vec::new(),
    }
}

/// Whether `body` shows `code` as a code: not inside a longer word or
/// number (a CPT code's digits can turn up inside an id or a seed).
fn holds_code(body: &str, code: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '.';
    body.match_indices(code).any(|(i, _)| {
        let before = body[..i].chars().next_back();
        let after = body[i + code.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// What one request answered.
struct Answer {
    status: u16,
    location: String,
    body: String,
}

async fn call(app: &TestApp, f: &Fixture, route: &RouteInfo, url: &str, who: Who) -> Answer {
    let page = !(route.path.starts_with("/api/") || route.path.starts_with("/fhir/"));
    let writes = route.method.as_str() != "GET";
    let method = Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
    // Signing out ends the session: use a fresh one for those routes.
    let fresh;
    let req = if page {
        let (client, csrf) = if route.path == "/logout" {
            fresh = page_client(app, who).await;
            &fresh
        } else {
            &f.pages[&who]
        };
        let req = client.request(method.clone(), app.url(url));
        if writes {
            let mut form = page_form(route, f);
            form.push(("csrf_token", csrf.clone()));
            req.form(&form)
        } else {
            req
        }
    } else {
        let mut req = app.client.request(method.clone(), app.url(url));
        if let Some(token) = f.api.get(&who) {
            let token = if route.path == "/api/v1/auth/logout" {
                app.token(email(who).unwrap()).await
            } else {
                token.clone()
            };
            req = req.bearer_auth(token);
        }
        if route.path == "/api/v1/encounters/{encounter_id}/claims" {
            req = req.header("Idempotency-Key", format!("matrix-{who:?}"));
        }
        if writes {
            req.json(&api_body(route, f, who))
        } else {
            req
        }
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        location,
        body,
    }
}

/// Why an answer does not fit the rule, if it does not.
fn judge(route: &RouteInfo, who: Who, allowed: bool, a: &Answer) -> Option<String> {
    let page = !(route.path.starts_with("/api/") || route.path.starts_with("/fhir/"));
    if a.status >= 500 {
        return Some(format!("server error {}", a.status));
    }
    let to_login = (300..400).contains(&a.status) && a.location.starts_with("/login");
    if allowed && route.path == "/logout" {
        return (!to_login).then(|| "signing out should lead to the sign-in page".into());
    }
    if allowed {
        let partial = PARTIAL_BODY.contains(&(route.method.as_str(), route.path.as_str()));
        let fine = match a.status {
            200..=299 => true,
            300..=399 => !to_login,
            409 => route.method.as_str() != "GET",
            400 | 422 => partial,
            // A DELETE may find its record gone after an earlier allowed caller.
            404 => route.method.as_str() == "DELETE",
            _ => false,
        };
        return (!fine).then(|| {
            format!(
                "allowed caller answered {}: {}",
                a.status,
                a.body.chars().take(200).collect::<String>()
            )
        });
    }
    let ok = match (who, page) {
        (Anonymous, false) => a.status == 401,
        (Anonymous, true) => to_login || a.status == 403,
        // A page may send a refused reader elsewhere (a student to their worklist).
        (_, true) if route.method.as_str() == "GET" && a.status == 303 => !a.location.is_empty(),
        (_, _) => matches!(a.status, 403 | 404),
    };
    if !ok {
        return Some(format!(
            "refused caller got {} {}",
            a.status,
            if a.location.is_empty() {
                String::new()
            } else {
                format!("→ {}", a.location)
            }
        ));
    }
    // Refusals follow the error contract (FHIR: an OperationOutcome).
    if !page && a.status != 303 {
        let body: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
        let contract = if route.path.starts_with("/fhir/") {
            body["resourceType"] == "OperationOutcome"
        } else {
            body["error"]["code"].is_string() && body["error"]["message"].is_string()
        };
        if !contract {
            return Some(format!("refusal body outside the contract: {}", a.body));
        }
    }
    None
}

#[tokio::test]
async fn every_route_answers_each_caller_as_its_rule_says() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let table = routes::table();
    let mut unruled = Vec::new();
    let mut wrong = Vec::new();
    let mut leaks = Vec::new();
    let mut checked = 0;
    // A student who submitted on E2 in practice may see its key from then on.
    let mut entitled = Vec::new();
    for route in &table {
        let Some(allowed) = rule(route.method.as_str(), &route.path) else {
            unruled.push(format!("{} {}", route.method, route.path));
            continue;
        };
        let url = concrete(route, &f);
        for who in ORDER {
            let a = call(&app, &f, route, &url, who).await;
            checked += 1;
            // MATRIX_TRACE=1 prints every write's answer, to review the fixture.
            if std::env::var("MATRIX_TRACE").is_ok() && route.method.as_str() != "GET" {
                eprintln!(
                    "{} {url} {who:?} {} {}",
                    route.method,
                    a.status,
                    a.body.chars().take(160).collect::<String>()
                );
            }
            if let Some(why) = judge(route, who, allowed.contains(&who), &a) {
                wrong.push(format!("{} {url} as {who:?}: {why}", route.method));
            }
            if route.path == "/api/v1/encounters/{encounter_id}/claims"
                && route.method.as_str() == "POST"
                && a.status == 201
            {
                // The control: a practice submission's answer shows the key,
                // so the search below would find a leaked one.
                assert!(
                    f.secret_for_all.iter().all(|c| holds_code(&a.body, c)),
                    "the key search finds the key in a practice result: {}",
                    a.body
                );
                entitled.push(who);
            }
            // Code-set lookups show codes by design, the API documents in examples.
            let lookup = route.path.starts_with("/api/v1/codes/")
                || matches!(
                    route.path.as_str(),
                    "/encoder" | "/api/openapi.json" | "/api/docs"
                );
            if matches!(who, StudentA | StudentB) && a.status < 300 && !lookup {
                let mut secrets = Vec::new();
                if !entitled.contains(&who) {
                    secrets.push(&f.secret_for_all);
                }
                if who == StudentB {
                    secrets.push(&f.secret_for_b);
                }
                let shows_any = |codes: &Vec<String>| codes.iter().any(|c| holds_code(&a.body, c));
                if secrets.into_iter().any(shows_any) {
                    leaks.push(format!("{} {url} as {who:?}", route.method));
                }
            }
        }
    }
    eprintln!(
        "[authorization matrix] {} routes × {} callers = {checked} requests; {} wrong, {} key leaks",
        table.len(),
        ORDER.len(),
        wrong.len(),
        leaks.len()
    );
    assert!(
        unruled.is_empty(),
        "routes with no rule in the matrix (add one):\n{}",
        unruled.join("\n")
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        leaks.is_empty(),
        "answer key reached a student:\n{}",
        leaks.join("\n")
    );
    assert!(
        table.len() >= 120,
        "the route table lost routes: {}",
        table.len()
    );
    assert_eq!(
        entitled.len(),
        2,
        "both students submitted on E2 in the end"
    );
}
