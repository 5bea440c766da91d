//! Assignments: per-student seeding, the exam clock, late work,
//! resubmission rules and feedback withheld until an exam closes.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::claims::{key_claim, submit};
use crate::common::{TestApp, assert_error, spawn_app};

fn at(offset: Duration) -> String {
    (Utc::now() + offset)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

async fn create(app: &TestApp, token: &str, cohort: i64, body: &Value) -> (u16, Value) {
    app.send_json(
        Method::POST,
        &format!("/api/v1/cohorts/{cohort}/assignments"),
        token,
        body,
    )
    .await
}

fn encounters_of(view: &Value) -> Vec<i64> {
    view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["encounter_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn each_student_gets_their_own_reproducible_encounters() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (status, a) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "Week 1: orthopedics", "mode": "practice",
                "opens_at": at(Duration::hours(-1)), "due_at": at(Duration::days(7)),
                "areas": ["orthopedics"], "count": 3, "seed": 11}),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["phase"], "open");
    assert_eq!(
        a["late_policy"], "flag",
        "practice defaults to flagging late work"
    );
    assert_eq!(a["resubmission"], true);
    let id = a["id"].as_i64().unwrap();

    let (status, mine) = app
        .get_json(&format!("/api/v1/assignments/{id}"), &s1)
        .await;
    assert_eq!(status, 200, "{mine}");
    let first = encounters_of(&mine);
    assert_eq!(first.len(), 3);
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "not_started")
    );
    assert!(
        mine.get("selection").is_none() && mine.get("seed").is_none(),
        "students do not see the draw"
    );
    let (_, again) = app
        .get_json(&format!("/api/v1/assignments/{id}"), &s1)
        .await;
    assert_eq!(encounters_of(&again), first, "the same set on every visit");
    let (_, theirs) = app
        .get_json(&format!("/api/v1/assignments/{id}"), &s2)
        .await;
    let other = encounters_of(&theirs);
    assert_eq!(other.len(), 3);
    assert!(
        first.iter().all(|e| !other.contains(e)),
        "{first:?} vs {other:?}"
    );

    // Every drawn encounter is from the requested area.
    for e in first.iter().chain(&other) {
        let (_, enc) = app.get_json(&format!("/api/v1/encounters/{e}"), &sup).await;
        assert_eq!(enc["encounter"]["department"], "Orthopedics", "{enc}");
    }

    // The worklist shows it with status; a draft moves the status on.
    let (_, draft) = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/encounters/{}/claim-draft", first[0]),
            &s1,
            &json!({"diagnoses": []}),
        )
        .await;
    assert!(draft["updated_at"].is_string(), "{draft}");
    let (status, list) = app.get_json("/api/v1/worklist", &s1).await;
    assert_eq!(status, 200, "{list}");
    let w = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap();
    assert_eq!(w["items"][0]["status"], "draft");
    let (status, _) = app.get_json("/api/v1/worklist", &sup).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn bad_assignments_name_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let good = json!({"title": "Exam", "mode": "exam", "opens_at": at(Duration::hours(-1)),
                      "due_at": at(Duration::hours(3)), "time_limit_minutes": 60, "count": 2});
    for (change, field) in [
        (json!({"mode": "quiz"}), "mode"),
        (json!({"due_at": at(Duration::hours(-2))}), "due_at"),
        (json!({"opens_at": "next tuesday"}), "opens_at"),
        (json!({"time_limit_minutes": 0}), "time_limit_minutes"),
        (json!({"count": 0}), "count"),
        (json!({"areas": ["astrology"]}), "areas"),
        (json!({"scenarios": ["no-such-scenario"]}), "scenarios"),
        (json!({"late_policy": "maybe"}), "late_policy"),
        (json!({"title": "  "}), "title"),
        (json!({"count": null, "encounters": [999999]}), "encounters"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, err) = create(&app, &sup, ids.cohort_id, &body).await;
        assert_eq!(status, 422, "{change}: {err}");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (status, err) = create(&app, &s1, ids.cohort_id, &good).await;
    assert_eq!(status, 403);
    assert_error(&err, "forbidden");
    let (_, list) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/assignments", ids.cohort_id),
            &sup,
        )
        .await;
    assert_eq!(list, json!([]), "nothing was stored");
}

#[tokio::test]
async fn the_exam_clock_and_feedback_are_kept_by_the_server() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    // Closes a few seconds from now, so the test can see it close.
    let due = Duration::seconds(6);
    let (status, a) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "CPC-style mock", "mode": "exam", "opens_at": at(Duration::hours(-1)),
                "due_at": at(due), "time_limit_minutes": 240, "count": 2, "pass_mark_pct": 70}),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["resubmission"], false);
    assert_eq!(a["late_policy"], "reject");
    assert_eq!(a["feedback_released"], false);
    let id = a["id"].as_i64().unwrap();
    let started = std::time::Instant::now();

    // Before the clock starts the encounters stay hidden.
    let (_, before) = app
        .get_json(&format!("/api/v1/assignments/{id}"), &s1)
        .await;
    assert_eq!(before["items"], json!([]));
    assert!(before.get("attempt").is_none());
    let (status, err) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{id}/start"),
            &sup,
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "{err}");
    let (status, exam) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{id}/start"),
            &s1,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{exam}");
    let deadline = exam["attempt"]["deadline_at"].clone();
    assert!(
        exam["attempt"]["remaining_seconds"].as_i64().unwrap() <= 6,
        "the clock never runs past the due date"
    );
    let (_, again) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{id}/start"),
            &s1,
            &json!({}),
        )
        .await;
    assert_eq!(
        again["attempt"]["deadline_at"], deadline,
        "starting again keeps the first clock"
    );
    let encs = encounters_of(&exam);
    assert_eq!(encs.len(), 2);

    // Submit: stored and scored, but no score or key while the exam is open.
    let perfect = key_claim(&app, &sup, encs[0]).await;
    let (status, sub) = submit(&app, &s1, encs[0], Some("exam-1"), &perfect).await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["assignment_id"], id);
    assert_eq!(sub["feedback_visible"], false);
    assert!(sub["score"].is_null() && sub["key"].is_null(), "{sub}");
    let claim_id = sub["id"].as_i64().unwrap();
    let (_, read) = app
        .get_json(&format!("/api/v1/claims/{claim_id}"), &s1)
        .await;
    assert!(read["score"].is_null() && read["key"].is_null(), "{read}");
    let (_, staff) = app
        .get_json(&format!("/api/v1/claims/{claim_id}"), &sup)
        .await;
    assert_eq!(
        staff["score"]["total"], 100.0,
        "the supervisor sees it: {staff}"
    );
    assert_eq!(
        staff["score"]["pass_threshold"], 70.0,
        "the exam's pass mark"
    );

    // One submission per encounter in this exam.
    let (status, err) = submit(&app, &s1, encs[0], Some("exam-2"), &perfect).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["field"], "assignment");
    // A retry of the accepted submission still answers with it.
    let (status, retry) = submit(&app, &s1, encs[0], Some("exam-1"), &perfect).await;
    assert_eq!(status, 200, "{retry}");
    assert_eq!(retry["id"], claim_id);
    // Another student cannot submit (and so learn the key of) this exam's encounter.
    let (status, _) = submit(&app, &s2, encs[0], Some("peek"), &perfect).await;
    assert_eq!(status, 403);
    // Neither can the student through a different route: the encounter list
    // of submissions also withholds the score.
    let (_, subs) = app
        .get_json(&format!("/api/v1/encounters/{}/claims", encs[0]), &s1)
        .await;
    assert!(subs[0]["score"].is_null(), "{subs}");
    // Nor through the student's own report, which leaves the open exam out.
    let report_path = format!(
        "/api/v1/cohorts/{}/students/{}/report",
        ids.cohort_id, ids.student1_id
    );
    let (_, mine) = app.get_json(&report_path, &s1).await;
    assert_eq!(mine["overall"]["claims"], 0, "{mine}");
    let (_, staff_view) = app.get_json(&report_path, &sup).await;
    assert_eq!(staff_view["overall"]["claims"], 1);

    // After the close: feedback and key are released; late work is refused.
    let wait = due.to_std().unwrap() + std::time::Duration::from_millis(1500);
    if let Some(rest) = wait.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    let (_, after) = app
        .get_json(&format!("/api/v1/claims/{claim_id}"), &s1)
        .await;
    assert_eq!(after["feedback_visible"], true, "{after}");
    assert_eq!(after["score"]["total"], 100.0);
    assert!(after["key"]["diagnoses"].is_array());
    let (_, mine) = app.get_json(&report_path, &s1).await;
    assert_eq!(mine["overall"]["claims"], 1, "released with the close");
    let late = key_claim(&app, &sup, encs[1]).await;
    let (status, err) = submit(&app, &s1, encs[1], Some("exam-late"), &late).await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deadline"),
        "{err}"
    );
    let (status, err) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{id}/start"),
            &s2,
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "a closed exam cannot be started: {err}");
}

#[tokio::test]
async fn late_practice_work_is_flagged_or_refused_as_the_assignment_says() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=2", &sup).await;
    let picked: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["encounter"]["id"].as_i64().unwrap())
        .collect();
    let (status, flag) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "Catch-up", "mode": "practice", "opens_at": at(Duration::days(-7)),
                "due_at": at(Duration::days(-1)), "encounters": [picked[0]]}),
    )
    .await;
    assert_eq!(status, 201, "{flag}");
    assert_eq!(flag["phase"], "closed");
    assert_eq!(
        flag["shared_set"], true,
        "hand-picked encounters are one shared set"
    );
    let claim = key_claim(&app, &sup, picked[0]).await;
    let (status, sub) = submit(&app, &s1, picked[0], Some("late-1"), &claim).await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["late"], true);
    assert_eq!(sub["score"]["total"], 100.0, "practice feedback at once");

    let (status, _) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "Strict", "mode": "practice", "late_policy": "reject",
                "opens_at": at(Duration::days(-7)), "due_at": at(Duration::days(-1)),
                "encounters": [picked[1]]}),
    )
    .await;
    assert_eq!(status, 201);
    let claim = key_claim(&app, &sup, picked[1]).await;
    let (status, err) = submit(&app, &s1, picked[1], Some("late-2"), &claim).await;
    assert_eq!(status, 409, "{err}");
    let (_, subs) = app
        .get_json(&format!("/api/v1/encounters/{}/claims", picked[1]), &s1)
        .await;
    assert_eq!(subs, json!([]), "nothing stored");

    let (status, up) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "Next week", "mode": "practice", "opens_at": at(Duration::days(2)),
                "due_at": at(Duration::days(9)), "count": 2}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, view) = app
        .get_json(&format!("/api/v1/assignments/{}", up["id"]), &s1)
        .await;
    assert_eq!(view["phase"], "upcoming");
    assert_eq!(view["items"], json!([]), "nothing to code before it opens");
}

#[tokio::test]
async fn a_shared_exam_stays_closed_until_the_student_starts_it() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let ids_of = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["encounter"]["id"].as_i64().unwrap())
            .collect()
    };
    let (_, before) = app.get_json("/api/v1/encounters?limit=200", &sup).await;
    let (status, a) = create(
        &app,
        &sup,
        ids.cohort_id,
        &json!({"title": "Shared mock exam", "mode": "exam", "shared_set": true, "seed": 77,
                "opens_at": at(Duration::hours(-1)), "due_at": at(Duration::hours(2)),
                "time_limit_minutes": 60, "count": 1}),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    let (_, after) = app.get_json("/api/v1/encounters?limit=200", &sup).await;
    let new: Vec<i64> = ids_of(&after)
        .into_iter()
        .filter(|e| !ids_of(&before).contains(e))
        .collect();
    assert_eq!(new.len(), 1, "one shared encounter was generated");
    let enc = new[0];

    // Before the start: the chart, its documents and the FHIR view are closed.
    let (status, _) = app
        .get_json(&format!("/api/v1/encounters/{enc}"), &s1)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get_json(&format!("/fhir/r4/Encounter/{enc}/$everything"), &s1)
        .await;
    assert_eq!(status, 403);
    let (_, staff) = app
        .get_json(&format!("/api/v1/encounters/{enc}"), &sup)
        .await;
    let doc = staff["documents"][0]["id"].as_i64().unwrap();
    let (status, _) = app.get_json(&format!("/api/v1/documents/{doc}"), &s1).await;
    assert_eq!(status, 403);

    // After the start it opens, and it is on the student's list.
    let (status, exam) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/assignments/{}/start", a["id"]),
            &s1,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{exam}");
    assert_eq!(encounters_of(&exam), vec![enc]);
    let (status, _) = app
        .get_json(&format!("/api/v1/encounters/{enc}"), &s1)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get_json(&format!("/api/v1/documents/{doc}"), &s1).await;
    assert_eq!(status, 200);
}
