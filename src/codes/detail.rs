//! A code's full picture for the encoder: validity on a date, hierarchy,
//! notes (inherited ones marked with their source), 7th characters, children.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::CodeSets;
use super::icd10cm::notes::{NoteKind, RefParse};
use super::icd10cm::{Icd10Cm, Level, Problem, validate::check_shape};
use super::search::{EntryKind, System};

/// Validity on a date of service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Validity {
    /// True when the code may be reported on that date.
    pub billable: bool,
    /// The date checked.
    pub date_of_service: NaiveDate,
    /// Why not, as a stable code: malformed, unknown, header, missing_seventh,
    /// invalid_seventh, not_effective.
    pub problem: Option<String>,
    /// A plain-language explanation.
    pub message: String,
}

/// One level of the hierarchy.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PathStep {
    pub level: Level,
    /// Chapter number, section range or code (dotted).
    pub code: String,
    pub description: String,
}

/// One note that applies to the code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub kind: NoteKind,
    pub text: String,
    /// Where the note is written (the code itself or an ancestor).
    pub from: String,
    /// The code references read from the note.
    pub references: Vec<String>,
    pub references_parsed: RefParse,
}

/// One allowed 7th character.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeventhChar {
    pub character: String,
    pub meaning: String,
}

/// Everything the encoder shows about a code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeDetail {
    pub system: System,
    /// The code as shown (dotted for ICD-10-CM).
    pub code: String,
    pub description: String,
    pub kind: EntryKind,
    /// The release the detail comes from.
    pub release: String,
    pub validity: Validity,
    /// Chapter first, the code itself last.
    pub path: Vec<PathStep>,
    pub notes: Vec<NoteView>,
    /// The 7th characters that may complete this code, if it needs one.
    pub seventh_characters: Vec<SeventhChar>,
    /// Billable codes under a header (first 200).
    pub billable_children: Vec<String>,
    /// Can never be listed first (manifestation or external cause).
    pub never_first_listed: bool,
}

/// Explains a validation problem in plain words.
pub fn explain(t: &Icd10Cm, text: &str, problem: &Problem, dos: NaiveDate) -> String {
    let shown = check_shape(text)
        .map(|k| k.dotted())
        .unwrap_or_else(|_| text.trim().to_owned());
    match *problem {
        Problem::Malformed(why) => format!("{shown:?} is not an ICD-10-CM code: {why}"),
        Problem::Unknown => format!("{shown} is not a code in {}", t.release.name),
        Problem::Header { node } => {
            let n = t.node(node);
            let key = n.key.map(|k| k.dotted()).unwrap_or_default();
            format!(
                "{key} ({}) is a header, not a billable code; report one of the codes under it",
                n.desc
            )
        }
        Problem::MissingSeventh { node } => {
            let key = t.node(node).key.unwrap_or_else(unreachable_key);
            format!(
                "{} needs a 7th character: {}",
                key.dotted(),
                list_sevenths(t, key)
            )
        }
        Problem::InvalidSeventh { node, given } => {
            let key = t.node(node).key.unwrap_or_else(unreachable_key);
            format!(
                "{} is not a valid 7th character for {}; allowed: {}",
                char::from(given),
                key.dotted(),
                list_sevenths(t, key)
            )
        }
        Problem::NotEffective { from, to } => {
            format!(
                "{shown} cannot be checked for {dos}: {} applies to dates of service {from} to {to}",
                t.release.name
            )
        }
    }
}

fn unreachable_key() -> super::CodeKey {
    // Every diag node has a key; this is never used.
    super::CodeKey::parse("A00").unwrap_or_else(|_| unreachable!("A00 parses"))
}

fn list_sevenths(t: &Icd10Cm, key: super::CodeKey) -> String {
    t.allowed_sevenths(key)
        .iter()
        .map(|(c, m)| format!("{} ({m})", char::from(*c)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl CodeSets {
    /// The detail of an ICD-10-CM code, or None when it is not in the release.
    pub fn icd10cm_detail(&self, text: &str, dos: NaiveDate) -> Option<CodeDetail> {
        let t = self.icd10cm_on(dos).or(self.icd10cm_latest())?;
        let key = check_shape(text).ok()?;
        let result = t.validate_key(key, dos);
        // The node to describe: the code's own, or for a wrong 7th character its base.
        let found = match result.or_else(|p| match p {
            Problem::NotEffective { .. } => t.lookup(key),
            other => Err(other),
        }) {
            Ok(v) => v.node,
            Err(
                Problem::Header { node }
                | Problem::MissingSeventh { node }
                | Problem::InvalidSeventh { node, .. },
            ) => node,
            Err(_) => return None,
        };
        let node = t.node(found);
        let key_for_tables = node.key?;
        let seventh = match &result {
            Ok(v) => v.seventh,
            _ => None,
        };
        let kind = if node.has_children() {
            EntryKind::Header
        } else if t.needs_seventh(node) && seventh.is_none() {
            EntryKind::NeedsSeventh
        } else {
            EntryKind::Billable
        };
        let description = match seventh {
            Some(c) => {
                let meaning = t
                    .allowed_sevenths(key_for_tables)
                    .into_iter()
                    .find(|(x, _)| *x == c)
                    .map(|(_, m)| m.to_owned())
                    .unwrap_or_default();
                format!("{}, {}", node.desc, meaning)
            }
            None => node.desc.to_string(),
        };
        let validity = match &result {
            Ok(_) => Validity {
                billable: true,
                date_of_service: dos,
                problem: None,
                message: format!("{} is billable on {dos}", key.dotted()),
            },
            Err(p) => Validity {
                billable: false,
                date_of_service: dos,
                problem: Some(p.code().to_owned()),
                message: explain(t, text, p, dos),
            },
        };
        let mut path: Vec<PathStep> = t
            .lineage(key_for_tables)
            .map(|n| PathStep {
                level: n.level,
                code: n
                    .key
                    .map(|k| k.dotted())
                    .unwrap_or_else(|| n.label.to_string()),
                description: n.desc.to_string(),
            })
            .collect();
        path.reverse();
        let notes = t
            .all_notes_for(key_for_tables)
            .into_iter()
            .filter(|(_, note)| note.kind != NoteKind::SevenChrNote)
            .map(|(owner, note)| NoteView {
                kind: note.kind,
                text: note.text.to_string(),
                from: owner
                    .key
                    .map(|k| k.dotted())
                    .unwrap_or_else(|| owner.label.to_string()),
                references: note.refs.iter().map(|r| r.display()).collect(),
                references_parsed: note.parse,
            })
            .collect();
        let seventh_characters = if seventh.is_none() {
            t.allowed_sevenths(key_for_tables)
                .into_iter()
                .map(|(c, m)| SeventhChar {
                    character: char::from(c).to_string(),
                    meaning: m.to_owned(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let billable_children = if node.has_children() {
            t.billable_under(key_for_tables, 200)
                .iter()
                .map(|k| k.dotted())
                .collect()
        } else {
            Vec::new()
        };
        let external_cause = matches!(key.byte(0), Some(b'V' | b'W' | b'X' | b'Y'));
        Some(CodeDetail {
            system: System::Icd10cm,
            code: key.dotted(),
            description,
            kind,
            release: t.release.name.clone(),
            validity,
            path,
            notes,
            seventh_characters,
            billable_children,
            never_first_listed: t.is_manifestation(key) || external_cause,
        })
    }
}

/// Everything the encoder shows about a CPT or HCPCS code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcedureDetail {
    pub procedure: super::procedures::Procedure,
    pub validity: Validity,
    /// Modifiers that may go on this code.
    pub modifiers_that_fit: Vec<String>,
    /// The practitioner MUE, when one is loaded.
    pub mue: Option<super::ncci::Mue>,
    /// Where the description comes from.
    pub description_source: String,
}

/// A diagnosis or a procedure code's detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnyDetail {
    Diagnosis(CodeDetail),
    Procedure(ProcedureDetail),
}

impl CodeSets {
    /// The detail of a CPT or HCPCS code, or None when it is not loaded.
    pub fn procedure_detail(
        &self,
        system: System,
        text: &str,
        dos: NaiveDate,
    ) -> Option<ProcedureDetail> {
        let (sys, key, _) = super::procedures::classify(text).ok()?;
        if sys != system {
            return None;
        }
        let p = self.procedures.get(key)?;
        let validity = match self.procedures.validate(text, dos) {
            Ok(_) => Validity {
                billable: true,
                date_of_service: dos,
                problem: None,
                message: format!("{key} is valid on {dos}"),
            },
            Err(problem) => Validity {
                billable: false,
                date_of_service: dos,
                problem: Some(problem.code().to_owned()),
                message: format!("{key} is not in force on {dos}"),
            },
        };
        let description_source = match (p.system, p.licensed_text) {
            (System::Cpt, true) => "licensed AMA descriptor imported by this program".to_owned(),
            (System::Cpt, false) => {
                "Practicum's own plain-language description (not AMA text)".to_owned()
            }
            _ => "CMS HCPCS Level II descriptor (public domain)".to_owned(),
        };
        Some(ProcedureDetail {
            procedure: p.clone(),
            validity,
            modifiers_that_fit: self
                .modifiers
                .fitting(p)
                .iter()
                .map(|m| m.modifier.clone())
                .collect(),
            mue: self.ncci.mue(key).cloned(),
            description_source,
        })
    }
}
