//! Importing official files beside the shipped code sets: a later ICD-10-CM
//! release, the CMS HCPCS quarterly file, a licensed CPT descriptor file, and
//! the CMS NCCI PTP and MUE files. A file is parsed completely before
//! anything changes; a bad file names its line and field.

use std::str::FromStr;

use chrono::NaiveDate;

use super::icd10cm::{Icd10Cm, Release};
use super::import::ImportError;
use super::{CodeSetError, CodeSets};

/// Which kind of file an import holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// CMS ICD-10-CM tabular XML.
    Icd10cm,
    /// CMS HCPCS quarterly fixed-width file.
    Hcpcs,
    /// Licensed AMA CPT descriptors, `code<TAB>descriptor`.
    Cpt,
    /// CMS NCCI practitioner PTP file (tab-separated).
    NcciPtp,
    /// CMS MUE file (CSV).
    NcciMue,
}

impl ImportKind {
    /// The stored and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Icd10cm => "icd10cm",
            ImportKind::Hcpcs => "hcpcs",
            ImportKind::Cpt => "cpt",
            ImportKind::NcciPtp => "ncci-ptp",
            ImportKind::NcciMue => "ncci-mue",
        }
    }
}

impl FromStr for ImportKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "icd10cm" => ImportKind::Icd10cm,
            "hcpcs" => ImportKind::Hcpcs,
            "cpt" => ImportKind::Cpt,
            "ncci-ptp" => ImportKind::NcciPtp,
            "ncci-mue" => ImportKind::NcciMue,
            other => {
                return Err(format!(
                    "{other:?} is not one of icd10cm, hcpcs, cpt, ncci-ptp, ncci-mue"
                ));
            }
        })
    }
}

/// One import: what it is and its text.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub kind: ImportKind,
    /// A name for the release, e.g. "ICD-10-CM FY2027".
    pub release_name: String,
    /// Required for ICD-10-CM: the dates of service the release covers.
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
    pub text: String,
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportProblem {
    #[error("{0}")]
    Line(#[from] ImportError),
    #[error("{0}")]
    Icd10cm(#[from] super::icd10cm::LoadError),
    #[error("{0}")]
    Missing(&'static str),
}

fn icd_release(f: &ImportFile) -> Result<Release, ImportProblem> {
    let (Some(from), Some(to)) = (f.effective_from, f.effective_to) else {
        return Err(ImportProblem::Missing(
            "an ICD-10-CM import needs --effective-from and --effective-to",
        ));
    };
    if to < from {
        return Err(ImportProblem::Missing(
            "--effective-to must not be before --effective-from",
        ));
    }
    Ok(Release {
        name: f.release_name.clone(),
        effective_from: from,
        effective_to: to,
    })
}

/// Parses an import into a scratch copy of the tables, returning the row
/// count; nothing shared is touched.
pub fn check(f: &ImportFile, progress: impl FnMut(usize)) -> Result<usize, ImportProblem> {
    match f.kind {
        ImportKind::Icd10cm => Ok(super::icd10cm::load::parse(&f.text, icd_release(f)?)?
            .stats()
            .billable),
        ImportKind::Hcpcs => Ok(super::procedures::ProcedureTable::default()
            .import_hcpcs_fixed_width(&f.text, progress)?),
        ImportKind::Cpt => {
            Ok(super::procedures::ProcedureTable::default()
                .import_cpt_licensed(&f.text, progress)?)
        }
        ImportKind::NcciPtp => Ok(super::ncci::Ncci::default().import_ptp_cms(&f.text, progress)?),
        ImportKind::NcciMue => Ok(super::ncci::Ncci::default().import_mue_cms(&f.text, progress)?),
    }
}

impl CodeSets {
    /// The shipped code sets with the stored imports applied in order.
    pub fn with_imports(files: &[ImportFile]) -> Result<Self, CodeSetError> {
        let base = CodeSets::shipped()?;
        let CodeSets {
            mut icd10cm,
            mut procedures,
            modifiers,
            places,
            mut ncci,
            ..
        } = base;
        for f in files {
            let wrap = |e: ImportError| CodeSetError::Table {
                file: "import",
                error: e,
            };
            match f.kind {
                ImportKind::Icd10cm => {
                    let release = icd_release(f).map_err(|e| CodeSetError::Table {
                        file: "import",
                        error: ImportError::new(0, "release", e.to_string()),
                    })?;
                    icd10cm.retain(|t| t.release.effective_from != release.effective_from);
                    icd10cm.push(Icd10Cm::from_bytes(f.text.as_bytes(), release)?);
                }
                ImportKind::Hcpcs => {
                    procedures
                        .import_hcpcs_fixed_width(&f.text, |_| {})
                        .map_err(wrap)?;
                }
                ImportKind::Cpt => {
                    procedures
                        .import_cpt_licensed(&f.text, |_| {})
                        .map_err(wrap)?;
                }
                ImportKind::NcciPtp => {
                    ncci.import_ptp_cms(&f.text, |_| {}).map_err(wrap)?;
                }
                ImportKind::NcciMue => {
                    ncci.import_mue_cms(&f.text, |_| {}).map_err(wrap)?;
                }
            }
        }
        Ok(CodeSets::new(icd10cm, procedures, modifiers, places, ncci))
    }
}
