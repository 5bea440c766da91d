//! ICD-10-CM loaded from the shipped official April 1, 2026 tabular XML.

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::OnceLock;

use chrono::NaiveDate;
use practicum::codes::icd10cm::notes::{NoteKind, RefParse};
use practicum::codes::icd10cm::{Icd10Cm, Problem};
use practicum::codes::search::{EntryKind, System};
use practicum::codes::{CodeKey, CodeSets};

fn sets() -> &'static CodeSets {
    static SETS: OnceLock<CodeSets> = OnceLock::new();
    SETS.get_or_init(|| CodeSets::shipped().expect("shipped code sets load"))
}

fn table() -> &'static Icd10Cm {
    sets().icd10cm_latest().expect("an ICD-10-CM release")
}

fn k(s: &str) -> CodeKey {
    CodeKey::parse(s).unwrap()
}

fn dos() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()
}

/// The official code list for the release, as shipped beside the XML in the
/// `simple-icd-10-cm` 1.5.0 package: every chapter, section and code; the
/// billable codes are the ones nothing else extends.
fn official_billable() -> BTreeSet<String> {
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/icd10cm/code-list-2026-04-01.txt.gz"
    ))
    .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    let codes: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= 3 && l.as_bytes()[0].is_ascii_uppercase() && !l.contains('-'))
        .map(str::to_owned)
        .collect();
    codes
        .iter()
        .filter(|c| {
            codes
                .range::<String, _>((std::ops::Bound::Excluded(*c), std::ops::Bound::Unbounded))
                .next()
                .is_none_or(|next| !next.starts_with(c.as_str()))
        })
        .cloned()
        .collect()
}

#[test]
fn billable_set_equals_the_official_list_code_for_code() {
    let ours: BTreeSet<String> = table()
        .billable_codes()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let official = official_billable();
    let missing: Vec<_> = official.difference(&ours).take(10).collect();
    let extra: Vec<_> = ours.difference(&official).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(ours.len(), 74_719);
    let stats = table().stats();
    assert_eq!(
        (stats.chapters, stats.categories, stats.billable),
        (22, 1_918, 74_719)
    );
}

#[test]
fn nested_seventh_character_tables_win() {
    let t = table();
    assert!(t.validate("S52.531A", dos()).is_ok());
    assert!(t.validate("s52531a", dos()).is_ok(), "no dot, any case");
    assert!(t.validate("S52.521A", dos()).is_ok());
    assert!(t.validate("S52.521D", dos()).is_ok());
    let err = t.validate("S52.521B", dos()).unwrap_err();
    assert!(
        matches!(err, Problem::InvalidSeventh { given: b'B', .. }),
        "{err:?}"
    );
    let allowed: Vec<u8> = t
        .allowed_sevenths(k("S52521"))
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(
        allowed,
        b"ADGKPS".to_vec(),
        "torus fractures use the table at S52.52"
    );
    assert!(matches!(
        t.validate("S52.531", dos()),
        Err(Problem::MissingSeventh { .. })
    ));
    assert!(
        t.validate("T07XXXA", dos()).is_ok(),
        "3-character leaf padded with XXX"
    );
    assert!(matches!(t.validate("T07A", dos()), Err(Problem::Unknown)));
}

#[test]
fn diabetes_retinopathy_laterality_is_a_seventh_character() {
    let t = table();
    assert!(t.validate("E11.3291", dos()).is_ok());
    assert!(matches!(
        t.validate("E11.329", dos()),
        Err(Problem::MissingSeventh { .. })
    ));
    let allowed: Vec<u8> = t
        .allowed_sevenths(k("E11329"))
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(allowed, b"1239".to_vec());
    assert!(t.validate("E11.9", dos()).is_ok());
    assert!(t.validate("E11.A", dos()).is_ok(), "letter in position 4");
    assert!(matches!(
        t.validate("E11", dos()),
        Err(Problem::Header { .. })
    ));
    let under = t.billable_under(k("E113"), 500);
    assert!(under.contains(&k("E113291")) && !under.contains(&k("E11329")));
}

#[test]
fn the_s06_prose_rule_is_applied() {
    let t = table();
    assert!(t.validate("S06.307A", dos()).is_ok());
    for bad in ["S06.307D", "S06.307S", "S06.308D", "S06.1X7S"] {
        assert!(
            matches!(t.validate(bad, dos()), Err(Problem::InvalidSeventh { .. })),
            "{bad}"
        );
    }
    assert!(t.validate("S06.306D", dos()).is_ok());
    assert!(
        t.validate("S06.0X1A", dos()).is_ok(),
        "placeholder X inside the code"
    );
    let allowed: Vec<u8> = t
        .allowed_sevenths(k("S06307"))
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(allowed, b"A".to_vec());
}

#[test]
fn letters_in_position_two_and_three() {
    let t = table();
    assert!(
        t.validate("QA0.0101", dos()).is_ok(),
        "letter in position 2"
    );
    assert!(t.validate("qa08", dos()).is_ok());
    let first = t.billable_under(k("QA0"), 1);
    assert_eq!(first.len(), 1);
    assert!(t.validate(&first[0].to_string(), dos()).is_ok());
    assert!(t.validate("C4A.0", dos()).is_ok());
    assert!(matches!(
        t.validate("O9A", dos()),
        Err(Problem::Header { .. })
    ));
}

#[test]
fn malformed_unknown_and_out_of_period_codes() {
    let t = table();
    for (text, expected) in [
        ("", "malformed"),
        ("12345", "malformed"),
        ("E1", "malformed"),
        ("E11-9", "malformed"),
        ("E1199999", "malformed"),
        ("Z99.99", "unknown"),
    ] {
        let err = t.validate(text, dos()).unwrap_err();
        assert_eq!(err.code(), expected, "{text:?}");
    }
    let before = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let err = t.validate("E11.9", before).unwrap_err();
    assert_eq!(
        err,
        Problem::NotEffective {
            from: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
        }
    );
    assert!(
        t.validate("E11.9", NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())
            .is_ok()
    );
}

#[test]
fn excludes1_is_inherited_from_ancestors() {
    let t = table();
    let note = t
        .excludes1_between(k("E119"), k("E109"))
        .expect("E11 excludes E10");
    assert!(note.text.contains("type 1"), "{}", note.text);
    assert!(
        t.excludes1_between(k("E109"), k("E119")).is_some(),
        "either order"
    );
    let note = t
        .excludes1_between(k("J45909"), k("R062"))
        .expect("J45 excludes wheezing");
    assert!(note.text.to_lowercase().contains("wheezing"));
    assert!(t.excludes1_between(k("E119"), k("I10")).is_none());
}

#[test]
fn manifestation_codes_are_flagged() {
    let t = table();
    assert!(t.is_manifestation(k("G63")));
    assert!(
        t.validate("G63", dos()).is_ok(),
        "G63 is a billable 3-character code"
    );
    assert!(!t.is_manifestation(k("E1142")));
    assert!(t.notes_for(k("G63"), NoteKind::CodeFirst).next().is_some());
}

#[test]
fn notes_are_attached_with_references_and_none_are_lost() {
    let t = table();
    let stats = t.stats();
    assert!(stats.notes > 25_000, "{stats:?}");
    assert!(
        stats.notes_with_refs_unparsed > 0,
        "compound forms are reported, not dropped"
    );
    let uac: Vec<_> = t
        .notes_for(k("E1122"), NoteKind::UseAdditionalCode)
        .collect();
    assert!(
        uac.iter().any(|n| n.covers(k("N183"))),
        "E11.22 asks for the CKD stage: {:?}",
        uac.iter().map(|n| &n.text).collect::<Vec<_>>()
    );
    let e11: Vec<_> = t
        .notes_for(k("E119"), NoteKind::UseAdditionalCode)
        .collect();
    assert!(
        e11.iter().any(|n| n.covers(k("Z794"))),
        "insulin use Z79.4 inherited from E11"
    );
    assert!(
        t.notes_for(k("E109"), NoteKind::UseAdditionalCode)
            .all(|n| !n.covers(k("Z794"))),
        "E10 has no Z79.4 note"
    );
    let unparsed = t
        .nodes()
        .iter()
        .flat_map(|n| t.own_notes(n))
        .filter(|n| n.parse == RefParse::Unparsed)
        .count();
    assert_eq!(unparsed, stats.notes_with_refs_unparsed);
}

fn top(query: &str, system: Option<System>) -> Vec<String> {
    sets()
        .search()
        .search(query, system, 10)
        .into_iter()
        .map(|h| h.code)
        .collect()
}

#[test]
fn word_search_ranks_the_specific_code_first() {
    let hits = top("colles fracture right", Some(System::Icd10cm));
    assert_eq!(hits[0], "S52.531-", "{hits:?}");
    let hits = top("type 2 diabetes without complications", None);
    assert!(hits.iter().take(3).any(|c| c == "E11.9"), "{hits:?}");
    let hits = top("wheezing", None);
    assert_eq!(hits[0], "R06.2", "{hits:?}");
    // Inclusion terms work as synonyms: "commotio cerebri" is listed under concussion.
    let hits = top("commotio cerebri", None);
    assert!(hits.iter().any(|c| c.starts_with("S06.0")), "{hits:?}");
    // A half-typed last word still finds the code.
    let hits = top("colles fract", None);
    assert!(hits.iter().any(|c| c == "S52.53"), "{hits:?}");
}

#[test]
fn code_prefix_search_lists_codes_in_order() {
    let hits = sets().search().search("e11.32", Some(System::Icd10cm), 5);
    assert_eq!(hits[0].code, "E11.32");
    assert_eq!(hits[0].kind, EntryKind::Header);
    assert!(hits.iter().all(|h| h.code.starts_with("E11.32")));
    let hits = sets().search().search("G63", None, 3);
    assert_eq!(
        (hits[0].code.as_str(), hits[0].kind),
        ("G63", EntryKind::Billable)
    );
}
