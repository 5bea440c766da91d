//! Load script: starts the real server (and a bare actix-web endpoint as the
//! ceiling) on loopback and drives each endpoint with a bounded number of
//! requests over a fixed number of connections, reporting throughput and
//! latency percentiles.
//!
//! Run: `cargo bench --bench load` (options after `--`: `--requests N`,
//! `--connections C`, `--logins N`, `--submissions N`; `--quick` or `--test`
//! for CI's bounded run: 2,000 requests per endpoint, 1,000 submissions, 60
//! logins).
//! Exits non-zero if any request failed unexpectedly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use practicum::config::{RawSettings, Settings};
use practicum::startup::{Application, BuildOptions};
use serde_json::json;

struct Options {
    requests: usize,
    connections: usize,
    logins: usize,
    submissions: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    // `--test` is what `cargo bench -- --test` passes every bench in CI.
    let quick = args.iter().any(|a| a == "--quick" || a == "--test");
    let scale = |full: usize, small: usize| if quick { small } else { full };
    Options {
        requests: get("--requests", scale(20_000, 2_000)).clamp(100, 1_000_000),
        connections: get("--connections", 64).clamp(1, 512),
        logins: get("--logins", scale(400, 60)).clamp(10, 10_000),
        submissions: get("--submissions", scale(5_000, 1_000)).clamp(10, 100_000),
    }
}

struct Report {
    name: String,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Report {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let idx = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[idx] as f64 / 1000.0
    }
}

/// Drives `total` requests over `connections` as fast as they answer.
async fn drive<F>(name: &str, total: usize, connections: usize, make: F) -> Report
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    drive_at(name, total, connections, None, make).await
}

/// Like `drive`, but offering a fixed load: request `i` is due at
/// `start + i / rate`, whichever of the connections is free sends it, and
/// its latency counts from when it was due (so a server that falls behind
/// is charged for the queue it builds, not flattered by a slowed client).
async fn drive_paced<F>(name: &str, total: usize, connections: usize, rate: f64, make: F) -> Report
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    drive_at(name, total, connections, Some(rate), make).await
}

/// Sends `total` requests over `connections`, each as soon as a connection
/// is free or, with a `rate`, no earlier than its due time.
async fn drive_at<F>(
    name: &str,
    total: usize,
    connections: usize,
    rate: Option<f64>,
    make: F,
) -> Report
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, make, next, errors) =
            (client.clone(), make.clone(), next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let from = match rate {
                    Some(rate) => {
                        let due = start + Duration::from_secs_f64(i as f64 / rate);
                        tokio::time::sleep_until(due).await;
                        due
                    }
                    None => tokio::time::Instant::now(),
                };
                match make(&client).send().await {
                    Ok(res) if res.status().is_success() => {
                        let _ = res.bytes().await;
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.push(from.elapsed().as_micros() as u64);
            }
            latencies
        }));
    }
    let mut latencies_us = Vec::with_capacity(total);
    for t in tasks {
        latencies_us.extend(t.await.expect("worker"));
    }
    let elapsed = start.elapsed();
    latencies_us.sort_unstable();
    Report {
        name: name.into(),
        requests: total,
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        latencies_us,
    }
}

/// Sends valid sign-ins over `connections` until stopped; counts what came
/// back: signed in, shed (503), anything else.
fn flood_sign_ins(
    base: &str,
    connections: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<(usize, usize, usize)> {
    let base = base.to_owned();
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for i in 0..connections {
            let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let (mut ok, mut shed, mut other) = (0, 0, 0);
                let email = format!("student{}@demo.example", 1 + i % 5);
                while !stop.load(Ordering::Relaxed) {
                    let res = client
                        .post(format!("{base}/api/v1/auth/login"))
                        .json(&json!({"email": email, "password": "practicum-demo"}))
                        .send()
                        .await;
                    match res.map(|r| r.status().as_u16()) {
                        Ok(200) => ok += 1,
                        // Shed by the hashing gate, or too many of one
                        // account's attempts in flight: retry in a second.
                        Ok(503 | 429) => shed += 1,
                        _ => other += 1,
                    }
                }
                (ok, shed, other)
            }));
        }
        let mut sum = (0, 0, 0);
        for t in tasks {
            let (a, b, c) = t.await.expect("flooder");
            sum = (sum.0 + a, sum.1 + b, sum.2 + c);
        }
        sum
    })
}

/// The ceiling: a bare actix-web endpoint with nothing behind it.
fn start_bare_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route("/", actix_web::web::get().to(|| async { "ok" }))
    })
    .workers(2)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    port
}

#[tokio::main]
async fn main() {
    let opts = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = RawSettings {
        bind: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        workers: Some("2".into()),
        log: Some("warn".into()),
        ..Default::default()
    };
    let settings = Settings::from_raw(raw).expect("settings");
    let app = Application::build(&settings, BuildOptions { demo: true })
        .await
        .expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let bare = format!("http://127.0.0.1:{}/", start_bare_server());

    let client = reqwest::Client::new();
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "supervisor@demo.example", "password": "practicum-demo"}))
        .send()
        .await
        .expect("login");
    let token = login.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let (n, c) = (opts.requests, opts.connections);
    let mut reports = Vec::new();
    reports.push(
        drive("bare actix-web GET / (ceiling)", n, c, move |cl| {
            cl.get(&bare)
        })
        .await,
    );
    let b = base.clone();
    reports.push(
        drive("GET /healthz", n, c, move |cl| {
            cl.get(format!("{b}/healthz"))
        })
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive(
            "GET /api/v1/me (authenticated JSON read)",
            n,
            c,
            move |cl| cl.get(format!("{b}/api/v1/me")).bearer_auth(&t),
        )
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive("GET /api/v1/users (supervisor's roster)", n, c, move |cl| {
            cl.get(format!("{b}/api/v1/users")).bearer_auth(&t)
        })
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive("GET /api/v1/codes/search (words)", n, c, move |cl| {
            cl.get(format!(
                "{b}/api/v1/codes/search?q=colles%20fracture%20right&limit=20"
            ))
            .bearer_auth(&t)
        })
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive("GET /api/v1/codes/search (code prefix)", n, c, move |cl| {
            cl.get(format!("{b}/api/v1/codes/search?q=S52.5&limit=20"))
                .bearer_auth(&t)
        })
        .await,
    );
    // The mock EHR: one demo encounter as a chart page, JSON and a FHIR Bundle.
    let (_, list) = {
        let res = client
            .get(format!("{base}/api/v1/encounters?limit=1"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("encounters");
        ((), res.json::<serde_json::Value>().await.expect("json"))
    };
    let enc = list["items"][0]["encounter"]["id"]
        .as_i64()
        .expect("an encounter");
    let cookie = format!("{}={token}", practicum::api::extract::SESSION_COOKIE);
    let (b, k) = (base.clone(), cookie.clone());
    reports.push(
        drive(
            "GET /ehr/encounters/{id} (chart page, notes tab)",
            n,
            c,
            move |cl| {
                cl.get(format!("{b}/ehr/encounters/{enc}"))
                    .header("cookie", &k)
            },
        )
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive(
            "GET /api/v1/encounters/{id} (chart JSON)",
            n,
            c,
            move |cl| {
                cl.get(format!("{b}/api/v1/encounters/{enc}"))
                    .bearer_auth(&t)
            },
        )
        .await,
    );
    let (b, t) = (base.clone(), token.clone());
    reports.push(
        drive(
            "GET /fhir/r4/Encounter/{id}/$everything (Bundle)",
            n,
            c,
            move |cl| {
                cl.get(format!("{b}/fhir/r4/Encounter/{enc}/$everything"))
                    .bearer_auth(&t)
            },
        )
        .await,
    );
    // Claims: the edits on every keystroke, and submit + score.
    let keys = client
        .get(format!("{base}/api/v1/encounters/{enc}/keys"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("keys")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let k = keys[0]["key"].clone();
    let lines: Vec<serde_json::Value> = k["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"]}))
        .collect();
    let claim = json!({"date_of_service": k["date_of_service"], "patient": k["patient"], "diagnoses": k["diagnoses"], "lines": lines});
    let student = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "student1@demo.example", "password": "practicum-demo"}))
        .send()
        .await
        .expect("login")
        .json::<serde_json::Value>()
        .await
        .expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (b, t, c1) = (base.clone(), student.clone(), claim.clone());
    reports.push(
        drive("POST /api/v1/claims/check (edits)", n, c, move |cl| {
            cl.post(format!("{b}/api/v1/claims/check"))
                .bearer_auth(&t)
                .json(&c1)
        })
        .await,
    );
    let (b, t, c2) = (base.clone(), student.clone(), claim.clone());
    let counter = Arc::new(AtomicUsize::new(0));
    reports.push(
        drive(
            "POST /api/v1/encounters/{id}/claims (submit + score)",
            opts.submissions,
            c,
            move |cl| {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                cl.post(format!("{b}/api/v1/encounters/{enc}/claims"))
                    .bearer_auth(&t)
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&c2)
            },
        )
        .await,
    );
    // The same at the target's offered load: 1,000 submissions/s from 64
    // connections, latency counted from when each was due.
    let (b, t, c3) = (base.clone(), student.clone(), claim.clone());
    let counter = Arc::new(AtomicUsize::new(0));
    reports.push(
        drive_paced(
            "POST /api/v1/encounters/{id}/claims (submit + score) at 1,000/s offered",
            opts.submissions,
            c,
            1000.0,
            move |cl| {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                cl.post(format!("{b}/api/v1/encounters/{enc}/claims"))
                    .bearer_auth(&t)
                    .header("Idempotency-Key", format!("paced-{i}"))
                    .json(&c3)
            },
        )
        .await,
    );
    // A sign-in flood: 48 connections send valid sign-ins (the expensive
    // kind: a full Argon2id hash each) without pause while 16 connections read
    // chart pages. Compared with the same chart reads on a quiet server.
    let chart = |label: &'static str| {
        let (b, k) = (base.clone(), cookie.clone());
        drive(label, n / 2, 16, move |cl| {
            cl.get(format!("{b}/ehr/encounters/{enc}"))
                .header("cookie", &k)
        })
    };
    reports.push(chart("GET /ehr/encounters/{id}, 16 connections, quiet").await);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = flood_sign_ins(&base, 48, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    reports.push(chart("GET /ehr/encounters/{id}, 16 connections, during a sign-in flood").await);
    stop.store(true, Ordering::Relaxed);
    let (signed_in, shed, other) = flood.await.expect("flood");
    println!(
        "sign-in flood (48 connections): {signed_in} signed in, {shed} shed with 503 or 429 + Retry-After, {other} other answers"
    );
    if other > 0 || signed_in == 0 {
        eprintln!("the flood got answers other than 200, 429 and 503, or no sign-in got through");
        std::process::exit(1);
    }
    // Spread over the seven demo accounts: one account's attempts in flight
    // count against its limit of five.
    let b = base.clone();
    let counter = Arc::new(AtomicUsize::new(0));
    let accounts = [
        "student1",
        "student2",
        "student3",
        "student4",
        "student5",
        "supervisor",
        "admin",
    ];
    reports.push(
        drive(
            "POST /api/v1/auth/login (argon2id 19 MiB, t=2), 16 connections",
            opts.logins,
            16,
            move |cl| {
                let who = accounts[counter.fetch_add(1, Ordering::Relaxed) % accounts.len()];
                cl.post(format!("{b}/api/v1/auth/login")).json(
                    &json!({"email": format!("{who}@demo.example"), "password": "practicum-demo"}),
                )
            },
        )
        .await,
    );

    let ceiling = reports[0].rps();
    println!(
        "\nPracticum load run: {} connections on loopback, {} cores",
        c,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| endpoint | requests | errors | req/s | p50 ms | p99 ms | vs bare |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &reports {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.requests,
            r.errors,
            r.rps(),
            r.percentile(0.50),
            r.percentile(0.99),
            r.rps() / ceiling
        );
    }
    let failed: usize = reports.iter().map(|r| r.errors).sum();
    if failed > 0 {
        eprintln!("{failed} requests failed");
        std::process::exit(1);
    }
}
