//! Claims: edits on demand.

use actix_web::{HttpResponse, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller};
use crate::claims::Claim;
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::claims::{self, CheckReport};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(check_claim);
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
    _caller: Caller,
    Body(claim): Body<Claim>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::check(&state, claim)?))
}
