//! Pages over plain HTTP: sign-in with CSRF, dashboards per role, forms, the banner.

use crate::common::{TestApp, spawn_app};

/// Extracts the value of the hidden input `name` from a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Signs in through the login form; the client keeps the session cookie.
pub async fn sign_in_page(app: &TestApp, email: &str) -> reqwest::Response {
    sign_in_with(app, &app.client, email).await
}

/// Signs in through the login form with a client of one's own.
pub async fn sign_in_with(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
) -> reqwest::Response {
    let form = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form, "csrf_token");
    client
        .post(app.url("/login"))
        .form(&[
            ("email", email),
            ("password", "practicum-demo"),
            ("csrf_token", &csrf),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=/dashboard");
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/login");
    let (status, html) = page(&app, "/login").await;
    assert_eq!(status, 200);
    assert!(html.contains("Synthetic data — not real patients"));
    assert!(html.contains("<label for=\"email\">"));
    assert!(html.contains("<main id=\"main\""));
    assert!(
        html.contains("Demo accounts") && html.contains("student5@demo.example"),
        "demo accounts listed on a demo instance"
    );
}

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_shows_the_role_dashboard() {
    let app = spawn_app().await;
    let res = sign_in_page(&app, "admin@demo.example").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/dashboard");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("practicum_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let (status, html) = page(&app, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("Program administration"));
    assert!(html.contains("Demo Coding Certificate"));
    assert!(html.contains("Synthetic data — not real patients"));
}

#[tokio::test]
async fn each_role_gets_its_own_dashboard() {
    for (email, heading, must_not) in [
        (
            "supervisor@demo.example",
            "Supervisor dashboard",
            "Manage programs",
        ),
        ("student1@demo.example", "My practicum", "Student Two"),
    ] {
        let app = spawn_app().await;
        sign_in_page(&app, email).await;
        let (status, html) = page(&app, "/dashboard").await;
        assert_eq!(status, 200);
        assert!(html.contains(heading), "{email}");
        assert!(!html.contains(must_not), "{email} sees {must_not}");
    }
    // The supervisor's dashboard lists their students.
    let app = spawn_app().await;
    sign_in_page(&app, "supervisor@demo.example").await;
    let (_, html) = page(&app, "/dashboard").await;
    for n in ["One", "Two", "Three", "Four", "Five"] {
        assert!(html.contains(&format!("Student {n}")));
    }
}

#[tokio::test]
async fn wrong_password_on_the_form_is_refused_without_a_session() {
    let app = spawn_app().await;
    let form = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form, "csrf_token");
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "admin@demo.example"),
            ("password", "nope"),
            ("csrf_token", &csrf),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("practicum_session="))
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("e-mail or password is incorrect"));
    assert!(html.contains("value=\"admin@demo.example\""), "e-mail kept");
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    // Login form without the nonce cookie's token.
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = fresh
        .post(app.url("/login"))
        .form(&[
            ("email", "admin@demo.example"),
            ("password", "practicum-demo"),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    sign_in_page(&app, "admin@demo.example").await;
    let res = app
        .client
        .post(app.url("/admin/programs"))
        .form(&[
            ("name", "Forged"),
            ("ppe_hours_required", "10"),
            ("pass_threshold_pct", "80"),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (_, html) = page(&app, "/admin/programs").await;
    assert!(!html.contains("Forged"), "nothing created");
    // Logout without the token does not sign out.
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(page(&app, "/dashboard").await.0, 200);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    sign_in_page(&app, "student1@demo.example").await;
    let (_, html) = page(&app, "/dashboard").await;
    let csrf = hidden(&html, "csrf_token");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?notice=signed_out");
    let res = app.client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 303, "signed out");
}

#[tokio::test]
async fn admin_pages_create_and_edit_through_forms() {
    let app = spawn_app().await;
    sign_in_page(&app, "admin@demo.example").await;
    let (_, html) = page(&app, "/admin/programs").await;
    let csrf = hidden(&html, "csrf_token");
    let res = app
        .client
        .post(app.url("/admin/programs"))
        .form(&[
            ("name", "Weekend Track"),
            ("ppe_hours_required", "30"),
            ("pass_threshold_pct", "75"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/programs/") && location.ends_with("?notice=created"),
        "{location}"
    );
    let (status, html) = page(&app, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Weekend Track") && html.contains("Created."));

    // A bad value re-renders the form with the error and keeps what was typed.
    let res = app
        .client
        .post(app.url("/admin/programs"))
        .form(&[
            ("name", "Typo Track"),
            ("ppe_hours_required", "lots"),
            ("pass_threshold_pct", "75"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("PPE hours required: must be a whole number"),
        "field named"
    );
    assert!(html.contains("value=\"Typo Track\""));

    // A cohort on the new program, then enrol a demo student through the form.
    let program_path = location.split('?').next().unwrap().to_owned();
    let res = app
        .client
        .post(app.url(&format!("{program_path}/cohorts")))
        .form(&[
            ("name", "Weekend 2027"),
            ("term_start", "2027-01-09"),
            ("term_end", "2027-04-24"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cohort_location = res.headers()["location"].to_str().unwrap().to_owned();
    let (status, html) = page(&app, &cohort_location).await;
    assert_eq!(status, 200);
    assert!(html.contains("Weekend 2027") && html.contains("Nobody is enrolled yet."));
    // Demo students belong to the demo program, so they are not offered here.
    assert!(!html.contains("Student One"));
}

#[tokio::test]
async fn students_and_supervisors_cannot_open_admin_pages() {
    let app = spawn_app().await;
    sign_in_page(&app, "student1@demo.example").await;
    for path in [
        "/admin/programs",
        "/admin/users",
        "/admin/programs/1",
        "/admin/cohorts/1",
        "/admin/users/1",
    ] {
        let (status, html) = page(&app, path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("Not allowed"));
    }
    let app = spawn_app().await;
    sign_in_page(&app, "supervisor@demo.example").await;
    let (status, _) = page(&app, "/admin/users").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn unreadable_forms_get_an_error_page_not_a_crash() {
    let app = spawn_app().await;
    sign_in_page(&app, "admin@demo.example").await;
    let res = app
        .client
        .post(app.url("/admin/programs"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("the form could not be read"), "{html:.200}");
}
