//! Code sets: ICD-10-CM (official CMS data), with HCPCS Level II, CPT,
//! modifiers, places of service, NCCI and MUE to follow. Pure data and rules;
//! no web or database types.

pub mod detail;
pub mod icd10cm;
pub mod import;
pub mod imports;
pub mod key;
pub mod modifiers;
pub mod ncci;
pub mod pos;
pub mod procedures;
pub mod search;

use chrono::NaiveDate;

use icd10cm::{Icd10Cm, LoadError};
pub use key::CodeKey;
use search::{Doc, EntryKind, SearchIndex, System};

/// The shipped code sets, loaded once per process and shared (they never change).
pub fn shipped_shared() -> Result<std::sync::Arc<CodeSets>, String> {
    static SHARED: std::sync::OnceLock<Result<std::sync::Arc<CodeSets>, String>> =
        std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            CodeSets::shipped()
                .map(std::sync::Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
}

/// Why the code sets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CodeSetError {
    #[error("ICD-10-CM: {0}")]
    Icd10cm(#[from] LoadError),
    #[error("{file}: {error}")]
    Table {
        /// Which table.
        file: &'static str,
        /// Where and why.
        error: import::ImportError,
    },
}

fn table<T>(file: &'static str, r: Result<T, import::ImportError>) -> Result<T, CodeSetError> {
    r.map_err(|error| CodeSetError::Table { file, error })
}

/// Every loaded code set and the encoder index over them.
pub struct CodeSets {
    /// ICD-10-CM releases, oldest first.
    icd10cm: Vec<Icd10Cm>,
    /// CPT and HCPCS Level II.
    pub procedures: procedures::ProcedureTable,
    pub modifiers: modifiers::Modifiers,
    pub places: pos::Places,
    pub ncci: ncci::Ncci,
    search: SearchIndex,
}

impl CodeSets {
    /// The code sets shipped with Practicum.
    pub fn shipped() -> Result<Self, CodeSetError> {
        Ok(Self::new(
            vec![Icd10Cm::shipped()?],
            table("CPT/HCPCS", procedures::ProcedureTable::shipped())?,
            table("modifiers", modifiers::Modifiers::shipped())?,
            table("places of service", pos::Places::shipped())?,
            table("NCCI", ncci::Ncci::shipped())?,
        ))
    }

    /// Builds the container and its search index; the newest ICD-10-CM
    /// release feeds the encoder.
    pub fn new(
        mut icd10cm: Vec<Icd10Cm>,
        procedures: procedures::ProcedureTable,
        modifiers: modifiers::Modifiers,
        places: pos::Places,
        ncci: ncci::Ncci,
    ) -> Self {
        icd10cm.sort_by_key(|t| t.release.effective_from);
        let mut docs = Vec::new();
        if let Some(latest) = icd10cm.last() {
            docs.extend(icd_docs(latest));
        }
        docs.extend(procedures.iter().map(|p| Doc {
            system: p.system,
            key: p.code,
            display: p.code.to_string(),
            desc: p.description.clone(),
            kind: EntryKind::Billable,
            synonyms: p.short_description.iter().cloned().collect(),
            by_words: true,
        }));
        CodeSets {
            icd10cm,
            procedures,
            modifiers,
            places,
            ncci,
            search: SearchIndex::build(docs),
        }
    }

    /// The ICD-10-CM release in force on a date of service.
    pub fn icd10cm_on(&self, dos: NaiveDate) -> Option<&Icd10Cm> {
        self.icd10cm.iter().rev().find(|t| t.release.covers(dos))
    }

    /// The newest ICD-10-CM release.
    pub fn icd10cm_latest(&self) -> Option<&Icd10Cm> {
        self.icd10cm.last()
    }

    /// Every loaded ICD-10-CM release, oldest first.
    pub fn icd10cm_releases(&self) -> &[Icd10Cm] {
        &self.icd10cm
    }

    /// Validates an ICD-10-CM code on a date of service against the release
    /// in force then; outside every release, the newest one says when it applies.
    pub fn validate_icd10cm(
        &self,
        text: &str,
        dos: NaiveDate,
    ) -> Result<icd10cm::Valid, icd10cm::Problem> {
        match self.icd10cm_on(dos).or(self.icd10cm.last()) {
            Some(t) => t.validate(text, dos),
            None => Err(icd10cm::Problem::Unknown),
        }
    }

    /// The encoder index.
    pub fn search(&self) -> &SearchIndex {
        &self.search
    }
}

fn icd_docs(t: &Icd10Cm) -> Vec<Doc> {
    let mut docs: Vec<Doc> = t
        .nodes()
        .iter()
        .filter_map(|n| {
            let key = n.key?;
            let kind = if n.has_children() {
                EntryKind::Header
            } else if t.needs_seventh(n) {
                EntryKind::NeedsSeventh
            } else {
                EntryKind::Billable
            };
            let synonyms = t
                .own_notes(n)
                .iter()
                .filter(|note| {
                    matches!(
                        note.kind,
                        icd10cm::notes::NoteKind::InclusionTerm
                            | icd10cm::notes::NoteKind::Includes
                    )
                })
                .map(|note| note.text.to_string())
                .collect();
            let display = match kind {
                EntryKind::NeedsSeventh => format!("{}-", key.dotted()),
                _ => key.dotted(),
            };
            Some(Doc {
                system: System::Icd10cm,
                key,
                display,
                desc: n.desc.to_string(),
                kind,
                synonyms,
                by_words: true,
            })
        })
        .collect();
    // 7th-character expansions are found by code only.
    let expansions: Vec<Doc> = docs
        .iter()
        .filter(|d| d.kind == EntryKind::NeedsSeventh)
        .flat_map(|d| {
            let base = d.key.pad_x(6);
            t.allowed_sevenths(d.key)
                .into_iter()
                .map(move |(c, meaning)| Doc {
                    system: System::Icd10cm,
                    key: base.push(c),
                    display: base.push(c).dotted(),
                    desc: format!("{}, {}", d.desc, meaning),
                    kind: EntryKind::Billable,
                    synonyms: Vec::new(),
                    by_words: false,
                })
        })
        .collect();
    docs.extend(expansions);
    docs
}

/// One ICD-10-CM release's figures.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReleaseInfo {
    pub release: icd10cm::Release,
    pub stats: icd10cm::Stats,
}

/// What is loaded, per system.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CodeSetInfo {
    pub icd10cm: Vec<ReleaseInfo>,
    pub cpt_codes: usize,
    pub cpt_codes_with_licensed_text: usize,
    pub hcpcs_codes: usize,
    pub modifiers: usize,
    pub places_of_service: usize,
    pub ncci_ptp_edits: usize,
    pub ncci_mues: usize,
}

impl CodeSets {
    /// Figures for `practicum codeset info`.
    pub fn info(&self) -> CodeSetInfo {
        let (ptp, mue) = self.ncci.counts();
        CodeSetInfo {
            icd10cm: self
                .icd10cm
                .iter()
                .map(|t| ReleaseInfo {
                    release: t.release.clone(),
                    stats: t.stats(),
                })
                .collect(),
            cpt_codes: self.procedures.count(System::Cpt),
            cpt_codes_with_licensed_text: self
                .procedures
                .iter()
                .filter(|p| p.licensed_text)
                .count(),
            hcpcs_codes: self.procedures.count(System::Hcpcs),
            modifiers: self.modifiers.all().len(),
            places_of_service: self.places.all().len(),
            ncci_ptp_edits: ptp,
            ncci_mues: mue,
        }
    }
}
