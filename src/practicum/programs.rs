//! Programs (PPE requirements) and cohorts (terms), and the rules on their values.

use chrono::{Datelike, NaiveDate};

use super::{Invalid, required_text};

/// Most practicum hours a program may require; well above any accreditor's figure.
pub const MAX_PPE_HOURS: i32 = 2000;

/// A program's editable settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramSpec {
    /// Unique display name.
    pub name: String,
    /// Approved practicum hours a student needs to complete.
    pub ppe_hours_required: i32,
    /// Score (percent) a claim needs to pass.
    pub pass_threshold_pct: i32,
}

impl ProgramSpec {
    /// Checks every field, reporting the first problem.
    pub fn parse(
        name: &str,
        ppe_hours_required: i64,
        pass_threshold_pct: i64,
    ) -> Result<Self, Invalid> {
        let name = required_text("name", name, 120)?;
        let ppe_hours_required =
            bounded("ppe_hours_required", ppe_hours_required, 0, MAX_PPE_HOURS)?;
        let pass_threshold_pct = bounded("pass_threshold_pct", pass_threshold_pct, 0, 100)?;
        Ok(Self {
            name,
            ppe_hours_required,
            pass_threshold_pct,
        })
    }
}

/// A cohort's editable settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortSpec {
    /// Name, unique within the program.
    pub name: String,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term (inclusive).
    pub term_end: NaiveDate,
}

impl CohortSpec {
    /// Checks the name and that the term does not end before it starts.
    pub fn parse(name: &str, term_start: NaiveDate, term_end: NaiveDate) -> Result<Self, Invalid> {
        let name = required_text("name", name, 120)?;
        if term_end < term_start {
            return Err(Invalid::new("term_end", "must not be before term_start"));
        }
        if (term_end - term_start).num_days() > 3 * 366 {
            return Err(Invalid::new(
                "term_end",
                "a term may last at most three years",
            ));
        }
        Ok(Self {
            name,
            term_start,
            term_end,
        })
    }
}

/// Where a cohort's term stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermStatus {
    /// The term has not started.
    Upcoming,
    /// The day falls inside the term.
    Current,
    /// The term is over.
    Ended,
}

impl TermStatus {
    /// The status of the term `[start, end]` on `today`.
    pub fn on(today: NaiveDate, start: NaiveDate, end: NaiveDate) -> Self {
        if today < start {
            TermStatus::Upcoming
        } else if today > end {
            TermStatus::Ended
        } else {
            TermStatus::Current
        }
    }

    /// A label for pages.
    pub fn label(self) -> &'static str {
        match self {
            TermStatus::Upcoming => "Upcoming",
            TermStatus::Current => "Current",
            TermStatus::Ended => "Ended",
        }
    }
}

/// The academic term containing `today`: spring (January–May), summer
/// (June–August) or fall (September–December), with its name.
pub fn academic_term(today: NaiveDate) -> (String, NaiveDate, NaiveDate) {
    let year = today.year();
    let (label, start, end) = match today.month() {
        1..=5 => ("Spring", (1, 1), (5, 31)),
        6..=8 => ("Summer", (6, 1), (8, 31)),
        _ => ("Fall", (9, 1), (12, 31)),
    };
    let day = |(m, d): (u32, u32)| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
    (format!("{label} {year}"), day(start), day(end))
}

fn bounded(field: &'static str, value: i64, min: i32, max: i32) -> Result<i32, Invalid> {
    if value < i64::from(min) || value > i64::from(max) {
        return Err(Invalid::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(value as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn program_fields_are_bounded() {
        let ok = ProgramSpec::parse(" Coding Certificate ", 120, 80).unwrap();
        assert_eq!(ok.name, "Coding Certificate");
        assert_eq!(ProgramSpec::parse("", 1, 1).unwrap_err().field, "name");
        assert_eq!(
            ProgramSpec::parse("x", -1, 1).unwrap_err().field,
            "ppe_hours_required"
        );
        assert_eq!(
            ProgramSpec::parse("x", 2001, 1).unwrap_err().field,
            "ppe_hours_required"
        );
        assert_eq!(
            ProgramSpec::parse("x", 1, 101).unwrap_err().field,
            "pass_threshold_pct"
        );
    }

    #[test]
    fn cohort_term_must_be_ordered() {
        assert!(CohortSpec::parse("Fall", d(2026, 9, 1), d(2026, 12, 31)).is_ok());
        assert!(CohortSpec::parse("One day", d(2026, 9, 1), d(2026, 9, 1)).is_ok());
        let err = CohortSpec::parse("Fall", d(2026, 9, 2), d(2026, 9, 1)).unwrap_err();
        assert_eq!(err.field, "term_end");
    }

    #[test]
    fn term_status_and_academic_term() {
        let (start, end) = (d(2026, 9, 1), d(2026, 12, 31));
        assert_eq!(
            TermStatus::on(d(2026, 8, 31), start, end),
            TermStatus::Upcoming
        );
        assert_eq!(
            TermStatus::on(d(2026, 9, 1), start, end),
            TermStatus::Current
        );
        assert_eq!(TermStatus::on(d(2027, 1, 1), start, end), TermStatus::Ended);
        assert_eq!(
            academic_term(d(2026, 11, 25)),
            ("Fall 2026".into(), start, end)
        );
        assert_eq!(academic_term(d(2026, 2, 28)).0, "Spring 2026");
        assert_eq!(academic_term(d(2026, 7, 4)).1, d(2026, 6, 1));
    }
}
