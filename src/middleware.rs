//! The app-wide middleware of our own: each decides one thing about a
//! request before any route sees it, or adds one thing to every response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

use crate::auth::client::client_address;
use crate::auth::metrics::{MetricsRefusal, metrics_access};
use crate::error::AppError;
use crate::service::AppState;

/// The longest query string served; longer ones get 414.
pub const MAX_QUERY_BYTES: usize = 4096;

/// Query strings are bounded before any route parses one.
pub async fn bound_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.query_string().len() > MAX_QUERY_BYTES {
        let refused = req.error_response(AppError::QueryTooLong(MAX_QUERY_BYTES));
        return Ok(refused.map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Every response names its request id (the one in the logs).
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}

/// The token a metrics scraper must present, if one is configured.
pub struct MetricsToken(pub Option<Vec<u8>>);

/// Who may read `/metrics` (see [`crate::auth::metrics`]). Wrapped outside
/// the metrics middleware, which answers that path itself.
pub async fn guard_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path() == crate::routes::METRICS_PATH {
        let headers = req.headers();
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.get(..7)
                    .filter(|s| s.eq_ignore_ascii_case("bearer "))
                    .map(|_| &v[7..])
            });
        let relayed =
            headers.contains_key(header::FORWARDED) || headers.contains_key("x-forwarded-for");
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.trusted_proxies.clone())
            .unwrap_or_else(|| std::sync::Arc::from(Vec::new()));
        let client = client_address(
            req.peer_addr().map(|a| a.ip()),
            headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
            &trusted,
        );
        let token = req
            .app_data::<web::Data<MetricsToken>>()
            .and_then(|t| t.0.clone());
        if let Err(refusal) = metrics_access(client, relayed, token.as_deref(), presented) {
            let err = match refusal {
                MetricsRefusal::TokenRequired => AppError::Unauthorized(
                    "send the metrics token: `Authorization: Bearer <PRACTICUM_METRICS_TOKEN>`"
                        .into(),
                ),
                MetricsRefusal::NotLocal => AppError::Forbidden,
            };
            return Ok(req.error_response(err).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
