//! Browser tests: headless Chromium driven over WebDriver (chromedriver)
//! against the real server. Skipped, with a notice, where Chromium or
//! chromedriver is missing, unless PRACTICUM_REQUIRE_BROWSER=1.

#[path = "../common/mod.rs"]
mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use common::spawn_app;

fn find(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or explains why the browser tests are skipped.
fn start_driver() -> Option<(Driver, PathBuf)> {
    let driver = find(
        "PRACTICUM_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    );
    let browser = find(
        "PRACTICUM_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    );
    let (Some(driver), Some(browser)) = (driver, browser) else {
        let required = std::env::var("PRACTICUM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "PRACTICUM_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"
        );
        let _ = std::io::stderr().write_all(
            b"[practicum tests] SKIPPED: browser tests (install Debian's chromium and chromium-driver to run them)\n",
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((Driver { child, port }, browser));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not start listening");
}

async fn browser(driver: &Driver, chromium: &PathBuf) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900"]
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session")
}

async fn sign_in(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("practicum-demo")
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_url(url::Url::parse(&format!("{base}/dashboard")).unwrap())
        .await
        .unwrap();
}

/// Waits until the page's query string contains `needle`.
async fn wait_for_query(client: &Client, needle: &str) {
    for _ in 0..100 {
        if client
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or_default()
            .contains(needle)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("page never reached ?{needle}");
}

async fn heading(client: &Client) -> String {
    client
        .find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_role_signs_in_sees_its_dashboard_and_signs_out() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let client = browser(&driver, &chromium).await;
    for (email, expected) in [
        ("admin@demo.example", "Program administration"),
        ("supervisor@demo.example", "Supervisor dashboard"),
        ("student1@demo.example", "My practicum"),
    ] {
        sign_in(&client, &app.address, email).await;
        assert_eq!(heading(&client).await, expected, "{email}");
        let banner = client
            .find(Locator::Css(".synthetic-banner"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(banner.contains("Synthetic data — not real patients"));
        client
            .find(Locator::Css(".whoami button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .for_element(Locator::Css("p.notice"))
            .await
            .unwrap();
        let notice = client
            .find(Locator::Css("p.notice"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(notice, "You are signed out.");
        // The dashboard is closed again.
        client
            .goto(&format!("{}/dashboard", app.address))
            .await
            .unwrap();
        assert!(
            client
                .current_url()
                .await
                .unwrap()
                .path()
                .starts_with("/login"),
            "{email} signed out"
        );
    }
    client.close().await.unwrap();
}

#[tokio::test]
async fn keyboard_users_reach_the_skip_link_and_form_labels() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let client = browser(&driver, &chromium).await;
    client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    // Every input has a label pointing at it.
    let unlabelled: i64 = client
        .execute(
            "return [...document.querySelectorAll('input:not([type=hidden]), select')]
                .filter(el => !document.querySelector(`label[for='${el.id}']`)).length;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(unlabelled, 0);
    // The first Tab on a fresh page (one without an autofocus field) lands on the skip link.
    client
        .goto(&format!("{}/api/docs", app.address))
        .await
        .unwrap();
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '\u{E004}' })
        .then(KeyAction::Up { value: '\u{E004}' });
    client.perform_actions(tab).await.unwrap();
    let focused = client
        .execute("return document.activeElement.className", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("skip-link"), "first Tab stop");
    client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    // Sign in using only the keyboard: type, Tab, type, Enter.
    let email = client.find(Locator::Id("email")).await.unwrap();
    email
        .send_keys("student2@demo.example\u{E004}practicum-demo\u{E007}")
        .await
        .unwrap();
    client
        .wait()
        .for_url(url::Url::parse(&format!("{}/dashboard", app.address)).unwrap())
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "My practicum");
    let landmarks = client
        .execute(
            "return ['main', 'nav', 'header', 'footer'].every(s => document.querySelector(s));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(landmarks, json!(true));
    client.close().await.unwrap();
}

#[tokio::test]
async fn admin_creates_a_cohort_and_enrols_a_student_in_the_browser() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "admin@demo.example").await;
    client
        .find(Locator::LinkText("Demo Coding Certificate"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("cohort_name"))
        .await
        .unwrap();
    client
        .find(Locator::Id("cohort_name"))
        .await
        .unwrap()
        .send_keys("Browser cohort")
        .await
        .unwrap();
    // Date inputs take the value in the browser's locale order; set them directly.
    client
        .execute("document.getElementById('term_start').value='2027-01-11'; document.getElementById('term_end').value='2027-05-14';", vec![])
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action$='/cohorts'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Id("user_id"))
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "Browser cohort");
    client
        .find(Locator::Css("#user_id option[value]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action$='/enrolments'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(&client, "notice=enrolled").await;
    let notice = client
        .find(Locator::Css("p.notice"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "Enrolled.");
    let rows = client
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn the_encoder_is_keyboard_first() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "student1@demo.example").await;
    client
        .find(Locator::LinkText("Encoder"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let input = client
        .wait()
        .for_element(Locator::Id("encoder-q"))
        .await
        .unwrap();
    // Type, arrow down to the first result, Enter to open it.
    input.send_keys("colles fracture right").await.unwrap();
    let first = "const e = document.querySelector('#encoder-results li[role=option]'); return e ? e.dataset.code : null;";
    for _ in 0..50 {
        if client.execute(first, vec![]).await.unwrap() == json!("S52.531-") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the debounced search settle so the list is not re-rendered under us.
    tokio::time::sleep(Duration::from_millis(400)).await;
    input.send_keys("\u{E015}").await.unwrap();
    let selected = client
        .execute("const e = document.querySelector('#encoder-results li[aria-selected=true]'); return e ? e.dataset.code : null;", vec![])
        .await
        .unwrap();
    assert_eq!(selected, json!("S52.531-"));
    input.send_keys("\u{E007}").await.unwrap();
    let mut heading = String::new();
    for _ in 0..50 {
        // Read through script: the panel is replaced while it loads.
        heading = client
            .execute("const h = document.getElementById('detail-heading'); return h ? h.textContent : '';", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if heading.starts_with("S52.531") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        heading.starts_with("S52.531 Colles' fracture of right radius"),
        "{heading}"
    );
    let detail = client
        .find(Locator::Id("encoder-detail"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains("needs a 7th character"), "{detail}");
    assert!(detail.contains("initial encounter for closed fracture"));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_student_finds_a_patient_opens_the_chart_and_reads_the_notes() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    // Pick a demo patient through the API to search for by name.
    let token = app.token("student1@demo.example").await;
    let (_, page) = app.get_json("/api/v1/patients?limit=1", &token).await;
    let family = page["items"][0]["patient"]["family_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let given = page["items"][0]["patient"]["given_name"]
        .as_str()
        .unwrap()
        .to_owned();

    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "student1@demo.example").await;
    client
        .find(Locator::LinkText("Patients"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let search = client.wait().for_element(Locator::Id("q")).await.unwrap();
    search.send_keys(&family).await.unwrap();
    search.send_keys("\u{E007}").await.unwrap();
    wait_for_query(&client, "q=").await;
    let name = format!("{family}, {given}");
    client
        .wait()
        .for_element(Locator::LinkText(&name))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The chart: a banner marked synthetic, and the encounter list.
    let banner = client
        .wait()
        .for_element(Locator::Css(".patient-banner"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        banner.contains("SYNTHETIC") && banner.contains("SYN-"),
        "{banner}"
    );
    client
        .find(Locator::Css("#enc-heading + table a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Notes open first; the document text is there to read.
    let note = client
        .wait()
        .for_element(Locator::Css(".document-body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(note.len() > 100, "{note}");
    // For looking at the pages: PRACTICUM_SCREENSHOT_DIR=dir saves PNGs.
    if let Ok(dir) = std::env::var("PRACTICUM_SCREENSHOT_DIR") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join("encounter-notes.png"), png).unwrap();
    }
    let current = client
        .find(Locator::Css(".tabs a[aria-current=page]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(current.starts_with("Notes"), "{current}");
    // Keyboard: the Vitals tab is a link reachable and followable.
    client
        .find(Locator::Css("a[href$='tab=vitals']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(&client, "tab=vitals").await;
    let panel = client
        .find(Locator::Css(".tab-panel"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(panel.to_lowercase().contains("blood pressure"), "{panel}");
    if let Ok(dir) = std::env::var("PRACTICUM_SCREENSHOT_DIR") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join("encounter-vitals.png"), png).unwrap();
    }
    let page_text = client.source().await.unwrap();
    assert!(
        !page_text.contains("Answer key"),
        "students never see the key"
    );
    client.close().await.unwrap();
}

// ---- the coding workflow -----------------------------------------------------

/// Saves a PNG of the page when PRACTICUM_SCREENSHOT_DIR is set.
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("PRACTICUM_SCREENSHOT_DIR") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }
}

/// Scrolls the live edits into view and saves a PNG of the viewport.
async fn screenshot_live_edits(client: &Client, name: &str) {
    if std::env::var("PRACTICUM_SCREENSHOT_DIR").is_ok() {
        eval(
            client,
            "document.getElementById('live-edits').scrollIntoView({block: 'end'}); return true;",
        )
        .await;
        screenshot(client, name).await;
    }
}

/// Runs a script that returns a value.
async fn eval(client: &Client, script: &str) -> serde_json::Value {
    client.execute(script, vec![]).await.unwrap()
}

/// Polls `script` (which returns true when done) for up to `secs` seconds;
/// on timeout, panics with `what` and the value of `explain`.
async fn wait_until(client: &Client, secs: u64, script: &str, what: &str, explain: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if eval(client, script).await == json!(true) {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!(
                "timed out waiting for {what}: {}",
                eval(client, explain).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Empties an input with the keyboard (End, then Backspace for each
/// character), so the page sees real key and input events.
async fn clear_by_keyboard(input: &fantoccini::elements::Element) {
    let len = input
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
        .chars()
        .count();
    let mut keys = String::from("\u{E010}");
    keys.extend(std::iter::repeat_n('\u{E003}', len));
    input.send_keys(&keys).await.unwrap();
    assert_eq!(input.prop("value").await.unwrap().as_deref(), Some(""));
}

/// Types into the form field `name` (which must be empty).
async fn type_into(client: &Client, name: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    let input = client
        .find(Locator::Css(&format!("#claim-form input[name='{name}']")))
        .await
        .unwrap();
    input.click().await.unwrap();
    input.send_keys(text).await.unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some(text),
        "{name} after typing"
    );
}

/// True once the live edits were redrawn by a check started after the last
/// key press (the page checks 250 ms after typing), with no error finding.
const LIVE_CLEAN: &str = "const t = window.__t, live = document.getElementById('live-edits');
    return t.live >= t.key + 250 && !!live.querySelector('h3') && !live.querySelector('.finding-error')
        && !live.querySelector('p.error') && !document.querySelector('#claim-form [aria-invalid]');";
const LIVE_TEXT: &str = "return document.getElementById('live-edits').innerText;";

#[tokio::test]
async fn a_student_codes_an_assigned_encounter_with_live_edits_and_reads_the_result() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let at = |offset: chrono::Duration| {
        (chrono::Utc::now() + offset)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let (status, assignment) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/cohorts/{}/assignments", ids.cohort_id),
            &sup,
            &json!({"title": "Week 1 practice", "mode": "practice",
                    "opens_at": at(chrono::Duration::hours(-1)), "due_at": at(chrono::Duration::days(7)),
                    "areas": ["orthopedics"], "count": 2, "seed": 5}),
        )
        .await;
    assert_eq!(status, 201, "{assignment}");

    // The student finds the assignment on the worklist.
    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "student1@demo.example").await;
    client
        .find(Locator::LinkText("Worklist"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_url(url::Url::parse(&format!("{}/worklist", app.address)).unwrap())
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "Worklist");
    let title = client
        .find(Locator::Css("section.card h2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(title.starts_with("Week 1 practice"), "{title}");
    let statuses = eval(
        &client,
        "return [...document.querySelectorAll('table.ehr-table tbody tr td:nth-child(5)')].map(td => td.innerText.trim());",
    )
    .await;
    assert_eq!(statuses, json!(["not started", "not started"]));
    screenshot(&client, "worklist-before.png").await;
    let patient = client
        .find(Locator::Css("table.ehr-table tbody tr td:nth-child(2) a"))
        .await
        .unwrap();
    let href = patient.attr("href").await.unwrap().unwrap();
    let encounter_id: i64 = href
        .strip_prefix("/ehr/encounters/")
        .and_then(|r| r.strip_suffix("/code"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("patient link {href}"));
    patient.click().await.unwrap();
    client
        .wait()
        .for_url(url::Url::parse(&format!("{}{href}", app.address)).unwrap())
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "Code this encounter");
    let notes = client
        .find(Locator::Css(".workspace-chart .document-body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notes.len() > 100, "{notes}");

    // The answer key, as the supervisor sees it.
    let (status, keys) = app
        .get_json(&format!("/api/v1/encounters/{encounter_id}/keys"), &sup)
        .await;
    assert_eq!(status, 200, "{keys}");
    let key = keys.as_array().unwrap().last().unwrap()["key"].clone();
    let diagnoses: Vec<String> = key["diagnoses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    let lines = key["lines"].as_array().unwrap().clone();
    assert!(!diagnoses.is_empty() && diagnoses.len() < 12, "{key}");
    assert!(!lines.is_empty() && lines.len() <= 6, "{key}");
    let strings = |v: &serde_json::Value, sep: &str| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(sep)
            })
            .unwrap_or_default()
    };

    // Timestamps of the last key press and of each redraw of the live edits
    // and the lookup list, to tell a fresh check from one still in flight.
    eval(
        &client,
        "window.__t = {key: 0, live: 0, lookup: 0};
         document.addEventListener('keydown', () => { window.__t.key = performance.now(); }, true);
         new MutationObserver(() => { window.__t.live = performance.now(); })
             .observe(document.getElementById('live-edits'), {childList: true, subtree: true});
         new MutationObserver(() => { window.__t.lookup = performance.now(); })
             .observe(document.getElementById('lookup-results'), {childList: true});
         return true;",
    )
    .await;

    // A category header is not a billable code: the live edits flag dx A.
    type_into(&client, "dx_A", "S52").await;
    wait_until(
        &client,
        5,
        "const live = document.getElementById('live-edits');
         return !!live.querySelector('li.finding') && document.getElementById('dx_A').getAttribute('aria-invalid') === 'true';",
        "a live finding on dx A",
        LIVE_TEXT,
    )
    .await;
    let finding = eval(&client, LIVE_TEXT).await;
    assert!(
        finding.as_str().unwrap().contains("S52"),
        "the finding names the code: {finding}"
    );
    screenshot(&client, "workspace-error.png").await;
    screenshot_live_edits(&client, "workspace-error-edits.png").await;
    clear_by_keyboard(&client.find(Locator::Id("dx_A")).await.unwrap()).await;

    // The key's claim, typed field by field.
    for (i, d) in diagnoses.iter().enumerate() {
        let letter = (b'A' + i as u8) as char;
        type_into(&client, &format!("dx_{letter}"), d).await;
    }
    for (i, l) in lines.iter().enumerate() {
        type_into(&client, &format!("code_{i}"), l["code"].as_str().unwrap()).await;
        type_into(
            &client,
            &format!("mods_{i}"),
            &strings(&l["modifiers"], " "),
        )
        .await;
        type_into(&client, &format!("units_{i}"), &l["units"].to_string()).await;
        type_into(&client, &format!("ptrs_{i}"), &strings(&l["pointers"], "")).await;
    }
    wait_until(&client, 5, LIVE_CLEAN, "clean live edits", LIVE_TEXT).await;
    screenshot(&client, "workspace-key.png").await;
    screenshot_live_edits(&client, "workspace-key-edits.png").await;

    // The encoder lookup fills the field last focused.
    let spare = format!("dx_{}", (b'A' + diagnoses.len() as u8) as char);
    client
        .find(Locator::Id(&spare))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let q = client.find(Locator::Id("lookup-q")).await.unwrap();
    q.click().await.unwrap();
    q.send_keys("essential hypertension").await.unwrap();
    wait_until(
        &client,
        5,
        "return window.__t.lookup >= window.__t.key + 150
             && document.querySelectorAll('#lookup-results li[role=option]').length > 0;",
        "lookup results",
        "return document.getElementById('lookup-results').innerText;",
    )
    .await;
    let first = eval(
        &client,
        "return document.querySelector('#lookup-results li[role=option]').dataset.code;",
    )
    .await;
    assert_eq!(
        eval(
            &client,
            "return document.getElementById('lookup-q').getAttribute('aria-expanded');"
        )
        .await,
        json!("true")
    );
    assert_eq!(first, json!("I10"), "best match for essential hypertension");
    screenshot(&client, "workspace-lookup.png").await;
    q.send_keys("\u{E015}").await.unwrap();
    assert_eq!(
        eval(
            &client,
            "const e = document.querySelector('#lookup-results li[aria-selected=true]'); return e ? e.dataset.code : null;"
        )
        .await,
        first
    );
    q.send_keys("\u{E007}").await.unwrap();
    let filled = eval(
        &client,
        "return [...document.querySelectorAll('#claim-form input:not([type=hidden])')]
             .filter(i => i.value).map(i => i.name + '=' + i.value);",
    )
    .await;
    let spare_value = eval(
        &client,
        &format!("return document.getElementById('{spare}').value;"),
    )
    .await;
    assert_eq!(
        spare_value, first,
        "the lookup fills {spare}, the field last focused; the form now holds {filled}"
    );
    assert_eq!(
        eval(&client, "return document.activeElement.id;").await,
        json!(spare),
        "focus goes back to the filled field"
    );
    // Take it out again so the claim matches the key.
    clear_by_keyboard(&client.find(Locator::Id(&spare)).await.unwrap()).await;
    wait_until(&client, 5, LIVE_CLEAN, "clean live edits", LIVE_TEXT).await;

    // Submit, and read the result with the key beside the claim.
    client
        .find(Locator::Css("#claim-form button[value=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/ehr/claims/")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no result page: {}",
            client.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(heading(&client).await, "Claim result");
    let score = client
        .find(Locator::Id("score-heading"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(score, "Score: 100% — pass");
    let list_of = |section: &'static str| {
        let client = client.clone();
        async move {
            eval(
                &client,
                &format!(
                    "return [...document.querySelectorAll('section[aria-labelledby={section}] li')].map(li => li.innerText.trim());"
                ),
            )
            .await
        }
    };
    let mut expected: Vec<String> = diagnoses
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}. {d}", (b'A' + i as u8) as char))
        .collect();
    for l in &lines {
        let mods = strings(&l["modifiers"], "-");
        expected.push(format!(
            "{}{} × {} → {}",
            l["code"].as_str().unwrap(),
            if mods.is_empty() {
                String::new()
            } else {
                format!("-{mods}")
            },
            l["units"],
            strings(&l["pointers"], "")
        ));
    }
    assert_eq!(list_of("key-heading").await, json!(expected), "the key");
    assert_eq!(list_of("yours-heading").await, json!(expected), "the claim");
    screenshot(&client, "claim-result.png").await;
    let claim_path = client.current_url().await.unwrap().path().to_owned();

    // Back on the worklist: submitted, with a link to the score.
    client
        .find(Locator::LinkText("Worklist"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_url(url::Url::parse(&format!("{}/worklist", app.address)).unwrap())
        .await
        .unwrap();
    let rows = eval(
        &client,
        "return [...document.querySelectorAll('table.ehr-table tbody tr')].map(tr => {
             const a = tr.querySelector('td:nth-child(6) a');
             return [tr.querySelector('td:nth-child(2) a').getAttribute('href'),
                     tr.querySelector('td:nth-child(5)').innerText.trim(),
                     a ? a.getAttribute('href') : null, a ? a.innerText.trim() : null];
         });",
    )
    .await;
    assert_eq!(rows[0][0], json!(href), "{rows}");
    assert_eq!(rows[0][1], json!("submitted (v1)"), "{rows}");
    assert_eq!(rows[0][2], json!(claim_path), "{rows}");
    assert_eq!(rows[0][3], json!("100.0%"), "{rows}");
    assert_eq!(rows[1][1], json!("not started"), "{rows}");
    screenshot(&client, "worklist-after.png").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_supervisor_reviews_a_claim_from_the_queue() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let sup = app.token("supervisor@demo.example").await;
    let s1 = app.token("student1@demo.example").await;
    let (_, page) = app.get_json("/api/v1/encounters?limit=1", &sup).await;
    let enc = page["items"][0]["encounter"]["id"].as_i64().unwrap();
    let (_, keys) = app
        .get_json(&format!("/api/v1/encounters/{enc}/keys"), &sup)
        .await;
    let k = &keys[0]["key"];
    let lines: Vec<serde_json::Value> = k["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"]}))
        .collect();
    let claim = json!({"date_of_service": k["date_of_service"], "patient": k["patient"], "diagnoses": [k["diagnoses"][0]], "lines": lines});
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/encounters/{enc}/claims"),
            &s1,
        )
        .header("Idempotency-Key", "browser-review")
        .json(&claim)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let sub: serde_json::Value = res.json().await.unwrap();
    let id = sub["id"].as_i64().unwrap();

    // The supervisor opens the queue from the dashboard, filters to what
    // needs review, opens the claim and overrides its score with a comment.
    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "supervisor@demo.example").await;
    client
        .find(Locator::LinkText("Review queue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        &client,
        5,
        "return location.pathname.endsWith('/review');",
        "the review queue",
        "",
    )
    .await;
    client
        .find(Locator::Css("input[name=needs_review]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(&client, "needs_review=yes").await;
    client
        .find(Locator::LinkText(&format!("Review claim {id}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        &client,
        5,
        "return !!document.getElementById('do-review-heading');",
        "the review form",
        "",
    )
    .await;
    screenshot(&client, "review-before.png").await;
    client
        .find(Locator::Css("input[name=outcome][value=overridden]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("override_total"))
        .await
        .unwrap()
        .send_keys("92.5")
        .await
        .unwrap();
    client
        .find(Locator::Id("comment"))
        .await
        .unwrap()
        .send_keys("The second diagnosis was not documented clearly; credit given.")
        .await
        .unwrap();
    client
        .find(Locator::Css(
            "#do-review-heading ~ form button[type=submit]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_query(&client, "notice=reviewed").await;
    let body = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("Supervisor review: overridden"), "{body}");
    assert!(body.contains("Score: 92.5%"), "{body}");
    screenshot(&client, "review-after.png").await;

    // The student sees the outcome and the comment.
    let (_, seen) = app.get_json(&format!("/api/v1/claims/{id}"), &s1).await;
    assert_eq!(seen["score"]["total"], 92.5);
    assert!(
        seen["review"]["comment"]
            .as_str()
            .unwrap()
            .contains("credit given")
    );
    let _ = ids;
    client.close().await.ok();
}

#[tokio::test]
async fn a_program_admin_reads_the_cohort_report() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let ids = app.demo_ids().await;
    let admin = app.token("admin@demo.example").await;
    let today = chrono::Utc::now().date_naive();
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!(
                "/api/v1/cohorts/{}/students/{}/hours",
                ids.cohort_id, ids.student1_id
            ),
            &admin,
            &json!({"work_date": today, "minutes": 90, "activity": "Orientation", "reason": "Program orientation"}),
        )
        .await;
    assert_eq!(status, 201);

    let client = browser(&driver, &chromium).await;
    sign_in(&client, &app.address, "admin@demo.example").await;
    client
        .goto(&format!("{}/cohorts/{}/report", app.address, ids.cohort_id))
        .await
        .unwrap();
    assert!(heading(&client).await.starts_with("Cohort report"));
    // Five students, with progress bars and the CSV links; three charts.
    let facts = eval(
        &client,
        "return {rows: document.querySelectorAll('main tbody tr').length, \
                 bars: document.querySelectorAll('main progress').length, \
                 charts: document.querySelectorAll('main svg[role=img]').length, \
                 csv: [...document.querySelectorAll('a[href*=\"report.csv\"]')].length};",
    )
    .await;
    assert_eq!(facts["rows"], 5, "{facts}");
    assert_eq!(facts["bars"], 5, "{facts}");
    assert_eq!(facts["charts"], 3, "{facts}");
    assert_eq!(facts["csv"], 3, "{facts}");
    screenshot(&client, "cohort-report.png").await;
    // The student's printable record shows the approved orientation.
    client
        .find(Locator::Css(&format!(
            "a[href='/cohorts/{}/students/{}/record']",
            ids.cohort_id, ids.student1_id
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        &client,
        5,
        "return document.body.innerText.includes('Professional practice experience record');",
        "the PPE record",
        "",
    )
    .await;
    let text = client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("Orientation") && text.contains("1.5 of"),
        "{text}"
    );
    screenshot(&client, "ppe-record.png").await;
    client.close().await.ok();
}
