DROP TABLE answer_keys;
DROP TABLE documents;
DROP TABLE encounters;
DROP TABLE patients;
DROP TABLE generation_runs;
