//! Assignments and the student worklist.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::assignments::{self, AssignmentInput, AssignmentView};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(start)
        .service(worklist);
}

/// Build an assignment for a cohort (supervisors of the cohort, program
/// admins): a practice set or a timed exam, drawn from areas, difficulties
/// and scenarios (each student gets their own seeded encounters unless
/// `shared_set`), or hand-picked encounters.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    request_body = AssignmentInput,
    responses(
        (status = 201, description = "Created", body = AssignmentView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in the error)", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/assignments")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<AssignmentInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(assignments::create(&state, &caller, id.into_inner(), input).await?))
}

/// A cohort's assignments; students see their own encounters and status.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "Assignments by due date", body = [AssignmentView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/assignments")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(assignments::list(&state, &caller, id.into_inner()).await?))
}

/// One assignment. A student's first visit to an open assignment gives them
/// their encounters; an exam's stay hidden until its clock is started.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("assignment_id" = i64, Path, description = "Assignment id")),
    responses(
        (status = 200, description = "The assignment", body = AssignmentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such assignment visible to you", body = ErrorBody),
    )
)]
#[get("/assignments/{assignment_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(assignments::get(&state, &caller, id.into_inner()).await?))
}

/// Start your exam clock (students). The deadline is the time limit from
/// now, never past the due date; starting again returns the same clock.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    params(("assignment_id" = i64, Path, description = "Assignment id")),
    responses(
        (status = 200, description = "Started: the clock and the encounters", body = AssignmentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students sit exams", body = ErrorBody),
        (status = 404, description = "No such assignment visible to you", body = ErrorBody),
        (status = 409, description = "Not an exam, not open yet, or closed", body = ErrorBody),
    )
)]
#[post("/assignments/{assignment_id}/start")]
async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(assignments::start(&state, &caller, id.into_inner()).await?))
}

/// Your worklist (students): every assignment of your cohorts with your
/// encounters and where each stands, open ones first.
#[utoipa::path(
    tag = "assignments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assignments with encounters", body = [AssignmentView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students have a worklist", body = ErrorBody),
    )
)]
#[get("/worklist")]
async fn worklist(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(assignments::worklist(&state, &caller).await?))
}
