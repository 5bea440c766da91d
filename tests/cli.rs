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
