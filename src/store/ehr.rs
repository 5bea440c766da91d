//! The mock EHR's records: generation runs, synthetic patients, encounters,
//! their documents and versioned answer keys.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{answer_keys, documents, encounters, generation_runs, patients};
use super::{DbConn, StoreError, StoreResult, lock_id, now, with_conn, write_tx, write_tx_locked};

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(x: Text) -> Text;
}

/// A stored generation run.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = generation_runs, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RunRow {
    pub id: i64,
    pub cohort_id: i64,
    pub requested_by: Option<i64>,
    pub seed: i64,
    pub requested: i32,
    pub created: i32,
    pub areas: String,
    pub difficulties: String,
    pub created_at: NaiveDateTime,
}

/// A stored synthetic patient.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = patients, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PatientRow {
    pub id: i64,
    pub cohort_id: i64,
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub demographics: String,
    pub created_at: NaiveDateTime,
}

/// A stored encounter.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = encounters, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EncounterRow {
    pub id: i64,
    pub patient_id: i64,
    pub cohort_id: i64,
    pub run_id: Option<i64>,
    pub scenario_id: String,
    pub scenario_version: i32,
    pub seed: i64,
    pub title: String,
    pub specialty: String,
    pub difficulty: String,
    pub minutes: i32,
    pub date_of_service: NaiveDate,
    pub place_of_service: String,
    pub chart: String,
    pub variables: String,
    pub created_at: NaiveDateTime,
}

/// A stored clinical document.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DocumentRow {
    pub id: i64,
    pub encounter_id: i64,
    pub position: i32,
    pub kind: String,
    pub title: String,
    pub body: String,
}

/// A stored answer-key version.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = answer_keys, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct KeyRow {
    pub id: i64,
    pub encounter_id: i64,
    pub version: i32,
    pub source: String,
    pub body: String,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Set when a supervisor approved (and so locked) this version.
    pub approved_by: Option<i64>,
    pub approved_at: Option<NaiveDateTime>,
}

/// A patient to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = patients)]
pub struct NewPatient {
    pub mrn: String,
    pub family_name: String,
    pub given_name: String,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub demographics: String,
}

/// An encounter's own columns to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = encounters)]
pub struct NewEncounterFields {
    pub scenario_id: String,
    pub scenario_version: i32,
    pub seed: i64,
    pub title: String,
    pub specialty: String,
    pub difficulty: String,
    pub minutes: i32,
    pub date_of_service: NaiveDate,
    pub place_of_service: String,
    pub chart: String,
    pub variables: String,
}

/// A document to store.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub kind: String,
    pub title: String,
    pub body: String,
}

/// A generated encounter with its patient, documents and first key.
#[derive(Debug, Clone)]
pub struct NewEncounter {
    pub patient: NewPatient,
    pub encounter: NewEncounterFields,
    pub documents: Vec<NewDocument>,
    pub key_body: String,
}

/// A run to open.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub cohort_id: i64,
    pub requested_by: Option<i64>,
    pub seed: i64,
    pub requested: i32,
    pub areas: String,
    pub difficulties: String,
}

/// What storing a batch did.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Ids of the encounters created.
    pub created: Vec<i64>,
    /// Encounters already in the cohort (same scenario, version and seed).
    pub skipped: usize,
    /// Every stored encounter of the batch, created or already there, in
    /// plan order.
    pub all: Vec<i64>,
}

/// Opens a generation run.
pub fn open_run(conn: &mut DbConn, run: &NewRun) -> StoreResult<RunRow> {
    let at = now();
    write_tx!(conn, c => {
        Ok(diesel::insert_into(generation_runs::table)
            .values((
                generation_runs::cohort_id.eq(run.cohort_id),
                generation_runs::requested_by.eq(run.requested_by),
                generation_runs::seed.eq(run.seed),
                generation_runs::requested.eq(run.requested),
                generation_runs::created.eq(0),
                generation_runs::areas.eq(&run.areas),
                generation_runs::difficulties.eq(&run.difficulties),
                generation_runs::created_at.eq(at),
            ))
            .returning(RunRow::as_returning())
            .get_result(c)?)
    })
}

/// Stores a batch of generated encounters in one transaction, skipping those
/// the cohort already has, and counts them on the run.
pub fn insert_batch(
    conn: &mut DbConn,
    run: &RunRow,
    batch: &[NewEncounter],
) -> StoreResult<BatchOutcome> {
    let at = now();
    write_tx!(conn, c => {
        let mut outcome = BatchOutcome::default();
        for item in batch {
            let e = &item.encounter;
            let existing: Option<i64> = encounters::table
                .filter(encounters::cohort_id.eq(run.cohort_id))
                .filter(encounters::scenario_id.eq(&e.scenario_id))
                .filter(encounters::scenario_version.eq(e.scenario_version))
                .filter(encounters::seed.eq(e.seed))
                .select(encounters::id)
                .first(c)
                .optional()?;
            if let Some(id) = existing {
                outcome.skipped += 1;
                outcome.all.push(id);
                continue;
            }
            let patient_id: i64 = diesel::insert_into(patients::table)
                .values((
                    patients::cohort_id.eq(run.cohort_id),
                    &item.patient,
                    patients::created_at.eq(at),
                ))
                .returning(patients::id)
                .get_result(c)?;
            let encounter_id: i64 = diesel::insert_into(encounters::table)
                .values((
                    encounters::patient_id.eq(patient_id),
                    encounters::cohort_id.eq(run.cohort_id),
                    encounters::run_id.eq(Some(run.id)),
                    e,
                    encounters::created_at.eq(at),
                ))
                .returning(encounters::id)
                .get_result(c)?;
            let docs: Vec<_> = item
                .documents
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    (
                        documents::encounter_id.eq(encounter_id),
                        documents::position.eq(i as i32),
                        documents::kind.eq(&d.kind),
                        documents::title.eq(&d.title),
                        documents::body.eq(&d.body),
                    )
                })
                .collect();
            diesel::insert_into(documents::table).values(docs).execute(c)?;
            diesel::insert_into(answer_keys::table)
                .values((
                    answer_keys::encounter_id.eq(encounter_id),
                    answer_keys::version.eq(1),
                    answer_keys::source.eq("generated"),
                    answer_keys::body.eq(&item.key_body),
                    answer_keys::note.eq("Derived from the scenario's rules when the encounter was generated."),
                    answer_keys::created_by.eq(None::<i64>),
                    answer_keys::created_at.eq(at),
                ))
                .execute(c)?;
            outcome.created.push(encounter_id);
            outcome.all.push(encounter_id);
        }
        diesel::update(generation_runs::table.find(run.id))
            .set(generation_runs::created.eq(generation_runs::created + outcome.created.len() as i32))
            .execute(c)?;
        Ok(outcome)
    })
}

/// The runs of a cohort, newest first.
pub fn runs(conn: &mut DbConn, cohort_id: i64, limit: i64) -> StoreResult<Vec<RunRow>> {
    Ok(with_conn!(conn, c => generation_runs::table
        .filter(generation_runs::cohort_id.eq(cohort_id))
        .order(generation_runs::id.desc())
        .limit(limit)
        .select(RunRow::as_select())
        .load(c))?)
}

/// A patient search over some cohorts.
#[derive(Debug, Clone, Default)]
pub struct PatientSearch {
    pub cohorts: Vec<i64>,
    /// Name (family or given, prefix), MRN (prefix) or birth date.
    pub text: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub limit: i64,
    pub offset: i64,
}

/// A patient with their encounter count and last date of service.
#[derive(Debug, Clone)]
pub struct PatientListed {
    pub patient: PatientRow,
    pub encounters: i64,
    pub last_visit: Option<NaiveDate>,
}

/// Patients matching a search, by name; with the total matching.
pub fn search_patients(
    conn: &mut DbConn,
    q: &PatientSearch,
) -> StoreResult<(Vec<PatientListed>, i64)> {
    with_conn!(conn, c => {
        let filtered = || {
            let mut query = patients::table
                .filter(patients::cohort_id.eq_any(q.cohorts.clone()))
                .into_boxed();
            if let Some(text) = q.text.as_deref() {
                let like = format!("{}%", escape_like(&text.to_lowercase()));
                query = query.filter(
                    lower(patients::family_name)
                        .like(like.clone())
                        .escape('\\')
                        .or(lower(patients::given_name).like(like.clone()).escape('\\'))
                        .or(lower(patients::mrn).like(like.clone()).escape('\\'))
                        .or(lower(patients::mrn)
                            .like(format!("syn-{like}"))
                            .escape('\\')),
                );
            }
            if let Some(d) = q.birth_date {
                query = query.filter(patients::birth_date.eq(d));
            }
            query
        };
        let total: i64 = filtered().count().get_result(c)?;
        let rows: Vec<PatientRow> = filtered()
            .order((patients::family_name, patients::given_name, patients::id))
            .limit(q.limit)
            .offset(q.offset)
            .select(PatientRow::as_select())
            .load(c)?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let stats: Vec<(i64, i64, Option<NaiveDate>)> = encounters::table
            .filter(encounters::patient_id.eq_any(ids))
            .group_by(encounters::patient_id)
            .select((
                encounters::patient_id,
                diesel::dsl::count_star(),
                diesel::dsl::max(encounters::date_of_service),
            ))
            .load(c)?;
        let listed = rows
            .into_iter()
            .map(|p| {
                let s = stats.iter().find(|s| s.0 == p.id);
                PatientListed {
                    encounters: s.map_or(0, |s| s.1),
                    last_visit: s.and_then(|s| s.2),
                    patient: p,
                }
            })
            .collect();
        Ok((listed, total))
    })
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One patient.
pub fn patient(conn: &mut DbConn, id: i64) -> StoreResult<PatientRow> {
    Ok(with_conn!(conn, c => patients::table.find(id).select(PatientRow::as_select()).first(c))?)
}

/// A patient's encounters, newest first.
pub fn encounters_of(conn: &mut DbConn, patient_id: i64) -> StoreResult<Vec<EncounterRow>> {
    Ok(with_conn!(conn, c => encounters::table
        .filter(encounters::patient_id.eq(patient_id))
        .order((encounters::date_of_service.desc(), encounters::id.desc()))
        .select(EncounterRow::as_select())
        .load(c))?)
}

/// An encounter list over some cohorts.
#[derive(Debug, Clone, Default)]
pub struct EncounterFilter {
    pub cohorts: Vec<i64>,
    pub specialty: Option<String>,
    pub difficulty: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Encounters matching a filter, newest date of service first, each with its
/// patient; with the total matching.
pub fn list_encounters(
    conn: &mut DbConn,
    f: &EncounterFilter,
) -> StoreResult<(Vec<(EncounterRow, PatientRow)>, i64)> {
    with_conn!(conn, c => {
        let filtered = || {
            let mut q = encounters::table
                .inner_join(patients::table)
                .filter(encounters::cohort_id.eq_any(f.cohorts.clone()))
                .into_boxed();
            if let Some(s) = &f.specialty {
                q = q.filter(encounters::specialty.eq(s.clone()));
            }
            if let Some(d) = &f.difficulty {
                q = q.filter(encounters::difficulty.eq(d.clone()));
            }
            q
        };
        let total: i64 = filtered().count().get_result(c)?;
        let rows = filtered()
            .order((encounters::date_of_service.desc(), encounters::id.desc()))
            .limit(f.limit)
            .offset(f.offset)
            .select((EncounterRow::as_select(), PatientRow::as_select()))
            .load(c)?;
        Ok((rows, total))
    })
}

/// Encounters per cohort.
pub fn count_encounters(conn: &mut DbConn, cohort_id: i64) -> StoreResult<i64> {
    Ok(with_conn!(conn, c => encounters::table
        .filter(encounters::cohort_id.eq(cohort_id))
        .count()
        .get_result(c))?)
}

/// One encounter with its patient.
pub fn encounter(conn: &mut DbConn, id: i64) -> StoreResult<(EncounterRow, PatientRow)> {
    Ok(with_conn!(conn, c => encounters::table
        .find(id)
        .inner_join(patients::table)
        .select((EncounterRow::as_select(), PatientRow::as_select()))
        .first(c))?)
}

/// An encounter's documents, in order.
pub fn documents_of(conn: &mut DbConn, encounter_id: i64) -> StoreResult<Vec<DocumentRow>> {
    Ok(with_conn!(conn, c => documents::table
        .filter(documents::encounter_id.eq(encounter_id))
        .order(documents::position)
        .select(DocumentRow::as_select())
        .load(c))?)
}

/// One document.
pub fn document(conn: &mut DbConn, id: i64) -> StoreResult<DocumentRow> {
    Ok(with_conn!(conn, c => documents::table.find(id).select(DocumentRow::as_select()).first(c))?)
}

/// Every key version of an encounter, oldest first.
pub fn keys_of(conn: &mut DbConn, encounter_id: i64) -> StoreResult<Vec<KeyRow>> {
    Ok(with_conn!(conn, c => answer_keys::table
        .filter(answer_keys::encounter_id.eq(encounter_id))
        .order(answer_keys::version)
        .select(KeyRow::as_select())
        .load(c))?)
}

/// Adds a supervisor-authored key version after the newest one.
/// Why a key change was refused (nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// A newer version exists than the one the edit started from.
    Stale,
    /// The newest version is approved and locked.
    Locked,
    /// Only the newest version can be approved or unlocked.
    NotNewest,
}

/// Adds a key version on top of `base_version` (optimistic locking).
pub fn add_key(
    conn: &mut DbConn,
    encounter_id: i64,
    base_version: i32,
    body: &str,
    note: &str,
    by: i64,
    audit: super::audit::NewAudit,
) -> StoreResult<Result<KeyRow, KeyRefusal>> {
    let at = now();
    let lock = lock_id("answer-key", &[encounter_id]);
    write_tx_locked!(conn, lock, c => {
        let newest: Option<KeyRow> = answer_keys::table
            .filter(answer_keys::encounter_id.eq(encounter_id))
            .order(answer_keys::version.desc())
            .select(KeyRow::as_select())
            .first(c)
            .optional()?;
        let newest_version = newest.as_ref().map_or(0, |k| k.version);
        if newest_version != base_version {
            return Ok(Err(KeyRefusal::Stale));
        }
        if newest.is_some_and(|k| k.approved_at.is_some()) {
            return Ok(Err(KeyRefusal::Locked));
        }
        let row = diesel::insert_into(answer_keys::table)
            .values((
                answer_keys::encounter_id.eq(encounter_id),
                answer_keys::version.eq(newest_version + 1),
                answer_keys::source.eq("supervisor"),
                answer_keys::body.eq(body),
                answer_keys::note.eq(note),
                answer_keys::created_by.eq(Some(by)),
                answer_keys::created_at.eq(at),
            ))
            .returning(KeyRow::as_returning())
            .get_result(c)?;
        super::audit::record_audit!(c, &super::audit::NewAudit { at, ..audit })?;
        Ok(Ok(row))
    })
}

/// Approves (locks) or unlocks the newest key version of an encounter.
pub fn set_key_lock(
    conn: &mut DbConn,
    encounter_id: i64,
    version: i32,
    approved_by: Option<i64>,
    audit: super::audit::NewAudit,
) -> StoreResult<Result<KeyRow, KeyRefusal>> {
    let at = now();
    let lock = lock_id("answer-key", &[encounter_id]);
    write_tx_locked!(conn, lock, c => {
        let newest: KeyRow = answer_keys::table
            .filter(answer_keys::encounter_id.eq(encounter_id))
            .order(answer_keys::version.desc())
            .select(KeyRow::as_select())
            .first(c)?;
        if version > newest.version || version < 1 {
            return Err(StoreError::NotFound);
        }
        if newest.version != version {
            return Ok(Err(KeyRefusal::NotNewest));
        }
        let row = diesel::update(answer_keys::table.find(newest.id))
            .set((
                answer_keys::approved_by.eq(approved_by),
                answer_keys::approved_at.eq(approved_by.map(|_| at)),
            ))
            .returning(KeyRow::as_returning())
            .get_result(c)?;
        super::audit::record_audit!(c, &super::audit::NewAudit { at, ..audit })?;
        Ok(Ok(row))
    })
}
