//! Claims: edits on demand.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::claims::Claim;
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::claims::{self, CheckReport, DraftView, SubmissionView, SubmitOutcome};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(check_claim)
        .service(save_draft)
        .service(get_draft)
        .service(submit)
        .service(list_submissions)
        .service(get_submission)
        .service(rescore)
        .service(export_837p);
}

/// Run the claim edits on a claim without storing anything: unknown, header
/// or malformed codes, 7th characters, Excludes1, sequencing, use-additional
/// expectations, duplicates, age and sex lists, pointers, modifiers, NCCI
/// pairs and MUEs, add-on codes. Fast enough to call on every change.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    request_body = Claim,
    responses(
        (status = 200, description = "Findings", body = CheckReport),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "The claim does not fit the form (counts, pointers, units)", body = ErrorBody),
    )
)]
#[post("/claims/check")]
async fn check_claim(
    state: web::Data<AppState>,
    Caller(s): Caller,
    Body(claim): Body<Claim>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::check(&state, &s, claim).await?))
}

/// Save your working draft of the claim for an encounter (students). Any JSON
/// object up to 64 KiB; it may be incomplete.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    request_body(content = Object, description = "The claim as far as it goes"),
    responses(
        (status = 200, description = "Saved", body = DraftView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students keep drafts", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
        (status = 413, description = "Draft too large", body = ErrorBody),
    )
)]
#[put("/encounters/{encounter_id}/claim-draft")]
async fn save_draft(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(claim): Body<serde_json::Value>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::save_draft(&state, &caller, id.into_inner(), claim).await?))
}

/// Your saved draft for an encounter.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "The draft", body = DraftView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students keep drafts", body = ErrorBody),
        (status = 404, description = "No draft, or no such encounter", body = ErrorBody),
    )
)]
#[get("/encounters/{encounter_id}/claim-draft")]
async fn get_draft(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::get_draft(&state, &caller, id.into_inner()).await?))
}

/// Submit a claim for an encounter (students). Requires an `Idempotency-Key`
/// header: a retry with the same key and claim returns the first result
/// (200) instead of a duplicate. Submitted claims never change; submitting
/// again creates the next version. In practice mode the score, explanation
/// and key come back at once.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(
        ("encounter_id" = i64, Path, description = "Encounter id"),
        ("Idempotency-Key" = String, Header, description = "Unique per submission attempt: 1–200 visible ASCII characters", pattern = "^[!-~]{1,200}$"),
    ),
    request_body = Claim,
    responses(
        (status = 201, description = "Submitted and scored", body = SubmissionView),
        (status = 200, description = "A retry: the first result", body = SubmissionView),
        (status = 400, description = "Malformed body or missing Idempotency-Key", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only students submit", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
        (status = 409, description = "Idempotency-Key reused for a different claim, or the assignment refuses it (not open, exam not started, past the deadline, no resubmission)", body = ErrorBody),
        (status = 422, description = "The claim does not fit the form", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/claims")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(claim): Body<Claim>,
) -> AppResult<HttpResponse> {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok());
    Ok(
        match claims::submit(&state, &caller, id.into_inner(), key, claim).await? {
            SubmitOutcome::Created(v) => HttpResponse::Created().json(v),
            SubmitOutcome::Replayed(v) => HttpResponse::Ok().json(v),
        },
    )
}

/// Submissions for an encounter: your own, or every student's for supervisors.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "Submissions, newest version first", body = Vec<SubmissionView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[get("/encounters/{encounter_id}/claims")]
async fn list_submissions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::list(&state, &caller, id.into_inner()).await?))
}

/// One submitted claim with its score and, when the rules allow, the key.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("claim_id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "The submission", body = SubmissionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such claim visible to you", body = ErrorBody),
    )
)]
#[get("/claims/{claim_id}")]
async fn get_submission(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::get(&state, &caller, id.into_inner()).await?))
}

/// Score a submission again against the newest key version (supervisors);
/// earlier scores are kept.
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("claim_id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "The submission with its score history", body = SubmissionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students do not re-score", body = ErrorBody),
        (status = 404, description = "No such claim visible to you", body = ErrorBody),
    )
)]
#[post("/claims/{claim_id}/rescore")]
async fn rescore(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::rescore(&state, &caller, id.into_inner()).await?))
}

/// The submission as an X12 837P (005010X222A1) file: synthetic submitter,
/// payer and billing provider, usage indicator T (test).
#[utoipa::path(
    tag = "claims",
    security(("bearer" = [])),
    params(("claim_id" = i64, Path, description = "Submission id")),
    responses(
        (status = 200, description = "The 837P interchange", body = String, content_type = "application/edi-x12"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such claim visible to you", body = ErrorBody),
    )
)]
#[get("/claims/{claim_id}/837p")]
async fn export_837p(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let body = claims::x12_837p(&state, &caller, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/edi-x12")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"claim-{id}.837p.txt\""),
        ))
        .body(body))
}
