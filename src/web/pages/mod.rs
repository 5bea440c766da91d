//! Page handlers, one module per area.

mod admin;
mod assignments;
mod audit;
mod auth;
mod coding;
mod docs;
mod ehr;
mod encoder;
mod home;
mod reports;
mod review;

use crate::routes::Router;
use serde::Deserialize;

pub(super) fn routes(r: &mut Router) {
    auth::routes(r);
    home::routes(r);
    admin::routes(r);
    docs::routes(r);
    encoder::routes(r);
    ehr::routes(r);
    coding::routes(r);
    assignments::routes(r);
    reports::routes(r);
    review::routes(r);
    audit::routes(r);
}

/// The `?notice=` confirmation code after a redirect.
#[derive(Debug, Default, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
}

/// A form that carries nothing but its CSRF token (buttons that act).
#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// A form whose fields repeat (checkboxes), read from the raw body.
struct FormFields(Vec<(String, String)>);

impl FormFields {
    fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of a field, trimmed; empty when absent.
    fn first(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of a repeated field, as sent.
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}
