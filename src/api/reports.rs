//! Program reports and their CSV exports.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::extract::{Caller, Query};
use crate::error::{AppResult, ErrorBody};
use crate::service::AppState;
use crate::service::reports;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(cohort_report)
        .service(cohort_csv)
        .service(student_report);
}

/// The cohort report: per student hours approved and pending against the
/// requirement and accuracy (overall, by code set, by element, by area,
/// weekly trend), plus the cohort's pooled figures (supervisors, admins).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id")),
    responses(
        (status = 200, description = "The report", body = Object),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/report")]
async fn cohort_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(reports::cohort(&state, &caller, id.into_inner()).await?))
}

/// Which table to export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    /// `students` (default), `areas` or `trend`.
    pub table: Option<String>,
}

/// A table of the cohort report as CSV (UTF-8, header row; cells that a
/// spreadsheet would read as a formula are prefixed with `'`).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("cohort_id" = i64, Path, description = "Cohort id"), CsvQuery),
    responses(
        (status = 200, description = "CSV", body = String, content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a supervisor of this cohort", body = ErrorBody),
        (status = 404, description = "No such cohort visible to you", body = ErrorBody),
        (status = 422, description = "Unknown table", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/report.csv")]
async fn cohort_csv(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    Query(q): Query<CsvQuery>,
) -> AppResult<HttpResponse> {
    let cohort_id = id.into_inner();
    let table = q.table.unwrap_or_else(|| "students".into());
    let body = reports::cohort_csv(&state, &caller, cohort_id, &table).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"cohort-{cohort_id}-{table}.csv\""),
        ))
        .body(body))
}

/// One student's report: their own, or any student's for the cohort's staff.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(
        ("cohort_id" = i64, Path, description = "Cohort id"),
        ("student_id" = i64, Path, description = "Student id"),
    ),
    responses(
        (status = 200, description = "The report", body = Object),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such cohort or student visible to you", body = ErrorBody),
    )
)]
#[get("/cohorts/{cohort_id}/students/{student_id}/report")]
async fn student_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (cohort, student) = path.into_inner();
    Ok(HttpResponse::Ok().json(reports::student(&state, &caller, cohort, student).await?))
}
