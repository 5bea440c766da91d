-- Programs, cohorts, accounts and enrolments: the tenancy every other table hangs from.
CREATE TABLE programs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL UNIQUE,
    ppe_hours_required  INTEGER NOT NULL CHECK (ppe_hours_required BETWEEN 0 AND 2000),
    pass_threshold_pct  INTEGER NOT NULL CHECK (pass_threshold_pct BETWEEN 0 AND 100),
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('student', 'supervisor', 'program_admin')),
    credential     TEXT,
    program_id     BIGINT  NOT NULL REFERENCES programs (id),
    password_hash  TEXT    NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX users_program_idx ON users (program_id);

CREATE TABLE program_admins (
    program_id  BIGINT NOT NULL REFERENCES programs (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (program_id, user_id)
);
CREATE INDEX program_admins_user_idx ON program_admins (user_id);

CREATE TABLE cohorts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    program_id  BIGINT NOT NULL REFERENCES programs (id),
    name        TEXT   NOT NULL,
    term_start  DATE   NOT NULL,
    term_end    DATE   NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (program_id, name),
    CHECK (term_end >= term_start)
);

CREATE TABLE enrolments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id   BIGINT NOT NULL REFERENCES cohorts (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    role        TEXT   NOT NULL CHECK (role IN ('student', 'supervisor')),
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (cohort_id, user_id)
);
CREATE INDEX enrolments_user_idx ON enrolments (user_id);

-- Logged-out tokens, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti         TEXT PRIMARY KEY NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
