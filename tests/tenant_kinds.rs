//! The rest of the tenant on v2: attack protections, MFA factors and policies, log streams and
//! custom domains, each applied, planned empty, exported back and planned empty again, with
//! their secrets never shown and the service's own states reported, not fought.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SECURITY: &str = r#"api: v2
attack_protection:
  - name: brute-force-protection
    max_attempts: 5
    shields: [user_notification, block]
    allowlist: [10.0.0.2, 10.0.0.1]
  - name: suspicious-ip-throttling
    stage:
      pre-login: {max_attempts: 10, rate: 1000}
  - name: breached-password-detection
    enabled: true
    shields: [block, admin_notification]
    admin_notification_frequency: [weekly, daily]
    stage:
      pre-change-password: {shields: [block]}
guardian_factors:
  - {name: otp, enabled: true}
  - {name: sms, enabled: false}
guardian_policies:
  policies: [all-applications]
"#;

async fn v2(env: &Env, path: &str) -> Value {
    let (status, v) = env.v2_call(Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// Every output of a run, for the secrets' sake.
fn all_of(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_always_exist_are_only_changed_by_the_keys_declared() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    write(&t, "security.yaml", SECURITY);
    let d = t.to_str().unwrap();
    let out = env.run(&["plan", "--format", "json", d]).await;
    assert_exit(&out, 0);
    let plan = harness::json(&out);
    let changed: Vec<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    // sms is already off: not a change.
    assert_eq!(
        changed,
        [
            "attack_protection breached-password-detection",
            "attack_protection brute-force-protection",
            "attack_protection suspicious-ip-throttling",
            "guardian_factor otp",
            "guardian_policies policies",
        ],
        "{plan}"
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    for (route, n) in [
        ("PATCH /api/v2/attack-protection/{name}", 3),
        ("PUT /api/v2/guardian/factors/{name}", 1),
        ("PUT /api/v2/guardian/policies", 1),
    ] {
        assert_eq!(env.calls_to(route).await, n, "{route}");
    }
    let bf = v2(&env, "/attack-protection/brute-force-protection").await;
    assert_eq!(bf["max_attempts"], 5);
    assert_eq!(bf["shields"], json!(["block", "user_notification"]));
    // Undeclared keys and stages keep their values.
    assert_eq!(bf["mode"], "count_per_identifier_and_ip");
    let sit = v2(&env, "/attack-protection/suspicious-ip-throttling").await;
    assert_eq!(sit["stage"]["pre-login"]["max_attempts"], 10);
    assert_eq!(sit["stage"]["pre-user-registration"]["max_attempts"], 50);
    assert_eq!(
        v2(&env, "/guardian/policies").await,
        json!(["all-applications"])
    );
    // The service's order of the sets is no drift.
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // Exported back, the tree plans empty; the password-change stage is no secret.
    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(e.join("attack_protection.yaml")).unwrap();
    assert!(exported.contains("pre-change-password:"), "{exported}");
    assert!(!exported.contains("${"), "{exported}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);

    // A tree without the sections leaves them alone, even with --allow-delete.
    write(&t, "security.yaml", "api: v2\nclients: []\n");
    let out = env
        .run(&["plan", "--allow-delete", "--detailed-exitcode", d])
        .await;
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_protection_s_keys_and_shields_are_located_offline_errors() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    write(
        &t,
        "security.yaml",
        "api: v2\nattack_protection:\n  - name: breached-password-detection\n    mode: count_per_identifier\n    stage:\n      pre-user-registration: {shields: [nope]}\n  - name: suspicious-ip-throttling\n    shields: [user_notification, \"${SHIELD}\"]\n    stage:\n      pre-change-password: {shields: []}\n      pre-login: {max_attempts: lots, rate: 0, bogus: 1}\nguardian_policies:\n  policies: [confidence-score, all-applications]\nbranding:\n  logo_url: \"${LOGO}\"\ncustom_domains:\n  - {domain: \"https://login.example.com/\", type: auth0_managed_certs}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["validate", t.to_str().unwrap()])
        .env("SHIELD", "env-shield-value-71")
        .env("LOGO", "http://env-logo-value-72.example.com/logo.png")
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    for want in [
        "security.yaml:4:11: breached-password-detection takes no `mode`",
        "security.yaml:6:40: must be a list of block, admin_notification",
        "security.yaml:8:15: suspicious-ip-throttling has no such shield",
        "security.yaml:8:34: suspicious-ip-throttling has no such shield",
        "suspicious-ip-throttling has no stage `pre-change-password`",
        "security.yaml:11:33: must be a positive integer",
        "security.yaml:11:45: must be a positive integer",
        "stage `pre-login` of suspicious-ip-throttling takes no `bogus`",
        "guardian_policies.policies",
        "security.yaml:15:13: `logo_url` must be an https:// URL",
        "must be a host name such as login.example.com",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    // What came from the environment is never echoed.
    assert!(!err.contains("env-shield-value-71"), "{err}");
    assert!(!err.contains("env-logo-value-72"), "{err}");
}

const HTTP_SECRET: &str = "Bearer log-sink-secret-5d1e";
const HEADER_SECRET: &str = "header-secret-77aa";
const DD_SECRET: &str = "datadog-key-9c3b";

fn streams(format: &str, status: &str) -> String {
    format!(
        r#"api: v2
log_streams:
  - name: webhook
    type: http
    status: {status}
    sink:
      httpEndpoint: https://logs.example.com/in
      httpContentFormat: {format}
      httpAuthorization: "{HTTP_SECRET}"
      httpCustomHeaders:
        - {{header: X-Team, value: "{HEADER_SECRET}"}}
    filters:
      - name: auth.signup.success
      - {{type: category, name: auth.login.fail}}
  - name: dd
    type: datadog
    sink:
      datadogRegion: eu
      datadogApiKey: ${{DD_KEY}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_streams_apply_plan_empty_and_export_back_without_their_sink_secrets() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "streams.yaml", &streams("JSONLINES", "active"));
    let run = |args: Vec<&str>| {
        let mut cmd = env.command(&args);
        cmd.env("DD_KEY", DD_SECRET);
        cmd
    };
    let mut seen = String::new();
    let out = run(vec!["plan", d]).output().await.unwrap();
    assert_exit(&out, 0);
    seen += &all_of(&out);
    let out = run(vec!["plan", "--format", "json", d])
        .output()
        .await
        .unwrap();
    seen += &all_of(&out);
    let out = run(vec!["apply", "--yes", d]).output().await.unwrap();
    assert_exit(&out, 0);
    seen += &all_of(&out);
    assert_eq!(env.calls_to("POST /api/v2/log-streams").await, 2);
    let listed = v2(&env, "/log-streams").await;
    let webhook = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "webhook")
        .unwrap()
        .clone();
    assert_eq!(
        webhook["sink"]["httpEndpoint"],
        "https://logs.example.com/in"
    );
    // Filters as the service keeps them: sorted, each with its type. No drift from either.
    let out = run(vec!["plan", "--detailed-exitcode", d])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    seen += &all_of(&out);

    // A sink change sends the whole sink, secrets included (the service merges it).
    write(&t, "streams.yaml", &streams("JSONARRAY", "active"));
    let out = run(vec!["apply", "--yes", d]).output().await.unwrap();
    assert_exit(&out, 0);
    seen += &all_of(&out);
    assert_eq!(env.calls_to("PATCH /api/v2/log-streams/{id}").await, 1);
    let out = run(vec!["plan", "--detailed-exitcode", d])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);

    // Exported back with its secrets as variables, the tree plans empty.
    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    seen += &all_of(&out);
    let exported = std::fs::read_to_string(e.join("log_streams.yaml")).unwrap();
    seen += &exported;
    for var in [
        "A0_WEBHOOK_HTTPCUSTOMHEADERS_0_VALUE",
        "A0_DD_DATADOGAPIKEY",
    ] {
        assert!(
            exported.contains(&format!("${{{var}}}")),
            "{var}: {exported}"
        );
    }
    // An optional secret the tenant never returns is left out: it may not exist.
    assert!(!exported.contains("httpAuthorization"), "{exported}");
    let mut cmd = env.command(&["plan", "--detailed-exitcode", e.to_str().unwrap()]);
    cmd.env("A0_WEBHOOK_HTTPCUSTOMHEADERS_0_VALUE", "y")
        .env("A0_DD_DATADOGAPIKEY", "z");
    let out = cmd.output().await.unwrap();
    assert_exit(&out, 0);
    for secret in [HTTP_SECRET, HEADER_SECRET, DD_SECRET, "log-sink-secret"] {
        assert!(!seen.contains(secret), "{secret} shown");
    }

    // A sink key the manifest drops is cleared (the service merges sinks key by key).
    write(
        &t,
        "streams.yaml",
        &streams("JSONARRAY", "paused").replace("      httpContentFormat: JSONARRAY\n", ""),
    );
    let out = run(vec!["apply", "--yes", d]).output().await.unwrap();
    assert_exit(&out, 0);
    let webhook = v2(
        &env,
        &format!("/log-streams/{}", webhook["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        webhook["sink"].get("httpContentFormat").is_none(),
        "{webhook}"
    );
    let out = run(vec!["plan", "--detailed-exitcode", d])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    // Two identical trees differ in nothing, secrets and all.
    let out = run(vec!["diff", d, d]).output().await.unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("Plan: 0 to create, 0 to update"),
        "{}",
        stdout(&out)
    );

    // A declared name the tenant holds twice cannot be paired: refused, naming both.
    let (status, twin) = env
        .v2_call(
            Method::POST,
            "/log-streams",
            Some(json!({"name": "dd", "type": "datadog", "sink": {"datadogRegion": "us", "datadogApiKey": "k"}})),
        )
        .await;
    assert_eq!(status, 201, "{twin}");
    let out = run(vec!["plan", d]).output().await.unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("log stream `dd` is ambiguous: the tenant holds 2 of that name")
            && err.contains(twin["id"].as_str().unwrap()),
        "{err}"
    );
    let (status, _) = env
        .v2_call(
            Method::DELETE,
            &format!("/log-streams/{}", twin["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 204);

    // Another type is another stream: replaced, under --allow-replace.
    write(
        &t,
        "streams.yaml",
        "api: v2\nlog_streams:\n  - name: dd\n    type: splunk\n    sink: {splunkDomain: splunk.example.com, splunkToken: tok-1234-abcd, splunkPort: \"8088\", splunkSecure: true}\n",
    );
    let out = run(vec!["apply", "--yes", d]).output().await.unwrap();
    assert_exit(&out, 3);
    assert!(
        stderr(&out)
            .contains("(a replacement deletes the log stream and makes another, with a new id)"),
        "{}",
        stderr(&out)
    );
    let out = run(vec!["apply", "--yes", "--allow-replace", d])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(!all_of(&out).contains("tok-1234-abcd"));
    let listed = v2(&env, "/log-streams").await;
    let dd: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "dd")
        .collect();
    assert_eq!(dd.len(), 1);
    assert_eq!(dd[0]["type"], "splunk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_s_own_states_are_reported_never_fought() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "domains.yaml",
        "api: v2\ncustom_domains:\n  - domain: Login.Example.com\n    type: auth0_managed_certs\n  - domain: id.example.org\n    type: self_managed_certs\n    custom_client_ip_header: cf-connecting-ip\n",
    );
    // A domain is named in lower case, as the service keeps it.
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to("POST /api/v2/custom-domains").await, 2);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
    let text = all_of(&out);
    assert!(
        text.contains("custom domain `login.example.com` is pending_verification (add TXT record _cf-custom-hostname.login.example.com = auth0-domain-verification="),
        "{text}"
    );
    assert_eq!(
        env.calls_to("POST /api/v2/custom-domains/{id}/verify")
            .await,
        0
    );
    // Verified by its owner: no longer reported; a0ctl never verified it.
    let listed = v2(&env, "/custom-domains").await;
    for domain in listed.as_array().unwrap() {
        let id = domain["custom_domain_id"].as_str().unwrap();
        let (status, v) = env
            .v2_call(Method::POST, &format!("/custom-domains/{id}/verify"), None)
            .await;
        assert_eq!(status, 200, "{v}");
    }
    assert_eq!(
        env.calls_to("POST /api/v2/custom-domains/{id}/verify")
            .await,
        2
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
    assert!(!all_of(&out).contains("verification"), "{}", all_of(&out));

    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(e.join("custom_domains.yaml")).unwrap();
    assert!(!exported.contains("status"), "{exported}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);

    // The header changes in place; the type replaces.
    write(
        &t,
        "domains.yaml",
        "api: v2\ncustom_domains:\n  - domain: login.example.com\n    type: self_managed_certs\n  - domain: id.example.org\n    type: self_managed_certs\n    custom_client_ip_header: x-forwarded-for\n",
    );
    let out = env.run(&["apply", "--yes", "--allow-replace", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to("PATCH /api/v2/custom-domains/{id}").await, 1);
    assert_eq!(env.calls_to("DELETE /api/v2/custom-domains/{id}").await, 1);
    assert_eq!(env.calls_to("POST /api/v2/custom-domains").await, 3);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // A log stream the service suspended keeps that status: reported, not resumed, not
    // exported.
    write(
        &t,
        "domains.yaml",
        "api: v2\nlog_streams:\n  - name: webhook\n    type: http\n    status: active\n    sink: {httpEndpoint: https://logs.example.com/in}\n",
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    let listed = v2(&env, "/log-streams").await;
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let (status, _) = env
        .call(
            Method::POST,
            &format!("/__emulator/log-streams/{id}/suspend"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
    assert!(
        all_of(&out).contains("log stream `webhook` is suspended by the service"),
        "{}",
        all_of(&out)
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to("PATCH /api/v2/log-streams/{id}").await, 0);
    assert_eq!(v2(&env, "/log-streams").await[0]["status"], "suspended");
    let e = dir.path().join("export2");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(e.join("log_streams.yaml")).unwrap();
    assert!(!exported.contains("status"), "{exported}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
}

const PAGE: &str = "<!DOCTYPE html><html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branding_its_page_template_and_prompts_apply_plan_empty_and_export_back() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "branding/universal-login.html", PAGE);
    write(
        &t,
        "branding.yaml",
        "api: v2\nbranding:\n  colors: {primary: \"#0059d6\"}\n  logo_url: https://cdn.example.com/logo.png\nbranding_templates:\n  - template: universal-login\n    body: {file: branding/universal-login.html}\nprompts:\n  identifier_first: true\n",
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    for (route, n) in [
        ("PATCH /api/v2/branding", 1),
        ("PUT /api/v2/branding/templates/universal-login", 1),
        ("PATCH /api/v2/prompts", 1),
    ] {
        assert_eq!(env.calls_to(route).await, n, "{route}");
    }
    let b = v2(&env, "/branding").await;
    assert_eq!(b["colors"]["primary"], "#0059d6");
    // The colour no manifest declares keeps its value.
    assert_eq!(b["colors"]["page_background"], "#000000");
    assert_eq!(
        v2(&env, "/branding/templates/universal-login").await["body"],
        PAGE
    );
    assert_eq!(v2(&env, "/prompts").await["identifier_first"], true);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // A changed page is one PUT, shown line by line.
    write(
        &t,
        "branding/universal-login.html",
        &PAGE.replace("<body>", "<body class=\"acme\">"),
    );
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("class=\\\"acme\\\"") || stdout(&out).contains("class=\"acme\""),
        "{}",
        stdout(&out)
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(
        env.calls_to("PUT /api/v2/branding/templates/universal-login")
            .await,
        2
    );

    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let page = std::fs::read_to_string(e.join("branding/universal-login.html")).unwrap();
    assert!(page.contains("class=\"acme\""), "{page}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);

    // The template without its section is deleted only with --allow-delete.
    write(
        &t,
        "branding.yaml",
        "api: v2\nbranding_templates: []\nprompts:\n  identifier_first: true\n",
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(
            "would delete with --allow-delete):\n  branding_template \"universal-login\""
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        env.calls_to("DELETE /api/v2/branding/templates/universal-login")
            .await,
        0
    );
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 0);
    let (status, _) = env
        .v2_call(Method::GET, "/branding/templates/universal-login", None)
        .await;
    assert_eq!(status, 404);
}

#[test]
fn a_page_without_the_tags_the_service_requires_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    write(
        &t,
        "branding.yaml",
        "api: v2\nbranding:\n  logo_url: http://cdn.example.com/logo.png\nbranding_templates:\n  - template: universal-login\n    body: \"<html><body>hi</body></html>\"\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["validate", t.to_str().unwrap()])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    for want in [
        "branding.yaml:3:13: `logo_url` must be an https:// URL",
        "branding.yaml:6:11: the page has no `{%- auth0:head -%}` tag",
        "the page has no `{%- auth0:widget -%}` tag",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
}
