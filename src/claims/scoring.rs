//! Scoring a claim against an answer-key version under a scoring policy:
//! element by element, with near-miss credit, over- and under-coding
//! penalties, deductions for edit errors, and an explanation for every point.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::edits::{Finding, Severity};
use super::{Claim, letter, pointer_index};
use crate::scenarios::AnswerKey;

/// Version of this scoring engine, recorded with every score.
pub const ENGINE_VERSION: &str = "scoring-1";

/// Weights and thresholds. The defaults, and why:
///
/// - The **first-listed diagnosis** carries 20 of 100 points on its own: it
///   decides medical necessity for the encounter and is the most common
///   sequencing error auditors find.
/// - **Other diagnoses** share 15 points, so each supports its lines but a
///   missed secondary costs less than a wrong first-listed one.
/// - **Service lines** carry 65: code 35 (the payment driver), modifiers 10,
///   units 10, pointers 10, shared equally among the key's lines.
/// - A **near miss** (the right category, wrong laterality, 7th character or
///   specificity; or the right procedure family at the wrong level) earns
///   half the element's points: the student found the right place in the
///   code set but not the exact code, which an auditor still counts wrong.
/// - **Over-coding** costs 5 points per unsupported diagnosis and 10 per
///   unsupported line: billing for what is not documented is a compliance
///   risk, worse than omission.
/// - Each **error-level edit** costs 2 points, at most 10, so a claim that
///   would be rejected is never a clean pass.
/// - **Pass** at 80 % unless the program sets its own threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringPolicy {
    #[schema(minimum = 0, maximum = 100)]
    pub first_listed: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub other_diagnoses: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub line_code: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub line_modifiers: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub line_units: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub line_pointers: f64,
    /// Fraction of an element's points for a near miss (0–1).
    #[schema(minimum = 0, maximum = 1)]
    pub near_miss_credit: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub over_coded_diagnosis: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub over_coded_line: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub edit_error: f64,
    #[schema(minimum = 0, maximum = 100)]
    pub edit_error_cap: f64,
    /// Whether modifiers must be in the key's order.
    pub modifier_order_matters: bool,
    /// Score needed to pass, in percent.
    #[schema(minimum = 0, maximum = 100)]
    pub pass_threshold: f64,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self {
            first_listed: 20.0,
            other_diagnoses: 15.0,
            line_code: 35.0,
            line_modifiers: 10.0,
            line_units: 10.0,
            line_pointers: 10.0,
            near_miss_credit: 0.5,
            over_coded_diagnosis: 5.0,
            over_coded_line: 10.0,
            edit_error: 2.0,
            edit_error_cap: 10.0,
            modifier_order_matters: false,
            pass_threshold: 80.0,
        }
    }
}

/// How an element came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Correct,
    NearMiss,
    Wrong,
    /// In the key, not on the claim (under-coding).
    Missing,
    /// On the claim, not supported by the key (over-coding).
    Extra,
    /// A deduction for an edit error.
    EditError,
}

/// One scored element with its explanation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Element {
    /// `first_listed`, `diagnosis`, `line_code`, `line_modifiers`,
    /// `line_units`, `line_pointers`, `extra_diagnosis`, `extra_line`, `edit`.
    pub element: &'static str,
    /// Key line number (1-based) for line elements.
    pub line: Option<usize>,
    pub expected: Option<String>,
    pub given: Option<String>,
    pub verdict: Verdict,
    /// Points earned (negative for penalties).
    pub earned: f64,
    pub possible: f64,
    pub explanation: String,
}

/// The score of a claim.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreReport {
    /// 0–100, after penalties.
    pub total: f64,
    pub passed: bool,
    pub pass_threshold: f64,
    /// Codes (diagnoses and procedures) exactly right, over all codes reviewed
    /// (the key's plus over-coded ones), in percent.
    pub code_accuracy: f64,
    /// Lines right in code, modifiers, units and pointers, over the key's lines
    /// plus extra ones, in percent.
    pub line_accuracy: f64,
    /// 100 when the whole claim matches the key, else 0.
    pub claim_accuracy: f64,
    pub elements: Vec<Element>,
    pub engine_version: &'static str,
}

fn norm(code: &str) -> String {
    code.trim().to_ascii_uppercase().replace('.', "")
}

fn dotted(code: &str) -> String {
    let c = norm(code);
    if c.len() > 3 && c.as_bytes()[0].is_ascii_alphabetic() {
        format!("{}.{}", &c[..3], &c[3..])
    } else {
        c
    }
}

/// How a given ICD-10-CM code relates to an expected one.
fn icd_match(expected: &str, alternates: &[String], given: &str) -> (Verdict, &'static str) {
    let g = norm(given);
    if norm(expected) == g || alternates.iter().any(|a| norm(a) == g) {
        return (Verdict::Correct, "");
    }
    let e = norm(expected);
    if e.len() >= 3 && g.len() >= 3 && e[..3] == g[..3] {
        let why = if e.len() == 7 && g.len() == 7 && e[..6] == g[..6] {
            "the right code with the wrong 7th character (encounter or healing phase)"
        } else {
            "the right category with the wrong laterality or specificity"
        };
        return (Verdict::NearMiss, why);
    }
    (Verdict::Wrong, "")
}

/// How a given CPT/HCPCS code relates to an expected one: the same first four
/// characters is the same family (e.g. an E/M level off by one).
fn proc_match(expected: &str, alternates: &[String], given: &str) -> Verdict {
    let g = norm(given);
    if norm(expected) == g || alternates.iter().any(|a| norm(a) == g) {
        Verdict::Correct
    } else if norm(expected).get(..4) == g.get(..4) && g.len() == 5 {
        Verdict::NearMiss
    } else {
        Verdict::Wrong
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Scores a claim against a key. `findings` are the claim's edit findings.
pub fn score(
    claim: &Claim,
    key: &AnswerKey,
    policy: &ScoringPolicy,
    findings: &[Finding],
) -> ScoreReport {
    let mut elements = Vec::new();
    let alternates = |i: usize| -> Vec<String> {
        key.diagnosis_notes
            .get(i)
            .map(|n| n.alternates.clone())
            .unwrap_or_default()
    };
    let rationale = |i: usize| -> String {
        key.diagnosis_notes
            .get(i)
            .map(|n| {
                if n.guideline.is_empty() {
                    n.rationale.clone()
                } else {
                    format!("{} ({})", n.rationale, n.guideline)
                }
            })
            .unwrap_or_default()
    };
    // Which claim diagnosis each key diagnosis matched (exact or near).
    let mut claim_dx_used = vec![false; claim.diagnoses.len()];
    let mut key_to_claim: Vec<Option<usize>> = vec![None; key.diagnoses.len()];
    let mut code_total = 0usize;
    let mut code_right = 0usize;

    // First-listed.
    if let Some(expected) = key.diagnoses.first() {
        code_total += 1;
        let given = claim.diagnoses.first();
        let (verdict, why) = match given {
            Some(g) => icd_match(expected, &alternates(0), g),
            None => (Verdict::Missing, ""),
        };
        let earned = match verdict {
            Verdict::Correct => policy.first_listed,
            Verdict::NearMiss => policy.first_listed * policy.near_miss_credit,
            _ => 0.0,
        };
        if matches!(verdict, Verdict::Correct | Verdict::NearMiss) {
            claim_dx_used[0] = true;
            key_to_claim[0] = Some(0);
        }
        if verdict == Verdict::Correct {
            code_right += 1;
        }
        let explanation = match verdict {
            Verdict::Correct => format!("Correct first-listed diagnosis. {}", rationale(0)),
            Verdict::NearMiss => format!(
                "{} is {why}; the key lists {} first. {}",
                dotted(given.map_or("", |s| s)),
                dotted(expected),
                rationale(0)
            ),
            Verdict::Missing => format!(
                "No diagnosis given; the key lists {} first. {}",
                dotted(expected),
                rationale(0)
            ),
            _ => {
                let g = given.map_or(String::new(), |s| dotted(s));
                let elsewhere = key.diagnoses.iter().skip(1).any(|k| norm(k) == norm(&g));
                if elsewhere {
                    format!(
                        "Sequencing: {g} is supported but is not the first-listed diagnosis; the key lists {} first. {}",
                        dotted(expected),
                        rationale(0)
                    )
                } else {
                    format!(
                        "{g} is not the first-listed diagnosis; the key lists {}. {}",
                        dotted(expected),
                        rationale(0)
                    )
                }
            }
        };
        elements.push(Element {
            element: "first_listed",
            line: None,
            expected: Some(dotted(expected)),
            given: given.map(|s| dotted(s)),
            verdict,
            earned,
            possible: policy.first_listed,
            explanation,
        });
    }

    // A first-listed code reported lower down is supported, not over-coded;
    // it still anchors the pointers.
    if key_to_claim.first() == Some(&None)
        && let Some(expected) = key.diagnoses.first()
    {
        let alts = alternates(0);
        let at = claim
            .diagnoses
            .iter()
            .enumerate()
            .find(|(j, g)| !claim_dx_used[*j] && icd_match(expected, &alts, g).0 != Verdict::Wrong)
            .map(|(j, _)| j);
        if let Some(j) = at {
            claim_dx_used[j] = true;
            key_to_claim[0] = Some(j);
        }
    }

    // Other diagnoses, as a set (anywhere on the claim).
    let others = key.diagnoses.len().saturating_sub(1);
    for (i, expected) in key.diagnoses.iter().enumerate().skip(1) {
        code_total += 1;
        let each = policy.other_diagnoses / others as f64;
        let alts = alternates(i);
        let exact = claim
            .diagnoses
            .iter()
            .enumerate()
            .find(|(j, g)| {
                !claim_dx_used[*j] && icd_match(expected, &alts, g).0 == Verdict::Correct
            })
            .map(|(j, _)| j);
        let found = exact.or_else(|| {
            claim
                .diagnoses
                .iter()
                .enumerate()
                .find(|(j, g)| {
                    !claim_dx_used[*j] && icd_match(expected, &alts, g).0 == Verdict::NearMiss
                })
                .map(|(j, _)| j)
        });
        let (verdict, earned, given, explanation) = match found {
            Some(j) => {
                claim_dx_used[j] = true;
                key_to_claim[i] = Some(j);
                let g = &claim.diagnoses[j];
                let (v, why) = icd_match(expected, &alts, g);
                if v == Verdict::Correct {
                    code_right += 1;
                    (
                        v,
                        each,
                        Some(dotted(g)),
                        format!("Correct. {}", rationale(i)),
                    )
                } else {
                    (
                        v,
                        each * policy.near_miss_credit,
                        Some(dotted(g)),
                        format!(
                            "{} is {why}; the key has {}. {}",
                            dotted(g),
                            dotted(expected),
                            rationale(i)
                        ),
                    )
                }
            }
            None => (
                Verdict::Missing,
                0.0,
                None,
                format!(
                    "Under-coded: {} is missing. {}",
                    dotted(expected),
                    rationale(i)
                ),
            ),
        };
        elements.push(Element {
            element: "diagnosis",
            line: None,
            expected: Some(dotted(expected)),
            given,
            verdict,
            earned,
            possible: each,
            explanation,
        });
    }

    // Service lines: exact code first, then the same family.
    let n_lines = key.lines.len().max(1) as f64;
    let mut claim_line_used = vec![false; claim.lines.len()];
    let mut lines_right = 0usize;
    for (k, kl) in key.lines.iter().enumerate() {
        code_total += 1;
        let pick = |want: Verdict, used: &[bool]| {
            claim
                .lines
                .iter()
                .enumerate()
                .find(|(j, cl)| !used[*j] && proc_match(&kl.code, &kl.alternates, &cl.code) == want)
                .map(|(j, _)| j)
        };
        let found = pick(Verdict::Correct, &claim_line_used)
            .or_else(|| pick(Verdict::NearMiss, &claim_line_used));
        let why = if kl.guideline.is_empty() {
            kl.rationale.clone()
        } else {
            format!("{} ({})", kl.rationale, kl.guideline)
        };
        let line_no = Some(k + 1);
        let w_code = policy.line_code / n_lines;
        let w_mod = policy.line_modifiers / n_lines;
        let w_units = policy.line_units / n_lines;
        let w_ptr = policy.line_pointers / n_lines;
        let Some(j) = found else {
            elements.push(Element {
                element: "line_code",
                line: line_no,
                expected: Some(kl.code.clone()),
                given: None,
                verdict: Verdict::Missing,
                earned: 0.0,
                possible: w_code + w_mod + w_units + w_ptr,
                explanation: format!("Under-coded: no line for {}. {why}", kl.code),
            });
            continue;
        };
        claim_line_used[j] = true;
        let cl = &claim.lines[j];
        let v = proc_match(&kl.code, &kl.alternates, &cl.code);
        if v == Verdict::Correct {
            code_right += 1;
        }
        elements.push(Element {
            element: "line_code",
            line: line_no,
            expected: Some(kl.code.clone()),
            given: Some(norm(&cl.code)),
            verdict: v,
            earned: if v == Verdict::Correct {
                w_code
            } else {
                w_code * policy.near_miss_credit
            },
            possible: w_code,
            explanation: if v == Verdict::Correct {
                format!("Correct. {why}")
            } else {
                format!(
                    "{} is in the right family but the key has {}. {why}",
                    norm(&cl.code),
                    kl.code
                )
            },
        });
        // Modifiers.
        let canon = |m: &[String]| -> Vec<String> {
            let mut v: Vec<String> = m.iter().map(|x| x.trim().to_ascii_uppercase()).collect();
            if !policy.modifier_order_matters {
                v.sort();
            }
            v
        };
        let mods_ok = canon(&cl.modifiers) == canon(&kl.modifiers);
        let show = |m: &[String]| {
            if m.is_empty() {
                "none".to_owned()
            } else {
                m.join(", ")
            }
        };
        elements.push(Element {
            element: "line_modifiers",
            line: line_no,
            expected: Some(show(&kl.modifiers)),
            given: Some(show(&cl.modifiers)),
            verdict: if mods_ok {
                Verdict::Correct
            } else {
                Verdict::Wrong
            },
            earned: if mods_ok { w_mod } else { 0.0 },
            possible: w_mod,
            explanation: if mods_ok {
                "Modifiers correct.".into()
            } else {
                format!(
                    "The key reports {} with modifiers {}; the claim has {}.",
                    kl.code,
                    show(&kl.modifiers),
                    show(&cl.modifiers)
                )
            },
        });
        let units_ok = cl.units == kl.units;
        elements.push(Element {
            element: "line_units",
            line: line_no,
            expected: Some(kl.units.to_string()),
            given: Some(cl.units.to_string()),
            verdict: if units_ok {
                Verdict::Correct
            } else {
                Verdict::Wrong
            },
            earned: if units_ok { w_units } else { 0.0 },
            possible: w_units,
            explanation: if units_ok {
                "Units correct.".into()
            } else {
                format!(
                    "The key reports {} unit(s) of {}; the claim has {}. {why}",
                    kl.units, kl.code, cl.units
                )
            },
        });
        // Pointers compared by the codes they point at, so a claim with the
        // diagnoses in another order is not punished twice.
        let key_targets: Vec<Option<usize>> = kl
            .pointers
            .iter()
            .map(|p| pointer_index(p).and_then(|i| key_to_claim.get(i).copied().flatten()))
            .collect();
        let claim_targets: Vec<Option<usize>> =
            cl.pointers.iter().map(|p| pointer_index(p)).collect();
        let as_set = |v: &[Option<usize>]| {
            let mut s: Vec<usize> = v.iter().flatten().copied().collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let all_known = key_targets.iter().all(Option::is_some);
        let ptr_full = all_known && as_set(&key_targets) == as_set(&claim_targets);
        let ptr_primary = key_targets.first().copied().flatten().is_some()
            && key_targets.first() == claim_targets.first();
        let (pv, pe) = if ptr_full {
            (Verdict::Correct, w_ptr)
        } else if ptr_primary {
            (Verdict::NearMiss, w_ptr * policy.near_miss_credit)
        } else {
            (Verdict::Wrong, 0.0)
        };
        let key_ptr_codes: Vec<String> = kl
            .pointers
            .iter()
            .filter_map(|p| {
                pointer_index(p)
                    .and_then(|i| key.diagnoses.get(i))
                    .map(|c| dotted(c))
            })
            .collect();
        elements.push(Element {
            element: "line_pointers",
            line: line_no,
            expected: Some(key_ptr_codes.join(", ")),
            given: Some(
                cl.pointers
                    .iter()
                    .filter_map(|p| {
                        pointer_index(p)
                            .and_then(|i| claim.diagnoses.get(i))
                            .map(|c| dotted(c))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            verdict: pv,
            earned: pe,
            possible: w_ptr,
            explanation: match pv {
                Verdict::Correct => "Pointers link the right diagnoses.".into(),
                Verdict::NearMiss => format!(
                    "The primary pointer is right; the key links {} to {}.",
                    kl.code,
                    key_ptr_codes.join(", ")
                ),
                _ => format!("The key links {} to {}.", kl.code, key_ptr_codes.join(", ")),
            },
        });
        if v == Verdict::Correct && mods_ok && units_ok && ptr_full {
            lines_right += 1;
        }
    }

    // Over-coding.
    let mut extras = 0usize;
    for (j, used) in claim_dx_used.iter().enumerate() {
        if !used {
            extras += 1;
            elements.push(Element {
                element: "extra_diagnosis",
                line: None,
                expected: None,
                given: Some(dotted(&claim.diagnoses[j])),
                verdict: Verdict::Extra,
                earned: -policy.over_coded_diagnosis,
                possible: 0.0,
                explanation: format!(
                    "Over-coded: {}. {} is not supported by the documentation in the key.",
                    letter(j),
                    dotted(&claim.diagnoses[j])
                ),
            });
        }
    }
    let mut extra_lines = 0usize;
    for (j, used) in claim_line_used.iter().enumerate() {
        if !used {
            extras += 1;
            extra_lines += 1;
            elements.push(Element {
                element: "extra_line",
                line: None,
                expected: None,
                given: Some(norm(&claim.lines[j].code)),
                verdict: Verdict::Extra,
                earned: -policy.over_coded_line,
                possible: 0.0,
                explanation: format!(
                    "Over-coded: line {} ({}) is not a service the key supports.",
                    j + 1,
                    norm(&claim.lines[j].code)
                ),
            });
        }
    }

    // Edit errors.
    let mut deducted = 0.0;
    for f in findings.iter().filter(|f| f.severity == Severity::Error) {
        let d = policy
            .edit_error
            .min(policy.edit_error_cap - deducted)
            .max(0.0);
        deducted += d;
        elements.push(Element {
            element: "edit",
            line: None,
            expected: None,
            given: f.code.clone(),
            verdict: Verdict::EditError,
            earned: -d,
            possible: 0.0,
            explanation: format!("Edit {}: {} ({})", f.rule, f.message, f.reference),
        });
    }

    let possible: f64 = elements.iter().map(|e| e.possible).sum();
    let earned_positive: f64 = elements
        .iter()
        .filter(|e| e.possible > 0.0)
        .map(|e| e.earned)
        .sum();
    let penalties: f64 = elements
        .iter()
        .filter(|e| e.earned < 0.0)
        .map(|e| e.earned)
        .sum();
    let base = if possible > 0.0 {
        earned_positive / possible * 100.0
    } else {
        0.0
    };
    let total = round1((base + penalties).clamp(0.0, 100.0));
    let reviewed = code_total + extras;
    let code_accuracy = if reviewed == 0 {
        100.0
    } else {
        round1(code_right as f64 / reviewed as f64 * 100.0)
    };
    let lines_reviewed = key.lines.len() + extra_lines;
    let line_accuracy = if lines_reviewed == 0 {
        100.0
    } else {
        round1(lines_right as f64 / lines_reviewed as f64 * 100.0)
    };
    let perfect = elements.iter().all(|e| e.verdict == Verdict::Correct);
    ScoreReport {
        total,
        passed: total >= policy.pass_threshold,
        pass_threshold: policy.pass_threshold,
        code_accuracy,
        line_accuracy,
        claim_accuracy: if perfect { 100.0 } else { 0.0 },
        elements,
        engine_version: ENGINE_VERSION,
    }
}

/// The claim a key describes (what a perfect student would submit).
pub fn claim_of_key(key: &AnswerKey) -> Claim {
    Claim {
        date_of_service: key.date_of_service,
        patient: super::ClaimPatient {
            sex: key.patient.sex.clone(),
            birth_date: key.patient.birth_date,
        },
        diagnoses: key.diagnoses.clone(),
        lines: key
            .lines
            .iter()
            .map(|l| super::ClaimLine {
                code: l.code.clone(),
                modifiers: l.modifiers.clone(),
                units: l.units,
                pointers: l.pointers.clone(),
                pos: (!l.pos.is_empty()).then(|| l.pos.clone()),
                date_of_service: None,
                charge: None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{KeyDiagnosis, KeyLine, KeyPatient};
    use chrono::NaiveDate;

    fn dx(code: &str, alternates: &[&str]) -> KeyDiagnosis {
        KeyDiagnosis {
            code: code.into(),
            alternates: alternates.iter().map(|s| s.to_string()).collect(),
            rationale: format!("Documented {code}."),
            guideline: "ICD-10-CM I.C.19".into(),
        }
    }

    fn kline(code: &str, mods: &[&str], units: u32, ptrs: &[&str]) -> KeyLine {
        KeyLine {
            code: code.into(),
            modifiers: mods.iter().map(|s| s.to_string()).collect(),
            units,
            pointers: ptrs.iter().map(|s| s.to_string()).collect(),
            pos: "11".into(),
            alternates: vec![],
            rationale: format!("{code} documented."),
            guideline: String::new(),
        }
    }

    /// Colles fracture: S52.531A + W01.0XXA, 25600-RT, an X-ray 73110-RT.
    fn key() -> AnswerKey {
        let notes = vec![dx("S52.531A", &[]), dx("W01.0XXA", &["W01.10XA"])];
        AnswerKey {
            date_of_service: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
            patient: KeyPatient {
                sex: "F".into(),
                birth_date: NaiveDate::from_ymd_opt(1950, 3, 1).unwrap(),
            },
            diagnoses: notes.iter().map(|n| n.code.clone()).collect(),
            lines: vec![
                kline("25600", &["RT"], 1, &["A", "B"]),
                kline("73110", &["RT"], 1, &["A"]),
            ],
            diagnosis_notes: notes,
        }
    }

    fn total(c: &Claim) -> f64 {
        score(c, &key(), &ScoringPolicy::default(), &[]).total
    }

    #[test]
    fn the_key_scores_100_with_full_accuracy() {
        let r = score(
            &claim_of_key(&key()),
            &key(),
            &ScoringPolicy::default(),
            &[],
        );
        assert_eq!(r.total, 100.0);
        assert!(r.passed);
        assert_eq!(
            (r.code_accuracy, r.line_accuracy, r.claim_accuracy),
            (100.0, 100.0, 100.0)
        );
        assert!(
            r.elements
                .iter()
                .all(|e| e.verdict == Verdict::Correct && !e.explanation.is_empty())
        );
    }

    #[test]
    fn near_misses_earn_part_credit() {
        let mut c = claim_of_key(&key());
        c.diagnoses[0] = "S52.531D".into(); // wrong 7th character
        let seventh = score(&c, &key(), &ScoringPolicy::default(), &[]);
        assert_eq!(seventh.elements[0].verdict, Verdict::NearMiss);
        assert!(seventh.elements[0].explanation.contains("7th character"));
        let mut wrong = claim_of_key(&key());
        wrong.diagnoses[0] = "J02.9".into();
        let side = {
            let mut c = claim_of_key(&key());
            c.diagnoses[0] = "S52.532A".into(); // left instead of right
            total(&c)
        };
        assert!(seventh.total < 100.0 && side < 100.0);
        assert!(
            total(&wrong) < side,
            "a wrong code earns less than a near miss"
        );
    }

    #[test]
    fn alternates_are_accepted() {
        let mut c = claim_of_key(&key());
        c.diagnoses[1] = "W01.10XA".into();
        assert_eq!(total(&c), 100.0);
    }

    #[test]
    fn over_and_under_coding_and_sequencing() {
        let mut over = claim_of_key(&key());
        over.diagnoses.push("R52".into());
        let r = score(&over, &key(), &ScoringPolicy::default(), &[]);
        assert!(r.elements.iter().any(|e| e.verdict == Verdict::Extra));
        assert_eq!(r.total, 95.0);
        assert!(r.code_accuracy < 100.0);

        let mut extra_line = claim_of_key(&key());
        extra_line.lines.push(extra_line.lines[1].clone());
        extra_line.lines[2].code = "29125".into();
        assert_eq!(total(&extra_line), 90.0);

        let mut under = claim_of_key(&key());
        under.lines.pop();
        let r = score(&under, &key(), &ScoringPolicy::default(), &[]);
        assert!(
            r.elements
                .iter()
                .any(|e| e.verdict == Verdict::Missing && e.explanation.starts_with("Under-coded"))
        );
        assert!(r.total < 100.0 && r.line_accuracy == 50.0);

        // Swapped order: the first-listed element fails, the set does not.
        let mut swapped = claim_of_key(&key());
        swapped.diagnoses.swap(0, 1);
        for l in &mut swapped.lines {
            for p in &mut l.pointers {
                *p = if p == "A" { "B".into() } else { "A".into() };
            }
        }
        let r = score(&swapped, &key(), &ScoringPolicy::default(), &[]);
        assert_eq!(r.elements[0].verdict, Verdict::Wrong);
        assert!(r.elements[0].explanation.starts_with("Sequencing"));
        assert!(
            r.elements
                .iter()
                .filter(|e| e.element == "line_pointers")
                .all(|e| e.verdict == Verdict::Correct)
        );
        assert_eq!(r.total, 80.0);
    }

    #[test]
    fn the_policy_sets_weights_threshold_and_deductions() {
        let mut c = claim_of_key(&key());
        c.lines[0].modifiers.clear();
        let strict = ScoringPolicy {
            pass_threshold: 99.0,
            ..Default::default()
        };
        let r = score(&c, &key(), &strict, &[]);
        assert!(!r.passed && r.total < 99.0);
        let lenient = ScoringPolicy {
            line_modifiers: 0.0,
            ..Default::default()
        };
        assert_eq!(score(&c, &key(), &lenient, &[]).total, 100.0);
        // Edit errors cost points, capped.
        let finding = Finding {
            rule: "DX-HEADER",
            severity: Severity::Error,
            target: super::super::edits::Target::Diagnosis(0),
            code: Some("S52".into()),
            message: "m".into(),
            reference: "r",
        };
        let many = vec![finding; 20];
        let r = score(
            &claim_of_key(&key()),
            &key(),
            &ScoringPolicy::default(),
            &many,
        );
        assert_eq!(r.total, 90.0);
    }
}
