//! ICD-10-CM: the official CMS tabular list, loaded into a hierarchy with
//! billable codes, 7th-character expansion, and the notes that govern use.

pub mod load;
pub mod notes;
pub mod validate;

use chrono::NaiveDate;

use super::key::{CodeKey, KeyMap};
pub use load::LoadError;
use notes::{Note, NoteKind};
pub use validate::{Problem, Valid};

/// Which release a table holds and when it is in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Release {
    /// e.g. "FY2026 (April 1, 2026 update)".
    pub name: String,
    /// First date of service the release applies to.
    pub effective_from: NaiveDate,
    /// Last date of service it applies to.
    pub effective_to: NaiveDate,
}

impl Release {
    /// Whether `dos` falls in the release's period.
    pub fn covers(&self, dos: NaiveDate) -> bool {
        self.effective_from <= dos && dos <= self.effective_to
    }
}

/// The level of a node in the tabular hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Chapter,
    Section,
    /// A three-character category.
    Category,
    /// A node with children below the category.
    Subcategory,
    /// A leaf: billable, or needing a 7th character.
    Code,
}

/// No parent.
const ROOT: u32 = u32::MAX;

/// One node of the tabular list.
#[derive(Debug)]
pub struct Node {
    /// Chapter number, section range or code (no dot).
    pub label: Box<str>,
    /// The code, for categories and below.
    pub key: Option<CodeKey>,
    pub desc: Box<str>,
    pub level: Level,
    parent: u32,
    children: Box<[u32]>,
    notes: std::ops::Range<u32>,
    /// The 7th-character table in force for a leaf (nearest ancestor's).
    seven: Option<u16>,
}

impl Node {
    /// Whether the node has children (a chapter, section or header code).
    pub fn has_children(&self) -> bool {
        !self.children.is_empty()
    }
}

/// A 7th-character table.
#[derive(Debug)]
pub struct SevenDef {
    /// The node that defines it.
    pub owner: u32,
    /// Allowed characters and their meanings.
    pub chars: Box<[(u8, Box<str>)]>,
}

/// What a code string is in this release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A node of the list (billable leaf, header, or leaf needing a 7th character).
    Node(u32),
    /// A 7th-character expansion of a leaf.
    Expanded { node: u32, seventh: u8 },
}

/// A 7th-character rule stated only in prose in the tabular list.
struct ProseRule {
    /// Category the rule is stated on.
    category: &'static str,
    /// Characters in position 6 the rule applies to.
    sixth: &'static [u8],
    /// 7th characters that do not apply there.
    disallowed: &'static [u8],
}

/// S06: "7th characters D and S do not apply to codes in category S06 with 6th
/// character 7 … or 8 …" (death before regaining consciousness).
const PROSE_RULES: &[ProseRule] = &[ProseRule {
    category: "S06",
    sixth: b"78",
    disallowed: b"DS",
}];

fn prose_allows(base: CodeKey, seventh: u8) -> bool {
    PROSE_RULES.iter().all(|rule| {
        let applies = base.to_string().starts_with(rule.category)
            && base.byte(5).is_some_and(|c| rule.sixth.contains(&c));
        !applies || !rule.disallowed.contains(&seventh)
    })
}

/// One ICD-10-CM release.
pub struct Icd10Cm {
    pub release: Release,
    nodes: Vec<Node>,
    notes: Vec<Note>,
    sevens: Vec<SevenDef>,
    index: KeyMap<Entry>,
    billable: usize,
}

/// Counts for `codeset info`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub chapters: usize,
    pub sections: usize,
    pub categories: usize,
    pub billable: usize,
    /// Categories and subcategories with children, plus leaves that need a 7th character.
    pub headers: usize,
    pub notes: usize,
    pub notes_with_refs_parsed: usize,
    pub notes_with_refs_unparsed: usize,
}

impl Icd10Cm {
    /// Every billable code, sorted.
    pub fn billable_codes(&self) -> Vec<CodeKey> {
        let mut out: Vec<CodeKey> = self
            .index
            .iter()
            .filter(|(_, e)| self.entry_billable(**e))
            .map(|(k, _)| *k)
            .collect();
        out.sort_unstable();
        out
    }

    fn entry_billable(&self, e: Entry) -> bool {
        match e {
            Entry::Expanded { .. } => true,
            Entry::Node(i) => {
                let n = &self.nodes[i as usize];
                n.children.is_empty() && n.seven.is_none()
            }
        }
    }

    /// Counts of what was loaded.
    pub fn stats(&self) -> Stats {
        let count = |l: Level| self.nodes.iter().filter(|n| n.level == l).count();
        let headers = self
            .index
            .values()
            .filter(|e| !self.entry_billable(**e))
            .count();
        let with = |p: notes::RefParse| self.notes.iter().filter(|n| n.parse == p).count();
        Stats {
            chapters: count(Level::Chapter),
            sections: count(Level::Section),
            categories: count(Level::Category),
            billable: self.billable,
            headers,
            notes: self.notes.len(),
            notes_with_refs_parsed: with(notes::RefParse::Parsed),
            notes_with_refs_unparsed: with(notes::RefParse::Unparsed),
        }
    }

    /// The node a code (or its 7th-character base) belongs to.
    pub fn node_of(&self, key: CodeKey) -> Option<&Node> {
        match *self.index.get(&key)? {
            Entry::Node(i) | Entry::Expanded { node: i, .. } => Some(&self.nodes[i as usize]),
        }
    }

    fn node_index(&self, key: CodeKey) -> Option<u32> {
        match *self.index.get(&key)? {
            Entry::Node(i) | Entry::Expanded { node: i, .. } => Some(i),
        }
    }

    /// The node and its ancestors up to the chapter, nearest first.
    pub fn lineage(&self, key: CodeKey) -> impl Iterator<Item = &Node> {
        let mut next = self.node_index(key).unwrap_or(ROOT);
        std::iter::from_fn(move || {
            let node = self.nodes.get(next as usize)?;
            next = node.parent;
            Some(node)
        })
    }

    /// Notes of a kind that apply to a code: its own and every ancestor's.
    pub fn notes_for(&self, key: CodeKey, kind: NoteKind) -> impl Iterator<Item = &Note> {
        self.lineage(key)
            .flat_map(|n| self.notes[n.notes.start as usize..n.notes.end as usize].iter())
            .filter(move |n| n.kind == kind)
    }

    /// All notes that apply to a code, nearest node first.
    pub fn all_notes_for(&self, key: CodeKey) -> Vec<(&Node, &Note)> {
        self.lineage(key)
            .flat_map(|n| {
                self.notes[n.notes.start as usize..n.notes.end as usize]
                    .iter()
                    .map(move |note| (n, note))
            })
            .collect()
    }

    /// An Excludes1 note (inherited ones included) that forbids reporting `a` with `b`.
    pub fn excludes1_between(&self, a: CodeKey, b: CodeKey) -> Option<&Note> {
        self.notes_for(a, NoteKind::Excludes1)
            .find(|n| n.covers(b))
            .or_else(|| self.notes_for(b, NoteKind::Excludes1).find(|n| n.covers(a)))
    }

    /// A manifestation code: its title, or an ancestor's, says "in diseases
    /// classified elsewhere". Such a code may never be listed first.
    pub fn is_manifestation(&self, key: CodeKey) -> bool {
        self.lineage(key).take_while(|n| n.key.is_some()).any(|n| {
            n.desc
                .to_ascii_lowercase()
                .contains("in diseases classified elsewhere")
        })
    }

    /// The 7th-character table in force for a leaf needing one.
    pub fn seventh_table(&self, key: CodeKey) -> Option<&SevenDef> {
        let node = self.node_of(key)?;
        node.seven.map(|i| &self.sevens[usize::from(i)])
    }

    /// The 7th characters allowed on a base, after the prose rules.
    pub fn allowed_sevenths(&self, key: CodeKey) -> Vec<(u8, &str)> {
        let Some(node) = self.node_of(key) else {
            return Vec::new();
        };
        let Some(def) = self.seventh_table(key) else {
            return Vec::new();
        };
        let base = node.key.unwrap_or(key).pad_x(6);
        def.chars
            .iter()
            .filter(|(c, _)| prose_allows(base, *c))
            .map(|(c, d)| (*c, &**d))
            .collect()
    }

    /// Billable codes at or under a header, in order (7th-character expansions included).
    pub fn billable_under(&self, key: CodeKey, limit: usize) -> Vec<CodeKey> {
        let mut out: Vec<CodeKey> = self
            .index
            .iter()
            .filter(|(k, e)| k.starts_with(key) && self.entry_billable(**e))
            .map(|(k, _)| *k)
            .collect();
        out.sort_unstable();
        out.truncate(limit);
        out
    }

    /// The direct children of a node.
    pub fn children(&self, key: CodeKey) -> impl Iterator<Item = &Node> {
        let kids: &[u32] = self.node_of(key).map(|n| &*n.children).unwrap_or(&[]);
        kids.iter().map(|&i| &self.nodes[i as usize])
    }

    /// Every node, in tabular order (for search indexing).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The notes attached to one node (not inherited).
    pub fn own_notes(&self, node: &Node) -> &[Note] {
        &self.notes[node.notes.start as usize..node.notes.end as usize]
    }

    /// Whether a node needs a 7th character (a leaf with a table in force).
    pub fn needs_seventh(&self, node: &Node) -> bool {
        node.children.is_empty() && node.seven.is_some()
    }
}
