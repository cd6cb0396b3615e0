//! `a0ctl test` through the real binary: the example tenant's rule tests, every expectation kind
//! passing and failing, the pipeline, misbehaving rules within their bounds, the sandbox's
//! walls, and located errors for bad test files.

use std::process::{Command, Output};

use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/ruletest";

fn a0ctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("A0CTL_RULETEST_SECRET", "hunter2-do-not-print")
        .output()
        .expect("run a0ctl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `a0ctl test .` in a fresh directory holding `manifest` (as `file`) and `a.test.yaml`.
fn test_tree(file: &str, manifest: &str, tests: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), manifest).unwrap();
    std::fs::write(dir.path().join("a.test.yaml"), tests).unwrap();
    Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["test", "."])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The JSON report of the fixture's failing cases, by case name.
fn failing_report() -> (Output, Vec<Value>) {
    let out = a0ctl(&[
        "test",
        &format!("{FIXTURE}/fail.test.yaml"),
        "--format",
        "json",
        "--timeout",
        "2",
        "--memory",
        "16",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let cases = doc["cases"].as_array().expect("cases").clone();
    assert_eq!(doc["summary"]["passed"], 0, "{doc:#}");
    assert_eq!(doc["summary"]["failed"], cases.len(), "{doc:#}");
    (out, cases)
}

fn case<'a>(cases: &'a [Value], name: &str) -> &'a Value {
    cases
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn first_failure(cases: &[Value], name: &str) -> (String, Value) {
    let c = case(cases, name);
    assert_eq!(c["status"], "fail", "{c:#}");
    let f = &c["failures"][0];
    (
        f["message"].as_str().unwrap_or_default().to_string(),
        f.clone(),
    )
}

#[test]
fn the_example_tenant_rules_pass() {
    let out = a0ctl(&["test", "examples/tenant"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.ends_with("10 passed, 0 failed\n"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), 10);
    // `validate` ignores the test files beside the manifests.
    let out = a0ctl(&["validate", "examples/tenant"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn every_expectation_kind_passes() {
    let out = a0ctl(&["test", &format!("{FIXTURE}/pass.test.yaml")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for name in [
        "idToken passes",
        "accessToken passes",
        "user passes",
        "context passes",
        "redirect passes",
        "error passes (a denial)",
        "the pipeline runs the enabled rules by order",
        "the pipeline stops at a denial",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok ") && l.contains(name)),
            "{name}: {stdout}"
        );
    }
    assert!(stdout.ends_with("8 passed, 0 failed\n"), "{stdout}");
}

#[test]
fn every_expectation_kind_fails_with_a_diff() {
    let (out, cases) = failing_report();
    assert_eq!(out.status.code(), Some(1));
    for (name, message, expected, actual) in [
        (
            "idToken fails",
            "context.idToken does not match",
            r#"{"https://example.com/roles":["admin"]}"#,
            r#"{"https://example.com/roles":["viewer"]}"#,
        ),
        (
            "accessToken fails",
            "context.accessToken does not match",
            r#"{"https://example.com/client":"Admin Console"}"#,
            r#"{"https://example.com/client":"Storefront"}"#,
        ),
        (
            "user fails",
            "user does not match",
            r#"{"user_metadata":{"last_client":"xyz"}}"#,
            r#"{"user_metadata":{"last_client":"abc"}}"#,
        ),
        (
            "context fails",
            "context does not match",
            r#"{"multifactor":{"provider":"any"}}"#,
            "{}",
        ),
        (
            "redirect fails",
            "context.redirect does not match",
            r#"{"url":"https://example.com/mfa"}"#,
            "null",
        ),
        (
            "error fails (allowed instead)",
            "expected the login to be denied",
            r#"{"name":"UnauthorizedError"}"#,
            "null",
        ),
    ] {
        let (got, failure) = first_failure(&cases, name);
        assert!(got.contains(message), "{name}: {got}");
        assert_eq!(failure["expected"].to_string(), expected, "{name}");
        assert_eq!(failure["actual"].to_string(), actual, "{name}");
    }
    let (got, _) = first_failure(&cases, "an unexpected denial fails");
    assert_eq!(
        got,
        "rule `deny-contractors` denied the login: UnauthorizedError: Contractors cannot use the admin console"
    );

    // The text report: the case's place, the diff, and what the rule logged.
    let out = a0ctl(&[
        "test",
        &format!("{FIXTURE}/fail.test.yaml"),
        "--filter",
        "IDTOKEN",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    let want = "FAIL idToken fails (claims)
  tests/fixtures/ruletest/fail.test.yaml:4:5: context.idToken does not match
    --- expected
    +++ actual
     {
       \"https://example.com/roles\": [
    -    \"admin\"
    +    \"viewer\"
       ]
     }
  console.log:
    claims for a@example.com [\"viewer\"]
0 passed, 1 failed
";
    assert_eq!(stdout, want);
}

#[test]
fn misbehaving_rules_fail_within_their_bounds() {
    let (_, cases) = failing_report();
    for (name, message, at) in [
        (
            "a thrown error fails",
            "rule `throws` threw RangeError: no example.com here",
            Some("tests/fixtures/ruletest/rules/throws.js:4:"),
        ),
        (
            "an inline thrown error fails",
            "rule `throws-inline` threw TypeError: cannot read property 'deeper' of undefined",
            Some("tests/fixtures/ruletest/rules.yaml:31:"),
        ),
        (
            "a missing callback fails",
            "rule `silent` never called callback",
            None,
        ),
        (
            "an endless loop fails",
            "rule `spin` still running after the 2 s timeout",
            None,
        ),
        (
            "a memory bomb fails",
            "rule `bomb` ran out of memory (the limit is 16 MiB)",
            None,
        ),
        (
            "a double callback fails",
            "rule `twice` called callback 2 times",
            None,
        ),
    ] {
        let (got, failure) = first_failure(&cases, name);
        assert!(got.starts_with(message), "{name}: {got}");
        match at {
            Some(at) => assert!(
                failure["at"].as_str().is_some_and(|a| a.starts_with(at)),
                "{name}: {failure}"
            ),
            None => assert!(failure["at"].is_null(), "{name}: {failure}"),
        }
    }
}

#[test]
fn rules_cannot_reach_files_or_the_environment() {
    let (out, cases) = failing_report();
    let (got, _) = first_failure(&cases, "reading a file fails");
    assert!(
        got.contains("Cannot find module 'fs': a0ctl's rule sandbox provides only 'util'"),
        "{got}"
    );
    let (got, _) = first_failure(&cases, "reading the environment fails");
    assert!(got.contains("process is not defined"), "{got}");
    // Neither the file nor the variable made it anywhere.
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("hunter2"), "{all}");
    assert!(!all.contains("root:"), "{all}");
}

#[test]
fn bad_test_files_are_located_errors() {
    let out = test_tree(
        "rules.yaml",
        "rules:\n  - name: claim\n    script: \"function (u, c, cb) { cb(null, u, c); }\"\n",
        "rule_tests:\n  - name: typo\n    rul: claim\n  - name: unknown rule\n    rule: clam\n    expect: {idtoken: {}, error: {code: 1}}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "./a.test.yaml:2:5: a case needs a `rule` (a rule's name, or `pipeline`)
./a.test.yaml:3:5: unknown key `rul` (did you mean `rule`?)
./a.test.yaml:5:11: no rule `clam` in the manifests (did you mean `claim`?)
./a.test.yaml:6:14: unknown key `idtoken` (did you mean `idToken`?)
./a.test.yaml:6:34: `expect.error` must be a mapping with `name` and/or `message` strings
error: 5 problems in the manifests
"
    );
    // A manifest, a missing path, and a filter that selects nothing.
    let out = a0ctl(&["test", "examples/tenant/rules.yaml", "nowhere"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("examples/tenant/rules.yaml: not a test file"),
        "{stderr}"
    );
    assert!(stderr.contains("nowhere: cannot read"), "{stderr}");
    let out = a0ctl(&["test", "examples/tenant", "--filter", "no such case"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no test case matches --filter `no such case`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn control_characters_from_cases_and_rules_are_escaped() {
    let out = test_tree(
        "rules.yaml",
        "rules:\n  - name: noisy\n    script: \"function (u, c, cb) { console.log('\\\\u001b[2J wiped\\\\r'); cb(new Error('bad\\\\u001b[1A')); }\"\n",
        "rule_tests:\n  - name: \"sneaky\\r\\e[2K ok\"\n    rule: noisy\n",
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        !stdout.contains('\r') && !stdout.contains('\u{1b}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains(r"FAIL sneaky\r\u{1b}[2K ok (noisy)"),
        "{stdout}"
    );
    assert!(stdout.contains(r"Error: bad\u{1b}[1A"), "{stdout}");
    assert!(stdout.contains(r"\u{1b}[2J wiped\r"), "{stdout}");
}

#[test]
fn secrets_of_the_manifests_do_not_show() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rules.yaml"),
        "rules:\n  - name: leaky\n    script: \"function (u, c, cb) { const k = '${A0CTL_RULE_KEY}'; console.log('key', k); c.idToken.k = k; cb(null, u, c); }\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.test.yaml"),
        "rule_tests:\n  - name: leak\n    rule: leaky\n    expect: {idToken: {k: nothing}}\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(["test", ".", "--format", format])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("A0CTL_RULE_KEY", "sk-live-0123456789")
            .output()
            .unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(!all.contains("sk-live-0123456789"), "{all}");
        assert!(all.contains("(sensitive)"), "{all}");
    }
}

const ACTIONS: &str = "tests/fixtures/actiontest";

#[test]
fn action_cases_check_every_effect_of_a_flow_with_stubs_and_secrets() {
    let out = a0ctl(&["test", &format!("{ACTIONS}/pass.test.yaml")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
    // The JSON report names what ran, in the trigger's order, up to the redirect.
    let out = a0ctl(&[
        "test",
        &format!("{ACTIONS}/pass.test.yaml"),
        "--format",
        "json",
        "--filter",
        "redirect",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["cases"][0]["trigger"], "post-login", "{doc:#}");
    assert_eq!(
        doc["cases"][0]["ran"],
        serde_json::json!(["geo", "mfa-for-admins", "onboarding"])
    );
}

#[test]
fn action_cases_fail_with_diffs_located_errors_and_named_stubs() {
    let out = a0ctl(&[
        "test",
        &format!("{ACTIONS}/fail.test.yaml"),
        "--format",
        "json",
        "--timeout",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let cases = doc["cases"].as_array().unwrap().clone();
    assert_eq!(doc["summary"]["passed"], 0, "{doc:#}");
    for (name, message, at) in [
        (
            "a claim that differs fails with a diff",
            "idToken does not match",
            None,
        ),
        (
            "a dependency without a stub fails naming it",
            "action `geo` threw Error: Cannot find module 'axios': a0ctl runs no npm packages; give the case a stub: `stubs: {axios: \"module.exports = …\"}`",
            Some("tests/fixtures/actiontest/actions/geo.js:1:"),
        ),
        (
            "a thrown error is located in the action's file",
            "action `geo` threw Error: no country for 198.51.100.1",
            Some("tests/fixtures/actiontest/actions/geo.js:10:"),
        ),
        (
            "an inline error is located in the manifest",
            "action `broken` threw TypeError: cannot read property 'plan' of undefined",
            Some("tests/fixtures/actiontest/actions.yaml:32:"),
        ),
        (
            "an unexpected redirect fails",
            "redirect does not match",
            None,
        ),
        (
            "an endless loop fails within the timeout",
            "action `spin` still running after the 1 s timeout",
            None,
        ),
        (
            "the environment is not reachable",
            "action `reads-env` threw ReferenceError: process is not defined",
            Some("tests/fixtures/actiontest/actions.yaml:40:"),
        ),
        (
            "an expected denial that does not come fails",
            "denied does not match",
            None,
        ),
        (
            "a removal expected where nothing was removed fails",
            "user_metadata does not match",
            None,
        ),
    ] {
        let (got, failure) = first_failure(&cases, name);
        assert!(got.starts_with(message), "{name}: {got}");
        match at {
            Some(at) => assert!(
                failure["at"].as_str().is_some_and(|a| a.starts_with(at)),
                "{name}: {failure}"
            ),
            None => assert!(failure["at"].is_null(), "{name}: {failure}"),
        }
    }
    let (_, failure) = first_failure(&cases, "a claim that differs fails with a diff");
    assert_eq!(
        failure["expected"],
        serde_json::json!({"https://example.com/country": "NZ"})
    );
    assert_eq!(
        failure["actual"],
        serde_json::json!({"https://example.com/country": "DE"})
    );
    // The secret the manifest takes from the environment is shown nowhere.
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains("hunter2"), "{all}");
}

#[test]
fn bad_action_cases_are_located_errors() {
    let out = test_tree(
        "actions.yaml",
        "api: v2\nactions:\n  - name: claim\n    supported_triggers: [{id: post-login, version: v3}]\n    code: \"exports.onExecutePostLogin = async () => {};\"\ntriggers:\n  - trigger: post-login\n    bindings: [{action: claim}]\n",
        "action_tests:\n  - name: typo\n    acton: claim\n  - name: unknown\n    action: clam\n    expect: {idtoken: {}, denied: 3}\n  - name: both\n    action: claim\n    trigger: post-login\n  - name: no trigger\n    trigger: credentials-exchange\n    stubs: {axios: {get: 1}}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for want in [
        "a.test.yaml:3:5: unknown key `acton` (did you mean `action`?)",
        "a.test.yaml:5:13: no action `clam` in the manifests (did you mean `claim`?)",
        "a.test.yaml:6:14: unknown key `idtoken` (did you mean `idToken`?)",
        "a.test.yaml:6:35: `expect.denied` must be the reason",
        "a.test.yaml:9:5: a case runs one action or one trigger's bindings, not both",
        "a.test.yaml:11:14: no trigger `credentials-exchange` in the manifests",
        "a.test.yaml:12:20: the stub of `axios` must be its CommonJS source",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
}
