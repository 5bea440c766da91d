//! Reads for program reports: every scored claim of a cohort in one query,
//! and hour totals per student.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{claim_reviews, claim_scores, claim_submissions, encounters, hour_entries};
use super::{DbConn, StoreResult, with_conn};

/// One score row with what a report needs of its submission.
#[derive(Debug, Clone, Queryable)]
pub struct ScoredRow {
    pub submission_id: i64,
    pub student_id: i64,
    pub encounter_id: i64,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub specialty: String,
    pub score_id: i64,
    pub total: f64,
    pub passed: bool,
    pub tally: String,
    pub scored_at: NaiveDateTime,
}

/// Every score of every submission in a cohort, in no particular order
/// (callers pick the newest by version and score id).
pub fn cohort_scores(conn: &mut DbConn, cohort_id: i64) -> StoreResult<Vec<ScoredRow>> {
    Ok(with_conn!(conn, c => claim_scores::table
        .inner_join(claim_submissions::table.inner_join(encounters::table))
        .filter(encounters::cohort_id.eq(cohort_id))
        .select((
            claim_submissions::id,
            claim_submissions::student_id,
            claim_submissions::encounter_id,
            claim_submissions::version,
            claim_submissions::submitted_at,
            encounters::specialty,
            claim_scores::id,
            claim_scores::total,
            claim_scores::passed,
            claim_scores::tally,
            claim_scores::created_at,
        ))
        .load(c))?)
}

/// Overrides in a cohort: (submission, override total, when), oldest first.
pub fn cohort_overrides(
    conn: &mut DbConn,
    cohort_id: i64,
) -> StoreResult<Vec<(i64, Option<f64>, NaiveDateTime)>> {
    Ok(with_conn!(conn, c => claim_reviews::table
        .inner_join(claim_submissions::table.inner_join(encounters::table))
        .filter(encounters::cohort_id.eq(cohort_id))
        .filter(claim_reviews::outcome.eq("overridden"))
        .order(claim_reviews::id)
        .select((claim_reviews::submission_id, claim_reviews::override_total, claim_reviews::created_at))
        .load(c))?)
}

/// Minutes per student and status in a cohort: (student, status, minutes).
pub fn cohort_minutes(conn: &mut DbConn, cohort_id: i64) -> StoreResult<Vec<(i64, String, i64)>> {
    let rows: Vec<(i64, String, Option<i64>)> = with_conn!(conn, c => hour_entries::table
        .filter(hour_entries::cohort_id.eq(cohort_id))
        .group_by((hour_entries::student_id, hour_entries::status))
        .select((
            hour_entries::student_id,
            hour_entries::status,
            diesel::dsl::sum(hour_entries::minutes),
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(s, st, m)| (s, st, m.unwrap_or(0)))
        .collect())
}
