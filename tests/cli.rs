//! The `practicum` command line: help everywhere, configuration errors one per
//! bad value, and migrate / seed-demo / create-admin on a fresh data directory.

use std::process::Command;

fn practicum() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_practicum"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PRACTICUM_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed-demo", "--help"],
        vec!["create-admin", "--help"],
        vec!["generate", "--help"],
        vec!["claim", "check", "--help"],
    ] {
        let out = practicum().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Usage: practicum"), "{args:?}: {text}");
    }
    let top = String::from_utf8(practicum().arg("--help").output().unwrap().stdout).unwrap();
    for name in [
        "serve",
        "migrate",
        "seed-demo",
        "create-admin",
        "PRACTICUM_BIND",
        "PRACTICUM_DATABASE_URL",
    ] {
        assert!(top.contains(name), "{name} in --help");
    }
}

#[test]
fn bad_configuration_is_reported_one_message_per_value() {
    let out = practicum()
        .arg("migrate")
        .env("PRACTICUM_BIND", "not-an-address")
        .env("PRACTICUM_LOG_FORMAT", "yaml")
        .env("PRACTICUM_DATABASE_URL", "postgres://x@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("PRACTICUM_BIND: \"not-an-address\""), "{err}");
    assert!(
        err.contains("PRACTICUM_LOG_FORMAT: \"yaml\" must be text or json"),
        "{err}"
    );
    assert!(
        err.contains("PRACTICUM_JWT_SECRET: required with PostgreSQL"),
        "{err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.trim_start().starts_with("- "))
            .count(),
        3,
        "{err}"
    );
    // The command line overrides the environment.
    let out = practicum()
        .args([
            "--log-format",
            "text",
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .arg("migrate")
        .env("PRACTICUM_BIND", "not-an-address")
        .env("PRACTICUM_LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn seed_demo_and_create_admin_on_a_fresh_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        practicum()
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env("PRACTICUM_ADMIN_PASSWORD", "a strong admin passphrase")
            .output()
            .unwrap()
    };
    let out = run(&["seed-demo"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("for trying the product only"), "{err}");
    assert!(err.contains("student5@demo.example"));
    assert!(dir.path().join("practicum.db").exists());
    let again = String::from_utf8(run(&["seed-demo"]).stderr).unwrap();
    assert!(again.contains("demo data not seeded"), "{again}");

    let out = run(&[
        "create-admin",
        "--email",
        "Director@College.Example",
        "--name",
        "Dana Director",
        "--program",
        "Health Information Technology AAS",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "create-admin",
        "--email",
        "director@college.example",
        "--name",
        "Dup",
        "--program",
        "X",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = practicum()
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "create-admin",
            "--email",
            "weak@college.example",
            "--name",
            "Weak",
            "--program",
            "X",
        ])
        .env("PRACTICUM_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password"),
        "names the problem"
    );
}

const SAMPLE_RELEASE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2027</version>
  <chapter>
    <name>4</name>
    <desc>Endocrine, nutritional and metabolic diseases (E00-E89)</desc>
    <section id="E08-E13">
      <desc>Diabetes mellitus (E08-E13)</desc>
      <diag>
        <name>E11</name>
        <desc>Type 2 diabetes mellitus</desc>
        <diag><name>E11.9</name><desc>Type 2 diabetes mellitus without complications</desc></diag>
        <diag><name>E11.B</name><desc>Made-up code that exists only in this test release</desc></diag>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"#;

#[test]
fn codeset_info_and_import_of_a_later_release() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        practicum()
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&["codeset", "info", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["icd10cm"][0]["stats"]["billable"], 74_719);
    assert_eq!(
        info["icd10cm"][0]["release"]["effective_from"],
        "2026-04-01"
    );
    assert!(info["cpt_codes"].as_u64().unwrap() >= 150);
    assert!(
        info["icd10cm"][0]["stats"]["notes_with_refs_unparsed"]
            .as_u64()
            .unwrap()
            > 0
    );
    let text = String::from_utf8(run(&["codeset", "info"]).stdout).unwrap();
    assert!(text.contains("billable       74719"), "{text}");

    // A broken file names its line and changes nothing.
    let bad = dir.path().join("broken.xml");
    std::fs::write(
        &bad,
        SAMPLE_RELEASE.replace("<diag><name>E11.B</name>", "<diag><name>E11.B</nam>"),
    )
    .unwrap();
    let out = run(&[
        "codeset",
        "import",
        "icd10cm",
        bad.to_str().unwrap(),
        "--effective-from",
        "2026-10-01",
        "--effective-to",
        "2027-09-30",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 13") && err.contains("nothing was imported"),
        "{err}"
    );
    let missing_dates = dir.path().join("sample.xml");
    std::fs::write(&missing_dates, SAMPLE_RELEASE).unwrap();
    let out = run(&[
        "codeset",
        "import",
        "icd10cm",
        missing_dates.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--effective-from"));
    let info: serde_json::Value =
        serde_json::from_slice(&run(&["codeset", "info", "--json"]).stdout).unwrap();
    assert_eq!(
        info["icd10cm"].as_array().unwrap().len(),
        1,
        "still one release"
    );

    // A good file is stored and applies from its effective date on.
    let out = run(&[
        "codeset",
        "import",
        "icd10cm",
        missing_dates.to_str().unwrap(),
        "--release-name",
        "Sample FY2027",
        "--effective-from",
        "2026-10-01",
        "--effective-to",
        "2027-09-30",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value =
        serde_json::from_slice(&run(&["codeset", "info", "--json"]).stdout).unwrap();
    let releases = info["icd10cm"].as_array().unwrap();
    assert_eq!(releases.len(), 2);
    assert_eq!(releases[1]["release"]["name"], "Sample FY2027");
    let out = run(&[
        "codeset",
        "import",
        "icd10cm",
        missing_dates.to_str().unwrap(),
        "--release-name",
        "again",
        "--effective-from",
        "2026-10-01",
        "--effective-to",
        "2027-09-30",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("imported already"));

    let settings = practicum::config::Settings::from_raw(practicum::config::RawSettings {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let pool = practicum::store::build_pool(&settings.database, 1).unwrap();
    let sets = practicum::service::codesets::load(&mut pool.get().unwrap()).unwrap();
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert!(
        sets.validate_icd10cm("E11.B", d(2026, 11, 1)).is_ok(),
        "new code valid in the new period"
    );
    assert!(
        sets.validate_icd10cm("E11.B", d(2026, 6, 1)).is_err(),
        "not valid before its release"
    );
    assert!(
        sets.validate_icd10cm("S52.531A", d(2026, 6, 1)).is_ok(),
        "the shipped release still serves its period"
    );
}

#[test]
fn hcpcs_import_reports_the_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("HCPC2026_JAN_ANWEB.txt");
    std::fs::write(&file, "J1100 this line is far too short to be a record\n").unwrap();
    let out = practicum()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["codeset", "import", "hcpcs"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1, field record"), "{err}");
    let out = practicum()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["codeset", "import", "snomed", "x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("system:"));
}

#[test]
fn sigterm_drains_in_flight_requests() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = practicum()
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
            "serve",
            "--demo",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Sign-ins are deliberately slow (Argon2id); start several (different
    // accounts: one account's attempts in flight count against its limit),
    // then SIGTERM.
    let clients: Vec<_> = ["student1", "student2", "student3", "student4", "student5", "supervisor"]
        .iter()
        .map(|who| {
            let body =
                format!(r#"{{"email":"{who}@demo.example","password":"practicum-demo"}}"#);
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let req = format!(
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(req.as_bytes()).unwrap();
            s
        })
        .collect();
    // Long enough for the acceptor to take every connection even on a busy
    // machine; six Argon2 sign-ins on two workers are still running then.
    std::thread::sleep(Duration::from_millis(100));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for mut s in clients {
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "in-flight request finished: {response:.80}"
        );
    }
    let status = server.wait().unwrap();
    assert!(status.success(), "clean exit after draining: {status:?}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );
}

#[test]
fn scenario_commands_list_check_and_generate() {
    let lib = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let out = practicum()
        .args(["scenarios", "check", "--dir", lib])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("scenario library OK"));
    let out = practicum()
        .args(["scenarios", "list", "--json", "--dir", lib])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "ortho-colles-fracture")
    );

    let generate = || {
        practicum()
            .args([
                "generate",
                "--scenario",
                "ortho-colles-fracture",
                "--seed",
                "7",
                "--json",
                "--dir",
                lib,
            ])
            .output()
            .unwrap()
    };
    let (a, b) = (generate(), generate());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout, "byte for byte");
    let doc: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(
        doc["key"]["diagnoses"][0]
            .as_str()
            .unwrap()
            .starts_with("S52.53")
    );
    assert_eq!(doc["key"]["lines"][0]["units"], 1);
    assert_eq!(doc["encounter"]["synthetic"], true);

    let out = practicum()
        .args(["generate", "--scenario", "no-such-scenario", "--dir", lib])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario with id"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = \"x\"\nversion = =\n").unwrap();
    let out = practicum()
        .args(["scenarios", "check", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken.toml:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn claim_check_reports_findings_and_names_unreadable_fields() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"date_of_service": "2026-06-15", "patient": {"sex": "M", "birth_date": "1960-05-01"},
            "diagnoses": ["W01.0XXA", "S52.531"],
            "lines": [{"code": "25600", "modifiers": ["RT"], "units": 1, "pointers": ["A", "C"]}]}"#,
    )
    .unwrap();
    let out = practicum()
        .args(["claim", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors found: exit 1");
    let text = String::from_utf8_lossy(&out.stdout);
    for rule in [
        "DX-EXTERNAL-CAUSE-FIRST",
        "DX-SEVENTH-MISSING",
        "LINE-POINTER-EMPTY",
    ] {
        assert!(text.contains(rule), "{rule} in {text}");
    }
    let json_out = practicum()
        .args(["claim", "check", "--json"])
        .arg(&bad)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(report["clean"], false);

    // The key `generate --json` prints is a clean claim.
    let generated = practicum()
        .args([
            "generate",
            "--scenario",
            "ortho-colles-fracture",
            "--seed",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    let g: serde_json::Value = serde_json::from_slice(&generated.stdout).unwrap();
    let key = &g["key"];
    let lines: Vec<serde_json::Value> = key["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| serde_json::json!({"code": l["code"], "modifiers": l["modifiers"], "units": l["units"], "pointers": l["pointers"], "pos": l["pos"]}))
        .collect();
    let claim = serde_json::json!({"date_of_service": key["date_of_service"], "patient": key["patient"], "diagnoses": key["diagnoses"], "lines": lines});
    let good = dir.path().join("good.json");
    std::fs::write(&good, claim.to_string()).unwrap();
    let out = practicum()
        .args(["claim", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Scoring against the printed object: the key's own claim is 100 %, a
    // wrong 7th character is a near miss below it.
    let key_file = dir.path().join("generated.json");
    std::fs::write(&key_file, &generated.stdout).unwrap();
    let out = practicum()
        .args(["claim", "score"])
        .arg(&good)
        .arg("--key")
        .arg(&key_file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["total"], 100.0);
    assert_eq!(report["engine_version"], "scoring-1");
    let mut near = claim.clone();
    let first = near["diagnoses"][0].as_str().unwrap().to_owned();
    near["diagnoses"][0] = serde_json::json!(format!("{}D", &first[..first.len() - 1]));
    let near_file = dir.path().join("near.json");
    std::fs::write(&near_file, near.to_string()).unwrap();
    let out = practicum()
        .args(["claim", "score"])
        .arg(&near_file)
        .arg("--key")
        .arg(&key_file)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = report["total"].as_f64().unwrap();
    assert!(total < 100.0 && total > 50.0, "{total}");
    assert_eq!(report["elements"][0]["verdict"], "near_miss");
    let out = practicum()
        .args(["claim", "score"])
        .arg(&near_file)
        .arg("--key")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a claim file is not a key");

    let unreadable = dir.path().join("unreadable.json");
    std::fs::write(&unreadable, r#"{"date_of_service": "2026-06-15", "patient": {"sex": "F"}, "diagnoses": [], "lines": []}"#).unwrap();
    let out = practicum()
        .args(["claim", "check"])
        .arg(&unreadable)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("patient.birth_date"), "{err}");
}
