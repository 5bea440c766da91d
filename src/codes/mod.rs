//! Code sets: ICD-10-CM (official CMS data), with HCPCS Level II, CPT,
//! modifiers, places of service, NCCI and MUE to follow. Pure data and rules;
//! no web or database types.

pub mod icd10cm;
pub mod key;

pub use key::CodeKey;
