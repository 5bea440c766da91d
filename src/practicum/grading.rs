//! A program's grading settings: its scoring policy, the severity of each
//! claim edit, and when coding hours approve themselves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;
use crate::claims::edits::{Severity, is_rule};
use crate::claims::scoring::ScoringPolicy;

/// Stored as JSON on the program; every field has a default, so an empty
/// object is the shipped behaviour.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Grading {
    /// Weights and penalties (the pass mark is the program's
    /// `pass_threshold_pct`).
    pub policy: ScoringPolicy,
    /// Edit rule id → severity, or `null` to switch the rule off.
    #[schema(schema_with = severities_schema)]
    pub severities: BTreeMap<String, Option<Severity>>,
    /// Coding hours approve themselves when the claim scores at least this
    /// (percent); absent means a supervisor approves every entry.
    #[schema(minimum = 0, maximum = 100)]
    pub auto_approve_hours_at: Option<f64>,
}

/// `{rule id: severity or null}` (utoipa cannot derive a map of optional enums).
fn severities_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::{Ref, RefOr};
    let value = OneOfBuilder::new()
        .item(Ref::from_schema_name("Severity"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build();
    ObjectBuilder::new()
        .description(Some(
            "Edit rule id → severity, or `null` to switch the rule off.",
        ))
        .additional_properties(Some(RefOr::T(Schema::OneOf(value))))
        .build()
}

impl Grading {
    /// Reads stored settings; a value that no longer parses (written by a
    /// newer version) falls back to the defaults rather than failing grading.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The policy to score with under a program's pass mark.
    pub fn policy_with_pass(&self, pass_threshold_pct: i32) -> ScoringPolicy {
        ScoringPolicy {
            pass_threshold: f64::from(pass_threshold_pct),
            ..self.policy.clone()
        }
    }

    /// Checks every value, naming the field.
    pub fn validate(&self) -> Result<(), Invalid> {
        let p = &self.policy;
        let weights = [
            ("policy.first_listed", p.first_listed),
            ("policy.other_diagnoses", p.other_diagnoses),
            ("policy.line_code", p.line_code),
            ("policy.line_modifiers", p.line_modifiers),
            ("policy.line_units", p.line_units),
            ("policy.line_pointers", p.line_pointers),
            ("policy.over_coded_diagnosis", p.over_coded_diagnosis),
            ("policy.over_coded_line", p.over_coded_line),
            ("policy.edit_error", p.edit_error),
            ("policy.edit_error_cap", p.edit_error_cap),
            // Scoring uses the program's pass mark, but a stored value
            // still has to be a percentage.
            ("policy.pass_threshold", p.pass_threshold),
        ];
        for (field, w) in weights {
            if !w.is_finite() || !(0.0..=100.0).contains(&w) {
                return Err(Invalid::new(field, "must be a number from 0 to 100"));
            }
        }
        let earning = p.first_listed
            + p.other_diagnoses
            + p.line_code
            + p.line_modifiers
            + p.line_units
            + p.line_pointers;
        if earning <= 0.0 {
            return Err(Invalid::new(
                "policy",
                "at least one element must carry points",
            ));
        }
        if !p.near_miss_credit.is_finite() || !(0.0..=1.0).contains(&p.near_miss_credit) {
            return Err(Invalid::new(
                "policy.near_miss_credit",
                "must be a fraction from 0 to 1",
            ));
        }
        if let Some(rule) = self.severities.keys().find(|r| !is_rule(r)) {
            return Err(Invalid::new(
                "severities",
                format!("{rule:?} is not a claim edit rule id"),
            ));
        }
        if let Some(at) = self.auto_approve_hours_at
            && (!at.is_finite() || !(0.0..=100.0).contains(&at))
        {
            return Err(Invalid::new(
                "auto_approve_hours_at",
                "must be a percentage from 0 to 100",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_is_the_shipped_defaults() {
        let g: Grading = serde_json::from_str("{}").unwrap();
        assert_eq!(g, Grading::default());
        assert_eq!(g.policy_with_pass(70).pass_threshold, 70.0);
        assert_eq!(Grading::from_stored("not json"), Grading::default());
    }

    #[test]
    fn bad_settings_name_their_field() {
        let mut g = Grading::default();
        g.policy.line_units = -1.0;
        assert_eq!(g.validate().unwrap_err().field, "policy.line_units");
        let mut g = Grading::default();
        g.severities.insert("NO-SUCH-RULE".into(), None);
        assert_eq!(g.validate().unwrap_err().field, "severities");
        let mut g = Grading::default();
        g.severities.insert("DX-SEX".into(), Some(Severity::Error));
        g.auto_approve_hours_at = Some(101.0);
        assert_eq!(g.validate().unwrap_err().field, "auto_approve_hours_at");
        g.auto_approve_hours_at = Some(90.0);
        assert!(g.validate().is_ok());
        assert!(
            serde_json::from_str::<Grading>(r#"{"polcy": {}}"#).is_err(),
            "unknown fields are refused"
        );
    }
}
