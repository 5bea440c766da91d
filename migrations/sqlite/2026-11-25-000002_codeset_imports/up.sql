-- Code-set files imported by operators (later ICD-10-CM releases, the CMS
-- HCPCS file, licensed CPT text, NCCI files). Kept in the database so every
-- instance loads the same code sets.
CREATE TABLE codeset_imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('icd10cm', 'hcpcs', 'cpt', 'ncci-ptp', 'ncci-mue')),
    release_name    TEXT    NOT NULL,
    effective_from  DATE,
    effective_to    DATE,
    content_gz      BLOB    NOT NULL,
    sha256          TEXT    NOT NULL,
    row_count       BIGINT  NOT NULL,
    imported_at     TIMESTAMP NOT NULL,
    UNIQUE (kind, sha256)
);
