//! Supervisor reviews of submissions (append-only; the latest counts).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{NewAudit, record_audit};
use super::schema::claim_reviews;
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored review.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claim_reviews, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ReviewRow {
    pub id: i64,
    pub submission_id: i64,
    pub reviewer_id: i64,
    /// `approved`, `returned` or `overridden`.
    pub outcome: String,
    pub override_total: Option<f64>,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

/// Records a review and its audit entry.
pub fn add(
    conn: &mut DbConn,
    submission_id: i64,
    reviewer_id: i64,
    outcome: &str,
    override_total: Option<f64>,
    comment: &str,
    audit: NewAudit,
) -> StoreResult<ReviewRow> {
    let at = now();
    write_tx!(conn, c => {
        let row = diesel::insert_into(claim_reviews::table)
            .values((
                claim_reviews::submission_id.eq(submission_id),
                claim_reviews::reviewer_id.eq(reviewer_id),
                claim_reviews::outcome.eq(outcome),
                claim_reviews::override_total.eq(override_total),
                claim_reviews::comment.eq(comment),
                claim_reviews::created_at.eq(at),
            ))
            .returning(ReviewRow::as_returning())
            .get_result(c)?;
        let audit = NewAudit { at, entity_id: Some(submission_id), ..audit };
        record_audit!(c, &audit)?;
        Ok(row)
    })
}

/// A submission's reviews, oldest first.
pub fn of_submission(conn: &mut DbConn, submission_id: i64) -> StoreResult<Vec<ReviewRow>> {
    Ok(with_conn!(conn, c => claim_reviews::table
        .filter(claim_reviews::submission_id.eq(submission_id))
        .order(claim_reviews::id)
        .select(ReviewRow::as_select())
        .load(c))?)
}

/// A submission's latest review.
pub fn latest(conn: &mut DbConn, submission_id: i64) -> StoreResult<Option<ReviewRow>> {
    Ok(with_conn!(conn, c => claim_reviews::table
        .filter(claim_reviews::submission_id.eq(submission_id))
        .order(claim_reviews::id.desc())
        .select(ReviewRow::as_select())
        .first(c)
        .optional())?)
}

/// The newest review of each of the submissions.
pub fn latest_of(
    conn: &mut DbConn,
    submission_ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, ReviewRow>> {
    let mut out = std::collections::HashMap::new();
    for chunk in submission_ids.chunks(500) {
        let rows: Vec<ReviewRow> = with_conn!(conn, c => claim_reviews::table
            .filter(claim_reviews::submission_id.eq_any(chunk))
            .order(claim_reviews::id)
            .select(ReviewRow::as_select())
            .load(c))?;
        for r in rows {
            out.insert(r.submission_id, r);
        }
    }
    Ok(out)
}

/// The newest override of each of the submissions.
pub fn latest_overrides(
    conn: &mut DbConn,
    submission_ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, ReviewRow>> {
    let mut out = std::collections::HashMap::new();
    for chunk in submission_ids.chunks(500) {
        let rows: Vec<ReviewRow> = with_conn!(conn, c => claim_reviews::table
            .filter(claim_reviews::submission_id.eq_any(chunk))
            .filter(claim_reviews::outcome.eq("overridden"))
            .order(claim_reviews::id)
            .select(ReviewRow::as_select())
            .load(c))?;
        for r in rows {
            out.insert(r.submission_id, r);
        }
    }
    Ok(out)
}
