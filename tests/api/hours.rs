//! PPE hours over HTTP: time on task logged at submission, approval and the
//! auto-approval rule, manual entries, sign-off immutability and reversing
//! entries; and the program's grading settings.

use chrono::{Duration, Utc};
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

use crate::claims::{key_claim, submit};
use crate::common::{TestApp, assert_error, spawn_app};
use crate::pages::sign_in_page;

/// Pretends the open coding session started 30 minutes ago with 600 s of
/// heartbeat-measured activity, the last beat 30 s ago (time cannot be
/// waited for in a test).
fn age_session(app: &TestApp, encounter: i64) {
    let ago = |s: i64| (Utc::now() - Duration::seconds(s)).naive_utc();
    let sql = |opened: chrono::NaiveDateTime, seen: chrono::NaiveDateTime| {
        format!(
            "UPDATE coding_sessions SET opened_at = '{}', last_seen_at = '{}', active_seconds = 600, beats = 20 WHERE encounter_id = {encounter} AND closed_at IS NULL",
            opened.format("%Y-%m-%d %H:%M:%S%.6f"),
            seen.format("%Y-%m-%d %H:%M:%S%.6f")
        )
    };
    let q = sql(ago(1800), ago(30));
    let mut conn = app.pool.get().unwrap();
    let n = match &mut *conn {
        practicum::store::DbConn::Sqlite(c) => diesel::sql_query(q).execute(c),
        practicum::store::DbConn::Pg(c) => diesel::sql_query(q).execute(c),
    }
    .unwrap();
    assert_eq!(n, 1, "one open session");
}

async fn open_workspace(app: &TestApp, encounter: i64) {
    let res = app
        .client
        .get(app.url(&format!("/ehr/encounters/{encounter}/code")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn log_path(cohort: i64, student: i64) -> String {
    format!("/api/v1/cohorts/{cohort}/students/{student}/hours")
}

#[tokio::test]
async fn coding_time_is_logged_approved_signed_off_and_reversed() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=2", &sup).await;
    let enc = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let estimate = page["items"][0]["encounter"]["minutes"].as_i64().unwrap();

    // The student opens the workspace (the clock starts), works, submits.
    sign_in_page(&app, "student1@demo.example").await;
    open_workspace(&app, enc).await;
    let (status, beat) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/encounters/{enc}/heartbeat"),
            &s1,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{beat}");
    assert_eq!(beat["beats"], 1);
    age_session(&app, enc);
    let claim = key_claim(&app, &sup, enc).await;
    let (status, sub) = submit(&app, &s1, enc, Some("hours-1"), &claim).await;
    assert_eq!(status, 201, "{sub}");
    // A retry logs nothing more.
    submit(&app, &s1, enc, Some("hours-1"), &claim).await;

    let (status, log) = app
        .get_json(&log_path(ids.cohort_id, ids.student1_id), &s1)
        .await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    let e = &entries[0];
    assert_eq!(e["kind"], "coding");
    assert_eq!(e["status"], "pending");
    // 600 s active + the final 30 s gap = 10.5 min → 11, under the 2× cap.
    assert_eq!(e["minutes"], 11.min(2 * estimate), "{e}");
    assert_eq!(e["submission_id"], sub["id"]);
    assert_eq!(log["approved_minutes"], 0);
    assert_eq!(log["pending_minutes"], e["minutes"]);
    let entry = e["id"].as_i64().unwrap();

    // Only the cohort's supervisor decides; another student cannot read the log.
    let (status, _) = app
        .get_json(&log_path(ids.cohort_id, ids.student1_id), &s2)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{entry}/decision"),
            &s1,
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(status, 403);
    let (_, queue) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/hours/pending", ids.cohort_id),
            &sup,
        )
        .await;
    assert!(
        queue.as_array().unwrap().iter().any(|q| q["id"] == entry),
        "{queue}"
    );
    let (status, approved) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{entry}/decision"),
            &sup,
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert!(
        approved["supervisor"]
            .as_str()
            .unwrap()
            .contains("Supervisor")
            || !approved["supervisor"].as_str().unwrap().is_empty()
    );
    let (status, again) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{entry}/decision"),
            &sup,
            &json!({"status": "rejected"}),
        )
        .await;
    assert_eq!(status, 409, "a decision is final: {again}");

    // A manual entry by the student stays pending until decided.
    let today = Utc::now().date_naive();
    let yesterday = today - chrono::Days::new(1);
    let (status, manual) = app
        .send_json(
            Method::POST,
            &log_path(ids.cohort_id, ids.student1_id),
            &s1,
            &json!({"work_date": yesterday, "minutes": 45, "activity": "Orientation to the EHR", "reason": "Program orientation session"}),
        )
        .await;
    assert_eq!(status, 201, "{manual}");
    assert_eq!(manual["status"], "pending");
    for (body, field) in [
        (
            json!({"work_date": today + chrono::Days::new(2), "minutes": 45, "activity": "x", "reason": "y"}),
            "work_date",
        ),
        (
            json!({"work_date": today, "minutes": 0, "activity": "x", "reason": "y"}),
            "minutes",
        ),
        (
            json!({"work_date": today, "minutes": 30, "activity": " ", "reason": "y"}),
            "activity",
        ),
    ] {
        let (status, err) = app
            .send_json(
                Method::POST,
                &log_path(ids.cohort_id, ids.student1_id),
                &s1,
                &body,
            )
            .await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["field"], field);
    }

    // Sign-off waits for pending entries, then freezes the period.
    let signoff = |end: chrono::NaiveDate| json!({"period_start": today - chrono::Days::new(7), "period_end": end, "attestation": "I supervised this work and attest the hours are accurate."});
    // Today is still being logged, so a period ends yesterday at the latest.
    let sign_path_early = format!(
        "/api/v1/cohorts/{}/students/{}/signoffs",
        ids.cohort_id, ids.student1_id
    );
    let (status, err) = app
        .send_json(Method::POST, &sign_path_early, &sup, &signoff(today))
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "period_end");
    let sign_path = format!(
        "/api/v1/cohorts/{}/students/{}/signoffs",
        ids.cohort_id, ids.student1_id
    );
    let (status, err) = app
        .send_json(Method::POST, &sign_path, &sup, &signoff(yesterday))
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["field"], "pending");
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{}/decision", manual["id"]),
            &sup,
            &json!({"status": "approved"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send_json(Method::POST, &sign_path, &s1, &signoff(yesterday))
        .await;
    assert_eq!(status, 403, "students do not sign off");
    let (status, signed) = app
        .send_json(Method::POST, &sign_path, &sup, &signoff(yesterday))
        .await;
    assert_eq!(status, 201, "{signed}");
    let total = 45; // only yesterday's approved entry is inside the period
    assert_eq!(signed["approved_minutes"], total);
    let (status, err) = app
        .send_json(Method::POST, &sign_path, &sup, &signoff(yesterday))
        .await;
    assert_eq!(status, 422, "no period is signed twice: {err}");

    // Inside the signed period nothing changes: no new entries, no decisions.
    let (status, err) = app
        .send_json(
            Method::POST,
            &log_path(ids.cohort_id, ids.student1_id),
            &sup,
            &json!({"work_date": yesterday, "minutes": 30, "activity": "Review session", "reason": "Weekly review"}),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signed off")
    );

    // A reversing entry undoes approved time without editing the signed log.
    let (status, rev) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{entry}/reversal"),
            &sup,
            &json!({"reason": "Submitted on the wrong student's behalf"}),
        )
        .await;
    assert_eq!(status, 201, "{rev}");
    assert_eq!(rev["minutes"], -e["minutes"].as_i64().unwrap());
    assert_eq!(rev["kind"], "reversal");
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/hours/{entry}/reversal"),
            &sup,
            &json!({"reason": "again"}),
        )
        .await;
    assert_eq!(status, 409, "reversed once only");
    let (_, log) = app
        .get_json(&log_path(ids.cohort_id, ids.student1_id), &sup)
        .await;
    assert_eq!(log["approved_minutes"], 45, "{log}");
    let signed_entries: Vec<&Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["signed_off"] == true)
        .collect();
    assert_eq!(signed_entries.len(), 1, "{log}");
    assert_eq!(signed_entries[0]["minutes"], 45);
    assert_eq!(
        log["signoffs"][0]["approved_minutes"], total,
        "the sign-off keeps what was signed"
    );

    // The site log exports as CSV that parses back, reversal included.
    let res = app
        .request(
            Method::GET,
            &format!("{}.csv", log_path(ids.cohort_id, ids.student1_id)),
            &sup,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), log["entries"].as_array().unwrap().len());
    let minutes: i64 = rows
        .iter()
        .filter(|r| &r[5] == "approved")
        .map(|r| r[2].parse::<i64>().unwrap())
        .sum();
    assert_eq!(minutes, 45, "approved minutes add up in the export: {text}");

    // The audit log saw each step.
    let (_, audit) = app
        .get_json(
            &format!("/api/v1/programs/{}/audit?action=hours.", ids.program_id),
            &app.token("admin@demo.example").await,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .map(|a| a.iter().map(|x| x["action"].as_str().unwrap()).collect())
        .unwrap_or_default();
    for a in [
        "hours.approve",
        "hours.manual",
        "hours.signoff",
        "hours.reverse",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn grading_settings_drive_auto_approval_and_edit_severity() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let path = format!("/api/v1/programs/{}/grading", ids.program_id);

    let (status, g) = app.get_json(&path, &sup).await;
    assert_eq!(status, 200);
    assert_eq!(g["policy"]["first_listed"], 20.0);
    let (status, _) = app.get_json(&path, &s1).await;
    assert_eq!(status, 403);
    let (status, err) = app
        .send_json(
            Method::PUT,
            &path,
            &admin,
            &json!({"policy": {"line_units": 150}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "policy.line_units");
    let (status, err) = app
        .send_json(
            Method::PUT,
            &path,
            &admin,
            &json!({"severities": {"NOPE": "error"}}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "severities");
    let (status, err) = app.send_json(Method::PUT, &path, &sup, &json!({})).await;
    assert_eq!(status, 403);
    assert_error(&err, "forbidden");

    // Switch the unpointed-diagnosis note off and auto-approve hours at 90 %.
    let claim = json!({"date_of_service": "2026-06-15", "patient": {"sex": "F", "birth_date": "1970-02-01"},
        "diagnoses": ["J06.9", "I10"], "lines": [{"code": "99213", "units": 1, "pointers": ["A"]}]});
    let rules_of = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, before) = app
        .send_json(Method::POST, "/api/v1/claims/check", &s1, &claim)
        .await;
    assert!(
        rules_of(&before).contains(&"DX-UNPOINTED".to_owned()),
        "{before}"
    );
    let (status, saved) = app
        .send_json(
            Method::PUT,
            &path,
            &admin,
            &json!({"severities": {"DX-UNPOINTED": null}, "auto_approve_hours_at": 90}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (_, after) = app
        .send_json(Method::POST, "/api/v1/claims/check", &s1, &claim)
        .await;
    assert!(
        !rules_of(&after).contains(&"DX-UNPOINTED".to_owned()),
        "{after}"
    );

    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    sign_in_page(&app, "student1@demo.example").await;
    open_workspace(&app, enc).await;
    let perfect = key_claim(&app, &sup, enc).await;
    let (status, _) = submit(&app, &s1, enc, Some("auto-1"), &perfect).await;
    assert_eq!(status, 201);
    let (_, log) = app
        .get_json(&log_path(ids.cohort_id, ids.student1_id), &s1)
        .await;
    let e = &log["entries"][0];
    assert_eq!(
        e["status"], "approved",
        "a 100 % claim approves itself at 90: {log}"
    );
    assert_eq!(e["auto_approved"], true);
}

#[tokio::test]
async fn two_tabs_beating_at_once_do_not_double_the_time() {
    let app = spawn_app().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=2", &sup).await;
    let a = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let b = page["items"][1]["encounter"]["id"].as_i64().unwrap();
    let beat = |e: i64| {
        let (app, s1) = (&app, &s1);
        async move {
            let (status, v) = app
                .send_json(
                    Method::POST,
                    &format!("/api/v1/encounters/{e}/heartbeat"),
                    s1,
                    &json!({}),
                )
                .await;
            assert_eq!(status, 200, "{v}");
            v
        }
    };
    beat(a).await;
    beat(b).await;
    // Both sessions were last seen 30 s ago: A's beat now earns those 30 s...
    let ago = (Utc::now() - Duration::seconds(30))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string();
    let q = format!("UPDATE coding_sessions SET last_seen_at = '{ago}' WHERE closed_at IS NULL");
    let mut conn = app.pool.get().unwrap();
    match &mut *conn {
        practicum::store::DbConn::Sqlite(c) => diesel::sql_query(q).execute(c),
        practicum::store::DbConn::Pg(c) => diesel::sql_query(q).execute(c),
    }
    .unwrap();
    drop(conn);
    let first = beat(a).await;
    assert!(first["active_seconds"].as_i64().unwrap() >= 30, "{first}");
    // ...and B's, coming after A's, finds the gap spent in A: no second copy.
    let second = beat(b).await;
    assert_eq!(second["active_seconds"], 0, "{second}");
    // Students only: a supervisor's heartbeat is refused.
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/encounters/{a}/heartbeat"),
            &sup,
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
}
