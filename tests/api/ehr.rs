//! The mock EHR API: generation, search, charts, documents and answer keys,
//! and who may see what.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{assert_error, spawn_app};

/// Every string anywhere in a JSON value, for "no key leaks" checks.
fn all_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                all_keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| all_keys(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn demo_cohort_has_charts_students_can_search_and_read() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let student = app.token("student1@demo.example").await;

    let (status, page) = app.get_json("/api/v1/encounters?limit=200", &student).await;
    assert_eq!(status, 200, "{page}");
    let total = page["total"].as_i64().unwrap();
    assert!(total >= 80, "demo encounters: {total}");
    let first = &page["items"][0];
    assert_eq!(first["patient"]["synthetic"], true);
    assert!(
        first["patient"]["mrn"]
            .as_str()
            .unwrap()
            .starts_with("SYN-")
    );
    let phone = first["patient"]["phone"].as_str().unwrap();
    assert!(phone.contains("555-01"), "{phone}");

    // Search by the family name prefix, case-insensitively, then by MRN and DOB.
    let family = first["patient"]["family_name"].as_str().unwrap();
    let prefix = family[..3.min(family.len())].to_lowercase();
    let (status, found) = app
        .get_json(
            &format!("/api/v1/patients?q={prefix}&cohort={}", ids.cohort_id),
            &student,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let names: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["patient"]["family_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&family), "{names:?} lacks {family}");
    assert!(names.iter().all(|n| n.to_lowercase().starts_with(&prefix)
        || found["items"].as_array().unwrap().iter().any(|p| {
            p["patient"]["given_name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with(&prefix)
        })));
    let mrn = first["patient"]["mrn"].as_str().unwrap();
    let (_, by_mrn) = app
        .get_json(&format!("/api/v1/patients?q={mrn}"), &student)
        .await;
    assert_eq!(by_mrn["items"][0]["patient"]["mrn"], mrn);
    let dob = first["patient"]["birth_date"].as_str().unwrap();
    let (_, by_dob) = app
        .get_json(&format!("/api/v1/patients?q={dob}"), &student)
        .await;
    assert!(
        by_dob["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["patient"]["birth_date"] == dob)
    );
    assert!(by_dob["total"].as_i64().unwrap() >= 1);

    // The chart, the encounter, its documents: and never a key.
    let patient_id = first["patient"]["id"].as_i64().unwrap();
    let (status, chart) = app
        .get_json(&format!("/api/v1/patients/{patient_id}"), &student)
        .await;
    assert_eq!(status, 200);
    let enc_id = chart["encounters"][0]["id"].as_i64().unwrap();
    let (status, enc) = app
        .get_json(&format!("/api/v1/encounters/{enc_id}"), &student)
        .await;
    assert_eq!(status, 200, "{enc}");
    assert!(
        enc.get("supervision").is_none(),
        "students get no supervision block"
    );
    let mut keys = Vec::new();
    all_keys(&enc, &mut keys);
    for banned in [
        "key",
        "diagnoses",
        "lines",
        "rationale",
        "variables",
        "scenario_id",
        "title_of_scenario",
    ] {
        assert!(
            !keys.iter().any(|k| k == banned),
            "student encounter view has {banned}"
        );
    }
    let doc_id = enc["documents"][0]["id"].as_i64().unwrap();
    let (status, doc) = app
        .get_json(&format!("/api/v1/documents/{doc_id}"), &student)
        .await;
    assert_eq!(status, 200);
    assert!(doc["body"].as_str().unwrap().len() > 100, "{doc}");
    let (status, body) = app
        .get_json(&format!("/api/v1/encounters/{enc_id}/keys"), &student)
        .await;
    assert_eq!(status, 403);
    assert_error(&body, "forbidden");
}

#[tokio::test]
async fn supervisors_generate_deterministically_and_see_keys() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let path = format!("/api/v1/cohorts/{}/encounters/generate", ids.cohort_id);
    let req = json!({"count": 6, "areas": ["orthopedics"], "seed": 77});
    let (status, run) = app.send_json(Method::POST, &path, &sup, &req).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["created"], 6);
    assert_eq!(run["seed"], 77);
    // The same request again creates nothing: same scenarios, same seeds.
    let (status, again) = app.send_json(Method::POST, &path, &sup, &req).await;
    assert_eq!(status, 201);
    assert_eq!(again["created"], 0);
    assert_eq!(again["skipped"], 6);

    let enc_id = run["encounter_ids"][0].as_i64().unwrap();
    let (_, enc) = app
        .get_json(&format!("/api/v1/encounters/{enc_id}"), &sup)
        .await;
    assert_eq!(enc["encounter"]["department"], "Orthopedics");
    assert!(
        enc["supervision"]["scenario_id"]
            .as_str()
            .unwrap()
            .starts_with("ortho-")
    );
    let (status, keys) = app
        .get_json(&format!("/api/v1/encounters/{enc_id}/keys"), &sup)
        .await;
    assert_eq!(status, 200, "{keys}");
    assert_eq!(keys[0]["version"], 1);
    assert_eq!(keys[0]["source"], "generated");
    let dx = keys[0]["key"]["diagnoses"][0].as_str().unwrap().to_owned();
    assert!(
        dx.starts_with('S') || dx.starts_with('M'),
        "ortho first-listed {dx}"
    );
    assert!(keys[0]["key"]["lines"][0]["pointers"][0] == "A");

    let (_, runs) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/generation-runs", ids.cohort_id),
            &sup,
        )
        .await;
    assert_eq!(runs[0]["seed"], 77);
    assert_eq!(runs[0]["areas"], json!(["orthopedics"]));

    // Students may not generate; bad requests name the field and change nothing.
    let student = app.token("student1@demo.example").await;
    let (status, _) = app.send_json(Method::POST, &path, &student, &req).await;
    assert_eq!(status, 403);
    for (body, field) in [
        (json!({"count": 0}), "count"),
        (json!({"count": 5000}), "count"),
        (json!({"count": 2, "areas": ["astrology"]}), "areas"),
        (
            json!({"count": 2, "difficulties": ["easy"]}),
            "difficulties",
        ),
        (json!({"count": "two"}), "count"),
    ] {
        let (status, err) = app.send_json(Method::POST, &path, &sup, &body).await;
        assert!(status == 422 || status == 400, "{body} gave {status}");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (_, after) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let (_, runs_after) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/generation-runs", ids.cohort_id),
            &sup,
        )
        .await;
    assert_eq!(
        runs_after.as_array().unwrap().len(),
        runs.as_array().unwrap().len()
    );
    assert!(after["total"].as_i64().unwrap() >= 86);
}

#[tokio::test]
async fn supervisor_key_versions_are_checked_and_kept() {
    let app = spawn_app().await;
    let sup = app.token("supervisor@demo.example").await;
    let (_, page) = app
        .get_json("/api/v1/encounters?specialty=urgent-care&limit=5", &sup)
        .await;
    let enc_id = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/encounters/{enc_id}/keys");
    let (_, before) = app.get_json(&path, &sup).await;
    let generated = before[0]["key"].clone();

    let good = json!({
        "base_version": 1,
        "note": "Accept the unspecified code while the class reviews laterality.",
        "diagnoses": [{"code": "r30.0", "rationale": "Dysuria"}],
        "lines": [{"code": "99213", "pointers": ["a"]}]
    });
    let (status, v2) = app.send_json(Method::POST, &path, &sup, &good).await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["source"], "supervisor");
    assert_eq!(v2["key"]["diagnoses"][0], "R30.0");
    assert_eq!(v2["key"]["lines"][0]["pointers"][0], "A");

    for (bad, needle) in [
        (
            json!({"base_version": 2, "note": "x", "diagnoses": [{"code": "S52.5"}], "lines": [{"code": "99213", "pointers": ["A"]}]}),
            "header",
        ),
        (
            json!({"base_version": 2, "note": "x", "diagnoses": [{"code": "S52.531"}], "lines": [{"code": "99213", "pointers": ["A"]}]}),
            "7th character",
        ),
        (
            json!({"base_version": 2, "note": "x", "diagnoses": [{"code": "R30.0"}], "lines": [{"code": "99213", "pointers": ["B"]}]}),
            "pointer B",
        ),
        (
            json!({"base_version": 2, "note": "x", "diagnoses": [{"code": "R30.0"}], "lines": [{"code": "99999", "pointers": ["A"]}]}),
            "99999",
        ),
        (
            json!({"base_version": 2, "note": "x", "diagnoses": [{"code": "R30.0"}], "lines": [{"code": "99213", "modifiers": ["RT"], "pointers": ["A"]}]}),
            "RT",
        ),
        (
            json!({"base_version": 2, "note": "", "diagnoses": [{"code": "R30.0"}], "lines": [{"code": "99213", "pointers": ["A"]}]}),
            "",
        ),
    ] {
        let (status, err) = app.send_json(Method::POST, &path, &sup, &bad).await;
        assert_eq!(status, 422, "{bad} -> {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(needle),
            "{err} lacks {needle}"
        );
    }
    let (_, after) = app.get_json(&path, &sup).await;
    assert_eq!(
        after.as_array().unwrap().len(),
        2,
        "bad keys stored nothing"
    );
    assert_eq!(after[0]["key"], generated, "version 1 is unchanged");

    let student = app.token("student1@demo.example").await;
    let (status, _) = app.send_json(Method::POST, &path, &student, &good).await;
    assert_eq!(status, 403);

    // Optimistic locking: an edit based on version 1 while 2 exists loses
    // nothing and says so.
    let (status, err) = app.send_json(Method::POST, &path, &sup, &good).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["field"], "base_version");
    // Approving locks the newest version; edits wait for an unlock.
    let (status, locked) = app
        .send_json(Method::POST, &format!("{path}/2/approve"), &sup, &json!({}))
        .await;
    assert_eq!(status, 200, "{locked}");
    assert_eq!(locked["locked"], true);
    let (status, _) = app
        .send_json(Method::POST, &format!("{path}/1/approve"), &sup, &json!({}))
        .await;
    assert_eq!(status, 409, "only the newest version is approved");
    let mut next = good.clone();
    next["base_version"] = json!(2);
    let (status, err) = app.send_json(Method::POST, &path, &sup, &next).await;
    assert_eq!(status, 409, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("approved"),
        "{err}"
    );
    let (status, _) = app
        .send_json(Method::POST, &format!("{path}/2/unlock"), &sup, &json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, v3) = app.send_json(Method::POST, &path, &sup, &next).await;
    assert_eq!(status, 201, "{v3}");
    assert_eq!(v3["version"], 3);
    let (_, history) = app.get_json(&path, &sup).await;
    assert_eq!(history.as_array().unwrap().len(), 3, "full history kept");
}

#[tokio::test]
async fn other_programs_cannot_see_the_demo_charts() {
    let app = spawn_app().await;
    let other = app.seed_other_program();
    let _ = other;
    let sup = app.token("supervisor@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc_id = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let patient_id = page["items"][0]["patient"]["id"].as_i64().unwrap();
    for who in [
        "student@other.example",
        "supervisor@other.example",
        "admin@other.example",
    ] {
        let t = app.token(who).await;
        let (_, list) = app.get_json("/api/v1/encounters", &t).await;
        assert_eq!(list["total"], 0, "{who} sees demo encounters");
        for path in [
            format!("/api/v1/encounters/{enc_id}"),
            format!("/api/v1/patients/{patient_id}"),
            format!("/api/v1/encounters/{enc_id}/keys"),
        ] {
            let (status, body) = app.get_json(&path, &t).await;
            assert_eq!(status, 404, "{who} {path}: {body}");
        }
    }
    // Bad paging and search values are named.
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("offset=-1", "offset"),
        ("cohort=abc", "cohort"),
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/patients?{q}"), &sup).await;
        assert!(status == 400 || status == 422, "{q}: {status}");
        assert_eq!(body["error"]["field"], field, "{q}: {body}");
    }
}

#[tokio::test]
async fn a_scenario_that_fails_validation_is_not_served() {
    // A library of one good scenario and one whose key has a header code.
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let good = std::fs::read_to_string(root.join("urgent-care/acute-cystitis.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("urgent-care")).unwrap();
    std::fs::write(dir.path().join("urgent-care/good.toml"), &good).unwrap();
    let bad = good
        .replace("id = \"uc-acute-cystitis\"", "id = \"uc-broken\"")
        .replace("code = \"{{ dx }}\"", "code = \"N30\"");
    assert_ne!(bad, good, "the fixture edit applied");
    std::fs::write(dir.path().join("urgent-care/broken.toml"), bad).unwrap();
    std::fs::write(dir.path().join("urgent-care/syntax.toml"), "id = \n").unwrap();
    let path = dir.path().to_path_buf();
    let app = crate::common::spawn_app_with(move |raw| raw.scenarios_dir = Some(path)).await;
    let sup = app.token("supervisor@demo.example").await;
    let (status, lib) = app.get_json("/api/v1/scenarios", &sup).await;
    assert_eq!(status, 200, "{lib}");
    let served: Vec<&str> = lib["served"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(served, ["uc-acute-cystitis"]);
    let rejected = lib["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{lib}");
    assert!(
        rejected
            .iter()
            .any(|r| r["file"].as_str().unwrap().ends_with("broken.toml")
                && r["cause"].as_str().unwrap().contains("header")),
        "{lib}"
    );
    assert!(
        rejected
            .iter()
            .any(|r| r["file"].as_str().unwrap().ends_with("syntax.toml") && r["line"] == 1)
    );
    // Only the good scenario is ever generated.
    let (_, page) = app.get_json("/api/v1/encounters?limit=200", &sup).await;
    let ids = app.demo_ids().await;
    let (_, run) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/cohorts/{}/encounters/generate", ids.cohort_id),
            &sup,
            &json!({"count": 5, "seed": 3}),
        )
        .await;
    assert_eq!(run["created"], 5, "{run}");
    for id in run["encounter_ids"].as_array().unwrap() {
        let (_, enc) = app
            .get_json(&format!("/api/v1/encounters/{id}"), &sup)
            .await;
        assert_eq!(enc["supervision"]["scenario_id"], "uc-acute-cystitis");
    }
    assert_eq!(page["total"], 2, "demo seeds two per served scenario");
    let student = app.token("student1@demo.example").await;
    let (status, _) = app.get_json("/api/v1/scenarios", &student).await;
    assert_eq!(status, 403);
}
