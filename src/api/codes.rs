//! The encoder: code search and code detail.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::Caller;
use crate::codes::detail::AnyDetail;
use crate::codes::search::{Hit, System};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::AppState;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(search_codes).service(get_code);
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A code prefix (`S52.5`, `99214`) or words (`colles fracture right`).
    #[param(max_length = 200)]
    pub q: String,
    /// Limit to one code set: icd10cm, cpt or hcpcs.
    #[param(value_type = Option<System>)]
    pub system: Option<String>,
    /// Results to return, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<Hit>,
}

fn parse_system(raw: &str) -> AppResult<System> {
    System::parse(raw).ok_or_else(|| {
        AppError::bad_request(Some("system"), "system must be icd10cm, cpt or hcpcs")
    })
}

/// Search codes by prefix or by words, ranked.
#[utoipa::path(
    tag = "codes",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "Ranked results", body = SearchResults),
        (status = 400, description = "Bad query", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[get("/codes/search")]
async fn search_codes(
    state: web::Data<AppState>,
    _caller: Caller,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let system = q
        .system
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_system)
        .transpose()?;
    if q.q.chars().count() > 200 {
        return Err(AppError::bad_request(
            Some("q"),
            "the query may be at most 200 characters",
        ));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            Some("limit"),
            "limit must be from 1 to 100",
        ));
    }
    let results = state.codes.search().search(&q.q, system, limit);
    Ok(HttpResponse::Ok().json(SearchResults {
        query: q.q,
        results,
    }))
}

/// Detail parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DetailQuery {
    /// Date of service to check validity on (YYYY-MM-DD); default: the newest release's last day.
    pub date: Option<NaiveDate>,
}

/// A code's detail: validity on a date, hierarchy, notes, 7th characters, children.
#[utoipa::path(
    tag = "codes",
    security(("bearer" = [])),
    params(
        ("system" = System, Path, description = "icd10cm, cpt or hcpcs"),
        ("code" = String, Path, description = "The code, with or without its dot"),
        DetailQuery,
    ),
    responses(
        (status = 200, description = "The code", body = AnyDetail),
        (status = 400, description = "Unknown system or bad date", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such code", body = ErrorBody),
    )
)]
#[get("/codes/{system}/{code}")]
async fn get_code(
    state: web::Data<AppState>,
    _caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<DetailQuery>,
) -> AppResult<HttpResponse> {
    let (system, code) = path.into_inner();
    let system = parse_system(&system)?;
    let dos = query
        .date
        .or_else(|| state.codes.icd10cm_latest().map(|t| t.release.effective_to))
        .unwrap_or_default();
    let detail = match system {
        System::Icd10cm => state
            .codes
            .icd10cm_detail(&code, dos)
            .map(AnyDetail::Diagnosis),
        System::Cpt | System::Hcpcs => state
            .codes
            .procedure_detail(system, &code, dos)
            .map(AnyDetail::Procedure),
    };
    detail
        .map(|d| HttpResponse::Ok().json(d))
        .ok_or(AppError::NotFound("code"))
}
