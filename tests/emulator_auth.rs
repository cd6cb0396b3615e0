//! The emulator's authentication: `POST /oauth/token` (JSON, form-encoded, and a form sent
//! without a content type), wrong credentials (401, an unknown client 404, and a log entry `f`), the ways a token may be
//! sent, and the 401s: missing, unknown, expired, and a non-global client writing tenant-wide
//! settings.

mod harness;

use std::time::Duration;

use harness::{Emu, assert_error, config};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_as_json_form_and_unlabelled_form() {
    let emu = Emu::start().await;
    let (id, secret) = (
        emu.handle.global_client_id.clone(),
        emu.handle.global_client_secret.clone(),
    );
    let expected: Value =
        serde_json::from_str(r#"{"access_token": "<access_token>", "token_type": "bearer"}"#)
            .unwrap();

    let json_answer = emu
        .send(
            Method::POST,
            "/oauth/token",
            None,
            Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})),
        )
        .await;
    assert_eq!(json_answer.status, 200, "{}", json_answer.body);
    assert_eq!(emu.scrub(&json_answer.json(), &[]), expected);

    let form = format!("client_id={id}&client_secret={secret}&grant_type=client_credentials");
    let form_answer = harness::read(
        emu.http
            .post(emu.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(form_answer.status, 200, "{}", form_answer.body);
    assert_eq!(emu.scrub(&form_answer.json(), &[]), expected);

    // Some historical clients sent the form without a content type.
    let bare_answer = harness::read(
        emu.http
            .post(emu.url("/oauth/token"))
            .body(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bare_answer.status, 200, "{}", bare_answer.body);
    assert_eq!(emu.scrub(&bare_answer.json(), &[]), expected);

    // Each is a distinct working token.
    let tokens: Vec<String> = [&json_answer, &form_answer, &bare_answer]
        .iter()
        .map(|r| r.json()["access_token"].as_str().unwrap().to_string())
        .collect();
    assert_ne!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2]);
    for t in &tokens {
        let r = emu.send(Method::GET, "/api/rules", Some(t), None).await;
        assert_eq!((r.status, r.json()), (200, json!([])));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_401_access_denied_and_logged_as_f() {
    let emu = Emu::start().await;
    let global = emu.handle.global_client_id.clone();
    // A wrong secret is 401; a client the tenant does not have is 404, as in v1.
    for (id, secret, status, code, description) in [
        (
            global.as_str(),
            "wrong-secret",
            401,
            "access_denied",
            "Unauthorized",
        ),
        (
            "no-such-client",
            "whatever",
            404,
            "invalid_client",
            "unknown client `no-such-client`",
        ),
        (global.as_str(), "", 401, "access_denied", "Unauthorized"),
    ] {
        let r = emu
            .send(
                Method::POST,
                "/oauth/token",
                None,
                Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})),
            )
            .await;
        assert_error(&r, status, code);
        assert_eq!(
            r.json(),
            json!({"error": code, "error_description": description, "detail": description})
        );
    }
    let logs = emu.get_ok("/api/logs?sort=date:1").await;
    let expected: Value = serde_json::from_str(
        r#"{"start": 0, "length": 3, "total": 3, "limit": 50, "logs": [
            {"_id": "<_id>", "date": "<date>", "type": "f", "description": "Wrong client credentials",
             "client_id": "<global>", "client_name": "Global Client", "ip": "127.0.0.1",
             "user_agent": "emulator-tests", "details": {}},
            {"_id": "<_id>", "date": "<date>", "type": "f", "description": "Unknown client",
             "client_id": "no-such-client", "ip": "127.0.0.1", "user_agent": "emulator-tests",
             "details": {}},
            {"_id": "<_id>", "date": "<date>", "type": "f", "description": "Wrong client credentials",
             "client_id": "<global>", "client_name": "Global Client", "ip": "127.0.0.1",
             "user_agent": "emulator-tests", "details": {}}
        ]}"#,
    )
    .unwrap();
    assert_eq!(emu.scrub(&logs, &[]), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_grant_type_is_400() {
    let emu = Emu::start().await;
    let r = emu
        .send(
            Method::POST,
            "/oauth/token",
            None,
            Some(&json!({
                "client_id": emu.handle.global_client_id,
                "client_secret": emu.handle.global_client_secret,
                "grant_type": "password"
            })),
        )
        .await;
    assert_error(&r, 400, "unsupported_grant_type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_in_header_any_case_or_query_and_the_401s() {
    let emu = Emu::start().await;
    let url = emu.url("/api/rules");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = harness::read(
            emu.http
                .get(&url)
                .header("authorization", format!("{scheme} {}", emu.token))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((r.status, r.json()), (200, json!([])), "scheme {scheme}");
    }
    let r = harness::read(
        emu.http
            .get(format!("{url}?access_token={}", emu.token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((r.status, r.json()), (200, json!([])));

    // Missing: no header, an empty one, another scheme, an empty query parameter.
    let missing = [
        emu.http.get(&url),
        emu.http.get(&url).header("authorization", ""),
        emu.http.get(&url).header("authorization", "Bearer "),
        emu.http
            .get(&url)
            .header("authorization", format!("Basic {}", emu.token)),
        emu.http.get(format!("{url}?access_token=")),
    ];
    for req in missing {
        let r = harness::read(req.send().await.unwrap()).await;
        assert_error(&r, 401, "unauthorized");
    }

    // Unknown tokens, in either place.
    let r = emu
        .send(Method::GET, "/api/rules", Some("not-a-token"), None)
        .await;
    assert_error(&r, 401, "invalid_token");
    let r = harness::read(
        emu.http
            .get(format!("{url}?access_token=not-a-token"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 401, "invalid_token");

    // Every /api/ route and the emulator's own routes need a token.
    for (method, path) in [
        (Method::GET, "/api/users"),
        (Method::POST, "/api/users"),
        (Method::GET, "/api/connections"),
        (Method::GET, "/api/clients"),
        (Method::GET, "/api/logs"),
        (Method::GET, "/api/emails/verify_email"),
        (Method::DELETE, "/api/rules/x"),
        (Method::GET, "/__emulator/stats"),
        (Method::POST, "/__emulator/users"),
    ] {
        let r = emu.send(method.clone(), path, None, None).await;
        assert_error(&r, 401, "unauthorized");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_401_invalid_token() {
    let emu = Emu::with(harness::Config {
        token_lifetime: Duration::from_secs(1),
        ..config()
    })
    .await;
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = emu.get("/api/rules").await;
    assert_error(&r, 401, "invalid_token");
    // A new token works again.
    let fresh = emu
        .token_for(
            &emu.handle.global_client_id,
            &emu.handle.global_client_secret,
        )
        .await;
    let r = emu
        .send(Method::GET, "/api/rules", Some(&fresh), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_global_token_reads_and_writes_users_but_not_tenant_settings() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "r", "script": "function (u, c, cb) { cb(null, u, c); }"}),
    )
    .await;
    emu.post_ok("/api/emails", json!({"template": "verify_email"}))
        .await;
    let (id, secret) = emu.client("Mobile").await;
    let token = emu.token_for(&id, &secret).await;
    let t = Some(token.as_str());

    for path in [
        "/api/rules",
        "/api/rules/r",
        "/api/connections",
        "/api/connections/db",
        "/api/clients",
        "/api/emails/verify_email",
        "/api/users",
        "/api/logs",
    ] {
        let r = emu.send(Method::GET, path, t, None).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
    }

    let script =
        json!({"name": "x", "script": "function (u, c, cb) { cb(null, u, c); }", "order": 9});
    let writes = [
        (Method::POST, "/api/rules", script.clone()),
        (Method::PUT, "/api/rules/r", json!({"status": false})),
        (Method::DELETE, "/api/rules/r", Value::Null),
        (
            Method::POST,
            "/api/connections",
            json!({"name": "c2", "strategy": "auth0"}),
        ),
        (Method::PUT, "/api/connections/db", json!({"status": false})),
        (Method::DELETE, "/api/connections/db", Value::Null),
        (Method::POST, "/api/clients", json!({"name": "x"})),
        (Method::PATCH, "/api/clients/x", json!({"name": "y"})),
        (Method::PUT, "/api/clients/x", json!({"name": "y"})),
        (Method::DELETE, "/api/clients/x", Value::Null),
        (
            Method::POST,
            "/api/emails",
            json!({"template": "reset_email"}),
        ),
        (
            Method::PUT,
            "/api/emails/verify_email",
            json!({"subject": "x"}),
        ),
        (Method::GET, "/__emulator/stats", Value::Null),
        (
            Method::POST,
            "/__emulator/users",
            json!({"connection": "db", "email": "a@b.c"}),
        ),
    ];
    for (method, path, body) in writes {
        let body = (!body.is_null()).then_some(body);
        let r = emu.send(method.clone(), path, t, body.as_ref()).await;
        assert_error(&r, 401, "insufficient_scope");
    }
    // Nothing changed.
    assert_eq!(emu.get_ok("/api/rules").await.as_array().unwrap().len(), 1);
    assert_eq!(emu.get_ok("/api/rules/r").await["status"], true);
    assert_eq!(
        emu.get_ok("/api/connections")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(emu.get_ok("/api/emails/verify_email").await["subject"], "");

    // Users are writable with it.
    let r = emu
        .send(
            Method::POST,
            "/api/users",
            t,
            Some(&json!({"email": "m@example.com", "password": "pw-123456", "connection": "db"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user = r.json()["user_id"].as_str().unwrap().to_string();
    let r = emu
        .send(
            Method::PATCH,
            &format!("/api/users/{user}/metadata"),
            t,
            Some(&json!({"plan": "gold"})),
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "OK"));
    let r = emu
        .send(Method::DELETE, &format!("/api/users/{user}"), t, None)
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_client_revokes_its_tokens() {
    let emu = Emu::start().await;
    let (id, secret) = emu.client("Doomed").await;
    let token = emu.token_for(&id, &secret).await;
    let r = emu
        .send(Method::GET, "/api/rules", Some(&token), None)
        .await;
    assert_eq!(r.status, 200);
    harness::assert_ok_text(&emu.delete(&format!("/api/clients/{id}")).await);
    let r = emu
        .send(Method::GET, "/api/rules", Some(&token), None)
        .await;
    assert_error(&r, 401, "invalid_token");
    let r = emu
        .send(
            Method::POST,
            "/oauth/token",
            None,
            Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})),
        )
        .await;
    // The client is gone: an unknown client, 404.
    assert_error(&r, 404, "invalid_client");
}
