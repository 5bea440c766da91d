//! The practicum pages over plain HTTP: the site log with manual entries,
//! decisions and sign-off; key approval and the re-scoring preview; the
//! audit log page; the assignment form.

use chrono::Utc;

use crate::claims::{key_claim, submit};
use crate::common::{TestApp, spawn_app};
use crate::pages::{hidden, sign_in_page};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let res = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn site_log_key_approval_rescoring_and_audit_pages_work() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let today = (Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    let log = format!(
        "/cohorts/{}/students/{}/hours",
        ids.cohort_id, ids.student1_id
    );

    // The student logs orientation time; it waits for approval.
    sign_in_page(&app, "student1@demo.example").await;
    let (status, html) = page(&app, &log).await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf_token");
    let (status, location, _) = post(
        &app,
        &log,
        &[
            ("csrf_token", &csrf),
            ("action", "manual"),
            ("work_date", &today),
            ("minutes", "60"),
            ("activity", "Orientation"),
            ("reason", "Program orientation"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.contains("notice=hours_logged"));
    let (_, html) = page(&app, &log).await;
    assert!(html.contains("Orientation") && html.contains("pending"));
    assert!(
        !html.contains("Sign off a period"),
        "students do not sign off"
    );
    let (status, _, html) = post(
        &app,
        &log,
        &[
            ("csrf_token", &csrf),
            ("action", "manual"),
            ("work_date", &today),
            ("minutes", "abc"),
            ("activity", "x"),
            ("reason", "y"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\"") && html.contains("minutes"));
    let (_, other) = page(
        &app,
        &format!(
            "/cohorts/{}/students/{}/hours",
            ids.cohort_id, ids.student2_id
        ),
    )
    .await;
    assert!(
        !other.contains("PPE site log"),
        "another student's log is not shown"
    );

    // The supervisor approves it and signs the period off.
    app.client
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    sign_in_page(&app, "supervisor@demo.example").await;
    let (_, html) = page(&app, &log).await;
    let csrf = hidden(&html, "csrf_token");
    let entry = hidden(&html, "entry");
    let (status, _, _) = post(
        &app,
        &log,
        &[
            ("csrf_token", &csrf),
            ("action", "approve"),
            ("entry", &entry),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, location, _) = post(
        &app,
        &log,
        &[
            ("csrf_token", &csrf),
            ("action", "signoff"),
            ("period_start", &today),
            ("period_end", &today),
            ("attestation", "I supervised this work."),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = page(&app, &log).await;
    assert!(html.contains("(signed off)") && html.contains("Signed"));

    // Key approval from the key tab, then the re-scoring preview.
    let (_, list) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc = list["items"][0]["encounter"]["id"].as_i64().unwrap();
    let claim = key_claim(&app, &sup, enc).await;
    submit(&app, &s1, enc, Some("pages-1"), &claim).await;
    let (_, tab) = page(&app, &format!("/ehr/encounters/{enc}?tab=key")).await;
    assert!(tab.contains("Approve and lock"));
    let (status, _, _) = post(
        &app,
        &format!("/ehr/encounters/{enc}/keys/lock"),
        &[
            ("csrf_token", &csrf),
            ("version", "1"),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, tab) = page(&app, &format!("/ehr/encounters/{enc}?tab=key")).await;
    assert!(tab.contains("approved and locked") && tab.contains("Unlock for editing"));
    let (status, preview) = page(&app, &format!("/ehr/encounters/{enc}/rescore")).await;
    assert_eq!(status, 200);
    assert!(preview.contains("already scored against the newest key version"));

    // The admin reads the audit log page.
    sign_in_page(&app, "admin@demo.example").await;
    let (status, audit) = page(&app, &format!("/admin/programs/{}/audit", ids.program_id)).await;
    assert_eq!(status, 200);
    for action in [
        "hours.manual",
        "hours.approve",
        "hours.signoff",
        "key.approve",
    ] {
        assert!(audit.contains(action), "{action} on the audit page");
    }
    let (_, hours_only) = page(
        &app,
        &format!("/admin/programs/{}/audit?action=hours.", ids.program_id),
    )
    .await;
    assert!(!hours_only.contains("key.approve"));
}

#[tokio::test]
async fn supervisors_build_assignments_with_the_form() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    sign_in_page(&app, "supervisor@demo.example").await;
    let path = format!("/cohorts/{}/assignments", ids.cohort_id);
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, 200);
    let csrf = hidden(&html, "csrf_token");
    let opens = (Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let due = (Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let (status, _, html) = post(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("title", "Mock exam"),
            ("mode", "exam"),
            ("opens_at", &opens),
            ("due_at", &due),
            ("time_limit_minutes", "0"),
            ("count", "3"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("role=\"alert\"") && html.contains("time limit"),
        "the field is named"
    );
    let (status, location, _) = post(
        &app,
        &path,
        &[
            ("csrf_token", &csrf),
            ("title", "Mock exam"),
            ("mode", "exam"),
            ("opens_at", &opens),
            ("due_at", &due),
            ("time_limit_minutes", "120"),
            ("count", "3"),
            ("areas", "orthopedics"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, html) = page(&app, &path).await;
    assert!(
        html.contains("Mock exam") && html.contains("exam (120 min)") && html.contains("withheld")
    );
}

#[tokio::test]
async fn admins_import_a_pasted_roster_and_see_each_bad_row() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    sign_in_page(&app, "admin@demo.example").await;
    let (status, html) = page(&app, &format!("/admin/cohorts/{}", ids.cohort_id)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Import students from CSV"));
    let csrf = hidden(&html, "csrf_token");
    let path = format!("/admin/cohorts/{}/roster", ids.cohort_id);
    let csv = "email,name\nfresh@students.example,Fresh Student\nbroken,No Email\n";
    let (status, _, html) = post(&app, &path, &[("csrf_token", &csrf), ("csv", csv)]).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Nothing imported") && html.contains("<td>3</td><td>email</td>"),
        "{html}"
    );
    let (status, _, html) = post(
        &app,
        &path,
        &[("csrf_token", &csrf), ("csv", csv), ("skip_invalid", "yes")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Roster imported") && html.contains("fresh@students.example"));
    assert!(html.contains("Initial password"));
}
