//! Accounts and the facts access decisions are made from.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{enrolments, program_admins, users};
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored account.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub credential: Option<String>,
    pub program_id: i64,
    pub password_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new account, checked by the caller.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub credential: Option<String>,
    pub program_id: i64,
    pub password_hash: String,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub credential: Option<Option<String>>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

/// Which accounts to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only users whose home program is one of these.
    pub program_ids: Option<Vec<i64>>,
    /// Only users enrolled as students in one of these cohorts.
    pub student_in_cohorts: Option<Vec<i64>>,
    /// Only users with this id (a student's own listing).
    pub only_id: Option<i64>,
    /// Only this role.
    pub role: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// Looks an account up by normalized e-mail.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> StoreResult<Option<UserRow>> {
    Ok(with_conn!(conn, c => users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(c)
        .optional())?)
}

/// Loads one account.
pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<UserRow> {
    Ok(with_conn!(conn, c => users::table.find(id).select(UserRow::as_select()).first(c))?)
}

/// Creates an account; a program admin also becomes an admin of their program.
/// Inserts an active account row from a [`NewUser`]; a macro so the one
/// body compiles for both backends inside `write_tx!`.
macro_rules! insert_user {
    ($c:expr, $new:expr, $at:expr) => {
        diesel::insert_into(users::table)
            .values((
                users::email.eq(&$new.email),
                users::display_name.eq(&$new.display_name),
                users::role.eq(&$new.role),
                users::credential.eq(&$new.credential),
                users::program_id.eq($new.program_id),
                users::password_hash.eq(&$new.password_hash),
                users::active.eq(true),
                users::created_at.eq($at),
                users::updated_at.eq($at),
            ))
            .returning(UserRow::as_returning())
            .get_result::<UserRow>($c)
    };
}
pub(crate) use insert_user;

pub fn insert(conn: &mut DbConn, new: NewUser) -> StoreResult<UserRow> {
    let at = now();
    write_tx!(conn, c => {
        let row = insert_user!(c, new, at)?;
        if row.role == "program_admin" {
            diesel::insert_into(program_admins::table)
                .values((program_admins::program_id.eq(row.program_id), program_admins::user_id.eq(row.id)))
                .execute(c)?;
        }
        Ok(row)
    })
}

/// Applies changes to an account.
pub fn update(conn: &mut DbConn, id: i64, changes: UserChanges) -> StoreResult<UserRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::update(users::table.find(id))
            .set((&changes, users::updated_at.eq(at)))
            .returning(UserRow::as_returning())
            .get_result(c)?)
    })
}

/// Lists accounts, ordered by display name then id.
pub fn list(conn: &mut DbConn, filter: &UserFilter) -> StoreResult<Vec<UserRow>> {
    with_conn!(conn, c => {
        let mut query = users::table.select(UserRow::as_select()).into_boxed();
        if let Some(ids) = &filter.program_ids {
            query = query.filter(users::program_id.eq_any(ids.clone()));
        }
        if let Some(cohorts) = &filter.student_in_cohorts {
            let students = enrolments::table
                .filter(enrolments::cohort_id.eq_any(cohorts.clone()))
                .filter(enrolments::role.eq("student"))
                .select(enrolments::user_id);
            query = query.filter(users::id.eq_any(students));
        }
        if let Some(id) = filter.only_id {
            query = query.filter(users::id.eq(id));
        }
        if let Some(role) = &filter.role {
            query = query.filter(users::role.eq(role.clone()));
        }
        Ok(query
            .order((users::display_name.asc(), users::id.asc()))
            .limit(filter.limit)
            .offset(filter.offset)
            .load(c)?)
    })
}

/// Programs a user administers, and the cohorts they are enrolled in with their part.
pub struct ScopeRows {
    pub admin_of: Vec<i64>,
    pub cohorts: Vec<(i64, String)>,
}

/// Loads what a user's rights depend on.
pub fn scope_of(conn: &mut DbConn, user_id: i64) -> StoreResult<ScopeRows> {
    with_conn!(conn, c => {
        let admin_of = program_admins::table
            .filter(program_admins::user_id.eq(user_id))
            .select(program_admins::program_id)
            .order(program_admins::program_id.asc())
            .load(c)?;
        let cohorts = enrolments::table
            .filter(enrolments::user_id.eq(user_id))
            .select((enrolments::cohort_id, enrolments::role))
            .order(enrolments::cohort_id.asc())
            .load(c)?;
        Ok(ScopeRows { admin_of, cohorts })
    })
}

/// Cohorts a user is enrolled in as a student.
pub fn student_cohorts(conn: &mut DbConn, user_id: i64) -> StoreResult<Vec<i64>> {
    Ok(with_conn!(conn, c => enrolments::table
        .filter(enrolments::user_id.eq(user_id))
        .filter(enrolments::role.eq("student"))
        .select(enrolments::cohort_id)
        .load(c))?)
}
