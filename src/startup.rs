//! Builds the application: storage, migrations, optional demo data, keys and
//! the HTTP server. Tests call [`Application::build`] with port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use actix_web_prom::PrometheusMetricsBuilder;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::api::{self, ApiDoc};
use crate::auth::{JwtKeys, password};
use crate::config::Settings;
use crate::error::AppError;
use crate::middleware;
use crate::scenarios::library::Library;
use crate::service::{AppState, demo};
use crate::store::{self, Pool};

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pool: Pool,
}

/// Start-up choices that are not settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Seed the demo data if the database holds no program yet.
    pub demo: bool,
}

/// Opens the database, applies migrations and, if asked, seeds the demo.
pub async fn prepare_database(
    settings: &Settings,
    demo_wanted: bool,
) -> anyhow::Result<(Pool, Option<demo::SeedOutcome>)> {
    let database = settings.database.clone();
    let size = settings.db_pool_size;
    actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
        let pool = store::build_pool(&database, size)?;
        let applied = store::run_migrations(&pool)?;
        if applied > 0 {
            tracing::info!(migrations = applied, "applied database migrations");
        }
        let mut seeded = None;
        if demo_wanted {
            let mut conn = pool.get()?;
            if store::programs::count(&mut conn)? == 0 {
                let hashes = demo::demo_hashes()?;
                let today = chrono::Utc::now().date_naive();
                seeded = Some(demo::seed(&mut conn, today, &hashes)?);
            } else {
                seeded = Some(demo::SeedOutcome::AlreadyPresent);
            }
        }
        Ok((pool, seeded))
    })
    .await?
}

/// The OpenAPI document, collected from the routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(api::v1())
        .split_for_parts();
    doc
}

impl Application {
    /// Prepares storage and binds the listener.
    pub async fn build(settings: &Settings, options: BuildOptions) -> anyhow::Result<Self> {
        let (pool, seeded) = prepare_database(settings, options.demo).await?;
        if seeded == Some(demo::SeedOutcome::Seeded) {
            eprint!("{}", demo::announcement());
        }
        let secret = settings.resolve_jwt_secret()?;
        let decoy = actix_web::rt::task::spawn_blocking(password::decoy_hash).await?;
        let load_pool = pool.clone();
        let scenarios_dir = settings.scenarios_dir.clone();
        let (codes, demo_present, library) =
            actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = load_pool.get()?;
                let demo_present =
                    store::programs::find_by_name(&mut conn, demo::DEMO_PROGRAM)?.is_some();
                let codes = crate::service::codesets::load(&mut conn)?;
                let library = load_library(&scenarios_dir, &codes);
                if seeded == Some(demo::SeedOutcome::Seeded) {
                    let n = demo::seed_encounters(&mut conn, &library)?;
                    tracing::info!(encounters = n, "demo encounters generated");
                }
                Ok((codes, demo_present, library))
            })
            .await??;
        let state = AppState {
            pool: pool.clone(),
            keys: Arc::new(JwtKeys::new(secret.expose(), settings.token_ttl_minutes)),
            csrf_secret: Arc::from(secret.expose()),
            decoy_hash: Arc::from(decoy.as_str()),
            hashing: Arc::new(crate::service::HashGate::for_this_machine()),
            trusted_proxies: Arc::from(settings.trusted_proxies.as_slice()),
            cookie_secure: settings.cookie_secure,
            codes,
            library: Arc::new(library),
            edits: Arc::new(crate::claims::edits::EditConfig::shipped()?),
            demo: demo_present,
        };
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let metrics_token = settings.metrics_token.as_ref().map(|t| t.expose().to_vec());
        let server = run(listener, state, settings.workers, metrics_token)?;
        Ok(Self { port, server, pool })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool (tests inspect storage through it).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Scenario variable combinations checked per scenario at start-up; the
/// test suite and `practicum scenarios check` cover every combination.
const STARTUP_CHECK_COMBINATIONS: usize = 32;

/// Loads and validates the scenario library, saying at start-up which
/// scenarios are not served and why.
fn load_library(dir: &std::path::Path, codes: &crate::codes::CodeSets) -> Library {
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "no scenario directory: no encounters can be generated (set PRACTICUM_SCENARIOS_DIR)");
        return Library::default();
    }
    let library = Library::load(dir, codes, STARTUP_CHECK_COMBINATIONS);
    for e in &library.rejected {
        tracing::error!(scenario = %e, "scenario not served: it failed validation");
        eprintln!("scenario not served: {e}");
    }
    tracing::info!(
        served = library.all().len(),
        rejected = library.rejected.len(),
        dir = %dir.display(),
        "scenario library loaded"
    );
    library
}

fn run(
    listener: TcpListener,
    state: AppState,
    workers: usize,
    metrics_token: Option<Vec<u8>>,
) -> anyhow::Result<Server> {
    let metrics_token = web::Data::new(middleware::MetricsToken(metrics_token));
    let spec = web::Data::new(api::health::OpenApiJson(Arc::from(
        openapi().to_pretty_json()?.as_str(),
    )));
    let metrics = PrometheusMetricsBuilder::new("practicum")
        .endpoint(crate::routes::METRICS_PATH)
        // Paths matching no route share one label, so scanners cannot grow
        // the series without bound.
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .service(api::v1())
            .split_for_parts();
        app.app_data(data.clone())
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                AppError::bad_request(Some("path"), format!("invalid path parameter: {err}")).into()
            }))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                query_error(&err.to_string()).into()
            }))
            .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(|err, _| {
                crate::web::PageError::App(AppError::bad_request(None, format!("the form could not be read: {err}"))).into()
            }))
            .app_data(spec.clone())
            .app_data(metrics_token.clone())
            .configure(|cfg| crate::routes::register(&mut crate::routes::Router::Serve(cfg)))
            .default_service(web::to(crate::web::not_found))
            .wrap(from_fn(middleware::bound_query))
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                         frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                    )),
            )
            .wrap(from_fn(middleware::request_id))
            .wrap(metrics.clone())
            .wrap(from_fn(middleware::guard_metrics))
            .wrap(TracingLogger::default())
    })
    .workers(workers)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Names the query parameter serde complained about, where it can.
fn query_error(message: &str) -> AppError {
    let field = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.split(p).nth(1))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned);
    AppError::BadRequest {
        message: format!("invalid query string: {message}"),
        field,
    }
}
