//! The encoder API and page.

use crate::common::{assert_error, spawn_app};

#[tokio::test]
async fn search_ranks_and_validates_its_query() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/codes/search?q=wheezing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "sign-in required");
    let token = app.token("student1@demo.example").await;
    let (status, body) = app
        .get_json(
            "/api/v1/codes/search?q=colles%20fracture%20right&system=icd10cm&limit=5",
            &token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["results"][0]["code"], "S52.531-");
    assert_eq!(body["results"][0]["kind"], "needs_seventh");
    assert_eq!(body["results"].as_array().unwrap().len(), 5);
    let (_, body) = app.get_json("/api/v1/codes/search?q=S52.531", &token).await;
    let codes: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"S52.531A") && codes.contains(&"S52.531S"),
        "{codes:?}"
    );
    let (status, body) = app
        .get_json("/api/v1/codes/search?q=x&system=snomed", &token)
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "system");
    let (status, body) = app
        .get_json("/api/v1/codes/search?q=x&limit=0", &token)
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "limit");
    let (status, body) = app.get_json("/api/v1/codes/search", &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "q");
}

#[tokio::test]
async fn code_detail_explains_validity() {
    let app = spawn_app().await;
    let token = app.token("supervisor@demo.example").await;
    let (status, d) = app
        .get_json("/api/v1/codes/icd10cm/s52531a?date=2026-06-01", &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(d["code"], "S52.531A");
    assert_eq!(d["validity"]["billable"], true);
    assert_eq!(d["path"][2]["code"], "S52");
    assert!(
        d["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "excludes1" && n["from"] == "S52"),
        "inherited notes carry their source"
    );

    let (_, d) = app
        .get_json("/api/v1/codes/icd10cm/S52.521B?date=2026-06-01", &token)
        .await;
    assert_eq!(d["validity"]["problem"], "invalid_seventh");
    let allowed: Vec<&str> = d["seventh_characters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["character"].as_str().unwrap())
        .collect();
    assert_eq!(allowed, vec!["A", "D", "G", "K", "P", "S"]);

    let (_, d) = app
        .get_json("/api/v1/codes/icd10cm/E11.329?date=2026-06-01", &token)
        .await;
    assert_eq!(d["validity"]["problem"], "missing_seventh");
    assert_eq!(d["kind"], "needs_seventh");

    let (_, d) = app
        .get_json("/api/v1/codes/icd10cm/E11?date=2026-06-01", &token)
        .await;
    assert_eq!(d["validity"]["problem"], "header");
    assert!(
        d["billable_children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "E11.9")
    );

    let (_, d) = app.get_json("/api/v1/codes/icd10cm/G63", &token).await;
    assert_eq!(d["never_first_listed"], true);
    assert_eq!(d["validity"]["billable"], true);

    let (_, d) = app
        .get_json("/api/v1/codes/icd10cm/E11.9?date=2026-03-31", &token)
        .await;
    assert_eq!(d["validity"]["problem"], "not_effective");
    assert!(
        d["validity"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-04-01")
    );

    let (status, body) = app.get_json("/api/v1/codes/icd10cm/Z99.999", &token).await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found");
    let (status, body) = app.get_json("/api/v1/codes/loinc/1234", &token).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "system");
    let (status, _) = app
        .get_json("/api/v1/codes/icd10cm/E11.9?date=yesterday", &token)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn encoder_page_works_without_javascript() {
    let app = spawn_app().await;
    crate::pages::sign_in_page(&app, "student1@demo.example").await;
    let res = app
        .client
        .get(app.url("/encoder?q=wheezing&code=R06.2&date=2026-06-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<code>R06.2</code> Wheezing"),
        "result listed"
    );
    assert!(
        html.contains("R06.2 is billable on 2026-06-01"),
        "detail shown"
    );
    assert!(html.contains("Synthetic data"));
    let res = app.client.get(app.url("/encoder")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn code_set_imports_are_stored_on_either_backend() {
    use practicum::codes::imports::{ImportFile, ImportKind};
    let app = spawn_app().await;
    let pool = app.pool.clone();
    let mue = "\"HCPCS/CPT Code\",\"Practitioner Services MUE Values\",\"MUE Adjudication Indicator\",\"MUE Rationale\"\n\
               J1100,99,3 Date of Service Edit: Clinical,Clinical: Data\n";
    let file = ImportFile {
        kind: ImportKind::NcciMue,
        release_name: "MUE sample".into(),
        effective_from: None,
        effective_to: None,
        text: mue.into(),
    };
    let sets = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        let done = practicum::service::codesets::import(&mut conn, file.clone(), |_| {}).unwrap();
        assert_eq!(done.rows, 1);
        assert!(
            practicum::service::codesets::import(&mut conn, file, |_| {}).is_err(),
            "same file twice"
        );
        practicum::service::codesets::load(&mut conn).unwrap()
    })
    .await
    .unwrap();
    let mue = sets
        .ncci
        .mue(practicum::codes::CodeKey::parse("J1100").unwrap())
        .unwrap();
    assert_eq!(
        mue.value, 99,
        "the imported value overrides the shipped one"
    );
}
