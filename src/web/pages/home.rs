//! Dashboards per role, the account page, and the supervisor's cohort view.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::NoticeQuery;
use crate::practicum::accounts::{CohortRole, Role};
use crate::service::directory::{self, PasswordChange};
use crate::service::views::{CohortView, EnrolmentView, MeView, ProgramView, UserView};
use crate::service::{AppState, sessions};
use crate::web::{Chrome, FormState, PageError, PageSession, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/dashboard", dashboard)
        .get("/account", account)
        .post("/account/password", change_password)
        .get("/cohorts/{cohort_id}", cohort);
}

#[derive(Template)]
#[template(path = "dashboard_student.html")]
struct StudentDashboard {
    chrome: Chrome,
    me: MeView,
}

/// A supervised cohort and its students.
struct SupervisedCohort {
    cohort: CohortView,
    students: Vec<UserView>,
}

#[derive(Template)]
#[template(path = "dashboard_supervisor.html")]
struct SupervisorDashboard {
    chrome: Chrome,
    me: MeView,
    cohorts: Vec<SupervisedCohort>,
}

/// An administered program and its cohorts.
struct AdministeredProgram {
    program: ProgramView,
    cohorts: Vec<CohortView>,
}

#[derive(Template)]
#[template(path = "dashboard_admin.html")]
struct AdminDashboard {
    chrome: Chrome,
    programs: Vec<AdministeredProgram>,
}

async fn dashboard(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::for_session(&s, "/dashboard", q.notice.as_deref());
    let me = sessions::me(&state, &s).await?;
    Ok(match s.user.role {
        Role::Student => html(StatusCode::OK, &StudentDashboard { chrome, me }),
        Role::Supervisor => {
            let mut cohorts = Vec::new();
            for m in me
                .cohorts
                .iter()
                .filter(|m| m.role == CohortRole::Supervisor)
            {
                let roster = directory::roster(&state, &s, m.cohort.id).await?;
                let students = roster
                    .into_iter()
                    .filter(|e| e.role == CohortRole::Student)
                    .map(|e| e.user)
                    .collect();
                cohorts.push(SupervisedCohort {
                    cohort: m.cohort.clone(),
                    students,
                });
            }
            html(
                StatusCode::OK,
                &SupervisorDashboard {
                    chrome,
                    me,
                    cohorts,
                },
            )
        }
        Role::ProgramAdmin => {
            let mut programs = Vec::new();
            for program in me.administers {
                let cohorts = directory::list_cohorts(&state, &s, program.id).await?;
                programs.push(AdministeredProgram { program, cohorts });
            }
            html(StatusCode::OK, &AdminDashboard { chrome, programs })
        }
    })
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    me: MeView,
    form: FormState,
}

async fn account(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let me = sessions::me(&state, &s).await?;
    let chrome = Chrome::for_session(&s, "/account", q.notice.as_deref());
    Ok(html(
        StatusCode::OK,
        &AccountPage {
            chrome,
            me,
            form: FormState::clean(),
        },
    ))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    current_password: String,
    new_password: String,
}

async fn change_password(
    state: web::Data<AppState>,
    s: PageSession,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let change = PasswordChange {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match directory::change_own_password(&state, &s, change).await {
        Ok(()) => Ok(see_other("/account?notice=password")),
        Err(e) => {
            let me = sessions::me(&state, &s).await?;
            let chrome = Chrome::for_session(&s, "/account", None);
            let status = actix_web::ResponseError::status_code(&e);
            Ok(html(
                status,
                &AccountPage {
                    chrome,
                    me,
                    form: FormState::failed("password", &e),
                },
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "cohort.html")]
pub(super) struct CohortPage {
    pub chrome: Chrome,
    pub cohort: CohortView,
    pub program_name: String,
    pub roster: Vec<EnrolmentView>,
    pub manage: bool,
    pub candidates: Vec<UserView>,
    pub form: FormState,
}

/// A cohort's roster, read-only (supervisors; administrators are sent to the
/// management page).
async fn cohort(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let cohort = directory::get_cohort(&state, &s, id).await?;
    if s.scope.administers(cohort.program_id) {
        return Ok(see_other(&format!("/admin/cohorts/{id}")));
    }
    let roster = directory::roster(&state, &s, id).await?;
    let program = directory::get_program(&state, &s, cohort.program_id).await?;
    let chrome = Chrome::for_session(&s, "/cohorts", None);
    let page = CohortPage {
        chrome,
        cohort,
        program_name: program.name,
        roster,
        manage: false,
        candidates: Vec::new(),
        form: FormState::clean(),
    };
    Ok(html(StatusCode::OK, &page))
}
