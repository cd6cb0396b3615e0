//! The promises kept at the seams between modules (issue: secrets, saved plans, concurrent
//! applies, hostile input): each test is a case that broke before, through the real binary,
//! against the emulator or a hostile tenant served here on 127.0.0.1.

mod harness;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, Response, StatusCode};
use harness::{Env, assert_exit, json, outcome, stderr, stdout, tree, write};
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

type Handler = Arc<dyn Fn(&Method, &str, &[u8]) -> Response<Body> + Send + Sync>;

/// A tenant that answers as `handler` says, on 127.0.0.1; its token call always succeeds.
async fn hostile(handler: Handler) -> String {
    let token: Handler = Arc::new(move |method, path, body| {
        if path == "/oauth/token" {
            return json_response(200, json!({"access_token": "tok", "token_type": "bearer"}));
        }
        handler(method, path, body)
    });
    hostile_raw(token).await
}

/// A tenant that answers every request, the token's included, as `handler` says.
async fn hostile_raw(handler: Handler) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |req: Request<Body>| {
        let handler = handler.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let path = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            handler(&parts.method, &path, &bytes)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn json_response(status: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// An empty v1 tenant's answers to reads.
fn empty_tenant(method: &Method, path: &str) -> Option<Response<Body>> {
    if method != Method::GET {
        return None;
    }
    Some(match path.split('?').next().unwrap_or_default() {
        "/api/connections" | "/api/clients" | "/api/rules" => json_response(200, json!([])),
        p if p.starts_with("/api/emails/") => json_response(
            404,
            json!({"error": "not_found", "error_description": "no template"}),
        ),
        _ => return None,
    })
}

/// The binary pointed at a tenant address.
fn a0ctl(domain: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AUTH0_DOMAIN", domain)
        .env("AUTH0_CLIENT_ID", "id")
        .env("AUTH0_CLIENT_SECRET", "secret")
        .env_remove("AUTH0_TOKEN")
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    cmd
}

/// Run with a bound: a hang is a failure, not a stuck suite.
async fn bounded(mut cmd: tokio::process::Command, secs: u64) -> std::process::Output {
    tokio::time::timeout(Duration::from_secs(secs), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("a0ctl did not finish within {secs} s"))
        .expect("run a0ctl")
}

fn all_output(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

// --- The structural fixes --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_consumer_hides_the_same_nested_dotted_and_slashed_secret_keys() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    // From the environment, under keys holding `.` and `/`, nested; and a short nested secret
    // by name alone in the tenant.
    write(
        dir.path(),
        "t.yaml",
        "connections:\n  - name: corp\n    strategy: auth0\n    options:\n      api.key: '${DOTTED_SECRET}'\n      upstream:\n        a/b: {client_secret: '${SLASHED_SECRET}'}\n      plain: visible-value\n",
    );
    let with_env = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("DOTTED_SECRET", "dotted-secret-value-1")
            .env("SLASHED_SECRET", "slashed-secret-value-2");
        cmd
    };
    let leaked = |text: &str| {
        ["dotted-secret-value-1", "slashed-secret-value-2", "q7z"]
            .into_iter()
            .find(|s| text.contains(s))
    };
    for format in ["text", "json", "markdown"] {
        let out = with_env(&["plan", d, "--format", format, "-vv"])
            .output()
            .await
            .unwrap();
        assert_exit(&out, 0);
        assert_eq!(leaked(&all_output(&out)), None, "{}", all_output(&out));
        // `visible-value` in clear (stdout only: `-vv` logs calls as they finish).
        insta::assert_snapshot!(
            format!("{format}_plan_of_nested_secrets"),
            env.filters().apply(&stdout(&out))
        );
    }
    // The plan file holds neither value, and applies (case 1: `api.key` was written in clear).
    let out = with_env(&["plan", d, "--out", p]).output().await.unwrap();
    assert_exit(&out, 0);
    let saved = std::fs::read_to_string(&pf).unwrap();
    assert_eq!(leaked(&saved), None, "{saved}");
    let out = with_env(&["apply", "--plan", p, "--yes", "-vv"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(leaked(&all_output(&out)), None, "{}", all_output(&out));
    let options = env.get("/api/connections/corp").await["options"].clone();
    assert_eq!(options["api.key"], "dotted-secret-value-1");
    assert_eq!(
        options["upstream"]["a/b"]["client_secret"],
        "slashed-secret-value-2"
    );

    // Export: every nested secret becomes a variable.
    env.call(
        Method::PUT,
        "/api/connections/corp",
        Some(json!({"options": {
            "api.key": "dotted-secret-value-1",
            "configuration": {"API_KEY": "q7z", "db_password": "q7z", "DB_PASS": "db-pass-value-3", "SMTP_PASS": "smtp-pass-value-4"},
            "smtp_pass": "smtp-pass-value-5",
            "signing": {"private_key": "slashed-secret-value-2"},
        }})),
    )
    .await;
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().join("x");
    let out = env
        .run(&["export", "--api", "v1", "--out", o.to_str().unwrap()])
        .await;
    // It names the four variables below.
    insta::assert_snapshot!("export_of_nested_secrets", env.outcome(&out));
    assert_eq!(leaked(&all_output(&out)), None, "{}", all_output(&out));
    let connections = std::fs::read_to_string(o.join("connections.yaml")).unwrap();
    assert_eq!(leaked(&connections), None, "{connections}");
    for var in [
        "${A0_CORP_API_KEY}",
        "${A0_CORP_CONFIGURATION_API_KEY}",
        "${A0_CORP_CONFIGURATION_DB_PASSWORD}",
        "${A0_CORP_CONFIGURATION_DB_PASS}",
        "${A0_CORP_CONFIGURATION_SMTP_PASS}",
        "${A0_CORP_SMTP_PASS}",
        "${A0_CORP_SIGNING_PRIVATE_KEY}",
    ] {
        assert!(connections.contains(var), "{var}: {connections}");
    }
    for value in ["db-pass-value-3", "smtp-pass-value-4", "smtp-pass-value-5"] {
        assert!(!connections.contains(value), "{value}: {connections}");
    }

    // A plan against that tenant never shows the short nested secret either.
    write(
        dir.path(),
        "t.yaml",
        "connections:\n  - name: corp\n    strategy: auth0\n    options:\n      configuration: {API_KEY: q7z, db_password: other, DB_PASS: db-pass-value-3, SMTP_PASS: new-smtp-pass-6}\n      smtp_pass: new-smtp-pass-7\n",
    );
    let out = env.run(&["plan", d, "--format", "json"]).await;
    // `(sensitive, changed)`.
    insta::assert_snapshot!("json_plan_of_a_short_nested_secret", env.outcome(&out));
    assert_eq!(leaked(&all_output(&out)), None, "{}", all_output(&out));
    for value in ["db-pass-value-3", "smtp-pass-value", "new-smtp-pass"] {
        assert!(
            !all_output(&out).contains(value),
            "{value}: {}",
            all_output(&out)
        );
    }
    let out = env.run(&["plan", d]).await;
    for value in ["db-pass-value-3", "smtp-pass-value", "new-smtp-pass"] {
        assert!(
            !all_output(&out).contains(value),
            "{value}: {}",
            all_output(&out)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_sends_exactly_what_it_shows() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://shop/cb]\nconnections:\n  - name: gh\n    strategy: github\n    options: {client_secret: '${GH_SECRET}', scope: [email]}\n",
    );
    let run = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("GH_SECRET", "gh-secret-value-77");
        cmd
    };
    let out = env
        .apply_with(&[d, "--yes"], |c| {
            c.env("GH_SECRET", "gh-secret-value-77");
        })
        .await;
    assert_exit(&out, 0);
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://shop/new]\nconnections:\n  - name: gh\n    strategy: github\n    options: {client_secret: '${GH_SECRET}', scope: [email, profile]}\n",
    );
    assert_exit(&run(&["plan", d, "--out", p]).output().await.unwrap(), 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pf).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a saved plan is its owner's only");
    }
    let original = std::fs::read_to_string(&pf).unwrap();
    let global = env.handle.global_client_id.clone();
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "a secret's value written in clear in place of its reference",
            Box::new(|v: &mut Value| {
                for r in v["desired"].as_array_mut().unwrap() {
                    if r["name"] == "gh" {
                        r["fields"]["options"]["client_secret"] = json!("ATTACKER_CHOSEN");
                        r.as_object_mut().unwrap().remove("from_env");
                    }
                }
                v["secrets"] = json!([]);
            }),
        ),
        (
            "a secret copied into a non-secret field of another resource",
            Box::new(|v: &mut Value| {
                let tag = v["desired"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["name"] == "gh")
                    .unwrap()["from_env"][0]["tag"]
                    .clone();
                for r in v["desired"].as_array_mut().unwrap() {
                    if r["name"] == "Shop" {
                        r["fields"]["callbacks"] = json!(["(sensitive)"]);
                        r["from_env"] =
                            json!([{"path": ["callbacks", "0"], "secret": 0, "tag": tag}]);
                    }
                }
                for c in v["changes"].as_array_mut().unwrap() {
                    if c["name"] == "Shop" {
                        c["fields"][0]["after"] = json!("(sensitive)");
                    }
                }
            }),
        ),
        (
            "a duplicated call",
            Box::new(|v: &mut Value| {
                let first = v["calls"][0].clone();
                v["calls"].as_array_mut().unwrap().push(first);
            }),
        ),
        (
            "an edited body",
            Box::new(|v: &mut Value| {
                for r in v["desired"].as_array_mut().unwrap() {
                    if r["name"] == "Shop" {
                        r["fields"]["callbacks"] = json!(["https://evil/cb"]);
                    }
                }
            }),
        ),
        (
            "a secret moved to another field",
            Box::new(|v: &mut Value| {
                for r in v["desired"].as_array_mut().unwrap() {
                    if r["name"] == "gh" {
                        r["fields"]["options"]["scope"] = json!("(sensitive)");
                        r["from_env"][0]["path"] = json!(["options", "scope"]);
                    }
                }
            }),
        ),
        (
            "a call retargeted at the global client",
            Box::new(move |v: &mut Value| {
                for r in v["desired"].as_array_mut().unwrap() {
                    if r["name"] == "Shop" {
                        r["id"] = json!(global.clone());
                    }
                }
                for c in v["calls"].as_array_mut().unwrap() {
                    if c["resource"] == "client/Shop" {
                        c["path"] = json!(format!("/api/clients/{global}"));
                    }
                }
            }),
        ),
    ];
    let before = env.requests().await;
    let mut refusals = String::new();
    for (what, edit) in edits {
        let mut v: Value = serde_json::from_str(&original).unwrap();
        edit(&mut v);
        std::fs::write(&pf, serde_json::to_string(&v).unwrap()).unwrap();
        let out = run(&["apply", "--plan", p, "--yes"])
            .output()
            .await
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(1 | 3)),
            "{what}: {}",
            all_output(&out)
        );
        assert!(!all_output(&out).contains("gh-secret-value-77"), "{what}");
        refusals.push_str(&format!("=== {what}\n{}", env.outcome(&out)));
    }
    // Each edit refused (exit 1 or 3); the copied secret `where the plan did not: the file was
    // edited`, the secret in clear `holds a value in clear`.
    insta::assert_snapshot!("edited_plan_files", refusals);
    // Nothing was written: only reads (and no lease was taken for a refused file).
    let stats = env.get("/__emulator/stats").await;
    let writes: u64 = stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| !route.starts_with("GET") && !route.contains("oauth"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert!(env.requests().await > before);
    assert_eq!(writes, 2 + 2, "only the first apply's writes: {stats}");

    // Damaged files are errors, never panics.
    let mut v: Value = serde_json::from_str(&original).unwrap();
    v["salt"] = json!("short");
    std::fs::write(&pf, v.to_string()).unwrap();
    let out = run(&["apply", "--plan", p, "--yes"])
        .output()
        .await
        .unwrap();
    // About the `salt`.
    insta::assert_snapshot!("plan_file_with_a_short_salt", env.outcome(&out));
    let mut v: Value = serde_json::from_str(&original).unwrap();
    v["desired"][0]["from_env"] = json!([{"path": ["options"], "secret": 99, "tag": "x"}]);
    std::fs::write(&pf, v.to_string()).unwrap();
    let out = run(&["apply", "--plan", p, "--yes"])
        .output()
        .await
        .unwrap();
    // `damaged`.
    insta::assert_snapshot!("plan_file_with_a_bad_secret_index", env.outcome(&out));
    std::fs::write(&pf, &original[..original.len() / 2]).unwrap();
    let out = run(&["apply", "--plan", p, "--yes"])
        .output()
        .await
        .unwrap();
    // `not an a0ctl plan file`.
    insta::assert_snapshot!("plan_file_cut_in_half", env.outcome(&out));

    // The file as written applies.
    std::fs::write(&pf, &original).unwrap();
    let out = run(&["apply", "--plan", p, "--yes"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert_exit(
        &run(&["plan", d, "--detailed-exitcode"])
            .output()
            .await
            .unwrap(),
        0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_started_together_never_duplicate_a_client() {
    let env = Env::start_with(a0ctl::emulator::Config {
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let mut locked = 0;
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let clients: String = (0..3)
            .map(|i| format!("  - name: r{round}-c{i}\n    callbacks: [https://x/{i}]\n"))
            .collect();
        write(dir.path(), "t.yaml", &format!("clients:\n{clients}"));
        let a = env.command(&["apply", d, "--yes"]).output();
        let b = env.command(&["apply", d, "--yes"]).output();
        let (a, b) = tokio::join!(a, b);
        for out in [a.unwrap(), b.unwrap()] {
            match out.status.code() {
                Some(0) => {}
                Some(1) if stderr(&out).contains("another apply is changing this tenant") => {
                    assert!(
                        stderr(&out).contains("a0ctl on"),
                        "names the holder: {}",
                        stderr(&out)
                    );
                    locked += 1;
                }
                _ => panic!("round {round}: {}", all_output(&out)),
            }
        }
        let names: Vec<String> = env
            .get("/api/clients")
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .filter(|n| n.starts_with(&format!("r{round}-")))
            .collect();
        assert_eq!(names.len(), 3, "round {round}: {names:?}");
        assert_exit(&env.run(&["plan", d, "--detailed-exitcode"]).await, 0);
    }
    eprintln!("{locked} of 40 applies met the other's lease");

    // With --lock-timeout the second waits for the first, and both succeed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: waited-0\n  - name: waited-1\n",
    );
    let a = env
        .command(&["apply", d, "--yes", "--lock-timeout", "60s"])
        .output();
    let b = env
        .command(&["apply", d, "--yes", "--lock-timeout", "60s"])
        .output();
    let (a, b) = tokio::join!(a, b);
    assert_exit(&a.unwrap(), 0);
    assert_exit(&b.unwrap(), 0);
    let waited = env
        .get("/api/clients")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"].as_str().is_some_and(|n| n.starts_with("waited-")))
        .count();
    assert_eq!(waited, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_never_shown_exported_or_deleted_and_expires() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        &format!("rules:\n  - name: r\n    script: '{SCRIPT}'\n"),
    );
    let lease = |expires: u64| {
        json!({"name": "a0ctl-apply-lock", "strategy": "auth0", "options": {"a0ctl_lease": {
            "owner": "a0ctl on ci-7, pid 42", "host": "ci-7", "pid": 42, "token": "t", "since": 1, "expires": expires}}})
    };
    // Held: it expires within the lease's own time to live.
    let far = now_secs() + 100;
    let (status, _) = env
        .call(Method::POST, "/api/connections", Some(lease(far)))
        .await;
    assert_eq!(status, 200);
    let out = env.run(&["plan", d, "--allow-delete"]).await;
    insta::assert_snapshot!("plan_beside_a_lease", env.outcome(&out));
    assert!(
        !stdout(&out).contains("a0ctl-apply-lock"),
        "{}",
        stdout(&out)
    );
    let out = env.apply_no_replan(&[d, "--yes", "--allow-delete"]).await;
    // `another apply is changing this tenant: a0ctl on ci-7, pid 42 holds it`, and
    // `--lock-timeout`.
    insta::assert_snapshot!("apply_while_a_lease_is_held", env.outcome(&out));
    let o = tempfile::tempdir().unwrap();
    let x = o.path().join("x");
    assert_exit(&env.run(&["export", "--out", x.to_str().unwrap()]).await, 0);
    let exported = std::fs::read_to_string(x.join("connections.yaml")).unwrap();
    assert!(!exported.contains("a0ctl-apply-lock"), "{exported}");
    // Manifests cannot declare it.
    write(
        dir.path(),
        "lock.yaml",
        "connections:\n  - name: a0ctl-apply-lock\n    strategy: auth0\n",
    );
    let out = env.run(&["validate", d]).await;
    // `lock.yaml:2:11: connection name `a0ctl-apply-lock` is reserved`.
    insta::assert_snapshot!("validate_a_declared_lease", env.outcome(&out));
    std::fs::remove_file(dir.path().join("lock.yaml")).unwrap();
    // An expired lease (an apply killed on another host) is broken, and the apply converges.
    env.call(Method::DELETE, "/api/connections/a0ctl-apply-lock", None)
        .await;
    env.call(Method::POST, "/api/connections", Some(lease(1)))
        .await;
    let out = env.apply(&[d, "--yes", "--allow-delete"]).await;
    assert_exit(&out, 0);
    assert_eq!(env.get("/api/rules").await.as_array().unwrap().len(), 1);
    let (status, _) = env
        .call(Method::GET, "/api/connections/a0ctl-apply-lock", None)
        .await;
    assert_eq!(status, 404, "released after the apply");
}

// --- Secrets ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_that_echo_a_request_body_are_scrubbed() {
    let echo: Handler = Arc::new(|method, path, body| {
        if let Some(r) = empty_tenant(method, path) {
            return r;
        }
        json_response(
            400,
            json!({"error": "invalid_body", "error_description": format!("bad request body: {}", String::from_utf8_lossy(body))}),
        )
    });
    let domain = hostile(echo).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: ['https://${SHOP_HOST}/cb']\n",
    );
    for verbosity in [None, Some("-v"), Some("-vv")] {
        let mut args = vec!["apply", d, "--yes", "--retries", "0"];
        args.extend(verbosity);
        let mut cmd = a0ctl(&domain, &args);
        cmd.env("SHOP_HOST", "private-host.example.net");
        let out = bounded(cmd, 60).await;
        assert_exit(&out, 1);
        assert!(
            all_output(&out).contains("bad request body"),
            "{}",
            all_output(&out)
        );
        assert!(
            !all_output(&out).contains("private-host.example.net"),
            "{verbosity:?}: {}",
            all_output(&out)
        );
    }
}

// --- Hostile or broken tenants and files -----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_off() {
    let endless: Handler = Arc::new(|_, _, _| {
        let chunk = Bytes::from(vec![b' '; 1 << 16]);
        let stream = futures::stream::repeat_with(move || Ok::<_, Infallible>(chunk.clone()));
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap()
    });
    let domain = hostile(endless).await;
    let out = bounded(a0ctl(&domain, &["plan", "examples/tenant"]), 120).await;
    // `larger than 128 MiB: a0ctl stopped reading it`.
    insta::assert_snapshot!(outcome(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_always_answers_429_is_waited_out_within_a_deadline() {
    let limited = |after: &'static str| -> Handler {
        Arc::new(move |_, _, _| {
            Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("content-type", "application/json")
                .header("retry-after", after)
                .body(Body::from(r#"{"error":"too_many_requests"}"#))
                .unwrap()
        })
    };
    let domain = hostile(limited("1")).await;
    let out = bounded(
        a0ctl(
            &domain,
            &[
                "plan",
                "examples/tenant",
                "--timeout",
                "3",
                "--retries",
                "2",
            ],
        ),
        60,
    )
    .await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("rate limited by the tenant; waiting 2 s"),
        "{err}"
    );
    assert!(
        err.contains("rate limited by the tenant, which asks to wait 1 s"),
        "{err}"
    );

    let domain = hostile(limited("100000")).await;
    let out = bounded(a0ctl(&domain, &["plan", "examples/tenant"]), 30).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("asks to wait 3600 s"), "{err}");
    assert!(
        err.contains("hint: the tenant is rate limiting a0ctl"),
        "{err}"
    );
    assert!(!err.contains("waiting"), "fails at once: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_nested_past_serde_s_default_limit_are_read() {
    let mut deep = json!("bottom");
    for _ in 0..126 {
        deep = json!({"n": deep});
    }
    let connections =
        json!([{"id": "con_1", "name": "deep", "strategy": "auth0", "options": {"x": deep}}]);
    let tenant: Handler = Arc::new(move |method, path, _| {
        if path.starts_with("/api/connections") {
            return json_response(200, connections.clone());
        }
        empty_tenant(method, path)
            .unwrap_or_else(|| json_response(404, json!({"error": "not_found"})))
    });
    let domain = hostile(tenant).await;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", "connections: []\n");
    let out = bounded(a0ctl(&domain, &["plan", dir.path().to_str().unwrap()]), 60).await;
    // `connection "deep"`.
    insta::assert_snapshot!("plan_of_a_deep_object", outcome(&out));
    let x = dir.path().join("export");
    let out = bounded(
        a0ctl(
            &domain,
            &["export", "--api", "v1", "--out", x.to_str().unwrap()],
        ),
        60,
    )
    .await;
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_regular_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped the FIFO case: mkfifo is not available");
    } else {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(["validate", fifo.to_str().unwrap()])
            .kill_on_drop(true);
        let out = bounded(cmd, 20).await;
        // `a named pipe`.
        insta::assert_snapshot!("validate_a_fifo", outcome(&out));
    }
    // `a character device`, both.
    let mut devices = String::new();
    for args in [
        vec!["validate", "/dev/zero"],
        vec!["apply", "--plan", "/dev/zero", "--yes", "--local"],
    ] {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(&args).current_dir(dir.path()).kill_on_drop(true);
        let out = bounded(cmd, 20).await;
        devices.push_str(&format!("=== {}\n{}", args.join(" "), outcome(&out)));
    }
    insta::assert_snapshot!("read_a_character_device", devices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_names_are_escaped_everywhere() {
    let env = Env::start().await;
    let sneaky = "ok\r\u{1b}[2K  # rule \"x\" is fine\u{0}";
    let (status, _) = env
        .call(
            Method::POST,
            "/api/rules",
            Some(json!({"name": sneaky, "script": SCRIPT})),
        )
        .await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(dir.path(), "t.yaml", "rules: []\n");
    // Each shows the name as `ok\r\u{1b}[2K…`.
    let mut outputs = String::new();
    for args in [
        vec!["plan", d, "--allow-delete"],
        vec!["plan", d, "--allow-delete", "--format", "markdown"],
        vec!["apply", d, "--yes", "--allow-delete"],
    ] {
        let out = env.run(&args).await;
        let text = all_output(&out);
        assert!(
            !text.contains('\r') && !text.contains('\u{1b}') && !text.contains('\0'),
            "{args:?}: {text:?}"
        );
        let label = env.filters().apply(&args.join(" "));
        outputs.push_str(&format!("=== {label}\n{}", env.outcome(&out)));
    }
    insta::assert_snapshot!("name_with_control_characters", outputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_the_api_cannot_address_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let long = "r".repeat(256);
    write(
        dir.path(),
        "t.yaml",
        &format!(
            "rules:\n  - name: '..'\n    script: '{SCRIPT}'\n  - name: {long}\n    script: '{SCRIPT}'\n"
        ),
    );
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
    cmd.args(["validate", d]).kill_on_drop(true);
    let out = bounded(cmd, 20).await;
    // `t.yaml:2:11: rule name `..` cannot be used`, `t.yaml:4:11: rule name is 256 characters
    // long; the API can address names of at most 255`.
    insta::assert_snapshot!("validate_unaddressable_names", outcome(&out));

    // A tenant already holding a rule named `..`: deleting it is refused before any request.
    let env = Env::start().await;
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "..", "script": SCRIPT})),
    )
    .await;
    write(dir.path(), "t.yaml", "rules: []\n");
    let before = env.requests().await;
    let out = env
        .apply_no_replan(&[d, "--yes", "--allow-delete", "--force"])
        .await;
    // `cannot be addressed`.
    insta::assert_snapshot!("apply_deleting_an_unaddressable_rule", env.outcome(&out));
    let stats = env.get("/__emulator/stats").await;
    assert!(
        stats["by_route"].get("DELETE /api/rules/{name}").is_none(),
        "{stats} (from {before})"
    );
}

// --- Correctness -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_escapes_every_template_so_export_then_plan_is_empty() {
    let env = Env::start().await;
    env.call(
        Method::POST,
        "/api/clients",
        Some(json!({"name": "Shop ${NOT_A_VAR}", "callbacks": ["https://x/${ALSO_NOT}/cb"]})),
    )
    .await;
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "r-${X}", "script": SCRIPT})),
    )
    .await;
    let o = tempfile::tempdir().unwrap();
    let x = o.path().join("x");
    let xs = x.to_str().unwrap();
    assert_exit(&env.run(&["export", "--out", xs]).await, 0);
    let out = env
        .command(&["plan", xs, "--allow-delete", "--detailed-exitcode"])
        .env_remove("NOT_A_VAR")
        .env_remove("ALSO_NOT")
        .env_remove("X")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_diff_takes_a_pin_the_old_tree_lacks_and_counts_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let new = dir.path().join("new");
    write(
        &old,
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://a]\n  - name: Gone\n",
    );
    write(
        &new,
        "t.yaml",
        "clients:\n  - name: Shop\n    client_id: abc123\n    callbacks: [https://b]\n",
    );
    let run = |args: Vec<String>| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(args).env("NO_COLOR", "1").kill_on_drop(true);
        bounded(cmd, 20)
    };
    let (o, n) = (
        old.to_str().unwrap().to_string(),
        new.to_str().unwrap().to_string(),
    );
    let out = run(vec!["diff".into(), o.clone(), n.clone()]).await;
    // `https://b`.
    insta::assert_snapshot!("diff_with_a_new_pin", outcome(&out));
    assert!(!all_output(&out).contains("tenant"), "{}", all_output(&out));
    // Only an unmanaged leftover: no changes, exit 0, and it says so.
    write(
        &new,
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://a]\n",
    );
    let out = run(vec!["diff".into(), o, n]).await;
    // `No changes`.
    insta::assert_snapshot!("diff_with_only_a_leftover", outcome(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_of_a_saved_plan_with_no_calls_prints_json() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
    assert_exit(&env.run(&["plan", "examples/tenant", "--out", p]).await, 0);
    let out = env
        .run(&["apply", "--plan", p, "--yes", "--format", "json"])
        .await;
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["summary"]["create"], 0);
    assert_eq!(v["calls"], json!([]));
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    for args in [
        vec!["schema"],
        vec!["completions", "bash"],
        vec!["validate", "examples/tenant"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_ending_change_is_visible() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "r.js",
        "function (u, c, cb) {\n  cb(null, u, c);\n}\n",
    );
    write(
        dir.path(),
        "t.yaml",
        "rules:\n  - name: r\n    order: 1\n    script: {file: r.js}\n",
    );
    assert_exit(&env.apply(&[d, "--yes"]).await, 0);
    write(
        dir.path(),
        "r.js",
        "function (u, c, cb) {\r\n  cb(null, u, c);\r\n}\r\n",
    );
    let out = env.run(&["plan", d]).await;
    // `only line endings change: LF -> CRLF`, `+  cb(null, u, c);\r`.
    insta::assert_snapshot!(env.outcome(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn very_verbose_logs_request_and_response_metadata_without_secrets() {
    let env = Env::start().await;
    let out = env.run(&["plan", "examples/tenant", "-v"]).await;
    assert!(!stderr(&out).contains("content-type"), "{}", stderr(&out));
    let out = env.run(&["plan", "examples/tenant", "-vv"]).await;
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("content-type: \"application/json"), "{err}");
    assert!(err.contains("x-ratelimit-limit/remaining/reset"), "{err}");
    assert!(!err.contains(&env.handle.global_client_secret), "{err}");
    assert!(!err.to_lowercase().contains("authorization"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_hashes_only_the_secrets_of_what_it_changes() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let manifest = |scope: &str| {
        (0..5)
            .map(|i| {
                let scope = if i == 0 { scope } else { "email" };
                format!("  - name: c{i}\n    strategy: github\n    options: {{client_secret: '${{S{i}}}', scope: [{scope}]}}\n")
            })
            .collect::<String>()
    };
    let run = |args: &[&str]| {
        let mut cmd = env.command(args);
        for i in 0..5 {
            cmd.env(format!("S{i}"), format!("secret-number-{i}"));
        }
        cmd
    };
    write(
        dir.path(),
        "t.yaml",
        &format!("connections:\n{}", manifest("email")),
    );
    let secrets = |cmd: &mut tokio::process::Command| {
        for i in 0..5 {
            cmd.env(format!("S{i}"), format!("secret-number-{i}"));
        }
    };
    assert_exit(&env.apply_with(&[d, "--yes"], secrets).await, 0);
    write(
        dir.path(),
        "t.yaml",
        &format!("connections:\n{}", manifest("profile")),
    );
    assert_exit(
        &run(&["plan", d, "--out", pf.to_str().unwrap()])
            .output()
            .await
            .unwrap(),
        0,
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&pf).unwrap()).unwrap();
    assert_eq!(saved["secrets"].as_array().unwrap().len(), 1, "{saved}");
    assert_eq!(saved["secrets"][0]["template"], "${S0}");
}

// --- What an independent review found --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_a_tenant_echoes_are_scrubbed() {
    let echo: Handler = Arc::new(|_, path, body| {
        if path == "/oauth/token" {
            return json_response(
                401,
                json!({"error": "access_denied", "error_description": format!("bad credentials in {}", String::from_utf8_lossy(body))}),
            );
        }
        json_response(401, json!({"error": "unauthorized"}))
    });
    let domain = hostile_raw(echo).await;
    for verbosity in [None, Some("-vv")] {
        let mut args = vec!["plan", "examples/tenant", "--retries", "0"];
        args.extend(verbosity);
        let mut cmd = a0ctl(&domain, &args);
        cmd.env("AUTH0_CLIENT_SECRET", "client-secret-echoed-99");
        let out = bounded(cmd, 30).await;
        assert_exit(&out, 1);
        assert!(
            all_output(&out).contains("bad credentials in"),
            "{}",
            all_output(&out)
        );
        assert!(
            !all_output(&out).contains("client-secret-echoed-99"),
            "{}",
            all_output(&out)
        );
    }
    // A token given directly, echoed in a 401.
    let echo_token: Handler = Arc::new(|_, _, _| {
        json_response(
            401,
            json!({"error": "unauthorized", "error_description": "token Bearer given-token-echoed-77 is invalid"}),
        )
    });
    let domain = hostile_raw(echo_token).await;
    let mut cmd = a0ctl(&domain, &["plan", "examples/tenant", "--retries", "0"]);
    cmd.env_remove("AUTH0_CLIENT_ID")
        .env_remove("AUTH0_CLIENT_SECRET")
        .env("AUTH0_TOKEN", "given-token-echoed-77");
    let out = bounded(cmd, 30).await;
    assert_exit(&out, 1);
    assert!(
        !all_output(&out).contains("given-token-echoed-77"),
        "{}",
        all_output(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed_and_domains_carry_no_credentials() {
    let elsewhere: Handler = Arc::new(|_, _, body| {
        panic!(
            "the redirect was followed with {}",
            String::from_utf8_lossy(body)
        )
    });
    let target = hostile_raw(elsewhere).await;
    let redirect: Handler = Arc::new(move |_, _, _| {
        Response::builder()
            .status(307)
            .header("location", format!("{target}/oauth/token"))
            .body(Body::empty())
            .unwrap()
    });
    let domain = hostile_raw(redirect).await;
    let mut cmd = a0ctl(&domain, &["plan", "examples/tenant", "--retries", "0"]);
    cmd.env("AUTH0_CLIENT_SECRET", "redirect-secret-77");
    let out = bounded(cmd, 30).await;
    // `redirect, which a0ctl does not follow`.
    insta::assert_snapshot!("a_redirect", outcome(&out));
    let out = bounded(
        a0ctl(
            "http://admin:hunter2pw@127.0.0.1:9",
            &["plan", "examples/tenant"],
        ),
        30,
    )
    .await;
    // `carries a user name or password`.
    insta::assert_snapshot!("credentials_in_the_domain", outcome(&out));
    assert!(!stderr(&out).contains("hunter2pw"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_and_removes_only_inside_its_directory() {
    let env = Env::start().await;
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "a", "script": SCRIPT})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim.txt"), "keep me").unwrap();
    let xs = x.to_str().unwrap();
    assert_exit(&env.run(&["export", "--out", xs]).await, 0);
    // A link committed into the tree, and an export record naming a file through it.
    std::os::unix::fs::symlink(&outside, x.join("lnk")).unwrap();
    let record = std::fs::read_to_string(x.join(".a0ctl-export")).unwrap();
    std::fs::write(x.join(".a0ctl-export"), format!("{record}lnk/victim.txt\n")).unwrap();
    assert_exit(&env.run(&["export", "--out", xs, "--force"]).await, 0);
    assert_eq!(
        std::fs::read_to_string(outside.join("victim.txt")).unwrap(),
        "keep me"
    );
    // A file export writes, replaced by a link: refused, and nothing is written.
    std::fs::remove_file(x.join("clients.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.join("victim.txt"), x.join("clients.yaml")).unwrap();
    let out = env.run(&["export", "--out", xs, "--force"]).await;
    // `is a symbolic link: export writes only inside`.
    insta::assert_snapshot!(env.outcome(&out));
    assert_eq!(
        std::fs::read_to_string(outside.join("victim.txt")).unwrap(),
        "keep me"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_tests_read_only_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yaml"), "rules: []\n").unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.test.yaml"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
    cmd.args(["test", dir.path().to_str().unwrap()])
        .kill_on_drop(true);
    let out = bounded(cmd, 20).await;
    // `a named pipe`.
    insta::assert_snapshot!(outcome(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_messages_are_right() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // A target that names nothing is an error, not a silent success.
    let out = env
        .run(&["plan", "examples/tenant", "--target", "rule/nonexistent"])
        .await;
    // `--target rule/nonexistent names nothing in the manifests or the tenant`.
    insta::assert_snapshot!("a_target_naming_nothing", env.outcome(&out));
    // A delete refusal does not speak of replacements.
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "stray", "script": SCRIPT})),
    )
    .await;
    write(dir.path(), "t.yaml", "rules: []\nclients: []\n");
    let out = env.apply(&[d, "--yes", "--force"]).await;
    assert_exit(&out, 0);
    let plan = dir.path().join("p.json");
    assert_exit(
        &env.run(&["plan", d, "--allow-delete", "--out", plan.to_str().unwrap()])
            .await,
        0,
    );
    let out = env
        .apply_no_replan(&["--plan", plan.to_str().unwrap(), "--yes"])
        .await;
    // `refusing to delete rule "stray" without --allow-delete: nothing`.
    insta::assert_snapshot!("a_delete_refused", env.outcome(&out));
    let err = stderr(&out);
    assert!(!err.contains("replacement"), "{err}");
    // An unset variable is one problem, not one more for the schema.
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: A\n    callbacks: ${UNSET_LIST}\n",
    );
    let out = env
        .command(&["validate", d])
        .env_remove("UNSET_LIST")
        .output()
        .await
        .unwrap();
    // `error: 1 problem in the manifests`.
    insta::assert_snapshot!("an_unset_list_variable", env.outcome(&out));
    // A value from the environment in an enum field: the error names the variable, not its value.
    write(dir.path(), "t.yaml", "emails:\n  - template: ${TPL}\n");
    let out = env
        .command(&["validate", d])
        .env("TPL", "secret-template-66")
        .output()
        .await
        .unwrap();
    // `${TPL}` is not one of ….
    insta::assert_snapshot!("a_variable_in_an_enum_field", env.outcome(&out));
    assert!(
        !stderr(&out).contains("secret-template-66"),
        "{}",
        stderr(&out)
    );
    // A FIFO named *.yaml in a manifest directory is reported, not skipped.
    write(dir.path(), "t.yaml", "rules: []\n");
    if std::process::Command::new("mkfifo")
        .arg(dir.path().join("extra.yaml"))
        .status()
        .is_ok_and(|s| s.success())
    {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(["validate", d]).kill_on_drop(true);
        let out = bounded(cmd, 20).await;
        // `extra.yaml:1:1: cannot read: not a regular file (a named pipe)`.
        insta::assert_snapshot!("a_fifo_in_a_manifest_directory", outcome(&out));
    }
}

/// A tenant's answer to a read of this path, if it has one.
type Lists = fn(&str) -> Option<Value>;

/// A v2 tenant whose clients, connections and rules are as `lists` says (by path), every
/// other read empty.
fn v2_tenant(lists: Lists) -> Handler {
    Arc::new(move |method, path, _| {
        if method != Method::GET {
            return json_response(500, json!({"error": "unexpected write"}));
        }
        if let Some(v) = lists(path) {
            return json_response(200, v);
        }
        json_response(
            404,
            json!({"statusCode": 404, "errorCode": "inexistent", "message": "none"}),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_v2_tenant_cannot_make_a_plan_from_a_partial_or_looping_listing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "api: v2\nclients:\n  - name: app-120\nconnections: []\nrules: []\n",
    );
    let cases: Vec<(&str, Lists, &str)> = vec![
        (
            // Pages of 50 though 100 were asked for: app-120 lies past what was read.
            "short pages",
            |path| {
                if path.starts_with("/api/v2/clients") {
                    let page: usize = path
                        .split("page=")
                        .nth(1)
                        .and_then(|p| p.split('&').next())
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    let items: Vec<Value> = (page * 50..page * 50 + 50)
                        .map(|i| json!({"client_id": format!("c{i}"), "name": format!("app-{i}")}))
                        .collect();
                    return Some(json!({"clients": items, "total": 150}));
                }
                empty_lists_fn(path)
            },
            "the tenant listed 100 items but says it has 150",
        ),
        (
            "checkpoints that loop",
            |path| {
                if path.starts_with("/api/v2/clients") {
                    return Some(json!({"clients": [], "total": 0}));
                }
                if path.starts_with("/api/v2/connections") {
                    let next = if path.contains("from=A") { "B" } else { "A" };
                    return Some(json!({"connections": [], "next": next}));
                }
                empty_lists_fn(path)
            },
            "the pages loop back to `A`",
        ),
        (
            "an id that reads as a placeholder",
            |path| {
                if path.starts_with("/api/v2/clients") {
                    return Some(
                        json!({"clients": [{"client_id": "{client_id of app-120}", "name": "x"}], "total": 1}),
                    );
                }
                empty_lists_fn(path)
            },
            "client `x` has an id a0ctl cannot use",
        ),
        (
            "a rule without an id",
            |path| {
                if path.starts_with("/api/v2/clients") {
                    return Some(json!({"clients": [], "total": 0}));
                }
                if path.starts_with("/api/v2/rules") {
                    return Some(json!({"rules": [{"id": 1, "name": "r"}], "total": 1}));
                }
                empty_lists_fn(path)
            },
            "rule `r` has an id a0ctl cannot use",
        ),
    ];
    for (what, lists, expected) in cases {
        let domain = hostile(v2_tenant(lists)).await;
        let out = bounded(a0ctl(&domain, &["plan", d]), 60).await;
        assert_exit(&out, 1);
        assert!(
            stderr(&out).contains(expected),
            "{what}: expected {expected:?} in\n{}",
            stderr(&out)
        );
    }
}

fn empty_lists_fn(path: &str) -> Option<Value> {
    match path.split('?').next().unwrap_or_default() {
        "/api/v2/clients" => Some(json!({"clients": [], "total": 0})),
        "/api/v2/connections" => Some(json!({"connections": []})),
        "/api/v2/rules" => Some(json!({"rules": [], "total": 0})),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stderr_stops_the_apply_cleanly_and_releases_the_lease() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let clients: String = (0..40)
        .map(|i| format!("  - name: piped-{i:02}\n"))
        .collect();
    write(dir.path(), "t.yaml", &format!("clients:\n{clients}"));
    // `a0ctl apply --yes 2>&1 | head -1`: whoever reads stderr is gone before the first line.
    let mut cmd = env.command(&["apply", d, "--yes", "--parallelism", "2"]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stderr.take());
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("the apply ends")
        .unwrap();
    assert_eq!(status.code(), Some(1), "a clean stop, not a panic (101)");
    let names = |clients: Value| -> usize {
        clients
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().is_some_and(|n| n.starts_with("piped-")))
            .count()
    };
    let made = names(env.get("/api/clients").await);
    assert!(made < 40, "it stopped starting calls: {made} of 40 made");
    eprintln!("{made} of 40 clients made before the apply stopped");
    // The lease is gone: the next apply takes it at once and converges.
    let connections = env.get("/api/connections").await;
    assert!(
        !connections.to_string().contains(a0ctl::lease::LOCK_NAME),
        "{connections}"
    );
    let out = env.apply(&[d, "--yes", "--lock-timeout", "0s"]).await;
    assert_exit(&out, 0);
    assert_eq!(names(env.get("/api/clients").await), 40);
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_that_cannot_be_read_or_never_ends_is_named_and_only_it_can_be_broken() {
    let env = Env::start().await;
    let (_dir, d) = tree(&format!("rules:\n  - name: r\n    script: '{SCRIPT}'\n"));
    let d = d.as_str();
    let plant = |options: Value| {
        let env = &env;
        async move {
            env.call(Method::DELETE, "/api/connections/a0ctl-apply-lock", None)
                .await;
            let (status, _) = env
                .call(
                    Method::POST,
                    "/api/connections",
                    Some(json!({"name": "a0ctl-apply-lock", "strategy": "auth0", "options": options})),
                )
                .await;
            assert_eq!(status, 200);
        }
    };
    let marker_left = || async {
        env.call(Method::GET, "/api/connections/a0ctl-apply-lock", None)
            .await
            .0
            == 200
    };
    let lease_id = |text: &str| -> String {
        let at =
            text.find("force-unlock lease-").expect("names the way out") + "force-unlock ".len();
        text[at..].split('`').next().unwrap().to_string()
    };

    // A marker a0ctl cannot read: refused, named by its id, with the command that breaks it.
    for options in [
        json!({}),
        json!({"a0ctl_lease": {"owner": 7, "junk": true}}),
        json!({"a0ctl_lease": {"owner": "a0ctl on ci-9, pid 1", "host": "ci-9", "pid": 1,
               "token": "t", "since": 1, "expires": "tomorrow"}}),
    ] {
        plant(options.clone()).await;
        let out = env.apply_no_replan(&[d, "--yes"]).await;
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains("cannot read"), "{options}: {err}");
        assert!(!err.contains("18446744"), "{err}");
        let id = lease_id(&err);
        // Another id breaks nothing; neither does a run that cannot ask.
        let out = env
            .run(&["force-unlock", "lease-000000000000", "--yes"])
            .await;
        assert_exit(&out, 1);
        assert!(
            stderr(&out).contains(&format!("the lease held now is {id}")),
            "{}",
            stderr(&out)
        );
        assert!(marker_left().await);
        let out = env.run(&["force-unlock", &id]).await;
        assert_exit(&out, 1);
        assert!(stderr(&out).contains("needs --yes"), "{}", stderr(&out));
        assert!(marker_left().await);
        // That id, confirmed, breaks it, and the apply goes on.
        let out = env.run(&["force-unlock", &id, "--yes"]).await;
        assert_exit(&out, 0);
        assert!(!marker_left().await);
    }
    let out = env
        .run(&["force-unlock", "lease-000000000000", "--yes"])
        .await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("no apply lease is held"),
        "{}",
        stderr(&out)
    );

    // An owner that forges a line is escaped; the expiry shown is the lease's own.
    plant(
        json!({"a0ctl_lease": {"owner": "a0ctl on x\nerror: forged line", "host": "x",
        "pid": 1, "token": "t", "since": 1, "expires": now_secs() + 100}}),
    )
    .await;
    let out = env.apply_no_replan(&[d, "--yes"]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        !err.lines().any(|l| l.starts_with("error: forged")),
        "{err}"
    );
    assert!(err.contains("a0ctl on x\\nerror: forged line"), "{err}");

    // An expiry past the lease's maximum (year 2286) was written by no a0ctl: it is broken.
    plant(
        json!({"a0ctl_lease": {"owner": "a0ctl on y, pid 1", "host": "y", "pid": 1,
        "token": "t", "since": 1, "expires": 9_999_999_999u64}}),
    )
    .await;
    let out = env.apply(&[d, "--yes"]).await;
    assert_exit(&out, 0);
    assert!(!marker_left().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_plan_is_applied_only_unchanged_and_with_its_key() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pf = dir.path().join("plan.json");
    let p = pf.to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "rules:\n  - name: signed-rule\n    script: 'function (u, c, cb) { cb(null, u, c); }'\n",
    );
    let key = "ci-plan-key-value-0123456789";
    let with_key = |args: &[&str], key: Option<&str>| {
        let mut cmd = env.command(args);
        cmd.env_remove("A0CTL_PLAN_KEY");
        if let Some(k) = key {
            cmd.env("A0CTL_PLAN_KEY", k);
        }
        cmd
    };
    let out = with_key(&["plan", d, "--out", p], Some(key))
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(!all_output(&out).contains(key));
    let signed = std::fs::read_to_string(&pf).unwrap();
    assert!(signed.contains("\"signature\""), "{signed}");
    assert!(!signed.contains(key));

    let apply = |key: Option<&'static str>| {
        let mut cmd = with_key(&["apply", "--plan", p, "--yes"], key);
        async move { cmd.output().await.unwrap() }
    };
    // A consistent edit (the script in both the shown change and the desired resource).
    let edited = signed.replace("cb(null, u, c); }", "cb(null, u, c); /* injected */ }");
    assert_ne!(edited, signed);
    std::fs::write(&pf, &edited).unwrap();
    let out = apply(Some(key)).await;
    assert_exit(&out, 3);
    assert!(
        stderr(&out).contains("signature does not match"),
        "{}",
        stderr(&out)
    );
    // An edit that also claims another layout is refused as an edit.
    let downgraded = signed.replacen("\"file_version\": 2", "\"file_version\": 1", 1);
    assert_ne!(downgraded, signed);
    std::fs::write(&pf, &downgraded).unwrap();
    let out = apply(Some(key)).await;
    assert_exit(&out, 3);
    // The right file, with another key or with none.
    std::fs::write(&pf, &signed).unwrap();
    let out = apply(Some("another-key")).await;
    assert_exit(&out, 3);
    let out = apply(None).await;
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("is signed"), "{}", stderr(&out));
    // A key demands a signed file.
    let unsigned = dir.path().join("unsigned.json");
    let u = unsigned.to_str().unwrap();
    assert_exit(
        &with_key(&["plan", d, "--out", u], None)
            .output()
            .await
            .unwrap(),
        0,
    );
    let out = with_key(&["apply", "--plan", u, "--yes"], Some(key))
        .output()
        .await
        .unwrap();
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("not signed"), "{}", stderr(&out));
    assert_eq!(
        env.get("/api/rules").await.as_array().unwrap().len(),
        0,
        "nothing was sent"
    );
    // Unchanged, with its key: applied.
    let out = apply(Some(key)).await;
    assert_exit(&out, 0);
    assert!(!all_output(&out).contains(key));
    let rules = env.get("/api/rules").await;
    assert_eq!(rules.as_array().unwrap().len(), 1);
    assert!(!rules.to_string().contains("injected"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_a_connection_s_users_is_bounded_on_a_tenant_that_pages_without_end() {
    let connections =
        json!([{"id": "con_1", "name": "social", "strategy": "twitter", "options": {}}]);
    let users: Vec<Value> = (0..100)
        .map(|i| json!({"user_id": format!("u{i}")}))
        .collect();
    let users = Value::Array(users);
    let tenant: Handler = Arc::new(move |method, path, _| {
        let route = path.split('?').next().unwrap_or_default();
        if route == "/api/connections/social/users" {
            // Every page is full: the tenant never says it is done.
            return json_response(200, users.clone());
        }
        if route == "/api/connections" {
            return json_response(200, connections.clone());
        }
        empty_tenant(method, path)
            .unwrap_or_else(|| json_response(404, json!({"error": "not_found"})))
    });
    let domain = hostile(tenant).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "connections:\n  - name: social\n    strategy: github\n",
    );
    let out = bounded(
        a0ctl(
            &domain,
            &["plan", dir.path().to_str().unwrap(), "--allow-replace"],
        ),
        120,
    )
    .await;
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("deletes at least 100000 users"),
        "{}",
        all_output(&out)
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_stopped_past_its_lease_never_writes_again_after_a_successor_took_over() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let clients: String = (0..30)
        .map(|i| format!("  - name: held-{i:02}\n"))
        .collect();
    write(dir.path(), "t.yaml", &format!("clients:\n{clients}"));
    let (status, _) = env
        .call(
            Method::PUT,
            "/__emulator/faults",
            Some(json!({"latency_ms": 300})),
        )
        .await;
    assert_eq!(status, 200);
    let names = || async {
        let all = env.get("/api/clients").await;
        let mut names: Vec<String> = all
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .filter(|n| n.starts_with("held-"))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    let short_lease = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env("A0CTL_LEASE_TTL", "4");
        cmd
    };
    // The first apply, one call at a time, is stopped once it has made a client.
    let first = short_lease(&["apply", d, "--yes", "--parallelism", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first.id().unwrap().to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while names().await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the first apply made nothing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kill = |signal: &str| {
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
    };
    assert!(kill("-STOP").success());
    // Its lease expires; a second apply breaks it and finishes the work.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let second = bounded(short_lease(&["apply", d, "--yes"]), 120).await;
    assert_exit(&second, 0);
    let after_second = names().await;
    assert_eq!(after_second.len(), 30, "{after_second:?}");
    // Resumed, the first must not start another write.
    assert!(kill("-CONT").success());
    let out = tokio::time::timeout(Duration::from_secs(60), first.wait_with_output())
        .await
        .expect("the first apply ends")
        .unwrap();
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("lease was lost"), "{}", stderr(&out));
    let now = names().await;
    assert_eq!(now, after_second, "no write after the successor took over");
    let unique: std::collections::BTreeSet<&String> = now.iter().collect();
    assert_eq!(unique.len(), 30, "no duplicates: {now:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applies_that_meet_a_stale_v1_lease_together_never_both_hold_it() {
    let env = Env::start().await;
    for round in 0..2 {
        let (_dir, d) = tree(&format!("clients:\n  - name: race-{round}\n"));
        // A lease left by an apply killed elsewhere, long expired.
        let (status, _) = env
            .call(
                Method::POST,
                "/api/connections",
                Some(json!({"name": "a0ctl-apply-lock", "strategy": "auth0", "options": {"a0ctl_lease": {
                    "owner": "a0ctl on gone, pid 1", "host": "gone", "pid": 1, "token": "stale",
                    "since": 1, "expires": 2}}})),
            )
            .await;
        assert_eq!(status, 200);
        let runs: Vec<_> = (0..6)
            .map(|_| {
                env.command(&["apply", &d, "--yes", "--lock-timeout", "60s"])
                    .output()
            })
            .collect();
        for out in futures::future::join_all(runs).await {
            assert_exit(&out.unwrap(), 0);
        }
        let made = env
            .get("/api/clients")
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == format!("race-{round}"))
            .count();
        assert_eq!(made, 1, "round {round}: one client, not one per apply");
    }
}
