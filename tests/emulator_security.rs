//! The emulator against hostile or careless callers: state files private to their owner, one
//! emulator per state file, no secret for a non-global token on any route, bounded log entries
//! and a bounded rate of failed-login entries, bounded JSON nesting, names the API can address,
//! the HTTP layer's own errors as JSON, and an out-of-range token lifetime refused.

mod harness;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::{Emu, assert_error, config};
use reqwest::Method;
use serde_json::{Value, json};

fn a0ctl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_a0ctl"));
    cmd.env("NO_COLOR", "1");
    cmd
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_files_are_created_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let emu = Emu::with(harness::Config {
        state: Some(state.clone()),
        ..config()
    })
    .await;
    emu.connection("db", "auth0").await;
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let path = dir.path().join(format!("tenant.db{suffix}"));
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    emu.handle.shutdown().await;

    // `--local` creates .a0ctl/local.db through the same store.
    let work = tempfile::tempdir().unwrap();
    let out = a0ctl()
        .args(["export", "--local", "--out", "exported"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let local = work.path().join(".a0ctl/local.db");
    assert_eq!(mode(&local), 0o600);
}

/// Every string in a JSON value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_global_token_never_sees_a_secret_on_any_route() {
    let emu = Emu::start().await;
    // Objects holding every kind of secret the emulator keeps.
    let connection_secrets = [
        "conn-client-secret-value",
        "conn-nested-password-value",
        "conn-api-key-value",
        "conn-db-pass-value",
        "conn-smtp-pass-value",
    ];
    emu.post_ok(
        "/api/connections",
        json!({"name": "social", "strategy": "github", "status": true, "options": {
            "client_id": "public-id",
            "client_secret": connection_secrets[0],
            "nested": {"list": [{"password": connection_secrets[1]}]},
            "apiKey": connection_secrets[2],
            "configuration": {"DB_PASS": connection_secrets[3]},
            "smtp_pass": connection_secrets[4],
        }}),
    )
    .await;
    emu.connection("db", "auth0").await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "r", "script": "function (u, c, cb) { cb(null, u, c); }"}),
    )
    .await;
    emu.post_ok("/api/emails", json!({"template": "verify_email"}))
        .await;
    let other = emu
        .post_ok(
            "/api/clients",
            json!({"name": "Other", "signingKey": {"key": "signing-key-value"}}),
        )
        .await;
    let other_secret = other["clientSecret"].as_str().unwrap().to_string();
    let other_id = other["clientID"].as_str().unwrap().to_string();
    let (id, secret) = emu.client("Mobile").await;
    let user = emu
        .post_ok(
            "/api/users",
            json!({"email": "u@example.com", "password": "user-password-value", "connection": "db"}),
        )
        .await["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let global = emu.handle.global_client_id.clone();
    let global_secret = emu.handle.global_client_secret.clone();
    let secrets: Vec<String> = [
        global_secret.as_str(),
        other_secret.as_str(),
        secret.as_str(),
        "signing-key-value",
        "user-password-value",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain(connection_secrets.iter().map(|s| s.to_string()))
    .collect();

    let token = emu.token_for(&id, &secret).await;
    let t = Some(token.as_str());
    let user_path = user.replace('|', "%7C");
    // A route template with its parameters filled: users and clients by id, the rest by name.
    let fill = |template: &str, client: &str| {
        let id = if template.starts_with("/api/clients/") {
            client
        } else if template.starts_with("/api/logs/") {
            "000000000000000000000001"
        } else {
            user_path.as_str()
        };
        template
            .replace("{id}", id)
            .replace("{name}", "social")
            .replace("{template}", "verify_email")
            .replace("{token}", "nope")
    };
    let mut seen: Vec<String> = Vec::new();
    let mut visited = 0;
    // GETs first (with and without `?client=`), then every other method.
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    for method in methods {
        for template in a0ctl::emulator::route_paths() {
            for client in [global.as_str(), other_id.as_str(), id.as_str()] {
                let path = fill(template, client);
                let query = format!("{path}?client={client}");
                for path in [path.clone(), query] {
                    let body = json!({"name": "x", "options": {}, "status": true});
                    let r = emu.send(method.clone(), &path, t, Some(&body)).await;
                    visited += 1;
                    let headers: Vec<String> = r
                        .headers
                        .values()
                        .filter_map(|v| v.to_str().ok())
                        .map(str::to_string)
                        .collect();
                    for s in &secrets {
                        assert!(
                            !r.body.contains(s.as_str()),
                            "{method} {path} shows a secret: {}",
                            r.body
                        );
                        assert!(
                            headers.iter().all(|h| !h.contains(s.as_str())),
                            "{method} {path} has a secret in a header"
                        );
                    }
                    if let Ok(v) = serde_json::from_str::<Value>(&r.body) {
                        strings(&v, &mut seen);
                    }
                    seen.extend(headers);
                }
            }
        }
    }
    assert!(visited > 300, "{visited}");
    assert!(
        seen.iter().any(|s| s == &global),
        "the walk saw the global client"
    );

    // Nothing the non-global caller saw makes it the global client.
    seen.sort();
    seen.dedup();
    for candidate in seen.iter().filter(|s| !s.is_empty()) {
        let r = emu
            .send(
                Method::POST,
                "/oauth/token",
                None,
                Some(&json!({"client_id": global, "client_secret": candidate,
                             "grant_type": "client_credentials"})),
            )
            .await;
        assert_ne!(r.status, 200, "{candidate} is the global client's secret");
    }
    // The global token still sees them.
    let mine = emu.get_ok(&format!("/api/clients/{other_id}")).await;
    assert_eq!(mine["clientSecret"], other_secret.as_str());
    let conn = emu.get_ok("/api/connections/social").await;
    assert_eq!(conn["options"]["client_secret"], connection_secrets[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_emulator_on_the_same_state_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let with_state = || harness::Config {
        state: Some(state.clone()),
        ..config()
    };
    let first = Emu::with(with_state()).await;
    let second = a0ctl::emulator::serve(with_state()).await;
    let error = format!(
        "{:#}",
        second.err().expect("the second emulator is refused")
    );
    assert!(error.contains(&state.display().to_string()), "{error}");
    assert!(error.contains("in use by another emulator"), "{error}");
    // The first one still works, and once it stops the file is free again.
    emu_writes(&first).await;
    first.handle.shutdown().await;
    let again = Emu::with(with_state()).await;
    assert_eq!(
        again
            .get_ok("/api/connections")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn emu_writes(emu: &Emu) {
    emu.connection("db", "auth0").await;
}

#[test]
fn a_second_emulator_process_on_the_same_state_exits_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let state_arg = state.to_str().unwrap();
    let mut first = a0ctl()
        .args(["emulator", "--listen", "127.0.0.1:0", "--state", state_arg])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(first.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://"), "{line}");
    let mut second = a0ctl()
        .args(["emulator", "--listen", "127.0.0.1:0", "--state", state_arg])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A second emulator that starts would never exit: stop it rather than hang the test.
    let deadline = Instant::now() + Duration::from_secs(60);
    while second.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = second.kill();
    let second = second.wait_with_output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(stderr.contains(state_arg), "{stderr}");
    assert!(stderr.contains("in use by another emulator"), "{stderr}");
    assert!(second.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_token_call_stores_a_bounded_entry() {
    let emu = Emu::start().await;
    let long = "A".repeat(150_000);
    let r = harness::read(
        emu.http
            .post(emu.url("/oauth/token"))
            .header("user-agent", &long)
            .header("x-forwarded-for", &long)
            .json(&json!({"client_id": long, "client_secret": "x",
                          "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 404, "invalid_client");
    assert!(r.body.len() < 1024, "{}", r.body.len());
    let logs = emu.get_ok("/api/logs").await;
    let entry = &logs["logs"][0];
    for field in ["user_agent", "ip", "client_id"] {
        let value = entry[field].as_str().unwrap();
        assert_eq!(value.chars().count(), 256, "{field}");
        assert!(value.ends_with('…'), "{field}");
    }
    assert!(entry.to_string().len() < 2048, "{entry}");

    // A header hyper itself refuses (over its buffer) is no entry at all, and a JSON error.
    let huge = "B".repeat(1 << 20);
    let refused = emu
        .http
        .post(emu.url("/oauth/token"))
        .header("user-agent", &huge)
        .json(&json!({"client_id": "x", "client_secret": "y"}))
        .send()
        .await;
    if let Ok(answer) = refused {
        assert_eq!(answer.status(), 431);
        // The connection closes while the request is still being sent: the body may be lost.
        if let Ok(text) = answer.text().await {
            let body: Value = serde_json::from_str(&text).expect("a JSON body");
            assert_eq!(body["error"], "headers_too_large");
        }
    }
    assert_eq!(emu.get_ok("/api/logs").await["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_failed_token_calls_do_not_grow_the_logs_past_the_bound() {
    let emu = std::sync::Arc::new(Emu::start().await);
    let calls = 400;
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let emu = emu.clone();
            tokio::spawn(async move {
                for i in 0..calls / 8 {
                    let r = emu
                        .send(
                            Method::POST,
                            "/oauth/token",
                            None,
                            Some(&json!({"client_id": format!("c{task}-{i}"),
                                         "client_secret": "x"})),
                        )
                        .await;
                    assert_eq!(r.status, 404);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // At most 10 entries in each second the calls spanned (the count of seconds is rounded up
    // and one more is allowed for the window the first call fell in).
    let seconds = started.elapsed().as_secs() + 2;
    let stored = emu.get_ok("/api/logs").await["total"].as_u64().unwrap();
    assert!(stored <= 10 * seconds, "{stored} entries in {seconds} s");
    let stats = emu.get_ok("/__emulator/stats").await;
    assert_eq!(
        stats["unrecorded_failed_logins"].as_u64().unwrap() + stored,
        calls as u64
    );
    // Those that were stored say how many went unrecorded before them.
    let logs = emu.get_ok("/api/logs?per_page=100&sort=date:1").await;
    let noted: u64 = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["details"]["unrecorded_before"].as_u64())
        .sum();
    assert!(noted <= calls as u64 - stored);
}

/// `depth` nested objects around `{}`.
fn nested(depth: usize) -> String {
    format!(
        "{}{}",
        r#"{"a":"#.repeat(depth),
        "{}".to_string() + &"}".repeat(depth)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_nested_deeper_than_32_levels_are_400() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    let (client, _) = emu.client("app").await;
    let user = emu
        .post_ok(
            "/api/users",
            json!({"email": "n@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await["user_id"]
        .as_str()
        .unwrap()
        .replace('|', "%7C");
    let post = |method: Method, path: String, body: String| {
        let emu = &emu;
        async move {
            harness::read(
                emu.http
                    .request(method, emu.url(&path))
                    .bearer_auth(&emu.token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // 32 levels in all (the body is level 1) pass; 33 do not; brackets in strings do not count.
    let ok = format!(
        r#"{{"name": "deep", "strategy": "auth0", "options": {}}}"#,
        nested(30)
    );
    let r = post(Method::POST, "/api/connections".into(), ok).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let strings = format!(r#"{{"x": "{}", "y": {}}}"#, "[{".repeat(100), nested(30));
    let r = post(
        Method::PATCH,
        format!("/api/users/{user}/metadata"),
        strings,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (method, path, body) in [
        (
            Method::POST,
            "/api/connections".to_string(),
            format!(
                r#"{{"name": "deeper", "strategy": "auth0", "options": {}}}"#,
                nested(31)
            ),
        ),
        (
            Method::PUT,
            "/api/connections/db".to_string(),
            format!(r#"{{"options": {}}}"#, nested(126)),
        ),
        (
            Method::PATCH,
            format!("/api/users/{user}/metadata"),
            format!(r#"{{"plan": {}}}"#, nested(126)),
        ),
        (
            Method::PATCH,
            format!("/api/clients/{client}"),
            format!(r#"{{"name": "x", "more": {}}}"#, "[".repeat(100_000)),
        ),
    ] {
        let r = post(method.clone(), path.clone(), body).await;
        assert_error(&r, 400, "invalid_body");
        assert!(r.body.contains("32 levels"), "{method} {path}: {}", r.body);
    }
    assert_eq!(
        emu.get_ok("/api/connections")
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_over_255_characters_are_refused_at_create() {
    let emu = Emu::start().await;
    let script = "function (u, c, cb) { cb(null, u, c); }";
    let at_limit = "é".repeat(255);
    let over = "r".repeat(256);
    let r = emu
        .post("/api/rules", json!({"name": at_limit, "script": script}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let path = format!("/api/rules/{}", at_limit.replace('é', "%C3%A9"));
    assert_eq!(emu.get_ok(&path).await["name"], at_limit.as_str());
    for (path, body) in [
        ("/api/rules", json!({"name": over, "script": script})),
        (
            "/api/rules",
            json!({"name": "x".repeat(100_000), "script": script}),
        ),
        (
            "/api/connections",
            json!({"name": over, "strategy": "auth0"}),
        ),
        ("/api/clients", json!({"name": over})),
    ] {
        let r = emu.post(path, body).await;
        assert_error(&r, 400, "bad_request");
        assert!(r.body.contains("at most 255 characters"), "{}", r.body);
    }
    let (client, _) = emu.client("short").await;
    assert_error(
        &emu.patch(&format!("/api/clients/{client}"), json!({"name": over}))
            .await,
        400,
        "bad_request",
    );
    assert_eq!(emu.get_ok("/api/rules").await.as_array().unwrap().len(), 1);
}

/// Send raw bytes to the emulator; the status line, the head and the body of its answer.
async fn raw(addr: std::net::SocketAddr, request: Vec<u8>) -> (String, String, String) {
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).to_string();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.lines().next().unwrap_or_default().to_string();
        (status, head.to_ascii_lowercase(), body.to_string())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_layers_own_errors_are_json() {
    let emu = Emu::start().await;
    let addr = emu.handle.addr;
    let long = format!(
        "GET /api/rules/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "x".repeat(100_000)
    );
    let huge_header = format!(
        "GET /api/rules HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "y".repeat(1 << 20)
    );
    for (request, status, code) in [
        // A URI over 65,534 bytes: hyper answers 414 before any handler runs.
        (long, "HTTP/1.1 414", "uri_too_long"),
        // Headers over hyper's buffer: 431.
        (huge_header, "HTTP/1.1 431", "headers_too_large"),
        // A request line that is not HTTP: 400.
        (
            "GET /api rules HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
            "HTTP/1.1 400",
            "bad_request",
        ),
    ] {
        let (line, head, body) = raw(addr, request.into_bytes()).await;
        assert!(line.starts_with(status), "{line}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let body: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_eq!(body["error"], code);
        assert_eq!(body["detail"], body["error_description"]);
        assert_eq!(body.as_object().unwrap().len(), 3);
    }
    // The emulator still serves.
    assert_eq!(emu.get("/api/rules").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_range_token_lifetime_is_refused() {
    for seconds in [0, 10 * 365 * 24 * 3600 + 1, u64::MAX] {
        let refused = a0ctl::emulator::serve(harness::Config {
            token_lifetime: Duration::from_secs(seconds),
            ..config()
        })
        .await;
        let error = format!("{:#}", refused.err().expect("refused"));
        assert!(error.contains("token lifetime"), "{error}");
        assert!(error.contains(&seconds.to_string()), "{error}");
    }
    let out = a0ctl()
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--token-lifetime",
            "18446744073709551615",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--token-lifetime"), "{stderr}");
    assert!(out.stdout.is_empty(), "{out:?}");

    // Ten years is accepted and its tokens work.
    let emu = Emu::with(harness::Config {
        token_lifetime: Duration::from_secs(10 * 365 * 24 * 3600),
        ..config()
    })
    .await;
    assert_eq!(emu.get("/api/rules").await.status, 200);
}
