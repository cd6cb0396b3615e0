//! The end-to-end tests' tenant: an emulator on 127.0.0.1:0 in this process, the real `a0ctl`
//! binary pointed at it through the environment, and raw HTTP for hand edits.

use std::path::Path;
use std::process::Output;

use a0ctl::emulator::{self, Config, Handle};
use serde_json::Value;

use super::snapshot::Filters;

pub struct Env {
    pub handle: Handle,
    pub http: reqwest::Client,
    pub token: String,
}

impl Env {
    pub async fn start() -> Env {
        Env::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Env {
        let handle = emulator::serve(Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..config
        })
        .await
        .expect("emulator starts");
        let http = reqwest::Client::new();
        let token = global_token(&http, &handle, None).await;
        Env {
            token,
            handle,
            http,
        }
    }

    /// A Management API v2 token of the global client (`Env::token` is a v1 token).
    pub async fn v2_token(&self) -> String {
        let audience = format!("{}/api/v2/", self.handle.base_url);
        global_token(&self.http, &self.handle, Some(&audience)).await
    }

    /// The binary with this tenant in its environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("AUTH0_DOMAIN", &self.handle.base_url)
            .env("AUTH0_CLIENT_ID", &self.handle.global_client_id)
            .env("AUTH0_CLIENT_SECRET", &self.handle.global_client_secret)
            .env_remove("AUTH0_TOKEN")
            .env("NO_COLOR", "1")
            .kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("run a0ctl")
    }

    pub async fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.command(args)
            .current_dir(dir)
            .output()
            .await
            .expect("run a0ctl")
    }

    /// `a0ctl apply ARGS` (ARGS without `apply`); when it succeeds (exit 0), `a0ctl plan` of
    /// the same manifests with the same flags must find no changes (see [`replan_args`]).
    pub async fn apply(&self, args: &[&str]) -> Output {
        self.apply_with(args, |_| {}).await
    }

    /// [`Env::apply`] with `setup` applied to both commands (variables from the environment,
    /// a working directory).
    pub async fn apply_with(
        &self,
        args: &[&str],
        setup: impl Fn(&mut tokio::process::Command),
    ) -> Output {
        let plan_args = replan_args(args);
        let out = self.apply_no_replan_with(args, &setup).await;
        if out.status.code() != Some(0) {
            return out;
        }
        let mut cmd = self.command(&plan_args);
        setup(&mut cmd);
        let plan = cmd.output().await.expect("run a0ctl");
        assert!(
            plan.status.code() == Some(0) && stdout(&plan).contains("No changes"),
            "`apply {}` succeeded, but `{}` finds changes (exit {:?}):\nstdout:\n{}\nstderr:\n{}",
            args.join(" "),
            plan_args.join(" "),
            plan.status.code(),
            stdout(&plan),
            stderr(&plan),
        );
        out
    }

    /// `a0ctl apply ARGS` and nothing more: for applies that are meant to leave differences
    /// (failures, refusals) or that have no manifests to plan again (`--plan FILE`).
    pub async fn apply_no_replan(&self, args: &[&str]) -> Output {
        self.apply_no_replan_with(args, |_| {}).await
    }

    /// [`Env::apply_no_replan`] with `setup` applied to the command.
    pub async fn apply_no_replan_with(
        &self,
        args: &[&str],
        setup: impl Fn(&mut tokio::process::Command),
    ) -> Output {
        let mut all = vec!["apply"];
        all.extend_from_slice(args);
        let mut cmd = self.command(&all);
        setup(&mut cmd);
        cmd.output().await.expect("run a0ctl")
    }

    /// Placeholders for this tenant's address, global client and token, then the generic ones
    /// (see [`Filters`]).
    pub fn filters(&self) -> Filters {
        Filters::new()
            .with(&self.handle.base_url, "[URL]")
            .with(&self.handle.global_client_id, "[GLOBAL_CLIENT_ID]")
            .with(&self.handle.global_client_secret, "[GLOBAL_CLIENT_SECRET]")
            .with(&self.token, "[GLOBAL_TOKEN]")
    }

    /// The whole outcome of a run, filtered with [`Env::filters`].
    pub fn outcome(&self, o: &Output) -> String {
        self.filters().outcome(o)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.handle.base_url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// One call to `/api/v2{path}` with a v2 token of the global client: status and body.
    pub async fn v2_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = self.v2_token().await;
        let mut req = self
            .http
            .request(method, format!("{}/api/v2{path}", self.handle.base_url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The number of calls the emulator answered on `route` (`PATCH /api/v2/roles/{id}`).
    pub async fn calls_to(&self, route: &str) -> u64 {
        let s = self.get_eventually("/__emulator/stats").await;
        s["by_route"][route].as_u64().unwrap_or(0)
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    /// GET through injected faults and rate limits: retry until a 200.
    pub async fn get_eventually(&self, path: &str) -> Value {
        for _ in 0..200 {
            let (status, v) = self.call(reqwest::Method::GET, path, None).await;
            match status {
                200 => return v,
                429 | 503 => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                other => panic!("GET {path}: {other} {v}"),
            }
        }
        panic!("GET {path} never succeeded");
    }

    /// API requests the emulator has handled so far.
    pub async fn requests(&self) -> u64 {
        self.get("/__emulator/stats").await["total"]
            .as_u64()
            .unwrap()
    }
}

/// The `plan` that checks an apply with these arguments converged: the same manifests, variables,
/// scope (`--target`, `--ignore`, `--allow-delete`, `--allow-replace`) and connection flags,
/// with `--detailed-exitcode`; without what only an apply takes (`--yes`, `--force`,
/// `--parallelism`, `--lock-timeout`, the deletion gate's thresholds), the output format (the
/// check reads the text), `--rotate-signing-keys` (a plan with it always sends the keys) and
/// `-v`.
pub fn replan_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    const DROP: [&str; 4] = ["--yes", "--force", "--rotate-signing-keys", "--verbose"];
    const DROP_WITH_VALUE: [&str; 5] = [
        "--parallelism",
        "--lock-timeout",
        "--delete-threshold",
        "--delete-threshold-min",
        "--format",
    ];
    let mut plan = vec!["plan"];
    let mut rest = args.iter();
    while let Some(&arg) = rest.next() {
        let name = arg.split('=').next().unwrap_or(arg);
        assert!(
            name != "--plan",
            "apply --plan has no manifests to plan again: use apply_no_replan and plan explicitly"
        );
        if DROP.contains(&name)
            || (arg.starts_with("-v") && arg.trim_start_matches('-').chars().all(|c| c == 'v'))
        {
            continue;
        }
        if DROP_WITH_VALUE.contains(&name) {
            if !arg.contains('=') {
                rest.next();
            }
            continue;
        }
        plan.push(arg);
    }
    plan.push("--detailed-exitcode");
    plan
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert an exit code, showing the output when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr:\n{}\nstdout:\n{}",
        stderr(o),
        stdout(o)
    );
}

/// Write a manifest file into a directory.
/// A manifest tree of one file, `t.yaml`: the directory (kept while it lives) and its path.
pub fn tree(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.yaml", text);
    let d = dir.path().to_str().unwrap().to_string();
    (dir, d)
}

pub fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// A token of the emulator's global client, for v1 (no audience) or v2.
async fn global_token(http: &reqwest::Client, handle: &Handle, audience: Option<&str>) -> String {
    let mut body = serde_json::json!({
        "client_id": handle.global_client_id,
        "client_secret": handle.global_client_secret,
        "grant_type": "client_credentials",
    });
    if let Some(a) = audience {
        body["audience"] = Value::String(a.to_string());
    }
    let token: Value = http
        .post(format!("{}/oauth/token", handle.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_string()
}
