//! Failed sign-ins, for throttling.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_failures;
use super::{DbConn, StoreResult, with_conn, write_tx};

/// Failure times per subject since `since`.
pub fn recent(
    conn: &mut DbConn,
    subjects: &[String],
    since: NaiveDateTime,
) -> StoreResult<Vec<(i64, String, NaiveDateTime)>> {
    Ok(with_conn!(conn, c => login_failures::table
        .filter(login_failures::subject.eq_any(subjects))
        .filter(login_failures::at.gt(since))
        .select((login_failures::id, login_failures::subject, login_failures::at))
        .load(c))?)
}

/// Records a row (a failure, or an attempt in flight) for each subject and
/// drops rows older than `prune_before`. Returns the new rows' ids.
pub fn record(
    conn: &mut DbConn,
    subjects: &[String],
    at: NaiveDateTime,
    prune_before: NaiveDateTime,
) -> StoreResult<Vec<i64>> {
    write_tx!(conn, c => {
        let mut ids = Vec::with_capacity(subjects.len());
        for s in subjects {
            let id: i64 = diesel::insert_into(login_failures::table)
                .values((login_failures::subject.eq(s), login_failures::at.eq(at)))
                .returning(login_failures::id)
                .get_result(c)?;
            ids.push(id);
        }
        diesel::delete(login_failures::table.filter(login_failures::at.lt(prune_before)))
            .execute(c)?;
        Ok(ids)
    })
}

/// Removes rows by id (attempts no longer in flight).
pub fn forget(conn: &mut DbConn, ids: &[i64]) -> StoreResult<()> {
    write_tx!(conn, c => {
        diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids)))
            .execute(c)?;
        Ok(())
    })
}

/// Forgets an account's failures after a successful sign-in.
pub fn clear(conn: &mut DbConn, subject: &str) -> StoreResult<()> {
    write_tx!(conn, c => {
        diesel::delete(login_failures::table.filter(login_failures::subject.eq(subject)))
            .execute(c)?;
        Ok(())
    })
}
