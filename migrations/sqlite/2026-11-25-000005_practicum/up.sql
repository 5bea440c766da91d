-- The supervised practicum: program grading settings, assignments (practice
-- or timed exam), supervisor review, approved answer keys, PPE hours with
-- sign-off, and an audit log. Everything a grade or an hour rests on is
-- append-only or versioned.

-- Scoring policy, edit severities and the hours auto-approval rule (JSON).
ALTER TABLE programs ADD COLUMN grading TEXT NOT NULL DEFAULT '{}';

CREATE TABLE assignments (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id           BIGINT  NOT NULL REFERENCES cohorts (id),
    title               TEXT    NOT NULL,
    instructions        TEXT    NOT NULL,
    mode                TEXT    NOT NULL CHECK (mode IN ('practice', 'exam')),
    opens_at            TIMESTAMP NOT NULL,
    due_at              TIMESTAMP NOT NULL,
    time_limit_minutes  INTEGER,
    late_policy         TEXT    NOT NULL CHECK (late_policy IN ('reject', 'flag')),
    resubmission        BOOLEAN NOT NULL,
    shared_set          BOOLEAN NOT NULL,
    -- What the encounters are drawn from: areas, difficulties, scenarios,
    -- hand-picked encounters, count (JSON).
    selection           TEXT    NOT NULL,
    seed                BIGINT  NOT NULL,
    pass_mark_pct       INTEGER NOT NULL,
    created_by          BIGINT  REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX assignments_cohort_idx ON assignments (cohort_id, due_at);

-- The encounters of an assignment: one set per student, or one shared set
-- (student_id NULL).
CREATE TABLE assignment_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id  BIGINT  NOT NULL REFERENCES assignments (id),
    student_id     BIGINT  REFERENCES users (id),
    encounter_id   BIGINT  NOT NULL REFERENCES encounters (id),
    position       INTEGER NOT NULL
);
CREATE INDEX assignment_items_assignment_idx ON assignment_items (assignment_id, student_id);
-- One set per student: two first visits at once cannot both add one.
CREATE UNIQUE INDEX assignment_items_position_idx ON assignment_items (assignment_id, student_id, position);
CREATE INDEX assignment_items_encounter_idx ON assignment_items (encounter_id);

-- A student's exam clock: started once, enforced by the server.
CREATE TABLE assignment_attempts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id  BIGINT  NOT NULL REFERENCES assignments (id),
    student_id     BIGINT  NOT NULL REFERENCES users (id),
    started_at     TIMESTAMP NOT NULL,
    deadline_at    TIMESTAMP NOT NULL,
    UNIQUE (assignment_id, student_id)
);

ALTER TABLE claim_submissions ADD COLUMN assignment_id BIGINT REFERENCES assignments (id);
ALTER TABLE claim_submissions ADD COLUMN late BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX claim_submissions_student_idx ON claim_submissions (student_id, submitted_at);

-- Accuracy counts of a score in audit units (JSON), for reports.
ALTER TABLE claim_scores ADD COLUMN tally TEXT NOT NULL DEFAULT '{}';

-- An approved key version is locked: edits are refused until it is unlocked.
ALTER TABLE answer_keys ADD COLUMN approved_by BIGINT REFERENCES users (id);
ALTER TABLE answer_keys ADD COLUMN approved_at TIMESTAMP;

-- Supervisor review of a submission: approve, return for correction, or
-- override the score (comment required); append-only, the latest counts.
CREATE TABLE claim_reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id   BIGINT  NOT NULL REFERENCES claim_submissions (id),
    reviewer_id     BIGINT  NOT NULL REFERENCES users (id),
    outcome         TEXT    NOT NULL CHECK (outcome IN ('approved', 'returned', 'overridden')),
    override_total  DOUBLE PRECISION,
    comment         TEXT    NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX claim_reviews_submission_idx ON claim_reviews (submission_id);

-- Time on task: opened for coding, kept alive by heartbeats while the
-- student is active, closed by a submission.
CREATE TABLE coding_sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    encounter_id    BIGINT  NOT NULL REFERENCES encounters (id),
    student_id      BIGINT  NOT NULL REFERENCES users (id),
    opened_at       TIMESTAMP NOT NULL,
    last_seen_at    TIMESTAMP NOT NULL,
    active_seconds  INTEGER NOT NULL,
    beats           INTEGER NOT NULL,
    closed_at       TIMESTAMP
);
CREATE INDEX coding_sessions_student_idx ON coding_sessions (student_id, encounter_id);

-- The PPE site log. Minutes are negative on a reversing entry.
CREATE TABLE hour_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id     BIGINT  NOT NULL REFERENCES users (id),
    cohort_id      BIGINT  NOT NULL REFERENCES cohorts (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('coding', 'manual', 'reversal')),
    work_date      DATE    NOT NULL,
    activity       TEXT    NOT NULL,
    minutes        INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    encounter_id   BIGINT  REFERENCES encounters (id),
    submission_id  BIGINT  REFERENCES claim_submissions (id),
    reverses_id    BIGINT  REFERENCES hour_entries (id),
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     BIGINT  REFERENCES users (id),
    decided_at     TIMESTAMP,
    created_by     BIGINT  REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX hour_entries_student_idx ON hour_entries (student_id, work_date);
CREATE INDEX hour_entries_cohort_idx ON hour_entries (cohort_id, status);
-- An entry is reversed at most once, however many supervisors try at once.
CREATE UNIQUE INDEX hour_entries_reverses_idx ON hour_entries (reverses_id);

-- A supervisor's attestation over a period of a student's log; entries in a
-- signed period never change again.
CREATE TABLE hour_signoffs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id        BIGINT  NOT NULL REFERENCES users (id),
    cohort_id         BIGINT  NOT NULL REFERENCES cohorts (id),
    period_start      DATE    NOT NULL,
    period_end        DATE    NOT NULL,
    supervisor_id     BIGINT  NOT NULL REFERENCES users (id),
    attestation       TEXT    NOT NULL,
    approved_minutes  INTEGER NOT NULL,
    signed_at         TIMESTAMP NOT NULL
);
CREATE INDEX hour_signoffs_student_idx ON hour_signoffs (student_id, period_end);

-- Who did what, when, with the record before and after (JSON).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    actor_id    BIGINT  REFERENCES users (id),
    program_id  BIGINT  REFERENCES programs (id),
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   BIGINT,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_program_idx ON audit_log (program_id, at);
