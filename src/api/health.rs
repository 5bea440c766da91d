//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::error::AppError;
use crate::service::{AppState, db};

/// The process is up.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers; 503 otherwise.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    db(&state, crate::store::ping).await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        AppError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})))
}
