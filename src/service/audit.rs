//! Reading the audit log (program admins).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::sessions::Session;
use super::{AppState, db};
use crate::error::{AppError, AppResult};
use crate::practicum::Invalid;
use crate::store::audit::{self as store, AuditFilter};

/// Audit log filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Actions starting with this, e.g. `hours.` or `claim.override`.
    pub action: Option<String>,
    /// Only this actor's actions (user id).
    pub actor: Option<i64>,
    /// Only this kind of record, e.g. `hour_entry`, `answer_key`, `claim`.
    pub entity: Option<String>,
    /// From this time (inclusive; RFC 3339, or without an offset for UTC).
    #[serde(default, deserialize_with = "crate::service::views::utc::opt_from")]
    pub since: Option<NaiveDateTime>,
    /// Before this time (RFC 3339, or without an offset for UTC).
    #[serde(default, deserialize_with = "crate::service::views::utc::opt_from")]
    pub until: Option<NaiveDateTime>,
    /// Page size, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Rows to skip.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub limit: i64,
    pub offset: i64,
}

fn json_of(text: &Option<String>) -> Option<serde_json::Value> {
    text.as_deref().map(|t| {
        serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.to_owned()))
    })
}

/// The program's audit log, filtered (its program admins).
pub async fn list(
    state: &AppState,
    s: &Session,
    program_id: i64,
    q: AuditQuery,
) -> AppResult<AuditPage> {
    if !s.scope.can_view_program(program_id) {
        return Err(AppError::NotFound("program"));
    }
    if !s.scope.administers(program_id) {
        return Err(AppError::Forbidden);
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Invalid::new("limit", "must be between 1 and 500").into());
    }
    let offset = q.offset.unwrap_or(0);
    if offset < 0 {
        return Err(Invalid::new("offset", "must not be negative").into());
    }
    let filter = AuditFilter {
        program_id: Some(program_id),
        actor_id: q.actor,
        // Actions are lower-case; matching them so keeps both backends alike.
        action_prefix: q.action.map(|a| a.to_lowercase()).filter(|a| !a.is_empty()),
        entity: q.entity.filter(|e| !e.is_empty()),
        since: q.since,
        until: q.until,
        limit,
        offset,
    };
    let rows = db(state, move |c| store::list(c, &filter)).await?;
    Ok(AuditPage {
        items: rows
            .iter()
            .map(|r| AuditView {
                id: r.id,
                at: r.at,
                actor_id: r.actor_id,
                action: r.action.clone(),
                entity: r.entity.clone(),
                entity_id: r.entity_id,
                before: json_of(&r.before),
                after: json_of(&r.after),
            })
            .collect(),
        limit,
        offset,
    })
}
