//! Signing in and out, and turning a token back into a caller.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::views::{MeView, Membership, ProgramView, UserView};
use super::{AppState, db};
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
    // The attempt is written down as in flight before it is judged, and
    // judged against the failures and every other attempt in flight, so
    // guesses sent in parallel cannot all pass before any has failed.
    let limits = LoginLimits::default();
    let (account, address) = throttle::subjects(&input.email, client);
    let now = crate::store::now();
    let since = limits.since(now);
    let prune = since - chrono::Duration::seconds(limits.window_secs);
    let flight_since = now - chrono::Duration::seconds(throttle::IN_FLIGHT_SECS);
    // A full hashing queue sheds the attempt before it costs a write.
    let admission = state.hashing.admit()?;
    let pending = vec![throttle::in_flight(&account), throttle::in_flight(&address)];
    let mut subjects = vec![account.clone(), address.clone()];
    subjects.extend(pending.iter().cloned());
    // The wait the recorded rows call for, leaving out this attempt's own.
    let judge = |rows: &[(i64, String, chrono::NaiveDateTime)], mine: &[i64]| {
        let times = |subject: &str| -> Vec<chrono::NaiveDateTime> {
            rows.iter()
                .filter(|(id, s, _)| s == subject && !mine.contains(id))
                .map(|(_, _, t)| *t)
                .collect()
        };
        [
            (&account, limits.per_account),
            (&address, limits.per_address),
        ]
        .into_iter()
        .filter_map(|(subject, limit)| {
            let in_flight = times(&throttle::in_flight(subject))
                .iter()
                .filter(|t| **t > flight_since)
                .count();
            throttle::retry_after(&times(subject), in_flight, limit, limits.window_secs, now)
        })
        .max()
    };
    // A read first: an attempt already over the limit is refused without
    // writing anything (the usual case in a guessing flood).
    let read_subjects = subjects.clone();
    let before = db(state, move |c| {
        throttle_store::recent(c, &read_subjects, since)
    })
    .await?;
    let mut wait = judge(&before, &[]);
    let mut mine = Vec::new();
    let mut had_failures = false;
    if wait.is_none() {
        let (ids, rows) = db(state, move |c| {
            let ids = throttle_store::record(c, &pending, now, prune)?;
            Ok((ids, throttle_store::recent(c, &subjects, since)?))
        })
        .await?;
        wait = judge(&rows, &ids);
        had_failures = rows.iter().any(|(_, s, _)| *s == account);
        mine = ids;
    }
    // The attempt leaves the in-flight list however it ends; a wrong
    // password is then recorded as a failure.
    let settle = |state: &AppState, ids: Vec<i64>, failed: bool| {
        let state = state.clone();
        let subjects = vec![account.clone(), address.clone()];
        async move {
            let at = crate::store::now();
            let done = db(&state, move |c| {
                if failed {
                    throttle_store::record(c, &subjects, at, prune)?;
                }
                throttle_store::forget(c, &ids)
            })
            .await;
            if let Err(e) = done {
                tracing::error!(error = %e, "sign-in attempt not settled");
            }
        }
    };
    if let Some(secs) = wait {
        if !mine.is_empty() {
            settle(state, mine, false).await;
        }
        tracing::warn!(client, "sign-in throttled");
        return Err(AppError::TooManyRequests(secs));
    }
    let failed = || AppError::Unauthorized(BAD_CREDENTIALS.into());
    let Ok(email) = parse_email(&input.email) else {
        settle(state, mine, true).await;
        return Err(failed());
    };
    if input.password.is_empty() || input.password.chars().count() > MAX_PASSWORD_CHARS {
        settle(state, mine, true).await;
        return Err(failed());
    }
    let checked = async {
        let found = db(state, move |c| users::find_by_email(c, &email)).await?;
        let stored_hash = found
            .as_ref()
            .filter(|u| u.active)
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| state.decoy_hash.to_string());
        let password = input.password;
        let ok = admission
            .run(move || password::verify(&password, &stored_hash))
            .await?;
        Ok::<_, AppError>((found, ok))
    }
    .await;
    let user = match checked {
        Ok((Some(user), true)) if user.active => user,
        Ok(_) => {
            settle(state, mine, true).await;
            return Err(failed());
        }
        Err(e) => {
            settle(state, mine, false).await;
            return Err(e);
        }
    };
    settle(state, mine, false).await;
    if had_failures {
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
