//! Assignment pages: a student's worklist (with the exam clock), and a
//! cohort's assignments with the form supervisors build them with.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::error::AppError;
use crate::practicum::access::CohortRef;
use crate::practicum::accounts::Role;
use crate::scenarios::library::DIFFICULTIES;
use crate::service::AppState;
use crate::service::assignments::{self, AssignmentInput, AssignmentView};
use crate::service::directory;
use crate::service::views::CohortView;
use crate::web::{Chrome, FormState, PageError, PageSession, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/worklist", worklist)
        .post("/assignments/{assignment_id}/start", start)
        .get("/cohorts/{cohort_id}/assignments", cohort_assignments)
        .post("/cohorts/{cohort_id}/assignments", create);
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistPage {
    chrome: Chrome,
    assignments: Vec<AssignmentView>,
}

async fn worklist(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    if s.scope.role != Role::Student {
        return Ok(see_other("/dashboard"));
    }
    let list = assignments::worklist(&state, &s).await?;
    Ok(html(
        StatusCode::OK,
        &WorklistPage {
            chrome: Chrome::for_session(&s, "/worklist", q.notice.as_deref()),
            assignments: list,
        },
    ))
}

async fn start(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<super::CsrfForm>,
) -> Result<HttpResponse, PageError> {
    s.check_csrf(&state, &form.csrf_token)?;
    assignments::start(&state, &s, path.into_inner()).await?;
    Ok(see_other("/worklist?notice=exam_started"))
}

#[derive(Template)]
#[template(path = "cohort_assignments.html")]
struct CohortAssignmentsPage {
    chrome: Chrome,
    cohort: CohortView,
    assignments: Vec<AssignmentView>,
    can_create: bool,
    areas: Vec<String>,
    difficulties: Vec<&'static str>,
    form: FormState,
}

async fn render(
    state: &AppState,
    s: &PageSession,
    cohort_id: i64,
    notice: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let cohort = directory::get_cohort(state, s, cohort_id).await?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    let list = assignments::list(state, s, cohort_id).await?;
    Ok(html(
        status,
        &CohortAssignmentsPage {
            chrome: Chrome::for_session(s, "/dashboard", notice),
            cohort,
            assignments: list,
            can_create: s.scope.can_supervise_charts(cref),
            areas: state
                .library
                .areas()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            difficulties: DIFFICULTIES.to_vec(),
            form,
        },
    ))
}

async fn cohort_assignments(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    if s.scope.role == Role::Student {
        return Ok(see_other("/worklist"));
    }
    render(
        &state,
        &s,
        path.into_inner(),
        q.notice.as_deref(),
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

/// The build form: checkboxes arrive as repeated fields, so it is read from
/// the raw body.
async fn create(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let cohort_id = path.into_inner();
    let form = super::FormFields::parse(&body);
    let get = |name: &str| form.first(name);
    let all = |name: &str| form.all(name);
    s.check_csrf(&state, &get("csrf_token"))?;
    let number = |name: &'static str| -> Result<Option<u32>, AppError> {
        let text = get(name);
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u32>().map(Some).map_err(|_| {
            AppError::Invalid(crate::practicum::Invalid::new(name, "enter a whole number"))
        })
    };
    let parsed = (|| -> Result<AssignmentInput, AppError> {
        Ok(AssignmentInput {
            title: get("title"),
            instructions: get("instructions"),
            mode: get("mode"),
            opens_at: get("opens_at"),
            due_at: get("due_at"),
            time_limit_minutes: number("time_limit_minutes")?,
            late_policy: Some(get("late_policy")).filter(|p| !p.is_empty()),
            resubmission: Some(get("resubmission") == "yes"),
            shared_set: get("shared_set") == "yes",
            areas: all("areas"),
            difficulties: all("difficulties"),
            scenarios: Vec::new(),
            encounters: Vec::new(),
            count: number("count")?,
            seed: None,
            pass_mark_pct: number("pass_mark_pct")?,
        })
    })();
    let result = match parsed {
        Ok(input) => assignments::create(&state, &s, cohort_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/cohorts/{cohort_id}/assignments?notice=created"
        ))),
        Err(
            e @ (AppError::Invalid(_) | AppError::BadRequest { .. } | AppError::Conflict { .. }),
        ) => {
            render(
                &state,
                &s,
                cohort_id,
                None,
                FormState::failed("assignment", &e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
