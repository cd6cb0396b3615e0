//! Concurrent writers: 64 tasks creating 3,200 rules, 64 creates racing for one order, 64 PUTs
//! racing to move different rules to one order, and 64 concurrent metadata merges of one user.

mod harness;

use std::collections::HashSet;
use std::sync::Arc;

use harness::{Emu, assert_error};
use serde_json::{Value, json};

const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";
const TASKS: usize = 64;

/// Run `TASKS` tasks of `f(emu, task)` at once; their results in task order.
async fn race<F, Fut, T>(emu: &Arc<Emu>, f: F) -> Vec<T>
where
    F: Fn(Arc<Emu>, usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let handles: Vec<_> = (0..TASKS)
        .map(|task| {
            let fut = f(emu.clone(), task);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_tasks_create_3200_rules() {
    let emu = Arc::new(Emu::start().await);
    let statuses = race(&emu, |emu, task| async move {
        let mut statuses = Vec::new();
        for i in 0..50 {
            let n = task * 50 + i;
            let r = emu
                .post(
                    "/api/rules",
                    json!({"name": format!("rule-{task:02}-{i:02}"), "script": SCRIPT,
                           "order": n + 1}),
                )
                .await;
            statuses.push(r.status);
        }
        statuses
    })
    .await;
    assert!(statuses.iter().flatten().all(|s| *s == 200), "{statuses:?}");
    let rules = emu.get_ok("/api/rules").await;
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 3200);
    let names: HashSet<&str> = rules.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let orders: Vec<u64> = rules.iter().map(|r| r["order"].as_u64().unwrap()).collect();
    assert_eq!(names.len(), 3200);
    // Listed by order: 1..=3200, each once.
    assert_eq!(orders, (1..=3200).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_creates_race_for_one_order() {
    let emu = Arc::new(Emu::start().await);
    let answers = race(&emu, |emu, task| async move {
        emu.post(
            "/api/rules",
            json!({"name": format!("racer-{task:02}"), "script": SCRIPT, "order": 7}),
        )
        .await
    })
    .await;
    let winners: Vec<_> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for r in answers.iter().filter(|r| r.status != 200) {
        assert_error(r, 400, "rule_conflict");
    }
    let rules = emu.get_ok("/api/rules").await;
    assert_eq!(rules, json!([winners[0].json()]));
    assert_eq!(rules[0]["order"], 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_puts_race_to_move_rules_to_one_order() {
    let emu = Arc::new(Emu::start().await);
    for task in 0..TASKS {
        emu.post_ok(
            "/api/rules",
            json!({"name": format!("r{task:02}"), "script": SCRIPT, "order": task + 1}),
        )
        .await;
    }
    let answers = race(&emu, |emu, task| async move {
        emu.put(&format!("/api/rules/r{task:02}"), json!({"order": 1000}))
            .await
    })
    .await;
    let winners: Vec<usize> = (0..TASKS).filter(|t| answers[*t].status == 200).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for r in answers.iter().filter(|r| r.status != 200) {
        assert_error(r, 400, "rule_conflict");
    }
    let winner = winners[0];
    let rules = emu.get_ok("/api/rules").await;
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), TASKS);
    let at_1000: Vec<&Value> = rules.iter().filter(|r| r["order"] == 1000).collect();
    assert_eq!(at_1000.len(), 1);
    assert_eq!(at_1000[0]["name"], format!("r{winner:02}"));
    assert_eq!(*at_1000[0], answers[winner].json());
    // The losers kept their orders.
    for r in rules.iter().filter(|r| r["order"] != 1000) {
        let n: u64 = r["name"].as_str().unwrap()[1..].parse().unwrap();
        assert_eq!(r["order"], n + 1, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_metadata_merges_lose_nothing() {
    let emu = Arc::new(Emu::start().await);
    emu.connection("db", "auth0").await;
    let user = emu
        .post_ok(
            "/api/users",
            json!({"email": "m@example.com", "password": "pw-123456", "connection": "db"}),
        )
        .await["user_id"]
        .as_str()
        .unwrap()
        .replace('|', "%7C");
    let path = format!("/api/users/{user}/metadata");
    // Four merges per task, each with its own key.
    let answers = race(&emu, |emu, task| {
        let path = path.clone();
        async move {
            let mut statuses = Vec::new();
            for round in 0..4 {
                let r = emu
                    .patch(&path, json!({format!("k{task:02}-{round}"): task}))
                    .await;
                statuses.push(r.status);
            }
            statuses
        }
    })
    .await;
    assert!(answers.iter().flatten().all(|s| *s == 200), "{answers:?}");
    let metadata = emu.get_ok(&path).await;
    let keys = metadata.as_object().unwrap().len();
    assert_eq!(keys, TASKS * 4, "lost merges: {metadata}");
    for task in 0..TASKS {
        for round in 0..4 {
            assert_eq!(metadata[format!("k{task:02}-{round}")], task, "{metadata}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_users_race_for_one_email() {
    let emu = Arc::new(Emu::start().await);
    emu.connection("db", "auth0").await;
    let mut users = Vec::new();
    for task in 0..TASKS {
        let u = emu
            .seed_user(json!({"connection": "db", "email": format!("u{task:02}@example.com")}))
            .await;
        users.push(u);
    }
    let users = Arc::new(users);
    let answers = race(&emu, |emu, task| {
        let users = users.clone();
        async move {
            emu.put(
                &format!("/api/users/{}/email", users[task]),
                json!({"email": "same@example.com", "verify": false}),
            )
            .await
        }
    })
    .await;
    let winners: Vec<usize> = (0..TASKS).filter(|t| answers[*t].status == 200).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for r in answers.iter().filter(|r| r.status != 200) {
        assert_error(r, 409, "user_exists");
    }
    let found = emu
        .get_ok("/api/users?search=email%3A%22same%40example.com%22")
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["user_id"], users[winners[0]].as_str());
}
