//! The Management API v2 under `/api/v2`: every resource's routes, status codes and JSON, paging
//! across page boundaries, the 409/400/404 cases, and v1's and v2's views of the same objects.

mod harness;

use harness::{Emu, Resp, assert_v2_error};
use reqwest::Method;
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

struct V2 {
    emu: Emu,
    token: String,
}

impl V2 {
    async fn start() -> V2 {
        let emu = Emu::start().await;
        let token = emu.v2_token().await;
        V2 { emu, token }
    }
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.emu
            .send(
                method,
                &format!("/api/v2{path}"),
                Some(&self.token),
                body.as_ref(),
            )
            .await
    }
    async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }
    async fn ok(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let r = self.call(method.clone(), path, body).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }
}

fn ids(list: &Value, key: &str, field: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .map(|c| c[field].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_crud_fields_and_null_removal() {
    let v2 = V2::start().await;
    let created = v2
        .ok(
            Method::POST,
            "/clients",
            Some(json!({"name": "web", "app_type": "regular_web",
                        "callbacks": ["https://a.example/cb"],
                        "client_metadata": {"team": "a"}, "description": "the web app",
                        "jwt_configuration": {"alg": "RS256"}, "is_first_party": false})),
            201,
        )
        .await;
    let id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    assert_eq!(
        v2.emu
            .scrub(&created, &[(&id, "<id>"), (&secret, "<secret>")]),
        json!({"tenant": "local", "global": false, "is_first_party": false, "name": "web",
               "client_id": "<id>", "client_secret": "<secret>",
               "callbacks": ["https://a.example/cb"], "app_type": "regular_web",
               "client_metadata": {"team": "a"}, "description": "the web app",
               "jwt_configuration": {"alg": "RS256"}})
    );
    assert_eq!(
        v2.ok(Method::GET, &format!("/clients/{id}"), None, 200)
            .await,
        created
    );

    // PATCH sets what it is given; null removes a field.
    let patched = v2
        .ok(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(
                json!({"description": null, "web_origins": ["https://a.example"],
                        "client_metadata": {"team": "b"}}),
            ),
            200,
        )
        .await;
    assert_eq!(patched.get("description"), None, "{patched}");
    assert_eq!(patched["web_origins"], json!(["https://a.example"]));
    assert_eq!(patched["client_metadata"], json!({"team": "b"}));
    assert_eq!(patched["app_type"], "regular_web");

    // fields / include_fields.
    let only = v2
        .ok(
            Method::GET,
            &format!("/clients/{id}?fields=name,client_id"),
            None,
            200,
        )
        .await;
    assert_eq!(only, json!({"name": "web", "client_id": id}));
    let without = v2
        .ok(
            Method::GET,
            &format!("/clients/{id}?fields=client_secret,callbacks&include_fields=false"),
            None,
            200,
        )
        .await;
    assert!(
        without.get("client_secret").is_none() && without.get("name").is_some(),
        "{without}"
    );

    // Unknown fields and wrong types are 400 naming the field.
    let r = v2
        .call(
            Method::PATCH,
            &format!("/clients/{id}"),
            Some(json!({"colour": "red"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    assert!(
        r.json()["message"].as_str().unwrap().contains("colour"),
        "{}",
        r.body
    );
    let r = v2
        .call(
            Method::POST,
            "/clients",
            Some(json!({"name": "x", "callbacks": "https://a"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    assert!(r.body.contains("callbacks"), "{}", r.body);
    let r = v2
        .call(
            Method::POST,
            "/clients",
            Some(json!({"name": "x", "app_type": "toaster"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    let r = v2
        .call(
            Method::POST,
            "/clients",
            Some(json!({"description": "no name"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");

    // The same client through v1.
    let v1 = v2.emu.get(&format!("/api/clients/{id}")).await.json();
    assert_eq!(v1["clientID"], id.as_str());
    assert_eq!(v1["name"], "web");
    assert_eq!(v1["callbacks"], json!(["https://a.example/cb"]));
    // And a v1 client through v2.
    let (v1_id, _) = v2.emu.client("from v1").await;
    let seen = v2
        .ok(Method::GET, &format!("/clients/{v1_id}"), None, 200)
        .await;
    assert_eq!(
        (seen["name"].as_str(), seen["global"].as_bool()),
        (Some("from v1"), Some(false))
    );

    assert_eq!(
        v2.ok(Method::DELETE, &format!("/clients/{id}"), None, 204)
            .await,
        Value::Null
    );
    assert_v2_error(
        &v2.get(&format!("/clients/{id}")).await,
        404,
        "inexistent_client",
    );
    assert_v2_error(
        &v2.call(Method::DELETE, &format!("/clients/{id}"), None)
            .await,
        404,
        "inexistent_client",
    );
    let global = v2.emu.handle.global_client_id.clone();
    assert_v2_error(
        &v2.call(Method::DELETE, &format!("/clients/{global}"), None)
            .await,
        400,
        "bad_request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_page_across_boundaries_and_filter_global() {
    let v2 = V2::start().await;
    for i in 0..4 {
        v2.ok(
            Method::POST,
            "/clients",
            Some(json!({"name": format!("c{i}"), "app_type": if i % 2 == 0 { "spa" } else { "native" }, "is_first_party": i != 3})),
            201,
        )
        .await;
    }
    // Five clients with the global one: pages of two.
    let mut seen = Vec::new();
    for page in 0..3 {
        let r = v2
            .ok(
                Method::GET,
                &format!("/clients?page={page}&per_page=2&include_totals=true"),
                None,
                200,
            )
            .await;
        assert_eq!(
            (
                r["start"].as_u64(),
                r["limit"].as_u64(),
                r["total"].as_u64()
            ),
            (Some(page * 2), Some(2), Some(5)),
            "{r}"
        );
        seen.extend(ids(&r, "clients", "name"));
    }
    assert_eq!(seen, ["Global Client", "c0", "c1", "c2", "c3"]);
    let empty = v2
        .ok(Method::GET, "/clients?page=3&per_page=2", None, 200)
        .await;
    assert_eq!(empty, json!([]));
    let bare = v2
        .ok(
            Method::GET,
            "/clients?is_global=false&fields=name",
            None,
            200,
        )
        .await;
    assert_eq!(
        bare,
        json!([{"name": "c0"}, {"name": "c1"}, {"name": "c2"}, {"name": "c3"}])
    );
    let global = v2
        .ok(
            Method::GET,
            "/clients?is_global=true&fields=name,global",
            None,
            200,
        )
        .await;
    assert_eq!(global, json!([{"name": "Global Client", "global": true}]));
    let spa = v2
        .ok(
            Method::GET,
            "/clients?app_type=spa,regular_web&fields=name",
            None,
            200,
        )
        .await;
    assert_eq!(spa, json!([{"name": "c0"}, {"name": "c2"}]));
    let third = v2
        .ok(
            Method::GET,
            "/clients?is_first_party=false&fields=name",
            None,
            200,
        )
        .await;
    assert_eq!(third, json!([{"name": "c3"}]));
    assert_v2_error(
        &v2.get("/clients?is_first_party=maybe").await,
        400,
        "invalid_query_string",
    );
    assert_v2_error(
        &v2.get("/clients?per_page=101").await,
        400,
        "invalid_query_string",
    );
    assert_v2_error(
        &v2.get("/clients?page=-1").await,
        400,
        "invalid_query_string",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_crud_paging_and_enabled_clients() {
    let v2 = V2::start().await;
    let app = v2
        .ok(Method::POST, "/clients", Some(json!({"name": "app"})), 201)
        .await;
    let app_id = app["client_id"].as_str().unwrap().to_string();
    let created = v2
        .ok(
            Method::POST,
            "/connections",
            Some(
                json!({"name": "db", "strategy": "auth0", "options": {"mfa": {"active": true}},
                        "enabled_clients": [app_id], "display_name": "Database"}),
            ),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("con_"), "{id}");
    assert_eq!(
        v2.emu.scrub(&created, &[(&app_id, "<app>")]),
        json!({"id": "<id>", "name": "db", "strategy": "auth0",
               "options": {"mfa": {"active": true}}, "enabled_clients": ["<app>"],
               "is_domain_connection": false, "realms": ["db"], "display_name": "Database"})
    );
    assert_eq!(
        v2.ok(Method::GET, &format!("/connections/{id}"), None, 200)
            .await,
        created
    );
    assert_eq!(
        v2.ok(
            Method::GET,
            &format!("/connections/{id}?fields=name,strategy"),
            None,
            200
        )
        .await,
        json!({"name": "db", "strategy": "auth0"})
    );
    let r = v2
        .call(
            Method::POST,
            "/connections",
            Some(json!({"name": "db", "strategy": "auth0"})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");

    // options replaced whole; name and strategy immutable.
    let patched = v2
        .ok(
            Method::PATCH,
            &format!("/connections/{id}"),
            Some(json!({"options": {"brute_force_protection": true}, "display_name": null})),
            200,
        )
        .await;
    assert_eq!(patched["options"], json!({"brute_force_protection": true}));
    assert_eq!(patched.get("display_name"), None);
    for body in [
        json!({"name": "other"}),
        json!({"strategy": "google-oauth2"}),
    ] {
        assert_v2_error(
            &v2.call(Method::PATCH, &format!("/connections/{id}"), Some(body))
                .await,
            400,
            "invalid_body",
        );
    }

    // The same connection through v1, enabled for the app.
    let v1 = v2
        .emu
        .get(&format!("/api/connections/db?client={app_id}"))
        .await
        .json();
    assert_eq!(
        (v1["id"].as_str(), v1["status"].as_bool()),
        (Some(id.as_str()), Some(true))
    );
    assert_eq!(v1["options"], json!({"brute_force_protection": true}));

    // /connections/{id}/clients.
    let listed = v2
        .ok(
            Method::GET,
            &format!("/connections/{id}/clients"),
            None,
            200,
        )
        .await;
    assert_eq!(listed, json!({"clients": [{"client_id": app_id}]}));
    let global = v2.emu.handle.global_client_id.clone();
    v2.ok(
        Method::PATCH,
        &format!("/connections/{id}/clients"),
        Some(
            json!([{"client_id": global, "status": true}, {"client_id": app_id, "status": false}]),
        ),
        204,
    )
    .await;
    let listed = v2
        .ok(
            Method::GET,
            &format!("/connections/{id}/clients?take=1"),
            None,
            200,
        )
        .await;
    assert_eq!(listed["clients"], json!([{"client_id": global}]));
    assert!(listed.get("next").is_none(), "{listed}");
    let v1 = v2
        .emu
        .get(&format!("/api/connections/db?client={app_id}"))
        .await
        .json();
    assert_eq!(v1["status"], false);
    let too_many: Vec<Value> = (0..51)
        .map(|_| json!({"client_id": global, "status": true}))
        .collect();
    assert_v2_error(
        &v2.call(
            Method::PATCH,
            &format!("/connections/{id}/clients"),
            Some(Value::Array(too_many)),
        )
        .await,
        400,
        "invalid_body",
    );
    assert_v2_error(
        &v2.call(
            Method::PATCH,
            &format!("/connections/{id}/clients"),
            Some(json!([{"client_id": "nobody", "status": true}])),
        )
        .await,
        400,
        "invalid_body",
    );
    assert_v2_error(
        &v2.get(&format!("/connections/{id}/clients?take=1001"))
            .await,
        400,
        "invalid_query_string",
    );
    assert_v2_error(
        &v2.get("/connections/con_nope/clients").await,
        404,
        "inexistent_connection",
    );

    // Checkpoint paging across boundaries, filters, offset paging.
    for i in 0..4 {
        let strategy = if i % 2 == 0 { "google-oauth2" } else { "auth0" };
        v2.ok(
            Method::POST,
            "/connections",
            Some(json!({"name": format!("c{i}"), "strategy": strategy})),
            201,
        )
        .await;
    }
    let mut names = Vec::new();
    let mut path = "/connections?take=2&include_totals=true".to_string();
    loop {
        let page = v2.ok(Method::GET, &path, None, 200).await;
        names.extend(ids(&page, "connections", "name"));
        match page.get("next").and_then(Value::as_str) {
            Some(next) => path = format!("/connections?take=2&from={next}"),
            None => break,
        }
    }
    assert_eq!(names, ["db", "c0", "c1", "c2", "c3"]);
    let auth0 = v2
        .ok(
            Method::GET,
            "/connections?strategy=auth0&fields=name",
            None,
            200,
        )
        .await;
    assert_eq!(
        auth0,
        json!([{"name": "db"}, {"name": "c1"}, {"name": "c3"}])
    );
    let named = v2
        .ok(
            Method::GET,
            "/connections?take=1&name=c2&fields=name",
            None,
            200,
        )
        .await;
    assert_eq!(named, json!({"connections": [{"name": "c2"}]}));
    let paged = v2
        .ok(
            Method::GET,
            "/connections?page=1&per_page=3&include_totals=true",
            None,
            200,
        )
        .await;
    assert_eq!(
        (paged["start"].as_u64(), paged["total"].as_u64()),
        (Some(3), Some(5))
    );
    assert_eq!(ids(&paged, "connections", "name"), ["c2", "c3"]);
    assert_v2_error(
        &v2.get("/connections?take=101").await,
        400,
        "invalid_query_string",
    );

    // SCIM: none.
    assert_v2_error(
        &v2.get(&format!("/connections/{id}/scim-configuration"))
            .await,
        404,
        "not_found",
    );

    assert_eq!(
        v2.ok(Method::DELETE, &format!("/connections/{id}"), None, 204)
            .await,
        Value::Null
    );
    assert_v2_error(
        &v2.get(&format!("/connections/{id}")).await,
        404,
        "inexistent_connection",
    );
    assert_eq!(v2.emu.get("/api/connections/db").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_crud_conflicts_and_paging() {
    let v2 = V2::start().await;
    let created = v2
        .ok(
            Method::POST,
            "/rules",
            Some(json!({"name": "one", "script": SCRIPT})),
            201,
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        v2.emu.scrub(&created, &[]),
        json!({"id": "<id>", "name": "one", "script": SCRIPT, "order": 1,
               "stage": "login_success", "enabled": true})
    );
    let r = v2
        .call(
            Method::POST,
            "/rules",
            Some(json!({"name": "one", "script": SCRIPT})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");
    let two = v2
        .ok(
            Method::POST,
            "/rules",
            Some(json!({"name": "two", "script": SCRIPT, "order": 5, "enabled": false})),
            201,
        )
        .await;
    let two_id = two["id"].as_str().unwrap().to_string();
    let r = v2
        .call(
            Method::PATCH,
            &format!("/rules/{two_id}"),
            Some(json!({"order": 1})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");
    let r = v2
        .call(
            Method::PATCH,
            &format!("/rules/{two_id}"),
            Some(json!({"name": "one"})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");
    let r = v2
        .call(
            Method::PATCH,
            &format!("/rules/{id}"),
            Some(json!({"stage": "login_failure"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    let r = v2
        .call(
            Method::POST,
            "/rules",
            Some(json!({"name": "x", "script": SCRIPT, "stage": "later"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");

    let patched = v2
        .ok(
            Method::PATCH,
            &format!("/rules/{id}"),
            Some(json!({"enabled": false, "order": 9, "name": "first"})),
            200,
        )
        .await;
    assert_eq!(
        (
            patched["enabled"].as_bool(),
            patched["order"].as_i64(),
            patched["name"].as_str()
        ),
        (Some(false), Some(9), Some("first"))
    );
    // v1's view: status is enabled.
    let v1 = v2.emu.get("/api/rules/first").await.json();
    assert_eq!(
        (
            v1["status"].as_bool(),
            v1["order"].as_i64(),
            v1["id"].as_str()
        ),
        (Some(false), Some(9), Some(id.as_str()))
    );
    v2.emu
        .put("/api/rules/first", json!({"status": true}))
        .await;
    assert_eq!(
        v2.ok(Method::GET, &format!("/rules/{id}"), None, 200).await["enabled"],
        true
    );

    // Paging by order, with totals.
    v2.ok(
        Method::POST,
        "/rules",
        Some(json!({"name": "three", "script": SCRIPT})),
        201,
    )
    .await;
    let p0 = v2
        .ok(
            Method::GET,
            "/rules?page=0&per_page=2&include_totals=true",
            None,
            200,
        )
        .await;
    let p1 = v2
        .ok(
            Method::GET,
            "/rules?page=1&per_page=2&include_totals=true",
            None,
            200,
        )
        .await;
    assert_eq!(ids(&p0, "rules", "name"), ["two", "first"]);
    assert_eq!(ids(&p1, "rules", "name"), ["three"]);
    assert_eq!(
        (
            p1["start"].as_u64(),
            p1["limit"].as_u64(),
            p1["total"].as_u64()
        ),
        (Some(2), Some(2), Some(3))
    );
    let disabled = v2
        .ok(Method::GET, "/rules?enabled=false&fields=name", None, 200)
        .await;
    assert_eq!(disabled, json!([{"name": "two"}]));

    assert_eq!(
        v2.ok(Method::DELETE, &format!("/rules/{id}"), None, 204)
            .await,
        Value::Null
    );
    assert_v2_error(
        &v2.get(&format!("/rules/{id}")).await,
        404,
        "inexistent_rule",
    );
    assert_v2_error(
        &v2.call(
            Method::PATCH,
            &format!("/rules/{id}"),
            Some(json!({"enabled": true})),
        )
        .await,
        404,
        "inexistent_rule",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_templates_and_the_v1_view() {
    let v2 = V2::start().await;
    assert_v2_error(
        &v2.get("/email-templates/welcome_email").await,
        404,
        "inexistent_email_template",
    );
    assert_v2_error(
        &v2.get("/email-templates/nonsense").await,
        400,
        "invalid_uri",
    );
    let created = v2
        .ok(
            Method::POST,
            "/email-templates",
            Some(
                json!({"template": "welcome_email", "enabled": true, "from": "a@example.com",
                        "subject": "Hi", "body": "<p>hi</p>", "syntax": "liquid",
                        "resultUrl": "https://example.com", "urlLifetimeInSeconds": 100,
                        "includeEmailInRedirect": true}),
            ),
            200,
        )
        .await;
    assert_eq!(
        created,
        json!({"template": "welcome_email", "body": "<p>hi</p>",
        "from": "a@example.com", "resultUrl": "https://example.com", "subject": "Hi",
        "syntax": "liquid", "urlLifetimeInSeconds": 100, "includeEmailInRedirect": true,
        "enabled": true})
    );
    let r = v2
        .call(
            Method::POST,
            "/email-templates",
            Some(json!({"template": "welcome_email"})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");
    let r = v2
        .call(
            Method::PATCH,
            "/email-templates/welcome_email",
            Some(json!({"template": "reset_email"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    let r = v2
        .call(
            Method::PATCH,
            "/email-templates/reset_email",
            Some(json!({"subject": "x"})),
        )
        .await;
    assert_v2_error(&r, 404, "inexistent_email_template");

    let patched = v2
        .ok(
            Method::PATCH,
            "/email-templates/welcome_email",
            Some(json!({"enabled": false, "subject": "Hello"})),
            200,
        )
        .await;
    assert_eq!(
        (
            patched["enabled"].as_bool(),
            patched["subject"].as_str(),
            patched["from"].as_str()
        ),
        (Some(false), Some("Hello"), Some("a@example.com"))
    );
    let r = v2
        .call(
            Method::PATCH,
            "/email-templates/welcome_email",
            Some(json!({"syntax": "markdown"})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    let md = v2
        .ok(
            Method::PATCH,
            "/email-templates/welcome_email",
            Some(json!({"syntax": "md_with_macros"})),
            200,
        )
        .await;
    assert_eq!(md["syntax"], "md_with_macros");
    v2.ok(
        Method::PATCH,
        "/email-templates/welcome_email",
        Some(json!({"syntax": null})),
        200,
    )
    .await;
    // v1: disabled is NOT enabled, and v1 shows only its own keys.
    let v1 = v2.emu.get("/api/emails/welcome_email").await.json();
    assert_eq!(
        v1,
        json!({"template": "welcome_email", "disabled": true, "from": "a@example.com",
        "subject": "Hello", "body": "<p>hi</p>", "resultUrl": "https://example.com",
        "syntax": "liquid", "urlLifetimeInSeconds": 100})
    );
    v2.emu
        .put("/api/emails/welcome_email", json!({"disabled": false}))
        .await;
    assert_eq!(
        v2.ok(Method::GET, "/email-templates/welcome_email", None, 200)
            .await["enabled"],
        true
    );

    // PUT replaces (and creates); a v2-only template name.
    let put = v2
        .ok(
            Method::PUT,
            "/email-templates/mfa_oob_code",
            Some(json!({"template": "mfa_oob_code", "body": "code", "enabled": true})),
            200,
        )
        .await;
    assert_eq!(
        put,
        json!({"template": "mfa_oob_code", "body": "code", "from": "",
        "resultUrl": "", "subject": "", "syntax": "liquid", "urlLifetimeInSeconds": 432000,
        "enabled": true})
    );
    let replaced = v2
        .ok(
            Method::PUT,
            "/email-templates/welcome_email",
            Some(json!({"body": "new"})),
            200,
        )
        .await;
    assert_eq!(
        (replaced["subject"].as_str(), replaced["body"].as_str()),
        (Some(""), Some("new"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_provider_is_a_singleton_with_write_only_credentials() {
    let v2 = V2::start().await;
    assert_v2_error(
        &v2.get("/emails/provider").await,
        404,
        "inexistent_email_provider",
    );
    let created = v2
        .ok(
            Method::POST,
            "/emails/provider",
            Some(
                json!({"name": "smtp", "credentials": {"smtp_host": "mail", "smtp_pass": "hunter2"},
                        "default_from_address": "a@example.com"}),
            ),
            201,
        )
        .await;
    assert_eq!(
        created,
        json!({"enabled": true, "name": "smtp", "default_from_address": "a@example.com"})
    );
    let r = v2
        .call(
            Method::POST,
            "/emails/provider",
            Some(json!({"name": "ses", "credentials": {}})),
        )
        .await;
    assert_v2_error(&r, 409, "conflict");
    let r = v2
        .call(
            Method::POST,
            "/emails/provider",
            Some(json!({"name": "pigeon", "credentials": {}})),
        )
        .await;
    assert_v2_error(&r, 400, "invalid_body");
    let patched = v2
        .ok(
            Method::PATCH,
            "/emails/provider",
            Some(json!({"enabled": false, "settings": {"x": 1}, "credentials": {"api_key": "k"}})),
            200,
        )
        .await;
    assert_eq!(
        patched,
        json!({"enabled": false, "name": "smtp",
        "default_from_address": "a@example.com", "settings": {"x": 1}})
    );
    assert_eq!(
        v2.ok(
            Method::GET,
            "/emails/provider?fields=name,enabled",
            None,
            200
        )
        .await,
        json!({"enabled": false, "name": "smtp"})
    );
    let read = v2.get("/emails/provider").await;
    assert!(
        !read.body.contains("hunter2") && !read.body.contains("credentials"),
        "{}",
        read.body
    );
    assert_eq!(
        v2.ok(Method::DELETE, "/emails/provider", None, 204).await,
        Value::Null
    );
    assert_v2_error(
        &v2.call(Method::DELETE, "/emails/provider", None).await,
        404,
        "inexistent_email_provider",
    );
    assert_v2_error(
        &v2.call(
            Method::PATCH,
            "/emails/provider",
            Some(json!({"enabled": true})),
        )
        .await,
        404,
        "inexistent_email_provider",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_reads_of_resources_the_emulator_does_not_hold() {
    let v2 = V2::start().await;
    assert_eq!(
        v2.ok(
            Method::GET,
            "/actions/actions?page=0&per_page=100",
            None,
            200
        )
        .await,
        json!({"actions": [], "total": 0, "page": 0, "per_page": 100})
    );
    assert_eq!(
        v2.ok(
            Method::GET,
            "/connections-directory-provisionings?take=50",
            None,
            200
        )
        .await,
        json!({"directory_provisionings": []})
    );
    assert_v2_error(
        &v2.get("/connections/con_missing/scim-configuration").await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_state_gains_v2_s_columns_and_keeps_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let config = || harness::Config {
        state: Some(state.clone()),
        client_id: Some("g".into()),
        client_secret: Some("s".into()),
        ..harness::config()
    };
    let emu = Emu::with(config()).await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "r", "script": SCRIPT, "status": false}),
    )
    .await;
    emu.post_ok("/api/clients", json!({"name": "app"})).await;
    emu.handle.shutdown().await;
    // Back to a version-1 store: without what version 2 added.
    rusqlite::Connection::open(&state)
        .unwrap()
        .execute_batch(
            "ALTER TABLE clients DROP COLUMN v2; ALTER TABLE connections DROP COLUMN v2;
             ALTER TABLE rules DROP COLUMN stage; ALTER TABLE tokens DROP COLUMN scopes;
             DROP TABLE client_scopes; DROP TABLE email_provider; PRAGMA user_version = 1;",
        )
        .unwrap();

    let emu = Emu::with(config()).await;
    let token = emu.v2_token().await;
    let get = |path: &'static str| emu.send(Method::GET, path, Some(&token), None);
    let rules = get("/api/v2/rules").await.json();
    assert_eq!(rules[0]["stage"], "login_success", "{rules}");
    assert_eq!(rules[0]["enabled"], false, "{rules}");
    let clients = get("/api/v2/clients?is_global=false&fields=name")
        .await
        .json();
    assert_eq!(clients, json!([{"name": "app"}]));
    emu.handle.shutdown().await;
    let version: i64 = rusqlite::Connection::open(&state)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2);
}
