//! The JSON API under `/api/v1`, described by an OpenAPI document generated
//! from the handlers themselves.

pub mod accounts;
pub mod assignments;
pub mod auth;
pub mod claims;
pub mod codes;
pub mod ehr;
pub mod extract;
pub mod fhir;
pub mod health;
pub mod hours;
pub mod programs;
pub mod reports;
pub mod review;

use std::sync::OnceLock;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, ResponseError};
use utoipa::openapi::path::{Operation, ParameterIn, PathItem, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::OpenApiFactory;
use utoipa_actix_web::scope::Scope;

use crate::error::AppError;

/// The document's fixed parts; paths are collected from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Practicum API",
        description = "Simulated EHR practicum sandbox for medical-coding education. \
                       All patient data served by this API is synthetic. Errors have the body \
                       `{\"error\": {\"code\", \"message\", \"field\"?}}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::ErrorBody))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(extract::SESSION_COOKIE))),
        );
    }
}

/// The `/api/v1` scope with every endpoint. Its document entries get the
/// error responses every operation shares (see [`Shared`]), and a method the
/// document does not list for a path is answered 405 with `Allow`.
pub fn v1() -> Shared<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    Shared(
        utoipa_actix_web::scope("/api/v1")
            .configure(auth::configure)
            .configure(programs::configure)
            .configure(accounts::configure)
            .configure(codes::configure)
            .configure(ehr::configure)
            .configure(claims::configure)
            .configure(assignments::configure)
            .configure(hours::configure)
            .configure(review::configure)
            .configure(reports::configure)
            .default_service(actix_web::web::to(unknown_route))
            .wrap(from_fn(method_allowed)),
    )
}

/// The API scope, whose document paths get the error responses that the
/// extractors and middleware give every operation, so no handler has to
/// repeat them: 400 (unreadable path, query or body), 401 (secured
/// operations), 414 (query parameters), 413 and 415 (JSON bodies). A
/// handler's own entry for a status wins.
pub struct Shared<T>(Scope<T>);

impl<T, B> actix_web::dev::HttpServiceFactory for Shared<T>
where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    fn register(self, config: &mut actix_web::dev::AppService) {
        self.0.register(config);
    }
}

impl<T> OpenApiFactory for Shared<T> {
    fn paths(&self) -> Paths {
        let mut paths = self.0.paths();
        for item in paths.paths.values_mut() {
            for op in operations_mut(item) {
                add_shared_responses(op);
            }
        }
        paths
    }

    fn schemas(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        self.0.schemas(schemas);
        for (name, schema) in schemas.iter_mut() {
            // Bodies refused when empty. (utoipa-gen 5.5 writes a derived
            // `min_properties` as maxProperties, so it is set here.)
            if NON_EMPTY.contains(&name.as_str())
                && let RefOr::T(Schema::Object(object)) = schema
            {
                object.min_properties = Some(1);
            }
        }
    }
}

/// Request bodies that must name at least one field.
const NON_EMPTY: &[&str] = &["UserPatch"];

/// The methods a document path has an operation for.
pub fn documented_methods(item: &PathItem) -> Vec<Method> {
    [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::PATCH, &item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.is_some().then_some(m))
    .collect()
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn add_shared_responses(op: &mut Operation) {
    let has_param = |place: fn(&ParameterIn) -> bool| {
        op.parameters
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| place(&p.parameter_in)))
    };
    let has_params = has_param(|p| matches!(p, ParameterIn::Path | ParameterIn::Query));
    let has_query = has_param(|p| matches!(p, ParameterIn::Query));
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    let mut shared = Vec::new();
    if has_params || json_body {
        shared.push((
            "400",
            "Unreadable request: a path or query parameter or the body is malformed (the field is named where possible)",
        ));
    }
    if op.security.is_some() {
        shared.push((
            "401",
            "Not signed in, or the token is invalid, expired or revoked",
        ));
    }
    let too_long = format!(
        "Query string over {} bytes",
        crate::middleware::MAX_QUERY_BYTES
    );
    if has_query {
        shared.push(("414", too_long.as_str()));
    }
    if json_body {
        shared.push(("413", "Body over 256 KiB"));
        shared.push((
            "415",
            "Body is not JSON (send Content-Type: application/json)",
        ));
    }
    for (status, description) in shared {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    }
}

/// A response with the error contract's body.
fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The methods the document lists for each API path, as path segments
/// (`None` for a `{parameter}`).
type Table = Vec<(Vec<Option<String>>, Vec<Method>)>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let doc = crate::startup::openapi();
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                    .collect();
                (segments, documented_methods(item))
            })
            .collect()
    })
}

/// The methods of the document path that `path` is, if any. Where two match
/// (`/claims/check` and `/claims/{claim_id}`), literal segments win, earliest
/// first, as a reader of the document would take it.
fn methods_of(path: &str) -> Option<&'static [Method]> {
    let segments: Vec<&str> = path.split('/').collect();
    table()
        .iter()
        .filter(|(pattern, _)| {
            pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| match p {
                    Some(literal) => literal == s,
                    None => !s.is_empty(),
                })
        })
        .max_by_key(|(pattern, _)| pattern.iter().map(|p| p.is_some()).collect::<Vec<bool>>())
        .map(|(_, methods)| methods.as_slice())
}

/// Answers a method the document does not list for an API path with 405 and
/// `Allow`, before routing: otherwise it falls through to a 404, or to a
/// sibling route that reads the literal segment as a parameter (GET
/// `/claims/check` as claim "check").
async fn method_allowed(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let allowed = methods_of(req.path());
    match allowed {
        Some(methods) if !methods.contains(req.method()) => {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut response = AppError::MethodNotAllowed.error_response();
            if let Ok(value) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            Ok(req.into_response(response))
        }
        _ => next.call(req).await,
    }
}

/// Any other path under `/api/v1`.
async fn unknown_route() -> HttpResponse {
    AppError::NotFound("route").error_response()
}
