//! The supervisor's review queue page.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::practicum::Invalid;
use crate::service::AppState;
use crate::service::assignments::{self, AssignmentView};
use crate::service::directory;
use crate::service::review::{self, QueueItem, QueueQuery};
use crate::service::views::CohortView;
use crate::web::{Chrome, PageError, PageSession, html};

pub(super) fn routes(r: &mut Router) {
    r.get("/cohorts/{cohort_id}/review", queue)
        .post("/ehr/encounters/{encounter_id}/keys/lock", lock_key)
        .get("/ehr/encounters/{encounter_id}/rescore", rescore_preview)
        .post("/ehr/encounters/{encounter_id}/rescore", rescore_apply);
}

/// The filter form as typed (empty fields mean "any").
#[derive(Debug, Default, Deserialize)]
struct Filters {
    #[serde(default)]
    assignment: String,
    #[serde(default)]
    student: String,
    #[serde(default)]
    min_score: String,
    #[serde(default)]
    max_score: String,
    #[serde(default)]
    needs_review: String,
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    chrome: Chrome,
    cohort: CohortView,
    items: Vec<QueueItem>,
    assignments: Vec<AssignmentView>,
    students: Vec<(i64, String)>,
    f: Filters,
    error: Option<String>,
}

fn number<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<Option<T>, AppError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse()
        .map(Some)
        .map_err(|_| Invalid::new(field, "enter a number").into())
}

async fn queue(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    f: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let cohort_id = path.into_inner();
    let f = f.into_inner();
    let cohort = directory::get_cohort(&state, &s, cohort_id).await?;
    let query = (|| -> Result<QueueQuery, AppError> {
        Ok(QueueQuery {
            assignment: number("assignment", &f.assignment)?,
            student: number("student", &f.student)?,
            min_score: number("min_score", &f.min_score)?,
            max_score: number("max_score", &f.max_score)?,
            needs_review: (f.needs_review == "yes").then_some(true),
        })
    })();
    let (items, error, status) = match query {
        Ok(q) => match review::queue(&state, &s, cohort_id, q).await {
            Ok(items) => (items, None, StatusCode::OK),
            Err(AppError::Invalid(inv)) => (
                Vec::new(),
                Some(format!("{}: {}", inv.field, inv.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(e) => return Err(e.into()),
        },
        Err(AppError::Invalid(inv)) => (
            Vec::new(),
            Some(format!("{}: {}", inv.field, inv.message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let assignments = assignments::list(&state, &s, cohort_id).await?;
    let students = directory::roster(&state, &s, cohort_id)
        .await?
        .into_iter()
        .filter(|e| e.role == crate::practicum::accounts::CohortRole::Student)
        .map(|e| (e.user.id, e.user.display_name))
        .collect();
    Ok(html(
        status,
        &QueuePage {
            chrome: Chrome::for_session(&s, "/dashboard", None),
            cohort,
            items,
            assignments,
            students,
            f,
            error,
        },
    ))
}

// ---- key approval and re-scoring ---------------------------------------------

#[derive(Debug, Deserialize)]
struct LockForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    action: String,
}

/// Approves (locks) or unlocks the newest key version from the key tab.
async fn lock_key(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<LockForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    crate::service::ehr::set_key_lock(&state, &s, id, form.version, form.action == "approve")
        .await?;
    Ok(crate::web::see_other(&format!(
        "/ehr/encounters/{id}?tab=key"
    )))
}

#[derive(Template)]
#[template(path = "rescore.html")]
struct RescorePage {
    chrome: Chrome,
    encounter_id: i64,
    rows: Vec<review::RescoreRow>,
    applied: bool,
}

async fn rescore_preview(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let rows = review::rescore_preview(&state, &s, id).await?;
    Ok(html(
        StatusCode::OK,
        &RescorePage {
            chrome: Chrome::for_session(&s, "/ehr", None),
            encounter_id: id,
            rows,
            applied: false,
        },
    ))
}

async fn rescore_apply(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<super::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let rows = review::rescore_apply(&state, &s, id).await?;
    Ok(html(
        StatusCode::OK,
        &RescorePage {
            chrome: Chrome::for_session(&s, "/ehr", None),
            encounter_id: id,
            rows,
            applied: true,
        },
    ))
}
