//! What historical v1 clients did and the emulator must accept: trailing `/` on paths, `%7C`
//! (and a raw `|`) in user ids, URL-encoded rule names, JSON bodies with any or no content type,
//! booleans as strings, and unknown query parameters and `Accept` headers. (Form-encoded token
//! requests, `?access_token=` and a lower-case `bearer` are in emulator_auth; following the users
//! `Link` header without an Authorization header in emulator_users; `order: ""` and DELETE
//! connection's `{"removed": id}` in emulator_resources.)

mod harness;

use harness::{Emu, assert_ok_text, read};
use reqwest::Method;
use serde_json::json;

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trailing_slash_is_ignored() {
    let emu = Emu::start().await;
    let (id, secret) = (
        emu.handle.global_client_id.clone(),
        emu.handle.global_client_secret.clone(),
    );
    let r = emu
        .send(
            Method::POST,
            "/oauth/token/",
            None,
            Some(&json!({"client_id": id, "client_secret": secret, "grant_type": "client_credentials"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let rule = emu
        .post_ok("/api/rules/", json!({"name": "r", "script": SCRIPT}))
        .await;
    assert_eq!(emu.get_ok("/api/rules/").await, json!([rule]));
    assert_eq!(emu.get_ok("/api/rules/r/").await, rule);
    let r = emu.put("/api/rules/r/", json!({"status": false})).await;
    assert_eq!((r.status, r.json()["status"].clone()), (200, json!(false)));

    let conn = emu
        .post_ok(
            "/api/connections/",
            json!({"name": "db", "strategy": "auth0"}),
        )
        .await;
    assert_eq!(emu.get_ok("/api/connections/db/").await, conn);
    let user = emu
        .post_ok(
            "/api/users/",
            json!({"email": "a@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await;
    let uid = user["user_id"].as_str().unwrap().replace('|', "%7C");
    assert_eq!(emu.get_ok("/api/users/").await, json!([user.clone()]));
    assert_eq!(emu.get_ok(&format!("/api/users/{uid}/")).await, user);
    assert_ok_text(
        &emu.patch(&format!("/api/users/{uid}/metadata/"), json!({"a": 1}))
            .await,
    );
    assert_eq!(
        emu.get_ok(&format!("/api/users/{uid}/metadata/")).await,
        json!({"a": 1})
    );
    assert_ok_text(
        &emu.post(
            &format!("/api/users/{uid}/send_verification_email/"),
            json!({}),
        )
        .await,
    );
    assert_eq!(
        emu.get_ok("/api/connections/db/users/")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let client = emu.post_ok("/api/clients/", json!({"name": "x"})).await;
    let cid = client["clientID"].as_str().unwrap();
    assert_eq!(emu.get_ok(&format!("/api/clients/{cid}/")).await, client);
    emu.post_ok("/api/emails/", json!({"template": "verify_email"}))
        .await;
    assert_eq!(
        emu.get_ok("/api/emails/verify_email/").await["template"],
        "verify_email"
    );
    // The signup and the verification email.
    assert_eq!(emu.get_ok("/api/logs/").await["total"], 2);

    assert_ok_text(&emu.delete("/api/rules/r/").await);
    assert_ok_text(&emu.delete(&format!("/api/users/{uid}/")).await);
    assert_eq!(
        emu.delete("/api/connections/db/").await.json(),
        json!({"removed": conn["id"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_ids_with_an_encoded_or_raw_pipe() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    let user = emu
        .post_ok(
            "/api/users",
            json!({"email": "p@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await;
    let raw = user["user_id"].as_str().unwrap().to_string();
    assert!(raw.contains('|'));
    // The raw form really goes out with a `|` in the path.
    let url = reqwest::Url::parse(&emu.url(&format!("/api/users/{raw}"))).unwrap();
    assert!(url.path().contains('|'), "{url}");

    for id in [
        raw.clone(),
        raw.replace('|', "%7C"),
        raw.replace('|', "%7c"),
    ] {
        assert_eq!(emu.get_ok(&format!("/api/users/{id}")).await, user, "{id}");
        assert_eq!(
            emu.get_ok(&format!("/api/users/{id}/devices")).await,
            json!([])
        );
        assert_ok_text(
            &emu.patch(
                &format!("/api/users/{id}/metadata"),
                json!({"via": id.clone()}),
            )
            .await,
        );
        assert_eq!(
            emu.get_ok(&format!("/api/users/{id}/metadata")).await,
            json!({"via": id.clone()})
        );
        assert_eq!(
            emu.get_ok(&format!("/api/users/{id}/logs")).await["total"],
            1
        );
        let rt = emu
            .post_ok(
                &format!("/__emulator/users/{id}/refresh_tokens"),
                json!({"device": "d"}),
            )
            .await;
        assert_ok_text(
            &emu.delete(&format!(
                "/api/users/{id}/refresh_tokens/{}",
                rt["refresh_token"].as_str().unwrap()
            ))
            .await,
        );
        assert_ok_text(
            &emu.put(&format!("/api/users/{id}/metadata"), json!({}))
                .await,
        );
    }
    assert_ok_text(
        &emu.delete(&format!("/api/users/{}", raw.replace('|', "%7C")))
            .await,
    );
    assert_eq!(emu.get_ok("/api/users").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_names_are_url_encoded_in_paths() {
    let emu = Emu::start().await;
    for name in ["a/b rule", "x+y", "déjà vu", "100%"] {
        let rule = emu
            .post_ok("/api/rules", json!({"name": name, "script": SCRIPT}))
            .await;
        let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        assert_eq!(
            emu.get_ok(&format!("/api/rules/{encoded}")).await,
            rule,
            "{name}"
        );
        let r = emu
            .put(&format!("/api/rules/{encoded}"), json!({"status": "false"}))
            .await;
        assert_eq!(
            (r.status, r.json()["status"].clone()),
            (200, json!(false)),
            "{name}"
        );
        assert_ok_text(&emu.delete(&format!("/api/rules/{encoded}")).await);
    }
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_json_whatever_the_content_type() {
    let emu = Emu::start().await;
    for (i, content_type) in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("r{i}");
        let mut req = emu
            .http
            .post(emu.url("/api/rules"))
            .bearer_auth(&emu.token)
            .body(json!({"name": name, "script": SCRIPT, "status": "false"}).to_string());
        if let Some(c) = content_type {
            req = req.header("content-type", c);
        }
        let r = read(req.send().await.unwrap()).await;
        assert_eq!(r.status, 200, "{content_type:?}: {}", r.body);
        assert_eq!(r.json()["name"], name.as_str());
        assert_eq!(r.json()["status"], false);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_query_parameters_and_accept_headers_are_ignored() {
    let emu = Emu::start().await;
    let rule = emu
        .post_ok("/api/rules", json!({"name": "r", "script": SCRIPT}))
        .await;
    for accept in ["text/html", "application/xml", "*/*"] {
        let r = read(
            emu.http
                .get(emu.url("/api/rules?include_totals=true&x=1&access_token="))
                .bearer_auth(&emu.token)
                .header("accept", accept)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(r.json(), json!([rule.clone()]));
    }
}
