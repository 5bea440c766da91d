//! Health, readiness, metrics, the OpenAPI document and request ids.

use crate::common::{spawn_app, status_json};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let (status, body) =
        status_json(app.client.get(app.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) =
        status_json(app.client.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let a = app.client.get(app.url("/healthz")).send().await.unwrap();
    let b = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    let ida = a.headers()["x-request-id"].to_str().unwrap().to_owned();
    let idb = b.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(ida.len(), 36);
    assert_ne!(ida, idb);
}

#[tokio::test]
async fn metrics_count_requests_in_prometheus_format() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.client.get(app.url("/healthz")).send().await.unwrap();
    }
    // A path matching no route is counted under one label, not its own.
    app.client
        .get(app.url("/no/such/page-7f3a"))
        .send()
        .await
        .unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("practicum_http_requests_total")
                && l.contains("endpoint=\"/healthz\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no healthz counter in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(
        text.contains("practicum_http_requests_duration_seconds_bucket"),
        "latency histogram present"
    );
    assert!(!text.contains("page-7f3a") && text.contains("endpoint=\"UNMATCHED\""));
}

#[tokio::test]
async fn openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let (status, doc) = status_json(
        app.client
            .get(app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/programs", "get"),
        ("/api/v1/programs", "post"),
        ("/api/v1/programs/{program_id}", "patch"),
        ("/api/v1/programs/{program_id}/cohorts", "post"),
        ("/api/v1/cohorts/{cohort_id}", "get"),
        ("/api/v1/cohorts/{cohort_id}/enrolments", "post"),
        ("/api/v1/cohorts/{cohort_id}/enrolments/{user_id}", "delete"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{user_id}", "patch"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let page = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/v1/cohorts/{cohort_id}/enrolments"));
    assert!(html.contains("Synthetic data"));
}

#[tokio::test]
async fn a_second_start_keeps_existing_data_and_does_not_reseed() {
    use practicum::config::Settings;
    use practicum::startup::{Application, BuildOptions};
    let app = spawn_app().await;
    let admin = app.token("admin@demo.example").await;
    let ids = app.demo_ids().await;
    let (status, _) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/programs/{}", ids.program_id),
            &admin,
            &serde_json::json!({"name": "Renamed Program"}),
        )
        .await;
    assert_eq!(status, 200);
    // Start a second instance on the same storage with --demo.
    let raw = crate::common::settings_for(&app);
    let settings = Settings::from_raw(raw).unwrap();
    let second = Application::build(&settings, BuildOptions { demo: true })
        .await
        .unwrap();
    let mut conn = second.pool().get().unwrap();
    let count = practicum::store::programs::count(&mut conn).unwrap();
    assert_eq!(count, 1, "no second demo program");
    let program = practicum::store::programs::find(&mut conn, ids.program_id).unwrap();
    assert_eq!(
        program.name, "Renamed Program",
        "existing data kept as it is"
    );
}

#[tokio::test]
async fn a_configured_metrics_token_is_required_to_scrape() {
    let app = crate::common::spawn_app_with(|raw| {
        raw.metrics_token = Some("scrape-token-0123456789".into());
    })
    .await;
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    let (status, body) = crate::common::status_json(res).await;
    assert_eq!(status, 401);
    crate::common::assert_error(&body, "unauthorized");
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-wrong-0000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("practicum_http_requests_total")
    );
}
