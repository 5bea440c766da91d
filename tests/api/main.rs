//! API and page tests against the real server, on the backend chosen by
//! `PRACTICUM_TEST_DATABASE_URL` (SQLite when unset).

#[path = "../common/mod.rs"]
mod common;

mod access;
mod assignments;
mod auth;
mod claims;
mod codes;
mod directory;
mod ehr;
mod ehr_pages;
mod errors;
mod fhir;
mod hours;
mod matrix;
mod ops;
mod pages;
mod practicum_pages;
mod reports;
mod review;
mod roster;
