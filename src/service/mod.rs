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
    /// Proxies whose `X-Forwarded-For` is believed (see
    /// [`crate::auth::client::client_address`]).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Bounds concurrent password hashing (see [`HashGate`]).
    pub hashing: Arc<HashGate>,
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

/// Bounds the CPU that password hashing (sign-ins, password changes, new
/// accounts) may take. Hashing is deliberately slow; a few hashes run at once
/// (half the cores), a short queue waits its turn, and callers beyond it are
/// told to retry in a second. A flood of sign-ins then costs at most half the
/// machine, and every other request keeps the rest.
pub struct HashGate {
    /// One permit per hash running.
    running: Arc<tokio::sync::Semaphore>,
    /// One permit per caller inside the gate, running or queued. Owned
    /// permits go back even when a caller's future is dropped.
    admitted: Arc<tokio::sync::Semaphore>,
}

impl HashGate {
    /// `concurrent` hashes at a time, `max_waiting` queued behind them.
    pub fn new(concurrent: usize, max_waiting: usize) -> Self {
        let concurrent = concurrent.max(1);
        Self {
            running: Arc::new(tokio::sync::Semaphore::new(concurrent)),
            admitted: Arc::new(tokio::sync::Semaphore::new(concurrent + max_waiting)),
        }
    }

    /// Half the cores (at least one), with a queue of 32 per running hash:
    /// about a second of waiting at most (a hash takes ~33 ms of CPU).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let concurrent = (cores / 2).max(1);
        Self::new(concurrent, concurrent * 32)
    }

    /// A place in the queue, or a refusal at once when it is full. Taken
    /// before any other work a request would waste if it were shed.
    pub fn admit(&self) -> AppResult<Admission> {
        let Ok(admitted) = self.admitted.clone().try_acquire_owned() else {
            tracing::warn!("password-hashing queue full: shedding a request");
            return Err(AppError::Overloaded(1));
        };
        Ok(Admission {
            _admitted: admitted,
            running: self.running.clone(),
        })
    }

    /// Runs the hash when its turn comes, or refuses at once when the queue
    /// is full.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.admit()?.run(work).await
    }
}

/// A caller's place in the [`HashGate`]'s queue; given back when dropped.
pub struct Admission {
    _admitted: tokio::sync::OwnedSemaphorePermit,
    running: Arc<tokio::sync::Semaphore>,
}

impl Admission {
    /// Runs the hash when a running place frees up.
    pub async fn run<T, F>(self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // The semaphore is never closed, so acquiring cannot fail.
        let running = self.running.clone().acquire_owned().await.ok();
        // The permit moves into the blocking task: it is held while the hash
        // runs even if the request is dropped meanwhile.
        cpu(move || {
            let _running = running;
            work()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Task<T> = tokio::task::JoinHandle<AppResult<T>>;

    /// A gate of one running place and one queued: a hash runs (blocked
    /// until `release` is sent to) and another caller waits behind it.
    async fn full_gate() -> (
        Arc<HashGate>,
        std::sync::mpsc::Sender<()>,
        Task<bool>,
        Task<i32>,
    ) {
        let gate = Arc::new(HashGate::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let g = gate.clone();
        let running = tokio::spawn(async move { g.run(move || hold.recv().is_ok()).await });
        while gate.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let g = gate.clone();
        let queued = tokio::spawn(async move { g.run(|| 2).await });
        while gate.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        (gate, release, running, queued)
    }

    #[tokio::test]
    async fn a_full_hash_queue_refuses_at_once_and_frees_again() {
        let (gate, release, running, queued) = full_gate().await;
        assert!(matches!(gate.run(|| 3).await, Err(AppError::Overloaded(1))));
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(gate.run(|| 4).await.unwrap(), 4, "free again");
    }

    #[tokio::test]
    async fn a_dropped_caller_gives_its_place_back() {
        let (gate, release, running, queued) = full_gate().await;
        // The queued caller goes away (its request was dropped).
        queued.abort();
        let _ = queued.await;
        assert_eq!(gate.admitted.available_permits(), 1, "its place is free");
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(gate.run(|| 5).await.unwrap(), 5);
    }
}
