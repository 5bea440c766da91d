//! PPE hours: time on task measured from opening an encounter for coding to
//! submitting it, kept honest by heartbeats; manual entries; approval,
//! reversing entries and sign-off; the site log accredited programs keep.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sessions::Session;
use super::{AppState, audit_entry, db, not_found};
use crate::error::{AppError, AppResult};
use crate::practicum::access::CohortRef;
use crate::practicum::accounts::Role;
use crate::practicum::grading::Grading;
use crate::practicum::hours::{
    self as rules, EntryKind, ManualEntry, SignedPeriod, Status, TimePolicy,
};
use crate::store::claims::{ScoreRow, SubmissionRow};
use crate::store::ehr::EncounterRow;
use crate::store::hours::{self as store, EntryRow, NewEntry, NewSignoff, SignoffRow};
use crate::store::programs::ProgramRow;
use crate::store::{StoreError, cohorts, users};

fn session_of(row: &store::SessionRow) -> rules::Session {
    rules::Session {
        opened_at: row.opened_at,
        last_seen_at: row.last_seen_at,
        active_seconds: row.active_seconds.max(0) as u32,
        beats: row.beats.max(0) as u32,
    }
}

fn status_of(raw: &str) -> Status {
    match raw {
        "approved" => Status::Approved,
        "rejected" => Status::Rejected,
        _ => Status::Pending,
    }
}

fn kind_of(raw: &str) -> EntryKind {
    match raw {
        "manual" => EntryKind::Manual,
        "reversal" => EntryKind::Reversal,
        _ => EntryKind::Coding,
    }
}

/// Opens (or keeps) the student's coding session when the workspace opens.
pub async fn open_for_coding(state: &AppState, s: &Session, encounter_id: i64) -> AppResult<()> {
    if s.scope.role != Role::Student {
        return Ok(());
    }
    let student = s.user.id;
    let now = crate::store::now();
    db(state, move |c| {
        store::start_session(c, encounter_id, student, now)
    })
    .await?;
    Ok(())
}

/// Time on task so far in the open session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeartbeatView {
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub opened_at: NaiveDateTime,
    pub active_seconds: i32,
    pub beats: i32,
}

/// A heartbeat from the coding page while the student is active.
pub async fn heartbeat(
    state: &AppState,
    s: &Session,
    encounter_id: i64,
) -> AppResult<HeartbeatView> {
    super::claims::encounter_access(state, s, encounter_id).await?;
    if s.scope.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    let student = s.user.id;
    let now = crate::store::now();
    let policy = TimePolicy::default();
    let (row, elsewhere) = db(state, move |c| {
        let row = store::start_session(c, encounter_id, student, now)?;
        let elsewhere = store::active_elsewhere(c, student, encounter_id, row.last_seen_at)?;
        Ok((row, elsewhere))
    })
    .await?;
    // Time is counted once: if another encounter's page beat since this one
    // last did, the gap was spent there, so this beat only keeps the session
    // alive (two tabs do not double the hours).
    let mut next = session_of(&row).beat(now, &policy);
    if elsewhere {
        next.active_seconds = session_of(&row).active_seconds;
    }
    let (id, active, beats) = (
        row.id,
        i32::try_from(next.active_seconds).unwrap_or(i32::MAX),
        i32::try_from(next.beats).unwrap_or(i32::MAX),
    );
    db(state, move |c| {
        store::update_session(c, id, next.last_seen_at, active, beats)
    })
    .await?;
    Ok(HeartbeatView {
        opened_at: row.opened_at,
        active_seconds: active,
        beats,
    })
}

/// Closes the student's coding session on an encounter and logs its time:
/// pending, or approved at once when the program's auto-approval rule holds.
pub(crate) async fn close_session(
    state: &AppState,
    program: &ProgramRow,
    encounter: &EncounterRow,
    sub: &SubmissionRow,
    score: &ScoreRow,
    feedback_released: bool,
) -> AppResult<()> {
    let (encounter_id, student) = (sub.encounter_id, sub.student_id);
    let Some(open) = db(state, move |c| {
        store::open_session(c, encounter_id, student)
    })
    .await?
    else {
        // Submitted without opening the workspace (an API client): no time to log.
        return Ok(());
    };
    let now = crate::store::now();
    let minutes = rules::credited_minutes(
        &session_of(&open),
        now,
        encounter.minutes.max(0) as u32,
        &TimePolicy::default(),
    );
    let grading = Grading::from_stored(&program.grading);
    // While an exam withholds the score, an automatic approval would give it
    // away: the entry waits for a supervisor instead.
    let status = if feedback_released {
        rules::initial_status(grading.auto_approve_hours_at, score.total)
    } else {
        Status::Pending
    };
    let entry = NewEntry {
        student_id: student,
        cohort_id: encounter.cohort_id,
        kind: EntryKind::Coding.as_str().into(),
        work_date: now.date(),
        activity: format!(
            "Coded encounter of {} ({}), claim version {}",
            encounter.date_of_service.format("%m/%d/%Y"),
            super::ehr::department(&encounter.specialty),
            sub.version
        ),
        minutes: minutes as i32,
        reason: String::new(),
        encounter_id: Some(encounter_id),
        submission_id: Some(sub.id),
        reverses_id: None,
        status: status.as_str().into(),
        decided_by: None,
        decided_at: (status == Status::Approved).then_some(now),
        created_by: Some(student),
        created_at: now,
    };
    let session_id = open.id;
    db(state, move |c| {
        store::close_session(c, session_id, now, &entry)
    })
    .await?;
    Ok(())
}

/// One row of the site log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub work_date: NaiveDate,
    /// `coding`, `manual` or `reversal`.
    pub kind: String,
    pub activity: String,
    pub minutes: i32,
    /// `H:MM` (negative for a reversal).
    pub time: String,
    pub reason: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Approved by the program's rule rather than a person.
    pub auto_approved: bool,
    pub encounter_id: Option<i64>,
    pub submission_id: Option<i64>,
    pub reverses_id: Option<i64>,
    /// Who decided, with credential, as the log shows it.
    pub supervisor: Option<String>,
    #[serde(serialize_with = "crate::service::views::utc::opt")]
    pub decided_at: Option<NaiveDateTime>,
    /// Inside a signed-off period: it never changes again.
    pub signed_off: bool,
}

/// A supervisor's attestation over a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignoffView {
    pub id: i64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub supervisor: String,
    pub attestation: String,
    pub approved_minutes: i32,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub signed_at: NaiveDateTime,
}

/// A student's site log in a cohort.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteLog {
    pub student_id: i64,
    pub student_name: String,
    pub cohort_id: i64,
    pub required_minutes: i64,
    pub approved_minutes: i64,
    pub pending_minutes: i64,
    pub entries: Vec<EntryView>,
    pub signoffs: Vec<SignoffView>,
}

async fn cohort_access(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
) -> AppResult<(CohortRef, bool)> {
    let cohort = super::ehr::cohort_ref(state, cohort_id).await?;
    if !s.scope.can_read_charts(cohort) {
        return Err(AppError::NotFound("cohort"));
    }
    let staff = s.scope.can_supervise_charts(cohort);
    if !staff && student_id != s.user.id {
        return Err(AppError::NotFound("student"));
    }
    Ok((cohort, staff))
}

/// 404 unless the account is enrolled in the cohort as a student.
async fn require_student_of(state: &AppState, cohort_id: i64, student_id: i64) -> AppResult<()> {
    let enrolled = db(state, move |c| {
        Ok(cohorts::roster(c, cohort_id)?
            .iter()
            .any(|(e, _)| e.user_id == student_id && e.role == "student"))
    })
    .await?;
    if enrolled {
        Ok(())
    } else {
        Err(AppError::NotFound("student"))
    }
}

/// A name as the site log shows it: with the credential after a comma.
fn with_credential(name: &str, credential: Option<&str>) -> String {
    match credential {
        Some(c) if !c.is_empty() => format!("{name}, {c}"),
        _ => name.to_owned(),
    }
}

fn person(u: &users::UserRow) -> String {
    with_credential(&u.display_name, u.credential.as_deref())
}

fn periods(rows: &[SignoffRow]) -> Vec<SignedPeriod> {
    rows.iter()
        .map(|r| SignedPeriod {
            start: r.period_start,
            end: r.period_end,
        })
        .collect()
}

/// The site log: date, activity, minutes, supervisor and credential, status.
pub async fn site_log(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
) -> AppResult<SiteLog> {
    let (cohort, _) = cohort_access(state, s, cohort_id, student_id).await?;
    let program_id = cohort.program_id;
    let (student, entries, signoffs, program, people) = db(state, move |c| {
        let student = users::find(c, student_id)?;
        let enrolled = cohorts::roster(c, cohort_id)?
            .iter()
            .any(|(e, _)| e.user_id == student_id && e.role == "student");
        if !enrolled {
            return Err(StoreError::NotFound);
        }
        let entries = store::log(c, student_id, cohort_id)?;
        let signoffs = store::signoffs(c, student_id, cohort_id)?;
        let program = crate::store::programs::find(c, program_id)?;
        let mut people = std::collections::HashMap::new();
        for id in entries
            .iter()
            .filter_map(|e| e.decided_by)
            .chain(signoffs.iter().map(|s| s.supervisor_id))
        {
            if let std::collections::hash_map::Entry::Vacant(v) = people.entry(id) {
                v.insert(person(&users::find(c, id)?));
            }
        }
        Ok((student, entries, signoffs, program, people))
    })
    .await
    .map_err(not_found("student"))?;
    let frozen = periods(&signoffs);
    let totals = rules::totals(entries.iter().map(|e| (status_of(&e.status), e.minutes)));
    Ok(SiteLog {
        student_id,
        student_name: student.display_name.clone(),
        cohort_id,
        required_minutes: i64::from(program.ppe_hours_required) * 60,
        approved_minutes: totals.approved,
        pending_minutes: totals.pending,
        entries: entries
            .iter()
            .map(|e| {
                entry_view(
                    e,
                    e.decided_by.and_then(|id| people.get(&id).cloned()),
                    rules::is_frozen(e.work_date, &frozen),
                )
            })
            .collect(),
        signoffs: signoffs
            .iter()
            .map(|r| SignoffView {
                id: r.id,
                period_start: r.period_start,
                period_end: r.period_end,
                supervisor: people.get(&r.supervisor_id).cloned().unwrap_or_default(),
                attestation: r.attestation.clone(),
                approved_minutes: r.approved_minutes,
                signed_at: r.signed_at,
            })
            .collect(),
    })
}

/// A manual entry (orientation, a review session) with its reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualInput {
    pub work_date: NaiveDate,
    pub minutes: u32,
    pub activity: String,
    pub reason: String,
}

/// Adds a manual entry: pending when a student logs it, approved when the
/// supervisor logs it for the student.
pub async fn add_manual(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
    input: ManualInput,
) -> AppResult<EntryView> {
    let (cohort, staff) = cohort_access(state, s, cohort_id, student_id).await?;
    require_student_of(state, cohort_id, student_id).await?;
    let term_start = db(state, move |c| cohorts::find(c, cohort_id))
        .await?
        .term_start;
    let now = crate::store::now();
    let checked = rules::check_manual(
        &ManualEntry {
            work_date: input.work_date,
            minutes: input.minutes,
            activity: input.activity,
            reason: input.reason,
        },
        now.date(),
        Some(term_start),
    )?;
    let signoffs = db(state, move |c| store::signoffs(c, student_id, cohort_id)).await?;
    if let Some(p) = periods(&signoffs)
        .iter()
        .find(|p| p.contains(checked.work_date))
    {
        return Err(AppError::Conflict {
            message: rules::Refusal::Frozen { period: *p }.message(),
            field: Some("work_date".into()),
        });
    }
    let status = if staff {
        Status::Approved
    } else {
        Status::Pending
    };
    let entry = NewEntry {
        student_id,
        cohort_id,
        kind: EntryKind::Manual.as_str().into(),
        work_date: checked.work_date,
        activity: checked.activity.clone(),
        minutes: checked.minutes as i32,
        reason: checked.reason.clone(),
        encounter_id: None,
        submission_id: None,
        reverses_id: None,
        status: status.as_str().into(),
        decided_by: staff.then_some(s.user.id),
        decided_at: staff.then_some(now),
        created_by: Some(s.user.id),
        created_at: now,
    };
    let audit = audit_entry(
        s,
        Some(cohort.program_id),
        "hours.manual",
        "hour_entry",
        None,
        None,
        Some(
            serde_json::json!({"student_id": student_id, "work_date": checked.work_date, "minutes": checked.minutes, "activity": checked.activity, "status": status.as_str()}),
        ),
    );
    let row = db(state, move |c| store::add_entry(c, &entry, audit))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::Conflict {
                message: "this date was just signed off; add a reversing entry instead".into(),
                field: Some("work_date".into()),
            },
            other => other,
        })?;
    Ok(entry_view(&row, staff.then(|| person_of_session(s)), false))
}

fn person_of_session(s: &Session) -> String {
    with_credential(&s.user.display_name, s.user.credential.as_deref())
}

fn entry_view(e: &EntryRow, supervisor: Option<String>, signed_off: bool) -> EntryView {
    EntryView {
        id: e.id,
        work_date: e.work_date,
        kind: e.kind.clone(),
        activity: e.activity.clone(),
        minutes: e.minutes,
        time: rules::format_minutes(i64::from(e.minutes)),
        reason: e.reason.clone(),
        status: e.status.clone(),
        auto_approved: e.status == "approved" && e.decided_by.is_none(),
        encounter_id: e.encounter_id,
        submission_id: e.submission_id,
        reverses_id: e.reverses_id,
        supervisor,
        decided_at: e.decided_at,
        signed_off,
    }
}

/// An entry the caller supervises, with its cohort.
async fn supervised_entry(
    state: &AppState,
    s: &Session,
    id: i64,
) -> AppResult<(EntryRow, CohortRef)> {
    let e = db(state, move |c| store::entry(c, id))
        .await
        .map_err(not_found("hour entry"))?;
    let cohort = super::ehr::cohort_ref(state, e.cohort_id).await?;
    if !s.scope.can_supervise_charts(cohort) {
        return Err(
            if s.scope.can_read_charts(cohort) && e.student_id == s.user.id {
                AppError::Forbidden
            } else {
                AppError::NotFound("hour entry")
            },
        );
    }
    Ok((e, cohort))
}

/// A supervisor's decision on a pending entry.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `approved` or `rejected`.
    pub status: String,
}

/// Approves or rejects a pending entry outside any signed period.
pub async fn decide(
    state: &AppState,
    s: &Session,
    id: i64,
    input: DecisionInput,
) -> AppResult<EntryView> {
    let (e, cohort) = supervised_entry(state, s, id).await?;
    let status = match Status::parse("status", &input.status)? {
        Status::Pending => {
            return Err(crate::practicum::Invalid::new(
                "status",
                "decide \"approved\" or \"rejected\"",
            )
            .into());
        }
        other => other,
    };
    let (student, cohort_id) = (e.student_id, e.cohort_id);
    let signoffs = db(state, move |c| store::signoffs(c, student, cohort_id)).await?;
    rules::check_decision(status_of(&e.status), e.work_date, &periods(&signoffs)).map_err(|r| {
        AppError::Conflict {
            message: r.message(),
            field: Some("status".into()),
        }
    })?;
    let now = crate::store::now();
    let audit = audit_entry(
        s,
        Some(cohort.program_id),
        &format!(
            "hours.{}",
            if status == Status::Approved {
                "approve"
            } else {
                "reject"
            }
        ),
        "hour_entry",
        Some(id),
        Some(serde_json::json!({"status": e.status, "minutes": e.minutes})),
        Some(serde_json::json!({"status": status.as_str(), "minutes": e.minutes})),
    );
    let by = s.user.id;
    let status_str = status.as_str();
    let entry_row = e.clone();
    let row = db(state, move |c| {
        store::decide(c, &entry_row, status_str, by, now, audit)
    })
    .await
    .map_err(|e| match e {
        AppError::Conflict { .. } => AppError::Conflict {
            message: "this entry was decided meanwhile".into(),
            field: Some("status".into()),
        },
        other => other,
    })?;
    Ok(entry_view(&row, Some(person_of_session(s)), false))
}

/// Why an approved entry is reversed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalInput {
    pub reason: String,
}

/// Undoes an approved entry with a reversing entry dated today (a signed
/// log is never edited).
pub async fn reverse(
    state: &AppState,
    s: &Session,
    id: i64,
    input: ReversalInput,
) -> AppResult<EntryView> {
    let (e, cohort) = supervised_entry(state, s, id).await?;
    let reason = crate::practicum::required_text("reason", &input.reason, 1000)?;
    let reversed = db(state, move |c| store::is_reversed(c, id)).await?;
    let minutes =
        rules::reversal_minutes(kind_of(&e.kind), status_of(&e.status), e.minutes, reversed)
            .map_err(|r| AppError::Conflict {
                message: r.message(),
                field: None,
            })?;
    let now = crate::store::now();
    let entry = NewEntry {
        student_id: e.student_id,
        cohort_id: e.cohort_id,
        kind: EntryKind::Reversal.as_str().into(),
        work_date: now.date(),
        activity: format!("Reversal of the entry of {}: {}", e.work_date, e.activity),
        minutes,
        reason: reason.clone(),
        encounter_id: e.encounter_id,
        submission_id: e.submission_id,
        reverses_id: Some(id),
        status: Status::Approved.as_str().into(),
        decided_by: Some(s.user.id),
        decided_at: Some(now),
        created_by: Some(s.user.id),
        created_at: now,
    };
    let audit = audit_entry(
        s,
        Some(cohort.program_id),
        "hours.reverse",
        "hour_entry",
        None,
        Some(serde_json::json!({"entry": id, "minutes": e.minutes})),
        Some(serde_json::json!({"reverses": id, "minutes": minutes, "reason": reason})),
    );
    let row = db(state, move |c| store::add_entry(c, &entry, audit))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::Conflict {
                message: "this entry has already been reversed".into(),
                field: None,
            },
            other => other,
        })?;
    Ok(entry_view(&row, Some(person_of_session(s)), false))
}

/// A sign-off request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignoffInput {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub attestation: String,
}

/// Signs off a period of a student's log (supervisors of the cohort).
pub async fn sign_off(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
    input: SignoffInput,
) -> AppResult<SignoffView> {
    let (cohort, staff) = cohort_access(state, s, cohort_id, student_id).await?;
    if !staff {
        return Err(AppError::Forbidden);
    }
    require_student_of(state, cohort_id, student_id).await?;
    let attestation = rules::check_attestation(&input.attestation)?;
    let (entries, signoffs) = db(state, move |c| {
        Ok((
            store::log(c, student_id, cohort_id)?,
            store::signoffs(c, student_id, cohort_id)?,
        ))
    })
    .await?;
    let (start, end) = (input.period_start, input.period_end);
    let inside = |d: NaiveDate| d >= start && d <= end;
    let pending = entries
        .iter()
        .filter(|e| e.status == "pending" && inside(e.work_date))
        .count();
    let now = crate::store::now();
    rules::check_signoff(start, end, now.date(), &periods(&signoffs), pending)?;
    let approved: i64 = entries
        .iter()
        .filter(|e| e.status == "approved" && inside(e.work_date))
        .map(|e| i64::from(e.minutes))
        .sum();
    let new = NewSignoff {
        student_id,
        cohort_id,
        period_start: start,
        period_end: end,
        supervisor_id: s.user.id,
        attestation: attestation.clone(),
        approved_minutes: i32::try_from(approved).unwrap_or(i32::MAX),
        signed_at: now,
    };
    let audit = audit_entry(
        s,
        Some(cohort.program_id),
        "hours.signoff",
        "hour_signoff",
        None,
        None,
        Some(
            serde_json::json!({"student_id": student_id, "period_start": start, "period_end": end, "approved_minutes": approved}),
        ),
    );
    let row = db(state, move |c| store::sign_off(c, &new, audit))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::Conflict {
                message: "the period changed while signing (a new pending entry or another sign-off); reload and try again".into(),
                field: Some("period_start".into()),
            },
            other => other,
        })?;
    tracing::info!(student_id, cohort_id, %start, %end, "hours signed off");
    Ok(SignoffView {
        id: row.id,
        period_start: row.period_start,
        period_end: row.period_end,
        supervisor: person_of_session(s),
        attestation: row.attestation,
        approved_minutes: row.approved_minutes,
        signed_at: row.signed_at,
    })
}

/// The pending entries of a cohort (the supervisor's approval queue).
pub async fn pending(state: &AppState, s: &Session, cohort_id: i64) -> AppResult<Vec<EntryView>> {
    super::ehr::supervised_cohort(state, s, cohort_id).await?;
    let rows = db(state, move |c| {
        store::of_cohort(c, cohort_id, Some("pending"))
    })
    .await?;
    Ok(rows.iter().map(|e| entry_view(e, None, false)).collect())
}

/// The site log as CSV (same access as the log).
pub async fn site_log_csv(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
) -> AppResult<String> {
    let log = site_log(state, s, cohort_id, student_id).await?;
    Ok(crate::practicum::reports::table(
        &[
            "date",
            "activity",
            "minutes",
            "time",
            "kind",
            "status",
            "supervisor",
            "decided_at",
            "reason",
            "signed_off",
        ],
        log.entries.iter().map(|e| {
            vec![
                e.work_date.to_string(),
                e.activity.clone(),
                e.minutes.to_string(),
                e.time.clone(),
                e.kind.clone(),
                e.status.clone(),
                e.supervisor.clone().unwrap_or_else(|| {
                    if e.auto_approved {
                        "program rule".into()
                    } else {
                        String::new()
                    }
                }),
                e.decided_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                e.reason.clone(),
                e.signed_off.to_string(),
            ]
        }),
    ))
}
