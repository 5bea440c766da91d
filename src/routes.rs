//! The route table. Every path served outside the `/api/v1` scope (whose
//! routes and OpenAPI document are built together) is registered through a
//! [`Router`], which can also just list them: tests walk the very table the
//! server serves, so a new route cannot be left out of the access checks.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

/// One served method and path pattern (`{name}` marks a path parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
}

/// Where routes go: the running app's configuration, or a list.
pub enum Router<'a> {
    Serve(&'a mut web::ServiceConfig),
    List(&'a mut Vec<RouteInfo>),
}

impl Router<'_> {
    /// A GET route.
    pub fn get<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    /// A POST route.
    pub fn post<F, Args>(&mut self, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    fn add<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        match self {
            Router::Serve(cfg) => {
                cfg.route(path, web::route().method(method).to(handler));
            }
            Router::List(list) => list.push(RouteInfo {
                method,
                path: path.to_owned(),
            }),
        }
        self
    }
}

/// Registers everything outside `/api/v1`: probes, the OpenAPI document,
/// FHIR, pages and static assets.
pub fn register(r: &mut Router) {
    r.get("/healthz", crate::api::health::healthz)
        .get("/readyz", crate::api::health::readyz)
        .get("/api/openapi.json", crate::api::health::openapi_json);
    crate::api::fhir::routes(r);
    crate::web::routes(r);
}

/// The path the metrics middleware answers (it is not a registered route).
pub const METRICS_PATH: &str = "/metrics";

/// Every method and path the server answers: the routes above, the metrics
/// endpoint and every operation in the OpenAPI document.
pub fn table() -> Vec<RouteInfo> {
    let mut list = Vec::new();
    register(&mut Router::List(&mut list));
    list.push(RouteInfo {
        method: Method::GET,
        path: METRICS_PATH.to_owned(),
    });
    for (path, item) in crate::startup::openapi().paths.paths {
        for method in crate::api::documented_methods(&item) {
            list.push(RouteInfo {
                method,
                path: path.clone(),
            });
        }
    }
    list
}
