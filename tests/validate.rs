//! `a0ctl validate` through the real binary: the invalid corpus, a snapshot of a manifest with
//! several mistakes, cross-file checks, and the examples.

use std::path::Path;
use std::process::{Command, Output};

fn a0ctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("A0CTL_TEST_UNSET_ID")
        .env_remove("A0CTL_TEST_UNSET_SECRET")
        .env_remove("A0CTL_SNAPSHOT_GOOGLE_ID")
        .env_remove("A0CTL_SNAPSHOT_GOOGLE_SECRET")
        .env("NO_COLOR", "1")
        .output()
        .expect("run a0ctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file of `tests/invalid`: where the first problem is reported and what it says.
const CORPUS: &[(&str, &str, &str)] = &[
    (
        "absolute-script-file.yaml",
        "absolute-script-file.yaml:3:21",
        "absolute path",
    ),
    ("alias-bomb.yaml", "alias-bomb.yaml:", "alias bomb"),
    (
        "bad-syntax-enum.yaml",
        "bad-syntax-enum.yaml:3:13",
        "is not one of: liquid, md_with_macros",
    ),
    (
        "bad-template-name.yaml",
        "bad-template-name.yaml:2:15",
        "`goodbye_email` is not one of",
    ),
    (
        "bad-variable-syntax.yaml",
        "bad-variable-syntax.yaml:3:17",
        "is not a variable reference",
    ),
    (
        "binary-garbage.yaml",
        "binary-garbage.yaml:2:",
        "not valid UTF-8",
    ),
    (
        "body-file-missing.yaml",
        "body-file-missing.yaml:3:19",
        "not found",
    ),
    (
        "custom-tag.yaml",
        "custom-tag.yaml:2:16",
        "unsupported YAML tag `!Ref`",
    ),
    (
        "deep-block-nesting.yaml",
        "deep-block-nesting.yaml:",
        "nesting deeper",
    ),
    (
        "deep-nesting.yaml",
        "deep-nesting.yaml:1:",
        "nesting deeper",
    ),
    (
        "duplicate-client.yaml",
        "duplicate-client.yaml:3:11",
        "duplicate client `Storefront` (also defined at tests/invalid/duplicate-client.yaml:2:11)",
    ),
    (
        "duplicate-connection.yaml",
        "duplicate-connection.yaml:4:11",
        "duplicate connection `corp-db`",
    ),
    (
        "duplicate-email-template.yaml",
        "duplicate-email-template.yaml:4:15",
        "duplicate email template `verify_email`",
    ),
    (
        "duplicate-enabled-client.yaml",
        "duplicate-enabled-client.yaml:6:35",
        "listed twice",
    ),
    (
        "duplicate-key.yaml",
        "duplicate-key.yaml:4:5",
        "duplicate key `name` (first at line 2, column 5)",
    ),
    (
        "duplicate-rule-name.yaml",
        "duplicate-rule-name.yaml:4:11",
        "duplicate rule `add-country`",
    ),
    (
        "duplicate-rule-order.yaml",
        "duplicate-rule-order.yaml:6:12",
        "duplicate rule order `1`",
    ),
    (
        "empty-name.yaml",
        "empty-name.yaml:2:11",
        "name must not be empty",
    ),
    (
        "empty-script.yaml",
        "empty-script.yaml:3:13",
        "script is empty",
    ),
    (
        "escaping-script-file.yaml",
        "escaping-script-file.yaml:3:21",
        "escapes the manifest's directory",
    ),
    (
        "infinite-number.yaml",
        "infinite-number.yaml:3:12",
        "not a finite number",
    ),
    (
        "js-syntax-file.yaml",
        "tests/invalid/rules/broken.js:3:24",
        "Expected `)` but found `{`",
    ),
    (
        "js-syntax-inline.yaml",
        "js-syntax-inline.yaml:5:23",
        "Unexpected token",
    ),
    (
        "js-syntax-quoted.yaml",
        "js-syntax-quoted.yaml:3:13",
        "(script line 1, column 52)",
    ),
    (
        "missing-name.yaml",
        "missing-name.yaml:2:5",
        "missing the required key `name`",
    ),
    (
        "missing-script-file.yaml",
        "missing-script-file.yaml:3:21",
        "`rules/does-not-exist.js` not found",
    ),
    (
        "missing-strategy.yaml",
        "missing-strategy.yaml:2:5",
        "missing the required key `strategy`",
    ),
    (
        "missing-variable.yaml",
        "missing-variable.yaml:5:18",
        "`A0CTL_TEST_UNSET_ID` is not set",
    ),
    (
        "multiple-documents.yaml",
        "multiple-documents.yaml:3:1",
        "more than one YAML document",
    ),
    (
        "negative-order.yaml",
        "negative-order.yaml:3:12",
        "must be at least 0, found -1",
    ),
    (
        "not-utf8.yaml",
        "not-utf8.yaml:2:14",
        "not valid UTF-8 (invalid byte 0xE9)",
    ),
    (
        "options-not-mapping.yaml",
        "options-not-mapping.yaml:4:14",
        "expected a mapping, found a list",
    ),
    (
        "order-too-large.yaml",
        "order-too-large.yaml:3:12",
        "must be at most 4294967295",
    ),
    (
        "scalar-root.yaml",
        "scalar-root.yaml:1:1",
        "a manifest is a mapping",
    ),
    (
        "script-file-typo.yaml",
        "script-file-typo.yaml:3:15",
        "unknown key `fle` in rules[0].script; did you mean `file`?",
    ),
    (
        "script-wrong-type.yaml",
        "script-wrong-type.yaml:3:13",
        "expected a string or {file: …}",
    ),
    (
        "signing-key-two-formats.yaml",
        "signing-key-two-formats.yaml:4:7",
        "expected {cert: …} or {key: …} or {pkcs7: …}",
    ),
    (
        "signing-key-unknown-format.yaml",
        "signing-key-unknown-format.yaml:4:7",
        "unknown key `pem`",
    ),
    (
        "symlink-script-file.yaml",
        "symlink-script-file.yaml:3:21",
        "resolves outside the manifest's directory",
    ),
    (
        "syntax-unclosed-flow.yaml",
        "syntax-unclosed-flow.yaml:3:1",
        "flow sequence",
    ),
    ("tabs.yaml", "tabs.yaml:2:", "tabs"),
    (
        "top-level-list.yaml",
        "top-level-list.yaml:1:1",
        "a manifest is a mapping",
    ),
    (
        "undeclared-enabled-client.yaml",
        "undeclared-enabled-client.yaml:6:35",
        "enabled_clients names `Admin Console`, which no manifest declares under clients",
    ),
    (
        "unknown-client-key.yaml",
        "unknown-client-key.yaml:3:5",
        "unknown key `calbacks` in clients[0]; did you mean `callbacks`?",
    ),
    (
        "unknown-top-key.yaml",
        "unknown-top-key.yaml:1:1",
        "unknown key `rule` in the manifest; did you mean `rules`?",
    ),
    (
        "url-lifetime-string.yaml",
        "url-lifetime-string.yaml:3:27",
        "expected an integer, found a string",
    ),
    (
        "wrong-type-callbacks.yaml",
        "wrong-type-callbacks.yaml:3:16",
        "expected a list, found a string",
    ),
    (
        "wrong-type-status.yaml",
        "wrong-type-status.yaml:3:13",
        "expected a boolean, found a string",
    ),
];

#[test]
fn every_invalid_manifest_is_refused_with_a_located_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.ends_with(".yaml").then_some(name)
        })
        .collect();
    on_disk.sort();
    let listed: Vec<String> = CORPUS.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(on_disk, listed, "every corpus file has one row in CORPUS");
    assert!(CORPUS.len() >= 30);

    for (file, location, needle) in CORPUS {
        let path = format!("tests/invalid/{file}");
        let started = std::time::Instant::now();
        let out = a0ctl(&["validate", &path]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file}: nothing on stdout");
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(location),
            "{file}: expected {location} in {first:?}"
        );
        assert!(
            first.contains(needle),
            "{file}: expected {needle:?} in {first:?}"
        );
        assert!(
            stderr.trim_end().ends_with("in the manifests"),
            "{file}: {stderr}"
        );
        // Hostile input fails fast, not after exhausting the machine (generous bound: shared CI).
        assert!(
            started.elapsed().as_secs() < 20,
            "{file} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn several_mistakes_are_all_reported() {
    let out = a0ctl(&["validate", "tests/fixtures/several-mistakes"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(text(&out.stderr));
}

#[test]
fn examples_validate() {
    let out = a0ctl(&["validate", "examples/tenant"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "ok: 2 connections, 3 clients, 4 rules, 4 email templates\n"
    );
}

#[test]
fn an_email_provider_declared_in_two_files_is_a_located_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let provider = |user: &str| {
        format!(
            "api: v2\nemail_provider:\n  name: smtp\n  credentials:\n    smtp_host: smtp.example.com\n    smtp_port: 587\n    smtp_user: {user}\n    smtp_pass: '${{SMTP_PASS}}'\n"
        )
    };
    std::fs::write(dir.path().join("a.yaml"), provider("first")).unwrap();
    std::fs::write(dir.path().join("b.yaml"), provider("second")).unwrap();
    let d = dir.path().display().to_string();
    let out = a0ctl(&["validate", "--allow-unset", &d]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{d}/b.yaml:3:3: duplicate `email_provider` (also defined at {d}/a.yaml:3:3)"
        )),
        "{stderr}"
    );
}

#[test]
fn duplicates_across_files_name_both_places() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "rules:\n  - name: r\n    order: 1\n    script: 'function (u, c, cb) { cb(null, u, c); }'\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.yml"),
        "connections: []\nrules:\n  - name: r\n    order: 2\n    script: 'function (u, c, cb) { cb(null, u, c); }'\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    let d = dir.path().display().to_string();
    let out = a0ctl(&["validate", &d]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!(
            "{d}/b.yml:3:11: duplicate rule `r` (also defined at {d}/a.yaml:2:11)"
        )),
        "{stderr}"
    );
}

#[test]
fn variables_are_resolved_from_the_environment_and_counted() {
    let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["validate", "tests/invalid/missing-variable.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("A0CTL_TEST_UNSET_ID", "id")
        .env("A0CTL_TEST_UNSET_SECRET", "secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ok: 1 connection\n");
}

#[test]
fn missing_paths_and_empty_directories_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let out = a0ctl(&["validate", "does/not/exist.yaml", &d]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("does/not/exist.yaml: cannot read: no such file or directory"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{d}: no *.yaml or *.yml files")),
        "{stderr}"
    );
}
