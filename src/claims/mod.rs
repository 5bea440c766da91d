//! Coded claims (CMS-1500 items 21 and 24) and the edits a scrubber runs on
//! them. Pure domain: no web or database types.

pub mod edits;
pub mod scoring;
pub mod x12;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::practicum::Invalid;

/// Most diagnoses on one claim (items 21 A–L).
pub const MAX_DIAGNOSES: usize = 12;
/// Most service lines on one claim.
pub const MAX_LINES: usize = 50;
/// Most modifiers and pointers on one line.
pub const MAX_PER_LINE: usize = 4;

/// The patient facts edits need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimPatient {
    /// `F` or `M`.
    pub sex: String,
    pub birth_date: NaiveDate,
}

/// One service line (item 24).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimLine {
    /// CPT or HCPCS Level II code.
    #[schema(example = "25600")]
    pub code: String,
    #[serde(default)]
    pub modifiers: Vec<String>,
    #[serde(default = "one")]
    pub units: u32,
    /// Diagnosis pointers, letters A–L.
    #[serde(default)]
    pub pointers: Vec<String>,
    /// Place of service; the claim's default when omitted.
    #[serde(default)]
    pub pos: Option<String>,
    /// Date of service of the line; the claim's when omitted.
    #[serde(default)]
    pub date_of_service: Option<NaiveDate>,
    /// Charge in dollars (optional).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub charge: Option<f64>,
}

fn one() -> u32 {
    1
}

/// A claim in the interchange shape used by the API and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub date_of_service: NaiveDate,
    pub patient: ClaimPatient,
    /// ICD-10-CM codes in order; the first is first-listed (A). Dots optional.
    #[schema(example = json!(["S52.531A", "W01.0XXA"]))]
    pub diagnoses: Vec<String>,
    pub lines: Vec<ClaimLine>,
}

/// The letter of the diagnosis at `index` (0 → A).
pub fn letter(index: usize) -> char {
    char::from(b'A' + index as u8)
}

/// The diagnosis index a pointer names (`A` or `a` → 0), if it is a letter A–L.
pub fn pointer_index(pointer: &str) -> Option<usize> {
    let p = pointer.trim();
    let mut chars = p.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            let i = (c.to_ascii_uppercase() as u8 - b'A') as usize;
            (i < MAX_DIAGNOSES).then_some(i)
        }
        _ => None,
    }
}

impl Claim {
    /// Checks what the form itself enforces (counts, shapes); the content of
    /// codes is the edits' business. Returns the claim with codes, modifiers
    /// and pointers in canonical form (upper case, trimmed).
    pub fn normalized(mut self) -> Result<Self, Invalid> {
        if self.diagnoses.len() > MAX_DIAGNOSES {
            return Err(Invalid::new(
                "diagnoses",
                format!("at most {MAX_DIAGNOSES} diagnoses (A–L) fit on a claim"),
            ));
        }
        if self.lines.len() > MAX_LINES {
            return Err(Invalid::new(
                "lines",
                format!("at most {MAX_LINES} service lines per claim"),
            ));
        }
        if !matches!(self.patient.sex.trim(), "F" | "M" | "f" | "m") {
            return Err(Invalid::new("patient.sex", "must be F or M"));
        }
        self.patient.sex = self.patient.sex.trim().to_ascii_uppercase();
        if self.patient.birth_date > self.date_of_service {
            return Err(Invalid::new(
                "patient.birth_date",
                "is after the date of service",
            ));
        }
        for d in &mut self.diagnoses {
            *d = d.trim().to_ascii_uppercase();
            if d.is_empty() || d.len() > 10 {
                return Err(Invalid::new(
                    "diagnoses",
                    "each diagnosis is a code of 3 to 8 characters",
                ));
            }
        }
        for (i, l) in self.lines.iter_mut().enumerate() {
            let n = i + 1;
            l.code = l.code.trim().to_ascii_uppercase();
            if l.code.is_empty() || l.code.len() > 7 {
                return Err(Invalid::new(
                    "lines",
                    format!("line {n}: the code must be a CPT or HCPCS code"),
                ));
            }
            if l.modifiers.len() > MAX_PER_LINE {
                return Err(Invalid::new(
                    "lines",
                    format!("line {n}: at most {MAX_PER_LINE} modifiers"),
                ));
            }
            for m in &mut l.modifiers {
                *m = m.trim().to_ascii_uppercase();
                if m.len() != 2 || !m.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(Invalid::new(
                        "lines",
                        format!("line {n}: a modifier is two letters or digits"),
                    ));
                }
            }
            if l.pointers.len() > MAX_PER_LINE {
                return Err(Invalid::new(
                    "lines",
                    format!("line {n}: at most {MAX_PER_LINE} diagnosis pointers"),
                ));
            }
            for p in &mut l.pointers {
                if pointer_index(p).is_none() {
                    return Err(Invalid::new(
                        "lines",
                        format!("line {n}: pointer {p:?} is not a letter A–L"),
                    ));
                }
                *p = p.trim().to_ascii_uppercase();
            }
            if l.units == 0 || l.units > 9999 {
                return Err(Invalid::new(
                    "lines",
                    format!("line {n}: units must be 1 to 9999"),
                ));
            }
            if l.charge.is_some_and(|c| !(0.0..=1_000_000.0).contains(&c)) {
                return Err(Invalid::new(
                    "lines",
                    format!("line {n}: the charge must be between 0 and 1,000,000"),
                ));
            }
            if let Some(pos) = &mut l.pos {
                *pos = pos.trim().to_owned();
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> Claim {
        serde_json::from_str(
            r#"{"date_of_service": "2026-06-14", "patient": {"sex": "f", "birth_date": "1980-01-01"},
                "diagnoses": ["s52.531a", "W01.0XXA"],
                "lines": [{"code": "25600", "modifiers": ["rt"], "units": 1, "pointers": ["a", "B"], "pos": "11"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn normalizes_case_and_keeps_order() {
        let c = claim().normalized().unwrap();
        assert_eq!(c.diagnoses, ["S52.531A", "W01.0XXA"]);
        assert_eq!(c.lines[0].modifiers, ["RT"]);
        assert_eq!(c.lines[0].pointers, ["A", "B"]);
        assert_eq!(c.patient.sex, "F");
    }

    #[test]
    fn refuses_what_the_form_cannot_hold() {
        let field = |c: Claim| c.normalized().unwrap_err().field;
        let mut c = claim();
        c.diagnoses = vec!["R05.9".into(); 13];
        assert_eq!(field(c), "diagnoses");
        let mut c = claim();
        c.lines[0].pointers = vec!["M".into()];
        assert_eq!(field(c), "lines");
        let mut c = claim();
        c.lines[0].units = 0;
        assert_eq!(field(c), "lines");
        let mut c = claim();
        c.patient.sex = "X".into();
        assert_eq!(field(c), "patient.sex");
        assert_eq!(pointer_index("l"), Some(11));
        assert_eq!(pointer_index("M"), None);
    }
}
