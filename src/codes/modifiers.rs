//! CPT and HCPCS modifiers, and which codes each may go with.

use serde::Serialize;
use utoipa::ToSchema;

use super::import::{ImportError, csv_error, expect_header, tsv_reader};
use super::procedures::{Procedure, Section};
use super::search::System;

/// The kind of code a modifier may be appended to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    Any,
    /// E/M codes only (24, 25, 57).
    Em,
    /// Services with a professional/technical split (26, TC).
    SplitService,
    /// Procedures on paired or numbered anatomy (LT, RT, F1, T1, E1, LC …).
    PairedAnatomy,
    /// Procedures the fee schedule allows modifier 50 on.
    BilateralEligible,
    /// Surgical procedures.
    Surgical,
    /// Anesthesia services.
    Anesthesia,
    /// Laboratory tests (91, QW).
    Lab,
    /// Drugs (JW, JZ).
    Drug,
    /// NCCI distinct-service modifiers (59, XE, XS, XP, XU).
    NcciDistinct,
    /// Repeat procedures (76, 77).
    Repeat,
    /// Preventive services (33, PT).
    Preventive,
    /// Telehealth (95, 93, GT).
    Telehealth,
    /// Liability and policy notices (GA, GZ, GY, GX, KX).
    Liability,
}

impl AppliesTo {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "any" => AppliesTo::Any,
            "em" => AppliesTo::Em,
            "split_service" => AppliesTo::SplitService,
            "paired_anatomy" => AppliesTo::PairedAnatomy,
            "bilateral_eligible" => AppliesTo::BilateralEligible,
            "surgical" => AppliesTo::Surgical,
            "anesthesia" => AppliesTo::Anesthesia,
            "lab" => AppliesTo::Lab,
            "drug" => AppliesTo::Drug,
            "ncci_distinct" => AppliesTo::NcciDistinct,
            "repeat" => AppliesTo::Repeat,
            "preventive" => AppliesTo::Preventive,
            "telehealth" => AppliesTo::Telehealth,
            "liability" => AppliesTo::Liability,
            _ => return None,
        })
    }
}

/// One modifier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Modifier {
    pub modifier: String,
    /// CPT or HCPCS Level II.
    pub source: System,
    pub applies_to: AppliesTo,
    pub description: String,
}

/// Why a modifier does not fit a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misfit {
    /// Not a modifier Practicum knows.
    Unknown,
    /// The code is not of the kind the modifier needs; the text says why.
    Wrong(String),
}

/// The modifier table.
#[derive(Default)]
pub struct Modifiers {
    rows: Vec<Modifier>,
}

const COLUMNS: &[&str] = &["modifier", "source", "applies_to", "description"];

impl Modifiers {
    /// The table shipped with Practicum.
    pub fn shipped() -> Result<Self, ImportError> {
        Self::from_tsv(include_str!("../../fixtures/modifiers/modifiers.tsv"))
    }

    /// Reads the tab-separated table.
    pub fn from_tsv(text: &str) -> Result<Self, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, COLUMNS)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            let m = r[0].to_ascii_uppercase();
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(ImportError::new(
                    line,
                    "modifier",
                    format!("{m:?} is not two letters or digits"),
                ));
            }
            let source = match &r[1] {
                "cpt" => System::Cpt,
                "hcpcs" => System::Hcpcs,
                other => {
                    return Err(ImportError::new(
                        line,
                        "source",
                        format!("{other:?} must be cpt or hcpcs"),
                    ));
                }
            };
            let applies_to = AppliesTo::parse(&r[2]).ok_or_else(|| {
                ImportError::new(line, "applies_to", format!("unknown rule {:?}", &r[2]))
            })?;
            rows.push(Modifier {
                modifier: m,
                source,
                applies_to,
                description: r[3].to_owned(),
            });
        }
        rows.sort_by(|a, b| a.modifier.cmp(&b.modifier));
        Ok(Modifiers { rows })
    }

    /// Looks a modifier up (any case).
    pub fn get(&self, modifier: &str) -> Option<&Modifier> {
        let m = modifier.trim();
        self.rows
            .iter()
            .find(|r| r.modifier.eq_ignore_ascii_case(m))
    }

    /// Every modifier.
    pub fn all(&self) -> &[Modifier] {
        &self.rows
    }

    /// Whether `modifier` may go on `proc`, and if not, why.
    pub fn fits(&self, modifier: &str, proc: &Procedure) -> Result<&Modifier, Misfit> {
        let m = self.get(modifier).ok_or(Misfit::Unknown)?;
        let code = proc.code.to_string();
        let wrong = |why: String| Err(Misfit::Wrong(why));
        match m.applies_to {
            AppliesTo::Em if proc.section != Section::Em => wrong(format!(
                "{} goes only on E/M codes; {code} is not one",
                m.modifier
            )),
            AppliesTo::SplitService => {
                let ok = match m.modifier.as_str() {
                    "26" => matches!(proc.pc_tc, Some(1 | 6 | 8)),
                    _ => proc.pc_tc == Some(1),
                };
                if ok {
                    Ok(m)
                } else {
                    wrong(format!(
                        "{} needs a service with a professional/technical split; {code} has none",
                        m.modifier
                    ))
                }
            }
            AppliesTo::BilateralEligible => match proc.bilateral {
                Some(1 | 3) => Ok(m),
                Some(2) => wrong(format!(
                    "{code} is already bilateral by definition; do not add 50"
                )),
                _ => wrong(format!(
                    "the fee schedule does not allow modifier 50 on {code}"
                )),
            },
            AppliesTo::PairedAnatomy
                if matches!(
                    proc.section,
                    Section::Em | Section::PathologyLab | Section::Anesthesia
                ) =>
            {
                wrong(format!(
                    "{} marks a side or digit; it does not apply to {code}",
                    m.modifier
                ))
            }
            AppliesTo::Surgical if proc.section != Section::Surgery => wrong(format!(
                "{} applies to surgical procedures; {code} is not one",
                m.modifier
            )),
            AppliesTo::Anesthesia if proc.section != Section::Anesthesia => wrong(format!(
                "{} applies to anesthesia services; {code} is not one",
                m.modifier
            )),
            AppliesTo::Lab if proc.section != Section::PathologyLab => wrong(format!(
                "{} applies to laboratory tests; {code} is not one",
                m.modifier
            )),
            AppliesTo::Drug if !(proc.system == System::Hcpcs && code.starts_with('J')) => {
                wrong(format!(
                    "{} applies to drugs from single-use containers; {code} is not a drug code",
                    m.modifier
                ))
            }
            _ => Ok(m),
        }
    }

    /// Modifiers that may go on a code.
    pub fn fitting(&self, proc: &Procedure) -> Vec<&Modifier> {
        self.rows
            .iter()
            .filter(|m| self.fits(&m.modifier, proc).is_ok())
            .collect()
    }
}
