//! Claim checks: the edits run on a claim the caller sends, storing nothing.

use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::sessions::Session;
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

/// Runs the edits on a claim (its shape is checked first), with the
/// severities of the caller's program.
pub async fn check(state: &AppState, s: &Session, claim: Claim) -> AppResult<CheckReport> {
    let claim = claim.normalized()?;
    let program_id = s.scope.program_id;
    let program = db(state, move |c| programs::find(c, program_id)).await?;
    let grading = Grading::from_stored(&program.grading);
    Ok(report(run_edits(state, &claim, &grading)))
}

fn run_edits(state: &AppState, claim: &Claim, grading: &Grading) -> Vec<Finding> {
    edits::apply_overrides(
        edits::run(claim, &state.codes, &state.edits),
        &grading.severities,
    )
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

use super::assignments::rules_of;
use super::{audit_entry, hours};
use super::{db, not_found};
use crate::claims::scoring;
use crate::error::AppError;
use crate::practicum::Invalid;
use crate::practicum::access::CohortRef;
use crate::practicum::accounts::Role;
use crate::practicum::assignments::{Phase, Rules};
use crate::practicum::grading::Grading;
use crate::practicum::reports;
use crate::practicum::visibility::student_sees_feedback;
use crate::scenarios::AnswerKey;
use crate::store::assignments::{self as assignment_store, AssignmentRow, ItemRow};
use crate::store::claims::{
    self as claim_store, NewScore, ScoreRow, SubmissionRow, SubmitContext, Submitted,
};
use crate::store::programs::ProgramRow;
use crate::store::reviews::{self as review_store, ReviewRow};
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
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub updated_at: NaiveDateTime,
}

/// One score of a submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreView {
    pub total: f64,
    pub passed: bool,
    pub key_version: i32,
    pub engine_version: String,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub scored_at: NaiveDateTime,
    /// Re-scored by this supervisor (absent for the score at submission).
    pub scored_by: Option<i64>,
    /// The pass mark the score was judged against.
    pub pass_threshold: f64,
    /// A supervisor's override replaced the computed total.
    pub overridden: bool,
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
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub submitted_at: NaiveDateTime,
    /// The assignment it was submitted under, if any.
    pub assignment_id: Option<i64>,
    /// Submitted after the deadline (the assignment flags late work).
    pub late: bool,
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
    /// The latest review, when visible.
    pub review: Option<ReviewView>,
    /// Every review, oldest first, for supervisors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<ReviewView>,
}

fn score_view(r: &ScoreRow) -> ScoreView {
    let report: serde_json::Value = serde_json::from_str(&r.report).unwrap_or_default();
    ScoreView {
        total: r.total,
        passed: r.passed,
        key_version: r.key_version,
        engine_version: r.engine_version.clone(),
        scored_at: r.created_at,
        scored_by: r.scored_by,
        pass_threshold: report["pass_threshold"].as_f64().unwrap_or(80.0),
        overridden: false,
        report,
    }
}

/// A supervisor's review of a submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    /// `approved`, `returned` (for correction) or `overridden`.
    pub outcome: String,
    pub override_total: Option<f64>,
    pub comment: String,
    pub reviewer_id: i64,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub reviewed_at: NaiveDateTime,
}

fn review_view(r: &ReviewRow) -> ReviewView {
    ReviewView {
        outcome: r.outcome.clone(),
        override_total: r.override_total,
        comment: r.comment.clone(),
        reviewer_id: r.reviewer_id,
        reviewed_at: r.created_at,
    }
}

/// The override in force: the latest override, unless a later re-score
/// replaced it.
pub(crate) fn effective_override(scores: &[ScoreRow], reviews: &[ReviewRow]) -> Option<f64> {
    let last = reviews.iter().rev().find(|r| r.outcome == "overridden")?;
    let rescored_after = scores
        .last()
        .is_some_and(|s| s.created_at > last.created_at);
    (!rescored_after).then_some(last.override_total).flatten()
}

/// The encounter's cohort, and whether the caller supervises it; 404 when
/// the caller may not read the chart at all.
pub(crate) async fn encounter_access(
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

/// The newest key version of an encounter.
pub(crate) fn newest_key(encounter_id: i64, keys: &[ehr::KeyRow]) -> AppResult<(i32, AnswerKey)> {
    let k = keys.last().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("encounter {encounter_id} has no key"))
    })?;
    let key = serde_json::from_str(&k.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key of encounter {encounter_id}: {e}")))?;
    Ok((k.version, key))
}

/// Scores a claim under a program's settings; an assignment's pass mark wins
/// over the program's.
pub(crate) fn assess(
    state: &AppState,
    claim: &Claim,
    key: &AnswerKey,
    program: &ProgramRow,
    exam_pass_mark: Option<i32>,
) -> scoring::ScoreReport {
    let grading = Grading::from_stored(&program.grading);
    let policy = grading.policy_with_pass(exam_pass_mark.unwrap_or(program.pass_threshold_pct));
    let findings = run_edits(state, claim, &grading);
    scoring::score(claim, key, &policy, &findings)
}

pub(crate) fn new_score(
    key_version: i32,
    report: &scoring::ScoreReport,
    scored_by: Option<i64>,
) -> NewScore {
    NewScore {
        key_version,
        engine_version: scoring::ENGINE_VERSION.into(),
        total: report.total,
        passed: report.passed,
        report: serde_json::to_string(report).unwrap_or_default(),
        scored_by,
        tally: serde_json::to_string(&reports::tally(report)).unwrap_or_default(),
    }
}

/// What a submit returned.
pub enum SubmitOutcome {
    Created(SubmissionView),
    Replayed(SubmissionView),
}

/// The assignment a student's submission falls under, if any: their own
/// exam first, then their practice sets. An encounter in someone else's exam
/// is not theirs to submit.
fn governing(
    student: i64,
    containing: &[(ItemRow, AssignmentRow)],
) -> AppResult<Option<&AssignmentRow>> {
    let mine = |i: &ItemRow| i.student_id.is_none_or(|s| s == student);
    let own: Vec<&AssignmentRow> = containing
        .iter()
        .filter(|(i, _)| mine(i))
        .map(|(_, a)| a)
        .collect();
    if own.is_empty() && containing.iter().any(|(_, a)| a.mode == "exam") {
        return Err(AppError::Forbidden);
    }
    // Among practice sets, one that is open now wins, then the latest due.
    let now = crate::store::now();
    Ok(own
        .iter()
        .find(|a| a.mode == "exam")
        .or_else(|| {
            own.iter()
                .max_by_key(|a| (rules_of(a).phase(now) == Phase::Open, a.due_at))
        })
        .copied())
}

/// Submits a claim for an encounter. The `Idempotency-Key` makes a retry
/// return the first result; a submitted claim never changes, and submitting
/// again makes the next version, where the assignment allows it.
pub async fn submit(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    idempotency_key: Option<&str>,
    claim: Claim,
) -> AppResult<SubmitOutcome> {
    let student = s.user.id;
    // One read for everything the submission needs, then one write: the
    // write lock is the bottleneck, so nothing else waits around it.
    let ctx = db(state, move |c| {
        let (encounter, _) = ehr::encounter(c, encounter_id)?;
        let cohort = cohorts::find(c, encounter.cohort_id)?;
        let keys = ehr::keys_of(c, encounter_id)?;
        let program = programs::find(c, cohort.program_id)?;
        let containing = assignment_store::containing(c, encounter_id)?;
        let attempts = containing
            .iter()
            .filter(|(_, a)| a.mode == "exam")
            .map(|(_, a)| assignment_store::attempt(c, a.id, student))
            .collect::<Result<Vec<_>, _>>()?;
        let (earlier, newest) = claim_store::newest_submission(c, encounter_id, student)?;
        let returned = match newest {
            Some(latest) => {
                review_store::latest(c, latest.id)?.is_some_and(|r| r.outcome == "returned")
            }
            None => false,
        };
        Ok(SubmitContextRead {
            encounter,
            cohort,
            keys,
            program,
            containing,
            attempts: attempts.into_iter().flatten().collect(),
            earlier: earlier as usize,
            returned,
        })
    })
    .await
    .map_err(not_found("encounter"))?;
    let cref = CohortRef {
        id: ctx.cohort.id,
        program_id: ctx.cohort.program_id,
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

    // A retry of a submission that went through is answered before any
    // deadline check: the student already has their result.
    let now = crate::store::now();
    let assignment = governing(student, &ctx.containing)?;
    let mut context = SubmitContext::default();
    let mut exam_pass_mark = None;
    if let Some(a) = assignment {
        let rules = rules_of(a);
        let deadline = ctx
            .attempts
            .iter()
            .find(|t| t.assignment_id == a.id)
            .map(|t| t.deadline_at);
        match rules.check_submission(now, deadline, ctx.earlier, ctx.returned) {
            Ok(late) => {
                context = SubmitContext {
                    assignment_id: Some(a.id),
                    late,
                };
            }
            Err(refusal) => {
                let student_key = key_header.clone();
                let replay = db(state, move |c| {
                    claim_store::by_idempotency_key(c, student, &student_key)
                })
                .await?;
                if replay.is_none() {
                    return Err(AppError::Conflict {
                        message: refusal.message(),
                        field: Some("assignment".into()),
                    });
                }
            }
        }
        exam_pass_mark = Some(a.pass_mark_pct);
    }
    let (key_version, key) = newest_key(encounter_id, &ctx.keys)?;
    let report = assess(state, &claim, &key, &ctx.program, exam_pass_mark);
    let score = new_score(key_version, &report, None);
    let stored_body = body.clone();
    let stored = db(state, move |c| {
        claim_store::submit(
            c,
            encounter_id,
            student,
            &stored_body,
            &key_header,
            context,
            &score,
        )
    })
    .await?;
    let rules: Vec<Rules> = ctx.containing.iter().map(|(_, a)| rules_of(a)).collect();
    let released = student_sees_feedback(rules.iter(), now);
    match stored {
        Submitted::Created(sub, score) => {
            tracing::info!(
                encounter_id,
                student,
                version = sub.version,
                late = sub.late,
                "claim submitted"
            );
            hours::close_session(state, &ctx.program, &ctx.encounter, &sub, &score, released)
                .await?;
            let visible = released;
            Ok(SubmitOutcome::Created(SubmissionView {
                id: sub.id,
                encounter_id: sub.encounter_id,
                student_id: sub.student_id,
                version: sub.version,
                submitted_at: sub.submitted_at,
                assignment_id: sub.assignment_id,
                late: sub.late,
                claim: serde_json::to_value(&claim).unwrap_or_default(),
                feedback_visible: visible,
                score: visible.then(|| score_view(&score)),
                score_history: Vec::new(),
                key: if visible {
                    ctx.keys
                        .last()
                        .and_then(|k| serde_json::from_str(&k.body).ok())
                } else {
                    None
                },
                review: None,
                reviews: Vec::new(),
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
            Ok(SubmitOutcome::Replayed(view(state, earlier, false).await?))
        }
    }
}

/// What submit reads in its one read transaction.
struct SubmitContextRead {
    encounter: ehr::EncounterRow,
    cohort: cohorts::CohortRow,
    keys: Vec<ehr::KeyRow>,
    program: ProgramRow,
    containing: Vec<(ItemRow, AssignmentRow)>,
    attempts: Vec<assignment_store::AttemptRow>,
    earlier: usize,
    returned: bool,
}

/// Whether students see feedback on an encounter now (every exam that holds
/// it has closed).
pub(crate) async fn released(state: &AppState, encounter_id: i64) -> AppResult<bool> {
    let containing = db(state, move |c| {
        assignment_store::containing(c, encounter_id)
    })
    .await?;
    let rules: Vec<Rules> = containing.iter().map(|(_, a)| rules_of(a)).collect();
    Ok(student_sees_feedback(rules.iter(), crate::store::now()))
}

/// A submission as the caller may see it.
pub(crate) async fn view(
    state: &AppState,
    sub: SubmissionRow,
    staff: bool,
) -> AppResult<SubmissionView> {
    let id = sub.id;
    let (scores, reviews) = db(state, move |c| {
        Ok((
            claim_store::scores(c, id)?,
            review_store::of_submission(c, id)?,
        ))
    })
    .await?;
    let visible = staff || released(state, sub.encounter_id).await?;
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
    let review_views: Vec<ReviewView> = reviews.iter().map(review_view).collect();
    // A student sees the outcome of review (and a returned claim's comment)
    // once feedback is released; an override replaces the score they see.
    let review = if visible {
        review_views.last().cloned()
    } else {
        None
    };
    let score = match (visible, latest) {
        (true, Some(mut sc)) => {
            if let Some(total) = effective_override(&scores, &reviews) {
                sc.total = total;
                sc.passed = total >= sc.pass_threshold;
                sc.overridden = true;
            }
            Some(sc)
        }
        _ => None,
    };
    Ok(SubmissionView {
        id: sub.id,
        encounter_id: sub.encounter_id,
        student_id: sub.student_id,
        version: sub.version,
        submitted_at: sub.submitted_at,
        assignment_id: sub.assignment_id,
        late: sub.late,
        claim: serde_json::from_str(&sub.body).unwrap_or_default(),
        feedback_visible: visible,
        score,
        score_history: if staff {
            scores.iter().map(score_view).collect()
        } else {
            Vec::new()
        },
        key,
        review,
        reviews: if staff { review_views } else { Vec::new() },
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
        out.push(view(state, r, staff).await?);
    }
    Ok(out)
}

/// One submission: the student's own, or any in a cohort the caller supervises.
pub async fn get(state: &AppState, s: &Session, id: i64) -> AppResult<SubmissionView> {
    let (sub, staff) = submission_access(state, s, id).await?;
    view(state, sub, staff).await
}

/// A submission the caller may see, and whether they supervise it.
pub(crate) async fn submission_access(
    state: &AppState,
    s: &Session,
    id: i64,
) -> AppResult<(SubmissionRow, bool)> {
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
    Ok((sub, staff))
}

/// Scores a submission again against the encounter's newest key version;
/// earlier scores are kept (supervisors and program admins).
pub async fn rescore(state: &AppState, s: &Session, id: i64) -> AppResult<SubmissionView> {
    let (sub, staff) = submission_access(state, s, id).await?;
    if !staff {
        return Err(AppError::Forbidden);
    }
    let encounter_id = sub.encounter_id;
    let (keys, program, exam_mark) = db(state, move |c| {
        let (e, _) = ehr::encounter(c, encounter_id)?;
        let cohort = cohorts::find(c, e.cohort_id)?;
        let exam_mark = match sub.assignment_id {
            Some(a) => Some(assignment_store::find(c, a)?.pass_mark_pct),
            None => None,
        };
        Ok((
            ehr::keys_of(c, encounter_id)?,
            programs::find(c, cohort.program_id)?,
            exam_mark,
        ))
    })
    .await?;
    let claim: Claim = serde_json::from_str(&sub.body)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored claim {id}: {e}")))?;
    let (key_version, key) = newest_key(encounter_id, &keys)?;
    let report = assess(state, &claim, &key, &program, exam_mark);
    let score = new_score(key_version, &report, Some(s.user.id));
    let audit = audit_entry(
        s,
        Some(program.id),
        "claim.rescore",
        "claim",
        Some(id),
        None,
        Some(serde_json::json!({"key_version": key_version, "total": report.total})),
    );
    db(state, move |c| claim_store::add_score(c, id, &score, audit)).await?;
    tracing::info!(
        submission = id,
        key_version,
        by = s.user.id,
        "claim re-scored"
    );
    view(state, sub, true).await
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
