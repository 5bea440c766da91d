//! Assignments: built by supervisors for a cohort, worked by students from
//! their worklist, with the exam clock kept here on the server.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ehr::{cohort_ref, department, store_plan, supervised_cohort};
use super::sessions::Session;
use super::{AppState, audit_entry, db, not_found};
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::access::CohortRef;
use crate::practicum::accounts::Role;
use crate::practicum::assignments::{
    LatePolicy, MAX_ENCOUNTERS, Phase, Rules, mode_str, parse_mode, parse_time, student_seed,
};
use crate::practicum::required_text;
use crate::practicum::visibility::{Mode, student_sees_feedback};
use crate::scenarios::library::GenerationRequest;
use crate::store::assignments::{self as store, AssignmentRow, AttemptRow, NewAssignment};
use crate::store::claims as claim_store;
use crate::store::ehr::{self, NewRun};
use crate::store::{StoreError, cohorts, programs};

/// The rules an assignment row stands for.
pub(crate) fn rules_of(a: &AssignmentRow) -> Rules {
    Rules {
        mode: if a.mode == "exam" {
            Mode::Exam
        } else {
            Mode::Practice
        },
        opens_at: a.opens_at,
        due_at: a.due_at,
        time_limit_minutes: a.time_limit_minutes.map(|m| m.max(0) as u32),
        late: if a.late_policy == "flag" {
            LatePolicy::Flag
        } else {
            LatePolicy::Reject
        },
        resubmission: a.resubmission,
    }
}

/// What a supervisor sends to build an assignment. Times are UTC
/// (`2026-12-01T09:00`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    pub title: String,
    #[serde(default)]
    pub instructions: String,
    /// `practice` or `exam`.
    pub mode: String,
    pub opens_at: String,
    pub due_at: String,
    /// Exams only: the clock each student gets once they start.
    pub time_limit_minutes: Option<u32>,
    /// `reject` or `flag`; defaults to reject for exams, flag for practice.
    pub late_policy: Option<String>,
    /// Whether a student may submit an encounter again; defaults to yes for
    /// practice, no for exams.
    pub resubmission: Option<bool>,
    /// One set of encounters for everybody instead of a seeded set each.
    #[serde(default)]
    pub shared_set: bool,
    /// Specialty areas to draw from (empty: all).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Difficulty levels to draw from (empty: all).
    #[serde(default)]
    pub difficulties: Vec<String>,
    /// Scenario ids to draw from (empty: all).
    #[serde(default)]
    pub scenarios: Vec<String>,
    /// Hand-picked encounters of the cohort (a shared set; replaces drawing).
    #[serde(default)]
    pub encounters: Vec<i64>,
    /// Encounters per student when drawing.
    pub count: Option<u32>,
    /// Seed of the draw (random when absent).
    pub seed: Option<u64>,
    /// Pass mark in percent; defaults to the program's.
    pub pass_mark_pct: Option<u32>,
}

/// What an assignment draws its encounters from (stored as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Selection {
    pub areas: Vec<String>,
    pub difficulties: Vec<String>,
    pub scenarios: Vec<String>,
    pub encounters: Vec<i64>,
    pub count: u32,
}

/// An assignment as the caller sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    pub cohort_id: i64,
    pub title: String,
    pub instructions: String,
    pub mode: String,
    /// `upcoming`, `open` or `closed`.
    pub phase: String,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub opens_at: NaiveDateTime,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub due_at: NaiveDateTime,
    pub time_limit_minutes: Option<i32>,
    pub late_policy: String,
    pub resubmission: bool,
    pub shared_set: bool,
    pub pass_mark_pct: i32,
    /// Encounters each student codes.
    pub encounters_per_student: u32,
    /// Whether students see scores and keys now.
    pub feedback_released: bool,
    /// Staff only: what the encounters are drawn from, and the seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// A student's exam clock, once started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<AttemptView>,
    /// A student's encounters and where each stands (shown once the
    /// assignment is open, and for an exam once its clock is started).
    pub items: Vec<ItemView>,
}

/// A student's exam clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub deadline_at: NaiveDateTime,
    /// Seconds left on the clock (0 when it ran out).
    pub remaining_seconds: i64,
}

/// One encounter on a student's worklist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub position: i32,
    pub encounter_id: i64,
    pub patient_name: String,
    pub date_of_service: chrono::NaiveDate,
    pub department: String,
    /// `not_started`, `draft`, `submitted` or `returned`.
    pub status: String,
    /// Latest submission, if any.
    pub submission_id: Option<i64>,
    pub version: Option<i32>,
    pub late: bool,
    /// The latest score, when feedback is released.
    pub score: Option<f64>,
}

fn attempt_view(a: &AttemptRow, now: NaiveDateTime) -> AttemptView {
    AttemptView {
        started_at: a.started_at,
        deadline_at: a.deadline_at,
        remaining_seconds: (a.deadline_at - now).num_seconds().max(0),
    }
}

fn selection_of(a: &AssignmentRow) -> Selection {
    serde_json::from_str(&a.selection).unwrap_or_default()
}

fn base_view(a: &AssignmentRow, staff: bool, now: NaiveDateTime) -> AssignmentView {
    let rules = rules_of(a);
    let selection = selection_of(a);
    AssignmentView {
        id: a.id,
        cohort_id: a.cohort_id,
        title: a.title.clone(),
        instructions: a.instructions.clone(),
        mode: a.mode.clone(),
        phase: rules.phase(now).as_str().into(),
        opens_at: a.opens_at,
        due_at: a.due_at,
        time_limit_minutes: a.time_limit_minutes,
        late_policy: a.late_policy.clone(),
        resubmission: a.resubmission,
        shared_set: a.shared_set,
        pass_mark_pct: a.pass_mark_pct,
        encounters_per_student: if selection.encounters.is_empty() {
            selection.count
        } else {
            selection.encounters.len() as u32
        },
        feedback_released: rules.feedback_released(now),
        selection: staff.then_some(selection),
        seed: staff.then_some(a.seed),
        attempt: None,
        items: Vec::new(),
    }
}

/// Checks an assignment request, naming the field at fault.
fn validate(
    input: &AssignmentInput,
    program_pass: i32,
) -> Result<(NewAssignment, Selection), Invalid> {
    let title = required_text("title", &input.title, 200)?;
    let instructions = input.instructions.trim().to_owned();
    if instructions.chars().count() > 4000 {
        return Err(Invalid::new(
            "instructions",
            "must be at most 4000 characters",
        ));
    }
    let mode = parse_mode("mode", &input.mode)?;
    let opens_at = parse_time("opens_at", &input.opens_at)?;
    let due_at = parse_time("due_at", &input.due_at)?;
    let late = match &input.late_policy {
        Some(p) => LatePolicy::parse("late_policy", p)?,
        None if mode == Mode::Exam => LatePolicy::Reject,
        None => LatePolicy::Flag,
    };
    let rules = Rules {
        mode,
        opens_at,
        due_at,
        time_limit_minutes: input.time_limit_minutes,
        late,
        resubmission: input.resubmission.unwrap_or(mode == Mode::Practice),
    };
    rules.validate()?;
    let pass = match input.pass_mark_pct {
        Some(p) if p > 100 => return Err(Invalid::new("pass_mark_pct", "must be 0–100")),
        Some(p) => p as i32,
        None => program_pass,
    };
    let count = if input.encounters.is_empty() {
        match input.count {
            None => {
                return Err(Invalid::new(
                    "count",
                    "say how many encounters each student codes",
                ));
            }
            Some(c) if c == 0 || c > MAX_ENCOUNTERS => {
                return Err(Invalid::new(
                    "count",
                    format!("must be between 1 and {MAX_ENCOUNTERS}"),
                ));
            }
            Some(c) => c,
        }
    } else {
        if input.count.is_some() {
            return Err(Invalid::new(
                "count",
                "give either hand-picked encounters or a count, not both",
            ));
        }
        if input.encounters.len() > MAX_ENCOUNTERS as usize {
            return Err(Invalid::new(
                "encounters",
                format!("at most {MAX_ENCOUNTERS}"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = input.encounters.iter().find(|e| !seen.insert(**e)) {
            return Err(Invalid::new(
                "encounters",
                format!("encounter {dup} is listed twice"),
            ));
        }
        0
    };
    let seed = match input.seed {
        Some(s) if s > i64::MAX as u64 => return Err(Invalid::new("seed", "must be below 2^63")),
        Some(s) => s,
        None => rand::random::<u64>() >> 1,
    };
    let selection = Selection {
        areas: input.areas.clone(),
        difficulties: input.difficulties.clone(),
        scenarios: input.scenarios.clone(),
        encounters: input.encounters.clone(),
        count,
    };
    let new = NewAssignment {
        cohort_id: 0,
        title,
        instructions,
        mode: mode_str(mode).into(),
        opens_at,
        due_at,
        time_limit_minutes: rules.time_limit_minutes.map(|m| m as i32),
        late_policy: late.as_str().into(),
        resubmission: rules.resubmission,
        shared_set: input.shared_set || !input.encounters.is_empty(),
        selection: serde_json::to_string(&selection).unwrap_or_default(),
        seed: seed as i64,
        pass_mark_pct: pass,
        created_by: None,
        created_at: crate::store::now(),
    };
    Ok((new, selection))
}

fn request_for(sel: &Selection, seed: u64) -> GenerationRequest {
    GenerationRequest {
        count: sel.count,
        areas: sel.areas.clone(),
        difficulties: sel.difficulties.clone(),
        scenarios: sel.scenarios.clone(),
        seed,
    }
}

/// Builds an assignment (supervisors of the cohort and program admins).
pub async fn create(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    input: AssignmentInput,
) -> AppResult<AssignmentView> {
    let cohort = supervised_cohort(state, s, cohort_id).await?;
    let program_id = cohort.program_id;
    let program = db(state, move |c| programs::find(c, program_id)).await?;
    let (mut new, selection) = validate(&input, program.pass_threshold_pct)?;
    new.cohort_id = cohort_id;
    new.created_by = Some(s.user.id);
    // Drawing is checked before anything is stored.
    if selection.encounters.is_empty() {
        state
            .library
            .plan(&request_for(&selection, new.seed as u64))?;
    } else {
        let wanted = selection.encounters.clone();
        let found = db(state, move |c| {
            wanted
                .iter()
                .map(|id| {
                    ehr::encounter(c, *id)
                        .map(|(e, _)| e.cohort_id == cohort_id)
                        .or_else(|e| match e {
                            StoreError::NotFound => Ok(false),
                            other => Err(other),
                        })
                })
                .collect::<Result<Vec<bool>, _>>()
        })
        .await?;
        if let Some(i) = found.iter().position(|ok| !ok) {
            return Err(Invalid::new(
                "encounters",
                format!(
                    "encounter {} is not in this cohort",
                    selection.encounters[i]
                ),
            )
            .into());
        }
    }
    let library = state.library.clone();
    let audit = audit_entry(
        s,
        Some(program_id),
        "assignment.create",
        "assignment",
        None,
        None,
        Some(
            serde_json::json!({"title": new.title, "mode": new.mode, "opens_at": new.opens_at, "due_at": new.due_at}),
        ),
    );
    let by = s.user.id;
    let row = db(state, move |c| {
        // A shared drawn set is generated once, now; per-student sets when
        // each student first opens the assignment.
        let shared: Vec<i64> = if !selection.encounters.is_empty() {
            selection.encounters.clone()
        } else if new.shared_set {
            draw(
                c,
                &library,
                cohort_id,
                Some(by),
                &selection,
                new.seed as u64,
            )?
        } else {
            Vec::new()
        };
        store::create(c, &new, &shared, audit)
    })
    .await?;
    tracing::info!(assignment = row.id, cohort_id, mode = %row.mode, "assignment created");
    Ok(base_view(&row, true, crate::store::now()))
}

/// Generates (or finds, if already generated) the encounters of a draw.
fn draw(
    c: &mut crate::store::DbConn,
    library: &crate::scenarios::library::Library,
    cohort_id: i64,
    by: Option<i64>,
    selection: &Selection,
    seed: u64,
) -> Result<Vec<i64>, StoreError> {
    let req = request_for(selection, seed);
    let plan = library
        .plan(&req)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let run = ehr::open_run(
        c,
        &NewRun {
            cohort_id,
            requested_by: by,
            seed: seed as i64,
            requested: req.count as i32,
            areas: req.areas.join(","),
            difficulties: req.difficulties.join(","),
        },
    )?;
    Ok(store_plan(c, library, &run, &plan, |_| {})?.all)
}

/// The assignments of a cohort: all of them for staff, with each student's
/// own status for students.
pub async fn list(state: &AppState, s: &Session, cohort_id: i64) -> AppResult<Vec<AssignmentView>> {
    let cohort = cohort_ref(state, cohort_id).await?;
    if !s.scope.can_read_charts(cohort) {
        return Err(AppError::NotFound("cohort"));
    }
    let staff = s.scope.can_supervise_charts(cohort);
    let rows = db(state, move |c| store::of_cohort(c, cohort_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        out.push(if staff {
            base_view(&a, true, crate::store::now())
        } else {
            student_view(state, s, a).await?
        });
    }
    Ok(out)
}

/// One assignment.
pub async fn get(state: &AppState, s: &Session, id: i64) -> AppResult<AssignmentView> {
    let (a, staff) = access(state, s, id).await?;
    if staff {
        return Ok(base_view(&a, true, crate::store::now()));
    }
    student_view(state, s, a).await
}

async fn access(state: &AppState, s: &Session, id: i64) -> AppResult<(AssignmentRow, bool)> {
    let a = db(state, move |c| store::find(c, id))
        .await
        .map_err(not_found("assignment"))?;
    let cohort = db(state, {
        let cohort_id = a.cohort_id;
        move |c| cohorts::find(c, cohort_id)
    })
    .await?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    if !s.scope.can_read_charts(cref) {
        return Err(AppError::NotFound("assignment"));
    }
    Ok((a, s.scope.can_supervise_charts(cref)))
}

/// A student's view: their encounters (generated on first visit once open)
/// with the status of each, and their exam clock.
async fn student_view(
    state: &AppState,
    s: &Session,
    a: AssignmentRow,
) -> AppResult<AssignmentView> {
    let now = crate::store::now();
    let rules = rules_of(&a);
    let mut view = base_view(&a, false, now);
    if rules.phase(now) == Phase::Upcoming {
        return Ok(view);
    }
    let student = s.user.id;
    let assignment_id = a.id;
    let attempt = db(state, move |c| store::attempt(c, assignment_id, student)).await?;
    view.attempt = attempt.as_ref().map(|t| attempt_view(t, now));
    if rules.mode == Mode::Exam && attempt.is_none() {
        // The exam's encounters stay hidden until its clock is started.
        return Ok(view);
    }
    ensure_items(state, &a, student).await?;
    let items = db(state, move |c| {
        let items = store::items_for(c, assignment_id, student)?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let (e, p) = ehr::encounter(c, i.encounter_id)?;
            let subs = claim_store::submissions(c, i.encounter_id, Some(student))?;
            let latest = subs.first().cloned();
            let (returned, score) = match &latest {
                Some(sub) => {
                    let scores = claim_store::scores(c, sub.id)?;
                    let reviews = crate::store::reviews::of_submission(c, sub.id)?;
                    // The score the student sees: an override stands until a
                    // later re-score replaces it.
                    let total = super::claims::effective_override(&scores, &reviews)
                        .or_else(|| scores.last().map(|s| s.total));
                    (
                        reviews.last().is_some_and(|r| r.outcome == "returned"),
                        total,
                    )
                }
                None => (false, None),
            };
            let draft = claim_store::draft(c, i.encounter_id, student)?;
            let rules: Vec<Rules> = store::containing(c, i.encounter_id)?
                .iter()
                .map(|(_, a)| rules_of(a))
                .collect();
            let released = student_sees_feedback(rules.iter(), now);
            out.push((
                i,
                e,
                p,
                latest,
                returned,
                score.filter(|_| released),
                draft.is_some(),
            ));
        }
        Ok(out)
    })
    .await?;
    view.items = items
        .into_iter()
        .map(|(i, e, p, latest, returned, score, draft)| ItemView {
            position: i.position,
            encounter_id: e.id,
            patient_name: format!("{}, {}", p.family_name, p.given_name),
            date_of_service: e.date_of_service,
            department: department(&e.specialty),
            status: match (&latest, returned, draft) {
                (Some(_), true, _) => "returned",
                (Some(_), false, _) => "submitted",
                (None, _, true) => "draft",
                (None, _, false) => "not_started",
            }
            .into(),
            submission_id: latest.as_ref().map(|l| l.id),
            version: latest.as_ref().map(|l| l.version),
            late: latest.as_ref().is_some_and(|l| l.late),
            score,
        })
        .collect();
    Ok(view)
}

/// Gives a student their own seeded encounters the first time they need them.
async fn ensure_items(state: &AppState, a: &AssignmentRow, student: i64) -> AppResult<()> {
    if a.shared_set {
        return Ok(());
    }
    let assignment_id = a.id;
    let have = db(state, move |c| store::items_for(c, assignment_id, student)).await?;
    if !have.is_empty() {
        return Ok(());
    }
    let selection = selection_of(a);
    let seed = student_seed(a.seed as u64, student);
    let library = state.library.clone();
    let (cohort_id, by) = (a.cohort_id, a.created_by);
    let given = db(state, move |c| {
        let ids = draw(c, &library, cohort_id, by, &selection, seed)?;
        store::give_items(c, assignment_id, student, &ids)
    })
    .await;
    match given {
        // Another request gave the same student their set at the same moment.
        Ok(()) | Err(AppError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Starts a student's exam clock (starting again changes nothing).
pub async fn start(state: &AppState, s: &Session, id: i64) -> AppResult<AssignmentView> {
    let (a, _) = access(state, s, id).await?;
    if s.scope.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    let rules = rules_of(&a);
    if rules.mode != Mode::Exam {
        return Err(AppError::Conflict {
            message: "only an exam has a clock to start".into(),
            field: Some("mode".into()),
        });
    }
    let now = crate::store::now();
    let student = s.user.id;
    let existing = db(state, move |c| store::attempt(c, id, student)).await?;
    if existing.is_none() {
        match rules.phase(now) {
            Phase::Upcoming => {
                return Err(AppError::Conflict {
                    message: format!(
                        "the exam opens at {} UTC",
                        a.opens_at.format("%Y-%m-%d %H:%M")
                    ),
                    field: Some("opens_at".into()),
                });
            }
            Phase::Closed => {
                return Err(AppError::Conflict {
                    message: "the exam has closed".into(),
                    field: Some("due_at".into()),
                });
            }
            Phase::Open => {}
        }
        let r = rules.clone();
        match db(state, move |c| {
            store::start(c, id, student, |at| r.deadline_for(at))
        })
        .await
        {
            // A double start at the same moment: the first clock stands.
            Ok(_) | Err(AppError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        tracing::info!(assignment = id, student, "exam started");
    }
    student_view(state, s, a).await
}

/// A student's worklist: the assignments of every cohort they are in.
pub async fn worklist(state: &AppState, s: &Session) -> AppResult<Vec<AssignmentView>> {
    if s.scope.role != Role::Student {
        return Err(AppError::Forbidden);
    }
    let mut out = Vec::new();
    for (cohort_id, _) in s.scope.cohorts.clone() {
        out.extend(list(state, s, cohort_id).await?);
    }
    out.sort_by_key(|a| (a.phase == "closed", a.due_at));
    Ok(out)
}

/// Keeps an exam's encounters closed to its students until they start the
/// exam (so nobody reads the cases before the clock runs). Staff, and
/// encounters in no exam, pass.
pub(crate) async fn exam_gate(state: &AppState, s: &Session, encounter_id: i64) -> AppResult<()> {
    if s.scope.role != Role::Student {
        return Ok(());
    }
    let student = s.user.id;
    let now = crate::store::now();
    let blocked = db(state, move |c| {
        for (item, a) in store::containing(c, encounter_id)? {
            if a.mode != "exam" || item.student_id.is_some_and(|id| id != student) {
                continue;
            }
            match rules_of(&a).phase(now) {
                Phase::Closed => {}
                Phase::Upcoming => return Ok(true),
                Phase::Open => {
                    if store::attempt(c, a.id, student)?.is_none() {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    })
    .await?;
    if blocked {
        return Err(AppError::Forbidden);
    }
    Ok(())
}
