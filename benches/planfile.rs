//! `cargo bench --bench planfile`: what saving a plan costs beside planning.
//!
//! An in-process emulator holds 200 connections, each with a secret option; the manifests
//! declare the same 200 with their secrets from `${VAR}`s. Three runs of the release binary,
//! median of five each: `plan`, `plan --out` when the plan changes one connection (only its
//! secret is hashed), and `plan --out` when it changes all 200 (200 argon2id hashes, the
//! deliberate cost of a saved plan's secrets, spread over the cores). Nothing asserts.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_a0ctl");
const N: usize = 200;

fn manifest(dir: &Path, changed: usize) {
    let mut text = String::from("connections:\n");
    for i in 0..N {
        let scope = if i < changed { "profile" } else { "email" };
        text.push_str(&format!(
            "  - name: conn-{i}\n    strategy: github\n    options: {{client_id: id-{i}, client_secret: '${{BENCH_SECRET_{i}}}', scope: [{scope}]}}\n"
        ));
    }
    std::fs::write(dir.join("t.yaml"), text).unwrap();
}

fn time(handle: &a0ctl::emulator::Handle, dir: &Path, out: Option<&Path>) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut cmd = Command::new(BIN);
        cmd.arg("plan").arg(dir);
        if let Some(out) = out {
            cmd.arg("--out").arg(out);
        }
        cmd.env("AUTH0_DOMAIN", &handle.base_url)
            .env("AUTH0_CLIENT_ID", &handle.global_client_id)
            .env("AUTH0_CLIENT_SECRET", &handle.global_client_secret)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for i in 0..N {
            cmd.env(format!("BENCH_SECRET_{i}"), format!("secret-value-{i}"));
        }
        let started = Instant::now();
        let status = cmd.status().unwrap();
        assert!(status.success(), "plan failed");
        runs.push(started.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let handle = rt
        .block_on(a0ctl::emulator::serve(a0ctl::emulator::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        }))
        .unwrap();
    let http = reqwest::Client::new();
    rt.block_on(async {
        let token: serde_json::Value = http
            .post(format!("{}/oauth/token", handle.base_url))
            .json(&json!({"client_id": handle.global_client_id, "client_secret": handle.global_client_secret, "grant_type": "client_credentials"}))
            .send().await.unwrap().json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_string();
        for i in 0..N {
            http.post(format!("{}/api/connections", handle.base_url))
                .bearer_auth(&token)
                .json(&json!({"name": format!("conn-{i}"), "strategy": "github",
                    "options": {"client_id": format!("id-{i}"), "client_secret": format!("secret-value-{i}"), "scope": ["email"]}}))
                .send().await.unwrap();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    manifest(dir.path(), 1);
    let plan = time(&handle, dir.path(), None);
    let one = time(&handle, dir.path(), Some(&file));
    manifest(dir.path(), N);
    let all = time(&handle, dir.path(), Some(&file));
    println!("plan of {N} connections with secrets (median of 5):");
    println!("  plan                              {plan:.3} s");
    println!(
        "  plan --out, 1 connection changed  {one:.3} s  ({:.2}x plan)",
        one / plan
    );
    println!(
        "  plan --out, all {N} changed       {all:.3} s  ({:.2}x plan)",
        all / plan
    );
}
