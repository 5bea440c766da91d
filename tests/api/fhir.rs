//! The FHIR R4 read API: shape, synthetic tags, access, OperationOutcome
//! errors, and validation by an independent FHIR library when one is set up
//! (`PRACTICUM_FHIR_PYTHON`, a Python with `fhir.resources` 6.4; `.ci/run`
//! makes one).

use serde_json::Value;

use crate::common::{TestApp, spawn_app};

async fn fhir_get(app: &TestApp, path: &str, token: &str) -> (u16, String, Value) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = res.text().await.unwrap();
    (
        status,
        ct,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

fn assert_synthetic(r: &Value) {
    let tags = r["meta"]["tag"]
        .as_array()
        .unwrap_or_else(|| panic!("no tags on {r}"));
    assert!(
        tags.iter().any(|t| t["code"] == "HTEST"),
        "HTEST tag on {}",
        r["resourceType"]
    );
    assert!(tags.iter().any(|t| t["code"] == "synthetic"));
}

/// Runs the independent validator over resources, or says it was skipped.
fn validate_independently(resources: &[Value]) {
    let Ok(python) = std::env::var("PRACTICUM_FHIR_PYTHON") else {
        if std::env::var("PRACTICUM_REQUIRE_FHIR").is_ok() {
            panic!("PRACTICUM_REQUIRE_FHIR is set but PRACTICUM_FHIR_PYTHON is not");
        }
        eprintln!(
            "SKIPPED: independent FHIR R4 validation (set PRACTICUM_FHIR_PYTHON to a Python with fhir.resources==6.4.0; .ci/run does)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        let path = dir
            .path()
            .join(format!("{i}-{}.json", r["resourceType"].as_str().unwrap()));
        std::fs::write(&path, serde_json::to_vec_pretty(r).unwrap()).unwrap();
        files.push(path);
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/fhir_validate.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(&files)
        .output()
        .expect("run the FHIR validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "FHIR validation failed:\n{text}");
    assert!(
        text.contains(&format!("validated {0} of {0}", files.len())),
        "{text}"
    );
}

#[tokio::test]
async fn encounter_bundles_are_valid_r4_and_marked_synthetic() {
    let app = spawn_app().await;
    let student = app.token("student1@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=200", &student).await;
    let items = page["items"].as_array().unwrap();
    let mut checked = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    // Every encounter of the demo cohort, exported as a Bundle.
    for item in items {
        let id = item["encounter"]["id"].as_i64().unwrap();
        let (status, ct, bundle) = fhir_get(
            &app,
            &format!("/fhir/r4/Encounter/{id}/$everything"),
            &student,
        )
        .await;
        assert_eq!(status, 200, "{bundle}");
        assert!(ct.starts_with("application/fhir+json"), "{ct}");
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_synthetic(&bundle);
        for e in bundle["entry"].as_array().unwrap() {
            let r = &e["resource"];
            assert_synthetic(r);
            kinds.insert(r["resourceType"].as_str().unwrap().to_owned());
            // No answer key reaches a student through FHIR.
            let text = r.to_string();
            assert!(!text.contains("rationale") && !text.contains("\"reasonCode\""));
        }
        checked.push(bundle);
    }
    assert!(checked.len() >= 80);
    for k in [
        "Patient",
        "Encounter",
        "Condition",
        "Observation",
        "DocumentReference",
    ] {
        assert!(kinds.contains(k), "{k} exported");
    }

    // Single reads and searches.
    let enc_id = items[0]["encounter"]["id"].as_i64().unwrap();
    let patient_id = items[0]["patient"]["id"].as_i64().unwrap();
    let (_, _, patient) = fhir_get(&app, &format!("/fhir/r4/Patient/{patient_id}"), &student).await;
    assert_eq!(patient["resourceType"], "Patient");
    assert!(
        patient["identifier"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("SYN-")
    );
    let (_, _, obs) = fhir_get(
        &app,
        &format!("/fhir/r4/Observation?encounter={enc_id}"),
        &student,
    )
    .await;
    let first_obs = obs["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, one) =
        fhir_get(&app, &format!("/fhir/r4/Observation/{first_obs}"), &student).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], first_obs.as_str());
    let mrn = patient["identifier"][0]["value"].as_str().unwrap();
    let (_, _, found) = fhir_get(
        &app,
        &format!("/fhir/r4/Patient?identifier=urn:practicum:mrn|{mrn}"),
        &student,
    )
    .await;
    assert_eq!(found["entry"][0]["resource"]["id"], patient_id.to_string());
    let (status, _, meta) = fhir_get(&app, "/fhir/r4/metadata", "").await;
    assert_eq!(status, 200);
    assert_eq!(meta["fhirVersion"], "4.0.1");

    let mut all = checked;
    all.push(patient);
    all.push(one);
    all.push(found);
    all.push(meta);
    validate_independently(&all);
}

#[tokio::test]
async fn fhir_errors_are_operation_outcomes_and_access_is_enforced() {
    let app = spawn_app().await;
    app.seed_other_program();
    let student = app.token("student1@demo.example").await;
    let outsider = app.token("student@other.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &student).await;
    let enc_id = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let mut outcomes = Vec::new();
    for (path, token, status) in [
        (
            format!("/fhir/r4/Encounter/{enc_id}"),
            outsider.as_str(),
            404,
        ),
        (
            format!("/fhir/r4/Encounter/{enc_id}/$everything"),
            outsider.as_str(),
            404,
        ),
        ("/fhir/r4/Patient/abc".to_owned(), student.as_str(), 404),
        (
            "/fhir/r4/Observation/999999-lab-0".to_owned(),
            student.as_str(),
            404,
        ),
        ("/fhir/r4/Claim/1".to_owned(), student.as_str(), 400),
        ("/fhir/r4/Observation".to_owned(), student.as_str(), 400),
        (
            "/fhir/r4/Patient?colour=red".to_owned(),
            student.as_str(),
            400,
        ),
        (format!("/fhir/r4/Encounter/{enc_id}"), "not-a-token", 401),
    ] {
        let (got, ct, body) = fhir_get(&app, &path, token).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(ct.starts_with("application/fhir+json"), "{path}: {ct}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{path}");
        assert!(!body["issue"][0]["diagnostics"].as_str().unwrap().is_empty());
        outcomes.push(body);
    }
    validate_independently(&outcomes);
}
