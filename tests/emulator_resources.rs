//! Connections, clients, rules and email templates: every endpoint's status and exact body, the
//! conflicts (400 with code `conflict` or `rule_conflict`: duplicate connection name, duplicate
//! rule name, duplicate rule order, existing email template), and the rules of each resource (per-client connection status, merging updates,
//! rule order, the undeletable global client).

mod harness;

use harness::{Emu, assert_error, assert_ok_text};
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

fn lit(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad literal ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_create_list_filter_get() {
    let emu = Emu::start().await;
    assert_eq!(emu.get_ok("/api/connections").await, json!([]));

    let created = emu
        .post_ok(
            "/api/connections",
            json!({"name": "corp", "strategy": "waad",
                   "options": {"tenant_domain": "corp.example", "domain_aliases": ["corp.example"]},
                   "status": true}),
        )
        .await;
    assert_eq!(
        emu.scrub(&created, &[]),
        lit(r#"{"id": "<id>", "name": "corp", "strategy": "waad",
                "options": {"tenant_domain": "corp.example", "domain_aliases": ["corp.example"]},
                "status": true, "client_id": "<global>", "global_client_id": "<global>"}"#)
    );
    assert!(created["id"].as_str().unwrap().starts_with("con_"));
    let corp_id = created["id"].as_str().unwrap().to_string();

    // status defaults to false; options to {}.
    let social = emu
        .post_ok(
            "/api/connections",
            json!({"name": "gh", "strategy": "github"}),
        )
        .await;
    assert_eq!(
        emu.scrub(&social, &[]),
        lit(
            r#"{"id": "<id>", "name": "gh", "strategy": "github", "options": {},
                "status": false, "client_id": "<global>", "global_client_id": "<global>"}"#
        )
    );
    emu.connection("db", "auth0").await;
    emu.connection("pwless", "email").await;

    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = emu.get_ok("/api/connections").await;
    assert_eq!(names(&all), ["corp", "gh", "db", "pwless"]);
    assert_eq!(emu.scrub(&all[0], &[]), emu.scrub(&created, &[]));
    assert_eq!(
        names(&emu.get_ok("/api/connections?only_socials=true").await),
        ["gh"]
    );
    assert_eq!(
        names(&emu.get_ok("/api/connections?only_enterprise=true").await),
        ["corp"]
    );
    assert_eq!(
        names(&emu.get_ok("/api/connections?only_database=true").await),
        ["db"]
    );
    assert_eq!(
        names(&emu.get_ok("/api/connections?only_passwordless=true").await),
        ["pwless"]
    );
    assert_eq!(
        names(&emu.get_ok("/api/connections?only_socials=false").await),
        ["corp", "gh", "db", "pwless"]
    );

    let one = emu.get_ok("/api/connections/corp").await;
    assert_eq!(one, created);
    assert_eq!(one["id"], corp_id.as_str());

    assert_error(&emu.get("/api/connections/nope").await, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_errors() {
    let emu = Emu::start().await;
    emu.connection("db", "auth0").await;
    let dup = emu
        .post(
            "/api/connections",
            json!({"name": "db", "strategy": "waad"}),
        )
        .await;
    // v1 answers every failed write 400; the code tells the conflict apart.
    assert_error(&dup, 400, "conflict");
    assert_error(
        &emu.post("/api/connections", json!({"strategy": "auth0"}))
            .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post("/api/connections", json!({"name": "x"})).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post(
            "/api/connections",
            json!({"name": "x", "strategy": "auth0", "options": "no"}),
        )
        .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put("/api/connections/nope", json!({"status": true}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &emu.get("/api/connections/db?client=no-such-client").await,
        400,
        "bad_request",
    );
    assert_error(&emu.delete("/api/connections/nope").await, 404, "not_found");
    assert_eq!(
        emu.get_ok("/api/connections")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_status_is_per_viewing_client_and_put_replaces_options() {
    let emu = Emu::start().await;
    let (app, _) = emu.client("App").await;
    emu.post_ok(
        "/api/connections",
        json!({"name": "corp", "strategy": "adfs", "options": {"adfs_server": "https://a", "keep": 1}, "status": true}),
    )
    .await;
    let known = [(app.as_str(), "<app>")];

    let as_app = emu
        .get_ok(&format!("/api/connections/corp?client={app}"))
        .await;
    assert_eq!(
        emu.scrub(&as_app, &known),
        lit(r#"{"id": "<id>", "name": "corp", "strategy": "adfs",
                "options": {"adfs_server": "https://a", "keep": 1},
                "status": false, "client_id": "<app>", "global_client_id": "<global>"}"#)
    );

    // Enable it for the app: the app sees it on, the global client still on.
    let put = emu
        .put(
            &format!("/api/connections/corp?client={app}"),
            json!({"status": true, "options": {"adfs_server": "https://b"},
                   "name": "renamed", "strategy": "samlp", "id": "con_x"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        emu.scrub(&put.json(), &known),
        lit(r#"{"id": "<id>", "name": "corp", "strategy": "adfs",
                "options": {"adfs_server": "https://b"},
                "status": true, "client_id": "<app>", "global_client_id": "<global>"}"#)
    );
    assert_eq!(put.json()["id"], as_app["id"]);
    assert_eq!(
        emu.get_ok(&format!("/api/connections?client={app}")).await[0]["status"],
        true
    );
    assert_eq!(emu.get_ok("/api/connections/corp").await["status"], true);

    // Disable it for the global client (the default viewer): only that changes.
    let put = emu
        .put("/api/connections/corp", json!({"status": false}))
        .await;
    assert_eq!(
        emu.scrub(&put.json(), &known),
        lit(r#"{"id": "<id>", "name": "corp", "strategy": "adfs",
                "options": {"adfs_server": "https://b"},
                "status": false, "client_id": "<global>", "global_client_id": "<global>"}"#)
    );
    assert_eq!(
        emu.get_ok(&format!("/api/connections/corp?client={app}"))
            .await["status"],
        true
    );
    assert_eq!(emu.get_ok("/api/connections").await[0]["status"], false);

    // The viewer defaults to the token's client.
    let (id, secret) = {
        let c = emu.post_ok("/api/clients", json!({"name": "Reader"})).await;
        (
            c["clientID"].as_str().unwrap().to_string(),
            c["clientSecret"].as_str().unwrap().to_string(),
        )
    };
    let reader = emu.token_for(&id, &secret).await;
    let r = emu
        .send(
            reqwest::Method::GET,
            "/api/connections/corp",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(r.json()["client_id"], id.as_str());
    assert_eq!(r.json()["status"], false);

    // A deleted client is no viewer any more.
    assert_ok_text(&emu.delete(&format!("/api/clients/{app}")).await);
    assert_error(
        &emu.get(&format!("/api/connections/corp?client={app}"))
            .await,
        400,
        "bad_request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_connection_answers_removed_and_removes_its_users() {
    let emu = Emu::start().await;
    let created = emu.connection("db", "auth0").await;
    emu.connection("other", "auth0").await;
    let gone = emu
        .post_ok(
            "/api/users",
            json!({"email": "a@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await;
    let kept = emu
        .post_ok(
            "/api/users",
            json!({"email": "a@example.com", "password": "pw-123456", "connection": "other"}),
        )
        .await;
    let r = emu.delete("/api/connections/db").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(r.json(), json!({"removed": created["id"]}));

    assert_error(&emu.get("/api/connections/db").await, 404, "not_found");
    assert_error(
        &emu.get(&format!("/api/users/{}", gone["user_id"].as_str().unwrap()))
            .await,
        404,
        "not_found",
    );
    let users = emu.get_ok("/api/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["user_id"], kept["user_id"]);
    // The name is free again.
    emu.connection("db", "auth0").await;
    assert_eq!(emu.get_ok("/api/connections/db/users").await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_list_get_create_update_delete() {
    let emu = Emu::start().await;
    let global_only = lit(
        r#"[{"clientID": "<global>", "clientSecret": "<global_secret>", "name": "Global Client",
             "callbacks": [], "global": true, "tenant": "local", "owners": []}]"#,
    );
    assert_eq!(
        emu.scrub(&emu.get_ok("/api/clients").await, &[]),
        global_only
    );

    let created = emu
        .post_ok(
            "/api/clients",
            json!({"name": "Mobile", "callbacks": "https://a.example/cb, https://b.example/cb"}),
        )
        .await;
    let mobile_shape = lit(
        r#"{"clientID": "<clientID>", "clientSecret": "<clientSecret>", "name": "Mobile",
            "callbacks": ["https://a.example/cb", "https://b.example/cb"], "global": false,
            "tenant": "local", "owners": []}"#,
    );
    assert_eq!(emu.scrub(&created, &[]), mobile_shape);
    let id = created["clientID"].as_str().unwrap().to_string();
    assert_ne!(created["clientSecret"], created["clientID"]);

    // Defaults, array callbacks, owners, and a write-only signing key.
    let web = emu
        .post_ok(
            "/api/clients",
            json!({"callbacks": ["https://w.example/cb"], "owners": ["auth0|1"],
                   "signingKey": {"cert": "-----BEGIN CERTIFICATE-----"}}),
        )
        .await;
    assert_eq!(
        emu.scrub(&web, &[]),
        lit(
            r#"{"clientID": "<clientID>", "clientSecret": "<clientSecret>", "name": "Default App",
                "callbacks": ["https://w.example/cb"], "global": false, "tenant": "local",
                "owners": ["auth0|1"]}"#
        )
    );
    let web_id = web["clientID"].as_str().unwrap().to_string();

    let list = emu.get_ok("/api/clients").await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(emu.scrub(&list[0], &[]), global_only[0]);
    assert_eq!(list[1], created);
    assert_eq!(list[2], web);

    // ?userId= filters by owner.
    assert_eq!(
        emu.get_ok("/api/clients?userId=auth0%7C1").await,
        json!([web.clone()])
    );
    assert_eq!(emu.get_ok("/api/clients?userId=auth0|2").await, json!([]));

    assert_eq!(emu.get_ok(&format!("/api/clients/{id}")).await, created);
    assert_error(&emu.get("/api/clients/nope").await, 404, "not_found");

    // PATCH merges.
    let r = emu
        .patch(&format!("/api/clients/{id}"), json!({"name": "Mobile 2"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut expected = created.clone();
    expected["name"] = json!("Mobile 2");
    assert_eq!(r.json(), expected);

    // PUT merges too (it does not reset the name), and takes a comma-separated string.
    let r = emu
        .put(
            &format!("/api/clients/{id}"),
            json!({"callbacks": "https://c.example/cb", "owners": ["auth0|9"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    expected["callbacks"] = json!(["https://c.example/cb"]);
    expected["owners"] = json!(["auth0|9"]);
    assert_eq!(r.json(), expected);
    assert_eq!(emu.get_ok(&format!("/api/clients/{id}")).await, expected);
    assert_eq!(
        emu.get_ok("/api/clients?userId=auth0|9").await,
        json!([expected.clone()])
    );

    // Names need not be unique.
    let twin = emu
        .post_ok("/api/clients", json!({"name": "Mobile 2"}))
        .await;
    assert_ne!(twin["clientID"], expected["clientID"]);

    // Bad bodies.
    for body in [
        json!({"callbacks": 3}),
        json!({"callbacks": [1]}),
        json!({"owners": "auth0|1"}),
        json!({"signingKey": {"rsa": "x"}}),
        json!({"name": 5}),
    ] {
        assert_error(
            &emu.post("/api/clients", body.clone()).await,
            400,
            "bad_request",
        );
        assert_error(
            &emu.patch(&format!("/api/clients/{id}"), body).await,
            400,
            "bad_request",
        );
    }
    assert_error(
        &emu.patch("/api/clients/nope", json!({"name": "x"})).await,
        404,
        "not_found",
    );

    // DELETE answers OK and the client is gone.
    assert_ok_text(&emu.delete(&format!("/api/clients/{web_id}")).await);
    assert_error(
        &emu.get(&format!("/api/clients/{web_id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &emu.delete(&format!("/api/clients/{web_id}")).await,
        404,
        "not_found",
    );
    assert_eq!(
        emu.get_ok("/api/clients").await.as_array().unwrap().len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_client_can_be_neither_deleted_nor_demoted() {
    let emu = Emu::start().await;
    let global = emu.handle.global_client_id.clone();
    let path = format!("/api/clients/{global}");
    let before = emu.get_ok(&path).await;
    assert_error(&emu.delete(&path).await, 400, "bad_request");
    assert_error(
        &emu.patch(&path, json!({"global": false})).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put(&path, json!({"global": false})).await,
        400,
        "bad_request",
    );
    assert_eq!(emu.get_ok(&path).await, before);
    assert_eq!(before["global"], true);
    // Another client cannot be promoted.
    let (other, _) = emu.client("Other").await;
    assert_error(
        &emu.patch(&format!("/api/clients/{other}"), json!({"global": true}))
            .await,
        400,
        "bad_request",
    );
    // Renaming the global client is fine and keeps it global.
    let r = emu
        .patch(&path, json!({"name": "Renamed", "global": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        emu.scrub(&r.json(), &[]),
        lit(
            r#"{"clientID": "<global>", "clientSecret": "<global_secret>", "name": "Renamed",
                "callbacks": [], "global": true, "tenant": "local", "owners": []}"#
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_create_list_get_update_delete() {
    let emu = Emu::start().await;
    assert_eq!(emu.get_ok("/api/rules").await, json!([]));

    let first = emu
        .post_ok(
            "/api/rules",
            json!({"name": "add country", "script": SCRIPT, "status": false, "order": 5}),
        )
        .await;
    let expected = json!({"id": "<id>", "name": "add country", "script": SCRIPT, "status": false,
                          "order": 5, "clientID": "<global>", "global": true});
    assert_eq!(emu.scrub(&first, &[]), expected);
    assert!(first["id"].as_str().unwrap().starts_with("rul_"));

    // No order: after the last; status defaults to true; order "" is unset; "2" is 2.
    let second = emu
        .post_ok("/api/rules", json!({"name": "second", "script": SCRIPT}))
        .await;
    assert_eq!(
        emu.scrub(&second, &[]),
        json!({"id": "<id>", "name": "second", "script": SCRIPT, "status": true, "order": 6,
               "clientID": "<global>", "global": true})
    );
    let third = emu
        .post_ok(
            "/api/rules",
            json!({"name": "third", "script": SCRIPT, "order": "", "status": "true"}),
        )
        .await;
    assert_eq!(third["order"], 7);
    let fourth = emu
        .post_ok(
            "/api/rules",
            json!({"name": "fourth", "script": SCRIPT, "order": null}),
        )
        .await;
    assert_eq!(fourth["order"], 8);
    let early = emu
        .post_ok(
            "/api/rules",
            json!({"name": "early", "script": SCRIPT, "order": "2"}),
        )
        .await;
    assert_eq!(early["order"], 2);

    // Listed by order.
    let list = emu.get_ok("/api/rules").await;
    assert_eq!(list, json!([early, first, second, third, fourth]));

    // Addressed by URL-encoded name.
    assert_eq!(emu.get_ok("/api/rules/add%20country").await, first);
    assert_error(&emu.get("/api/rules/nope").await, 404, "not_found");

    // PUT merges status, script and order; "" keeps the order.
    let r = emu
        .put("/api/rules/add%20country", json!({"status": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut updated = first.clone();
    updated["status"] = json!(true);
    assert_eq!(r.json(), updated);
    let r = emu
        .put(
            "/api/rules/add%20country",
            json!({"script": "function (u, c, cb) { cb(null, u, c); }", "order": ""}),
        )
        .await;
    updated["script"] = json!("function (u, c, cb) { cb(null, u, c); }");
    assert_eq!(r.json(), updated);
    let r = emu
        .put("/api/rules/add%20country", json!({"order": 1}))
        .await;
    updated["order"] = json!(1);
    assert_eq!(r.json(), updated);
    assert_eq!(emu.get_ok("/api/rules").await[0], updated);
    // Its own order is not a conflict.
    let r = emu
        .put("/api/rules/add%20country", json!({"order": 1}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Bad bodies and unknown rules.
    for body in [
        json!({"name": "x"}),
        json!({"script": SCRIPT}),
        json!({"name": "", "script": SCRIPT}),
        json!({"name": "x", "script": SCRIPT, "order": -1}),
        json!({"name": "x", "script": SCRIPT, "order": "first"}),
        json!({"name": "x", "script": SCRIPT, "status": "maybe"}),
    ] {
        assert_error(&emu.post("/api/rules", body).await, 400, "bad_request");
    }
    assert_error(
        &emu.put("/api/rules/second", json!({"script": " "})).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put("/api/rules/nope", json!({"status": true})).await,
        404,
        "not_found",
    );

    // DELETE answers OK.
    assert_ok_text(&emu.delete("/api/rules/second").await);
    assert_error(&emu.get("/api/rules/second").await, 404, "not_found");
    assert_error(&emu.delete("/api/rules/second").await, 404, "not_found");
    let names: Vec<Value> = emu
        .get_ok("/api/rules")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("add country"),
            json!("early"),
            json!("third"),
            json!("fourth")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_name_and_order_conflicts_are_400_with_their_codes() {
    let emu = Emu::start().await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "a", "script": SCRIPT, "order": 1}),
    )
    .await;
    emu.post_ok(
        "/api/rules",
        json!({"name": "b", "script": SCRIPT, "order": 2}),
    )
    .await;

    assert_error(
        &emu.post(
            "/api/rules",
            json!({"name": "a", "script": SCRIPT, "order": 3}),
        )
        .await,
        400,
        "conflict",
    );
    assert_error(
        &emu.post(
            "/api/rules",
            json!({"name": "c", "script": SCRIPT, "order": 1}),
        )
        .await,
        400,
        "rule_conflict",
    );
    assert_error(
        &emu.put("/api/rules/b", json!({"order": 1, "status": false}))
            .await,
        400,
        "rule_conflict",
    );
    // Nothing of the failed writes was kept.
    let list = emu.get_ok("/api/rules").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        (
            list[1]["name"].clone(),
            list[1]["order"].clone(),
            list[1]["status"].clone()
        ),
        (json!("b"), json!(2), json!(true))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_templates_create_get_update() {
    let emu = Emu::start().await;
    for name in [
        "verify_email",
        "welcome_email",
        "reset_email",
        "blocked_account",
    ] {
        assert_error(
            &emu.get(&format!("/api/emails/{name}")).await,
            404,
            "not_found",
        );
        assert_error(
            &emu.put(&format!("/api/emails/{name}"), json!({"subject": "x"}))
                .await,
            404,
            "not_found",
        );

        let created = emu
            .post_ok(
                "/api/emails",
                json!({"template": name, "tenant": "local", "from": "support@example.com", "subject": "Hello",
                       "body": "<p>{{ user.email }}</p>", "urlLifetimeInSeconds": "3600"}),
            )
            .await;
        let expected = lit(&format!(
            r#"{{"template": "{name}", "disabled": false, "from": "support@example.com",
                 "subject": "Hello", "body": "<p>{{{{ user.email }}}}</p>", "resultUrl": "",
                 "syntax": "liquid", "urlLifetimeInSeconds": 3600}}"#
        ));
        assert_eq!(created, expected);
        assert_eq!(emu.get_ok(&format!("/api/emails/{name}")).await, expected);

        assert_error(
            &emu.post("/api/emails", json!({"template": name})).await,
            400,
            "conflict",
        );

        let r = emu
            .put(
                &format!("/api/emails/{name}"),
                json!({"disabled": true, "resultUrl": "https://example.com/done",
                       "syntax": "md_with_macros", "urlLifetimeInSeconds": 60}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let updated = lit(&format!(
            r#"{{"template": "{name}", "disabled": true, "from": "support@example.com",
                 "subject": "Hello", "body": "<p>{{{{ user.email }}}}</p>",
                 "resultUrl": "https://example.com/done", "syntax": "md_with_macros",
                 "urlLifetimeInSeconds": 60}}"#
        ));
        assert_eq!(r.json(), updated);
        assert_eq!(emu.get_ok(&format!("/api/emails/{name}")).await, updated);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_template_defaults_and_errors() {
    let emu = Emu::start().await;
    let r = emu
        .post("/api/emails/", json!({"template": "welcome_email"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        lit(
            r#"{"template": "welcome_email", "disabled": false, "from": "", "subject": "",
                "body": "", "resultUrl": "", "syntax": "liquid", "urlLifetimeInSeconds": 432000}"#
        )
    );
    assert_error(
        &emu.get("/api/emails/goodbye_email").await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put("/api/emails/goodbye_email", json!({})).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post("/api/emails", json!({"template": "goodbye_email"}))
            .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post("/api/emails", json!({})).await,
        400,
        "bad_request",
    );
    for body in [
        json!({"syntax": "handlebars"}),
        json!({"urlLifetimeInSeconds": "soon"}),
        json!({"urlLifetimeInSeconds": -1}),
        json!({"disabled": "perhaps"}),
        json!({"subject": 1}),
    ] {
        assert_error(
            &emu.put("/api/emails/welcome_email", body).await,
            400,
            "bad_request",
        );
    }
    // The failed updates changed nothing.
    assert_eq!(emu.get_ok("/api/emails/welcome_email").await, r.json());
}
