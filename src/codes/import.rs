//! Shared pieces of the code-set importers: errors that name the line and
//! field, and tab-separated reading with the `csv` crate.

use chrono::NaiveDate;

/// A problem in an import file; the existing data is left untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, field {field}: {message}")]
pub struct ImportError {
    /// 1-based line number in the file.
    pub line: u64,
    /// The field (column) at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    /// A new error.
    pub fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        ImportError {
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A reader for tab-separated files with a header row.
pub fn tsv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

/// Turns a csv error into an import error naming the line.
pub fn csv_error(err: csv::Error) -> ImportError {
    let line = err.position().map_or(0, |p| p.line());
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} tab-separated fields, found {len}"),
        other => format!("{other:?}"),
    };
    ImportError::new(line, "record", message)
}

/// Checks the header row holds exactly the expected columns.
pub fn expect_header(
    reader: &mut csv::Reader<&[u8]>,
    expected: &[&str],
) -> Result<(), ImportError> {
    let headers = reader.headers().map_err(csv_error)?;
    let got: Vec<&str> = headers.iter().collect();
    if got != expected {
        return Err(ImportError::new(
            1,
            "header",
            format!("expected columns {expected:?}, found {got:?}"),
        ));
    }
    Ok(())
}

/// Parses an optional date in `YYYY-MM-DD` or `YYYYMMDD` form.
pub fn opt_date(line: u64, field: &str, raw: &str) -> Result<Option<NaiveDate>, ImportError> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "*" {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y%m%d"))
        .map(Some)
        .map_err(|_| {
            ImportError::new(
                line,
                field,
                format!("{raw:?} is not a date (YYYY-MM-DD or YYYYMMDD)"),
            )
        })
}
