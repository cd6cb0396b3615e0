//! The error classes every endpoint shares: 404 for unknown paths and resources, 405 for
//! unknown methods, 400 `invalid_body` for bodies that are not a JSON object — each as
//! `{"error", "error_description", "detail"}` with a JSON content type. (401s are in
//! emulator_auth, conflicts in emulator_resources and emulator_users, 429 and 503 in
//! emulator_faults, the HTTP layer's own errors in emulator_security.)

mod harness;

use harness::{Emu, assert_error, read};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_resources_are_404() {
    let emu = Emu::start().await;
    for path in [
        "/api/nothing",
        "/api/rules/a/b",
        "/api/users/auth0%7C1/nothing",
        "/nothing",
        "/api",
        "/",
    ] {
        assert_error(&emu.get(path).await, 404, "not_found");
    }
    assert_eq!(
        emu.get("/api/nothing").await.json(),
        json!({"error": "not_found", "error_description": "no such endpoint: GET /api/nothing",
               "detail": "no such endpoint: GET /api/nothing"})
    );
    for path in [
        "/api/rules/nope",
        "/api/clients/nope",
        "/api/connections/nope",
        "/api/users/auth0%7Cnope",
        "/api/emails/reset_email",
        "/api/logs/000000000000000000000001",
    ] {
        assert_error(&emu.get(path).await, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_methods_are_405() {
    let emu = Emu::start().await;
    for (method, path) in [
        (Method::DELETE, "/api/logs"),
        (Method::POST, "/api/logs/1"),
        (Method::GET, "/api/emails"),
        (Method::DELETE, "/api/emails/verify_email"),
        (Method::POST, "/api/rules/r"),
        (Method::PATCH, "/api/rules/r"),
        (Method::PUT, "/api/rules"),
        (Method::DELETE, "/api/users"),
        (Method::POST, "/api/connections/c"),
        (Method::PATCH, "/api/connections/c"),
        (Method::POST, "/api/clients/x"),
        (Method::GET, "/oauth/token"),
        (Method::PUT, "/api/users/auth0%7C1/devices"),
    ] {
        let r = emu.send(method.clone(), path, Some(&emu.token), None).await;
        assert_error(&r, 405, "method_not_allowed");
    }
    assert_eq!(
        emu.delete("/api/logs").await.json(),
        json!({"error": "method_not_allowed",
               "error_description": "DELETE is not allowed on /api/logs",
               "detail": "DELETE is not allowed on /api/logs"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_json_objects_are_400_invalid_body() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    let user = emu
        .post_ok(
            "/api/users",
            json!({"email": "a@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await["user_id"]
        .as_str()
        .unwrap()
        .replace('|', "%7C");
    let targets = [
        (Method::POST, "/api/rules".to_string()),
        (Method::POST, "/api/connections".to_string()),
        (Method::PUT, "/api/connections/db".to_string()),
        (Method::POST, "/api/clients".to_string()),
        (Method::POST, "/api/emails".to_string()),
        (Method::POST, "/api/users".to_string()),
        (Method::PUT, format!("/api/users/{user}/metadata")),
        (Method::PATCH, format!("/api/users/{user}/metadata")),
        (Method::PUT, format!("/api/users/{user}/email")),
        (Method::POST, "/oauth/token".to_string()),
    ];
    for (method, path) in &targets {
        for body in ["{not json", "[1, 2]", "\"text\"", "null", "42"] {
            let r = read(
                emu.http
                    .request(method.clone(), emu.url(path))
                    .bearer_auth(&emu.token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_error(&r, 400, "invalid_body");
        }
    }
    // Nothing was written.
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));
    assert_eq!(
        emu.get_ok(&format!("/api/users/{user}/metadata")).await,
        json!({})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_mistyped_fields_are_400_bad_request() {
    let emu = Emu::start().await;
    // An empty body is an empty object.
    let r = read(
        emu.http
            .post(emu.url("/api/rules"))
            .bearer_auth(&emu.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 400, "bad_request");
    for body in [
        json!({"name": 1, "script": "x"}),
        json!({"name": "x", "script": ["x"]}),
        json!({"name": "x", "script": "x", "status": 1}),
    ] {
        assert_error(&emu.post("/api/rules", body).await, 400, "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractor_rejections_have_the_error_body_too() {
    let emu = Emu::start().await;
    // A path segment that is not UTF-8 once decoded.
    for path in [
        "/api/rules/%FF",
        "/api/users/%E2%82/devices",
        "/api/connections/%C3",
    ] {
        assert_error(&emu.get(path).await, 400, "bad_request");
    }
    // A body over the size limit.
    let script = "x".repeat(3 * 1024 * 1024);
    let r = emu
        .post("/api/rules", json!({"name": "big", "script": script}))
        .await;
    assert_error(&r, 413, "payload_too_large");
    // The unread rest of the body makes the connection unusable: the answer says it closes.
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));
}
