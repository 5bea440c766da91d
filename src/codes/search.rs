//! Encoder search: by code prefix, and by words (stemmed, inclusion terms as
//! synonyms) ranked by how much of the query a code's text covers.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use serde::Serialize;

use super::CodeKey;

/// Which code set an entry belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum System {
    /// ICD-10-CM diagnoses.
    Icd10cm,
    /// CPT (code numbers with Practicum's own descriptions).
    Cpt,
    /// HCPCS Level II.
    Hcpcs,
}

impl System {
    /// The URL and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Icd10cm => "icd10cm",
            System::Cpt => "cpt",
            System::Hcpcs => "hcpcs",
        }
    }

    /// Parses the URL and JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "icd10cm" | "icd-10-cm" | "icd10" => Some(System::Icd10cm),
            "cpt" => Some(System::Cpt),
            "hcpcs" => Some(System::Hcpcs),
            _ => None,
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            System::Icd10cm => "ICD-10-CM",
            System::Cpt => "CPT",
            System::Hcpcs => "HCPCS",
        }
    }
}

/// What an entry is, for the encoder's display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Reportable as it stands.
    Billable,
    /// Needs a 7th character.
    NeedsSeventh,
    /// A category or subcategory with children.
    Header,
}

/// One searchable code.
#[derive(Debug, Clone)]
pub struct Doc {
    pub system: System,
    pub key: CodeKey,
    /// The code as shown (with its dot for ICD-10-CM).
    pub display: String,
    pub desc: String,
    pub kind: EntryKind,
    /// Synonyms (inclusion terms), searched with a lower weight.
    pub synonyms: Vec<String>,
    /// False for entries found only by code (7th-character expansions), so
    /// word searches list the base code once.
    pub by_words: bool,
}

/// A ranked result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub system: System,
    /// The code as shown.
    pub code: String,
    pub description: String,
    pub kind: EntryKind,
    /// Relevance; higher is better.
    pub score: f32,
}

/// The index over every loaded code set.
pub struct SearchIndex {
    docs: Vec<Doc>,
    /// Stemmed term → (doc, weight) postings, sorted by term for prefix scans.
    terms: Vec<(String, Vec<(u32, f32)>)>,
    /// Docs sorted by (system, key) for code-prefix lookups.
    by_code: Vec<u32>,
    /// Number of terms in each doc's description (shorter wins ties).
    lengths: Vec<u16>,
}

const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "nos",
    "other",
    "unspecified",
];

fn stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Splits text into stemmed terms.
fn terms(stem: &Stemmer, text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| stem.stem(&w).into_owned())
        .collect()
}

impl SearchIndex {
    /// Builds the index.
    pub fn build(docs: Vec<Doc>) -> Self {
        let stem = stemmer();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let mut seen: HashMap<String, f32> = HashMap::new();
            if !doc.by_words {
                lengths.push(1);
                continue;
            }
            let desc_terms = terms(&stem, &doc.desc);
            lengths.push(desc_terms.len().clamp(1, usize::from(u16::MAX)) as u16);
            for t in desc_terms {
                let w = seen.entry(t).or_insert(0.0);
                *w = w.max(1.0);
            }
            for syn in &doc.synonyms {
                for t in terms(&stem, syn) {
                    let w = seen.entry(t).or_insert(0.0);
                    *w = w.max(0.6);
                }
            }
            for (t, w) in seen {
                postings.entry(t).or_default().push((i as u32, w));
            }
        }
        let mut terms: Vec<(String, Vec<(u32, f32)>)> = postings.into_iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut by_code: Vec<u32> = (0..docs.len() as u32).collect();
        by_code.sort_unstable_by_key(|&i| (docs[i as usize].system as u8, docs[i as usize].key));
        SearchIndex {
            docs,
            terms,
            by_code,
            lengths,
        }
    }

    /// Number of indexed codes.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    fn hit(&self, i: u32, score: f32) -> Hit {
        let d = &self.docs[i as usize];
        Hit {
            system: d.system,
            code: d.display.clone(),
            description: d.desc.clone(),
            kind: d.kind,
            score,
        }
    }

    /// Searches by code prefix (when the query looks like a code) and by words.
    pub fn search(&self, query: &str, system: Option<System>, limit: usize) -> Vec<Hit> {
        let limit = limit.clamp(1, 100);
        let query = query.trim();
        if query.is_empty() {
            return Vec::new();
        }
        let hits = self.by_prefix(query, system, limit);
        if hits.is_empty() {
            self.by_words(query, system, limit)
        } else {
            hits
        }
    }

    /// Codes starting with the query (dot and case ignored), in code order.
    fn by_prefix(&self, query: &str, system: Option<System>, limit: usize) -> Vec<Hit> {
        let Ok(prefix) = CodeKey::parse(query) else {
            return Vec::new();
        };
        let looks_like_code = query.bytes().any(|b| b.is_ascii_digit());
        if !looks_like_code {
            return Vec::new();
        }
        let mut out = Vec::new();
        for sys in [System::Icd10cm, System::Cpt, System::Hcpcs] {
            if system.is_some_and(|s| s != sys) {
                continue;
            }
            let start = self.by_code.partition_point(|&i| {
                let d = &self.docs[i as usize];
                (d.system as u8, d.key) < (sys as u8, prefix)
            });
            for &i in &self.by_code[start..] {
                let d = &self.docs[i as usize];
                if d.system != sys || !d.key.starts_with(prefix) || out.len() >= limit {
                    break;
                }
                // Exact matches first, then shorter (broader) codes.
                let score = 100.0 - (d.key.len() - prefix.len()) as f32;
                out.push(self.hit(i, score));
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(limit);
        out
    }

    /// Codes whose words cover the query's, ranked by coverage, then
    /// weighted rarity, then by how little else the description says.
    fn by_words(&self, query: &str, system: Option<System>, limit: usize) -> Vec<Hit> {
        let stem = stemmer();
        let words = terms(&stem, query);
        if words.is_empty() {
            return Vec::new();
        }
        let total = self.docs.len() as f32;
        let mut scores: HashMap<u32, (u32, f32)> = HashMap::new();
        let last = words.len() - 1;
        for (n, word) in words.iter().enumerate() {
            // The last word may be half-typed: match it as a prefix too.
            let range = if n == last && word.len() >= 3 {
                let start = self
                    .terms
                    .partition_point(|(t, _)| t.as_str() < word.as_str());
                let end = start
                    + self.terms[start..]
                        .iter()
                        .take_while(|(t, _)| t.starts_with(word.as_str()))
                        .count();
                start..end
            } else {
                match self.terms.binary_search_by(|(t, _)| t.as_str().cmp(word)) {
                    Ok(i) => i..i + 1,
                    Err(_) => 0..0,
                }
            };
            let mut best: HashMap<u32, f32> = HashMap::new();
            for (term, postings) in &self.terms[range] {
                let idf = (total / postings.len() as f32).ln().max(0.1);
                let exact = if term == word { 1.0 } else { 0.8 };
                for &(doc, w) in postings {
                    let s = idf * w * exact;
                    let e = best.entry(doc).or_insert(0.0);
                    *e = e.max(s);
                }
            }
            for (doc, s) in best {
                let e = scores.entry(doc).or_insert((0, 0.0));
                e.0 += 1;
                e.1 += s;
            }
        }
        let mut ranked: Vec<(u32, u32, f32)> = scores
            .into_iter()
            .filter(|(doc, _)| system.is_none_or(|s| self.docs[*doc as usize].system == s))
            .map(|(doc, (matched, s))| {
                let d = &self.docs[doc as usize];
                let length = f32::from(self.lengths[doc as usize]);
                let leaf_bonus = if d.kind == EntryKind::Header {
                    0.0
                } else {
                    0.5
                };
                (doc, matched, s + leaf_bonus - 0.15 * length)
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(
                self.docs[a.0 as usize]
                    .key
                    .cmp(&self.docs[b.0 as usize].key),
            )
        });
        ranked.truncate(limit);
        ranked
            .into_iter()
            .map(|(doc, matched, s)| self.hit(doc, matched as f32 * 10.0 + s))
            .collect()
    }
}
