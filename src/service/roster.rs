//! Roster import: a CSV of students for a cohort, checked row by row; a
//! file with errors imports nothing unless the admin asks to skip them.

use serde::Serialize;
use utoipa::ToSchema;

use super::sessions::Session;
use super::{AppState, audit_entry, db, not_found};
use crate::auth::password;
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::practicum::access::CohortRef;
use crate::practicum::roster::{RowError, parse_roster};
use crate::store::users::{self, NewUser};
use crate::store::{StoreError, cohorts};

/// An account the import created, with its one-time initial password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedAccount {
    pub line: usize,
    pub id: i64,
    pub email: String,
    /// Shown once: hand it to the student, who changes it on first sign-in.
    pub initial_password: String,
}

/// One rejected row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl From<RowError> for RowProblem {
    fn from(e: RowError) -> Self {
        Self {
            line: e.line,
            field: e.field,
            message: e.message,
        }
    }
}

/// What an import did, or would have done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterReport {
    /// False when errors stopped the import (nothing was changed).
    pub imported: bool,
    pub created: Vec<CreatedAccount>,
    /// E-mails of existing student accounts now enrolled.
    pub enrolled: Vec<String>,
    /// E-mails already on the roster (left as they were).
    pub already_enrolled: Vec<String>,
    /// Rows with errors (skipped when `skip_invalid`).
    pub errors: Vec<RowProblem>,
}

/// Imports a roster CSV (`email,name[,credential]`) into a cohort (program
/// admins of its program).
pub async fn import(
    state: &AppState,
    s: &Session,
    cohort_id: i64,
    file: Vec<u8>,
    skip_invalid: bool,
) -> AppResult<RosterReport> {
    let cohort = db(state, move |c| cohorts::find(c, cohort_id))
        .await
        .map_err(not_found("cohort"))?;
    let cref = CohortRef {
        id: cohort.id,
        program_id: cohort.program_id,
    };
    if !s.scope.can_view_cohort(cref) {
        return Err(AppError::NotFound("cohort"));
    }
    if !s.scope.can_manage_cohort(cref) {
        return Err(AppError::Forbidden);
    }
    let parsed = parse_roster(&file).map_err(|e| {
        AppError::Invalid(Invalid::new(
            "file",
            format!("line {}, {}: {}", e.line, e.field, e.message),
        ))
    })?;
    let mut errors: Vec<RowProblem> = parsed.errors.into_iter().map(RowProblem::from).collect();
    let program_id = cohort.program_id;
    let rows = parsed.rows;
    let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
    let (found, roster) = db(state, move |c| {
        let found = emails
            .iter()
            .map(|e| users::find_by_email(c, e))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((found, cohorts::roster(c, cohort_id)?))
    })
    .await?;
    let mut new_rows = Vec::new();
    let mut existing = Vec::new();
    let mut enrolled = Vec::new();
    let mut already = Vec::new();
    for (row, account) in rows.into_iter().zip(found) {
        match account {
            None => new_rows.push(row),
            Some(u) if u.program_id != program_id => errors.push(RowProblem {
                line: row.line,
                field: "email".into(),
                message: format!(
                    "{} is already used by an account outside this program",
                    row.email
                ),
            }),
            Some(u) if u.role != "student" => errors.push(RowProblem {
                line: row.line,
                field: "email".into(),
                message: format!("{} is a {} account, not a student", row.email, u.role),
            }),
            Some(u) if roster.iter().any(|(e, _)| e.user_id == u.id) => already.push(u.email),
            Some(u) => {
                existing.push(u.id);
                enrolled.push(u.email);
            }
        }
    }
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() && !skip_invalid {
        return Ok(RosterReport {
            imported: false,
            created: Vec::new(),
            enrolled: Vec::new(),
            already_enrolled: Vec::new(),
            errors,
        });
    }
    // Each new student gets a random initial password (hashed off the
    // async workers; Argon2 is deliberately slow).
    let mut passwords = Vec::with_capacity(new_rows.len());
    let mut new_users = Vec::with_capacity(new_rows.len());
    for row in &new_rows {
        let initial = crate::auth::random_hex(8);
        let p = initial.clone();
        let hash = state.hashing.run(move || password::hash(&p)).await??;
        passwords.push(initial);
        new_users.push(NewUser {
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            role: "student".into(),
            credential: row.credential.clone(),
            program_id,
            password_hash: hash,
        });
    }
    let audit = audit_entry(
        s,
        Some(program_id),
        "account.roster_import",
        "cohort",
        Some(cohort_id),
        None,
        Some(serde_json::json!({
            "created": new_rows.iter().map(|r| &r.email).collect::<Vec<_>>(),
            "enrolled": enrolled,
            "skipped_rows": errors.len(),
        })),
    );
    let created = db(state, move |c| {
        cohorts::import_roster(c, cohort_id, &new_users, &existing, audit)
    })
    .await
    .map_err(|e| match e {
        AppError::Conflict { .. } => AppError::Conflict {
            message: "an account with one of these e-mails was created meanwhile; import again"
                .into(),
            field: Some("file".into()),
        },
        other => other,
    })?;
    tracing::info!(
        cohort_id,
        created = created.len(),
        by = s.user.id,
        "roster imported"
    );
    Ok(RosterReport {
        imported: true,
        created: created
            .iter()
            .zip(new_rows.iter().zip(passwords))
            .map(|(u, (row, initial_password))| CreatedAccount {
                line: row.line,
                id: u.id,
                email: u.email.clone(),
                initial_password,
            })
            .collect(),
        enrolled,
        already_enrolled: already,
        errors,
    })
}
