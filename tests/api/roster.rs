//! Roster import from CSV: per-row errors, nothing imported from a file with
//! errors unless asked, accounts created and enrolled, audit.

use crate::common::{TestApp, spawn_app};

async fn import(
    app: &TestApp,
    token: &str,
    cohort: i64,
    csv: &str,
    skip: bool,
) -> (u16, serde_json::Value) {
    let res = app
        .request(
            reqwest::Method::POST,
            &format!(
                "/api/v1/cohorts/{cohort}/roster{}",
                if skip { "?skip_invalid=true" } else { "" }
            ),
            token,
        )
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    crate::common::status_json(res).await
}

#[tokio::test]
async fn a_roster_with_errors_imports_nothing_unless_asked() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let sup = app.token("supervisor@demo.example").await;
    let roster_before = app
        .get_json(
            &format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            &admin,
        )
        .await
        .1;
    let csv = "Email,Name,Credential\r\n\
               new.one@students.example,New One,\r\n\
               not-an-email,Bad Row,\r\n\
               supervisor@demo.example,Sup As Student,\r\n\
               student1@demo.example,Already Here,\r\n\
               new.two@students.example,,\r\n\
               NEW.ONE@students.example,Dup,\r\n";
    let (status, report) = import(&app, &admin, ids.cohort_id, csv, false).await;
    assert_eq!(status, 422, "{report}");
    assert_eq!(report["error"]["code"], "validation_failed");
    let errs: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "email".into()),
            (4, "email".into()),
            (6, "name".into()),
            (7, "email".into())
        ],
        "{report}"
    );
    let (_, after) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            &admin,
        )
        .await;
    assert_eq!(after, roster_before, "nothing imported");
    let res = app.login("new.one@students.example", "x").await;
    assert_eq!(res.status(), 401, "no account was created");

    // Supervisors cannot import; a broken header is one whole-file error.
    let (status, _) = import(&app, &sup, ids.cohort_id, csv, false).await;
    assert_eq!(status, 403);
    let (status, err) = import(
        &app,
        &admin,
        ids.cohort_id,
        "email,nickname\na@b.example,x\n",
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "file");

    // Asked to skip: the good rows are imported, the bad ones reported.
    let (status, report) = import(&app, &admin, ids.cohort_id, csv, true).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], true);
    assert_eq!(report["created"].as_array().unwrap().len(), 1);
    assert_eq!(report["created"][0]["email"], "new.one@students.example");
    assert_eq!(report["already_enrolled"][0], "student1@demo.example");
    assert_eq!(report["errors"].as_array().unwrap().len(), 4);
    let password = report["created"][0]["initial_password"].as_str().unwrap();
    let res = app.login("new.one@students.example", password).await;
    assert_eq!(res.status(), 200, "the new student can sign in");
    let (_, after) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/enrolments", ids.cohort_id),
            &admin,
        )
        .await;
    assert_eq!(
        after.as_array().unwrap().len(),
        roster_before.as_array().unwrap().len() + 1
    );
    let (_, audit) = app
        .get_json(
            &format!("/api/v1/programs/{}/audit?action=account.", ids.program_id),
            &admin,
        )
        .await;
    assert_eq!(
        audit["items"][0]["action"], "account.roster_import",
        "{audit}"
    );
}
