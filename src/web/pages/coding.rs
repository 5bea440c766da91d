//! The coding workspace: the chart's notes beside a CMS-1500-style claim form
//! (items 21 and 24), with edits on demand, drafts, submission, and the
//! result page. Works without JavaScript.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::claims::edits::Finding;
use crate::claims::{Claim, ClaimLine, ClaimPatient, letter};
use crate::error::AppError;
use crate::service::AppState;
use crate::service::claims::{self, SubmissionView, SubmitOutcome};
use crate::service::ehr::{self, EncounterDetail};
use crate::web::{Chrome, PageError, PageSession, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/ehr/encounters/{encounter_id}/code", workspace)
        .post("/ehr/encounters/{encounter_id}/code", act)
        .get("/ehr/claims/{claim_id}", result)
        .post("/ehr/claims/{claim_id}/review", review);
}

/// Service lines shown on the form (the paper CMS-1500 has six).
const LINES: usize = 6;

/// The form's text: diagnoses A–L and the service lines.
type FormText = (Vec<(char, String)>, Vec<LineForm>);

/// One line of the form, as text.
#[derive(Debug, Clone, Default)]
pub struct LineForm {
    pub code: String,
    pub modifiers: String,
    pub units: String,
    pub pointers: String,
}

#[derive(Template)]
#[template(path = "coding.html")]
struct WorkspacePage {
    chrome: Chrome,
    detail: EncounterDetail,
    patient: ehr::PatientView,
    age: u32,
    dx: Vec<(char, String)>,
    lines: Vec<LineForm>,
    findings: Option<Vec<Finding>>,
    error: Option<String>,
    idempotency: String,
    submissions: Vec<SubmissionView>,
}

fn blank() -> FormText {
    (
        (0..12).map(|i| (letter(i), String::new())).collect(),
        vec![LineForm::default(); LINES],
    )
}

/// The form's text from a (possibly partial) claim JSON.
fn form_of(value: &serde_json::Value) -> FormText {
    let (mut dx, mut lines) = blank();
    if let Some(list) = value["diagnoses"].as_array() {
        for (i, d) in list.iter().take(12).enumerate() {
            dx[i].1 = d.as_str().unwrap_or_default().to_owned();
        }
    }
    if let Some(list) = value["lines"].as_array() {
        for (i, l) in list.iter().take(LINES).enumerate() {
            let join = |v: &serde_json::Value, sep: &str| {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(sep)
                    })
                    .unwrap_or_default()
            };
            lines[i] = LineForm {
                code: l["code"].as_str().unwrap_or_default().to_owned(),
                modifiers: join(&l["modifiers"], " "),
                units: l["units"]
                    .as_u64()
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
                pointers: join(&l["pointers"], ""),
            };
        }
    }
    (dx, lines)
}

/// Reads the posted form into text fields and, when complete enough, a claim.
fn read_form(pairs: &[(String, String)]) -> FormText {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let dx = (0..12)
        .map(|i| (letter(i), get(&format!("dx_{}", letter(i)))))
        .collect();
    let lines = (0..LINES)
        .map(|i| LineForm {
            code: get(&format!("code_{i}")),
            modifiers: get(&format!("mods_{i}")),
            units: get(&format!("units_{i}")),
            pointers: get(&format!("ptrs_{i}")),
        })
        .collect();
    (dx, lines)
}

fn claim_of(
    detail: &EncounterDetail,
    dx: &[(char, String)],
    lines: &[LineForm],
) -> Result<Claim, AppError> {
    // Diagnoses fill A, B, C … in order; gaps are not allowed on the form.
    let filled: Vec<&(char, String)> = dx.iter().filter(|(_, c)| !c.is_empty()).collect();
    if let Some(gap) = dx.iter().position(|(_, c)| c.is_empty())
        && dx[gap..].iter().any(|(_, c)| !c.is_empty())
    {
        return Err(AppError::Invalid(crate::practicum::Invalid::new(
            "diagnoses",
            format!(
                "fill the diagnoses in order from A; {} is empty",
                letter(gap)
            ),
        )));
    }
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.code.is_empty() {
            continue;
        }
        let units = if l.units.is_empty() {
            1
        } else {
            l.units.parse::<u32>().map_err(|_| {
                AppError::Invalid(crate::practicum::Invalid::new(
                    "lines",
                    format!("line {}: units must be a whole number", i + 1),
                ))
            })?
        };
        out.push(ClaimLine {
            code: l.code.clone(),
            modifiers: l
                .modifiers
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            units,
            pointers: l
                .pointers
                .chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| c.to_string())
                .collect(),
            pos: Some(detail.view.encounter.place_of_service.clone()),
            date_of_service: None,
            charge: None,
        });
    }
    Ok(Claim {
        date_of_service: detail.view.encounter.date_of_service,
        patient: ClaimPatient {
            sex: detail.view.patient.sex.clone(),
            birth_date: detail.view.patient.birth_date,
        },
        diagnoses: filled.iter().map(|(_, c)| c.clone()).collect(),
        lines: out,
    })
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    s: &PageSession,
    id: i64,
    form: Option<FormText>,
    findings: Option<Vec<Finding>>,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let detail = ehr::encounter_detail(state, s, id).await?;
    let (dx, lines) = match form {
        Some(f) => f,
        None => match claims::get_draft(state, s, id).await {
            Ok(d) => form_of(&d.claim),
            Err(AppError::NotFound(_)) => blank(),
            Err(e) => return Err(e.into()),
        },
    };
    let submissions = claims::list(state, s, id).await?;
    let page = WorkspacePage {
        chrome: Chrome::for_session(s, "/worklist", notice),
        patient: detail.view.patient.clone(),
        age: detail.view.age,
        detail,
        dx,
        lines,
        findings,
        error,
        idempotency: crate::auth::random_hex(16),
        submissions,
    };
    Ok(html(status, &page))
}

/// The workspace is where students code; staff read charts and keys elsewhere.
fn students_only(s: &PageSession) -> Result<(), PageError> {
    if s.scope.role != crate::practicum::accounts::Role::Student {
        return Err(AppError::Forbidden.into());
    }
    Ok(())
}

async fn workspace(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    students_only(&s)?;
    let id = path.into_inner();
    // Opening the workspace starts the clock on time on task.
    crate::service::ehr::encounter_detail(&state, &s, id).await?;
    crate::service::hours::open_for_coding(&state, &s, id).await?;
    render(&state, &s, id, None, None, None, None, StatusCode::OK).await
}

async fn act(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    s.check_csrf(&state, &field("csrf_token"))?;
    students_only(&s)?;
    let (dx, lines) = read_form(&pairs);
    let detail = ehr::encounter_detail(&state, &s, id).await?;
    let action = field("action");
    let claim = claim_of(&detail, &dx, &lines);
    let bad = |e: AppError| match e {
        AppError::Invalid(inv) => Ok(format!("{}: {}", inv.field, inv.message)),
        AppError::BadRequest { message, .. } => Ok(message),
        AppError::Conflict { message, .. } => Ok(message),
        other => Err(PageError::from(other)),
    };
    let form = Some((dx.clone(), lines.clone()));
    match (action.as_str(), claim) {
        (_, Err(e)) => {
            let msg = bad(e)?;
            render(
                &state,
                &s,
                id,
                form,
                None,
                Some(msg),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        ("save", Ok(c)) => {
            let value = serde_json::to_value(&c).unwrap_or_default();
            claims::save_draft(&state, &s, id, value).await?;
            render(
                &state,
                &s,
                id,
                form,
                None,
                None,
                Some("saved_draft"),
                StatusCode::OK,
            )
            .await
        }
        ("submit", Ok(c)) => {
            match claims::submit(&state, &s, id, Some(&field("idempotency_key")), c).await {
                Ok(SubmitOutcome::Created(v) | SubmitOutcome::Replayed(v)) => {
                    Ok(see_other(&format!("/ehr/claims/{}", v.id)))
                }
                Err(e) => {
                    let msg = bad(e)?;
                    render(
                        &state,
                        &s,
                        id,
                        form,
                        None,
                        Some(msg),
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
                }
            }
        }
        (_, Ok(c)) => match claims::check(&state, &s, c).await {
            Ok(report) => {
                render(
                    &state,
                    &s,
                    id,
                    form,
                    Some(report.findings),
                    None,
                    None,
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => {
                let msg = bad(e)?;
                render(
                    &state,
                    &s,
                    id,
                    form,
                    None,
                    Some(msg),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    }
}

#[derive(Template)]
#[template(path = "claim_result.html")]
struct ResultPage {
    chrome: Chrome,
    sub: SubmissionView,
    patient: ehr::PatientView,
    encounter_id: i64,
    /// The caller supervises this claim (review form, history).
    staff: bool,
    error: Option<String>,
}

impl ResultPage {
    fn dx_list(&self, v: &serde_json::Value) -> Vec<String> {
        v["diagnoses"]
            .as_array()
            .map(|a| {
                a.iter()
                    .enumerate()
                    .map(|(i, d)| format!("{}. {}", letter(i), d.as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn line_list(&self, v: &serde_json::Value) -> Vec<String> {
        v["lines"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        let join = |x: &serde_json::Value, sep: &str| {
                            x.as_array()
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|m| m.as_str())
                                        .collect::<Vec<_>>()
                                        .join(sep)
                                })
                                .unwrap_or_default()
                        };
                        let mods = join(&l["modifiers"], "-");
                        format!(
                            "{}{} × {} → {}",
                            l["code"].as_str().unwrap_or_default(),
                            if mods.is_empty() {
                                String::new()
                            } else {
                                format!("-{mods}")
                            },
                            l["units"],
                            join(&l["pointers"], "")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn elements(&self) -> Vec<serde_json::Value> {
        self.sub
            .score
            .as_ref()
            .and_then(|s| s.report["elements"].as_array().cloned())
            .unwrap_or_default()
    }

    fn text(&self, v: &serde_json::Value, key: &str) -> String {
        match &v[key] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    fn points(&self, v: &serde_json::Value) -> String {
        format!(
            "{:.1} / {:.1}",
            v["earned"].as_f64().unwrap_or_default(),
            v["possible"].as_f64().unwrap_or_default()
        )
    }
}

async fn result(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    render_result(
        &state,
        &s,
        path.into_inner(),
        q.notice.as_deref(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_result(
    state: &AppState,
    s: &PageSession,
    id: i64,
    notice: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (_, staff) = claims::submission_access(state, s, id).await?;
    let sub = claims::get(state, s, id).await?;
    let detail = ehr::encounter_detail(state, s, sub.encounter_id).await?;
    let page = ResultPage {
        chrome: Chrome::for_session(
            s,
            if s.scope.role == crate::practicum::accounts::Role::Student {
                "/worklist"
            } else {
                "/ehr"
            },
            notice,
        ),
        patient: detail.view.patient.clone(),
        encounter_id: sub.encounter_id,
        sub,
        staff,
        error,
    };
    Ok(html(status, &page))
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    override_total: String,
}

/// A supervisor's review from the result page.
async fn review(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let total = form.override_total.trim();
    let parsed = if total.is_empty() {
        Ok(None)
    } else {
        total.parse::<f64>().map(Some).map_err(|_| {
            AppError::Invalid(crate::practicum::Invalid::new(
                "override_total",
                "enter a number from 0 to 100",
            ))
        })
    };
    let result = match parsed {
        Ok(override_total) => {
            crate::service::review::review(
                &state,
                &s,
                id,
                crate::service::review::ReviewInput {
                    outcome: form.outcome.clone(),
                    comment: form.comment.clone(),
                    override_total,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/ehr/claims/{id}?notice=reviewed"))),
        Err(AppError::Invalid(inv)) => {
            render_result(
                &state,
                &s,
                id,
                None,
                Some(format!("{}: {}", inv.field, inv.message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
