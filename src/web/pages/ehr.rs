//! The mock EHR pages: patient search, the chart, an encounter with its tabs,
//! a printable note, and a cohort's encounter pool with generation.

use crate::routes::Router;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::practicum::access::CohortRef;
use crate::scenarios::library::DIFFICULTIES;
use crate::service::AppState;
use crate::service::directory;
use crate::service::ehr::{
    self, DocumentView, EncounterDetail, EncounterListItem, EncounterQuery, GenerateInput,
    KeyVersionView, PatientChart, PatientListItem, PatientQuery, PatientView, RunView,
};
use crate::service::views::CohortView;
use crate::web::{Chrome, FormState, PageError, PageSession, html, see_other};

pub(super) fn routes(r: &mut Router) {
    r.get("/ehr", patients)
        .get("/ehr/patients/{patient_id}", chart)
        .get("/ehr/encounters/{encounter_id}", encounter)
        .get("/ehr/documents/{document_id}/print", print)
        .post("/ehr/encounters/{encounter_id}/keys", add_key)
        .get("/cohorts/{cohort_id}/encounters", pool)
        .post("/cohorts/{cohort_id}/encounters", generate);
}

const PAGE: i64 = 25;

#[derive(Debug, Default, Deserialize)]
struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "ehr_patients.html")]
struct PatientsPage {
    chrome: Chrome,
    query: String,
    items: Vec<PatientListItem>,
    total: i64,
    page: i64,
    pages: i64,
    error: Option<String>,
}

async fn patients(
    state: web::Data<AppState>,
    s: PageSession,
    q: web::Query<SearchForm>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let page = q.page.unwrap_or(1).max(1);
    let query: String = q.q.chars().take(100).collect();
    let result = ehr::search_patients(
        &state,
        &s,
        PatientQuery {
            q: Some(query.clone()),
            cohort: None,
            limit: Some(PAGE),
            offset: Some((page - 1) * PAGE),
        },
    )
    .await;
    let (items, total, error) = match result {
        Ok(p) => (p.items, p.total, None),
        Err(AppError::Invalid(inv)) => (Vec::new(), 0, Some(inv.message)),
        Err(e) => return Err(e.into()),
    };
    let view = PatientsPage {
        chrome: Chrome::for_session(&s, "/ehr", None),
        query,
        items,
        total,
        page,
        pages: (total + PAGE - 1) / PAGE,
        error,
    };
    Ok(html(StatusCode::OK, &view))
}

#[derive(Template)]
#[template(path = "ehr_chart.html")]
struct ChartPage {
    chrome: Chrome,
    patient: PatientView,
    chart: PatientChart,
    age: u32,
}

async fn chart(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let chart = ehr::patient_chart(&state, &s, path.into_inner()).await?;
    let on = chart
        .encounters
        .first()
        .map(|e| e.date_of_service)
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let view = ChartPage {
        chrome: Chrome::for_session(&s, "/ehr", None),
        age: crate::scenarios::patient::age_on(chart.patient.birth_date, on),
        patient: chart.patient.clone(),
        chart,
    };
    Ok(html(StatusCode::OK, &view))
}

#[derive(Debug, Default, Deserialize)]
struct TabQuery {
    tab: Option<String>,
    saved: Option<String>,
}

/// One tab of the encounter view.
pub struct Tab {
    pub id: &'static str,
    pub label: &'static str,
    pub count: Option<usize>,
}

#[derive(Template)]
#[template(path = "ehr_encounter.html")]
struct EncounterPage {
    chrome: Chrome,
    patient: PatientView,
    age: u32,
    detail: EncounterDetail,
    tabs: Vec<Tab>,
    tab: &'static str,
    keys: Vec<KeyVersionView>,
    /// The new-version form: its JSON text and any error.
    key_draft: String,
    form: FormState,
}

impl EncounterPage {
    fn vital(&self, name: &str) -> String {
        let v = &self.detail.chart.vitals;
        match name {
            "temperature_f" => v.temperature_f.clone(),
            "heart_rate" => v.heart_rate.clone(),
            "respiratory_rate" => v.respiratory_rate.clone(),
            "blood_pressure" => v.blood_pressure.clone(),
            "spo2" => v.spo2.clone(),
            "weight_lb" => v.weight_lb.clone(),
            _ => String::new(),
        }
    }

    fn key_json(&self, k: &KeyVersionView) -> String {
        serde_json::to_string_pretty(&k.key).unwrap_or_default()
    }
}

async fn encounter(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<TabQuery>,
) -> Result<HttpResponse, PageError> {
    render_encounter(
        &state,
        &s,
        path.into_inner(),
        q.into_inner(),
        None,
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

/// The editable shape of a key: what `POST …/keys` takes, minus the note.
fn draft_of(key: &serde_json::Value) -> String {
    let notes = key["diagnosis_notes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let diagnoses: Vec<serde_json::Value> = key["diagnoses"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let n = notes.get(i).cloned().unwrap_or_default();
            serde_json::json!({
                "code": code,
                "alternates": n["alternates"],
                "rationale": n["rationale"],
                "guideline": n["guideline"],
            })
        })
        .collect();
    let lines: Vec<serde_json::Value> = key["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            serde_json::json!({
                "code": l["code"], "modifiers": l["modifiers"], "units": l["units"],
                "pointers": l["pointers"], "alternates": l["alternates"],
                "rationale": l["rationale"], "guideline": l["guideline"],
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({"diagnoses": diagnoses, "lines": lines}))
        .unwrap_or_default()
}

async fn render_encounter(
    state: &AppState,
    s: &PageSession,
    id: i64,
    q: TabQuery,
    draft: Option<String>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (state, s) = (state, s);
    let detail = ehr::encounter_detail(state, s, id).await?;
    let supervisor = detail.view.supervision.is_some();
    let c = &detail.chart;
    let mut tabs = vec![
        Tab {
            id: "notes",
            label: "Notes",
            count: Some(detail.documents.len()),
        },
        Tab {
            id: "vitals",
            label: "Vitals",
            count: None,
        },
        Tab {
            id: "problems",
            label: "Problems",
            count: Some(c.problems.len()),
        },
        Tab {
            id: "medications",
            label: "Medications",
            count: Some(c.medications.len()),
        },
        Tab {
            id: "allergies",
            label: "Allergies",
            count: Some(c.allergies.len()),
        },
        Tab {
            id: "results",
            label: "Results",
            count: Some(c.results.len()),
        },
        Tab {
            id: "history",
            label: "Visit history",
            count: Some(c.visit_history.len()),
        },
    ];
    if supervisor {
        tabs.push(Tab {
            id: "key",
            label: "Answer key",
            count: None,
        });
    }
    let wanted = q.tab.as_deref().unwrap_or("notes");
    let tab = tabs
        .iter()
        .find(|t| t.id == wanted)
        .map_or("notes", |t| t.id);
    let keys = if tab == "key" {
        ehr::keys(state, s, id).await?
    } else {
        Vec::new()
    };
    let key_draft =
        draft.unwrap_or_else(|| keys.last().map(|k| draft_of(&k.key)).unwrap_or_default());
    let notice = (tab == "key" && form.message.is_none() && q.saved.is_some()).then_some("saved");
    let view = EncounterPage {
        chrome: Chrome::for_session(s, "/ehr", notice),
        patient: detail.view.patient.clone(),
        age: detail.view.age,
        detail,
        tabs,
        tab,
        keys,
        key_draft,
        form,
    };
    Ok(html(status, &view))
}

#[derive(Debug, Deserialize)]
struct KeyForm {
    csrf_token: String,
    note: String,
    #[serde(default)]
    base_version: i32,
    key_json: String,
}

/// Adds a key version from the key tab's form (JSON of diagnoses and lines).
async fn add_key(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    form: web::Form<KeyForm>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let form = form.into_inner();
    s.check_csrf(&state, &form.csrf_token)?;
    let mut body: serde_json::Value = match serde_json::from_str(&form.key_json) {
        Ok(v) => v,
        Err(e) => serde_json::json!({"__unreadable": e.to_string()}),
    };
    let result = match body.get("__unreadable") {
        Some(e) => Err(AppError::bad_request(
            Some("key_json"),
            format!(
                "the key is not valid JSON: {}",
                e.as_str().unwrap_or_default()
            ),
        )),
        None => {
            body["note"] = serde_json::Value::String(form.note.clone());
            body["base_version"] = serde_json::Value::from(form.base_version);
            match crate::api::extract::parse_json::<ehr::KeyInput>(body.to_string().as_bytes()) {
                Ok(input) => ehr::add_key(&state, &s, id, input).await.map(|_| ()),
                Err(e) => Err(e),
            }
        }
    };
    let q = TabQuery {
        tab: Some("key".into()),
        saved: None,
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/ehr/encounters/{id}?tab=key&saved=1"))),
        Err(
            e @ (AppError::Invalid(_) | AppError::BadRequest { .. } | AppError::Conflict { .. }),
        ) => {
            render_encounter(
                &state,
                &s,
                id,
                q,
                Some(form.key_json),
                FormState::failed("key", &e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ehr_print.html")]
struct PrintPage {
    patient: PatientView,
    age: u32,
    encounter: crate::service::ehr::EncounterSummary,
    document: DocumentView,
}

async fn print(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let document = ehr::document(&state, &s, path.into_inner()).await?;
    let detail = ehr::encounter_detail(&state, &s, document.encounter_id).await?;
    let view = PrintPage {
        patient: detail.view.patient.clone(),
        age: detail.view.age,
        encounter: detail.view.encounter.clone(),
        document,
    };
    Ok(html(StatusCode::OK, &view))
}

// ---- a cohort's encounter pool ------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct PoolQuery {
    page: Option<i64>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "cohort_encounters.html")]
struct PoolPage {
    chrome: Chrome,
    cohort: CohortView,
    items: Vec<EncounterListItem>,
    total: i64,
    page: i64,
    pages: i64,
    can_generate: bool,
    areas: Vec<String>,
    difficulties: Vec<&'static str>,
    runs: Vec<RunView>,
    form: FormState,
    max: u32,
}

async fn render_pool(
    state: &AppState,
    s: &PageSession,
    cohort_id: i64,
    page: i64,
    notice: Option<&str>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let cohort = directory::get_cohort(state, s, cohort_id).await?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    let can_generate = s.scope.can_supervise_charts(cref);
    let list = ehr::list_encounters(
        state,
        s,
        EncounterQuery {
            cohort: Some(cohort_id),
            limit: Some(PAGE),
            offset: Some((page - 1) * PAGE),
            ..Default::default()
        },
    )
    .await?;
    let runs = if can_generate {
        ehr::runs(state, s, cohort_id).await?
    } else {
        Vec::new()
    };
    let view = PoolPage {
        chrome: Chrome::for_session(s, "/ehr", notice),
        cohort,
        total: list.total,
        pages: (list.total + PAGE - 1) / PAGE,
        items: list.items,
        page,
        can_generate,
        areas: state
            .library
            .areas()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        difficulties: DIFFICULTIES.to_vec(),
        runs,
        form,
        max: ehr::MAX_PER_REQUEST,
    };
    Ok(html(status, &view))
}

async fn pool(
    state: web::Data<AppState>,
    s: PageSession,
    path: web::Path<i64>,
    q: web::Query<PoolQuery>,
) -> Result<HttpResponse, PageError> {
    let page = q.page.unwrap_or(1).max(1);
    render_pool(
        &state,
        &s,
        path.into_inner(),
        page,
        q.notice.as_deref(),
        FormState::clean(),
        StatusCode::OK,
    )
    .await
}

/// The generation form: checkboxes arrive as repeated fields, so it is read
/// from the raw body rather than a fixed struct.
async fn generate(
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
    let parsed = (|| -> Result<GenerateInput, AppError> {
        let count = get("count").parse::<u32>().map_err(|_| {
            AppError::Invalid(crate::practicum::Invalid::new(
                "count",
                "enter a whole number",
            ))
        })?;
        let seed_text = get("seed");
        let seed = if seed_text.is_empty() {
            None
        } else {
            Some(seed_text.parse::<u64>().map_err(|_| {
                AppError::Invalid(crate::practicum::Invalid::new(
                    "seed",
                    "enter a whole number, or leave it empty",
                ))
            })?)
        };
        Ok(GenerateInput {
            count,
            areas: all("areas"),
            difficulties: all("difficulties"),
            seed,
        })
    })();
    let result = match parsed {
        Ok(input) => ehr::generate(&state, &s, cohort_id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/cohorts/{cohort_id}/encounters?notice=generated"
        ))),
        Err(e @ (AppError::Invalid(_) | AppError::BadRequest { .. })) => {
            render_pool(
                &state,
                &s,
                cohort_id,
                1,
                None,
                FormState::failed("generate", &e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
