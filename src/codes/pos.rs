//! CMS place-of-service codes (public domain).

use serde::Serialize;
use utoipa::ToSchema;

use super::import::{ImportError, csv_error, expect_header, tsv_reader};

/// One place of service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceOfService {
    /// Two digits, e.g. "11".
    pub code: String,
    pub name: String,
    pub description: String,
}

/// The place-of-service table.
#[derive(Default)]
pub struct Places {
    rows: Vec<PlaceOfService>,
}

impl Places {
    /// The table shipped with Practicum.
    pub fn shipped() -> Result<Self, ImportError> {
        Self::from_tsv(include_str!("../../fixtures/pos/pos.tsv"))
    }

    /// Reads the tab-separated table.
    pub fn from_tsv(text: &str) -> Result<Self, ImportError> {
        let mut reader = tsv_reader(text);
        expect_header(&mut reader, &["code", "name", "description"])?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(csv_error)?;
            let line = r.position().map_or(0, |p| p.line());
            if r[0].len() != 2 || !r[0].bytes().all(|b| b.is_ascii_digit()) {
                return Err(ImportError::new(
                    line,
                    "code",
                    format!("{:?} is not two digits", &r[0]),
                ));
            }
            rows.push(PlaceOfService {
                code: r[0].to_owned(),
                name: r[1].to_owned(),
                description: r[2].to_owned(),
            });
        }
        Ok(Places { rows })
    }

    /// Looks a code up.
    pub fn get(&self, code: &str) -> Option<&PlaceOfService> {
        self.rows.iter().find(|p| p.code == code.trim())
    }

    /// Every place of service.
    pub fn all(&self) -> &[PlaceOfService] {
        &self.rows
    }
}
