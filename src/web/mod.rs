//! Server-rendered pages: compile-time-checked, auto-escaping askama
//! templates, a session cookie, and CSRF tokens on every form.

mod pages;
mod session;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::practicum::accounts::Role;
use crate::routes::Router;
use crate::service::views::UserView;

pub use session::PageSession;

/// Registers the page routes and static assets.
pub fn routes(r: &mut Router) {
    r.get("/static/app.css", stylesheet)
        .get("/static/encoder.js", encoder_script)
        .get("/static/coding.js", coding_script);
    pages::routes(r);
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/app.css"))
}

async fn encoder_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/encoder.js"))
}

async fn coding_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/coding.js"))
}

/// The frame every page shares: the user, navigation, CSRF token, notice.
pub struct Chrome {
    /// The signed-in user (None on the login page).
    pub user: Option<UserView>,
    /// Navigation links.
    pub nav: Vec<NavLink>,
    /// The session's CSRF token for forms.
    pub csrf: String,
    /// A one-line confirmation after a successful form.
    pub notice: Option<&'static str>,
}

/// One navigation entry.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Chrome {
    /// The chrome for a signed-in page at `path`.
    pub fn for_session(s: &session::PageSession, path: &str, notice: Option<&str>) -> Self {
        let links: &[(&'static str, &'static str)] = match s.user.role {
            Role::ProgramAdmin => &[
                ("/dashboard", "Dashboard"),
                ("/ehr", "Patients"),
                ("/admin/programs", "Programs"),
                ("/admin/users", "Accounts"),
                ("/encoder", "Encoder"),
                ("/account", "My account"),
            ],
            Role::Supervisor => &[
                ("/dashboard", "Dashboard"),
                ("/ehr", "Patients"),
                ("/encoder", "Encoder"),
                ("/account", "My account"),
            ],
            Role::Student => &[
                ("/dashboard", "Dashboard"),
                ("/worklist", "Worklist"),
                ("/ehr", "Patients"),
                ("/encoder", "Encoder"),
                ("/account", "My account"),
            ],
        };
        Chrome {
            user: Some(s.user.clone()),
            nav: links
                .iter()
                .map(|&(href, label)| NavLink {
                    href,
                    label,
                    current: path == href || (href != "/dashboard" && path.starts_with(href)),
                })
                .collect(),
            csrf: s.csrf.clone(),
            notice: notice.and_then(notice_text),
        }
    }

    /// The chrome for a page shown before sign-in.
    pub fn anonymous() -> Self {
        Chrome {
            user: None,
            nav: Vec::new(),
            csrf: String::new(),
            notice: None,
        }
    }
}

/// Fixed confirmation texts, chosen by code so no text is reflected from the URL.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Created.",
        "exam_started" => "Your exam clock has started.",
        "reviewed" => "Review saved.",
        "hours_logged" => "Hours logged.",
        "signed_off" => "Period signed off.",
        "saved" => "Changes saved.",
        "enrolled" => "Enrolled.",
        "removed" => "Enrolment removed.",
        "password" => "Your password was changed.",
        "signed_out" => "You are signed out.",
        "generated" => "Encounters generated.",
        "saved_draft" => "Draft saved.",
        _ => return None,
    })
}

/// A form's error, shown beside the form it belongs to.
#[derive(Default)]
pub struct FormState {
    /// Which form on the page failed.
    pub form: &'static str,
    /// What went wrong.
    pub message: Option<String>,
}

impl FormState {
    /// No error.
    pub fn clean() -> Self {
        Self::default()
    }

    /// An error on `form`, worded for people.
    pub fn failed(form: &'static str, err: &AppError) -> Self {
        let message = match (err, err.field()) {
            (AppError::Invalid(inv), _) => format!("{}: {}", field_label(inv.field), inv.message),
            (_, Some(field)) => format!("{}: {}", field_label(field), err),
            _ => err.to_string(),
        };
        Self {
            form,
            message: Some(message),
        }
    }

    /// The message for `form`, if it failed.
    pub fn error_for(&self, form: &str) -> Option<&str> {
        (self.form == form)
            .then_some(self.message.as_deref())
            .flatten()
    }
}

fn field_label(field: &str) -> String {
    let mut label = field.replace('_', " ");
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    label.replace("Ppe", "PPE").replace(" pct", " (%)")
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to the login page, then come back.
    SignIn { next: String },
    /// Anything else, shown as an error page with its status.
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        PageError::App(err)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => f.write_str("sign in required"),
            PageError::App(e) => e.fmt(f),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next } => {
                let target = format!("/login?next={}", urlencode(next));
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish()
            }
            PageError::App(e) => {
                if let AppError::Internal(inner) = e {
                    tracing::error!(error = ?inner, "page failed");
                }
                let heading = match e.status_code() {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
                    s if s.is_client_error() => "That did not work",
                    _ => "Something went wrong",
                };
                let page = ErrorPage {
                    chrome: Chrome::anonymous(),
                    heading,
                    message: e.to_string(),
                };
                html(e.status_code(), &page)
            }
        }
    }
}

/// Renders a template with a status.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("internal error")
        }
    }
}

/// A 303 redirect after a successful form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Unknown routes: the JSON error under `/api`, an error page elsewhere.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") || req.path() == "/api" {
        AppError::NotFound("route").error_response()
    } else {
        PageError::App(AppError::NotFound("page")).error_response()
    }
}
