//! `a0ctl migrate rules`: the example tenant and a corpus of rules in the styles found in the
//! wild, translated and proven by their own cases; what is written, and where; and logins on
//! the emulator that give the same claims and denials before and after.

mod harness;

use std::path::Path;
use std::process::{Command, Output};

use harness::{Env, assert_exit, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const CORPUS: &str = "tests/fixtures/migrate-corpus";
/// Set to rewrite the corpus's expected report and actions from what migrate writes now.
const UPDATE: &str = "A0CTL_UPDATE_EXPECTED";

fn a0ctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("SMTP_PASS", "smtp-pass-for-validate")
        .output()
        .expect("run a0ctl")
}

/// `a0ctl migrate rules TREE --out OUT`.
fn migrate_to(tree: &Path, out: &Path) -> Output {
    a0ctl(&[
        "migrate",
        "rules",
        tree.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_example_tenant_s_rules_migrate_with_no_todo_and_every_case_agrees() {
    let before = files_under(Path::new("examples/tenant-v2"));
    let out_dir = tempfile::tempdir().unwrap();
    let out_path = out_dir.path().join("migrated");
    let out = out_path.to_str().unwrap();
    let run = a0ctl(&["migrate", "rules", "examples/tenant-v2", "--out", out]);
    assert_exit(&run, 0);
    let report = stdout(&run);
    assert!(
        report.contains("4 rules migrated, 0 to do; 10 cases, 10 agree, 0 differ."),
        "{report}"
    );
    assert!(
        !report.contains("TODO") && !report.contains("DIFFERENT"),
        "{report}"
    );
    // The source tree is untouched; the migrated one validates, and its cases, old and new,
    // pass on the actions.
    assert_eq!(files_under(Path::new("examples/tenant-v2")), before);
    assert_exit(&a0ctl(&["validate", out]), 0);
    let tested = a0ctl(&["test", out]);
    assert_exit(&tested, 0);
    assert!(
        // The tree's 6 action cases and 8 single-rule cases (its 2 pipeline cases leave:
        // the pipeline of disabled rules is empty), and the 8 written as action cases (the
        // pipeline ones are compared, not written: post-login runs the tree's own too).
        stdout(&tested).contains("22 passed, 0 failed"),
        "{}",
        stdout(&tested)
    );
    // The rules are kept, disabled; the enabled ones are bound first, in their order, before
    // what the tree already bound.
    let rules = std::fs::read_to_string(out_path.join("rules.yaml")).unwrap();
    assert_eq!(rules.matches("enabled: false").count(), 4, "{rules}");
    assert!(
        rules.contains("# yaml-language-server"),
        "comments stay: {rules}"
    );
    let actions = std::fs::read_to_string(out_path.join("actions.yaml")).unwrap();
    let bound = actions.find("- action: add-country").expect("bound");
    let second = actions.find("- action: deny-blocked-domains").unwrap();
    let third = actions.find("- action: require-verified-email").unwrap();
    let old = actions.find("- action: verified-email-for-admins").unwrap();
    assert!(bound < second && second < third && third < old, "{actions}");
    assert!(
        !actions.contains("- action: add-roles-claim"),
        "a disabled rule is not bound"
    );
    let code = std::fs::read_to_string(out_path.join("actions/add-country.js")).unwrap();
    assert!(
        code.contains("api.idToken.setCustomClaim('https://example.com/country', country)"),
        "{code}"
    );
    assert!(code.contains("event.request.geoip.countryName"), "{code}");
}

#[test]
fn the_corpus_migrates_with_located_todos_and_agreeing_cases() {
    let corpus = Path::new(CORPUS);
    let rules = std::fs::read_dir(corpus.join("rules")).unwrap().count();
    assert!(rules >= 20, "the corpus holds {rules} rules");
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("out");
    let run = a0ctl(&["migrate", "rules", CORPUS, "--out", out.to_str().unwrap()]);
    // Five rules hold what needs a person.
    assert_exit(&run, 2);
    let report = stdout(&run).replace(out.to_str().unwrap(), "OUT");
    assert!(report.contains("27 cases, 27 agree, 0 differ."), "{report}");
    let expected = Path::new("tests/fixtures/migrate-expected");
    if std::env::var_os(UPDATE).is_some() {
        let _ = std::fs::remove_dir_all(expected);
        std::fs::create_dir_all(expected.join("actions")).unwrap();
        std::fs::write(expected.join("report.txt"), &report).unwrap();
        for (rel, text) in files_under(&out.join("actions")) {
            std::fs::write(expected.join("actions").join(rel), text).unwrap();
        }
    }
    let want = std::fs::read_to_string(expected.join("report.txt")).unwrap();
    assert_eq!(
        report, want,
        "the report (set {UPDATE}=1 to accept a reviewed change)"
    );
    assert_eq!(
        files_under(&out.join("actions")),
        files_under(&expected.join("actions")),
        "the actions written (set {UPDATE}=1 to accept a reviewed change)"
    );
    // Every TODO is at its rule's file, line and column, and in the action as a comment.
    for line in report.lines().filter(|l| l.starts_with("  tests/")) {
        let place = line.trim().split(": ").next().unwrap();
        let parts: Vec<&str> = place.split(':').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert!(Path::new(parts[0]).is_file(), "{line}");
        let n: usize = parts[1].parse().unwrap();
        let text = std::fs::read_to_string(parts[0]).unwrap();
        assert!(text.lines().count() >= n, "{line}");
    }
    let todo = std::fs::read_to_string(out.join("actions/delayed-callback.js")).unwrap();
    assert!(
        todo.contains("// a0ctl: TODO: a call back inside a function"),
        "{todo}"
    );
    // The migrated cases pass on the actions.
    let tested = a0ctl(&["test", out.to_str().unwrap()]);
    assert_exit(&tested, 0);
}

#[test]
fn a_case_whose_outcomes_differ_fails_the_migration_showing_both() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rules.yaml",
        "api: v2\nrules:\n  - name: geo\n    enabled: true\n    order: 1\n    script: |\n      function (user, context, callback) {\n        const geo = context.request.geoip;\n        context.idToken['https://example.com/c'] = geo.country_name;\n        callback(null, user, context);\n      }\n",
    );
    write(
        dir.path(),
        "rules.test.yaml",
        "rule_tests:\n  - name: the country is claimed\n    rule: geo\n    user: {user_id: \"auth0|1\"}\n    context: {request: {geoip: {country_name: Chile}}}\n    expect:\n      idToken: {\"https://example.com/c\": Chile}\n",
    );
    let run = a0ctl(&["migrate", "rules", dir.path().to_str().unwrap(), "--check"]);
    assert_exit(&run, 2);
    let report = stdout(&run);
    assert!(
        report.contains("DIFFERENT the country is claimed"),
        "{report}"
    );
    assert!(
        report.contains("  rule:   allowed, idToken {\"https://example.com/c\":\"Chile\"}"),
        "{report}"
    );
    assert!(report.contains("  action: error: "), "{report}");
    assert!(
        report.contains("rules.yaml:8:21: context.request.geoip has no counterpart"),
        "{report}"
    );
    assert!(
        report.contains("Checked only (--check): nothing was written."),
        "{report}"
    );
}

#[test]
fn migrate_writes_only_inside_an_empty_out_and_removes_rules_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    write(&out, "keep.txt", "mine");
    let o = out.to_str().unwrap();
    let refused = a0ctl(&["migrate", "rules", "examples/tenant-v2", "--out", o]);
    assert_exit(&refused, 1);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not empty"));
    assert_eq!(files_under(&out).len(), 1, "nothing was written");
    // Not into the tree itself.
    let inside = a0ctl(&[
        "migrate",
        "rules",
        "examples/tenant-v2",
        "--out",
        "examples/tenant-v2/out",
    ]);
    assert_exit(&inside, 1);
    assert!(!Path::new("examples/tenant-v2/out").exists());
    // --remove-rules: no rule left, no script, no rule case; the actions' cases pass.
    let removed = a0ctl(&[
        "migrate",
        "rules",
        "examples/tenant-v2",
        "--out",
        o,
        "--force",
        "--remove-rules",
    ]);
    assert_exit(&removed, 0);
    let rules = std::fs::read_to_string(out.join("rules.yaml")).unwrap();
    assert!(
        rules.contains("rules: []") && !rules.contains("add-country"),
        "{rules}"
    );
    assert!(!out.join("rules").exists());
    assert!(
        out.join("keep.txt").exists(),
        "--force replaces only what migrate writes"
    );
    let tests = std::fs::read_to_string(out.join("rules.test.yaml")).unwrap();
    assert!(tests.contains("rule_tests: []"), "{tests}");
    assert_exit(&a0ctl(&["test", o]), 0);
    let valid = a0ctl(&["validate", o]);
    assert_exit(&valid, 0);
    assert!(stdout(&valid).contains("0 rules"), "{}", stdout(&valid));
}

/// A tree with rules that claim, deny, redirect and write metadata, for the emulator.
const LOGIN_TREE: &str = r#"api: v2
connections:
  - name: db
    strategy: auth0
    enabled_clients: [Shop]
clients:
  - name: Shop
    app_type: regular_web
    callbacks: [https://shop.example.com/cb]
rules:
  - name: deny-domains
    enabled: true
    order: 1
    script: |
      function (user, context, callback) {
        if ((user.email || '').endsWith('@blocked.example')) {
          return callback(new UnauthorizedError('blocked: ' + user.email));
        }
        callback(null, user, context);
      }
  - name: claims
    enabled: true
    order: 2
    script: |
      function (user, context, callback) {
        const ns = 'https://example.com/';
        context.idToken[ns + 'email'] = user.email;
        context.accessToken[ns + 'client'] = context.clientName;
        callback(null, user, context);
      }
  - name: first-login
    enabled: true
    order: 3
    script: |
      function (user, context, callback) {
        user.app_metadata = user.app_metadata || {};
        if (user.app_metadata.seen) {
          return callback(null, user, context);
        }
        user.app_metadata.seen = true;
        auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
          .then(function () {
            context.idToken['https://example.com/first'] = true;
            callback(null, user, context);
          })
          .catch(function (err) {
            callback(err);
          });
      }
"#;

/// A login's outcome across rules and actions: denied (and why) or the claims of both tokens.
fn outcome(login: &Value) -> Value {
    for side in ["rules", "actions"] {
        if login[side]["status"] == "denied" || login[side]["status"] == "failed" {
            return json!({"denied": login[side]["error"]["message"]});
        }
    }
    let mut claims = json!({"idToken": {}, "accessToken": {}});
    for side in ["rules", "actions"] {
        for token in ["idToken", "accessToken"] {
            for (k, v) in login[side][token].as_object().into_iter().flatten() {
                claims[token][k] = v.clone();
            }
        }
    }
    claims["app_metadata"] = login["app_metadata"].clone();
    claims
}

async fn new_users(env: &Env, emails: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for email in emails {
        let (status, u) = env
            .call(
                Method::POST,
                "/__emulator/users",
                Some(json!({"connection": "db", "email": email})),
            )
            .await;
        assert_eq!(status, 200, "{u}");
        ids.push(u["user_id"].as_str().unwrap().to_string());
    }
    ids
}

async fn logins(env: &Env, ids: &[String], shop: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        let (status, login) = env
            .call(
                Method::POST,
                "/__emulator/logins",
                Some(json!({"user_id": id, "client_id": shop})),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        out.push(outcome(&login));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_give_the_same_claims_and_denials_with_the_actions_as_with_the_rules() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "tenant.yaml", LOGIN_TREE);
    let applied = env.run(&["apply", "--yes", tree.to_str().unwrap()]).await;
    assert_exit(&applied, 0);
    let (status, clients) = env
        .v2_call(Method::GET, "/clients?per_page=100", None)
        .await;
    assert_eq!(status, 200);
    let shop = clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Shop")
        .unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let users = new_users(
        &env,
        &["ann@example.com", "bob@example.com", "eve@blocked.example"],
    )
    .await;
    // First logins, then a second one (the metadata written the first time is there).
    let with_rules = logins(&env, &users, &shop).await;
    let again = logins(&env, &users[..1], &shop).await;
    assert_eq!(
        with_rules[0]["idToken"]["https://example.com/first"], true,
        "{with_rules:?}"
    );
    assert_eq!(
        with_rules[0]["accessToken"]["https://example.com/client"],
        "Shop"
    );
    assert_eq!(with_rules[0]["app_metadata"], json!({"seen": true}));
    assert_eq!(
        with_rules[2],
        json!({"denied": "blocked: eve@blocked.example"})
    );
    assert_eq!(
        again[0]["idToken"].get("https://example.com/first"),
        None,
        "{again:?}"
    );

    // The migrated tree: rules disabled, actions bound in their order.
    let out = dir.path().join("migrated");
    let run = migrate_to(&tree, &out);
    assert_exit(&run, 0);
    // The rules are turned off only after the login's new bindings are in place.
    let plan = env
        .run(&["plan", "--format", "json", out.to_str().unwrap()])
        .await;
    assert_exit(&plan, 0);
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    let calls = plan["calls"].as_array().unwrap();
    let binding = &calls
        .iter()
        .find(|c| c["resource"] == "trigger/post-login")
        .unwrap_or_else(|| panic!("{plan}"))["id"];
    let rule_calls: Vec<&Value> = calls
        .iter()
        .filter(|c| c["resource"].as_str().unwrap().starts_with("rule/"))
        .collect();
    assert_eq!(rule_calls.len(), 3, "{plan}");
    for c in rule_calls {
        assert!(
            c["after"].as_array().unwrap().contains(binding),
            "{c} waits for {binding}"
        );
    }
    let applied = env.run(&["apply", "--yes", out.to_str().unwrap()]).await;
    assert_exit(&applied, 0);
    let plan = env
        .run(&["plan", "--detailed-exitcode", out.to_str().unwrap()])
        .await;
    assert_exit(&plan, 0);
    // New users log in for the first time under the actions; the earlier ones again.
    let fresh = new_users(
        &env,
        &[
            "ann2@example.com",
            "bob2@example.com",
            "eve2@blocked.example",
        ],
    )
    .await;
    let with_actions = logins(&env, &fresh, &shop).await;
    let renamed =
        |v: &Value| serde_json::from_str::<Value>(&v.to_string().replace("2@", "@")).unwrap();
    assert_eq!(
        with_actions.iter().map(renamed).collect::<Vec<_>>(),
        with_rules,
        "first logins"
    );
    let again_actions = logins(&env, &users[..1], &shop).await;
    assert_eq!(
        again_actions, again,
        "a second login sees the metadata the rule wrote"
    );
}

#[test]
fn a_value_from_the_environment_is_never_written_into_an_action() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(
        &tree,
        "rules.yaml",
        "api: v2\nrules:\n  - name: keyed\n    enabled: true\n    order: 1\n    script: |\n      function (user, context, callback) {\n        const key = '${MIGRATE_TEST_KEY}';\n        context.idToken['https://example.com/k'] = key.length;\n        callback(null, user, context);\n      }\n",
    );
    let out = dir.path().join("out");
    let secret = "sk_live_migrate_7f3a9c0b";
    let run = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "migrate",
            "rules",
            tree.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("MIGRATE_TEST_KEY", secret)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_exit(&run, 1);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        all.contains("rule `keyed` holds a value from the environment"),
        "{all}"
    );
    assert!(!all.contains(secret), "{all}");
    assert!(!out.exists(), "nothing was written");
    // Unset, the `${VAR}` stays as written and the rule migrates.
    let run = migrate_to(&tree, &out);
    assert_exit(&run, 0);
    let code = std::fs::read_to_string(out.join("actions/keyed.js")).unwrap();
    assert!(code.contains("${MIGRATE_TEST_KEY}"), "{code}");
}
