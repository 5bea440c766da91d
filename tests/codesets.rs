//! CPT, HCPCS, modifiers, places of service, NCCI and MUE: shipped tables,
//! the rules over them, and the importers for the official file layouts.

use std::sync::OnceLock;

use chrono::NaiveDate;
use practicum::codes::modifiers::Misfit;
use practicum::codes::ncci::{Mai, Ncci};
use practicum::codes::procedures::{ProcProblem, ProcedureTable, Section};
use practicum::codes::search::System;
use practicum::codes::{CodeKey, CodeSets};

fn sets() -> &'static CodeSets {
    static SETS: OnceLock<CodeSets> = OnceLock::new();
    SETS.get_or_init(|| CodeSets::shipped().expect("shipped code sets load"))
}

fn k(s: &str) -> CodeKey {
    CodeKey::parse(s).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// One 320-byte HCPCS record with the given fields at their positions.
#[expect(clippy::too_many_arguments, reason = "one argument per record field")]
fn hcpcs_record(
    code: &str,
    seq: &str,
    rid: char,
    long: &str,
    short: &str,
    pricing: &str,
    added: &str,
    effective: &str,
    termination: &str,
) -> String {
    let mut rec = vec![b' '; 320];
    let mut put = |pos: usize, text: &str| {
        assert!(
            pos != 12 || text.len() <= 80,
            "a long-description line holds 80 characters"
        );
        rec[pos - 1..pos - 1 + text.len()].copy_from_slice(text.as_bytes())
    };
    put(1, code);
    put(6, seq);
    put(11, &rid.to_string());
    put(12, long);
    put(92, short);
    put(120, pricing);
    put(269, added);
    put(277, effective);
    put(285, termination);
    String::from_utf8(rec).unwrap()
}

#[test]
fn hcpcs_fixed_width_file_imports_with_continuations() {
    let file = [
        hcpcs_record(
            "J1100",
            "00100",
            '3',
            "Injection, dexamethasone sodium phosphate, 1",
            "Dexamethasone sodium phos",
            "51",
            "19840101",
            "20050101",
            "",
        ),
        hcpcs_record("J1100", "00200", '4', "mg", "", "", "", "", ""),
        hcpcs_record(
            "   25",
            "00100",
            '7',
            "Significant, separately identifiable e/m service",
            "Significant, separately iden",
            "",
            "",
            "",
            "",
        ),
        hcpcs_record(
            "E0114",
            "00100",
            '3',
            "Crutches underarm, other than wood, adjustable or fixed, pair, with pad, tips",
            "Crutch underarm pair no wood",
            "32",
            "19840101",
            "19840101",
            "",
        ),
        hcpcs_record("E0114", "00200", '4', "and handgrips", "", "", "", "", ""),
        hcpcs_record(
            "Q9999",
            "00100",
            '3',
            "Made-up terminated sample code",
            "Made-up sample",
            "00",
            "20200101",
            "20200101",
            "20251231",
        ),
    ]
    .join("\n");
    let mut table = ProcedureTable::default();
    let mut seen = 0;
    let n = table
        .import_hcpcs_fixed_width(&file, |_| seen += 1)
        .unwrap();
    assert_eq!(n, 3);
    assert!(seen >= 6, "progress reported per line");
    let j = table.get(k("J1100")).unwrap();
    assert_eq!(
        j.description,
        "Injection, dexamethasone sodium phosphate, 1 mg"
    );
    assert_eq!(
        j.short_description.as_deref(),
        Some("Dexamethasone sodium phos")
    );
    assert_eq!(j.pricing_indicator.as_deref(), Some("51"));
    assert_eq!(
        table.get(k("E0114")).unwrap().description,
        "Crutches underarm, other than wood, adjustable or fixed, pair, with pad, tips and handgrips"
    );
    assert!(table.validate("Q9999", d(2025, 6, 1)).is_ok());
    assert_eq!(
        table.validate("Q9999", d(2026, 1, 1)).unwrap_err(),
        ProcProblem::NotEffective,
        "terminated"
    );
}

#[test]
fn malformed_hcpcs_files_name_the_line_and_change_nothing() {
    let good = hcpcs_record(
        "J1100",
        "00100",
        '3',
        "Injection, dexamethasone sodium phosphate, 1 mg",
        "Dexamethasone sodium phos",
        "51",
        "19840101",
        "20050101",
        "",
    );
    let mut table = ProcedureTable::default();
    let short = format!("{good}\nJ1885 too short");
    let err = table.import_hcpcs_fixed_width(&short, |_| {}).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "record"));
    let bad_date = format!(
        "{good}\n{}",
        hcpcs_record(
            "J1885",
            "00100",
            '3',
            "Injection, ketorolac tromethamine, per 15 mg",
            "Ketorolac tromethamine inj",
            "51",
            "19990101",
            "20991399",
            ""
        )
    );
    let err = table
        .import_hcpcs_fixed_width(&bad_date, |_| {})
        .unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "action effective date"));
    let orphan = hcpcs_record("J1885", "00200", '4', "continued", "", "", "", "", "");
    let err = table.import_hcpcs_fixed_width(&orphan, |_| {}).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "record id"));
    let bad_code = hcpcs_record(
        "12345",
        "00100",
        '3',
        "A CPT number in a HCPCS record",
        "x",
        "00",
        "",
        "",
        "",
    );
    let err = table
        .import_hcpcs_fixed_width(&bad_code, |_| {})
        .unwrap_err();
    assert_eq!(err.field, "code");
    assert!(
        table.get(k("J1100")).is_none(),
        "a refused file adds nothing"
    );
}

#[test]
fn licensed_cpt_file_replaces_descriptions() {
    let mut table = ProcedureTable::default();
    table.load_cpt_plain("code\tsection\tdescription\tadd_on\tglobal_days\tpc_tc\tbilateral\tprimaries\n99214\tem\tOffice visit, established patient, moderate decision making\t0\tXXX\t0\t9\t\n").unwrap();
    assert!(!table.get(k("99214")).unwrap().licensed_text);
    // A made-up sample in the licensed layout (not AMA text).
    let n = table
        .import_cpt_licensed(
            "99214\tSAMPLE LICENSED DESCRIPTOR FOR TESTING\n0232T\tSAMPLE CATEGORY III TEXT\n",
            |_| {},
        )
        .unwrap();
    assert_eq!(n, 2);
    let p = table.get(k("99214")).unwrap();
    assert!(p.licensed_text && p.description == "SAMPLE LICENSED DESCRIPTOR FOR TESTING");
    assert_eq!(p.global_days.as_deref(), Some("XXX"), "indicators kept");
    assert_eq!(table.get(k("0232T")).unwrap().section, Section::CategoryIii);
    let err = table
        .import_cpt_licensed("99213\tgood\n99214 no tab\n", |_| {})
        .unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "record"));
    let err = table
        .import_cpt_licensed("J1100\tnot cpt\n", |_| {})
        .unwrap_err();
    assert_eq!(err.field, "code");
    assert!(table.get(k("99213")).is_none());
}

#[test]
fn ncci_ptp_file_imports_and_dates_bound_the_edit() {
    let file = "CPT only copyright 2025 American Medical Association. All rights reserved.\n\
                Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n\
                45385\t45380\t\t20050101\t*\t1\tStandards of medical / surgical practice\n\
                93000\t93010\t*\t19960101\t*\t0\tCPT Manual or CMS manual coding instructions\n\
                11111\t22222\t\t20200101\t20230101\t1\tMade-up deleted edit\n\
                33333\t44444\t\t20200101\t*\t9\tMade-up retroactively deleted edit\n";
    let mut ncci = Ncci::default();
    assert_eq!(ncci.import_ptp_cms(file, |_| {}).unwrap(), 4);
    let e = ncci.ptp(k("45385"), k("45380"), d(2026, 6, 1)).unwrap();
    assert_eq!(e.rationale, "Standards of medical / surgical practice");
    assert!(
        ncci.ptp(k("45380"), k("45385"), d(2026, 6, 1)).is_none(),
        "column order matters"
    );
    assert!(
        ncci.ptp(k("45385"), k("45380"), d(2004, 12, 31)).is_none(),
        "before the effective date"
    );
    assert!(ncci.ptp(k("11111"), k("22222"), d(2022, 12, 31)).is_some());
    assert!(
        ncci.ptp(k("11111"), k("22222"), d(2023, 1, 1)).is_none(),
        "deleted on its deletion date"
    );
    assert!(
        ncci.ptp(k("33333"), k("44444"), d(2024, 1, 1)).is_none(),
        "indicator 9 is no edit"
    );
    let bad = "45385\t45380\t\t20050101\t*\t7\tx\n";
    let err = Ncci::default().import_ptp_cms(bad, |_| {}).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "modifier indicator"));
    let bad = "45385\t45380\t\t2005-13-01\t*\t1\tx\n";
    assert_eq!(
        Ncci::default()
            .import_ptp_cms(bad, |_| {})
            .unwrap_err()
            .field,
        "effective date"
    );
}

#[test]
fn mue_file_imports_with_adjudication_indicators() {
    let file = "CPT codes and descriptions only are copyright 2025 American Medical Association.\n\
                \"HCPCS/CPT Code\",\"Practitioner Services MUE Values\",\"MUE Adjudication Indicator\",\"MUE Rationale\"\n\
                J3301,80,3 Date of Service Edit: Clinical,Clinical: Data\n\
                20610,2,1 Line Edit,Anatomic Consideration\n\
                99214,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction\n";
    let mut ncci = Ncci::default();
    assert_eq!(ncci.import_mue_cms(file, |_| {}).unwrap(), 3);
    let m = ncci.mue(k("20610")).unwrap();
    assert_eq!((m.value, m.mai), (2, Mai::Line));
    assert_eq!(ncci.mue(k("99214")).unwrap().mai, Mai::DatePolicy);
    let bad = "\"HCPCS/CPT Code\",\"MUE\",\"MAI\",\"R\"\nJ3301,eighty,3 Date of Service Edit: Clinical,x\n";
    let err = Ncci::default().import_mue_cms(bad, |_| {}).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "MUE value"));
    let err = Ncci::default()
        .import_mue_cms("no header here\n", |_| {})
        .unwrap_err();
    assert_eq!(err.field, "header");
}

#[test]
fn shipped_procedures_are_well_formed_and_license_safe() {
    let s = sets();
    let info = s.info();
    assert!(info.cpt_codes >= 150, "{info:?}");
    assert!(info.hcpcs_codes >= 30, "{info:?}");
    assert_eq!(info.cpt_codes_with_licensed_text, 0, "no AMA text ships");
    let visit = s.procedures.get(k("99214")).unwrap();
    assert_eq!(visit.section, Section::Em);
    assert!(s.procedures.get(k("17003")).unwrap().add_on);
    assert!(
        s.procedures
            .get(k("17003"))
            .unwrap()
            .primaries
            .contains(&k("17000"))
    );
    assert_eq!(
        s.procedures.get(k("J1100")).unwrap().description,
        "Injection, dexamethasone sodium phosphate, 1 mg"
    );
    assert!(
        s.procedures
            .get(k("E0114"))
            .unwrap()
            .description
            .starts_with("Crutches underarm")
    );
    assert_eq!(s.places.get("11").unwrap().name, "Office");
    assert_eq!(s.places.get("23").map(|p| p.code.as_str()), Some("23"));
    for p in s.procedures.iter() {
        assert!(!p.description.is_empty());
        if p.add_on {
            assert_eq!(
                p.global_days.as_deref(),
                Some("ZZZ"),
                "{} add-on has global ZZZ",
                p.code
            );
        }
    }
    assert!(matches!(
        s.procedures.validate("9921", d(2026, 6, 1)),
        Err(ProcProblem::Malformed(_))
    ));
    assert!(matches!(
        s.procedures.validate("1234X", d(2026, 6, 1)),
        Err(ProcProblem::Malformed(_))
    ));
    assert!(
        s.procedures.validate("3044F", d(2026, 6, 1)).is_ok()
            || s.procedures.get(k("3044F")).is_none()
    );
}

#[test]
fn modifiers_fit_only_the_codes_they_belong_to() {
    let s = sets();
    let p = |c: &str| {
        s.procedures
            .get(k(c))
            .unwrap_or_else(|| panic!("{c} shipped"))
    };
    let fits = |m: &str, c: &str| s.modifiers.fits(m, p(c)).is_ok();
    assert!(fits("25", "99213"));
    assert!(!fits("25", "20610"), "25 only on E/M");
    assert!(fits("26", "73110") && fits("TC", "73110"));
    assert!(!fits("26", "99213"), "no split on E/M");
    assert!(fits("50", "20610"));
    match s.modifiers.fits("50", p("77067")) {
        Err(Misfit::Wrong(why)) => assert!(why.contains("already bilateral"), "{why}"),
        other => panic!("77067 is bilateral by definition: {other:?}"),
    }
    assert!(fits("RT", "20610") && fits("LT", "25600"));
    assert!(!fits("RT", "99213"), "no side on E/M");
    assert!(fits("QW", "83036"));
    assert!(!fits("QW", "99213"));
    assert_eq!(
        s.modifiers.fits("ZZ", p("99213")).unwrap_err(),
        Misfit::Unknown
    );
    assert!(
        s.modifiers
            .fitting(p("99214"))
            .iter()
            .any(|m| m.modifier == "25")
    );
}

#[test]
fn shipped_ncci_covers_the_teaching_pairs() {
    let s = sets();
    let (ptp, mue) = s.ncci.counts();
    assert!(ptp >= 10 && mue >= 30, "{ptp} PTP edits, {mue} MUEs");
    assert!(s.ncci.ptp(k("45385"), k("45380"), d(2026, 6, 1)).is_some());
    assert!(s.ncci.mue(k("J3301")).is_some());
    assert!(s.ncci.mue(k("99214")).is_some());
}

#[test]
fn search_finds_procedures_by_words_and_number() {
    let s = sets();
    let top = |q: &str| s.search().search(q, None, 5);
    assert_eq!(top("dexamethasone")[0].code, "J1100");
    let hits = top("99214");
    assert_eq!(
        (hits[0].code.as_str(), hits[0].system),
        ("99214", System::Cpt)
    );
    assert!(
        top("crutches").iter().any(|h| h.code == "E0114"),
        "{:?}",
        top("crutches")
    );
}
