//! PPE hours: heartbeats, the site log, manual entries, decisions,
//! reversing entries and sign-offs.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::hours::{
    self, DecisionInput, EntryView, HeartbeatView, ManualInput, ReversalInput, SignoffInput,
    SignoffView, SiteLog,
};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(heartbeat)
        .service(site_log)
        .service(site_log_csv)
        .service(add_manual)
        .service(pending)
        .service(decide)
        .service(reverse)
        .service(sign_off);
}

/// A heartbeat from the coding page while the student works (every 30 s
/// while active). Gaps over 90 s earn nothing, so an idle tab logs no time.
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "Time on task so far", body = HeartbeatView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students log time", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/heartbeat")]
async fn heartbeat(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hours::heartbeat(&state, &caller, id.into_inner()).await?))
}

/// A student's site log in a cohort: date, activity, minutes, supervisor
/// and credential, status; totals against the requirement; sign-offs.
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("student_id" = i64, Path, description = "Student id"),
    ),
    responses(
        (status = 200, description = "The log", body = SiteLog),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort or student visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/students/{student_id}/hours")]
async fn site_log(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (cohort, student) = path.into_inner();
    Ok(HttpResponse::Ok().json(hours::site_log(&state, &caller, cohort, student).await?))
}

/// Add a manual entry (orientation, a review session) with a reason:
/// pending when the student adds it, approved when their supervisor does.
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("student_id" = i64, Path, description = "Student id"),
    ),
    request_body = ManualInput,
    responses(
        (status = 201, description = "Logged", body = EntryView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort or student visible to you", body = ErrorBody),
        (status = 409, description = "The date is inside a signed-off period", body = ErrorBody),
        (status = 422, description = "A field is invalid (named)", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/students/{student_id}/hours")]
async fn add_manual(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    Body(input): Body<ManualInput>,
) -> AppResult<HttpResponse> {
    let (cohort, student) = path.into_inner();
    Ok(HttpResponse::Created()
        .json(hours::add_manual(&state, &caller, cohort, student, input).await?))
}

/// The cohort's pending entries (supervisors).
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "Pending entries by date", body = [EntryView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/hours/pending")]
async fn pending(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hours::pending(&state, &caller, id.into_inner()).await?))
}

/// Approve or reject a pending entry (supervisors). Entries inside a
/// signed-off period never change.
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(("entry_id" = i64, Path, description = "Hour entry id")),
    request_body = DecisionInput,
    responses(
        (status = 200, description = "Decided", body = EntryView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such entry visible to you", body = ErrorBody),
        (status = 409, description = "Already decided, or signed off", body = ErrorBody),
        (status = 422, description = "Bad status", body = ErrorBody),
    )
)]
#[post("/hours/{entry_id}/decision")]
async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<DecisionInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(hours::decide(&state, &caller, id.into_inner(), input).await?))
}

/// Undo an approved entry with a reversing entry dated today (supervisors).
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(("entry_id" = i64, Path, description = "Hour entry id")),
    request_body = ReversalInput,
    responses(
        (status = 201, description = "The reversing entry", body = EntryView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such entry visible to you", body = ErrorBody),
        (status = 409, description = "Not reversible (pending, rejected, a reversal, or reversed already)", body = ErrorBody),
        (status = 422, description = "Reason missing", body = ErrorBody),
    )
)]
#[post("/hours/{entry_id}/reversal")]
async fn reverse(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<ReversalInput>,
) -> AppResult<HttpResponse> {
    Ok(
        HttpResponse::Created()
            .json(hours::reverse(&state, &caller, id.into_inner(), input).await?),
    )
}

/// Sign off a period of a student's log with an attestation (supervisors).
/// Every entry in it must be decided; afterwards none of them changes.
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("student_id" = i64, Path, description = "Student id"),
    ),
    request_body = SignoffInput,
    responses(
        (status = 201, description = "Signed", body = SignoffView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort or student visible to you", body = ErrorBody),
        (status = 409, description = "The period changed while signing", body = ErrorBody),
        (status = 422, description = "Bad period, overlap, pending entries or attestation (named)", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/students/{student_id}/signoffs")]
async fn sign_off(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    Body(input): Body<SignoffInput>,
) -> AppResult<HttpResponse> {
    let (cohort, student) = path.into_inner();
    Ok(HttpResponse::Created()
        .json(hours::sign_off(&state, &caller, cohort, student, input).await?))
}

/// The site log as CSV (same access as the log).
#[utoipa::path(
    tag = "hours",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("student_id" = i64, Path, description = "Student id"),
    ),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort or student visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/students/{student_id}/hours.csv")]
async fn site_log_csv(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (cohort, student) = path.into_inner();
    let body = hours::site_log_csv(&state, &caller, cohort, student).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"site-log-{cohort}-{student}.csv\""),
        ))
        .body(body))
}
