//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::AppError;
use crate::service::{AppState, db};

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers; 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    db(&state, crate::store::ping).await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        AppError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})))
}

/// The OpenAPI document, rendered once at start-up.
pub struct OpenApiJson(pub std::sync::Arc<str>);

/// `GET /api/openapi.json`.
pub async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.to_string())
}
