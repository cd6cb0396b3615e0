//! Export, offline diff, Markdown limits, CI recipes and completions.

mod harness;

use a0ctl::diag::Paint;
use a0ctl::diff::{self, Options};
use a0ctl::live::Live;
use a0ctl::model::{Kind, Resource};
use a0ctl::render;
use harness::{Env, assert_exit, json, outcome, stdout, write};
use reqwest::Method;
use serde_json::json;

const SCRIPT: &str = "function (user, context, callback) {\n  callback(null, user, context);\n}\n";

fn read_tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_round_trips_without_secrets() {
    let env = Env::start().await;
    assert_exit(&env.apply(&["examples/tenant", "--yes"]).await, 0);
    // What a person did by hand: a rule with an awkward name, a social connection holding a
    // secret, a client sharing a name, an option holding a literal `${`.
    env.call(
        Method::POST,
        "/api/rules",
        Some(json!({"name": "Hand made/v2", "script": SCRIPT, "status": false})),
    )
    .await;
    let (status, _) = env
        .call(
            Method::POST,
            "/api/connections",
            Some(json!({"name": "github", "strategy": "github", "options": {"client_id": "gh-id", "client_secret": "gh-very-secret-771", "note": "cost ${x}"}})),
        )
        .await;
    assert_eq!(status, 200);
    env.call(
        Method::POST,
        "/api/clients",
        Some(json!({"name": "Storefront", "callbacks": ["https://twin"]})),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("tenant");
    let o = out_dir.to_str().unwrap();
    let out = env.run(&["export", "--api", "v1", "--out", o]).await;
    // It names the variable the secret now comes from: `A0_GITHUB_CLIENT_SECRET`.
    insta::assert_snapshot!("export", env.outcome(&out));
    assert!(!stdout(&out).contains("gh-very-secret-771"));
    let files = read_tree(&out_dir);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    // Every kind's file, the schema, `rules/Hand-made-v2.js`, `emails/verify_email.html`.
    insta::assert_snapshot!("exported_files", names.join("\n"));
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("gh-very-secret-771"),
            "{name} holds the secret"
        );
        for (_, c) in env
            .get("/api/clients")
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|c| ("", c))
        {
            assert!(
                !text.contains(c["clientSecret"].as_str().unwrap()),
                "{name} holds a client secret"
            );
        }
        if name.ends_with(".yaml") {
            assert!(
                text.starts_with("# yaml-language-server: $schema=a0ctl.schema.json\n"),
                "{name}"
            );
        }
    }

    // Right after the export, the plan is empty (with the secret's variable set).
    let out = env
        .command(&["plan", o, "--allow-delete", "--detailed-exitcode"])
        .env("A0_GITHUB_CLIENT_SECRET", "gh-very-secret-771")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);

    // A second export is byte-identical; a non-empty directory needs --force.
    let out = env.run(&["export", "--api", "v1", "--out", o]).await;
    insta::assert_snapshot!("export_into_a_non_empty_directory", env.outcome(&out));
    let again = dir.path().join("again");
    assert_exit(
        &env.run(&["export", "--api", "v1", "--out", again.to_str().unwrap()])
            .await,
        0,
    );
    assert_eq!(read_tree(&out_dir), read_tree(&again));
    assert_exit(
        &env.run(&["export", "--api", "v1", "--out", o, "--force"])
            .await,
        0,
    );
    assert_eq!(read_tree(&out_dir), read_tree(&again));
}

#[test]
fn diff_compares_two_trees_offline() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let new = dir.path().join("new");
    write(
        &old,
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://a]\nrules:\n  - name: r\n    order: 1\n    script: 'function (u, c, cb) { cb(null, u, c); }'\nconnections:\n  - name: gh\n    strategy: github\n    options: {client_secret: '${GH_SECRET}'}\n",
    );
    write(
        &new,
        "t.yaml",
        "clients:\n  - name: Shop\n    callbacks: [https://b]\nconnections:\n  - name: gh\n    strategy: github\n    options: {client_secret: '${GH_SECRET_V2}'}\nrules: []\n",
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("GH_SECRET")
            .env_remove("GH_SECRET_V2")
            .env_remove("AUTH0_DOMAIN")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run(&["diff", "old", "new"]);
    insta::assert_snapshot!(outcome(&out));
    let out = run(&["diff", "old", "new", "--format", "json"]);
    assert_exit(&out, 2);
    let v = json(&out);
    assert_eq!(
        v["summary"],
        json!({"create": 0, "update": 2, "replace": 0, "delete": 0, "unmanaged": 1})
    );
    assert_eq!(v["calls"], json!([]));
    let out = run(&["diff", "old", "new", "--format", "markdown"]);
    assert_exit(&out, 2);
    assert!(stdout(&out).starts_with(render::MARKDOWN_MARKER));
    insta::assert_snapshot!("diff_markdown", outcome(&out));
    let out = run(&["diff", "old", "old"]);
    insta::assert_snapshot!("diff_of_a_tree_with_itself", outcome(&out));
    // Invalid manifests are errors (1), not differences.
    write(&new, "t.yaml", "clients: [{nme: x}]\n");
    assert_exit(&run(&["diff", "old", "new"]), 1);
}

#[test]
fn a_markdown_plan_of_2000_creates_fits_in_a_comment() {
    let desired: Vec<Resource> = (0..2000)
        .map(|i| {
            let mut r = Resource::new(Kind::Rule, format!("rule-{i:04}"));
            r.fields_mut().insert("status".into(), json!(true));
            r.fields_mut().insert("order".into(), json!(i + 1));
            r.fields_mut().insert(
                "script".into(),
                json!(format!(
                    "function (u, c, cb) {{\n  // rule {i}\n  cb(null, u, c);\n}}\n"
                )),
            );
            r
        })
        .collect();
    let changes = diff::diff(&desired, &Live::default(), &Options::default()).unwrap();
    let md = render::markdown(&changes, "https://example.auth0.com", "plan");
    assert!(
        md.len() <= render::MARKDOWN_LIMIT,
        "{} characters",
        md.len()
    );
    assert!(md.starts_with(render::MARKDOWN_MARKER));
    assert!(md.contains("**Plan: 2000 to create, 0 to update, 0 to replace, 0 to delete.**"));
    assert!(md.contains("| rules | 2000 | 0 | 0 | 0 | 0 |"));
    let shown = md.matches("<details>").count();
    assert!(shown > 10 && shown < 2000);
    assert!(
        md.contains(&format!("{} more resources not shown here", 2000 - shown)),
        "{}",
        &md[md.len() - 400..]
    );
    // Small plans are shown whole.
    let small = render::markdown(
        &diff::diff(&desired[..3], &Live::default(), &Options::default()).unwrap(),
        "t",
        "plan",
    );
    assert_eq!(small.matches("<details>").count(), 3);
    assert!(!small.contains("not shown"));
    let _ = Paint(false);
}

#[test]
fn ci_recipes_are_valid_workflows() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = a0ctl::manifest::yaml::parse(&text)
            .unwrap_or_else(|e| {
                panic!(
                    "{}:{}:{}: {}",
                    path.display(),
                    e.pos.line,
                    e.pos.col,
                    e.message
                )
            })
            .unwrap()
            .to_json();
        assert!(doc["name"].is_string(), "{}", path.display());
        assert!(doc["on"].is_object(), "{}", path.display());
        if text.contains("a0ctl apply") {
            // Applies to one tenant run one at a time.
            let group = doc["concurrency"]["group"].as_str().unwrap_or_default();
            assert!(group.contains("${{ vars."), "{}: {group}", path.display());
            assert_eq!(doc["concurrency"]["cancel-in-progress"], false);
        }
        let jobs = doc["jobs"].as_object().unwrap();
        for (name, job) in jobs {
            assert!(job["runs-on"].is_string(), "{name}");
            let steps = job["steps"].as_array().unwrap();
            assert!(
                steps
                    .iter()
                    .all(|s| s["run"].is_string() || s["uses"].is_string()),
                "{name}"
            );
            assert!(
                steps
                    .iter()
                    .any(|s| s["run"].as_str().is_some_and(|r| r.contains("a0ctl "))),
                "{name}"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let text = stdout(&out);
        assert!(text.len() > 200, "{shell}: {text}");
        assert!(
            text.contains("apply") && text.contains("allow-delete"),
            "{shell}"
        );
    }
}
