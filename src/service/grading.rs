//! A program's grading settings: read by its staff, changed by its admins.

use super::sessions::Session;
use super::{AppState, audit_entry, db, not_found};
use crate::error::{AppError, AppResult};
use crate::practicum::accounts::Role;
use crate::practicum::grading::Grading;
use crate::store::programs;

/// The program's settings (its staff may read them; students may not).
pub async fn get(state: &AppState, s: &Session, program_id: i64) -> AppResult<Grading> {
    if !s.scope.can_view_program(program_id) {
        return Err(AppError::NotFound("program"));
    }
    if s.scope.role == Role::Student {
        return Err(AppError::Forbidden);
    }
    let row = db(state, move |c| programs::find(c, program_id))
        .await
        .map_err(not_found("program"))?;
    Ok(Grading::from_stored(&row.grading))
}

/// Replaces the program's settings (its program admins). Later scores use
/// them; earlier scores stand until re-scored.
pub async fn put(
    state: &AppState,
    s: &Session,
    program_id: i64,
    grading: Grading,
) -> AppResult<Grading> {
    if !s.scope.can_view_program(program_id) {
        return Err(AppError::NotFound("program"));
    }
    if !s.scope.administers(program_id) {
        return Err(AppError::Forbidden);
    }
    grading.validate()?;
    let json = serde_json::to_string(&grading)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("grading settings: {e}")))?;
    let audit = audit_entry(
        s,
        Some(program_id),
        "program.grading",
        "program",
        Some(program_id),
        None,
        serde_json::to_value(&grading).ok(),
    );
    db(state, move |c| {
        programs::set_grading(c, program_id, &json, audit)
    })
    .await
    .map_err(not_found("program"))?;
    tracing::info!(program_id, by = s.user.id, "grading settings changed");
    Ok(grading)
}
