//! Claim drafts, submissions (immutable, versioned) and scores (append-only).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{NewAudit, record_audit};
use super::schema::{claim_drafts, claim_scores, claim_submissions};
use super::{DbConn, StoreResult, lock_id, now, with_conn, write_tx, write_tx_locked};

/// A stored draft.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claim_drafts, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DraftRow {
    pub id: i64,
    pub encounter_id: i64,
    pub student_id: i64,
    pub body: String,
    pub updated_at: NaiveDateTime,
}

/// A stored submission.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claim_submissions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SubmissionRow {
    pub id: i64,
    pub encounter_id: i64,
    pub student_id: i64,
    pub version: i32,
    pub body: String,
    pub idempotency_key: String,
    pub submitted_at: NaiveDateTime,
    /// The assignment it was submitted under, if any.
    pub assignment_id: Option<i64>,
    /// Submitted after the deadline of an assignment that flags late work.
    pub late: bool,
}

/// A stored score.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claim_scores, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ScoreRow {
    pub id: i64,
    pub submission_id: i64,
    pub key_version: i32,
    pub engine_version: String,
    pub total: f64,
    pub passed: bool,
    pub report: String,
    pub scored_by: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Accuracy counts for reports (JSON `Tally`).
    pub tally: String,
}

/// A score to store.
#[derive(Debug, Clone)]
pub struct NewScore {
    pub key_version: i32,
    pub engine_version: String,
    pub total: f64,
    pub passed: bool,
    pub report: String,
    pub scored_by: Option<i64>,
    pub tally: String,
}

/// Inserts a score row; a macro so the one body compiles for both backends
/// inside `write_tx!`.
macro_rules! insert_score {
    ($c:expr, $submission_id:expr, $s:expr, $at:expr) => {
        diesel::insert_into(claim_scores::table)
            .values((
                claim_scores::submission_id.eq($submission_id),
                claim_scores::key_version.eq($s.key_version),
                claim_scores::engine_version.eq(&$s.engine_version),
                claim_scores::total.eq($s.total),
                claim_scores::passed.eq($s.passed),
                claim_scores::report.eq(&$s.report),
                claim_scores::scored_by.eq($s.scored_by),
                claim_scores::created_at.eq($at),
                claim_scores::tally.eq(&$s.tally),
            ))
            .returning(ScoreRow::as_returning())
            .get_result($c)
    };
}

/// Saves (creates or replaces) a student's draft for an encounter.
pub fn save_draft(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
    body: &str,
) -> StoreResult<DraftRow> {
    let at = now();
    write_tx!(conn, c => {
        let updated = diesel::update(
            claim_drafts::table
                .filter(claim_drafts::encounter_id.eq(encounter_id))
                .filter(claim_drafts::student_id.eq(student_id)),
        )
        .set((claim_drafts::body.eq(body), claim_drafts::updated_at.eq(at)))
        .execute(c)?;
        if updated == 0 {
            diesel::insert_into(claim_drafts::table)
                .values((
                    claim_drafts::encounter_id.eq(encounter_id),
                    claim_drafts::student_id.eq(student_id),
                    claim_drafts::body.eq(body),
                    claim_drafts::updated_at.eq(at),
                ))
                .execute(c)?;
        }
        Ok(claim_drafts::table
            .filter(claim_drafts::encounter_id.eq(encounter_id))
            .filter(claim_drafts::student_id.eq(student_id))
            .select(DraftRow::as_select())
            .first(c)?)
    })
}

/// A student's draft for an encounter.
pub fn draft(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
) -> StoreResult<Option<DraftRow>> {
    Ok(with_conn!(conn, c => claim_drafts::table
        .filter(claim_drafts::encounter_id.eq(encounter_id))
        .filter(claim_drafts::student_id.eq(student_id))
        .select(DraftRow::as_select())
        .first(c)
        .optional())?)
}

/// The submission a student made with an idempotency key, if any.
pub fn by_idempotency_key(
    conn: &mut DbConn,
    student_id: i64,
    key: &str,
) -> StoreResult<Option<SubmissionRow>> {
    Ok(with_conn!(conn, c => claim_submissions::table
        .filter(claim_submissions::student_id.eq(student_id))
        .filter(claim_submissions::idempotency_key.eq(key))
        .select(SubmissionRow::as_select())
        .first(c)
        .optional())?)
}

/// What a submit did.
pub enum Submitted {
    /// A new version, with its first score.
    Created(SubmissionRow, ScoreRow),
    /// The key was used before: the earlier submission.
    Replayed(SubmissionRow),
}

/// Where a submission was made.
#[derive(Debug, Clone, Copy, Default)]
pub struct SubmitContext {
    pub assignment_id: Option<i64>,
    pub late: bool,
}

/// Stores a submission and its first score in one transaction, as the next
/// version for the student and encounter. A retried key returns the first
/// submission and stores nothing.
pub fn submit(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
    body: &str,
    idempotency_key: &str,
    context: SubmitContext,
    score: &NewScore,
) -> StoreResult<Submitted> {
    let at = now();
    // One student's submissions queue on PostgreSQL too, so a retry racing
    // its original (on any instance) finds it instead of a unique violation.
    write_tx_locked!(conn, lock_id("submit", &[student_id]), c => {
        let earlier: Option<SubmissionRow> = claim_submissions::table
            .filter(claim_submissions::student_id.eq(student_id))
            .filter(claim_submissions::idempotency_key.eq(idempotency_key))
            .select(SubmissionRow::as_select())
            .first(c)
            .optional()?;
        if let Some(s) = earlier {
            return Ok(Submitted::Replayed(s));
        }
        let newest: Option<i32> = claim_submissions::table
            .filter(claim_submissions::encounter_id.eq(encounter_id))
            .filter(claim_submissions::student_id.eq(student_id))
            .select(diesel::dsl::max(claim_submissions::version))
            .first(c)?;
        let sub = diesel::insert_into(claim_submissions::table)
            .values((
                claim_submissions::encounter_id.eq(encounter_id),
                claim_submissions::student_id.eq(student_id),
                claim_submissions::version.eq(newest.unwrap_or(0) + 1),
                claim_submissions::body.eq(body),
                claim_submissions::idempotency_key.eq(idempotency_key),
                claim_submissions::submitted_at.eq(at),
                claim_submissions::assignment_id.eq(context.assignment_id),
                claim_submissions::late.eq(context.late),
            ))
            .returning(SubmissionRow::as_returning())
            .get_result(c)?;
        let score = insert_score!(c, sub.id, score, at)?;
        Ok(Submitted::Created(sub, score))
    })
}

/// A submission.
pub fn submission(conn: &mut DbConn, id: i64) -> StoreResult<SubmissionRow> {
    Ok(
        with_conn!(conn, c => claim_submissions::table.find(id).select(SubmissionRow::as_select()).first(c))?,
    )
}

/// Submissions for an encounter, one student's or everyone's, newest first.
pub fn submissions(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: Option<i64>,
) -> StoreResult<Vec<SubmissionRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = claim_submissions::table
            .filter(claim_submissions::encounter_id.eq(encounter_id))
            .into_boxed();
        if let Some(s) = student_id {
            q = q.filter(claim_submissions::student_id.eq(s));
        }
        q.order((claim_submissions::student_id, claim_submissions::version.desc()))
            .select(SubmissionRow::as_select())
            .load(c)
    })?)
}

/// A submission's scores, oldest first.
pub fn scores(conn: &mut DbConn, submission_id: i64) -> StoreResult<Vec<ScoreRow>> {
    Ok(with_conn!(conn, c => claim_scores::table
        .filter(claim_scores::submission_id.eq(submission_id))
        .order(claim_scores::id)
        .select(ScoreRow::as_select())
        .load(c))?)
}

/// Adds a score (re-scoring keeps the earlier ones), with its audit entry.
pub fn add_score(
    conn: &mut DbConn,
    submission_id: i64,
    s: &NewScore,
    audit: NewAudit,
) -> StoreResult<ScoreRow> {
    let at = now();
    write_tx!(conn, c => {
        let row = insert_score!(c, submission_id, s, at)?;
        record_audit!(c, &NewAudit { at, ..audit.clone() })?;
        Ok(row)
    })
}

/// The latest version of every (student, encounter) submission in a cohort,
/// optionally for one assignment or student, newest first.
pub fn latest_in_cohort(
    conn: &mut DbConn,
    cohort_id: i64,
    assignment_id: Option<i64>,
    student_id: Option<i64>,
) -> StoreResult<Vec<SubmissionRow>> {
    use super::schema::encounters;
    let rows: Vec<SubmissionRow> = with_conn!(conn, c => {
        let mut q = claim_submissions::table
            .inner_join(encounters::table)
            .filter(encounters::cohort_id.eq(cohort_id))
            .into_boxed();
        if let Some(a) = assignment_id {
            q = q.filter(claim_submissions::assignment_id.eq(a));
        }
        if let Some(s) = student_id {
            q = q.filter(claim_submissions::student_id.eq(s));
        }
        q.order((
            claim_submissions::encounter_id,
            claim_submissions::student_id,
            claim_submissions::version.desc(),
        ))
        .select(SubmissionRow::as_select())
        .load(c)
    })?;
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<SubmissionRow> = rows
        .into_iter()
        .filter(|r| seen.insert((r.encounter_id, r.student_id)))
        .collect();
    latest.sort_by_key(|r| std::cmp::Reverse(r.submitted_at));
    Ok(latest)
}

/// The newest score of each of the submissions.
pub fn latest_scores(
    conn: &mut DbConn,
    submission_ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, ScoreRow>> {
    let mut out = std::collections::HashMap::new();
    for chunk in submission_ids.chunks(500) {
        let rows: Vec<ScoreRow> = with_conn!(conn, c => claim_scores::table
            .filter(claim_scores::submission_id.eq_any(chunk))
            .order(claim_scores::id)
            .select(ScoreRow::as_select())
            .load(c))?;
        for r in rows {
            out.insert(r.submission_id, r);
        }
    }
    Ok(out)
}

/// How many versions a student submitted for an encounter, and the newest.
pub fn newest_submission(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
) -> StoreResult<(i64, Option<SubmissionRow>)> {
    Ok(with_conn!(conn, c => {
        let newest = claim_submissions::table
            .filter(claim_submissions::encounter_id.eq(encounter_id))
            .filter(claim_submissions::student_id.eq(student_id))
            .order(claim_submissions::version.desc())
            .select(SubmissionRow::as_select())
            .first(c)
            .optional()?;
        // Versions run 1..=n without gaps, so the newest version is the count.
        Ok::<_, diesel::result::Error>((newest.as_ref().map_or(0, |s| i64::from(s.version)), newest))
    })?)
}
