//! Roster import: a CSV of students (e-mail, name, optional credential) read
//! into rows to create accounts from, with an error per bad row so an
//! administrator can fix the file and try again.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::Invalid;
use super::accounts::{parse_credential, parse_display_name, parse_email};

/// Most data rows one file may hold: a large program's intake, and a bound on
/// the work and the size of the error list one upload can cause.
pub const MAX_ROWS: usize = 2000;

/// The columns a roster may have, for messages.
const ACCEPTED_COLUMNS: &str = "email, name (or display_name, full name) and credential";

/// A valid roster row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterRow {
    /// 1-based line in the file; the header is line 1.
    pub line: usize,
    /// Normalized (trimmed, lower case).
    pub email: String,
    pub display_name: String,
    pub credential: Option<String>,
}

/// What is wrong with a row, or with the whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: usize,
    /// The column at fault (`email`, `name`, `credential`), `row` for a row
    /// of the wrong shape, `file` for the file as a whole, or the name of an
    /// unexpected column.
    pub field: String,
    pub message: String,
}

impl RowError {
    fn new(line: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.message)
    }
}

impl std::error::Error for RowError {}

/// The rows of a roster file that can be imported, and why the others cannot.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RosterParse {
    pub rows: Vec<RosterRow>,
    /// In file order.
    pub errors: Vec<RowError>,
}

/// Where each known column sits in the header.
struct Columns {
    email: usize,
    name: usize,
    credential: Option<usize>,
    count: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Email,
    Name,
    Credential,
}

impl Column {
    fn from_header(raw: &str) -> Option<Self> {
        match raw.trim().to_lowercase().as_str() {
            "email" => Some(Column::Email),
            "name" | "display_name" | "full name" => Some(Column::Name),
            "credential" => Some(Column::Credential),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Column::Email => "email",
            Column::Name => "name",
            Column::Credential => "credential",
        }
    }
}

fn read_header(cells: &csv::StringRecord, line: usize) -> Result<Columns, RowError> {
    let mut email = None;
    let mut name = None;
    let mut credential = None;
    for (i, raw) in cells.iter().enumerate() {
        let label = raw.trim();
        let column = match Column::from_header(label) {
            Some(column) => column,
            None if label.is_empty() => {
                return Err(RowError::new(
                    line,
                    format!("column {}", i + 1),
                    format!("has no name; the accepted columns are {ACCEPTED_COLUMNS}"),
                ));
            }
            None => {
                return Err(RowError::new(
                    line,
                    label,
                    format!("is not a roster column; the accepted columns are {ACCEPTED_COLUMNS}"),
                ));
            }
        };
        let slot = match column {
            Column::Email => &mut email,
            Column::Name => &mut name,
            Column::Credential => &mut credential,
        };
        if slot.is_some() {
            return Err(RowError::new(
                line,
                label,
                format!("is a second {} column; keep only one", column.as_str()),
            ));
        }
        *slot = Some(i);
    }
    let required = |found: Option<usize>, column: Column| {
        found.ok_or_else(|| {
            RowError::new(
                line,
                column.as_str(),
                format!(
                    "the header has no {} column; the accepted columns are {ACCEPTED_COLUMNS}",
                    column.as_str()
                ),
            )
        })
    };
    Ok(Columns {
        email: required(email, Column::Email)?,
        name: required(name, Column::Name)?,
        credential,
        count: cells.len(),
    })
}

/// A field error on `line`, under the roster's column name rather than the
/// account form's (the file says `name`, the form `display_name`).
fn field_error(line: usize, column: Column, invalid: Invalid) -> RowError {
    RowError::new(line, column.as_str(), invalid.message)
}

/// Turns byte offsets into the line numbers an editor shows. The csv
/// reader's own line count drifts on CRLF files, and administrators fix a
/// file by the line numbers in our messages.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Everything before `counted` has been counted into `line`.
    counted: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `offset` that is not a
    /// line break: where a record starts, as record offsets may point at the
    /// end of the previous line. Offsets are asked for in increasing order,
    /// so the whole file is scanned once.
    fn line_of(&mut self, offset: usize) -> usize {
        let mut start = offset.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        for i in self.counted..start {
            // LF, CRLF (counted at its LF) and a lone CR each end a line.
            let ends_line = match self.bytes[i] {
                b'\n' => true,
                b'\r' => self.bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += usize::from(ends_line);
        }
        self.counted = self.counted.max(start);
        self.line
    }
}

/// Reads a roster file. Errors in the file as a whole (not UTF-8, no or a bad
/// header, too many rows) fail the import; errors in a row are listed with
/// the row's line so the good rows can still be imported.
///
/// Rows whose cells are all empty are skipped, as spreadsheets save them for
/// formatted but unused rows. A row with the wrong number of cells gets only
/// that error: its cells cannot be trusted to be in their columns.
pub fn parse_roster(bytes: &[u8]) -> Result<RosterParse, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut lines = Lines::new(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = lines.line_of(e.valid_up_to());
        return Err(RowError::new(
            line,
            "file",
            format!("line {line} is not UTF-8 text; save the roster as \"CSV UTF-8\""),
        ));
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();
    // Each record with the line it starts on.
    let mut next_record = || -> Option<Result<(usize, csv::StringRecord), RowError>> {
        let result = records.next()?;
        Some(match result {
            Ok(record) => {
                let offset = record.position().map_or(0, csv::Position::byte);
                Ok((lines.line_of(offset as usize), record))
            }
            Err(e) => {
                let offset = e.position().map_or(0, csv::Position::byte);
                let line = lines.line_of(offset as usize);
                Err(RowError::new(
                    line,
                    "file",
                    format!("cannot be read as CSV: {e}"),
                ))
            }
        })
    };
    // The reader skips blank lines, so the header is the first line with text.
    let (header_line, header) = match next_record() {
        Some(result) => result?,
        None => {
            return Err(RowError::new(
                1,
                "file",
                format!("is empty; the first line must name the columns: {ACCEPTED_COLUMNS}"),
            ));
        }
    };
    let columns = read_header(&header, header_line)?;

    let mut parsed = RosterParse::default();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let mut data_rows = 0usize;
    while let Some(result) = next_record() {
        let (line, record) = result?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        data_rows += 1;
        if data_rows > MAX_ROWS {
            return Err(RowError::new(
                line,
                "file",
                format!("has more than {MAX_ROWS} students; split it into smaller files"),
            ));
        }
        if record.len() != columns.count {
            parsed.errors.push(RowError::new(
                line,
                "row",
                format!(
                    "has {} cells but the header has {} columns",
                    record.len(),
                    columns.count
                ),
            ));
            continue;
        }

        let mut errors = Vec::new();
        let email = match parse_email(&record[columns.email]) {
            Ok(email) => match first_seen.get(&email) {
                Some(first) => {
                    errors.push(RowError::new(
                        line,
                        "email",
                        format!("{email} is already on line {first}"),
                    ));
                    None
                }
                None => {
                    first_seen.insert(email.clone(), line);
                    Some(email)
                }
            },
            Err(invalid) => {
                errors.push(field_error(line, Column::Email, invalid));
                None
            }
        };
        let display_name = parse_display_name(&record[columns.name])
            .map_err(|invalid| errors.push(field_error(line, Column::Name, invalid)))
            .ok();
        let credential = parse_credential(columns.credential.map(|i| &record[i]))
            .map_err(|invalid| errors.push(field_error(line, Column::Credential, invalid)))
            .ok();
        match (email, display_name, credential) {
            (Some(email), Some(display_name), Some(credential)) if errors.is_empty() => {
                parsed.rows.push(RosterRow {
                    line,
                    email,
                    display_name,
                    credential,
                });
            }
            _ => parsed.errors.append(&mut errors),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RosterParse {
        parse_roster(text.as_bytes()).unwrap()
    }

    fn fails(bytes: &[u8]) -> RowError {
        parse_roster(bytes).unwrap_err()
    }

    fn row(line: usize, email: &str, name: &str, credential: Option<&str>) -> RosterRow {
        RosterRow {
            line,
            email: email.into(),
            display_name: name.into(),
            credential: credential.map(str::to_owned),
        }
    }

    #[test]
    fn a_clean_file_reads_every_row() {
        let r = parse(
            "email,name,credential\nana@demo.example,Ana Diaz,CPC\nBen@Demo.Example , Ben Ode ,\n",
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(
            r.rows,
            [
                row(2, "ana@demo.example", "Ana Diaz", Some("CPC")),
                row(3, "ben@demo.example", "Ben Ode", None),
            ]
        );
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_case() {
        let r = parse("\u{feff} Full Name ,  EMAIL \n");
        assert!(r.rows.is_empty() && r.errors.is_empty());
        let r = parse("Credential,Display_Name,Email\r\nRHIT,Ana Diaz,ana@demo.example\r\n");
        assert_eq!(
            r.rows,
            [row(2, "ana@demo.example", "Ana Diaz", Some("RHIT"))]
        );
        let r = parse("name,email\nAna,ana@demo.example");
        assert_eq!(r.rows, [row(2, "ana@demo.example", "Ana", None)]);
    }

    #[test]
    fn a_byte_order_mark_and_crlf_are_accepted() {
        let r = parse_roster(
            b"\xEF\xBB\xBFemail,name\r\nana@demo.example,Ana\r\n\r\nben@demo.example,Ben\r\n",
        )
        .unwrap();
        assert!(r.errors.is_empty());
        let lines: Vec<usize> = r.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4], "blank line 3 is skipped but still counted");
    }

    #[test]
    fn blank_and_empty_cell_rows_are_skipped() {
        let r = parse("email,name\n\n,\n  ,  \nana@demo.example,Ana\n");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.rows, [row(5, "ana@demo.example", "Ana", None)]);
    }

    #[test]
    fn an_unknown_column_fails_the_file() {
        let e = fails(b"email,name,Phone\n");
        assert_eq!((e.line, e.field.as_str()), (1, "Phone"));
        assert!(e.message.contains("email") && e.message.contains("full name"));
        assert!(e.message.contains("credential"));
        // A semicolon file is one unknown column.
        let e = fails(b"email;name\na@b.org;A\n");
        assert_eq!(e.field, "email;name");
        let e = fails(b"email,name,\n");
        assert_eq!(e.field, "column 3");
    }

    #[test]
    fn a_missing_or_doubled_required_column_fails_the_file() {
        let e = fails(b"email,credential\na@b.org,CPC\n");
        assert_eq!((e.line, e.field.as_str()), (1, "name"));
        let e = fails(b"Name\nAna\n");
        assert_eq!(e.field, "email");
        let e = fails(b"email,name,full name\n");
        assert_eq!(e.field, "full name");
        assert!(e.message.contains("second name column"));
        let e = fails(b"");
        assert_eq!((e.line, e.field.as_str()), (1, "file"));
    }

    #[test]
    fn text_that_is_not_utf8_fails_the_file_naming_the_line() {
        // "Jos\xe9" is Latin-1 for José.
        let e = fails(b"email,name\na@demo.example,Ana\nj@demo.example,Jos\xe9\n");
        assert_eq!((e.line, e.field.as_str()), (3, "file"));
        assert!(e.message.contains("line 3") && e.message.contains("UTF-8"));
    }

    #[test]
    fn more_than_the_row_limit_fails_the_file() {
        let mut text = String::from("email,name\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("s{i}@demo.example,Student {i}\n"));
        }
        assert_eq!(parse(&text).rows.len(), MAX_ROWS);
        text.push_str("one@more.example,One More\n");
        let e = fails(text.as_bytes());
        assert_eq!((e.line, e.field.as_str()), (MAX_ROWS + 2, "file"));
        assert!(e.message.contains("2000"));
    }

    #[test]
    fn rows_of_the_wrong_shape_are_reported_alone() {
        let r = parse("email,name\nana@demo.example\nbad,Ben,extra\n");
        assert!(r.rows.is_empty());
        assert_eq!(
            r.errors,
            [
                RowError::new(2, "row", "has 1 cells but the header has 2 columns"),
                RowError::new(3, "row", "has 3 cells but the header has 2 columns"),
            ]
        );
    }

    #[test]
    fn a_repeated_email_is_reported_on_the_later_line() {
        let r = parse(
            "email,name\nana@demo.example,Ana\nben@demo.example,Ben\nANA@demo.example ,Ana again\n",
        );
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.errors.len(), 1);
        let e = &r.errors[0];
        assert_eq!((e.line, e.field.as_str()), (4, "email"));
        assert!(e.message.contains("line 2"), "{}", e.message);
    }

    #[test]
    fn a_mixed_file_keeps_good_rows_and_lists_every_error() {
        let text = format!(
            "name,email,credential\n\
             Ana Diaz,ana@demo.example,CPC\n\
             ,not-an-email,{long}\n\
             \"Ode, Ben\",ben@demo.example,\n\
             Cy Park,\n\
             \"Dee\nLine\",dee@demo.example,RHIA\n\
             Eve,ana@demo.example,\n",
            long = "x".repeat(61)
        );
        let r = parse(&text);
        assert_eq!(
            r.rows,
            [
                row(2, "ana@demo.example", "Ana Diaz", Some("CPC")),
                row(4, "ben@demo.example", "Ode, Ben", None),
            ]
        );
        let found: Vec<(usize, &str)> = r
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (3, "email"),
                (3, "name"),
                (3, "credential"),
                (5, "row"),
                (6, "name"),
                (8, "email"),
            ]
        );
        assert!(r.errors[5].message.contains("line 2"));
        assert!(r.errors[4].message.contains("control characters"));
        assert_eq!(
            r.errors[0].to_string(),
            "line 3, email: must look like name@example.org"
        );
    }

    #[test]
    fn errors_serialize_for_the_api() {
        let e = RowError::new(3, "email", "must not be empty");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"line": 3, "field": "email", "message": "must not be empty"})
        );
    }
}
