//! Report pages: the cohort report with charts and CSV links, and a
//! student's printable PPE completion record.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::practicum::reports::{Accuracy, Ratio, bars_svg, trend_svg};
use crate::service::AppState;
use crate::service::hours::{self, SiteLog};
use crate::service::views::CohortView;
use crate::service::{directory, reports};
use crate::web::{Chrome, PageError, PageSession, html};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cohorts/{cohort_id}/report", web::get().to(cohort_report))
        .route(
            "/cohorts/{cohort_id}/students/{student_id}/record",
            web::get().to(record),
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
