//! Server-rendered pages.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;

/// Registers the page routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}

/// Unknown routes: JSON under `/api`, a page elsewhere.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    let _ = req;
    AppError::NotFound("page").error_response()
}
