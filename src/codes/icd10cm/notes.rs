//! Tabular notes (Excludes1, Code first, …) and the code references inside them.

use crate::codes::key::CodeKey;

/// What kind of instruction a note is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// "Includes:" list under a category.
    Includes,
    /// Synonyms under a code.
    InclusionTerm,
    /// "NOT CODED HERE": never report together.
    Excludes1,
    /// "Not included here": both may be reported.
    Excludes2,
    /// Sequence the cited (etiology) code first.
    CodeFirst,
    /// Report a code from the cited set as well.
    UseAdditionalCode,
    /// Two codes may be needed; no sequencing implied.
    CodeAlso,
    /// A general instruction.
    Note,
    /// The instruction that a 7th character is required.
    SevenChrNote,
}

impl NoteKind {
    /// The XML element that holds notes of this kind.
    pub fn from_element(name: &str) -> Option<Self> {
        Some(match name {
            "includes" => NoteKind::Includes,
            "inclusionTerm" => NoteKind::InclusionTerm,
            "excludes1" => NoteKind::Excludes1,
            "excludes2" => NoteKind::Excludes2,
            "codeFirst" => NoteKind::CodeFirst,
            "useAdditionalCode" => NoteKind::UseAdditionalCode,
            "codeAlso" => NoteKind::CodeAlso,
            "notes" => NoteKind::Note,
            "sevenChrNote" => NoteKind::SevenChrNote,
            _ => return None,
        })
    }
}

/// A set of codes a note points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRef {
    /// One code and anything under it: `(R06.2)`, `(E11)`.
    Code(CodeKey),
    /// A family written with a dash: `(S58.-)`, `(E08.-)`.
    Family(CodeKey),
    /// Categories from one to another inclusive: `(O10-O11)`, `(C00-D49)`.
    Range(CodeKey, CodeKey),
    /// A range of categories with one subdivision: `(E08-E13 with .42)`.
    RangeWith(CodeKey, CodeKey, CodeKey),
}

impl CodeRef {
    /// Whether `code` belongs to the referenced set.
    pub fn covers(&self, code: CodeKey) -> bool {
        match *self {
            CodeRef::Code(c) | CodeRef::Family(c) => code.starts_with(c),
            CodeRef::Range(from, to) => {
                let head = code.prefix(from.len().max(to.len()));
                from <= head && head <= to.pad_to_max(from.len())
            }
            CodeRef::RangeWith(from, to, suffix) => {
                let cat = code.prefix(3);
                from.prefix(3) <= cat
                    && cat <= to.prefix(3)
                    && code.len() > 3
                    && suffix_matches(code, suffix)
            }
        }
    }

    /// A display form, e.g. `E08-E13 with .42`.
    pub fn display(&self) -> String {
        match self {
            CodeRef::Code(c) => c.dotted(),
            CodeRef::Family(c) => format!("{}-", dotted_family(*c)),
            CodeRef::Range(a, b) => format!("{}-{}", a.dotted(), b.dotted()),
            CodeRef::RangeWith(a, b, s) => format!("{}-{} with .{}", a.dotted(), b.dotted(), s),
        }
    }
}

fn dotted_family(c: CodeKey) -> String {
    if c.len() == 3 {
        format!("{}.", c)
    } else {
        c.dotted()
    }
}

fn suffix_matches(code: CodeKey, suffix: CodeKey) -> bool {
    let s = suffix.len();
    (0..s).all(|i| code.byte(3 + i) == suffix.byte(i))
}

trait PadToMax {
    fn pad_to_max(self, n: usize) -> Self;
}

impl PadToMax for CodeKey {
    /// Pads with `Z` so a range's upper end covers everything under it.
    fn pad_to_max(self, n: usize) -> Self {
        let mut k = self;
        while k.len() < n {
            k = k.push(b'Z');
        }
        k
    }
}

/// Whether a note's code references could all be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefParse {
    /// The note cites no codes (a heading or plain text).
    NoRefs,
    /// Every cited code, family and range was read.
    Parsed,
    /// Some part of a citation has a compound form that was not read; the
    /// parts that were read are kept, the note is reported as unparsed.
    Unparsed,
}

/// One note, with its parsed references.
#[derive(Debug, Clone)]
pub struct Note {
    pub kind: NoteKind,
    pub text: Box<str>,
    pub refs: Box<[CodeRef]>,
    pub parse: RefParse,
}

impl Note {
    /// Reads a note's text and the code references in its parentheses.
    pub fn new(kind: NoteKind, text: &str) -> Self {
        let (refs, parse) = parse_refs(text);
        Note {
            kind,
            text: text.trim().into(),
            refs: refs.into(),
            parse,
        }
    }

    /// Whether the note points at `code`.
    pub fn covers(&self, code: CodeKey) -> bool {
        self.refs.iter().any(|r| r.covers(code))
    }
}

/// Finds the references in every parenthesised group of a note.
pub fn parse_refs(text: &str) -> (Vec<CodeRef>, RefParse) {
    let mut refs = Vec::new();
    let mut unparsed = false;
    let mut rest = text;
    while let Some(open) = rest.find('(') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(')') else { break };
        let group = &after[..close];
        rest = &after[close + 1..];
        if !looks_like_codes(group) {
            continue;
        }
        for item in group.split(',') {
            match parse_item(item.trim()) {
                Some(r) => refs.push(r),
                None if looks_like_codes(item) => unparsed = true,
                None => {}
            }
        }
    }
    let state = match (refs.is_empty(), unparsed) {
        (_, true) => RefParse::Unparsed,
        (true, false) => RefParse::NoRefs,
        (false, false) => RefParse::Parsed,
    };
    (refs, state)
}

/// Whether text holds something shaped like an ICD-10-CM code.
fn looks_like_codes(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).enumerate().any(|(i, w)| {
        w[0].is_ascii_uppercase()
            && w[1].is_ascii_alphanumeric()
            && w[2].is_ascii_alphanumeric()
            && (w[1].is_ascii_digit() || w[2].is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
    })
}

/// One code token: letters, digits and dots; returns the key and whether a dash follows.
fn code_token(text: &str) -> Option<(CodeKey, bool)> {
    let t = text.trim();
    let (body, dash) = match t.strip_suffix('-') {
        Some(b) => (b.trim_end_matches('.'), true),
        None => (t, false),
    };
    let first = body.as_bytes().first()?;
    if !first.is_ascii_uppercase()
        || body.len() < 3
        || !body.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.')
    {
        return None;
    }
    let key = CodeKey::parse(body).ok()?;
    (key.len() >= 3 && key.len() <= 7).then_some((key, dash))
}

fn parse_item(item: &str) -> Option<CodeRef> {
    if let Some((range, suffix)) = item.split_once(" with .") {
        let (a, b) = range.split_once('-')?;
        let (from, _) = code_token(a)?;
        let (to, _) = code_token(b)?;
        let suffix = CodeKey::parse(suffix.trim())
            .ok()
            .filter(|s| s.len() <= 4 && suffix.trim().bytes().all(|c| c.is_ascii_alphanumeric()))?;
        return Some(CodeRef::RangeWith(from, to, suffix));
    }
    if let Some((token, dash)) = code_token(item) {
        return Some(if dash {
            CodeRef::Family(token)
        } else {
            CodeRef::Code(token)
        });
    }
    // A range: "O10-O11", "C00-D49", "H35.0-H35.3".
    let (a, b) = item.split_once('-')?;
    let (from, da) = code_token(a)?;
    let (to, _) = code_token(b)?;
    (!da).then_some(CodeRef::Range(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> CodeKey {
        CodeKey::parse(s).unwrap()
    }

    #[test]
    fn simple_forms_are_parsed() {
        let (refs, state) = parse_refs("wheezing NOS (R06.2)");
        assert_eq!(
            (refs.as_slice(), state),
            ([CodeRef::Code(k("R062"))].as_slice(), RefParse::Parsed)
        );
        let (refs, _) = parse_refs("traumatic amputation of forearm (S58.-)");
        assert_eq!(refs, vec![CodeRef::Family(k("S58"))]);
        let (refs, _) =
            parse_refs("hypertensive disease complicating pregnancy (O10-O11, O13-O16)");
        assert_eq!(
            refs,
            vec![
                CodeRef::Range(k("O10"), k("O11")),
                CodeRef::Range(k("O13"), k("O16"))
            ]
        );
        let (refs, _) = parse_refs("gestational diabetes (O24.4-)");
        assert_eq!(refs, vec![CodeRef::Family(k("O244"))]);
        let (refs, state) = parse_refs("diabetes mellitus (E08-E13 with .42)");
        assert_eq!(state, RefParse::Parsed);
        assert!(
            refs[0].covers(k("E1142"))
                && !refs[0].covers(k("E1140"))
                && !refs[0].covers(k("E1442"))
        );
    }

    #[test]
    fn headings_and_plain_words_cite_nothing() {
        assert_eq!(parse_refs("any associated:").1, RefParse::NoRefs);
        assert_eq!(
            parse_refs("Commotio cerebri (acute) (NOS)").1,
            RefParse::NoRefs
        );
    }

    #[test]
    fn compound_forms_are_reported_not_dropped() {
        let (refs, state) = parse_refs("pedestrian (V01-V09 with 5th character 9)");
        assert_eq!(state, RefParse::Unparsed);
        assert!(refs.is_empty());
        let (refs, state) = parse_refs("complications (O00-O07, O08.3)");
        assert_eq!(state, RefParse::Parsed);
        assert_eq!(refs.len(), 2);
    }

    #[test]
    fn ranges_cover_their_categories_and_descendants() {
        let r = CodeRef::Range(k("C00"), k("D49"));
        assert!(r.covers(k("C50911")) && r.covers(k("D499")) && !r.covers(k("E119")));
        let r = CodeRef::Range(k("I60"), k("I69"));
        assert!(r.covers(k("I6930")) && !r.covers(k("I70")));
        assert_eq!(CodeRef::Family(k("S58")).display(), "S58.-");
    }
}
