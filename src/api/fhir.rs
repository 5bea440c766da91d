//! The FHIR R4 read API under `/fhir/r4`: the synthetic records as FHIR
//! resources, with OperationOutcome errors. Authorization is the EHR's:
//! a caller sees the records of their cohorts and never an answer key.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::extract::{Caller, parse_query};
use crate::error::AppError;
use crate::fhir;
use crate::routes::Router;
use crate::service::AppState;
use crate::service::ehr::{self, EncounterDetail, EncounterQuery, PatientQuery};

/// Registers the FHIR routes.
pub fn routes(r: &mut Router) {
    r.get("/fhir/r4/metadata", metadata)
        .get("/fhir/r4/Patient", search_patients)
        .get("/fhir/r4/Patient/{id}", read_patient)
        .get("/fhir/r4/Patient/{id}/$everything", patient_everything)
        .get("/fhir/r4/Encounter", search_encounters)
        .get("/fhir/r4/Encounter/{id}", read_encounter)
        .get("/fhir/r4/Encounter/{id}/$everything", encounter_everything)
        .get("/fhir/r4/{kind}", search_by_encounter)
        .get("/fhir/r4/{kind}/{id}", read_part);
}

/// An error as an OperationOutcome with the matching status.
struct FhirError(AppError);

impl From<AppError> for FhirError {
    fn from(e: AppError) -> Self {
        FhirError(e)
    }
}

type FhirResult = Result<HttpResponse, FhirError>;

impl std::fmt::Debug for FhirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for FhirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl actix_web::ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.0.status_code();
        let code = match status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::UNAUTHORIZED => "login",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            _ => "exception",
        };
        if status.is_server_error() {
            tracing::error!(error = ?self.0, "FHIR request failed");
        }
        let message = self.0.to_string();
        HttpResponse::build(status)
            .content_type(fhir::FHIR_JSON)
            .body(fhir::outcome(code, &message, self.0.field()).to_string())
    }
}

fn ok(resource: Value) -> FhirResult {
    Ok(HttpResponse::Ok()
        .content_type(fhir::FHIR_JSON)
        .body(resource.to_string()))
}

fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/fhir/r4", info.scheme(), info.host())
}

fn caller(c: Result<Caller, AppError>) -> Result<Caller, FhirError> {
    c.map_err(FhirError)
}

fn numeric_id(raw: &str, what: &'static str) -> Result<i64, FhirError> {
    raw.parse::<i64>()
        .map_err(|_| FhirError(AppError::NotFound(what)))
}

async fn metadata(req: HttpRequest) -> FhirResult {
    ok(fhir::capability_statement(
        &base(&req),
        env!("CARGO_PKG_VERSION"),
    ))
}

async fn read_patient(
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    id: web::Path<String>,
) -> FhirResult {
    let c = caller(c)?;
    let id = numeric_id(&id, "patient")?;
    let chart = ehr::patient_chart(&state, &c, id).await?;
    ok(fhir::patient(&chart.patient))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientSearch {
    name: Option<String>,
    identifier: Option<String>,
    birthdate: Option<String>,
    #[serde(rename = "_count")]
    count: Option<i64>,
}

async fn search_patients(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
) -> FhirResult {
    let c = caller(c)?;
    let q: PatientSearch = parse_query(req.query_string())?;
    // An identifier may come as system|value; the value is what is stored.
    let identifier = q
        .identifier
        .as_deref()
        .map(|i| i.rsplit('|').next().unwrap_or(i).to_owned());
    let text = identifier.or(q.birthdate).or(q.name);
    let page = ehr::search_patients(
        &state,
        &c,
        PatientQuery {
            q: text,
            limit: Some(q.count.unwrap_or(50)),
            ..Default::default()
        },
    )
    .await?;
    let resources = page
        .items
        .iter()
        .map(|i| fhir::patient(&i.patient))
        .collect();
    let self_link = format!("Patient?{}", req.query_string());
    ok(fhir::searchset(
        &base(&req),
        &self_link,
        resources,
        Some(page.total as usize),
    ))
}

async fn patient_everything(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    id: web::Path<String>,
) -> FhirResult {
    let c = caller(c)?;
    let pid = numeric_id(&id, "patient")?;
    let chart = ehr::patient_chart(&state, &c, pid).await?;
    let mut resources = vec![fhir::patient(&chart.patient)];
    for e in &chart.encounters {
        // An exam encounter not yet open to this student is left out.
        let Some(d) = listed(ehr::encounter_detail(&state, &c, e.id).await)? else {
            continue;
        };
        resources.extend(fhir::encounter_resources(&d).into_iter().skip(1));
    }
    ok(fhir::searchset(
        &base(&req),
        &format!("Patient/{pid}/$everything"),
        resources,
        None,
    ))
}

/// An encounter for a search result: one the caller may not open yet (an
/// exam not started) is skipped rather than failing the whole Bundle.
fn listed(r: Result<EncounterDetail, AppError>) -> Result<Option<EncounterDetail>, AppError> {
    match r {
        Ok(d) => Ok(Some(d)),
        Err(AppError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn detail(state: &AppState, c: &Caller, raw: &str) -> Result<EncounterDetail, FhirError> {
    let id = numeric_id(raw, "encounter")?;
    Ok(ehr::encounter_detail(state, c, id).await?)
}

async fn read_encounter(
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    id: web::Path<String>,
) -> FhirResult {
    let c = caller(c)?;
    let d = detail(&state, &c, &id).await?;
    ok(fhir::encounter(&d))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EncounterSearch {
    patient: Option<String>,
    encounter: Option<String>,
}

async fn search_encounters(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
) -> FhirResult {
    let c = caller(c)?;
    let q: EncounterSearch = parse_query(req.query_string())?;
    let mut resources = Vec::new();
    match q.patient.as_deref() {
        Some(p) => {
            let pid = numeric_id(p.trim_start_matches("Patient/"), "patient")?;
            let chart = ehr::patient_chart(&state, &c, pid).await?;
            for e in &chart.encounters {
                if let Some(d) = listed(ehr::encounter_detail(&state, &c, e.id).await)? {
                    resources.push(fhir::encounter(&d));
                }
            }
        }
        None => {
            let page = ehr::list_encounters(&state, &c, EncounterQuery::default()).await?;
            for i in &page.items {
                if let Some(d) = listed(ehr::encounter_detail(&state, &c, i.encounter.id).await)? {
                    resources.push(fhir::encounter(&d));
                }
            }
        }
    }
    ok(fhir::searchset(
        &base(&req),
        &format!("Encounter?{}", req.query_string()),
        resources,
        None,
    ))
}

async fn encounter_everything(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    id: web::Path<String>,
) -> FhirResult {
    let c = caller(c)?;
    let d = detail(&state, &c, &id).await?;
    ok(fhir::searchset(
        &base(&req),
        &format!("Encounter/{}/$everything", d.view.encounter.id),
        fhir::encounter_resources(&d),
        None,
    ))
}

/// Resources of one kind that hang off an encounter.
fn parts(kind: &str, d: &EncounterDetail) -> Option<Vec<Value>> {
    Some(match kind {
        "Condition" => fhir::conditions(d),
        "Observation" => fhir::observations(d),
        "DocumentReference" => d
            .documents
            .iter()
            .map(|doc| fhir::document_reference(doc, d))
            .collect(),
        _ => return None,
    })
}

fn unsupported(kind: &str) -> FhirError {
    FhirError(AppError::bad_request(
        None,
        format!(
            "resource type {kind:?} is not served; see /fhir/r4/metadata (Patient, Encounter, Condition, Observation, DocumentReference)"
        ),
    ))
}

async fn search_by_encounter(
    req: HttpRequest,
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    kind: web::Path<String>,
) -> FhirResult {
    let c = caller(c)?;
    let q: EncounterSearch = parse_query(req.query_string())?;
    let Some(enc) = q.encounter.as_deref() else {
        return Err(FhirError(AppError::bad_request(
            Some("encounter"),
            "search this resource type by encounter, e.g. ?encounter=12",
        )));
    };
    let d = detail(&state, &c, enc.trim_start_matches("Encounter/")).await?;
    let resources = parts(&kind, &d).ok_or_else(|| unsupported(&kind))?;
    ok(fhir::searchset(
        &base(&req),
        &format!("{kind}?{}", req.query_string()),
        resources,
        None,
    ))
}

async fn read_part(
    state: web::Data<AppState>,
    c: Result<Caller, AppError>,
    path: web::Path<(String, String)>,
) -> FhirResult {
    let c = caller(c)?;
    let (kind, id) = path.into_inner();
    if !matches!(
        kind.as_str(),
        "Condition" | "Observation" | "DocumentReference"
    ) {
        return Err(unsupported(&kind));
    }
    // Conditions and observations are named `<encounter>-…`; documents by
    // their own id.
    let d = if kind == "DocumentReference" {
        let doc_id = numeric_id(&id, "document")?;
        let doc = ehr::document(&state, &c, doc_id).await?;
        ehr::encounter_detail(&state, &c, doc.encounter_id).await?
    } else {
        let enc = id.split('-').next().unwrap_or_default();
        detail(&state, &c, enc)
            .await
            .map_err(|_| FhirError(AppError::NotFound("resource")))?
    };
    parts(&kind, &d)
        .unwrap_or_default()
        .into_iter()
        .find(|r| r["id"] == id.as_str())
        .map(ok)
        .unwrap_or(Err(FhirError(AppError::NotFound("resource"))))
}
