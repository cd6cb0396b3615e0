//! Environments: one manifest tree, values per tenant from var files (shown), secrets from the
//! environment (hidden). `examples/environments/` planned and applied against a dev and a prod
//! emulator, and the variables' rules.

mod harness;

use harness::{Env, assert_exit, outcome, stderr, stdout, write};

const TREE: &str = "examples/environments/tenant";
const SECRET: &str = "google-secret-value-31";

/// Plan (the snapshot `name`: the var file's callbacks in clear, the secret `(sensitive)`), then
/// apply, which plans again to no changes.
async fn plan_and_apply(env: &Env, name: &str, var_file: &str, not: &[&str]) {
    let secret = |cmd: &mut tokio::process::Command| {
        cmd.env("GOOGLE_CLIENT_SECRET", SECRET);
    };
    let mut plan = env.command(&["plan", TREE, "--var-file", var_file]);
    secret(&mut plan);
    let out = plan.output().await.unwrap();
    insta::assert_snapshot!(name, env.outcome(&out));
    let text = stdout(&out);
    for cb in not {
        assert!(!text.contains(cb), "{var_file}: not {cb}: {text}");
    }
    assert!(!text.contains(SECRET), "{text}");
    let out = env
        .apply_with(&[TREE, "--var-file", var_file, "--yes"], secret)
        .await;
    assert_exit(&out, 0);
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environments_example_converges_on_a_dev_and_a_prod_tenant() {
    let (dev, prod) = tokio::join!(Env::start(), Env::start());
    // `https://shop.dev.example.com/callback` and `https://admin.dev.example.com/callback`.
    plan_and_apply(
        &dev,
        "plan_dev",
        "examples/environments/env/dev.yaml",
        &["https://shop.example.com/callback"],
    )
    .await;
    // `https://shop.example.com/callback` and `https://admin.example.com/callback`.
    plan_and_apply(
        &prod,
        "plan_prod",
        "examples/environments/env/prod.yaml",
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
    // Exit 2, `callbacks = ["https://shop.example.com/callback"] ->
    // ["https://store.example.com/callback"]`.
    insta::assert_snapshot!(outcome(&out));
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
    // `callbacks = ["https://two.example.com/cb","from-var"]` and `callbacks = ["https://a"]`.
    insta::assert_snapshot!("plan_with_variables", env.outcome(&out));

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
    // `t.yaml:3:17: variable `NOPE` is not set (looked in v1.yaml and the environment); also
    // used at t.yaml:5:17`.
    insta::assert_snapshot!("validate_an_unset_variable", env.outcome(&out));

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
    // `expected a list, found a string (the value of `${HOST}` from v1.yaml:1:7)`.
    insta::assert_snapshot!("validate_a_variable_of_the_wrong_type", env.outcome(&out));
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
    let out = env
        .apply_with(&[TREE, "--var-file", prod, "--yes"], |c| {
            c.env("GOOGLE_CLIENT_SECRET", SECRET);
        })
        .await;
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
