//! Login and logout pages.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::{csrf, random_hex};
use crate::error::AppError;
use crate::service::AppState;
use crate::service::sessions::{self, LoginInput};
use crate::web::session::{
    LOGIN_NONCE_COOKIE, PageSession, clear_session_cookie, login_nonce_cookie, session_cookie,
};
use crate::web::{Chrome, PageError, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/", root)
        .get("/login", login_form)
        .post("/login", login_submit)
        .post("/logout", logout);
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    demo_accounts: Vec<(&'static str, &'static str)>,
    demo_password: &'static str,
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

async fn root(req: HttpRequest) -> HttpResponse {
    let signed_in = req.cookie(crate::api::extract::SESSION_COOKIE).is_some();
    see_other(if signed_in { "/dashboard" } else { "/login" })
}

/// Only local paths are followed after sign-in, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login") =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

fn render_login(
    state: &AppState,
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let nonce = random_hex(16);
    let mut chrome = Chrome::anonymous();
    chrome.notice = notice.and_then(super::super::notice_text);
    let demo_accounts = if state.demo {
        crate::service::demo::DEMO_ACCOUNTS
            .iter()
            .map(|(email, _, role, _)| (*email, *role))
            .collect()
    } else {
        Vec::new()
    };
    let page = LoginPage {
        chrome,
        csrf: csrf::token_for(&state.csrf_secret, &nonce),
        next,
        email,
        error,
        demo_accounts,
        demo_password: crate::service::demo::DEMO_PASSWORD,
    };
    let mut response = html(status, &page);
    if let Err(e) = response.add_cookie(&login_nonce_cookie(state, nonce)) {
        tracing::warn!(error = %e, "could not set login cookie");
    }
    response
}

async fn login_form(state: web::Data<AppState>, query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    render_login(
        &state,
        next,
        String::new(),
        None,
        query.notice.as_deref(),
        StatusCode::OK,
    )
}

async fn login_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    let nonce = req
        .cookie(LOGIN_NONCE_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if nonce.is_empty() || !csrf::matches(&state.csrf_secret, &nonce, &form.csrf_token) {
        let msg = "The sign-in form expired. Please try again.".to_owned();
        return render_login(
            &state,
            next,
            form.email,
            Some(msg),
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    let email = form.email.clone();
    let client = crate::api::extract::client_of(&req, &state);
    match sessions::login(
        &state,
        LoginInput {
            email: form.email,
            password: form.password,
        },
        &client,
    )
    .await
    {
        Ok(out) => {
            let max_age = (out.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let mut response = see_other(&next);
            let cleared = {
                let mut c = login_nonce_cookie(&state, String::new());
                c.make_removal();
                c
            };
            for cookie in [session_cookie(&state, out.token, max_age), cleared] {
                if let Err(e) = response.add_cookie(&cookie) {
                    tracing::warn!(error = %e, "could not set cookie");
                }
            }
            response
        }
        Err(e @ AppError::TooManyRequests(_)) => {
            let msg = format!("Sign-in paused: {e}.");
            render_login(
                &state,
                next,
                email,
                Some(msg),
                None,
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Err(AppError::Unauthorized(msg)) => {
            let msg = format!("Sign-in failed: {msg}.");
            render_login(
                &state,
                next,
                email,
                Some(msg),
                None,
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => PageError::App(e).error_response_page(),
    }
}

use super::CsrfForm;

async fn logout(
    state: web::Data<AppState>,
    s: PageSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    s.check_csrf(&state, &form.csrf_token)?;
    sessions::logout(&state, &s).await?;
    let mut response = see_other("/login?notice=signed_out");
    if let Err(e) = response.add_cookie(&clear_session_cookie(&state)) {
        tracing::warn!(error = %e, "could not clear cookie");
    }
    Ok(response)
}

impl PageError {
    fn error_response_page(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}
