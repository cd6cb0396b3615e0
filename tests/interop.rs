//! Interop with unmodified clients: the `auth0` npm SDK (version pinned in
//! `tests/interop/package.json`, installed with `npm ci` from the checked-in lock file) runs
//! `tests/interop/sdk.js` against the emulator started with `--tls`, trusting its generated
//! certificate through NODE_EXTRA_CA_CERTS. The script's last line must be `5 passed, 0 failed`.
//! Without `node` or `npm` on the PATH the test says so and skips.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// How many checks `sdk.js` makes: a script that ran fewer did not prove them.
const SDK_CHECKS: usize = 5;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_unmodified_auth0_sdk_manages_the_emulator_over_tls() {
    if !have("node") || !have("npm") {
        eprintln!(
            "SKIPPED the_unmodified_auth0_sdk_manages_the_emulator_over_tls: `node` and `npm` \
             are needed on the PATH to run tests/interop/sdk.js; nothing was checked"
        );
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    if !dir.join("node_modules/auth0/package.json").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .expect("run npm ci");
        assert!(
            out.status.success(),
            "npm ci in tests/interop failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let cert = tmp.path().join("emulator.pem");
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--tls-cert-out",
        ])
        .arg(&cert)
        .args([
            "--client-id",
            "interop-id",
            "--client-secret",
            "interop-secret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    BufReader::new(emulator.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let domain = line
        .trim()
        .strip_prefix("listening on https://")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let out = Command::new("node")
        .arg("sdk.js")
        .current_dir(&dir)
        .env("A0_DOMAIN", &domain)
        .env("A0_CLIENT_ID", "interop-id")
        .env("A0_CLIENT_SECRET", "interop-secret")
        .env("NODE_EXTRA_CA_CERTS", &cert)
        .output()
        .expect("run node");
    let _ = emulator.kill();
    let _ = emulator.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("{SDK_CHECKS} passed, 0 failed"),
        "sdk.js:\n{stdout}\n{stderr}"
    );
    assert!(
        out.status.success(),
        "sdk.js exited {:?}:\n{stdout}\n{stderr}",
        out.status
    );
}
