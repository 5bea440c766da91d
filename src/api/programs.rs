//! Programs, cohorts and enrolments.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller, Query};
use crate::error::{AppError, AppResult, ErrorBody, ErrorDetail};
use crate::practicum::Invalid;
use crate::practicum::grading::Grading;
use crate::service::AppState;
use crate::service::audit::{self, AuditPage, AuditQuery};
use crate::service::directory::{
    self, CohortInput, CohortPatch, EnrolInput, ProgramInput, ProgramPatch,
};
use crate::service::grading;
use crate::service::roster::{self, RosterReport, RowProblem};
use crate::service::views::{CohortView, EnrolmentView, ProgramView};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_programs)
        .service(create_program)
        .service(get_program)
        .service(update_program)
        .service(list_cohorts)
        .service(create_cohort)
        .service(get_cohort)
        .service(update_cohort)
        .service(list_enrolments)
        .service(create_enrolment)
        .service(delete_enrolment)
        .service(get_grading)
        .service(put_grading)
        .service(audit_log)
        .service(import_roster);
}

/// Options of a roster import.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// Import the good rows even when others have errors (default false:
    /// a file with errors imports nothing).
    pub skip_invalid: Option<bool>,
}

/// Import students into a cohort from CSV (`text/csv` body with a header
/// row: `email`, `name` (or `display_name`), optional `credential`). New
/// accounts are created with a one-time initial password shown in the
/// response; existing student accounts of the program are enrolled. Every
/// row with a problem is reported with its line and field; with errors the
/// file imports nothing (422) unless `skip_invalid=true`.
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id"), RosterQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "Imported", body = RosterReport),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin of this program", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 413, description = "File over 256 KiB", body = ErrorBody),
        (status = 422, description = "Rows with errors (nothing imported; `errors` lists them), or an unreadable file", body = RosterRejected),
        (status = 503, description = "Busy checking passwords; retry after Retry-After seconds", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/roster")]
async fn import_roster(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Query(q): Query<RosterQuery>,
    mut payload: web::Payload,
) -> AppResult<HttpResponse> {
    // Read here rather than with `web::Bytes`, whose own limit would answer
    // an oversized file with a plain-text 413.
    const MAX: usize = 256 * 1024;
    let mut file = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request(Some("file"), format!("the file could not be read: {e}"))
        })?;
        if file.len() + chunk.len() > MAX {
            return Err(AppError::TooLarge(MAX));
        }
        file.extend_from_slice(&chunk);
    }
    let report = roster::import(
        &state,
        &caller,
        id.into_inner(),
        file,
        q.skip_invalid.unwrap_or(false),
    )
    .await?;
    Ok(if report.imported {
        HttpResponse::Ok().json(report)
    } else {
        let n = report.errors.len();
        let error = AppError::Invalid(Invalid::new(
            "file",
            format!(
                "{n} row{} with errors; nothing was imported (fix them, or send skip_invalid=true to import the rest)",
                if n == 1 { "" } else { "s" }
            ),
        ));
        HttpResponse::UnprocessableEntity().json(RosterRejected {
            error: error.body().error,
            errors: report.errors,
        })
    })
}

/// A roster that imported nothing: the error, and every row at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterRejected {
    pub error: ErrorDetail,
    /// The rows with problems; absent when the file as a whole could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<RowProblem>,
}

/// The program's audit log of grading, key, hours and account actions: who,
/// what, when, before and after; newest first (its program admins).
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id"), AuditQuery),
    responses(
        (status = 200, description = "Entries", body = AuditPage),
        (status = 400, description = "Bad query parameter (named)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin of this program", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
        (status = 422, description = "Bad paging", body = ErrorBody),
    )
)]
#[get("/programs/{program_id}/audit")]
async fn audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Query(query): Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(audit::list(&state, &caller, id.into_inner(), query).await?))
}

/// The program's grading settings: scoring policy (weights, near-miss
/// credit, penalties), edit severities, and the hours auto-approval rule
/// (its staff; students may not read them).
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    responses(
        (status = 200, description = "Settings", body = Grading),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students may not read them", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
    )
)]
#[get("/programs/{program_id}/grading")]
async fn get_grading(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(grading::get(&state, &caller, id.into_inner()).await?))
}

/// Replace the program's grading settings (its program admins). Every field
/// has a default; `{}` restores the shipped behaviour. New scores use them;
/// earlier scores stay until re-scored.
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    request_body = Grading,
    responses(
        (status = 200, description = "Saved", body = Grading),
        (status = 400, description = "Malformed body or unknown field", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin of this program", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
        (status = 422, description = "A value is out of range (named)", body = ErrorBody),
    )
)]
#[put("/programs/{program_id}/grading")]
async fn put_grading(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<Grading>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(grading::put(&state, &caller, id.into_inner(), input).await?))
}

/// Programs you administer, or your own program.
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Programs", body = Vec<ProgramView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[get("/programs")]
async fn list_programs(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::list_programs(&state, &caller).await?))
}

/// Create a program (program administrators).
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    request_body = ProgramInput,
    responses(
        (status = 201, description = "Created", body = ProgramView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a program administrator", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[post("/programs")]
async fn create_program(
    state: web::Data<AppState>,
    caller: Caller,
    Body(input): Body<ProgramInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(directory::create_program(&state, &caller, input).await?))
}

/// One program.
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    responses(
        (status = 200, description = "The program", body = ProgramView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
    )
)]
#[get("/programs/{program_id}")]
async fn get_program(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::get_program(&state, &caller, *id).await?))
}

/// Edit a program you administer.
#[utoipa::path(
    tag = "programs",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    request_body = ProgramPatch,
    responses(
        (status = 200, description = "Updated", body = ProgramView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this program", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[patch("/programs/{program_id}")]
async fn update_program(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(patch): Body<ProgramPatch>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::update_program(&state, &caller, *id, patch).await?))
}

/// A program's cohorts: all for its administrators, else your own.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    responses(
        (status = 200, description = "Cohorts, newest term first", body = Vec<CohortView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
    )
)]
#[get("/programs/{program_id}/cohorts")]
async fn list_cohorts(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::list_cohorts(&state, &caller, *id).await?))
}

/// Create a cohort in a program you administer.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("program_id" = i64, Path, description = "Program id")),
    request_body = CohortInput,
    responses(
        (status = 201, description = "Created", body = CohortView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this program", body = ErrorBody),
        (status = 404, description = "No such program visible to you", body = ErrorBody),
        (status = 409, description = "Name taken in this program", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[post("/programs/{program_id}/cohorts")]
async fn create_cohort(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<CohortInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(directory::create_cohort(&state, &caller, *id, input).await?))
}

/// One cohort.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "The cohort", body = CohortView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}")]
async fn get_cohort(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::get_cohort(&state, &caller, *id).await?))
}

/// Edit a cohort in a program you administer.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    request_body = CohortPatch,
    responses(
        (status = 200, description = "Updated", body = CohortView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this program", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 409, description = "Name taken in this program", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[patch("/cohorts/{cohort_id}")]
async fn update_cohort(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(patch): Body<CohortPatch>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::update_cohort(&state, &caller, *id, patch).await?))
}

/// A cohort's supervisors and students (administrators and its supervisors).
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "Enrolments, supervisors first", body = Vec<EnrolmentView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students may not list their cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/enrolments")]
async fn list_enrolments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(directory::roster(&state, &caller, *id).await?))
}

/// Enrol a student or supervisor of the program in a cohort.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    request_body = EnrolInput,
    responses(
        (status = 201, description = "Enrolled", body = EnrolmentView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this program", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 409, description = "Already enrolled", body = ErrorBody),
        (status = 422, description = "Unknown user or role mismatch", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/enrolments")]
async fn create_enrolment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<EnrolInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(directory::enrol(&state, &caller, *id, input).await?))
}

/// Remove an enrolment.
#[utoipa::path(
    tag = "cohorts",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("user_id" = i64, Path, description = "Enrolled user's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator of this program", body = ErrorBody),
        (status = 404, description = "No such cohort or enrolment", body = ErrorBody),
    )
)]
#[delete("/cohorts/{cohort_id}/enrolments/{user_id}")]
async fn delete_enrolment(
    state: web::Data<AppState>,
    caller: Caller,
    ids: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (cohort_id, user_id) = ids.into_inner();
    directory::unenrol(&state, &caller, cohort_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
