//! The emulator over HTTPS: `--tls` generates a self-signed certificate for 127.0.0.1, ::1 and
//! localhost and writes its PEM where clients can trust it; `--tls-cert`/`--tls-key` serve given
//! files; and a0ctl's own client trusts the certificates of `SSL_CERT_FILE`.

mod harness;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use a0ctl::emulator::{Config, Tls, serve};
use harness::config;
use serde_json::json;

fn trusting(pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem).expect("a PEM certificate"))
        .build()
        .unwrap()
}

async fn token_status(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> u16 {
    http.post(format!("{base}/oauth/token"))
        .json(&json!({"client_id": id, "client_secret": secret,
                      "grant_type": "client_credentials"}))
        .send()
        .await
        .expect("an answer over TLS")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_alone_serves_https_with_a_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("emulator.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--tls-cert-out",
        ])
        .arg(&cert)
        .args(["--client-id", "tls-id", "--client-secret", "tls-secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    assert!(base.starts_with("https://127.0.0.1:"), "{line}");
    let port = base.rsplit(':').next().unwrap().to_string();
    let pem = std::fs::read(&cert).expect("the certificate was written");

    let http = trusting(&pem);
    assert_eq!(
        token_status(&http, &base, "tls-id", "tls-secret").await,
        200
    );
    // Valid for localhost too.
    let local = format!("https://localhost:{port}");
    assert_eq!(token_status(&http, &local, "tls-id", "wrong").await, 401);
    // Without trusting it, or in plain HTTP, nothing gets through.
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("{base}/api/rules"))
            .send()
            .await
            .is_err()
    );
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/rules"))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));

    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&cert.display().to_string()), "{stderr}");
    assert!(stderr.contains("self-signed"), "{stderr}");
}

/// A certificate for 127.0.0.1 and its key, written as PEM files.
fn cert_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    (cert, key, generated.cert.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_marked_as_a_ca_is_named_as_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    // What `openssl req -x509` makes by default: a self-signed certificate with CA:TRUE.
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key_pair = rcgen::KeyPair::generate().unwrap();
    let ca_cert = params.self_signed(&key_pair).unwrap();
    let (cert, key) = (dir.path().join("ca.pem"), dir.path().join("ca-key.pem"));
    std::fs::write(&cert, ca_cert.pem()).unwrap();
    std::fs::write(&key, key_pair.serialize_pem()).unwrap();
    let handle = serve(Config {
        tls: Some(Tls::Files {
            cert: cert.clone(),
            key,
        }),
        ..config()
    })
    .await
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"))
        .args(["export", "--out"])
        .arg(dir.path().join("x"))
        .env("AUTH0_DOMAIN", &handle.base_url)
        .env("AUTH0_CLIENT_ID", &handle.global_client_id)
        .env("AUTH0_CLIENT_SECRET", &handle.global_client_secret)
        .env("SSL_CERT_FILE", &cert)
        .env("NO_COLOR", "1")
        .env_remove("AUTH0_TOKEN")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("CA:TRUE") && stderr.contains("CA:FALSE"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("set SSL_CERT_FILE"),
        "the user already did: {stderr}"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_cert_and_key_files_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem) = cert_files(dir.path());
    let handle = serve(Config {
        tls: Some(Tls::Files {
            cert: cert.clone(),
            key: key.clone(),
        }),
        ..config()
    })
    .await
    .unwrap();
    assert!(
        handle.base_url.starts_with("https://"),
        "{}",
        handle.base_url
    );
    assert_eq!(handle.tls_cert_file, None);
    let http = trusting(pem.as_bytes());
    assert_eq!(
        token_status(
            &http,
            &handle.base_url,
            &handle.global_client_id,
            &handle.global_client_secret
        )
        .await,
        200
    );
    handle.shutdown().await;

    // Files that are missing or not PEM are refused before anything starts.
    for (cert, key) in [
        (dir.path().join("missing.pem"), key.clone()),
        (cert.clone(), cert.clone()),
    ] {
        let refused = serve(Config {
            tls: Some(Tls::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            ..config()
        })
        .await;
        let error = format!("{:#}", refused.err().expect("refused"));
        assert!(
            error.contains(&cert.display().to_string())
                || error.contains(&key.display().to_string()),
            "{error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a0ctl_trusts_the_certificates_of_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("emulator.pem");
    let handle = serve(Config {
        tls: Some(Tls::SelfSigned {
            cert_out: Some(cert.clone()),
        }),
        ..config()
    })
    .await
    .unwrap();
    assert_eq!(handle.tls_cert_file.as_deref(), Some(cert.as_path()));
    let export = |ssl_cert_file: Option<&Path>, out: &str| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_a0ctl"));
        cmd.args(["export", "--out"])
            .arg(dir.path().join(out))
            .env("AUTH0_DOMAIN", &handle.base_url)
            .env("AUTH0_CLIENT_ID", &handle.global_client_id)
            .env("AUTH0_CLIENT_SECRET", &handle.global_client_secret)
            .env("NO_COLOR", "1")
            .env_remove("AUTH0_TOKEN")
            .env_remove("SSL_CERT_FILE");
        if let Some(path) = ssl_cert_file {
            cmd.env("SSL_CERT_FILE", path);
        }
        cmd.output()
    };
    let trusted = export(Some(&cert), "trusted").await.unwrap();
    assert!(trusted.status.success(), "{trusted:?}");

    let untrusted = export(None, "untrusted").await.unwrap();
    assert!(!untrusted.status.success());
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(stderr.contains("SSL_CERT_FILE"), "{stderr}");

    let missing = dir.path().join("missing.pem");
    let unreadable = export(Some(&missing), "missing").await.unwrap();
    assert!(!unreadable.status.success());
    let stderr = String::from_utf8_lossy(&unreadable.stderr);
    assert!(stderr.contains("cannot read SSL_CERT_FILE"), "{stderr}");
    // A device or a FIFO there is an error at once: never read without end, never waited on.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("certs.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        for (path, what) in [
            (Path::new("/dev/zero"), "character device"),
            (fifo.as_path(), "named pipe"),
        ] {
            let out = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                export(Some(path), "odd"),
            )
            .await
            .expect("a0ctl does not wait on SSL_CERT_FILE")
            .unwrap();
            assert!(!out.status.success());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("cannot read SSL_CERT_FILE") && stderr.contains(what),
                "{stderr}"
            );
        }
    }
    handle.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_certificate_goes_beside_the_state_or_to_a_fresh_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.db");
    let handle = serve(Config {
        state: Some(state.clone()),
        tls: Some(Tls::SelfSigned { cert_out: None }),
        ..config()
    })
    .await
    .unwrap();
    let beside = dir.path().join("tenant.db.cert.pem");
    assert_eq!(handle.tls_cert_file.as_deref(), Some(beside.as_path()));
    assert!(
        std::fs::read_to_string(&beside)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    handle.shutdown().await;

    // Without a state: the temporary directory, where a link planted at the name is replaced,
    // not followed.
    let default = std::env::temp_dir().join(format!("a0ctl-emulator-{}.pem", std::process::id()));
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let _ = std::fs::remove_file(&default);
    std::os::unix::fs::symlink(&victim, &default).unwrap();
    let handle = serve(Config {
        tls: Some(Tls::SelfSigned { cert_out: None }),
        ..config()
    })
    .await
    .unwrap();
    assert_eq!(handle.tls_cert_file.as_deref(), Some(default.as_path()));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    let pem = std::fs::read(&default).unwrap();
    let http = trusting(&pem);
    assert_eq!(
        token_status(
            &http,
            &handle.base_url,
            &handle.global_client_id,
            &handle.global_client_secret
        )
        .await,
        200
    );
    handle.shutdown().await;
    let _ = std::fs::remove_file(&default);
}
