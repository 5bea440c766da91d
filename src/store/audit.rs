//! The audit log: who did what, when, with the record before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log;
use super::{DbConn, StoreResult, with_conn};

/// A stored audit entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub program_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An entry to record, written in the same transaction as the change.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub program_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Records an entry inside a `write_tx!` body.
macro_rules! record_audit {
    ($c:expr, $entry:expr) => {
        diesel::insert_into($crate::store::schema::audit_log::table)
            .values($entry)
            .execute($c)
    };
}
pub(crate) use record_audit;

/// Filters for reading the log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub program_id: Option<i64>,
    pub actor_id: Option<i64>,
    /// Actions starting with this text (e.g. `key.` or `hours.approve`).
    pub action_prefix: Option<String>,
    pub entity: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub limit: i64,
    pub offset: i64,
}

/// Entries matching the filter, newest first.
pub fn list(conn: &mut DbConn, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = audit_log::table.into_boxed();
        if let Some(p) = f.program_id {
            q = q.filter(audit_log::program_id.eq(p));
        }
        if let Some(a) = f.actor_id {
            q = q.filter(audit_log::actor_id.eq(a));
        }
        if let Some(prefix) = &f.action_prefix {
            let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            q = q.filter(audit_log::action.like(format!("{escaped}%")).escape('\\'));
        }
        if let Some(e) = &f.entity {
            q = q.filter(audit_log::entity.eq(e.clone()));
        }
        if let Some(t) = f.since {
            q = q.filter(audit_log::at.ge(t));
        }
        if let Some(t) = f.until {
            q = q.filter(audit_log::at.lt(t));
        }
        q.order(audit_log::id.desc())
            .limit(f.limit)
            .offset(f.offset)
            .select(AuditRow::as_select())
            .load(c)
    })?)
}

/// Records an entry on its own (for changes whose store call is already
/// committed, such as account edits).
pub fn record(conn: &mut DbConn, entry: &NewAudit) -> StoreResult<()> {
    super::write_tx!(conn, c => {
        record_audit!(c, entry)?;
        Ok(())
    })
}
