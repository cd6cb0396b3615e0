//! v2 tokens and scopes, v2's error shape, its rate-limit headers and the stats: what every
//! `/api/v2` answer shares.

mod harness;

use harness::{Config, Emu, assert_error, assert_v2_error, config};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v2_token_carries_scopes_and_tokens_are_for_one_api() {
    let emu = Emu::start().await;
    let (id, secret) = (
        emu.handle.global_client_id.clone(),
        emu.handle.global_client_secret.clone(),
    );
    let answer = emu.v2_token_answer(&id, &secret).await;
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 86400);
    let scope = answer["scope"].as_str().unwrap();
    for s in [
        "read:clients",
        "read:client_keys",
        "update:connections_options",
        "delete:rules",
        "create:email_templates",
        "delete:email_provider",
    ] {
        assert!(scope.split(' ').any(|x| x == s), "{s} in {scope}");
    }
    // Form-encoded, without the trailing slash, works too.
    let form = emu
        .http
        .post(emu.url("/oauth/token"))
        .form(&[
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("grant_type", "client_credentials"),
            ("audience", &format!("{}/api/v2", emu.base)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let v2 = answer["access_token"].as_str().unwrap().to_string();

    // A v1 token is refused on v2, a v2 token on v1 (the real service's audiences).
    let r = emu
        .send(Method::GET, "/api/v2/clients", Some(&emu.token), None)
        .await;
    assert_v2_error(&r, 401, "invalid_token");
    let r = emu.send(Method::GET, "/api/clients", Some(&v2), None).await;
    assert_error(&r, 401, "invalid_token");
    let r = emu.send(Method::GET, "/api/v2/clients", None, None).await;
    assert_v2_error(&r, 401, "unauthorized");
    // An audience that is not this emulator's.
    let r = emu
        .send(Method::POST, "/oauth/token", None,
              Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials",
                           "audience": "https://tenant.auth0.com/api/v2/"})))
        .await;
    assert_error(&r, 403, "access_denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_clients_get_the_scopes_granted_to_them() {
    let emu = Emu::start().await;
    let (id, secret) = emu.client("reader").await;
    let answer = emu.v2_token_answer(&id, &secret).await;
    assert_eq!(answer["scope"], "");
    let none = answer["access_token"].as_str().unwrap().to_string();
    let r = emu
        .send(Method::GET, "/api/v2/clients", Some(&none), None)
        .await;
    assert_v2_error(&r, 403, "insufficient_scope");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("read:clients"),
        "{}",
        r.body
    );

    // Grants are recorded through the emulator's own route (global token).
    let grant = emu
        .put(
            &format!("/__emulator/clients/{id}/scopes"),
            json!({"scopes": ["read:clients", "read:connections", "update:connections"]}),
        )
        .await;
    assert_eq!(grant.status, 200, "{}", grant.body);
    assert_eq!(
        grant.json(),
        json!({"client_id": id,
        "scopes": ["read:clients", "read:connections", "update:connections"]})
    );
    assert_error(
        &emu.put(
            &format!("/__emulator/clients/{id}/scopes"),
            json!({"scopes": ["fly"]}),
        )
        .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put("/__emulator/clients/nobody/scopes", json!({"scopes": []}))
            .await,
        404,
        "not_found",
    );
    let reader = emu.v2_token_for(&id, &secret).await;
    let r = emu
        .send(
            Method::GET,
            &format!("/api/v2/clients/{id}"),
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json().get("client_secret").is_none(),
        "no read:client_keys: {}",
        r.body
    );
    let r = emu
        .send(
            Method::POST,
            "/api/v2/clients",
            Some(&reader),
            Some(&json!({"name": "x"})),
        )
        .await;
    assert_v2_error(&r, 403, "insufficient_scope");

    // Connection options need their own scopes.
    let global = emu.v2_token().await;
    let c = emu
        .send(
            Method::POST,
            "/api/v2/connections",
            Some(&global),
            Some(&json!({"name": "db", "strategy": "auth0", "options": {"x": 1}})),
        )
        .await
        .json();
    let path = format!("/api/v2/connections/{}", c["id"].as_str().unwrap());
    let seen = emu
        .send(Method::GET, &path, Some(&reader), None)
        .await
        .json();
    assert!(
        seen.get("options").is_none() && seen["name"] == "db",
        "{seen}"
    );
    let r = emu
        .send(
            Method::PATCH,
            &path,
            Some(&reader),
            Some(&json!({"options": {}})),
        )
        .await;
    assert_v2_error(&r, 403, "insufficient_scope");
    let r = emu
        .send(
            Method::PATCH,
            &path,
            Some(&reader),
            Some(&json!({"display_name": "DB"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = emu
        .send(Method::GET, &path, Some(&global), None)
        .await
        .json();
    assert_eq!(seen["options"], json!({"x": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v2_answer_has_v2_s_error_shape_and_rate_limit_headers() {
    let emu = Emu::start().await;
    let token = emu.v2_token().await;
    for (method, path, status, code) in [
        (Method::GET, "/api/v2/nothing", 404, "not_found"),
        (Method::PUT, "/api/v2/clients", 405, "method_not_allowed"),
        (
            Method::GET,
            "/api/v2/rules/rul_missing",
            404,
            "inexistent_rule",
        ),
    ] {
        let r = emu.send(method, path, Some(&token), None).await;
        assert_v2_error(&r, status, code);
        assert!(r.header("x-ratelimit-limit").is_some(), "{path}");
    }
    let r = emu
        .http
        .post(emu.url("/api/v2/rules"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = harness::read(r).await;
    assert_v2_error(&r, 400, "invalid_body");
    let ok = emu
        .send(Method::GET, "/api/v2/rules", Some(&token), None)
        .await;
    assert_eq!(ok.status, 200);
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(
            ok.header(h).and_then(|v| v.parse::<u64>().ok()).is_some(),
            "{h}: {:?}",
            ok.headers
        );
    }
    // v1 keeps its shape.
    assert_error(&emu.get("/api/rules/missing").await, 404, "not_found");

    let stats = emu.get("/__emulator/stats").await.json();
    assert_eq!(stats["by_route"]["GET /api/v2/rules"], 1, "{stats}");
    assert_eq!(stats["by_route"]["GET /api/v2/rules/{id}"], 1, "{stats}");
    assert_eq!(stats["by_error"]["inexistent_rule"], 1, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_answers_429_in_v2_s_shape() {
    let emu = Emu::with(Config {
        rate_limit: Some(2),
        ..config()
    })
    .await;
    let token = emu.v2_token().await;
    let mut limited = None;
    for _ in 0..20 {
        let r = emu
            .send(Method::GET, "/api/v2/clients", Some(&token), None)
            .await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
    }
    let r = limited.expect("a 429 within 20 requests at 2 a second");
    assert_v2_error(&r, 429, "too_many_requests");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.header("x-ratelimit-reset").is_some());
    let _: Value = r.json();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_failure_on_a_v2_route_has_v2_s_shape() {
    let emu = Emu::with(Config {
        fail_routes: vec!["PATCH /api/v2/rules/{id}".to_string()],
        ..config()
    })
    .await;
    let token = emu.v2_token().await;
    let r = emu
        .send(
            Method::PATCH,
            "/api/v2/rules/rul_x",
            Some(&token),
            Some(&json!({})),
        )
        .await;
    assert_v2_error(&r, 500, "internal_error");
    let r = emu
        .send(Method::GET, "/api/v2/rules/rul_x", Some(&token), None)
        .await;
    assert_v2_error(&r, 404, "inexistent_rule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_scope_but_its_own_token_changes_the_global_client() {
    let emu = Emu::start().await;
    let (id, secret) = emu.client("writer").await;
    let (other, _) = emu.client("other").await;
    let grant = emu
        .put(
            &format!("/__emulator/clients/{id}/scopes"),
            json!({"scopes": ["read:clients", "update:clients", "update:client_credentials"]}),
        )
        .await;
    assert_eq!(grant.status, 200, "{}", grant.body);
    let writer = emu.v2_token_for(&id, &secret).await;
    let global = emu.handle.global_client_id.clone();
    let global_secret = emu.handle.global_client_secret.clone();
    let patch = |target: String, body: Value| {
        let (emu, writer) = (&emu, writer.clone());
        async move {
            emu.send(
                Method::PATCH,
                &format!("/api/v2/clients/{target}"),
                Some(&writer),
                Some(&body),
            )
            .await
        }
    };
    // Neither its secret, nor its callbacks, nor its name: the global client is its own.
    for body in [
        json!({"client_secret": "attacker-chosen-secret-value"}),
        json!({"callbacks": ["https://attacker.example/cb"]}),
        json!({"name": "renamed", "grant_types": ["client_credentials"]}),
    ] {
        let r = patch(global.clone(), body.clone()).await;
        assert_v2_error(&r, 403, "insufficient_scope");
    }
    // Any client's secret needs `update:client_keys`, which `update:clients` is not.
    let r = patch(
        other.clone(),
        json!({"client_secret": "new-secret-value-1"}),
    )
    .await;
    assert_v2_error(&r, 403, "insufficient_scope");
    assert!(r.body.contains("update:client_keys"), "{}", r.body);
    // What it may do, it still does.
    let r = patch(
        other.clone(),
        json!({"callbacks": ["https://other.example/cb"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // And the global client is unchanged: its secret still mints its token.
    let after = emu.v2_token_answer(&global, &global_secret).await;
    assert!(after["access_token"].is_string(), "{after}");
    let r = emu
        .send(
            Method::GET,
            &format!("/api/v2/clients/{global}"),
            Some(&emu.v2_token().await),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(r.json()["name"], "renamed", "{}", r.body);
    assert!(
        r.json()["callbacks"].to_string().find("attacker").is_none(),
        "{}",
        r.body
    );
    // With `update:client_keys` too, another client's secret can be set; the global one's not.
    emu.put(
        &format!("/__emulator/clients/{id}/scopes"),
        json!({"scopes": ["update:clients", "update:client_keys"]}),
    )
    .await;
    let keys = emu.v2_token_for(&id, &secret).await;
    let r = emu
        .send(
            Method::PATCH,
            &format!("/api/v2/clients/{other}"),
            Some(&keys),
            Some(&json!({"client_secret": "new-secret-value-2"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = emu
        .send(
            Method::PATCH,
            &format!("/api/v2/clients/{global}"),
            Some(&keys),
            Some(&json!({"client_secret": "attacker-chosen-secret-value"})),
        )
        .await;
    assert_v2_error(&r, 403, "insufficient_scope");
}
