//! plan and apply end to end: the real binary against an emulator on 127.0.0.1:0.

mod harness;

use harness::{Env, assert_exit, json, outcome, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_examples_then_plan_is_empty() {
    let env = Env::start().await;
    // 13 creates, then the connections enabled for their clients; planned again: no changes.
    let out = env.apply(&["examples/tenant", "--yes"]).await;
    insta::assert_snapshot!("apply_examples", env.outcome(&out));
    let out = env
        .run(&["plan", "examples/tenant", "--detailed-exitcode"])
        .await;
    insta::assert_snapshot!("plan_after_apply_examples", env.outcome(&out));
    // The tenant holds what the manifests say.
    let rules = env.get("/api/rules").await;
    let names: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "add-country",
            "deny-blocked-domains",
            "require-verified-email",
            "add-roles-claim"
        ]
    );
    let conn = env.get("/api/connections/google-oauth2").await;
    assert_eq!(conn["options"]["scope"], json!(["email", "profile"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_edit_is_found_as_exactly_that_field() {
    let env = Env::start().await;
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
    let (status, _) = env
        .call(
            Method::PUT,
            "/api/rules/add-country",
            Some(json!({"status": false})),
        )
        .await;
    assert_eq!(status, 200);
    let out = env
        .run(&[
            "plan",
            "examples/tenant",
            "--detailed-exitcode",
            "--format",
            "json",
        ])
        .await;
    assert_exit(&out, 2);
    let plan = json(&out);
    assert_eq!(plan["format_version"], 1);
    assert_eq!(
        plan["changes"],
        json!([{
            "kind": "rule", "name": "add-country", "action": "update",
            "fields": [{"path": "status", "before": false, "after": true}]
        }])
    );
    assert_eq!(
        plan["summary"],
        json!({"create": 0, "update": 1, "replace": 0, "delete": 0, "unmanaged": 0})
    );
    assert_eq!(
        plan["calls"],
        json!([{"id": 0, "method": "PUT", "path": "/api/rules/add-country", "resource": "rule/add-country"}])
    );
    // An options key added by hand shows as removed, not dropped.
    let conn = env.get("/api/connections/google-oauth2").await;
    let mut options = conn["options"].clone();
    options["hd"] = json!("example.com");
    env.call(
        Method::PUT,
        "/api/connections/google-oauth2",
        Some(json!({"options": options})),
    )
    .await;
    let plan = json(
        &env.run(&["plan", "examples/tenant", "--format", "json"])
            .await,
    );
    let conn_change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "connection")
        .unwrap()
        .clone();
    assert_eq!(
        conn_change["fields"],
        json!([{"path": "options.hd", "before": "example.com", "after": null}])
    );
    // Applying converges again (the apply plans again).
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
}

fn rules_manifest(rules: &[(&str, Option<u32>)]) -> String {
    let mut s = String::from("rules:\n");
    for (name, order) in rules {
        s.push_str(&format!("  - name: {name}\n    script: '{SCRIPT}'\n"));
        if let Some(o) = order {
            s.push_str(&format!("    order: {o}\n"));
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_of_k_rule_orders_takes_k_plus_one_calls_and_never_conflicts() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let k = 6u32;
    let names: Vec<String> = (0..k).map(|i| format!("rule-{i}")).collect();
    let initial: Vec<(&str, Option<u32>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), Some(i as u32 + 1)))
        .collect();
    write(dir.path(), "rules.yaml", &rules_manifest(&initial));
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);

    let rotated: Vec<(&str, Option<u32>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), Some((i as u32 + 1) % k + 1)))
        .collect();
    write(dir.path(), "rules.yaml", &rules_manifest(&rotated));
    let plan = json(&env.run(&["plan", d, "--format", "json"]).await);
    assert_eq!(
        plan["calls"].as_array().unwrap().len(),
        k as usize + 1,
        "{plan:#}"
    );
    let before = env.get("/__emulator/stats").await;
    // Planned again after it (reads only).
    let out = env.apply(&[d, "--yes", "--parallelism", "16"]).await;
    assert_exit(&out, 0);
    let after = env.get("/__emulator/stats").await;
    let puts = after["by_route"]["PUT /api/rules/{name}"]
        .as_u64()
        .unwrap_or(0)
        - before["by_route"]["PUT /api/rules/{name}"]
            .as_u64()
            .unwrap_or(0);
    assert_eq!(puts, k as u64 + 1);
    // A taken order is a 400 `rule_conflict` (v1): counted by its code.
    assert_eq!(
        after["by_error"].get("rule_conflict"),
        None,
        "no conflict was ever answered"
    );
    for (i, n) in names.iter().enumerate() {
        let rule = env.get(&format!("/api/rules/{n}")).await;
        assert_eq!(rule["order"], json!((i as u32 + 1) % k + 1));
    }

    // A swap, a delete that frees an order, a create into it, and a create without an order.
    let mixed = vec![
        (names[0].as_str(), Some(3)),
        (names[1].as_str(), Some(2)),
        (names[2].as_str(), Some(1)),
        ("brand-new", Some(4)),
        ("no-order", None),
    ];
    write(dir.path(), "rules.yaml", &rules_manifest(&mixed));
    let out = env.apply(&[d, "--yes", "--allow-delete"]).await;
    assert_exit(&out, 0);
    let after2 = env.get("/__emulator/stats").await;
    assert_eq!(
        after2["by_error"].get("rule_conflict"),
        None,
        "{}",
        stdout(&out)
    );
    let rules = env.get("/api/rules").await;
    let got: Vec<(String, u64)> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["order"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 5);
    assert_eq!(
        &got[..4],
        &[
            ("rule-2".to_string(), 1),
            ("rule-1".to_string(), 2),
            ("rule-0".to_string(), 3),
            ("brand-new".to_string(), 4),
        ]
    );
    assert_eq!(got[4].0, "no-order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_change_needs_allow_replace() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let manifest = |strategy: &str| {
        format!(
            "clients:\n  - name: Shop\nconnections:\n  - name: social\n    strategy: {strategy}\n    options: {{scope: [email]}}\n    enabled_clients: [Shop]\n"
        )
    };
    write(dir.path(), "tenant.yaml", &manifest("github"));
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    let (status, _) = env
        .call(
            Method::POST,
            "/__emulator/users",
            Some(json!({"connection": "social", "email": "octo@example.com"})),
        )
        .await;
    assert_eq!(status, 200);
    write(dir.path(), "tenant.yaml", &manifest("google-oauth2"));

    // `-/+ connection "social"`, `# forces replacement`, `deletes its 1 user`.
    let out = env.run(&["plan", d]).await;
    insta::assert_snapshot!("plan_of_a_strategy_change", env.outcome(&out));

    let writes = |stats: &Value| -> u64 {
        stats["by_route"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.starts_with("GET") && !k.contains("oauth"))
            .map(|(_, v)| v.as_u64().unwrap())
            .sum()
    };
    let before = env.get("/__emulator/stats").await;
    let out = env.apply_no_replan(&[d, "--yes", "--allow-delete"]).await;
    insta::assert_snapshot!(
        "apply_of_a_strategy_change_without_allow_replace",
        env.outcome(&out)
    );
    let conn = env.get("/api/connections/social").await;
    assert_eq!(conn["strategy"], "github", "nothing changed");
    let after = env.get("/__emulator/stats").await;
    assert_eq!(
        writes(&after),
        writes(&before),
        "no write was sent: {after}"
    );
    assert!(
        after["total"].as_u64() > before["total"].as_u64(),
        "the tenant was read"
    );

    let out = env.apply(&[d, "--yes", "--allow-replace"]).await;
    assert_exit(&out, 0);
    let conn = env.get("/api/connections/social").await;
    assert_eq!(conn["strategy"], "google-oauth2");
    let shop = env
        .get("/api/clients")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Shop")
        .unwrap()["clientID"]
        .clone();
    let view = env
        .get(&format!(
            "/api/connections/social?client={}",
            shop.as_str().unwrap()
        ))
        .await;
    assert_eq!(
        view["status"], true,
        "the recreated connection is enabled again"
    );

    // Without enabled_clients in the manifest, a replacement still restores them.
    write(
        dir.path(),
        "tenant.yaml",
        "clients:\n  - name: Shop\nconnections:\n  - name: social\n    strategy: github\n    options: {scope: [email]}\n",
    );
    let plan = json(
        &env.run(&["plan", d, "--allow-delete", "--format", "json"])
            .await,
    );
    let calls: Vec<&str> = plan["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["method"].as_str().unwrap())
        .collect();
    assert_eq!(calls, ["DELETE", "POST", "PUT"], "{plan:#}");
    assert_exit(&env.apply(&[d, "--yes", "--allow-replace"]).await, 0);
    let view = env
        .get(&format!(
            "/api/connections/social?client={}",
            shop.as_str().unwrap()
        ))
        .await;
    assert_eq!(view["strategy"], "github");
    assert_eq!(view["status"], true, "enabled again for the client it had");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabled_clients_round_trip() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let manifest = |enabled: &str| {
        format!(
            "clients:\n  - name: A\n  - name: B\nconnections:\n  - name: db\n    strategy: auth0\n    enabled_clients: [{enabled}]\n"
        )
    };
    write(dir.path(), "t.yaml", &manifest("A"));
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    let clients = env.get("/api/clients").await;
    let id = |name: &str| {
        clients
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["clientID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let status = |id: String| {
        let env = &env;
        async move { env.get(&format!("/api/connections/db?client={id}")).await["status"].clone() }
    };
    assert_eq!(status(id("A")).await, true);
    assert_eq!(status(id("B")).await, false);

    write(dir.path(), "t.yaml", &manifest("B"));
    let plan = json(&env.run(&["plan", d, "--format", "json"]).await);
    assert_eq!(
        plan["changes"][0]["fields"],
        json!([{"path": "enabled_clients", "before": ["A"], "after": ["B"]}])
    );
    assert_eq!(plan["calls"].as_array().unwrap().len(), 2);
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    assert_eq!(status(id("A")).await, false);
    assert_eq!(status(id("B")).await, true);

    // Enabled by hand for A: found and undone.
    env.call(
        Method::PUT,
        &format!("/api/connections/db?client={}", id("A")),
        Some(json!({"status": true})),
    )
    .await;
    assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 2);
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    assert_eq!(status(id("A")).await, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_change_plan_makes_a_constant_number_of_requests() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut m = String::from("connections:\n");
    for i in 0..100 {
        m.push_str(&format!(
            "  - name: conn-{i}\n    strategy: auth0\n    options: {{n: {i}}}\n"
        ));
    }
    m.push_str("clients:\n");
    for i in 0..150 {
        m.push_str(&format!(
            "  - name: client-{i}\n    callbacks: [https://app{i}.example.com/cb]\n"
        ));
    }
    m.push_str("rules:\n");
    for i in 0..100 {
        m.push_str(&format!(
            "  - name: rule-{i}\n    order: {}\n    script: '{SCRIPT}'\n",
            i + 1
        ));
    }
    write(dir.path(), "big.yaml", &m);
    assert_exit(&env.apply(&[d, "--yes", "--parallelism", "16"]).await, 0);
    let before = env.requests().await;
    let out = env.run(&["plan", d, "--detailed-exitcode"]).await;
    assert_exit(&out, 0);
    let after = env.requests().await;
    // A token and the three lists (email templates are read only when the manifests declare
    // them): 4, whatever the tenant's size.
    assert_eq!(after - before, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_mode_applies_then_converges() {
    let dir = tempfile::tempdir().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tenant");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("AUTH0_DOMAIN")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run(&["apply", "--local", "--yes", examples]);
    assert_exit(&out, 0);
    assert!(dir.path().join(".a0ctl/local.db").exists());
    let out = run(&["plan", "--local", "--detailed-exitcode", examples]);
    insta::assert_snapshot!(outcome(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmanaged_resources_are_listed_not_changes_and_deleted_with_allow_delete() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // `rules: []` manages rules (as none), so the stray rule is unmanaged too.
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Keep\nrules: []\n",
    );
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    env.call(Method::POST, "/api/clients", Some(json!({"name": "Stray"})))
        .await;
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "stray-rule", "script": SCRIPT})),
    )
    .await;

    // Listed as what `--allow-delete` would delete; no changes (exit 0).
    let out = env.run(&["plan", d, "--detailed-exitcode"]).await;
    insta::assert_snapshot!("plan_with_unmanaged", env.outcome(&out));

    let out = env
        .run(&[
            "plan",
            d,
            "--detailed-exitcode",
            "--allow-delete",
            "--format",
            "json",
        ])
        .await;
    assert_exit(&out, 2);
    assert_eq!(json(&out)["summary"]["delete"], 2);
    assert_exit(&env.apply(&[d, "--yes", "--allow-delete"]).await, 0);
    let clients = env.get("/api/clients").await;
    let names: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Global Client", "Keep"],
        "the global client is never touched"
    );
    assert_eq!(env.get("/api/rules").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_without_a_terminal_needs_yes_and_changes_nothing() {
    let env = Env::start().await;
    let out = env
        .command(&["apply", "examples/tenant"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    insta::assert_snapshot!(env.outcome(&out));
    assert_eq!(env.get("/api/rules").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_client_names_in_the_tenant_ask_for_a_pin() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for _ in 0..2 {
        env.call(Method::POST, "/api/clients", Some(json!({"name": "Twin"})))
            .await;
    }
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Twin\n    callbacks: [https://x]\n",
    );
    let out = env.run(&["plan", d]).await;
    insta::assert_snapshot!("plan_of_an_ambiguous_client", env.outcome(&out));
    let id = env.get("/api/clients").await.as_array().unwrap()[1]["clientID"]
        .as_str()
        .unwrap()
        .to_string();
    write(
        dir.path(),
        "t.yaml",
        &format!("clients:\n  - name: Twin\n    client_id: {id}\n    callbacks: [https://x]\n"),
    );
    let out = env.apply(&[d, "--yes"]).await;
    assert_exit(&out, 0);
    let twin: Value = env.get(&format!("/api/clients/{id}")).await;
    assert_eq!(twin["callbacks"], json!(["https://x"]));
}
