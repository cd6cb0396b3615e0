use serde_json::json;

use super::*;
use crate::kind::Kind;

#[test]
fn v1_paths() {
    let v1 = V1;
    let rule = Target::named(Kind::Rule, "add country");
    assert_eq!(v1.item(rule), "/api/rules/add%20country");
    let client = Target::with_id(Kind::Client, "Shop", Some("abc"));
    assert_eq!(v1.item(client), "/api/clients/abc");
    let conn = Target::named(Kind::Connection, "db");
    let status = |client: &str, pending: bool| StatusChange {
        client: client.into(),
        pending,
        status: true,
    };
    let calls = v1.status_calls(
        conn,
        &[status("a|b", false), status("{clientID of New}", true)],
    );
    assert_eq!(calls[0].path, "/api/connections/db?client=a%7Cb");
    assert_eq!(
        calls[1].path,
        "/api/connections/db?client={clientID of New}"
    );
    assert_eq!(calls[0].body, json!({"status": true}));
    assert_eq!(
        v1.connection_users(conn, 2, 100).as_deref(),
        Some("/api/connections/db/users?per_page=100&page=2")
    );
    assert_eq!(
        v1.client_view(Kind::Connection, "a|b"),
        "/api/connections?client=a%7Cb"
    );
    assert_eq!(v1.update_method(Kind::Rule), "PUT");
    assert_eq!(v1.update_method(Kind::Client), "PATCH");
    assert_eq!(v1.audience("https://t.example"), None);
}

#[test]
fn v2_paths_use_ids_and_batches() {
    let v2 = V2;
    let rule = Target::with_id(Kind::Rule, "add country", Some("rul_1"));
    assert_eq!(v2.item(rule), "/api/v2/rules/rul_1");
    assert_eq!(
        v2.item(Target::named(Kind::Email, "verify_email")),
        "/api/v2/email-templates/verify_email"
    );
    assert_eq!(
        v2.item(Target::named(Kind::EmailProvider, "default")),
        "/api/v2/emails/provider"
    );
    let pending = v2.placeholder(Kind::Connection, "db");
    let conn = Target::pending(Kind::Connection, "db", &pending);
    let changes: Vec<StatusChange> = (0..120)
        .map(|i| StatusChange {
            client: format!("c{i}"),
            pending: false,
            status: i % 2 == 0,
        })
        .collect();
    let calls = v2.status_calls(conn, &changes);
    assert_eq!(calls.len(), 3);
    assert!(
        calls.iter().all(|c| c.method == "PATCH"
            && c.path == "/api/v2/connections/{id of connection db}/clients")
    );
    assert_eq!(calls[0].body.as_array().unwrap().len(), 50);
    assert_eq!(calls[2].body.as_array().unwrap().len(), 20);
    assert_eq!(
        calls[0].body[1],
        json!({"client_id": "c1", "status": false})
    );
    assert_eq!(
        v2.audience("https://t.example/").as_deref(),
        Some("https://t.example/api/v2/")
    );
    assert_eq!(
        v2.error_code(&json!({"statusCode": 409, "error": "Conflict", "errorCode": "conflict"})),
        Some("conflict".into())
    );
    assert_eq!(v2.connection_users(conn, 0, 100), None);
}

#[test]
fn v2_reads_the_manifests_fields_only() {
    let c = V2.read(
        Kind::Client,
        &json!({"client_id": "x", "name": "Shop", "client_secret": "s", "tenant": "t",
                "global": false, "signing_keys": [], "app_type": "spa", "callbacks": ["a"]}),
    );
    assert_eq!(c.id.as_deref(), Some("x"));
    let keys: Vec<&str> = c.fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["app_type", "callbacks", "name"]);
    let r = V2.read(
        Kind::Rule,
        &json!({"id": "r", "name": "n", "script": "s", "order": 1, "enabled": true, "stage": "login_success"}),
    );
    let keys: Vec<&str> = r.fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["enabled", "order", "script", "stage"]);
}

#[test]
fn v2_scopes_follow_the_method() {
    assert_eq!(
        V2.scopes("GET", Kind::Connection, None),
        ["read:connections", "read:connections_options"]
    );
    assert_eq!(
        V2.scopes("PATCH", Kind::Connection, Some(&json!({"options": {}}))),
        ["update:connections", "update:connections_options"]
    );
    assert_eq!(V2.scopes("DELETE", Kind::Rule, None), ["delete:rules"]);
    assert!(V1.scopes("DELETE", Kind::Rule, None).is_empty());
}
