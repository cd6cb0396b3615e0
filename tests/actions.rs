//! Actions and their triggers on v2: created as drafts, built, deployed, then bound in order;
//! planned empty; exported back with their code in files; a reorder is one PATCH, an edit of the
//! code a PATCH and a deploy; a build that fails stops the bindings that need it; an action is
//! unbound before it is deleted; secrets' values never shown.

mod harness;

use harness::{Config, Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const SECRET: &str = "geo-api-key-8d1f33b0c2";

const CLAIMS: &str = r#"exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://example.com/roles", event.authorization?.roles ?? []);
};
"#;

fn tree(order: [&str; 2]) -> String {
    format!(
        r#"api: v2
actions:
  - name: add-claims
    code: {{file: actions/add-claims.js}}
    runtime: node22
    supported_triggers: [{{id: post-login, version: v3}}]
  - name: geo-check
    code: |
      exports.onExecutePostLogin = async (event, api) => {{
        if (event.request.geoip.countryCode === "XX") api.access.deny("blocked: " + event.secrets.GEO_KEY.length);
      }};
    runtime: node22
    supported_triggers: [{{id: post-login, version: v3}}]
    dependencies: [{{name: lodash, version: 4.17.21}}]
    secrets: [{{name: GEO_KEY, value: "${{GEO_KEY}}"}}]
  - name: m2m-tag
    code: |
      exports.onExecuteCredentialsExchange = async (event, api) => {{
        api.accessToken.setCustomClaim("https://example.com/tag", "m2m");
      }};
    supported_triggers: [{{id: credentials-exchange, version: v2}}]
triggers:
  - trigger: post-login
    bindings:
      - {{action: {}}}
      - {{action: {}, display_name: Second}}
  - trigger: credentials-exchange
    bindings: [{{action: m2m-tag}}]
"#,
        order[0], order[1]
    )
}

fn setup(dir: &std::path::Path, order: [&str; 2], claims: &str) -> String {
    let t = dir.join("tree");
    write(&t, "tenant.yaml", &tree(order));
    write(&t, "actions/add-claims.js", claims);
    t.to_str().unwrap().to_string()
}

/// The tree without the action geo-check: unbound from post-login when `triggers`, else with
/// no triggers section at all.
fn without_geo_check(triggers: bool) -> String {
    let text = tree(["add-claims", "geo-check"]);
    let start = text.find("  - name: geo-check").unwrap();
    let end = text.find("  - name: m2m-tag").unwrap();
    let rest = if triggers {
        &text[end..]
    } else {
        &text[end..text.find("triggers:\n").unwrap()]
    };
    format!("{}{rest}", &text[..start])
        .replace("      - {action: geo-check, display_name: Second}\n", "")
}

async fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.command(args)
        .env("GEO_KEY", SECRET)
        .output()
        .await
        .unwrap()
}

async fn actions(env: &Env) -> Vec<Value> {
    let (status, v) = env
        .v2_call(Method::GET, "/actions/actions?per_page=100", None)
        .await;
    assert_eq!(status, 200, "{v}");
    v["actions"].as_array().unwrap().clone()
}

async fn bound(env: &Env, trigger: &str) -> Vec<(String, String)> {
    let (status, v) = env
        .v2_call(
            Method::GET,
            &format!("/actions/triggers/{trigger}/bindings"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["action"]["name"].as_str().unwrap().to_string(),
                b["display_name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_and_triggers_apply_plan_empty_and_export_back_without_their_secrets() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path(), ["add-claims", "geo-check"], CLAIMS);
    let mut shown = String::new();
    let out = run(&env, &["plan", &t]).await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("action \"geo-check\" will be created"),
        "{text}"
    );
    shown += &text;
    shown += &stderr(&out);
    // A saved plan holds the secret's place, never its value.
    let saved = dir.path().join("plan.json");
    let out = run(&env, &["plan", &t, "--out", saved.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let file = std::fs::read_to_string(&saved).unwrap();
    assert!(file.contains("GEO_KEY"), "{file}");
    assert!(!file.contains(SECRET), "{file}");
    let out = run(&env, &["apply", "--yes", "-vv", &t]).await;
    assert_exit(&out, 0);
    shown += &stdout(&out);
    shown += &stderr(&out);

    let listed = actions(&env).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    for a in &listed {
        assert_eq!(a["all_changes_deployed"], true, "{a}");
        assert_eq!(a["status"], "built", "{a}");
    }
    let geo = listed.iter().find(|a| a["name"] == "geo-check").unwrap();
    assert_eq!(geo["secrets"][0]["name"], "GEO_KEY");
    assert!(geo["secrets"][0].get("value").is_none(), "{geo}");
    assert_eq!(
        bound(&env, "post-login").await,
        vec![
            ("add-claims".to_string(), "add-claims".to_string()),
            ("geo-check".to_string(), "Second".to_string())
        ]
    );
    assert_eq!(bound(&env, "credentials-exchange").await.len(), 1);
    assert_eq!(
        env.calls_to("POST /api/v2/actions/actions/{id}/deploy")
            .await,
        3
    );
    assert_eq!(
        env.calls_to("PATCH /api/v2/actions/triggers/{trigger}/bindings")
            .await,
        2
    );

    let out = run(&env, &["plan", "--detailed-exitcode", &t]).await;
    assert_exit(&out, 0);

    let export = dir.path().join("export");
    let out = run(&env, &["export", "--out", export.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let code = std::fs::read_to_string(export.join("actions/add-claims.js")).unwrap();
    assert_eq!(code, CLAIMS);
    let triggers = std::fs::read_to_string(export.join("triggers.yaml")).unwrap();
    assert!(triggers.contains("display_name: Second"), "{triggers}");
    let out = run(
        &env,
        &["plan", "--detailed-exitcode", export.to_str().unwrap()],
    )
    .await;
    assert_exit(&out, 0);
    let mut written = String::new();
    for entry in walk(&export) {
        written += &std::fs::read_to_string(entry).unwrap_or_default();
    }
    assert!(!written.contains(SECRET), "{written}");
    assert!(!shown.contains(SECRET), "{shown}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorder_is_one_patch_and_an_edit_of_the_code_is_redeployed() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path(), ["add-claims", "geo-check"], CLAIMS);
    assert_exit(&run(&env, &["apply", "--yes", &t]).await, 0);
    let before = env.calls_to("PATCH /api/v2/actions/actions/{id}").await;

    // The order of post-login swapped: one PATCH of its bindings, nothing else.
    setup(dir.path(), ["geo-check", "add-claims"], CLAIMS);
    let out = run(&env, &["apply", "--yes", "--format", "json", &t]).await;
    assert_exit(&out, 0);
    assert_eq!(
        env.calls_to("PATCH /api/v2/actions/triggers/{trigger}/bindings")
            .await,
        3
    );
    assert_eq!(
        env.calls_to("PATCH /api/v2/actions/actions/{id}").await,
        before
    );
    assert_eq!(
        bound(&env, "post-login").await[0].0,
        "geo-check".to_string()
    );

    // The code edited: the plan shows the lines that change; apply patches and deploys it.
    let edited = CLAIMS.replace("/roles", "/groups");
    setup(dir.path(), ["geo-check", "add-claims"], &edited);
    let out = run(&env, &["plan", &t]).await;
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("action \"add-claims\" will be updated"),
        "{text}"
    );
    // A unified diff of the code: only the line that changed, as `-` and `+`.
    assert!(
        text.contains("-  api.idToken.setCustomClaim(\"https://example.com/roles\"")
            && text.contains("+  api.idToken.setCustomClaim(\"https://example.com/groups\"")
            && text.contains("@@ -1,3 +1,3 @@"),
        "{text}"
    );
    let deploys = env
        .calls_to("POST /api/v2/actions/actions/{id}/deploy")
        .await;
    assert_exit(&run(&env, &["apply", "--yes", &t]).await, 0);
    assert_eq!(
        env.calls_to("POST /api/v2/actions/actions/{id}/deploy")
            .await,
        deploys + 1
    );
    let listed = actions(&env).await;
    let claims = listed.iter().find(|a| a["name"] == "add-claims").unwrap();
    assert_eq!(claims["code"], edited.as_str());
    assert_eq!(claims["deployed_version"]["code"], edited.as_str());
    assert_exit(&run(&env, &["plan", "--detailed-exitcode", &t]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_delay_is_waited_for_and_a_failed_build_stops_its_bindings() {
    let env = Env::start_with(Config {
        action_build: std::time::Duration::from_millis(400),
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path(), ["add-claims", "geo-check"], CLAIMS);
    let out = run(&env, &["apply", "--yes", "-vv", &t]).await;
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("waiting for action/"),
        "{}",
        stderr(&out)
    );

    // Builds fail from now on: the edited action's deploy and the bindings after it are not
    // sent; the error is the service's.
    let (status, v) = env
        .call(
            Method::PUT,
            "/__emulator/actions/builds",
            Some(json!({"fail": "npm could not install lodash@4.17.21"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let edited = CLAIMS.replace("/roles", "/groups");
    setup(dir.path(), ["geo-check", "add-claims"], &edited);
    let patches = env
        .calls_to("PATCH /api/v2/actions/triggers/{trigger}/bindings")
        .await;
    let deploys = env
        .calls_to("POST /api/v2/actions/actions/{id}/deploy")
        .await;
    let out = run(&env, &["apply", "--yes", &t]).await;
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("the build failed: npm could not install lodash@4.17.21"),
        "{all}"
    );
    assert_eq!(
        env.calls_to("POST /api/v2/actions/actions/{id}/deploy")
            .await,
        deploys
    );
    assert_eq!(
        env.calls_to("PATCH /api/v2/actions/triggers/{trigger}/bindings")
            .await,
        patches,
        "the post-login bindings wait for the deploy that failed"
    );
    assert_eq!(bound(&env, "post-login").await[0].0, "add-claims");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_is_unbound_before_it_is_deleted() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path(), ["add-claims", "geo-check"], CLAIMS);
    assert_exit(&run(&env, &["apply", "--yes", &t]).await, 0);

    // geo-check dropped from the manifests and from post-login.
    write(
        &dir.path().join("tree"),
        "tenant.yaml",
        &without_geo_check(true),
    );
    let out = run(&env, &["plan", "--allow-delete", "--format", "json", &t]).await;
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let calls = plan["calls"].as_array().unwrap();
    let at = |method: &str, resource: &str| {
        calls
            .iter()
            .position(|c| c["method"] == method && c["resource"] == resource)
            .unwrap_or_else(|| panic!("{method} {resource}: {plan}"))
    };
    let unbind = at("PATCH", "trigger/post-login");
    let delete = at("DELETE", "action/geo-check");
    assert!(
        calls[delete]["after"]
            .as_array()
            .unwrap()
            .contains(&json!(calls[unbind]["id"])),
        "{plan}"
    );
    assert_exit(
        &run(&env, &["apply", "--yes", "--allow-delete", &t]).await,
        0,
    );
    assert_eq!(actions(&env).await.len(), 2);
    assert_eq!(bound(&env, "post-login").await.len(), 1);
    assert_exit(&run(&env, &["plan", "--detailed-exitcode", &t]).await, 0);
}

/// The emulator as the service: a draft not built cannot be deployed, names are unique, a
/// bound action cannot be deleted unless forced, bindings name deployed actions that support
/// the trigger, and entity-bound triggers list no bindings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_serves_actions_as_the_service_does() {
    let env = Env::start_with(Config {
        action_build: std::time::Duration::from_secs(30),
        ..Config::default()
    })
    .await;
    let body = json!({
        "name": "a", "code": "exports.onExecutePostLogin = async () => {};",
        "supported_triggers": [{"id": "post-login", "version": "v3"}],
        "secrets": [{"name": "K", "value": "v"}],
    });
    let (status, a) = env
        .v2_call(Method::POST, "/actions/actions", Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["status"], "pending");
    assert_eq!(a["all_changes_deployed"], false);
    assert!(a["secrets"][0].get("value").is_none(), "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    let (status, v) = env
        .v2_call(Method::POST, &format!("/actions/actions/{id}/deploy"), None)
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("must be in the 'built' state"),
        "{v}"
    );
    let (status, _) = env
        .v2_call(Method::POST, "/actions/actions", Some(body))
        .await;
    assert_eq!(status, 409);
    // Not deployed, it cannot be bound.
    let (status, v) = env
        .v2_call(
            Method::PATCH,
            "/actions/triggers/post-login/bindings",
            Some(json!({"bindings": [{"ref": {"type": "action_id", "value": id}}]})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = env
        .v2_call(
            Method::GET,
            "/actions/triggers/custom-email-provider/bindings",
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = env
        .v2_call(Method::GET, "/actions/triggers/no-such/bindings", None)
        .await;
    assert_eq!(status, 404);
    let (status, v) = env.v2_call(Method::GET, "/actions/triggers", None).await;
    assert_eq!(status, 200);
    assert!(
        v["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "post-login" && t["version"] == "v3")
    );
    let (status, _) = env
        .v2_call(Method::DELETE, &format!("/actions/actions/{id}"), None)
        .await;
    assert_eq!(status, 204);
}

/// An action that a trigger the manifests do not manage still binds cannot be deleted: the plan
/// is refused before anything is sent, naming the trigger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_action_that_an_unmanaged_trigger_binds_is_refused_before_anything_is_sent() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = setup(dir.path(), ["add-claims", "geo-check"], CLAIMS);
    assert_exit(&run(&env, &["apply", "--yes", &t]).await, 0);

    // No triggers section, and geo-check no longer declared.
    write(
        &dir.path().join("tree"),
        "tenant.yaml",
        &without_geo_check(false),
    );
    let out = run(&env, &["apply", "--yes", "--allow-delete", &t]).await;
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("trigger/post-login (names action/geo-check)"),
        "{err}"
    );
    assert_eq!(env.calls_to("DELETE /api/v2/actions/actions/{id}").await, 0);
    assert_eq!(actions(&env).await.len(), 3);
}

const RUN_TREE: &str = r#"api: v2
clients:
  - name: Shop
    app_type: spa
  - name: Worker
    app_type: non_interactive
    grant_types: [client_credentials]
    client_metadata: {team: ops}
  - name: Old Worker
    app_type: non_interactive
    grant_types: [client_credentials]
    client_metadata: {suspended: "true"}
connections:
  - name: db
    strategy: auth0
    enabled_clients: [Shop]
actions:
  - name: gate
    supported_triggers: [{id: post-login, version: v3}]
    code: |
      exports.onExecutePostLogin = async (event, api) => {
        if (event.user.email.endsWith('@blocked.example')) api.access.deny('blocked: ' + event.user.email);
      };
  - name: claims
    supported_triggers: [{id: post-login, version: v3}]
    secrets: [{name: NS, value: "https://example.com/"}]
    code: |
      exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim(event.secrets.NS + 'plan', event.user.app_metadata.plan || 'free');
        api.accessToken.setCustomClaim(event.secrets.NS + 'client', event.client.name);
        api.user.setAppMetadata('logins', event.stats.logins_count);
        console.log('login', event.stats.logins_count, 'of', event.user.email, 'by', event.connection.name);
      };
  - name: tag
    supported_triggers: [{id: credentials-exchange, version: v2}]
    code: |
      exports.onExecuteCredentialsExchange = async (event, api) => {
        if (event.client.metadata.suspended === 'true') {
          return api.access.deny('invalid_request', event.client.name + ' is suspended');
        }
        if (!event.client.metadata.team) return api.access.deny('invalid_scope', 'no team');
        api.accessToken.setCustomClaim('https://example.com/team', event.client.metadata.team);
      };
triggers:
  - trigger: post-login
    bindings: [{action: gate}, {action: claims}]
  - trigger: credentials-exchange
    bindings: [{action: tag}]
"#;

/// A client's id and secret, by name.
async fn credentials(env: &Env, name: &str) -> (String, String) {
    let (status, v) = env
        .v2_call(Method::GET, "/clients?per_page=100", None)
        .await;
    assert_eq!(status, 200, "{v}");
    let c = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no client {name}: {v}"));
    (
        c["client_id"].as_str().unwrap().to_string(),
        c["client_secret"].as_str().unwrap_or_default().to_string(),
    )
}

async fn emulator_post(env: &Env, path: &str, body: Value) -> (u16, Value) {
    env.call(Method::POST, path, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_runs_the_bound_deployed_actions_at_logins_and_token_requests() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", RUN_TREE);
    let out = env
        .run(&["apply", "--yes", dir.path().to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    let (shop, _) = credentials(&env, "Shop").await;

    // A login runs post-login's actions in order; the claims are in the answer, the metadata
    // is saved to the user, and the next login sees it.
    let (status, ann) = emulator_post(
        &env,
        "/__emulator/users",
        json!({"connection": "db", "email": "ann@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{ann}");
    let ann = ann["user_id"].as_str().unwrap().to_string();
    let login = json!({"user_id": ann, "client_id": shop});
    let (status, answer) = emulator_post(&env, "/__emulator/logins", login.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["actions"],
        json!({
            "status": "allowed",
            "ran": ["gate", "claims"],
            "idToken": {"https://example.com/plan": "free"},
            "accessToken": {"https://example.com/client": "Shop"},
            "scopes": {"added": [], "removed": []},
            "logs": ["login 1 of ann@example.com by db"],
        })
    );
    assert_eq!(answer["app_metadata"], json!({"logins": 1}), "{answer}");
    let (_, answer) = emulator_post(&env, "/__emulator/logins", login).await;
    assert_eq!(answer["app_metadata"], json!({"logins": 2}), "{answer}");
    assert_eq!(answer["loginsCount"], 2, "{answer}");

    // A denial fails the login, says which action and why, and is logged as a failed login.
    let (_, eve) = emulator_post(
        &env,
        "/__emulator/users",
        json!({"connection": "db", "email": "eve@blocked.example"}),
    )
    .await;
    let eve = eve["user_id"].as_str().unwrap().to_string();
    let (status, answer) = emulator_post(
        &env,
        "/__emulator/logins",
        json!({"user_id": eve, "client_id": shop}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["actions"]["status"], "denied", "{answer}");
    assert_eq!(answer["actions"]["ran"], json!(["gate"]));
    assert_eq!(
        answer["actions"]["error"],
        json!({"action": "gate", "message": "blocked: eve@blocked.example", "code": null})
    );
    assert_eq!(answer["loginsCount"], 0, "a denied login is not counted");
    let logs = env.get("/api/logs?sort=date:-1&per_page=1").await;
    assert_eq!(logs["logs"][0]["type"], "f", "{logs}");
    assert_eq!(
        logs["logs"][0]["description"],
        "blocked: eve@blocked.example"
    );

    // A client-credentials token runs credentials-exchange: its claims are the token's (as
    // introspection shows them); a denial is the token endpoint's 403 with the action's code.
    let base = env.handle.base_url.clone();
    let token_of = |name: &'static str| {
        let env = &env;
        let base = base.clone();
        async move {
            let (id, secret) = credentials(env, name).await;
            let resp = env
                .http
                .post(format!("{base}/oauth/token"))
                .json(&json!({"grant_type": "client_credentials", "client_id": id,
                               "client_secret": secret, "audience": format!("{base}/api/v2/")}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, answer) = token_of("Worker").await;
    assert_eq!(status, 200, "{answer}");
    let (status, seen) = emulator_post(
        &env,
        "/__emulator/tokens/introspect",
        json!({"token": answer["access_token"]}),
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["https://example.com/team"], "ops", "{seen}");
    let (status, answer) = token_of("Old Worker").await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"], "invalid_request", "{answer}");
    assert!(
        answer.to_string().contains("Old Worker is suspended"),
        "{answer}"
    );
    // The emulator's own client (which has no team) is never subject to them: a0ctl still plans.
    let out = env
        .run(&["plan", "--detailed-exitcode", dir.path().to_str().unwrap()])
        .await;
    assert_exit(&out, 0);
    let (_, unknown) = emulator_post(
        &env,
        "/__emulator/tokens/introspect",
        json!({"token": "nope"}),
    )
    .await;
    assert_eq!(unknown, json!({"active": false}));
}

#[test]
fn unknown_triggers_and_bindings_to_a_trigger_an_action_does_not_support_are_offline_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nactions:\n  - name: login\n    code: \"exports.onExecutePostLogin = async () => {};\"\n    supported_triggers: [{id: post-login, version: v3}]\n  - name: tag\n    code: \"exports.onExecuteCredentialsExchange = async () => {};\"\n    supported_triggers: [{id: credentials-exchnage, version: v2}]\ntriggers:\n  - trigger: post-logn\n    bindings: [{action: login}]\n  - trigger: custom-phone-provider\n    bindings: []\n",
    );
    let validate = |dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(["validate", dir.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = validate(dir.path());
    assert_exit(&out, 1);
    let err = stderr(&out);
    for want in [
        "t.yaml:8:31: unknown trigger `credentials-exchnage` (did you mean `credentials-exchange`?)",
        "t.yaml:10:14: unknown trigger `post-logn` (did you mean `post-login`?)",
        "t.yaml:12:14: trigger `custom-phone-provider` is bound by its own resource, not through `triggers`",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nactions:\n  - name: login\n    code: \"exports.onExecutePostLogin = async () => {};\"\n    supported_triggers: [{id: post-login, version: v3}]\ntriggers:\n  - trigger: credentials-exchange\n    bindings: [{action: login}]\n",
    );
    let out = validate(dir.path());
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("t.yaml:8:25: trigger `credentials-exchange` is not one of the supported_triggers that action `login` declares"),
        "{}",
        stderr(&out)
    );
}
