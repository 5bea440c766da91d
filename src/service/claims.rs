//! Claim checks: the edits run on a claim the caller sends, storing nothing.

use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::claims::Claim;
use crate::claims::edits::{self, Counts, Finding};
use crate::error::AppResult;

/// The edits' verdict on a claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckReport {
    /// No error-level finding.
    pub clean: bool,
    pub counts: Counts,
    /// Errors first, then warnings and infos; by diagnosis, then line.
    pub findings: Vec<Finding>,
}

/// Runs the edits on a claim (its shape is checked first).
pub fn check(state: &AppState, claim: Claim) -> AppResult<CheckReport> {
    let claim = claim.normalized()?;
    Ok(report(edits::run(&claim, &state.codes, &state.edits)))
}

/// A report over findings.
pub fn report(findings: Vec<Finding>) -> CheckReport {
    let counts = edits::counts(&findings);
    CheckReport {
        clean: counts.error == 0,
        counts,
        findings,
    }
}
