//! Logs: an entry by `_id`, pages (`page`/`per_page`, default 50 and at most 100), `sort`,
//! `fields`/`exclude_fields`, the `application:`/`connection:`/`user:` search (unquoted starts
//! with, quoted exact, ANDed, free text on all three), and checkpoints (`from`/`take`, oldest
//! first, default and maximum 200).

mod harness;

use harness::{Emu, assert_error};
use reqwest::Method;
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Four events: alice signs up (global client, connection db), bob signs up (Mobile App,
/// connection corp-db), alice logs in with Web, bob fails to log in with Mobile App.
async fn four_events(emu: &Emu) -> (String, String) {
    emu.connection("db", "auth0").await;
    emu.connection("corp-db", "auth0").await;
    let (mobile, mobile_secret) = emu.client("Mobile App").await;
    let (web, _) = emu.client("Web").await;
    let mobile_token = emu.token_for(&mobile, &mobile_secret).await;
    let alice = emu
        .post_ok(
            "/api/users",
            json!({"email": "alice@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = emu
        .send(
            Method::POST,
            "/api/users",
            Some(&mobile_token),
            Some(&json!({"email": "bob@example.com", "password": "pw-123456", "connection": "corp-db"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let bob = r.json()["user_id"].as_str().unwrap().to_string();
    emu.post_ok(
        "/__emulator/logins",
        json!({"user_id": alice, "client_id": web}),
    )
    .await;
    emu.post_ok(
        "/__emulator/logins",
        json!({"user_id": bob, "client_id": mobile, "success": false}),
    )
    .await;
    (alice, bob)
}

fn types(page: &Value) -> Vec<String> {
    page["logs"]
        .as_array()
        .unwrap_or_else(|| panic!("no logs in {page}"))
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l["type"].as_str().unwrap_or("?"),
                l["user_name"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// An emulator whose every failed token request gets a log entry (these tests make hundreds of
/// entries that way, faster than the default 10 a second).
async fn every_failed_login_logged() -> Emu {
    let emu = Emu::start().await;
    let r = emu
        .put(
            "/__emulator/faults",
            json!({"failed_logins_per_second": 100_000}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    emu
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_their_shape_and_one_by_id() {
    let emu = Emu::start().await;
    let (alice, bob) = four_events(&emu).await;
    let page = emu.get_ok("/api/logs").await;
    let mobile = emu.get_ok("/api/clients").await[1]["clientID"]
        .as_str()
        .unwrap()
        .to_string();
    let web = emu.get_ok("/api/clients").await[2]["clientID"]
        .as_str()
        .unwrap()
        .to_string();
    let known = [
        (alice.as_str(), "<alice>"),
        (bob.as_str(), "<bob>"),
        (mobile.as_str(), "<mobile>"),
        (web.as_str(), "<web>"),
    ];
    let entry = |kind: &str,
                 description: &str,
                 connection: &str,
                 client: &str,
                 client_name: &str,
                 user: &str,
                 name: &str| {
        json!({"_id": "<_id>", "date": "<date>", "type": kind, "description": description,
               "connection": connection, "client_id": client, "client_name": client_name,
               "ip": "127.0.0.1", "user_agent": "emulator-tests", "user_id": user,
               "user_name": name, "details": {}})
    };
    // Newest first by default.
    assert_eq!(
        emu.scrub(&page, &known),
        json!({"start": 0, "length": 4, "total": 4, "limit": 50, "logs": [
            entry("fp", "Wrong password", "corp-db", "<mobile>", "Mobile App", "<bob>", "bob@example.com"),
            entry("s", "Successful login", "db", "<web>", "Web", "<alice>", "alice@example.com"),
            entry("ss", "Successful signup", "corp-db", "<mobile>", "Mobile App", "<bob>", "bob@example.com"),
            entry("ss", "Successful signup", "db", "<global>", "Global Client", "<alice>", "alice@example.com"),
        ]})
    );

    // Each by its _id; ids are distinct.
    let mut ids = Vec::new();
    for l in page["logs"].as_array().unwrap() {
        let id = l["_id"].as_str().unwrap();
        assert_eq!(emu.get_ok(&format!("/api/logs/{id}")).await, *l);
        assert_eq!(emu.get_ok(&format!("/api/logs/{id}/")).await, *l);
        ids.push(id.to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_error(
        &emu.get("/api/logs/999999999999999999999999").await,
        404,
        "not_found",
    );
    assert_error(&emu.get("/api/logs/not-an-id").await, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_by_application_connection_and_user() {
    let emu = Emu::start().await;
    four_events(&emu).await;
    let search = |q: &str| format!("/api/logs?search={}&sort=date:1", enc(q));
    let cases: [(&str, &[&str]); 22] = [
        ("application:glo", &["ss:alice@example.com"]),
        (r#"application:"global client""#, &["ss:alice@example.com"]),
        (r#"application:"global""#, &[]),
        (
            "application:MOB",
            &["ss:bob@example.com", "fp:bob@example.com"],
        ),
        ("application:web", &["s:alice@example.com"]),
        (
            "connection:db",
            &["ss:alice@example.com", "s:alice@example.com"],
        ),
        (
            r#"connection:"DB""#,
            &["ss:alice@example.com", "s:alice@example.com"],
        ),
        (
            "connection:corp",
            &["ss:bob@example.com", "fp:bob@example.com"],
        ),
        (r#"connection:"corp""#, &[]),
        (
            "user:alice",
            &["ss:alice@example.com", "s:alice@example.com"],
        ),
        (
            r#"user:"Alice@Example.com""#,
            &["ss:alice@example.com", "s:alice@example.com"],
        ),
        (r#"user:"alice""#, &[]),
        (
            "application:mob user:bob",
            &["ss:bob@example.com", "fp:bob@example.com"],
        ),
        ("application:web user:bob", &[]),
        (
            "application:web connection:db user:alice",
            &["s:alice@example.com"],
        ),
        (
            r#"application:"mobile app" connection:"corp-db""#,
            &["ss:bob@example.com", "fp:bob@example.com"],
        ),
        // Free text: starts with on any of the three.
        ("web", &["s:alice@example.com"]),
        ("corp", &["ss:bob@example.com", "fp:bob@example.com"]),
        ("ALICE", &["ss:alice@example.com", "s:alice@example.com"]),
        ("glob", &["ss:alice@example.com"]),
        ("example", &[]),
        ("web user:bob", &[]),
    ];
    for (q, want) in cases {
        let page = emu.get_ok(&search(q)).await;
        assert_eq!(types(&page), want, "search {q:?}");
        assert_eq!(page["total"], want.len(), "search {q:?}");
    }
    assert_error(&emu.get(&search("ip:127")).await, 400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_sort_and_fields() {
    let emu = every_failed_login_logged().await;
    four_events(&emu).await;
    // 120 more: failed token requests of unknown clients c000..c119.
    for i in 0..120 {
        let r = emu
            .send(
                Method::POST,
                "/oauth/token",
                None,
                Some(&json!({"client_id": format!("c{i:03}"), "client_secret": "x"})),
            )
            .await;
        assert_eq!(r.status, 404);
    }
    let total = 124;
    let client_ids = |page: &Value| -> Vec<String> {
        page["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["client_id"].as_str().unwrap_or("-").to_string())
            .collect()
    };

    // Default: 50 newest first.
    let page = emu.get_ok("/api/logs").await;
    assert_eq!(
        (
            page["start"].clone(),
            page["length"].clone(),
            page["total"].clone(),
            page["limit"].clone()
        ),
        (json!(0), json!(50), json!(total), json!(50))
    );
    assert_eq!(client_ids(&page)[..2], ["c119", "c118"]);
    // At most 100 a page.
    let page = emu.get_ok("/api/logs?per_page=500").await;
    assert_eq!(
        (page["length"].clone(), page["limit"].clone()),
        (json!(100), json!(100))
    );
    // Pages are zero-based.
    let page = emu.get_ok("/api/logs?page=1&per_page=10").await;
    assert_eq!(
        (
            page["start"].clone(),
            page["length"].clone(),
            page["total"].clone(),
            page["limit"].clone()
        ),
        (json!(10), json!(10), json!(total), json!(10))
    );
    assert_eq!(client_ids(&page)[0], "c109");
    let page = emu.get_ok("/api/logs?page=12&per_page=10").await;
    assert_eq!(
        (page["start"].clone(), page["length"].clone()),
        (json!(120), json!(4))
    );
    assert_eq!(types(&page)[3], "ss:alice@example.com");
    let page = emu.get_ok("/api/logs?page=13&per_page=10").await;
    assert_eq!(
        (
            page["start"].clone(),
            page["length"].clone(),
            page["logs"].clone()
        ),
        (json!(130), json!(0), json!([]))
    );

    // Sort.
    let page = emu.get_ok("/api/logs?sort=date:1&per_page=5").await;
    assert_eq!(
        types(&page),
        [
            "ss:alice@example.com",
            "ss:bob@example.com",
            "s:alice@example.com",
            "fp:bob@example.com",
            "f:-"
        ]
    );
    let page = emu
        .get_ok("/api/logs?sort=type:1&page=1&per_page=100")
        .await;
    let sorted: Vec<String> = types(&page);
    assert_eq!(sorted.len(), 24);
    assert!(sorted[..20].iter().all(|t| t == "f:-"), "{sorted:?}");
    assert_eq!(
        sorted[20..],
        [
            "fp:bob@example.com",
            "s:alice@example.com",
            "ss:alice@example.com",
            "ss:bob@example.com"
        ]
    );
    let page = emu.get_ok("/api/logs?sort=type:-1&per_page=4").await;
    assert_eq!(
        types(&page),
        [
            "ss:bob@example.com",
            "ss:alice@example.com",
            "s:alice@example.com",
            "fp:bob@example.com"
        ]
    );
    assert_error(&emu.get("/api/logs?sort=date:2").await, 400, "bad_request");
    assert_error(&emu.get("/api/logs?per_page=ten").await, 400, "bad_request");

    // Fields.
    let page = emu
        .get_ok("/api/logs?fields=type,user_name&per_page=2&sort=date:1")
        .await;
    assert_eq!(
        page["logs"],
        json!([{"type": "ss", "user_name": "alice@example.com"},
               {"type": "ss", "user_name": "bob@example.com"}])
    );
    let page = emu
        .get_ok("/api/logs?fields=_id,date,ip,user_agent,details,description,client_id,client_name,user_id&exclude_fields=true&per_page=2&sort=date:1")
        .await;
    assert_eq!(
        page["logs"],
        json!([{"type": "ss", "connection": "db", "user_name": "alice@example.com"},
               {"type": "ss", "connection": "corp-db", "user_name": "bob@example.com"}])
    );
    let page = emu
        .get_ok("/api/logs?fields=type,user_name&exclude_fields=false&per_page=1&sort=date:1")
        .await;
    assert_eq!(
        page["logs"],
        json!([{"type": "ss", "user_name": "alice@example.com"}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_from_and_take() {
    let emu = every_failed_login_logged().await;
    for i in 0..250 {
        let r = emu
            .send(
                Method::POST,
                "/oauth/token",
                None,
                Some(&json!({"client_id": format!("c{i:03}"), "client_secret": "x"})),
            )
            .await;
        assert_eq!(r.status, 404);
    }
    let client_ids = |page: &Value| -> Vec<String> {
        page["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["client_id"].as_str().unwrap().to_string())
            .collect()
    };
    let counts = |page: &Value| {
        (
            page["start"].as_u64().unwrap(),
            page["length"].as_u64().unwrap(),
            page["total"].as_u64().unwrap(),
            page["limit"].as_u64().unwrap(),
        )
    };

    // No checkpoint: from the first entry, oldest first; take defaults to 200.
    let page = emu.get_ok("/api/logs?from=").await;
    assert_eq!(counts(&page), (0, 200, 250, 200));
    assert_eq!(client_ids(&page)[..3], ["c000", "c001", "c002"]);
    assert_eq!(client_ids(&page)[199], "c199");
    let page = emu.get_ok("/api/logs?take=3").await;
    assert_eq!(counts(&page), (0, 3, 250, 3));
    assert_eq!(client_ids(&page), ["c000", "c001", "c002"]);

    // After a checkpoint.
    let checkpoint = page["logs"][2]["_id"].as_str().unwrap().to_string();
    let page = emu
        .get_ok(&format!("/api/logs?from={checkpoint}&take=2"))
        .await;
    assert_eq!(counts(&page), (3, 2, 250, 2));
    assert_eq!(client_ids(&page), ["c003", "c004"]);
    // At most 200.
    let page = emu
        .get_ok(&format!("/api/logs?from={checkpoint}&take=1000"))
        .await;
    assert_eq!(counts(&page), (3, 200, 250, 200));
    assert_eq!(client_ids(&page)[199], "c202");
    let page = emu.get_ok(&format!("/api/logs?from={checkpoint}")).await;
    assert_eq!(counts(&page), (3, 200, 250, 200));
    // Following checkpoints reads every entry once, in order.
    let mut seen = Vec::new();
    let mut from = String::new();
    loop {
        let page = emu.get_ok(&format!("/api/logs?from={from}&take=64")).await;
        let logs = page["logs"].as_array().unwrap();
        if logs.is_empty() {
            break;
        }
        seen.extend(client_ids(&page));
        from = logs.last().unwrap()["_id"].as_str().unwrap().to_string();
    }
    let all: Vec<String> = (0..250).map(|i| format!("c{i:03}")).collect();
    assert_eq!(seen, all);
    // Fields apply to checkpoints too.
    let page = emu.get_ok("/api/logs?take=1&fields=type,client_id").await;
    assert_eq!(page["logs"], json!([{"type": "f", "client_id": "c000"}]));
    assert_error(&emu.get("/api/logs?from=abc").await, 400, "bad_request");
}
