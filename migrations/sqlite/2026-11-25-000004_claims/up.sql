-- Coded claims: a student's working draft per encounter, submitted claims
-- (immutable; a resubmission is a new version) and their scores (append-only:
-- re-scoring adds a row and keeps the earlier ones).

CREATE TABLE claim_drafts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    encounter_id  BIGINT  NOT NULL REFERENCES encounters (id),
    student_id    BIGINT  NOT NULL REFERENCES users (id),
    body          TEXT    NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (encounter_id, student_id)
);

CREATE TABLE claim_submissions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    encounter_id     BIGINT  NOT NULL REFERENCES encounters (id),
    student_id       BIGINT  NOT NULL REFERENCES users (id),
    version          INTEGER NOT NULL,
    body             TEXT    NOT NULL,
    idempotency_key  TEXT    NOT NULL,
    submitted_at     TIMESTAMP NOT NULL,
    UNIQUE (encounter_id, student_id, version),
    UNIQUE (student_id, idempotency_key)
);
CREATE INDEX claim_submissions_encounter_idx ON claim_submissions (encounter_id);

CREATE TABLE claim_scores (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id   BIGINT  NOT NULL REFERENCES claim_submissions (id),
    key_version     INTEGER NOT NULL,
    engine_version  TEXT    NOT NULL,
    total           DOUBLE PRECISION NOT NULL,
    passed          BOOLEAN NOT NULL,
    report          TEXT    NOT NULL,
    scored_by       BIGINT  REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX claim_scores_submission_idx ON claim_scores (submission_id);
