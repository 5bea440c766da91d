use reqwest::Method;
use serde_json::json;

use crate::common::{assert_error, spawn_app};

#[tokio::test]
async fn admin_creates_and_edits_programs() {
    let app = spawn_app().await;
    let admin = app.token("admin@demo.example").await;
    let (status, created) = app
        .send_json(
            Method::POST,
            "/api/v1/programs",
            &admin,
            &json!({"name": "Evening Track", "ppe_hours_required": 60, "pass_threshold_pct": 85}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["ppe_hours_required"], 60);

    let (status, listed) = app.get_json("/api/v1/programs", &admin).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Demo Coding Certificate", "Evening Track"]);

    let (status, edited) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            &admin,
            &json!({"pass_threshold_pct": 90}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(edited["pass_threshold_pct"], 90);
    assert_eq!(edited["name"], "Evening Track", "untouched fields stay");

    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/programs",
            &admin,
            &json!({"name": "evening track ", "ppe_hours_required": 1, "pass_threshold_pct": 1}),
        )
        .await;
    // Names are unique as typed after trimming; a different case is a different name.
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/programs",
            &admin,
            &json!({"name": "Evening Track", "ppe_hours_required": 1, "pass_threshold_pct": 1}),
        )
        .await;
    assert_eq!(status, 409);
    assert_error(&body, "conflict");
    assert_eq!(body["error"]["field"], "name");

    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/programs/{id}"),
            &admin,
            &json!({"pass_threshold_pct": 101}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "pass_threshold_pct");
    let (_, after) = app
        .get_json(&format!("/api/v1/programs/{id}"), &admin)
        .await;
    assert_eq!(
        after["pass_threshold_pct"], 90,
        "a refused edit changes nothing"
    );
}

#[tokio::test]
async fn admin_manages_cohorts() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let path = format!("/api/v1/programs/{}/cohorts", ids.program_id);
    let (status, cohort) = app
        .send_json(
            Method::POST,
            &path,
            &admin,
            &json!({"name": "Spring 2027", "term_start": "2027-01-11", "term_end": "2027-05-14"}),
        )
        .await;
    assert_eq!(status, 201, "{cohort}");
    assert_eq!(cohort["status"], "upcoming");
    let id = cohort["id"].as_i64().unwrap();

    let (status, body) = app
        .send_json(
            Method::POST,
            &path,
            &admin,
            &json!({"name": "Backwards", "term_start": "2027-05-14", "term_end": "2027-01-11"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "term_end");
    let (status, body) = app
        .send_json(
            Method::POST,
            &path,
            &admin,
            &json!({"name": "Bad date", "term_start": "2027-02-30", "term_end": "2027-05-14"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "term_start");
    let (status, body) = app
        .send_json(
            Method::POST,
            &path,
            &admin,
            &json!({"name": "Spring 2027", "term_start": "2027-01-11", "term_end": "2027-05-14"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["field"], "name");

    let (status, edited) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/cohorts/{id}"),
            &admin,
            &json!({"term_end": "2027-05-21"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(edited["term_end"], "2027-05-21");
    assert_eq!(edited["term_start"], "2027-01-11");

    let (_, list) = app.get_json(&path, &admin).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "Spring 2027", "newest term first");
}

#[tokio::test]
async fn admin_manages_accounts_and_enrolments() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let (status, user) = app
        .send_json(
            Method::POST,
            "/api/v1/users",
            &admin,
            &json!({"email": "New.Student@School.Example", "display_name": "New Student", "role": "student",
                    "password": "a long enough password", "program_id": ids.program_id}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "new.student@school.example");
    let uid = user["id"].as_i64().unwrap();
    assert_eq!(
        app.login("new.student@school.example", "a long enough password")
            .await
            .status(),
        200
    );

    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/users",
            &admin,
            &json!({"email": "new.student@school.example", "display_name": "Dup", "role": "student",
                    "password": "a long enough password", "program_id": ids.program_id}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["field"], "email");
    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/users",
            &admin,
            &json!({"email": "weak@school.example", "display_name": "Weak", "role": "student", "password": "short", "program_id": ids.program_id}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "password");

    let roster_path = format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id);
    let (status, enrolment) = app
        .send_json(
            Method::POST,
            &roster_path,
            &admin,
            &json!({"user_id": uid, "role": "student"}),
        )
        .await;
    assert_eq!(status, 201, "{enrolment}");
    assert_eq!(enrolment["user"]["id"], uid);
    let (status, body) = app
        .send_json(
            Method::POST,
            &roster_path,
            &admin,
            &json!({"user_id": uid, "role": "student"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app
        .send_json(
            Method::POST,
            &roster_path,
            &admin,
            &json!({"user_id": ids.student2_id, "role": "supervisor"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "role");
    let (status, body) = app
        .send_json(
            Method::POST,
            &roster_path,
            &admin,
            &json!({"user_id": 999_999, "role": "student"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "user_id");

    let (_, roster) = app.get_json(&roster_path, &admin).await;
    let roster = roster.as_array().unwrap();
    assert_eq!(
        roster.len(),
        7,
        "supervisor + 5 demo students + new student"
    );
    assert_eq!(roster[0]["role"], "supervisor", "supervisors first");

    let res = app
        .request(Method::DELETE, &format!("{roster_path}/{uid}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .request(Method::DELETE, &format!("{roster_path}/{uid}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, roster) = app.get_json(&roster_path, &admin).await;
    assert_eq!(roster.as_array().unwrap().len(), 6);

    let (status, edited) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            &admin,
            &json!({"display_name": "Renamed", "credential": "CCA"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            edited["display_name"].as_str(),
            edited["credential"].as_str()
        ),
        (Some("Renamed"), Some("CCA"))
    );
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(status, 400, "an empty patch is refused");
}

#[tokio::test]
async fn user_lists_are_scoped_and_paged() {
    let app = spawn_app().await;
    let admin = app.token("admin@demo.example").await;
    let (_, all) = app.get_json("/api/v1/users", &admin).await;
    assert_eq!(all.as_array().unwrap().len(), 7);
    let (_, students) = app
        .get_json("/api/v1/users?role=student&limit=2&offset=1", &admin)
        .await;
    let names: Vec<&str> = students
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Student Four", "Student One"],
        "ordered by name, paged"
    );
    let (status, body) = app.get_json("/api/v1/users?limit=0", &admin).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "limit");
    let (status, body) = app.get_json("/api/v1/users?role=wizard", &admin).await;
    assert_eq!(status, 400);
    assert_error(&body, "bad_request");
    let (status, body) = app.get_json("/api/v1/users?color=blue", &admin).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "color");

    let supervisor = app.token("supervisor@demo.example").await;
    let (_, seen) = app.get_json("/api/v1/users", &supervisor).await;
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|u| u["role"] == "student"));

    let student = app.token("student1@demo.example").await;
    let (_, me_only) = app.get_json("/api/v1/users", &student).await;
    assert_eq!(me_only.as_array().unwrap().len(), 1);
    assert_eq!(me_only[0]["email"], "student1@demo.example");
}
