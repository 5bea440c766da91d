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

use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::scope::Scope;

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

/// The `/api/v1` scope with every endpoint.
pub fn v1() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
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
}
