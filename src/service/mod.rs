//! Request-level operations shared by the JSON API and the pages: each one
//! authorizes the caller, validates input with the domain rules, and runs the
//! storage calls on the blocking pool.

pub mod assignments;
pub mod audit;
pub mod claims;
pub mod codesets;
pub mod demo;
pub mod directory;
pub mod ehr;
pub mod grading;
pub mod hours;
pub mod reports;
pub mod review;
pub mod roster;
pub mod sessions;
pub mod views;

use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::error::{AppError, AppResult};
use crate::store::{DbConn, Pool, StoreError};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: Pool,
    /// Token keys.
    pub keys: Arc<JwtKeys>,
    /// Secret for CSRF tokens (the token secret).
    pub csrf_secret: Arc<[u8]>,
    /// Hash verified against for unknown e-mails, so they cost what a wrong password costs.
    pub decoy_hash: Arc<str>,
    /// Bounds concurrent password hashing (see [`sessions::HashGate`]).
    pub hashing: Arc<sessions::HashGate>,
    /// Whether cookies are marked Secure.
    pub cookie_secure: bool,
    /// The code sets (immutable, shared by every worker).
    pub codes: Arc<crate::codes::CodeSets>,
    /// Claim-edit settings (severities, age and sex lists).
    pub edits: Arc<crate::claims::edits::EditConfig>,
    /// The validated scenario library.
    pub library: Arc<crate::scenarios::library::Library>,
    /// The demo program exists, so the sign-in page lists the demo accounts.
    pub demo: bool,
}

/// Runs blocking storage work on actix's blocking pool, keeping the tracing span.
pub async fn db<T, F>(state: &AppState, work: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    let span = tracing::Span::current();
    let result = actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?;
    Ok(result?)
}

/// Runs CPU-heavy work (password hashing) on the blocking pool.
pub async fn cpu<T, F>(work: F) -> AppResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(work)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))
}

/// Renames a storage "not found" to the record the caller asked for.
pub(crate) fn not_found(what: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| match e {
        AppError::NotFound(_) => AppError::NotFound(what),
        other => other,
    }
}

/// An audit entry for an action by the session's user.
pub(crate) fn audit_entry(
    s: &sessions::Session,
    program_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> crate::store::audit::NewAudit {
    crate::store::audit::NewAudit {
        at: crate::store::now(),
        actor_id: Some(s.user.id),
        program_id,
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id,
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
    }
}
