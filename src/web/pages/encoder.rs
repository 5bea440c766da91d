//! The encoder page: search beside the chart, keyboard first. Works without
//! JavaScript (the form renders results and detail on the server).

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::codes::detail::CodeDetail;
use crate::codes::search::{Hit, System};
use crate::service::AppState;
use crate::web::{Chrome, PageError, PageSession, html};

pub(super) fn routes(r: &mut Router) {
    r.get("/encoder", encoder);
}

#[derive(Debug, Default, Deserialize)]
struct EncoderQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "encoder.html")]
struct EncoderPage {
    chrome: Chrome,
    release: String,
    query: String,
    date: String,
    results: Vec<Hit>,
    detail: Option<CodeDetail>,
    code_missing: bool,
}

async fn encoder(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<EncoderQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let latest = state.codes.icd10cm_latest();
    let default_date = latest.map(|t| t.release.effective_to).unwrap_or_default();
    let date = NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d").unwrap_or(default_date);
    let query: String = q.q.chars().take(200).collect();
    let results = state
        .codes
        .search()
        .search(&query, Some(System::Icd10cm), 30);
    let code = q.code.trim().trim_end_matches('-');
    let detail = (!code.is_empty())
        .then(|| state.codes.icd10cm_detail(code, date))
        .flatten();
    let page = EncoderPage {
        chrome: Chrome::for_session(&s, "/encoder", None),
        release: latest.map(|t| t.release.name.clone()).unwrap_or_default(),
        query,
        date: date.to_string(),
        results,
        code_missing: !code.is_empty() && detail.is_none(),
        detail,
    };
    Ok(html(StatusCode::OK, &page))
}
