//! `POST /api/v1/claims/check`: the edits over HTTP, storing nothing.

use reqwest::Method;
use serde_json::json;

use crate::common::{assert_error, spawn_app};

#[tokio::test]
async fn the_check_endpoint_reports_findings_with_rule_severity_and_target() {
    let app = spawn_app().await;
    let token = app.token("student1@demo.example").await;
    let bad = json!({
        "date_of_service": "2026-06-15",
        "patient": {"sex": "F", "birth_date": "1970-02-01"},
        "diagnoses": ["w01.0xxa", "S52531", "E11.9", "E10.9"],
        "lines": [
            {"code": "25600", "modifiers": ["rt"], "units": 1, "pointers": ["b", "a"], "pos": "11"},
            {"code": "99213", "units": 1, "pointers": ["C", "E"]}
        ]
    });
    let (status, report) = app
        .send_json(Method::POST, "/api/v1/claims/check", &token, &bad)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["clean"], false);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    for r in [
        "DX-EXTERNAL-CAUSE-FIRST",
        "DX-SEVENTH-MISSING",
        "DX-EXCLUDES1",
        "LINE-POINTER-EMPTY",
    ] {
        assert!(rules.contains(&r), "{r} in {rules:?}");
    }
    let first = &report["findings"][0];
    assert_eq!(first["severity"], "error");
    assert!(first["target"]["kind"].is_string());
    assert!(!first["reference"].as_str().unwrap().is_empty());
    assert!(report["counts"]["error"].as_u64().unwrap() >= 3);

    let good = json!({
        "date_of_service": "2026-06-15",
        "patient": {"sex": "F", "birth_date": "1970-02-01"},
        "diagnoses": ["S52.531A", "W01.0XXA"],
        "lines": [{"code": "25600", "modifiers": ["RT"], "units": 1, "pointers": ["A", "B"]}]
    });
    let (status, report) = app
        .send_json(Method::POST, "/api/v1/claims/check", &token, &good)
        .await;
    assert_eq!(status, 200);
    assert_eq!(report["clean"], true, "{report}");

    // Shape problems are 4xx naming the field.
    let mut over = good.clone();
    over["diagnoses"] = json!(vec!["R05.9"; 13]);
    let (status, err) = app
        .send_json(Method::POST, "/api/v1/claims/check", &token, &over)
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "diagnoses");
    let mut missing = good.clone();
    missing["patient"] = json!({"sex": "F"});
    let (status, err) = app
        .send_json(Method::POST, "/api/v1/claims/check", &token, &missing)
        .await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "patient.birth_date");
    let res = app
        .client
        .post(app.url("/api/v1/claims/check"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_error(&body, "unauthorized");
}

/// The claim an encounter's newest key describes, read as the supervisor.
pub(crate) async fn key_claim(
    app: &crate::common::TestApp,
    sup: &str,
    enc_id: i64,
) -> serde_json::Value {
    let (_, keys) = app
        .get_json(&format!("/api/v1/encounters/{enc_id}/keys"), sup)
        .await;
    crate::common::claim_of_newest_key(&keys)
}

pub(crate) async fn submit(
    app: &crate::common::TestApp,
    token: &str,
    enc_id: i64,
    key: Option<&str>,
    claim: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut req = app
        .request(
            Method::POST,
            &format!("/api/v1/encounters/{enc_id}/claims"),
            token,
        )
        .json(claim);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    crate::common::status_json(req.send().await.unwrap()).await
}

#[tokio::test]
async fn submissions_are_idempotent_immutable_versioned_and_private() {
    let app = spawn_app().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &s1).await;
    let enc = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let perfect = key_claim(&app, &sup, enc).await;

    // Drafts save as the student works, incomplete ones included.
    let draft = json!({"diagnoses": ["S52"], "lines": []});
    let (status, saved) = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/encounters/{enc}/claim-draft"),
            &s1,
            &draft,
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (_, back) = app
        .get_json(&format!("/api/v1/encounters/{enc}/claim-draft"), &s1)
        .await;
    assert_eq!(back["claim"], draft);
    let (status, _) = app
        .get_json(&format!("/api/v1/encounters/{enc}/claim-draft"), &s2)
        .await;
    assert_eq!(status, 404, "another student's draft is not visible");

    // No Idempotency-Key: refused, nothing stored.
    let (status, err) = submit(&app, &s1, enc, None, &perfect).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["field"], "Idempotency-Key");

    let (status, first) = submit(&app, &s1, enc, Some("attempt-1"), &perfect).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["version"], 1);
    assert_eq!(
        first["feedback_visible"], true,
        "practice mode: feedback after submission"
    );
    assert_eq!(
        first["score"]["total"], 100.0,
        "the key scores 100: {first}"
    );
    assert_eq!(first["score"]["engine_version"], "scoring-1");
    assert_eq!(first["score"]["key_version"], 1);
    assert!(first["key"]["diagnoses"].is_array());

    // A retry returns the first result; reusing the key for another claim is refused.
    let (status, retry) = submit(&app, &s1, enc, Some("attempt-1"), &perfect).await;
    assert_eq!(status, 200);
    assert_eq!(retry["id"], first["id"]);
    let mut worse = perfect.clone();
    worse["lines"][0]["units"] = json!(worse["lines"][0]["units"].as_u64().unwrap() + 1);
    let (status, err) = submit(&app, &s1, enc, Some("attempt-1"), &worse).await;
    assert_eq!(status, 409, "{err}");
    let (_, mine) = app
        .get_json(&format!("/api/v1/encounters/{enc}/claims"), &s1)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "no duplicate");

    // A resubmission is a new version; the first is unchanged.
    let (status, second) = submit(&app, &s1, enc, Some("attempt-2"), &worse).await;
    assert_eq!(status, 201);
    assert_eq!(second["version"], 2);
    assert!(second["score"]["total"].as_f64().unwrap() < 100.0);
    let (_, again) = app
        .get_json(&format!("/api/v1/claims/{}", first["id"]), &s1)
        .await;
    assert_eq!(again["claim"], first["claim"]);
    assert_eq!(again["score"]["total"], 100.0);

    // Another student sees neither the claim nor its key.
    let (status, _) = app
        .get_json(&format!("/api/v1/claims/{}", first["id"]), &s2)
        .await;
    assert_eq!(status, 404);
    let (_, theirs) = app
        .get_json(&format!("/api/v1/encounters/{enc}/claims"), &s2)
        .await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    // Supervisors see every submission, re-score against a new key version
    // and keep the earlier scores; students cannot re-score.
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/claims/{}/rescore", second["id"]),
            &s1,
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
    let (_, all) = app
        .get_json(&format!("/api/v1/encounters/{enc}/claims"), &sup)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let key_input = json!({
        "base_version": 1,
        "note": "Accept the extra unit",
        "diagnoses": worse["diagnoses"].as_array().unwrap().iter().map(|d| json!({"code": d})).collect::<Vec<_>>(),
        "lines": worse["lines"].as_array().unwrap().iter().map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"]})).collect::<Vec<_>>(),
    });
    let (status, k2) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/encounters/{enc}/keys"),
            &sup,
            &key_input,
        )
        .await;
    assert_eq!(status, 201, "{k2}");
    let (status, rescored) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/claims/{}/rescore", second["id"]),
            &sup,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rescored}");
    let history = rescored["score_history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "earlier score kept");
    assert_eq!(history[0]["key_version"], 1);
    assert_eq!(history[1]["key_version"], 2);
    // Against the new key the extra unit is right (an MUE edit may still cost points).
    assert!(
        history[1]["total"].as_f64().unwrap() > history[0]["total"].as_f64().unwrap(),
        "{history:?}"
    );

    // Supervisors do not submit.
    let (status, _) = submit(&app, &sup, enc, Some("sup-1"), &perfect).await;
    assert_eq!(status, 403);
}

/// Runs pyx12's `x12valid` on a file when `PRACTICUM_X12_VALIDATOR` names it
/// (`.ci/run` installs it), or says the check was skipped.
fn validate_x12(text: &str) {
    let Ok(tool) = std::env::var("PRACTICUM_X12_VALIDATOR") else {
        if std::env::var("PRACTICUM_REQUIRE_X12").is_ok() {
            panic!("PRACTICUM_REQUIRE_X12 is set but PRACTICUM_X12_VALIDATOR is not");
        }
        eprintln!(
            "SKIPPED: independent X12 837P validation (set PRACTICUM_X12_VALIDATOR to pyx12's x12valid; .ci/run does)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("claim.837");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .expect("run x12valid");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains(": OK") && !report.contains("ERROR") && !report.contains("Failure"),
        "x12valid:\n{report}\n{text}"
    );
}

#[tokio::test]
async fn a_submitted_claim_exports_as_a_valid_837p() {
    let app = spawn_app().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=200", &s1).await;
    let mut checked = 0;
    // Several encounters: different payers, diagnoses counts, modifiers.
    for item in page["items"].as_array().unwrap().iter().step_by(9).take(8) {
        let enc = item["encounter"]["id"].as_i64().unwrap();
        let claim = key_claim(&app, &sup, enc).await;
        let (status, sub) = submit(&app, &s1, enc, Some(&format!("x12-{enc}")), &claim).await;
        assert_eq!(status, 201, "{sub}");
        let res = app
            .request(
                Method::GET,
                &format!("/api/v1/claims/{}/837p", sub["id"]),
                &s1,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/edi-x12");
        let text = res.text().await.unwrap();
        assert!(text.starts_with("ISA*") && text.contains("ST*837*0001*005010X222A1"));
        assert!(text.contains("*T*:~"), "test usage indicator");
        for d in claim["diagnoses"].as_array().unwrap() {
            assert!(
                text.contains(&d.as_str().unwrap().replace('.', "")),
                "HI without dots"
            );
        }
        validate_x12(&text);
        // Another student cannot export it.
        let res = app
            .request(
                Method::GET,
                &format!("/api/v1/claims/{}/837p", sub["id"]),
                &s2,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        checked += 1;
    }
    assert_eq!(checked, 8);
}
