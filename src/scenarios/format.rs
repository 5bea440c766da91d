//! The scenario file format (TOML): what a scenario declares. Loading checks
//! the syntax here; `engine` checks templates, variables and codes.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Stable identifier, e.g. `ortho-colles-fracture`.
    pub id: String,
    /// Bumped whenever output for a seed may change.
    pub version: u32,
    pub title: String,
    /// Area, e.g. `orthopedics`, `em-office`.
    pub specialty: String,
    /// foundation, intermediate or advanced.
    pub difficulty: String,
    /// Place of service code.
    pub pos: String,
    /// commercial, medicare or medicaid.
    pub payer: String,
    /// Youngest and oldest patient age in years.
    pub age: [u32; 2],
    /// F, M or any.
    #[serde(default = "any_sex")]
    pub sex: String,
    /// Estimated minutes a student needs to code it.
    pub minutes: u32,
    /// What the scenario teaches, for supervisors.
    #[serde(default)]
    pub teaching_points: Vec<String>,
    #[serde(default)]
    pub variables: Vec<Variable>,
    /// The structured record, as templates.
    #[serde(default)]
    pub record: Record,
    pub documents: Vec<DocumentSpec>,
    pub key: KeySpec,
}

fn any_sex() -> String {
    "any".into()
}

/// A variable with weighted choices; each choice may set derived attributes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    pub choices: Vec<Choice>,
}

/// One value of a variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: String,
    #[serde(default = "one")]
    pub weight: u32,
    /// Derived attributes, e.g. `{ icd_side = "1", modifier = "RT" }`.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

/// Problem list, medications, allergies and vitals overrides, as templates.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default)]
    pub medications: Vec<String>,
    #[serde(default)]
    pub allergies: Vec<String>,
    /// Vital-sign overrides, e.g. `temperature_f = "101.4"`.
    #[serde(default)]
    pub vitals: BTreeMap<String, String>,
    /// The patient's standing with the practice, a template rendering to
    /// `new` (no professional service from the group and specialty in the
    /// past three years) or `established`; default established.
    #[serde(default)]
    pub standing: Option<String>,
    /// Structured results (labs, point-of-care tests) shown on the chart's
    /// results tab and available to the documents as `results`.
    #[serde(default)]
    pub results: Vec<ResultSpec>,
}

/// One structured result. The value is either a template (`value`) or drawn
/// by the seeded generator from `draw` with `decimals` places; a numeric
/// value outside `normal` is flagged H or L.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    /// Name later value templates use (`lab.<id>`), e.g. to calculate LDL.
    #[serde(default)]
    pub id: Option<String>,
    /// The panel or order it belongs to, e.g. `Lipid panel`.
    pub panel: String,
    pub name: String,
    /// LOINC code, for the FHIR view.
    #[serde(default)]
    pub loinc: Option<String>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub draw: Option<[f64; 2]>,
    #[serde(default)]
    pub decimals: u32,
    /// Numeric reference interval.
    #[serde(default)]
    pub normal: Option<[f64; 2]>,
    /// Reference as text, for qualitative results (e.g. `Negative`).
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub when: Option<String>,
}

/// A document to render.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    /// progress_note, procedure_note, operative_note, radiology_report, lab_report, pathology_report.
    pub kind: String,
    pub title: String,
    /// Rendered only when this expression is true.
    #[serde(default)]
    pub when: Option<String>,
    pub template: String,
}

/// The answer key as rules over the variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub diagnoses: Vec<DiagnosisRule>,
    pub lines: Vec<LineRule>,
}

/// One diagnosis of the key, in order (the first one is first-listed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisRule {
    /// Name lines point at.
    pub id: String,
    /// The code, a template (dots optional).
    pub code: String,
    #[serde(default)]
    pub when: Option<String>,
    /// Codes also accepted in this place.
    #[serde(default)]
    pub alternates: Vec<String>,
    pub rationale: String,
    /// Guideline reference, e.g. "ICD-10-CM I.C.19.c.1".
    pub guideline: String,
}

/// One service line of the key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRule {
    pub code: String,
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub modifiers: Vec<String>,
    /// Units as a template (an expression result), default 1.
    #[serde(default = "one_unit")]
    pub units: String,
    /// Diagnosis ids, in pointer order.
    pub pointers: Vec<String>,
    #[serde(default)]
    pub alternates: Vec<String>,
    pub rationale: String,
    pub guideline: String,
}

fn one_unit() -> String {
    "1".into()
}
