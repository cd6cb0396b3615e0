//! Client grants on v2: named by client and audience, applied after what they name, removed
//! before it, checked offline, and a0ctl's own client's grants never deleted.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::Value;

async fn v2(env: &Env, method: Method, path: &str) -> (u16, Value) {
    env.v2_call(method, path, None).await
}

async fn grants(env: &Env) -> Vec<Value> {
    let (status, v) = v2(env, Method::GET, "/client-grants?per_page=100").await;
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().clone()
}

fn tree(scopes: &[&str], granted: &[&str], client: &str) -> String {
    let scope_list: Vec<String> = scopes
        .iter()
        .map(|s| format!("{{value: \"{s}\"}}"))
        .collect();
    let granted: Vec<String> = granted.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"api: v2
clients:
  - name: {client}
    app_type: non_interactive
resource_servers:
  - identifier: https://orders.example.com
    name: Orders
    scopes: [{}]
client_grants:
  - client: {client}
    audience: https://orders.example.com
    scope: [{}]
"#,
        scope_list.join(", "),
        granted.join(", ")
    )
}

/// The resources of a JSON plan's calls, in the order they are sent, each with the
/// positions of the calls it waits for.
fn calls(plan: &Value) -> Vec<(String, Vec<u64>)> {
    plan["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let after = c["after"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            (c["resource"].as_str().unwrap().to_string(), after)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_follow_what_they_name_and_plan_empty() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();

    // A client, its API and the grant, in one apply: the grant after both.
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker"),
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    let g = grants(&env).await;
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0]["audience"], "https://orders.example.com");
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // A new scope and the grant that uses it, in one apply: the API's update first.
    write(
        &t,
        "t.yaml",
        &tree(
            &["read:orders", "write:orders"],
            &["read:orders", "write:orders"],
            "Worker",
        ),
    );
    let out = env.run(&["apply", "--yes", "--parallelism", "1", d]).await;
    assert_exit(&out, 0);
    let g = grants(&env).await;
    assert_eq!(
        g[0]["scope"],
        serde_json::json!(["read:orders", "write:orders"])
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // Both removed in one apply: the grant first, so the API may drop the scope.
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker"),
    );
    let out = env.run(&["plan", "--format", "json", d]).await;
    let plan = harness::json(&out);
    let order = calls(&plan);
    let grant = order
        .iter()
        .position(|(r, _)| r.starts_with("client_grant/"))
        .unwrap();
    let (api, after) = order
        .iter()
        .enumerate()
        .find(|(_, (r, _))| r.starts_with("resource_server/"))
        .map(|(i, (_, a))| (i, a.clone()))
        .unwrap();
    assert!(grant < api && after.contains(&(grant as u64)), "{order:?}");
    let out = env.run(&["apply", "--yes", "--parallelism", "1", d]).await;
    assert_exit(&out, 0);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // Export names the grant by client and audience, and plans empty.
    let export = dir.path().join("export");
    let out = env
        .run(&["export", "--out", export.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    let written = std::fs::read_to_string(export.join("client_grants.yaml")).unwrap();
    assert!(written.contains("client: Worker"), "{written}");
    assert!(
        written.contains("audience: https://orders.example.com"),
        "{written}"
    );
    let out = env
        .run(&["plan", "--detailed-exitcode", export.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_client_that_a_grant_names_moves_the_grant() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker"),
    );
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    // A new name is a new client: the grant goes with the manifest's client.
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker2"),
    );
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 0);
    let out = env
        .run(&["plan", "--detailed-exitcode", "--allow-delete", d])
        .await;
    assert_exit(&out, 0);
    let g = grants(&env).await;
    assert_eq!(g.len(), 1, "{g:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a0ctl_s_own_grant_is_never_deleted() {
    let env = Env::start().await;
    // A non-global client that a0ctl runs as, granted the Management API.
    let token = env.v2_token().await;
    let client: Value = env
        .http
        .post(format!("{}/api/v2/clients", env.handle.base_url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "ci-runner", "app_type": "non_interactive"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();
    let audience = format!("{}/api/v2/", env.handle.base_url);
    let resp = env
        .http
        .post(format!("{}/api/v2/client-grants", env.handle.base_url))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "client_id": id, "audience": audience,
            "scope": ["read:clients", "read:client_grants", "delete:client_grants",
                      "read:resource_servers", "read:connections", "read:rules",
                      "read:email_templates", "read:email_provider", "read:connections_options"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    write(&t, "t.yaml", "api: v2\nclient_grants: []\n");
    let out = env
        .command(&["plan", "--allow-delete", t.to_str().unwrap()])
        .env("AUTH0_CLIENT_ID", &id)
        .env("AUTH0_CLIENT_SECRET", &secret)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("No changes"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn grant_references_are_checked_offline() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nclients:\n  - {name: A}\n  - {name: B}\n  - {name: B}\nresource_servers:\n  - {identifier: https://x, scopes: [{value: a}]}\nclient_grants:\n  - {client: Nobody, audience: https://x, scope: []}\n  - {client: A, audience: https://nowhere, scope: []}\n  - {client: A, audience: https://x, scope: []}\n  - {client: A, audience: https://x, scope: [a, b]}\n  - {client: A, audience: https://tenant.example/api/v2/, scope: [read:users]}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["validate", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (line, text) in [
        (
            9,
            "client names `Nobody`, which no manifest declares under clients",
        ),
        (
            10,
            "audience names `https://nowhere`, which no manifest declares under resource_servers",
        ),
        (12, "duplicate client grant `A -> https://x`"),
        (
            12,
            "scope `b` is not one of the scopes that resource server `https://x` declares",
        ),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("t.yaml:{line}:")) && l.contains(text)),
            "line {line}: {text}\n{err}"
        );
    }
    assert!(
        !err.contains("t.yaml:13:"),
        "the Management API's audience is allowed:\n{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_api_that_grants_still_name_is_refused_naming_them() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker"),
    );
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    // The grants are no longer managed and the API is gone from the manifests: deleting it
    // would take the grant with it, unseen.
    write(
        &t,
        "t.yaml",
        "api: v2\nclients:\n  - {name: Worker, app_type: non_interactive}\nresource_servers: []\n",
    );
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("client_grant/Worker -> https://orders.example.com (names resource_server/https://orders.example.com)"),
        "{err}"
    );
    assert_eq!(grants(&env).await.len(), 1, "nothing was sent");
    // With the grants managed too, the plan deletes both, the grant first.
    write(
        &t,
        "t.yaml",
        "api: v2\nclients:\n  - {name: Worker, app_type: non_interactive}\nresource_servers: []\nclient_grants: []\n",
    );
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 0);
    assert!(grants(&env).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_naming_a_client_whose_name_the_tenant_shares_is_refused_before_anything_is_sent() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "Worker"),
    );
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    // Another client of the same name appears in the tenant.
    let token = env.v2_token().await;
    let resp = env
        .http
        .post(format!("{}/api/v2/clients", env.handle.base_url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Worker"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("client_grant/Worker -> https://orders.example.com: its client `Worker` is the name of 2 clients of the tenant"),
        "{err}"
    );
    assert!(err.contains("t.yaml:"), "located: {err}");
    assert_eq!(grants(&env).await.len(), 1, "nothing was deleted");
}

#[test]
fn ignored_grants_and_settings_misspelt_audiences_repeated_scopes_and_odd_flags_are_located() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nclients:\n  - {name: A}\nresource_servers:\n  - {identifier: https://x, scopes: [{value: a}, {value: a}]}\nclient_grants:\n  - {client: A, audience: https://x, scope: [a]}\n  - {client: A, audience: https://tenant.example/api/v2, scope: []}\ntenant:\n  flags: {revoke_refresh_token_grant: \"yes\"}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "validate",
            "--ignore",
            "client_grant/A -> https://x",
            "--ignore",
            "tenant",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for (line, text) in [
        (5, "scope `a` is listed twice"),
        (
            7,
            "client grant `A -> https://x` is declared here but ignored by",
        ),
        (
            8,
            "audience names `https://tenant.example/api/v2`, which no manifest declares",
        ),
        (10, "flags.revoke_refresh_token_grant"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("t.yaml:{line}:")) && l.contains(text)),
            "line {line}: {text}\n{err}"
        );
    }
    assert!(
        err.contains("tenant `settings` is declared here but ignored by `tenant`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_named_with_an_arrow_keeps_its_grant_apart_from_its_audience() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders"], &["read:orders"], "\"a -> b\""),
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    let g = grants(&env).await;
    assert_eq!(g[0]["audience"], "https://orders.example.com", "{g:?}");
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);
    let export = dir.path().join("export");
    assert_exit(
        &env.run(&["export", "--out", export.to_str().unwrap()])
            .await,
        0,
    );
    let written = std::fs::read_to_string(export.join("client_grants.yaml")).unwrap();
    assert!(
        written.contains("audience: https://orders.example.com"),
        "{written}"
    );
    assert_exit(
        &env.run(&["plan", "--detailed-exitcode", export.to_str().unwrap()])
            .await,
        0,
    );
}

/// Two clients of one name: each grant names its client by pin (`{client_id: …}`), as the
/// clients pin theirs; applied, planned empty, exported by pin and planned empty again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_names_a_client_whose_name_is_shared_by_its_pin() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "t.yaml",
        &tree(&["read:orders", "write:orders"], &["read:orders"], "Worker"),
    );
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    let first = grants(&env).await[0]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = env.v2_token().await;
    let resp = env
        .http
        .post(format!("{}/api/v2/clients", env.handle.base_url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "Worker", "app_type": "non_interactive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let second: Value = resp.json().await.unwrap();
    let second = second["client_id"].as_str().unwrap().to_string();

    let pinned = format!(
        r#"api: v2
clients:
  - {{name: Worker, client_id: {first}, app_type: non_interactive}}
  - {{name: Worker, client_id: {second}, app_type: non_interactive}}
resource_servers:
  - identifier: https://orders.example.com
    name: Orders
    scopes: [{{value: "read:orders"}}, {{value: "write:orders"}}]
client_grants:
  - client: {{client_id: {first}}}
    audience: https://orders.example.com
    scope: [read:orders]
  - client: {{client_id: {second}}}
    audience: https://orders.example.com
    scope: [write:orders]
"#
    );
    write(&t, "t.yaml", &pinned);
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "client_grant \"client_id {second} -> https://orders.example.com\" will be created"
        )),
        "{text}"
    );
    assert!(text.contains("1 to create, 0 to update"), "{text}");
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    let g = grants(&env).await;
    let of = |id: &str| -> Vec<Value> {
        g.iter()
            .filter(|x| x["client_id"] == id)
            .map(|x| x["scope"].clone())
            .collect()
    };
    assert_eq!(
        of(&first),
        vec![serde_json::json!(["read:orders"])],
        "{g:?}"
    );
    assert_eq!(
        of(&second),
        vec![serde_json::json!(["write:orders"])],
        "{g:?}"
    );
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);

    // Export pins both, and its tree plans empty.
    let export = dir.path().join("export");
    assert_exit(
        &env.run(&["export", "--out", export.to_str().unwrap()])
            .await,
        0,
    );
    let written = std::fs::read_to_string(export.join("client_grants.yaml")).unwrap();
    assert!(
        written.contains(&format!("client_id: {second}")),
        "{written}"
    );
    assert_exit(
        &env.run(&["plan", "--detailed-exitcode", export.to_str().unwrap()])
            .await,
        0,
    );

    // By name, the grant is ambiguous again: the error says how to pin it.
    let by_name = pinned
        .replace(&format!("client: {{client_id: {first}}}"), "client: Worker")
        .replace(
            &format!("  - {{name: Worker, client_id: {second}, app_type: non_interactive}}\n"),
            "",
        );
    let by_name = by_name
        .split("  - client: {client_id")
        .next()
        .unwrap()
        .to_string();
    write(&t, "t.yaml", &by_name);
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("`{client_id: <clientID>}` here"),
        "{}",
        stderr(&out)
    );
}

/// An API whose identifier changes is replaced; the grants that named the old one are deleted
/// before it (refused without `--allow-delete`, naming them), and those naming the new one are
/// created after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_an_api_moves_its_grants_with_it() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    let before = tree(&["read:orders"], &["read:orders"], "Worker");
    write(&t, "t.yaml", &before);
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    write(
        &t,
        "t.yaml",
        &before.replace(
            "https://orders.example.com",
            "https://orders.example.com/v2",
        ),
    );
    let out = env.run(&["apply", "--yes", "--allow-replace", d]).await;
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("client_grant/Worker -> https://orders.example.com (names resource_server/"),
        "{err}"
    );
    assert_eq!(
        grants(&env).await[0]["audience"],
        "https://orders.example.com"
    );

    let out = env
        .run(&["plan", "--allow-delete", "--format", "json", d])
        .await;
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let calls = calls(&plan);
    let at = |resource: &str, method: &str| {
        plan["calls"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["resource"] == resource && c["method"] == method)
            .unwrap_or_else(|| panic!("{resource} {method}: {calls:?}"))
    };
    let old_grant = at(
        "client_grant/Worker -> https://orders.example.com",
        "DELETE",
    );
    let old_api = at("resource_server/https://orders.example.com", "DELETE");
    let new_api = at("resource_server/https://orders.example.com/v2", "POST");
    let new_grant = at(
        "client_grant/Worker -> https://orders.example.com/v2",
        "POST",
    );
    assert!(calls[old_api].1.contains(&(old_grant as u64)), "{calls:?}");
    assert!(calls[new_api].1.contains(&(old_api as u64)), "{calls:?}");
    assert!(calls[new_grant].1.contains(&(new_api as u64)), "{calls:?}");

    let out = env
        .run(&["apply", "--yes", "--allow-replace", "--allow-delete", d])
        .await;
    assert_exit(&out, 0);
    let g = grants(&env).await;
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0]["audience"], "https://orders.example.com/v2");
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);
}
