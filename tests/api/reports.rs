//! Program reports: figures computed by hand from a small fixture, CSV
//! exports that parse back, the report and record pages, and who may read
//! them.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::claims::{key_claim, submit};
use crate::common::spawn_app;
use crate::pages::sign_in_page;

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-6)
}

#[tokio::test]
async fn cohort_and_student_reports_agree_with_hand_counts() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=2", &sup).await;
    let e1 = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let e2 = page["items"][1]["encounter"]["id"].as_i64().unwrap();
    let k1 = key_claim(&app, &sup, e1).await;
    let k2 = key_claim(&app, &sup, e2).await;
    let mut worse = k1.clone();
    worse["diagnoses"] = json!([k1["diagnoses"][0]]);
    worse["lines"] = json!([k1["lines"][0]]);
    worse["lines"][0]["pointers"] = json!(["A"]);

    let (_, a) = submit(&app, &s1, e1, Some("rep-1"), &k1).await;
    let (_, b) = submit(&app, &s1, e2, Some("rep-2"), &k2).await;
    let (_, c) = submit(&app, &s2, e1, Some("rep-3"), &worse).await;
    assert_eq!(a["score"]["total"], 100.0);
    assert_eq!(b["score"]["total"], 100.0);
    let c_total = c["score"]["total"].as_f64().unwrap();
    let c_passed = c["score"]["passed"].as_bool().unwrap();
    // A resubmission replaces the earlier version in the report.
    let (_, c2) = submit(&app, &s2, e1, Some("rep-4"), &worse).await;
    assert_eq!(c2["version"], 2);

    let log = |s: i64| format!("/api/v1/cohorts/{}/students/{s}/hours", ids.cohort_id);
    let today = Utc::now().date_naive();
    let (status, _) = app
        .send_json(Method::POST, &log(ids.student1_id), &sup, &json!({"work_date": today, "minutes": 120, "activity": "Orientation", "reason": "Program orientation"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .send_json(Method::POST, &log(ids.student1_id), &s1, &json!({"work_date": today, "minutes": 30, "activity": "Review session", "reason": "Weekly review"}))
        .await;
    assert_eq!(status, 201);

    let (status, r) = app
        .get_json(&format!("/api/v1/cohorts/{}/report", ids.cohort_id), &sup)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["overall"]["claims"], 3, "latest versions only: {r}");
    assert!(
        close(&r["overall"]["mean_score"], (200.0 + c_total) / 3.0),
        "{}",
        r["overall"]
    );
    assert_eq!(r["overall"]["passed"], 2 + u32::from(c_passed));
    let students = r["students"].as_array().unwrap();
    let one = students
        .iter()
        .find(|s| s["student"]["id"] == ids.student1_id)
        .unwrap();
    assert_eq!(one["overall"]["claims"], 2);
    assert!(close(&one["overall"]["mean_score"], 100.0));
    assert_eq!(one["hours"]["approved_minutes"], 120);
    assert_eq!(one["hours"]["pending_minutes"], 30);
    assert_eq!(one["overall"]["tally"]["claims"]["correct"], 2);
    let two = students
        .iter()
        .find(|s| s["student"]["id"] == ids.student2_id)
        .unwrap();
    assert_eq!(two["overall"]["claims"], 1);
    assert!(close(&two["overall"]["mean_score"], c_total));
    assert_eq!(two["overall"]["tally"]["claims"]["correct"], 0);
    assert_eq!(two["hours"]["approved_minutes"], 0);
    let areas: u64 = r["by_area"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[1]["claims"].as_u64().unwrap())
        .sum();
    assert_eq!(areas, 3, "every claim in exactly one area");

    // CSV parses back with the same figures.
    let res = app
        .request(
            Method::GET,
            &format!(
                "/api/v1/cohorts/{}/report.csv?table=students",
                ids.cohort_id
            ),
            &sup,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {headers:?}"))
    };
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), students.len());
    let row1 = rows
        .iter()
        .find(|r| r[col("student_id")] == ids.student1_id.to_string())
        .unwrap();
    assert_eq!(&row1[col("approved_hours")], "2.00");
    assert_eq!(&row1[col("pending_hours")], "0.50");
    assert_eq!(&row1[col("claims")], "2");
    for table in ["areas", "trend"] {
        let res = app
            .request(
                Method::GET,
                &format!("/api/v1/cohorts/{}/report.csv?table={table}", ids.cohort_id),
                &sup,
            )
            .send()
            .await
            .unwrap();
        let text = res.text().await.unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("parses back");
        let n = rows.len();
        assert!(n >= 1, "{table}: {text}");
    }
    let (status, err) = app
        .get_json(
            &format!("/api/v1/cohorts/{}/report.csv?table=nope", ids.cohort_id),
            &sup,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "table");

    // Students: their own report only; never the cohort's.
    let (status, mine) = app
        .get_json(
            &format!(
                "/api/v1/cohorts/{}/students/{}/report",
                ids.cohort_id, ids.student1_id
            ),
            &s1,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(mine["overall"]["claims"], 2);
    let (status, _) = app
        .get_json(
            &format!(
                "/api/v1/cohorts/{}/students/{}/report",
                ids.cohort_id, ids.student2_id
            ),
            &s1,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get_json(&format!("/api/v1/cohorts/{}/report", ids.cohort_id), &s2)
        .await;
    assert_eq!(status, 403);

    // The pages: charts, progress bars, the printable record.
    sign_in_page(&app, "supervisor@demo.example").await;
    let res = app
        .client
        .get(app.url(&format!("/cohorts/{}/report", ids.cohort_id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<svg") && html.contains("<progress") && html.contains("report.csv"),
        "report page"
    );
    let res = app
        .client
        .get(app.url(&format!(
            "/cohorts/{}/students/{}/record",
            ids.cohort_id, ids.student1_id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Professional practice experience record") && html.contains("Orientation")
    );
}
