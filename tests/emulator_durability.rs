//! The `a0ctl emulator` binary: its one stdout line, SIGTERM (exit 0), writes and tokens that
//! survive a SIGKILL and a restart on the same `--state`, and the fault flags reaching the
//! server; state files of an older store version migrated (foreign keys that cascade), and of a
//! newer one refused.

mod harness;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use harness::{Emu, assert_error, config, http_client, read};
use serde_json::{Value, json};

const ID: &str = "durable-global-client";
const SECRET: &str = "durable-global-secret";
const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

/// A running `a0ctl emulator` and its base URL.
struct Proc {
    child: Child,
    stdout: BufReader<ChildStdout>,
    base: String,
    first_line: String,
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .arg("emulator")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a0ctl emulator");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).expect("read stdout");
    let base = first_line
        .strip_prefix("listening on ")
        .and_then(|l| l.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_string();
    Proc {
        child,
        stdout,
        base,
        first_line,
    }
}

fn spawn_with_state(state: &Path) -> Proc {
    spawn(&[
        "--state",
        state.to_str().unwrap(),
        "--client-id",
        ID,
        "--client-secret",
        SECRET,
    ])
}

/// Wait (at most 10 s) for the process to exit; its exit code.
fn wait_exit(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the emulator did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let r = read(
        http.post(format!("{base}/oauth/token"))
            .json(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().unwrap().to_string()
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> harness::Resp {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.unwrap()).await
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Stop with SIGTERM: exit code 0 and nothing more on stdout.
fn stop(mut p: Proc) {
    sigterm(&p.child);
    assert_eq!(wait_exit(&mut p.child), Some(0), "exit code after SIGTERM");
    let mut rest = String::new();
    p.stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "stdout after the first line");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_is_one_line_and_sigterm_exits_0() {
    let p = spawn(&[]);
    let port: u16 = p
        .base
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{:?}", p.first_line))
        .parse()
        .expect("a port");
    assert_ne!(port, 0);
    assert_eq!(
        p.first_line,
        format!("listening on http://127.0.0.1:{port}\n")
    );

    // It answers, and stops while an idle keep-alive connection is open.
    let http = http_client();
    let r = read(
        http.post(format!("{}/oauth/token", p.base))
            .json(&json!({"client_id": "x", "client_secret": "y"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 404, "invalid_client");
    stop(p);

    // A SIGTERM sent as soon as the line is read is a clean stop too (a supervisor may).
    for _ in 0..5 {
        stop(spawn(&[]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_and_tokens_survive_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let http = http_client();

    let mut p = spawn_with_state(&state);
    let t = token(&http, &p.base, ID, SECRET).await;
    let rule = call(
        &http,
        reqwest::Method::POST,
        format!("{}/api/rules", p.base),
        &t,
        Some(json!({"name": "durable", "script": SCRIPT, "order": 3})),
    )
    .await;
    assert_eq!(rule.status, 200, "{}", rule.body);
    let client = call(
        &http,
        reqwest::Method::POST,
        format!("{}/api/clients", p.base),
        &t,
        Some(json!({"name": "Durable App", "callbacks": ["https://d.example/cb"]})),
    )
    .await;
    assert_eq!(client.status, 200, "{}", client.body);
    let client = client.json();
    let client_token = token(
        &http,
        &p.base,
        client["clientID"].as_str().unwrap(),
        client["clientSecret"].as_str().unwrap(),
    )
    .await;

    // SIGKILL: no chance to flush anything.
    p.child.kill().expect("SIGKILL");
    p.child.wait().expect("reap");
    drop(p);

    let mut p = spawn_with_state(&state);
    // The token issued before the kill still works.
    let r = call(
        &http,
        reqwest::Method::GET,
        format!("{}/api/rules", p.base),
        &t,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!([rule.json()]));
    let r = call(
        &http,
        reqwest::Method::GET,
        format!(
            "{}/api/clients/{}",
            p.base,
            client["clientID"].as_str().unwrap()
        ),
        &t,
        None,
    )
    .await;
    assert_eq!((r.status, r.json()), (200, client.clone()));
    let r = call(
        &http,
        reqwest::Method::GET,
        format!("{}/api/clients", p.base),
        &client_token,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let clients = r.json();
    assert_eq!(clients.as_array().unwrap().len(), 2);
    assert_eq!(clients[0]["clientID"], ID);
    assert_eq!(clients[0]["global"], true);
    // Both clients' credentials still work.
    token(&http, &p.base, ID, SECRET).await;
    token(
        &http,
        &p.base,
        client["clientID"].as_str().unwrap(),
        client["clientSecret"].as_str().unwrap(),
    )
    .await;
    p.child.kill().expect("SIGKILL");
    p.child.wait().expect("reap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_flags_reach_the_server() {
    let http = http_client();

    let mut p = spawn(&[
        "--client-id",
        ID,
        "--client-secret",
        SECRET,
        "--token-lifetime",
        "1",
        "--rate-limit",
        "50",
    ]);
    // A token lives one second: on a loaded machine the first call may already be too late,
    // so mint again until one call lands inside its second (bounded).
    let mut landed = None;
    for _ in 0..10 {
        let t = token(&http, &p.base, ID, SECRET).await;
        let r = call(
            &http,
            reqwest::Method::GET,
            format!("{}/api/rules", p.base),
            &t,
            None,
        )
        .await;
        if r.status == 200 {
            landed = Some((t, r));
            break;
        }
        assert_error(&r, 401, "invalid_token");
    }
    let (t, r) = landed.expect("a call within a fresh token's second");
    assert_eq!(r.header("x-ratelimit-limit"), Some("50"));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = call(
        &http,
        reqwest::Method::GET,
        format!("{}/api/rules", p.base),
        &t,
        None,
    )
    .await;
    assert_error(&r, 401, "invalid_token");
    p.child.kill().expect("SIGKILL");
    p.child.wait().expect("reap");

    let mut p = spawn(&[
        "--client-id",
        ID,
        "--client-secret",
        SECRET,
        "--fail-rate",
        "1",
        "--latency-ms",
        "200",
    ]);
    let t = token(&http, &p.base, ID, SECRET).await;
    let started = Instant::now();
    let r = call(
        &http,
        reqwest::Method::GET,
        format!("{}/api/rules", p.base),
        &t,
        None,
    )
    .await;
    assert_error(&r, 503, "temporarily_unavailable");
    assert!(started.elapsed() >= Duration::from_millis(200));
    p.child.kill().expect("SIGKILL");
    p.child.wait().expect("reap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_process_emulator_shuts_down() {
    let emu = harness::Emu::start().await;
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));
    let (base, http) = (emu.base.clone(), emu.http.clone());
    tokio::time::timeout(Duration::from_secs(10), emu.handle.shutdown())
        .await
        .expect("shutdown finishes");
    let fresh = http_client();
    assert!(fresh.get(format!("{base}/api/rules")).send().await.is_err());
    assert!(http.get(format!("{base}/api/rules")).send().await.is_err());
}

/// The store's schema before version 1 (no foreign keys), as older emulators wrote it.
const SCHEMA_V0: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE clients (seq INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL, name TEXT NOT NULL, global INTEGER NOT NULL DEFAULT 0,
    callbacks TEXT NOT NULL DEFAULT '[]', owners TEXT NOT NULL DEFAULT '[]', signing_key TEXT);
CREATE TABLE connections (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE, strategy TEXT NOT NULL, options TEXT NOT NULL DEFAULT '{}');
CREATE TABLE connection_clients (connection_id TEXT NOT NULL, client_id TEXT NOT NULL,
    PRIMARY KEY (connection_id, client_id));
CREATE TABLE rules (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE, script TEXT NOT NULL, status INTEGER NOT NULL,
    ord INTEGER NOT NULL UNIQUE);
CREATE TABLE emails (template TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE users (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL UNIQUE,
    connection TEXT NOT NULL, email TEXT, password_hash TEXT, profile TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}');
CREATE UNIQUE INDEX users_connection_email ON users (connection, email);
CREATE TABLE devices (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL,
    device TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, client_id TEXT,
    created_at TEXT NOT NULL);
CREATE TABLE user_clients (user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    PRIMARY KEY (user_id, client_id));
CREATE TABLE tickets (ticket TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE tokens (token TEXT PRIMARY KEY, client_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL);
CREATE TABLE logs (seq INTEGER PRIMARY KEY AUTOINCREMENT, date TEXT NOT NULL, type TEXT NOT NULL,
    description TEXT, connection TEXT, client_id TEXT, client_name TEXT, ip TEXT,
    user_agent TEXT, user_id TEXT, user_name TEXT, details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX logs_user ON logs (user_id);

INSERT INTO meta VALUES ('tenant', 'local'), ('global_client_id', 'g');
INSERT INTO clients (client_id, client_secret, name, global) VALUES ('g', 's', 'Global Client', 1);
INSERT INTO connections (id, name, strategy) VALUES ('con_1', 'db', 'auth0');
INSERT INTO connection_clients VALUES ('con_1', 'g');
INSERT INTO users (user_id, connection, email, profile)
    VALUES ('auth0|1', 'db', 'a@example.com', '{"email": "a@example.com"}'),
           ('auth0|orphan', 'gone', 'o@example.com', '{"email": "o@example.com"}');
INSERT INTO devices (user_id, device, kind, value, created_at)
    VALUES ('auth0|1', 'phone', 'refresh_token', 'rt', '2020-01-01');
INSERT INTO user_clients VALUES ('auth0|1', 'g');
INSERT INTO tokens VALUES ('old-token', 'g', 99999999999), ('orphan-token', 'deleted', 99999999999);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_0_state_is_migrated_and_deletes_cascade() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    rusqlite::Connection::open(&state)
        .unwrap()
        .execute_batch(SCHEMA_V0)
        .unwrap();
    let emu = Emu::with(harness::Config {
        state: Some(state.clone()),
        ..config()
    })
    .await;
    assert_eq!(emu.handle.global_client_id, "g");
    // Rows whose references hold are kept; the orphan user is not.
    let users = emu.get_ok("/api/users").await;
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["auth0|1"]);
    assert_eq!(emu.get_ok("/api/connections/db").await["status"], true);
    assert_eq!(
        emu.get_ok("/api/users/auth0%7C1/devices").await[0]["refresh_token"],
        "rt"
    );
    let old = emu
        .send(reqwest::Method::GET, "/api/rules", Some("old-token"), None)
        .await;
    assert_eq!(old.status, 200, "{}", old.body);

    // Deleting the connection takes its users, and their devices and logins, with it.
    assert_eq!(emu.delete("/api/connections/db").await.status, 200);
    assert_error(&emu.get("/api/users/auth0%7C1").await, 404, "not_found");
    emu.handle.shutdown().await;

    let conn = rusqlite::Connection::open(&state).unwrap();
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
    for table in ["users", "devices", "user_clients", "connection_clients"] {
        assert_eq!(count(table), 0, "{table}");
    }
    // The orphan token was dropped; the global client's (and the test's) remain.
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM tokens WHERE client_id = 'deleted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'v0_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_of_a_newer_store_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    rusqlite::Connection::open(&state)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let refused = a0ctl::emulator::serve(harness::Config {
        state: Some(state.clone()),
        ..config()
    })
    .await;
    let error = format!("{:#}", refused.err().expect("refused"));
    assert!(error.contains("newer a0ctl"), "{error}");
    assert!(error.contains(&state.display().to_string()), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_global_credentials_keep_the_clients_place_and_end_its_old_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let with = |id: &str, secret: &str| harness::Config {
        state: Some(state.clone()),
        client_id: Some(id.to_string()),
        client_secret: Some(secret.to_string()),
        ..config()
    };
    let first = Emu::with(with("old-id", "old-secret")).await;
    first.connection("db", "auth0").await;
    let user = first
        .seed_user(json!({"connection": "db", "email": "u@example.com"}))
        .await;
    let r = first
        .post("/__emulator/logins", json!({"user_id": user}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let old_token = first.token.clone();
    first.handle.shutdown().await;

    let second = Emu::with(with("new-id", "new-secret")).await;
    // The connection is still enabled for the global client, and its user's login counts.
    let db = second.get_ok("/api/connections/db").await;
    assert_eq!(
        (db["client_id"].clone(), db["status"].clone()),
        (json!("new-id"), json!(true))
    );
    let users = second.get_ok("/api/clients/new-id/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    // The old credentials' token and id are gone.
    let r = second
        .send(reqwest::Method::GET, "/api/rules", Some(&old_token), None)
        .await;
    assert_error(&r, 401, "invalid_token");
    let r = second
        .send(
            reqwest::Method::POST,
            "/oauth/token",
            None,
            Some(&json!({"client_id": "old-id", "client_secret": "old-secret"})),
        )
        .await;
    assert_error(&r, 404, "invalid_client");
    let clients = second.get_ok("/api/clients").await;
    assert_eq!(clients.as_array().unwrap().len(), 1, "{clients}");
}
