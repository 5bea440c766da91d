//! Faults and several instances, against the real `practicum` binary:
//! submissions acknowledged before a SIGKILL are all there after a restart
//! (SQLite and PostgreSQL), and two instances on one PostgreSQL database
//! neither duplicate nor lose writes.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use practicum::config::RawSettings;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

const PASSWORD: &str = "practicum-demo";

/// A `practicum serve` process on loopback.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on the test's storage and waits until it is ready.
    async fn start(raw: &RawSettings, demo: bool) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_practicum"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PRACTICUM_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("PRACTICUM_DATA_DIR", raw.data_dir.as_ref().unwrap())
            .env("PRACTICUM_BIND", format!("127.0.0.1:{port}"))
            .env("PRACTICUM_WORKERS", "2")
            .env("PRACTICUM_LOG", "warn")
            .env(
                "PRACTICUM_SCENARIOS_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"),
            );
        if let Some(url) = &raw.database_url {
            cmd.env("PRACTICUM_DATABASE_URL", url);
        }
        if let Some(secret) = &raw.jwt_secret {
            cmd.env("PRACTICUM_JWT_SECRET", secret);
        }
        cmd.arg("serve");
        if demo {
            cmd.arg("--demo");
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start practicum");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(res) = client.get(server.url("/readyz")).send().await
                && res.status() == 200
            {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown, no draining, no flush.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn token(client: &reqwest::Client, base: &str, email: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "sign in as {email}");
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    common::status_json(req.send().await.unwrap()).await
}

/// The claim an encounter's newest key describes.
async fn key_claim(client: &reqwest::Client, base: &str, sup: &str, enc: i64) -> Value {
    let (_, keys) = send(
        client,
        base,
        Method::GET,
        &format!("/api/v1/encounters/{enc}/keys"),
        sup,
        None,
    )
    .await;
    common::claim_of_newest_key(&keys)
}

/// One submission to make: a student, an encounter, the claim and its key.
#[derive(Clone)]
struct Job {
    student: usize,
    encounter: i64,
    claim: Value,
    idempotency: String,
}

/// Every student × the first encounters, half perfect and half with a unit
/// off, so stored scores differ and a mix-up would show.
async fn jobs(client: &reqwest::Client, base: &str, per_student: usize) -> Vec<Job> {
    let sup = token(client, base, "supervisor@demo.example").await;
    let (_, page) = send(
        client,
        base,
        Method::GET,
        &format!("/api/v1/encounters?limit={per_student}"),
        &sup,
        None,
    )
    .await;
    let mut claims = Vec::new();
    for item in page["items"].as_array().unwrap() {
        let enc = item["encounter"]["id"].as_i64().unwrap();
        claims.push((enc, key_claim(client, base, &sup, enc).await));
    }
    let mut out = Vec::new();
    for student in 0..5 {
        for (i, (enc, claim)) in claims.iter().enumerate() {
            let mut claim = claim.clone();
            if (i + student) % 2 == 1 {
                let units = claim["lines"][0]["units"].as_u64().unwrap_or(1);
                claim["lines"][0]["units"] = json!(units + 1);
            }
            out.push(Job {
                student,
                encounter: *enc,
                claim,
                idempotency: format!("durability-{student}-{enc}"),
            });
        }
    }
    out
}

fn student_email(i: usize) -> String {
    format!("student{}@demo.example", i + 1)
}

async fn submit(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    job: &Job,
) -> Result<(u16, Value), reqwest::Error> {
    let res = client
        .post(format!("{base}/api/v1/encounters/{}/claims", job.encounter))
        .bearer_auth(token)
        .header("Idempotency-Key", &job.idempotency)
        .json(&job.claim)
        .send()
        .await?;
    let status = res.status().as_u16();
    let body = res.json::<Value>().await?;
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_submissions_survive_sigkill() {
    let (_storage, raw) = common::fresh_storage();
    let backend = if raw.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut server = Server::start(&raw, true).await;
    let all = jobs(&client, &server.base, 60).await;
    let mut tokens = Vec::new();
    for s in 0..5 {
        tokens.push(token(&client, &server.base, &student_email(s)).await);
    }
    let tokens = Arc::new(tokens);
    let server_base = Arc::new(server.base.clone());

    // 32 clients submit flat out; the server is killed once 120 submissions
    // have been acknowledged, with others in flight.
    let next = Arc::new(AtomicUsize::new(0));
    let acked: Arc<Mutex<Vec<(Job, Value)>>> = Arc::default();
    // Sent but never answered (cut off by the kill), and never sent at all.
    let unacked: Arc<Mutex<Vec<Job>>> = Arc::default();
    let unsent: Arc<Mutex<Vec<Job>>> = Arc::default();
    let all = Arc::new(all);
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (next, acked, unacked, unsent, all, tokens, client, base) = (
            next.clone(),
            acked.clone(),
            unacked.clone(),
            unsent.clone(),
            all.clone(),
            tokens.clone(),
            client.clone(),
            server_base.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = all.get(i) else { break };
                match submit(&client, &base, &tokens[job.student], job).await {
                    Ok((201, body)) => acked.lock().await.push((job.clone(), body)),
                    Ok((status, body)) => panic!("submission answered {status}: {body}"),
                    Err(e) if e.is_connect() => {
                        unsent.lock().await.push(job.clone());
                        break;
                    }
                    Err(_) => {
                        // The server died under this request: not acknowledged.
                        unacked.lock().await.push(job.clone());
                        break;
                    }
                }
            }
        }));
    }
    let started = Instant::now();
    while acked.lock().await.len() < 120 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "submissions too slow"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let killed_at = acked.lock().await.len();
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().await.clone();
    let unacked = unacked.lock().await.clone();
    let unsent = unsent.lock().await.clone();
    assert!(
        !unacked.is_empty() && acked.len() + unacked.len() < all.len(),
        "the kill must land mid-stream: {} acknowledged, {} in flight, of {}",
        acked.len(),
        unacked.len(),
        all.len()
    );

    // Restart on the same storage; every acknowledged submission is there,
    // with the claim and score the client was told.
    let server = Server::start(&raw, true).await;
    let mut tokens = Vec::new();
    for s in 0..5 {
        tokens.push(token(&client, &server.base, &student_email(s)).await);
    }
    let mut lost = Vec::new();
    for (job, ack) in &acked {
        let (status, stored) = send(
            &client,
            &server.base,
            Method::GET,
            &format!("/api/v1/claims/{}", ack["id"]),
            &tokens[job.student],
            None,
        )
        .await;
        let intact = status == 200
            && stored["claim"] == ack["claim"]
            && stored["score"]["total"] == ack["score"]["total"]
            && stored["score"]["total"].is_number()
            && stored["version"] == ack["version"];
        if !intact {
            lost.push(format!("claim {}: {status} {stored}", ack["id"]));
        }
    }
    // Requests cut off by the kill may or may not have committed: a retry
    // with the same key answers either way, and never makes a second claim.
    let mut duplicates = Vec::new();
    let mut committed_unacknowledged = 0;
    for job in unacked.iter().chain(&unsent) {
        let (status, body) = submit(&client, &server.base, &tokens[job.student], job)
            .await
            .unwrap();
        assert!(matches!(status, 200 | 201), "retry: {status} {body}");
        if status == 200 {
            committed_unacknowledged += 1;
        }
        let (_, mine) = send(
            &client,
            &server.base,
            Method::GET,
            &format!("/api/v1/encounters/{}/claims", job.encounter),
            &tokens[job.student],
            None,
        )
        .await;
        if mine.as_array().map(Vec::len) != Some(1) {
            duplicates.push(format!("{} on {}: {mine}", job.student, job.encounter));
        }
    }
    eprintln!(
        "[durability] {backend}: {} submissions acknowledged ({killed_at} when SIGKILL was sent), \
         {} cut off in flight and {} never sent; after restart {committed_unacknowledged} of those \
         had committed; {} lost, {} duplicated on retry",
        acked.len(),
        unacked.len(),
        unsent.len(),
        lost.len(),
        duplicates.len()
    );
    assert!(acked.len() >= 120);
    assert!(
        lost.is_empty(),
        "acknowledged but lost:\n{}",
        lost.join("\n")
    );
    assert!(duplicates.is_empty(), "{}", duplicates.join("\n"));
}

/// Sends the same request to both instances at once (A first, then B, in
/// `copies` pairs) and returns every answer.
async fn race(
    client: &reqwest::Client,
    bases: [&str; 2],
    copies: usize,
    build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Vec<(u16, Value)> {
    // Every copy waits at the barrier, then all go at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(copies * 2));
    let mut pending = Vec::new();
    for i in 0..copies * 2 {
        let req = build(client, bases[i % 2]);
        let barrier = barrier.clone();
        pending.push(tokio::spawn(async move {
            barrier.wait().await;
            common::status_json(req.send().await.unwrap()).await
        }));
    }
    let mut out = Vec::new();
    for p in pending {
        out.push(p.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgresql_neither_duplicate_nor_lose_writes() {
    if common::backend_url().is_none() {
        // Past the harness's capture, so a plain `cargo test` says what it skipped.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "[practicum tests] SKIPPED: two instances on one PostgreSQL database \
                 (set {} to run it)\n",
                common::PG_ENV
            )
            .as_bytes(),
        );
        return;
    }
    let (_storage, raw) = common::fresh_storage();
    let client = reqwest::Client::new();
    let a = Server::start(&raw, true).await;
    let b = Server::start(&raw, false).await;
    let bases = [a.base.as_str(), b.base.as_str()];

    // One shared secret: a token from A works on B.
    let sup = token(&client, bases[0], "supervisor@demo.example").await;
    let (status, me) = send(&client, bases[1], Method::GET, "/api/v1/me", &sup, None).await;
    assert_eq!(status, 200, "{me}");

    // Submissions raced on both instances with one idempotency key each:
    // one claim per key, every answer naming it.
    let all = jobs(&client, bases[0], 10).await;
    let mut tokens = Vec::new();
    for s in 0..5 {
        tokens.push(token(&client, bases[s % 2], &student_email(s)).await);
    }
    let mut claim_ids = Vec::new();
    for job in all.iter().take(20) {
        let t = tokens[job.student].clone();
        let answers = race(&client, bases, 2, |c, base| {
            c.post(format!("{base}/api/v1/encounters/{}/claims", job.encounter))
                .bearer_auth(&t)
                .header("Idempotency-Key", &job.idempotency)
                .json(&job.claim)
        })
        .await;
        let ids: Vec<&Value> = answers.iter().map(|(_, b)| &b["id"]).collect();
        assert!(
            answers.iter().all(|(s, _)| matches!(s, 200 | 201)),
            "{answers:?}"
        );
        assert_eq!(
            answers.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "exactly one creates: {answers:?}"
        );
        assert!(ids.iter().all(|id| *id == ids[0]), "one claim: {ids:?}");
        claim_ids.push(ids[0].as_i64().unwrap());
        let (_, mine) = send(
            &client,
            bases[1],
            Method::GET,
            &format!("/api/v1/encounters/{}/claims", job.encounter),
            &t,
            None,
        )
        .await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    }

    // Key edits from the same base version on both instances: one wins, the
    // other is told to reload (optimistic locking), nothing else is written.
    for job in all.iter().take(10) {
        let path = format!("/api/v1/encounters/{}/keys", job.encounter);
        let (_, keys) = send(&client, bases[0], Method::GET, &path, &sup, None).await;
        let base_version = keys.as_array().unwrap().last().unwrap()["version"]
            .as_i64()
            .unwrap();
        let mut edit = common::edit_of_newest_key(&keys);
        edit["base_version"] = json!(base_version);
        edit["note"] = json!("Raced edit");
        let answers = race(&client, bases, 1, |c, base| {
            c.post(format!("{base}{path}"))
                .bearer_auth(&sup)
                .json(&edit)
        })
        .await;
        let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 409], "{answers:?}");
        let (_, after) = send(&client, bases[1], Method::GET, &path, &sup, None).await;
        assert_eq!(
            after.as_array().unwrap().len() as i64,
            base_version + 1,
            "one new version: {after}"
        );
    }

    // Hour decisions: each entry approved through one instance while the
    // other races the opposite decision; exactly one wins, and the log holds
    // what the winner was told.
    let (_, me) = send(
        &client,
        bases[0],
        Method::GET,
        "/api/v1/me",
        &tokens[0],
        None,
    )
    .await;
    let student = me["user"]["id"].as_i64().unwrap();
    let cohort = me["cohorts"][0]["cohort"]["id"].as_i64().unwrap();
    let hours_path = format!("/api/v1/cohorts/{cohort}/students/{student}/hours");
    let today = chrono::Utc::now().date_naive();
    let mut entries = Vec::new();
    for i in 0..20u64 {
        let (status, e) = send(
            &client,
            bases[(i % 2) as usize],
            Method::POST,
            &hours_path,
            &tokens[0],
            Some(
                &json!({"work_date": (today - chrono::Days::new(1 + i / 2)).to_string(),
                         "minutes": 15, "activity": "Offline chart review",
                         "reason": "Coded from the printed packet"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{e}");
        entries.push(e["id"].as_i64().unwrap());
    }
    let mut decided = BTreeMap::new();
    for (i, id) in entries.iter().enumerate() {
        let path = format!("/api/v1/hours/{id}/decision");
        // Even entries: A approves, B rejects; odd entries the other way.
        let answers = race(&client, bases, 1, |c, base| {
            let on_a = base == bases[0];
            let status = if on_a == (i % 2 == 0) {
                "approved"
            } else {
                "rejected"
            };
            c.post(format!("{base}{path}"))
                .bearer_auth(&sup)
                .json(&json!({"status": status}))
        })
        .await;
        let won: Vec<&Value> = answers
            .iter()
            .filter(|(s, _)| *s == 200)
            .map(|(_, b)| b)
            .collect();
        assert_eq!(won.len(), 1, "one decision wins: {answers:?}");
        assert!(
            answers.iter().any(|(s, _)| *s == 409),
            "the other is refused: {answers:?}"
        );
        decided.insert(*id, won[0]["status"].as_str().unwrap().to_owned());
    }
    let (_, log) = send(&client, bases[1], Method::GET, &hours_path, &sup, None).await;
    let mut approved_minutes = 0;
    for e in log["entries"].as_array().unwrap() {
        let id = e["id"].as_i64().unwrap();
        if let Some(status) = decided.get(&id) {
            assert_eq!(
                e["status"],
                status.as_str(),
                "stored as the winner was told: {e}"
            );
            if status == "approved" {
                approved_minutes += 15;
            }
        }
    }
    assert_eq!(log["approved_minutes"], approved_minutes, "{log}");
    assert_eq!(log["pending_minutes"], 0, "no decision lost: {log}");

    // Review approvals raced on both instances are all kept.
    for claim in claim_ids.iter().take(5) {
        let path = format!("/api/v1/claims/{claim}/review");
        let answers = race(&client, bases, 2, |c, base| {
            c.post(format!("{base}{path}"))
                .bearer_auth(&sup)
                .json(&json!({"outcome": "approved", "comment": "Raced approval"}))
        })
        .await;
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let (_, stored) = send(
            &client,
            bases[0],
            Method::GET,
            &format!("/api/v1/claims/{claim}"),
            &sup,
            None,
        )
        .await;
        assert_eq!(
            stored["reviews"].as_array().map(Vec::len),
            Some(4),
            "every approval kept: {stored}"
        );
    }

    // Sign-in failures count across instances.
    for i in 0..5 {
        let res = client
            .post(format!("{}/api/v1/auth/login", bases[i % 2]))
            .json(&json!({"email": "student5@demo.example", "password": "wrong password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = client
        .post(format!("{}/api/v1/auth/login", bases[1]))
        .json(&json!({"email": "student5@demo.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        429,
        "the sixth attempt is throttled on the other instance too"
    );

    eprintln!(
        "[several instances] 2 instances on one PostgreSQL database: {} raced submissions \
         (4 copies each) stored once each; {} raced key edits, one 409 each; {} raced hour \
         decisions, one winner each, none lost; 5 × 4 raced review approvals all kept; sign-in \
         throttling shared",
        20,
        10,
        entries.len()
    );
}
