//! Interop with unmodified clients (versions pinned in `tests/interop/package.json`, installed
//! with `npm ci` from the checked-in lock file), against the emulator started with `--tls` and
//! trusted through NODE_EXTRA_CA_CERTS:
//! - the `auth0` npm SDK runs `tests/interop/sdk.js`, whose last line must be `15 passed, 0 failed`;
//! - auth0-deploy-cli (`a0deploy`) exports a seeded tenant limited to clients, connections,
//!   databases, rules and email templates, and imports an edited export; both exit 0 and the
//!   tenant then holds the edits.
//!
//! Without `node` or `npm` on the PATH each test says so and skips, except under `CI=true`,
//! where it fails: CI proves interop or does not pass.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// How many checks `sdk.js` makes: a script that ran fewer did not prove them.
const SDK_CHECKS: usize = 17;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The interop directory with its packages installed, or `None` (with the reason printed)
/// when `node` or `npm` is missing.
fn interop_dir(test: &str) -> Option<PathBuf> {
    if !have("node") || !have("npm") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: `node` and `npm` are needed on the PATH under CI=true; interop is never skipped in CI"
        );
        eprintln!(
            "SKIPPED {test}: `node` and `npm` are needed on the PATH to run the unmodified \
             clients of tests/interop; nothing was checked"
        );
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    // The tests of this file run at once: one `npm ci` at a time, or two would write the same
    // node_modules together.
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _installing = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let installed = ["auth0", "auth0-deploy-cli"].iter().all(|p| {
        dir.join("node_modules")
            .join(p)
            .join("package.json")
            .exists()
    });
    if !installed {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("run npm ci");
        assert!(
            out.status.success(),
            "npm ci in tests/interop failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Some(dir)
}

/// A child process killed (and reaped) when dropped, so a failing test leaves no emulator behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `a0ctl emulator --tls` on a free port with the given global client: the process, its
/// `HOST:PORT`, and the path of its certificate (in `tmp`).
fn start_tls_emulator(tmp: &Path, id: &str, secret: &str) -> (Running, String, PathBuf) {
    let cert = tmp.join("emulator.pem");
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--tls-cert-out",
        ])
        .arg(&cert)
        .args(["--client-id", id, "--client-secret", secret])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map(Running)
        .expect("start the emulator");
    let mut line = String::new();
    BufReader::new(emulator.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let domain = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (emulator, domain, cert)
}

#[test]
fn the_unmodified_auth0_sdk_manages_the_emulator_over_tls() {
    let Some(dir) = interop_dir("the_unmodified_auth0_sdk_manages_the_emulator_over_tls") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (emulator, domain, cert) = start_tls_emulator(tmp.path(), "interop-id", "interop-secret");

    let out = Command::new("node")
        .arg("sdk.js")
        .current_dir(&dir)
        .env("A0_DOMAIN", &domain)
        .env("A0_CLIENT_ID", "interop-id")
        .env("A0_CLIENT_SECRET", "interop-secret")
        .env("NODE_EXTRA_CA_CERTS", &cert)
        .output()
        .expect("run node");
    drop(emulator);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("{SDK_CHECKS} passed, 0 failed"),
        "sdk.js:\n{stdout}\n{stderr}"
    );
    assert!(
        out.status.success(),
        "sdk.js exited {:?}:\n{stdout}\n{stderr}",
        out.status
    );
}

/// `a0deploy` with the tenant's credentials in its environment, limited to the kinds it
/// round-trips here; its output when it exits 0.
fn a0deploy(dir: &Path, domain: &str, cert: &Path, args: &[&str]) -> String {
    a0deploy_of(
        dir,
        domain,
        cert,
        args,
        r#"["clients","connections","databases","rules","emailTemplates"]"#,
    )
}

/// `a0deploy ARGS` managing only the resource types `included` (a JSON list).
fn a0deploy_of(dir: &Path, domain: &str, cert: &Path, args: &[&str], included: &str) -> String {
    let out = Command::new(dir.join("node_modules/.bin/a0deploy"))
        .args(args)
        .current_dir(cert.parent().unwrap())
        .env("AUTH0_DOMAIN", domain)
        .env("AUTH0_CLIENT_ID", "deploy-id")
        .env("AUTH0_CLIENT_SECRET", "deploy-secret")
        .env("AUTH0_INCLUDED_ONLY", included)
        .env("NODE_EXTRA_CA_CERTS", cert)
        .output()
        .expect("run a0deploy");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "a0deploy {args:?} exited {:?}:\n{text}",
        out.status
    );
    text
}

/// Replace `from` (which must occur) by `to` in a file.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} has no {from:?}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth0_deploy_cli_exports_and_imports_an_edit_over_tls() {
    let Some(dir) = interop_dir("auth0_deploy_cli_exports_and_imports_an_edit_over_tls") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (emulator, domain, cert) = start_tls_emulator(tmp.path(), "deploy-id", "deploy-secret");
    let pem = std::fs::read(&cert).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let base = format!("https://{domain}");
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .json(
            &json!({"client_id": "deploy-id", "client_secret": "deploy-secret",
                      "grant_type": "client_credentials", "audience": format!("{base}/api/v2/")}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{base}/api/v2{path}"))
            .bearer_auth(&token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(status < 300, "{status}: {body}");
            body
        }
    };
    use reqwest::Method;
    let app = call(Method::POST, "/clients",
        Some(json!({"name": "web", "app_type": "regular_web", "callbacks": ["https://web.example/cb"]}))).await;
    let app = app["client_id"].as_str().unwrap().to_string();
    call(
        Method::POST,
        "/connections",
        Some(json!({"name": "Username-Password", "strategy": "auth0",
        "options": {"requires_username": false}, "enabled_clients": [app]})),
    )
    .await;
    call(
        Method::POST,
        "/connections",
        Some(json!({"name": "google-oauth2",
        "strategy": "google-oauth2", "options": {"email": true}, "enabled_clients": [app]})),
    )
    .await;
    call(
        Method::POST,
        "/rules",
        Some(json!({"name": "hello",
        "script": "function (user, context, callback) { callback(null, user, context); }"})),
    )
    .await;
    call(
        Method::POST,
        "/email-templates",
        Some(json!({"template": "welcome_email",
        "body": "<p>hi</p>", "from": "a@example.com", "subject": "Hi", "syntax": "liquid",
        "enabled": true})),
    )
    .await;

    let export = tmp.path().join("export");
    a0deploy(
        &dir,
        &domain,
        &cert,
        &["export", "-f", "yaml", "-o", export.to_str().unwrap()],
    );
    let tenant = export.join("tenant.yaml");
    edit(&tenant, "subject: Hi", "subject: Edited");
    edit(
        &tenant,
        "requires_username: false",
        "requires_username: true",
    );
    edit(
        &tenant,
        "https://web.example/cb",
        "https://web.example/edited",
    );
    let rule = export.join("rules/hello.js");
    edit(&rule, "{ callback", "{ /* edited */ callback");
    a0deploy(
        &dir,
        &domain,
        &cert,
        &["import", "-i", tenant.to_str().unwrap()],
    );

    let rules = call(Method::GET, "/rules", None).await;
    assert!(
        rules[0]["script"]
            .as_str()
            .unwrap()
            .contains("/* edited */"),
        "{rules}"
    );
    let client = call(Method::GET, &format!("/clients/{app}"), None).await;
    assert_eq!(client["callbacks"], json!(["https://web.example/edited"]));
    let db = call(Method::GET, "/connections?name=Username-Password", None).await;
    assert_eq!(db[0]["options"]["requires_username"], true, "{db}");
    assert_eq!(db[0]["enabled_clients"], json!([app]), "{db}");
    let template = call(Method::GET, "/email-templates/welcome_email", None).await;
    assert_eq!(template["subject"], "Edited");
    // Nothing was created twice.
    assert_eq!(
        call(Method::GET, "/clients?is_global=false", None)
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        call(Method::GET, "/connections", None)
            .await
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    drop(emulator);
}

/// a0ctl at an emulator over TLS, with the round trips' global client: exit code and output.
fn a0ctl_at(domain: &str, cert: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(args)
        .env("AUTH0_DOMAIN", format!("https://{domain}"))
        .env("AUTH0_CLIENT_ID", "deploy-id")
        .env("AUTH0_CLIENT_SECRET", "deploy-secret")
        .env("SSL_CERT_FILE", cert)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// What a0ctl applies from `manifest`, a0deploy (limited to `included`) exports, imports into a
/// fresh tenant and exports again unchanged; the manifest plans empty on that tenant, and so
/// does a0ctl's export of it. Returns a0deploy's `tenant.yaml`.
fn round_trip_through_a0deploy(dir: &Path, manifest: &str, included: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("t.yaml");
    std::fs::write(&tree, manifest).unwrap();
    let tree = tree.to_str().unwrap();
    let (first_dir, second_dir) = (tmp.path().join("first"), tmp.path().join("second"));
    std::fs::create_dir_all(&first_dir).unwrap();
    std::fs::create_dir_all(&second_dir).unwrap();
    let (first, first_domain, first_cert) =
        start_tls_emulator(&first_dir, "deploy-id", "deploy-secret");
    let (code, text) = a0ctl_at(&first_domain, &first_cert, &["apply", "--yes", tree]);
    assert_eq!(code, Some(0), "{text}");
    let exported = tmp.path().join("exported");
    a0deploy_of(
        dir,
        &first_domain,
        &first_cert,
        &["export", "-f", "yaml", "-o", exported.to_str().unwrap()],
        included,
    );
    drop(first);

    let (second, domain, cert) = start_tls_emulator(&second_dir, "deploy-id", "deploy-secret");
    let file = exported.join("tenant.yaml");
    a0deploy_of(
        dir,
        &domain,
        &cert,
        &["import", "-i", file.to_str().unwrap()],
        included,
    );
    let again = tmp.path().join("again");
    a0deploy_of(
        dir,
        &domain,
        &cert,
        &["export", "-f", "yaml", "-o", again.to_str().unwrap()],
        included,
    );
    let (a, b) = (
        std::fs::read_to_string(&file).unwrap(),
        std::fs::read_to_string(again.join("tenant.yaml")).unwrap(),
    );
    // What each tenant generates for itself (a stream's event source, a domain's origin and
    // verification record) differs between two tenants, as on the service.
    let generated = |text: &str| -> String {
        text.lines()
            .map(|l| match l.split_once(": ") {
                Some((k, _))
                    if ["awsPartnerEventSource", "origin_domain_name", "record"]
                        .contains(&k.trim_start_matches([' ', '-'])) =>
                {
                    format!("{k}: [GENERATED]")
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        generated(&a),
        generated(&b),
        "a0deploy exports what it imported"
    );
    let (code, text) = a0ctl_at(&domain, &cert, &["plan", "--detailed-exitcode", tree]);
    assert_eq!(
        code,
        Some(0),
        "the manifests a0ctl applied plan empty on a0deploy's tenant:\n{text}"
    );
    let ours = tmp.path().join("ours");
    let (code, text) = a0ctl_at(&domain, &cert, &["export", "--out", ours.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = a0ctl_at(
        &domain,
        &cert,
        &["plan", "--detailed-exitcode", ours.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{text}");
    drop(second);
    a
}

/// a0ctl and a0deploy agree on APIs, grants, roles and the tenant's settings.
#[test]
fn auth0_deploy_cli_carries_apis_grants_roles_and_settings_that_a0ctl_applied() {
    let Some(dir) =
        interop_dir("auth0_deploy_cli_carries_apis_grants_roles_and_settings_that_a0ctl_applied")
    else {
        return;
    };
    let exported = round_trip_through_a0deploy(
        &dir,
        "api: v2\nclients:\n  - {name: worker, app_type: non_interactive}\nresource_servers:\n  - identifier: https://orders.example.com\n    name: Orders\n    signing_alg: RS256\n    scopes:\n      - {value: read:orders, description: Read orders}\n      - {value: write:orders, description: Write orders}\nclient_grants:\n  - {client: worker, audience: https://orders.example.com, scope: [read:orders]}\nroles:\n  - name: Clerk\n    description: Takes orders\n    permissions:\n      - {resource_server: https://orders.example.com, scope: read:orders}\ntenant:\n  friendly_name: Acme\n  session_lifetime: 72\n",
        r#"["resourceServers","clientGrants","roles","tenant","clients"]"#,
    );
    for kind in ["resourceServers:", "clientGrants:", "roles:", "tenant:"] {
        assert!(exported.contains(kind), "{kind}\n{exported}");
    }
}

/// a0ctl and a0deploy agree on actions (built, deployed; a0deploy's import deploys through the
/// emulator's build delay) and the triggers that bind them, in order, with display names.
#[test]
fn auth0_deploy_cli_carries_the_actions_and_bindings_that_a0ctl_applied() {
    let Some(dir) =
        interop_dir("auth0_deploy_cli_carries_the_actions_and_bindings_that_a0ctl_applied")
    else {
        return;
    };
    let exported = round_trip_through_a0deploy(
        &dir,
        r#"api: v2
actions:
  - name: add-claims
    code: |
      exports.onExecutePostLogin = async (event, api) => {
        api.idToken.setCustomClaim("https://example.com/plan", "gold");
      };
    runtime: node22
    supported_triggers: [{id: post-login, version: v3}]
    dependencies: [{name: lodash, version: 4.17.21}]
    secrets: [{name: PLAN_KEY, value: plan-key-value-9f2}]
  - name: second
    code: "exports.onExecutePostLogin = async () => {};"
    runtime: node22
    supported_triggers: [{id: post-login, version: v3}]
  - name: m2m
    code: "exports.onExecuteCredentialsExchange = async () => {};"
    runtime: node22
    supported_triggers: [{id: credentials-exchange, version: v2}]
triggers:
  - trigger: post-login
    bindings: [{action: second}, {action: add-claims, display_name: Claims}]
  - trigger: credentials-exchange
    bindings: [{action: m2m}]
"#,
        r#"["actions","triggers"]"#,
    );
    for want in [
        "actions:",
        "triggers:",
        "post-login:",
        "display_name: Claims",
    ] {
        assert!(exported.contains(want), "{want}\n{exported}");
    }
    assert!(!exported.contains("plan-key-value-9f2"), "{exported}");
}

/// a0ctl and a0deploy agree on organizations and the connections each enables (a0deploy names
/// them by name too, and reads each organization's client grants, which the emulator serves).
#[test]
fn auth0_deploy_cli_carries_the_organizations_that_a0ctl_applied() {
    let Some(dir) = interop_dir("auth0_deploy_cli_carries_the_organizations_that_a0ctl_applied")
    else {
        return;
    };
    let exported = round_trip_through_a0deploy(
        &dir,
        r##"api: v2
connections:
  - {name: Users, strategy: auth0, options: {disable_self_service_change_password: false}}
  - {name: Partners, strategy: auth0, options: {disable_self_service_change_password: false}}
organizations:
  - name: acme
    display_name: Acme Corp
    branding:
      logo_url: https://acme.example.com/logo.png
      colors: {primary: "#0059d6", page_background: "#ffffff"}
    metadata: {tier: gold}
    connections:
      - {connection: Users, assign_membership_on_login: true}
      - {connection: Partners, is_signup_enabled: true}
  - name: globex
    connections:
      - {connection: Partners}
"##,
        r#"["organizations","databases"]"#,
    );
    for want in [
        "organizations:",
        "name: acme",
        "display_name: Acme Corp",
        "name: Partners",
    ] {
        assert!(exported.contains(want), "{want}\n{exported}");
    }
}

/// a0ctl and a0deploy agree on attack protection, MFA, log streams, custom domains, branding,
/// the prompts settings and the prompts' custom text (a0deploy's `prompts` type reads their
/// partials too, which the emulator's plan has not: 403, which a0deploy takes as such).
#[test]
fn auth0_deploy_cli_carries_the_security_logging_and_branding_that_a0ctl_applied() {
    let Some(dir) = interop_dir(
        "auth0_deploy_cli_carries_the_security_logging_and_branding_that_a0ctl_applied",
    ) else {
        return;
    };
    let exported = round_trip_through_a0deploy(
        &dir,
        r##"api: v2
attack_protection:
  - name: brute-force-protection
    max_attempts: 5
    shields: [block, user_notification]
  - name: suspicious-ip-throttling
    enabled: false
  - name: breached-password-detection
    enabled: true
    shields: [admin_notification, block]
    admin_notification_frequency: [daily]
guardian_factors:
  - {name: otp, enabled: true}
  - {name: email, enabled: true}
guardian_policies:
  policies: [all-applications]
log_streams:
  - name: bridge
    type: eventbridge
    sink: {awsAccountId: "123456789012", awsRegion: eu-west-1}
    filters: [{name: auth.login.fail}]
custom_domains:
  - domain: login.example.com
    type: auth0_managed_certs
    tls_policy: recommended
branding:
  colors: {primary: "#0059d6", page_background: "#101010"}
  logo_url: https://cdn.example.com/logo.png
branding_templates:
  - template: universal-login
    body: "<html><head>{%- auth0:head -%}</head><body>{%- auth0:widget -%}</body></html>"
prompts:
  identifier_first: true
prompt_texts:
  - prompt: login
    language: en
    custom_text:
      login: {title: Welcome to Acme, description: Log in to Acme}
  - prompt: signup-password
    language: en
    custom_text:
      signup-password: {passwordPlaceholder: Choose a password}
"##,
        r#"["attackProtection","guardianFactors","guardianPolicies","logStreams","customDomains","branding","prompts"]"#,
    );
    for kind in [
        "attackProtection:",
        "guardianFactors:",
        "guardianPolicies:",
        "logStreams:",
        "customDomains:",
        "branding:",
        "prompts:",
        "identifier_first: true",
        "customText:",
        "title: Welcome to Acme",
        "passwordPlaceholder: Choose a password",
    ] {
        assert!(exported.contains(kind), "{kind}\n{exported}");
    }
}
