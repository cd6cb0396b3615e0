//! Shared by the end-to-end tests: an emulator on 127.0.0.1:0 in this process, the real
//! `a0ctl` binary pointed at it through the environment, and raw HTTP for hand edits.

#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use a0ctl::emulator::{self, Config, Handle};
use serde_json::Value;

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
        let token: Value = http
            .post(format!("{}/oauth/token", handle.base_url))
            .json(&serde_json::json!({
                "client_id": handle.global_client_id,
                "client_secret": handle.global_client_secret,
                "grant_type": "client_credentials",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Env {
            token: token["access_token"].as_str().unwrap().to_string(),
            handle,
            http,
        }
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
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Write a manifest file into a directory.
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
