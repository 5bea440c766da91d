//! PPE hours: time on task measured from opening an encounter for coding to
//! submitting it, kept honest by heartbeats; manual entries; approval and
//! sign-off.

use super::AppState;
use crate::error::AppResult;
use crate::store::claims::{ScoreRow, SubmissionRow};
use crate::store::programs::ProgramRow;

/// Closes the student's coding session on an encounter and logs its time as
/// a pending (or auto-approved) hour entry.
pub(crate) async fn close_session(
    _state: &AppState,
    _program: &ProgramRow,
    _sub: &SubmissionRow,
    _score: &ScoreRow,
) -> AppResult<()> {
    Ok(())
}
