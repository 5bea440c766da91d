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
) -> StoreResult<Vec<(String, NaiveDateTime)>> {
    Ok(with_conn!(conn, c => login_failures::table
        .filter(login_failures::subject.eq_any(subjects))
        .filter(login_failures::at.gt(since))
        .select((login_failures::subject, login_failures::at))
        .load(c))?)
}

/// Records a failure for each subject and drops rows older than `prune_before`.
pub fn record(
    conn: &mut DbConn,
    subjects: &[String],
    at: NaiveDateTime,
    prune_before: NaiveDateTime,
) -> StoreResult<()> {
    write_tx!(conn, c => {
        let rows: Vec<_> = subjects
            .iter()
            .map(|s| (login_failures::subject.eq(s), login_failures::at.eq(at)))
            .collect();
        diesel::insert_into(login_failures::table).values(rows).execute(c)?;
        diesel::delete(login_failures::table.filter(login_failures::at.lt(prune_before)))
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
