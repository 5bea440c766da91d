-- Failed sign-ins, for throttling by account and by client address. Rows
-- older than the throttle window are pruned as new ones arrive.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    subject  TEXT      NOT NULL,
    at       TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_subject_idx ON login_failures (subject, at);
