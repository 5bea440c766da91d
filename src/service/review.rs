//! Supervisor review: the queue of submitted claims, approving, returning
//! for correction, overriding a score; and re-scoring an encounter's claims
//! after a key change, with a preview of who gains or loses.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::claims::{SubmissionView, assess, new_score, newest_key, submission_access, view};
use super::sessions::Session;
use super::{AppState, audit_entry, db};
use crate::claims::Claim;
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::store::claims as claim_store;
use crate::store::reviews as review_store;
use crate::store::{assignments, cohorts, ehr, programs, users};

/// A supervisor's review of a submission.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approved`, `returned` (for correction: the student may submit again)
    /// or `overridden` (replaces the score; needs `override_total`).
    pub outcome: String,
    /// Required for `returned` and `overridden`.
    #[serde(default)]
    pub comment: String,
    /// The score to stand instead of the computed one, 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub override_total: Option<f64>,
}

fn check_review(input: &ReviewInput) -> Result<(String, Option<f64>, String), Invalid> {
    let outcome = input.outcome.trim();
    let comment = input.comment.trim().to_owned();
    if comment.chars().count() > 2000 {
        return Err(Invalid::new("comment", "must be at most 2000 characters"));
    }
    match outcome {
        "approved" => {
            if input.override_total.is_some() {
                return Err(Invalid::new(
                    "override_total",
                    "only an override carries a score",
                ));
            }
            Ok((outcome.into(), None, comment))
        }
        "returned" | "overridden" => {
            if comment.is_empty() {
                return Err(Invalid::new(
                    "comment",
                    "say why: the student reads this comment",
                ));
            }
            let total = match (outcome, input.override_total) {
                ("overridden", Some(t)) if t.is_finite() && (0.0..=100.0).contains(&t) => Some(t),
                ("overridden", Some(_)) => {
                    return Err(Invalid::new("override_total", "must be from 0 to 100"));
                }
                ("overridden", None) => {
                    return Err(Invalid::new("override_total", "give the score that stands"));
                }
                (_, Some(_)) => {
                    return Err(Invalid::new(
                        "override_total",
                        "only an override carries a score",
                    ));
                }
                _ => None,
            };
            Ok((outcome.into(), total, comment))
        }
        other => Err(Invalid::new(
            "outcome",
            format!("must be approved, returned or overridden, not {other:?}"),
        )),
    }
}

/// Records a review (supervisors of the cohort, program admins).
pub async fn review(
    state: &AppState,
    s: &Session,
    submission_id: i64,
    input: ReviewInput,
) -> AppResult<SubmissionView> {
    let (sub, staff) = submission_access(state, s, submission_id).await?;
    if !staff {
        return Err(AppError::Forbidden);
    }
    let (_, cohort, _) = super::claims::encounter_access(state, s, sub.encounter_id).await?;
    let (outcome, total, comment) = check_review(&input)?;
    let before = db(state, move |c| {
        claim_store::latest_scores(c, &[submission_id])
    })
    .await?;
    let action = if outcome == "overridden" {
        "claim.override"
    } else {
        "claim.review"
    };
    let audit = audit_entry(
        s,
        Some(cohort.program_id),
        action,
        "claim",
        None,
        before
            .get(&submission_id)
            .map(|sc| serde_json::json!({"total": sc.total, "passed": sc.passed})),
        Some(serde_json::json!({"outcome": outcome, "override_total": total, "comment": comment})),
    );
    let by = s.user.id;
    db(state, move |c| {
        review_store::add(c, submission_id, by, &outcome, total, &comment, audit)
    })
    .await?;
    tracing::info!(submission_id, by, "claim reviewed");
    view(state, sub, true).await
}

/// Queue filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub assignment: Option<i64>,
    pub student: Option<i64>,
    /// Lowest score to list (percent).
    #[param(minimum = 0, maximum = 100)]
    pub min_score: Option<f64>,
    /// Highest score to list (percent).
    #[param(minimum = 0, maximum = 100)]
    pub max_score: Option<f64>,
    /// Only claims without a review since their latest version.
    pub needs_review: Option<bool>,
}

/// One claim in the review queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    pub submission_id: i64,
    pub encounter_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub assignment_id: Option<i64>,
    pub version: i32,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub submitted_at: NaiveDateTime,
    pub late: bool,
    pub total: Option<f64>,
    pub passed: Option<bool>,
    /// Latest review outcome, if any.
    pub review: Option<String>,
    pub needs_review: bool,
}

/// The latest submission of each student and encounter in a cohort, with
/// score and review state (supervisors of the cohort, program admins).
pub async fn queue(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    q: QueueQuery,
) -> AppResult<Vec<QueueItem>> {
    super::ehr::supervised_cohort(state, s, cohort_id).await?;
    for (field, v) in [("min_score", q.min_score), ("max_score", q.max_score)] {
        if v.is_some_and(|v| !v.is_finite() || !(0.0..=100.0).contains(&v)) {
            return Err(Invalid::new(field, "must be from 0 to 100").into());
        }
    }
    let (assignment, student) = (q.assignment, q.student);
    let (subs, scores, reviews, overrides, names) = db(state, move |c| {
        let subs = claim_store::latest_in_cohort(c, cohort_id, assignment, student)?;
        let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
        let scores = claim_store::latest_scores(c, &ids)?;
        let reviews = review_store::latest_of(c, &ids)?;
        let overrides = review_store::latest_overrides(c, &ids)?;
        let names: std::collections::HashMap<i64, String> = cohorts::roster(c, cohort_id)?
            .into_iter()
            .map(|(_, u)| (u.id, u.display_name))
            .collect();
        Ok((subs, scores, reviews, overrides, names))
    })
    .await?;
    Ok(subs
        .into_iter()
        .filter_map(|sub| {
            let score = scores.get(&sub.id);
            let review = reviews.get(&sub.id);
            // An override stands until a later re-score replaces it.
            let overridden = match (overrides.get(&sub.id), score) {
                (Some(o), Some(sc)) if o.created_at > sc.created_at => o.override_total,
                _ => None,
            };
            let total = overridden.or_else(|| score.map(|sc| sc.total));
            let passed = score.map(|sc| match overridden {
                Some(t) => {
                    let mark = serde_json::from_str::<serde_json::Value>(&sc.report)
                        .ok()
                        .and_then(|v| v["pass_threshold"].as_f64())
                        .unwrap_or(80.0);
                    t >= mark
                }
                None => sc.passed,
            });
            let needs = review.is_none();
            if q.needs_review.is_some_and(|want| want != needs)
                || q.min_score.is_some_and(|m| total.is_none_or(|t| t < m))
                || q.max_score.is_some_and(|m| total.is_none_or(|t| t > m))
            {
                return None;
            }
            Some(QueueItem {
                submission_id: sub.id,
                encounter_id: sub.encounter_id,
                student_id: sub.student_id,
                student_name: names.get(&sub.student_id).cloned().unwrap_or_default(),
                assignment_id: sub.assignment_id,
                version: sub.version,
                submitted_at: sub.submitted_at,
                late: sub.late,
                total,
                passed,
                review: review.map(|r| r.outcome.clone()),
                needs_review: needs,
            })
        })
        .collect())
}

/// How one student's claim would change under the newest key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RescoreRow {
    pub submission_id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub version: i32,
    pub key_version_before: i32,
    pub key_version_after: i32,
    pub total_before: f64,
    pub total_after: f64,
    /// Positive: gains; negative: loses.
    pub delta: f64,
    pub passed_before: bool,
    pub passed_after: bool,
}

/// Computes (and with `apply`, stores) new scores for the latest claim of
/// each student on an encounter scored against an older key version.
async fn rescore_encounter(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    apply: bool,
) -> AppResult<Vec<RescoreRow>> {
    let (_, cohort, staff) = super::claims::encounter_access(state, s, encounter_id).await?;
    if !staff {
        return Err(AppError::Forbidden);
    }
    let cohort_id = cohort.id;
    let (subs, scores, keys, program, names, exam_marks) = db(state, move |c| {
        let subs: Vec<_> = claim_store::latest_in_cohort(c, cohort_id, None, None)?
            .into_iter()
            .filter(|s| s.encounter_id == encounter_id)
            .collect();
        let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
        let scores = claim_store::latest_scores(c, &ids)?;
        let keys = ehr::keys_of(c, encounter_id)?;
        let program_id = cohorts::find(c, cohort_id)?.program_id;
        let program = programs::find(c, program_id)?;
        let mut names = std::collections::HashMap::new();
        let mut exam_marks = std::collections::HashMap::new();
        for sub in &subs {
            names.insert(sub.student_id, users::find(c, sub.student_id)?.display_name);
            if let Some(a) = sub.assignment_id {
                exam_marks.insert(sub.id, assignments::find(c, a)?.pass_mark_pct);
            }
        }
        Ok((subs, scores, keys, program, names, exam_marks))
    })
    .await?;
    let (key_version, key) = newest_key(encounter_id, &keys)?;
    let mut out = Vec::new();
    for sub in subs {
        let Some(before) = scores.get(&sub.id) else {
            continue;
        };
        if before.key_version >= key_version {
            continue;
        }
        let claim: Claim = serde_json::from_str(&sub.body)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored claim {}: {e}", sub.id)))?;
        let report = assess(
            state,
            &claim,
            &key,
            &program,
            exam_marks.get(&sub.id).copied(),
        );
        if apply {
            let score = new_score(key_version, &report, Some(s.user.id));
            let audit = audit_entry(
                s,
                Some(program.id),
                "claim.rescore",
                "claim",
                Some(sub.id),
                Some(serde_json::json!({"key_version": before.key_version, "total": before.total})),
                Some(serde_json::json!({"key_version": key_version, "total": report.total})),
            );
            let id = sub.id;
            db(state, move |c| claim_store::add_score(c, id, &score, audit)).await?;
        }
        out.push(RescoreRow {
            submission_id: sub.id,
            student_id: sub.student_id,
            student_name: names.get(&sub.student_id).cloned().unwrap_or_default(),
            version: sub.version,
            key_version_before: before.key_version,
            key_version_after: key_version,
            total_before: before.total,
            total_after: report.total,
            delta: ((report.total - before.total) * 10.0).round() / 10.0,
            passed_before: before.passed,
            passed_after: report.passed,
        });
    }
    if apply {
        tracing::info!(
            encounter_id,
            rescored = out.len(),
            by = s.user.id,
            "encounter re-scored"
        );
    }
    Ok(out)
}

/// Who would gain or lose how much if the encounter's claims were re-scored
/// against its newest key (nothing is stored).
pub async fn rescore_preview(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<Vec<RescoreRow>> {
    rescore_encounter(state, s, encounter_id, false).await
}

/// Re-scores the encounter's claims against its newest key; every earlier
/// score is kept.
pub async fn rescore_apply(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<Vec<RescoreRow>> {
    rescore_encounter(state, s, encounter_id, true).await
}
