//! Settings from the environment with command-line overrides, validated once
//! at start-up. Every bad value is reported, each in its own message.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PRACTICUM_BIND` | `127.0.0.1:8080` | address the HTTP server listens on |
//! | `PRACTICUM_DATA_DIR` | `./data` | SQLite database and generated secret |
//! | `PRACTICUM_DATABASE_URL` | `sqlite://<data dir>/practicum.db` | `sqlite://…` or `postgres://…` |
//! | `PRACTICUM_JWT_SECRET` | generated into the data dir (SQLite only) | token signing secret, ≥ 32 bytes |
//! | `PRACTICUM_TOKEN_TTL_MINUTES` | `60` | lifetime of a sign-in token |
//! | `PRACTICUM_COOKIE_SECURE` | `false` | mark the session cookie `Secure` (set behind HTTPS) |
//! | `PRACTICUM_DB_POOL_SIZE` | `8` | pooled database connections |
//! | `PRACTICUM_WORKERS` | number of cores | HTTP worker threads |
//! | `PRACTICUM_LOG` | `info` | log filter (`tracing` directives) |
//! | `PRACTICUM_LOG_FORMAT` | `text` | `text` or `json` |

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use rand::RngCore;

/// The options shared by every command that touches the service's data.
#[derive(Debug, Clone, Default, Args)]
pub struct RawSettings {
    /// Address to listen on.
    #[arg(long, env = "PRACTICUM_BIND", global = true)]
    pub bind: Option<String>,
    /// Directory for the SQLite database and the generated token secret.
    #[arg(long, env = "PRACTICUM_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Directory of scenario files served (default `scenarios`).
    #[arg(long, env = "PRACTICUM_SCENARIOS_DIR", global = true)]
    pub scenarios_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "PRACTICUM_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Token signing secret (at least 32 bytes). Read from the environment only,
    /// so it never shows in a process list.
    #[arg(skip)]
    pub jwt_secret: Option<String>,
    /// Bearer token a metrics scraper presents (at least 16 bytes). Read from
    /// the environment only. Unset: only loopback clients read `/metrics`.
    #[arg(skip)]
    pub metrics_token: Option<String>,
    /// Addresses of the proxies or load balancers in front of this server,
    /// comma-separated; only requests from these have `X-Forwarded-For` read.
    #[arg(long, env = "PRACTICUM_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Lifetime of a sign-in token in minutes (5 to 720).
    #[arg(long, env = "PRACTICUM_TOKEN_TTL_MINUTES", global = true)]
    pub token_ttl_minutes: Option<String>,
    /// Mark the session cookie Secure (true behind HTTPS).
    #[arg(long, env = "PRACTICUM_COOKIE_SECURE", global = true)]
    pub cookie_secure: Option<String>,
    /// Pooled database connections (1 to 64).
    #[arg(long, env = "PRACTICUM_DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<String>,
    /// HTTP worker threads (1 to 64); defaults to the number of cores.
    #[arg(long, env = "PRACTICUM_WORKERS", global = true)]
    pub workers: Option<String>,
    /// Log filter, e.g. `info` or `practicum=debug,actix_web=info`.
    #[arg(long, env = "PRACTICUM_LOG", global = true)]
    pub log: Option<String>,
    /// Log format: text or json.
    #[arg(long, env = "PRACTICUM_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

/// Which database the service stores its records in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (the embedded default).
    Sqlite(PathBuf),
    /// A PostgreSQL server, by libpq URL.
    Postgres(String),
}

impl Database {
    /// Parses a `sqlite://` or `postgres://` URL.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("PRACTICUM_DATABASE_URL: sqlite:// needs a file path".into());
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_owned()))
        } else {
            Err(format!(
                "PRACTICUM_DATABASE_URL: unsupported scheme in {:?}; use sqlite://PATH or postgres://…",
                redact(url)
            ))
        }
    }

    /// A description safe to log (no password).
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => format!("SQLite at {}", path.display()),
            Database::Postgres(url) => format!("PostgreSQL at {}", redact(url)),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The token signing secret; never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The raw bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub bind: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Scenario files served.
    pub scenarios_dir: PathBuf,
    /// Storage backend.
    pub database: Database,
    /// Secret from the environment, if one was given.
    pub jwt_secret: Option<Secret>,
    /// Sign-in token lifetime in minutes.
    pub token_ttl_minutes: i64,
    /// Whether the session cookie is marked Secure.
    pub cookie_secure: bool,
    /// Pool size.
    pub db_pool_size: u32,
    /// HTTP workers.
    pub workers: usize,
    /// Log filter directives.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Token a metrics scraper presents, if one is configured.
    pub metrics_token: Option<Secret>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// Shortest accepted metrics token.
const MIN_METRICS_TOKEN_BYTES: usize = 16;

/// Smallest accepted signing secret.
const MIN_SECRET_BYTES: usize = 32;

impl RawSettings {
    /// Reads the options that are environment-only.
    pub fn with_env_secret(mut self) -> Self {
        self.jwt_secret = std::env::var("PRACTICUM_JWT_SECRET").ok();
        self.metrics_token = std::env::var("PRACTICUM_METRICS_TOKEN").ok();
        self
    }
}

impl Settings {
    /// Validates every value, returning one message per bad value.
    pub fn from_raw(raw: RawSettings) -> Result<Self, Vec<String>> {
        let mut errors = Vec::new();

        let bind = keep(
            &mut errors,
            raw.bind
                .as_deref()
                .unwrap_or("127.0.0.1:8080")
                .parse::<SocketAddr>()
                .map_err(|_| {
                    format!(
                        "PRACTICUM_BIND: {:?} is not an address like 127.0.0.1:8080",
                        raw.bind.clone().unwrap_or_default()
                    )
                }),
        );
        let data_dir = raw
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database = keep(
            &mut errors,
            match raw.database_url.as_deref() {
                Some(url) => Database::from_url(url),
                None => Ok(Database::Sqlite(data_dir.join("practicum.db"))),
            },
        );
        let jwt_secret = keep(
            &mut errors,
            match raw.jwt_secret.as_deref() {
                None => Ok(None),
                Some(s) if s.len() < MIN_SECRET_BYTES => Err(format!(
                    "PRACTICUM_JWT_SECRET: must be at least {MIN_SECRET_BYTES} bytes (got {})",
                    s.len()
                )),
                Some(s) => Ok(Some(Secret(s.as_bytes().to_vec()))),
            },
        );
        let metrics_token = keep(
            &mut errors,
            match raw.metrics_token.as_deref() {
                None => Ok(None),
                Some(t) if t.len() < MIN_METRICS_TOKEN_BYTES => Err(format!(
                    "PRACTICUM_METRICS_TOKEN: must be at least {MIN_METRICS_TOKEN_BYTES} bytes (got {})",
                    t.len()
                )),
                Some(t) => Ok(Some(Secret(t.as_bytes().to_vec()))),
            },
        );
        let trusted_proxies = keep(
            &mut errors,
            raw.trusted_proxies
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<std::net::IpAddr>().map_err(|_| {
                        format!("PRACTICUM_TRUSTED_PROXIES: {p:?} is not an IP address")
                    })
                })
                .collect::<Result<Vec<_>, _>>(),
        );
        if let (Some(Database::Postgres(_)), Some(None)) = (&database, &jwt_secret) {
            keep(&mut errors, Err::<(), _>(
                "PRACTICUM_JWT_SECRET: required with PostgreSQL, so every instance signs with the same secret".into(),
            ));
        }
        let token_ttl_minutes = keep(
            &mut errors,
            int_in(
                "PRACTICUM_TOKEN_TTL_MINUTES",
                raw.token_ttl_minutes.as_deref(),
                60,
                5,
                720,
            ),
        );
        let cookie_secure = keep(
            &mut errors,
            boolean("PRACTICUM_COOKIE_SECURE", raw.cookie_secure.as_deref()),
        );
        let db_pool_size = keep(
            &mut errors,
            int_in(
                "PRACTICUM_DB_POOL_SIZE",
                raw.db_pool_size.as_deref(),
                8,
                1,
                64,
            ),
        );
        let default_workers = std::thread::available_parallelism().map_or(2, |n| n.get()) as i64;
        let workers = keep(
            &mut errors,
            int_in(
                "PRACTICUM_WORKERS",
                raw.workers.as_deref(),
                default_workers,
                1,
                64,
            ),
        );
        let log = raw.log.clone().unwrap_or_else(|| "info".into());
        keep(
            &mut errors,
            tracing_subscriber::EnvFilter::try_new(&log)
                .map(|_| ())
                .map_err(|e| format!("PRACTICUM_LOG: {log:?} is not a valid filter ({e})")),
        );
        let log_format = keep(
            &mut errors,
            match raw.log_format.as_deref().unwrap_or("text") {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                other => Err(format!(
                    "PRACTICUM_LOG_FORMAT: {other:?} must be text or json"
                )),
            },
        );

        match (
            bind,
            database,
            jwt_secret,
            token_ttl_minutes,
            cookie_secure,
            db_pool_size,
            workers,
            log_format,
            metrics_token,
            trusted_proxies,
        ) {
            (
                Some(bind),
                Some(database),
                Some(jwt_secret),
                Some(ttl),
                Some(cookie_secure),
                Some(pool),
                Some(workers),
                Some(log_format),
                Some(metrics_token),
                Some(trusted_proxies),
            ) if errors.is_empty() => Ok(Settings {
                bind,
                data_dir,
                scenarios_dir: raw
                    .scenarios_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("scenarios")),
                database,
                jwt_secret,
                token_ttl_minutes: ttl,
                cookie_secure,
                db_pool_size: pool as u32,
                workers: workers as usize,
                log,
                log_format,
                metrics_token,
                trusted_proxies,
            }),
            _ => Err(errors),
        }
    }

    /// The signing secret: from the environment, or for the embedded default
    /// the one stored in the data directory, generated (mode 0600) on first use.
    pub fn resolve_jwt_secret(&self) -> anyhow::Result<Secret> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        if let Database::Postgres(_) = self.database {
            anyhow::bail!("PRACTICUM_JWT_SECRET is required with PostgreSQL");
        }
        load_or_create_secret(&self.data_dir.join("jwt-secret"))
    }
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Secret> {
    use anyhow::Context;
    if path.exists() {
        let text =
            fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes =
            hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        anyhow::ensure!(
            bytes.len() >= MIN_SECRET_BYTES,
            "{} holds a secret shorter than {MIN_SECRET_BYTES} bytes",
            path.display()
        );
        return Ok(Secret(bytes));
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = vec![0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(hex::encode(&bytes).as_bytes())?;
    file.sync_all()?;
    Ok(Secret(bytes))
}

fn keep<T>(errors: &mut Vec<String>, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn int_in(name: &str, raw: Option<&str>, default: i64, min: i64, max: i64) -> Result<i64, String> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name}: {raw:?} must be a whole number from {min} to {max}"
        )),
    }
}

fn boolean(name: &str, raw: Option<&str>) -> Result<bool, String> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some(other) => Err(format!("{name}: {other:?} must be true or false")),
    }
}

/// Hides the password part of a URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = Settings::from_raw(RawSettings::default()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            s.database,
            Database::Sqlite(PathBuf::from("./data/practicum.db"))
        );
        assert_eq!(s.token_ttl_minutes, 60);
        assert!(!s.cookie_secure);
    }

    #[test]
    fn every_bad_value_gets_its_own_message() {
        let raw = RawSettings {
            bind: Some("nowhere".into()),
            database_url: Some("mysql://x".into()),
            token_ttl_minutes: Some("0".into()),
            cookie_secure: Some("maybe".into()),
            log_format: Some("xml".into()),
            log: Some("[[[".into()),
            ..Default::default()
        };
        let errors = Settings::from_raw(raw).unwrap_err();
        for name in [
            "PRACTICUM_BIND",
            "PRACTICUM_DATABASE_URL",
            "PRACTICUM_TOKEN_TTL_MINUTES",
            "PRACTICUM_COOKIE_SECURE",
            "PRACTICUM_LOG_FORMAT",
            "PRACTICUM_LOG:",
        ] {
            assert!(
                errors.iter().any(|e| e.starts_with(name)),
                "{name} missing from {errors:?}"
            );
        }
        assert_eq!(errors.len(), 6);
    }

    #[test]
    fn postgres_requires_a_secret_from_the_environment() {
        let raw = RawSettings {
            database_url: Some("postgres://app:pw@db/practicum".into()),
            ..Default::default()
        };
        let errors = Settings::from_raw(raw.clone()).unwrap_err();
        assert!(errors[0].starts_with("PRACTICUM_JWT_SECRET"), "{errors:?}");
        let short = RawSettings {
            jwt_secret: Some("short".into()),
            ..raw.clone()
        };
        assert!(Settings::from_raw(short).is_err());
        let ok = RawSettings {
            jwt_secret: Some("x".repeat(32)),
            ..raw
        };
        let s = Settings::from_raw(ok).unwrap();
        assert_eq!(
            s.database.describe(),
            "PostgreSQL at postgres://app:***@db/practicum"
        );
    }

    #[test]
    fn generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let raw = RawSettings {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let s = Settings::from_raw(raw).unwrap();
        let first = s.resolve_jwt_secret().unwrap();
        let second = s.resolve_jwt_secret().unwrap();
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
