//! Validation of one code on a date of service: billable, or exactly why not.
//! This runs on every keystroke and every scored claim, so it allocates nothing.

use chrono::NaiveDate;

use super::{Entry, Icd10Cm, Node};
use crate::codes::key::{CodeKey, KeyError};

/// A billable code as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Valid {
    pub key: CodeKey,
    /// The tabular node (for 7th-character codes, the base leaf).
    pub node: u32,
    /// The 7th character, for expanded codes.
    pub seventh: Option<u8>,
}

/// Why a code cannot be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not shaped like an ICD-10-CM code.
    Malformed(&'static str),
    /// Shaped right, but not in the release.
    Unknown,
    /// A category or subcategory with children; report one of them.
    Header { node: u32 },
    /// A leaf that needs a 7th character.
    MissingSeventh { node: u32 },
    /// A 7th character the table in force does not allow.
    InvalidSeventh { node: u32, given: u8 },
    /// The release does not cover the date of service.
    NotEffective { from: NaiveDate, to: NaiveDate },
}

impl Problem {
    /// A stable short name.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Malformed(_) => "malformed",
            Problem::Unknown => "unknown",
            Problem::Header { .. } => "header",
            Problem::MissingSeventh { .. } => "missing_seventh",
            Problem::InvalidSeventh { .. } => "invalid_seventh",
            Problem::NotEffective { .. } => "not_effective",
        }
    }
}

/// Checks the shape: a letter, then 2 to 6 letters or digits.
pub fn check_shape(text: &str) -> Result<CodeKey, Problem> {
    let key = CodeKey::parse(text).map_err(|e| match e {
        KeyError::Empty => Problem::Malformed("the code is empty"),
        KeyError::TooLong => Problem::Malformed("an ICD-10-CM code has at most 7 characters"),
        KeyError::BadCharacter(_) => {
            Problem::Malformed("only letters, digits and one dot are allowed")
        }
    })?;
    if !key.byte(0).is_some_and(|b| b.is_ascii_uppercase()) {
        return Err(Problem::Malformed("an ICD-10-CM code starts with a letter"));
    }
    if key.len() < 3 {
        return Err(Problem::Malformed(
            "an ICD-10-CM code has at least 3 characters",
        ));
    }
    if key.len() > 7 {
        return Err(Problem::Malformed(
            "an ICD-10-CM code has at most 7 characters",
        ));
    }
    Ok(key)
}

impl Icd10Cm {
    /// Validates user text on a date of service.
    pub fn validate(&self, text: &str, dos: NaiveDate) -> Result<Valid, Problem> {
        self.validate_key(check_shape(text)?, dos)
    }

    /// Validates a parsed key on a date of service.
    pub fn validate_key(&self, key: CodeKey, dos: NaiveDate) -> Result<Valid, Problem> {
        if !self.release.covers(dos) {
            return Err(Problem::NotEffective {
                from: self.release.effective_from,
                to: self.release.effective_to,
            });
        }
        self.lookup(key)
    }

    /// Validates ignoring the date.
    pub fn lookup(&self, key: CodeKey) -> Result<Valid, Problem> {
        match self.index.get(&key) {
            Some(&Entry::Expanded { node, seventh }) => Ok(Valid {
                key,
                node,
                seventh: Some(seventh),
            }),
            Some(&Entry::Node(node)) => {
                let n: &Node = &self.nodes[node as usize];
                if !n.children.is_empty() {
                    Err(Problem::Header { node })
                } else if n.seven.is_some() {
                    Err(Problem::MissingSeventh { node })
                } else {
                    Ok(Valid {
                        key,
                        node,
                        seventh: None,
                    })
                }
            }
            None => Err(self.near_miss(key)),
        }
    }

    /// A 7-character code whose first six name a leaf needing a 7th character
    /// has a wrong 7th character; anything else is unknown.
    fn near_miss(&self, key: CodeKey) -> Problem {
        if key.len() != 7 {
            return Problem::Unknown;
        }
        let base = key.prefix(6);
        let trimmed = (3..=6).rev().map(|n| base.prefix(n)).find(|b| {
            // "S52531" or a shorter base padded with X, e.g. "T07" → "T07XXX".
            b.pad_x(6) == base
        });
        for candidate in [Some(base), trimmed].into_iter().flatten() {
            if let Some(&Entry::Node(node)) = self.index.get(&candidate) {
                let n = &self.nodes[node as usize];
                if n.children.is_empty() && n.seven.is_some() {
                    return Problem::InvalidSeventh {
                        node,
                        given: key.byte(6).unwrap_or(b'?'),
                    };
                }
            }
        }
        Problem::Unknown
    }

    /// The node behind an index from a [`Valid`] or [`Problem`].
    pub fn node(&self, index: u32) -> &Node {
        &self.nodes[index as usize]
    }
}
