//! Fault injection and limits: `fail_rate` 1.0 answers every `/api/` request 503 (and never the
//! token or emulator routes); `fail_rate` 0.5 loses some answers of writes that did happen;
//! latency is a lower bound; the rate limit answers 429 with its headers; and the stats count
//! API requests by route and status.

mod harness;

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use harness::{Config, Emu, assert_error, config};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_rate_one_answers_every_api_request_503() {
    let emu = Emu::with(Config {
        fail_rate: 1.0,
        ..config()
    })
    .await;
    let requests = [
        (Method::GET, "/api/users"),
        (Method::POST, "/api/users"),
        (Method::GET, "/api/users/auth0%7C1"),
        (Method::DELETE, "/api/users/auth0%7C1"),
        (Method::GET, "/api/users/auth0%7C1/devices"),
        (Method::PATCH, "/api/users/auth0%7C1/metadata"),
        (Method::PUT, "/api/users/auth0%7C1/password"),
        (Method::POST, "/api/users/auth0%7C1/change_password_ticket"),
        (Method::GET, "/api/users/auth0%7C1/logs"),
        (Method::GET, "/api/connections"),
        (Method::POST, "/api/connections"),
        (Method::PUT, "/api/connections/c"),
        (Method::DELETE, "/api/connections/c"),
        (Method::GET, "/api/connections/c/users"),
        (Method::GET, "/api/enterpriseconnections/users"),
        (Method::GET, "/api/socialconnections/users"),
        (Method::GET, "/api/clients"),
        (Method::PATCH, "/api/clients/x"),
        (Method::GET, "/api/clients/x/users"),
        (Method::GET, "/api/rules"),
        (Method::POST, "/api/rules/"),
        (Method::PUT, "/api/rules/r"),
        (Method::POST, "/api/emails"),
        (Method::GET, "/api/emails/verify_email"),
        (Method::GET, "/api/logs"),
        (Method::GET, "/api/logs/1"),
        (Method::GET, "/api/nothing"),
        (Method::DELETE, "/api/logs"),
    ];
    for (method, path) in requests {
        let body = json!({"name": "r", "script": SCRIPT});
        let r = emu
            .send(method.clone(), path, Some(&emu.token), Some(&body))
            .await;
        assert_error(&r, 503, "temporarily_unavailable");
        // Even without a token: the failure comes first.
        let r = emu.send(method.clone(), path, None, None).await;
        assert_error(&r, 503, "temporarily_unavailable");
    }
    // The token and the emulator's own routes are not failed.
    let token = emu
        .token_for(
            &emu.handle.global_client_id,
            &emu.handle.global_client_secret,
        )
        .await;
    assert!(!token.is_empty());
    let stats = emu.get_ok("/__emulator/stats").await;
    assert_eq!(stats["by_status"], json!({"200": 2, "503": 56}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_of_writes_that_happened() {
    let emu = Emu::with(Config {
        fail_rate: 0.5,
        ..config()
    })
    .await;
    // 60 creates: each answer is lost before the write with probability 1/4 and after it with
    // probability 1/4, so the chance that no create falls in either case is below 1e-7.
    let mut ok = HashSet::new();
    let mut lost = HashSet::new();
    for i in 0..60 {
        let name = format!("rule-{i:02}");
        let r = emu
            .post(
                "/api/rules",
                json!({"name": name, "script": SCRIPT, "order": i + 1}),
            )
            .await;
        match r.status {
            200 => {
                assert_eq!(r.json()["name"], name.as_str());
                ok.insert(name);
            }
            503 => {
                assert_error(&r, 503, "temporarily_unavailable");
                lost.insert(name);
            }
            other => panic!("create answered {other}: {}", r.body),
        }
    }
    // Read until a read gets through (each does with probability 1/2).
    let mut rules = None;
    for _ in 0..100 {
        let r = emu.get("/api/rules").await;
        if r.status == 200 {
            rules = Some(r.json());
            break;
        }
        assert_error(&r, 503, "temporarily_unavailable");
    }
    let rules = rules.expect("a read got through in 100 tries");
    // About half the answers were lost (outside 10..=50 of 60 has a chance below 1e-7).
    assert!((10..=50).contains(&lost.len()), "{} of 60 lost", lost.len());
    let names: HashSet<String> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert!(ok.is_subset(&names), "every 200 create exists");
    let happened: Vec<&String> = lost.intersection(&names).collect();
    let vanished: Vec<&String> = lost.difference(&names).collect();
    assert!(
        !happened.is_empty(),
        "some create answered 503 yet happened (lost: {lost:?})"
    );
    assert!(
        !vanished.is_empty(),
        "some create answered 503 and did not happen (lost: {lost:?})"
    );
    assert_eq!(names.len(), ok.len() + happened.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_every_answer() {
    let emu = Emu::with(Config {
        latency: Duration::from_millis(200),
        ..config()
    })
    .await;
    for path in ["/api/rules", "/api/rules/nope"] {
        let started = Instant::now();
        let r = emu.get(path).await;
        assert!(r.status == 200 || r.status == 404, "{}", r.body);
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    let started = Instant::now();
    emu.token_for(
        &emu.handle.global_client_id,
        &emu.handle.global_client_secret,
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_answers_429_with_its_headers() {
    let limit = 5u32;
    let emu = Emu::with(Config {
        rate_limit: Some(limit),
        ..config()
    })
    .await;
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    // Within one second at most `limit` requests pass: a burst of 4 × limit requests at once
    // spans at most two windows unless the machine stalls, so it has 429s; retry a few bursts.
    let emu = std::sync::Arc::new(emu);
    let mut limited = None;
    let mut passed = 0;
    for _ in 0..10 {
        let before = now();
        let burst: Vec<_> = (0..4 * limit)
            .map(|_| {
                let emu = emu.clone();
                tokio::spawn(async move { emu.get("/api/rules").await })
            })
            .collect();
        for handle in burst {
            let r = handle.await.unwrap();
            if r.status == 429 {
                limited.get_or_insert((r, before));
                continue;
            }
            assert_eq!(r.status, 200, "{}", r.body);
            passed += 1;
            // Every answer carries the limit headers.
            assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
            let remaining: u32 = r.header("x-ratelimit-remaining").unwrap().parse().unwrap();
            assert!(remaining < limit, "remaining {remaining}");
            let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
            assert!(reset > before && reset <= now() + 1, "reset {reset}");
        }
        if limited.is_some() {
            break;
        }
    }
    let (r, before) = limited.expect("a request was limited");
    assert!(passed >= 1);
    assert_error(&r, 429, "too_many_requests");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > before && reset <= now() + 1, "reset {reset}");

    // After the window, requests pass again.
    let wait = Duration::from_secs(reset)
        .saturating_sub(SystemTime::now().duration_since(UNIX_EPOCH).unwrap());
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    let r = emu.get("/api/rules").await;
    assert_eq!(r.status, 200, "{}", r.body);

    // 429s are counted in the stats.
    let stats = emu.get_ok("/__emulator/stats").await;
    assert!(stats["by_status"]["429"].as_u64().unwrap() >= 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_answer_carries_the_rate_limit_headers() {
    let has_headers = |r: &harness::Resp| {
        assert_eq!(r.header("x-ratelimit-limit"), Some("1000"), "{r:?}");
        let remaining: u32 = r.header("x-ratelimit-remaining").unwrap().parse().unwrap();
        assert!(remaining < 1000, "{r:?}");
        let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
        assert!(reset > 1_600_000_000, "{r:?}");
    };
    let emu = Emu::with(Config {
        rate_limit: Some(1000),
        ..config()
    })
    .await;
    let answers = [
        emu.get("/api/rules").await,
        emu.get("/api/rules/nope").await,
        emu.get("/api/nothing").await,
        emu.delete("/api/logs").await,
        emu.send(Method::GET, "/api/rules", None, None).await,
        emu.send(
            Method::POST,
            "/oauth/token",
            None,
            Some(&json!({"client_id": "x"})),
        )
        .await,
    ];
    assert_eq!(
        answers.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 404, 404, 405, 401, 404]
    );
    answers.iter().for_each(has_headers);

    // Injected failures too.
    let emu = Emu::with(Config {
        rate_limit: Some(1000),
        fail_rate: 1.0,
        ..config()
    })
    .await;
    let r = emu.get("/api/rules").await;
    assert_error(&r, 503, "temporarily_unavailable");
    has_headers(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_api_requests_by_route_and_status() {
    let emu = Emu::start().await;
    emu.get_ok("/api/rules").await;
    emu.get_ok("/api/rules/").await;
    emu.post_ok("/api/rules", json!({"name": "r", "script": SCRIPT}))
        .await;
    assert_error(&emu.get("/api/rules/nope").await, 404, "not_found");
    emu.get_ok("/api/rules/r").await;
    let r = emu.send(Method::GET, "/api/rules", None, None).await;
    assert_error(&r, 401, "unauthorized");
    emu.connection("db", "auth0").await;
    // Unknown paths and methods under /api/ are API requests too.
    assert_error(&emu.get("/api/nothing").await, 404, "not_found");
    assert_error(&emu.delete("/api/logs").await, 405, "method_not_allowed");
    // Not counted: the emulator's own routes.
    emu.seed_user(json!({"connection": "db", "email": "s@example.com"}))
        .await;
    emu.get_ok("/__emulator/stats").await;

    let stats = emu.get_ok("/__emulator/stats").await;
    let expected: Value = serde_json::from_str(
        r#"{"total": 10,
            "by_route": {"POST /oauth/token": 1, "GET /api/rules": 3, "POST /api/rules": 1,
                         "GET /api/rules/{name}": 2, "POST /api/connections": 1,
                         "GET /api/nothing": 1, "DELETE /api/logs": 1},
            "by_status": {"200": 6, "401": 1, "404": 2, "405": 1},
            "by_error": {"method_not_allowed": 1, "not_found": 2, "unauthorized": 1},
            "unrecorded_failed_logins": 0}"#,
    )
    .unwrap();
    assert_eq!(stats, expected);

    // It needs the global token.
    let (id, secret) = emu.client("App").await;
    let token = emu.token_for(&id, &secret).await;
    let r = emu
        .send(Method::GET, "/__emulator/stats", Some(&token), None)
        .await;
    assert_error(&r, 401, "insufficient_scope");
    let r = emu.send(Method::GET, "/__emulator/stats", None, None).await;
    assert_error(&r, 401, "unauthorized");
}
