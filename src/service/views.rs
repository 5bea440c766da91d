//! What the API returns and the pages show: records as a caller may see them.

use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::practicum::accounts::{CohortRole, Role};
use crate::practicum::programs::TermStatus;
use crate::store::cohorts::{CohortRow, EnrolmentRow};
use crate::store::programs::ProgramRow;
use crate::store::users::UserRow;

/// Stored times are UTC without an offset; the API writes them as RFC 3339
/// with `Z`, the `date-time` its document promises (and what clients need to
/// read them as UTC rather than local time), and reads them back in that
/// form or without an offset (taken as UTC).
pub mod utc {
    use chrono::{DateTime, NaiveDateTime, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    /// A UTC time, e.g. `2026-12-01T09:00:00.250Z`.
    pub fn at<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// An optional UTC time (null when absent).
    pub fn opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => at(t, s),
            None => s.serialize_none(),
        }
    }

    /// Reads `2026-12-01T09:00:00Z`, `…+02:00` (converted to UTC),
    /// `2026-12-01T09:00:00` or `2026-12-01T09:00` (UTC).
    pub fn parse(raw: &str) -> Option<NaiveDateTime> {
        let raw = raw.trim();
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.naive_utc())
            .or_else(|_| raw.parse::<NaiveDateTime>())
            .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
            .ok()
    }

    /// An optional time in any form [`parse`] reads (use with `default`).
    pub fn opt_from<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(raw) => parse(&raw).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("{raw:?} is not a time like 2026-12-01T09:00:00Z"))
            }),
        }
    }
}

/// An account, without its password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Professional credential, e.g. "CPC, RHIT" (shown on practicum logs).
    pub credential: Option<String>,
    /// Home program.
    pub program_id: i64,
    /// Inactive accounts cannot sign in.
    pub active: bool,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub created_at: NaiveDateTime,
}

impl UserView {
    /// The view of a stored row; a row with an unknown role reads as a student,
    /// the least privileged (the schema's CHECK makes that impossible anyway).
    pub fn from_row(row: &UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            role: row.role.parse().unwrap_or(Role::Student),
            credential: row.credential.clone(),
            program_id: row.program_id,
            active: row.active,
            created_at: row.created_at,
        }
    }
}

/// A program and its PPE requirements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgramView {
    pub id: i64,
    pub name: String,
    /// Approved practicum hours required for completion.
    pub ppe_hours_required: i32,
    /// Score a claim needs to pass, in percent.
    pub pass_threshold_pct: i32,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub updated_at: NaiveDateTime,
}

impl From<&ProgramRow> for ProgramView {
    fn from(row: &ProgramRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            ppe_hours_required: row.ppe_hours_required,
            pass_threshold_pct: row.pass_threshold_pct,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Where a term stands today.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TermState {
    Upcoming,
    Current,
    Ended,
}

/// A cohort and its term.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CohortView {
    pub id: i64,
    pub program_id: i64,
    pub name: String,
    pub term_start: NaiveDate,
    pub term_end: NaiveDate,
    /// Where the term stands today (UTC).
    pub status: TermState,
}

impl CohortView {
    /// A label for pages.
    pub fn status_label(&self) -> &'static str {
        match self.status {
            TermState::Upcoming => TermStatus::Upcoming.label(),
            TermState::Current => TermStatus::Current.label(),
            TermState::Ended => TermStatus::Ended.label(),
        }
    }
}

impl From<&CohortRow> for CohortView {
    fn from(row: &CohortRow) -> Self {
        let status = match TermStatus::on(Utc::now().date_naive(), row.term_start, row.term_end) {
            TermStatus::Upcoming => TermState::Upcoming,
            TermStatus::Current => TermState::Current,
            TermStatus::Ended => TermState::Ended,
        };
        Self {
            id: row.id,
            program_id: row.program_id,
            name: row.name.clone(),
            term_start: row.term_start,
            term_end: row.term_end,
            status,
        }
    }
}

/// A user's place in a cohort.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolmentView {
    pub cohort_id: i64,
    pub role: CohortRole,
    #[serde(serialize_with = "crate::service::views::utc::at")]
    pub enrolled_at: NaiveDateTime,
    pub user: UserView,
}

impl EnrolmentView {
    /// From a stored enrolment and its account.
    pub fn from_rows(enrolment: &EnrolmentRow, user: &UserRow) -> Self {
        Self {
            cohort_id: enrolment.cohort_id,
            role: enrolment.role.parse().unwrap_or(CohortRole::Student),
            enrolled_at: enrolment.created_at,
            user: UserView::from_row(user),
        }
    }
}

/// One cohort the caller belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Membership {
    pub cohort: CohortView,
    /// The part the caller plays in it.
    pub role: CohortRole,
}

/// The signed-in user and what they belong to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    /// The caller's home program.
    pub program: ProgramView,
    /// Programs the caller administers.
    pub administers: Vec<ProgramView>,
    /// Cohorts the caller is enrolled in.
    pub cohorts: Vec<Membership>,
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Timelike};

    use super::utc;

    #[test]
    fn times_go_out_with_z_and_come_back_in_any_utc_form() {
        let at = NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_milli_opt(9, 0, 0, 250)
            .unwrap();
        let mut out = Vec::new();
        utc::at(&at, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(out, br#""2026-12-01T09:00:00.250Z""#);
        for raw in [
            "2026-12-01T09:00:00.250Z",
            "2026-12-01T11:00:00.250+02:00",
            "2026-12-01T09:00:00.250",
        ] {
            assert_eq!(utc::parse(raw), Some(at), "{raw}");
        }
        assert_eq!(utc::parse("2026-12-01T09:00"), at.with_nanosecond(0));
        assert_eq!(utc::parse("yesterday"), None);
    }
}
