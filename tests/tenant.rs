//! The tenant's settings on v2: a singleton that is only ever changed, one PATCH of the keys
//! that differ, flags managed one by one, the keys no manifest declares left alone.

mod harness;

use harness::{Env, assert_exit, stdout, write};
use reqwest::Method;
use serde_json::Value;

async fn settings(env: &Env) -> Value {
    env.v2_call(Method::GET, "/tenants/settings", None).await.1
}

async fn count(env: &Env, route: &str) -> u64 {
    env.calls_to(route).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_settings_change_by_the_keys_declared() {
    let env = Env::start().await;
    let before = settings(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "tenant.yaml",
        "api: v2\ntenant:\n  friendly_name: Acme\n  session_lifetime: 168\n  flags:\n    revoke_refresh_token_grant: true\n",
    );
    let out = env.run(&["plan", "--format", "json", d]).await;
    assert_exit(&out, 0);
    let plan = harness::json(&out);
    let changed: Vec<&str> = plan["changes"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // session_lifetime is already 168: not a change; one flag of three.
    assert_eq!(
        changed,
        ["flags.revoke_refresh_token_grant", "friendly_name"],
        "{plan}"
    );
    let out = env.run(&["apply", "--yes", "--allow-delete", d]).await;
    assert_exit(&out, 0);
    assert_eq!(count(&env, "PATCH /api/v2/tenants/settings").await, 1);
    let after = settings(&env).await;
    assert_eq!(after["friendly_name"], "Acme");
    assert_eq!(after["flags"]["revoke_refresh_token_grant"], true);
    // The flags and keys no manifest declares keep their values.
    assert_eq!(
        after["flags"]["enable_client_connections"],
        before["flags"]["enable_client_connections"]
    );
    assert_eq!(after["enabled_locales"], before["enabled_locales"]);
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // A tree without the section leaves the settings alone, even with --allow-delete.
    write(&t, "tenant.yaml", "api: v2\nclients: []\n");
    let out = env.run(&["plan", "--allow-delete", d]).await;
    assert_exit(&out, 0);
    assert!(!stdout(&out).contains("tenant"), "{}", stdout(&out));
    let out = env
        .run(&["plan", "--allow-delete", "--format", "json", d])
        .await;
    let plan = harness::json(&out);
    assert!(
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] != "tenant"),
        "{plan}"
    );
}
