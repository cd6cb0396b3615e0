//! v1 fidelity for the historical client libraries: every error body carries `detail`; failed
//! writes to connections, rules and email templates are 400 (duplicates included) with a code
//! telling a conflict apart, counted by that code in the stats; `POST /oauth/token` of an
//! unknown client is 404 (a wrong secret stays 401, in emulator_auth); `GET /api/strategies`.

mod harness;

use harness::{Emu, assert_error, config};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (u, c, cb) { cb(null, u, c); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_body_carries_detail() {
    let emu = Emu::with(harness::Config {
        fail_routes: vec!["GET /api/emails/{template}".into()],
        ..config()
    })
    .await;
    let answers = [
        (emu.post("/api/rules", json!({})).await, 400, "bad_request"),
        (
            emu.send(Method::GET, "/api/rules", Some("nope"), None)
                .await,
            401,
            "invalid_token",
        ),
        (emu.get("/api/rules/nope").await, 404, "not_found"),
        (emu.delete("/api/logs").await, 405, "method_not_allowed"),
        (
            emu.get("/api/emails/verify_email").await,
            500,
            "internal_error",
        ),
    ];
    for (r, status, code) in answers {
        // assert_error checks `detail` equals `error_description`, and that there is no other key.
        assert_error(&r, status, code);
        assert!(r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_are_400_with_their_codes_and_counted_by_code() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "a", "script": SCRIPT, "order": 1}),
    )
    .await;
    emu.post_ok("/api/emails", json!({"template": "verify_email"}))
        .await;
    let before = emu.get_ok("/__emulator/stats").await;
    let answers = [
        (
            emu.post(
                "/api/connections",
                json!({"name": "db", "strategy": "auth0"}),
            )
            .await,
            "conflict",
        ),
        (
            emu.post("/api/rules", json!({"name": "a", "script": SCRIPT}))
                .await,
            "conflict",
        ),
        (
            emu.post(
                "/api/rules",
                json!({"name": "b", "script": SCRIPT, "order": 1}),
            )
            .await,
            "rule_conflict",
        ),
        (
            emu.post("/api/emails", json!({"template": "verify_email"}))
                .await,
            "conflict",
        ),
    ];
    for (r, code) in &answers {
        assert_error(r, 400, code);
    }
    let after = emu.get_ok("/__emulator/stats").await;
    let count = |stats: &Value, code: &str| stats["by_error"][code].as_u64().unwrap_or(0);
    assert_eq!(count(&after, "conflict") - count(&before, "conflict"), 3);
    assert_eq!(
        count(&after, "rule_conflict") - count(&before, "rule_conflict"),
        1
    );
    assert_eq!(after["by_status"].get("409"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategies_are_what_connections_are_filtered_by() {
    let emu = Emu::start().await;
    let strategies = emu.get_ok("/api/strategies").await;
    let list = strategies.as_array().expect("an array");
    let find = |name: &str| {
        list.iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    assert_eq!(
        find("google-oauth2"),
        json!({"name": "google-oauth2", "social": true, "enterprise": false,
               "database": false, "passwordless": false})
    );
    assert_eq!(find("auth0")["database"], true);
    assert_eq!(find("waad")["enterprise"], true);
    assert_eq!(find("sms")["passwordless"], true);
    // Truthful: each strategy's flags are how the emulator files its connections.
    for (i, s) in list.iter().enumerate() {
        let name = format!("c{i}");
        emu.connection(&name, s["name"].as_str().unwrap()).await;
        for (flag, filter) in [
            ("social", "only_socials"),
            ("enterprise", "only_enterprise"),
            ("database", "only_database"),
            ("passwordless", "only_passwordless"),
        ] {
            let listed = emu.get_ok(&format!("/api/connections?{filter}=true")).await;
            let found = listed.as_array().unwrap().iter().any(|c| c["name"] == name);
            assert_eq!(found, s[flag] == true, "{s} {filter}");
        }
        // Exactly one kind.
        let kinds = ["social", "enterprise", "database", "passwordless"]
            .iter()
            .filter(|k| s[**k] == true)
            .count();
        assert_eq!(kinds, 1, "{s}");
    }
    // A non-global token may read them too.
    let (id, secret) = emu.client("reader").await;
    let token = emu.token_for(&id, &secret).await;
    let r = emu
        .send(Method::GET, "/api/strategies", Some(&token), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), strategies);
}
