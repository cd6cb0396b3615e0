//! The command line's help, pinned: flags and their defaults are a contract too.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(args)
        .env("COLUMNS", "100")
        .env_remove("AUTH0_DOMAIN")
        .env_remove("AUTH0_CLIENT_ID")
        .env_remove("AUTH0_CLIENT_SECRET")
        .env_remove("AUTH0_TOKEN")
        .output()
        .expect("run a0ctl");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn plan_help() {
    insta::assert_snapshot!(help(&["plan", "--help"]));
}

#[test]
fn apply_help() {
    insta::assert_snapshot!(help(&["apply", "--help"]));
}

#[test]
fn emulator_help() {
    insta::assert_snapshot!(help(&["emulator", "--help"]));
}

#[test]
fn a_usage_error_exits_1_because_2_means_changes() {
    let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("required"));
}

#[test]
fn flags_that_could_overflow_are_range_checked_at_parse() {
    for (flag, value) in [
        ("--timeout", "18446744073709551615"),
        ("--timeout", "0"),
        ("--retries", "18446744073709551615"),
        ("--retries", "101"),
        ("--lock-timeout", "18446744073709551615s"),
        ("--lock-timeout", "25h"),
    ] {
        // Refused while parsing: nothing is read, no tenant is reached.
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(["apply", "nowhere", "--yes", flag, value])
            .current_dir(dir.path())
            .env("AUTH0_DOMAIN", "http://127.0.0.1:9")
            .env("AUTH0_TOKEN", "t")
            .output()
            .expect("run a0ctl");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains(value),
            "{flag} {value}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
