//! Assignments, their encounters (per student or shared) and exam clocks.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{NewAudit, record_audit};
use super::schema::{assignment_attempts, assignment_items, assignments};
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored assignment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AssignmentRow {
    pub id: i64,
    pub cohort_id: i64,
    pub title: String,
    pub instructions: String,
    pub mode: String,
    pub opens_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub time_limit_minutes: Option<i32>,
    pub late_policy: String,
    pub resubmission: bool,
    pub shared_set: bool,
    pub selection: String,
    pub seed: i64,
    pub pass_mark_pct: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// An assignment to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = assignments)]
pub struct NewAssignment {
    pub cohort_id: i64,
    pub title: String,
    pub instructions: String,
    pub mode: String,
    pub opens_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub time_limit_minutes: Option<i32>,
    pub late_policy: String,
    pub resubmission: bool,
    pub shared_set: bool,
    pub selection: String,
    pub seed: i64,
    pub pass_mark_pct: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// One encounter of an assignment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignment_items, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ItemRow {
    pub id: i64,
    pub assignment_id: i64,
    pub student_id: Option<i64>,
    pub encounter_id: i64,
    pub position: i32,
}

/// A student's exam clock.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignment_attempts, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AttemptRow {
    pub id: i64,
    pub assignment_id: i64,
    pub student_id: i64,
    pub started_at: NaiveDateTime,
    pub deadline_at: NaiveDateTime,
}

macro_rules! insert_items {
    ($c:expr, $assignment:expr, $student:expr, $encounters:expr) => {{
        let rows: Vec<_> = $encounters
            .iter()
            .enumerate()
            .map(|(i, e)| {
                (
                    assignment_items::assignment_id.eq($assignment),
                    assignment_items::student_id.eq($student),
                    assignment_items::encounter_id.eq(*e),
                    assignment_items::position.eq(i as i32 + 1),
                )
            })
            .collect();
        diesel::insert_into(assignment_items::table)
            .values(rows)
            .execute($c)
    }};
}

/// Stores an assignment, its shared encounters if any, and the audit entry.
pub fn create(
    conn: &mut DbConn,
    new: &NewAssignment,
    shared: &[i64],
    audit: NewAudit,
) -> StoreResult<AssignmentRow> {
    write_tx!(conn, c => {
        let row = diesel::insert_into(assignments::table)
            .values(new)
            .returning(AssignmentRow::as_returning())
            .get_result(c)?;
        if !shared.is_empty() {
            insert_items!(c, row.id, None::<i64>, shared)?;
        }
        let audit = NewAudit { entity_id: Some(row.id), ..audit };
        record_audit!(c, &audit)?;
        Ok(row)
    })
}

/// An assignment.
pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<AssignmentRow> {
    Ok(
        with_conn!(conn, c => assignments::table.find(id).select(AssignmentRow::as_select()).first(c))?,
    )
}

/// A cohort's assignments, by due date.
pub fn of_cohort(conn: &mut DbConn, cohort_id: i64) -> StoreResult<Vec<AssignmentRow>> {
    Ok(with_conn!(conn, c => assignments::table
        .filter(assignments::cohort_id.eq(cohort_id))
        .order((assignments::due_at, assignments::id))
        .select(AssignmentRow::as_select())
        .load(c))?)
}

/// The encounters a student codes in an assignment: their own set, or the
/// shared one.
pub fn items_for(
    conn: &mut DbConn,
    assignment_id: i64,
    student_id: i64,
) -> StoreResult<Vec<ItemRow>> {
    Ok(with_conn!(conn, c => assignment_items::table
        .filter(assignment_items::assignment_id.eq(assignment_id))
        .filter(
            assignment_items::student_id
                .eq(student_id)
                .or(assignment_items::student_id.is_null()),
        )
        .order(assignment_items::position)
        .select(ItemRow::as_select())
        .load(c))?)
}

/// Every item of an assignment (staff views).
pub fn items(conn: &mut DbConn, assignment_id: i64) -> StoreResult<Vec<ItemRow>> {
    Ok(with_conn!(conn, c => assignment_items::table
        .filter(assignment_items::assignment_id.eq(assignment_id))
        .order((assignment_items::student_id, assignment_items::position))
        .select(ItemRow::as_select())
        .load(c))?)
}

/// Gives a student their own encounters, unless they already have them
/// (checked inside the transaction, so two first visits at once add one set).
pub fn give_items(
    conn: &mut DbConn,
    assignment_id: i64,
    student_id: i64,
    encounters: &[i64],
) -> StoreResult<()> {
    write_tx!(conn, c => {
        let have: i64 = assignment_items::table
            .filter(assignment_items::assignment_id.eq(assignment_id))
            .filter(assignment_items::student_id.eq(student_id))
            .count()
            .get_result(c)?;
        if have == 0 && !encounters.is_empty() {
            insert_items!(c, assignment_id, Some(student_id), encounters)?;
        }
        Ok(())
    })
}

/// The assignments an encounter belongs to (for anyone).
pub fn containing(
    conn: &mut DbConn,
    encounter_id: i64,
) -> StoreResult<Vec<(ItemRow, AssignmentRow)>> {
    Ok(with_conn!(conn, c => assignment_items::table
        .inner_join(assignments::table)
        .filter(assignment_items::encounter_id.eq(encounter_id))
        .select((ItemRow::as_select(), AssignmentRow::as_select()))
        .load(c))?)
}

/// A student's exam clock, if started.
pub fn attempt(
    conn: &mut DbConn,
    assignment_id: i64,
    student_id: i64,
) -> StoreResult<Option<AttemptRow>> {
    Ok(with_conn!(conn, c => assignment_attempts::table
        .filter(assignment_attempts::assignment_id.eq(assignment_id))
        .filter(assignment_attempts::student_id.eq(student_id))
        .select(AttemptRow::as_select())
        .first(c)
        .optional())?)
}

/// Starts a student's exam clock; starting again returns the first start.
pub fn start(
    conn: &mut DbConn,
    assignment_id: i64,
    student_id: i64,
    deadline: impl Fn(NaiveDateTime) -> NaiveDateTime,
) -> StoreResult<AttemptRow> {
    let at = now();
    write_tx!(conn, c => {
        let existing = assignment_attempts::table
            .filter(assignment_attempts::assignment_id.eq(assignment_id))
            .filter(assignment_attempts::student_id.eq(student_id))
            .select(AttemptRow::as_select())
            .first(c)
            .optional()?;
        if let Some(a) = existing {
            return Ok(a);
        }
        Ok(diesel::insert_into(assignment_attempts::table)
            .values((
                assignment_attempts::assignment_id.eq(assignment_id),
                assignment_attempts::student_id.eq(student_id),
                assignment_attempts::started_at.eq(at),
                assignment_attempts::deadline_at.eq(deadline(at)),
            ))
            .returning(AttemptRow::as_returning())
            .get_result(c)?)
    })
}
