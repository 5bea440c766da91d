DROP TABLE revoked_tokens;
DROP TABLE enrolments;
DROP TABLE cohorts;
DROP TABLE program_admins;
DROP TABLE users;
DROP TABLE programs;
