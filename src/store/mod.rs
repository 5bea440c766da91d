//! Storage: diesel over SQLite (embedded default) or PostgreSQL, chosen by the
//! database URL. Functions here are blocking; callers run them on a blocking
//! thread pool, never on the async workers.

pub mod assignments;
pub mod audit;
pub mod claims;
pub mod codesets;
pub mod cohorts;
mod conn;
pub mod ehr;
pub mod hours;
pub mod programs;
pub mod reports;
pub mod reviews;
pub mod schema;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use conn::{DbConn, Pool, build_pool, run_migrations};

/// What can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row with that key.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the text names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] diesel::r2d2::PoolError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => StoreError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Conflict(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Runs `$body` with `$c` bound to the concrete connection, compiled once per
/// backend, so queries may use every feature both backends share.
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::DbConn::Sqlite($c) => $body,
            $crate::store::DbConn::Pg($c) => $body,
        }
    };
}

/// Like `with_conn!`, inside a write transaction. SQLite takes the write lock
/// up front (`BEGIN IMMEDIATE`) so concurrent writers wait instead of failing.
macro_rules! write_tx {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::DbConn::Sqlite(conn) => {
                let _writer = $crate::store::sqlite_writer();
                conn.immediate_transaction(|$c| -> $crate::store::StoreResult<_> { $body })
            }
            $crate::store::DbConn::Pg(conn) => {
                conn.transaction(|$c| -> $crate::store::StoreResult<_> { $body })
            }
        }
    };
}

/// Like `write_tx!`, and on PostgreSQL also takes a transaction-scoped
/// advisory lock on `$lock` first, so check-then-write steps on the same
/// record (a student's log, an encounter's key) run one at a time there as
/// they do on SQLite, whose writers are serialized anyway.
macro_rules! write_tx_locked {
    ($conn:expr, $lock:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::DbConn::Sqlite(conn) => {
                let _writer = $crate::store::sqlite_writer();
                conn.immediate_transaction(|$c| -> $crate::store::StoreResult<_> { $body })
            }
            $crate::store::DbConn::Pg(conn) => {
                conn.transaction(|$c| -> $crate::store::StoreResult<_> {
                    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                        .bind::<diesel::sql_types::BigInt, _>($lock)
                        .execute($c)?;
                    $body
                })
            }
        }
    };
}

/// A stable advisory-lock number for a kind of record and its ids.
pub fn lock_id(kind: &str, ids: &[i64]) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    for id in ids {
        h.update(id.to_le_bytes());
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_le_bytes(b)
}

pub(crate) use {with_conn, write_tx, write_tx_locked};

/// SQLite has one writer at a time. Queueing this process's writers on a
/// fair (first come, first served) lock, instead of letting them spin in
/// SQLite's busy handler (which sleeps in growing steps) or barge past each
/// other, keeps the tail latency of writes short; the busy timeout still
/// covers other processes (the CLI) writing at once.
pub fn sqlite_writer() -> parking_lot::FairMutexGuard<'static, ()> {
    static WRITER: parking_lot::FairMutex<()> = parking_lot::const_fair_mutex(());
    WRITER.lock()
}

/// The current time as stored: UTC without zone, truncated to microseconds so
/// both backends round-trip it exactly.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A trivial query, for readiness checks.
pub fn ping(conn: &mut DbConn) -> StoreResult<()> {
    use diesel::connection::SimpleConnection;
    with_conn!(conn, c => c.batch_execute("SELECT 1"))?;
    Ok(())
}
