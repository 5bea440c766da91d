//! Accounts: roles, e-mail addresses and password rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Invalid, required_text};

/// What a user does in the practicum; fixed per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Codes encounters and logs practicum hours.
    Student,
    /// Reviews claims, owns answer keys, approves hours for their cohorts.
    Supervisor,
    /// Runs one or more programs: cohorts, accounts, requirements, reports.
    ProgramAdmin,
}

impl Role {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Supervisor => "supervisor",
            Role::ProgramAdmin => "program_admin",
        }
    }

    /// A label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Student => "Student",
            Role::Supervisor => "Supervisor",
            Role::ProgramAdmin => "Program administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "student" => Ok(Role::Student),
            "supervisor" => Ok(Role::Supervisor),
            "program_admin" => Ok(Role::ProgramAdmin),
            _ => Err(Invalid::new(
                "role",
                "must be one of student, supervisor, program_admin",
            )),
        }
    }
}

/// The part a user plays in one cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CohortRole {
    /// Enrolled to do the practicum.
    Student,
    /// Supervises the cohort's students.
    Supervisor,
}

impl CohortRole {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            CohortRole::Student => "student",
            CohortRole::Supervisor => "supervisor",
        }
    }

    /// The account role a user needs to be enrolled in this part.
    pub fn required_account_role(self) -> Role {
        match self {
            CohortRole::Student => Role::Student,
            CohortRole::Supervisor => Role::Supervisor,
        }
    }
}

impl FromStr for CohortRole {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "student" => Ok(CohortRole::Student),
            "supervisor" => Ok(CohortRole::Supervisor),
            _ => Err(Invalid::new("role", "must be student or supervisor")),
        }
    }
}

/// Shortest password accepted for a new or changed account.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted; bounds the hashing work one request can ask for.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Normalizes an e-mail address (trimmed, lower case) and checks its shape.
pub fn parse_email(raw: &str) -> Result<String, Invalid> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(Invalid::new("email", "must not be empty"));
    }
    if email.len() > 254 {
        return Err(Invalid::new("email", "must be at most 254 characters"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Invalid::new("email", "must look like name@example.org"));
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '@');
    if !domain_ok || !local_ok {
        return Err(Invalid::new("email", "must look like name@example.org"));
    }
    Ok(email)
}

/// Checks a new password against the account policy.
pub fn check_new_password(password: &str) -> Result<(), Invalid> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Invalid::new(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Checks a display name: required, at most 120 characters.
pub fn parse_display_name(raw: &str) -> Result<String, Invalid> {
    required_text("display_name", raw, 120)
}

/// Checks an optional professional credential (for example "CPC, RHIT").
pub fn parse_credential(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required_text("credential", text, 60).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            parse_email("  Student1@Demo.Example ").unwrap(),
            "student1@demo.example"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@nodot",
            "a@.org",
            "a b@x.org",
            "a@x_y.org",
        ] {
            let err = parse_email(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad}");
        }
    }

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for role in [Role::Student, Role::Supervisor, Role::ProgramAdmin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(
            CohortRole::Supervisor.required_account_role(),
            Role::Supervisor
        );
        assert!("program_admin".parse::<CohortRole>().is_err());
    }

    #[test]
    fn password_policy_bounds_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars").is_ok());
        assert!(check_new_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn credential_is_optional_but_bounded() {
        assert_eq!(parse_credential(None).unwrap(), None);
        assert_eq!(parse_credential(Some("  ")).unwrap(), None);
        assert_eq!(
            parse_credential(Some(" CPC ")).unwrap().as_deref(),
            Some("CPC")
        );
        assert!(parse_credential(Some(&"x".repeat(61))).is_err());
    }
}
