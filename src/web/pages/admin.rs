//! Program administration pages: programs, cohorts, enrolments, accounts.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::NoticeQuery;
use super::home::CohortPage;
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::accounts::{CohortRole, Role};
use crate::service::AppState;
use crate::service::directory::{
    self, CohortInput, CohortPatch, EnrolInput, ProgramInput, ProgramPatch, UserInput, UserPatch,
    UserQuery,
};
use crate::service::views::{CohortView, ProgramView, UserView};
use crate::web::{Chrome, FormState, PageError, PageSession, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/admin/programs", programs_page)
        .post("/admin/programs", create_program)
        .get("/admin/programs/{program_id}", program_page)
        .post("/admin/programs/{program_id}", update_program)
        .post("/admin/programs/{program_id}/cohorts", create_cohort)
        .get("/admin/cohorts/{cohort_id}", cohort_page)
        .post("/admin/cohorts/{cohort_id}/roster", import_roster)
        .post("/admin/cohorts/{cohort_id}", update_cohort)
        .post("/admin/cohorts/{cohort_id}/enrolments", enrol)
        .post(
            "/admin/cohorts/{cohort_id}/enrolments/{user_id}/remove",
            unenrol,
        )
        .get("/admin/users", users_page)
        .post("/admin/users", create_user)
        .get("/admin/users/{user_id}", user_page)
        .post("/admin/users/{user_id}", update_user);
}

fn require_admin(s: &PageSession) -> Result<(), PageError> {
    if s.user.role == Role::ProgramAdmin {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

fn whole_number(field: &'static str, raw: &str) -> AppResult<i64> {
    raw.trim()
        .parse()
        .map_err(|_| Invalid::new(field, "must be a whole number").into())
}

fn date(field: &'static str, raw: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, "must be a date (YYYY-MM-DD)").into())
}

fn status_of(e: &AppError) -> StatusCode {
    e.status_code()
}

// ---- programs -------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ProgramForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ppe_hours_required: String,
    #[serde(default)]
    pass_threshold_pct: String,
}

impl ProgramForm {
    fn to_input(&self) -> AppResult<ProgramInput> {
        Ok(ProgramInput {
            name: self.name.clone(),
            ppe_hours_required: whole_number("ppe_hours_required", &self.ppe_hours_required)?,
            pass_threshold_pct: whole_number("pass_threshold_pct", &self.pass_threshold_pct)?,
        })
    }
}

#[derive(Template)]
#[template(path = "admin_programs.html")]
struct ProgramsPage {
    chrome: Chrome,
    programs: Vec<ProgramView>,
    draft: ProgramForm,
    form: FormState,
}

async fn render_programs(
    state: &AppState,
    s: &PageSession,
    notice: Option<&str>,
    draft: ProgramForm,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let programs = directory::list_programs(state, s).await?;
    let chrome = Chrome::for_session(s, "/admin/programs", notice);
    Ok(html(
        status,
        &ProgramsPage {
            chrome,
            programs,
            draft,
            form,
        },
    ))
}

async fn programs_page(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let draft = ProgramForm {
        ppe_hours_required: "40".into(),
        pass_threshold_pct: "80".into(),
        ..Default::default()
    };
    render_programs(
        &state,
        &s,
        q.notice.as_deref(),
        draft,
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

async fn create_program(
    state: web::Data<AppState>,
    s: PageSession,
    form: web::Form<ProgramForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let result = match form.to_input() {
        Ok(input) => directory::create_program(&state, &s, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(see_other(&format!(
            "/admin/programs/{}?notice=created",
            p.id
        ))),
        Err(e) => {
            render_programs(
                &state,
                &s,
                None,
                form,
                FormState::failed("create", &e),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct CohortForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    term_start: String,
    #[serde(default)]
    term_end: String,
}

#[derive(Template)]
#[template(path = "admin_program.html")]
struct ProgramPage {
    chrome: Chrome,
    program: ProgramView,
    cohorts: Vec<CohortView>,
    cohort_draft: CohortForm,
    form: FormState,
}

async fn render_program(
    state: &AppState,
    s: &PageSession,
    id: i64,
    notice: Option<&str>,
    cohort_draft: CohortForm,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let program = directory::get_program(state, s, id).await?;
    if !s.scope.administers(id) {
        return Err(AppError::Forbidden.into());
    }
    let cohorts = directory::list_cohorts(state, s, id).await?;
    let chrome = Chrome::for_session(s, "/admin/programs", notice);
    Ok(html(
        status,
        &ProgramPage {
            chrome,
            program,
            cohorts,
            cohort_draft,
            form,
        },
    ))
}

async fn program_page(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    render_program(
        &state,
        &s,
        *path,
        q.notice.as_deref(),
        CohortForm::default(),
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

async fn update_program(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<ProgramForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let id = *path;
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let result = match form.to_input() {
        Ok(i) => {
            let patch = ProgramPatch {
                name: Some(i.name),
                ppe_hours_required: Some(i.ppe_hours_required),
                pass_threshold_pct: Some(i.pass_threshold_pct),
            };
            directory::update_program(&state, &s, id, patch).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/programs/{id}?notice=saved"))),
        Err(e) => {
            render_program(
                &state,
                &s,
                id,
                None,
                CohortForm::default(),
                FormState::failed("edit", &e),
                status_of(&e),
            )
            .await
        }
    }
}

async fn create_cohort(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<CohortForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let id = *path;
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let input = date("term_start", &form.term_start)
        .and_then(|start| Ok((start, date("term_end", &form.term_end)?)))
        .map(|(term_start, term_end)| CohortInput {
            name: form.name.clone(),
            term_start,
            term_end,
        });
    let result = match input {
        Ok(input) => directory::create_cohort(&state, &s, id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(see_other(&format!(
            "/admin/cohorts/{}?notice=created",
            c.id
        ))),
        Err(e) => {
            render_program(
                &state,
                &s,
                id,
                None,
                form,
                FormState::failed("cohort", &e),
                status_of(&e),
            )
            .await
        }
    }
}

// ---- cohorts --------------------------------------------------------------

async fn render_cohort(
    state: &AppState,
    s: &PageSession,
    id: i64,
    notice: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let cohort = directory::get_cohort(state, s, id).await?;
    if !s.scope.administers(cohort.program_id) {
        return Err(AppError::Forbidden.into());
    }
    let roster = directory::roster(state, s, id).await?;
    let program = directory::get_program(state, s, cohort.program_id).await?;
    let everyone = directory::list_users(
        state,
        s,
        UserQuery {
            limit: Some(500),
            ..Default::default()
        },
    )
    .await?;
    let candidates = everyone
        .into_iter()
        .filter(|u| u.program_id == cohort.program_id && u.active && u.role != Role::ProgramAdmin)
        .filter(|u| !roster.iter().any(|e| e.user.id == u.id))
        .collect();
    let chrome = Chrome::for_session(s, "/admin/programs", notice);
    let page = CohortPage {
        chrome,
        cohort,
        program_name: program.name,
        roster,
        manage: true,
        candidates,
        form,
    };
    Ok(html(status, &page))
}

async fn cohort_page(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    render_cohort(
        &state,
        &s,
        *path,
        q.notice.as_deref(),
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

async fn update_cohort(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<CohortForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let id = *path;
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let patch = date("term_start", &form.term_start)
        .and_then(|start| Ok((start, date("term_end", &form.term_end)?)))
        .map(|(start, end)| CohortPatch {
            name: Some(form.name.clone()),
            term_start: Some(start),
            term_end: Some(end),
        });
    let result = match patch {
        Ok(p) => directory::update_cohort(&state, &s, id, p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/cohorts/{id}?notice=saved"))),
        Err(e) => {
            render_cohort(
                &state,
                &s,
                id,
                None,
                FormState::failed("edit", &e),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct EnrolForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    user_id: String,
}

async fn enrol(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<EnrolForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let id = *path;
    s.check_csrf(&state, &form.csrf_token)?;
    let result = async {
        let user_id = whole_number("user_id", &form.user_id)?;
        let user = directory::get_user(&state, &s, user_id)
            .await
            .map_err(|_| AppError::from(Invalid::new("user_id", "no such account")))?;
        let role = match user.role {
            Role::Student => CohortRole::Student,
            Role::Supervisor => CohortRole::Supervisor,
            Role::ProgramAdmin => {
                return Err(Invalid::new(
                    "user_id",
                    "program administrators are not enrolled in cohorts",
                )
                .into());
            }
        };
        directory::enrol(&state, &s, id, EnrolInput { user_id, role }).await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/admin/cohorts/{id}?notice=enrolled"))),
        Err(e) => {
            render_cohort(
                &state,
                &s,
                id,
                None,
                FormState::failed("enrol", &e),
                status_of(&e),
            )
            .await
        }
    }
}

use super::CsrfForm;

async fn unenrol(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let (cohort_id, user_id) = path.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    directory::unenrol(&state, &s, cohort_id, user_id).await?;
    Ok(see_other(&format!(
        "/admin/cohorts/{cohort_id}?notice=removed"
    )))
}

// ---- accounts -------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    program_id: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    password: String,
    active: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    programs: Vec<ProgramView>,
    role_filter: String,
    draft: UserForm,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
struct UsersQuery {
    role: Option<String>,
    notice: Option<String>,
}

async fn render_users(
    state: &AppState,
    s: &PageSession,
    role_filter: String,
    notice: Option<&str>,
    draft: UserForm,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let role = match role_filter.as_str() {
        "" => None,
        other => Some(other.parse::<Role>().map_err(AppError::from)?),
    };
    let users = directory::list_users(
        state,
        s,
        UserQuery {
            role,
            limit: Some(500),
            ..Default::default()
        },
    )
    .await?;
    let programs = directory::list_programs(state, s).await?;
    let chrome = Chrome::for_session(s, "/admin/users", notice);
    Ok(html(
        status,
        &UsersPage {
            chrome,
            users,
            programs,
            role_filter,
            draft,
            form,
        },
    ))
}

async fn users_page(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<UsersQuery>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let q = q.into_inner();
    let draft = UserForm {
        role: "student".into(),
        program_id: s.scope.program_id.to_string(),
        ..Default::default()
    };
    render_users(
        &state,
        &s,
        q.role.unwrap_or_default(),
        q.notice.as_deref(),
        draft,
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

async fn create_user(
    state: web::Data<AppState>,
    s: PageSession,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let mut form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let result = async {
        let input = UserInput {
            email: form.email.clone(),
            display_name: form.display_name.clone(),
            role: form.role.parse()?,
            password: form.password.clone(),
            program_id: whole_number("program_id", &form.program_id)?,
            credential: Some(form.credential.clone()),
        };
        directory::create_user(&state, &s, input).await
    }
    .await;
    form.password.clear();
    match result {
        Ok(u) => Ok(see_other(&format!("/admin/users/{}?notice=created", u.id))),
        Err(e) => {
            render_users(
                &state,
                &s,
                String::new(),
                None,
                form,
                FormState::failed("create", &e),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserView,
    form: FormState,
}

async fn render_user(
    state: &AppState,
    s: &PageSession,
    id: i64,
    notice: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let user = directory::get_user(state, s, id).await?;
    if !s.scope.administers(user.program_id) {
        return Err(AppError::Forbidden.into());
    }
    let chrome = Chrome::for_session(s, "/admin/users", notice);
    Ok(html(status, &UserPage { chrome, user, form }))
}

async fn user_page(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    render_user(
        &state,
        &s,
        *path,
        q.notice.as_deref(),
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

async fn update_user(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, PageError> {
    require_admin(&s)?;
    let id = *path;
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let patch = UserPatch {
        display_name: Some(form.display_name.clone()),
        credential: Some(form.credential.clone()),
        active: Some(form.active.is_some()),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
    };
    match directory::update_user(&state, &s, id, patch).await {
        Ok(_) => Ok(see_other(&format!("/admin/users/{id}?notice=saved"))),
        Err(e) => {
            render_user(
                &state,
                &s,
                id,
                None,
                FormState::failed("edit", &e),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RosterForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
    #[serde(default)]
    skip_invalid: String,
}

#[derive(Template)]
#[template(path = "roster_result.html")]
struct RosterResultPage {
    chrome: Chrome,
    cohort_id: i64,
    report: crate::service::roster::RosterReport,
}

/// Imports a pasted roster and shows what happened, row by row.
async fn import_roster(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<RosterForm>,
) -> Result<HttpResponse, PageError> {
    let cohort_id = path.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let report = match crate::service::roster::import(
        &state,
        &s,
        cohort_id,
        form.csv.clone().into_bytes(),
        form.skip_invalid == "yes",
    )
    .await
    {
        Ok(r) => r,
        Err(AppError::Invalid(inv)) => crate::service::roster::RosterReport {
            imported: false,
            created: Vec::new(),
            enrolled: Vec::new(),
            already_enrolled: Vec::new(),
            errors: vec![crate::service::roster::RowProblem {
                line: 1,
                field: inv.field.into(),
                message: inv.message,
            }],
        },
        Err(e) => return Err(e.into()),
    };
    let status = if report.imported {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(html(
        status,
        &RosterResultPage {
            chrome: Chrome::for_session(&s, "/admin/programs", None),
            cohort_id,
            report,
        },
    ))
}
