//! Report pages: the cohort report with charts and CSV links, and a
//! student's printable PPE completion record.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::practicum::reports::{Accuracy, Ratio, bars_svg, trend_svg};
use crate::service::AppState;
use crate::service::hours::{self, SiteLog};
use crate::service::views::CohortView;
use crate::service::{directory, reports};
use crate::web::{Chrome, PageError, PageSession, html};

pub(super) fn routes(r: &mut Router) {
    r.get("/cohorts/{cohort_id}/report", cohort_report)
        .get("/cohorts/{cohort_id}/students/{student_id}/record", record)
        .get(
            "/cohorts/{cohort_id}/students/{student_id}/hours",
            hours_page,
        )
        .post(
            "/cohorts/{cohort_id}/students/{student_id}/hours",
            hours_action,
        );
}

fn pct(r: Ratio) -> String {
    r.pct().map_or("—".into(), |p| format!("{p:.1}%"))
}

fn hours(minutes: i64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

/// One student's row, formatted.
struct Row {
    id: i64,
    name: String,
    email: String,
    approved: String,
    pending: String,
    /// Approved share of the requirement, 0–100, for the progress bar.
    progress: i64,
    complete: bool,
    claims: u32,
    mean: String,
    passed: u32,
    codes: String,
    lines: String,
}

fn accuracy_bars(a: &Accuracy) -> Vec<(String, Option<f64>)> {
    let t = &a.tally;
    vec![
        ("ICD-10-CM codes".into(), t.icd.pct()),
        ("CPT codes".into(), t.cpt.pct()),
        ("HCPCS codes".into(), t.hcpcs.pct()),
        ("Modifiers".into(), t.modifiers.pct()),
        ("Units".into(), t.units.pct()),
        ("Pointers".into(), t.pointers.pct()),
        ("Sequencing (first-listed)".into(), t.sequencing.pct()),
        ("Lines".into(), t.lines.pct()),
        ("Whole claims".into(), t.claims.pct()),
    ]
}

#[derive(Template)]
#[template(path = "cohort_report.html")]
struct CohortReportPage {
    chrome: Chrome,
    cohort: CohortView,
    rows: Vec<Row>,
    required_hours: String,
    complete: u32,
    claims: u32,
    mean: String,
    code_accuracy: String,
    elements_svg: String,
    areas_svg: String,
    trend_svg: String,
}

async fn cohort_report(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let cohort_id = path.into_inner();
    let cohort = directory::get_cohort(&state, &s, cohort_id).await?;
    let r = reports::cohort(&state, &s, cohort_id).await?;
    let rows = r
        .students
        .iter()
        .map(|st| Row {
            id: st.student.id,
            name: st.student.name.clone(),
            email: st.student.email.clone(),
            approved: hours(st.hours.approved_minutes),
            pending: hours(st.hours.pending_minutes),
            progress: if r.required_minutes > 0 {
                (st.hours.approved_minutes * 100 / r.required_minutes).clamp(0, 100)
            } else {
                100
            },
            complete: st.hours_complete,
            claims: st.overall.claims,
            mean: st
                .overall
                .mean_score
                .map_or("—".into(), |m| format!("{m:.1}")),
            passed: st.overall.passed,
            codes: pct(st.overall.tally.codes()),
            lines: pct(st.overall.tally.lines),
        })
        .collect();
    let areas: Vec<(String, Option<f64>)> = r
        .by_area
        .iter()
        .map(|(area, a)| (area.clone(), a.tally.codes().pct()))
        .collect();
    let page = CohortReportPage {
        chrome: Chrome::for_session(&s, "/dashboard", None),
        rows,
        required_hours: hours(r.required_minutes),
        complete: r.students_hours_complete,
        claims: r.overall.claims,
        mean: r
            .overall
            .mean_score
            .map_or("—".into(), |m| format!("{m:.1}")),
        code_accuracy: pct(r.overall.tally.codes()),
        elements_svg: bars_svg(
            "Accuracy by code set and element",
            &accuracy_bars(&r.overall),
        ),
        areas_svg: bars_svg("Code accuracy by area", &areas),
        trend_svg: trend_svg("Mean claim score by week", &r.trend),
        cohort,
    };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "ppe_record.html")]
struct RecordPage {
    chrome: Chrome,
    cohort: CohortView,
    program_name: String,
    log: SiteLog,
    approved: String,
    required: String,
    complete: bool,
    claims: u32,
    mean: String,
    codes: String,
    elements_svg: String,
    generated: String,
}

async fn record(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, PageError> {
    let (cohort_id, student_id) = path.into_inner();
    let cohort = directory::get_cohort(&state, &s, cohort_id).await?;
    let log = hours::site_log(&state, &s, cohort_id, student_id).await?;
    let report = reports::student(&state, &s, cohort_id, student_id).await?;
    let program = directory::get_program(&state, &s, cohort.program_id).await?;
    let page = RecordPage {
        chrome: Chrome::for_session(&s, "/dashboard", None),
        program_name: program.name.clone(),
        approved: hours(log.approved_minutes),
        required: hours(log.required_minutes),
        complete: report.hours_complete,
        claims: report.overall.claims,
        mean: report
            .overall
            .mean_score
            .map_or("—".into(), |m| format!("{m:.1}")),
        codes: pct(report.overall.tally.codes()),
        elements_svg: bars_svg(
            "Accuracy by code set and element",
            &accuracy_bars(&report.overall),
        ),
        generated: crate::store::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        log,
        cohort,
    };
    Ok(html(StatusCode::OK, &page))
}

// ---- the site log page ------------------------------------------------------

#[derive(Template)]
#[template(path = "hours.html")]
struct HoursPage {
    chrome: Chrome,
    cohort: CohortView,
    log: SiteLog,
    staff: bool,
    approved: String,
    pending: String,
    required: String,
    today: chrono::NaiveDate,
    error: Option<String>,
}

async fn render_hours(
    state: &AppState,
    s: &PageSession,
    cohort_id: i64,
    student_id: i64,
    notice: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let cohort = directory::get_cohort(state, s, cohort_id).await?;
    let log = hours::site_log(state, s, cohort_id, student_id).await?;
    let cref = crate::practicum::access::CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    let page = HoursPage {
        chrome: Chrome::for_session(s, "/dashboard", notice),
        staff: s.scope.can_supervise_charts(cref),
        approved: hours(log.approved_minutes),
        pending: hours(log.pending_minutes),
        required: hours(log.required_minutes),
        today: crate::store::now().date(),
        log,
        cohort,
        error,
    };
    Ok(html(status, &page))
}

async fn hours_page(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<(i64, i64)>,
    q: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let (c, st) = path.into_inner();
    render_hours(&state, &s, c, st, q.notice.as_deref(), None, StatusCode::OK).await
}

/// Every hours form posts here with an `action`: manual, decide, reverse, signoff.
async fn hours_action(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<(i64, i64)>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    use crate::error::AppError;
    use crate::service::hours::{DecisionInput, ManualInput, ReversalInput, SignoffInput};
    let (cohort_id, student_id) = path.into_inner();
    let get = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    s.check_csrf(&state, &get("csrf_token"))?;
    let date = |field: &'static str| -> Result<chrono::NaiveDate, AppError> {
        chrono::NaiveDate::parse_from_str(&get(field), "%Y-%m-%d").map_err(|_| {
            crate::practicum::Invalid::new(field, "enter a date like 2026-03-14").into()
        })
    };
    let entry = || -> Result<i64, AppError> {
        get("entry")
            .parse()
            .map_err(|_| crate::practicum::Invalid::new("entry", "no entry chosen").into())
    };
    let result: Result<&'static str, AppError> = async {
        match get("action").as_str() {
            "manual" => {
                let minutes = get("minutes").parse::<u32>().map_err(|_| {
                    AppError::from(crate::practicum::Invalid::new(
                        "minutes",
                        "enter whole minutes",
                    ))
                })?;
                hours::add_manual(
                    &state,
                    &s,
                    cohort_id,
                    student_id,
                    ManualInput {
                        work_date: date("work_date")?,
                        minutes,
                        activity: get("activity"),
                        reason: get("reason"),
                    },
                )
                .await
                .map(|_| "hours_logged")
            }
            "approve" | "reject" => hours::decide(
                &state,
                &s,
                entry()?,
                DecisionInput {
                    status: if get("action") == "approve" {
                        "approved"
                    } else {
                        "rejected"
                    }
                    .into(),
                },
            )
            .await
            .map(|_| "saved"),
            "reverse" => hours::reverse(
                &state,
                &s,
                entry()?,
                ReversalInput {
                    reason: get("reason"),
                },
            )
            .await
            .map(|_| "saved"),
            "signoff" => hours::sign_off(
                &state,
                &s,
                cohort_id,
                student_id,
                SignoffInput {
                    period_start: date("period_start")?,
                    period_end: date("period_end")?,
                    attestation: get("attestation"),
                },
            )
            .await
            .map(|_| "signed_off"),
            _ => Err(crate::practicum::Invalid::new("action", "unknown action").into()),
        }
    }
    .await;
    match result {
        Ok(notice) => Ok(crate::web::see_other(&format!(
            "/cohorts/{cohort_id}/students/{student_id}/hours?notice={notice}"
        ))),
        Err(
            e @ (AppError::Invalid(_) | AppError::Conflict { .. } | AppError::BadRequest { .. }),
        ) => {
            let msg = match (&e, e.field()) {
                (AppError::Invalid(inv), _) => format!("{}: {}", inv.field, inv.message),
                _ => e.to_string(),
            };
            render_hours(
                &state,
                &s,
                cohort_id,
                student_id,
                None,
                Some(msg),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
