use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{assert_error, spawn_app, status_json};

#[tokio::test]
async fn login_returns_token_expiry_and_user() {
    let app = spawn_app().await;
    let res = app.login("Student1@Demo.Example", "practicum-demo").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["token"].as_str().unwrap().split('.').count() == 3);
    let expires: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().unwrap().parse().unwrap();
    let minutes = (expires - chrono::Utc::now()).num_minutes();
    assert!((55..=60).contains(&minutes), "expiry {minutes} min");
    assert_eq!(body["user"]["email"], "student1@demo.example");
    assert_eq!(body["user"]["role"], "student");
    assert!(body["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    let (s1, wrong) =
        status_json(app.login("student1@demo.example", "not-the-password").await).await;
    let (s2, unknown) = status_json(app.login("nobody@demo.example", "practicum-demo").await).await;
    let (s3, malformed) = status_json(app.login("not-an-email", "practicum-demo").await).await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, malformed);
    assert_error(&wrong, "unauthorized");
}

#[tokio::test]
async fn me_requires_a_valid_bearer_token() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let (status, body) = status_json(res).await;
    assert_eq!(status, 401);
    assert_error(&body, "unauthorized");

    let token = app.token("supervisor@demo.example").await;
    let (status, me) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["role"], "supervisor");
    assert_eq!(me["program"]["name"], "Demo Coding Certificate");
    assert_eq!(me["cohorts"][0]["role"], "supervisor");
    assert_eq!(me["cohorts"][0]["cohort"]["status"], "current");

    for bad in ["Basic abc", "Bearer", "Bearer not.a.jwt"] {
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{bad}");
    }
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let app = spawn_app().await;
    let token = app.token("student2@demo.example").await;
    let res = app
        .request(Method::POST, "/api/v1/auth/logout", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = app.get_json("/api/v1/me", &token).await;
    assert_eq!(status, 401);
    assert_error(&body, "unauthorized");
    // A new sign-in works again.
    let fresh = app.token("student2@demo.example").await;
    assert_eq!(app.get_json("/api/v1/me", &fresh).await.0, 200);
}

fn forge(payload: &Value, header: &Value, secret: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(header.to_string());
    let body = b64.encode(payload.to_string());
    let signing_input = format!("{head}.{body}");
    let sig = if header["alg"] == "none" {
        String::new()
    } else {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(signing_input.as_bytes());
        b64.encode(mac.finalize().into_bytes())
    };
    format!("{signing_input}.{sig}")
}

#[tokio::test]
async fn forged_expired_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.token("student1@demo.example").await;
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();

    // Payload edited to claim admin rights, original signature kept.
    let mut elevated = claims.clone();
    elevated["role"] = json!("program_admin");
    elevated["sub"] = json!("1");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(elevated.to_string()),
        parts[2]
    );

    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 3600);
    expired["iat"] = json!(now - 7200);
    let mut other_issuer = claims.clone();
    other_issuer["iss"] = json!("evil");
    let cases = [
        (
            "alg none",
            forge(&elevated, &json!({"alg": "none", "typ": "JWT"}), b""),
        ),
        (
            "wrong key",
            forge(&claims, &hs256, b"a-completely-different-secret-of-32+b"),
        ),
        ("tampered", tampered),
        ("expired (wrong key too)", forge(&expired, &hs256, b"x")),
        (
            "other issuer (wrong key too)",
            forge(&other_issuer, &hs256, b"x"),
        ),
    ];
    for (name, forged) in cases {
        let (status, body) = app.get_json("/api/v1/me", &forged).await;
        assert_eq!(status, 401, "{name}");
        assert_error(&body, "unauthorized");
    }
}

#[tokio::test]
async fn expired_tokens_are_refused_with_a_clear_message() {
    // Build tokens with the app's own secret: the PostgreSQL settings carry it,
    // SQLite keeps it in the data directory.
    let app = spawn_app().await;
    let secret = match &app.storage {
        crate::common::Storage::Sqlite(dir) => hex_secret(&dir.path().join("jwt-secret")),
        crate::common::Storage::Postgres { .. } => {
            b"test-secret-test-secret-test-secret-0123".to_vec()
        }
    };
    let keys = practicum::auth::JwtKeys::new(&secret, 60);
    let ids = app.demo_ids().await;
    let (old, _) = keys
        .issue(
            ids.student1_id,
            practicum::practicum::accounts::Role::Student,
            chrono::Utc::now() - chrono::Duration::hours(3),
        )
        .unwrap();
    let (status, body) = app.get_json("/api/v1/me", &old).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    let (fresh, _) = keys
        .issue(
            ids.student1_id,
            practicum::practicum::accounts::Role::Student,
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(
        app.get_json("/api/v1/me", &fresh).await.0,
        200,
        "same secret, fresh token works"
    );

    // Signed with the real secret, but not a token this server issued.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims: Value =
        serde_json::from_slice(&b64.decode(fresh.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let edited = |key: &str, value: Value| {
        let mut c = claims.clone();
        if value.is_null() {
            c.as_object_mut().unwrap().remove(key);
        } else {
            c[key] = value;
        }
        c
    };
    let cases = [
        (
            "another issuer",
            forge(&edited("iss", json!("evil")), &hs256, &secret),
        ),
        (
            "another audience",
            forge(&edited("aud", json!("elsewhere")), &hs256, &secret),
        ),
        (
            "no expiry",
            forge(&edited("exp", Value::Null), &hs256, &secret),
        ),
        (
            "another algorithm",
            forge(&claims, &json!({"alg": "HS512", "typ": "JWT"}), &secret),
        ),
    ];
    for (name, forged) in cases {
        let (status, body) = app.get_json("/api/v1/me", &forged).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_error(&body, "unauthorized");
    }
}

fn hex_secret(path: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    (0..text.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn deactivated_accounts_lose_access_at_once() {
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let student = app.token("student3@demo.example").await;
    let (_, users) = app.get_json("/api/v1/users?role=student", &admin).await;
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "student3@demo.example")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            &admin,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(app.get_json("/api/v1/me", &student).await.0, 401);
    assert_eq!(
        app.login("student3@demo.example", "practicum-demo")
            .await
            .status(),
        401
    );
    // An admin cannot lock themselves out.
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", ids.admin_id),
            &admin,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "active");
}

#[tokio::test]
async fn password_change_needs_the_current_password() {
    let app = spawn_app().await;
    let token = app.token("student4@demo.example").await;
    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/me/password",
            &token,
            &json!({"current_password": "wrong", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "current_password");
    let (status, body) = app
        .send_json(
            Method::POST,
            "/api/v1/me/password",
            &token,
            &json!({"current_password": "practicum-demo", "new_password": "short"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "new_password");
    let (status, _) = app
        .send_json(Method::POST, "/api/v1/me/password", &token, &json!({"current_password": "practicum-demo", "new_password": "a brand new passphrase"}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.login("student4@demo.example", "practicum-demo")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login("student4@demo.example", "a brand new passphrase")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_header() {
    let app = spawn_app().await;
    // Sign in through the page so the client holds the session cookie.
    crate::pages::sign_in_page(&app, "admin@demo.example").await;
    let (status, _) =
        status_json(app.client.get(app.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!(status, 200, "cookie works for reads");
    let res = app
        .client
        .post(app.url("/api/v1/programs"))
        .json(&json!({"name": "Via cookie", "ppe_hours_required": 10, "pass_threshold_pct": 70}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "cookie write without CSRF header is refused"
    );
    let admin = app.token("admin@demo.example").await;
    let (_, programs) = app.get_json("/api/v1/programs", &admin).await;
    assert!(
        !programs.to_string().contains("Via cookie"),
        "nothing was created"
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_per_account() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let res = app.login("student2@demo.example", "not the password").await;
        assert_eq!(res.status(), 401);
    }
    // The sixth attempt is refused before the password is looked at, even
    // the right one, and says when to come back.
    let res = app.login("student2@demo.example", "practicum-demo").await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");
    let (_, body) = crate::common::status_json(res).await;
    assert_error(&body, "rate_limited");
    // Other accounts from the same address still sign in.
    let res = app.login("student3@demo.example", "practicum-demo").await;
    assert_eq!(res.status(), 200);
    // The sign-in page says so too.
    let res = crate::pages::sign_in_page(&app, "student2@demo.example").await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("try again in"));
}

#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_throttle_and_successes_do_not_count() {
    let app = spawn_app().await;
    let attempt = |password: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        async move {
            client
                .post(url)
                .json(&json!({"email": "student2@demo.example", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let guesses: Vec<_> = (0..20)
        .map(|_| tokio::spawn(attempt("not the password")))
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let mut checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= 5 && statuses.iter().all(|s| matches!(s, 401 | 429)),
        "at most 5 of 20 parallel guesses reach the password check: {statuses:?}"
    );
    // Refused guesses are not failures; guessing on one at a time, exactly
    // five ever reach the check.
    while attempt("not the password").await == 401 {
        checked += 1;
    }
    assert_eq!(checked, 5, "{statuses:?}");
    assert_eq!(
        attempt("practicum-demo").await,
        429,
        "the account is paused"
    );

    // 55 good sign-ins from one address (over the per-address limit of 50)
    // are not failures: the next one still works.
    for _ in 0..55 {
        assert_eq!(
            app.login("student3@demo.example", "practicum-demo")
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn behind_a_named_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let app = crate::common::spawn_app_with(|raw| {
        raw.trusted_proxies = Some("127.0.0.1, ::1".into());
    })
    .await;
    let attempt = |email: String, from: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", format!("192.0.2.1, {from}"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    // 50 failures (different accounts) from one client behind the proxy.
    for i in 0..50 {
        let res = attempt(format!("nobody{i}@school.example"), "203.0.113.9", "wrong")
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = attempt(
        "student1@demo.example".into(),
        "203.0.113.9",
        "practicum-demo",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 429, "that client is paused");
    // Another client behind the same proxy is not.
    let res = attempt(
        "student1@demo.example".into(),
        "203.0.113.10",
        "practicum-demo",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200, "the proxy's other clients still sign in");
    // A relayed request for the metrics is not local, whatever the peer.
    let res = app
        .client
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
