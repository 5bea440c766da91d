//! Cohorts and enrolments.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{cohorts, enrolments, users};
use super::users::{UserRow, insert_user};
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored cohort.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cohorts, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CohortRow {
    pub id: i64,
    pub program_id: i64,
    pub name: String,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Fields of a cohort to write.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = cohorts)]
pub struct CohortFields {
    pub name: String,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
}

/// A stored enrolment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enrolments, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EnrolmentRow {
    pub id: i64,
    pub cohort_id: i64,
    pub user_id: i64,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// Creates a cohort in a program.
pub fn insert(conn: &mut DbConn, program_id: i64, fields: &CohortFields) -> StoreResult<CohortRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::insert_into(cohorts::table)
            .values((
                cohorts::program_id.eq(program_id),
                fields,
                cohorts::created_at.eq(at),
                cohorts::updated_at.eq(at),
            ))
            .returning(CohortRow::as_returning())
            .get_result(c)?)
    })
}

/// Replaces a cohort's settings.
pub fn update(conn: &mut DbConn, id: i64, fields: &CohortFields) -> StoreResult<CohortRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::update(cohorts::table.find(id))
            .set((fields, cohorts::updated_at.eq(at)))
            .returning(CohortRow::as_returning())
            .get_result(c)?)
    })
}

/// Loads one cohort.
pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<CohortRow> {
    Ok(with_conn!(conn, c => cohorts::table.find(id).select(CohortRow::as_select()).first(c))?)
}

/// Lists a program's cohorts, newest term first; `only` narrows to some ids.
pub fn list(
    conn: &mut DbConn,
    program_id: i64,
    only: Option<&[i64]>,
) -> StoreResult<Vec<CohortRow>> {
    with_conn!(conn, c => {
        let mut query = cohorts::table
            .filter(cohorts::program_id.eq(program_id))
            .select(CohortRow::as_select())
            .into_boxed();
        if let Some(ids) = only {
            query = query.filter(cohorts::id.eq_any(ids.to_vec()));
        }
        Ok(query.order((cohorts::term_start.desc(), cohorts::name.asc())).load(c)?)
    })
}

/// Lists cohorts by id, newest term first.
pub fn list_by_ids(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<CohortRow>> {
    Ok(with_conn!(conn, c => cohorts::table
        .filter(cohorts::id.eq_any(ids))
        .select(CohortRow::as_select())
        .order((cohorts::term_start.desc(), cohorts::name.asc()))
        .load(c))?)
}

/// A cohort's enrolments with the enrolled accounts, supervisors first.
pub fn roster(conn: &mut DbConn, cohort_id: i64) -> StoreResult<Vec<(EnrolmentRow, UserRow)>> {
    Ok(with_conn!(conn, c => enrolments::table
        .inner_join(users::table)
        .filter(enrolments::cohort_id.eq(cohort_id))
        .select((EnrolmentRow::as_select(), UserRow::as_select()))
        .order((enrolments::role.desc(), users::display_name.asc(), users::id.asc()))
        .load(c))?)
}

/// Enrols a user; enrolling twice is a conflict.
pub fn enrol(
    conn: &mut DbConn,
    cohort_id: i64,
    user_id: i64,
    role: &str,
) -> StoreResult<EnrolmentRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::insert_into(enrolments::table)
            .values((
                enrolments::cohort_id.eq(cohort_id),
                enrolments::user_id.eq(user_id),
                enrolments::role.eq(role),
                enrolments::created_at.eq(at),
            ))
            .returning(EnrolmentRow::as_returning())
            .get_result(c)?)
    })
}

/// Removes an enrolment; returns whether there was one.
pub fn unenrol(conn: &mut DbConn, cohort_id: i64, user_id: i64) -> StoreResult<bool> {
    write_tx!(conn, c => {
        let n = diesel::delete(
            enrolments::table
                .filter(enrolments::cohort_id.eq(cohort_id))
                .filter(enrolments::user_id.eq(user_id)),
        )
        .execute(c)?;
        Ok(n > 0)
    })
}

/// Imports a roster in one transaction: creates the new student accounts,
/// enrols them and the existing ones, and records one audit entry. Returns
/// the created accounts.
pub fn import_roster(
    conn: &mut DbConn,
    cohort_id: i64,
    new_students: &[super::users::NewUser],
    existing: &[i64],
    audit: super::audit::NewAudit,
) -> StoreResult<Vec<UserRow>> {
    let at = now();
    write_tx!(conn, c => {
        let mut created = Vec::with_capacity(new_students.len());
        for new in new_students {
            let row = insert_user!(c, new, at)?;
            created.push(row);
        }
        for user_id in created.iter().map(|u| u.id).chain(existing.iter().copied()) {
            diesel::insert_into(enrolments::table)
                .values((
                    enrolments::cohort_id.eq(cohort_id),
                    enrolments::user_id.eq(user_id),
                    enrolments::role.eq("student"),
                    enrolments::created_at.eq(at),
                ))
                .execute(c)?;
        }
        super::audit::record_audit!(c, &super::audit::NewAudit { at, ..audit })?;
        Ok(created)
    })
}
