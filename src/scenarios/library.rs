//! The scenario library a server serves: the files that loaded *and* passed
//! validation against the code sets, the ones refused with their reasons, and
//! the plan for a bulk generation request.

use std::path::Path;

use chrono::NaiveDate;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::{Scenario, ScenarioError, check_key, load_dir};
use crate::codes::CodeSets;
use crate::practicum::Invalid;

/// Most encounters one generation request may ask for.
pub const MAX_GENERATE: u32 = 50_000;

/// Difficulty levels a scenario may declare, easiest first.
pub const DIFFICULTIES: [&str; 3] = ["foundation", "intermediate", "advanced"];

/// The validated scenarios.
#[derive(Debug, Default)]
pub struct Library {
    scenarios: Vec<Scenario>,
    /// Files that failed to load or to validate; never served.
    pub rejected: Vec<ScenarioError>,
    window: Option<(NaiveDate, NaiveDate)>,
}

/// What a supervisor asks to generate.
#[derive(Debug, Clone, Default)]
pub struct GenerationRequest {
    pub count: u32,
    /// Specialty areas to draw from; empty means all.
    pub areas: Vec<String>,
    /// Difficulty levels to draw from; empty means all.
    pub difficulties: Vec<String>,
    /// Scenario ids to draw from; empty means all.
    pub scenarios: Vec<String>,
    /// Seed of the whole run: the same request gives the same encounters.
    pub seed: u64,
}

/// One encounter to generate.
#[derive(Debug, Clone, Copy)]
pub struct Planned<'a> {
    pub scenario: &'a Scenario,
    pub seed: u64,
}

/// Checks one scenario over its variable combinations (up to `limit`),
/// returning how many were checked and every problem found.
pub fn check_scenario(
    s: &Scenario,
    codes: &CodeSets,
    window: (NaiveDate, NaiveDate),
    limit: usize,
) -> (usize, Vec<String>) {
    let results = s.each_combination(window, limit);
    let mut problems = Vec::new();
    for r in &results {
        match r {
            Ok(g) => problems.extend(
                check_key(g, codes)
                    .into_iter()
                    .map(|p| format!("seed {}: {p}", g.encounter.seed)),
            ),
            Err(e) => problems.push(e.cause.clone()),
        }
    }
    (results.len(), problems)
}

/// The dates of service generated encounters fall in: the newest ICD-10-CM
/// release's period, so every key is judged by the codes then in force.
pub fn window(codes: &CodeSets) -> Option<(NaiveDate, NaiveDate)> {
    codes
        .icd10cm_latest()
        .map(|t| (t.release.effective_from, t.release.effective_to))
}

impl Library {
    /// Loads a directory and keeps the scenarios whose keys validate over
    /// up to `limit` variable combinations each.
    pub fn load(dir: &Path, codes: &CodeSets, limit: usize) -> Self {
        let (loaded, mut rejected) = load_dir(dir);
        let Some(window) = window(codes) else {
            rejected.extend(loaded.into_iter().map(|s| ScenarioError {
                file: s.file,
                line: None,
                cause: "no ICD-10-CM release is loaded to check the key against".into(),
            }));
            return Self {
                scenarios: Vec::new(),
                rejected,
                window: None,
            };
        };
        let mut scenarios = Vec::new();
        for s in loaded {
            let (_, problems) = check_scenario(&s, codes, window, limit);
            match problems.first() {
                None => scenarios.push(s),
                Some(first) => rejected.push(ScenarioError {
                    file: s.file.clone(),
                    line: None,
                    cause: format!(
                        "the key does not validate ({} problems), first: {first}",
                        problems.len()
                    ),
                }),
            }
        }
        Self {
            scenarios,
            rejected,
            window: Some(window),
        }
    }

    /// Every served scenario, in file order.
    pub fn all(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// A served scenario by id.
    pub fn get(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.spec.id == id)
    }

    /// The date-of-service window generated encounters fall in.
    pub fn window(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.window
    }

    /// The specialty areas served, sorted.
    pub fn areas(&self) -> Vec<&str> {
        let mut areas: Vec<&str> = self
            .scenarios
            .iter()
            .map(|s| s.spec.specialty.as_str())
            .collect();
        areas.sort_unstable();
        areas.dedup();
        areas
    }

    /// Chooses the scenarios and seeds for a request. Scenarios are dealt
    /// from a shuffled deck, reshuffled when it runs out, so areas come out
    /// balanced and a cohort sees every matching scenario before repeats.
    pub fn plan(&self, req: &GenerationRequest) -> Result<Vec<Planned<'_>>, Invalid> {
        if req.count == 0 || req.count > MAX_GENERATE {
            return Err(Invalid::new(
                "count",
                format!("must be between 1 and {MAX_GENERATE}"),
            ));
        }
        let areas = self.areas();
        if let Some(bad) = req.areas.iter().find(|a| !areas.contains(&a.as_str())) {
            return Err(Invalid::new(
                "areas",
                format!("unknown area {bad:?}; known: {}", areas.join(", ")),
            ));
        }
        if let Some(bad) = req
            .difficulties
            .iter()
            .find(|d| !DIFFICULTIES.contains(&d.as_str()))
        {
            return Err(Invalid::new(
                "difficulties",
                format!(
                    "unknown difficulty {bad:?}; known: {}",
                    DIFFICULTIES.join(", ")
                ),
            ));
        }
        let pool: Vec<&Scenario> = self
            .scenarios
            .iter()
            .filter(|s| req.areas.is_empty() || req.areas.contains(&s.spec.specialty))
            .filter(|s| {
                req.difficulties.is_empty() || req.difficulties.contains(&s.spec.difficulty)
            })
            .filter(|s| req.scenarios.is_empty() || req.scenarios.contains(&s.spec.id))
            .collect();
        if let Some(bad) = req
            .scenarios
            .iter()
            .find(|id| !self.scenarios.iter().any(|s| &s.spec.id == *id))
        {
            return Err(Invalid::new(
                "scenarios",
                format!("no scenario {bad:?} is served"),
            ));
        }
        if pool.is_empty() {
            return Err(Invalid::new(
                "areas",
                "no scenario matches these areas and difficulties",
            ));
        }
        let digest = Sha256::digest(format!("practicum-plan\u{0}{}", req.seed).as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&digest);
        let mut rng = ChaCha8Rng::from_seed(bytes);
        let mut deck: Vec<&Scenario> = Vec::new();
        let mut plan = Vec::with_capacity(req.count as usize);
        for _ in 0..req.count {
            if deck.is_empty() {
                deck = pool.clone();
                deck.shuffle(&mut rng);
            }
            let scenario = deck.pop().expect("the deck was just filled");
            // Seeds stay below 2^63 so every database stores them as BIGINT.
            let seed = rng.random::<u64>() >> 1;
            plan.push(Planned { scenario, seed });
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> Library {
        let codes = crate::codes::shipped_shared().unwrap();
        Library::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
            &codes,
            4,
        )
    }

    #[test]
    fn plans_are_deterministic_balanced_and_filtered() {
        let lib = library();
        assert!(lib.rejected.is_empty(), "{:?}", lib.rejected);
        let req = GenerationRequest {
            scenarios: Vec::new(),
            count: lib.all().len() as u32,
            seed: 9,
            ..Default::default()
        };
        let a = lib.plan(&req).unwrap();
        let b = lib.plan(&req).unwrap();
        let ids = |p: &[Planned]| -> Vec<(String, u64)> {
            p.iter()
                .map(|x| (x.scenario.spec.id.clone(), x.seed))
                .collect()
        };
        assert_eq!(ids(&a), ids(&b));
        // One full deck: every scenario exactly once.
        let mut seen: Vec<&str> = a.iter().map(|p| p.scenario.spec.id.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), lib.all().len());
        let other = lib
            .plan(&GenerationRequest {
                scenarios: Vec::new(),
                seed: 10,
                ..req.clone()
            })
            .unwrap();
        assert_ne!(ids(&a), ids(&other));

        let only = lib
            .plan(&GenerationRequest {
                scenarios: Vec::new(),
                count: 20,
                areas: vec!["orthopedics".into()],
                difficulties: vec!["foundation".into(), "intermediate".into()],
                seed: 1,
            })
            .unwrap();
        assert!(
            only.iter()
                .all(|p| p.scenario.spec.specialty == "orthopedics"
                    && p.scenario.spec.difficulty != "advanced")
        );
    }

    #[test]
    fn bad_requests_name_the_field() {
        let lib = library();
        let bad = |req: GenerationRequest| lib.plan(&req).unwrap_err().field;
        assert_eq!(bad(GenerationRequest::default()), "count");
        assert_eq!(
            bad(GenerationRequest {
                scenarios: Vec::new(),
                count: MAX_GENERATE + 1,
                ..Default::default()
            }),
            "count"
        );
        assert_eq!(
            bad(GenerationRequest {
                scenarios: Vec::new(),
                count: 1,
                areas: vec!["astrology".into()],
                ..Default::default()
            }),
            "areas"
        );
        assert_eq!(
            bad(GenerationRequest {
                scenarios: Vec::new(),
                count: 1,
                difficulties: vec!["easy".into()],
                ..Default::default()
            }),
            "difficulties"
        );
    }
}
