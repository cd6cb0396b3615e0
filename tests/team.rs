//! Team-scale use: partial management (kinds without a section, `ignore:`, `--target`) and the
//! split of `--allow-replace` from `--allow-delete`.

mod harness;

use harness::{Env, assert_exit, json, outcome, stderr, stdout, write};
use reqwest::Method;
use serde_json::json;

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rules_only_tree_never_touches_connections_or_clients() {
    let env = Env::start().await;
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "rules.yaml",
        &format!("rules:\n  - name: only-rule\n    order: 9\n    script: '{SCRIPT}'\n"),
    );
    let out = env.run(&["plan", d, "--allow-delete"]).await;
    // Rules only: the other rules (`rule "add-country"`, …) are deletes.
    insta::assert_snapshot!("plan_of_a_rules_only_tree", env.outcome(&out));
    let text = stdout(&out);
    assert!(!text.contains("connection \""), "{text}");
    assert!(!text.contains("client \""), "{text}");
    assert!(!text.contains("email \""), "{text}");
    let before_connections = env.get("/api/connections").await;
    let before_clients = env.get("/api/clients").await;
    let out = env.apply(&[d, "--yes", "--allow-delete", "--force"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.get("/api/connections").await, before_connections);
    assert_eq!(env.get("/api/clients").await, before_clients);
    let rules = env.get("/api/rules").await;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_client_is_neither_changed_nor_listed() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "ignore: ['client/Legacy *']\nclients:\n  - name: Shop\nconnections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [Shop]\n",
    );
    let (_, legacy) = env
        .call(
            Method::POST,
            "/api/clients",
            Some(json!({"name": "Legacy Portal", "callbacks": ["https://old"]})),
        )
        .await;
    assert_exit(&env.apply(&[d, "--yes", "--allow-delete"]).await, 0);
    // Enable the ignored client on the managed connection by hand, and edit it.
    let id = legacy["clientID"].as_str().unwrap();
    env.call(
        Method::PUT,
        &format!("/api/connections/db?client={id}"),
        Some(json!({"status": true})),
    )
    .await;
    env.call(
        Method::PATCH,
        &format!("/api/clients/{id}"),
        Some(json!({"callbacks": ["https://edited"]})),
    )
    .await;
    let out = env
        .run(&["plan", d, "--allow-delete", "--detailed-exitcode"])
        .await;
    insta::assert_snapshot!("plan_with_an_ignored_client", env.outcome(&out));
    assert!(!stdout(&out).contains("Legacy"), "{}", stdout(&out));
    assert_exit(&env.apply(&[d, "--yes", "--allow-delete"]).await, 0);
    let view = env.get(&format!("/api/connections/db?client={id}")).await;
    assert_eq!(view["status"], true, "not disabled");
    let client = env.get(&format!("/api/clients/{id}")).await;
    assert_eq!(client["callbacks"], json!(["https://edited"]));

    // Declaring what is ignored is a located error; so is a pattern that names no kind.
    write(
        dir.path(),
        "t.yaml",
        "ignore: ['client/Legacy *', 'clients/x']\nclients:\n  - name: Legacy Portal\n",
    );
    let out = env.run(&["validate", d]).await;
    // `t.yaml:3:11: client `Legacy Portal` is declared here but ignored by `client/Legacy *``,
    // and `ignore[1]` located at `t.yaml:1:`.
    insta::assert_snapshot!("validate_an_ignored_declaration", env.outcome(&out));
    // --ignore adds a pattern for one run.
    write(dir.path(), "t.yaml", "clients:\n  - name: Shop\n");
    let out = env
        .run(&["plan", d, "--allow-delete", "--ignore", "client/Legacy*"])
        .await;
    insta::assert_snapshot!("plan_with_ignore_flag", env.outcome(&out));
    assert!(!stdout(&out).contains("Legacy"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_plans_only_it_and_what_it_needs() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "clients:\n  - name: New App\nconnections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [New App]\nrules:\n  - name: x\n    order: 1\n    script: '{SCRIPT}'\n  - name: y\n    order: 2\n    script: '{SCRIPT}'\n"
        ),
    );
    let out = env
        .run(&["plan", d, "--target", "rule/x", "--format", "json"])
        .await;
    assert_exit(&out, 0);
    let v = json(&out);
    let names: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x"], "{v}");
    assert_eq!(v["targets"], json!(["rule/x"]));
    let out = env.run(&["plan", d, "--target", "connection/db"]).await;
    // `Partial plan: only connection/db and what it needs` first; `client "New App"`
    // (`included: connection/db is enabled for it`); no rule.
    insta::assert_snapshot!("plan_of_a_target", env.outcome(&out));
    assert!(!stdout(&out).contains("rule \""), "{}", stdout(&out));
    // Applied: only those (and planned again with the same target: no changes).
    assert_exit(
        &env.apply(&[d, "--yes", "--target", "connection/db"]).await,
        0,
    );
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 0);
    assert_eq!(
        env.get("/api/connections").await.as_array().unwrap().len(),
        1
    );

    // A reorder moves together: targeting one rule of a swap includes the other.
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    let swapped = std::fs::read_to_string(dir.path().join("t.yaml"))
        .unwrap()
        .replace("order: 1", "order: 9")
        .replace("order: 2", "order: 1")
        .replace("order: 9", "order: 2");
    write(dir.path(), "t.yaml", &swapped);
    let out = env.apply(&[d, "--yes", "--target", "rule/x"]).await;
    // `included: rule orders move together with rule/x`.
    insta::assert_snapshot!("apply_of_a_target_in_a_swap", env.outcome(&out));
    // The whole tree, too, has no changes left.
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_tell_a_reviewer_and_on_call_what_they_need() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://shop/cb]\n    signingKey: {cert: '${SHOP_CERT}'}\n",
    );
    let run = |args: Vec<&str>| {
        let mut cmd = env.command(&args);
        cmd.env("SHOP_CERT", "-----BEGIN CERTIFICATE-----abc");
        cmd
    };
    let cert = |c: &mut tokio::process::Command| {
        c.env("SHOP_CERT", "-----BEGIN CERTIFICATE-----abc");
    };
    let out = env.apply_with(&[d, "--yes"], cert).await;
    assert_exit(&out, 0);
    // signingKey cannot be compared: the plan says so whenever a manifest declares one (`Note:
    // signingKey is write-only …`).
    let out = run(vec!["plan", d]).output().await.unwrap();
    insta::assert_snapshot!("plan_of_a_signing_key", env.outcome(&out));

    // Drift, read the right way round.
    let id = env
        .get("/api/clients")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Shop")
        .unwrap()["clientID"]
        .as_str()
        .unwrap()
        .to_string();
    env.call(
        Method::PATCH,
        &format!("/api/clients/{id}"),
        Some(json!({"callbacks": ["https://hand-edited"]})),
    )
    .await;
    let out = run(vec!["plan", d, "--drift"]).output().await.unwrap();
    // `Drift: `, and `callbacks: tenant has ["https://hand-edited"], manifests say
    // ["https://shop/cb"]`.
    insta::assert_snapshot!("drift", env.outcome(&out));
    let out = run(vec!["plan", d, "--drift", "--format", "json"])
        .output()
        .await
        .unwrap();
    let v = json(&out);
    assert_eq!(
        v["changes"][0]["fields"][0]["before"],
        json!(["https://hand-edited"])
    );

    // A rename without a pin: a create and a leftover with the same callbacks.
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop 2\n    callbacks: [https://hand-edited]\n",
    );
    let out = run(vec!["plan", d]).output().await.unwrap();
    // `looks like a rename of client "Shop" ({id}): pin `client_id: {id}` to rename it and keep
    // its credentials`.
    insta::assert_snapshot!(
        "plan_of_a_rename",
        env.filters().with(&id, "[SHOP_ID]").outcome(&out)
    );

    // Credentials of a non-global client: the plan says writes will be refused.
    let (_, other) = env
        .call(
            Method::POST,
            "/api/clients",
            Some(json!({"name": "Reader"})),
        )
        .await;
    let out = env
        .command(&["plan", d])
        .env("AUTH0_CLIENT_ID", other["clientID"].as_str().unwrap())
        .env(
            "AUTH0_CLIENT_SECRET",
            other["clientSecret"].as_str().unwrap(),
        )
        .output()
        .await
        .unwrap();
    // `not the tenant's global client's: the tenant will refuse this plan's writes
    // (insufficient_scope)`.
    insta::assert_snapshot!(
        "plan_with_a_non_global_client",
        env.filters().with(&id, "[SHOP_ID]").outcome(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yaml_traps_get_hints() {
    let dir = tempfile::tempdir().unwrap();
    let validate = |name: &str, text: &str| {
        write(dir.path(), name, text);
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(["validate", dir.path().join(name).to_str().unwrap()])
            .env("NO_COLOR", "1")
            .env("HOST", "x")
            .output()
            .unwrap()
    };
    let out = validate(
        "a.yaml",
        "clients:\n  - name: A\n    callbacks: [https://${HOST}/cb]\n",
    );
    // `quote URLs and `${…}`: ["https://${HOST}/cb"]`.
    insta::assert_snapshot!("unquoted_url", outcome(&out));
    let out = validate("b.yaml", "rules:\n  - name: r\n    script: rules/r2.js\n");
    // `b.yaml:3:13: rule `r`: script `rules/r2.js` is a file path, not a rule (as JavaScript it
    // only divides two names): did you mean `{file: rules/r2.js}`?`.
    insta::assert_snapshot!("script_path", outcome(&out));
    let out = validate(
        "c.yaml",
        "connections:\n  - name: c\n    strategy: auth0\n    options: {requires_username: yes, quoted: 'no'}\n",
    );
    // A `warning: `: `c.yaml:4:34: `yes` is the string "yes" here (YAML 1.2 reads yes/no/on/off
    // as strings)`.
    insta::assert_snapshot!("yes_as_a_string", outcome(&out));
    let err = stderr(&out);
    assert!(!err.contains("`no`"), "a quoted word is meant: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_force_removes_only_the_stale_files_it_wrote() {
    let env = Env::start().await;
    for name in ["a", "b"] {
        env.call(
            Method::POST,
            "/api/rules",
            Some(json!({"name": name, "script": SCRIPT})),
        )
        .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    let xs = x.to_str().unwrap();
    assert_exit(&env.run(&["export", "--api", "v1", "--out", xs]).await, 0);
    std::fs::write(x.join("notes.md"), "mine").unwrap();
    assert!(x.join("rules/b.js").exists());
    env.call(Method::DELETE, "/api/rules/b", None).await;
    let out = env
        .run(&["export", "--api", "v1", "--out", xs, "--force"])
        .await;
    // It says what it `removed`.
    insta::assert_snapshot!("export_force", env.outcome(&out));
    assert!(!x.join("rules/b.js").exists(), "stale script removed");
    assert!(x.join("rules/a.js").exists());
    assert_eq!(std::fs::read_to_string(x.join("notes.md")).unwrap(), "mine");
    // Every client is pinned, so a rename keeps it.
    let (_, c) = env
        .call(
            Method::POST,
            "/api/clients",
            Some(json!({"name": "Pinned"})),
        )
        .await;
    assert_exit(
        &env.run(&["export", "--api", "v1", "--out", xs, "--force"])
            .await,
        0,
    );
    let clients = std::fs::read_to_string(x.join("clients.yaml")).unwrap();
    assert!(
        clients.contains(&format!("client_id: {}", c["clientID"].as_str().unwrap())),
        "{clients}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_keeps_enabled_clients_of_clients_that_share_a_name() {
    let env = Env::start().await;
    let mut ids = Vec::new();
    for cb in ["https://one", "https://two"] {
        let (_, c) = env
            .call(
                Method::POST,
                "/api/clients",
                Some(json!({"name": "App", "callbacks": [cb]})),
            )
            .await;
        ids.push(c["clientID"].as_str().unwrap().to_string());
    }
    env.call(
        Method::POST,
        "/api/connections",
        Some(json!({"name": "db", "strategy": "auth0"})),
    )
    .await;
    env.call(
        Method::PUT,
        &format!("/api/connections/db?client={}", ids[0]),
        Some(json!({"status": true})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    let xs = x.to_str().unwrap();
    let out = env.run(&["export", "--api", "v1", "--out", xs]).await;
    insta::assert_snapshot!("export_of_shared_names", env.outcome(&out));
    assert!(!stderr(&out).contains("left out"), "{}", stderr(&out));
    let connections = std::fs::read_to_string(x.join("connections.yaml")).unwrap();
    assert!(
        connections.contains(&format!("client_id: {}", ids[0])),
        "{connections}"
    );
    assert_exit(&env.run(&["plan", xs, "--detailed-exitcode"]).await, 0);
    // Moving it to the other App is one disable and one enable.
    std::fs::write(
        x.join("connections.yaml"),
        connections.replace(&ids[0], &ids[1]),
    )
    .unwrap();
    let out = env.apply(&[xs, "--yes"]).await;
    assert_exit(&out, 0);
    let view = env
        .get(&format!("/api/connections/db?client={}", ids[1]))
        .await;
    assert_eq!(view["status"], true);
    let view = env
        .get(&format!("/api/connections/db?client={}", ids[0]))
        .await;
    assert_eq!(view["status"], false);
    // Naming a shared name is ambiguous: a located error.
    std::fs::write(
        x.join("connections.yaml"),
        "connections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [App]\n",
    )
    .unwrap();
    let out = env.run(&["validate", xs]).await;
    // `which several clients share: write `{client_id: …}``.
    insta::assert_snapshot!("validate_a_shared_name", env.outcome(&out));
}
