//! Practicum rules that need neither a web server nor a database: who is who,
//! what a valid program, cohort or account looks like, and who may see what.

pub mod access;
pub mod accounts;
pub mod assignments;
pub mod grading;
pub mod hours;
pub mod programs;
pub mod reports;
pub mod roster;
pub mod visibility;

use std::fmt;

/// A rule broken by an input value, naming the field so a form or API client
/// can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The input field at fault (JSON name).
    pub field: &'static str,
    /// What is wrong with it, in plain words.
    pub message: String,
}

impl Invalid {
    /// A new finding for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

/// Trims a required text field and bounds its length.
pub fn required_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}
