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
