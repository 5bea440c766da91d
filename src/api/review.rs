//! Supervisor review and re-scoring after a key change.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller, Query};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::claims::SubmissionView;
use crate::service::review::{self, QueueItem, QueueQuery, RescoreRow, ReviewInput};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(queue)
        .service(review_claim)
        .service(rescore_preview)
        .service(rescore_apply);
}

/// The review queue of a cohort: the latest claim of each student and
/// encounter with score and review state, filterable by assignment,
/// student, score band and "needs review" (supervisors, program admins).
#[utoipa::path(
    tag = "review",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id"), QueueQuery),
    responses(
        (status = 200, description = "Claims, newest first", body = [QueueItem]),
        (status = 400, description = "Bad query parameter (named)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 422, description = "Score band out of range", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/review-queue")]
async fn queue(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Query(q): Query<QueueQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(review::queue(&state, &caller, id.into_inner(), q).await?))
}

/// Review a submitted claim: approve it, return it for correction (the
/// student may then submit again), or override its score; a comment is
/// required to return or override. Students see the outcome and comment
/// when their feedback is released. Audited.
#[utoipa::path(
    tag = "review",
    security(("bearer" = [])),
    params(("claim_id" = i64, Path, description = "Submission id")),
    request_body = ReviewInput,
    responses(
        (status = 200, description = "Reviewed", body = SubmissionView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such claim visible to you", body = ErrorBody),
        (status = 422, description = "Bad outcome, missing comment or score (named)", body = ErrorBody),
    )
)]
#[post("/claims/{claim_id}/review")]
async fn review_claim(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<ReviewInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(review::review(&state, &caller, id.into_inner(), input).await?))
}

/// Preview re-scoring an encounter's claims against its newest key: who
/// gains or loses how much. Stores nothing.
#[utoipa::path(
    tag = "review",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "Claims scored against an older key version", body = [RescoreRow]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[get("/encounters/{encounter_id}/rescore")]
async fn rescore_preview(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(review::rescore_preview(&state, &caller, id.into_inner()).await?))
}

/// Re-score an encounter's claims against its newest key; every earlier
/// score is kept. Audited per claim.
#[utoipa::path(
    tag = "review",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "Re-scored claims", body = [RescoreRow]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/rescore")]
async fn rescore_apply(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(review::rescore_apply(&state, &caller, id.into_inner()).await?))
}
