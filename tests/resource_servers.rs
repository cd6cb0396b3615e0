//! APIs (resource servers) on v2: declared, applied, planned empty, exported back, with their
//! scopes a set, their signing secret never shown, and the tenant's Management API never
//! managed; the emulator's `/api/v2/resource-servers` with the service's semantics.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SIGNING_SECRET: &str = "orders-signing-secret-4f1c2a9e";

async fn v2(env: &Env, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    env.v2_call(method, path, body).await
}

async fn resource_servers(env: &Env) -> Vec<Value> {
    let (status, v) = v2(env, Method::GET, "/resource-servers?per_page=100", None).await;
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn count(env: &Env, route: &str) -> u64 {
    env.calls_to(route).await
}

const TREE: &str = r#"api: v2
resource_servers:
  - identifier: https://orders.example.com
    name: Orders
    signing_alg: HS256
    signing_secret: ${ORDERS_SIGNING_SECRET}
    token_lifetime: 3600
    allow_offline_access: true
    scopes:
      - {value: write:orders, description: Write orders}
      - {value: read:orders, description: Read orders}
  - identifier: https://billing.example.com
    name: Billing
    signing_alg: RS256
    enforce_policies: true
    token_dialect: access_token_authz
    scopes: []
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_servers_apply_plan_empty_and_export_back_without_their_secret() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "apis.yaml", TREE);
    let t = tree.to_str().unwrap();
    let run = |args: Vec<&str>| {
        let mut cmd = env.command(&args);
        cmd.env("ORDERS_SIGNING_SECRET", SIGNING_SECRET);
        cmd
    };
    let mut outputs = Vec::new();
    let out = run(vec!["plan", t]).output().await.unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("resource_server \"https://orders.example.com\" will be created"),
        "{}",
        stdout(&out)
    );
    outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
    let out = run(vec!["apply", "--yes", "-vv", t])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
    assert_eq!(count(&env, "POST /api/v2/resource-servers").await, 2);

    // The tenant holds them, the secret sent; its Management API is still there.
    let listed = resource_servers(&env).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(listed[0]["is_system"].as_bool().unwrap());
    let orders = listed
        .iter()
        .find(|r| r["identifier"] == "https://orders.example.com")
        .unwrap();
    assert_eq!(orders["signing_secret"], SIGNING_SECRET);
    assert_eq!(orders["token_lifetime"], 3600);

    // Planned again: nothing, though the tenant lists the scopes in another order.
    let id = orders["id"].as_str().unwrap();
    let mut reversed = orders["scopes"].as_array().unwrap().clone();
    reversed.reverse();
    assert_ne!(&reversed, orders["scopes"].as_array().unwrap());
    let (status, _) = v2(
        &env,
        Method::PATCH,
        &format!("/resource-servers/{id}"),
        Some(json!({"scopes": reversed})),
    )
    .await;
    assert_eq!(status, 200);
    for format in ["text", "json", "markdown"] {
        let out = run(vec!["plan", "--detailed-exitcode", "--format", format, t])
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        outputs.push(format!("{}{}", stdout(&out), stderr(&out)));
    }

    // Export writes them back (not the Management API, not the secret) and plans empty.
    let export = dir.path().join("export");
    let out = env
        .run(&["export", "--out", export.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    let written = std::fs::read_to_string(export.join("resource_servers.yaml")).unwrap();
    assert!(
        written.contains("identifier: https://orders.example.com"),
        "{written}"
    );
    assert!(
        !written.contains("/api/v2/"),
        "the Management API is not exported:\n{written}"
    );
    assert!(!written.contains(SIGNING_SECRET), "{written}");
    let out = env
        .run(&["plan", "--detailed-exitcode", export.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    for text in &outputs {
        assert!(!text.contains(SIGNING_SECRET), "a secret is shown:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_scope_is_one_patch_and_the_management_api_is_never_deleted() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "apis.yaml", TREE);
    let t = tree.to_str().unwrap();
    let out = env
        .command(&["apply", "--yes", t])
        .env("ORDERS_SIGNING_SECRET", SIGNING_SECRET)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);

    // A new scope on Orders, and Billing no longer declared: one PATCH with the whole set;
    // Billing is unmanaged until --allow-delete, and then the only delete.
    let edited = TREE
        .replace(
            "      - {value: read:orders, description: Read orders}\n",
            "      - {value: read:orders, description: Read orders}\n      - {value: refund:orders}\n",
        )
        .split("  - identifier: https://billing.example.com")
        .next()
        .unwrap()
        .to_string();
    write(&tree, "apis.yaml", &edited);
    let out = env
        .command(&["plan", t])
        .env("ORDERS_SIGNING_SECRET", SIGNING_SECRET)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    // The scopes are a set: the plan shows the one gained, not both lists.
    assert!(
        text.contains("~ scopes:\n          + {\"value\":\"refund:orders\"}\n"),
        "{text}"
    );
    assert!(!text.contains("read:orders"), "{text}");
    assert!(!text.contains("- resource_server"), "{text}");
    let out = env
        .command(&["apply", "--yes", "--allow-delete", t])
        .env("ORDERS_SIGNING_SECRET", SIGNING_SECRET)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(count(&env, "PATCH /api/v2/resource-servers/{id}").await, 1);
    assert_eq!(count(&env, "DELETE /api/v2/resource-servers/{id}").await, 1);
    let listed = resource_servers(&env).await;
    let identifiers: Vec<&str> = listed
        .iter()
        .map(|r| r["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(identifiers.len(), 2, "{identifiers:?}");
    assert!(listed[0]["is_system"].as_bool().unwrap(), "{identifiers:?}");
    assert_eq!(identifiers[1], "https://orders.example.com");
    let scopes: Vec<&str> = listed[1]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    assert_eq!(scopes.len(), 3, "{scopes:?}");
    let out = env
        .command(&["plan", "--detailed-exitcode", "--allow-delete", t])
        .env("ORDERS_SIGNING_SECRET", SIGNING_SECRET)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}

/// An API's identifier (its audience) cannot change on the service: a manifest that changes it
/// under the same `name` replaces the API, refused without `--allow-replace` before anything is
/// sent, and with it the old one is deleted before the new one is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_identifier_is_a_replacement_under_allow_replace() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "apis.yaml", TREE);
    let t = tree.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("ORDERS_SIGNING_SECRET", SIGNING_SECRET);
        cmd
    };
    assert_exit(&run(&["apply", "--yes", t]).output().await.unwrap(), 0);
    let old_id = resource_servers(&env).await[1]["id"].clone();

    write(
        &tree,
        "apis.yaml",
        &TREE.replace(
            "https://orders.example.com",
            "https://orders.example.com/v2",
        ),
    );
    let out = run(&["plan", t]).output().await.unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(
            "resource_server \"https://orders.example.com/v2\" must be replaced (needs --allow-replace)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "~ identifier = \"https://orders.example.com\" -> \"https://orders.example.com/v2\" # forces replacement"
        ),
        "{text}"
    );
    assert!(!text.contains("will be destroyed"), "{text}");
    assert!(!text.contains(SIGNING_SECRET), "{text}");

    // Refused before anything is sent.
    let out = run(&["apply", "--yes", t]).output().await.unwrap();
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("--allow-replace"), "{}", stderr(&out));
    assert_eq!(count(&env, "DELETE /api/v2/resource-servers/{id}").await, 0);
    assert_eq!(count(&env, "POST /api/v2/resource-servers").await, 2);

    let out = run(&["apply", "--yes", "--allow-replace", "-vv", t])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let log = stderr(&out);
    let (delete, post) = (
        log.find("DELETE /api/v2/resource-servers/").expect(&log),
        log.find("POST /api/v2/resource-servers").expect(&log),
    );
    assert!(delete < post, "{log}");
    assert!(!log.contains(SIGNING_SECRET), "{log}");
    let listed = resource_servers(&env).await;
    let orders: Vec<&Value> = listed.iter().filter(|r| r["name"] == "Orders").collect();
    assert_eq!(orders.len(), 1, "{listed:?}");
    assert_eq!(orders[0]["identifier"], "https://orders.example.com/v2");
    assert_ne!(orders[0]["id"], old_id);
    let out = run(&["plan", "--detailed-exitcode", t])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_serves_resource_servers_as_the_service_does() {
    let env = Env::start().await;
    let body = json!({"identifier": "https://a.example", "scopes": [{"value": "read:a"}]});
    let (status, made) = v2(&env, Method::POST, "/resource-servers", Some(body.clone())).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        made["name"], "https://a.example",
        "the name defaults to the identifier"
    );
    assert!(made["signing_secret"].is_string(), "HS256 gets a secret");
    let (status, _) = v2(&env, Method::POST, "/resource-servers", Some(body)).await;
    assert_eq!(status, 409);
    let (status, by_identifier) = v2(
        &env,
        Method::GET,
        "/resource-servers/https:%2F%2Fa.example",
        None,
    )
    .await;
    assert_eq!(status, 200, "{by_identifier}");
    assert_eq!(by_identifier["id"], made["id"]);
    let id = made["id"].as_str().unwrap();
    for bad in [
        json!({"identifier": "https://b.example"}),
        json!({"scopes": [{"value": ""}]}),
        json!({"scopes": [{"value": "x"}, {"value": "x"}]}),
        json!({"token_lifetime": "long"}),
    ] {
        let (status, v) = v2(
            &env,
            Method::PATCH,
            &format!("/resource-servers/{id}"),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
    let listed = resource_servers(&env).await;
    let system = listed[0]["id"].as_str().unwrap().to_string();
    let (status, _) = v2(
        &env,
        Method::DELETE,
        &format!("/resource-servers/{system}"),
        None,
    )
    .await;
    assert_eq!(status, 400, "the Management API cannot be deleted");
    let (status, _) = v2(
        &env,
        Method::PATCH,
        &format!("/resource-servers/{system}"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 400, "nor changed");
    let (status, filtered) = v2(
        &env,
        Method::GET,
        "/resource-servers?identifiers=https%3A%2F%2Fa.example&include_totals=true",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(filtered["total"], 1, "{filtered}");
    let (status, _) = v2(
        &env,
        Method::DELETE,
        &format!("/resource-servers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = v2(&env, Method::GET, &format!("/resource-servers/{id}"), None).await;
    assert_eq!(status, 404);
}
