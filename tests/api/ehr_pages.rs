//! The mock EHR pages: search, chart, encounter tabs, print view, and the
//! supervisor's encounter pool with generation.

use crate::common::{TestApp, spawn_app};
use crate::pages::{hidden, sign_in_page};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The first link target starting with `prefix` in a page.
fn first_link(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link to {prefix}"))
        + 6;
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_student_searches_opens_a_chart_and_reads_every_tab() {
    let app = spawn_app().await;
    sign_in_page(&app, "student1@demo.example").await;
    let (status, list) = page(&app, "/ehr").await;
    assert_eq!(status, 200);
    assert!(list.contains("Name, MRN or date of birth"));
    assert!(list.contains("SYN-"), "patients listed");
    let chart_link = first_link(&list, "/ehr/patients/");

    let (status, chart) = page(&app, &chart_link).await;
    assert_eq!(status, 200);
    assert!(chart.contains("class=\"patient-banner\"") && chart.contains("SYNTHETIC"));
    assert!(chart.contains("555-01"));
    let enc_link = first_link(&chart, "/ehr/encounters/");

    let (status, notes) = page(&app, &enc_link).await;
    assert_eq!(status, 200);
    assert!(
        notes.contains("aria-current=\"page\">Notes"),
        "notes tab first"
    );
    assert!(notes.contains("class=\"document-body\""));
    assert!(
        !notes.contains("Answer key") && !notes.contains("Supervisor view"),
        "no key for students"
    );
    for tab in [
        "vitals",
        "problems",
        "medications",
        "allergies",
        "results",
        "history",
    ] {
        let (status, html) = page(&app, &format!("{enc_link}?tab={tab}")).await;
        assert_eq!(status, 200, "{tab}");
        assert!(html.contains("class=\"tab-panel\""), "{tab}");
    }
    let (_, vitals) = page(&app, &format!("{enc_link}?tab=vitals")).await;
    assert!(vitals.contains("Blood pressure") && vitals.contains("mmHg"));
    // Asking for the key tab as a student falls back to the notes.
    let (status, html) = page(&app, &format!("{enc_link}?tab=key")).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Key version"));

    let print_link = first_link(&notes, "/ehr/documents/");
    let (status, print) = page(&app, &print_link).await;
    assert_eq!(status, 200);
    assert!(print.contains("SYNTHETIC TRAINING RECORD"));
    assert!(print.contains("@media print") || print.contains("/static/app.css"));

    // A search with no match says so; a name search finds the patient.
    let (_, none) = page(&app, "/ehr?q=zzzzqqq").await;
    assert!(none.contains("No patients found") && none.contains("0 patients"));
}

#[tokio::test]
async fn a_supervisor_generates_from_the_pool_page_and_sees_keys() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    sign_in_page(&app, "supervisor@demo.example").await;
    let path = format!("/cohorts/{}/encounters", ids.cohort_id);
    let (status, pool) = page(&app, &path).await;
    assert_eq!(status, 200);
    assert!(pool.contains("Generate encounters"));
    let csrf = hidden(&pool, "csrf_token");
    let res = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("count", "3"),
            ("areas", "radiology"),
            ("areas", "cardiology"),
            ("difficulties", "foundation"),
            ("difficulties", "intermediate"),
            ("difficulties", "advanced"),
            ("seed", "99"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, after) = page(&app, &format!("{path}?notice=generated")).await;
    assert!(after.contains("Encounters generated."));
    assert!(
        after.contains("radiology, cardiology"),
        "run listed with its areas"
    );

    // A bad count re-renders the form with the error, storing nothing.
    let res = app
        .client
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("count", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("Count"),
        "error shown"
    );

    let enc_link = first_link(&after, "/ehr/encounters/");
    let (_, enc) = page(&app, &format!("{enc_link}?tab=key")).await;
    assert!(enc.contains("Supervisor view"));
    assert!(enc.contains("Key version 1") && enc.contains("generated"));

    // A new key version from the form: prefilled with the current key, saved
    // as version 2; a bad code re-renders the form with the reason.
    let key_path = format!("{enc_link}/keys");
    let csrf = hidden(&enc, "csrf_token");
    let draft_start = enc.find("name=\"key_json\"").expect("key form");
    assert!(
        enc[draft_start..].contains("diagnoses") && enc[draft_start..].contains("pointers"),
        "draft prefilled"
    );
    let good =
        r#"{"diagnoses": [{"code": "R07.9"}], "lines": [{"code": "99213", "pointers": ["A"]}]}"#;
    let res = app
        .client
        .post(app.url(&key_path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("note", "Teaching variant"),
            ("base_version", "1"),
            ("key_json", good),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, keys) = page(&app, &format!("{enc_link}?tab=key&saved=1")).await;
    assert!(keys.contains("Key version 2") && keys.contains("Teaching variant"));
    let bad =
        r#"{"diagnoses": [{"code": "R07"}], "lines": [{"code": "99213", "pointers": ["A"]}]}"#;
    let res = app
        .client
        .post(app.url(&key_path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("note", "x"),
            ("base_version", "2"),
            ("key_json", bad),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("R07"),
        "reason shown"
    );
    assert!(!html.contains("Key version 3"));
}

#[tokio::test]
async fn a_student_codes_an_encounter_in_the_workspace_and_reads_the_result() {
    let app = spawn_app().await;
    let sup = app.token("supervisor@demo.example").await;
    let (_, page_json) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc = page_json["items"][0]["encounter"]["id"].as_i64().unwrap();
    let (_, keys) = app
        .get_json(&format!("/api/v1/encounters/{enc}/keys"), &sup)
        .await;
    let key = keys[0]["key"].clone();
    sign_in_page(&app, "student1@demo.example").await;
    let (_, enc_page) = page(&app, &format!("/ehr/encounters/{enc}")).await;
    assert!(enc_page.contains("Code this encounter"));
    let path = format!("/ehr/encounters/{enc}/code");
    let (status, ws) = page(&app, &path).await;
    assert_eq!(status, 200);
    assert!(ws.contains("class=\"document-body\"") && ws.contains("name=\"dx_A\""));
    let csrf = hidden(&ws, "csrf_token");
    let idem = hidden(&ws, "idempotency_key");

    // The key as form fields.
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), csrf.clone()),
        ("idempotency_key".into(), idem),
    ];
    for (i, d) in key["diagnoses"].as_array().unwrap().iter().enumerate() {
        form.push((
            format!("dx_{}", (b'A' + i as u8) as char),
            d.as_str().unwrap().into(),
        ));
    }
    for (i, l) in key["lines"].as_array().unwrap().iter().enumerate() {
        form.push((format!("code_{i}"), l["code"].as_str().unwrap().into()));
        let mods: Vec<&str> = l["modifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        form.push((format!("mods_{i}"), mods.join(" ")));
        form.push((format!("units_{i}"), l["units"].to_string()));
        let ptrs: Vec<&str> = l["pointers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        form.push((format!("ptrs_{i}"), ptrs.concat()));
    }
    // Check: a wrong first diagnosis shows an edit finding, stores nothing.
    let mut wrong = form.clone();
    wrong.iter_mut().find(|(k, _)| k == "dx_A").unwrap().1 = "S52".into();
    wrong.push(("action".into(), "check".into()));
    let res = app
        .client
        .post(app.url(&path))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("DX-HEADER"), "edit shown");
    // Save a draft, then it is prefilled.
    let mut save = form.clone();
    save.push(("action".into(), "save".into()));
    let res = app
        .client
        .post(app.url(&path))
        .form(&save)
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("Draft saved."));
    let (_, again) = page(&app, &path).await;
    let first = key["diagnoses"][0].as_str().unwrap();
    assert!(
        again.contains(&format!("value=\"{first}\"")),
        "draft prefilled"
    );
    // Submit: redirected to the result with the score and the key beside the claim.
    let mut submit = form.clone();
    submit.push(("action".into(), "submit".into()));
    let res = app
        .client
        .post(app.url(&path))
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    // A double-click resubmits the same form: the same result, no duplicate.
    let res = app
        .client
        .post(app.url(&path))
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"].to_str().unwrap(), location);
    let (status, result) = page(&app, &location).await;
    assert_eq!(status, 200);
    assert!(result.contains("Score: 100"), "the key scores 100");
    assert!(result.contains("Answer key") && result.contains("Element by element"));
}
