//! Scenarios: data files under `scenarios/` that describe an encounter, its
//! documents and its answer key as rules over the same variables. Generation
//! is deterministic: (scenario, version, seed) gives the same encounter.

pub mod format;
pub mod library;
pub mod patient;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use minijinja::{Environment, UndefinedBehavior, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codes::CodeSets;
use format::ScenarioFile;
use patient::{Patient, Provider};

/// A problem in a scenario file, with the place it is at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (relative to the scenarios directory).
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    pub cause: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.cause),
            None => write!(f, "{}: {}", self.file, self.cause),
        }
    }
}

/// A loaded, syntax-checked scenario with its templates compiled.
pub struct Scenario {
    pub spec: ScenarioFile,
    /// Where it came from.
    pub file: String,
    source: String,
    env: Environment<'static>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.spec.id)
            .field("version", &self.spec.version)
            .field("file", &self.file)
            .finish()
    }
}

/// A rendered document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub kind: String,
    pub title: String,
    pub text: String,
}

/// One diagnosis of a generated key, with its explanation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyDiagnosis {
    pub code: String,
    pub alternates: Vec<String>,
    pub rationale: String,
    pub guideline: String,
}

/// One service line of a generated key (claim interchange shape plus explanation).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyLine {
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: u32,
    /// Diagnosis pointers, letters A–L.
    pub pointers: Vec<String>,
    pub pos: String,
    pub alternates: Vec<String>,
    pub rationale: String,
    pub guideline: String,
}

/// The answer key in the claim interchange shape, with alternates and rationale.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerKey {
    pub date_of_service: NaiveDate,
    pub patient: KeyPatient,
    /// In order; the first is first-listed.
    pub diagnoses: Vec<String>,
    pub lines: Vec<KeyLine>,
    /// Alternates, rationale and guideline per diagnosis, in the same order.
    pub diagnosis_notes: Vec<KeyDiagnosis>,
}

/// The patient facts a claim carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyPatient {
    pub sex: String,
    pub birth_date: NaiveDate,
}

/// Vital signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vitals {
    pub temperature_f: String,
    pub heart_rate: String,
    pub respiratory_rate: String,
    pub blood_pressure: String,
    pub spo2: String,
    pub weight_lb: String,
}

/// A structured result on the chart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabResult {
    pub panel: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loinc: Option<String>,
    pub value: String,
    pub unit: String,
    /// The reference interval as printed, e.g. `70–99` or `Negative`.
    pub reference: String,
    /// `H` or `L` when a numeric value is outside the interval, else empty.
    pub flag: String,
}

/// A visit in the patient's history with this practice.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriorVisit {
    pub date: NaiveDate,
    pub provider: String,
    pub specialty: String,
    pub reason: String,
}

/// A generated encounter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Encounter {
    pub scenario_id: String,
    pub scenario_version: u32,
    pub seed: u64,
    pub title: String,
    pub specialty: String,
    pub synthetic: bool,
    pub date_of_service: NaiveDate,
    pub place_of_service: String,
    pub payer: String,
    pub patient: Patient,
    pub provider: Provider,
    /// The chosen value of every variable.
    pub variables: BTreeMap<String, String>,
    pub vitals: Vitals,
    pub problems: Vec<String>,
    pub medications: Vec<String>,
    pub allergies: Vec<String>,
    /// Structured results of tests done at or for this encounter.
    pub results: Vec<LabResult>,
    /// `new` or `established` with this group and specialty, where the
    /// scenario says (E/M visits); absent where it does not matter.
    pub standing: Option<String>,
    /// Professional visits with this practice before the date of service.
    pub visit_history: Vec<PriorVisit>,
    pub documents: Vec<Document>,
}

/// The structured record of an encounter as the chart shows it: everything
/// but the patient, the documents and the scenario's variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Chart {
    pub payer: String,
    pub provider: Provider,
    pub vitals: Vitals,
    pub problems: Vec<String>,
    pub medications: Vec<String>,
    pub allergies: Vec<String>,
    #[serde(default)]
    pub results: Vec<LabResult>,
    pub standing: Option<String>,
    pub visit_history: Vec<PriorVisit>,
}

impl Encounter {
    /// The chart part of the encounter.
    pub fn chart(&self) -> Chart {
        Chart {
            payer: self.payer.clone(),
            provider: self.provider.clone(),
            vitals: self.vitals.clone(),
            problems: self.problems.clone(),
            medications: self.medications.clone(),
            allergies: self.allergies.clone(),
            results: self.results.clone(),
            standing: self.standing.clone(),
            visit_history: self.visit_history.clone(),
        }
    }
}

/// An encounter with the key derived from the same facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generated {
    pub encounter: Encounter,
    pub key: AnswerKey,
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

impl Scenario {
    /// Parses a scenario file and compiles its templates.
    pub fn parse(file: &str, source: &str) -> Result<Self, ScenarioError> {
        let err = |line: Option<usize>, cause: String| ScenarioError {
            file: file.to_owned(),
            line,
            cause,
        };
        let spec: ScenarioFile = toml::from_str(source).map_err(|e| {
            let line = e.span().map(|s| line_of(source, s.start));
            err(line, e.message().to_owned())
        })?;
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        let mut templates: Vec<(String, String)> = Vec::new();
        for (i, d) in spec.documents.iter().enumerate() {
            templates.push((format!("doc{i}"), d.template.clone()));
            templates.push((format!("doc{i}.title"), d.title.clone()));
            if let Some(w) = &d.when {
                templates.push((format!("doc{i}.when"), format!("{{{{ {w} }}}}")));
            }
        }
        for (i, r) in spec.key.diagnoses.iter().enumerate() {
            templates.push((format!("dx{i}"), r.code.clone()));
            templates.push((format!("dx{i}.why"), r.rationale.clone()));
            if let Some(w) = &r.when {
                templates.push((format!("dx{i}.when"), format!("{{{{ {w} }}}}")));
            }
        }
        for (i, l) in spec.key.lines.iter().enumerate() {
            templates.push((format!("line{i}"), l.code.clone()));
            templates.push((format!("line{i}.why"), l.rationale.clone()));
            templates.push((format!("line{i}.units"), l.units.clone()));
            for (j, m) in l.modifiers.iter().enumerate() {
                templates.push((format!("line{i}.mod{j}"), m.clone()));
            }
            if let Some(w) = &l.when {
                templates.push((format!("line{i}.when"), format!("{{{{ {w} }}}}")));
            }
        }
        for (i, t) in spec
            .record
            .problems
            .iter()
            .chain(&spec.record.medications)
            .chain(&spec.record.allergies)
            .enumerate()
        {
            templates.push((format!("record{i}"), t.clone()));
        }
        if let Some(standing) = &spec.record.standing {
            templates.push(("standing".into(), standing.clone()));
        }
        for (i, r) in spec.record.results.iter().enumerate() {
            match (&r.value, r.draw) {
                (Some(v), None) => templates.push((format!("result{i}"), v.clone())),
                (None, Some([lo, hi])) if lo <= hi => {}
                _ => {
                    return Err(err(
                        None,
                        format!(
                            "record.results[{i}] ({}) needs either a value template or a draw range [low, high]",
                            r.name
                        ),
                    ));
                }
            }
            if let Some(w) = &r.when {
                templates.push((format!("result{i}.when"), format!("{{{{ {w} }}}}")));
            }
        }
        for (name, text) in templates {
            let at = source
                .find(text.lines().next().unwrap_or_default())
                .map(|o| line_of(source, o));
            env.add_template_owned(name, text).map_err(|e| {
                err(
                    at.map(|l| l + e.line().unwrap_or(1) - 1),
                    format!("template error: {e}"),
                )
            })?;
        }
        if spec.documents.is_empty() {
            return Err(err(None, "a scenario needs at least one document".into()));
        }
        if spec.key.diagnoses.is_empty() {
            return Err(err(None, "the key needs at least one diagnosis".into()));
        }
        Ok(Scenario {
            spec,
            file: file.to_owned(),
            source: source.to_owned(),
            env,
        })
    }

    /// How many combinations the variables allow.
    pub fn combinations(&self) -> u64 {
        self.spec
            .variables
            .iter()
            .map(|v| v.choices.len() as u64)
            .product()
    }

    fn error(&self, template: &str, e: minijinja::Error) -> ScenarioError {
        let text = self
            .env
            .get_template(template)
            .map(|t| t.source().to_owned())
            .unwrap_or_default();
        let at = self
            .source
            .find(text.lines().next().unwrap_or_default())
            .map(|o| line_of(&self.source, o));
        ScenarioError {
            file: self.file.clone(),
            line: at.map(|l| l + e.line().unwrap_or(1) - 1),
            cause: format!("in {template}: {e}"),
        }
    }

    fn render(&self, name: &str, ctx: &Value) -> Result<String, ScenarioError> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| self.error(name, e))?;
        t.render(ctx)
            .map(|s| s.trim().to_owned())
            .map_err(|e| self.error(name, e))
    }

    fn when(&self, name: &str, present: bool, ctx: &Value) -> Result<bool, ScenarioError> {
        if !present {
            return Ok(true);
        }
        // minijinja renders booleans Python-style ("True"/"False").
        Ok(self.render(name, ctx)?.eq_ignore_ascii_case("true"))
    }

    /// Generates the encounter and its key for a seed, with the date of
    /// service inside `window` (the code-set release's period).
    pub fn generate(
        &self,
        seed: u64,
        window: (NaiveDate, NaiveDate),
    ) -> Result<Generated, ScenarioError> {
        let mut rng = self.rng(seed);
        let choices = self.pick(&mut rng);
        self.generate_with(seed, &mut rng, &choices, window)
    }

    /// Generates one encounter for each combination of variable values
    /// (for checking), with seeds 0, 1, 2 …
    pub fn each_combination(
        &self,
        window: (NaiveDate, NaiveDate),
        limit: usize,
    ) -> Vec<Result<Generated, ScenarioError>> {
        let mut combos: Vec<Vec<usize>> = vec![Vec::new()];
        for v in &self.spec.variables {
            combos = combos
                .iter()
                .flat_map(|c| (0..v.choices.len()).map(move |i| [c.clone(), vec![i]].concat()))
                .collect();
            if combos.len() > limit {
                break;
            }
        }
        combos
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(seed, idx)| {
                let mut rng = self.rng(seed as u64);
                // Variables past the enumerated ones (when the limit cut the
                // product short) take their seeded pick.
                let mut choices = self.pick(&mut rng);
                for (slot, &i) in choices.iter_mut().zip(&idx) {
                    slot.1 = i;
                }
                self.generate_with(seed as u64, &mut rng, &choices, window)
            })
            .collect()
    }

    fn rng(&self, seed: u64) -> ChaCha8Rng {
        let digest = Sha256::digest(
            format!("{}\u{0}{}\u{0}{seed}", self.spec.id, self.spec.version).as_bytes(),
        );
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&digest);
        ChaCha8Rng::from_seed(bytes)
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> Vec<(String, usize)> {
        self.spec
            .variables
            .iter()
            .map(|v| {
                let total: u32 = v.choices.iter().map(|c| c.weight.max(1)).sum();
                let mut roll = rng.random_range(0..total.max(1));
                let idx = v.choices.iter().position(|c| {
                    let w = c.weight.max(1);
                    if roll < w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                });
                (v.name.clone(), idx.unwrap_or(0))
            })
            .collect()
    }

    fn generate_with(
        &self,
        seed: u64,
        rng: &mut ChaCha8Rng,
        choices: &[(String, usize)],
        window: (NaiveDate, NaiveDate),
    ) -> Result<Generated, ScenarioError> {
        let s = &self.spec;
        let span = (window.1 - window.0).num_days().max(0) as u64;
        let dos = window.0 + chrono::Days::new(rng.random_range(0..=span));
        let patient = patient::patient(rng, &s.sex, s.age, dos);
        let provider = patient::provider(rng);
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        let mut ctx_map: BTreeMap<String, Value> = BTreeMap::new();
        for (name, idx) in choices {
            let var = s.variables.iter().find(|v| &v.name == name);
            let Some(choice) = var.and_then(|v| v.choices.get(*idx)) else {
                continue;
            };
            vars.insert(name.clone(), choice.value.clone());
            ctx_map.insert(name.clone(), Value::from(choice.value.clone()));
            for (k, v) in &choice.set {
                ctx_map.insert(k.clone(), Value::from(v.clone()));
            }
        }
        let vitals = vitals(rng, patient.age, &s.record.vitals);
        ctx_map.insert("patient".into(), Value::from_serialize(&patient));
        ctx_map.insert("provider".into(), Value::from_serialize(&provider));
        ctx_map.insert("vitals".into(), Value::from_serialize(&vitals));
        ctx_map.insert(
            "encounter".into(),
            Value::from_serialize(serde_json::json!({
                "date": dos.to_string(),
                "date_long": dos.format("%B %-d, %Y").to_string(),
                "pos": s.pos,
                "payer": s.payer,
            })),
        );
        // Standing may depend on the variables; the history then feeds the documents.
        let first_pass = Value::from(ctx_map.clone());
        let standing = match &s.record.standing {
            Some(_) => Some(self.render("standing", &first_pass)?),
            None => None,
        };
        if let Some(st) = standing
            .as_deref()
            .filter(|st| *st != "new" && *st != "established")
        {
            return Err(ScenarioError {
                file: self.file.clone(),
                line: None,
                cause: format!("record.standing rendered {st:?}, not new or established"),
            });
        }
        let visit_history = standing
            .as_deref()
            .map(|st| history(rng, st, dos, &provider, &s.specialty))
            .unwrap_or_default();
        if let Some(last) = visit_history.first() {
            let months = ((dos - last.date).num_days() / 30).max(1);
            ctx_map.insert(
                "last_visit".into(),
                Value::from_serialize(serde_json::json!({
                    "date": last.date.to_string(),
                    "months_ago": months,
                    "reason": last.reason,
                })),
            );
        }
        ctx_map.insert("visits".into(), Value::from_serialize(&visit_history));
        let results = self.results(rng, ctx_map.clone())?;
        ctx_map.insert("results".into(), Value::from_serialize(&results));
        let ctx = Value::from(ctx_map);
        let render_list = |offset: usize, items: &[String]| -> Result<Vec<String>, ScenarioError> {
            (0..items.len())
                .map(|i| self.render(&format!("record{}", offset + i), &ctx))
                .filter(|r| !matches!(r, Ok(s) if s.is_empty()))
                .collect()
        };
        let problems = render_list(0, &s.record.problems)?;
        let medications = render_list(s.record.problems.len(), &s.record.medications)?;
        let allergies = render_list(
            s.record.problems.len() + s.record.medications.len(),
            &s.record.allergies,
        )?;
        let mut documents = Vec::new();
        for (i, d) in s.documents.iter().enumerate() {
            if self.when(&format!("doc{i}.when"), d.when.is_some(), &ctx)? {
                documents.push(Document {
                    kind: d.kind.clone(),
                    title: self.render(&format!("doc{i}.title"), &ctx)?,
                    text: self.render(&format!("doc{i}"), &ctx)?,
                });
            }
        }
        // The key, from the same facts.
        let mut dx_ids: Vec<String> = Vec::new();
        let mut diagnoses = Vec::new();
        let mut notes = Vec::new();
        for (i, r) in s.key.diagnoses.iter().enumerate() {
            if !self.when(&format!("dx{i}.when"), r.when.is_some(), &ctx)? {
                continue;
            }
            let code = normalize_icd(&self.render(&format!("dx{i}"), &ctx)?);
            dx_ids.push(r.id.clone());
            notes.push(KeyDiagnosis {
                code: code.clone(),
                alternates: r.alternates.iter().map(|a| normalize_icd(a)).collect(),
                rationale: self.render(&format!("dx{i}.why"), &ctx)?,
                guideline: r.guideline.clone(),
            });
            diagnoses.push(code);
        }
        let mut lines = Vec::new();
        for (i, l) in s.key.lines.iter().enumerate() {
            if !self.when(&format!("line{i}.when"), l.when.is_some(), &ctx)? {
                continue;
            }
            let code = self.render(&format!("line{i}"), &ctx)?.to_ascii_uppercase();
            let units_text = self.render(&format!("line{i}.units"), &ctx)?;
            let units: u32 = units_text.parse().map_err(|_| ScenarioError {
                file: self.file.clone(),
                line: None,
                cause: format!("line {code}: units {units_text:?} is not a whole number"),
            })?;
            let mut modifiers = Vec::new();
            for j in 0..l.modifiers.len() {
                let m = self
                    .render(&format!("line{i}.mod{j}"), &ctx)?
                    .to_ascii_uppercase();
                if !m.is_empty() {
                    modifiers.push(m);
                }
            }
            let mut pointers = Vec::new();
            for p in &l.pointers {
                if let Some(pos) = dx_ids.iter().position(|id| id == p) {
                    pointers.push(char::from(b'A' + pos as u8).to_string());
                }
            }
            lines.push(KeyLine {
                code,
                modifiers,
                units,
                pointers,
                pos: s.pos.clone(),
                alternates: l.alternates.clone(),
                rationale: self.render(&format!("line{i}.why"), &ctx)?,
                guideline: l.guideline.clone(),
            });
        }
        let key = AnswerKey {
            date_of_service: dos,
            patient: KeyPatient {
                sex: patient.sex.clone(),
                birth_date: patient.birth_date,
            },
            diagnoses,
            lines,
            diagnosis_notes: notes,
        };
        let encounter = Encounter {
            scenario_id: s.id.clone(),
            scenario_version: s.version,
            seed,
            title: s.title.clone(),
            specialty: s.specialty.clone(),
            synthetic: true,
            date_of_service: dos,
            place_of_service: s.pos.clone(),
            payer: s.payer.clone(),
            patient,
            provider,
            variables: vars,
            vitals,
            problems,
            medications,
            allergies,
            results,
            standing,
            visit_history,
            documents,
        };
        Ok(Generated { encounter, key })
    }
}

impl Scenario {
    /// Renders or draws the structured results, flagging values outside the
    /// reference interval.
    fn results(
        &self,
        rng: &mut ChaCha8Rng,
        mut ctx_map: BTreeMap<String, Value>,
    ) -> Result<Vec<LabResult>, ScenarioError> {
        let mut out = Vec::new();
        let mut lab: BTreeMap<String, Value> = BTreeMap::new();
        for (i, r) in self.spec.record.results.iter().enumerate() {
            ctx_map.insert("lab".into(), Value::from(lab.clone()));
            let ctx = &Value::from(ctx_map.clone());
            if !self.when(&format!("result{i}.when"), r.when.is_some(), ctx)? {
                continue;
            }
            let value = match r.draw {
                Some([lo, hi]) => {
                    let x = if hi > lo {
                        rng.random_range(lo..=hi)
                    } else {
                        lo
                    };
                    format!("{x:.*}", r.decimals as usize)
                }
                None => self.render(&format!("result{i}"), ctx)?,
            };
            let (reference, flag) = match r.normal {
                Some([lo, hi]) => {
                    let shown = |x: f64| format!("{x:.*}", r.decimals as usize);
                    let flag = match value.parse::<f64>() {
                        Ok(x) if x < lo => "L",
                        Ok(x) if x > hi => "H",
                        _ => "",
                    };
                    (format!("{}–{}", shown(lo), shown(hi)), flag.to_owned())
                }
                None => (r.reference.clone().unwrap_or_default(), String::new()),
            };
            if let Some(id) = &r.id {
                let v = value
                    .parse::<f64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(value.clone()));
                lab.insert(id.clone(), v);
            }
            out.push(LabResult {
                panel: r.panel.clone(),
                name: r.name.clone(),
                loinc: r.loinc.clone(),
                value,
                unit: r.unit.clone(),
                reference,
                flag,
            });
        }
        Ok(out)
    }
}

/// Prior visits consistent with the patient's standing: an established
/// patient was seen by the group within three years; a new patient never, or
/// only longer ago than that.
fn history(
    rng: &mut ChaCha8Rng,
    standing: &str,
    dos: NaiveDate,
    provider: &Provider,
    specialty: &str,
) -> Vec<PriorVisit> {
    let reasons = ["Annual examination", "Follow-up visit", "Acute visit"];
    let mut visits = Vec::new();
    if standing == "established" {
        let n = rng.random_range(1..=3);
        for _ in 0..n {
            let days_ago = rng.random_range(30..(3 * 365 - 10));
            visits.push(PriorVisit {
                date: dos - chrono::Days::new(days_ago),
                provider: format!("{}, {}", provider.name, provider.credential),
                specialty: specialty.to_owned(),
                reason: reasons[rng.random_range(0..reasons.len())].to_owned(),
            });
        }
    } else if rng.random_bool(0.3) {
        // Seen long ago: still a new patient under the three-year rule.
        visits.push(PriorVisit {
            date: dos - chrono::Days::new(rng.random_range(3 * 365 + 30..6 * 365)),
            provider: format!("{}, {}", provider.name, provider.credential),
            specialty: specialty.to_owned(),
            reason: reasons[0].to_owned(),
        });
    }
    visits.sort_by_key(|v| std::cmp::Reverse(v.date));
    visits
}

/// An ICD-10-CM code with its dot after the third character, upper case.
fn normalize_icd(code: &str) -> String {
    crate::codes::CodeKey::parse(code)
        .map(|k| k.dotted())
        .unwrap_or_else(|_| code.trim().to_owned())
}

fn vitals(rng: &mut ChaCha8Rng, age: u32, overrides: &BTreeMap<String, String>) -> Vitals {
    let adult = age >= 13;
    let pick = |rng: &mut ChaCha8Rng, lo: u32, hi: u32| rng.random_range(lo..=hi).to_string();
    let mut v = Vitals {
        temperature_f: format!(
            "{:.1}",
            97.6 + f64::from(rng.random_range(0..=12u32)) / 10.0
        ),
        heart_rate: if adult {
            pick(rng, 62, 92)
        } else {
            pick(rng, 80, 120)
        },
        respiratory_rate: if adult {
            pick(rng, 12, 18)
        } else {
            pick(rng, 18, 28)
        },
        blood_pressure: if adult {
            format!(
                "{}/{}",
                rng.random_range(108..=134u32),
                rng.random_range(66..=84u32)
            )
        } else {
            format!(
                "{}/{}",
                rng.random_range(92..=110u32),
                rng.random_range(56..=70u32)
            )
        },
        spo2: pick(rng, 96, 99),
        weight_lb: if age >= 18 {
            pick(rng, 118, 230)
        } else {
            ((age.max(1) * 5) + 15 + rng.random_range(0..10u32)).to_string()
        },
    };
    for (k, val) in overrides {
        match k.as_str() {
            "temperature_f" => v.temperature_f = val.clone(),
            "heart_rate" => v.heart_rate = val.clone(),
            "respiratory_rate" => v.respiratory_rate = val.clone(),
            "blood_pressure" => v.blood_pressure = val.clone(),
            "spo2" => v.spo2 = val.clone(),
            "weight_lb" => v.weight_lb = val.clone(),
            _ => {}
        }
    }
    v
}

/// Checks a generated key against the code sets: every diagnosis valid and
/// billable on the date of service, every procedure known, every pointer
/// pointing at a listed diagnosis.
pub fn check_key(g: &Generated, codes: &CodeSets) -> Vec<String> {
    let mut problems = Vec::new();
    let dos = g.key.date_of_service;
    if g.key.diagnoses.is_empty() {
        problems.push("the key lists no diagnosis".to_owned());
    }
    if g.key.lines.is_empty() {
        problems.push("the key lists no service line".to_owned());
    }
    for code in g
        .key
        .diagnoses
        .iter()
        .chain(g.key.diagnosis_notes.iter().flat_map(|n| &n.alternates))
    {
        if let Err(p) = codes.validate_icd10cm(code, dos) {
            problems.push(format!("diagnosis {code}: {}", p.code()));
        }
    }
    for line in &g.key.lines {
        if let Err(p) = codes.procedures.validate(&line.code, dos) {
            problems.push(format!("line {}: {}", line.code, p.code()));
        }
        if line.pointers.is_empty() {
            problems.push(format!("line {}: no diagnosis pointer", line.code));
        }
        let proc = crate::codes::CodeKey::parse(&line.code)
            .ok()
            .and_then(|k| codes.procedures.get(k));
        if let Some(proc) = proc {
            for m in &line.modifiers {
                if let Err(e) = codes.modifiers.fits(m, proc) {
                    problems.push(format!("line {} modifier {m}: {e:?}", line.code));
                }
            }
        }
    }
    problems
}

/// Loads every `*.toml` under a directory (recursively), returning the
/// scenarios that parsed and the errors of those that did not.
pub fn load_dir(dir: &Path) -> (Vec<Scenario>, Vec<ScenarioError>) {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        match std::fs::read_to_string(&path) {
            Ok(text) => match Scenario::parse(&rel, &text) {
                Ok(s) if ok.iter().any(|o: &Scenario| o.spec.id == s.spec.id) => {
                    errors.push(ScenarioError {
                        file: rel,
                        line: None,
                        cause: format!(
                            "scenario id {:?} is already used by another file",
                            s.spec.id
                        ),
                    })
                }
                Ok(s) => ok.push(s),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(ScenarioError {
                file: rel,
                line: None,
                cause: e.to_string(),
            }),
        }
    }
    (ok, errors)
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}
