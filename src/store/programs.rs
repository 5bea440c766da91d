//! Programs and their administrators.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{program_admins, programs};
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored program.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = programs, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ProgramRow {
    pub id: i64,
    pub name: String,
    pub ppe_hours_required: i32,
    pub pass_threshold_pct: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Scoring policy, edit severities and hours rules (JSON `Grading`).
    pub grading: String,
}

/// Fields of a program to write.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = programs)]
pub struct ProgramFields {
    pub name: String,
    pub ppe_hours_required: i32,
    pub pass_threshold_pct: i32,
}

/// Creates a program administered by `admin_id`.
pub fn insert(
    conn: &mut DbConn,
    fields: &ProgramFields,
    admin_id: Option<i64>,
) -> StoreResult<ProgramRow> {
    let at = now();
    write_tx!(conn, c => {
        let row: ProgramRow = diesel::insert_into(programs::table)
            .values((fields, programs::created_at.eq(at), programs::updated_at.eq(at)))
            .returning(ProgramRow::as_returning())
            .get_result(c)?;
        if let Some(admin_id) = admin_id {
            diesel::insert_into(program_admins::table)
                .values((program_admins::program_id.eq(row.id), program_admins::user_id.eq(admin_id)))
                .execute(c)?;
        }
        Ok(row)
    })
}

/// Replaces a program's settings.
pub fn update(conn: &mut DbConn, id: i64, fields: &ProgramFields) -> StoreResult<ProgramRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::update(programs::table.find(id))
            .set((fields, programs::updated_at.eq(at)))
            .returning(ProgramRow::as_returning())
            .get_result(c)?)
    })
}

/// Loads one program.
pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<ProgramRow> {
    Ok(with_conn!(conn, c => programs::table.find(id).select(ProgramRow::as_select()).first(c))?)
}

/// Loads a program by its unique name.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> StoreResult<Option<ProgramRow>> {
    Ok(with_conn!(conn, c => programs::table
        .filter(programs::name.eq(name))
        .select(ProgramRow::as_select())
        .first(c)
        .optional())?)
}

/// Lists the given programs by name.
pub fn list(conn: &mut DbConn, ids: &[i64]) -> StoreResult<Vec<ProgramRow>> {
    Ok(with_conn!(conn, c => programs::table
        .filter(programs::id.eq_any(ids))
        .select(ProgramRow::as_select())
        .order((programs::name.asc(), programs::id.asc()))
        .load(c))?)
}

/// How many programs exist (zero means a fresh database).
pub fn count(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(with_conn!(conn, c => programs::table.count().get_result(c))?)
}

/// Replaces a program's grading settings, keeping the previous value in the
/// audit entry.
pub fn set_grading(
    conn: &mut DbConn,
    id: i64,
    json: &str,
    audit: super::audit::NewAudit,
) -> StoreResult<()> {
    let at = now();
    write_tx!(conn, c => {
        let before: String = programs::table.find(id).select(programs::grading).first(c)?;
        diesel::update(programs::table.find(id))
            .set((programs::grading.eq(json), programs::updated_at.eq(at)))
            .execute(c)?;
        super::audit::record_audit!(c, &super::audit::NewAudit { before: Some(before), ..audit })?;
        Ok(())
    })
}
