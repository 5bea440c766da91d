//! Request extractors: the authenticated caller, and JSON bodies whose errors
//! name the field at fault.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::auth::csrf;
use crate::error::AppError;
use crate::service::AppState;
use crate::service::sessions::{self, Session};

/// Name of the browser session cookie (holds the same JWT as the API token).
pub const SESSION_COOKIE: &str = "practicum_session";
/// Header carrying the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …`
    Bearer,
    /// The session cookie set by the sign-in page.
    Cookie,
}

/// Finds the token: the Authorization header first, then the session cookie.
pub fn token_of(req: &HttpRequest) -> Result<Option<(String, Credential)>, AppError> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let text = value.to_str().map_err(|_| {
            AppError::Unauthorized("the Authorization header is not readable".into())
        })?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        return Ok(Some((token.to_owned(), Credential::Bearer)));
    }
    Ok(req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
        .map(|v| (v, Credential::Cookie)))
}

/// The authenticated caller of an API endpoint. Cookie-authenticated writes
/// must carry the session's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct Caller(pub Session);

impl std::ops::Deref for Caller {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(session) = req.extensions().get::<Session>() {
                return Ok(Caller(session.clone()));
            }
            let state = app_state(&req)?;
            let Some((token, credential)) = token_of(&req)? else {
                return Err(AppError::Unauthorized(
                    "sign in first: send `Authorization: Bearer <token>`".into(),
                ));
            };
            let session = sessions::authenticate(&state, &token).await?;
            let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if credential == Credential::Cookie && !safe {
                let submitted = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !csrf::matches(&state.csrf_secret, &session.jti, submitted) {
                    return Err(AppError::Forbidden);
                }
            }
            req.extensions_mut().insert(session.clone());
            Ok(Caller(session))
        })
    }
}

/// The shared state, or an internal error if the app was built without it.
pub fn app_state(req: &HttpRequest) -> Result<AppState, AppError> {
    req.app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

/// A JSON request body. Errors say which field is wrong and how; an oversized
/// or non-JSON body is refused before it is parsed.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType);
            }
            if declared.is_some_and(|n| n > MAX_JSON_BYTES) {
                return Err(AppError::TooLarge(MAX_JSON_BYTES));
            }
            let mut bytes = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad_request(None, format!("the request body could not be read: {e}"))
                })?;
                if bytes.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(AppError::TooLarge(MAX_JSON_BYTES));
                }
                bytes.extend_from_slice(&chunk);
            }
            parse_json(&bytes).map(Body)
        })
    }
}

/// A query string. Errors name the parameter at fault.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string, naming the parameter in every error.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|p| message.split(p).nth(1))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let field = named.or_else(|| (path != "." && !path.contains('?')).then_some(path));
        let message = match &field {
            Some(f) => format!("query parameter {f}: {message}"),
            None => format!("invalid query string: {message}"),
        };
        AppError::BadRequest { message, field }
    })
}

/// Parses JSON, turning serde's errors into ones that name the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::bad_request(
            None,
            "the request body is empty; send a JSON object",
        ));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| matches!(b, b'[' | b'"' | b'0'..=b'9' | b'-' | b't' | b'f' | b'n')) {
        return Err(AppError::bad_request(
            None,
            "the request body must be a JSON object",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        // serde reports a missing field at its parent; add the name. (An
        // unknown field's path already ends with it.)
        let named = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(|name| {
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            });
        let (field, message) = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => (
                None,
                format!("the request body is not valid JSON: {message}"),
            ),
            _ => (
                named.or_else(|| (path != "." && !path.contains('?')).then_some(path)),
                message,
            ),
        };
        AppError::BadRequest { message, field }
    })
}

/// The client's address for throttling: the TCP peer, or the address a
/// trusted proxy reports (see [`crate::auth::client::client_address`]).
pub fn client_of(req: &actix_web::HttpRequest, state: &AppState) -> String {
    let forwarded_for = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    crate::auth::client::client_address(
        req.peer_addr().map(|a| a.ip()),
        forwarded_for,
        &state.trusted_proxies,
    )
    .map(|ip| ip.to_string())
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        hours: i64,
    }

    fn field_of(json: &str) -> Option<String> {
        match parse_json::<Sample>(json.as_bytes()).unwrap_err() {
            AppError::BadRequest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Paging {
        limit: Option<i64>,
        q: Option<String>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let field = |q: &str| match parse_query::<Paging>(q).unwrap_err() {
            AppError::BadRequest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(field("limit=abc").as_deref(), Some("limit"));
        assert_eq!(field("limit=5&colour=red").as_deref(), Some("colour"));
        let ok: Paging = parse_query("q=smith%20jo&limit=5").unwrap();
        assert_eq!(ok.q.as_deref(), Some("smith jo"));
        assert_eq!(ok.limit, Some(5));
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"name": "x"}"#).as_deref(), Some("hours"));
        assert_eq!(
            field_of(r#"{"name": "x", "hours": "ten"}"#).as_deref(),
            Some("hours")
        );
        assert_eq!(
            field_of(r#"{"name": "x", "hours": 1, "extra": 2}"#).as_deref(),
            Some("extra")
        );
        assert_eq!(field_of(r#"{"name": "x", "#), None);
        assert!(parse_json::<Sample>(br#"{"name": "x", "hours": 3}"#).is_ok());
    }
}
