//! `apply`: runs a plan's calls against the tenant with bounded concurrency, each call after those it
//! waits for, and returns a [`Report`]. When a call fails for good, its dependents are not
//! started, calls in flight finish, and independent calls go on; the report says what was
//! applied, what failed (with the API's message) and what was not attempted.
//!
//! A create (POST) whose answer was lost (timeout, reset, 5xx after the server may have written)
//! is never re-sent blindly: a0ctl reads the resource back and re-sends only if it is not there.
//! Idempotent calls (PUT, PATCH, DELETE) are retried by `api`; a DELETE that finds nothing has
//! nothing left to do.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::api::{Answer, Api, CallError, ErrorKind, segment};
use a0ctl_core::model::Kind;
use a0ctl_core::plan::builder::Wait;
use a0ctl_core::plan::{Call, Check};

#[derive(Debug, Clone)]
pub struct Options {
    /// Calls in flight at once.
    pub parallelism: usize,
    /// Asked before each call is started: once it says stop, no call is started (those in
    /// flight finish) and the rest are reported not attempted, with [`STOPPED`] as their note.
    pub stop: fn() -> bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            parallelism: 8,
            stop: || false,
        }
    }
}

/// The note of a call not started because the run was told to stop.
pub const STOPPED: &str =
    "not started: the run was stopped (its output was closed, or its lease was lost)";

/// What happened to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Failed,
    NotAttempted,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    pub id: usize,
    pub method: String,
    pub path: String,
    pub resource: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CallReport {
    /// A call before it is sent.
    fn not_attempted(c: &Call) -> CallReport {
        CallReport {
            id: c.id,
            method: c.method.clone(),
            path: c.path.clone(),
            resource: c.resource.clone(),
            outcome: Outcome::NotAttempted,
            status: None,
            took_ms: None,
            error: None,
            note: None,
        }
    }
}

/// Every call's outcome, in plan order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub calls: Vec<CallReport>,
    pub took_ms: u64,
}

impl Report {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.calls.iter().filter(|c| c.outcome == outcome).count()
    }

    pub fn succeeded(&self) -> bool {
        self.calls.iter().all(|c| c.outcome == Outcome::Applied)
    }
}

/// Run the plan. `progress` sees each call as it finishes.
pub async fn apply(
    api: &Api,
    calls: &[Call],
    options: &Options,
    progress: &(dyn Fn(&CallReport) + Sync),
) -> Report {
    let started = Instant::now();
    let mut waiting: Vec<usize> = calls.iter().map(|c| c.after.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); calls.len()];
    for c in calls {
        for &a in &c.after {
            dependents[a].push(c.id);
        }
    }
    let mut reports: Vec<CallReport> = calls.iter().map(CallReport::not_attempted).collect();
    let mut ready: VecDeque<usize> = (0..calls.len()).filter(|i| waiting[*i] == 0).collect();
    // Placeholder → the id its create answered.
    let mut created: HashMap<String, String> = HashMap::new();
    let mut running = FuturesUnordered::new();
    let parallelism = options.parallelism.max(1);
    let mut stopped = false;
    loop {
        while running.len() < parallelism && !stopped {
            if (options.stop)() {
                stopped = true;
                break;
            }
            let Some(i) = ready.pop_front() else { break };
            if let Some(reason) = unaddressable(&calls[i], &created) {
                let report = &mut reports[i];
                report.outcome = Outcome::Failed;
                report.error = Some(reason);
                progress(report);
                continue;
            }
            let call = filled(&calls[i], &created);
            reports[i].path = call.path.clone();
            running.push(async move {
                let t = Instant::now();
                let result = run(api, &call).await;
                (i, result, t.elapsed())
            });
        }
        let Some((i, result, took)) = running.next().await else {
            break;
        };
        let report = &mut reports[i];
        report.took_ms = Some(took.as_millis() as u64);
        match result {
            Ok((answer, note)) => {
                report.outcome = Outcome::Applied;
                report.status = Some(answer.status);
                report.note = note;
                if let Some(c) = &calls[i].creates
                    && let Some(id) = answer.body.get(c.id_field).and_then(Value::as_str)
                {
                    created.insert(c.placeholder.clone(), id.to_string());
                }
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        ready.push_back(d);
                    }
                }
            }
            Err(e) => {
                report.outcome = Outcome::Failed;
                report.status = e.status();
                report.error = Some(e.reason());
            }
        }
        progress(report);
    }
    if stopped {
        for r in reports
            .iter_mut()
            .filter(|r| r.outcome == Outcome::NotAttempted)
        {
            r.note = Some(STOPPED.into());
        }
    }
    Report {
        calls: reports,
        took_ms: started.elapsed().as_millis() as u64,
    }
}

/// Why a call cannot be sent: a create it needs answered without an id, so it has no address
/// (it fails unsent rather than reach a resource by a placeholder's text).
fn unaddressable(call: &Call, created: &HashMap<String, String>) -> Option<String> {
    let missing = call.needs.iter().find(|p| !created.contains_key(*p))?;
    Some(format!(
        "not sent: the create that stands for `{missing}` answered no id"
    ))
}

/// The call with the ids of the resources it needs in place of their placeholders (in its path,
/// as path segments, and in its body's strings).
fn filled(call: &Call, created: &HashMap<String, String>) -> Call {
    let mut call = call.clone();
    for placeholder in &call.needs {
        let Some(id) = created.get(placeholder) else {
            continue;
        };
        call.path = call.path.replace(placeholder.as_str(), &segment(id));
        if let Some(w) = call.wait.as_mut() {
            w.path = w.path.replace(placeholder.as_str(), &segment(id));
        }
        if let Some(body) = call.body.as_mut() {
            a0ctl_core::path::leaves_mut(
                body,
                &a0ctl_core::path::FieldPath::root(),
                &mut |_, leaf| {
                    if leaf.as_str() == Some(placeholder.as_str()) {
                        *leaf = Value::String(id.clone());
                    }
                },
            );
        }
    }
    call
}

/// Send one call; the note says when the outcome needed a second look.
async fn run(api: &Api, call: &Call) -> Result<(Answer, Option<String>), CallError> {
    let path = call.path.as_str();
    let method = Method::from_bytes(call.method.as_bytes()).unwrap_or(Method::GET);
    if let Some(check) = &call.check {
        return create(api, call, path, check).await;
    }
    if let Some(w) = &call.wait {
        let answer = ready(api, w, &call.resource).await?;
        let sent = api.send(method, path, call.body.as_ref()).await?;
        if let Some((field, want)) = &w.then {
            settled(api, &w.path, field, want).await?;
        }
        return Ok((sent, Some(format!("after it was {}", answer))));
    }
    match api.send(method.clone(), path, call.body.as_ref()).await {
        Ok(a) => Ok((a, None)),
        Err(e) if method == Method::DELETE && e.status() == Some(404) => Ok((
            Answer {
                status: 404,
                body: Value::Null,
            },
            Some("already gone".into()),
        )),
        Err(e) => Err(e),
    }
}

/// A create: sent once; after an ambiguous failure (or a conflict that may be our own earlier
/// attempt), read back; re-send only when the resource is not there.
async fn create(
    api: &Api,
    call: &Call,
    path: &str,
    check: &Check,
) -> Result<(Answer, Option<String>), CallError> {
    let attempts = api.retries() as u32 + 1;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match api.send_once(Method::POST, path, call.body.as_ref()).await {
            Ok(a) => return Ok((a, None)),
            Err(e) => e,
        };
        let maybe_ours = error.is_ambiguous() || error.is_conflict();
        if !maybe_ours {
            return Err(error);
        }
        tracing::info!("{error}; checking whether the create took effect");
        if let Some(found) = existing(api, check).await? {
            return Ok((
                Answer {
                    status: 200,
                    body: found,
                },
                Some(format!(
                    "found in the tenant after `{}`",
                    short_reason(&error)
                )),
            ));
        }
        if error.is_conflict() || attempt >= attempts {
            return Err(error);
        }
        // The same schedule as `api`'s: from 100 ms, doubling, at most 5 s, with jitter.
        let wait = Duration::from_millis((100 * 2u64.pow(attempt.min(6))).min(5_000))
            + Duration::from_millis(rand::random::<u64>() % 100);
        tokio::time::sleep(wait).await;
    }
}

/// How long a call waits for the tenant ([`Wait`]) at most: a build of an action with many
/// dependencies takes the service a minute or two.
pub const WAIT_DEADLINE: Duration = Duration::from_secs(300);

/// The pause before the next look at what a call waits for: from 100 ms, doubling, at most 2 s.
fn next_look(looks: u32) -> Duration {
    Duration::from_millis((100 * 2u64.pow(looks.min(5))).min(2_000))
}

/// A failure of a wait, as an error of its GET.
fn wait_error(path: &str, message: String) -> CallError {
    CallError {
        method: Method::GET,
        path: path.to_string(),
        kind: ErrorKind::Other(message),
    }
}

/// Reads `w.path` until its `w.field` is `w.ready` (an action's draft built): `w.failed`, or
/// [`WAIT_DEADLINE`], fails with the service's message. Says what it saw.
async fn ready(api: &Api, w: &Wait, resource: &str) -> Result<String, CallError> {
    let started = Instant::now();
    let mut looks = 0;
    loop {
        let v = api.get(&w.path).await?;
        let Some(state) = v.get(&w.field).and_then(Value::as_str) else {
            return Err(wait_error(
                &w.path,
                format!("{resource}: unexpected answer: no `{}` to wait on", w.field),
            ));
        };
        if state == w.ready {
            return Ok(w.ready.clone());
        }
        if state == w.failed {
            return Err(wait_error(
                &w.path,
                format!("{resource}: the build failed: {}", build_message(&v)),
            ));
        }
        if started.elapsed() >= WAIT_DEADLINE {
            return Err(wait_error(
                &w.path,
                format!(
                    "{resource}: still `{state}` after {} s; not {}",
                    WAIT_DEADLINE.as_secs(),
                    w.ready
                ),
            ));
        }
        tracing::info!(
            "waiting for {resource}: `{state}` after {:.1} s",
            started.elapsed().as_secs_f64()
        );
        tokio::time::sleep(next_look(looks)).await;
        looks += 1;
    }
}

/// The service's words on a failed build: its `errors` (`[{message}]`), else the status.
fn build_message(v: &Value) -> String {
    let messages: Vec<&str> = v
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .collect();
    if messages.is_empty() {
        "the service gave no message".into()
    } else {
        messages.join("; ")
    }
}

/// Reads `path` until its `field` holds `want` (a deployed action's `all_changes_deployed`),
/// within [`WAIT_DEADLINE`].
async fn settled(api: &Api, path: &str, field: &str, want: &Value) -> Result<(), CallError> {
    let started = Instant::now();
    let mut looks = 0;
    loop {
        let v = api.get(path).await?;
        if v.get(field) == Some(want) {
            return Ok(());
        }
        if started.elapsed() >= WAIT_DEADLINE {
            return Err(wait_error(
                path,
                format!(
                    "`{field}` is {} after {} s, not {want}",
                    v.get(field).unwrap_or(&Value::Null),
                    WAIT_DEADLINE.as_secs()
                ),
            ));
        }
        tokio::time::sleep(next_look(looks)).await;
        looks += 1;
    }
}

fn short_reason(e: &CallError) -> String {
    match &e.kind {
        ErrorKind::Status { status, code, .. } => format!("{status} {code}"),
        ErrorKind::Timeout(_) => "timeout".into(),
        ErrorKind::Connect(m)
        | ErrorKind::Unreachable(m)
        | ErrorKind::Tls(m)
        | ErrorKind::Unaddressable(m)
        | ErrorKind::Other(m) => m.clone(),
        ErrorKind::NotJson { status, .. } => format!("{status} (not JSON)"),
        ErrorKind::RateLimited { .. } => "rate limited past the deadline".into(),
    }
}

/// The resource a create would have made, if the tenant has it.
async fn existing(api: &Api, check: &Check) -> Result<Option<Value>, CallError> {
    match check {
        Check::Named(kind, name) => crate::read::find(api, *kind, name).await,
        Check::Client { name, known } => {
            let d = api.dialect();
            let all = crate::read::read_all(api, &d.listing(Kind::clients())).await?;
            Ok(all.into_iter().find(|c| {
                c.get("name").and_then(Value::as_str) == Some(name.as_str())
                    && c.get("global").and_then(Value::as_bool) != Some(true)
                    && c.get(d.id_field(Kind::clients()))
                        .and_then(Value::as_str)
                        .is_some_and(|id| !known.contains(id))
            }))
        }
    }
}
