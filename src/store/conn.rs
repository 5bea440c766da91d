//! Connections, the pool and migrations for both backends.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::Database;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to whichever backend is configured.
pub enum DbConn {
    /// The embedded default.
    Sqlite(SqliteConnection),
    /// A PostgreSQL server.
    Pg(PgConnection),
}

/// The connection pool.
pub type Pool = r2d2::Pool<Manager>;

/// Opens connections for the configured backend; SQLite connections get the
/// settings that make them safe to share: WAL, foreign keys, a busy timeout,
/// and `synchronous=FULL` so an acknowledged commit survives a crash.
#[derive(Debug, Clone)]
pub struct Manager {
    database: Database,
}

impl Manager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match &self.database {
            Database::Sqlite(path) => {
                let url = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
            Database::Postgres(url) => {
                let conn = PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                Ok(DbConn::Pg(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        match conn {
            DbConn::Sqlite(c) => c.ping(),
            DbConn::Pg(c) => c.ping(),
        }
        .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        match conn {
            DbConn::Sqlite(c) => c.is_broken(),
            DbConn::Pg(c) => c.is_broken(),
        }
    }
}

/// Builds the pool, creating the SQLite file's directory if needed.
pub fn build_pool(database: &Database, size: u32) -> anyhow::Result<Pool> {
    if let Database::Sqlite(path) = database
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)?;
    }
    let manager = Manager {
        database: database.clone(),
    };
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .test_on_check_out(false)
        .build(manager)?;
    Ok(pool)
}

/// Applies pending migrations. On PostgreSQL an advisory lock serialises
/// instances that start together.
pub fn run_migrations(pool: &Pool) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    let applied = match &mut *conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migrating SQLite: {e}"))?
            .len(),
        DbConn::Pg(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7216001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("migrating PostgreSQL: {e}"));
            c.batch_execute("SELECT pg_advisory_unlock(7216001)")?;
            result?
        }
    };
    Ok(applied)
}
