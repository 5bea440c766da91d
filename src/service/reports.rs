//! Program reports: per student and per cohort, hours against the
//! requirement and accuracy by code set, element, area and week; CSV.

use std::collections::HashMap;

use super::sessions::Session;
use super::{AppState, db};
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::reports::{
    self, CohortReport, ScoredClaim, StudentHours, StudentInfo, StudentReport, Tally,
};
use crate::store::assignments as assignment_store;
use crate::store::{DbConn, StoreResult, cohorts, programs, reports as store};

/// Everything a cohort report is computed from.
struct Inputs {
    students: Vec<StudentInfo>,
    hours: Vec<StudentHours>,
    required_minutes: i64,
    claims: Vec<ScoredClaim>,
}

async fn inputs(state: &AppState, cohort_id: i64, hide_unreleased: bool) -> AppResult<Inputs> {
    db(state, move |c| read_inputs(c, cohort_id, hide_unreleased)).await
}

/// The cohort report straight from storage (blocking; for benchmarks and
/// tools).
pub fn cohort_report_from(conn: &mut DbConn, cohort_id: i64) -> StoreResult<CohortReport> {
    let i = read_inputs(conn, cohort_id, false)?;
    Ok(reports::cohort_report(
        i.students,
        &i.hours,
        i.required_minutes,
        &i.claims,
    ))
}

/// `hide_unreleased` leaves out claims on encounters of an exam that has not
/// closed, so a student's own report cannot give their exam score away.
fn read_inputs(c: &mut DbConn, cohort_id: i64, hide_unreleased: bool) -> StoreResult<Inputs> {
    {
        let cohort = cohorts::find(c, cohort_id)?;
        let program = programs::find(c, cohort.program_id)?;
        let students: Vec<StudentInfo> = cohorts::roster(c, cohort_id)?
            .into_iter()
            .filter(|(e, _)| e.role == "student")
            .map(|(_, u)| StudentInfo {
                id: u.id,
                name: u.display_name,
                email: u.email,
            })
            .collect();
        let mut hours: HashMap<i64, StudentHours> = HashMap::new();
        for (student, status, minutes) in store::cohort_minutes(c, cohort_id)? {
            let h = hours.entry(student).or_insert(StudentHours {
                student_id: student,
                ..Default::default()
            });
            match status.as_str() {
                "approved" => h.approved_minutes += minutes,
                "pending" => h.pending_minutes += minutes,
                _ => {}
            }
        }
        let rows = store::cohort_scores(c, cohort_id)?;
        let overrides = store::cohort_overrides(c, cohort_id)?;
        // The newest version of each student's claim on an encounter, with
        // its newest score; an override after that score stands instead.
        let mut newest: HashMap<(i64, i64), store::ScoredRow> = HashMap::new();
        for r in rows {
            let key = (r.student_id, r.encounter_id);
            let replace = newest
                .get(&key)
                .is_none_or(|old| (r.version, r.score_id) > (old.version, old.score_id));
            if replace {
                newest.insert(key, r);
            }
        }
        let mut override_of: HashMap<i64, (Option<f64>, chrono::NaiveDateTime)> = HashMap::new();
        for (sub, total, at) in overrides {
            override_of.insert(sub, (total, at));
        }
        let mut withheld = std::collections::HashSet::new();
        if hide_unreleased {
            let now = crate::store::now();
            for a in assignment_store::of_cohort(c, cohort_id)? {
                if !super::assignments::rules_of(&a).feedback_released(now) {
                    withheld.extend(
                        assignment_store::items(c, a.id)?
                            .iter()
                            .map(|i| i.encounter_id),
                    );
                }
            }
        }
        let pass_mark = f64::from(program.pass_threshold_pct);
        let claims = newest
            .into_values()
            .filter(|r| !withheld.contains(&r.encounter_id))
            .map(|r| {
                // An override stands unless a later re-score replaced it.
                let (total, passed) = match override_of.get(&r.submission_id) {
                    Some((Some(t), at)) if *at > r.scored_at => (*t, *t >= pass_mark),
                    _ => (r.total, r.passed),
                };
                ScoredClaim {
                    student_id: r.student_id,
                    area: super::ehr::department(&r.specialty),
                    submitted_at: r.submitted_at,
                    total,
                    passed,
                    tally: serde_json::from_str::<Tally>(&r.tally).unwrap_or_default(),
                }
            })
            .collect();
        Ok(Inputs {
            students,
            hours: hours.into_values().collect(),
            required_minutes: i64::from(program.ppe_hours_required) * 60,
            claims,
        })
    }
}

/// The cohort report (supervisors of the cohort, program admins).
pub async fn cohort(state: &AppState, s: &Session, cohort_id: i64) -> AppResult<CohortReport> {
    super::ehr::supervised_cohort(state, s, cohort_id).await?;
    let i = inputs(state, cohort_id, false).await?;
    Ok(reports::cohort_report(
        i.students,
        &i.hours,
        i.required_minutes,
        &i.claims,
    ))
}

/// One student's report: their own, or any in a cohort the caller supervises.
pub async fn student(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    student_id: i64,
) -> AppResult<StudentReport> {
    let cohort = super::ehr::cohort_ref(state, cohort_id).await?;
    if !s.scope.can_read_charts(cohort) {
        return Err(AppError::NotFound("cohort"));
    }
    let staff = s.scope.can_supervise_charts(cohort);
    if !staff && student_id != s.user.id {
        return Err(AppError::NotFound("student"));
    }
    let i = inputs(state, cohort_id, !staff).await?;
    let info = i
        .students
        .into_iter()
        .find(|st| st.id == student_id)
        .ok_or(AppError::NotFound("student"))?;
    let hours = i
        .hours
        .iter()
        .find(|h| h.student_id == student_id)
        .copied()
        .unwrap_or(StudentHours {
            student_id,
            ..Default::default()
        });
    let mine: Vec<ScoredClaim> = i
        .claims
        .into_iter()
        .filter(|c| c.student_id == student_id)
        .collect();
    Ok(reports::student_report(
        info,
        hours,
        i.required_minutes,
        &mine,
    ))
}

/// A CSV table of the cohort report: `students`, `areas` or `trend`.
pub async fn cohort_csv(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    table: &str,
) -> AppResult<String> {
    let r = cohort(state, s, cohort_id).await?;
    Ok(match table {
        "students" => reports::cohort_csv(&r),
        "areas" => reports::areas_csv(&r.by_area),
        "trend" => reports::trend_csv(&r.trend),
        other => {
            return Err(Invalid::new(
                "table",
                format!("must be students, areas or trend, not {other:?}"),
            )
            .into());
        }
    })
}
