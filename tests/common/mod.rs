//! Test harness: starts the real application on a random port against a fresh
//! database — SQLite in a temporary directory, or PostgreSQL (a database per
//! test) when `PRACTICUM_TEST_DATABASE_URL` is set.
#![allow(dead_code)]

use std::io::Write;
use std::sync::Once;

use diesel::{Connection, PgConnection, RunQueryDsl};
use practicum::config::{RawSettings, Settings};
use practicum::service::demo::DEMO_PASSWORD;
use practicum::startup::{Application, BuildOptions};
use serde_json::{Value, json};

/// Set to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run on PostgreSQL.
pub const PG_ENV: &str = "PRACTICUM_TEST_DATABASE_URL";

static NOTICE: Once = Once::new();

/// Which backend this run uses, announcing once what it does not cover.
pub fn backend_url() -> Option<String> {
    let url = std::env::var(PG_ENV).ok().filter(|u| !u.is_empty());
    NOTICE.call_once(|| {
        let text = match &url {
            Some(u) => format!("[practicum tests] storage backend: PostgreSQL ({u}); one database per test\n"),
            None => format!(
                "[practicum tests] storage backend: SQLite. SKIPPED: the PostgreSQL run of this suite \
                 (set {PG_ENV}=postgres://postgres@127.0.0.1:5432/test to run it)\n"
            ),
        };
        // Written past the test harness's capture so it always shows.
        let _ = std::io::stderr().write_all(text.as_bytes());
    });
    url
}

/// Drops the per-test PostgreSQL database or SQLite directory afterwards.
pub enum Storage {
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
        _dir: tempfile::TempDir,
    },
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Storage::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = diesel::sql_query(drop).execute(&mut conn);
        }
    }
}

/// A running application and a client for it.
pub struct TestApp {
    pub settings: RawSettings,
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub pool: practicum::store::Pool,
    pub storage: Storage,
}

pub fn fresh_storage() -> (Storage, RawSettings) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut raw = RawSettings {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        workers: Some("2".into()),
        db_pool_size: Some("4".into()),
        ..Default::default()
    };
    match backend_url() {
        None => (Storage::Sqlite(dir), raw),
        Some(admin_url) => {
            let name = format!("practicum_t_{}", practicum::auth::random_hex(6));
            let mut conn = PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            raw.database_url = Some(format!("{base}/{name}"));
            raw.jwt_secret = Some("test-secret-test-secret-test-secret-0123".into());
            (
                Storage::Postgres {
                    admin_url,
                    name,
                    _dir: dir,
                },
                raw,
            )
        }
    }
}

/// Starts the app with the demo data seeded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after adjusting its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
    let (storage, mut raw) = fresh_storage();
    adjust(&mut raw);
    let kept = raw.clone();
    let settings = Settings::from_raw(raw).expect("valid test settings");
    let app = Application::build(&settings, BuildOptions { demo: true })
        .await
        .expect("app builds");
    let port = app.port();
    let pool = app.pool().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        settings: kept,
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        pool,
        storage,
    }
}

impl TestApp {
    /// Full URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// POST /api/v1/auth/login.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request")
    }

    /// A bearer token for a demo (or other) account with the demo password.
    pub async fn token(&self, email: &str) -> String {
        self.token_with(email, DEMO_PASSWORD).await
    }

    /// A bearer token for an account.
    pub async fn token_with(&self, email: &str, password: &str) -> String {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200, "login as {email}");
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// An authenticated request.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// GET with a token, returning status and JSON (Null if not JSON).
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .request(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("request");
        status_json(res).await
    }

    /// A JSON request with a token, returning status and JSON.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let res = self
            .request(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request");
        status_json(res).await
    }

    /// Creates a second, unrelated program with its own admin, supervisor,
    /// cohort and student, straight in storage. Returns their e-mails and ids.
    pub fn seed_other_program(&self) -> OtherProgram {
        use practicum::store::{cohorts, programs, users};
        let mut conn = self.pool.get().expect("connection");
        let program = programs::insert(
            &mut conn,
            &programs::ProgramFields {
                name: "Other Program".into(),
                ppe_hours_required: 60,
                pass_threshold_pct: 85,
            },
            None,
        )
        .expect("program");
        let cohort = cohorts::insert(
            &mut conn,
            program.id,
            &cohorts::CohortFields {
                name: "Other cohort".into(),
                term_start: chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                term_end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            },
        )
        .expect("cohort");
        let hash = practicum::auth::password::hash(DEMO_PASSWORD).expect("hash");
        let mut make = |email: &str, role: &str| {
            users::insert(
                &mut conn,
                users::NewUser {
                    email: email.into(),
                    display_name: format!("Other {role}"),
                    role: role.into(),
                    credential: None,
                    program_id: program.id,
                    password_hash: hash.clone(),
                },
            )
            .expect("user")
        };
        let admin = make("admin@other.example", "program_admin");
        let supervisor = make("supervisor@other.example", "supervisor");
        let student = make("student@other.example", "student");
        cohorts::enrol(&mut conn, cohort.id, supervisor.id, "supervisor").expect("enrol");
        cohorts::enrol(&mut conn, cohort.id, student.id, "student").expect("enrol");
        OtherProgram {
            program_id: program.id,
            cohort_id: cohort.id,
            admin_id: admin.id,
            supervisor_id: supervisor.id,
            student_id: student.id,
        }
    }

    /// Ids of the demo program's records, looked up through the API as the admin.
    pub async fn demo_ids(&self) -> DemoIds {
        let admin = self.token("admin@demo.example").await;
        let (_, me) = self.get_json("/api/v1/me", &admin).await;
        let program_id = me["program"]["id"].as_i64().unwrap();
        let (_, cohorts) = self
            .get_json(&format!("/api/v1/programs/{program_id}/cohorts"), &admin)
            .await;
        let cohort_id = cohorts[0]["id"].as_i64().unwrap();
        let (_, users) = self.get_json("/api/v1/users", &admin).await;
        let id_of = |email: &str| {
            users
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["email"] == email)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        DemoIds {
            program_id,
            cohort_id,
            admin_id: id_of("admin@demo.example"),
            supervisor_id: id_of("supervisor@demo.example"),
            student1_id: id_of("student1@demo.example"),
            student2_id: id_of("student2@demo.example"),
        }
    }
}

/// The second program's records.
pub struct OtherProgram {
    pub program_id: i64,
    pub cohort_id: i64,
    pub admin_id: i64,
    pub supervisor_id: i64,
    pub student_id: i64,
}

/// The demo program's records.
pub struct DemoIds {
    pub program_id: i64,
    pub cohort_id: i64,
    pub admin_id: i64,
    pub supervisor_id: i64,
    pub student1_id: i64,
    pub student2_id: i64,
}

/// The settings an app was started with (same storage, any free port).
pub fn settings_for(app: &TestApp) -> RawSettings {
    app.settings.clone()
}

/// The claim that the newest version in a `GET …/keys` answer describes.
pub fn claim_of_newest_key(keys: &Value) -> Value {
    let k = &keys
        .as_array()
        .expect("key versions")
        .last()
        .expect("a key")["key"];
    let lines: Vec<Value> = k["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"], "pos": l["pos"]}))
        .collect();
    json!({"date_of_service": k["date_of_service"], "patient": k["patient"], "diagnoses": k["diagnoses"], "lines": lines})
}

/// The newest key in a `GET …/keys` answer as the body of a key edit (the
/// caller adds `base_version` and a note).
pub fn edit_of_newest_key(keys: &Value) -> Value {
    let k = &keys
        .as_array()
        .expect("key versions")
        .last()
        .expect("a key")["key"];
    json!({
        "diagnoses": k["diagnoses"].as_array().expect("diagnoses").iter()
            .map(|c| json!({"code": c})).collect::<Vec<_>>(),
        "lines": k["lines"].as_array().expect("lines").iter()
            .map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"]}))
            .collect::<Vec<_>>(),
    })
}

/// Status and JSON body (Null when the body is not JSON).
pub async fn status_json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts the error contract: `{"error": {"code", "message", "field"?}}`.
pub fn assert_error(body: &Value, code: &str) {
    let err = &body["error"];
    assert_eq!(err["code"], code, "error code in {body}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    if let Some(obj) = err.as_object() {
        for key in obj.keys() {
            assert!(
                ["code", "message", "field"].contains(&key.as_str()),
                "unexpected key {key} in {body}"
            );
        }
    }
}
