//! `cargo bench --bench reconcile`: plan and apply measured against their physical limits.
//!
//! Starts the real `a0ctl emulator` as a separate process (in-memory state, chosen latency and
//! rate limit), seeds tenants, runs the real `a0ctl` binary under `/usr/bin/time`, and prints a
//! table: the median of several wall times, the requests made (from `/__emulator/stats`), the
//! ideal for that work, the ratio to it, and the peak RSS. It writes the table to
//! `BENCHMARKS.md` with the machine it ran on. `-- --quick` runs smaller sizes and fewer runs.
//!
//! Ideals: for a plan, 4 requests (a token and three lists; email templates are read only when
//! the manifests declare them, and these declare none) and the wall time of two
//! round trips; for an apply, `ceil(calls / parallelism) × latency`; under a rate limit,
//! `requests / rps`. Nothing here asserts: figures are printed and recorded.

mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{machine, today};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_a0ctl");
const CLIENT_ID: &str = "bench-global-client";
const CLIENT_SECRET: &str = "bench-global-client-secret";
const SCRIPT: &str = "function (user, context, callback) { callback(null, user, context); }";

struct Emulator {
    child: Child,
    url: String,
    http: Http,
}

/// A small blocking face on the async client (reqwest is built without its blocking feature).
struct Http {
    client: reqwest::Client,
    token: String,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

impl Http {
    fn new(base: &str) -> Http {
        let client = reqwest::Client::new();
        let body = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "client_credentials"});
        let token: Value = runtime().block_on(async {
            client
                .post(format!("{base}/oauth/token"))
                .json(&body)
                .send()
                .await
                .expect("token")
                .json()
                .await
                .expect("token json")
        });
        Http {
            client,
            token: token["access_token"]
                .as_str()
                .expect("access_token")
                .to_string(),
        }
    }

    fn get(&self, url: &str) -> Value {
        runtime().block_on(async {
            let r = self
                .client
                .get(url)
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("GET");
            r.json().await.expect("json")
        })
    }

    fn put(&self, url: &str, body: &Value) -> Value {
        runtime().block_on(async {
            let r = self
                .client
                .put(url)
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .await
                .expect("PUT");
            r.json().await.expect("json")
        })
    }

    /// POST each body to `url`, `concurrency` at a time (seeding a large tenant).
    fn post_all(&self, url: &str, bodies: Vec<Value>, concurrency: usize) {
        runtime().block_on(async {
            use futures::StreamExt;
            futures::stream::iter(bodies)
                .map(|body| {
                    let r = self
                        .client
                        .post(url)
                        .bearer_auth(&self.token)
                        .json(&body)
                        .send();
                    async move {
                        let r = r.await.expect("POST");
                        assert!(r.status().is_success(), "seeding: {}", r.status());
                    }
                })
                .buffer_unordered(concurrency)
                .collect::<Vec<()>>()
                .await;
        });
    }

    /// `n` GETs of `url` from `concurrency` tasks; the requests per second achieved.
    fn load(&self, url: &str, n: usize, concurrency: usize) -> f64 {
        runtime().block_on(async {
            let started = Instant::now();
            let per_task = n / concurrency;
            let mut tasks = Vec::new();
            for _ in 0..concurrency {
                let client = self.client.clone();
                let url = url.to_string();
                let token = self.token.clone();
                tasks.push(tokio::spawn(async move {
                    for _ in 0..per_task {
                        let r = client
                            .get(&url)
                            .bearer_auth(&token)
                            .send()
                            .await
                            .expect("GET");
                        assert!(r.status().is_success());
                        let _ = r.bytes().await;
                    }
                }));
            }
            for t in tasks {
                t.await.expect("load task");
            }
            (per_task * concurrency) as f64 / started.elapsed().as_secs_f64()
        })
    }
}

impl Emulator {
    fn start(latency_ms: u64, rate_limit: Option<u32>) -> Emulator {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--latency-ms",
            &latency_ms.to_string(),
        ]);
        if let Some(r) = rate_limit {
            cmd.args(["--rate-limit", &r.to_string()]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("a listening line")
            .to_string();
        let http = Http::new(&url);
        Emulator { child, url, http }
    }

    fn stats(&self) -> Value {
        self.http.get(&format!("{}/__emulator/stats", self.url))
    }

    fn requests(&self) -> u64 {
        self.stats()["total"].as_u64().unwrap_or(0)
    }

    fn set_faults(&self, faults: Value) {
        self.http
            .put(&format!("{}/__emulator/faults", self.url), &faults);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One run of the binary: wall time, peak RSS (KiB), exit code.
struct Run {
    wall: Duration,
    rss_kib: u64,
    code: i32,
}

fn a0ctl(emulator: &Emulator, args: &[&str]) -> Run {
    let metrics = tempfile::NamedTempFile::new().expect("temp file");
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(metrics.path())
        .arg(BIN)
        .args(args)
        .env("AUTH0_DOMAIN", &emulator.url)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run a0ctl under /usr/bin/time");
    let wall = started.elapsed();
    let rss_kib = std::fs::read_to_string(metrics.path())
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    Run {
        wall,
        rss_kib,
        code: status.code().unwrap_or(-1),
    }
}

/// A tenant of `n` resources: a third each of connections, clients and rules. `variant` changes
/// every resource's content; `reverse` reverses the rule orders.
fn manifest(dir: &Path, n: usize, variant: u32, reverse: bool) {
    let (nc, ncl) = (n.div_ceil(3), n / 3);
    let nr = n - nc - ncl;
    let mut m = String::from("connections:\n");
    for i in 0..nc {
        writeln!(
            m,
            "  - name: conn-{i}\n    strategy: auth0\n    options: {{n: {i}, v: {variant}}}"
        )
        .unwrap();
    }
    m.push_str("clients:\n");
    for i in 0..ncl {
        writeln!(
            m,
            "  - name: app-{i}\n    callbacks: [https://app{i}.example.com/cb{variant}]"
        )
        .unwrap();
    }
    m.push_str("rules:\n");
    for i in 0..nr {
        let order = if reverse { nr - i } else { i + 1 };
        let script = if variant == 0 {
            SCRIPT.to_string()
        } else {
            SCRIPT.replace("callback(null", &format!("/* v{variant} */ callback(null"))
        };
        writeln!(
            m,
            "  - name: rule-{i}\n    order: {order}\n    script: '{script}'"
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tenant.yaml"), m).unwrap();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    scenario: String,
    size: String,
    median_s: f64,
    requests: String,
    ideal: String,
    ratio: String,
    rss_mb: f64,
    note: String,
}

/// One apply at `parallelism`: its run and the requests it made.
fn apply_once(emulator: &Emulator, dir: &Path, parallelism: usize) -> (Run, u64) {
    let before = emulator.requests();
    let run = a0ctl(
        emulator,
        &[
            "apply",
            dir.to_str().unwrap(),
            "--yes",
            "--parallelism",
            &parallelism.to_string(),
        ],
    );
    assert_eq!(run.code, 0, "apply failed");
    (run, emulator.requests() - before)
}

/// The runs of one apply scenario.
#[derive(Default)]
struct Timing {
    walls: Vec<f64>,
    rss_kib: u64,
    requests: u64,
}

impl Timing {
    fn add(&mut self, (run, requests): (Run, u64)) {
        self.walls.push(run.wall.as_secs_f64());
        self.rss_kib = self.rss_kib.max(run.rss_kib);
        self.requests = requests;
    }

    /// Against the ideal `ceil(calls / parallelism) × latency`, calls being one per resource.
    fn row(self, scenario: &str, n: usize, latency: u64, parallelism: usize) -> Row {
        let ideal = (n as f64 / parallelism as f64).ceil() * latency as f64 / 1000.0;
        let runs = self.walls.len();
        let med = median(self.walls);
        Row {
            scenario: scenario.into(),
            size: n.to_string(),
            median_s: med,
            requests: self.requests.to_string(),
            ideal: format!("{ideal:.2}s"),
            ratio: format!("{:.2}", med / ideal),
            rss_mb: self.rss_kib as f64 / 1024.0,
            note: format!("latency {latency} ms, parallelism {parallelism}, {runs} runs"),
        }
    }
}

fn seed(emulator: &Emulator, dir: &Path) {
    emulator.set_faults(json!({"latency_ms": 0}));
    let run = a0ctl(
        emulator,
        &[
            "apply",
            dir.to_str().unwrap(),
            "--yes",
            "--parallelism",
            "32",
        ],
    );
    assert_eq!(run.code, 0, "seeding failed");
}

/// `a0ctl ARGS`, `runs` times, each exiting `want`: the median wall time (seconds) and the
/// largest peak RSS (KiB).
fn median_run(emulator: &Emulator, args: &[&str], runs: usize, want: i32) -> (f64, u64) {
    let mut walls = Vec::new();
    let mut rss = 0;
    for _ in 0..runs {
        let r = a0ctl(emulator, args);
        assert_eq!(r.code, want, "`a0ctl {}` failed", args.join(" "));
        walls.push(r.wall.as_secs_f64());
        rss = rss.max(r.rss_kib);
    }
    (median(walls), rss)
}

/// `-- --paging`: a plan of a tenant of many clients through v1 and through v2, side by side
/// (the emulator's v2 pages must cost O(page size)); written to the `paging` block.
fn paging(quick: bool) {
    let n: usize = if quick { 10_000 } else { 100_000 };
    let runs = 3;
    let emulator = Emulator::start(0, None);
    let bodies = (0..n)
        .map(|i| json!({"name": format!("app-{i}"), "callbacks": [format!("https://app{i}.example.com/cb")]}))
        .collect();
    let seeding = Instant::now();
    emulator
        .http
        .post_all(&format!("{}/api/clients", emulator.url), bodies, 32);
    eprintln!(
        "seeded {n} clients in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let work = tempfile::tempdir().expect("temp dir");
    let mut lines = Vec::new();
    let mut medians = Vec::new();
    for (api, text) in [("v1", "clients: []\n"), ("v2", "api: v2\nclients: []\n")] {
        let dir = work.path().join(api);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tenant.yaml"), text).unwrap();
        let d = dir.to_str().unwrap();
        let before = emulator.requests();
        let (med, rss) = median_run(&emulator, &["plan", d], runs, 0);
        let per_run = (emulator.requests() - before) as f64 / runs as f64;
        medians.push(med);
        let line = format!(
            "| plan of {n} clients, {api} | {med:.2} s | {per_run:.0} | {:.0} MB |",
            rss as f64 / 1024.0
        );
        eprintln!("{line}");
        lines.push(line);
    }
    let ratio = medians[1] / medians[0];
    let table = format!(
        "Measured {} on {}; median of {runs} runs of the release binary, the emulator in its own process (in-memory state, no latency).\n\n| scenario | median | requests | peak RSS |\n|---|---:|---:|---:|\n{}\n\nv2 / v1: {ratio:.2} ×.\n",
        today(),
        machine(),
        lines.join("\n")
    );
    println!("{table}");
    if !quick {
        write_block("paging", &table);
    }
}

/// Replace the `<!-- NAME:begin -->`…`<!-- NAME:end -->` block of BENCHMARKS.md (appended
/// when missing).
fn write_block(name: &str, table: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let mut doc = std::fs::read_to_string(&path).unwrap_or_default();
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let block = format!("{begin}\n{table}{end}");
    match (doc.find(&begin), doc.find(&end)) {
        (Some(b), Some(e)) if b < e => doc.replace_range(b..e + end.len(), &block),
        _ => doc = format!("{}\n{block}\n", doc.trim_end()),
    }
    std::fs::write(&path, doc).expect("write BENCHMARKS.md");
    eprintln!("wrote {}", path.display());
}

/// `-- --creates`: a plan of 100,000 creates of one kind (v2 clients into an empty tenant)
/// beside `validate` of the same tree, with their peak RSS; written to the `creates` block.
fn creates(quick: bool) {
    let n: usize = if quick { 10_000 } else { 100_000 };
    let runs = 3;
    let emulator = Emulator::start(0, None);
    let work = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("api: v2\nclients:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: app-{i}\n    app_type: regular_web\n    callbacks: [https://app{i}.example.com/cb]\n"
        ));
    }
    std::fs::write(work.path().join("tenant.yaml"), text).unwrap();
    let d = work.path().to_str().unwrap();
    let mut lines = Vec::new();
    let mut medians = Vec::new();
    for (what, args, want) in [
        ("validate", vec!["validate", d], 0),
        ("plan", vec!["plan", d, "--detailed-exitcode"], 2),
    ] {
        let (med, rss) = median_run(&emulator, &args, runs, want);
        medians.push(med);
        let line = format!(
            "| {what} of {n} client creates, v2 | {med:.2} s | {:.0} MB |",
            rss as f64 / 1024.0
        );
        eprintln!("{line}");
        lines.push(line);
    }
    let ratio = medians[1] / medians[0];
    let table = format!(
        "Measured {} on {}; median of {runs} runs of the release binary, the emulator in its own process (in-memory state, no latency).\n\n| scenario | median | peak RSS |\n|---|---:|---:|\n{}\n\nplan / validate: {ratio:.2} ×.\n",
        today(),
        machine(),
        lines.join("\n")
    );
    println!("{table}");
    if !quick {
        write_block("creates", &table);
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--paging") {
        paging(quick);
        return;
    }
    if std::env::args().any(|a| a == "--creates") {
        creates(quick);
        return;
    }
    let runs = if quick { 3 } else { 5 };
    let sizes: &[usize] = if quick {
        &[100, 1000]
    } else {
        &[100, 1000, 10_000]
    };
    let latency = 20u64;
    let parallelism = 16usize;
    let work = tempfile::tempdir().expect("temp dir");
    let mut rows: Vec<Row> = Vec::new();
    let mut say = |r: Row| {
        eprintln!(
            "{:<34} {:>6} {:>8.3}s {:>10} {:>14} {:>7} {:>6.0} MB  {}",
            r.scenario, r.size, r.median_s, r.requests, r.ideal, r.ratio, r.rss_mb, r.note
        );
        rows.push(r);
    };

    // No-change plans.
    for &n in sizes {
        let emulator = Emulator::start(0, None);
        let dir = work.path().join(format!("plan-{n}"));
        manifest(&dir, n, 0, false);
        seed(&emulator, &dir);
        emulator.set_faults(json!({"latency_ms": latency}));
        let d = dir.to_str().unwrap();
        let mut walls = Vec::new();
        let mut rss = 0;
        let before = emulator.requests();
        for _ in 0..runs {
            let r = a0ctl(&emulator, &["plan", d, "--detailed-exitcode"]);
            assert_eq!(r.code, 0, "a no-change plan of {n} found changes");
            walls.push(r.wall.as_secs_f64());
            rss = rss.max(r.rss_kib);
        }
        let per_run = (emulator.requests() - before) as f64 / runs as f64;
        let med = median(walls);
        let ideal = 2.0 * latency as f64 / 1000.0;
        say(Row {
            scenario: "plan, no changes".into(),
            size: n.to_string(),
            median_s: med,
            requests: format!("{per_run:.0}"),
            ideal: format!("4 req, {ideal:.2}s"),
            ratio: format!("{:.2}", per_run / 4.0),
            rss_mb: rss as f64 / 1024.0,
            note: format!("latency {latency} ms"),
        });
    }

    // Apply of all creates, then of all updates.
    for &n in sizes {
        let runs = if n >= 10_000 { runs.min(3) } else { runs };
        let dir = work.path().join(format!("creates-{n}"));
        manifest(&dir, n, 0, false);
        let mut timing = Timing::default();
        for _ in 0..runs {
            let emulator = Emulator::start(latency, None);
            timing.add(apply_once(&emulator, &dir, parallelism));
        }
        say(timing.row("apply, all creates", n, latency, parallelism));

        let emulator = Emulator::start(0, None);
        let (a, b) = (
            work.path().join(format!("updates-a-{n}")),
            work.path().join(format!("updates-b-{n}")),
        );
        manifest(&a, n, 0, false);
        manifest(&b, n, 1, false);
        seed(&emulator, &a);
        emulator.set_faults(json!({"latency_ms": latency}));
        let mut timing = Timing::default();
        for i in 0..runs {
            let target = if i % 2 == 0 { &b } else { &a };
            timing.add(apply_once(&emulator, target, parallelism));
        }
        say(timing.row("apply, all updates", n, latency, parallelism));
    }

    // A full reversal of 1,000 rule orders: 500 cycles of two.
    {
        let rules = 1000;
        let emulator = Emulator::start(0, None);
        let fwd = work.path().join("rules-fwd");
        let rev = work.path().join("rules-rev");
        let only_rules = |dir: &PathBuf, reverse: bool| {
            let mut m = String::from("rules:\n");
            for i in 0..rules {
                let order = if reverse { rules - i } else { i + 1 };
                writeln!(
                    m,
                    "  - name: rule-{i}\n    order: {order}\n    script: '{SCRIPT}'"
                )
                .unwrap();
            }
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("rules.yaml"), m).unwrap();
        };
        only_rules(&fwd, false);
        only_rules(&rev, true);
        seed(&emulator, &fwd);
        emulator.set_faults(json!({"latency_ms": latency}));
        let mut walls = Vec::new();
        let mut rss = 0;
        let mut puts = 0;
        let mut conflicts = 0;
        for i in 0..runs {
            let target = if i % 2 == 0 { &rev } else { &fwd };
            let before = emulator.stats();
            let r = a0ctl(
                &emulator,
                &[
                    "apply",
                    target.to_str().unwrap(),
                    "--yes",
                    "--parallelism",
                    &parallelism.to_string(),
                ],
            );
            assert_eq!(r.code, 0, "reversal failed");
            let after = emulator.stats();
            let count = |s: &Value, k: &str| s["by_route"][k].as_u64().unwrap_or(0);
            puts = count(&after, "PUT /api/rules/{name}") - count(&before, "PUT /api/rules/{name}");
            // v1 answers a taken order with 400 `rule_conflict`: counted by its code.
            conflicts += after["by_error"]["rule_conflict"].as_u64().unwrap_or(0)
                - before["by_error"]["rule_conflict"].as_u64().unwrap_or(0);
            walls.push(r.wall.as_secs_f64());
            rss = rss.max(r.rss_kib);
        }
        let ideal_calls = rules + rules / 2;
        let ideal = (ideal_calls as f64 / parallelism as f64).ceil() * latency as f64 / 1000.0;
        let med = median(walls);
        say(Row {
            scenario: "apply, reverse 1,000 rule orders".into(),
            size: rules.to_string(),
            median_s: med,
            requests: format!("{puts} PUTs"),
            ideal: format!("{ideal_calls} PUTs, {ideal:.2}s"),
            ratio: format!("{:.2}", puts as f64 / ideal_calls as f64),
            rss_mb: rss as f64 / 1024.0,
            note: format!(
                "{conflicts} conflicts (rule_conflict); time ratio {:.2}",
                med / ideal
            ),
        });
    }

    // Under a server limit of 50 requests a second.
    {
        let rps = 50u32;
        let n = if quick { 150 } else { 300 };
        let dir = work.path().join("limited");
        manifest(&dir, n, 0, false);
        let d = dir.to_str().unwrap();
        let mut walls = Vec::new();
        let mut achieved = Vec::new();
        let mut rss = 0;
        let mut limited = 0;
        let mut requests = 0;
        for _ in 0..runs.min(3) {
            let emulator = Emulator::start(0, Some(rps));
            let before = emulator.stats();
            let r = a0ctl(
                &emulator,
                &[
                    "apply",
                    d,
                    "--yes",
                    "--parallelism",
                    &parallelism.to_string(),
                ],
            );
            assert_eq!(r.code, 0, "apply under a rate limit failed: a call failed");
            let after = emulator.stats();
            requests = after["total"].as_u64().unwrap_or(0) - before["total"].as_u64().unwrap_or(0);
            let answered = requests
                - (after["by_status"]["429"].as_u64().unwrap_or(0)
                    - before["by_status"]["429"].as_u64().unwrap_or(0));
            limited += requests - answered;
            walls.push(r.wall.as_secs_f64());
            achieved.push(answered as f64 / r.wall.as_secs_f64());
            rss = rss.max(r.rss_kib);
        }
        let med = median(walls);
        let rate = median(achieved);
        let ideal = requests as f64 / rps as f64;
        say(Row {
            scenario: format!("apply under --rate-limit {rps}"),
            size: n.to_string(),
            median_s: med,
            requests: requests.to_string(),
            ideal: format!("{ideal:.2}s"),
            ratio: format!("{:.2}", med / ideal),
            rss_mb: rss as f64 / 1024.0,
            note: format!(
                "{rate:.1} rps sustained ({:.0}% of {rps}), {limited} answered 429, 0 failed calls",
                100.0 * rate / rps as f64
            ),
        });
    }

    // The emulator itself: simple GETs per second.
    {
        let emulator = Emulator::start(0, None);
        let dir = work.path().join("one");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("t.yaml"),
            format!("rules:\n  - name: r\n    order: 1\n    script: '{SCRIPT}'\n"),
        )
        .unwrap();
        seed(&emulator, &dir);
        let url = format!("{}/api/rules/r", emulator.url);
        let mut rates = Vec::new();
        for _ in 0..runs {
            rates.push(emulator.http.load(&url, 20_000, 32));
        }
        let rate = median(rates);
        say(Row {
            scenario: "emulator, GET /api/rules/{name}".into(),
            size: "20,000".into(),
            median_s: 20_000.0 / rate,
            requests: "20000".into(),
            ideal: "≥ 5,000 rps".into(),
            ratio: format!("{:.2}", rate / 5000.0),
            rss_mb: 0.0,
            note: format!(
                "{rate:.0} requests/s from 32 connections, load generator on the same 2 cores"
            ),
        });
    }

    let table = render(&rows, runs);
    println!("{table}");
    write_block("bench", &table);
}

fn render(rows: &[Row], runs: usize) -> String {
    let mut t = String::new();
    writeln!(t, "Measured {} on {}.\n", today(), machine()).unwrap();
    writeln!(t, "Median of {runs} runs of the release binary against `a0ctl emulator` in its own process (in-memory state).\n").unwrap();
    writeln!(
        t,
        "| scenario | size | median wall | requests | ideal | ratio | peak RSS | notes |"
    )
    .unwrap();
    writeln!(t, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |").unwrap();
    for r in rows {
        let rss = if r.rss_mb > 0.0 {
            format!("{:.0} MB", r.rss_mb)
        } else {
            "–".into()
        };
        writeln!(
            t,
            "| {} | {} | {:.3} s | {} | {} | {} | {} | {} |",
            r.scenario, r.size, r.median_s, r.requests, r.ideal, r.ratio, rss, r.note
        )
        .unwrap();
    }
    t
}
