//! Reads the CMS tabular XML (optionally gzip-compressed) into an [`Icd10Cm`].

use std::io::Read;

use roxmltree::{Document, Node as XmlNode};

use super::notes::{Note, NoteKind};
use super::{Entry, Icd10Cm, Level, Node, ROOT, Release, SevenDef, prose_allows};
use crate::codes::key::{CodeKey, KeyMap};

/// Why a tabular file could not be loaded; names the place.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("the XML is malformed at line {line}: {message}")]
    Xml { line: u32, message: String },
    #[error("line {line}: {message}")]
    Content { line: u32, message: String },
}

fn content(doc: &Document, node: XmlNode, message: impl Into<String>) -> LoadError {
    LoadError::Content {
        line: doc.text_pos_at(node.range().start).row,
        message: message.into(),
    }
}

/// Decompresses when the bytes start with the gzip magic number.
pub fn maybe_gunzip(bytes: &[u8]) -> Result<String, LoadError> {
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut text)?;
    } else {
        text = String::from_utf8(bytes.to_vec())
            .map_err(|e| LoadError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    }
    Ok(text)
}

struct Builder<'d, 'i> {
    doc: &'d Document<'i>,
    nodes: Vec<Node>,
    notes: Vec<Note>,
    sevens: Vec<SevenDef>,
    index: KeyMap<Entry>,
}

fn child_text<'a>(node: XmlNode<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(str::trim)
}

impl Builder<'_, '_> {
    fn push_node(&mut self, node: Node) -> u32 {
        self.nodes.push(node);
        (self.nodes.len() - 1) as u32
    }

    /// Reads the note elements directly under `xml` into the note table.
    fn read_notes(&mut self, xml: XmlNode) -> std::ops::Range<u32> {
        let start = self.notes.len() as u32;
        for child in xml.children().filter(XmlNode::is_element) {
            let Some(kind) = NoteKind::from_element(child.tag_name().name()) else {
                continue;
            };
            for note in child.children().filter(|n| n.has_tag_name("note")) {
                let text = note.text().unwrap_or_default().trim();
                if !text.is_empty() {
                    self.notes.push(Note::new(kind, text));
                }
            }
        }
        start..self.notes.len() as u32
    }

    fn read_seven(&mut self, xml: XmlNode, owner: u32) -> Result<Option<u16>, LoadError> {
        let Some(def) = xml.children().find(|c| c.has_tag_name("sevenChrDef")) else {
            return Ok(None);
        };
        let mut chars = Vec::new();
        for ext in def.children().filter(|c| c.has_tag_name("extension")) {
            let c = ext
                .attribute("char")
                .filter(|c| c.len() == 1 && c.as_bytes()[0].is_ascii_alphanumeric());
            let Some(c) = c else {
                return Err(content(
                    self.doc,
                    ext,
                    "a 7th-character extension without a single-character `char`",
                ));
            };
            chars.push((
                c.as_bytes()[0].to_ascii_uppercase(),
                ext.text().unwrap_or_default().trim().into(),
            ));
        }
        if chars.is_empty() {
            return Err(content(self.doc, def, "an empty 7th-character table"));
        }
        self.sevens.push(SevenDef {
            owner,
            chars: chars.into(),
        });
        Ok(Some((self.sevens.len() - 1) as u16))
    }

    fn read_diag(
        &mut self,
        xml: XmlNode,
        parent: u32,
        inherited: Option<u16>,
    ) -> Result<u32, LoadError> {
        let name = child_text(xml, "name")
            .ok_or_else(|| content(self.doc, xml, "a <diag> without <name>"))?;
        let key = CodeKey::parse(name)
            .map_err(|_| content(self.doc, xml, format!("{name:?} is not a code")))?;
        if !(3..=7).contains(&key.len()) {
            return Err(content(
                self.doc,
                xml,
                format!("{name:?} is not 3 to 7 characters"),
            ));
        }
        let desc = child_text(xml, "desc").unwrap_or_default();
        let kids: Vec<XmlNode> = xml.children().filter(|c| c.has_tag_name("diag")).collect();
        let level = match (key.len(), kids.is_empty()) {
            (3, _) => Level::Category,
            (_, false) => Level::Subcategory,
            (_, true) => Level::Code,
        };
        let notes = self.read_notes(xml);
        let me = self.push_node(Node {
            label: key.to_string().into(),
            key: Some(key),
            desc: desc.into(),
            level,
            parent,
            children: Box::new([]),
            notes,
            seven: None,
        });
        let seven = self.read_seven(xml, me)?.or(inherited);
        if self.index.insert(key, Entry::Node(me)).is_some() {
            return Err(content(self.doc, xml, format!("code {name} appears twice")));
        }
        let mut children = Vec::with_capacity(kids.len());
        for kid in kids {
            children.push(self.read_diag(kid, me, seven)?);
        }
        let node = &mut self.nodes[me as usize];
        if children.is_empty() {
            node.seven = seven;
            if let Some(def) = seven {
                let base = key.pad_x(6);
                for &(c, _) in self.sevens[usize::from(def)].chars.iter() {
                    if prose_allows(base, c) {
                        self.index.insert(
                            base.push(c),
                            Entry::Expanded {
                                node: me,
                                seventh: c,
                            },
                        );
                    }
                }
            }
        }
        node.children = children.into();
        Ok(me)
    }
}

/// Parses the tabular XML text.
pub fn parse(text: &str, release: Release) -> Result<Icd10Cm, LoadError> {
    let doc = Document::parse(text).map_err(|e| LoadError::Xml {
        line: e.pos().row,
        message: e.to_string(),
    })?;
    let root = doc.root_element();
    if !root.has_tag_name("ICD10CM.tabular") {
        return Err(content(
            &doc,
            root,
            format!(
                "the root element is <{}>, not <ICD10CM.tabular>",
                root.tag_name().name()
            ),
        ));
    }
    let mut b = Builder {
        doc: &doc,
        nodes: Vec::with_capacity(48_000),
        notes: Vec::with_capacity(40_000),
        sevens: Vec::new(),
        index: KeyMap::default(),
    };
    b.index.reserve(100_000);
    for chapter in root.children().filter(|c| c.has_tag_name("chapter")) {
        let label = child_text(chapter, "name")
            .ok_or_else(|| content(&doc, chapter, "a <chapter> without <name>"))?;
        let notes = b.read_notes(chapter);
        let ch = b.push_node(Node {
            label: label.into(),
            key: None,
            desc: child_text(chapter, "desc").unwrap_or_default().into(),
            level: Level::Chapter,
            parent: ROOT,
            children: Box::new([]),
            notes,
            seven: None,
        });
        let mut sections = Vec::new();
        for section in chapter.children().filter(|c| c.has_tag_name("section")) {
            let id = section
                .attribute("id")
                .ok_or_else(|| content(&doc, section, "a <section> without id"))?;
            let notes = b.read_notes(section);
            let sec = b.push_node(Node {
                label: id.into(),
                key: None,
                desc: child_text(section, "desc").unwrap_or_default().into(),
                level: Level::Section,
                parent: ch,
                children: Box::new([]),
                notes,
                seven: None,
            });
            let mut cats = Vec::new();
            for diag in section.children().filter(|c| c.has_tag_name("diag")) {
                cats.push(b.read_diag(diag, sec, None)?);
            }
            b.nodes[sec as usize].children = cats.into();
            sections.push(sec);
        }
        b.nodes[ch as usize].children = sections.into();
    }
    if b.index.is_empty() {
        return Err(content(&doc, root, "no <diag> codes found"));
    }
    let mut table = Icd10Cm {
        release,
        nodes: b.nodes,
        notes: b.notes,
        sevens: b.sevens,
        index: b.index,
        billable: 0,
    };
    table.billable = table
        .index
        .values()
        .filter(|e| table.entry_billable(**e))
        .count();
    Ok(table)
}

/// Loads a release from (possibly gzipped) bytes.
pub fn from_bytes(bytes: &[u8], release: Release) -> Result<Icd10Cm, LoadError> {
    parse(&maybe_gunzip(bytes)?, release)
}

impl Icd10Cm {
    /// Loads a release from a tabular XML file's bytes (gzip or plain).
    pub fn from_bytes(bytes: &[u8], release: Release) -> Result<Self, LoadError> {
        from_bytes(bytes, release)
    }

    /// The release shipped with Practicum: FY2026, April 1, 2026 update.
    pub fn shipped() -> Result<Self, LoadError> {
        Self::from_bytes(SHIPPED_2026_04, shipped_release())
    }
}

/// The April 1, 2026 tabular XML (public domain, CMS), gzip-compressed.
pub const SHIPPED_2026_04: &[u8] =
    include_bytes!("../../../fixtures/icd10cm/icd10cm-tabular-2026-04-01.xml.gz");

/// The period of the shipped release: the April 1 update of FY2026 runs to
/// the end of the fiscal year.
pub fn shipped_release() -> Release {
    Release {
        name: "ICD-10-CM FY2026 (April 1, 2026 update)".into(),
        effective_from: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default(),
        effective_to: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default(),
    }
}
