//! The scenario library: every file loads, every variable combination renders
//! a key of valid, billable codes whose facts appear in the documents, and
//! generation is deterministic with fictional identifiers only.

use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use practicum::codes::CodeSets;
use practicum::scenarios::{Generated, Scenario, check_key, load_dir};

fn codes() -> &'static CodeSets {
    static SETS: OnceLock<CodeSets> = OnceLock::new();
    SETS.get_or_init(|| CodeSets::shipped().expect("code sets"))
}

fn window() -> (NaiveDate, NaiveDate) {
    let t = codes().icd10cm_latest().unwrap();
    (t.release.effective_from, t.release.effective_to)
}

fn library() -> Vec<Scenario> {
    let (ok, errors) = load_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios")));
    assert!(errors.is_empty(), "{errors:?}");
    ok
}

fn all_text(g: &Generated) -> String {
    g.encounter
        .documents
        .iter()
        .map(|d| format!("{}\n{}", d.title, d.text))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_combination_yields_a_valid_key() {
    let lib = library();
    assert!(lib.len() >= 3);
    for s in &lib {
        let results = s.each_combination(window(), 2000);
        assert_eq!(
            results.len() as u64,
            s.combinations().min(2000),
            "{}",
            s.spec.id
        );
        for r in results {
            let g = r.unwrap_or_else(|e| panic!("{e}"));
            let problems = check_key(&g, codes());
            assert!(
                problems.is_empty(),
                "{} seed {}: {problems:?}",
                s.spec.id,
                g.encounter.seed
            );
            assert!(!g.key.diagnoses.is_empty() && !g.key.lines.is_empty());
            let letters = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
            for line in &g.key.lines {
                for p in &line.pointers {
                    let idx = letters.iter().position(|l| l == p).unwrap();
                    assert!(
                        idx < g.key.diagnoses.len(),
                        "pointer {p} beyond the diagnoses"
                    );
                }
            }
            let first = &g.key.diagnoses[0];
            assert!(
                !matches!(first.as_bytes()[0], b'V' | b'W' | b'X' | b'Y'),
                "external cause first in {}",
                s.spec.id
            );
            assert!(g.key.date_of_service >= window().0 && g.key.date_of_service <= window().1);
        }
    }
}

#[test]
fn generation_is_deterministic_and_identifiers_fictional() {
    for s in &library() {
        let a = serde_json::to_string(&s.generate(42, window()).unwrap().encounter).unwrap();
        let b = serde_json::to_string(&s.generate(42, window()).unwrap().encounter).unwrap();
        assert_eq!(a, b, "{}: same seed, same encounter", s.spec.id);
        let c = serde_json::to_string(&s.generate(43, window()).unwrap().encounter).unwrap();
        assert_ne!(a, c, "{}: another seed, another encounter", s.spec.id);
        for seed in 0..300 {
            let g = s.generate(seed, window()).unwrap();
            let p = &g.encounter.patient;
            assert!(p.phone.contains("-555-01"), "{}", p.phone);
            assert!(
                ["@example.com", "@example.org", "@example.net"]
                    .iter()
                    .any(|d| p.email.ends_with(d)),
                "{}",
                p.email
            );
            assert!(p.mrn.starts_with("SYN-") && p.member_id.starts_with("ZZ"));
            assert!((s.spec.age[0]..=s.spec.age[1]).contains(&p.age));
            assert_eq!(g.key.patient.sex, p.sex);
            let text = all_text(&g);
            assert!(
                text.contains(&p.mrn) || !text.contains("MRN"),
                "the MRN in the note is the record's"
            );
            assert!(g.encounter.synthetic);
        }
    }
}

fn find<'a>(lib: &'a [Scenario], id: &str) -> &'a Scenario {
    lib.iter()
        .find(|s| s.spec.id == id)
        .unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn colles_key_follows_the_documented_side_and_treatment() {
    let lib = library();
    for r in find(&lib, "ortho-colles-fracture").each_combination(window(), 100) {
        let g = r.unwrap();
        let side = &g.encounter.variables["side"];
        let text = all_text(&g);
        assert!(text.contains(&format!("{side} wrist")), "side in the note");
        assert!(
            !text.contains(if side == "right" { "left" } else { "right" }),
            "no contradicting side"
        );
        let (digit, modifier) = if side == "right" {
            ("1", "RT")
        } else {
            ("2", "LT")
        };
        assert_eq!(g.key.diagnoses[0], format!("S52.53{digit}A"));
        assert_eq!(g.key.diagnoses[1], "W01.0XXA");
        let reduced = text.contains("closed reduction");
        assert_eq!(g.key.lines[0].code, if reduced { "25605" } else { "25600" });
        assert!(
            g.key
                .lines
                .iter()
                .all(|l| l.modifiers == vec![modifier.to_owned()])
        );
    }
}

#[test]
fn laceration_lengths_are_summed_from_the_note() {
    let lib = library();
    for r in find(&lib, "integ-laceration-repair").each_combination(window(), 100) {
        let g = r.unwrap();
        let text = all_text(&g);
        let grab = |label: &str| -> f64 {
            let at = text.find(label).unwrap() + label.len();
            text[at..]
                .split(" cm")
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        let total = grab("Forearm ") + grab("; hand ");
        let expected = if total <= 2.5 {
            "12001"
        } else if total <= 7.5 {
            "12002"
        } else {
            "12004"
        };
        assert_eq!(g.key.lines[1].code, expected, "total {total} cm");
        let side = &g.encounter.variables["side"];
        let digit = if side == "right" { "1" } else { "2" };
        assert_eq!(
            g.key.diagnoses[..2],
            [format!("S51.81{digit}A"), format!("S61.41{digit}A")]
        );
    }
}

#[test]
fn office_visit_level_follows_mdm_or_documented_time() {
    let lib = library();
    for r in find(&lib, "em-uri-office-visit").each_combination(window(), 100) {
        let g = r.unwrap();
        let text = all_text(&g);
        let minutes: u32 = text
            .split("Total time on the date of the encounter: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let new = g.encounter.standing.as_deref() == Some("new");
        assert_eq!(
            new,
            text.contains("No professional services from this practice in the past three years")
        );
        let expected = match (new, minutes) {
            (true, m) if m >= 60 => "99205",
            (true, m) if m >= 45 => "99204",
            (true, _) => "99203",
            (false, m) if m >= 40 => "99215",
            (false, m) if m >= 30 => "99214",
            (false, _) => "99213",
        };
        assert_eq!(g.key.lines[0].code, expected, "new={new} minutes={minutes}");
        assert_eq!(g.key.diagnoses, vec!["J06.9"]);
    }
}

#[test]
fn broken_files_are_reported_with_file_line_and_cause() {
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/orthopedics/colles-fracture.toml"
    ))
    .unwrap();
    let syntax = good.replacen("version = 1", "version = = 1", 1);
    let err = Scenario::parse("bad.toml", &syntax).err().unwrap();
    assert_eq!((err.file.as_str(), err.line), ("bad.toml", Some(2)));
    let template = good.replacen("{{ treatment }}", "{{ treatment ", 1);
    let err = Scenario::parse("t.toml", &template).err().unwrap();
    assert!(
        err.cause.contains("template error") && err.line.is_some(),
        "{err}"
    );
    let unknown = good.replacen("{{ treatment }}", "{{ treatmnt }}", 1);
    let s = Scenario::parse("u.toml", &unknown).unwrap();
    let err = s.generate(1, window()).err().unwrap();
    assert!(err.cause.contains("undefined"), "{err}");
    assert!(err.line.is_some());
    let bad_code = good.replacen("S52.53{{ icd_side }}A", "S52.53{{ icd_side }}Z", 1);
    let s = Scenario::parse("c.toml", &bad_code).unwrap();
    let g = s.generate(1, window()).unwrap();
    assert!(
        check_key(&g, codes())
            .iter()
            .any(|p| p.contains("invalid_seventh") || p.contains("diagnosis")),
        "an invalid code is caught"
    );
}

#[test]
fn lesion_counts_drive_destruction_units() {
    let lib = library();
    for r in find(&lib, "integ-ak-destruction").each_combination(window(), 100) {
        let g = r.unwrap();
        let text = all_text(&g);
        let n: u32 = text
            .split("Number of lesions treated: ")
            .nth(1)
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let lines: Vec<(String, u32)> = g
            .key
            .lines
            .iter()
            .map(|l| (l.code.clone(), l.units))
            .collect();
        let expected: Vec<(String, u32)> = match n {
            1 => vec![("17000".into(), 1)],
            2..=14 => vec![("17000".into(), 1), ("17003".into(), n - 1)],
            _ => vec![("17004".into(), 1)],
        };
        assert_eq!(lines, expected, "{n} lesions");
    }
}

#[test]
fn confirmed_interpretation_replaces_symptoms() {
    let lib = library();
    for r in find(&lib, "rad-chest-xray-cough-fever").each_combination(window(), 10) {
        let g = r.unwrap();
        let text = all_text(&g);
        if text.contains("IMPRESSION: Right lower lobe pneumonia") {
            assert_eq!(g.key.diagnoses, vec!["J18.9"]);
        } else {
            assert!(text.contains("No acute cardiopulmonary abnormality"));
            assert_eq!(g.key.diagnoses, vec!["R05.9", "R50.9"]);
        }
        assert_eq!(g.key.lines[0].modifiers, vec!["26"]);
        assert_eq!(
            g.key.lines[0].pointers.len(),
            g.key.diagnoses.len(),
            "the line points at every listed diagnosis"
        );
    }
}

#[test]
fn diabetes_code_follows_the_documented_control() {
    let lib = library();
    for r in find(&lib, "em-diabetes-hypertension-followup").each_combination(window(), 10) {
        let g = r.unwrap();
        let text = all_text(&g);
        let expected = if text.contains("with hyperglycemia") {
            "E11.65"
        } else {
            "E11.9"
        };
        assert_eq!(g.key.diagnoses, vec![expected, "I10", "Z79.84"]);
        assert!(
            text.contains(&format!("BP {}", g.encounter.vitals.blood_pressure)),
            "the note's BP is the record's"
        );
    }
}

#[test]
fn vaccine_administration_counts_vaccines_and_components() {
    let lib = library();
    let g = find(&lib, "peds-well-child-12-month-vaccines")
        .generate(3, window())
        .unwrap();
    let text = all_text(&g);
    let vaccines = text.matches("\n- ").count() as u32;
    let units = |code: &str| g.key.lines.iter().find(|l| l.code == code).map(|l| l.units);
    assert_eq!(units("90460"), Some(vaccines), "one 90460 per vaccine");
    assert_eq!(units("90461"), Some(2), "MMR's two further components");
    assert_eq!(g.encounter.patient.age, 1);
}

#[test]
fn psychotherapy_code_follows_the_documented_minutes() {
    let lib = library();
    for r in find(&lib, "bh-psychotherapy-by-time").each_combination(window(), 10) {
        let g = r.unwrap();
        let text = all_text(&g);
        let minutes: u32 = text
            .split("psychotherapy time ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let expected = match minutes {
            16..=37 => "90832",
            38..=52 => "90834",
            _ => "90837",
        };
        assert_eq!(g.key.lines[0].code, expected, "{minutes} minutes");
    }
}

#[test]
fn the_library_spans_the_practicum_areas() {
    let lib = library();
    let mut areas: Vec<&str> = lib.iter().map(|s| s.spec.specialty.as_str()).collect();
    areas.sort_unstable();
    areas.dedup();
    assert!(
        lib.len() >= 27 && areas.len() >= 14,
        "{} scenarios in {areas:?}",
        lib.len()
    );
    let mut ids: Vec<&str> = lib.iter().map(|s| s.spec.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "scenario ids are unique");
}

#[test]
fn preventive_code_follows_the_patients_age_band() {
    let lib = library();
    let s = find(&lib, "prev-new-adult-physical");
    for seed in 0..200 {
        let g = s.generate(seed, window()).unwrap();
        let expected = if g.encounter.patient.age < 40 {
            "99385"
        } else {
            "99386"
        };
        assert_eq!(
            g.key.lines[0].code, expected,
            "age {}",
            g.encounter.patient.age
        );
        assert!(all_text(&g).contains(&format!("(age {})", g.encounter.patient.age)));
    }
}

#[test]
fn visit_history_agrees_with_new_or_established() {
    let lib = library();
    let mut seen_new_with_old_visit = false;
    for s in lib.iter().filter(|s| s.spec.record.standing.is_some()) {
        for seed in 0..100 {
            let g = s.generate(seed, window()).unwrap();
            let dos = g.encounter.date_of_service;
            let recent = g
                .encounter
                .visit_history
                .iter()
                .any(|v| (dos - v.date).num_days() < 3 * 365);
            match g.encounter.standing.as_deref() {
                Some("new") => {
                    assert!(
                        !recent,
                        "{}: a new patient has no visit in the past three years",
                        s.spec.id
                    );
                    seen_new_with_old_visit |= !g.encounter.visit_history.is_empty();
                }
                Some("established") => assert!(
                    recent,
                    "{}: an established patient was seen within three years",
                    s.spec.id
                ),
                other => panic!("{}: standing {other:?}", s.spec.id),
            }
            assert!(g.encounter.visit_history.iter().all(|v| v.date < dos));
            if let Some(last) = g.encounter.visit_history.first() {
                let months = ((dos - last.date).num_days() / 30).max(1);
                let text = all_text(&g);
                if text.contains("months ago") {
                    assert!(
                        text.contains(&format!("{months} months ago")),
                        "{}: the note's last visit matches the history",
                        s.spec.id
                    );
                }
            }
        }
    }
    assert!(
        seen_new_with_old_visit,
        "the library teaches the three-year rule with older visits too"
    );
}

#[test]
fn structured_results_agree_with_the_reports() {
    let lib = library();
    let mut checked = 0;
    for s in lib.iter().filter(|s| !s.spec.record.results.is_empty()) {
        for seed in 0..200 {
            let g = s.generate(seed, window()).expect("generates");
            let text = all_text(&g).to_lowercase();
            for r in &g.encounter.results {
                assert!(
                    text.contains(&r.value.to_lowercase()),
                    "{} seed {seed}: result {} = {} is not in the documents",
                    s.spec.id,
                    r.name,
                    r.value
                );
                // A flag is exactly "outside the printed interval".
                if let (Ok(v), Some((lo, hi))) =
                    (r.value.parse::<f64>(), r.reference.split_once('–'))
                {
                    let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
                    let expected = if v < lo {
                        "L"
                    } else if v > hi {
                        "H"
                    } else {
                        ""
                    };
                    assert_eq!(r.flag, expected, "{} {}", s.spec.id, r.name);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} results checked");
    // The calculated LDL follows the drawn lipid values (Friedewald).
    let g = find(&lib, "lab-fasting-panels")
        .generate(7, window())
        .unwrap();
    let get = |name: &str| -> f64 {
        g.encounter
            .results
            .iter()
            .find(|r| r.name.starts_with(name))
            .unwrap()
            .value
            .parse()
            .unwrap()
    };
    let ldl = get("Cholesterol, total") - get("HDL") - get("Triglycerides") / 5.0;
    assert_eq!(get("LDL"), ldl.round());
}

#[test]
fn every_key_passes_the_claim_edits_without_error() {
    use practicum::claims::edits::{EditConfig, Severity, run};
    let cfg = EditConfig::shipped().unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for s in library() {
        let seeded = (1000..1100).map(|seed| s.generate(seed, window()));
        for r in s.each_combination(window(), 2000).into_iter().chain(seeded) {
            let g = r.expect("generates");
            let claim = practicum::claims::scoring::claim_of_key(&g.key)
                .normalized()
                .expect("the key fits the claim form");
            for f in run(&claim, codes(), &cfg) {
                if f.severity == Severity::Error {
                    problems.push(format!(
                        "{} seed {}: {} {}",
                        s.spec.id, g.encounter.seed, f.rule, f.message
                    ));
                }
            }
            checked += 1;
        }
    }
    problems.sort();
    problems.dedup_by(|a, b| {
        a.split(':').nth(1) == b.split(':').nth(1) && a.split(' ').next() == b.split(' ').next()
    });
    assert!(
        problems.is_empty(),
        "{} keys with edit errors:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(checked > 4000, "{checked}");
}

#[test]
fn every_key_scores_100_and_any_single_wrong_element_scores_less() {
    use practicum::claims::edits::{EditConfig, run};
    use practicum::claims::scoring::{ScoringPolicy, claim_of_key, score};
    let cfg = EditConfig::shipped().unwrap();
    let policy = ScoringPolicy::default();
    let mut mutants = 0;
    for s in library() {
        let seeded = (2000..2020).map(|seed| s.generate(seed, window()));
        for r in s.each_combination(window(), 200).into_iter().chain(seeded) {
            let g = r.expect("generates");
            let key = &g.key;
            let perfect = claim_of_key(key);
            let scored =
                |c: &practicum::claims::Claim| score(c, key, &policy, &run(c, codes(), &cfg)).total;
            assert_eq!(
                scored(&perfect),
                100.0,
                "{} seed {}",
                s.spec.id,
                g.encounter.seed
            );
            let mut variants: Vec<(String, practicum::claims::Claim)> = Vec::new();
            for i in 0..key.diagnoses.len() {
                let mut c = perfect.clone();
                c.diagnoses[i] = if key.diagnoses[i] == "R69" {
                    "R52".into()
                } else {
                    "R69".into()
                };
                variants.push((format!("diagnosis {i} replaced"), c));
            }
            for (i, l) in key.lines.iter().enumerate() {
                let mut c = perfect.clone();
                c.lines[i].units = l.units + 1;
                variants.push((format!("line {i} units"), c));
                let mut c = perfect.clone();
                if c.lines[i].modifiers.is_empty() {
                    c.lines[i].modifiers.push("76".into());
                } else {
                    c.lines[i].modifiers.remove(0);
                }
                variants.push((format!("line {i} modifiers"), c));
                let mut c = perfect.clone();
                c.lines[i].code = if l.code == "99499" {
                    "99429".into()
                } else {
                    "99499".into()
                };
                variants.push((format!("line {i} code"), c));
                if key.diagnoses.len() > 1 {
                    let mut c = perfect.clone();
                    let other = if l.pointers.first().map(String::as_str) == Some("A") {
                        "B"
                    } else {
                        "A"
                    };
                    c.lines[i].pointers = vec![other.into()];
                    variants.push((format!("line {i} pointers"), c));
                }
                let mut c = perfect.clone();
                c.lines.remove(i);
                variants.push((format!("line {i} removed"), c));
            }
            let mut c = perfect.clone();
            if c.diagnoses.len() < 12 {
                c.diagnoses
                    .push(if key.diagnoses.contains(&"R69".to_owned()) {
                        "R52".into()
                    } else {
                        "R69".into()
                    });
                variants.push(("extra diagnosis".into(), c));
            }
            if key.diagnoses.len() > 1 && key.diagnoses[0] != key.diagnoses[1] {
                let mut c = perfect.clone();
                c.diagnoses.swap(0, 1);
                variants.push(("first two diagnoses swapped".into(), c));
            }
            for (what, c) in variants {
                let t = scored(&c);
                assert!(
                    t < 100.0,
                    "{} seed {}: {what} still scores {t}",
                    s.spec.id,
                    g.encounter.seed
                );
                mutants += 1;
            }
        }
    }
    assert!(mutants > 3000, "{mutants}");
}
