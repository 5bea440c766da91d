//! Imported code-set files.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::codeset_imports;
use super::{DbConn, StoreResult, now, with_conn, write_tx};

/// A stored import.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = codeset_imports, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ImportRow {
    pub id: i64,
    pub kind: String,
    pub release_name: String,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub content_gz: Vec<u8>,
    pub sha256: String,
    pub row_count: i64,
    pub imported_at: NaiveDateTime,
}

/// A new import, already validated by parsing.
pub struct NewImport {
    pub kind: String,
    pub release_name: String,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub content_gz: Vec<u8>,
    pub sha256: String,
    pub row_count: i64,
}

/// Stores an import; the same file imported twice is a conflict.
pub fn insert(conn: &mut DbConn, new: NewImport) -> StoreResult<i64> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::insert_into(codeset_imports::table)
            .values((
                codeset_imports::kind.eq(&new.kind),
                codeset_imports::release_name.eq(&new.release_name),
                codeset_imports::effective_from.eq(new.effective_from),
                codeset_imports::effective_to.eq(new.effective_to),
                codeset_imports::content_gz.eq(&new.content_gz),
                codeset_imports::sha256.eq(&new.sha256),
                codeset_imports::row_count.eq(new.row_count),
                codeset_imports::imported_at.eq(at),
            ))
            .returning(codeset_imports::id)
            .get_result(c)?)
    })
}

/// Every import, oldest first (the order they are applied in).
pub fn all(conn: &mut DbConn) -> StoreResult<Vec<ImportRow>> {
    Ok(with_conn!(conn, c => codeset_imports::table
        .select(ImportRow::as_select())
        .order(codeset_imports::id.asc())
        .load(c))?)
}
