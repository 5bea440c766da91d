//! NCCI procedure-to-procedure edits and Medically Unlikely Edits (CMS).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::CodeKey;
use super::import::{ImportError, csv_error, expect_header, opt_date, tsv_reader};
use super::key::KeyMap;
use super::procedures::classify;

/// Whether a PTP edit can be bypassed with a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModifierIndicator {
    /// 0: never.
    NotAllowed,
    /// 1: with an NCCI-associated modifier when clinically justified.
    Allowed,
    /// 9: the edit was deleted retroactively; treat as no edit.
    NotApplicable,
}

/// One procedure-to-procedure edit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PtpEdit {
    #[schema(value_type = String)]
    #[serde(serialize_with = "ser_key")]
    pub column1: CodeKey,
    #[schema(value_type = String)]
    #[serde(serialize_with = "ser_key")]
    pub column2: CodeKey,
    pub effective: NaiveDate,
    pub deletion: Option<NaiveDate>,
    pub modifier_indicator: ModifierIndicator,
    pub rationale: String,
}

fn ser_key<S: serde::Serializer>(k: &CodeKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str_buf().as_str())
}

impl PtpEdit {
    /// In force on a date of service: on or after the effective date and
    /// before the deletion date.
    pub fn active_on(&self, dos: NaiveDate) -> bool {
        self.effective <= dos
            && self.deletion.is_none_or(|d| dos < d)
            && self.modifier_indicator != ModifierIndicator::NotApplicable
    }
}

/// How units over the MUE are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mai {
    /// 1: per claim line; more units may go on another line with a modifier.
    Line,
    /// 2: per date of service, absolute (policy).
    DatePolicy,
    /// 3: per date of service, clinical benchmark (appealable).
    DateClinical,
}

/// One MUE.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mue {
    pub value: u32,
    pub mai: Mai,
    pub rationale: String,
}

/// Column 1 and column 2 codes of an edit.
type Pair = (CodeKey, CodeKey);

/// The loaded NCCI data.
#[derive(Default)]
pub struct Ncci {
    ptp: std::collections::HashMap<
        Pair,
        Vec<PtpEdit>,
        std::hash::BuildHasherDefault<super::key::KeyHasher>,
    >,
    mue: KeyMap<Mue>,
}

const PTP_COLUMNS: &[&str] = &[
    "column1",
    "column2",
    "prior_1996",
    "effective",
    "deletion",
    "modifier_indicator",
    "rationale",
];
const MUE_COLUMNS: &[&str] = &["code", "mue", "mai", "rationale"];

fn proc_key(line: u64, field: &str, raw: &str) -> Result<CodeKey, ImportError> {
    classify(raw)
        .map(|(_, k, _)| k)
        .map_err(|m| ImportError::new(line, field, format!("{raw:?}: {m}")))
}

fn indicator(line: u64, raw: &str) -> Result<ModifierIndicator, ImportError> {
    match raw.trim() {
        "0" => Ok(ModifierIndicator::NotAllowed),
        "1" => Ok(ModifierIndicator::Allowed),
        "9" => Ok(ModifierIndicator::NotApplicable),
        other => Err(ImportError::new(
            line,
            "modifier indicator",
            format!("{other:?} must be 0, 1 or 9"),
        )),
    }
}

fn mai(line: u64, raw: &str) -> Result<Mai, ImportError> {
    match raw.trim().chars().next() {
        Some('1') => Ok(Mai::Line),
        Some('2') => Ok(Mai::DatePolicy),
        Some('3') => Ok(Mai::DateClinical),
        _ => Err(ImportError::new(
            line,
            "MAI",
            format!("{raw:?} must start with 1, 2 or 3"),
        )),
    }
}

fn units(line: u64, raw: &str) -> Result<u32, ImportError> {
    raw.trim()
        .parse()
        .map_err(|_| ImportError::new(line, "MUE value", format!("{raw:?} is not a whole number")))
}

impl Ncci {
    /// The edits shipped with Practicum.
    pub fn shipped() -> Result<Self, ImportError> {
        let mut n = Ncci::default();
        n.load_ptp_tsv(include_str!("../../fixtures/ncci/ptp-practitioner.tsv"))?;
        n.load_mue_tsv(include_str!("../../fixtures/ncci/mue-practitioner.tsv"))?;
        Ok(n)
    }

    fn add_ptp(&mut self, edits: Vec<PtpEdit>) -> usize {
        let n = edits.len();
        for e in edits {
            self.ptp.entry((e.column1, e.column2)).or_default().push(e);
        }
        n
    }

    /// Loads PTP edits from Practicum's tab-separated layout.
    pub fn load_ptp_tsv(&mut self, text: &str) -> Result<usize, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, PTP_COLUMNS)?;
        let mut edits = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            edits.push(ptp_row(line, &r[0], &r[1], &r[3], &r[4], &r[5], &r[6])?);
        }
        Ok(self.add_ptp(edits))
    }

    /// Imports a CMS practitioner PTP file: tab-separated, with header and
    /// copyright lines before the data.
    pub fn import_ptp_cms(
        &mut self,
        text: &str,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, ImportError> {
        let mut edits = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            progress(i);
            let line = i as u64 + 1;
            let fields: Vec<&str> = raw.split('\t').map(str::trim).collect();
            let is_data = fields.len() >= 6 && classify(fields[0]).is_ok();
            if !is_data {
                if edits.is_empty() {
                    continue; // preamble
                }
                if raw.trim().is_empty() {
                    continue;
                }
                return Err(ImportError::new(
                    line,
                    "record",
                    "expected column 1, column 2, prior-1996 flag, effective date, deletion date, modifier indicator, rationale",
                ));
            }
            let rationale = fields.get(6).copied().unwrap_or_default();
            edits.push(ptp_row(
                line, fields[0], fields[1], fields[3], fields[4], fields[5], rationale,
            )?);
        }
        if edits.is_empty() {
            return Err(ImportError::new(1, "record", "no PTP edits found"));
        }
        Ok(self.add_ptp(edits))
    }

    /// Loads MUEs from Practicum's tab-separated layout.
    pub fn load_mue_tsv(&mut self, text: &str) -> Result<usize, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, MUE_COLUMNS)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            rows.push((
                proc_key(line, "code", &r[0])?,
                Mue {
                    value: units(line, &r[1])?,
                    mai: mai(line, &r[2])?,
                    rationale: r[3].to_owned(),
                },
            ));
        }
        let n = rows.len();
        self.mue.extend(rows);
        Ok(n)
    }

    /// Imports a CMS MUE file (CSV: code, MUE value, MAI text, rationale),
    /// skipping the copyright lines before its header row.
    pub fn import_mue_cms(
        &mut self,
        text: &str,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        let mut in_data = false;
        for (i, record) in reader.records().enumerate() {
            progress(i);
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            if !in_data {
                in_data = r
                    .get(0)
                    .is_some_and(|f| f.to_ascii_uppercase().contains("HCPCS"));
                continue;
            }
            if r.iter().all(str::is_empty) {
                continue;
            }
            if r.len() < 3 {
                return Err(ImportError::new(
                    line,
                    "record",
                    "expected code, MUE value, MAI, rationale",
                ));
            }
            let rationale = r.get(3).unwrap_or_default().to_owned();
            rows.push((
                proc_key(line, "code", &r[0])?,
                Mue {
                    value: units(line, &r[1])?,
                    mai: mai(line, &r[2])?,
                    rationale,
                },
            ));
        }
        if rows.is_empty() {
            return Err(ImportError::new(
                1,
                "header",
                "no header row naming the HCPCS/CPT code column, or no data after it",
            ));
        }
        let n = rows.len();
        self.mue.extend(rows);
        Ok(n)
    }

    /// The PTP edit between a column 1 and a column 2 code on a date, if any.
    pub fn ptp(&self, column1: CodeKey, column2: CodeKey, dos: NaiveDate) -> Option<&PtpEdit> {
        self.ptp
            .get(&(column1, column2))?
            .iter()
            .find(|e| e.active_on(dos))
    }

    /// The MUE for a code.
    pub fn mue(&self, code: CodeKey) -> Option<&Mue> {
        self.mue.get(&code)
    }

    /// Counts of loaded PTP edits and MUEs.
    pub fn counts(&self) -> (usize, usize) {
        (self.ptp.values().map(Vec::len).sum(), self.mue.len())
    }
}

fn ptp_row(
    line: u64,
    c1: &str,
    c2: &str,
    effective: &str,
    deletion: &str,
    ind: &str,
    rationale: &str,
) -> Result<PtpEdit, ImportError> {
    Ok(PtpEdit {
        column1: proc_key(line, "column 1", c1)?,
        column2: proc_key(line, "column 2", c2)?,
        effective: opt_date(line, "effective date", effective)?
            .ok_or_else(|| ImportError::new(line, "effective date", "is required"))?,
        deletion: opt_date(line, "deletion date", deletion)?,
        modifier_indicator: indicator(line, ind)?,
        rationale: rationale.to_owned(),
    })
}
