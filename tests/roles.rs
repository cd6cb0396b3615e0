//! Roles on v2: their permissions a set changed by the difference only, after the APIs that
//! define their scopes, checked offline, exported back.

mod harness;

use harness::{Env, assert_exit, write};
use reqwest::Method;
use serde_json::Value;

async fn v2(env: &Env, path: &str) -> Value {
    env.v2_call(Method::GET, path, None).await.1
}

async fn count(env: &Env, route: &str) -> u64 {
    env.calls_to(route).await
}

fn tree(scopes: &[&str], granted: &[&str]) -> String {
    let scopes: Vec<String> = scopes
        .iter()
        .map(|s| format!("{{value: \"{s}\"}}"))
        .collect();
    let perms: Vec<String> = granted
        .iter()
        .map(|s| format!("{{resource_server: https://orders.example.com, scope: \"{s}\"}}"))
        .collect();
    format!(
        "api: v2\nresource_servers:\n  - identifier: https://orders.example.com\n    scopes: [{}]\nroles:\n  - name: Clerk\n    description: Takes orders\n    permissions: [{}]\n",
        scopes.join(", "),
        perms.join(", ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_permissions_change_by_the_difference_after_their_api() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "t.yaml", &tree(&["read", "write"], &["write", "read"]));
    assert_exit(&env.run(&["apply", "--yes", d]).await, 0);
    let roles = v2(&env, "/roles").await;
    let id = roles[0]["id"].as_str().unwrap().to_string();
    assert_eq!(roles[0]["description"], "Takes orders");
    let perms = v2(&env, &format!("/roles/{id}/permissions")).await;
    assert_eq!(perms.as_array().unwrap().len(), 2, "{perms}");
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);

    // A new scope and a permission on it, one removed: the API first, then one POST of the
    // one added and one DELETE of the one removed.
    write(
        &t,
        "t.yaml",
        &tree(&["read", "write", "refund"], &["read", "refund"]),
    );
    let out = env.run(&["apply", "--yes", "--parallelism", "1", d]).await;
    assert_exit(&out, 0);
    assert_eq!(count(&env, "POST /api/v2/roles/{id}/permissions").await, 2);
    assert_eq!(
        count(&env, "DELETE /api/v2/roles/{id}/permissions").await,
        1
    );
    let perms = v2(&env, &format!("/roles/{id}/permissions")).await;
    let names: Vec<&str> = perms
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["permission_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["read", "refund"]);
    assert_exit(&env.run(&["plan", "--detailed-exitcode", d]).await, 0);

    // Export writes the permissions by identifier and scope, and plans empty.
    let export = dir.path().join("export");
    assert_exit(
        &env.run(&["export", "--out", export.to_str().unwrap()])
            .await,
        0,
    );
    let written = std::fs::read_to_string(export.join("roles.yaml")).unwrap();
    assert!(
        written.contains("resource_server: https://orders.example.com"),
        "{written}"
    );
    assert_exit(
        &env.run(&["plan", "--detailed-exitcode", export.to_str().unwrap()])
            .await,
        0,
    );
}

#[test]
fn a_permission_on_an_undeclared_api_or_scope_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nresource_servers:\n  - {identifier: https://x, scopes: [{value: read}]}\nroles:\n  - name: A\n    permissions:\n      - {resource_server: https://nowhere, scope: read}\n      - {resource_server: https://x, scope: write}\n      - {resource_server: https://x, scope: read}\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["validate", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("t.yaml:7:27: resource_server names `https://nowhere`, which no manifest declares under resource_servers"),
        "{err}"
    );
    assert!(
        err.contains("t.yaml:8:45: scope `write` is not one of the scopes that resource server `https://x` declares"),
        "{err}"
    );
    assert!(err.contains("2 problems"), "{err}");
}
