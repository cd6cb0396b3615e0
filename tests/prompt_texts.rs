//! Prompt texts on v2: a prompt's custom text in one language, set by one PUT of the whole text,
//! shown key by key, read only where declared (an export: each prompt in each language the
//! tenant enables), never judged secret by its keys' names.

mod harness;

use harness::{Env, assert_exit, stderr, stdout, write};
use reqwest::Method;
use serde_json::{Value, json};

const TEXTS: &str = r#"api: v2
prompt_texts:
  - prompt: login
    language: en
    custom_text:
      login:
        title: Welcome to Acme
        description: Log in to Acme
  - prompt: login-password
    language: fr
    custom_text:
      login-password:
        passwordPlaceholder: Mot de passe
"#;

const PUT: &str = "PUT /api/v2/prompts/{prompt}/custom-text/{language}";
const GET: &str = "GET /api/v2/prompts/{prompt}/custom-text/{language}";

async fn text(env: &Env, prompt: &str, language: &str) -> Value {
    let path = format!("/prompts/{prompt}/custom-text/{language}");
    let (status, v) = env.v2_call(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{path}: {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_texts_apply_plan_empty_and_export_back_key_by_key() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(&t, "texts.yaml", TEXTS);

    // The plan shows each text, none of them hidden for a key named like a password.
    let out = env.run(&["plan", d]).await;
    assert_exit(&out, 0);
    let plan = stdout(&out);
    assert!(
        plan.contains(r#"+ custom_text.login-password.passwordPlaceholder = "Mot de passe""#),
        "{plan}"
    );
    assert!(!plan.contains("sensitive"), "{plan}");

    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to(PUT).await, 2);
    assert_eq!(
        text(&env, "login", "en").await,
        json!({"login": {"title": "Welcome to Acme", "description": "Log in to Acme"}})
    );
    assert_eq!(
        text(&env, "login-password", "fr").await,
        json!({"login-password": {"passwordPlaceholder": "Mot de passe"}})
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);

    // A pair the manifests do not declare is never read by a plan, nor changed.
    let (status, _) = env
        .v2_call(
            Method::PUT,
            "/prompts/signup/custom-text/en",
            Some(json!({"signup": {"title": "Join"}})),
        )
        .await;
    assert_eq!(status, 200);
    let gets = env.calls_to(GET).await;
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to(GET).await - gets, 2, "only the declared pairs");

    // A text changed and one removed: shown key by key, sent as one PUT of the whole text.
    write(
        &t,
        "texts.yaml",
        &TEXTS
            .replace("title: Welcome to Acme", "title: Hello")
            .replace("        description: Log in to Acme\n", ""),
    );
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 2);
    let plan = stdout(&out);
    assert!(
        plan.contains(r#"~ custom_text.login.title       = "Welcome to Acme" -> "Hello""#),
        "{plan}"
    );
    assert!(
        plan.contains(r#"- custom_text.login.description = "Log in to Acme" -> null"#),
        "{plan}"
    );
    assert!(!plan.contains("login-password/fr"), "{plan}");
    let puts = env.calls_to(PUT).await;
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(env.calls_to(PUT).await - puts, 1);
    assert_eq!(
        text(&env, "login", "en").await,
        json!({"login": {"title": "Hello"}})
    );
    assert_eq!(
        text(&env, "signup", "en").await,
        json!({"signup": {"title": "Join"}})
    );

    // An export reads each prompt in each language the tenant enables, and writes the ones
    // with text; exported, the tree plans empty.
    let e = dir.path().join("export");
    let out = env.run(&["export", "--out", e.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    // What it wrote, not the 34 pairs it read.
    assert!(
        stdout(&out).contains(" and 2 prompt texts,"),
        "{}",
        stdout(&out)
    );
    let exported = std::fs::read_to_string(e.join("prompt_texts.yaml")).unwrap();
    assert!(exported.contains("prompt: signup"), "{exported}");
    assert!(exported.contains("title: Hello"), "{exported}");
    assert!(
        !exported.contains("language: fr"),
        "fr is not enabled:\n{exported}"
    );
    let (status, _) = env
        .v2_call(
            Method::PATCH,
            "/tenants/settings",
            Some(json!({"enabled_locales": ["en", "fr"]})),
        )
        .await;
    assert_eq!(status, 200);
    let e2 = dir.path().join("export2");
    let out = env.run(&["export", "--out", e2.to_str().unwrap()]).await;
    assert_exit(&out, 0);
    let exported = std::fs::read_to_string(e2.join("prompt_texts.yaml")).unwrap();
    assert!(
        exported.contains("passwordPlaceholder: Mot de passe"),
        "{exported}"
    );
    assert!(!exported.contains("${"), "no text is a secret:\n{exported}");
    let out = env
        .run(&["plan", "--detailed-exitcode", e2.to_str().unwrap()])
        .await;
    assert_exit(&out, 0);

    // `custom_text: {}` clears a pair's text.
    write(
        &t,
        "texts.yaml",
        "api: v2\nprompt_texts:\n  - {prompt: signup, language: en, custom_text: {}}\n",
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    assert_eq!(text(&env, "signup", "en").await, json!({}));
    let out = env.run(&["plan", "--detailed-exitcode", d]).await;
    assert_exit(&out, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_texts_are_checked_offline_at_their_place() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tree");
    let d = t.to_str().unwrap();
    write(
        &t,
        "texts.yaml",
        "api: v2\nprompt_texts:\n  - prompt: logn\n    language: en\n    custom_text: {}\n  - prompt: login\n    language: en\n    custom_text: {login: {title: 3}}\n  - prompt: login\n    language: en\n    custom_text: {}\n",
    );
    let sent = env.requests().await;
    let out = env.run(&["validate", d]).await;
    assert_exit(&out, 1);
    let err = stderr(&out);
    for want in [
        "texts.yaml:3:13: prompt_texts[0].prompt: `logn` is not one of: login,",
        "captcha; did you mean `login`?",
        "texts.yaml:8:34: prompt_texts[1].custom_text.login.title: expected a string",
        "texts.yaml:9:13: duplicate prompt text `login/en` (also defined at",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    assert_eq!(env.requests().await, sent, "nothing sent");

    // The service's own placeholders are spelled as a0ctl's variables: said, with the way out.
    write(
        &t,
        "texts.yaml",
        "api: v2\nprompt_texts:\n  - prompt: login\n    language: en\n    custom_text: {login: {description: \"Log in to ${companyName}\"}}\n",
    );
    let out = env.run(&["validate", d]).await;
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("for the service's own placeholder `${companyName}` (as a prompt's text has), write `$${companyName}`"),
        "{}",
        stderr(&out)
    );
    write(
        &t,
        "texts.yaml",
        "api: v2\nprompt_texts:\n  - prompt: login\n    language: en\n    custom_text: {login: {description: \"Log in to $${companyName}\"}}\n",
    );
    let out = env.run(&["apply", "--yes", d]).await;
    assert_exit(&out, 0);
    let (_, v) = env
        .v2_call(Method::GET, "/prompts/login/custom-text/en", None)
        .await;
    assert_eq!(
        v,
        json!({"login": {"description": "Log in to ${companyName}"}})
    );
}
