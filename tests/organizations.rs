//! Organizations on v2: applied, planned empty, exported back and planned empty again; the
//! connections each enables a set changed by only the difference, named by name whether or not
//! the manifests declare the connections; read by checkpoint pages past the offset pages'
//! 1,000.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const ORGS: &str = r##"api: v2
organizations:
  - name: acme
    display_name: Acme Corp
    branding:
      logo_url: https://acme.example.com/logo.png
      colors: {primary: "#0059d6", page_background: "#ffffff"}
    metadata: {tier: gold, region: eu}
    connections:
      - {connection: Users, assign_membership_on_login: true}
      - connection: Partners
  - name: globex
    connections:
      - {connection: Partners, is_signup_enabled: true}
"##;

const CONNECTIONS: &str = "api: v2\nconnections:\n  - {name: Users, strategy: auth0}\n  - {name: Partners, strategy: auth0}\n";

/// `a0ctl ARGS` with `ORG_CONN` set in its environment (a secret, by a0ctl's rules).
async fn hidden(env: &Env, args: &[&str]) -> std::process::Output {
    env.command(args)
        .env("ORG_CONN", "Hidden-Conn")
        .output()
        .await
        .unwrap()
}

async fn v2(env: &Env, path: &str) -> Value {
    let (status, v) = env.v2_call(Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

/// The organization named `name`, and the names and flags of the connections it enables.
async fn enabled(env: &Env, name: &str) -> (Value, Vec<(String, bool, bool, bool)>) {
    let org = v2(env, &format!("/organizations/name/{name}")).await;
    let id = org["id"].as_str().unwrap();
    let list = v2(env, &format!("/organizations/{id}/enabled_connections")).await;
    let mut out: Vec<(String, bool, bool, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["connection"]["name"].as_str().unwrap().to_string(),
                e["assign_membership_on_login"].as_bool().unwrap(),
                e["show_as_button"].as_bool().unwrap(),
                e["is_signup_enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort();
    (org, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_apply_plan_empty_and_export_back_with_their_connections_by_name() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    // The connections this plan creates, and the organizations that enable them.
    write(&t, "connections.yaml", CONNECTIONS);
    write(&t, "orgs.yaml", ORGS);
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(
        env.calls_to("POST /api/v2/organizations/{id}/enabled_connections")
            .await,
        3
    );
    let (acme, conns) = enabled(&env, "acme").await;
    assert_eq!(acme["display_name"], "Acme Corp");
    assert_eq!(acme["metadata"], json!({"tier": "gold", "region": "eu"}));
    assert_eq!(acme["branding"]["colors"]["primary"], "#0059d6");
    assert_eq!(
        conns,
        [
            ("Partners".into(), false, true, false),
            ("Users".into(), true, true, false)
        ]
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // Without the connections' section, the tenant's are named by name: only the difference
    // is sent (one flag changed, one connection added, one removed), and the connections stay.
    std::fs::remove_file(t.join("connections.yaml")).unwrap();
    write(
        &t,
        "orgs.yaml",
        &ORGS
            .replace(
                "      - connection: Partners\n  - name: globex",
                "  - name: globex",
            )
            .replace(
                "{connection: Partners, is_signup_enabled: true}",
                "{connection: Partners, is_signup_enabled: false}\n      - {connection: Users, show_as_button: false}",
            ),
    );
    let before = |route: &'static str| {
        let env = &env;
        async move { env.calls_to(route).await }
    };
    let posts = before("POST /api/v2/organizations/{id}/enabled_connections").await;
    let patches = before("PATCH /api/v2/organizations/{id}/enabled_connections/{connection}").await;
    let deletes =
        before("DELETE /api/v2/organizations/{id}/enabled_connections/{connection}").await;
    let org_patches = before("PATCH /api/v2/organizations/{id}").await;
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(
        before("POST /api/v2/organizations/{id}/enabled_connections").await - posts,
        1
    );
    assert_eq!(
        before("PATCH /api/v2/organizations/{id}/enabled_connections/{connection}").await - patches,
        1
    );
    assert_eq!(
        before("DELETE /api/v2/organizations/{id}/enabled_connections/{connection}").await
            - deletes,
        1
    );
    // Nothing else of either organization changed: no PATCH of the organizations.
    assert_eq!(
        before("PATCH /api/v2/organizations/{id}").await,
        org_patches
    );
    assert_eq!(
        enabled(&env, "acme").await.1,
        [("Users".into(), true, true, false)]
    );
    assert_eq!(
        enabled(&env, "globex").await.1,
        [
            ("Partners".into(), false, true, false),
            ("Users".into(), false, false, false)
        ]
    );
    assert_eq!(
        v2(&env, "/connections?name=Partners")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // Exported back, the tree plans empty.
    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(e.join("organizations.yaml")).unwrap();
    assert!(exported.contains("- connection: Users"), "{exported}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);

    // A connection neither the manifests nor the tenant have is an error naming the file and
    // the organization, before anything is sent.
    write(
        &t,
        "orgs.yaml",
        "api: v2\norganizations:\n  - name: acme\n    connections:\n      - connection: Nope\n",
    );
    let sent = env.requests().await;
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("orgs.yaml:3:5: organization/acme names connection `Nope`, which neither the manifests nor the tenant have"),
        "{err}"
    );
    let writes = env.requests().await - sent;
    assert_eq!(
        before("POST /api/v2/organizations/{id}/enabled_connections").await - posts,
        1,
        "{writes} requests"
    );

    // With the connections' section declared, a name it lacks is a located offline error.
    write(&t, "connections.yaml", CONNECTIONS);
    let out = env.run(&["validate", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(
            "orgs.yaml:5:21: connection names `Nope`, which no manifest declares under connections"
        ),
        "{}",
        stderr(&out)
    );

    // Deleting an organization takes its enabled connections with it, never the connections;
    // a connection's delete waits for the organization that names it to let it go.
    write(&t, "orgs.yaml", "api: v2\norganizations: []\n");
    write(
        &t,
        "connections.yaml",
        "api: v2\nconnections:\n  - {name: Users, strategy: auth0}\n",
    );
    let out = env
        .run(&["plan", "--allow-delete", "--format", "json", d])
        .await;
    assert_exit(&out, 0);
    let plan = harness::json(&out);
    let at = |resource: &str| {
        plan["calls"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["method"] == "DELETE" && c["resource"] == resource)
            .unwrap_or_else(|| panic!("no DELETE of {resource}: {plan}"))
    };
    // The organizations let the connection go before it is deleted.
    assert!(
        at("organization/globex") < at("connection/Partners"),
        "{plan}"
    );
    assert!(
        at("organization/acme") < at("connection/Partners"),
        "{plan}"
    );
    let out = env
        .run(&["apply", "--yes", "--allow-delete", "--force", d])
        .await;
    assert_exit(&out, 0);
    assert_eq!(v2(&env, "/organizations").await, json!([]));
    assert_eq!(
        v2(&env, "/connections?name=Users")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(v2(&env, "/connections?name=Partners").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_past_the_first_thousand_are_read_by_checkpoint() {
    let env = Env::start().await;
    let many = 1_010;
    for i in 0..many {
        let (status, v) = env
            .v2_call(
                Method::POST,
                "/organizations",
                Some(json!({"name": format!("org-{i:04}")})),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }
    // The service's offset pages stop at 1,000.
    let (status, _) = env
        .v2_call(Method::GET, "/organizations?page=10&per_page=100", None)
        .await;
    assert_eq!(status, 400);
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "orgs.yaml",
        "api: v2\norganizations:\n  - {name: org-1009, display_name: The last}\n",
    );
    let pages = env.calls_to("GET /api/v2/organizations").await;
    let out = env
        .run(&["plan", "--format", "json", "--allow-delete", d])
        .await;
    assert_exit(&out, 0);
    // ⌈1,010 / 100⌉ checkpoint pages.
    assert_eq!(env.calls_to("GET /api/v2/organizations").await - pages, 11);
    let plan = harness::json(&out);
    let changes = plan["changes"].as_array().unwrap();
    let updated: Vec<&Value> = changes.iter().filter(|c| c["action"] == "update").collect();
    assert_eq!(updated.len(), 1, "{plan}");
    assert_eq!(updated[0]["name"], "org-1009");
    let deleted = changes.iter().filter(|c| c["action"] == "delete").count();
    assert_eq!(deleted, many - 1);
}

/// What the hostile review of organizations found, each held: a targeted organization brings
/// the connection the plan creates; an ignored connection stays enabled on an organization that
/// does not list it; a connection name from the environment is never echoed; `null` is said to
/// manage nothing; the emulator enables through `/enabled_connections` what `/connections`
/// added disabled, and refuses an https URL without a host, as a0ctl does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_bring_what_they_name_leave_the_ignored_and_echo_no_variable() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "connections.yaml", CONNECTIONS);
    write(&t, "orgs.yaml", ORGS);
    let out = env
        .run(&["apply", "--yes", "--target", "organization/globex", d])
        .await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("included: organization/globex names it"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        enabled(&env, "globex").await.1,
        [("Partners".into(), false, true, true)]
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);

    // An ignored connection stays enabled where no manifest lists it.
    write(
        &t,
        "orgs.yaml",
        &format!(
            "ignore: [connection/Partners]\n{}",
            ORGS.replace(
                "      - connection: Partners\n  - name: globex",
                "  - name: globex"
            )
            .replace(
                "      - {connection: Partners, is_signup_enabled: true}\n",
                "      - {connection: Users}\n"
            )
        ),
    );
    std::fs::remove_file(t.join("connections.yaml")).unwrap();
    let deletes = env
        .calls_to("DELETE /api/v2/organizations/{id}/enabled_connections/{connection}")
        .await;
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(
        env.calls_to("DELETE /api/v2/organizations/{id}/enabled_connections/{connection}")
            .await,
        deletes
    );
    let names = |list: Vec<(String, bool, bool, bool)>| -> Vec<String> {
        list.into_iter().map(|c| c.0).collect()
    };
    assert_eq!(names(enabled(&env, "acme").await.1), ["Partners", "Users"]);
    assert_eq!(
        names(enabled(&env, "globex").await.1),
        ["Partners", "Users"]
    );

    // A name from the environment is shown as its variable, in every message.
    write(
        &t,
        "orgs.yaml",
        "api: v2\norganizations:\n  - name: acme\n    connections:\n      - connection: \"${ORG_CONN}\"\n",
    );
    let out = hidden(&env, &["plan", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("names connection ${ORG_CONN} (from the environment), which neither"),
        "{err}"
    );
    assert!(!err.contains("Hidden-Conn"), "{err}");
    write(
        &t,
        "orgs.yaml",
        "api: v2\norganizations:\n  - name: acme\n    connections:\n      - connection: \"${ORG_CONN}\"\n      - connection: \"${ORG_CONN}\"\n",
    );
    let out = hidden(&env, &["validate", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("connection ${ORG_CONN} (from the environment) is enabled twice"),
        "{err}"
    );
    assert!(!err.contains("Hidden-Conn"), "{err}");
    write(&t, "connections.yaml", CONNECTIONS);
    let out = hidden(&env, &["validate", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("names ${ORG_CONN} (from the environment), which no manifest declares"),
        "{err}"
    );
    assert!(!err.contains("Hidden-Conn"), "{err}");

    // `null` manages nothing, and says so where it is written.
    write(
        &t,
        "orgs.yaml",
        "api: v2\norganizations:\n  - name: acme\n    metadata: null\n",
    );
    let out = env.run(&["validate", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("orgs.yaml:4:15: `metadata: null` manages nothing"),
        "{}",
        stderr(&out)
    );

    // The emulator: enabling what `/connections` added disabled, and a URL without a host.
    let acme = v2(&env, "/organizations/name/acme").await;
    let id = acme["id"].as_str().unwrap();
    let extra = v2(&env, "/connections?name=Users").await;
    let users = extra[0]["id"].as_str().unwrap();
    let (status, _) = env
        .v2_call(
            Method::DELETE,
            &format!("/organizations/{id}/enabled_connections/{users}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, v) = env
        .v2_call(
            Method::POST,
            &format!("/organizations/{id}/connections"),
            Some(json!({"connection_id": users, "is_enabled": false})),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let (status, _) = env
        .v2_call(
            Method::GET,
            &format!("/organizations/{id}/enabled_connections/{users}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "not enabled");
    let (status, v) = env
        .v2_call(
            Method::POST,
            &format!("/organizations/{id}/enabled_connections"),
            Some(json!({"connection_id": users})),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let (status, _) = env
        .v2_call(
            Method::PATCH,
            &format!("/organizations/{id}"),
            Some(json!({"branding": {"logo_url": "https://"}})),
        )
        .await;
    assert_eq!(status, 400);
}

/// A connection replaced (its strategy changed) leaves every organization with its delete, as
/// on the service: the organizations that list it enable the new one, in the same apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_connection_is_enabled_again_where_organizations_list_it() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "connections.yaml", CONNECTIONS);
    write(&t, "orgs.yaml", ORGS);
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    let old = v2(&env, "/connections?name=Partners").await[0]["id"].clone();
    write(
        &t,
        "connections.yaml",
        &CONNECTIONS.replace(
            "{name: Partners, strategy: auth0}",
            "{name: Partners, strategy: email}",
        ),
    );
    let out = env
        .run(&["apply", "--yes", "--allow-replace", "--allow-delete", d])
        .await;
    assert_exit(&out, 0);
    let new = v2(&env, "/connections?name=Partners").await[0]["id"].clone();
    assert_ne!(old, new);
    assert_eq!(
        enabled(&env, "acme").await.1,
        [
            ("Partners".into(), false, true, false),
            ("Users".into(), true, true, false)
        ]
    );
    assert_eq!(
        enabled(&env, "globex").await.1,
        [("Partners".into(), false, true, true)]
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
}
