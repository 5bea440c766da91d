//! Claim checks: the edits run on a claim the caller sends, storing nothing.

use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::claims::Claim;
use crate::claims::edits::{self, Counts, Finding};
use crate::error::AppResult;

/// The edits' verdict on a claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckReport {
    /// No error-level finding.
    pub clean: bool,
    pub counts: Counts,
    /// Errors first, then warnings and infos; by diagnosis, then line.
    pub findings: Vec<Finding>,
}

/// Runs the edits on a claim (its shape is checked first).
pub fn check(state: &AppState, claim: Claim) -> AppResult<CheckReport> {
    let claim = claim.normalized()?;
    Ok(report(edits::run(&claim, &state.codes, &state.edits)))
}

/// A report over findings.
pub fn report(findings: Vec<Finding>) -> CheckReport {
    let counts = edits::counts(&findings);
    CheckReport {
        clean: counts.error == 0,
        counts,
        findings,
    }
}

// ---- drafts, submissions and scores -------------------------------------------

use chrono::NaiveDateTime;

use super::sessions::Session;
use super::{db, not_found};
use crate::claims::scoring::{self, ScoringPolicy};
use crate::error::AppError;
use crate::practicum::Invalid;
use crate::practicum::access::CohortRef;
use crate::practicum::accounts::Role;
use crate::practicum::visibility::{Mode, student_sees_feedback};
use crate::scenarios::AnswerKey;
use crate::store::claims::{self as claim_store, NewScore, ScoreRow, SubmissionRow, Submitted};
use crate::store::{cohorts, ehr, programs};

/// Largest draft kept (a draft may be incomplete, so it is stored as sent).
pub const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// A saved draft.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftView {
    pub encounter_id: i64,
    /// The claim as last saved (may be incomplete).
    #[schema(value_type = Object)]
    pub claim: serde_json::Value,
    pub updated_at: NaiveDateTime,
}

/// One score of a submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreView {
    pub total: f64,
    pub passed: bool,
    pub key_version: i32,
    pub engine_version: String,
    pub scored_at: NaiveDateTime,
    /// Re-scored by this supervisor (absent for the score at submission).
    pub scored_by: Option<i64>,
    /// Element-by-element explanation and accuracy figures.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// A submitted claim, with what the caller may see of its assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubmissionView {
    pub id: i64,
    pub encounter_id: i64,
    pub student_id: i64,
    /// 1 for the first submission; a resubmission is the next version.
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    #[schema(value_type = Object)]
    pub claim: serde_json::Value,
    /// Whether the score, explanations and key are shown to the caller.
    pub feedback_visible: bool,
    /// The latest score, when visible.
    pub score: Option<ScoreView>,
    /// Every score, oldest first, for supervisors (re-scoring keeps them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub score_history: Vec<ScoreView>,
    /// The key version scored against, when visible.
    #[schema(value_type = Option<Object>)]
    pub key: Option<serde_json::Value>,
}

fn score_view(r: &ScoreRow) -> ScoreView {
    ScoreView {
        total: r.total,
        passed: r.passed,
        key_version: r.key_version,
        engine_version: r.engine_version.clone(),
        scored_at: r.created_at,
        scored_by: r.scored_by,
        report: serde_json::from_str(&r.report).unwrap_or_default(),
    }
}

/// The encounter's cohort, and whether the caller supervises it; 404 when
/// the caller may not read the chart at all.
async fn encounter_access(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<(ehr::EncounterRow, CohortRef, bool)> {
    let (row, cohort) = db(state, move |c| {
        let (e, _) = ehr::encounter(c, encounter_id)?;
        let cohort = cohorts::find(c, e.cohort_id)?;
        Ok((e, cohort))
    })
    .await
    .map_err(not_found("encounter"))?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    if !s.scope.can_read_charts(cref) {
        return Err(AppError::NotFound("encounter"));
    }
    Ok((row, cref, s.scope.can_supervise_charts(cref)))
}

fn require_student(s: &Session) -> AppResult<()> {
    if s.scope.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Saves the student's working draft (any JSON object; it may be incomplete).
pub async fn save_draft(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    claim: serde_json::Value,
) -> AppResult<DraftView> {
    encounter_access(state, s, encounter_id).await?;
    require_student(s)?;
    if !claim.is_object() {
        return Err(Invalid::new("claim", "a draft is a JSON object").into());
    }
    let body = claim.to_string();
    if body.len() > MAX_DRAFT_BYTES {
        return Err(AppError::TooLarge(MAX_DRAFT_BYTES));
    }
    let student = s.user.id;
    let row = db(state, move |c| {
        claim_store::save_draft(c, encounter_id, student, &body)
    })
    .await?;
    Ok(DraftView {
        encounter_id,
        claim,
        updated_at: row.updated_at,
    })
}

/// The student's draft, if any.
pub async fn get_draft(state: &AppState, s: &Session, encounter_id: i64) -> AppResult<DraftView> {
    encounter_access(state, s, encounter_id).await?;
    require_student(s)?;
    let student = s.user.id;
    let row = db(state, move |c| claim_store::draft(c, encounter_id, student))
        .await?
        .ok_or(AppError::NotFound("draft"))?;
    Ok(DraftView {
        encounter_id,
        claim: serde_json::from_str(&row.body).unwrap_or_default(),
        updated_at: row.updated_at,
    })
}

async fn latest_key(state: &AppState, encounter_id: i64) -> AppResult<(i32, AnswerKey)> {
    let keys = db(state, move |c| ehr::keys_of(c, encounter_id)).await?;
    let k = keys.last().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("encounter {encounter_id} has no key"))
    })?;
    let key: AnswerKey = serde_json::from_str(&k.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key of encounter {encounter_id}: {e}")))?;
    Ok((k.version, key))
}

async fn policy_for(state: &AppState, cohort: CohortRef) -> AppResult<ScoringPolicy> {
    let program = db(state, move |c| programs::find(c, cohort.program_id)).await?;
    Ok(ScoringPolicy {
        pass_threshold: f64::from(program.pass_threshold_pct),
        ..ScoringPolicy::default()
    })
}

fn assess(
    state: &AppState,
    claim: &Claim,
    key: &AnswerKey,
    policy: &ScoringPolicy,
) -> scoring::ScoreReport {
    let findings = edits::run(claim, &state.codes, &state.edits);
    scoring::score(claim, key, policy, &findings)
}

/// What a submit returned.
pub enum SubmitOutcome {
    Created(SubmissionView),
    Replayed(SubmissionView),
}

/// Submits a claim for an encounter. The `Idempotency-Key` makes a retry
/// return the first result; a submitted claim never changes, and submitting
/// again makes the next version.
pub async fn submit(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    idempotency_key: Option<&str>,
    claim: Claim,
) -> AppResult<SubmitOutcome> {
    // One read for everything the submission needs, then one write: the
    // write lock is the bottleneck, so nothing else waits around it.
    let (cohort, keys, program) = db(state, move |c| {
        let (e, _) = ehr::encounter(c, encounter_id)?;
        let cohort = cohorts::find(c, e.cohort_id)?;
        let keys = ehr::keys_of(c, encounter_id)?;
        let program = programs::find(c, cohort.program_id)?;
        Ok((cohort, keys, program))
    })
    .await
    .map_err(not_found("encounter"))?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    if !s.scope.can_read_charts(cref) {
        return Err(AppError::NotFound("encounter"));
    }
    require_student(s)?;
    let key_header = idempotency_key
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200 && k.chars().all(|c| c.is_ascii_graphic()))
        .ok_or_else(|| AppError::bad_request(Some("Idempotency-Key"), "send an Idempotency-Key header (1–200 visible ASCII characters) so a retried submit cannot create a duplicate"))?
        .to_owned();
    let claim = claim.normalized()?;
    let body = serde_json::to_string(&claim)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("claim serialization: {e}")))?;
    let newest = keys.last().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("encounter {encounter_id} has no key"))
    })?;
    let key: AnswerKey = serde_json::from_str(&newest.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key of encounter {encounter_id}: {e}")))?;
    let policy = ScoringPolicy {
        pass_threshold: f64::from(program.pass_threshold_pct),
        ..ScoringPolicy::default()
    };
    let report = assess(state, &claim, &key, &policy);
    let score = NewScore {
        key_version: newest.version,
        engine_version: scoring::ENGINE_VERSION.into(),
        total: report.total,
        passed: report.passed,
        report: serde_json::to_string(&report).unwrap_or_default(),
        scored_by: None,
    };
    let student = s.user.id;
    let stored_body = body.clone();
    let stored = db(state, move |c| {
        claim_store::submit(c, encounter_id, student, &stored_body, &key_header, &score)
    })
    .await?;
    match stored {
        Submitted::Created(sub, score) => {
            tracing::info!(
                encounter_id,
                student,
                version = sub.version,
                "claim submitted"
            );
            let visible = student_sees_feedback(Mode::Practice, true, false);
            Ok(SubmitOutcome::Created(SubmissionView {
                id: sub.id,
                encounter_id: sub.encounter_id,
                student_id: sub.student_id,
                version: sub.version,
                submitted_at: sub.submitted_at,
                claim: serde_json::to_value(&claim).unwrap_or_default(),
                feedback_visible: visible,
                score: visible.then(|| score_view(&score)),
                score_history: Vec::new(),
                key: if visible {
                    serde_json::from_str(&newest.body).ok()
                } else {
                    None
                },
            }))
        }
        // A retry: the first result, provided it is the same claim.
        Submitted::Replayed(earlier) => {
            if earlier.encounter_id != encounter_id || earlier.body != body {
                return Err(AppError::Conflict {
                    message: "this Idempotency-Key was already used for a different claim".into(),
                    field: Some("Idempotency-Key".into()),
                });
            }
            Ok(SubmitOutcome::Replayed(
                view(state, s, earlier, false).await?,
            ))
        }
    }
}

/// A submission as the caller may see it.
async fn view(
    state: &AppState,
    s: &Session,
    sub: SubmissionRow,
    staff: bool,
) -> AppResult<SubmissionView> {
    let id = sub.id;
    let scores = db(state, move |c| claim_store::scores(c, id)).await?;
    // Every encounter is practice mode until assignments say otherwise.
    let visible = staff || student_sees_feedback(Mode::Practice, true, false);
    let latest = scores.last().map(score_view);
    let key = match (&latest, visible) {
        (Some(sc), true) => {
            let (encounter_id, version) = (sub.encounter_id, sc.key_version);
            let keys = db(state, move |c| ehr::keys_of(c, encounter_id)).await?;
            keys.iter()
                .find(|k| k.version == version)
                .and_then(|k| serde_json::from_str(&k.body).ok())
        }
        _ => None,
    };
    let _ = s;
    Ok(SubmissionView {
        id: sub.id,
        encounter_id: sub.encounter_id,
        student_id: sub.student_id,
        version: sub.version,
        submitted_at: sub.submitted_at,
        claim: serde_json::from_str(&sub.body).unwrap_or_default(),
        feedback_visible: visible,
        score: if visible { latest } else { None },
        score_history: if staff {
            scores.iter().map(score_view).collect()
        } else {
            Vec::new()
        },
        key,
    })
}

/// Submissions for an encounter: a student's own, or everyone's for staff.
pub async fn list(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<Vec<SubmissionView>> {
    let (_, _, staff) = encounter_access(state, s, encounter_id).await?;
    let only = (!staff).then_some(s.user.id);
    let rows = db(state, move |c| {
        claim_store::submissions(c, encounter_id, only)
    })
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(view(state, s, r, staff).await?);
    }
    Ok(out)
}

/// One submission: the student's own, or any in a cohort the caller supervises.
pub async fn get(state: &AppState, s: &Session, id: i64) -> AppResult<SubmissionView> {
    let sub = db(state, move |c| claim_store::submission(c, id))
        .await
        .map_err(not_found("claim"))?;
    let (_, _, staff) = encounter_access(state, s, sub.encounter_id)
        .await
        .map_err(|_| AppError::NotFound("claim"))?;
    if !staff && sub.student_id != s.user.id {
        // Another student's claim does not exist as far as this caller knows.
        return Err(AppError::NotFound("claim"));
    }
    view(state, s, sub, staff).await
}

/// Scores a submission again against the encounter's newest key version;
/// earlier scores are kept (supervisors and program admins).
pub async fn rescore(state: &AppState, s: &Session, id: i64) -> AppResult<SubmissionView> {
    let sub = db(state, move |c| claim_store::submission(c, id))
        .await
        .map_err(not_found("claim"))?;
    let (_, cohort, staff) = encounter_access(state, s, sub.encounter_id)
        .await
        .map_err(|_| AppError::NotFound("claim"))?;
    if !staff {
        return Err(if sub.student_id == s.user.id {
            AppError::Forbidden
        } else {
            AppError::NotFound("claim")
        });
    }
    let claim: Claim = serde_json::from_str(&sub.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored claim {id}: {e}")))?;
    let (key_version, key) = latest_key(state, sub.encounter_id).await?;
    let policy = policy_for(state, cohort).await?;
    let report = assess(state, &claim, &key, &policy);
    let score = NewScore {
        key_version,
        engine_version: scoring::ENGINE_VERSION.into(),
        total: report.total,
        passed: report.passed,
        report: serde_json::to_string(&report).unwrap_or_default(),
        scored_by: Some(s.user.id),
    };
    db(state, move |c| claim_store::add_score(c, id, &score)).await?;
    tracing::info!(
        submission = id,
        key_version,
        by = s.user.id,
        "claim re-scored"
    );
    view(state, s, sub, true).await
}

/// The X12 837P of a submission (its owner, or staff of the cohort).
pub async fn x12_837p(state: &AppState, s: &Session, id: i64) -> AppResult<String> {
    let sub = get(state, s, id).await?;
    let claim: Claim = serde_json::from_value(sub.claim.clone())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored claim {id}: {e}")))?;
    let encounter_id = sub.encounter_id;
    let (row, patient) = db(state, move |c| ehr::encounter(c, encounter_id)).await?;
    let chart: crate::scenarios::Chart = serde_json::from_str(&row.chart)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encounter {encounter_id}: {e}")))?;
    let demo: crate::scenarios::patient::Patient = serde_json::from_str(&patient.demographics)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("patient {}: {e}", patient.id)))?;
    let parties = crate::claims::x12::X12Parties {
        control: u32::try_from(id).unwrap_or(u32::MAX),
        created: sub.submitted_at,
        patient_family: patient.family_name.clone(),
        patient_given: patient.given_name.clone(),
        address: demo.address,
        city: demo.city,
        state: demo.state,
        zip: demo.zip,
        member_id: demo.member_id,
        payer: chart.payer.clone(),
        provider_name: chart.provider.name.clone(),
        provider_npi: chart.provider.npi.clone(),
        claim_id: format!("PRC{id}V{}", sub.version),
    };
    Ok(crate::claims::x12::render_837p(&claim, &parties))
}
