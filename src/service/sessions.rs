//! Signing in and out, and turning a token back into a caller.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::{MeView, Membership, ProgramView, UserView};
use super::{AppState, cpu, db};
use crate::auth::throttle::{self, LoginLimits};
use crate::auth::{TokenError, password};
use crate::error::{AppError, AppResult};
use crate::practicum::access::Scope;
use crate::practicum::accounts::{MAX_PASSWORD_CHARS, Role, parse_email};
use crate::store::throttle as throttle_store;
use crate::store::{cohorts, programs, tokens, users};

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// Account e-mail (any case).
    #[schema(example = "student1@demo.example")]
    pub email: String,
    /// Password.
    #[schema(example = "practicum-demo")]
    pub password: String,
}

/// A fresh sign-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOutput {
    /// Bearer token for `Authorization: Bearer …`.
    pub token: String,
    /// When the token stops working (UTC).
    pub expires_at: chrono::DateTime<Utc>,
    /// The signed-in account.
    pub user: UserView,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    /// Rights.
    pub scope: Scope,
    /// The account.
    pub user: UserView,
    /// The token's id (for logout and CSRF binding).
    pub jti: String,
    /// The token's expiry.
    pub expires_at: chrono::DateTime<Utc>,
}

const BAD_CREDENTIALS: &str = "e-mail or password is incorrect";

/// Checks credentials and issues a token. A wrong password, an unknown e-mail
/// and an inactive account give the same answer in about the same time.
pub async fn login(state: &AppState, input: LoginInput, client: &str) -> AppResult<LoginOutput> {
    // Throttle first: a refused attempt costs a query, not an Argon2 hash.
    let limits = LoginLimits::default();
    let (account, address) = throttle::subjects(&input.email, client);
    let now = crate::store::now();
    let since = limits.since(now);
    let subjects = vec![account.clone(), address.clone()];
    let recent = db(state, move |c| throttle_store::recent(c, &subjects, since)).await?;
    let times = |subject: &str| -> Vec<chrono::NaiveDateTime> {
        recent
            .iter()
            .filter(|(s, _)| s == subject)
            .map(|(_, t)| *t)
            .collect()
    };
    let wait = [
        throttle::retry_after(
            &times(&account),
            limits.per_account,
            limits.window_secs,
            now,
        ),
        throttle::retry_after(
            &times(&address),
            limits.per_address,
            limits.window_secs,
            now,
        ),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(secs) = wait {
        tracing::warn!(client, "sign-in throttled");
        return Err(AppError::TooManyRequests(secs));
    }
    let failed = |state: &AppState| {
        let subjects = vec![account.clone(), address.clone()];
        let state = state.clone();
        async move {
            let at = crate::store::now();
            let prune = limits.since(at) - chrono::Duration::seconds(limits.window_secs);
            if let Err(e) = db(&state, move |c| {
                throttle_store::record(c, &subjects, at, prune)
            })
            .await
            {
                tracing::error!(error = %e, "failed sign-in not recorded");
            }
            AppError::Unauthorized(BAD_CREDENTIALS.into())
        }
    };
    let Ok(email) = parse_email(&input.email) else {
        return Err(failed(state).await);
    };
    if input.password.is_empty() || input.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(failed(state).await);
    }
    let found = db(state, move |c| users::find_by_email(c, &email)).await?;
    let stored_hash = found
        .as_ref()
        .filter(|u| u.active)
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.decoy_hash.to_string());
    let password = input.password;
    let ok = state
        .hashing
        .run(move || password::verify(&password, &stored_hash))
        .await?;
    let user = match found {
        Some(user) if ok && user.active => user,
        _ => return Err(failed(state).await),
    };
    if !times(&account).is_empty() {
        let account = account.clone();
        db(state, move |c| throttle_store::clear(c, &account)).await?;
    }
    let view = UserView::from_row(&user);
    let (token, claims) = state.keys.issue(user.id, view.role, Utc::now())?;
    tracing::info!(user.id = user.id, "signed in");
    Ok(LoginOutput {
        token,
        expires_at: claims.expires_at(),
        user: view,
    })
}

/// Revokes the session's token.
pub async fn logout(state: &AppState, session: &Session) -> AppResult<()> {
    let jti = session.jti.clone();
    let expires = session.expires_at.naive_utc();
    db(state, move |c| tokens::revoke(c, &jti, expires)).await?;
    tracing::info!(user.id = session.user.id, "signed out");
    Ok(())
}

/// Verifies a token and loads the caller's current rights. A deactivated
/// account or a revoked token stops working at once.
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Session> {
    let claims = state.keys.verify(token).map_err(|e| match e {
        TokenError::Expired => {
            AppError::Unauthorized("your sign-in has expired; sign in again".into())
        }
        TokenError::Invalid => AppError::Unauthorized("the sign-in token is not valid".into()),
    })?;
    let user_id = claims
        .user_id()
        .map_err(|_| AppError::Unauthorized("the sign-in token is not valid".into()))?;
    let jti = claims.jti.clone();
    let loaded = db(state, move |c| {
        if tokens::is_revoked(c, &jti)? {
            return Ok(None);
        }
        let user = match users::find(c, user_id) {
            Ok(u) => u,
            Err(crate::store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rows = users::scope_of(c, user_id)?;
        Ok(Some((user, rows.admin_of, rows.cohorts)))
    })
    .await?;
    let Some((user, admin_of, cohorts)) = loaded.filter(|(u, _, _)| u.active) else {
        return Err(AppError::Unauthorized(
            "you are signed out; sign in again".into(),
        ));
    };
    let view = UserView::from_row(&user);
    let scope = Scope {
        user_id: user.id,
        role: view.role,
        program_id: user.program_id,
        admin_of: if view.role == Role::ProgramAdmin {
            admin_of
        } else {
            Vec::new()
        },
        cohorts: cohorts
            .into_iter()
            .filter_map(|(id, part)| part.parse().ok().map(|p| (id, p)))
            .collect(),
    };
    Ok(Session {
        scope,
        user: view,
        expires_at: claims.expires_at(),
        jti: claims.jti,
    })
}

/// The caller's account, program, administered programs and cohorts.
pub async fn me(state: &AppState, session: &Session) -> AppResult<MeView> {
    let scope = session.scope.clone();
    let (home, administered, memberships) = db(state, move |c| {
        let home = programs::find(c, scope.program_id)?;
        let administered = programs::list(c, &scope.admin_of)?;
        let ids: Vec<i64> = scope.cohorts.iter().map(|(id, _)| *id).collect();
        let rows = cohorts::list_by_ids(c, &ids)?;
        Ok((home, administered, rows))
    })
    .await?;
    let cohorts = memberships
        .iter()
        .filter_map(|row| {
            let role = session
                .scope
                .cohorts
                .iter()
                .find(|(id, _)| *id == row.id)?
                .1;
            Some(Membership {
                cohort: row.into(),
                role,
            })
        })
        .collect();
    Ok(MeView {
        user: session.user.clone(),
        program: ProgramView::from(&home),
        administers: administered.iter().map(ProgramView::from).collect(),
        cohorts,
    })
}

/// Bounds the CPU that password hashing (sign-ins, password changes, new
/// accounts) may take. Hashing is deliberately slow; a few hashes run at once
/// (half the cores), a short queue waits its turn, and callers beyond it are
/// told to retry in a second. A flood of sign-ins then costs at most half the
/// machine, and every other request keeps the rest.
pub struct HashGate {
    running: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
}

impl HashGate {
    /// `concurrent` hashes at a time, `max_waiting` queued behind them.
    pub fn new(concurrent: usize, max_waiting: usize) -> Self {
        Self {
            running: tokio::sync::Semaphore::new(concurrent.max(1)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// Half the cores (at least one), with a queue of 32 per running hash:
    /// about a second of waiting at most (a hash takes ~33 ms of CPU).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let concurrent = (cores / 2).max(1);
        Self::new(concurrent, concurrent * 32)
    }

    /// Runs the hash when its turn comes, or refuses at once when the queue
    /// is full.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("sign-in queue full: shedding a sign-in");
            return Err(AppError::Overloaded(1));
        }
        let permit = self.running.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.map_err(|_| AppError::Unavailable)?;
        cpu(work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_again() {
        let gate = std::sync::Arc::new(HashGate::new(1, 1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let g = gate.clone();
        // One hash runs (blocked until released), one waits, the third is refused.
        let running = tokio::spawn(async move { g.run(move || hold.recv().is_ok()).await });
        while gate.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let g = gate.clone();
        let queued = tokio::spawn(async move { g.run(|| 2).await });
        while gate.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.run(|| 3).await, Err(AppError::Overloaded(1))));
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(gate.run(|| 4).await.unwrap(), 4, "free again");
    }
}
