-- The mock EHR: synthetic patients and encounters generated for a cohort,
-- their documents, and versioned answer keys.

-- One bulk generation request: who asked for what.
CREATE TABLE generation_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id     BIGINT  NOT NULL REFERENCES cohorts (id),
    requested_by  BIGINT  REFERENCES users (id),
    seed          BIGINT  NOT NULL,
    requested     INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    areas         TEXT    NOT NULL,
    difficulties  TEXT    NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX generation_runs_cohort_idx ON generation_runs (cohort_id);

CREATE TABLE patients (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id    BIGINT NOT NULL REFERENCES cohorts (id),
    mrn          TEXT   NOT NULL,
    family_name  TEXT   NOT NULL,
    given_name   TEXT   NOT NULL,
    sex          TEXT   NOT NULL CHECK (sex IN ('F', 'M')),
    birth_date   DATE   NOT NULL,
    -- The full synthetic demographics (JSON).
    demographics TEXT   NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX patients_cohort_name_idx ON patients (cohort_id, family_name, given_name);
CREATE INDEX patients_mrn_idx ON patients (mrn);

CREATE TABLE encounters (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id        BIGINT  NOT NULL REFERENCES patients (id),
    cohort_id         BIGINT  NOT NULL REFERENCES cohorts (id),
    run_id            BIGINT  REFERENCES generation_runs (id),
    scenario_id       TEXT    NOT NULL,
    scenario_version  INTEGER NOT NULL,
    seed              BIGINT  NOT NULL,
    title             TEXT    NOT NULL,
    specialty         TEXT    NOT NULL,
    difficulty        TEXT    NOT NULL,
    minutes           INTEGER NOT NULL,
    date_of_service   DATE    NOT NULL,
    place_of_service  TEXT    NOT NULL,
    -- Payer, provider, vitals, problems, medications, allergies, results,
    -- history (JSON).
    chart             TEXT    NOT NULL,
    -- The scenario's variable values: supervisor-only (JSON).
    variables         TEXT    NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    UNIQUE (cohort_id, scenario_id, scenario_version, seed)
);
CREATE INDEX encounters_patient_idx ON encounters (patient_id);
CREATE INDEX encounters_cohort_idx ON encounters (cohort_id, date_of_service);

CREATE TABLE documents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    encounter_id  BIGINT  NOT NULL REFERENCES encounters (id),
    position      INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    UNIQUE (encounter_id, position)
);

-- Answer keys are versioned and never overwritten: a supervisor's correction
-- is a new version beside the generated one.
CREATE TABLE answer_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    encounter_id  BIGINT  NOT NULL REFERENCES encounters (id),
    version       INTEGER NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('generated', 'supervisor')),
    -- The key in claim-interchange shape with alternates and rationale (JSON).
    body          TEXT    NOT NULL,
    note          TEXT    NOT NULL,
    created_by    BIGINT  REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (encounter_id, version)
);
