//! Claim edits, like a scrubber's: each finding has a stable rule id, a
//! severity a program may change, the diagnosis or line it concerns, a
//! plain-language message and a reference. The edits run on any claim, with
//! or without an answer key.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Claim, letter, pointer_index};
use crate::codes::icd10cm::notes::NoteKind;
use crate::codes::icd10cm::{Icd10Cm, Problem};
use crate::codes::import::ImportError;
use crate::codes::ncci::{Mai, ModifierIndicator};
use crate::codes::procedures::{ProcProblem, Procedure, Section};
use crate::codes::{CodeKey, CodeSets};

/// How much a finding matters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", content = "index", rename_all = "lowercase")]
pub enum Target {
    Claim,
    /// A diagnosis, by position (0 = A).
    Diagnosis(usize),
    /// A service line, by position (0 = line 1).
    Line(usize),
}

/// One edit finding.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Finding {
    /// Stable rule id, e.g. `DX-EXCLUDES1`.
    pub rule: &'static str,
    pub severity: Severity,
    pub target: Target,
    /// The code concerned, where there is one.
    pub code: Option<String>,
    pub message: String,
    /// Where the rule comes from.
    pub reference: &'static str,
}

/// Every rule, with its default severity and reference.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "DX-MALFORMED",
        Severity::Error,
        "ICD-10-CM Tabular List conventions",
    ),
    ("DX-UNKNOWN", Severity::Error, "ICD-10-CM Tabular List"),
    (
        "DX-HEADER",
        Severity::Error,
        "ICD-10-CM Official Guidelines I.A.2, I.B.2 (report to the highest specificity)",
    ),
    (
        "DX-SEVENTH-MISSING",
        Severity::Error,
        "ICD-10-CM Official Guidelines I.A.5, I.B.2 (7th characters, placeholder X)",
    ),
    (
        "DX-SEVENTH-INVALID",
        Severity::Error,
        "ICD-10-CM Tabular 7th-character definitions",
    ),
    (
        "DX-NOT-EFFECTIVE",
        Severity::Error,
        "ICD-10-CM release in force on the date of service",
    ),
    (
        "DX-DUPLICATE",
        Severity::Error,
        "ICD-10-CM Official Guidelines I.B.12",
    ),
    (
        "DX-EXCLUDES1",
        Severity::Warning,
        "ICD-10-CM Official Guidelines I.A.12.a (Excludes1)",
    ),
    (
        "DX-MANIFESTATION-FIRST",
        Severity::Error,
        "ICD-10-CM Official Guidelines I.A.13 (etiology/manifestation)",
    ),
    (
        "DX-EXTERNAL-CAUSE-FIRST",
        Severity::Error,
        "ICD-10-CM Official Guidelines I.C.20 (external causes are never first-listed)",
    ),
    (
        "DX-USE-ADDITIONAL",
        Severity::Warning,
        "ICD-10-CM Tabular 'use additional code' note",
    ),
    (
        "DX-SEX",
        Severity::Warning,
        "Medicare Code Editor sex edit (configurable list)",
    ),
    (
        "DX-AGE",
        Severity::Warning,
        "Medicare Code Editor age edit (configurable list)",
    ),
    (
        "DX-UNPOINTED",
        Severity::Warning,
        "CMS-1500 item 24E: every listed diagnosis supports a service",
    ),
    (
        "LINE-MALFORMED",
        Severity::Error,
        "CPT / HCPCS Level II code structure",
    ),
    (
        "LINE-UNKNOWN",
        Severity::Error,
        "CPT / HCPCS Level II code set",
    ),
    (
        "LINE-NOT-EFFECTIVE",
        Severity::Error,
        "HCPCS/CPT effective and termination dates",
    ),
    (
        "LINE-NO-POINTER",
        Severity::Error,
        "CMS-1500 item 24E (diagnosis pointer required)",
    ),
    (
        "LINE-POINTER-EMPTY",
        Severity::Error,
        "CMS-1500 item 24E (pointer to a listed diagnosis, A–L)",
    ),
    (
        "LINE-POINTER-DUPLICATE",
        Severity::Warning,
        "CMS-1500 item 24E",
    ),
    (
        "MOD-UNKNOWN",
        Severity::Error,
        "CPT Appendix A / HCPCS Level II modifiers",
    ),
    (
        "MOD-MISFIT",
        Severity::Error,
        "CPT Appendix A; CMS Physician Fee Schedule indicators (PC/TC, bilateral)",
    ),
    ("MOD-DUPLICATE", Severity::Warning, "CMS-1500 item 24D"),
    (
        "NCCI-PTP",
        Severity::Error,
        "CMS NCCI procedure-to-procedure edits",
    ),
    (
        "NCCI-MUE",
        Severity::Error,
        "CMS NCCI medically unlikely edits",
    ),
    (
        "ADDON-NO-PRIMARY",
        Severity::Error,
        "CPT add-on code conventions; CMS NCCI add-on code edits",
    ),
];

/// Modifiers that may bypass a PTP edit with indicator 1 (25 and 57 only
/// when the column 2 code is an E/M).
const NCCI_BYPASS: &[&str] = &[
    "59", "XE", "XS", "XP", "XU", "24", "25", "27", "57", "58", "78", "79", "91",
];

/// Anatomic modifiers: they bypass a PTP edit when the two lines name
/// different sites.
const ANATOMIC: &[&str] = &[
    "LT", "RT", "E1", "E2", "E3", "E4", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "FA",
    "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "TA", "LC", "LD", "LM", "RC", "RI",
];

/// "Use additional code" notes that depend on what the record documents
/// (tobacco exposure where present, a status if applicable) are not
/// expectations; these phrases mark them. List items ("associated cachexia",
/// "insulin") are choices under a heading, not single instructions, and do
/// not start with "code".
const CONDITIONAL_NOTE: &[&str] = &[
    "applicable",
    "if known",
    "if present",
    "control using",
    "any ",
];

/// One age or sex range of the configurable lists.
#[derive(Debug, Clone)]
pub struct CodeRange {
    from: String,
    to: String,
    label: String,
}

impl CodeRange {
    fn covers(&self, code: &str) -> bool {
        let c = code.replace('.', "");
        let head = |n: usize| c.get(..n.min(c.len())).unwrap_or_default().to_owned();
        head(self.from.len()) >= self.from && head(self.to.len()) <= self.to
    }
}

/// Edit settings: severity overrides and the age and sex lists.
#[derive(Debug, Clone)]
pub struct EditConfig {
    /// Rule id → severity; `None` switches the rule off.
    pub overrides: BTreeMap<String, Option<Severity>>,
    sex: Vec<(CodeRange, String)>,
    age: Vec<(CodeRange, u32, u32)>,
}

impl EditConfig {
    /// The shipped lists (`fixtures/edits/age-sex.tsv`) and default severities.
    pub fn shipped() -> Result<Self, ImportError> {
        Self::from_tsv(include_str!("../../fixtures/edits/age-sex.tsv"))
    }

    /// Reads age and sex lists from the TSV layout of the shipped file.
    pub fn from_tsv(text: &str) -> Result<Self, ImportError> {
        let mut cfg = EditConfig {
            overrides: BTreeMap::new(),
            sex: Vec::new(),
            age: Vec::new(),
        };
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            if raw.starts_with('#') || raw.trim().is_empty() {
                continue;
            }
            if !header_seen {
                header_seen = true;
                continue;
            }
            let cols: Vec<&str> = raw.split('\t').collect();
            let bad =
                |field: &str, message: String| ImportError::new(line_no as u64, field, message);
            let [kind, from, to, allowed, label] = cols[..] else {
                return Err(bad(
                    "row",
                    format!("expected 5 columns, found {}", cols.len()),
                ));
            };
            let range = CodeRange {
                from: from.trim().to_owned(),
                to: to.trim().to_owned(),
                label: label.trim().to_owned(),
            };
            match kind {
                "sex" if matches!(allowed, "F" | "M") => cfg.sex.push((range, allowed.into())),
                "age" => {
                    let (lo, hi) = allowed
                        .split_once('-')
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                        .ok_or_else(|| bad("allowed", format!("{allowed:?} is not min-max")))?;
                    cfg.age.push((range, lo, hi));
                }
                _ => return Err(bad("kind", format!("{kind:?} with {allowed:?}"))),
            }
        }
        Ok(cfg)
    }

    fn severity(&self, rule: &str) -> Option<Severity> {
        if let Some(o) = self.overrides.get(rule) {
            return *o;
        }
        RULES.iter().find(|r| r.0 == rule).map(|r| r.1)
    }
}

fn reference(rule: &str) -> &'static str {
    RULES.iter().find(|r| r.0 == rule).map_or("", |r| r.2)
}

/// Collects findings, applying the configured severities.
struct Report<'a> {
    cfg: &'a EditConfig,
    findings: Vec<Finding>,
}

impl Report<'_> {
    fn add(&mut self, rule: &'static str, target: Target, code: Option<&str>, message: String) {
        if let Some(severity) = self.cfg.severity(rule) {
            self.findings.push(Finding {
                rule,
                severity,
                target,
                code: code.map(str::to_owned),
                message,
                reference: reference(rule),
            });
        }
    }
}

fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    crate::scenarios::patient::age_on(birth, on)
}

/// Runs every edit on a claim (normalized or not).
pub fn run(claim: &Claim, codes: &CodeSets, cfg: &EditConfig) -> Vec<Finding> {
    let mut r = Report {
        cfg,
        findings: Vec::new(),
    };
    let dos = claim.date_of_service;
    let table = codes.icd10cm_on(dos).or(codes.icd10cm_latest());
    let dx = diagnoses(&mut r, claim, codes, table);
    lines(&mut r, claim, codes, &dx);
    r.findings
        .sort_by_key(|f| (std::cmp::Reverse(f.severity), order(f.target)));
    r.findings
}

fn order(t: Target) -> (u8, usize) {
    match t {
        Target::Claim => (0, 0),
        Target::Diagnosis(i) => (1, i),
        Target::Line(i) => (2, i),
    }
}

/// Per diagnosis: its key when it is a reportable code.
fn diagnoses(
    r: &mut Report<'_>,
    claim: &Claim,
    codes: &CodeSets,
    table: Option<&Icd10Cm>,
) -> Vec<Option<CodeKey>> {
    let dos = claim.date_of_service;
    let mut keys: Vec<Option<CodeKey>> = Vec::new();
    for (i, text) in claim.diagnoses.iter().enumerate() {
        let t = Target::Diagnosis(i);
        let slot = letter(i);
        match codes.validate_icd10cm(text, dos) {
            Ok(v) => keys.push(Some(v.key)),
            Err(p) => {
                let (rule, why) = match p {
                    Problem::Malformed(why) => ("DX-MALFORMED", why.to_owned()),
                    Problem::Unknown => ("DX-UNKNOWN", "is not in the ICD-10-CM release".into()),
                    Problem::Header { .. } => (
                        "DX-HEADER",
                        "is a category or subcategory with more specific codes under it; report one of them".into(),
                    ),
                    Problem::MissingSeventh { .. } => (
                        "DX-SEVENTH-MISSING",
                        "needs a 7th character (pad with X to reach position 7)".into(),
                    ),
                    Problem::InvalidSeventh { given, .. } => (
                        "DX-SEVENTH-INVALID",
                        format!("takes no 7th character {:?} here", char::from(given)),
                    ),
                    Problem::NotEffective { from, to } => (
                        "DX-NOT-EFFECTIVE",
                        format!("the release in force covers {from} to {to}, not {dos}"),
                    ),
                };
                r.add(rule, t, Some(text), format!("{slot}. {text} {why}."));
                keys.push(None);
            }
        }
    }
    // Duplicates.
    for (i, k) in keys.iter().enumerate() {
        if let Some(k) = k
            && let Some(first) = keys[..i].iter().position(|o| o.as_ref() == Some(k))
        {
            r.add(
                "DX-DUPLICATE",
                Target::Diagnosis(i),
                Some(&claim.diagnoses[i]),
                format!(
                    "{}. {} repeats {}; report a code once per claim.",
                    letter(i),
                    claim.diagnoses[i],
                    letter(first)
                ),
            );
        }
    }
    let Some(table) = table else {
        return keys;
    };
    // First-listed position.
    if let Some(Some(first)) = keys.first() {
        let code = &claim.diagnoses[0];
        if table.is_manifestation(*first) {
            r.add(
                "DX-MANIFESTATION-FIRST",
                Target::Diagnosis(0),
                Some(code),
                format!("A. {code} is a manifestation code (\"in diseases classified elsewhere\"); list the underlying condition first."),
            );
        }
        if matches!(first.byte(0), Some(b'V' | b'W' | b'X' | b'Y')) {
            r.add(
                "DX-EXTERNAL-CAUSE-FIRST",
                Target::Diagnosis(0),
                Some(code),
                format!("A. {code} is an external-cause code; it explains an injury and is never first-listed."),
            );
        }
    }
    // Excludes1 pairs, inherited notes included.
    for i in 0..keys.len() {
        for j in (i + 1)..keys.len() {
            if let (Some(a), Some(b)) = (keys[i], keys[j])
                && a != b
                && let Some(note) = table.excludes1_between(a, b)
            {
                r.add(
                    "DX-EXCLUDES1",
                    Target::Diagnosis(j),
                    Some(&claim.diagnoses[j]),
                    format!(
                        "{}. {} and {}. {} are not coded together (Excludes1: \"{}\"), unless the conditions are unrelated.",
                        letter(i),
                        claim.diagnoses[i],
                        letter(j),
                        claim.diagnoses[j],
                        note.text
                    ),
                );
            }
        }
    }
    // Use-additional-code expectations: some code of the cited set present.
    for (i, k) in keys.iter().enumerate() {
        let Some(k) = k else { continue };
        // Category-level and below: chapter and block notes are general advice.
        let notes = table.all_notes_for(*k);
        let expected = notes.iter().filter(|(node, note)| {
            node.key.is_some()
                && note.kind == NoteKind::UseAdditionalCode
                && !note.refs.is_empty()
                && note
                    .text
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("code")
                && !CONDITIONAL_NOTE
                    .iter()
                    .any(|p| note.text.to_ascii_lowercase().contains(p))
        });
        for (_, note) in expected {
            let met = keys
                .iter()
                .flatten()
                .any(|other| other != k && note.covers(*other));
            if !met {
                r.add(
                    "DX-USE-ADDITIONAL",
                    Target::Diagnosis(i),
                    Some(&claim.diagnoses[i]),
                    format!(
                        "{}. {} says \"{}\"; no such code is listed. Add one if the record documents it.",
                        letter(i),
                        claim.diagnoses[i],
                        note.text
                    ),
                );
            }
        }
    }
    // Age and sex lists.
    let age = age_on(claim.patient.birth_date, claim.date_of_service);
    for (i, text) in claim.diagnoses.iter().enumerate() {
        if keys[i].is_none() {
            continue;
        }
        let code = keys[i].map(|k| k.to_string()).unwrap_or_default();
        if let Some((range, sex)) = r.cfg.sex.iter().find(|(rg, _)| rg.covers(&code))
            && *sex != claim.patient.sex
        {
            let who = if sex == "F" { "female" } else { "male" };
            r.add(
                "DX-SEX",
                Target::Diagnosis(i),
                Some(text),
                format!(
                    "{}. {text} ({}) is expected only for {who} patients; the claim says {}.",
                    letter(i),
                    range.label,
                    claim.patient.sex
                ),
            );
        }
        if let Some((range, lo, hi)) = r
            .cfg
            .age
            .iter()
            .find(|(rg, lo, hi)| rg.covers(&code) && !(*lo..=*hi).contains(&age))
        {
            r.add(
                "DX-AGE",
                Target::Diagnosis(i),
                Some(text),
                format!(
                    "{}. {text} ({}) is expected for ages {lo}–{hi}; the patient is {age}.",
                    letter(i),
                    range.label
                ),
            );
        }
    }
    keys
}

fn proc_problem(p: ProcProblem) -> (&'static str, String) {
    match p {
        ProcProblem::Malformed(why) => ("LINE-MALFORMED", why.to_owned()),
        ProcProblem::Unknown => (
            "LINE-UNKNOWN",
            "is not in the CPT/HCPCS table loaded".into(),
        ),
        ProcProblem::NotEffective => (
            "LINE-NOT-EFFECTIVE",
            "is not in effect on the date of service".into(),
        ),
    }
}

fn lines(r: &mut Report<'_>, claim: &Claim, codes: &CodeSets, dx: &[Option<CodeKey>]) {
    let mut procs: Vec<Option<&Procedure>> = Vec::new();
    let mut pointed = vec![false; dx.len()];
    for (i, l) in claim.lines.iter().enumerate() {
        let t = Target::Line(i);
        let n = i + 1;
        let dos = l.date_of_service.unwrap_or(claim.date_of_service);
        let proc = match codes.procedures.validate(&l.code, dos) {
            Ok(p) => Some(p),
            Err(p) => {
                let (rule, why) = proc_problem(p);
                r.add(
                    rule,
                    t,
                    Some(&l.code),
                    format!("Line {n}: {} {why}.", l.code),
                );
                None
            }
        };
        procs.push(proc);
        // Pointers.
        if l.pointers.is_empty() {
            r.add(
                "LINE-NO-POINTER",
                t,
                Some(&l.code),
                format!(
                    "Line {n}: {} points at no diagnosis; every service needs at least one.",
                    l.code
                ),
            );
        }
        let mut seen = Vec::new();
        for p in &l.pointers {
            match pointer_index(p) {
                Some(idx) if idx < dx.len() => {
                    pointed[idx] = true;
                    if seen.contains(&idx) {
                        r.add(
                            "LINE-POINTER-DUPLICATE",
                            t,
                            Some(&l.code),
                            format!("Line {n}: pointer {p} is given twice."),
                        );
                    }
                    seen.push(idx);
                }
                _ => r.add(
                    "LINE-POINTER-EMPTY",
                    t,
                    Some(&l.code),
                    format!(
                        "Line {n}: pointer {p} names an empty diagnosis slot (the claim lists {}).",
                        if dx.is_empty() {
                            "none".to_owned()
                        } else {
                            format!("A–{}", letter(dx.len() - 1))
                        }
                    ),
                ),
            }
        }
        // Modifiers.
        let mut mods_seen: Vec<&str> = Vec::new();
        for m in &l.modifiers {
            if mods_seen.contains(&m.as_str()) {
                r.add(
                    "MOD-DUPLICATE",
                    t,
                    Some(&l.code),
                    format!("Line {n}: modifier {m} is given twice."),
                );
            }
            mods_seen.push(m);
            match (codes.modifiers.get(m), proc) {
                (None, _) => r.add(
                    "MOD-UNKNOWN",
                    t,
                    Some(&l.code),
                    format!("Line {n}: {m} is not a modifier Practicum knows."),
                ),
                (Some(_), Some(p)) => {
                    if let Err(crate::codes::modifiers::Misfit::Wrong(why)) =
                        codes.modifiers.fits(m, p)
                    {
                        r.add("MOD-MISFIT", t, Some(&l.code), format!("Line {n}: {why}."));
                    }
                }
                (Some(_), None) => {}
            }
        }
        if l.modifiers.iter().any(|m| m == "50")
            && l.modifiers.iter().any(|m| m == "LT" || m == "RT")
        {
            r.add(
                "MOD-MISFIT",
                t,
                Some(&l.code),
                format!("Line {n}: 50 already means both sides; do not add LT or RT to it."),
            );
        }
        if l.modifiers.iter().any(|m| m == "LT") && l.modifiers.iter().any(|m| m == "RT") {
            r.add(
                "MOD-MISFIT",
                t,
                Some(&l.code),
                format!("Line {n}: LT and RT on one line; a bilateral service takes 50 (or one line per side where the payer asks)."),
            );
        }
        // MUE, per line (MAI 1); date-of-service sums below.
        if let Some(p) = proc
            && let Some(mue) = codes.ncci.mue(p.code)
            && mue.mai == Mai::Line
            && l.units > mue.value
        {
            r.add(
                "NCCI-MUE",
                t,
                Some(&l.code),
                format!(
                    "Line {n}: {} units of {} exceed the MUE of {} per line (MAI 1); the whole line would be denied. More units may go on another line with an appropriate modifier when documented.",
                    l.units, l.code, mue.value
                ),
            );
        }
    }
    // Diagnoses nothing points to.
    for (i, used) in pointed.iter().enumerate() {
        // External causes explain an injury; lines point at the injury.
        let external = dx[i].is_some_and(|k| matches!(k.byte(0), Some(b'V' | b'W' | b'X' | b'Y')));
        if !used && dx[i].is_some() && !external && !claim.lines.is_empty() {
            r.add(
                "DX-UNPOINTED",
                Target::Diagnosis(i),
                Some(&claim.diagnoses[i]),
                format!(
                    "{}. {} is listed but no service line points to it.",
                    letter(i),
                    claim.diagnoses[i]
                ),
            );
        }
    }
    // MUE per date of service (MAI 2 and 3): units summed over the lines.
    let mut sums: BTreeMap<(CodeKey, NaiveDate), (u32, usize)> = BTreeMap::new();
    for (i, (l, p)) in claim.lines.iter().zip(&procs).enumerate() {
        if let Some(p) = p {
            let e = sums
                .entry((p.code, l.date_of_service.unwrap_or(claim.date_of_service)))
                .or_insert((0, i));
            e.0 += l.units;
        }
    }
    for ((code, day), (units, first)) in sums {
        if let Some(mue) = codes.ncci.mue(code)
            && mue.mai != Mai::Line
            && units > mue.value
        {
            let kind = if mue.mai == Mai::DatePolicy {
                "2, policy"
            } else {
                "3, clinical benchmark"
            };
            r.add(
                "NCCI-MUE",
                Target::Line(first),
                Some(&code.to_string()),
                format!(
                    "{units} units of {code} on {day} exceed the MUE of {} per date of service (MAI {kind}), summed over every line.",
                    mue.value
                ),
            );
        }
    }
    // NCCI procedure-to-procedure pairs.
    for (i, (li, pi)) in claim.lines.iter().zip(&procs).enumerate() {
        for (j, (lj, pj)) in claim.lines.iter().zip(&procs).enumerate() {
            let (Some(pi), Some(pj)) = (pi, pj) else {
                continue;
            };
            if i == j || pi.code == pj.code {
                continue;
            }
            let dos = li.date_of_service.unwrap_or(claim.date_of_service);
            if lj.date_of_service.unwrap_or(claim.date_of_service) != dos {
                continue;
            }
            let Some(edit) = codes.ncci.ptp(pi.code, pj.code, dos) else {
                continue;
            };
            let general = |m: &String, column2: bool| match m.as_str() {
                "25" | "57" => column2 && pj.section == Section::Em,
                other => NCCI_BYPASS.contains(&other),
            };
            let sites = |l: &super::ClaimLine| -> Vec<String> {
                l.modifiers
                    .iter()
                    .filter(|m| ANATOMIC.contains(&m.as_str()))
                    .cloned()
                    .collect()
            };
            let (si, sj) = (sites(li), sites(lj));
            let bypassed = lj.modifiers.iter().any(|m| general(m, true))
                || li
                    .modifiers
                    .iter()
                    .any(|m| general(m, false) && m != "25" && m != "57")
                || (!si.is_empty() && !sj.is_empty() && si != sj);
            let fires = match edit.modifier_indicator {
                ModifierIndicator::NotApplicable => false,
                ModifierIndicator::NotAllowed => true,
                ModifierIndicator::Allowed => !bypassed,
            };
            if fires {
                let how = match edit.modifier_indicator {
                    ModifierIndicator::NotAllowed => {
                        "no modifier can unbundle this pair (indicator 0)".to_owned()
                    }
                    _ => format!(
                        "report it only when separately documented, with an NCCI-associated modifier such as {} (indicator 1)",
                        if pj.section == Section::Em {
                            "25 on the E/M"
                        } else {
                            "59 or XS"
                        }
                    ),
                };
                r.add(
                    "NCCI-PTP",
                    Target::Line(j),
                    Some(&lj.code),
                    format!(
                        "Line {}: {} is bundled into {} on line {} ({}); {how}.",
                        j + 1,
                        lj.code,
                        li.code,
                        i + 1,
                        edit.rationale
                    ),
                );
            }
        }
    }
    // Add-on codes without their primary.
    for (i, (l, p)) in claim.lines.iter().zip(&procs).enumerate() {
        let Some(p) = p else { continue };
        if !p.add_on {
            continue;
        }
        let present: Vec<CodeKey> = procs.iter().flatten().map(|q| q.code).collect();
        let ok = if p.primaries.is_empty() {
            procs.iter().flatten().any(|q| !q.add_on)
        } else {
            p.primaries.iter().any(|k| present.contains(k))
        };
        if !ok {
            let need = if p.primaries.is_empty() {
                "a primary procedure".to_owned()
            } else {
                p.primaries
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            r.add(
                "ADDON-NO-PRIMARY",
                Target::Line(i),
                Some(&l.code),
                format!(
                    "Line {}: {} is an add-on code and is reported only with {need}.",
                    i + 1,
                    l.code
                ),
            );
        }
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

/// Applies a program's severity settings to findings: a rule may be raised,
/// lowered or switched off (`None`).
pub fn apply_overrides(
    findings: Vec<Finding>,
    overrides: &BTreeMap<String, Option<Severity>>,
) -> Vec<Finding> {
    if overrides.is_empty() {
        return findings;
    }
    findings
        .into_iter()
        .filter_map(|mut f| match overrides.get(f.rule) {
            Some(None) => None,
            Some(Some(s)) => {
                f.severity = *s;
                Some(f)
            }
            None => Some(f),
        })
        .collect()
}

/// Whether a rule id is one of ours.
pub fn is_rule(id: &str) -> bool {
    RULES.iter().any(|r| r.0 == id)
}

/// Counts findings by severity.
pub fn counts(findings: &[Finding]) -> Counts {
    let mut c = Counts::default();
    for f in findings {
        match f.severity {
            Severity::Error => c.error += 1,
            Severity::Warning => c.warning += 1,
            Severity::Info => c.info += 1,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{ClaimLine, ClaimPatient};

    fn line(code: &str, mods: &[&str], units: u32, ptrs: &[&str]) -> ClaimLine {
        ClaimLine {
            code: code.into(),
            modifiers: mods.iter().map(|s| s.to_string()).collect(),
            units,
            pointers: ptrs.iter().map(|s| s.to_string()).collect(),
            pos: Some("11".into()),
            date_of_service: None,
            charge: None,
        }
    }

    fn claim(sex: &str, born: &str, dx: &[&str], lines: Vec<ClaimLine>) -> Claim {
        Claim {
            date_of_service: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
            patient: ClaimPatient {
                sex: sex.into(),
                birth_date: born.parse().unwrap(),
            },
            diagnoses: dx.iter().map(|s| s.to_string()).collect(),
            lines,
        }
    }

    fn rules(c: &Claim) -> Vec<&'static str> {
        let codes = crate::codes::shipped_shared().unwrap();
        run(c, &codes, &EditConfig::shipped().unwrap())
            .iter()
            .map(|f| f.rule)
            .collect()
    }

    fn office(dx: &[&str]) -> Claim {
        let ptrs: Vec<&str> = ["A", "B", "C", "D"][..dx.len().min(4)].to_vec();
        claim("F", "1980-01-01", dx, vec![line("99213", &[], 1, &ptrs)])
    }

    /// Asserts `rule` fires on `bad` and not on `good`.
    fn fires(rule: &str, bad: &Claim, good: &Claim) {
        assert!(
            rules(bad).contains(&rule),
            "{rule} should fire: {:?}",
            rules(bad)
        );
        assert!(
            !rules(good).contains(&rule),
            "{rule} should not fire: {:?}",
            rules(good)
        );
    }

    #[test]
    fn a_clean_claim_has_no_findings() {
        assert!(
            rules(&office(&["J02.9"])).is_empty(),
            "{:?}",
            rules(&office(&["J02.9"]))
        );
    }

    #[test]
    fn diagnosis_code_validity() {
        fires("DX-MALFORMED", &office(&["12"]), &office(&["J02.9"]));
        fires("DX-UNKNOWN", &office(&["J02.7"]), &office(&["J02.9"]));
        fires("DX-HEADER", &office(&["J02"]), &office(&["J02.0"]));
        fires(
            "DX-SEVENTH-MISSING",
            &office(&["S52.531"]),
            &office(&["S52.531A"]),
        );
        fires(
            "DX-SEVENTH-INVALID",
            &office(&["S52.531Z"]),
            &office(&["S52.531D"]),
        );
        let mut old = office(&["J02.9"]);
        old.date_of_service = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
        fires("DX-NOT-EFFECTIVE", &old, &office(&["J02.9"]));
    }

    #[test]
    fn diagnosis_combinations_and_sequencing() {
        fires(
            "DX-DUPLICATE",
            &office(&["J02.9", "j029"]),
            &office(&["J02.9", "R50.9"]),
        );
        fires(
            "DX-EXCLUDES1",
            &office(&["E11.9", "E10.9"]),
            &office(&["E11.9", "I10"]),
        );
        fires(
            "DX-MANIFESTATION-FIRST",
            &office(&["G63", "E11.42"]),
            &office(&["E11.42", "G63"]),
        );
        fires(
            "DX-EXTERNAL-CAUSE-FIRST",
            &office(&["W01.0XXA", "S52.531A"]),
            &office(&["S52.531A", "W01.0XXA"]),
        );
        fires(
            "DX-USE-ADDITIONAL",
            &office(&["I12.9"]),
            &office(&["I12.9", "N18.31"]),
        );
    }

    #[test]
    fn age_and_sex_lists() {
        let male = |dx: &[&str]| claim("M", "1980-01-01", dx, vec![line("99213", &[], 1, &["A"])]);
        fires("DX-SEX", &male(&["N76.0"]), &office(&["N76.0"]));
        fires("DX-SEX", &office(&["N40.0"]), &male(&["N40.0"]));
        let child = claim(
            "F",
            "2021-03-01",
            &["Z00.129"],
            vec![line("99393", &[], 1, &["A"])],
        );
        let adult = claim(
            "F",
            "1980-01-01",
            &["Z00.129"],
            vec![line("99393", &[], 1, &["A"])],
        );
        fires("DX-AGE", &adult, &child);
        // A switched-off rule stays quiet.
        let codes = crate::codes::shipped_shared().unwrap();
        let mut cfg = EditConfig::shipped().unwrap();
        cfg.overrides.insert("DX-AGE".into(), None);
        cfg.overrides.insert("DX-SEX".into(), Some(Severity::Error));
        let found = run(&adult, &codes, &cfg);
        assert!(!found.iter().any(|f| f.rule == "DX-AGE"));
        let found = run(&male(&["N76.0"]), &codes, &cfg);
        assert_eq!(
            found.iter().find(|f| f.rule == "DX-SEX").unwrap().severity,
            Severity::Error
        );
    }

    #[test]
    fn pointers() {
        let two = |ptrs: &[&str]| {
            claim(
                "F",
                "1980-01-01",
                &["J02.9", "R50.9"],
                vec![line("99213", &[], 1, ptrs)],
            )
        };
        fires("LINE-NO-POINTER", &two(&[]), &two(&["A", "B"]));
        fires("LINE-POINTER-EMPTY", &two(&["A", "C"]), &two(&["A", "B"]));
        fires(
            "LINE-POINTER-DUPLICATE",
            &two(&["A", "A", "B"]),
            &two(&["A", "B"]),
        );
        fires("DX-UNPOINTED", &two(&["A"]), &two(&["A", "B"]));
    }

    #[test]
    fn procedure_codes_and_modifiers() {
        let one = |code: &str, mods: &[&str]| {
            claim(
                "F",
                "1980-01-01",
                &["M17.11"],
                vec![line(code, mods, 1, &["A"])],
            )
        };
        fires("LINE-UNKNOWN", &one("99999", &[]), &one("99213", &[]));
        fires("LINE-MALFORMED", &one("9921", &[]), &one("99213", &[]));
        fires(
            "MOD-UNKNOWN",
            &one("20610", &["ZZ"]),
            &one("20610", &["RT"]),
        );
        fires("MOD-MISFIT", &one("20610", &["25"]), &one("99213", &["25"]));
        fires("MOD-MISFIT", &one("99213", &["26"]), &one("73562", &["26"]));
        fires("MOD-MISFIT", &one("69210", &["50"]), &one("69210", &[]));
        fires(
            "MOD-MISFIT",
            &one("20610", &["LT", "RT"]),
            &one("20610", &["50"]),
        );
        fires(
            "MOD-MISFIT",
            &one("20610", &["50", "RT"]),
            &one("20610", &["RT"]),
        );
        fires(
            "MOD-DUPLICATE",
            &one("20610", &["RT", "RT"]),
            &one("20610", &["RT"]),
        );
    }

    #[test]
    fn ncci_pairs_units_and_add_ons() {
        let pair = |em_mods: &[&str]| {
            claim(
                "F",
                "1960-01-01",
                &["M17.11"],
                vec![
                    line("20610", &["RT"], 1, &["A"]),
                    line("99213", em_mods, 1, &["A"]),
                ],
            )
        };
        fires("NCCI-PTP", &pair(&[]), &pair(&["25"]));
        // Indicator 0: no modifier helps.
        let guided = |mods: &[&str]| {
            claim(
                "F",
                "1960-01-01",
                &["M17.11"],
                vec![
                    line("20610", &["RT"], 1, &["A"]),
                    line("76942", mods, 1, &["A"]),
                ],
            )
        };
        assert!(rules(&guided(&["59"])).contains(&"NCCI-PTP"));
        // MAI 2 sums across lines; MAI 1 looks at each line alone.
        let inj = |a: u32, b: u32| {
            claim(
                "F",
                "1960-01-01",
                &["M17.11"],
                vec![
                    line("20610", &["RT"], a, &["A"]),
                    line("20610", &["LT"], b, &["A"]),
                ],
            )
        };
        fires("NCCI-MUE", &inj(3, 1), &inj(2, 2));
        let labs = |lines: usize| {
            claim(
                "F",
                "1960-01-01",
                &["E11.9"],
                vec![line("36415", &[], 1, &["A"]); lines],
            )
        };
        fires("NCCI-MUE", &labs(2), &labs(1));
        let destroy = |with_primary: bool| {
            let mut lines = vec![line("17003", &[], 3, &["A"])];
            if with_primary {
                lines.insert(0, line("17000", &[], 1, &["A"]));
            }
            claim("F", "1960-01-01", &["L57.0"], lines)
        };
        fires("ADDON-NO-PRIMARY", &destroy(false), &destroy(true));
    }

    #[test]
    fn every_finding_has_a_reference_and_a_message() {
        let c = claim(
            "M",
            "1980-01-01",
            &["W01.0XXA", "S52.531", "O80", "O80"],
            vec![
                line("17003", &["ZZ"], 20, &["E"]),
                line("99213", &["RT"], 1, &[]),
            ],
        );
        let codes = crate::codes::shipped_shared().unwrap();
        let found = run(&c, &codes, &EditConfig::shipped().unwrap());
        assert!(found.len() >= 8, "{found:#?}");
        for f in &found {
            assert!(!f.reference.is_empty() && !f.message.is_empty(), "{f:?}");
            assert!(RULES.iter().any(|r| r.0 == f.rule));
        }
        // Errors come first.
        assert!(found.windows(2).all(|w| w[0].severity >= w[1].severity));
    }
}
