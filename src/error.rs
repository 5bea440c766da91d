//! The application error and its single mapping to HTTP. Every JSON error
//! body has the shape `{"error": {"code", "message", "field"?}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::practicum::Invalid;
use crate::store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A value broke a rule (422).
    #[error("{}", .0.message)]
    Invalid(Invalid),
    /// The request could not be read: malformed JSON, wrong types, bad query (400).
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// The field at fault, where one can be named.
        field: Option<String>,
    },
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (403).
    #[error("you do not have permission to do this")]
    Forbidden,
    /// Unknown, or not visible to the caller (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The path exists but not with this method (405).
    #[error("this method is not allowed on this path; see the Allow header")]
    MethodNotAllowed,
    /// Clashes with the current state (409).
    #[error("{message}")]
    Conflict {
        /// What clashes.
        message: String,
        /// The field at fault.
        field: Option<String>,
    },
    /// Too many failed attempts; try again after this many seconds (429).
    #[error("too many failed sign-in attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    /// Shedding load (503): too much of one kind of work at once; retry after
    /// this many seconds.
    #[error("the server is busy; try again in {0} seconds")]
    Overloaded(u64),
    /// Query string over the size limit (414).
    #[error("the query string is longer than {0} bytes")]
    QueryTooLong(usize),
    /// Body over the size limit (413).
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// Body not JSON (415).
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// The database is unreachable (503).
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
    /// A bug or an unexpected failure (500); details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Result of a request-level operation.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A 400 naming a field.
    pub fn bad_request(field: Option<&str>, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    /// A 409 naming a field.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "validation_failed",
            AppError::BadRequest { .. } => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict { .. } => "conflict",
            AppError::TooManyRequests(_) => "rate_limited",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::QueryTooLong(_) => "uri_too_long",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::Unavailable | AppError::Overloaded(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid(inv) => Some(inv.field),
            AppError::BadRequest { field, .. } | AppError::Conflict { field, .. } => {
                field.as_deref()
            }
            _ => None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field: self.field().map(str::to_owned),
            },
        }
    }
}

/// The error contract's body.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code: validation_failed, bad_request, unauthorized, forbidden,
    /// not_found, method_not_allowed, conflict, rate_limited, payload_too_large, uri_too_long,
    /// unsupported_media_type, unavailable, internal.
    pub code: String,
    /// A plain-language explanation.
    pub message: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<Invalid> for AppError {
    fn from(inv: Invalid) -> Self {
        AppError::Invalid(inv)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict(_) => AppError::Conflict {
                message: "this conflicts with an existing record".into(),
                field: None,
            },
            StoreError::Unavailable(e) => {
                tracing::error!(error = %e, "database pool unavailable");
                AppError::Unavailable
            }
            StoreError::Database(e) => AppError::Internal(e.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(err)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::QueryTooLong(_) => StatusCode::URI_TOO_LONG,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable | AppError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let AppError::TooManyRequests(secs) | AppError::Overloaded(secs) = self {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        response.json(self.body())
    }
}
