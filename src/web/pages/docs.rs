//! The browsable API documentation, rendered from the generated OpenAPI document.

use crate::routes::Router;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{RefOr, Required};

use crate::startup::openapi;
use crate::web::{Chrome, html};

pub(super) fn routes(r: &mut Router) {
    r.get("/api/docs", api_docs);
}

struct DocParam {
    name: String,
    location: &'static str,
    required: bool,
    description: String,
}

struct DocResponse {
    status: String,
    description: String,
    schema: Option<String>,
}

struct DocOperation {
    anchor: String,
    method: &'static str,
    path: String,
    summary: String,
    description: String,
    secured: bool,
    params: Vec<DocParam>,
    body: Option<String>,
    responses: Vec<DocResponse>,
}

struct DocSchema {
    name: String,
    json: String,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    chrome: Chrome,
    version: String,
    operations: Vec<DocOperation>,
    schemas: Vec<DocSchema>,
}

fn ref_name<T>(r: &RefOr<T>) -> Option<String> {
    match r {
        RefOr::Ref(r) => r.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => None,
    }
}

fn schema_name<'a>(
    mut contents: impl Iterator<Item = &'a utoipa::openapi::Content>,
) -> Option<String> {
    contents
        .find_map(|c| c.schema.as_ref())
        .and_then(|s| match s {
            RefOr::Ref(_) => ref_name(s),
            RefOr::T(utoipa::openapi::Schema::Array(a)) => match &a.items {
                utoipa::openapi::schema::ArrayItems::RefOrSchema(inner) => {
                    ref_name(inner).map(|n| format!("{n}[]"))
                }
                _ => None,
            },
            RefOr::T(_) => None,
        })
}

fn describe(method: &'static str, path: &str, op: &Operation) -> DocOperation {
    let params = op
        .parameters
        .iter()
        .flatten()
        .map(|p| DocParam {
            name: p.name.clone(),
            location: match p.parameter_in {
                ParameterIn::Path => "path",
                ParameterIn::Query => "query",
                ParameterIn::Header => "header",
                ParameterIn::Cookie => "cookie",
            },
            required: matches!(p.required, Required::True),
            description: p.description.clone().unwrap_or_default(),
        })
        .collect();
    let body = op
        .request_body
        .as_ref()
        .and_then(|b| schema_name(b.content.values()))
        .map(|n| n.trim_end_matches("[]").to_owned());
    let responses = op
        .responses
        .responses
        .iter()
        .map(|(status, r)| match r {
            RefOr::T(resp) => DocResponse {
                status: status.clone(),
                description: resp.description.clone(),
                schema: schema_name(resp.content.values())
                    .map(|n| n.trim_end_matches("[]").to_owned()),
            },
            RefOr::Ref(_) => DocResponse {
                status: status.clone(),
                description: String::new(),
                schema: ref_name(r),
            },
        })
        .collect();
    DocOperation {
        anchor: format!(
            "{}-{}",
            method.to_lowercase(),
            path.replace(['/', '{', '}'], "-")
        ),
        method,
        path: path.to_owned(),
        summary: op.summary.clone().unwrap_or_default(),
        description: op.description.clone().unwrap_or_default(),
        secured: op.security.as_ref().is_some_and(|s| !s.is_empty()),
        params,
        body,
        responses,
    }
}

async fn api_docs() -> HttpResponse {
    let doc = openapi();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods: [(&'static str, &Option<Operation>); 5] = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                operations.push(describe(method, path, op));
            }
        }
    }
    let schemas = doc
        .components
        .iter()
        .flat_map(|c| c.schemas.iter())
        .map(|(name, schema)| DocSchema {
            name: name.clone(),
            json: serde_json::to_string_pretty(schema).unwrap_or_default(),
        })
        .collect();
    let page = DocsPage {
        chrome: Chrome::anonymous(),
        version: doc.info.version.clone(),
        operations,
        schemas,
    };
    html(StatusCode::OK, &page)
}
