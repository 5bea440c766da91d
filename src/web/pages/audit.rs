//! The audit log page for program admins.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::service::AppState;
use crate::service::audit::{self, AuditQuery, AuditView};
use crate::web::{Chrome, PageError, PageSession, html};

pub(super) fn routes(r: &mut Router) {
    r.get("/admin/programs/{program_id}/audit", page);
}

#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    program_id: i64,
    items: Vec<AuditView>,
    f: Filters,
    page: i64,
    more: bool,
}

const PER_PAGE: i64 = 50;

async fn page(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let program_id = path.into_inner();
    let f = f.into_inner();
    let page = f.page.unwrap_or(1).clamp(1, 1_000_000);
    let list = audit::list(
        &state,
        &s,
        program_id,
        AuditQuery {
            action: Some(f.action.trim().to_owned()).filter(|a| !a.is_empty()),
            entity: Some(f.entity.trim().to_owned()).filter(|e| !e.is_empty()),
            limit: Some(PER_PAGE + 1),
            offset: Some((page - 1) * PER_PAGE),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| match e {
        AppError::Invalid(_) => AppError::NotFound("page"),
        other => other,
    })?;
    let more = list.items.len() as i64 > PER_PAGE;
    let mut items = list.items;
    items.truncate(PER_PAGE as usize);
    Ok(html(
        StatusCode::OK,
        &AuditPage {
            chrome: Chrome::for_session(&s, "/admin/programs", None),
            program_id,
            items,
            f,
            page,
            more,
        },
    ))
}
