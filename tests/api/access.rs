//! Each role's forbidden paths answer 403 or 404 and change nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, assert_error, spawn_app};

/// A snapshot of everything the admin API can see, to prove refusals change nothing.
async fn snapshot(app: &TestApp, admin_email: &str) -> Value {
    let admin = app.token(admin_email).await;
    let (_, programs) = app.get_json("/api/v1/programs", &admin).await;
    let mut cohorts = Vec::new();
    for p in programs.as_array().unwrap() {
        let (_, list) = app
            .get_json(&format!("/api/v1/programs/{}/cohorts", p["id"]), &admin)
            .await;
        for c in list.as_array().unwrap() {
            let (_, roster) = app
                .get_json(&format!("/api/v1/cohorts/{}/enrolments", c["id"]), &admin)
                .await;
            cohorts.push(json!({"cohort": c, "roster": roster}));
        }
    }
    let (_, users) = app.get_json("/api/v1/users?limit=500", &admin).await;
    json!({"programs": programs, "cohorts": cohorts, "users": users})
}

async fn expect(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    allowed: &[u16],
) {
    let mut req = app.request(method.clone(), path, token);
    if let Some(b) = &body {
        req = req.json(b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let json: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        allowed.contains(&status),
        "{method} {path}: got {status}, wanted one of {allowed:?}: {json}"
    );
    let code = if status == 403 {
        "forbidden"
    } else {
        "not_found"
    };
    assert_error(&json, code);
}

#[tokio::test]
async fn students_cannot_reach_admin_or_supervisor_endpoints() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let before = snapshot(&app, "admin@demo.example").await;
    let student = app.token("student1@demo.example").await;
    let cohort = ids.cohort_id;
    let program = ids.program_id;
    let cases: Vec<(Method, String, Option<Value>, &[u16])> = vec![
        (
            Method::POST,
            "/api/v1/programs".into(),
            Some(json!({"name": "X", "ppe_hours_required": 1, "pass_threshold_pct": 1})),
            &[403],
        ),
        (
            Method::PATCH,
            format!("/api/v1/programs/{program}"),
            Some(json!({"name": "Hacked"})),
            &[403],
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{program}/cohorts"),
            Some(json!({"name": "X", "term_start": "2027-01-01", "term_end": "2027-02-01"})),
            &[403],
        ),
        (
            Method::PATCH,
            format!("/api/v1/cohorts/{cohort}"),
            Some(json!({"name": "Hacked"})),
            &[403],
        ),
        (
            Method::GET,
            format!("/api/v1/cohorts/{cohort}/enrolments"),
            None,
            &[403],
        ),
        (
            Method::POST,
            format!("/api/v1/cohorts/{cohort}/enrolments"),
            Some(json!({"user_id": ids.student1_id, "role": "student"})),
            &[403],
        ),
        (
            Method::DELETE,
            format!("/api/v1/cohorts/{cohort}/enrolments/{}", ids.student2_id),
            None,
            &[403],
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(
                json!({"email": "x@y.example", "display_name": "X", "role": "program_admin", "password": "long enough password", "program_id": program}),
            ),
            &[403],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", ids.student2_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", ids.supervisor_id),
            None,
            &[404],
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", ids.student1_id),
            Some(json!({"display_name": "Self-promoted"})),
            &[403],
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", ids.student2_id),
            Some(json!({"active": false})),
            &[403, 404],
        ),
    ];
    for (method, path, body, allowed) in cases {
        expect(&app, &student, method, &path, body, allowed).await;
    }
    assert_eq!(
        snapshot(&app, "admin@demo.example").await,
        before,
        "nothing changed"
    );
    // What a student may see: their program, their cohort, themselves.
    assert_eq!(
        app.get_json(&format!("/api/v1/programs/{program}"), &student)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/cohorts/{cohort}"), &student)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_json(&format!("/api/v1/users/{}", ids.student1_id), &student)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn supervisors_are_confined_to_their_cohorts() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let other = app.seed_other_program();
    let before = snapshot(&app, "admin@demo.example").await;
    let supervisor = app.token("supervisor@demo.example").await;
    // Their own cohort's students are visible.
    assert_eq!(
        app.get_json(&format!("/api/v1/users/{}", ids.student1_id), &supervisor)
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_json(
            &format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            &supervisor
        )
        .await
        .0,
        200
    );
    // Another cohort, its students and staff are not; nor is any write.
    let cases: Vec<(Method, String, Option<Value>, &[u16])> = vec![
        (
            Method::GET,
            format!("/api/v1/cohorts/{}", other.cohort_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/cohorts/{}/enrolments", other.cohort_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", other.student_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", other.supervisor_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/users?cohort_id={}", other.cohort_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{}", other.program_id),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{}/cohorts", other.program_id),
            None,
            &[404],
        ),
        (
            Method::PATCH,
            format!("/api/v1/cohorts/{}", ids.cohort_id),
            Some(json!({"name": "Mine now"})),
            &[403],
        ),
        (
            Method::POST,
            format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            Some(json!({"user_id": ids.student1_id, "role": "student"})),
            &[403],
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", ids.student1_id),
            Some(json!({"active": false})),
            &[403],
        ),
        (
            Method::POST,
            "/api/v1/programs".into(),
            Some(json!({"name": "X", "ppe_hours_required": 1, "pass_threshold_pct": 1})),
            &[403],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", ids.admin_id),
            None,
            &[404],
        ),
    ];
    for (method, path, body, allowed) in cases {
        expect(&app, &supervisor, method, &path, body, allowed).await;
    }
    assert_eq!(
        snapshot(&app, "admin@demo.example").await,
        before,
        "nothing changed"
    );
}

#[tokio::test]
async fn program_admins_are_confined_to_their_programs() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let other = app.seed_other_program();
    let before_demo = snapshot(&app, "admin@demo.example").await;
    let before_other = snapshot(&app, "admin@other.example").await;
    let admin = app.token("admin@demo.example").await;
    let cases: Vec<(Method, String, Option<Value>, &[u16])> = vec![
        (
            Method::GET,
            format!("/api/v1/programs/{}", other.program_id),
            None,
            &[404],
        ),
        (
            Method::PATCH,
            format!("/api/v1/programs/{}", other.program_id),
            Some(json!({"name": "Taken over"})),
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/programs/{}/cohorts", other.program_id),
            None,
            &[404],
        ),
        (
            Method::POST,
            format!("/api/v1/programs/{}/cohorts", other.program_id),
            Some(json!({"name": "X", "term_start": "2027-01-01", "term_end": "2027-02-01"})),
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/cohorts/{}", other.cohort_id),
            None,
            &[404],
        ),
        (
            Method::PATCH,
            format!("/api/v1/cohorts/{}", other.cohort_id),
            Some(json!({"name": "X"})),
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/cohorts/{}/enrolments", other.cohort_id),
            None,
            &[404],
        ),
        (
            Method::POST,
            format!("/api/v1/cohorts/{}/enrolments", other.cohort_id),
            Some(json!({"user_id": ids.student1_id, "role": "student"})),
            &[404],
        ),
        (
            Method::DELETE,
            format!(
                "/api/v1/cohorts/{}/enrolments/{}",
                other.cohort_id, other.student_id
            ),
            None,
            &[404],
        ),
        (
            Method::GET,
            format!("/api/v1/users/{}", other.student_id),
            None,
            &[404],
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", other.admin_id),
            Some(json!({"active": false})),
            &[404],
        ),
    ];
    for (method, path, body, allowed) in cases {
        expect(&app, &admin, method, &path, body, allowed).await;
    }
    // Creating an account in a program one does not administer is refused too.
    let (status, body) = app
        .send_json(Method::POST, "/api/v1/users", &admin, &json!({"email": "spy@other.example", "display_name": "Spy", "role": "student", "password": "long enough password", "program_id": other.program_id}))
        .await;
    assert_eq!(status, 403);
    assert_error(&body, "forbidden");
    // Enrolling another program's student into one's own cohort is refused.
    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            &admin,
            &json!({"user_id": other.student_id, "role": "student"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "user_id");
    let (_, users) = app.get_json("/api/v1/users?limit=500", &admin).await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["program_id"] == ids.program_id),
        "only own program's accounts listed"
    );

    assert_eq!(snapshot(&app, "admin@demo.example").await, before_demo);
    assert_eq!(snapshot(&app, "admin@other.example").await, before_other);
}
