//! Accounts.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::directory::{self, UserInput, UserPatch, UserQuery};
use crate::service::views::UserView;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user);
}

/// Accounts visible to you: your programs' (administrators), your cohorts'
/// students (supervisors), or your own (students).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(UserQuery),
    responses(
        (status = 200, description = "Accounts by name", body = Vec<UserView>),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Cohort not supervised by you", body = ErrorBody),
    )
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<UserQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::list_users(&state, &caller, query.into_inner()).await?))
}

/// Create an account in a program you administer.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = UserInput,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of that program", body = ErrorBody),
        (status = 409, description = "E-mail taken", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
        (status = 503, description = "Busy checking passwords; retry after Retry-After seconds", body = ErrorBody),
    )
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<UserInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(directory::create_user(&state, &caller, input).await?))
}

/// One account, if visible to you.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account visible to you", body = ErrorBody),
    )
)]
#[get("/users/{user_id}")]
async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::get_user(&state, &caller, *id).await?))
}

/// Edit an account in a program you administer (name, credential, active, password reset).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "User id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Updated", body = UserView),
        (status = 400, description = "Malformed body or nothing to change", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this account's program", body = ErrorBody),
        (status = 404, description = "No such account visible to you", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
        (status = 503, description = "Busy checking passwords; retry after Retry-After seconds", body = ErrorBody),
    )
)]
#[patch("/users/{user_id}")]
async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(patch): Body<UserPatch>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::update_user(&state, &caller, *id, patch).await?))
}
