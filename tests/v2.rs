//! a0ctl on Management API v2: the reconcile, safety and workflow scenarios of v1, run on the
//! emulator's `/api/v2` with `api: v2` manifests, plus what only v2 has (paging, batched
//! enabled clients, scopes, the email provider, the dialect's field names).

mod harness;

use std::time::Duration;

use a0ctl::emulator::Config;
use harness::{Env, assert_exit, json, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";
const SMTP_PASS: &str = "smtp-pass-7f3a9c";
const GOOGLE_SECRET: &str = "google-secret-b61d04";

/// One v2 call: status and body.
async fn v2(env: &Env, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let token = env.v2_token().await;
    let mut req = env
        .http
        .request(method, format!("{}/api/v2{path}", env.handle.base_url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Every object of a v2 listing (offset pages).
async fn all(env: &Env, what: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 0.. {
        let (status, v) = v2(
            env,
            Method::GET,
            &format!("/{what}?per_page=100&page={page}&include_totals=true"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let items = v[what].as_array().unwrap().clone();
        let done = items.len() < 100;
        out.extend(items);
        if done {
            break;
        }
    }
    out
}

/// Every connection (checkpoint pages).
async fn connections(env: &Env) -> Vec<Value> {
    let mut out = Vec::new();
    let mut from: Option<String> = None;
    loop {
        let query = match &from {
            Some(f) => format!("/connections?take=100&from={f}"),
            None => "/connections?take=100".to_string(),
        };
        let (status, v) = v2(env, Method::GET, &query, None).await;
        assert_eq!(status, 200, "{v}");
        out.extend(v["connections"].as_array().unwrap().iter().cloned());
        match v["next"].as_str() {
            Some(n) => from = Some(n.to_string()),
            None => return out,
        }
    }
}

async fn stats(env: &Env) -> Value {
    env.get_eventually("/__emulator/stats").await
}

fn count(stats: &Value, route: &str) -> u64 {
    stats["by_route"][route].as_u64().unwrap_or(0)
}

fn writes(stats: &Value) -> u64 {
    stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| {
            ["POST /api/", "PATCH", "PUT", "DELETE"]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = items
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

fn assert_no_duplicates(names: &[String]) {
    let mut d = names.to_vec();
    d.dedup();
    assert_eq!(d.len(), names.len(), "duplicates in {names:?}");
}

/// A v2 tree of `clients` clients, `conns` connections (each enabled for up to three clients)
/// and `rules` rules (orders rotated by one when `rotate`).
fn big_v2(clients: usize, conns: usize, rules: usize, rotate: bool) -> String {
    let mut m = String::from("api: v2\nclients:\n");
    for i in 0..clients {
        m.push_str(&format!(
            "  - name: app-{i}\n    app_type: spa\n    callbacks: [https://app{i}.example.com/cb]\n    web_origins: [https://app{i}.example.com]\n"
        ));
    }
    m.push_str("connections:\n");
    for i in 0..conns {
        let enabled: Vec<String> = (0..clients.min(3))
            .map(|k| format!("app-{}", (i + k) % clients))
            .collect();
        m.push_str(&format!(
            "  - name: conn-{i}\n    strategy: auth0\n    display_name: Connection {i}\n    options: {{n: {i}}}\n    enabled_clients: [{}]\n",
            enabled.join(", ")
        ));
    }
    m.push_str("rules:\n");
    for i in 0..rules {
        let order = if rotate { (i + 1) % rules + 1 } else { i + 1 };
        m.push_str(&format!(
            "  - name: rule-{i}\n    order: {order}\n    enabled: true\n    script: '{SCRIPT}'\n"
        ));
    }
    m
}

fn example_v2() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tenant-v2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_example_applies_converges_and_exports_a_tree_that_plans_empty() {
    let env = Env::start().await;
    let run = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("SMTP_PASS", SMTP_PASS);
        cmd
    };
    let out = run(&["apply", "--yes", example_v2()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("Apply complete"), "{}", stdout(&out));
    let out = run(&["plan", "--detailed-exitcode", example_v2()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("No changes"), "{}", stdout(&out));
    // Only v2 was spoken.
    let s = stats(&env).await;
    let routes: Vec<&String> = s["by_route"].as_object().unwrap().keys().collect();
    assert!(
        routes
            .iter()
            .all(|r| r.contains(" /api/v2/") || r.ends_with("/oauth/token")),
        "{routes:?}"
    );
    // The tenant holds what the manifests say, through v2's own objects.
    let clients = all(&env, "clients").await;
    let store = clients.iter().find(|c| c["name"] == "Storefront").unwrap();
    assert_eq!(store["app_type"], "spa");
    assert_eq!(store["refresh_token"]["rotation_type"], "rotating");
    let (_, provider) = v2(&env, Method::GET, "/emails/provider", None).await;
    assert_eq!(provider["name"], "smtp");
    let (_, db) = v2(
        &env,
        Method::GET,
        "/connections?name=Username-Password-Authentication",
        None,
    )
    .await;
    assert_eq!(db[0]["display_name"], "Email and password");
    assert_eq!(db[0]["enabled_clients"].as_array().unwrap().len(), 2);

    // A login runs the example's enabled rules, then its post-login actions in their order,
    // and shows their claims; the metadata an action sets is the user's.
    let storefront = store["client_id"].as_str().unwrap();
    let (status, user) = env
        .call(
            Method::POST,
            "/__emulator/users",
            Some(json!({"connection": "Username-Password-Authentication",
                        "email": "ann@example.com", "email_verified": true})),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    let (status, login) = env
        .call(
            Method::POST,
            "/__emulator/logins",
            Some(json!({"user_id": user["user_id"], "client_id": storefront})),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["rules"]["status"], "allowed", "{login}");
    assert_eq!(login["actions"]["status"], "allowed", "{login}");
    assert_eq!(
        login["actions"]["ran"],
        json!(["verified-email-for-admins", "add-claims"])
    );
    assert_eq!(
        login["actions"]["accessToken"],
        json!({"https://example.com/roles": []})
    );
    assert!(
        login["app_metadata"]["first_login_at"].is_string(),
        "{login}"
    );

    // Export writes a v2 tree that plans to zero changes, twice the same, with no secret.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for to in [&a, &b] {
        let out = env
            .run(&["export", "--api", "v2", "--out", to.to_str().unwrap()])
            .await;
        assert_exit(&out, 0);
        assert!(
            stdout(&out).contains("A0_EMAIL_PROVIDER_SMTP_PASS"),
            "{}",
            stdout(&out)
        );
    }
    let files = |d: &std::path::Path| {
        let mut v: Vec<(String, String)> = Vec::new();
        for sub in ["", "rules", "emails"] {
            for e in std::fs::read_dir(d.join(sub)).unwrap().flatten() {
                if e.path().is_file() {
                    v.push((
                        format!("{sub}/{}", e.file_name().to_string_lossy()),
                        std::fs::read_to_string(e.path()).unwrap(),
                    ));
                }
            }
        }
        v.sort();
        v
    };
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa, fb, "exports are deterministic");
    for (name, text) in &fa {
        assert!(
            !text.contains(SMTP_PASS),
            "{name} holds the provider's password"
        );
        if name.ends_with(".yaml") {
            assert!(text.contains("api: v2\n"), "{name}:\n{text}");
        }
    }
    let out = env
        .command(&["plan", "--detailed-exitcode", a.to_str().unwrap()])
        .env("A0_EMAIL_PROVIDER_SMTP_HOST", "smtp.example.com")
        .env("A0_EMAIL_PROVIDER_SMTP_PORT", "587")
        .env("A0_EMAIL_PROVIDER_SMTP_USER", "mailer")
        .env("A0_EMAIL_PROVIDER_SMTP_PASS", SMTP_PASS)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_a_no_change_plan_reads_each_list_in_the_fewest_pages() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut m = big_v2(250, 150, 120, false);
    m.push_str("emails:\n  - template: verify_email\n    subject: Hi\n  - template: mfa_oob_code\n    subject: Code\n");
    write(dir.path(), "big.yaml", &m);
    assert_exit(
        &env.run(&["apply", d, "--yes", "--parallelism", "16"]).await,
        0,
    );
    let before = stats(&env).await["total"].as_u64().unwrap();
    let out = env.run(&["plan", d, "--detailed-exitcode"]).await;
    assert_exit(&out, 0);
    let after = stats(&env).await["total"].as_u64().unwrap();
    // A token; ⌈251/100⌉ client pages (the global client too), ⌈150/100⌉ connection pages,
    // ⌈120/100⌉ rule pages; one GET per declared template.
    assert_eq!(after - before - 1, 3 + 2 + 2 + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_enabled_clients_change_in_batches_of_at_most_fifty() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let tree = |enabled: std::ops::Range<usize>| {
        let mut m = String::from("api: v2\nclients:\n");
        for i in 0..120 {
            m.push_str(&format!("  - name: app-{i}\n"));
        }
        let list: Vec<String> = enabled.map(|i| format!("app-{i}")).collect();
        m.push_str(&format!(
            "connections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [{}]\n",
            list.join(", ")
        ));
        m
    };
    write(dir.path(), "t.yaml", &tree(0..120));
    let before = stats(&env).await;
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
    let after = stats(&env).await;
    let route = "PATCH /api/v2/connections/{id}/clients";
    assert_eq!(count(&after, route) - count(&before, route), 3, "⌈120/50⌉");
    // Sixty disabled: only the sixty changed statuses are sent.
    write(dir.path(), "t.yaml", &tree(60..120));
    let before = stats(&env).await;
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
    let after = stats(&env).await;
    assert_eq!(count(&after, route) - count(&before, route), 2, "⌈60/50⌉");
    let conns = connections(&env).await;
    let db = conns.iter().find(|c| c["name"] == "db").unwrap();
    let id = db["id"].as_str().unwrap();
    let (_, listed) = v2(
        &env,
        Method::GET,
        &format!("/connections/{id}/clients?take=100"),
        None,
    )
    .await;
    assert_eq!(listed["clients"].as_array().unwrap().len(), 60);
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_rule_reorders_never_meet_a_409() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", &big_v2(0, 0, 12, false));
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
    write(dir.path(), "t.yaml", &big_v2(0, 0, 12, true));
    let out = env.run(&["plan", d, "--format", "json"]).await;
    assert_exit(&out, 0);
    let planned = json(&out);
    assert!(
        planned["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["method"] == "PATCH"
                && c["path"].as_str().unwrap().starts_with("/api/v2/rules/")),
        "{planned}"
    );
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
    let s = stats(&env).await;
    assert_eq!(s["by_status"]["409"].as_u64().unwrap_or(0), 0, "{s}");
    let rules = all(&env, "rules").await;
    let order = |n: &str| {
        rules.iter().find(|r| r["name"] == n).unwrap()["order"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(order("rule-0"), 2);
    assert_eq!(order("rule-11"), 1);
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_faults_rate_limits_and_kills_converge_without_duplicates() {
    let env = Env::start_with(Config {
        fail_rate: 0.2,
        rate_limit: Some(50),
        seed: Some(7),
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", &big_v2(60, 20, 20, false));
    let out = env.run(&["apply", d, "--yes", "--parallelism", "8"]).await;
    assert_exit(&out, 0);
    let s = stats(&env).await;
    assert!(s["by_status"]["503"].as_u64().unwrap_or(0) > 0, "{s}");
    env.http
        .put(format!("{}/__emulator/faults", env.handle.base_url))
        .bearer_auth(&env.token)
        .json(&json!({"fail_rate": 0.0, "rate_limit": null}))
        .send()
        .await
        .unwrap();
    let clients = names(&all(&env, "clients").await);
    assert_eq!(clients.len(), 61, "60 clients and the global one");
    assert_no_duplicates(&clients);
    assert_eq!(names(&connections(&env).await).len(), 20);
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);

    // Killed mid-apply (creates, enabled clients and a cycle of rule orders in flight), then
    // run again: converges, nothing twice.
    for kill_after_ms in [60u64, 250] {
        let env = Env::start_with(Config {
            latency: Duration::from_millis(10),
            ..Config::default()
        })
        .await;
        write(dir.path(), "t.yaml", &big_v2(0, 0, 10, false));
        assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
        write(dir.path(), "t.yaml", &big_v2(30, 8, 10, true));
        let mut child = env
            .command(&["apply", d, "--yes", "--parallelism", "4"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let out = env.run(&["apply", d, "--yes"]).await;
        assert_exit(&out, 0);
        let clients = names(&all(&env, "clients").await);
        assert_eq!(clients.len(), 31, "killed after {kill_after_ms} ms");
        assert_no_duplicates(&clients);
        assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_a_saved_plan_applies_exactly_what_it_shows() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("tree");
    let ds = d.to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    write(&d, "t.yaml", &big_v2(2, 1, 2, false));
    assert_exit(&env.run(&["plan", ds, "--out", p]).await, 0);
    // Someone creates one of the plan's rules meanwhile: refused, nothing sent.
    let (status, _) = v2(
        &env,
        Method::POST,
        "/rules",
        Some(json!({"name": "rule-0", "script": SCRIPT, "order": 1})),
    )
    .await;
    assert_eq!(status, 201);
    let before = writes(&stats(&env).await);
    let out = env.run(&["apply", "--plan", p, "--yes"]).await;
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("rule \"rule-0\""), "{}", stderr(&out));
    assert_eq!(writes(&stats(&env).await), before, "nothing was sent");
    let rule = all(&env, "rules").await;
    let id = rule[0]["id"].as_str().unwrap().to_string();
    v2(&env, Method::DELETE, &format!("/rules/{id}"), None).await;
    let out = env.run(&["apply", "--plan", p, "--yes"]).await;
    assert_exit(&out, 0);
    assert_exit(&env.run(&["plan", ds, "--detailed-exitcode"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_gates_refuse_replacements_and_mass_deletes() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", &big_v2(0, 0, 12, false));
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 0);
    // A rule's stage cannot change in place: a replacement, gated.
    let staged = big_v2(0, 0, 12, false).replacen(
        "    enabled: true\n",
        "    enabled: true\n    stage: login_failure\n",
        1,
    );
    write(dir.path(), "t.yaml", &staged);
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("needs --allow-replace"),
        "{}",
        stdout(&out)
    );
    let before = writes(&stats(&env).await);
    assert_exit(&env.run(&["apply", d, "--yes"]).await, 3);
    assert_eq!(writes(&stats(&env).await), before);
    assert_exit(&env.run(&["apply", d, "--yes", "--allow-replace"]).await, 0);
    let rules = all(&env, "rules").await;
    let r0 = rules.iter().find(|r| r["name"] == "rule-0").unwrap();
    assert_eq!(r0["stage"], "login_failure");
    assert_eq!(r0["order"], 1);
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
    // Deleting 10 of 12 rules needs --force.
    write(
        dir.path(),
        "t.yaml",
        &big_v2(0, 0, 2, false).replacen(
            "    enabled: true\n",
            "    enabled: true\n    stage: login_failure\n",
            1,
        ),
    );
    let out = env.run(&["apply", d, "--yes", "--allow-delete"]).await;
    assert_exit(&out, 3);
    assert_eq!(all(&env, "rules").await.len(), 12);
    assert_exit(
        &env.run(&["apply", d, "--yes", "--allow-delete", "--force"])
            .await,
        0,
    );
    assert_eq!(all(&env, "rules").await.len(), 2);
}

const SECRET_TREE: &str = "api: v2
clients:
  - name: Web
    callbacks: [https://web.example.com/cb]
connections:
  - name: google
    strategy: google-oauth2
    options:
      client_id: google-client
      client_secret: ${GOOGLE_SECRET}
    enabled_clients: [Web]
email_provider:
  name: sendgrid
  default_from_address: no-reply@example.com
  credentials:
    api_key: ${SMTP_PASS}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_secrets_appear_in_no_output() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "t.yaml", SECRET_TREE);
    let d = tree.to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    let mut outputs = Vec::new();
    for args in [
        vec!["plan", d],
        vec!["plan", "--format", "json", d],
        vec!["plan", "--format", "markdown", d],
        vec!["plan", "-vv", "--out", p, d],
        vec!["apply", "--yes", "-vv", d],
        vec!["plan", "--rotate-signing-keys", "-vv", d],
        vec!["apply", "--yes", "--rotate-signing-keys", d],
    ] {
        let out = env
            .command(&args)
            .env("GOOGLE_SECRET", GOOGLE_SECRET)
            .env("SMTP_PASS", SMTP_PASS)
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        outputs.push((args.join(" "), format!("{}{}", stdout(&out), stderr(&out))));
    }
    outputs.push(("plan file".into(), std::fs::read_to_string(&pf).unwrap()));
    let conns = connections(&env).await;
    assert_eq!(
        conns[0]["options"]["client_secret"], GOOGLE_SECRET,
        "applied"
    );
    let (_, provider) = v2(&env, Method::GET, "/emails/provider", None).await;
    assert_eq!(provider["name"], "sendgrid");
    assert!(provider.get("credentials").is_none(), "never returned");
    let mut hidden = vec![
        GOOGLE_SECRET.to_string(),
        SMTP_PASS.to_string(),
        env.handle.global_client_secret.clone(),
    ];
    for c in all(&env, "clients").await {
        hidden.push(c["client_secret"].as_str().unwrap().to_string());
    }
    for (what, text) in &outputs {
        for h in &hidden {
            assert!(
                !text.contains(h.as_str()),
                "`{what}` shows a secret:\n{text}"
            );
        }
    }
    // The rotation sent the credentials again (write-only: seen only as a PATCH).
    let s = stats(&env).await;
    assert_eq!(count(&s, "PATCH /api/v2/emails/provider"), 1, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_missing_scopes_are_listed_before_anything_is_sent() {
    let env = Env::start().await;
    let (status, client) = v2(
        &env,
        Method::POST,
        "/clients",
        Some(json!({"name": "deployer", "app_type": "non_interactive"})),
    )
    .await;
    assert_eq!(status, 201);
    let id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();
    let grant = |scopes: Vec<&'static str>| {
        let env = &env;
        let id = id.clone();
        async move {
            let r = env
                .http
                .put(format!(
                    "{}/__emulator/clients/{id}/scopes",
                    env.handle.base_url
                ))
                .bearer_auth(&env.token)
                .json(&json!({"scopes": scopes}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", &big_v2(1, 1, 1, false));
    let as_deployer = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("AUTH0_CLIENT_ID", &id)
            .env("AUTH0_CLIENT_SECRET", &secret);
        cmd
    };
    // Reading needs the read scopes, options included.
    grant(vec!["read:clients", "read:connections", "read:rules"]).await;
    let out = as_deployer(&["plan", d]).output().await.unwrap();
    assert_exit(&out, 1);
    assert!(
        stderr(&out)
            .contains("the token lacks a scope reading the tenant needs: read:connections_options"),
        "{}",
        stderr(&out)
    );
    // Reads only: the plan shows, the apply lists every missing write scope and sends nothing.
    grant(vec![
        "read:clients",
        "read:connections",
        "read:connections_options",
        "read:rules",
    ])
    .await;
    assert_exit(&as_deployer(&["plan", d]).output().await.unwrap(), 0);
    let before = writes(&stats(&env).await);
    let out = as_deployer(&["apply", "--yes", d]).output().await.unwrap();
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(
            "the token lacks scopes this plan needs: create:clients, create:connections, create:rules, delete:connections, update:connections, update:connections_options; nothing was sent"
        ),
        "{err}"
    );
    assert_eq!(writes(&stats(&env).await), before, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_a0ctl_never_changes_or_deletes_its_own_client() {
    let env = Env::start().await;
    let (_, client) = v2(
        &env,
        Method::POST,
        "/clients",
        Some(json!({"name": "deployer", "callbacks": []})),
    )
    .await;
    let id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();
    let all_scopes: Vec<String> = ["clients", "connections", "rules"]
        .iter()
        .flat_map(|k| {
            ["read", "create", "update", "delete"]
                .iter()
                .map(move |v| format!("{v}:{k}"))
        })
        .chain([
            "read:connections_options".to_string(),
            "update:connections_options".to_string(),
        ])
        .collect();
    env.http
        .put(format!(
            "{}/__emulator/clients/{id}/scopes",
            env.handle.base_url
        ))
        .bearer_auth(&env.token)
        .json(&json!({ "scopes": all_scopes }))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let as_deployer = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("AUTH0_CLIENT_ID", &id)
            .env("AUTH0_CLIENT_SECRET", &secret);
        cmd
    };
    // Undeclared, with --allow-delete: left alone.
    write(dir.path(), "t.yaml", "api: v2\nclients:\n  - name: Web\n");
    let out = as_deployer(&["apply", "--yes", "--allow-delete", d])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(!stdout(&out).contains("deployer"), "{}", stdout(&out));
    assert_eq!(names(&all(&env, "clients").await).len(), 3);
    // Declared with a change: refused, located.
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nclients:\n  - name: Web\n  - name: deployer\n    callbacks: [https://evil.example.com]\n",
    );
    let out = as_deployer(&["plan", d]).output().await.unwrap();
    assert_exit(&out, 1);
    assert!(
        stderr(&out)
            .contains("t.yaml:4:5: client `deployer` is the client whose credentials a0ctl uses"),
        "{}",
        stderr(&out)
    );
    // Nor is the global client ever managed.
    let pin = format!(
        "api: v2\nclients:\n  - name: Global\n    client_id: {}\n",
        env.handle.global_client_id
    );
    write(dir.path(), "t.yaml", &pin);
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("the tenant's global client, which a0ctl never manages"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_options_are_sent_whole_and_the_plan_says_what_they_remove() {
    let env = Env::start().await;
    let (status, _) = v2(
        &env,
        Method::POST,
        "/connections",
        Some(json!({"name": "db", "strategy": "auth0", "options": {"a": 1, "legacy": true}})),
    )
    .await;
    assert_eq!(status, 201);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nconnections:\n  - name: db\n    strategy: auth0\n    options: {a: 2}\n",
    );
    let out = env.run(&["plan", "--format", "json", d]).await;
    assert_exit(&out, 0);
    let v = json(&out);
    let call = &v["calls"][0];
    assert_eq!(call["method"], "PATCH");
    assert_eq!(
        call["note"],
        "options are replaced whole: the tenant's `legacy` not in the manifest is removed"
    );
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    let conns = connections(&env).await;
    assert_eq!(conns[0]["options"], json!({"a": 2}));
    // Markdown shows the v2 change with its kind's table.
    let out = env.run(&["plan", "--format", "markdown", d]).await;
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("No changes") || stdout(&out).contains("| connections |"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_markdown_plan_lists_the_provider() {
    let env = Env::start().await;
    let out = env
        .command(&["plan", "--format", "markdown", example_v2()])
        .env("SMTP_PASS", SMTP_PASS)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let md = stdout(&out);
    assert!(
        md.contains("| email providers | 1 | 0 | 0 | 0 | 0 |"),
        "{md}"
    );
    assert!(md.contains("| clients | 3 | 0 | 0 | 0 | 0 |"), "{md}");
    assert!(!md.contains(SMTP_PASS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_of_the_other_api_is_a_located_error_naming_it() {
    let env = Env::start().await;
    let check = |files: Vec<(&'static str, &'static str)>, expected: &'static str| {
        let env = &env;
        async move {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in files {
                write(dir.path(), name, text);
            }
            let d = dir.path().to_str().unwrap();
            let out = env.run(&["validate", d]).await;
            assert_exit(&out, 1);
            let err = stderr(&out).replace(&format!("{d}/"), "");
            assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
        }
    };
    check(
        vec![("t.yaml", "rules:\n  - name: r\n    script: x\n    enabled: true\n")],
        "t.yaml:4:5: `enabled` is a Management API v2 field, and this manifest is written for v1 (v1 names it `status`); write `api: v2` at the top of every file to use v2",
    )
    .await;
    check(
        vec![("t.yaml", "api: v2\nrules:\n  - name: r\n    script: x\n    status: true\n")],
        "t.yaml:5:5: `status` is a Management API v1 field, and this manifest is written for v2 (v2 names it `enabled`)",
    )
    .await;
    check(
        vec![("t.yaml", "api: v2\nemails:\n  - template: verify_email\n    disabled: true\n")],
        "t.yaml:4:5: `disabled` is a Management API v1 field, and this manifest is written for v2 (v2 names it `enabled`, with the opposite meaning)",
    )
    .await;
    check(
        vec![("t.yaml", "clients:\n  - name: Web\n    app_type: spa\n")],
        "t.yaml:3:5: `app_type` is a Management API v2 field, and this manifest is written for v1",
    )
    .await;
    check(
        vec![("t.yaml", "email_provider:\n  name: smtp\n")],
        "t.yaml:1:1: `email_provider` is a Management API v2 field, and this manifest is written for v1",
    )
    .await;
    check(
        vec![("t.yaml", "emails:\n  - template: mfa_oob_code\n")],
        "t.yaml:2:15: email template `mfa_oob_code` exists in Management API v2 only, and this manifest is written for v1",
    )
    .await;
    check(
        vec![
            ("a.yaml", "api: v2\nclients: []\n"),
            ("b.yaml", "rules: []\n"),
        ],
        "b.yaml:1:1: this file is written for v1 (no `api:`) but a.yaml:1:1 is for v2: every file of a tree names the same API",
    )
    .await;
    check(
        vec![
            ("a.yaml", "api: v2\nclients: []\n"),
            ("b.yaml", "rules: []\napi: v1\n"),
        ],
        "b.yaml:2:1: this file is written for v1 but a.yaml:1:1 is for v2",
    )
    .await;
    // And a flag that disagrees with the manifests is refused before any request.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", "api: v2\nclients: []\n");
    let out = env
        .run(&["plan", "--api", "v1", dir.path().to_str().unwrap()])
        .await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("--api v1 (AUTH0_API) but the manifests are written for v2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_v2_example_s_rule_tests_pass() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["test", "examples/tenant-v2"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("16 passed, 0 failed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn diff_compares_v2_trees_and_refuses_to_mix_apis() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env("SMTP_PASS", SMTP_PASS)
            .output()
            .unwrap()
    };
    let out = run(&["diff", "examples/tenant-v2", "examples/tenant-v2"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("No changes"), "{}", stdout(&out));
    // A credential changed between two trees shows as changed, never its value.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("examples/tenant-v2").unwrap().flatten() {
        let to = dir.path().join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            for f in std::fs::read_dir(entry.path()).unwrap().flatten() {
                std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    let provider = dir.path().join("email_provider.yaml");
    let text = std::fs::read_to_string(&provider).unwrap();
    std::fs::write(
        &provider,
        text.replace("smtp_user: mailer", "smtp_user: postman"),
    )
    .unwrap();
    let out = run(&["diff", "examples/tenant-v2", dir.path().to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(
        stdout(&out).contains("email_provider \"default\""),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(SMTP_PASS));
    let out = run(&["diff", "examples/tenant", "examples/tenant-v2"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("the old tree is written for v1 and the new one for v2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn local_mode_serves_v2_too() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("AUTH0_DOMAIN")
            .env("NO_COLOR", "1")
            .env("SMTP_PASS", SMTP_PASS)
            .output()
            .unwrap()
    };
    let out = run(&["apply", "--local", "--yes", example_v2()]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("POST /api/v2/emails/provider"),
        "{}",
        stderr(&out)
    );
    let out = run(&["plan", "--local", "--detailed-exitcode", example_v2()]);
    assert_exit(&out, 0);
    let out = run(&["export", "--local", "--api", "v2", "--out", "exported"]);
    assert_exit(&out, 0);
    assert!(dir.path().join("exported/email_provider.yaml").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_what_the_manifests_do_not_say_keeps_its_state() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let tree = |stage: &str, extra: &str| {
        format!(
            "api: v2\nclients:\n  - name: Web\nconnections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [Web]\nrules:\n  - name: first\n    script: '{SCRIPT}'\n{stage}  - name: second\n    order: 2\n    script: '{SCRIPT}'\n{extra}"
        )
    };
    write(dir.path(), "t.yaml", &tree("", ""));
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    // The global client enabled on the connection by hand stays enabled: a0ctl never manages it.
    let conns = connections(&env).await;
    let id = conns[0]["id"].as_str().unwrap().to_string();
    let (status, _) = v2(
        &env,
        Method::PATCH,
        &format!("/connections/{id}/clients"),
        Some(json!([{"client_id": env.handle.global_client_id, "status": true}])),
    )
    .await;
    assert_eq!(status, 204);
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);

    // A replaced rule without a declared order keeps its place.
    let first = all(&env, "rules").await;
    let order_of =
        |rules: &[Value], n: &str| rules.iter().find(|r| r["name"] == n).unwrap()["order"].clone();
    let before = order_of(&first, "first");
    write(
        dir.path(),
        "t.yaml",
        &tree("    stage: login_failure\n", ""),
    );
    assert_exit(&env.run(&["apply", "--yes", "--allow-replace", d]).await, 0);
    let after = all(&env, "rules").await;
    assert_eq!(order_of(&after, "first"), before);
    assert_eq!(
        after.iter().find(|r| r["name"] == "first").unwrap()["stage"],
        "login_failure"
    );
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);

    // An ignored rule keeps its order: asking for it is an error at plan time, not a 409.
    let (status, _) = v2(
        &env,
        Method::POST,
        "/rules",
        Some(json!({"name": "legacy", "script": SCRIPT, "order": 7})),
    )
    .await;
    assert_eq!(status, 201);
    write(
        dir.path(),
        "t.yaml",
        &tree(
            "    stage: login_failure\n",
            &format!(
                "  - name: mine\n    order: 7\n    script: '{SCRIPT}'\nignore: [rule/legacy]\n"
            ),
        ),
    );
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("rule `mine` wants order 7, which unmanaged rule `legacy` holds"),
        "{}",
        stderr(&out)
    );

    // Another email provider takes its own credentials with it.
    let provider = |name: &str, key: &str| {
        format!(
            "api: v2\nemail_provider:\n  name: {name}\n  default_from_address: a@example.com\n  credentials: {{api_key: {key}}}\n"
        )
    };
    let p = tempfile::tempdir().unwrap();
    let pd = p.path().to_str().unwrap();
    write(p.path(), "p.yaml", &provider("sendgrid", "sg-key"));
    assert_exit(&env.run(&["apply", "--yes", pd]).await, 0);
    write(p.path(), "p.yaml", &provider("mailgun", "mg-key"));
    let out = env.run(&["plan", "--detailed-exitcode", pd]).await;
    assert_exit(&out, 2);
    assert!(stdout(&out).contains("credentials"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("mg-key"));
    assert_exit(&env.run(&["apply", "--yes", pd]).await, 0);
    let (_, now) = v2(&env, Method::GET, "/emails/provider", None).await;
    assert_eq!(now["name"], "mailgun");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_without_api_speaks_v2_the_api_every_tenant_serves() {
    let env = Env::start().await;
    let (status, _) = env
        .call(Method::POST, "/api/clients", Some(json!({"name": "Web"})))
        .await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let yaml_of = |d: &std::path::Path| -> String {
        let mut all = String::new();
        for e in std::fs::read_dir(d).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "yaml") {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap());
            }
        }
        all
    };
    let (v2, v1) = (dir.path().join("v2"), dir.path().join("v1"));
    assert_exit(
        &env.run(&["export", "--out", v2.to_str().unwrap()]).await,
        0,
    );
    let written = yaml_of(&v2);
    assert!(written.contains("api: v2"), "{written}");
    assert!(written.contains("Web"), "{written}");
    let plan = env.run(&["plan", v2.to_str().unwrap()]).await;
    assert_exit(&plan, 0);
    assert!(stdout(&plan).contains("No changes"), "{}", stdout(&plan));
    let out = env
        .run(&["export", "--api", "v1", "--out", v1.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    let written = yaml_of(&v1);
    assert!(!written.contains("api: v2"), "{written}");
    assert!(written.contains("Web"), "{written}");
}

#[test]
fn diff_never_says_the_same_tenant_when_the_new_tree_leaves_resources_out() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "    script: \"function (u, c, cb) { cb(null, u, c); }\"\n";
    write(
        &dir.path().join("old"),
        "t.yaml",
        &format!("api: v2\nrules:\n  - name: r1\n{rule}  - name: r2\n{rule}"),
    );
    write(
        &dir.path().join("new"),
        "t.yaml",
        &format!("api: v2\nrules:\n  - name: r1\n{rule}"),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["diff", "old", "new"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(!text.contains("describe the same tenant"), "{text}");
    assert!(
        text.starts_with(
            "No changes from old to new but deletes: new leaves out what is listed below.\n"
        ),
        "{text}"
    );
    assert!(text.contains("  rule \"r2\""), "{text}");
}
