//! Rules at the emulator's logins: the example tenant applied with `a0ctl apply --local`, then
//! logins driven through `POST /__emulator/logins` on the same state: the enabled rules run in
//! order, a denial is a failed login (`f`, with the rule's message), the claims come back in the
//! answer, and a broken rule fails the login instead of hanging it.

mod harness;

use harness::{Emu, config};
use serde_json::{Value, json};

const DB: &str = "Username-Password-Authentication";

async fn newest_log(emu: &Emu) -> Value {
    emu.get_ok("/api/logs?per_page=1").await["logs"][0].clone()
}

async fn client_id(emu: &Emu, name: &str) -> String {
    let clients = emu.get_ok("/api/clients").await;
    clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no client {name} in {clients}"))["clientID"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_applied_with_local_deny_and_shape_seeded_logins() {
    let dir = tempfile::tempdir().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tenant");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["apply", "--local", "--yes", examples])
        .current_dir(dir.path())
        .env_remove("AUTH0_DOMAIN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same tenant `--local` wrote, served.
    let emu = Emu::with(a0ctl::emulator::Config {
        state: Some(dir.path().join(".a0ctl/local.db")),
        ..config()
    })
    .await;
    let storefront = client_id(&emu, "Storefront").await;
    let console = client_id(&emu, "Admin Console").await;

    // deny-blocked-domains (order 2) refuses the login; the log says why.
    let spam = emu
        .seed_user(json!({"connection": DB, "email": "eve@mailinator.com"}))
        .await;
    let answer = emu
        .post_ok(
            "/__emulator/logins",
            json!({"user_id": spam, "client_id": storefront}),
        )
        .await;
    assert_eq!(
        answer["rules"],
        json!({
            "status": "denied",
            "ran": ["add-country", "deny-blocked-domains"],
            "error": {"name": "UnauthorizedError", "message": "Sign-ups from mailinator.com are not allowed"},
            "logs": [],
        })
    );
    assert_eq!(answer["loginsCount"], 0, "a denied login is not counted");
    let log = newest_log(&emu).await;
    assert_eq!(log["type"], "f", "{log}");
    assert_eq!(
        log["description"],
        "Sign-ups from mailinator.com are not allowed"
    );
    assert_eq!(log["user_id"], json!(spam));
    assert_eq!(log["client_name"], "Storefront");

    // require-verified-email depends on the client the login is for.
    let bob = emu
        .seed_user(json!({"connection": DB, "email": "bob@example.com", "email_verified": false}))
        .await;
    let answer = emu
        .post_ok(
            "/__emulator/logins",
            json!({"user_id": bob, "client_id": console}),
        )
        .await;
    assert_eq!(answer["rules"]["status"], "denied", "{answer}");
    assert_eq!(
        newest_log(&emu).await["description"],
        "Please verify your email before using the console."
    );
    let answer = emu
        .post_ok(
            "/__emulator/logins",
            json!({"user_id": bob, "client_id": storefront}),
        )
        .await;
    assert_eq!(
        answer["rules"],
        json!({
            "status": "allowed",
            "ran": ["add-country", "deny-blocked-domains", "require-verified-email"],
            "idToken": {},
            "accessToken": {},
            "logs": [],
        })
    );
    assert_eq!(answer["loginsCount"], 1);
    assert_eq!(newest_log(&emu).await["type"], "s");

    // Enabling the roles rule puts its claims in the answer.
    emu.put("/api/rules/add-roles-claim", json!({"status": true}))
        .await;
    let admin = emu
        .seed_user(
            json!({"connection": DB, "email": "ann@example.com", "email_verified": true,
                          "app_metadata": {"roles": ["admin"]}}),
        )
        .await;
    let answer = emu
        .post_ok(
            "/__emulator/logins",
            json!({"user_id": admin, "client_id": console}),
        )
        .await;
    assert_eq!(answer["rules"]["status"], "allowed", "{answer}");
    assert_eq!(
        answer["rules"]["idToken"],
        json!({"https://example.com/roles": ["admin"]})
    );
    assert_eq!(
        answer["rules"]["accessToken"],
        json!({"https://example.com/roles": ["admin"]})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_rule_fails_the_login_and_no_rules_change_nothing() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let user = emu
        .seed_user(json!({"connection": DB, "email": "a@example.com"}))
        .await;
    // Without rules the answer is the user, as before.
    let answer = emu
        .post_ok("/__emulator/logins", json!({"user_id": user}))
        .await;
    assert!(answer.get("rules").is_none(), "{answer}");
    emu.post_ok(
        "/api/rules",
        json!({"name": "forgetful", "script": "function (user, context, callback) { console.log('hi', user.email); }"}),
    )
    .await;
    let answer = emu
        .post_ok("/__emulator/logins", json!({"user_id": user}))
        .await;
    assert_eq!(answer["rules"]["status"], "failed", "{answer}");
    assert_eq!(answer["rules"]["logs"], json!(["hi a@example.com"]));
    let message = answer["rules"]["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("rule `forgetful` never called callback"),
        "{message}"
    );
    let log = newest_log(&emu).await;
    assert_eq!(log["type"], "f");
    assert_eq!(log["description"], json!(message));
    // A login that failed on its password never reaches the rules.
    let answer = emu
        .post_ok(
            "/__emulator/logins",
            json!({"user_id": user, "success": false}),
        )
        .await;
    assert!(answer.get("rules").is_none(), "{answer}");
    assert_eq!(newest_log(&emu).await["type"], "fp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_that_outruns_its_deadline_fails_the_login_within_a_bound() {
    let emu = Emu::start().await;
    emu.connection(DB, "auth0").await;
    let user = emu
        .seed_user(json!({"connection": DB, "email": "a@example.com"}))
        .await;
    // A loop that swallows the out-of-memory error and a native call over a huge length:
    // neither may hold the login past the engine's timeout (5 s) and its grace (1 s).
    for script in [
        "function (user, context, callback) { for(;;){try{new Array(1e8).fill(1)}catch(e){}} }",
        "function (user, context, callback) { Array.prototype.indexOf.call({length: 2**53-1}, 1); callback(null, user, context); }",
    ] {
        emu.delete("/api/rules/hostile").await;
        emu.post_ok("/api/rules", json!({"name": "hostile", "script": script}))
            .await;
        let started = std::time::Instant::now();
        let answer = emu
            .post_ok("/__emulator/logins", json!({"user_id": user}))
            .await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(9),
            "{script}: {:?}",
            started.elapsed()
        );
        assert_eq!(answer["rules"]["status"], "failed", "{script}: {answer}");
        assert_eq!(newest_log(&emu).await["type"], "f");
    }
}
