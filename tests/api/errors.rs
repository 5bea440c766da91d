//! The error contract on bad input: a clear 4xx naming the problem, and no change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{assert_error, spawn_app, status_json};

#[tokio::test]
async fn malformed_bodies_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.token("admin@demo.example").await;
    let (_, before) = app.get_json("/api/v1/programs", &admin).await;

    let raw = |body: &'static str| {
        app.request(Method::POST, "/api/v1/programs", &admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases: [(&str, u16, &str, Option<&str>); 6] = [
        (
            r#"{"name": "X", "ppe_hours_required": 10"#,
            400,
            "bad_request",
            None,
        ),
        (
            r#"{"name": "X", "ppe_hours_required": "ten", "pass_threshold_pct": 80}"#,
            400,
            "bad_request",
            Some("ppe_hours_required"),
        ),
        (
            r#"{"name": "X", "pass_threshold_pct": 80}"#,
            400,
            "bad_request",
            Some("ppe_hours_required"),
        ),
        (
            r#"{"name": "X", "ppe_hours_required": 10, "pass_threshold_pct": 80, "owner": 1}"#,
            400,
            "bad_request",
            Some("owner"),
        ),
        (r#"[1, 2, 3]"#, 400, "bad_request", None),
        ("", 400, "bad_request", None),
    ];
    for (body, status, code, field) in cases {
        let (got, json) = status_json(raw(body).await.unwrap()).await;
        assert_eq!(got, status, "{body}: {json}");
        assert_error(&json, code);
        assert_eq!(json["error"]["field"].as_str(), field, "{body}: {json}");
    }

    let (status, json) = status_json(
        app.request(Method::POST, "/api/v1/programs", &admin)
            .header("content-type", "text/plain")
            .body(r#"{"name": "X", "ppe_hours_required": 10, "pass_threshold_pct": 80}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415);
    assert_error(&json, "unsupported_media_type");

    let huge =
        json!({"name": "x".repeat(300 * 1024), "ppe_hours_required": 1, "pass_threshold_pct": 1});
    let (status, json) = app
        .send_json(Method::POST, "/api/v1/programs", &admin, &huge)
        .await;
    assert_eq!(status, 413);
    assert_error(&json, "payload_too_large");

    let (status, json) = app
        .send_json(
            Method::POST,
            "/api/v1/programs",
            &admin,
            &json!({"name": "   ", "ppe_hours_required": 10, "pass_threshold_pct": 80}),
        )
        .await;
    assert_eq!(status, 422);
    assert_error(&json, "validation_failed");
    assert_eq!(json["error"]["field"], "name");

    let (_, after) = app.get_json("/api/v1/programs", &admin).await;
    assert_eq!(before, after, "no refused request created anything");
}

#[tokio::test]
async fn unknown_ids_routes_and_bad_paths() {
    let app = spawn_app().await;
    let admin = app.token("admin@demo.example").await;
    for path in [
        "/api/v1/programs/987654",
        "/api/v1/cohorts/987654",
        "/api/v1/users/987654",
        "/api/v1/cohorts/987654/enrolments",
    ] {
        let (status, json) = app.get_json(path, &admin).await;
        assert_eq!(status, 404, "{path}");
        assert_error(&json, "not_found");
    }
    let (status, json) = app.get_json("/api/v1/programs/abc", &admin).await;
    assert_eq!(status, 400);
    assert_error(&json, "bad_request");
    assert_eq!(json["error"]["field"], "path");
    let (status, json) = app.get_json("/api/v1/no-such-thing", &admin).await;
    assert_eq!(status, 404);
    assert_error(&json, "not_found");
    let (status, json) = app
        .send_json(
            Method::PATCH,
            "/api/v1/programs/987654",
            &admin,
            &json!({"name": "X"}),
        )
        .await;
    assert_eq!(status, 404, "{json}");
    assert_error(&json, "not_found");
}

#[tokio::test]
async fn login_body_errors_follow_the_contract() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "a@b.example"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "password");
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": 5, "password": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body): (u16, Value) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "email");
}

#[tokio::test]
async fn long_query_strings_are_refused_before_any_route_reads_them() {
    let app = spawn_app().await;
    let token = app.token("student1@demo.example").await;
    let limit = practicum::middleware::MAX_QUERY_BYTES;
    let at_limit = format!("/api/v1/codes/search?q={}", "a".repeat(limit - 2));
    let (status, _) = app.get_json(&at_limit, &token).await;
    assert_ne!(status, 414, "a query of exactly {limit} bytes is read");
    for path in [
        "/api/v1/codes/search",
        "/ehr",
        "/fhir/r4/Patient",
        "/nowhere",
    ] {
        let long = format!("{path}?q={}", "a".repeat(limit));
        let res = app
            .request(Method::GET, &long, &token)
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(res).await;
        assert_eq!(status, 414, "{path}");
        assert_error(&body, "uri_too_long");
    }
}
