//! Practicum: a self-hostable simulated EHR practicum sandbox for
//! medical-coding education.
//!
//! Dependencies point one way: `api` and `web` (actix) call `service`, which
//! calls the pure domain (`practicum`, `auth`) and `store` (diesel). The
//! domain calls nothing outside itself.

pub mod api;
pub mod auth;
pub mod claims;
pub mod codes;
pub mod config;
pub mod error;
pub mod fhir;
pub mod middleware;
pub mod practicum;
pub mod routes;
pub mod scenarios;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
