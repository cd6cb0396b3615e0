//! Reliability and safety end to end: faults and rate limits, SIGKILL mid-apply, saved plans,
//! the deletion gate, secrets in every output, and bad targets.

mod harness;

use std::time::Duration;

use a0ctl::emulator::Config;
use harness::{Env, assert_exit, json, outcome, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

fn client_names(clients: &Value) -> Vec<String> {
    clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn assert_no_duplicates(names: &[String]) {
    let mut sorted = names.to_vec();
    sorted.sort();
    let before = sorted.len();
    sorted.dedup();
    assert_eq!(before, sorted.len(), "duplicate names in {names:?}");
}

fn big_manifest(clients: usize, connections: usize, rules: usize, rotate: bool) -> String {
    let mut m = String::from("clients:\n");
    for i in 0..clients {
        m.push_str(&format!(
            "  - name: app-{i}\n    callbacks: [https://app{i}.example.com/cb]\n"
        ));
    }
    m.push_str("connections:\n");
    for i in 0..connections {
        m.push_str(&format!(
            "  - name: conn-{i}\n    strategy: auth0\n    options: {{n: {i}}}\n    enabled_clients: [app-{}]\n",
            i % clients.max(1)
        ));
    }
    m.push_str("rules:\n");
    for i in 0..rules {
        let order = if rotate { (i + 1) % rules + 1 } else { i + 1 };
        m.push_str(&format!(
            "  - name: rule-{i}\n    order: {order}\n    script: '{SCRIPT}'\n"
        ));
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_a_rate_limit_converge_without_duplicates() {
    let env = Env::start_with(Config {
        fail_rate: 0.2,
        rate_limit: Some(50),
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "big.yaml", &big_manifest(150, 50, 50, false));
    // Planned again after it, through the same faults: no changes.
    let out = env.apply(&[d, "--yes", "--parallelism", "8"]).await;
    assert_exit(&out, 0);
    let names = client_names(&env.get_eventually("/api/clients").await);
    assert_eq!(names.len(), 151, "150 clients and the global one");
    assert_no_duplicates(&names);
    let rules = env.get_eventually("/api/rules").await;
    assert_eq!(rules.as_array().unwrap().len(), 50);
    let stats = env.get_eventually("/__emulator/stats").await;
    assert!(
        stats["by_status"]["503"].as_u64().unwrap_or(0) > 0,
        "faults were injected: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_at_any_point_converges_on_the_next_run() {
    for kill_after_ms in [40u64, 150, 300, 600] {
        let env = Env::start_with(Config {
            latency: Duration::from_millis(10),
            ..Config::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        write(dir.path(), "t.yaml", &big_manifest(0, 0, 20, false));
        assert_exit(&env.apply(&[d, "--yes"]).await, 0);
        // Rotate every rule order (a cycle, so temporary moves), and create clients and
        // connections enabled for them.
        write(dir.path(), "t.yaml", &big_manifest(40, 10, 20, true));
        let mut child = env
            .command(&["apply", d, "--yes", "--parallelism", "4"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();

        let out = env.apply(&[d, "--yes"]).await;
        assert_exit(&out, 0);
        let names = client_names(&env.get("/api/clients").await);
        assert_eq!(names.len(), 41, "killed after {kill_after_ms} ms");
        assert_no_duplicates(&names);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_applies_only_to_the_tenant_it_was_made_from() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let plan_file = dir.path().join("plan.json");
    let pf = plan_file.to_str().unwrap();

    // A create that someone else made in between: refused.
    assert_exit(&env.run(&["plan", "examples/tenant", "--out", pf]).await, 0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["summary"]["create"], 13);
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "add-country", "script": SCRIPT})),
    )
    .await;
    let out = env.apply_no_replan(&["--plan", pf, "--yes"]).await;
    // `rule "add-country" was created since`.
    insta::assert_snapshot!("apply_of_a_plan_whose_create_exists", env.outcome(&out));
    assert_eq!(
        env.get("/api/clients").await.as_array().unwrap().len(),
        1,
        "nothing changed"
    );
    env.call(Method::DELETE, "/api/rules/add-country", None)
        .await;

    // Unchanged tenant: applied exactly, and the tenant then matches.
    let out = env.apply_no_replan(&["--plan", pf, "--yes"]).await;
    assert_exit(&out, 0);
    assert_exit(
        &env.run(&["plan", "examples/tenant", "--detailed-exitcode"])
            .await,
        0,
    );

    // A changed object: refused, naming it.
    let edited = tempfile::tempdir().unwrap();
    let e = edited.path().to_str().unwrap();
    copy_dir(std::path::Path::new("examples/tenant"), edited.path());
    let rules = std::fs::read_to_string(edited.path().join("rules.yaml")).unwrap();
    std::fs::write(
        edited.path().join("rules.yaml"),
        rules.replace("status: false", "status: true"),
    )
    .unwrap();
    assert_exit(&env.run(&["plan", e, "--out", pf]).await, 0);
    // A changed object the plan touches: refused, naming it by name.
    env.call(
        Method::PUT,
        "/api/rules/add-roles-claim",
        Some(json!({"script": SCRIPT})),
    )
    .await;
    let out = env.apply_no_replan(&["--plan", pf, "--yes"]).await;
    // `rule "add-roles-claim" changed`.
    insta::assert_snapshot!("apply_of_a_plan_whose_update_changed", env.outcome(&out));
    assert_eq!(
        env.get("/api/rules/add-roles-claim").await["status"],
        false,
        "nothing changed"
    );

    // Staleness is judged only on what the plan touches: drift elsewhere does not block it.
    assert_exit(&env.run(&["plan", e, "--out", pf]).await, 0);
    env.call(
        Method::PUT,
        "/api/rules/deny-blocked-domains",
        Some(json!({"status": false})),
    )
    .await;
    let out = env.apply_no_replan(&["--plan", pf, "--yes"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.get("/api/rules/add-roles-claim").await["status"], true);
    assert_eq!(
        env.get("/api/rules/deny-blocked-domains").await["status"],
        false,
        "a saved plan sends only what it shows"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let from = root.join(from);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_most_of_a_kind_needs_force() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", &big_manifest(0, 0, 20, false));
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    write(dir.path(), "t.yaml", &big_manifest(0, 0, 5, false));
    let out = env.apply_no_replan(&[d, "--yes", "--allow-delete"]).await;
    // The deletion gate: `15 of the tenant's 20 rules`, and `--force` lets it through.
    insta::assert_snapshot!("apply_past_the_deletion_gate", env.outcome(&out));
    assert_eq!(
        env.get("/api/rules").await.as_array().unwrap().len(),
        20,
        "nothing changed"
    );
    // A raised threshold or --force lets it through.
    let out = env.apply(&[d, "--yes", "--allow-delete", "--force"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 5);
}

const SECRETS: [(&str, &str); 4] = [
    ("A0_TEST_GH_SECRET", "gh-secret-QX7J9RZ"),
    ("A0_TEST_LDAP_PASSWORD", "ldap-pw-ZK3M1VT"),
    ("A0_TEST_HOST", "hidden-host-W8PQ.example.com"),
    (
        "A0_TEST_CERT",
        "-----BEGIN CERTIFICATE-----MIIC-TEST-CERT-7731",
    ),
];

const SECRET_MANIFEST: &str = r#"connections:
  - name: github
    strategy: github
    options:
      client_id: visible-client-id
      client_secret: ${A0_TEST_GH_SECRET}
  - name: ldap
    strategy: ad
    options:
      password: ${A0_TEST_LDAP_PASSWORD}
clients:
  - name: Signer
    callbacks: ["https://${A0_TEST_HOST}/cb"]
    signingKey: { cert: "${A0_TEST_CERT}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_output() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", SECRET_MANIFEST);
    let plan_file = dir.path().join("plan.json");
    let pf: &'static str = Box::leak(plan_file.to_str().unwrap().to_string().into_boxed_str());
    let run = |args: Vec<&'static str>, extra: Vec<(&'static str, String)>| {
        let env = &env;
        async move {
            let mut all: Vec<&str> = args.clone();
            all.push(d);
            let mut cmd = env.command(&all);
            for (k, v) in SECRETS {
                cmd.env(k, v);
            }
            for (k, v) in extra {
                cmd.env(k, v);
            }
            cmd.output().await.unwrap()
        }
    };
    let mut outputs = Vec::new();
    for args in [
        vec!["plan"],
        vec!["plan", "--format", "json"],
        vec!["plan", "--format", "markdown"],
        vec!["plan", "-vv", "--out", pf],
        vec!["apply", "--yes", "-vv"],
        vec!["plan", "--format", "json", "-vv"],
    ] {
        let out = run(args.clone(), vec![]).await;
        assert_exit(&out, 0);
        if args == ["plan"] {
            // Every secret is `(sensitive)`.
            insta::assert_snapshot!("plan_of_secrets", env.outcome(&out));
        }
        outputs.push((args.join(" "), format!("{}{}", stdout(&out), stderr(&out))));
    }
    outputs.push((
        "plan file".into(),
        std::fs::read_to_string(&plan_file).unwrap(),
    ));
    // The applied tenant has them (so the plan was right), and its own secrets never show.
    let github = env.get("/api/connections/github").await;
    assert_eq!(github["options"]["client_secret"], SECRETS[0].1);
    let clients = env.get("/api/clients").await;
    let mut hidden: Vec<String> = SECRETS.iter().map(|(_, v)| v.to_string()).collect();
    for c in clients.as_array().unwrap() {
        hidden.push(c["clientSecret"].as_str().unwrap().to_string());
    }
    hidden.push(env.handle.global_client_secret.clone());
    // A token given directly never shows either.
    let out = env
        .command(&["plan", "-vv", d])
        .env_remove("AUTH0_CLIENT_ID")
        .env_remove("AUTH0_CLIENT_SECRET")
        .env("AUTH0_TOKEN", &env.token)
        .envs(SECRETS)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    outputs.push((
        "plan with a token".into(),
        format!("{}{}", stdout(&out), stderr(&out)),
    ));
    hidden.push(env.token.clone());
    for (what, text) in &outputs {
        for secret in &hidden {
            assert!(
                !text.contains(secret.as_str()),
                "`{what}` shows a secret:\n{text}"
            );
        }
        assert!(!text.contains("MIIC-TEST"), "{what}");
    }
    let saved = &outputs[outputs.len() - 2].1;
    assert!(
        saved.contains("${A0_TEST_GH_SECRET}"),
        "the plan file says where secrets come from"
    );

    // A changed secret still shows as changed.
    let out = run(
        vec!["plan", "--detailed-exitcode"],
        vec![("A0_TEST_GH_SECRET", "a-rotated-secret-value".into())],
    )
    .await;
    // `options.client_secret = (sensitive, changed)`, exit 2.
    insta::assert_snapshot!("plan_of_a_changed_secret", env.outcome(&out));
    assert!(!stdout(&out).contains("a-rotated-secret-value"));

    // A saved plan re-resolves secrets and refuses a different value.
    let out = run(
        vec!["plan", "--out", pf],
        vec![("A0_TEST_GH_SECRET", "a-rotated-secret-value".into())],
    )
    .await;
    assert_exit(&out, 0);
    let out = env
        .command(&["apply", "--plan", pf, "--yes"])
        .envs(SECRETS)
        .output()
        .await
        .unwrap();
    // `${A0_TEST_GH_SECRET}` is not the one the plan was made with.
    insta::assert_snapshot!("apply_of_a_plan_with_another_secret", env.outcome(&out));

    // An inline secret cannot go into a plan file.
    write(
        dir.path(),
        "t.yaml",
        "connections:\n  - name: gh\n    strategy: github\n    options: {client_secret: inline-secret-4471}\n",
    );
    let out = env
        .command(&["plan", d, "--out", pf])
        .output()
        .await
        .unwrap();
    // Refused: the secret is `written inline`.
    insta::assert_snapshot!("plan_out_of_an_inline_secret", env.outcome(&out));
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains("inline-secret-4471"));
}

/// One clear error line and a hint, exit 1, nothing that looks like a crash; the whole outcome is
/// the snapshot `name`.
#[track_caller]
fn assert_clear_error(out: &std::process::Output, name: &str) {
    assert_exit(out, 1);
    insta::assert_snapshot!(name, outcome(out));
    let err = stderr(out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("\nhint: "), "{err}");
    assert!(err.lines().count() <= 3, "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_targets_fail_with_one_clear_error() {
    let examples = "examples/tenant";
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("AUTH0_DOMAIN")
            .env_remove("AUTH0_CLIENT_ID")
            .env_remove("AUTH0_CLIENT_SECRET")
            .env_remove("AUTH0_TOKEN")
            .env("NO_COLOR", "1")
            .output()
            .await
            .unwrap()
    };
    let args = |domain: &str, rest: &[&str]| {
        let mut v: Vec<String> = vec![
            "plan".into(),
            examples.into(),
            "--domain".into(),
            domain.into(),
        ];
        v.extend(rest.iter().map(|s| s.to_string()));
        v
    };

    // Plain http to a non-loopback host: refused before any connection.
    let out = run(args("http://tenant.example.com", &["--token", "t"])).await;
    // `refusing plain http to `tenant.example.com``.
    assert_clear_error(&out, "plain_http_to_another_host");

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = run(args(
        &format!("http://127.0.0.1:{port}"),
        &["--token", "t", "--retries", "0"],
    ))
    .await;
    // `cannot connect: connection refused`.
    assert_clear_error(&out, "nothing_listening");

    // Wrong credentials.
    let env = Env::start().await;
    let out = run(args(
        &env.handle.base_url,
        &[
            "--client-id",
            &env.handle.global_client_id,
            "--client-secret",
            "wrong",
        ],
    ))
    .await;
    // `cannot get a token: POST /oauth/token: 401 access_denied`.
    assert_clear_error(&out, "wrong_credentials");

    // An expired token.
    let short = Env::start_with(Config {
        token_lifetime: Duration::from_secs(1),
        ..Config::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = run(args(&short.handle.base_url, &["--token", &short.token])).await;
    // `401 invalid_token: the access token expired`.
    assert_clear_error(&out, "an_expired_token");

    // A slow tenant.
    let slow = Env::start_with(Config {
        latency: Duration::from_secs(3),
        ..Config::default()
    })
    .await;
    let out = run(args(
        &slow.handle.base_url,
        &["--token", &slow.token, "--timeout", "1", "--retries", "0"],
    ))
    .await;
    // `no answer within 1s`.
    assert_clear_error(&out, "a_slow_tenant");

    // Something that is not the API.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = "<html><body>Welcome to nginx!</body></html>";
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    let out = run(args(&format!("http://{addr}"), &["--token", "t"])).await;
    // `answered 200 with text/html instead of JSON`.
    assert_clear_error(&out, "not_the_api");

    // No tenant at all.
    let out = run(vec!["plan".into(), examples.into()]).await;
    // `no tenant given`.
    assert_clear_error(&out, "no_tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_skips_its_dependents_and_the_next_apply_converges() {
    let env = Env::start_with(Config {
        // Not the connection create: an apply takes its lease with one (ARCHITECTURE.md).
        fail_routes: vec!["POST /api/clients".into()],
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "clients:\n  - name: A\nconnections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [A]\n  - name: db2\n    strategy: auth0\nrules:\n  - name: r\n    script: '{SCRIPT}'\n"
        ),
    );
    let out = env.apply_no_replan(&[d, "--yes", "--retries", "1"]).await;
    // `failed: POST /api/clients (client/A): 500 internal_error`, `not attempted: PUT
    // /api/connections/db?client=`, `Apply incomplete: 3 applied, 1 failed, 1 not attempted.`,
    // and `apply incomplete` on stderr.
    insta::assert_snapshot!("apply_with_a_failing_route", env.outcome(&out));
    assert_eq!(client_names(&env.get("/api/clients").await).len(), 1);
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 1);

    // Still broken: the next run retries only what is missing.
    let out = env.apply_no_replan(&[d, "--yes", "--retries", "1"]).await;
    // `Apply incomplete: 0 applied, 1 failed, 1 not attempted.`
    insta::assert_snapshot!("apply_again_with_a_failing_route", env.outcome(&out));
    assert_eq!(
        env.get("/api/connections").await.as_array().unwrap().len(),
        2,
        "no duplicates"
    );

    // Repaired: the next run converges.
    let (status, _) = env
        .call(
            Method::PUT,
            "/__emulator/faults",
            Some(json!({"fail_routes": []})),
        )
        .await;
    assert_eq!(status, 200);
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_show_with_verbose() {
    let env = Env::start_with(Config {
        fail_rate: 0.5,
        seed: Some(7),
        ..Config::default()
    })
    .await;
    let out = env
        .run(&[
            "plan",
            "examples/tenant",
            "-v",
            "--format",
            "json",
            "--retries",
            "20",
        ])
        .await;
    assert_exit(&out, 0);
    assert!(stderr(&out).contains("retrying in"), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["create"], 13);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_s_value_elsewhere_in_the_manifests_is_never_rewritten() {
    // The value of ${CORP_DOMAIN} also appears, literally, in callbacks and an email address.
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://admin.example.com/cb]\nconnections:\n  - name: db\n    strategy: auth0\n    options: {allowed_domain: '${CORP_DOMAIN}'}\nemails:\n  - template: welcome_email\n    from: no-reply@example.com\n",
    );
    let out = env
        .command(&["plan", d, "--format", "json"])
        .env("CORP_DOMAIN", "example.com")
        .output()
        .await
        .unwrap();
    // `https://admin.example.com/cb` as written, not `https://admin.(sensitive)/cb`.
    insta::assert_snapshot!("json_plan_of_a_value_also_in_a_variable", env.outcome(&out));
    assert!(
        !stdout(&out).contains("admin.(sensitive)"),
        "{}",
        stdout(&out)
    );
    let out = env
        .command(&["plan", d, "--out", p])
        .env("CORP_DOMAIN", "example.com")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let out = env
        .apply_no_replan_with(&["--plan", p, "--yes"], |c| {
            c.env("CORP_DOMAIN", "example.com");
        })
        .await;
    assert_exit(&out, 0);
    let shop = env
        .get("/api/clients")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Shop")
        .unwrap()
        .clone();
    assert_eq!(shop["callbacks"], json!(["https://admin.example.com/cb"]));
    assert_eq!(
        env.get("/api/emails/welcome_email").await["from"],
        "no-reply@example.com"
    );
    assert_eq!(
        env.get("/api/connections/db").await["options"]["allowed_domain"],
        "example.com"
    );
    let out = env
        .command(&["plan", d, "--detailed-exitcode"])
        .env("CORP_DOMAIN", "example.com")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_cannot_be_made_to_leak_or_to_do_more_than_it_shows() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    // A manifest's own objects that look like markers stay as written (the file has no in-band
    // markers: secrets are referenced by place).
    write(
        dir.path(),
        "t.yaml",
        "connections:\n  - name: gh\n    strategy: github\n    options:\n      client_secret: '${GH_SECRET}'\n      note: {\"$ref\": 0}\n      other: {\"$literal\": x}\nrules:\n  - name: r\n    order: 1\n    script: 'function (u, c, cb) { cb(null, u, c); }'\n",
    );
    let with_secret = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("GH_SECRET", "the-real-secret-value-88");
        cmd
    };
    assert_exit(
        &with_secret(&["plan", d, "--out", p])
            .output()
            .await
            .unwrap(),
        0,
    );
    let saved = std::fs::read_to_string(&pf).unwrap();
    assert!(!saved.contains("the-real-secret-value-88"));
    assert!(saved.contains("argon2id:"), "secrets are hashed slowly");
    let out = with_secret(&["apply", "--plan", p, "--yes", "--format", "json"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let report = json(&out);
    assert!(
        report.get("salt").is_none() && report.get("fingerprints").is_none(),
        "{report}"
    );
    assert_eq!(report["format_version"], 1);
    assert!(report["report"]["calls"].is_array());
    let options = env.get("/api/connections/gh").await["options"].clone();
    assert_eq!(options["note"], json!({"$ref": 0}));
    assert_eq!(options["other"], json!({"$literal": "x"}));
    assert_eq!(options["client_secret"], "the-real-secret-value-88");

    // An edited plan file cannot send a call its changes do not show.
    write(
        dir.path(),
        "t.yaml",
        "rules:\n  - name: r\n    order: 2\n    script: 'function (u, c, cb) { cb(null, u, c); }'\nconnections:\n  - name: gh\n    strategy: github\n    options: {client_secret: '${GH_SECRET}', note: {\"$ref\": 0}, other: {\"$literal\": x}}\n",
    );
    assert_exit(
        &with_secret(&["plan", d, "--out", p])
            .output()
            .await
            .unwrap(),
        0,
    );
    let edited = std::fs::read_to_string(&pf).unwrap().replacen(
        "\"method\": \"PUT\"",
        "\"method\": \"DELETE\"",
        1,
    );
    std::fs::write(&pf, edited).unwrap();
    let out = with_secret(&["apply", "--plan", p, "--yes"])
        .output()
        .await
        .unwrap();
    // Its calls are `not the ones the file lists`.
    insta::assert_snapshot!("apply_of_an_edited_plan", env.outcome(&out));
    assert_eq!(
        env.get("/api/rules").await.as_array().unwrap().len(),
        1,
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_manifest_does_not_empty_the_tenant_without_force() {
    let env = Env::start().await;
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
    let dir = tempfile::tempdir().unwrap();
    // A file with no section manages nothing: nothing is deleted, whatever the flags.
    write(dir.path(), "empty.yaml", "# nothing yet\n");
    let d = dir.path().to_str().unwrap();
    let out = env.apply(&[d, "--yes", "--allow-delete"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 4);
    // Sections that declare nothing would empty the tenant: refused without --force.
    write(
        dir.path(),
        "empty.yaml",
        "connections: []\nclients: []\nrules: []\n",
    );
    let out = env.apply_no_replan(&[d, "--yes", "--allow-delete"]).await;
    // Refused: `the manifests declare nothing`.
    insta::assert_snapshot!("apply_of_empty_sections", env.outcome(&out));
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 4);
}

/// `a0ctl ARGS` on a terminal (util-linux `script` gives it one): the child, its output read
/// line by line.
fn on_terminal(env: &Env, args: &[&str]) -> tokio::process::Child {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_a0ctl"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut cmd = env.command(&[]);
    let cmd = cmd.as_std_mut();
    let mut script = tokio::process::Command::new("script");
    script
        .args(["-qfec", &quoted.join(" "), "/dev/null"])
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("AUTH0_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    script
        .spawn()
        .expect("util-linux `script` runs a command on a terminal")
}

/// Read the terminal's output until it shows `text` (at most 60 s); all read so far.
async fn read_until(child: &mut tokio::process::Child, seen: &mut String, text: &str) {
    use tokio::io::AsyncReadExt;
    let out = child.stdout.as_mut().unwrap();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !seen.contains(text) {
        let n = tokio::time::timeout_at(deadline, out.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no `{text}` on the terminal within 60 s:\n{seen}"))
            .unwrap();
        assert!(n > 0, "the terminal closed before `{text}`:\n{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// Answer on the terminal, then the exit code and everything it showed.
async fn answer(child: &mut tokio::process::Child, mut seen: String, text: &str) -> (i32, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).await.unwrap();
    stdin.flush().await.unwrap();
    let mut rest = Vec::new();
    let out = child.stdout.as_mut().unwrap();
    tokio::time::timeout(Duration::from_secs(60), out.read_to_end(&mut rest))
        .await
        .expect("the apply ends within 60 s of the answer")
        .unwrap();
    seen.push_str(&String::from_utf8_lossy(&rest));
    let status = child.wait().await.unwrap();
    drop(stdin);
    (status.code().unwrap_or(-1), seen)
}

async fn lease_held(env: &Env) -> bool {
    let connections = env.get("/api/connections").await;
    connections
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == a0ctl::lease::LOCK_NAME)
}

const PROMPT: &str = "Only 'yes' will be accepted";

/// `a0ctl apply` of a tree that creates client "late", on a terminal, at its question (the
/// plan shown, the lease not held): the tenant, the tree, the child and what it showed.
async fn asked_to_create_late() -> (Env, tempfile::TempDir, tokio::process::Child, String) {
    let env = Env::start().await;
    let (dir, d) =
        harness::tree("clients:\n  - name: late\n    callbacks: [https://a.example/cb]\n");
    let mut child = on_terminal(&env, &["apply", &d]);
    let mut seen = String::new();
    read_until(&mut child, &mut seen, PROMPT).await;
    assert!(seen.contains("+ client \"late\""), "{seen}");
    assert!(
        !lease_held(&env).await,
        "the lease is not held while the question waits"
    );
    (env, dir, child, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_is_answered_before_the_lease_is_taken_and_a_plan_changed_meanwhile_is_refused()
{
    let (env, _dir, mut child, seen) = asked_to_create_late().await;
    // Someone creates the client while the question waits: the plan under the lease differs.
    let (status, _) = env
        .call(
            Method::POST,
            "/api/clients",
            Some(json!({"name": "late", "callbacks": ["https://b.example/cb"]})),
        )
        .await;
    assert_eq!(status, 200);
    let (code, seen) = answer(&mut child, seen, "yes\n").await;
    assert_eq!(code, 3, "{seen}");
    assert!(
        seen.contains("the tenant changed while you answered"),
        "{seen}"
    );
    assert!(
        seen.contains("(client \"late\")"),
        "names what changed: {seen}"
    );
    let clients = env.get("/api/clients").await;
    let late: Vec<&Value> = clients
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "late")
        .collect();
    assert_eq!(late.len(), 1, "nothing was changed: {clients}");
    assert_eq!(late[0]["callbacks"], json!(["https://b.example/cb"]));
    assert!(!lease_held(&env).await, "the lease was given back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_confirmed_on_a_terminal_is_applied_once() {
    let (env, _dir, mut child, seen) = asked_to_create_late().await;
    let (code, seen) = answer(&mut child, seen, "yes\n").await;
    assert_eq!(code, 0, "{seen}");
    assert_eq!(
        seen.matches("+ client \"late\"").count(),
        1,
        "the plan is shown once: {seen}"
    );
    let names = client_names(&env.get("/api/clients").await);
    assert_eq!(names.iter().filter(|n| *n == "late").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_in_json_on_a_terminal_needs_yes_and_changes_nothing() {
    let env = Env::start().await;
    let (_dir, d) = harness::tree("clients:\n  - name: late\n");
    let mut child = on_terminal(&env, &["apply", &d, "--format", "json"]);
    let (code, seen) = answer(&mut child, String::new(), "yes\n").await;
    assert_eq!(code, 1, "{seen}");
    assert!(seen.contains("apply --format json needs --yes"), "{seen}");
    assert!(!seen.contains(PROMPT), "nothing is asked: {seen}");
    let names = client_names(&env.get("/api/clients").await);
    assert!(!names.iter().any(|n| n == "late"), "nothing was changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_plan_does_not_touch_does_not_refuse_the_answer() {
    let (env, _dir, mut child, seen) = asked_to_create_late().await;
    // A client no manifest declares appears while the question waits: it is only "not in the
    // manifests", which sends nothing.
    let (status, _) = env
        .call(Method::POST, "/api/clients", Some(json!({"name": "other"})))
        .await;
    assert_eq!(status, 200);
    let (code, seen) = answer(&mut child, seen, "yes\n").await;
    assert_eq!(code, 0, "{seen}");
    let names = client_names(&env.get("/api/clients").await);
    assert!(names.iter().any(|n| n == "late"), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_meets_another_s_lease_says_so_before_asking() {
    let env = Env::start().await;
    // A marker a0ctl cannot read never expires by itself: the answer could only be refused.
    let (status, _) = env
        .call(
            Method::POST,
            "/api/connections",
            Some(json!({"name": a0ctl::lease::LOCK_NAME, "strategy": "auth0", "options": {"foo": 1}})),
        )
        .await;
    assert_eq!(status, 200);
    let (_dir, d) = harness::tree("clients:\n  - name: late\n");
    let mut child = on_terminal(&env, &["apply", &d]);
    let (code, seen) = answer(&mut child, String::new(), "yes\n").await;
    assert_eq!(code, 1, "{seen}");
    assert!(
        seen.contains("another apply is changing this tenant"),
        "{seen}"
    );
    assert!(!seen.contains(PROMPT), "nothing is asked: {seen}");
    let names = client_names(&env.get("/api/clients").await);
    assert!(!names.iter().any(|n| n == "late"), "nothing was changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_of_input_at_the_prompt_cancels_on_a_line_of_its_own() {
    let (env, _dir, mut child, seen) = asked_to_create_late().await;
    // Ctrl-D: the terminal's end-of-file character.
    let (code, seen) = answer(&mut child, seen, "\u{4}").await;
    assert_eq!(code, 1, "{seen}");
    let line = seen
        .lines()
        .find(|l| l.contains("cancelled"))
        .unwrap_or_else(|| panic!("{seen}"));
    assert!(line.contains("no answer (end of input)"), "{seen}");
    assert!(
        line.trim_start().starts_with("error:"),
        "on its own line: {line:?}"
    );
    assert!(!lease_held(&env).await);
    let names = client_names(&env.get("/api/clients").await);
    assert!(!names.iter().any(|n| n == "late"), "nothing was changed");
}
