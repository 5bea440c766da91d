//! The `practicum` command: serve, migrate, seed the demo, create an administrator.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use practicum::config::{RawSettings, Settings};
use practicum::service::demo;
use practicum::startup::{Application, BuildOptions, prepare_database};
use practicum::{auth, store, telemetry};

/// Practicum: a simulated EHR practicum sandbox for medical-coding education.
///
/// Every option can also be set by the environment variable shown in its help;
/// the command line wins. PRACTICUM_JWT_SECRET is read from the environment only.
#[derive(Debug, Parser)]
#[command(name = "practicum", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    settings: RawSettings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (applies pending migrations first).
    Serve {
        /// On an empty database, seed the demo program, cohort and accounts.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Seed the demo program, cohort and accounts (skipped if already there).
    SeedDemo,
    /// Code sets: what is loaded, and importing official files.
    Codeset {
        #[command(subcommand)]
        action: CodesetAction,
    },
    /// Scenario library: list and check the scenario files.
    Scenarios {
        #[command(subcommand)]
        action: ScenariosAction,
        /// Directory holding the scenario files.
        #[arg(
            long,
            env = "PRACTICUM_SCENARIOS_DIR",
            default_value = "scenarios",
            global = true
        )]
        dir: std::path::PathBuf,
    },
    /// Generate encounters: one to stdout (`--scenario ID --seed N [--json]`,
    /// no database), or a bulk run stored for a cohort (`--cohort ID --count N`).
    Generate {
        /// Scenario id (single encounter to stdout).
        #[arg(long, required_unless_present = "cohort", conflicts_with_all = ["cohort", "count", "areas", "difficulties"])]
        scenario: Option<String>,
        /// Seed: the same scenario, version and seed give the same encounter
        /// (single: default 1; bulk: the run's seed, random when omitted).
        #[arg(long)]
        seed: Option<u64>,
        /// Print `{"encounter": …, "key": …}` as JSON (single encounter).
        #[arg(long, requires = "scenario")]
        json: bool,
        /// Cohort to generate for (bulk run, stored in the database).
        #[arg(long, requires = "count")]
        cohort: Option<i64>,
        /// Encounters to generate in the bulk run (up to 50,000).
        #[arg(long, requires = "cohort")]
        count: Option<u32>,
        /// Only this area (repeatable), e.g. `--area orthopedics`.
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Only this difficulty (repeatable): foundation, intermediate, advanced.
        #[arg(long = "difficulty")]
        difficulties: Vec<String>,
        /// Directory holding the scenario files.
        #[arg(long, env = "PRACTICUM_SCENARIOS_DIR", default_value = "scenarios")]
        dir: std::path::PathBuf,
    },
    /// Claims: run the edits on a claim file.
    Claim {
        #[command(subcommand)]
        action: ClaimAction,
    },
    /// Create a program administrator (and the program, if new) for a real deployment.
    CreateAdmin {
        /// The administrator's e-mail.
        #[arg(long)]
        email: String,
        /// The administrator's display name.
        #[arg(long)]
        name: String,
        /// The program to administer; created with the given requirements if it does not exist.
        #[arg(long)]
        program: String,
        /// PPE hours required, for a new program.
        #[arg(long, default_value_t = 40)]
        ppe_hours: i64,
        /// Pass threshold in percent, for a new program.
        #[arg(long, default_value_t = 80)]
        pass_threshold: i64,
        /// Read the password from standard input instead of PRACTICUM_ADMIN_PASSWORD.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ClaimAction {
    /// Run the claim edits on a claim JSON file (`-` reads stdin); exits 1
    /// when an error-level finding is reported.
    Check {
        /// The claim in interchange JSON.
        file: std::path::PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score a claim against an answer key: the object `generate --json`
    /// prints, or its `key` alone. Exits 1 when the claim does not pass.
    Score {
        /// The claim in interchange JSON (`-` reads stdin).
        file: std::path::PathBuf,
        /// The key JSON.
        #[arg(long)]
        key: std::path::PathBuf,
        /// A scoring policy JSON (weights, near-miss credit, penalties,
        /// pass threshold); omitted fields keep their defaults.
        #[arg(long)]
        policy: Option<std::path::PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ScenariosAction {
    /// List the scenarios that load.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Validate the whole library: every file parses, every variable combination
    /// (or 2,000 of them) renders, and every key code is valid and billable.
    Check,
}

#[derive(Debug, Subcommand)]
enum CodesetAction {
    /// Per system: release, effective period, billable and header counts, notes parsed/unparsed.
    Info {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Import an official file beside the shipped data. The file is checked
    /// completely first; a bad file names the line and field and changes nothing.
    Import {
        /// icd10cm (CMS tabular XML, plain or .gz), hcpcs (CMS quarterly fixed-width file),
        /// cpt (licensed code<TAB>descriptor file), ncci-ptp (CMS PTP .txt), ncci-mue (CMS MUE .csv).
        system: String,
        /// The file to import.
        file: std::path::PathBuf,
        /// A name for the release, e.g. "ICD-10-CM FY2027".
        #[arg(long)]
        release_name: Option<String>,
        /// First date of service the release covers (YYYY-MM-DD; required for icd10cm).
        #[arg(long)]
        effective_from: Option<chrono::NaiveDate>,
        /// Last date of service the release covers (YYYY-MM-DD; required for icd10cm).
        #[arg(long)]
        effective_to: Option<chrono::NaiveDate>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_raw(cli.settings.with_env_secret()) {
        Ok(s) => s,
        Err(errors) => {
            eprintln!("practicum: invalid configuration:");
            for e in errors {
                eprintln!("  - {e}");
            }
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log, settings.log_format);
    let result = actix_web::rt::System::new().block_on(run(cli.command, settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("practicum: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => {
            let app = Application::build(&settings, BuildOptions { demo }).await?;
            tracing::info!(
                address = %settings.bind,
                port = app.port(),
                database = %settings.database.describe(),
                "Practicum is listening; open http://{}/",
                settings.bind
            );
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate => {
            prepare_database(&settings, false).await?;
            eprintln!("migrations applied to {}", settings.database.describe());
        }
        Command::SeedDemo => {
            let (pool, outcome) = prepare_database(&settings, true).await?;
            match outcome {
                Some(demo::SeedOutcome::Seeded) => {
                    let dir = settings.scenarios_dir.clone();
                    let made = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
                        let mut conn = pool.get()?;
                        let codes = practicum::service::codesets::load(&mut conn)?;
                        let library =
                            practicum::scenarios::library::Library::load(&dir, &codes, 32);
                        Ok(demo::seed_encounters(&mut conn, &library)?)
                    })
                    .await??;
                    eprint!("{}", demo::announcement());
                    eprintln!("{made} demo encounters generated");
                }
                _ => eprintln!("the database already holds programs; demo data not seeded"),
            }
        }
        Command::Codeset { action } => codeset(action, &settings).await?,
        Command::Claim { action } => claim(action)?,
        Command::Scenarios { action, dir } => scenarios(action, &dir)?,
        Command::Generate {
            scenario,
            seed,
            json,
            cohort,
            count,
            areas,
            difficulties,
            dir,
        } => match (scenario, cohort, count) {
            (Some(scenario), _, _) => generate(&dir, &scenario, seed.unwrap_or(1), json)?,
            (None, Some(cohort), Some(count)) => {
                let req = practicum::scenarios::library::GenerationRequest {
                    scenarios: Vec::new(),
                    count,
                    areas,
                    difficulties,
                    seed: seed.unwrap_or_else(|| rand::random::<u64>() >> 1),
                };
                generate_bulk(&settings, &dir, cohort, req).await?
            }
            _ => anyhow::bail!("give --scenario ID, or --cohort ID with --count N"),
        },
        Command::CreateAdmin {
            email,
            name,
            program,
            ppe_hours,
            pass_threshold,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text.trim_end_matches(['\r', '\n']).to_owned()
            } else {
                std::env::var("PRACTICUM_ADMIN_PASSWORD").map_err(|_| {
                    anyhow::anyhow!(
                        "give the password in PRACTICUM_ADMIN_PASSWORD or with --password-stdin"
                    )
                })?
            };
            let (pool, _) = prepare_database(&settings, false).await?;
            actix_web::rt::task::spawn_blocking(move || {
                create_admin(
                    &pool,
                    &email,
                    &name,
                    &program,
                    ppe_hours,
                    pass_threshold,
                    &password,
                )
            })
            .await??;
        }
    }
    Ok(())
}

fn create_admin(
    pool: &store::Pool,
    email: &str,
    name: &str,
    program: &str,
    ppe_hours: i64,
    pass_threshold: i64,
    password: &str,
) -> anyhow::Result<()> {
    use practicum::practicum::accounts::{check_new_password, parse_display_name, parse_email};
    use practicum::practicum::programs::ProgramSpec;
    let email = parse_email(email)?;
    let name = parse_display_name(name)?;
    check_new_password(password)?;
    let spec = ProgramSpec::parse(program, ppe_hours, pass_threshold)?;
    let mut conn = pool.get()?;
    let program = match store::programs::find_by_name(&mut conn, &spec.name)? {
        Some(p) => p,
        None => store::programs::insert(
            &mut conn,
            &store::programs::ProgramFields {
                name: spec.name.clone(),
                ppe_hours_required: spec.ppe_hours_required,
                pass_threshold_pct: spec.pass_threshold_pct,
            },
            None,
        )?,
    };
    let user = store::users::insert(
        &mut conn,
        store::users::NewUser {
            email,
            display_name: name,
            role: "program_admin".into(),
            credential: None,
            program_id: program.id,
            password_hash: auth::password::hash(password)?,
        },
    )
    .map_err(|e| match e {
        store::StoreError::Conflict(_) => {
            anyhow::anyhow!("an account with this e-mail already exists")
        }
        other => other.into(),
    })?;
    eprintln!(
        "created program administrator {} (id {}) for {:?}",
        user.email, user.id, program.name
    );
    Ok(())
}

async fn codeset(action: CodesetAction, settings: &Settings) -> anyhow::Result<()> {
    let (pool, _) = prepare_database(settings, false).await?;
    match action {
        CodesetAction::Info { json } => {
            let info = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = pool.get()?;
                Ok(practicum::service::codesets::load(&mut conn)?.info())
            })
            .await??;
            if json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                print_info(&info);
            }
        }
        CodesetAction::Import {
            system,
            file,
            release_name,
            effective_from,
            effective_to,
        } => {
            use practicum::codes::imports::{ImportFile, ImportKind};
            let kind: ImportKind = system
                .parse()
                .map_err(|e: String| anyhow::anyhow!("system: {e}"))?;
            let bytes =
                std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let text = practicum::codes::icd10cm::load::maybe_gunzip(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let lines = text.lines().count();
            let release_name = release_name.unwrap_or_else(|| {
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            let import = ImportFile {
                kind,
                release_name,
                effective_from,
                effective_to,
                text,
            };
            let bar = indicatif::ProgressBar::new(lines as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} lines ({eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(format!("checking {}", file.display()));
            let progress_bar = bar.clone();
            let result = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = pool.get()?;
                practicum::service::codesets::import(&mut conn, import, |i| {
                    if i % 512 == 0 {
                        progress_bar.set_position(i as u64);
                    }
                })
            })
            .await?;
            match result {
                Ok(done) => {
                    bar.finish_with_message("imported");
                    eprintln!(
                        "imported {} as import #{}: {} rows; restart the server to use it",
                        file.display(),
                        done.id,
                        done.rows
                    );
                }
                Err(e) => {
                    bar.abandon_with_message("refused");
                    anyhow::bail!("{}: {e}; nothing was imported", file.display());
                }
            }
        }
    }
    Ok(())
}

fn print_info(info: &practicum::codes::CodeSetInfo) {
    for r in &info.icd10cm {
        let s = &r.stats;
        println!("ICD-10-CM  {}", r.release.name);
        println!(
            "  effective      {} to {}",
            r.release.effective_from, r.release.effective_to
        );
        println!("  billable       {}", s.billable);
        println!(
            "  headers        {} (categories and subcategories with children, and codes needing a 7th character)",
            s.headers
        );
        println!(
            "  chapters       {}   sections {}   categories {}",
            s.chapters, s.sections, s.categories
        );
        println!(
            "  notes          {} ({} with code references parsed, {} with compound references reported unparsed)",
            s.notes, s.notes_with_refs_parsed, s.notes_with_refs_unparsed
        );
    }
    println!(
        "CPT        {} codes ({} with licensed AMA text; the rest carry Practicum's own descriptions)",
        info.cpt_codes, info.cpt_codes_with_licensed_text
    );
    println!("HCPCS      {} Level II codes", info.hcpcs_codes);
    println!("Modifiers  {}", info.modifiers);
    println!("POS        {} places of service", info.places_of_service);
    println!(
        "NCCI       {} PTP edits, {} MUEs",
        info.ncci_ptp_edits, info.ncci_mues
    );
}

fn window(
    codes: &practicum::codes::CodeSets,
) -> anyhow::Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let t = codes
        .icd10cm_latest()
        .ok_or_else(|| anyhow::anyhow!("no ICD-10-CM release loaded"))?;
    Ok((t.release.effective_from, t.release.effective_to))
}

fn scenarios(action: ScenariosAction, dir: &std::path::Path) -> anyhow::Result<()> {
    let (loaded, errors) = practicum::scenarios::load_dir(dir);
    match action {
        ScenariosAction::List { json } => {
            if json {
                let list: Vec<_> = loaded
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.spec.id, "version": s.spec.version, "title": s.spec.title,
                            "specialty": s.spec.specialty, "difficulty": s.spec.difficulty,
                            "pos": s.spec.pos, "minutes": s.spec.minutes, "combinations": s.combinations(),
                            "file": s.file,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in &loaded {
                    println!(
                        "{:<32} v{:<3} {:<15} {:<12} {}",
                        s.spec.id,
                        s.spec.version,
                        s.spec.specialty,
                        s.spec.difficulty,
                        s.spec.title
                    );
                }
            }
            for e in &errors {
                eprintln!("not loaded: {e}");
            }
        }
        ScenariosAction::Check => {
            let codes = practicum::codes::CodeSets::shipped()?;
            let window = window(&codes)?;
            let mut failures: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            for s in &loaded {
                let (checked, problems) =
                    practicum::scenarios::library::check_scenario(s, &codes, window, 2000);
                eprintln!(
                    "{:<32} {} combinations checked, {} problems",
                    s.spec.id,
                    checked,
                    problems.len()
                );
                failures.extend(problems.into_iter().map(|p| format!("{}: {p}", s.file)));
            }
            if !failures.is_empty() {
                for f in failures.iter().take(50) {
                    eprintln!("  {f}");
                }
                anyhow::bail!("{} problems in the scenario library", failures.len());
            }
            eprintln!("scenario library OK: {} scenarios", loaded.len());
        }
    }
    Ok(())
}

fn read_input(file: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
    }
}

fn parse_file<T: serde::de::DeserializeOwned>(
    file: &std::path::Path,
    bytes: &[u8],
) -> anyhow::Result<T> {
    practicum::api::extract::parse_json(bytes).map_err(|e| {
        let field = e
            .field()
            .map(|f| format!(" (field {f})"))
            .unwrap_or_default();
        anyhow::anyhow!("{}: {e}{field}", file.display())
    })
}

fn claim(action: ClaimAction) -> anyhow::Result<()> {
    use practicum::claims::edits::{EditConfig, run};
    let (file, json) = match &action {
        ClaimAction::Check { file, json } | ClaimAction::Score { file, json, .. } => {
            (file.clone(), *json)
        }
    };
    let claim: practicum::claims::Claim = parse_file(&file, &read_input(&file)?)?;
    let claim = claim
        .normalized()
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let codes = practicum::codes::CodeSets::shipped()?;
    let findings = run(&claim, &codes, &EditConfig::shipped()?);
    match action {
        ClaimAction::Check { .. } => {
            let report = practicum::service::claims::report(findings);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if report.findings.is_empty() {
                println!("no findings: the claim passes every edit");
            } else {
                for f in &report.findings {
                    println!(
                        "{:<8} {:<24} {}",
                        format!("{:?}", f.severity).to_lowercase(),
                        f.rule,
                        f.message
                    );
                    println!("{:<33} see {}", "", f.reference);
                }
                println!(
                    "{} errors, {} warnings, {} infos",
                    report.counts.error, report.counts.warning, report.counts.info
                );
            }
            if !report.clean {
                std::process::exit(1);
            }
        }
        ClaimAction::Score { key, policy, .. } => {
            let raw: serde_json::Value = parse_file(&key, &read_input(&key)?)?;
            let key_value = raw.get("key").cloned().unwrap_or(raw);
            let answer: practicum::scenarios::AnswerKey = serde_json::from_value(key_value)
                .map_err(|e| anyhow::anyhow!("{}: not an answer key: {e}", key.display()))?;
            let policy: practicum::claims::scoring::ScoringPolicy = match policy {
                Some(p) => parse_file(&p, &read_input(&p)?)?,
                None => Default::default(),
            };
            let report = practicum::claims::scoring::score(&claim, &answer, &policy, &findings);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for e in &report.elements {
                    let at = e.line.map(|l| format!(" {l}")).unwrap_or_default();
                    println!(
                        "{:>6.1}/{:<5.1} {:<16} {}",
                        e.earned,
                        e.possible,
                        format!("{}{at}", e.element),
                        e.explanation
                    );
                }
                println!(
                    "score {:.1}% ({}; pass at {:.0}%) · code accuracy {:.1}% · line accuracy {:.1}% · claim accuracy {:.0}% · engine {}",
                    report.total,
                    if report.passed { "pass" } else { "fail" },
                    report.pass_threshold,
                    report.code_accuracy,
                    report.line_accuracy,
                    report.claim_accuracy,
                    report.engine_version
                );
            }
            if !report.passed {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

/// Generates a bulk run into a cohort with a progress bar.
async fn generate_bulk(
    settings: &Settings,
    dir: &std::path::Path,
    cohort_id: i64,
    req: practicum::scenarios::library::GenerationRequest,
) -> anyhow::Result<()> {
    use practicum::scenarios::library::Library;
    use practicum::store::ehr;
    if req.seed > i64::MAX as u64 {
        anyhow::bail!("seed: must be below 2^63");
    }
    let (pool, _) = prepare_database(settings, false).await?;
    let dir = dir.to_path_buf();
    let bar = indicatif::ProgressBar::new(u64::from(req.count));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} encounters ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("loading scenarios");
    let progress = bar.clone();
    let started = std::time::Instant::now();
    let (run, outcome) = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = pool.get()?;
        practicum::store::cohorts::find(&mut conn, cohort_id)
            .map_err(|_| anyhow::anyhow!("cohort: no cohort with id {cohort_id}"))?;
        let codes = practicum::service::codesets::load(&mut conn)?;
        let library = Library::load(&dir, &codes, 32);
        for e in &library.rejected {
            eprintln!("scenario not used: {e}");
        }
        let plan = library.plan(&req).map_err(|e| anyhow::anyhow!("{e}"))?;
        let run = ehr::open_run(
            &mut conn,
            &ehr::NewRun {
                cohort_id,
                requested_by: None,
                seed: req.seed as i64,
                requested: req.count as i32,
                areas: req.areas.join(","),
                difficulties: req.difficulties.join(","),
            },
        )?;
        progress.set_message("generating");
        let outcome = practicum::service::ehr::store_plan(&mut conn, &library, &run, &plan, |n| {
            progress.inc(n as u64)
        })?;
        Ok((run, outcome))
    })
    .await??;
    bar.finish_with_message("done");
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "run #{} (seed {}): {} encounters created, {} already present, in {:.1} s ({:.0}/s)",
        run.id,
        run.seed,
        outcome.created.len(),
        outcome.skipped,
        secs,
        outcome.created.len() as f64 / secs.max(0.001)
    );
    Ok(())
}

fn generate(dir: &std::path::Path, id: &str, seed: u64, json: bool) -> anyhow::Result<()> {
    let (loaded, errors) = practicum::scenarios::load_dir(dir);
    let Some(s) = loaded.iter().find(|s| s.spec.id == id) else {
        if let Some(e) = errors.iter().find(|e| e.file.contains(id)) {
            anyhow::bail!("scenario {id:?} failed to load: {e}");
        }
        anyhow::bail!("scenario: no scenario with id {id:?} in {}", dir.display());
    };
    let codes = practicum::codes::CodeSets::shipped()?;
    let g = s
        .generate(seed, window(&codes)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"encounter": g.encounter, "key": g.key})
            )?
        );
    } else {
        println!("{} (seed {seed}) — SYNTHETIC PATIENT", g.encounter.title);
        for d in &g.encounter.documents {
            println!("\n== {} ==\n{}", d.title, d.text);
        }
        println!("\nKey: diagnoses {:?}", g.key.diagnoses);
        for l in &g.key.lines {
            println!(
                "     line {} {:?} x{} -> {:?}",
                l.code, l.modifiers, l.units, l.pointers
            );
        }
    }
    Ok(())
}
