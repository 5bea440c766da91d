//! The browser session: the JWT in an HttpOnly SameSite cookie, and the CSRF
//! token bound to it.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::PageError;
use crate::api::extract::{SESSION_COOKIE, app_state};
use crate::auth::csrf;
use crate::error::AppError;
use crate::service::AppState;
use crate::service::sessions::{self, Session};

/// Cookie holding the pre-sign-in nonce the login form's CSRF token is bound to.
pub const LOGIN_NONCE_COOKIE: &str = "practicum_login";

/// A signed-in page visitor, with the CSRF token for their forms.
pub struct PageSession {
    pub session: Session,
    pub csrf: String,
}

impl std::ops::Deref for PageSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

impl PageSession {
    /// Refuses a form whose CSRF token does not belong to this session.
    pub fn check_csrf(&self, state: &AppState, submitted: &str) -> Result<(), PageError> {
        if csrf::matches(&state.csrf_secret, &self.session.jti, submitted) {
            Ok(())
        } else {
            Err(AppError::bad_request(
                Some("csrf_token"),
                "this form has expired or did not come from Practicum; reload the page and try again",
            )
            .into())
        }
    }
}

impl FromRequest for PageSession {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let next = match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{}", req.path(), q),
            };
            let sign_in = || PageError::SignIn { next: next.clone() };
            let state = app_state(&req)?;
            let token = req
                .cookie(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
                .ok_or_else(sign_in)?;
            let session = match sessions::authenticate(&state, &token).await {
                Ok(s) => s,
                Err(AppError::Unauthorized(_)) => return Err(sign_in()),
                Err(e) => return Err(e.into()),
            };
            let csrf = csrf::token_for(&state.csrf_secret, &session.jti);
            Ok(PageSession { session, csrf })
        })
    }
}

/// The session cookie carrying `token`.
pub fn session_cookie(state: &AppState, token: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.cookie_secure)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// A cookie that deletes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut c = session_cookie(state, String::new(), 0);
    c.make_removal();
    c
}

/// The login form's nonce cookie.
pub fn login_nonce_cookie(state: &AppState, nonce: String) -> Cookie<'static> {
    Cookie::build(LOGIN_NONCE_COOKIE, nonce)
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.cookie_secure)
        .max_age(CookieDuration::hours(2))
        .finish()
}
