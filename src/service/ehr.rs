//! The mock EHR: generating encounters for a cohort, and reading patients,
//! encounters, documents and (for supervisors) answer keys.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::sessions::Session;
use super::{AppState, db, not_found};
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::access::CohortRef;
use crate::scenarios::library::{GenerationRequest, Library, Planned};
use crate::scenarios::patient::{Patient, age_on};
use crate::scenarios::{AnswerKey, Chart, Generated, KeyDiagnosis, KeyLine, KeyPatient};
use crate::store::ehr::{
    self, BatchOutcome, EncounterFilter, EncounterRow, NewDocument, NewEncounter,
    NewEncounterFields, NewPatient, NewRun, PatientRow, PatientSearch, RunRow,
};
use crate::store::{DbConn, StoreError, StoreResult, cohorts};

/// Most encounters one API or page request may generate (the CLI goes higher).
pub const MAX_PER_REQUEST: u32 = 2_000;

/// How many encounters are stored per transaction in bulk runs.
pub const BATCH: usize = 500;

// ---- views ------------------------------------------------------------------

/// A synthetic patient's demographics, as the chart banner shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientView {
    pub id: i64,
    pub cohort_id: i64,
    /// Medical record number (synthetic prefix `SYN-`).
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    /// `F` or `M`.
    pub sex: String,
    pub birth_date: NaiveDate,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// A 555-01xx number, reserved for fiction.
    pub phone: String,
    /// On example.com, example.org or example.net.
    pub email: String,
    /// Insurance member id (synthetic `ZZ` pattern).
    pub member_id: String,
    /// Always true: every record here is invented.
    pub synthetic: bool,
}

impl PatientView {
    fn from_row(row: &PatientRow) -> Self {
        let demo: Option<Patient> = serde_json::from_str(&row.demographics).ok();
        let field = |f: fn(&Patient) -> &String| demo.as_ref().map(f).cloned().unwrap_or_default();
        Self {
            id: row.id,
            cohort_id: row.cohort_id,
            mrn: row.mrn.clone(),
            family_name: row.family_name.clone(),
            given_name: row.given_name.clone(),
            sex: row.sex.clone(),
            birth_date: row.birth_date,
            address: field(|p| &p.address),
            city: field(|p| &p.city),
            state: field(|p| &p.state),
            zip: field(|p| &p.zip),
            phone: field(|p| &p.phone),
            email: field(|p| &p.email),
            member_id: field(|p| &p.member_id),
            synthetic: true,
        }
    }

    /// "Family, Given".
    pub fn display_name(&self) -> String {
        format!("{}, {}", self.family_name, self.given_name)
    }
}

/// A patient in a search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientListItem {
    pub patient: PatientView,
    /// Encounters on file.
    pub encounters: i64,
    /// Most recent date of service.
    pub last_visit: Option<NaiveDate>,
}

/// A page of patients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientPage {
    pub items: Vec<PatientListItem>,
    /// How many match in all.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// An encounter as lists show it. Nothing here gives the coding away: the
/// scenario's title is for supervisors only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EncounterSummary {
    pub id: i64,
    pub patient_id: i64,
    pub cohort_id: i64,
    pub date_of_service: NaiveDate,
    /// Place of service code, e.g. `11`.
    pub place_of_service: String,
    /// Its name, e.g. `Office`.
    pub place_of_service_name: String,
    /// Department, e.g. `Orthopedics`.
    pub department: String,
    /// Rendering provider.
    pub provider: String,
    /// Estimated coding minutes.
    pub minutes: i32,
}

/// A page of encounters, each with its patient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EncounterPage {
    pub items: Vec<EncounterListItem>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// An encounter in a list, with its patient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EncounterListItem {
    pub encounter: EncounterSummary,
    pub patient: PatientView,
}

/// A patient's chart: demographics and encounters, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatientChart {
    pub patient: PatientView,
    pub encounters: Vec<EncounterSummary>,
}

/// A document's place in the encounter, without its text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentSummary {
    pub id: i64,
    /// progress_note, procedure_note, operative_note, radiology_report,
    /// lab_report or pathology_report.
    pub kind: String,
    /// The kind in words, e.g. `Progress note`.
    pub kind_label: String,
    pub title: String,
}

/// One clinical document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub encounter_id: i64,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub body: String,
}

/// What only supervisors and program admins see of an encounter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupervisorInfo {
    pub scenario_id: String,
    pub scenario_version: i32,
    pub seed: i64,
    pub title: String,
    pub difficulty: String,
    /// The scenario's variable values for this encounter.
    pub variables: BTreeMap<String, String>,
    /// `new` or `established`, where the scenario decides it.
    pub standing: Option<String>,
    pub run_id: Option<i64>,
}

/// An encounter with its chart and document list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EncounterView {
    pub encounter: EncounterSummary,
    pub patient: PatientView,
    /// Age in years on the date of service.
    pub age: u32,
    /// Payer type: commercial, medicare or medicaid.
    pub payer: String,
    /// Provider name, credential and NPI-shaped test identifier.
    #[schema(value_type = Object)]
    pub provider: serde_json::Value,
    #[schema(value_type = Object)]
    pub vitals: serde_json::Value,
    pub problems: Vec<String>,
    pub medications: Vec<String>,
    pub allergies: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<serde_json::Value>,
    /// Earlier professional visits with this practice.
    #[schema(value_type = Vec<Object>)]
    pub visit_history: Vec<serde_json::Value>,
    pub documents: Vec<DocumentSummary>,
    /// Present for supervisors and program admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervision: Option<SupervisorInfo>,
}

/// The decoded chart of an encounter (for pages and FHIR).
#[derive(Debug, Clone)]
pub struct EncounterDetail {
    pub view: EncounterView,
    pub chart: Chart,
    pub documents: Vec<DocumentView>,
}

/// One version of an encounter's answer key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyVersionView {
    pub version: i32,
    /// `generated` (from the scenario's rules) or `supervisor` (authored).
    pub source: String,
    pub note: String,
    pub created_by: Option<i64>,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub created_at: NaiveDateTime,
    /// Approved by a supervisor and locked against edits.
    pub locked: bool,
    pub approved_by: Option<i64>,
    #[serde(serialize_with = "crate::service::views::utc::opt")]
    pub approved_at: Option<NaiveDateTime>,
    /// The key in claim-interchange shape with alternates and rationale.
    #[schema(value_type = Object)]
    pub key: serde_json::Value,
}

/// A generation run's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GenerationView {
    pub run_id: i64,
    pub cohort_id: i64,
    /// The run's seed: the same request with it gives the same encounters.
    pub seed: i64,
    pub requested: i32,
    pub created: i32,
    /// Already in the cohort from an earlier run with the same seed.
    pub skipped: i32,
    /// Ids of the encounters created.
    pub encounter_ids: Vec<i64>,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub created_at: NaiveDateTime,
}

/// A past generation run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: i64,
    pub cohort_id: i64,
    pub requested_by: Option<i64>,
    pub seed: i64,
    pub requested: i32,
    pub created: i32,
    /// Areas asked for (empty: all).
    pub areas: Vec<String>,
    /// Difficulties asked for (empty: all).
    pub difficulties: Vec<String>,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub created_at: NaiveDateTime,
}

impl From<&RunRow> for RunView {
    fn from(r: &RunRow) -> Self {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self {
            id: r.id,
            cohort_id: r.cohort_id,
            requested_by: r.requested_by,
            seed: r.seed,
            requested: r.requested,
            created: r.created,
            areas: list(&r.areas),
            difficulties: list(&r.difficulties),
            created_at: r.created_at,
        }
    }
}

/// A served scenario, as supervisors browse the library.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScenarioSummary {
    pub id: String,
    pub version: u32,
    pub title: String,
    /// Area, e.g. `orthopedics`.
    pub specialty: String,
    pub difficulty: String,
    pub place_of_service: String,
    pub minutes: u32,
    /// How many variable combinations it has.
    pub combinations: u64,
    pub teaching_points: Vec<String>,
}

/// A scenario file the server refused, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RejectedScenario {
    pub file: String,
    pub line: Option<usize>,
    pub cause: String,
}

/// The scenario library as served.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LibraryView {
    pub served: Vec<ScenarioSummary>,
    /// Files that failed validation and are not used.
    pub rejected: Vec<RejectedScenario>,
    /// Areas to generate from.
    pub areas: Vec<String>,
}

// ---- inputs -----------------------------------------------------------------

/// Patient search parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PatientQuery {
    /// Family or given name (prefix), MRN, or birth date (YYYY-MM-DD or MM/DD/YYYY).
    pub q: Option<String>,
    /// Only this cohort.
    pub cohort: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// Encounter list parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EncounterQuery {
    /// Only this cohort.
    pub cohort: Option<i64>,
    /// Only this area, e.g. `orthopedics`.
    pub specialty: Option<String>,
    /// Only this difficulty (supervisors).
    pub difficulty: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A request to generate encounters for a cohort.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateInput {
    /// How many (1–2000 per request).
    #[schema(example = 25)]
    pub count: u32,
    /// Areas to draw from (empty: all), e.g. `["orthopedics", "radiology"]`.
    #[serde(default)]
    pub areas: Vec<String>,
    /// foundation, intermediate, advanced (empty: all).
    #[serde(default)]
    pub difficulties: Vec<String>,
    /// Seed of the run; omitted, one is chosen and reported.
    pub seed: Option<u64>,
}

/// A diagnosis of a supervisor-authored key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyDiagnosisInput {
    pub code: String,
    #[serde(default)]
    pub alternates: Vec<String>,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub guideline: String,
}

/// A service line of a supervisor-authored key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyLineInput {
    pub code: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    #[serde(default = "one")]
    pub units: u32,
    /// Diagnosis pointers, letters A–L.
    pub pointers: Vec<String>,
    #[serde(default)]
    pub alternates: Vec<String>,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub guideline: String,
}

fn one() -> u32 {
    1
}

/// A new key version authored by a supervisor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// The version this edit starts from; when a newer version exists the
    /// edit is refused (409) so nobody's change is silently overwritten.
    pub base_version: i32,
    /// Why this version exists (shown beside it).
    pub note: String,
    /// In order; the first is first-listed.
    pub diagnoses: Vec<KeyDiagnosisInput>,
    pub lines: Vec<KeyLineInput>,
}

// ---- labels -----------------------------------------------------------------

/// A document kind in words.
pub fn kind_label(kind: &str) -> String {
    match kind {
        "progress_note" => "Progress note".into(),
        "procedure_note" => "Procedure note".into(),
        "operative_note" => "Operative report".into(),
        "radiology_report" => "Radiology report".into(),
        "lab_report" => "Laboratory report".into(),
        "pathology_report" => "Pathology report".into(),
        "anesthesia_record" => "Anesthesia record".into(),
        "nursing_note" => "Nursing note".into(),
        other => capitalize(&other.replace('_', " ")),
    }
}

/// The department a scenario area appears under in the EHR.
pub fn department(specialty: &str) -> String {
    match specialty {
        "em-office" => "Primary care".into(),
        "preventive" => "Primary care (preventive)".into(),
        "emergency" => "Emergency department".into(),
        "pathology-lab" => "Laboratory".into(),
        "gi-endoscopy" => "Gastroenterology".into(),
        "obgyn" => "Obstetrics and gynecology".into(),
        "ent" => "Otolaryngology (ENT)".into(),
        "integumentary" => "Dermatology and minor surgery".into(),
        "respiratory" => "Pulmonary medicine".into(),
        "behavioral-health" => "Behavioral health".into(),
        other => capitalize(&other.replace('-', " ")),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---- generation -------------------------------------------------------------

/// Turns a generated encounter into rows to store.
pub fn to_rows(g: &Generated, planned: &Planned<'_>) -> NewEncounter {
    let e = &g.encounter;
    let spec = &planned.scenario.spec;
    NewEncounter {
        patient: NewPatient {
            mrn: e.patient.mrn.clone(),
            family_name: e.patient.last_name.clone(),
            given_name: e.patient.first_name.clone(),
            sex: e.patient.sex.clone(),
            birth_date: e.patient.birth_date,
            demographics: json(&e.patient),
        },
        encounter: NewEncounterFields {
            scenario_id: spec.id.clone(),
            scenario_version: spec.version as i32,
            seed: planned.seed as i64,
            title: spec.title.clone(),
            specialty: spec.specialty.clone(),
            difficulty: spec.difficulty.clone(),
            minutes: spec.minutes as i32,
            date_of_service: e.date_of_service,
            place_of_service: e.place_of_service.clone(),
            chart: json(&e.chart()),
            variables: json(&e.variables),
        },
        documents: e
            .documents
            .iter()
            .map(|d| NewDocument {
                kind: d.kind.clone(),
                title: d.title.clone(),
                body: d.text.clone(),
            })
            .collect(),
        key_body: json(&g.key),
    }
}

/// A stored JSON column. The types stored hold only strings, numbers and
/// dates, so serialization cannot fail.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Generates a plan and stores it under a run, `BATCH` encounters per
/// transaction, reporting progress after each batch. Encounters the cohort
/// already has are skipped; a seed that fails to render is logged and skipped.
pub fn store_plan(
    conn: &mut DbConn,
    library: &Library,
    run: &RunRow,
    plan: &[Planned<'_>],
    mut progress: impl FnMut(usize),
) -> StoreResult<BatchOutcome> {
    let window = library.window().unwrap_or((
        NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default(),
    ));
    let mut total = BatchOutcome::default();
    for chunk in plan.chunks(BATCH) {
        let rows: Vec<NewEncounter> = chunk
            .iter()
            .filter_map(|p| match p.scenario.generate(p.seed, window) {
                Ok(g) => Some(to_rows(&g, p)),
                Err(e) => {
                    tracing::error!(scenario = %p.scenario.spec.id, seed = p.seed, error = %e, "generation failed");
                    None
                }
            })
            .collect();
        let outcome = ehr::insert_batch(conn, run, &rows)?;
        total.created.extend(outcome.created);
        total.all.extend(outcome.all);
        total.skipped += outcome.skipped + (chunk.len() - rows.len());
        progress(chunk.len());
    }
    Ok(total)
}

pub(crate) async fn cohort_ref(state: &AppState, id: i64) -> AppResult<CohortRef> {
    let row = db(state, move |c| cohorts::find(c, id))
        .await
        .map_err(not_found("cohort"))?;
    Ok(CohortRef {
        id: row.id,
        program_id: row.program_id,
    })
}

/// A cohort the caller supervises or administers: 404 when they may not
/// know it, 403 when they may read it but not act on it.
pub(crate) async fn supervised_cohort(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
) -> AppResult<CohortRef> {
    let cohort = cohort_ref(state, cohort_id).await?;
    if !s.scope.can_supervise_charts(cohort) {
        return Err(if s.scope.can_read_charts(cohort) {
            AppError::Forbidden
        } else {
            AppError::NotFound("cohort")
        });
    }
    Ok(cohort)
}

/// Generates encounters for a cohort the caller supervises or administers.
pub async fn generate(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    input: GenerateInput,
) -> AppResult<GenerationView> {
    supervised_cohort(state, s, cohort_id).await?;
    if input.count > MAX_PER_REQUEST {
        return Err(Invalid::new(
            "count",
            format!(
                "at most {MAX_PER_REQUEST} per request; use `practicum generate` for bulk runs"
            ),
        )
        .into());
    }
    let seed = match input.seed {
        Some(seed) if seed > i64::MAX as u64 => {
            return Err(Invalid::new("seed", "must be below 2^63").into());
        }
        Some(seed) => seed,
        None => rand::random::<u64>() >> 1,
    };
    let req = GenerationRequest {
        scenarios: Vec::new(),
        count: input.count,
        areas: input.areas,
        difficulties: input.difficulties,
        seed,
    };
    // Validate before touching storage, so a bad request changes nothing.
    state.library.plan(&req)?;
    let library = state.library.clone();
    let by = s.user.id;
    let (run, outcome) = db(state, move |c| {
        let plan = library
            .plan(&req)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let run = ehr::open_run(
            c,
            &NewRun {
                cohort_id,
                requested_by: Some(by),
                seed: seed as i64,
                requested: req.count as i32,
                areas: req.areas.join(","),
                difficulties: req.difficulties.join(","),
            },
        )?;
        let outcome = store_plan(c, &library, &run, &plan, |_| {})?;
        Ok((run, outcome))
    })
    .await?;
    tracing::info!(
        cohort_id,
        run_id = run.id,
        created = outcome.created.len(),
        skipped = outcome.skipped,
        "encounters generated"
    );
    Ok(GenerationView {
        run_id: run.id,
        cohort_id,
        seed: run.seed,
        requested: run.requested,
        created: outcome.created.len() as i32,
        skipped: outcome.skipped as i32,
        encounter_ids: outcome.created,
        created_at: run.created_at,
    })
}

/// A cohort's generation runs, newest first.
pub async fn runs(state: &AppState, s: &Session, cohort_id: i64) -> AppResult<Vec<RunView>> {
    supervised_cohort(state, s, cohort_id).await?;
    let rows = db(state, move |c| ehr::runs(c, cohort_id, 20)).await?;
    Ok(rows.iter().map(RunView::from).collect())
}

/// The scenario library, for supervisors and program admins.
pub fn library(state: &AppState, s: &Session) -> AppResult<LibraryView> {
    use crate::practicum::accounts::Role;
    if s.scope.role == Role::Student {
        return Err(AppError::Forbidden);
    }
    let lib = &state.library;
    Ok(LibraryView {
        served: lib
            .all()
            .iter()
            .map(|sc| ScenarioSummary {
                id: sc.spec.id.clone(),
                version: sc.spec.version,
                title: sc.spec.title.clone(),
                specialty: sc.spec.specialty.clone(),
                difficulty: sc.spec.difficulty.clone(),
                place_of_service: sc.spec.pos.clone(),
                minutes: sc.spec.minutes,
                combinations: sc.combinations(),
                teaching_points: sc.spec.teaching_points.clone(),
            })
            .collect(),
        rejected: lib
            .rejected
            .iter()
            .map(|e| RejectedScenario {
                file: e.file.clone(),
                line: e.line,
                cause: e.cause.clone(),
            })
            .collect(),
        areas: lib.areas().into_iter().map(str::to_owned).collect(),
    })
}

// ---- reading ----------------------------------------------------------------

/// Cohorts whose charts the caller may read, narrowed to `only` if given.
async fn readable_cohorts(state: &AppState, s: &Session, only: Option<i64>) -> AppResult<Vec<i64>> {
    let mut ids: Vec<i64> = s.scope.cohorts.iter().map(|(id, _)| *id).collect();
    let admin_of = s.scope.admin_of.clone();
    if !admin_of.is_empty() {
        let more = db(state, move |c| {
            let mut all = Vec::new();
            for p in admin_of {
                all.extend(cohorts::list(c, p, None)?.into_iter().map(|r| r.id));
            }
            Ok(all)
        })
        .await?;
        ids.extend(more);
    }
    ids.sort_unstable();
    ids.dedup();
    match only {
        Some(c) if ids.contains(&c) => Ok(vec![c]),
        Some(_) => Err(AppError::NotFound("cohort")),
        None => Ok(ids),
    }
}

fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), Invalid> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Invalid::new("limit", "must be between 1 and 200"));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(Invalid::new("offset", "must not be negative"));
    }
    Ok((limit, offset))
}

/// Reads a birth date typed as YYYY-MM-DD or MM/DD/YYYY.
pub fn parse_birth_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%m/%d/%Y"))
        .ok()
}

/// Searches patients in the caller's cohorts.
pub async fn search_patients(
    state: &AppState,
    s: &Session,
    q: PatientQuery,
) -> AppResult<PatientPage> {
    let (limit, offset) = page(q.limit, q.offset)?;
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > 100) {
        return Err(Invalid::new("q", "must be at most 100 characters").into());
    }
    if text.is_some_and(|t| t.chars().any(char::is_control)) {
        return Err(Invalid::new("q", "must not contain control characters").into());
    }
    let cohorts = readable_cohorts(state, s, q.cohort).await?;
    let birth_date = text.and_then(parse_birth_date);
    let search = PatientSearch {
        cohorts,
        text: if birth_date.is_some() {
            None
        } else {
            text.map(str::to_owned)
        },
        birth_date,
        limit,
        offset,
    };
    let (rows, total) = db(state, move |c| ehr::search_patients(c, &search)).await?;
    Ok(PatientPage {
        items: rows
            .iter()
            .map(|r| PatientListItem {
                patient: PatientView::from_row(&r.patient),
                encounters: r.encounters,
                last_visit: r.last_visit,
            })
            .collect(),
        total,
        limit,
        offset,
    })
}

fn summary(state: &AppState, row: &EncounterRow) -> EncounterSummary {
    let chart: Option<Chart> = serde_json::from_str(&row.chart).ok();
    EncounterSummary {
        id: row.id,
        patient_id: row.patient_id,
        cohort_id: row.cohort_id,
        date_of_service: row.date_of_service,
        place_of_service: row.place_of_service.clone(),
        place_of_service_name: state
            .codes
            .places
            .get(&row.place_of_service)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        department: department(&row.specialty),
        provider: chart
            .map(|c| format!("{}, {}", c.provider.name, c.provider.credential))
            .unwrap_or_default(),
        minutes: row.minutes,
    }
}

async fn check_cohort(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    what: &'static str,
) -> AppResult<CohortRef> {
    let cohort = cohort_ref(state, cohort_id).await?;
    if !s.scope.can_read_charts(cohort) {
        return Err(AppError::NotFound(what));
    }
    Ok(cohort)
}

/// A patient's chart.
pub async fn patient_chart(state: &AppState, s: &Session, id: i64) -> AppResult<PatientChart> {
    let (patient, encounters) = db(state, move |c| {
        let p = ehr::patient(c, id)?;
        let e = ehr::encounters_of(c, id)?;
        Ok((p, e))
    })
    .await
    .map_err(not_found("patient"))?;
    check_cohort(state, s, patient.cohort_id, "patient").await?;
    Ok(PatientChart {
        patient: PatientView::from_row(&patient),
        encounters: encounters.iter().map(|e| summary(state, e)).collect(),
    })
}

/// Encounters in the caller's cohorts.
pub async fn list_encounters(
    state: &AppState,
    s: &Session,
    q: EncounterQuery,
) -> AppResult<EncounterPage> {
    let (limit, offset) = page(q.limit, q.offset)?;
    let cohorts = readable_cohorts(state, s, q.cohort).await?;
    let filter = EncounterFilter {
        cohorts,
        specialty: q.specialty.filter(|t| !t.is_empty()),
        difficulty: q.difficulty.filter(|t| !t.is_empty()),
        limit,
        offset,
    };
    let (rows, total) = db(state, move |c| ehr::list_encounters(c, &filter)).await?;
    Ok(EncounterPage {
        items: rows
            .iter()
            .map(|(e, p)| EncounterListItem {
                encounter: summary(state, e),
                patient: PatientView::from_row(p),
            })
            .collect(),
        total,
        limit,
        offset,
    })
}

fn document_view(d: &ehr::DocumentRow) -> DocumentView {
    DocumentView {
        id: d.id,
        encounter_id: d.encounter_id,
        kind: d.kind.clone(),
        kind_label: kind_label(&d.kind),
        title: d.title.clone(),
        body: d.body.clone(),
    }
}

fn to_values<T: Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap_or_default())
        .collect()
}

/// One encounter with its chart and documents; the supervision block only
/// for those who may see keys.
pub async fn encounter_detail(
    state: &AppState,
    s: &Session,
    id: i64,
) -> AppResult<EncounterDetail> {
    let ((row, patient), docs) = db(state, move |c| {
        let e = ehr::encounter(c, id)?;
        let d = ehr::documents_of(c, id)?;
        Ok((e, d))
    })
    .await
    .map_err(not_found("encounter"))?;
    let cohort = check_cohort(state, s, row.cohort_id, "encounter").await?;
    super::assignments::exam_gate(state, s, id).await?;
    let chart: Chart = serde_json::from_str(&row.chart).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "encounter {id}: stored chart unreadable: {e}"
        ))
    })?;
    let supervision = s
        .scope
        .can_supervise_charts(cohort)
        .then(|| SupervisorInfo {
            scenario_id: row.scenario_id.clone(),
            scenario_version: row.scenario_version,
            seed: row.seed,
            title: row.title.clone(),
            difficulty: row.difficulty.clone(),
            variables: serde_json::from_str(&row.variables).unwrap_or_default(),
            standing: chart.standing.clone(),
            run_id: row.run_id,
        });
    let documents: Vec<DocumentView> = docs.iter().map(document_view).collect();
    let view = EncounterView {
        encounter: summary(state, &row),
        patient: PatientView::from_row(&patient),
        age: age_on(patient.birth_date, row.date_of_service),
        payer: chart.payer.clone(),
        provider: serde_json::to_value(&chart.provider).unwrap_or_default(),
        vitals: serde_json::to_value(&chart.vitals).unwrap_or_default(),
        problems: chart.problems.clone(),
        medications: chart.medications.clone(),
        allergies: chart.allergies.clone(),
        results: to_values(&chart.results),
        visit_history: to_values(&chart.visit_history),
        documents: documents
            .iter()
            .map(|d| DocumentSummary {
                id: d.id,
                kind: d.kind.clone(),
                kind_label: d.kind_label.clone(),
                title: d.title.clone(),
            })
            .collect(),
        supervision,
    };
    Ok(EncounterDetail {
        view,
        chart,
        documents,
    })
}

/// One document.
pub async fn document(state: &AppState, s: &Session, id: i64) -> AppResult<DocumentView> {
    let (doc, (row, _)) = db(state, move |c| {
        let d = ehr::document(c, id)?;
        let e = ehr::encounter(c, d.encounter_id)?;
        Ok((d, e))
    })
    .await
    .map_err(not_found("document"))?;
    check_cohort(state, s, row.cohort_id, "document").await?;
    super::assignments::exam_gate(state, s, row.id).await?;
    Ok(document_view(&doc))
}

async fn key_access(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<(EncounterRow, PatientRow)> {
    let found = db(state, move |c| ehr::encounter(c, encounter_id))
        .await
        .map_err(not_found("encounter"))?;
    let cohort = check_cohort(state, s, found.0.cohort_id, "encounter").await?;
    if !s.scope.can_supervise_charts(cohort) {
        // Students know the encounter exists; the key is simply not theirs.
        return Err(AppError::Forbidden);
    }
    Ok(found)
}

fn key_view(k: &ehr::KeyRow) -> KeyVersionView {
    KeyVersionView {
        version: k.version,
        source: k.source.clone(),
        note: k.note.clone(),
        created_by: k.created_by,
        created_at: k.created_at,
        locked: k.approved_at.is_some(),
        approved_by: k.approved_by,
        approved_at: k.approved_at,
        key: serde_json::from_str(&k.body).unwrap_or_default(),
    }
}

/// Every key version of an encounter, oldest first (supervisors and admins).
pub async fn keys(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<Vec<KeyVersionView>> {
    key_access(state, s, encounter_id).await?;
    let rows = db(state, move |c| ehr::keys_of(c, encounter_id)).await?;
    Ok(rows.iter().map(key_view).collect())
}

/// Checks a supervisor's key against the code sets and builds the stored key.
pub fn build_key(
    codes: &crate::codes::CodeSets,
    input: &KeyInput,
    dos: NaiveDate,
    patient: KeyPatient,
) -> Result<AnswerKey, Invalid> {
    crate::practicum::required_text("note", &input.note, 500)?;
    if input.diagnoses.is_empty() || input.diagnoses.len() > 12 {
        return Err(Invalid::new("diagnoses", "list 1 to 12 diagnoses"));
    }
    if input.lines.is_empty() || input.lines.len() > 50 {
        return Err(Invalid::new("lines", "list 1 to 50 service lines"));
    }
    let mut diagnoses = Vec::new();
    let mut notes = Vec::new();
    for (i, d) in input.diagnoses.iter().enumerate() {
        let mut checked = Vec::new();
        for code in std::iter::once(&d.code).chain(&d.alternates) {
            let v = codes.validate_icd10cm(code, dos).map_err(|p| {
                Invalid::new(
                    "diagnoses",
                    format!(
                        "diagnosis {} ({code}): {}",
                        i + 1,
                        icd_problem_text(p.code())
                    ),
                )
            })?;
            checked.push(v.key.dotted());
        }
        if diagnoses.contains(&checked[0]) {
            return Err(Invalid::new(
                "diagnoses",
                format!("diagnosis {} ({}) is listed twice", i + 1, checked[0]),
            ));
        }
        diagnoses.push(checked[0].clone());
        notes.push(KeyDiagnosis {
            code: checked[0].clone(),
            alternates: checked[1..].to_vec(),
            rationale: d.rationale.trim().to_owned(),
            guideline: d.guideline.trim().to_owned(),
        });
    }
    let letters: Vec<String> = (0..diagnoses.len())
        .map(|i| char::from(b'A' + i as u8).to_string())
        .collect();
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let n = i + 1;
        let proc = codes.procedures.validate(&l.code, dos).map_err(|p| {
            Invalid::new(
                "lines",
                format!("line {n} ({}): {}", l.code, proc_problem_text(p.code())),
            )
        })?;
        for alt in &l.alternates {
            codes.procedures.validate(alt, dos).map_err(|p| {
                Invalid::new(
                    "lines",
                    format!("line {n} alternate {alt}: {}", proc_problem_text(p.code())),
                )
            })?;
        }
        if l.modifiers.len() > 4 {
            return Err(Invalid::new(
                "lines",
                format!("line {n}: at most 4 modifiers"),
            ));
        }
        let mut modifiers = Vec::new();
        for m in &l.modifiers {
            let m = m.trim().to_ascii_uppercase();
            codes.modifiers.fits(&m, proc).map_err(|e| {
                let why = match e {
                    crate::codes::modifiers::Misfit::Unknown => "not a known modifier".to_owned(),
                    crate::codes::modifiers::Misfit::Wrong(why) => why,
                };
                Invalid::new("lines", format!("line {n} modifier {m}: {why}"))
            })?;
            modifiers.push(m);
        }
        if !(1..=999).contains(&l.units) {
            return Err(Invalid::new(
                "lines",
                format!("line {n}: units must be 1 to 999"),
            ));
        }
        if l.pointers.is_empty() || l.pointers.len() > 4 {
            return Err(Invalid::new(
                "lines",
                format!("line {n}: give 1 to 4 diagnosis pointers"),
            ));
        }
        let mut pointers = Vec::new();
        for p in &l.pointers {
            let p = p.trim().to_ascii_uppercase();
            if !letters.contains(&p) {
                return Err(Invalid::new(
                    "lines",
                    format!(
                        "line {n}: pointer {p} does not point at a listed diagnosis (A–{})",
                        letters.last().map_or("A", |s| s)
                    ),
                ));
            }
            pointers.push(p);
        }
        lines.push(KeyLine {
            code: proc.code.to_string(),
            modifiers,
            units: l.units,
            pointers,
            pos: String::new(),
            alternates: l
                .alternates
                .iter()
                .map(|a| a.trim().to_ascii_uppercase())
                .collect(),
            rationale: l.rationale.trim().to_owned(),
            guideline: l.guideline.trim().to_owned(),
        });
    }
    Ok(AnswerKey {
        date_of_service: dos,
        patient,
        diagnoses,
        lines,
        diagnosis_notes: notes,
    })
}

/// Plain words for an ICD-10-CM validation problem.
pub fn icd_problem_text(code: &str) -> &'static str {
    match code {
        "malformed" => "not shaped like an ICD-10-CM code",
        "unknown" => "not in the ICD-10-CM release",
        "header" => "a category header; report a more specific code under it",
        "missing_seventh" => "needs a 7th character",
        "invalid_seventh" => "that 7th character is not allowed for this code",
        "not_effective" => "not in effect on the date of service",
        _ => "not a reportable code",
    }
}

/// Plain words for a CPT/HCPCS validation problem.
pub fn proc_problem_text(code: &str) -> &'static str {
    match code {
        "malformed" => "not shaped like a CPT or HCPCS code",
        "unknown" => "not in the loaded CPT/HCPCS table",
        "not_effective" => "not in effect on the date of service",
        _ => "not a reportable code",
    }
}

/// Stores a supervisor-authored key version.
pub async fn add_key(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    input: KeyInput,
) -> AppResult<KeyVersionView> {
    let (row, patient) = key_access(state, s, encounter_id).await?;
    let mut key = build_key(
        &state.codes,
        &input,
        row.date_of_service,
        KeyPatient {
            sex: patient.sex.clone(),
            birth_date: patient.birth_date,
        },
    )?;
    for l in &mut key.lines {
        l.pos = row.place_of_service.clone();
    }
    let body = serde_json::to_string(&key)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("key serialization: {e}")))?;
    let note = input.note.trim().to_owned();
    let by = s.user.id;
    let base = input.base_version;
    let program_id = cohort_ref(state, row.cohort_id).await?.program_id;
    let audit = super::audit_entry(
        s,
        Some(program_id),
        "key.edit",
        "answer_key",
        Some(encounter_id),
        Some(serde_json::json!({"version": base})),
        serde_json::from_str(&body).ok(),
    );
    let stored = db(state, move |c| {
        ehr::add_key(c, encounter_id, base, &body, &note, by, audit)
    })
    .await?
    .map_err(key_refusal)?;
    tracing::info!(
        encounter_id,
        version = stored.version,
        by,
        "answer key version added"
    );
    Ok(key_view(&stored))
}

/// Words for a refused key change.
fn key_refusal(r: ehr::KeyRefusal) -> AppError {
    let (message, field) = match r {
        ehr::KeyRefusal::Stale => (
            "a newer key version was saved since you started editing; reload it and apply your change again",
            "base_version",
        ),
        ehr::KeyRefusal::Locked => (
            "the newest key version is approved and locked; unlock it before editing",
            "base_version",
        ),
        ehr::KeyRefusal::NotNewest => (
            "only the newest key version can be approved or unlocked",
            "version",
        ),
    };
    AppError::Conflict {
        message: message.into(),
        field: Some(field.into()),
    }
}

/// Approves and locks the newest key version, or unlocks it (supervisors of
/// the cohort); both are audited.
pub async fn set_key_lock(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
    version: i32,
    locked: bool,
) -> AppResult<KeyVersionView> {
    let (row, _) = key_access(state, s, encounter_id).await?;
    let program_id = cohort_ref(state, row.cohort_id).await?.program_id;
    let by = s.user.id;
    let audit = super::audit_entry(
        s,
        Some(program_id),
        if locked { "key.approve" } else { "key.unlock" },
        "answer_key",
        Some(encounter_id),
        Some(serde_json::json!({"version": version, "locked": !locked})),
        Some(serde_json::json!({"version": version, "locked": locked})),
    );
    let row = db(state, move |c| {
        ehr::set_key_lock(c, encounter_id, version, locked.then_some(by), audit)
    })
    .await
    .map_err(not_found("key version"))?
    .map_err(key_refusal)?;
    Ok(key_view(&row))
}

/// Encounters in a cohort (for the supervisor's cohort page).
pub async fn cohort_encounter_count(state: &AppState, cohort_id: i64) -> AppResult<i64> {
    db(state, move |c| ehr::count_encounters(c, cohort_id)).await
}
