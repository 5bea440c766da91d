//! The mock EHR as JSON: patients, encounters, documents, generation runs and
//! (for supervisors) answer-key versions.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Body, Caller, Query};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::ehr::{
    self, DocumentView, EncounterPage, EncounterQuery, EncounterView, GenerateInput,
    GenerationView, KeyInput, KeyVersionView, LibraryView, PatientChart, PatientPage, PatientQuery,
    RunView,
};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(scenario_library)
        .service(search_patients)
        .service(get_patient)
        .service(list_encounters)
        .service(get_encounter)
        .service(get_document)
        .service(list_keys)
        .service(approve_key)
        .service(unlock_key)
        .service(add_key)
        .service(generate)
        .service(list_runs);
}

/// The scenario library: served scenarios and the files refused at start-up
/// (supervisors and program admins).
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The library", body = LibraryView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students do not browse the key-bearing library", body = ErrorBody),
    )
)]
#[get("/scenarios")]
async fn scenario_library(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::library(&state, &caller)?))
}

/// Search the synthetic patients of your cohorts.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(PatientQuery),
    responses(
        (status = 200, description = "Matching patients, by name", body = PatientPage),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Cohort not visible to you", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[get("/patients")]
async fn search_patients(
    state: web::Data<AppState>,
    caller: Caller,
    Query(query): Query<PatientQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::search_patients(&state, &caller, query).await?))
}

/// A patient's chart: demographics and encounters.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("patient_id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The chart", body = PatientChart),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such patient visible to you", body = ErrorBody),
    )
)]
#[get("/patients/{patient_id}")]
async fn get_patient(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::patient_chart(&state, &caller, id.into_inner()).await?))
}

/// Encounters in your cohorts, newest first.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(EncounterQuery),
    responses(
        (status = 200, description = "Encounters with their patients", body = EncounterPage),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Cohort not visible to you", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    )
)]
#[get("/encounters")]
async fn list_encounters(
    state: web::Data<AppState>,
    caller: Caller,
    Query(query): Query<EncounterQuery>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::list_encounters(&state, &caller, query).await?))
}

/// One encounter: chart, vitals, problems, medications, allergies, results and
/// document list. Never the answer key; supervisors also get `supervision`.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "The encounter", body = EncounterView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[get("/encounters/{encounter_id}")]
async fn get_encounter(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let detail = ehr::encounter_detail(&state, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail.view))
}

/// One clinical document with its text.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("document_id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such document visible to you", body = ErrorBody),
    )
)]
#[get("/documents/{document_id}")]
async fn get_document(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::document(&state, &caller, id.into_inner()).await?))
}

/// Every answer-key version of an encounter (supervisors and program admins).
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    responses(
        (status = 200, description = "Key versions, oldest first", body = Vec<KeyVersionView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students never see keys", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
    )
)]
#[get("/encounters/{encounter_id}/keys")]
async fn list_keys(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::keys(&state, &caller, id.into_inner()).await?))
}

/// Add a supervisor-authored key version; every code is checked against the
/// code sets on the date of service. Earlier versions are kept.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("encounter_id" = i64, Path, description = "Encounter id")),
    request_body = KeyInput,
    responses(
        (status = 201, description = "The new version", body = KeyVersionView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such encounter visible to you", body = ErrorBody),
        (status = 422, description = "A code, pointer, unit or modifier is invalid", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/keys")]
async fn add_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<KeyInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(ehr::add_key(&state, &caller, id.into_inner(), input).await?))
}

/// Generate synthetic encounters for a cohort (supervisors and program admins).
/// The same seed gives the same encounters; ones already generated are skipped.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    request_body = GenerateInput,
    responses(
        (status = 201, description = "The run", body = GenerationView),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 422, description = "Invalid count, area or difficulty", body = ErrorBody),
    )
)]
#[post("/cohorts/{cohort_id}/encounters/generate")]
async fn generate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Body(input): Body<GenerateInput>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Created().json(ehr::generate(&state, &caller, id.into_inner(), input).await?))
}

/// A cohort's recent generation runs (supervisors and program admins).
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "Runs, newest first", body = Vec<RunView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of the cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/generation-runs")]
async fn list_runs(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ehr::runs(&state, &caller, id.into_inner()).await?))
}

/// Approve and lock the newest key version (supervisors of the cohort):
/// edits are refused until it is unlocked. Audited.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(
        ("encounter_id" = i64, Path, description = "Encounter id"),
        ("version" = i32, Path, description = "Key version (the newest)"),
    ),
    responses(
        (status = 200, description = "Locked", body = KeyVersionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students never see keys", body = ErrorBody),
        (status = 404, description = "No such encounter or version", body = ErrorBody),
        (status = 409, description = "Not the newest version", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/keys/{version}/approve")]
async fn approve_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> AppResult<HttpResponse> {
    let (id, version) = path.into_inner();
    Ok(HttpResponse::Ok().json(ehr::set_key_lock(&state, &caller, id, version, true).await?))
}

/// Unlock the newest key version so it can be edited again. Audited.
#[utoipa::path(
    tag = "ehr",
    security(("bearer" = [])),
    params(
        ("encounter_id" = i64, Path, description = "Encounter id"),
        ("version" = i32, Path, description = "Key version (the newest)"),
    ),
    responses(
        (status = 200, description = "Unlocked", body = KeyVersionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Students never see keys", body = ErrorBody),
        (status = 404, description = "No such encounter or version", body = ErrorBody),
        (status = 409, description = "Not the newest version", body = ErrorBody),
    )
)]
#[post("/encounters/{encounter_id}/keys/{version}/unlock")]
async fn unlock_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i32)>,
) -> AppResult<HttpResponse> {
    let (id, version) = path.into_inner();
    Ok(HttpResponse::Ok().json(ehr::set_key_lock(&state, &caller, id, version, false).await?))
}
