//! Supervisor review: the queue, overrides with comments, returns, and
//! re-scoring after a key edit with a preview, keeping every earlier score.

use reqwest::Method;
use serde_json::{Value, json};

use crate::claims::{key_claim, submit};
use crate::common::spawn_app;

#[tokio::test]
async fn supervisors_review_override_return_and_rescore_with_a_preview() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let s2 = app.token("student2@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let perfect = key_claim(&app, &sup, enc).await;
    let mut worse = perfect.clone();
    worse["lines"][0]["units"] = json!(perfect["lines"][0]["units"].as_u64().unwrap() + 1);

    let (_, a) = submit(&app, &s1, enc, Some("r-1"), &perfect).await;
    let (_, b) = submit(&app, &s2, enc, Some("r-2"), &worse).await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    assert_eq!(a["score"]["total"], 100.0);
    let b_total = b["score"]["total"].as_f64().unwrap();
    assert!(b_total < 100.0);

    // The queue: both claims need review; the score band filters.
    let queue_path = format!("/api/v1/cohorts/{}/review-queue", ids.cohort_id);
    let (status, q) = app.get_json(&queue_path, &sup).await;
    assert_eq!(status, 200, "{q}");
    let listed: Vec<i64> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["submission_id"].as_i64().unwrap())
        .collect();
    assert!(listed.contains(&a_id) && listed.contains(&b_id), "{q}");
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .all(|i| i["needs_review"] == true)
    );
    let (_, low) = app
        .get_json(&format!("{queue_path}?max_score=99.9"), &sup)
        .await;
    let low: Vec<i64> = low
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["submission_id"].as_i64().unwrap())
        .collect();
    assert!(low.contains(&b_id) && !low.contains(&a_id), "{low:?}");
    let (status, err) = app
        .get_json(&format!("{queue_path}?min_score=200"), &sup)
        .await;
    assert_eq!(status, 422, "{err}");
    let (status, _) = app.get_json(&queue_path, &s1).await;
    assert_eq!(status, 403);

    // Override needs a comment and a score; the student sees both.
    let review_path = |id: i64| format!("/api/v1/claims/{id}/review");
    for (body, field) in [
        (
            json!({"outcome": "overridden", "override_total": 90}),
            "comment",
        ),
        (
            json!({"outcome": "overridden", "comment": "Units were defensible"}),
            "override_total",
        ),
        (
            json!({"outcome": "overridden", "comment": "x", "override_total": 101}),
            "override_total",
        ),
        (json!({"outcome": "maybe", "comment": "x"}), "outcome"),
    ] {
        let (status, err) = app
            .send_json(Method::POST, &review_path(b_id), &sup, &body)
            .await;
        assert_eq!(status, 422, "{body}: {err}");
        assert_eq!(err["error"]["field"], field);
    }
    let (status, _) = app
        .send_json(
            Method::POST,
            &review_path(b_id),
            &s2,
            &json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(status, 403, "students do not review");
    let (status, reviewed) = app
        .send_json(
            Method::POST,
            &review_path(b_id),
            &sup,
            &json!({"outcome": "overridden", "comment": "The extra unit is defensible from the note.", "override_total": 95}),
        )
        .await;
    assert_eq!(status, 200, "{reviewed}");
    let (_, seen) = app.get_json(&format!("/api/v1/claims/{b_id}"), &s2).await;
    assert_eq!(seen["score"]["total"], 95.0, "{seen}");
    assert_eq!(seen["score"]["overridden"], true);
    assert_eq!(seen["review"]["outcome"], "overridden");
    assert!(
        seen["review"]["comment"]
            .as_str()
            .unwrap()
            .contains("defensible")
    );
    let (status, _) = app
        .send_json(
            Method::POST,
            &review_path(a_id),
            &sup,
            &json!({"outcome": "returned", "comment": "Check the modifier on line 1."}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, seen) = app.get_json(&format!("/api/v1/claims/{a_id}"), &s1).await;
    assert_eq!(seen["review"]["outcome"], "returned");
    let (_, q) = app
        .get_json(&format!("{queue_path}?needs_review=true"), &sup)
        .await;
    assert!(
        !q.as_array()
            .unwrap()
            .iter()
            .any(|i| i["submission_id"] == a_id || i["submission_id"] == b_id),
        "{q}"
    );

    // A key edit that accepts the extra unit: the preview says who gains or
    // loses, stores nothing; applying keeps every earlier score.
    let k = |c: &Value| {
        json!({
            "base_version": 1,
            "note": "Accept the extra unit",
            "diagnoses": c["diagnoses"].as_array().unwrap().iter().map(|d| json!({"code": d})).collect::<Vec<_>>(),
            "lines": c["lines"].as_array().unwrap().iter().map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"]})).collect::<Vec<_>>(),
        })
    };
    let (status, v2) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/encounters/{enc}/keys"),
            &sup,
            &k(&worse),
        )
        .await;
    assert_eq!(status, 201, "{v2}");
    let rescore = format!("/api/v1/encounters/{enc}/rescore");
    let (status, preview) = app.get_json(&rescore, &sup).await;
    assert_eq!(status, 200, "{preview}");
    let row = |list: &Value, id: i64| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["submission_id"] == id)
            .cloned()
            .unwrap()
    };
    assert!(
        row(&preview, a_id)["delta"].as_f64().unwrap() < 0.0,
        "{preview}"
    );
    assert!(row(&preview, b_id)["delta"].as_f64().unwrap() > 0.0);
    // Its remaining deduction, if any, is for an edit (e.g. units over the MUE).
    assert!(row(&preview, b_id)["total_after"].as_f64().unwrap() > b_total);
    let (_, still) = app.get_json(&format!("/api/v1/claims/{a_id}"), &sup).await;
    assert_eq!(still["score"]["total"], 100.0, "a preview stores nothing");
    let (status, _) = app.get_json(&rescore, &s1).await;
    assert_eq!(status, 403);
    let (status, applied) = app
        .send_json(Method::POST, &rescore, &sup, &json!({}))
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied.as_array().unwrap().len(), 2);
    let (_, after) = app.get_json(&format!("/api/v1/claims/{a_id}"), &sup).await;
    assert!(after["score"]["total"].as_f64().unwrap() < 100.0);
    assert_eq!(after["score"]["key_version"], 2);
    assert_eq!(
        after["score_history"].as_array().unwrap().len(),
        2,
        "earlier score kept"
    );
    let (_, again) = app.get_json(&rescore, &sup).await;
    assert_eq!(again, json!([]), "nothing left to re-score");
}
