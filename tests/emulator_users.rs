//! Users: create and the user object, the five user lists and their `Link` paging (followed
//! without an Authorization header), the search syntax of the reference, and every user write:
//! email, metadata (PUT replaces, PATCH merges), passwords (by id and by email + connection),
//! tickets that really change the password or verify the email, public keys, refresh tokens,
//! devices, verification emails, a user's logs and delete.

mod harness;

use std::path::Path;

use argon2::{PasswordHash, PasswordVerifier};
use harness::{Emu, assert_error, assert_ok_text, config, http_client, read};
use serde_json::{Value, json};

const DB: &str = "Username-Password-Authentication";

fn lit(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad literal ({e}): {text}"))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn ids(users: &Value) -> Vec<String> {
    users
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {users}"))
        .iter()
        .map(|u| u["user_id"].as_str().unwrap().to_string())
        .collect()
}

async fn create_user(emu: &Emu, body: Value) -> String {
    let u = emu.post_ok("/api/users", body).await;
    u["user_id"].as_str().unwrap().to_string()
}

/// Whether the password stored for `user_id` in the state file is `password`.
fn stored_password_is(state: &Path, user_id: &str, password: &str) -> bool {
    let conn = rusqlite::Connection::open(state).expect("open the state file");
    let hash: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE user_id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .expect("the user's password hash");
    let parsed = PasswordHash::new(&hash).expect("a PHC hash");
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_get_a_user() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let r = emu
        .post(
            "/api/users/",
            json!({"email": "john@example.com", "password": "Passw0rd!", "connection": DB,
                   "email_verified": true, "family_name": "Johnson", "vip": true,
                   "birthdate": "1980-12-23T03:00:00.000Z"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !r.body.contains("Passw0rd!") && !r.body.contains("password"),
        "{}",
        r.body
    );
    let user = r.json();
    let expected = lit(
        r#"{"user_id": "<user_id>", "email": "john@example.com", "email_verified": true,
            "family_name": "Johnson", "name": "john@example.com", "nickname": "john",
            "picture": "https://cdn.auth0.com/avatars/jo.png",
            "identities": [{"user_id": "<user_id>", "provider": "auth0",
                            "connection": "Username-Password-Authentication", "isSocial": false}],
            "created_at": "<created_at>", "updated_at": "<updated_at>", "loginsCount": 0,
            "vip": true, "birthdate": "1980-12-23T03:00:00.000Z"}"#,
    );
    assert_eq!(emu.scrub(&user, &[]), expected);
    let id = user["user_id"].as_str().unwrap();
    let hex = id.strip_prefix("auth0|").expect("auth0| prefix");
    assert_eq!(user["identities"][0]["user_id"], hex);
    assert!(
        hex.len() >= 16 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(user["created_at"], user["updated_at"]);
    assert!(humantime::parse_rfc3339(user["created_at"].as_str().unwrap()).is_ok());

    // By id, with the `|` encoded or raw.
    assert_eq!(
        emu.get_ok(&format!("/api/users/{}", id.replace('|', "%7C")))
            .await,
        user
    );
    assert_eq!(emu.get_ok(&format!("/api/users/{id}")).await, user);
    assert_error(&emu.get("/api/users/auth0%7Cnope").await, 404, "not_found");

    // The same email in the same connection: 409; in another connection: fine.
    let dup = emu
        .post(
            "/api/users",
            json!({"email": "john@example.com", "password": "x-123456", "connection": DB}),
        )
        .await;
    assert_error(&dup, 409, "user_exists");
    emu.connection("other-db", "auth0").await;
    create_user(
        &emu,
        json!({"email": "john@example.com", "password": "x-123456", "connection": "other-db"}),
    )
    .await;

    // A passwordless user needs only a phone number (or an email).
    emu.connection("sms", "sms").await;
    let sms = emu
        .post_ok(
            "/api/users",
            json!({"connection": "sms", "phone_number": "+15551234567"}),
        )
        .await;
    assert_eq!(
        emu.scrub(&sms, &[]),
        lit(
            r#"{"user_id": "<user_id>", "email_verified": false, "phone_number": "+15551234567",
                "name": "+15551234567", "nickname": "+15551234567",
                "picture": "https://cdn.auth0.com/avatars/+1.png",
                "identities": [{"user_id": "<user_id>", "provider": "sms", "connection": "sms",
                                "isSocial": false}],
                "created_at": "<created_at>", "updated_at": "<updated_at>", "loginsCount": 0}"#
        )
    );
    assert!(sms["user_id"].as_str().unwrap().starts_with("sms|"));

    // Bad creates.
    emu.connection("gh", "github").await;
    for body in [
        json!({"email": "a@example.com", "password": "x-123456"}),
        json!({"email": "a@example.com", "password": "x-123456", "connection": "nope"}),
        json!({"password": "x-123456", "connection": DB}),
        json!({"email": "not-an-email", "password": "x-123456", "connection": DB}),
        json!({"email": "a@example.com", "connection": DB}),
        json!({"email": "a@example.com", "password": "", "connection": DB}),
        json!({"email": "a@example.com", "password": "x-123456", "connection": "gh"}),
        json!({"connection": "sms"}),
        json!({"email": 7, "password": "x-123456", "connection": DB}),
    ] {
        assert_error(&emu.post("/api/users", body).await, 400, "bad_request");
    }
    assert_eq!(emu.get_ok("/api/users").await.as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_five_user_lists() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    emu.connection("corp", "waad").await;
    emu.connection("gh", "github").await;
    let (app, _) = emu.client("App").await;
    let db_user = create_user(
        &emu,
        json!({"email": "dee@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
    let corp = emu
        .post_ok(
            "/__emulator/users",
            json!({"connection": "corp", "email": "carl@corp.example", "name": "Carl Corp"}),
        )
        .await;
    let corp_user = corp["user_id"].as_str().unwrap().to_string();
    assert!(corp_user.starts_with("waad|"), "{corp_user}");
    let gh = emu
        .post_ok(
            "/__emulator/users",
            json!({"connection": "gh", "user_id": "12345", "email": "octo@example.com",
                   "name": "Octo Cat", "nickname": "octocat", "followers": 7}),
        )
        .await;
    assert_eq!(
        emu.scrub(&gh, &[]),
        lit(
            r#"{"user_id": "<user_id>", "email": "octo@example.com", "email_verified": true,
                "name": "Octo Cat", "nickname": "octocat",
                "picture": "https://cdn.auth0.com/avatars/oc.png",
                "identities": [{"user_id": "<user_id>", "provider": "github", "connection": "gh",
                                "isSocial": true}],
                "created_at": "<created_at>", "updated_at": "<updated_at>", "loginsCount": 0,
                "followers": 7}"#
        )
    );
    assert_eq!(gh["user_id"], "github|12345");
    assert_eq!(gh["identities"][0]["user_id"], "12345");

    assert_eq!(
        ids(&emu.get_ok("/api/users").await),
        [&db_user, &corp_user, "github|12345"]
    );
    assert_eq!(
        ids(&emu.get_ok(&format!("/api/connections/{DB}/users")).await),
        [db_user.as_str()]
    );
    assert_eq!(
        ids(&emu.get_ok("/api/connections/corp/users").await),
        [corp_user.as_str()]
    );
    assert_eq!(
        ids(&emu.get_ok("/api/connections/gh/users").await),
        ["github|12345"]
    );
    assert_eq!(
        ids(&emu.get_ok("/api/enterpriseconnections/users?search=").await),
        [corp_user.as_str()]
    );
    assert_eq!(
        ids(&emu
            .get_ok("/api/enterpriseconnections/users?search=carl&per_page=10")
            .await),
        [corp_user.as_str()]
    );
    assert_eq!(
        ids(&emu
            .get_ok("/api/enterpriseconnections/users?search=octo")
            .await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&emu
            .get_ok("/api/socialconnections/users?search=&per_page=10")
            .await),
        ["github|12345"]
    );
    assert_eq!(emu.get_ok("/api/connections/gh/users").await[0], gh);

    // The users of a client are those who logged in with it.
    let path = format!("/api/clients/{app}/users");
    assert_eq!(emu.get_ok(&path).await, json!([]));
    for user in [&db_user, "github|12345"] {
        emu.post_ok(
            "/__emulator/logins",
            json!({"user_id": user, "client_id": app}),
        )
        .await;
    }
    emu.post_ok("/__emulator/logins", json!({"user_id": corp_user}))
        .await;
    // A login to a client the tenant lacks is the caller's mistake, named, not a 500.
    let unknown = emu
        .post(
            "/__emulator/logins",
            json!({"user_id": corp_user, "client_id": "no-such-client"}),
        )
        .await;
    assert_error(&unknown, 400, "bad_request");
    assert!(unknown.body.contains("no-such-client"), "{}", unknown.body);
    emu.post_ok(
        "/__emulator/logins",
        json!({"user_id": corp_user, "client_id": app, "success": false}),
    )
    .await;
    assert_eq!(ids(&emu.get_ok(&path).await), [&db_user, "github|12345"]);
    assert_eq!(
        ids(&emu
            .get_ok(&format!(
                "/api/clients/{}/users",
                emu.handle.global_client_id
            ))
            .await),
        [corp_user.as_str()]
    );

    assert_error(
        &emu.get("/api/connections/nope/users").await,
        404,
        "not_found",
    );
    assert_error(&emu.get("/api/clients/nope/users").await, 404, "not_found");
    assert_error(
        &emu.get("/api/users?per_page=many").await,
        400,
        "bad_request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_search_syntax() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    emu.connection("gh", "github").await;
    let new = |email: &str, name: &str, family: &str, verified: bool| {
        json!({"email": email, "password": "pw-123456", "connection": DB, "name": name,
               "family_name": family, "email_verified": verified})
    };
    let john = create_user(
        &emu,
        new("john@example.com", "John Johnson", "Johnson", false),
    )
    .await;
    let johnny = create_user(
        &emu,
        new("johnny@example.com", "Johnny Johnston", "Johnston", true),
    )
    .await;
    let jane = create_user(&emu, new("jane.doe@example.com", "Jane Doe", "Doe", true)).await;
    let berlin = create_user(
        &emu,
        json!({"email": "b@example.com", "password": "pw-123456", "connection": DB,
               "name": "Bea", "address": {"city": "Berlin"}, "plan": "gold"}),
    )
    .await;
    let login = emu
        .post_ok("/__emulator/logins", json!({"user_id": jane}))
        .await;
    assert_eq!(
        emu.scrub(&login, &[(&jane, "<jane>")]),
        lit(
            r#"{"user_id": "<jane>", "email": "jane.doe@example.com", "email_verified": true,
                "name": "Jane Doe", "family_name": "Doe", "nickname": "jane.doe",
                "picture": "https://cdn.auth0.com/avatars/ja.png",
                "identities": [{"user_id": "<user_id>", "provider": "auth0",
                                "connection": "Username-Password-Authentication",
                                "isSocial": false}],
                "created_at": "<created_at>", "updated_at": "<updated_at>", "loginsCount": 1,
                "last_login": "<last_login>"}"#
        )
    );
    let gh = emu
        .seed_user(json!({"connection": "gh", "email": "jo@github.example", "name": "Jo Hub"}))
        .await;

    let search = |q: &str| format!("/api/users?search={}", enc(q));
    let cases: Vec<(&str, Vec<&String>)> = vec![
        // Free text: starts with, on name or email, case-insensitive.
        ("jo", vec![&john, &johnny, &gh]),
        ("JOHN", vec![&john, &johnny]),
        ("john@", vec![&john]),
        ("jane.doe@example.com", vec![&jane]),
        ("jane doe", vec![&jane]),
        ("doe", vec![]),
        ("example.com", vec![]),
        // Fields.
        ("email_verified:true", vec![&johnny, &jane, &gh]),
        ("email_verified:false", vec![&john, &berlin]),
        ("loginsCount:1", vec![&jane]),
        ("loginsCount:0", vec![&john, &johnny, &berlin, &gh]),
        (r#"family_name:"johnson""#, vec![&john]),
        ("family_name:johns", vec![&john, &johnny]),
        (r#"family_name:"johns""#, vec![]),
        ("family_name:JOHNSTON", vec![&johnny]),
        ("name:jo", vec![&john, &johnny, &gh]),
        (r#"name:"jane doe""#, vec![&jane]),
        ("email:jane", vec![&jane]),
        // Dotted paths into metadata, and metadata at the root.
        ("address.city:ber", vec![&berlin]),
        (r#"address.city:"berlin""#, vec![&berlin]),
        ("plan:gold", vec![&berlin]),
        ("address.country:de", vec![]),
        // Terms are ANDed.
        ("family_name:johns email_verified:true", vec![&johnny]),
        ("jo email_verified:false", vec![&john]),
        ("jo loginsCount:1", vec![]),
        ("", vec![&john, &johnny, &jane, &berlin, &gh]),
    ];
    for (q, want) in cases {
        let got = ids(&emu.get_ok(&search(q)).await);
        let want: Vec<String> = want.into_iter().cloned().collect();
        assert_eq!(got, want, "search {q:?}");
    }
    // The same syntax on the other lists.
    assert_eq!(
        ids(&emu
            .get_ok(&format!(
                "/api/socialconnections/users?search={}",
                enc("email_verified:true")
            ))
            .await),
        [gh.as_str()]
    );
    assert_eq!(
        ids(&emu
            .get_ok(&format!(
                "/api/connections/{DB}/users?search={}&per_page=1",
                enc("jo")
            ))
            .await),
        [john.as_str()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_header_pages_without_an_authorization_header() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(
            create_user(
                &emu,
                json!({"email": format!("u{i}@example.com"), "password": "pw-123456", "connection": DB}),
            )
            .await,
        );
    }
    let first = emu.get("/api/users?per_page=2").await;
    assert_eq!(first.status, 200);
    assert_eq!(ids(&first.json()), all[..2]);
    assert_eq!(
        first.header("link"),
        Some(
            format!(
                "<{}/api/users?page=1&per_page=2&access_token={}>; rel=\"next\"",
                emu.base, emu.token
            )
            .as_str()
        )
    );

    // Follow the links with a client that sends no Authorization header.
    let plain = http_client();
    let mut seen = ids(&first.json());
    let mut link = first.header("link").map(str::to_string);
    let mut pages = 1;
    while let Some(l) = link {
        let url = l
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("link {l}"));
        let r = read(plain.get(url).send().await.unwrap()).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        seen.extend(ids(&r.json()));
        link = r.header("link").map(str::to_string);
        pages += 1;
        assert!(pages <= 5, "the links do not end");
    }
    assert_eq!((pages, &seen), (3, &all));

    // page is zero-based; past the end is empty; the last page has no link.
    let r = emu.get("/api/users?page=2&per_page=2").await;
    assert_eq!(
        (ids(&r.json()), r.header("link")),
        (all[4..].to_vec(), None)
    );
    let r = emu.get("/api/users?page=3&per_page=2").await;
    assert_eq!((r.json(), r.header("link")), (json!([]), None));
    let r = emu.get("/api/users?per_page=5").await;
    assert_eq!((ids(&r.json()), r.header("link")), (all.clone(), None));
    // Default page size is 100.
    assert_eq!(emu.get("/api/users").await.header("link"), None);

    // The search and a token sent as a query parameter are carried along.
    let r = read(
        plain
            .get(emu.url(&format!(
                "/api/connections/{DB}/users/?search=u&per_page=4&access_token={}",
                emu.token
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ids(&r.json()), all[..4]);
    let link = r.header("link").expect("a next link").to_string();
    let url = link
        .strip_prefix('<')
        .and_then(|l| l.strip_suffix(">; rel=\"next\""))
        .unwrap();
    let prefix = format!(
        "{}/api/connections/{}/users?",
        emu.base,
        enc(DB).replace('+', "%20")
    );
    let query = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} vs {prefix}"));
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("access_token".to_string(), emu.token.clone()),
            ("page".to_string(), "1".to_string()),
            ("per_page".to_string(), "4".to_string()),
            ("search".to_string(), "u".to_string()),
        ]
    );
    let r = read(plain.get(url).send().await.unwrap()).await;
    assert_eq!(
        (ids(&r.json()), r.header("link")),
        (all[4..].to_vec(), None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_get_put_replaces_patch_merges() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let id = create_user(
        &emu,
        json!({"email": "m@example.com", "password": "pw-123456", "connection": DB,
               "name": "Meta", "vip": true, "birthdate": "1980-12-23T03:00:00.000Z"}),
    )
    .await;
    let path = format!("/api/users/{}/metadata", id.replace('|', "%7C"));
    assert_eq!(
        emu.get_ok(&path).await,
        json!({"vip": true, "birthdate": "1980-12-23T03:00:00.000Z"})
    );

    assert_ok_text(
        &emu.put(
            &path,
            json!({"Policy": "1238907654", "Customer Id": "1234"}),
        )
        .await,
    );
    assert_eq!(
        emu.get_ok(&path).await,
        json!({"Policy": "1238907654", "Customer Id": "1234"})
    );
    let user = emu.get_ok(&format!("/api/users/{id}")).await;
    assert_eq!(user["Policy"], "1238907654");
    assert!(user.get("vip").is_none(), "{user}");
    assert_eq!(user["name"], "Meta");

    assert_ok_text(
        &emu.patch(&path, json!({"Policy": "42", "tier": {"level": 2}}))
            .await,
    );
    assert_eq!(
        emu.get_ok(&path).await,
        json!({"Policy": "42", "Customer Id": "1234", "tier": {"level": 2}})
    );
    assert_ok_text(&emu.put(&path, json!({})).await);
    assert_eq!(emu.get_ok(&path).await, json!({}));

    assert_error(
        &emu.get("/api/users/auth0%7Cnope/metadata").await,
        404,
        "not_found",
    );
    assert_error(
        &emu.patch("/api/users/auth0%7Cnope/metadata", json!({"a": 1}))
            .await,
        404,
        "not_found",
    );
    let r = read(
        emu.http
            .put(emu.url(&path))
            .bearer_auth(&emu.token)
            .body("[1, 2]")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&r, 400, "invalid_body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_change_and_verification_requests() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let id = create_user(
        &emu,
        json!({"email": "old@example.com", "password": "pw-123456", "connection": DB,
               "email_verified": true}),
    )
    .await;
    create_user(
        &emu,
        json!({"email": "taken@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
    let path = format!("/api/users/{id}/email");
    assert_ok_text(
        &emu.put(&path, json!({"email": "new@example.com", "verify": true}))
            .await,
    );
    let user = emu.get_ok(&format!("/api/users/{id}")).await;
    assert_eq!(
        (user["email"].clone(), user["email_verified"].clone()),
        (json!("new@example.com"), json!(false))
    );
    let (created, updated) = (
        humantime::parse_rfc3339(user["created_at"].as_str().unwrap()).unwrap(),
        humantime::parse_rfc3339(user["updated_at"].as_str().unwrap()).unwrap(),
    );
    assert!(updated >= created, "{user}");
    assert_ok_text(
        &emu.put(
            &path,
            json!({"email": "newer@example.com", "verify": false}),
        )
        .await,
    );
    assert_ok_text(
        &emu.post(
            &format!("/api/users/{id}/send_verification_email"),
            json!({}),
        )
        .await,
    );

    assert_error(
        &emu.put(
            &path,
            json!({"email": "taken@example.com", "verify": false}),
        )
        .await,
        409,
        "user_exists",
    );
    assert_error(
        &emu.put(&path, json!({"email": "nope"})).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.put(
            "/api/users/auth0|nope/email",
            json!({"email": "x@example.com"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &emu.post("/api/users/auth0|nope/send_verification_email", json!({}))
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        emu.get_ok(&format!("/api/users/{id}")).await["email"],
        "newer@example.com"
    );

    // The events, newest first, in the user's logs.
    let logs = emu.get_ok(&format!("/api/users/{id}/logs")).await;
    let entry = |kind: &str, description: &str, name: &str| {
        json!({"_id": "<_id>", "date": "<date>", "type": kind, "description": description,
               "connection": DB, "client_id": "<global>", "client_name": "Global Client",
               "ip": "127.0.0.1", "user_agent": "emulator-tests", "user_id": "<uid>",
               "user_name": name, "details": {}})
    };
    assert_eq!(
        emu.scrub(&logs, &[(&id, "<uid>")]),
        json!({"start": 0, "length": 5, "total": 5, "limit": 50, "logs": [
            entry("svr", "Verification email requested", "newer@example.com"),
            entry("sce", "Email changed", "newer@example.com"),
            entry("svr", "Verification email requested", "new@example.com"),
            entry("sce", "Email changed", "new@example.com"),
            entry("ss", "Successful signup", "old@example.com"),
        ]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_by_id_and_by_email_and_connection() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let emu = Emu::with(harness::Config {
        state: Some(state.clone()),
        ..config()
    })
    .await;
    emu.connection(DB, "auth0").await;
    emu.connection("other", "auth0").await;
    let id = create_user(
        &emu,
        json!({"email": "p@example.com", "password": "first-pw", "connection": DB}),
    )
    .await;
    let twin = create_user(
        &emu,
        json!({"email": "p@example.com", "password": "twin-pw", "connection": "other"}),
    )
    .await;
    assert!(stored_password_is(&state, &id, "first-pw"));
    assert!(!stored_password_is(&state, &id, "twin-pw"));

    let r = emu
        .put(
            &format!("/api/users/{}/password", id.replace('|', "%7C")),
            json!({"password": "second-pw", "verify": false}),
        )
        .await;
    assert_ok_text(&r);
    assert!(stored_password_is(&state, &id, "second-pw"));
    assert!(!stored_password_is(&state, &id, "first-pw"));

    let r = emu
        .put(
            "/api/users/p@example.com/password",
            json!({"email": "p@example.com", "password": "third-pw", "connection": DB, "verify": true}),
        )
        .await;
    assert_ok_text(&r);
    assert!(stored_password_is(&state, &id, "third-pw"));
    assert!(stored_password_is(&state, &twin, "twin-pw"));

    assert_error(
        &emu.put(
            "/api/users/p@example.com/password",
            json!({"password": "x"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &emu.put(
            "/api/users/q@example.com/password",
            json!({"email": "q@example.com", "password": "x", "connection": DB}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &emu.put(
            &format!("/api/users/{id}/password"),
            json!({"password": ""}),
        )
        .await,
        400,
        "bad_request",
    );
    assert!(stored_password_is(&state, &id, "third-pw"));

    let logs = emu
        .get_ok(&format!("/api/users/{id}/logs?per_page=2"))
        .await;
    let types: Vec<&Value> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["type"])
        .collect();
    assert_eq!(types, [&json!("scp"), &json!("scp")]);
    assert_eq!(
        (logs["total"].clone(), logs["limit"].clone()),
        (json!(3), json!(2))
    );
    let page = emu
        .get_ok(&format!("/api/users/{id}/logs?page=1&per_page=2"))
        .await;
    assert_eq!(
        (
            page["start"].clone(),
            page["length"].clone(),
            page["logs"][0]["type"].clone()
        ),
        (json!(2), json!(1), json!("ss"))
    );
    assert_error(
        &emu.get("/api/users/auth0|nope/logs").await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_are_links_that_really_change_the_password_or_verify_the_email() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let emu = Emu::with(harness::Config {
        state: Some(state.clone()),
        ..config()
    })
    .await;
    emu.connection(DB, "auth0").await;
    let id = create_user(
        &emu,
        json!({"email": "t@example.com", "password": "old-pw", "connection": DB}),
    )
    .await;
    let plain = http_client();

    // Change-password ticket, with a result URL.
    let r = emu
        .post(
            &format!(
                "/api/users/{}/change_password_ticket",
                id.replace('|', "%7C")
            ),
            json!({"newPassword": "ticket-pw", "resultUrl": "https://app.example/done"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(emu.scrub(&r.json(), &[]), json!({"ticket": "<ticket>"}));
    let ticket = r.json()["ticket"].as_str().unwrap().to_string();
    assert!(
        ticket.starts_with(&format!("{}/lo/reset?ticket=", emu.base)),
        "{ticket}"
    );
    assert!(
        stored_password_is(&state, &id, "old-pw"),
        "changed before the link was followed"
    );
    let redeemed = read(plain.get(&ticket).send().await.unwrap()).await;
    assert_eq!(redeemed.status, 302, "{}", redeemed.body);
    assert_eq!(
        redeemed.header("location"),
        Some("https://app.example/done")
    );
    assert!(stored_password_is(&state, &id, "ticket-pw"));
    // A ticket works once.
    let again = read(plain.get(&ticket).send().await.unwrap()).await;
    assert_error(&again, 400, "bad_request");
    assert!(stored_password_is(&state, &id, "ticket-pw"));

    // Without a result URL the link answers 200.
    let r = emu
        .post(
            &format!("/api/users/{id}/change_password_ticket"),
            json!({"newPassword": "other-pw"}),
        )
        .await;
    let ticket = r.json()["ticket"].as_str().unwrap().to_string();
    let redeemed = read(plain.get(&ticket).send().await.unwrap()).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.body);
    assert!(stored_password_is(&state, &id, "other-pw"));

    // Verification ticket.
    assert_eq!(
        emu.get_ok(&format!("/api/users/{id}")).await["email_verified"],
        false
    );
    let r = emu
        .post(
            &format!("/api/users/{id}/verification_ticket"),
            json!({"resultUrl": "https://app.example/verified"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(emu.scrub(&r.json(), &[]), json!({"ticket": "<ticket>"}));
    let ticket = r.json()["ticket"].as_str().unwrap().to_string();
    assert!(
        ticket.starts_with(&format!("{}/lo/verify_email?ticket=", emu.base)),
        "{ticket}"
    );
    // A verification ticket is not a reset ticket.
    let wrong = ticket.replace("/lo/verify_email", "/lo/reset");
    assert_error(
        &read(plain.get(&wrong).send().await.unwrap()).await,
        400,
        "bad_request",
    );
    assert_eq!(
        emu.get_ok(&format!("/api/users/{id}")).await["email_verified"],
        false
    );
    let redeemed = read(plain.get(&ticket).send().await.unwrap()).await;
    assert_eq!(redeemed.status, 302, "{}", redeemed.body);
    assert_eq!(
        redeemed.header("location"),
        Some("https://app.example/verified")
    );
    assert_eq!(
        emu.get_ok(&format!("/api/users/{id}")).await["email_verified"],
        true
    );
    assert!(stored_password_is(&state, &id, "other-pw"));

    assert_error(
        &emu.post(
            &format!("/api/users/{id}/change_password_ticket"),
            json!({}),
        )
        .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post("/api/users/auth0|nope/verification_ticket", json!({}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &read(
            plain
                .get(emu.url("/lo/reset?ticket=forged"))
                .send()
                .await
                .unwrap(),
        )
        .await,
        400,
        "bad_request",
    );

    // The events, oldest first.
    let logs = emu
        .get_ok(&format!("/api/users/{id}/logs?sort=date:1"))
        .await;
    let by_api = |kind: &str, description: &str| {
        json!({"_id": "<_id>", "date": "<date>", "type": kind, "description": description,
               "connection": DB, "client_id": "<global>", "client_name": "Global Client",
               "ip": "127.0.0.1", "user_agent": "emulator-tests", "user_id": "<uid>",
               "user_name": "t@example.com", "details": {}})
    };
    let by_link = |kind: &str, description: &str| {
        json!({"_id": "<_id>", "date": "<date>", "type": kind, "description": description,
               "connection": DB, "user_id": "<uid>", "user_name": "t@example.com", "details": {}})
    };
    assert_eq!(
        emu.scrub(&logs, &[(&id, "<uid>")]),
        json!({"start": 0, "length": 7, "total": 7, "limit": 50, "logs": [
            by_api("ss", "Successful signup"),
            by_api("scpr", "Change password ticket created"),
            by_link("scp", "Password changed through a ticket"),
            by_api("scpr", "Change password ticket created"),
            by_link("scp", "Password changed through a ticket"),
            by_api("svr", "Verification ticket created"),
            by_link("sv", "Email verified"),
        ]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_keys_refresh_tokens_and_devices() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let (app, _) = emu.client("App").await;
    let id = create_user(
        &emu,
        json!({"email": "d@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
    let enc_id = id.replace('|', "%7C");
    let devices = format!("/api/users/{enc_id}/devices");
    assert_eq!(emu.get_ok(&devices).await, json!([]));

    assert_ok_text(
        &emu.post(
            &format!("/api/users/{enc_id}/publickey"),
            json!({"device": "laptop", "public_key": "-----BEGIN PUBLIC KEY-----1"}),
        )
        .await,
    );
    // Same device again: replaced.
    assert_ok_text(
        &emu.post(
            &format!("/api/users/{id}/publickey"),
            json!({"device": "laptop", "public_key": "-----BEGIN PUBLIC KEY-----2"}),
        )
        .await,
    );
    let rt = emu
        .post_ok(
            &format!("/__emulator/users/{enc_id}/refresh_tokens"),
            json!({"device": "phone", "client_id": app}),
        )
        .await;
    assert_eq!(
        emu.scrub(&rt, &[]),
        json!({"refresh_token": "<refresh_token>"})
    );
    let rt = rt["refresh_token"].as_str().unwrap().to_string();

    let listed = emu.get_ok(&devices).await;
    assert_eq!(
        emu.scrub(&listed, &[(&rt, "<rt>"), (&app, "<app>")]),
        lit(r#"[
            {"id": "<id>", "device": "laptop", "type": "public_key",
             "public_key": "-----BEGIN PUBLIC KEY-----2", "client_id": "<global>",
             "created_at": "<created_at>"},
            {"id": "<id>", "device": "phone", "type": "refresh_token", "refresh_token": "<rt>",
             "client_id": "<app>", "created_at": "<created_at>"}
        ]"#)
    );

    // Revoke the refresh token, then the public key.
    assert_ok_text(
        &emu.delete(&format!("/api/users/{enc_id}/refresh_tokens/{rt}"))
            .await,
    );
    assert_error(
        &emu.delete(&format!("/api/users/{enc_id}/refresh_tokens/{rt}"))
            .await,
        404,
        "not_found",
    );
    assert_eq!(emu.get_ok(&devices).await.as_array().unwrap().len(), 1);
    assert_ok_text(
        &emu.delete(&format!("/api/users/{enc_id}/publickey?device=laptop"))
            .await,
    );
    assert_error(
        &emu.delete(&format!("/api/users/{enc_id}/publickey?device=laptop"))
            .await,
        404,
        "not_found",
    );
    assert_eq!(emu.get_ok(&devices).await, json!([]));

    assert_error(
        &emu.delete(&format!("/api/users/{enc_id}/publickey")).await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post(
            &format!("/api/users/{enc_id}/publickey"),
            json!({"device": "x"}),
        )
        .await,
        400,
        "bad_request",
    );
    assert_error(
        &emu.post(
            "/api/users/auth0|nope/publickey",
            json!({"device": "x", "public_key": "k"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &emu.get("/api/users/auth0|nope/devices").await,
        404,
        "not_found",
    );
    assert_error(
        &emu.delete("/api/users/auth0|nope/refresh_tokens/x").await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_user() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let id = create_user(
        &emu,
        json!({"email": "gone@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
    let keep = create_user(
        &emu,
        json!({"email": "kept@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
    let rt = emu
        .post_ok(
            &format!("/__emulator/users/{id}/refresh_tokens"),
            json!({"device": "d"}),
        )
        .await;
    assert_ok_text(
        &emu.delete(&format!("/api/users/{}", id.replace('|', "%7C")))
            .await,
    );
    assert_error(
        &emu.get(&format!("/api/users/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &emu.delete(&format!("/api/users/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &emu.delete(&format!(
            "/api/users/{id}/refresh_tokens/{}",
            rt["refresh_token"].as_str().unwrap()
        ))
        .await,
        404,
        "not_found",
    );
    assert_eq!(ids(&emu.get_ok("/api/users").await), [keep.as_str()]);
    // The email is free again.
    create_user(
        &emu,
        json!({"email": "gone@example.com", "password": "pw-123456", "connection": DB}),
    )
    .await;
}
