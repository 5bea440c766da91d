//! Signing in and out, and the caller's own account.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::error::{AppResult, ErrorBody};
use crate::service::views::MeView;
use crate::service::{AppState, directory, sessions};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(me)
        .service(change_password);
}

/// Sign in with e-mail and password.
///
/// Returns a bearer token. A wrong password and an unknown e-mail get the
/// same 401.
#[utoipa::path(
    tag = "auth",
    request_body = sessions::LoginInput,
    responses(
        (status = 200, description = "Signed in", body = sessions::LoginOutput),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong e-mail or password", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this account or from this address (Retry-After says when to try again)", body = ErrorBody),
        (status = 503, description = "Busy checking passwords; retry after Retry-After seconds", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    )
)]
#[post("/auth/login")]
async fn login(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    Body(input): Body<sessions::LoginInput>,
) -> AppResult<HttpResponse> {
    let client = super::extract::client_of(&req, &state);
    let out = sessions::login(&state, input, &client).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Sign out: the token stops working at once.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    sessions::logout(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account, its program, and its cohorts.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(sessions::me(&state, &caller).await?))
}

/// Change your own password.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = directory::PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Current password wrong or new one too weak", body = ErrorBody),
        (status = 503, description = "Busy checking passwords; retry after Retry-After seconds", body = ErrorBody),
    )
)]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<directory::PasswordChange>,
) -> AppResult<HttpResponse> {
    directory::change_own_password(&state, &caller, input).await?;
    Ok(HttpResponse::NoContent().finish())
}
