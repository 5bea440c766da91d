//! Procedure codes: CPT (code numbers with Practicum's own plain-language
//! descriptions, AMA text only where a licensed file is imported) and HCPCS
//! Level II (official public-domain descriptors).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::CodeKey;
use super::import::{ImportError, csv_error, expect_header, opt_date, tsv_reader};
use super::key::KeyMap;
use super::search::System;

/// Where a CPT code sits, from its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Em,
    Anesthesia,
    Surgery,
    Radiology,
    PathologyLab,
    Medicine,
    CategoryIi,
    CategoryIii,
    /// HCPCS Level II, by its first letter.
    HcpcsLevelIi,
}

impl Section {
    /// The file name of the section.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "em" => Section::Em,
            "anesthesia" => Section::Anesthesia,
            "surgery" => Section::Surgery,
            "radiology" => Section::Radiology,
            "pathology_lab" => Section::PathologyLab,
            "medicine" => Section::Medicine,
            "category_ii" => Section::CategoryIi,
            "category_iii" => Section::CategoryIii,
            _ => return None,
        })
    }
}

/// The shape of a procedure code, or why it has none.
pub fn classify(text: &str) -> Result<(System, CodeKey, Section), &'static str> {
    let key = CodeKey::parse(text).map_err(|_| "a procedure code is 5 letters or digits")?;
    if key.len() != 5 {
        return Err("a procedure code has exactly 5 characters");
    }
    let b: Vec<u8> = (0..5).filter_map(|i| key.byte(i)).collect();
    let digits4 = b[..4].iter().all(u8::is_ascii_digit);
    if b.iter().all(u8::is_ascii_digit) {
        let n: u32 = key.to_string().parse().unwrap_or(0);
        return Ok((System::Cpt, key, cpt_section(n)));
    }
    if digits4 {
        return match b[4] {
            b'F' => Ok((System::Cpt, key, Section::CategoryIi)),
            b'T' => Ok((System::Cpt, key, Section::CategoryIii)),
            b'U' | b'M' => Ok((System::Cpt, key, Section::PathologyLab)),
            _ => Err("4 digits must be followed by F, T, U or M"),
        };
    }
    if b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
        return Ok((System::Hcpcs, key, Section::HcpcsLevelIi));
    }
    Err("not a CPT (5 digits, or 4 digits + F/T/U/M) or HCPCS Level II (letter + 4 digits) code")
}

/// The CPT section of a Category I code number.
pub fn cpt_section(n: u32) -> Section {
    match n {
        100..=1999 | 99100..=99140 => Section::Anesthesia,
        10004..=69990 => Section::Surgery,
        70010..=79999 => Section::Radiology,
        80047..=89398 => Section::PathologyLab,
        99202..=99499 => Section::Em,
        _ => Section::Medicine,
    }
}

/// One procedure code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Procedure {
    pub system: System,
    /// The code (no dot).
    #[schema(value_type = String)]
    #[serde(serialize_with = "ser_key")]
    pub code: CodeKey,
    pub section: Section,
    /// Practicum's own words for CPT; the official descriptor for HCPCS.
    pub description: String,
    /// The CMS short descriptor (HCPCS).
    pub short_description: Option<String>,
    /// True when the description came from a licensed AMA file.
    pub licensed_text: bool,
    /// Reported only with a primary procedure.
    pub add_on: bool,
    /// Global surgery days: 000, 010, 090, XXX, ZZZ, MMM, YYY.
    pub global_days: Option<String>,
    /// CMS PC/TC indicator (1 = professional/technical split).
    pub pc_tc: Option<u8>,
    /// CMS bilateral indicator (1 = modifier 50 applies, 2 = already bilateral).
    pub bilateral: Option<u8>,
    /// For add-ons: the primary codes they go with.
    #[schema(value_type = Vec<String>)]
    #[serde(serialize_with = "ser_keys")]
    pub primaries: Vec<CodeKey>,
    /// CMS pricing indicator (HCPCS).
    pub pricing_indicator: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub termination: Option<NaiveDate>,
}

fn ser_key<S: serde::Serializer>(k: &CodeKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str_buf().as_str())
}

fn ser_keys<S: serde::Serializer>(ks: &[CodeKey], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(ks.len()))?;
    for k in ks {
        seq.serialize_element(k.as_str_buf().as_str())?;
    }
    seq.end()
}

/// Why a procedure code cannot be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcProblem {
    Malformed(&'static str),
    /// Well formed but not in the loaded table.
    Unknown,
    /// Not yet effective, or terminated, on the date of service.
    NotEffective,
}

impl ProcProblem {
    /// A stable short name.
    pub fn code(&self) -> &'static str {
        match self {
            ProcProblem::Malformed(_) => "malformed",
            ProcProblem::Unknown => "unknown",
            ProcProblem::NotEffective => "not_effective",
        }
    }
}

/// CPT and HCPCS Level II codes.
#[derive(Default)]
pub struct ProcedureTable {
    by_code: KeyMap<Procedure>,
}

const CPT_COLUMNS: &[&str] = &[
    "code",
    "section",
    "description",
    "add_on",
    "global_days",
    "pc_tc",
    "bilateral",
    "primaries",
];
const HCPCS_COLUMNS: &[&str] = &[
    "code",
    "short_description",
    "long_description",
    "pricing_indicator",
    "coverage",
    "betos",
    "effective_from",
    "termination",
];

fn opt_digit(line: u64, field: &str, raw: &str) -> Result<Option<u8>, ImportError> {
    match raw.trim() {
        "" => Ok(None),
        s if s.len() == 1 && s.as_bytes()[0].is_ascii_digit() => Ok(Some(s.as_bytes()[0] - b'0')),
        s => Err(ImportError::new(
            line,
            field,
            format!("{s:?} must be one digit or empty"),
        )),
    }
}

impl ProcedureTable {
    /// The table shipped with Practicum.
    pub fn shipped() -> Result<Self, ImportError> {
        let mut t = ProcedureTable::default();
        t.load_cpt_plain(include_str!("../../fixtures/cpt/cpt-plain.tsv"))?;
        t.load_hcpcs_tsv(include_str!("../../fixtures/hcpcs/hcpcs-teaching.tsv"))?;
        Ok(t)
    }

    /// Loads Practicum's CPT table (own descriptions and CMS indicators).
    pub fn load_cpt_plain(&mut self, text: &str) -> Result<usize, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, CPT_COLUMNS)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            let (system, code, derived) =
                classify(&r[0]).map_err(|m| ImportError::new(line, "code", m))?;
            if system != System::Cpt {
                return Err(ImportError::new(
                    line,
                    "code",
                    format!("{} is not a CPT code", &r[0]),
                ));
            }
            let section = Section::parse(&r[1]).ok_or_else(|| {
                ImportError::new(line, "section", format!("unknown section {:?}", &r[1]))
            })?;
            if section != derived {
                return Err(ImportError::new(
                    line,
                    "section",
                    format!("{} belongs to {derived:?}, not {section:?}", &r[0]),
                ));
            }
            if r[2].is_empty() {
                return Err(ImportError::new(line, "description", "must not be empty"));
            }
            let add_on = match &r[3] {
                "1" => true,
                "0" => false,
                other => {
                    return Err(ImportError::new(
                        line,
                        "add_on",
                        format!("{other:?} must be 0 or 1"),
                    ));
                }
            };
            let global = match &r[4] {
                "" => None,
                g @ ("000" | "010" | "090" | "XXX" | "ZZZ" | "MMM" | "YYY") => Some(g.to_owned()),
                other => {
                    return Err(ImportError::new(
                        line,
                        "global_days",
                        format!("{other:?} is not a global indicator"),
                    ));
                }
            };
            let primaries = r[7]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    CodeKey::parse(s).map_err(|_| {
                        ImportError::new(line, "primaries", format!("{s:?} is not a code"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(Procedure {
                system,
                code,
                section,
                description: r[2].to_owned(),
                short_description: None,
                licensed_text: false,
                add_on,
                global_days: global,
                pc_tc: opt_digit(line, "pc_tc", &r[5])?,
                bilateral: opt_digit(line, "bilateral", &r[6])?,
                primaries,
                pricing_indicator: None,
                effective_from: None,
                termination: None,
            });
        }
        Ok(self.commit(rows))
    }

    /// Loads HCPCS Level II rows from Practicum's tab-separated layout.
    pub fn load_hcpcs_tsv(&mut self, text: &str) -> Result<usize, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, HCPCS_COLUMNS)?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            rows.push(hcpcs_row(
                line,
                &r[0],
                &r[1],
                &r[2],
                &r[3],
                opt_date(line, "effective_from", &r[6])?,
                opt_date(line, "termination", &r[7])?,
            )?);
        }
        Ok(self.commit(rows))
    }

    /// Imports the CMS quarterly HCPCS file (fixed-width 320-byte records).
    /// Procedure records (id 3) start a code, continuation records (id 4) add
    /// to its long description; modifier records (7, 8) are skipped here.
    pub fn import_hcpcs_fixed_width(
        &mut self,
        text: &str,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, ImportError> {
        let mut rows: Vec<Procedure> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i as u64 + 1;
            progress(i);
            if raw.trim().is_empty() {
                continue;
            }
            let field =
                |from: usize, to: usize| raw.get(from - 1..to.min(raw.len())).unwrap_or("").trim();
            if raw.len() < 293 || !raw.is_ascii() {
                return Err(ImportError::new(
                    line,
                    "record",
                    format!(
                        "expected a 320-byte ASCII record, found {} bytes",
                        raw.len()
                    ),
                ));
            }
            match field(11, 11) {
                "3" => {
                    let added = opt_date(line, "code added date", field(269, 276))?;
                    let effective = opt_date(line, "action effective date", field(277, 284))?;
                    let termination = opt_date(line, "termination date", field(285, 292))?;
                    let p = hcpcs_row(
                        line,
                        field(1, 5),
                        field(92, 119),
                        field(12, 91),
                        field(120, 121),
                        effective.or(added),
                        termination,
                    )?;
                    rows.push(p);
                }
                "4" => {
                    let code = field(1, 5);
                    match rows.last_mut() {
                        Some(p) if p.code.to_string() == code => {
                            p.description.push(' ');
                            p.description.push_str(field(12, 91));
                        }
                        _ => {
                            return Err(ImportError::new(
                                line,
                                "record id",
                                format!("continuation for {code} without its first record"),
                            ));
                        }
                    }
                }
                "7" | "8" => {}
                other => {
                    return Err(ImportError::new(
                        line,
                        "record id",
                        format!("{other:?} is not 3, 4, 7 or 8"),
                    ));
                }
            }
        }
        if rows.is_empty() {
            return Err(ImportError::new(1, "record", "no procedure records found"));
        }
        Ok(self.commit(rows))
    }

    /// Imports a licensed AMA CPT descriptor file: `code<TAB>descriptor` per
    /// line. Known codes get the licensed text; unknown ones are added with
    /// their section from the code number.
    pub fn import_cpt_licensed(
        &mut self,
        text: &str,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, ImportError> {
        let mut rows = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i as u64 + 1;
            progress(i);
            if raw.trim().is_empty() {
                continue;
            }
            let Some((code, desc)) = raw.split_once('\t') else {
                return Err(ImportError::new(
                    line,
                    "record",
                    "expected code<TAB>descriptor",
                ));
            };
            let (system, key, section) =
                classify(code).map_err(|m| ImportError::new(line, "code", m))?;
            if system != System::Cpt {
                return Err(ImportError::new(
                    line,
                    "code",
                    format!("{code} is not a CPT code"),
                ));
            }
            let desc = desc.trim();
            if desc.is_empty() {
                return Err(ImportError::new(line, "descriptor", "must not be empty"));
            }
            let mut p = self.by_code.get(&key).cloned().unwrap_or(Procedure {
                system,
                code: key,
                section,
                description: String::new(),
                short_description: None,
                licensed_text: true,
                add_on: false,
                global_days: None,
                pc_tc: None,
                bilateral: None,
                primaries: Vec::new(),
                pricing_indicator: None,
                effective_from: None,
                termination: None,
            });
            p.description = desc.to_owned();
            p.licensed_text = true;
            rows.push(p);
        }
        Ok(self.commit(rows))
    }

    /// Adds checked rows; nothing is added when any row failed.
    fn commit(&mut self, rows: Vec<Procedure>) -> usize {
        let n = rows.len();
        for p in rows {
            self.by_code.insert(p.code, p);
        }
        n
    }

    /// Looks a code up.
    pub fn get(&self, key: CodeKey) -> Option<&Procedure> {
        self.by_code.get(&key)
    }

    /// Validates a procedure code on a date of service.
    pub fn validate(&self, text: &str, dos: NaiveDate) -> Result<&Procedure, ProcProblem> {
        let (_, key, _) = classify(text).map_err(ProcProblem::Malformed)?;
        let p = self.by_code.get(&key).ok_or(ProcProblem::Unknown)?;
        let started = p.effective_from.is_none_or(|d| d <= dos);
        let ended = p.termination.is_some_and(|d| d < dos);
        if !started || ended {
            return Err(ProcProblem::NotEffective);
        }
        Ok(p)
    }

    /// All codes of one system, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Procedure> {
        self.by_code.values()
    }

    /// Count of codes in a system.
    pub fn count(&self, system: System) -> usize {
        self.by_code.values().filter(|p| p.system == system).count()
    }
}

fn hcpcs_row(
    line: u64,
    code: &str,
    short: &str,
    long: &str,
    pricing: &str,
    effective_from: Option<NaiveDate>,
    termination: Option<NaiveDate>,
) -> Result<Procedure, ImportError> {
    let (system, key, section) = classify(code).map_err(|m| ImportError::new(line, "code", m))?;
    if system != System::Hcpcs {
        return Err(ImportError::new(
            line,
            "code",
            format!("{code} is not a HCPCS Level II code"),
        ));
    }
    if long.trim().is_empty() {
        return Err(ImportError::new(
            line,
            "long description",
            "must not be empty",
        ));
    }
    if short.chars().count() > 28 {
        return Err(ImportError::new(
            line,
            "short description",
            "must be at most 28 characters",
        ));
    }
    let well_formed = pricing.len() == 2 && pricing.bytes().all(|b| b.is_ascii_digit());
    if !pricing.is_empty() && !well_formed {
        return Err(ImportError::new(
            line,
            "pricing indicator",
            format!("{pricing:?} must be two digits"),
        ));
    }
    Ok(Procedure {
        system,
        code: key,
        section,
        description: long.trim().to_owned(),
        short_description: Some(short.trim().to_owned()).filter(|s| !s.is_empty()),
        licensed_text: false,
        add_on: false,
        global_days: None,
        pc_tc: None,
        bilateral: None,
        primaries: Vec::new(),
        pricing_indicator: Some(pricing.to_owned()).filter(|s| !s.is_empty()),
        effective_from,
        termination,
    })
}
