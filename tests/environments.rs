//! Environments: one manifest tree, values per tenant from var files (shown), secrets from the
//! environment (hidden). `examples/environments/` planned and applied against a dev and a prod
//! emulator, and the variables' rules.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};

const TREE: &str = "examples/environments/tenant";
const SECRET: &str = "google-secret-value-31";

async fn plan_and_apply(env: &Env, var_file: &str, callbacks: &[&str], not: &[&str]) {
    let run = |args: Vec<&str>| {
        let mut cmd = env.command(&args);
        cmd.env("GOOGLE_CLIENT_SECRET", SECRET);
        cmd
    };
    let out = run(vec!["plan", TREE, "--var-file", var_file])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    for cb in callbacks {
        assert!(text.contains(cb), "{var_file}: {cb} in clear: {text}");
    }
    for cb in not {
        assert!(!text.contains(cb), "{var_file}: not {cb}: {text}");
    }
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("(sensitive)"), "{text}");
    let out = run(vec!["apply", TREE, "--var-file", var_file, "--yes"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains(SECRET));
    let out = run(vec![
        "plan",
        TREE,
        "--var-file",
        var_file,
        "--detailed-exitcode",
    ])
    .output()
    .await
    .unwrap();
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_example_converges_on_a_dev_and_a_prod_tenant() {
    let (dev, prod) = tokio::join!(Env::start(), Env::start());
    plan_and_apply(
        &dev,
        "examples/environments/env/dev.yaml",
        &[
            "https://shop.dev.example.com/callback",
            "https://admin.dev.example.com/callback",
        ],
        &["https://shop.example.com/callback"],
    )
    .await;
    plan_and_apply(
        &prod,
        "examples/environments/env/prod.yaml",
        &[
            "https://shop.example.com/callback",
            "https://admin.example.com/callback",
        ],
        &["shop.dev.example.com"],
    )
    .await;
    let storefront = |clients: serde_json::Value| {
        clients
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Storefront")
            .unwrap()["callbacks"]
            .clone()
    };
    assert_eq!(
        storefront(dev.get("/api/clients").await),
        serde_json::json!([
            "https://shop.dev.example.com/callback",
            "http://localhost:3000/callback"
        ])
    );
    assert_eq!(
        storefront(prod.get("/api/clients").await),
        serde_json::json!(["https://shop.example.com/callback"])
    );
    assert_eq!(
        prod.get("/api/connections/google-oauth2").await["options"]["client_secret"],
        SECRET
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_of_a_var_file_change_shows_the_changed_callbacks() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("prod.yaml");
    std::fs::write(
        &new,
        std::fs::read_to_string("examples/environments/env/prod.yaml")
            .unwrap()
            .replace(
                "https://shop.example.com/callback",
                "https://store.example.com/callback",
            ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "diff",
            TREE,
            TREE,
            "--old-var-file",
            "examples/environments/env/prod.yaml",
            "--new-var-file",
            new.to_str().unwrap(),
        ])
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(r#"callbacks = ["https://shop.example.com/callback"] -> ["https://store.example.com/callback"]"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_resolve_from_vars_then_files_then_the_environment() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: App\n    callbacks: ['https://${HOST}/cb', '${PATH_PART}']\n  - name: Other\n    callbacks: ${LIST}\n",
    );
    write(
        dir.path(),
        "v1.yaml",
        "HOST: one.example.com\nLIST: [https://a]\n",
    );
    write(dir.path(), "v2.yaml", "HOST: two.example.com\n");
    let v1 = dir.path().join("v1.yaml");
    let v2 = dir.path().join("v2.yaml");
    let out = env
        .command(&[
            "plan",
            d,
            "--var-file",
            v1.to_str().unwrap(),
            "--var-file",
            v2.to_str().unwrap(),
            "--var",
            "PATH_PART=from-var",
        ])
        .env("HOST", "env.example.com")
        .env("PATH_PART", "from-env")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(r#"callbacks = ["https://two.example.com/cb","from-var"]"#),
        "{text}"
    );
    assert!(text.contains(r#"callbacks = ["https://a"]"#), "{text}");

    // An unset variable: one located error naming every use and where it was looked for.
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: App\n    callbacks: ['${NOPE}']\n  - name: Other\n    callbacks: ['${NOPE}/x']\n",
    );
    let out = env
        .command(&["validate", d, "--var-file", v1.to_str().unwrap()])
        .env_remove("NOPE")
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    let t = dir.path().join("t.yaml");
    assert!(
        stderr(&out).contains(&format!(
            "{0}:3:17: variable `NOPE` is not set (looked in {1} and the environment); also used at {0}:5:17",
            t.display(),
            v1.display()
        )),
        "{}",
        stderr(&out)
    );

    // A value of the wrong type: located in the manifest, naming the var file's line.
    write(
        dir.path(),
        "t.yaml",
        "clients:\n  - name: App\n    callbacks: ${HOST}\n",
    );
    let out = env
        .command(&["validate", d, "--var-file", v1.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(&format!(
            "expected a list, found a string (the value of `${{HOST}}` from {}:1:7)",
            v1.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_with_a_var_file_re_templates_itself() {
    let env = Env::start().await;
    let run = |args: Vec<&str>| {
        let mut cmd = env.command(&args);
        cmd.env("GOOGLE_CLIENT_SECRET", SECRET);
        cmd
    };
    let prod = "examples/environments/env/prod.yaml";
    let out = run(vec!["apply", TREE, "--var-file", prod, "--yes"])
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x");
    let xs = x.to_str().unwrap();
    assert_exit(
        &run(vec!["export", "--out", xs, "--var-file", prod])
            .output()
            .await
            .unwrap(),
        0,
    );
    let connections = std::fs::read_to_string(x.join("connections.yaml")).unwrap();
    assert!(
        connections.contains("client_id: ${GOOGLE_CLIENT_ID}"),
        "{connections}"
    );
    let clients = std::fs::read_to_string(x.join("clients.yaml")).unwrap();
    assert!(
        clients.contains("${ADMIN_HOST}") || clients.contains("https://admin.example.com/callback"),
        "{clients}"
    );
    // The re-templated export plans to nothing with the same var file.
    let out = run(vec!["plan", xs, "--var-file", prod, "--detailed-exitcode"])
        .env("A0_GOOGLE_OAUTH2_CLIENT_SECRET", SECRET)
        .output()
        .await
        .unwrap();
    assert_exit(&out, 0);
}
