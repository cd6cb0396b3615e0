//! `cargo bench --bench peers`: a0ctl side by side with the unmodified auth0-deploy-cli
//! (`a0deploy`, pinned with its lock file in `tests/interop/`), doing the same work on the same
//! emulated Management API v2 tenant.
//!
//! Each tool gets its own `a0ctl emulator --tls --latency-ms 20 --rate-limit 50` (a state file in
//! a temporary directory), so both start from identical, empty tenants. Both are given the same
//! 300 resources (100 clients, 100 rules, 96 connections of which 16 are databases, 4 email
//! templates), each in its own format, and run four steps:
//!
//! 1. the first import (a fresh emulator per run);
//! 2. the same import again, nothing changed;
//! 3. ten resources changed (four clients' callbacks, three rule scripts, two connections'
//!    options, one email template's subject), back and forth between two trees so every run
//!    changes exactly ten;
//! 4. an export of the tenant;
//! 5. on a second pair of emulators, the first import of an access tenant: 20 APIs (resource
//!    servers) with 3 scopes each, 60 machine-to-machine clients each granted 2 scopes of one
//!    API, 10 roles with 3 permissions each;
//! 6. that import again, nothing changed;
//! 7. on a third pair, the first import of 20 actions bound in order on 3 triggers (10 on
//!    post-login, 5 on credentials-exchange, 5 on pre-user-registration);
//! 8. that import again, nothing changed;
//! 9. on a fourth pair, the first import of the rest of the tenant: 30 organizations each
//!    enabling 2 of 4 database connections, 10 log streams, 2 custom domains, the 3 attack
//!    protections, 2 MFA factors and the MFA policy, the branding and its Universal Login page;
//! 10. that import again, nothing changed.
//!
//! a0deploy's tree of steps 9 and 10 is its own export of a tenant a0ctl applied a0ctl's tree
//! to (outside the measured window), so both are given the same tenant, each in its format.
//!
//! Requests, writes and 429s are differences of `GET /__emulator/stats` around each run; the wall
//! time is the tool's process. After steps 1 and 3 the tenant is read back and compared with the
//! trees (outside the measured window), so a tool that "finished" without doing the work is
//! flagged (after step 5 too). Steps start a little over a second apart, in a fresh rate-limit window. Nothing
//! asserts a time: the program prints figures and medians and writes them to BENCHMARKS.md
//! (between `<!-- peers:begin -->` and `<!-- peers:end -->`) when both tools ran every step.
//!
//! Arguments (after `--`): `--runs N` (default 3), `--quick` (one run of each step), `--tool
//! a0deploy|a0ctl` (only that tool; BENCHMARKS.md is then left alone), `--actions-only` (steps 7
//! and 8; BENCHMARKS.md left alone), `--rest-only` (steps 9 and 10; likewise). Without `node` and `npm`,
//! or when `npm ci` fails, it prints why and exits 0.

use std::collections::{BTreeMap, BTreeSet};
mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{machine, today, version};
use serde_json::{Map, Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_a0ctl");
const CLIENT_ID: &str = "peers-global-client";
const CLIENT_SECRET: &str = "peers-global-client-secret";
const LATENCY_MS: u64 = 20;
const RATE_LIMIT: u32 = 50;
/// What a0deploy may touch: the kinds in play and nothing else.
const A0DEPLOY_INCLUDED: &str = r#"["clients","connections","databases","rules","emailTemplates"]"#;
/// What a0deploy may touch in the actions tenant (steps 7 and 8).
const ACTIONS_INCLUDED: &str = r#"["actions","triggers"]"#;
/// The triggers the actions tenant binds, and how many actions each.
const BOUND: [(&str, &str, usize); 3] = [
    ("post-login", "v3", 10),
    ("credentials-exchange", "v2", 5),
    ("pre-user-registration", "v2", 5),
];
/// What a0deploy may touch in the rest of the tenant (steps 9 and 10).
const REST_INCLUDED: &str = r#"["attackProtection","guardianFactors","guardianPolicies","logStreams","customDomains","branding","prompts","organizations","databases"]"#;
/// The organizations, log streams and database connections of steps 9 and 10.
const ORGANIZATIONS: usize = 30;
const LOG_STREAMS: usize = 10;
const ORG_CONNECTIONS: usize = 4;
/// What a0deploy may touch in the access tenant (steps 5 and 6).
const ACCESS_INCLUDED: &str = r#"["clients","resourceServers","clientGrants","roles"]"#;
const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";
const EMAIL_TEMPLATES: [&str; 4] = [
    "verify_email",
    "welcome_email",
    "reset_email",
    "blocked_account",
];

// ---------------------------------------------------------------------------------------------
// The tenant both tools are given.

/// The 300 resources, as the v2 API shows them (scripts and bodies inline, connections'
/// `enabled_clients` by client name). `changed` is the tree of step 3: ten resources differ.
struct Tenant {
    clients: Vec<Map<String, Value>>,
    connections: Vec<Map<String, Value>>,
    rules: Vec<Map<String, Value>>,
    emails: Vec<Map<String, Value>>,
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("an object"),
    }
}

fn app(i: usize) -> String {
    format!("App {:03}", (i - 1) % 100 + 1)
}

fn tenant(changed: bool) -> Tenant {
    let clients = (1..=100)
        .map(|i| {
            let host = format!("https://app{i:03}.example.com");
            let mut callbacks = vec![format!("{host}/callback")];
            if changed && [1, 26, 51, 76].contains(&i) {
                callbacks.push(format!("{host}/v2/callback"));
            }
            obj(json!({
                "name": app(i),
                "app_type": "regular_web",
                "callbacks": callbacks,
                "allowed_logout_urls": [format!("{host}/")],
                "web_origins": [host],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "client_secret_post",
            }))
        })
        .collect();
    let connections = (1..=96)
        .map(|i| {
            let (prefix, strategy) = match i {
                1..=32 => ("google", "google-oauth2"),
                33..=56 => ("github", "github"),
                57..=80 => ("linkedin", "linkedin"),
                _ => ("db", "auth0"),
            };
            let options = if strategy == "auth0" {
                // a0deploy's schema adds `disable_self_service_change_password: false` to every
                // database; both trees declare it so both tenants end up the same.
                json!({"brute_force_protection": !(changed && i == 90),
                       "disable_self_service_change_password": false})
            } else if changed && i == 10 {
                json!({"scope": ["email", "profile", "openid"]})
            } else {
                json!({"scope": ["email", "profile"]})
            };
            obj(json!({
                "name": format!("{prefix}-{i:03}"),
                "strategy": strategy,
                "options": options,
                "enabled_clients": [app(i), app(i + 1)],
            }))
        })
        .collect();
    let rules = (1..=100)
        .map(|i| {
            let script = if changed && [10, 50, 90].contains(&i) {
                SCRIPT.replace("{ callback", "{ context.idToken.rev = 2; callback")
            } else {
                SCRIPT.to_string()
            };
            obj(json!({
                "name": format!("rule-{i:03}"),
                "script": script,
                "order": i,
                "enabled": true,
            }))
        })
        .collect();
    let emails = EMAIL_TEMPLATES
        .iter()
        .map(|t| {
            let subject = if changed && *t == "welcome_email" {
                "Welcome aboard".to_string()
            } else {
                format!("Subject of {t}")
            };
            obj(json!({
                "template": t,
                "enabled": true,
                "from": "no-reply@example.com",
                "subject": subject,
                "body": format!("<html><body><p>{t}: {{{{ user.email }}}}</p></body></html>"),
                "syntax": "liquid",
            }))
        })
        .collect();
    Tenant {
        clients,
        connections,
        rules,
        emails,
    }
}

/// The access tenant of steps 5 and 6: 20 APIs with 3 scopes each, 60 machine-to-machine
/// clients each granted 2 scopes of one API, and 10 roles with 3 permissions each, as the v2
/// API shows them (grants by client name and audience, permissions by API identifier).
struct Access {
    apis: Vec<Map<String, Value>>,
    clients: Vec<Map<String, Value>>,
    grants: Vec<Map<String, Value>>,
    roles: Vec<Map<String, Value>>,
}

const ACCESS_SCOPES: [&str; 3] = ["delete:items", "read:items", "write:items"];

fn api_identifier(i: usize) -> String {
    format!("https://api{:02}.example.com", (i - 1) % 20 + 1)
}

fn access_tenant() -> Access {
    let apis = (1..=20)
        .map(|i| {
            let scopes: Vec<Value> = ACCESS_SCOPES
                .iter()
                .map(|s| json!({"value": s, "description": format!("{s} of API {i:02}")}))
                .collect();
            obj(json!({
                "name": format!("API {i:02}"),
                "identifier": api_identifier(i),
                "signing_alg": "RS256",
                "token_lifetime": 86400,
                "scopes": scopes,
            }))
        })
        .collect();
    let clients = (1..=60)
        .map(|i| {
            obj(json!({
                "name": format!("Worker {i:02}"),
                "app_type": "non_interactive",
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": "client_secret_post",
            }))
        })
        .collect();
    let grants = (1..=60)
        .map(|i| {
            obj(json!({
                "client": format!("Worker {i:02}"),
                "audience": api_identifier(i),
                "scope": ["read:items", "write:items"],
            }))
        })
        .collect();
    let roles = (1..=10)
        .map(|i| {
            let permissions: Vec<Value> = (0..3)
                .map(|k| {
                    json!({"resource_server": api_identifier(2 * i - 1 + k),
                           "scope": ACCESS_SCOPES[k]})
                })
                .collect();
            obj(json!({
                "name": format!("Role {i:02}"),
                "description": format!("Role number {i}"),
                "permissions": permissions,
            }))
        })
        .collect();
    Access {
        apis,
        clients,
        grants,
        roles,
    }
}

/// The actions tenant of steps 7 and 8: 20 actions (code of its trigger, one dependency),
/// bound in order on 3 triggers (10, 5 and 5), as `(name, trigger, version, code)`.
fn actions_tenant() -> Vec<(String, &'static str, &'static str, String)> {
    let mut out = Vec::new();
    for (trigger, version, n) in BOUND {
        let handler = match trigger {
            "post-login" => "onExecutePostLogin",
            "credentials-exchange" => "onExecuteCredentialsExchange",
            _ => "onExecutePreUserRegistration",
        };
        for i in 1..=n {
            let name = format!("{trigger}-{i:02}");
            let code = format!(
                "exports.{handler} = async (event, api) => {{\n  console.log(\"{name}\");\n}};\n"
            );
            out.push((name, trigger, version, code));
        }
    }
    out
}

/// a0deploy's YAML format of the actions tenant: `actions` (code in
/// `actions/NAME/code.js`) and `triggers` keyed by trigger id.
fn write_a0deploy_actions(dir: &Path) -> PathBuf {
    let mut y = String::from("actions:\n");
    for (name, trigger, version, code) in actions_tenant() {
        write(&dir.join(format!("actions/{name}/code.js")), &code);
        writeln!(
            y,
            "  - name: {name}\n    code: ./actions/{name}/code.js\n    dependencies: [{{name: lodash, version: 4.17.21}}]\n    deployed: true\n    runtime: node22\n    secrets: []\n    supported_triggers: [{{id: {trigger}, version: {version}}}]"
        )
        .unwrap();
    }
    y.push_str("triggers:\n");
    for (trigger, _, _) in BOUND {
        writeln!(y, "  {trigger}:").unwrap();
        for (name, t, _, _) in actions_tenant() {
            if t == trigger {
                writeln!(y, "    - {{action_name: {name}, display_name: {name}}}").unwrap();
            }
        }
    }
    let file = dir.join("tenant.yaml");
    write(&file, &y);
    file
}

/// a0ctl's v2 manifest of the actions tenant, code in `actions/NAME.js`.
fn write_a0ctl_actions(dir: &Path) -> PathBuf {
    let mut y = String::from("api: v2\nactions:\n");
    for (name, trigger, version, code) in actions_tenant() {
        write(&dir.join(format!("actions/{name}.js")), &code);
        writeln!(
            y,
            "  - name: {name}\n    code: {{file: actions/{name}.js}}\n    dependencies: [{{name: lodash, version: 4.17.21}}]\n    runtime: node22\n    supported_triggers: [{{id: {trigger}, version: {version}}}]"
        )
        .unwrap();
    }
    y.push_str("triggers:\n");
    for (trigger, _, _) in BOUND {
        writeln!(y, "  - trigger: {trigger}\n    bindings:").unwrap();
        for (name, t, _, _) in actions_tenant() {
            if t == trigger {
                writeln!(y, "      - {{action: {name}}}").unwrap();
            }
        }
    }
    write(&dir.join("actions.yaml"), &y);
    dir.to_path_buf()
}

/// The actions tenant holds its 20 actions, deployed, and each trigger binds its own in order.
fn check_actions(emulator: &Emulator) -> Result<(), String> {
    let listed = emulator.get("/api/v2/actions/actions?per_page=100");
    let actions = listed["actions"].as_array().cloned().unwrap_or_default();
    if actions.len() != 20 {
        return Err(format!(
            "{} actions in the tenant, 20 declared",
            actions.len()
        ));
    }
    if let Some(a) = actions.iter().find(|a| a["all_changes_deployed"] != true) {
        return Err(format!("action {} is not deployed", a["name"]));
    }
    for (trigger, _, _) in BOUND {
        let got: Vec<String> = emulator.get(&format!(
            "/api/v2/actions/triggers/{trigger}/bindings?per_page=100"
        ))["bindings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["action"]["name"].as_str().map(str::to_string))
            .collect();
        let want: Vec<String> = actions_tenant()
            .into_iter()
            .filter(|(_, t, _, _)| *t == trigger)
            .map(|(n, _, _, _)| n)
            .collect();
        if got != want {
            return Err(format!("{trigger} binds {got:?}, declared {want:?}"));
        }
    }
    Ok(())
}

/// a0ctl's v2 manifest of the rest of the tenant (steps 9 and 10), one file.
fn write_a0ctl_rest(dir: &Path) -> PathBuf {
    let mut y = String::from("api: v2\nconnections:\n");
    for c in 1..=ORG_CONNECTIONS {
        // a0deploy's import adds the option to every database: both tenants hold it.
        writeln!(
            y,
            "  - {{name: org-db-{c}, strategy: auth0, options: {{disable_self_service_change_password: false}}}}"
        )
        .unwrap();
    }
    y.push_str(
        "attack_protection:\n  - {name: brute-force-protection, max_attempts: 5, shields: [block, user_notification]}\n  - {name: breached-password-detection, enabled: true, shields: [admin_notification, block], admin_notification_frequency: [daily]}\n  - {name: suspicious-ip-throttling, enabled: false}\n",
    );
    y.push_str("guardian_factors:\n  - {name: otp, enabled: true}\n  - {name: email, enabled: true}\nguardian_policies:\n  policies: [all-applications]\n");
    y.push_str("log_streams:\n");
    for i in 1..=LOG_STREAMS {
        writeln!(
            y,
            "  - {{name: stream-{i:02}, type: http, sink: {{httpEndpoint: \"https://logs.example.com/{i:02}\", httpContentType: application/json, httpContentFormat: JSONLINES}}, filters: [{{name: auth.login.fail}}]}}"
        )
        .unwrap();
    }
    y.push_str("custom_domains:\n  - {domain: login.example.com, type: auth0_managed_certs, tls_policy: recommended}\n  - {domain: id.example.com, type: self_managed_certs, tls_policy: recommended}\n");
    y.push_str("branding:\n  colors: {primary: \"#0059d6\", page_background: \"#101010\"}\n  logo_url: https://cdn.example.com/logo.png\nbranding_templates:\n  - template: universal-login\n    body: \"<html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>\"\n");
    y.push_str("prompts:\n  identifier_first: true\nprompt_texts:\n");
    for (prompt, screen) in [
        ("login", "login"),
        ("signup", "signup"),
        ("login-password", "login-password"),
    ] {
        writeln!(
            y,
            "  - {{prompt: {prompt}, language: en, custom_text: {{{screen}: {{title: Welcome to Acme, description: Continue to Acme}}}}}}"
        )
        .unwrap();
    }
    y.push_str("organizations:\n");
    for i in 1..=ORGANIZATIONS {
        let (a, b) = (i % ORG_CONNECTIONS + 1, (i + 1) % ORG_CONNECTIONS + 1);
        writeln!(
            y,
            "  - name: org-{i:02}\n    display_name: Organization {i:02}\n    metadata: {{tier: gold}}\n    connections:\n      - {{connection: org-db-{a}, assign_membership_on_login: true}}\n      - {{connection: org-db-{b}}}"
        )
        .unwrap();
    }
    write(&dir.join("rest.yaml"), &y);
    dir.to_path_buf()
}

/// a0deploy's YAML format of the access tenant: `resourceServers`, `clientGrants` (the client
/// by name in `client_id`) and `roles` (permissions as `permission_name` and
/// `resource_server_identifier`).
fn write_a0deploy_access(dir: &Path, t: &Access) -> PathBuf {
    let mut y = String::from("clients:\n");
    t.clients.iter().for_each(|c| yaml_item(&mut y, c));
    y.push_str("resourceServers:\n");
    t.apis.iter().for_each(|a| yaml_item(&mut y, a));
    y.push_str("clientGrants:\n");
    for g in &t.grants {
        let mut g = g.clone();
        let client = g.remove("client").unwrap();
        let mut item = Map::new();
        item.insert("client_id".into(), client);
        item.extend(g);
        yaml_item(&mut y, &item);
    }
    y.push_str("roles:\n");
    for r in &t.roles {
        let mut r = r.clone();
        let permissions: Vec<Value> = r["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                json!({"permission_name": p["scope"],
                       "resource_server_identifier": p["resource_server"]})
            })
            .collect();
        r["permissions"] = Value::Array(permissions);
        yaml_item(&mut y, &r);
    }
    let file = dir.join("tenant.yaml");
    write(&file, &y);
    file
}

/// a0ctl's v2 manifest of the access tenant, one file.
fn write_a0ctl_access(dir: &Path, t: &Access) -> PathBuf {
    let mut y = String::from("api: v2\nclients:\n");
    t.clients.iter().for_each(|c| yaml_item(&mut y, c));
    y.push_str("resource_servers:\n");
    t.apis.iter().for_each(|a| yaml_item(&mut y, a));
    y.push_str("client_grants:\n");
    t.grants.iter().for_each(|g| yaml_item(&mut y, g));
    y.push_str("roles:\n");
    t.roles.iter().for_each(|r| yaml_item(&mut y, r));
    write(&dir.join("access.yaml"), &y);
    dir.to_path_buf()
}

/// One YAML list item in block style, each value written as JSON (a YAML flow value).
fn yaml_item(out: &mut String, item: &Map<String, Value>) {
    for (n, (k, v)) in item.iter().enumerate() {
        let lead = if n == 0 { "  - " } else { "    " };
        writeln!(out, "{lead}{k}: {v}").unwrap();
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// a0deploy's YAML format: `tenant.yaml` with `clients`, `connections`, `databases` (the `auth0`
/// strategy ones), `rules` (scripts in `rules/*.js`) and `emailTemplates` (bodies in
/// `emailTemplates/*.html`).
fn write_a0deploy_tree(dir: &Path, t: &Tenant) -> PathBuf {
    let mut y = String::from("clients:\n");
    t.clients.iter().for_each(|c| yaml_item(&mut y, c));
    let (dbs, others): (Vec<_>, Vec<_>) =
        t.connections.iter().partition(|c| c["strategy"] == "auth0");
    y.push_str("connections:\n");
    others.iter().for_each(|c| yaml_item(&mut y, c));
    y.push_str("databases:\n");
    dbs.iter().for_each(|c| yaml_item(&mut y, c));
    y.push_str("rules:\n");
    for r in &t.rules {
        let name = r["name"].as_str().unwrap();
        write(
            &dir.join(format!("rules/{name}.js")),
            r["script"].as_str().unwrap(),
        );
        let mut r = r.clone();
        r["script"] = json!(format!("./rules/{name}.js"));
        yaml_item(&mut y, &r);
    }
    y.push_str("emailTemplates:\n");
    for e in &t.emails {
        let name = e["template"].as_str().unwrap();
        write(
            &dir.join(format!("emailTemplates/{name}.html")),
            e["body"].as_str().unwrap(),
        );
        let mut e = e.clone();
        e["body"] = json!(format!("./emailTemplates/{name}.html"));
        yaml_item(&mut y, &e);
    }
    let file = dir.join("tenant.yaml");
    write(&file, &y);
    file
}

/// a0ctl's v2 manifests: one file per kind, each with `api: v2`, scripts and bodies as
/// `{file: …}`.
fn write_a0ctl_tree(dir: &Path, t: &Tenant) -> PathBuf {
    let mut clients = String::from("api: v2\nclients:\n");
    t.clients.iter().for_each(|c| yaml_item(&mut clients, c));
    write(&dir.join("clients.yaml"), &clients);

    let mut connections = String::from("api: v2\nconnections:\n");
    t.connections
        .iter()
        .for_each(|c| yaml_item(&mut connections, c));
    write(&dir.join("connections.yaml"), &connections);

    let mut rules = String::from("api: v2\nrules:\n");
    for r in &t.rules {
        let name = r["name"].as_str().unwrap();
        write(
            &dir.join(format!("rules/{name}.js")),
            r["script"].as_str().unwrap(),
        );
        let mut r = r.clone();
        r["script"] = json!({"file": format!("rules/{name}.js")});
        yaml_item(&mut rules, &r);
    }
    write(&dir.join("rules.yaml"), &rules);

    let mut emails = String::from("api: v2\nemails:\n");
    for e in &t.emails {
        let name = e["template"].as_str().unwrap();
        write(
            &dir.join(format!("emails/{name}.html")),
            e["body"].as_str().unwrap(),
        );
        let mut e = e.clone();
        e["body"] = json!({"file": format!("emails/{name}.html")});
        yaml_item(&mut emails, &e);
    }
    write(&dir.join("emails.yaml"), &emails);
    dir.to_path_buf()
}

// ---------------------------------------------------------------------------------------------
// The emulator.

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// `a0ctl emulator --tls` with the benchmark's latency and rate limit, a state file in `dir`, and
/// a v2 token of the global client for its stats and for reading the tenant back.
struct Emulator {
    child: Child,
    /// `127.0.0.1:PORT`
    host: String,
    cert: PathBuf,
    http: reqwest::Client,
    token: String,
}

impl Emulator {
    fn start(dir: &Path) -> Emulator {
        std::fs::create_dir_all(dir).unwrap();
        let cert = dir.join("emulator.pem");
        let log = std::fs::File::create(dir.join("emulator.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(["emulator", "--tls", "--listen", "127.0.0.1:0"])
            .args(["--latency-ms", &LATENCY_MS.to_string()])
            .args(["--rate-limit", &RATE_LIMIT.to_string()])
            .arg("--state")
            .arg(dir.join("tenant.db"))
            .arg("--tls-cert-out")
            .arg(&cert)
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start a0ctl emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        let host = line
            .trim()
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("unexpected first line of the emulator: {line:?}"))
            .to_string();
        let pem = std::fs::read(&cert).expect("the emulator's certificate");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a PEM"))
            .build()
            .expect("an HTTP client");
        let body = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "grant_type": "client_credentials", "audience": format!("https://{host}/api/v2/")});
        let token: Value = runtime().block_on(async {
            http.post(format!("https://{host}/oauth/token"))
                .json(&body)
                .send()
                .await
                .expect("a token")
                .json()
                .await
                .expect("a token's JSON")
        });
        let token = token["access_token"]
            .as_str()
            .expect("access_token")
            .to_string();
        Emulator {
            child,
            host,
            cert,
            http,
            token,
        }
    }

    /// A GET with the global token; 429s (the benchmark's own reads share the rate limit) are
    /// waited out.
    fn get(&self, path: &str) -> Value {
        runtime().block_on(async {
            loop {
                let r = self
                    .http
                    .get(format!("https://{}{path}", self.host))
                    .bearer_auth(&self.token)
                    .send()
                    .await
                    .expect("GET");
                if r.status() == 429 {
                    tokio::time::sleep(Duration::from_millis(1100)).await;
                    continue;
                }
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                assert!(status.is_success(), "GET {path}: {status} {body}");
                return body;
            }
        })
    }

    fn counters(&self) -> Counters {
        Counters::of(&self.get("/__emulator/stats"))
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `/__emulator/stats` counts so far.
#[derive(Clone, Default)]
struct Counters {
    /// Every request to `/api/…` and `/oauth/token`, 429s included.
    total: u64,
    /// POST, PATCH, PUT and DELETE to `/api/…` (a token request is not a write).
    writes: u64,
    /// Answers 429.
    limited: u64,
    /// Requests by route template (`PATCH /api/v2/rules/{id}`).
    routes: BTreeMap<String, u64>,
}

impl Counters {
    fn of(stats: &Value) -> Counters {
        let routes: BTreeMap<String, u64> = stats["by_route"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(route, n)| (route.clone(), n.as_u64().unwrap_or(0)))
            .collect();
        let writes = routes
            .iter()
            .filter(|(route, _)| {
                let method = route.split(' ').next().unwrap_or_default();
                matches!(method, "POST" | "PATCH" | "PUT" | "DELETE")
                    && !route.ends_with(" /oauth/token")
            })
            .map(|(_, n)| n)
            .sum();
        Counters {
            total: stats["total"].as_u64().unwrap_or(0),
            writes,
            limited: stats["by_status"]["429"].as_u64().unwrap_or(0),
            routes,
        }
    }

    /// The routes requested since `before`, with how many times.
    fn routes_since(&self, before: &Counters) -> Vec<(String, u64)> {
        self.routes
            .iter()
            .map(|(route, n)| {
                (
                    route.clone(),
                    n - before.routes.get(route).copied().unwrap_or(0),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the tenant back.

/// Whether the tenant holds `want` (every declared field equal; connections' enabled clients
/// compared by name): `Err` names the first difference.
fn check_tenant(emulator: &Emulator, want: &Tenant) -> Result<(), String> {
    let clients = emulator.get("/api/v2/clients?is_global=false&per_page=100");
    let clients = clients.as_array().cloned().unwrap_or_default();
    let names: BTreeMap<String, String> = clients
        .iter()
        .map(|c| {
            (
                c["client_id"].as_str().unwrap_or_default().to_string(),
                c["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut connections = emulator.get("/api/v2/connections?per_page=100");
    for c in connections.as_array_mut().into_iter().flatten() {
        let enabled: BTreeSet<String> = c["enabled_clients"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|id| {
                let id = id.as_str().unwrap_or_default();
                names.get(id).cloned().unwrap_or_else(|| id.to_string())
            })
            .collect();
        c["enabled_clients"] = json!(enabled);
    }
    let rules = emulator.get("/api/v2/rules?per_page=100");
    let emails: Vec<Value> = EMAIL_TEMPLATES
        .iter()
        .map(|t| emulator.get(&format!("/api/v2/email-templates/{t}")))
        .collect();
    compare("clients", "name", &want.clients, &clients)?;
    let mut want_connections = want.connections.clone();
    for c in &mut want_connections {
        let mut enabled: Vec<Value> = c["enabled_clients"].as_array().unwrap().clone();
        enabled.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        c["enabled_clients"] = Value::Array(enabled);
    }
    compare(
        "connections",
        "name",
        &want_connections,
        connections.as_array().map_or(&[], Vec::as_slice),
    )?;
    compare(
        "rules",
        "name",
        &want.rules,
        rules.as_array().map_or(&[], Vec::as_slice),
    )?;
    compare("email templates", "template", &want.emails, &emails)
}

/// The access tenant holds what `want` declares: its APIs, grants (by client name) and roles
/// with their permissions.
fn check_access(emulator: &Emulator, want: &Access) -> Result<(), String> {
    let clients = emulator.get("/api/v2/clients?is_global=false&per_page=100");
    let names: BTreeMap<String, String> = clients
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["client_id"].as_str().unwrap_or_default().to_string(),
                c["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let apis: Vec<Value> = emulator
        .get("/api/v2/resource-servers?per_page=100")
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["is_system"] != true)
        .cloned()
        .collect();
    compare("resource servers", "identifier", &want.apis, &apis)?;
    let grants: Vec<Value> = emulator
        .get("/api/v2/client-grants?per_page=100")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| {
            let client = names.get(g["client_id"].as_str()?)?;
            Some(json!({"client": client, "audience": g["audience"], "scope": g["scope"]}))
        })
        .collect();
    let key = |g: &Value| format!("{} -> {}", g["client"], g["audience"]);
    let want_grants: Vec<Map<String, Value>> = want
        .grants
        .iter()
        .map(|g| {
            let mut g = g.clone();
            g.insert("key".into(), json!(key(&Value::Object(g.clone()))));
            g
        })
        .collect();
    let grants: Vec<Value> = grants
        .into_iter()
        .map(|mut g| {
            g["key"] = json!(key(&g));
            g
        })
        .collect();
    compare("client grants", "key", &want_grants, &grants)?;
    let mut roles: Vec<Value> = emulator
        .get("/api/v2/roles?per_page=100")
        .as_array()
        .cloned()
        .unwrap_or_default();
    for r in &mut roles {
        let id = r["id"].as_str().unwrap_or_default().to_string();
        let mut permissions: Vec<Value> = emulator
            .get(&format!("/api/v2/roles/{id}/permissions?per_page=100"))
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                json!({"resource_server": p["resource_server_identifier"],
                       "scope": p["permission_name"]})
            })
            .collect();
        permissions.sort_by_key(|p| p.to_string());
        r["permissions"] = Value::Array(permissions);
    }
    let want_roles: Vec<Map<String, Value>> = want
        .roles
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let mut p = r["permissions"].as_array().unwrap().clone();
            p.sort_by_key(|p| p.to_string());
            r["permissions"] = Value::Array(p);
            r
        })
        .collect();
    compare("roles", "name", &want_roles, &roles)
}

fn compare(
    kind: &str,
    key: &str,
    want: &[Map<String, Value>],
    live: &[Value],
) -> Result<(), String> {
    if want.len() != live.len() {
        return Err(format!(
            "{} {kind} in the tenant, {} declared",
            live.len(),
            want.len()
        ));
    }
    for w in want {
        let Some(l) = live.iter().find(|l| l[key] == w[key]) else {
            return Err(format!("{kind} {} is missing", w[key]));
        };
        for (field, value) in w {
            if !contains(&l[field], value) {
                return Err(format!(
                    "{kind} {}: {field} is {}, declared {value}",
                    w[key], l[field]
                ));
            }
        }
    }
    Ok(())
}

/// `live` equals `want`, except that an object may carry more keys than declared.
fn contains(live: &Value, want: &Value) -> bool {
    match (live, want) {
        (Value::Object(l), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| l.get(k).is_some_and(|lv| contains(lv, v))),
        _ => live == want,
    }
}

// ---------------------------------------------------------------------------------------------
// The tools.

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tool {
    A0deploy,
    A0ctl,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::A0deploy => "a0deploy",
            Tool::A0ctl => "a0ctl",
        }
    }
}

/// Where each tool's trees and installation are.
struct Setup {
    interop: PathBuf,
    work: PathBuf,
    /// Per tool: the tree of the first import, and the tree with ten changes.
    trees: BTreeMap<Tool, [PathBuf; 2]>,
    /// Per tool: the access tenant's tree (steps 5 and 6).
    access: BTreeMap<Tool, PathBuf>,
    /// Per tool: the actions tenant's tree (steps 7 and 8).
    actions: BTreeMap<Tool, PathBuf>,
    /// Per tool: the rest of the tenant's tree (steps 9 and 10).
    rest: BTreeMap<Tool, PathBuf>,
}

/// A command of `tool` against `emulator`, its environment cleared of every AUTH0_ / A0CTL_
/// variable of the caller's so only the benchmark's settings count.
fn command(setup: &Setup, tool: Tool, emulator: &Emulator, args: &[&str]) -> Command {
    let mut cmd = match tool {
        Tool::A0deploy => {
            let mut c = Command::new(setup.interop.join("node_modules/.bin/a0deploy"));
            c.env("AUTH0_DOMAIN", &emulator.host)
                .env("AUTH0_INCLUDED_ONLY", A0DEPLOY_INCLUDED)
                .env("AUTH0_ALLOW_DELETE", "false")
                .env("NODE_EXTRA_CA_CERTS", &emulator.cert);
            c
        }
        Tool::A0ctl => {
            let mut c = Command::new(BIN);
            c.env("AUTH0_DOMAIN", format!("https://{}", emulator.host))
                .env("SSL_CERT_FILE", &emulator.cert)
                .env("NO_COLOR", "1");
            c
        }
    };
    for (k, _) in std::env::vars() {
        if k.starts_with("AUTH0_") || k.starts_with("A0CTL_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .current_dir(&setup.work)
        .stdin(Stdio::null());
    cmd
}

/// The import (apply) of a tree.
fn import(setup: &Setup, tool: Tool, emulator: &Emulator, tree: &Path) -> Command {
    let tree = tree.to_str().unwrap();
    match tool {
        Tool::A0deploy => command(setup, tool, emulator, &["import", "-i", tree]),
        Tool::A0ctl => command(setup, tool, emulator, &["apply", "--yes", tree]),
    }
}

/// The export of the tenant into `out` (which must not exist yet).
fn export(setup: &Setup, tool: Tool, emulator: &Emulator, out: &Path) -> Command {
    let out = out.to_str().unwrap();
    match tool {
        Tool::A0deploy => command(setup, tool, emulator, &["export", "-f", "yaml", "-o", out]),
        Tool::A0ctl => command(
            setup,
            tool,
            emulator,
            &["export", "--api", "v2", "--out", out],
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/// One run of one tool for one step.
#[derive(Clone)]
struct Measurement {
    requests: u64,
    writes: u64,
    limited: u64,
    wall: Duration,
    /// Requests by route (printed on stderr, to see where a tool's requests go).
    routes: Vec<(String, u64)>,
    /// The tenant did not hold the tree afterwards (steps 1 and 3).
    mismatch: Option<String>,
}

/// How one run ended.
#[derive(Clone)]
enum Outcome {
    Done(Measurement),
    /// The tool exited non-zero: its status and the end of its output.
    Failed(String),
}

/// Run `cmd`, counting around it; then check the tenant against `want`, if given.
fn measure(setup: &Setup, emulator: &Emulator, mut cmd: Command, want: Option<&Tenant>) -> Outcome {
    let before = emulator.counters();
    let started = Instant::now();
    let out = cmd.output();
    let wall = started.elapsed();
    let after = emulator.counters();
    let out = match out {
        Ok(out) => out,
        Err(e) => return Outcome::Failed(format!("could not start: {e}")),
    };
    if !out.status.success() {
        // Paths in the temporary directory, relative to it.
        let prefix = format!("{}/", setup.work.display());
        return Outcome::Failed(failure(&out).replace(&prefix, ""));
    }
    let mismatch = want.and_then(|t| check_tenant(emulator, t).err());
    Outcome::Done(Measurement {
        requests: after.total - before.total,
        writes: after.writes - before.writes,
        limited: after.limited - before.limited,
        wall,
        routes: after.routes_since(&before),
        mismatch,
    })
}

/// "exit status N" and the first lines of stderr (else stdout), joined on one line: the first
/// error a tool reports is the telling one.
fn failure(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = if stderr.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout)
    } else {
        stderr
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut excerpt: String = lines
        .iter()
        .take(4)
        .copied()
        .collect::<Vec<_>>()
        .join(" ⏎ ");
    if excerpt.chars().count() > 500 {
        excerpt = excerpt.chars().take(500).collect::<String>() + "…";
    }
    if lines.len() > 4 {
        write!(excerpt, " (+{} more lines)", lines.len() - 4).unwrap();
    }
    format!("{}: {excerpt}", out.status)
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Step {
    FirstImport,
    NoChange,
    TenChanges,
    Export,
    AccessImport,
    AccessNoChange,
    ActionsImport,
    ActionsNoChange,
    RestImport,
    RestNoChange,
}

impl Step {
    const ALL: [Step; 10] = [
        Step::FirstImport,
        Step::NoChange,
        Step::TenChanges,
        Step::Export,
        Step::AccessImport,
        Step::AccessNoChange,
        Step::ActionsImport,
        Step::ActionsNoChange,
        Step::RestImport,
        Step::RestNoChange,
    ];

    fn title(self) -> &'static str {
        match self {
            Step::FirstImport => "1. first import of 300 resources",
            Step::NoChange => "2. the same import again, no changes",
            Step::TenChanges => "3. ten changed resources",
            Step::Export => "4. export of the tenant",
            Step::AccessImport => "5. first import of 20 APIs, 60 clients, 60 grants, 10 roles",
            Step::AccessNoChange => "6. the same import again, no changes",
            Step::ActionsImport => "7. first import of 20 actions bound on 3 triggers",
            Step::ActionsNoChange => "8. the same import again, no changes",
            Step::RestImport => {
                "9. first import of 30 organizations, 10 log streams, 2 domains, security, branding"
            }
            Step::RestNoChange => "10. the same import again, no changes",
        }
    }
}

/// Every run so far, by step and tool.
#[derive(Default)]
struct Results {
    runs: BTreeMap<(Step, Tool), Vec<Outcome>>,
}

impl Results {
    fn record(&mut self, step: Step, tool: Tool, outcome: Outcome) {
        match &outcome {
            Outcome::Done(m) => {
                eprintln!(
                    "  {:<9} {:<40} {:>5} requests {:>4} writes {:>4} × 429 {:>8.2} s{}",
                    tool.name(),
                    step.title(),
                    m.requests,
                    m.writes,
                    m.limited,
                    m.wall.as_secs_f64(),
                    m.mismatch
                        .as_deref()
                        .map_or(String::new(), |d| format!("  TENANT MISMATCH: {d}"))
                );
                let routes: Vec<String> =
                    m.routes.iter().map(|(r, n)| format!("{r} {n}")).collect();
                eprintln!("            by route: {}", routes.join(", "));
            }
            Outcome::Failed(why) => {
                eprintln!("  {:<9} {:<40} FAILED {why}", tool.name(), step.title())
            }
        }
        self.runs.entry((step, tool)).or_default().push(outcome);
    }

    /// Whether `tool` failed `step` already (its later runs of it are skipped).
    fn failed(&self, step: Step, tool: Tool) -> bool {
        self.runs
            .get(&(step, tool))
            .is_some_and(|v| v.iter().any(|o| matches!(o, Outcome::Failed(_))))
    }

    fn summary(&self, step: Step, tool: Tool) -> Summary {
        let Some(runs) = self.runs.get(&(step, tool)) else {
            return Summary::Missing;
        };
        if let Some(Outcome::Failed(why)) = runs.iter().find(|o| matches!(o, Outcome::Failed(_))) {
            return Summary::Failed(why.clone());
        }
        let done: Vec<&Measurement> = runs
            .iter()
            .filter_map(|o| match o {
                Outcome::Done(m) => Some(m),
                Outcome::Failed(_) => None,
            })
            .collect();
        if done.is_empty() {
            return Summary::Missing;
        }
        Summary::Measured {
            runs: done.len(),
            requests: median(done.iter().map(|m| m.requests as f64).collect()),
            writes: median(done.iter().map(|m| m.writes as f64).collect()),
            limited: median(done.iter().map(|m| m.limited as f64).collect()),
            wall: median(done.iter().map(|m| m.wall.as_secs_f64()).collect()),
            wall_range: (
                done.iter()
                    .map(|m| m.wall.as_secs_f64())
                    .fold(f64::MAX, f64::min),
                done.iter()
                    .map(|m| m.wall.as_secs_f64())
                    .fold(0.0, f64::max),
            ),
            mismatch: done.iter().find_map(|m| m.mismatch.clone()),
        }
    }
}

/// The medians of a step's runs for one tool.
enum Summary {
    Measured {
        runs: usize,
        requests: f64,
        writes: f64,
        limited: f64,
        wall: f64,
        wall_range: (f64, f64),
        mismatch: Option<String>,
    },
    Failed(String),
    Missing,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A pause so the next step starts in a fresh one-second window of the rate limit.
fn fresh_window() {
    std::thread::sleep(Duration::from_millis(1100));
}

/// Step 1 on a fresh emulator: the emulator, kept for steps 2 to 4.
fn step_first_import(
    setup: &Setup,
    tool: Tool,
    run: usize,
    want: &Tenant,
    results: &mut Results,
) -> Emulator {
    let emulator = Emulator::start(&setup.work.join(format!("{}-{run}", tool.name())));
    fresh_window();
    let cmd = import(setup, tool, &emulator, &setup.trees[&tool][0]);
    results.record(
        Step::FirstImport,
        tool,
        measure(setup, &emulator, cmd, Some(want)),
    );
    emulator
}

/// Step 2: the first tree again.
fn step_no_change(setup: &Setup, tool: Tool, emulator: &Emulator, results: &mut Results) {
    fresh_window();
    let cmd = import(setup, tool, emulator, &setup.trees[&tool][0]);
    results.record(Step::NoChange, tool, measure(setup, emulator, cmd, None));
}

/// Step 3: run `run` goes to the changed tree when even, back to the first when odd: ten
/// resources change either way.
fn step_ten_changes(
    setup: &Setup,
    tool: Tool,
    emulator: &Emulator,
    run: usize,
    tenants: &[Tenant; 2],
    results: &mut Results,
) {
    fresh_window();
    let target = if run.is_multiple_of(2) { 1 } else { 0 };
    let cmd = import(setup, tool, emulator, &setup.trees[&tool][target]);
    results.record(
        Step::TenChanges,
        tool,
        measure(setup, emulator, cmd, Some(&tenants[target])),
    );
}

/// The import of the access tree, a0deploy limited to its kinds.
fn import_access(setup: &Setup, tool: Tool, emulator: &Emulator) -> Command {
    let mut cmd = import(setup, tool, emulator, &setup.access[&tool]);
    if tool == Tool::A0deploy {
        cmd.env("AUTH0_INCLUDED_ONLY", ACCESS_INCLUDED);
    }
    cmd
}

/// Step 5 on a fresh emulator (kept for step 6), the tenant checked afterwards.
fn step_access_import(
    setup: &Setup,
    tool: Tool,
    run: usize,
    want: &Access,
    results: &mut Results,
) -> Emulator {
    let emulator = Emulator::start(&setup.work.join(format!("{}-access-{run}", tool.name())));
    fresh_window();
    let cmd = import_access(setup, tool, &emulator);
    let mut outcome = measure(setup, &emulator, cmd, None);
    if let Outcome::Done(m) = &mut outcome {
        m.mismatch = check_access(&emulator, want).err();
    }
    results.record(Step::AccessImport, tool, outcome);
    emulator
}

/// Step 6: the access tree again.
fn step_access_no_change(setup: &Setup, tool: Tool, emulator: &Emulator, results: &mut Results) {
    fresh_window();
    let cmd = import_access(setup, tool, emulator);
    results.record(
        Step::AccessNoChange,
        tool,
        measure(setup, emulator, cmd, None),
    );
}

/// The import of the actions tree, a0deploy limited to its kinds.
fn import_actions(setup: &Setup, tool: Tool, emulator: &Emulator) -> Command {
    let mut cmd = import(setup, tool, emulator, &setup.actions[&tool]);
    if tool == Tool::A0deploy {
        cmd.env("AUTH0_INCLUDED_ONLY", ACTIONS_INCLUDED);
    }
    cmd
}

/// Step 7 on a fresh emulator (kept for step 8), the tenant checked afterwards.
fn step_actions_import(setup: &Setup, tool: Tool, run: usize, results: &mut Results) -> Emulator {
    let emulator = Emulator::start(&setup.work.join(format!("{}-actions-{run}", tool.name())));
    fresh_window();
    let cmd = import_actions(setup, tool, &emulator);
    let mut outcome = measure(setup, &emulator, cmd, None);
    if let Outcome::Done(m) = &mut outcome {
        m.mismatch = check_actions(&emulator).err();
    }
    results.record(Step::ActionsImport, tool, outcome);
    emulator
}

/// Step 8: the actions tree again.
fn step_actions_no_change(setup: &Setup, tool: Tool, emulator: &Emulator, results: &mut Results) {
    fresh_window();
    let cmd = import_actions(setup, tool, emulator);
    results.record(
        Step::ActionsNoChange,
        tool,
        measure(setup, emulator, cmd, None),
    );
}

/// The import of the rest of the tenant, a0deploy limited to its kinds.
fn import_rest(setup: &Setup, tool: Tool, emulator: &Emulator) -> Command {
    let mut cmd = import(setup, tool, emulator, &setup.rest[&tool]);
    if tool == Tool::A0deploy {
        cmd.env("AUTH0_INCLUDED_ONLY", REST_INCLUDED);
    }
    cmd
}

/// Whether the tenant holds a0ctl's tree of the rest: its plan there is empty.
fn check_rest(setup: &Setup, emulator: &Emulator) -> Result<(), String> {
    let tree = setup.rest[&Tool::A0ctl].to_str().unwrap().to_string();
    let out = command(
        setup,
        Tool::A0ctl,
        emulator,
        &["plan", "--detailed-exitcode", &tree],
    )
    .output()
    .map_err(|e| e.to_string())?;
    match out.status.code() {
        Some(0) => Ok(()),
        _ => Err(format!(
            "a0ctl's plan of the tree is not empty there: {}",
            failure(&out)
        )),
    }
}

/// Step 9 on a fresh emulator (kept for step 10), the tenant checked afterwards.
fn step_rest_import(setup: &Setup, tool: Tool, run: usize, results: &mut Results) -> Emulator {
    let emulator = Emulator::start(&setup.work.join(format!("{}-rest-{run}", tool.name())));
    fresh_window();
    let cmd = import_rest(setup, tool, &emulator);
    let mut outcome = measure(setup, &emulator, cmd, None);
    if let Outcome::Done(m) = &mut outcome {
        m.mismatch = check_rest(setup, &emulator).err();
    }
    results.record(Step::RestImport, tool, outcome);
    emulator
}

/// Step 10: the rest of the tenant again.
fn step_rest_no_change(setup: &Setup, tool: Tool, emulator: &Emulator, results: &mut Results) {
    fresh_window();
    let cmd = import_rest(setup, tool, emulator);
    results.record(
        Step::RestNoChange,
        tool,
        measure(setup, emulator, cmd, None),
    );
}

/// a0deploy's tree of the rest of the tenant: its own export of a tenant a0ctl applied its tree
/// to, so both tools are given the same tenant. `None` (and why) when that fails.
fn a0deploy_rest_tree(setup: &Setup) -> Result<PathBuf, String> {
    let emulator = Emulator::start(&setup.work.join("rest-seed"));
    let out = import(setup, Tool::A0ctl, &emulator, &setup.rest[&Tool::A0ctl])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("a0ctl's apply of the seed: {}", failure(&out)));
    }
    let dir = setup.work.join("a0deploy-rest");
    let mut cmd = export(setup, Tool::A0deploy, &emulator, &dir);
    cmd.env("AUTH0_INCLUDED_ONLY", REST_INCLUDED);
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("a0deploy's export of the seed: {}", failure(&out)));
    }
    Ok(dir.join("tenant.yaml"))
}

/// Step 4: an export into a directory of its own.
fn step_export(setup: &Setup, tool: Tool, emulator: &Emulator, run: usize, results: &mut Results) {
    fresh_window();
    let out = setup.work.join(format!("{}-export-{run}", tool.name()));
    let cmd = export(setup, tool, emulator, &out);
    results.record(Step::Export, tool, measure(setup, emulator, cmd, None));
}

// ---------------------------------------------------------------------------------------------
// Setting up.

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `tests/interop` with its pinned packages installed (`npm ci` from the checked-in lock file
/// when they are not), or why not.
fn interop_dir() -> Result<PathBuf, String> {
    if !have("node") || !have("npm") {
        return Err("`node` and `npm` are needed on the PATH to run auth0-deploy-cli".into());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    let installed = dir
        .join("node_modules/auth0-deploy-cli/package.json")
        .exists()
        && dir.join("node_modules/.bin/a0deploy").exists();
    if !installed {
        eprintln!("npm ci in {} …", dir.display());
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("could not run npm ci: {e}"))?;
        if !out.status.success() {
            return Err(format!("npm ci in tests/interop failed: {}", failure(&out)));
        }
    }
    Ok(dir)
}

struct Args {
    runs: usize,
    tools: Vec<Tool>,
    /// Steps 7 and 8 only (`--actions-only`).
    actions_only: bool,
    /// Steps 9 and 10 only (`--rest-only`).
    rest_only: bool,
}

fn args() -> Args {
    let mut runs = 3;
    let mut tools = vec![Tool::A0deploy, Tool::A0ctl];
    let mut actions_only = false;
    let mut rest_only = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => runs = 1,
            "--actions-only" => actions_only = true,
            "--rest-only" => rest_only = true,
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--runs takes a positive number")
            }
            "--tool" => {
                tools = match it.next().as_deref() {
                    Some("a0deploy") => vec![Tool::A0deploy],
                    Some("a0ctl") => vec![Tool::A0ctl],
                    other => panic!("--tool takes a0deploy or a0ctl, not {other:?}"),
                }
            }
            // `cargo bench` passes `--bench` to every bench program.
            _ => {}
        }
    }
    Args {
        runs,
        tools,
        actions_only,
        rest_only,
    }
}

fn main() {
    let args = args();
    let interop = match interop_dir() {
        Ok(dir) => dir,
        Err(why) => {
            println!("SKIPPED peers benchmark: {why}; nothing was measured");
            return;
        }
    };
    let a0deploy_version =
        std::fs::read_to_string(interop.join("node_modules/auth0-deploy-cli/package.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .and_then(|p| p["version"].as_str().map(str::to_string))
            .unwrap_or_else(|| "(unknown version)".into());
    let work = tempfile::tempdir().expect("a temporary directory");
    let tenants = [tenant(false), tenant(true)];
    let mut trees = BTreeMap::new();
    trees.insert(
        Tool::A0deploy,
        [0, 1].map(|v| {
            write_a0deploy_tree(&work.path().join(format!("a0deploy-tree-{v}")), &tenants[v])
        }),
    );
    trees.insert(
        Tool::A0ctl,
        [0, 1].map(|v| write_a0ctl_tree(&work.path().join(format!("a0ctl-tree-{v}")), &tenants[v])),
    );
    let access = access_tenant();
    let mut access_trees = BTreeMap::new();
    access_trees.insert(
        Tool::A0deploy,
        write_a0deploy_access(&work.path().join("a0deploy-access"), &access),
    );
    access_trees.insert(
        Tool::A0ctl,
        write_a0ctl_access(&work.path().join("a0ctl-access"), &access),
    );
    let mut actions_trees = BTreeMap::new();
    actions_trees.insert(
        Tool::A0deploy,
        write_a0deploy_actions(&work.path().join("a0deploy-actions")),
    );
    actions_trees.insert(
        Tool::A0ctl,
        write_a0ctl_actions(&work.path().join("a0ctl-actions")),
    );
    let mut rest_trees = BTreeMap::new();
    rest_trees.insert(
        Tool::A0ctl,
        write_a0ctl_rest(&work.path().join("a0ctl-rest")),
    );
    let mut setup = Setup {
        interop,
        work: work.path().to_path_buf(),
        trees,
        access: access_trees,
        actions: actions_trees,
        rest: rest_trees,
    };
    let every_step = !args.actions_only && !args.rest_only;
    if every_step || args.rest_only {
        match a0deploy_rest_tree(&setup) {
            Ok(tree) => {
                setup.rest.insert(Tool::A0deploy, tree);
            }
            Err(why) => panic!("cannot make a0deploy's tree of the rest of the tenant: {why}"),
        }
    }
    let mut results = Results::default();
    let runs = args.runs;
    eprintln!(
        "peers: {} run(s) of each step; latency {LATENCY_MS} ms, --rate-limit {RATE_LIMIT}; \
         a0deploy {a0deploy_version}",
        runs
    );

    if every_step {
        // Step 1's first run leaves each tool a tenant for steps 2 to 4; the tools take turns so
        // both see the same load on the machine.
        let mut lanes: Vec<(Tool, Emulator)> = Vec::new();
        for &tool in &args.tools {
            let emulator = step_first_import(&setup, tool, 0, &tenants[0], &mut results);
            if !results.failed(Step::FirstImport, tool) {
                lanes.push((tool, emulator));
            }
        }
        for _ in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::NoChange, *tool) {
                    step_no_change(&setup, *tool, emulator, &mut results);
                }
            }
        }
        for run in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::TenChanges, *tool) {
                    step_ten_changes(&setup, *tool, emulator, run, &tenants, &mut results);
                }
            }
        }
        for run in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::Export, *tool) {
                    step_export(&setup, *tool, emulator, run, &mut results);
                }
            }
        }
        drop(lanes);
        // Steps 5 and 6: the access tenant, on emulators of its own.
        let mut lanes: Vec<(Tool, Emulator)> = Vec::new();
        for &tool in &args.tools {
            let emulator = step_access_import(&setup, tool, 0, &access, &mut results);
            if !results.failed(Step::AccessImport, tool) {
                lanes.push((tool, emulator));
            }
        }
        for _ in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::AccessNoChange, *tool) {
                    step_access_no_change(&setup, *tool, emulator, &mut results);
                }
            }
        }
        drop(lanes);
    }
    // Steps 7 and 8: the actions tenant, on emulators of its own.
    if every_step || args.actions_only {
        let mut lanes: Vec<(Tool, Emulator)> = Vec::new();
        for &tool in &args.tools {
            let emulator = step_actions_import(&setup, tool, 0, &mut results);
            if !results.failed(Step::ActionsImport, tool) {
                lanes.push((tool, emulator));
            }
        }
        for _ in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::ActionsNoChange, *tool) {
                    step_actions_no_change(&setup, *tool, emulator, &mut results);
                }
            }
        }
        drop(lanes);
    }
    // Steps 9 and 10: the rest of the tenant, on emulators of its own.
    if every_step || args.rest_only {
        let mut lanes: Vec<(Tool, Emulator)> = Vec::new();
        for &tool in &args.tools {
            let emulator = step_rest_import(&setup, tool, 0, &mut results);
            if !results.failed(Step::RestImport, tool) {
                lanes.push((tool, emulator));
            }
        }
        for _ in 0..runs {
            for (tool, emulator) in &lanes {
                if !results.failed(Step::RestNoChange, *tool) {
                    step_rest_no_change(&setup, *tool, emulator, &mut results);
                }
            }
        }
        drop(lanes);
    }
    if every_step {
        for run in 1..runs {
            for &tool in &args.tools {
                if !results.failed(Step::FirstImport, tool) {
                    step_first_import(&setup, tool, run, &tenants[0], &mut results);
                }
            }
        }
    }

    let report = render(&results, runs, &a0deploy_version);
    println!("{report}");
    if args.tools.len() == 2 && every_step {
        write_benchmarks(&report);
    } else {
        eprintln!("one tool only, or --actions-only or --rest-only: BENCHMARKS.md left as it is");
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

fn cell(s: &Summary) -> [String; 4] {
    match s {
        Summary::Measured {
            requests,
            writes,
            limited,
            wall,
            wall_range,
            runs,
            ..
        } => {
            let range = if *runs > 1 {
                format!(" ({:.1}–{:.1})", wall_range.0, wall_range.1)
            } else {
                String::new()
            };
            [
                format!("{requests:.0}"),
                format!("{writes:.0}"),
                format!("{wall:.2} s{range}"),
                format!("{limited:.0}"),
            ]
        }
        Summary::Failed(_) => ["failed".into(), "–".into(), "–".into(), "–".into()],
        Summary::Missing => ["not run".into(), "–".into(), "–".into(), "–".into()],
    }
}

/// The ratio columns and the verdict of one step.
fn verdict(step: Step, deploy: &Summary, ctl: &Summary) -> [String; 5] {
    let target = match step {
        Step::NoChange => "≥ 10× fewer requests, ≥ 5× faster, no writes",
        Step::TenChanges => "≥ 10× fewer requests, ≥ 5× faster",
        Step::AccessNoChange | Step::RestNoChange => {
            "≥ 20× fewer requests, ≥ 10× faster, no writes"
        }
        Step::ActionsNoChange => "no writes, fewer requests, faster",
        Step::ActionsImport => "faster, no more 429s, no failure",
        Step::FirstImport | Step::Export | Step::AccessImport | Step::RestImport => {
            "faster, no more 429s"
        }
    };
    let (
        Summary::Measured {
            requests: dr,
            wall: dw,
            limited: dl,
            ..
        },
        Summary::Measured {
            requests: cr,
            wall: cw,
            limited: cl,
            writes: cwr,
            ..
        },
    ) = (deploy, ctl)
    else {
        let why = match ctl {
            Summary::Failed(_) => "a0ctl failed (below)",
            _ => "not measured",
        };
        return [
            "–".into(),
            "–".into(),
            "–".into(),
            target.into(),
            why.into(),
        ];
    };
    let req_ratio = dr / cr.max(1.0);
    let time_ratio = dw / cw.max(1e-9);
    let mut missed = Vec::new();
    match step {
        Step::NoChange | Step::TenChanges => {
            if req_ratio < 10.0 {
                missed.push("requests");
            }
            if time_ratio < 5.0 {
                missed.push("time");
            }
            if step == Step::NoChange && *cwr > 0.0 {
                missed.push("writes");
            }
        }
        Step::ActionsNoChange => {
            if req_ratio <= 1.0 {
                missed.push("requests");
            }
            if time_ratio <= 1.0 {
                missed.push("time");
            }
            if *cwr > 0.0 {
                missed.push("writes");
            }
        }
        Step::ActionsImport => {
            if time_ratio <= 1.0 {
                missed.push("time");
            }
            if cl > dl {
                missed.push("429s");
            }
        }
        Step::AccessNoChange | Step::RestNoChange => {
            if req_ratio < 20.0 {
                missed.push("requests");
            }
            if time_ratio < 10.0 {
                missed.push("time");
            }
            if *cwr > 0.0 {
                missed.push("writes");
            }
        }
        Step::FirstImport | Step::Export | Step::AccessImport | Step::RestImport => {
            if time_ratio <= 1.0 {
                missed.push("time");
            }
            if cl > dl {
                missed.push("429s");
            }
        }
    }
    let met = if missed.is_empty() {
        "met".to_string()
    } else {
        format!("missed: {}", missed.join(", "))
    };
    [
        format!("{req_ratio:.1}×"),
        format!("{time_ratio:.1}×"),
        format!("{dl:.0} / {cl:.0}"),
        target.into(),
        met,
    ]
}

fn render(results: &Results, runs: usize, a0deploy_version: &str) -> String {
    let mut t = String::new();
    writeln!(t, "Measured {} on {}.\n", today(), machine()).unwrap();
    writeln!(
        t,
        "auth0-deploy-cli {a0deploy_version} (node {}) and the release a0ctl, each against its own \
         `a0ctl emulator --tls --latency-ms {LATENCY_MS} --rate-limit {RATE_LIMIT}`; median of \
         {runs} run(s) per step (wall: median, with the range).\n",
        version("node", &["--version"])
    )
    .unwrap();
    writeln!(
        t,
        "| step | tool | requests | writes | wall time | 429s received |"
    )
    .unwrap();
    writeln!(t, "| --- | --- | ---: | ---: | ---: | ---: |").unwrap();
    let mut notes = Vec::new();
    for step in Step::ALL {
        for tool in [Tool::A0deploy, Tool::A0ctl] {
            let s = results.summary(step, tool);
            let [r, w, wall, l] = cell(&s);
            writeln!(
                t,
                "| {} | {} | {r} | {w} | {wall} | {l} |",
                step.title(),
                tool.name()
            )
            .unwrap();
            match &s {
                Summary::Failed(why) => notes.push(format!(
                    "{} failed step {}: `{}`",
                    tool.name(),
                    step.title(),
                    why.replace('`', "'")
                )),
                Summary::Measured {
                    mismatch: Some(d), ..
                } => notes.push(format!(
                    "after {} step {}, the tenant did not hold the tree: {d}",
                    tool.name(),
                    step.title()
                )),
                _ => {}
            }
        }
    }
    writeln!(
        t,
        "\n| step | requests a0deploy ÷ a0ctl | wall a0deploy ÷ a0ctl | 429s a0deploy / a0ctl | target | |"
    )
    .unwrap();
    writeln!(t, "| --- | ---: | ---: | ---: | --- | --- |").unwrap();
    for step in Step::ALL {
        let [rr, tr, l, target, met] = verdict(
            step,
            &results.summary(step, Tool::A0deploy),
            &results.summary(step, Tool::A0ctl),
        );
        writeln!(
            t,
            "| {} | {rr} | {tr} | {l} | {target} | {met} |",
            step.title()
        )
        .unwrap();
    }
    if !notes.is_empty() {
        t.push('\n');
        for n in notes {
            writeln!(t, "- {n}").unwrap();
        }
    }
    t
}

fn write_benchmarks(report: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let mut doc = std::fs::read_to_string(&path).unwrap_or_default();
    let begin = "<!-- peers:begin -->";
    let end = "<!-- peers:end -->";
    let block = format!("{begin}\n{report}{end}");
    match (doc.find(begin), doc.find(end)) {
        (Some(b), Some(e)) if b < e => doc.replace_range(b..e + end.len(), &block),
        _ => {
            write!(doc, "\n## Side by side with auth0-deploy-cli\n\n{block}\n").unwrap();
        }
    }
    std::fs::write(&path, doc).expect("write BENCHMARKS.md");
    eprintln!("wrote {}", path.display());
}
