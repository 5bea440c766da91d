//! PPE hours: coding sessions (time on task), the hour log, sign-offs.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::audit::{NewAudit, record_audit};
use super::schema::{coding_sessions, hour_entries, hour_signoffs};
use super::{DbConn, StoreError, StoreResult, lock_id, with_conn, write_tx, write_tx_locked};

/// Whether a signed-off period of the entry's student covers its date;
/// a macro so the one query compiles for both backends inside a transaction.
macro_rules! signed_off {
    ($c:expr, $entry:expr) => {
        hour_signoffs::table
            .filter(hour_signoffs::student_id.eq($entry.student_id))
            .filter(hour_signoffs::cohort_id.eq($entry.cohort_id))
            .filter(hour_signoffs::period_start.le($entry.work_date))
            .filter(hour_signoffs::period_end.ge($entry.work_date))
            .count()
            .get_result::<i64>($c)
            .map(|n| n > 0)
    };
}

/// A stored coding session.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coding_sessions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SessionRow {
    pub id: i64,
    pub encounter_id: i64,
    pub student_id: i64,
    pub opened_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub active_seconds: i32,
    pub beats: i32,
    pub closed_at: Option<NaiveDateTime>,
}

/// A stored hour entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = hour_entries, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EntryRow {
    pub id: i64,
    pub student_id: i64,
    pub cohort_id: i64,
    pub kind: String,
    pub work_date: NaiveDate,
    pub activity: String,
    pub minutes: i32,
    pub reason: String,
    pub encounter_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// An entry to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = hour_entries)]
pub struct NewEntry {
    pub student_id: i64,
    pub cohort_id: i64,
    pub kind: String,
    pub work_date: NaiveDate,
    pub activity: String,
    pub minutes: i32,
    pub reason: String,
    pub encounter_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A stored sign-off.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = hour_signoffs, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SignoffRow {
    pub id: i64,
    pub student_id: i64,
    pub cohort_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub supervisor_id: i64,
    pub attestation: String,
    pub approved_minutes: i32,
    pub signed_at: NaiveDateTime,
}

/// The student's open session on an encounter.
pub fn open_session(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
) -> StoreResult<Option<SessionRow>> {
    Ok(with_conn!(conn, c => coding_sessions::table
        .filter(coding_sessions::encounter_id.eq(encounter_id))
        .filter(coding_sessions::student_id.eq(student_id))
        .filter(coding_sessions::closed_at.is_null())
        .order(coding_sessions::id.desc())
        .select(SessionRow::as_select())
        .first(c)
        .optional())?)
}

/// Opens a session unless one is open (opening the workspace again keeps
/// the running one).
pub fn start_session(
    conn: &mut DbConn,
    encounter_id: i64,
    student_id: i64,
    at: NaiveDateTime,
) -> StoreResult<SessionRow> {
    write_tx!(conn, c => {
        let open = coding_sessions::table
            .filter(coding_sessions::encounter_id.eq(encounter_id))
            .filter(coding_sessions::student_id.eq(student_id))
            .filter(coding_sessions::closed_at.is_null())
            .select(SessionRow::as_select())
            .first(c)
            .optional()?;
        if let Some(s) = open {
            return Ok(s);
        }
        Ok(diesel::insert_into(coding_sessions::table)
            .values((
                coding_sessions::encounter_id.eq(encounter_id),
                coding_sessions::student_id.eq(student_id),
                coding_sessions::opened_at.eq(at),
                coding_sessions::last_seen_at.eq(at),
                coding_sessions::active_seconds.eq(0),
                coding_sessions::beats.eq(0),
            ))
            .returning(SessionRow::as_returning())
            .get_result(c)?)
    })
}

/// Stores a session's new running total.
pub fn update_session(
    conn: &mut DbConn,
    id: i64,
    last_seen_at: NaiveDateTime,
    active_seconds: i32,
    beats: i32,
) -> StoreResult<()> {
    write_tx!(conn, c => {
        diesel::update(coding_sessions::table.find(id).filter(coding_sessions::closed_at.is_null()))
            .set((
                coding_sessions::last_seen_at.eq(last_seen_at),
                coding_sessions::active_seconds.eq(active_seconds),
                coding_sessions::beats.eq(beats),
            ))
            .execute(c)?;
        Ok(())
    })
}

/// Closes a session and logs its entry in one transaction; a session
/// already closed (a retried submit) logs nothing.
pub fn close_session(
    conn: &mut DbConn,
    session_id: i64,
    at: NaiveDateTime,
    entry: &NewEntry,
) -> StoreResult<Option<EntryRow>> {
    write_tx!(conn, c => {
        let closed = diesel::update(
            coding_sessions::table
                .find(session_id)
                .filter(coding_sessions::closed_at.is_null()),
        )
        .set(coding_sessions::closed_at.eq(Some(at)))
        .execute(c)?;
        if closed == 0 {
            return Ok(None);
        }
        Ok(Some(
            diesel::insert_into(hour_entries::table)
                .values(entry)
                .returning(EntryRow::as_returning())
                .get_result(c)?,
        ))
    })
}

/// Adds an entry (manual or reversing) with its audit record.
pub fn add_entry(conn: &mut DbConn, entry: &NewEntry, audit: NewAudit) -> StoreResult<EntryRow> {
    let lock = lock_id("hour-log", &[entry.student_id, entry.cohort_id]);
    write_tx_locked!(conn, lock, c => {
        if let Some(original) = entry.reverses_id {
            let already: i64 = hour_entries::table
                .filter(hour_entries::reverses_id.eq(original))
                .count()
                .get_result(c)?;
            if already > 0 {
                return Err(StoreError::Conflict("hour entry already reversed".into()));
            }
        }
        // A sign-off that committed since the caller checked still wins.
        if signed_off!(c, entry)? {
            return Err(StoreError::Conflict("hour entry date signed off".into()));
        }
        let row = diesel::insert_into(hour_entries::table)
            .values(entry)
            .returning(EntryRow::as_returning())
            .get_result(c)?;
        record_audit!(c, &NewAudit { entity_id: Some(row.id), ..audit })?;
        Ok(row)
    })
}

/// An entry.
pub fn entry(conn: &mut DbConn, id: i64) -> StoreResult<EntryRow> {
    Ok(with_conn!(conn, c => hour_entries::table.find(id).select(EntryRow::as_select()).first(c))?)
}

/// Whether an entry has been reversed.
pub fn is_reversed(conn: &mut DbConn, id: i64) -> StoreResult<bool> {
    let n: i64 = with_conn!(conn, c => hour_entries::table
        .filter(hour_entries::reverses_id.eq(id))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

/// Approves or rejects a pending entry; `Conflict` when it was decided
/// meanwhile (so two supervisors cannot both decide it).
pub fn decide(
    conn: &mut DbConn,
    entry: &EntryRow,
    status: &str,
    by: i64,
    at: NaiveDateTime,
    audit: NewAudit,
) -> StoreResult<EntryRow> {
    let id = entry.id;
    let lock = lock_id("hour-log", &[entry.student_id, entry.cohort_id]);
    write_tx_locked!(conn, lock, c => {
        // A sign-off that committed since the caller checked freezes it.
        if signed_off!(c, entry)? {
            return Err(StoreError::Conflict("hour entry date signed off".into()));
        }
        let n = diesel::update(
            hour_entries::table
                .find(id)
                .filter(hour_entries::status.eq("pending")),
        )
        .set((
            hour_entries::status.eq(status),
            hour_entries::decided_by.eq(Some(by)),
            hour_entries::decided_at.eq(Some(at)),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(StoreError::Conflict("hour entry already decided".into()));
        }
        record_audit!(c, &audit)?;
        Ok(hour_entries::table.find(id).select(EntryRow::as_select()).first(c)?)
    })
}

/// A student's log in a cohort, by date.
pub fn log(conn: &mut DbConn, student_id: i64, cohort_id: i64) -> StoreResult<Vec<EntryRow>> {
    Ok(with_conn!(conn, c => hour_entries::table
        .filter(hour_entries::student_id.eq(student_id))
        .filter(hour_entries::cohort_id.eq(cohort_id))
        .order((hour_entries::work_date, hour_entries::id))
        .select(EntryRow::as_select())
        .load(c))?)
}

/// Every entry of a cohort with a status (e.g. the pending queue).
pub fn of_cohort(
    conn: &mut DbConn,
    cohort_id: i64,
    status: Option<&str>,
) -> StoreResult<Vec<EntryRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = hour_entries::table
            .filter(hour_entries::cohort_id.eq(cohort_id))
            .into_boxed();
        if let Some(st) = status {
            q = q.filter(hour_entries::status.eq(st.to_owned()));
        }
        q.order((hour_entries::work_date, hour_entries::id))
            .select(EntryRow::as_select())
            .load(c)
    })?)
}

/// A student's sign-offs in a cohort.
pub fn signoffs(
    conn: &mut DbConn,
    student_id: i64,
    cohort_id: i64,
) -> StoreResult<Vec<SignoffRow>> {
    Ok(with_conn!(conn, c => hour_signoffs::table
        .filter(hour_signoffs::student_id.eq(student_id))
        .filter(hour_signoffs::cohort_id.eq(cohort_id))
        .order(hour_signoffs::period_start)
        .select(SignoffRow::as_select())
        .load(c))?)
}

/// A sign-off to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = hour_signoffs)]
pub struct NewSignoff {
    pub student_id: i64,
    pub cohort_id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub supervisor_id: i64,
    pub attestation: String,
    pub approved_minutes: i32,
    pub signed_at: NaiveDateTime,
}

/// Signs off a period, re-checking inside the transaction that nothing is
/// pending in it and it overlaps no earlier sign-off.
pub fn sign_off(conn: &mut DbConn, new: &NewSignoff, audit: NewAudit) -> StoreResult<SignoffRow> {
    let lock = lock_id("hour-log", &[new.student_id, new.cohort_id]);
    write_tx_locked!(conn, lock, c => {
        let pending: i64 = hour_entries::table
            .filter(hour_entries::student_id.eq(new.student_id))
            .filter(hour_entries::cohort_id.eq(new.cohort_id))
            .filter(hour_entries::status.eq("pending"))
            .filter(hour_entries::work_date.between(new.period_start, new.period_end))
            .count()
            .get_result(c)?;
        let overlapping: i64 = hour_signoffs::table
            .filter(hour_signoffs::student_id.eq(new.student_id))
            .filter(hour_signoffs::cohort_id.eq(new.cohort_id))
            .filter(hour_signoffs::period_start.le(new.period_end))
            .filter(hour_signoffs::period_end.ge(new.period_start))
            .count()
            .get_result(c)?;
        if pending > 0 || overlapping > 0 {
            return Err(StoreError::Conflict("period changed while signing".into()));
        }
        let row = diesel::insert_into(hour_signoffs::table)
            .values(new)
            .returning(SignoffRow::as_returning())
            .get_result(c)?;
        record_audit!(c, &NewAudit { entity_id: Some(row.id), ..audit })?;
        Ok(row)
    })
}

/// Whether another open session of the student beat after `since` (the gap
/// since this session's last beat was spent in another tab).
pub fn active_elsewhere(
    conn: &mut DbConn,
    student_id: i64,
    encounter_id: i64,
    since: NaiveDateTime,
) -> StoreResult<bool> {
    let n: i64 = with_conn!(conn, c => coding_sessions::table
        .filter(coding_sessions::student_id.eq(student_id))
        .filter(coding_sessions::encounter_id.ne(encounter_id))
        .filter(coding_sessions::closed_at.is_null())
        .filter(coding_sessions::beats.gt(0))
        .filter(coding_sessions::last_seen_at.gt(since))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}
