//! Loading the code sets at start-up (shipped data plus stored imports) and
//! importing new files.

use std::io::Write;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::codes::imports::{self, ImportFile, ImportKind};
use crate::codes::{CodeSets, shipped_shared};
use crate::store::{DbConn, StoreError, codesets};

/// The code sets for this database: the shipped ones, shared process-wide,
/// unless imports are stored, in which case they are applied on top.
pub fn load(conn: &mut DbConn) -> anyhow::Result<Arc<CodeSets>> {
    let files = stored_files(conn)?;
    if files.is_empty() {
        return shipped_shared().map_err(|e| anyhow::anyhow!("loading the shipped code sets: {e}"));
    }
    Ok(Arc::new(CodeSets::with_imports(&files)?))
}

/// The stored imports, decompressed, in the order they are applied.
fn stored_files(conn: &mut DbConn) -> anyhow::Result<Vec<ImportFile>> {
    codesets::all(conn)?
        .into_iter()
        .map(|row| {
            let kind: ImportKind = row.kind.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            Ok(ImportFile {
                kind,
                release_name: row.release_name,
                effective_from: row.effective_from,
                effective_to: row.effective_to,
                text: crate::codes::icd10cm::load::maybe_gunzip(&row.content_gz)?,
            })
        })
        .collect()
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    pub id: i64,
    pub rows: usize,
}

/// Checks a file completely, then stores it. A bad file changes nothing.
pub fn import(
    conn: &mut DbConn,
    file: ImportFile,
    progress: impl FnMut(usize),
) -> anyhow::Result<Imported> {
    let rows = imports::check(&file, progress)?;
    // Applying it on top of what is stored must work too.
    let mut existing = stored_files(conn)?;
    existing.push(file.clone());
    CodeSets::with_imports(&existing)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(file.text.as_bytes())?;
    let content_gz = gz.finish()?;
    let sha256 = hex::encode(Sha256::digest(file.text.as_bytes()));
    let new = codesets::NewImport {
        kind: file.kind.as_str().to_owned(),
        release_name: file.release_name,
        effective_from: file.effective_from,
        effective_to: file.effective_to,
        content_gz,
        sha256,
        row_count: rows as i64,
    };
    let id = codesets::insert(conn, new).map_err(|e| match e {
        StoreError::Conflict(_) => anyhow::anyhow!("this file was imported already"),
        other => other.into(),
    })?;
    Ok(Imported { id, rows })
}
