//! `emulator`: the Management API, v1 and v2 (`v2/`), as a local server (axum) over one SQLite
//! store (rusqlite).
//! It is the tenant every reconciler test talks to over real HTTP, the sandbox users try
//! manifests against, and what `--local` embeds. It follows `docs/emulator.md` (the reference and
//! the decisions about bodies, status codes and errors), plus fault injection for tests:
//! latency, lost answers (503s) and a rate limit.
//!
//! Layering, outermost first: the connection (`wire`: hyper's own parse-error answers get the
//! JSON error body too); trailing-slash normalisation; JSON error bodies for whatever the
//! handlers did not shape (extractor rejections); the traffic layer of `/api/` and `/oauth/token`
//! requests, matched or not (stats, latency, rate limit, injected failures); the auth layer
//! (token → [`Caller`]); the handlers, one module per resource, each owning its SQL.

mod action_pipeline;
mod auth;
mod caller;
mod clients;
mod connections;
mod emails;
mod faults;
mod logs;
mod rule_pipeline;
mod rules;
mod search;
mod store;
mod strategies;
mod users;
mod v2;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

// Re-exported for code written against it; siblings import `caller::Caller`, so that
// tests/architecture.rs sees the dependency.
pub(crate) use caller::Caller;
use store::Store;
pub use wire::{SELF_SIGNED_NAMES, Tls};

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// SQLite file; `None` keeps the tenant in memory.
    pub state: Option<PathBuf>,
    pub tenant: String,
    /// Credentials of the global client; generated (and kept in the state) when absent.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Delay added to every answer.
    pub latency: Duration,
    /// Share of API requests answered 503 (half before handling, half after the write).
    pub fail_rate: f64,
    /// Requests per second before 429.
    pub rate_limit: Option<u32>,
    /// Routes (`POST /api/connections`, as in the stats) that always answer 500.
    pub fail_routes: Vec<String>,
    /// Seed of the injected failures' random choices, for runs that repeat.
    pub seed: Option<u64>,
    /// How long a token lives.
    pub token_lifetime: Duration,
    /// Serve HTTPS instead of HTTP.
    pub tls: Option<Tls>,
    /// How long an action's draft takes to build (`pending` until then).
    pub action_build: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            state: None,
            tenant: "local".to_string(),
            client_id: None,
            client_secret: None,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            rate_limit: None,
            fail_routes: Vec::new(),
            seed: None,
            token_lifetime: Duration::from_secs(24 * 3600),
            tls: None,
            action_build: Duration::ZERO,
        }
    }
}

/// A running emulator.
pub struct Handle {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, or `https://…` with TLS.
    pub base_url: String,
    /// Where a generated (self-signed) certificate's PEM was written.
    pub tls_cert_file: Option<PathBuf>,
    pub global_client_id: String,
    pub global_client_secret: String,
    /// Whether this start created the global client (first start without credentials).
    pub created_global_client: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    /// Resolves when the shared state (and with it the store and its lock) is dropped.
    closed: Option<oneshot::Receiver<()>>,
}

impl Handle {
    /// Stop accepting, finish in-flight requests, and wait until the store is closed, so that
    /// the state file is free for another emulator when this returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(closed) = self.closed.take() {
            // The last clones of the router go with the connections' tasks, just after them.
            let _ = tokio::time::timeout(Duration::from_secs(10), closed).await;
        }
    }
}

/// Shared by every handler.
pub(crate) struct App {
    pub store: Store,
    /// Whether it serves HTTPS (for the absolute URLs of links and tickets).
    pub https: bool,
    pub tenant: String,
    pub global_client_id: String,
    pub config: Config,
    pub tokens: Mutex<HashMap<String, auth::TokenInfo>>,
    pub stats: Stats,
    /// How many failed token requests get a log entry.
    pub failed_logins: logs::Throttle,
    pub faults: faults::Faults,
    /// Dropped with the state: tells [`Handle::shutdown`] the store is closed.
    _closed: oneshot::Sender<()>,
}

pub(crate) type AppState = Arc<App>;

#[derive(Default)]
pub(crate) struct Stats {
    total: AtomicU64,
    by_route: Mutex<BTreeMap<String, u64>>,
    by_status: Mutex<BTreeMap<u16, u64>>,
    /// Error answers by their `error` code (`rule_conflict`, …).
    by_error: Mutex<BTreeMap<&'static str, u64>>,
}

/// The longest token lifetime accepted: ten years (and no overflow of an expiry time).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Start an emulator on `config.listen`; returns once it accepts connections.
pub async fn serve(config: Config) -> anyhow::Result<Handle> {
    if config.token_lifetime.is_zero() || config.token_lifetime > MAX_TOKEN_LIFETIME {
        anyhow::bail!(
            "the token lifetime (--token-lifetime) must be from 1 to {} seconds (ten years), not {}",
            MAX_TOKEN_LIFETIME.as_secs(),
            config.token_lifetime.as_secs()
        );
    }
    // Certificates first: a file that cannot be read is a usage error, before anything is opened.
    let tls = match &config.tls {
        Some(tls) => Some(wire::acceptor(tls, config.state.as_deref())?),
        None => None,
    };
    let store = match &config.state {
        Some(path) => Store::open(Some(path))
            .with_context(|| format!("cannot open the state file {}", path.display()))?,
        None => Store::open(None).context("cannot create the in-memory store")?,
    };
    let (global, created) = clients::ensure_global(
        &store,
        &config.tenant,
        config.client_id.as_deref(),
        config.client_secret.as_deref(),
    )?;
    let (closed_tx, closed) = oneshot::channel::<()>();
    let app = Arc::new(App {
        _closed: closed_tx,
        https: tls.is_some(),
        store,
        tenant: config.tenant.clone(),
        global_client_id: global.0.clone(),
        config: config.clone(),
        tokens: Mutex::new(HashMap::new()),
        stats: Stats::default(),
        failed_logins: logs::Throttle::default(),
        faults: faults::Faults::new(&config),
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (tls, tls_cert_file) = match tls {
        Some((acceptor, written)) => (Some(acceptor), written),
        None => (None, None),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = wire::Wire { listener, tls };
    // Bound to every interface: clients reach it on loopback.
    let reachable = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let service = NormalizePathLayer::trim_trailing_slash().layer(router(app));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let make =
            axum::ServiceExt::<Request>::into_make_service_with_connect_info::<wire::Peer>(service);
        let server = axum::serve(listener, make).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::error!("emulator stopped: {e}");
        }
    });
    Ok(Handle {
        addr,
        base_url: format!("{scheme}://{reachable}"),
        tls_cert_file,
        global_client_id: global.0,
        global_client_secret: global.1,
        created_global_client: created,
        shutdown: Some(tx),
        task,
        closed: Some(closed),
    })
}

/// The routes that need a token: the API and the emulator's own routes.
fn authed_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    let mut routes = v1_routes();
    routes.extend(v2::routes());
    routes
}

/// v1's routes and the emulator's own.
fn v1_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    use axum::routing::{delete, put};
    vec![
        ("/api/users", get(users::list).post(users::create)),
        ("/api/users/{id}", get(users::get_one).delete(users::delete)),
        ("/api/users/{id}/devices", get(users::devices)),
        (
            "/api/users/{id}/send_verification_email",
            post(users::send_verification_email),
        ),
        (
            "/api/users/{id}/change_password_ticket",
            post(users::change_password_ticket),
        ),
        (
            "/api/users/{id}/verification_ticket",
            post(users::verification_ticket),
        ),
        (
            "/api/users/{id}/publickey",
            post(users::add_public_key).delete(users::revoke_public_key),
        ),
        ("/api/users/{id}/email", put(users::set_email)),
        (
            "/api/users/{id}/metadata",
            get(users::get_metadata)
                .put(users::replace_metadata)
                .patch(users::merge_metadata),
        ),
        ("/api/users/{id}/password", put(users::set_password)),
        (
            "/api/users/{id}/refresh_tokens/{token}",
            delete(users::revoke_refresh_token),
        ),
        ("/api/users/{id}/logs", get(users::logs)),
        (
            "/api/connections",
            get(connections::list).post(connections::create),
        ),
        (
            "/api/connections/{name}",
            get(connections::get_one)
                .put(connections::update)
                .delete(connections::delete),
        ),
        ("/api/connections/{name}/users", get(users::of_connection)),
        (
            "/api/enterpriseconnections/users",
            get(users::of_enterprise),
        ),
        ("/api/socialconnections/users", get(users::of_social)),
        ("/api/strategies", get(strategies::list)),
        ("/api/clients", get(clients::list).post(clients::create)),
        (
            "/api/clients/{id}",
            get(clients::get_one)
                .patch(clients::update)
                .put(clients::update)
                .delete(clients::delete),
        ),
        ("/api/clients/{id}/users", get(users::of_client)),
        ("/api/rules", get(rules::list).post(rules::create)),
        (
            "/api/rules/{name}",
            get(rules::get_one).put(rules::update).delete(rules::delete),
        ),
        ("/api/emails", post(emails::create)),
        (
            "/api/emails/{template}",
            get(emails::get_one).put(emails::update),
        ),
        ("/api/logs", get(logs::list)),
        ("/api/logs/{id}", get(logs::get_one)),
        ("/__emulator/stats", get(stats)),
        (
            "/__emulator/faults",
            get(faults::get_faults).put(faults::set_faults),
        ),
        ("/__emulator/users", post(users::seed)),
        ("/__emulator/logins", post(users::record_login)),
        ("/__emulator/tokens/introspect", post(auth::introspect)),
        (
            "/__emulator/users/{id}/refresh_tokens",
            post(users::seed_refresh_token),
        ),
        (
            "/__emulator/clients/{id}/scopes",
            get(auth::get_scopes).put(auth::set_scopes),
        ),
        (
            "/__emulator/actions/builds",
            axum::routing::put(v2::actions::set_builds),
        ),
        (
            "/__emulator/log-streams/{id}/suspend",
            post(v2::log_streams::suspend),
        ),
    ]
}

/// The routes that take no token: the token endpoint and the ticket links.
fn open_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/oauth/token", post(auth::token)),
        ("/lo/reset", get(users::redeem_reset_ticket)),
        ("/lo/verify_email", get(users::redeem_verification_ticket)),
    ]
}

/// The path template of every route the emulator serves (`/api/rules/{name}`, …), for tests that
/// must visit them all.
pub fn route_paths() -> Vec<&'static str> {
    authed_routes()
        .into_iter()
        .chain(open_routes())
        .map(|(path, _)| path)
        .collect()
}

fn router(app: AppState) -> Router {
    let authed = authed_routes()
        .into_iter()
        .fold(Router::new(), |r, (path, route)| r.route(path, route))
        .route_layer(middleware::from_fn_with_state(app.clone(), auth::require));
    open_routes()
        .into_iter()
        .fold(authed, |r, (path, route)| r.route(path, route))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // A `layer`, not a `route_layer`: requests to unknown `/api/` paths (404) and unknown
        // methods (405) are API traffic too (counted, limited, failed and delayed).
        .layer(middleware::from_fn_with_state(app.clone(), traffic))
        .layer(middleware::from_fn(json_errors))
        // Outermost: v2's error shape and rate-limit headers on every `/api/v2` answer.
        .layer(middleware::from_fn_with_state(app.clone(), v2::shape))
        .with_state(app)
}

/// The v1 error body: `{"error": "<code>", "error_description": "<message>"}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            description: description.into(),
        }
    }
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", description)
    }
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }
    /// A duplicate name or template: 400 as v1 answered every failed write (its client
    /// libraries treat only a 400 as a failed create or update); the code tells it apart.
    pub fn conflict(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "conflict", description)
    }
    pub fn unauthorized(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, description)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!("store error: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the store failed",
        )
    }
}

/// The `error` code of an error answer, for the stats.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.code,
            "error_description": self.description,
            "detail": self.description,
        });
        let mut response = (self.status, json_headers(), body.to_string()).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

fn json_headers() -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    )]
}

/// 200 with a JSON body.
pub(crate) fn ok_json(value: &Value) -> Response {
    (StatusCode::OK, json_headers(), value.to_string()).into_response()
}

/// 200 with the plain-text `OK` of v1's deletes and writes.
pub(crate) fn ok_text() -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "OK",
    )
        .into_response()
}

/// How deep a request body's JSON may nest: the body object is level 1. Auth0 bounds the depth
/// of metadata and connection options; past this, JSON libraries of clients (serde_json stops at
/// 128) could no longer read back what was stored.
pub const MAX_JSON_DEPTH: usize = 32;

/// Whether JSON text nests arrays and objects deeper than `max` (strings are skipped, so
/// brackets inside them do not count). Runs before parsing, in constant stack.
pub(crate) fn nests_deeper_than(text: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A request body as a JSON object (an empty body is `{}`); content type is not trusted, as
/// historical clients did not always send one. Bodies nested deeper than [`MAX_JSON_DEPTH`] are
/// refused.
pub(crate) fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    if nests_deeper_than(body, MAX_JSON_DEPTH) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the body nests deeper than {MAX_JSON_DEPTH} levels"),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

/// Query parameters (last one wins).
pub(crate) fn params(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// A boolean query flag: `true`/`1`.
pub(crate) fn flag(params: &HashMap<String, String>, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| matches!(v.as_str(), "true" | "1"))
}

/// An optional string field of a body; 400 when present with another type.
pub(crate) fn opt_str(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a string"))),
    }
}

/// The longest name of a rule, connection or client, in characters. Rules and connections are
/// addressed by name in the URL: a longer name could be created but never read, updated or
/// deleted once its encoded path passed the 65,534 bytes HTTP servers accept.
pub const MAX_NAME_CHARS: usize = 255;

/// 400 for a name over [`MAX_NAME_CHARS`].
pub(crate) fn check_name_length(kind: &str, name: &str) -> Result<(), ApiError> {
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "a {kind} name is at most {MAX_NAME_CHARS} characters, not {chars}"
        )));
    }
    Ok(())
}

/// An optional boolean field of a body; accepts `"true"`/`"false"` as old form clients sent.
pub(crate) fn opt_bool(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(ApiError::bad_request(format!("`{key}` must be a boolean"))),
    }
}

/// Now as an RFC 3339 timestamp with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A random string of `n` characters from `[A-Za-z0-9]`.
pub(crate) fn random_id(n: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// The request's absolute base URL, from its Host header.
pub(crate) fn base_url(app: &App, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if app.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Every 4xx/5xx that the handlers did not shape themselves (axum's extractor rejections: a path
/// segment that is not UTF-8 once decoded, a body over the size limit) gets the v1 error body
/// too; other headers are kept.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        500..=599 => "internal_error",
        _ => "bad_request",
    };
    let description = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut out = ApiError::new(status, code, description).into_response();
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    out.headers_mut().extend(headers);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body is never read, so the connection cannot carry another request:
        // say so, or a client would reuse it and find it closed.
        out.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    out
}

/// Whether a (normalised) path is API traffic: `/api/…` or `/oauth/token`, matched or not.
fn is_api_traffic(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/oauth/token"
}

/// The traffic layer of API requests: stats, rate limit, injected failures and latency. The
/// emulator's own routes (`/__emulator/`, ticket links) pass through untouched.
async fn traffic(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !is_api_traffic(req.uri().path()) {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_string(), |m| m.as_str().to_string());
    let key = format!("{} {route}", req.method());
    app.stats.total.fetch_add(1, Ordering::Relaxed);
    *app.stats
        .by_route
        .lock()
        .expect("stats lock")
        .entry(key.clone())
        .or_default() += 1;
    let is_api = req.uri().path().starts_with("/api/");
    let faults = app.faults.current();
    let response = async {
        if let Some(limited) = app.faults.rate_limit(faults.rate_limit) {
            return limited;
        }
        let fate = if is_api {
            app.faults.fate(&faults, &key)
        } else {
            faults::Fate::Serve
        };
        let mut response = match fate {
            faults::Fate::Broken => faults::broken(&key),
            faults::Fate::FailBefore => faults::unavailable(),
            faults::Fate::FailAfter => {
                let _ = next.run(req).await;
                faults::unavailable()
            }
            faults::Fate::Serve => next.run(req).await,
        };
        // Every answer carries the limit's headers, injected failures included.
        if let Some(headers) = app.faults.rate_headers(faults.rate_limit) {
            response.headers_mut().extend(headers);
        }
        response
    }
    .await;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    *app.stats
        .by_status
        .lock()
        .expect("stats lock")
        .entry(response.status().as_u16())
        .or_default() += 1;
    if let Some(ErrorCode(code)) = response.extensions().get::<ErrorCode>() {
        *app.stats
            .by_error
            .lock()
            .expect("stats lock")
            .entry(code)
            .or_default() += 1;
    }
    response
}

/// `GET /__emulator/stats` (global token): API requests seen so far.
async fn stats(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_global()?;
    let by_route = app.stats.by_route.lock().expect("stats lock").clone();
    let by_status: BTreeMap<String, u64> = app
        .stats
        .by_status
        .lock()
        .expect("stats lock")
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let by_error = app.stats.by_error.lock().expect("stats lock").clone();
    Ok(ok_json(&json!({
        "total": app.stats.total.load(Ordering::Relaxed),
        "by_route": by_route,
        "by_status": by_status,
        "by_error": by_error,
        "unrecorded_failed_logins": app.failed_logins.unrecorded(),
    })))
}

async fn not_found(req: Request) -> Response {
    ApiError::not_found(format!(
        "no such endpoint: {} {}",
        req.method(),
        req.uri().path()
    ))
    .into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
    .into_response()
}

/// Run the emulator until SIGINT/SIGTERM: the `a0ctl emulator` command.
pub async fn run_until_signal(config: Config) -> anyhow::Result<()> {
    // Listen for the signals before announcing readiness: a supervisor may send SIGTERM as soon
    // as it reads `listening on`, and an uninstalled handler means death by the signal's default
    // action instead of a clean exit.
    let signals = ShutdownSignals::install();
    let handle = serve(config.clone()).await?;
    let cacert = match &handle.tls_cert_file {
        Some(path) => {
            say(format_args!(
                "TLS certificate (self-signed for {}): {}\n  a0ctl trusts it with SSL_CERT_FILE={}",
                SELF_SIGNED_NAMES.join(", "),
                path.display(),
                path.display()
            ));
            format!(" --cacert '{}'", path.display())
        }
        None => String::new(),
    };
    if handle.created_global_client || config.client_id.is_none() {
        say(format_args!(
            "global client: {} (secret kept in {})",
            handle.global_client_id,
            config
                .state
                .as_ref()
                .map_or_else(|| "memory".to_string(), |p| p.display().to_string())
        ));
        say(format_args!(
            "get a token:\n  curl -s{cacert} -X POST {}/oauth/token -H 'content-type: application/json' \\\n    -d '{{\"client_id\":\"{}\",\"client_secret\":\"{}\",\"grant_type\":\"client_credentials\"}}'",
            handle.base_url, handle.global_client_id, handle.global_client_secret
        ));
    }
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", handle.base_url).and_then(|()| out.flush());
    }
    signals.recv().await;
    say(format_args!("shutting down"));
    handle.shutdown().await;
    Ok(())
}

/// A line on stderr; a closed stderr is not a reason to stop serving.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// SIGINT and SIGTERM, caught from the moment [`ShutdownSignals::install`] returns.
struct ShutdownSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    #[cfg(unix)]
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        ShutdownSignals {
            term: signal(SignalKind::terminate()).ok(),
            interrupt: signal(SignalKind::interrupt()).ok(),
        }
    }

    #[cfg(not(unix))]
    fn install() -> Self {
        ShutdownSignals {}
    }

    /// Wait for the first of them.
    #[cfg(unix)]
    async fn recv(self) {
        async fn next(signal: Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            _ = next(self.term) => {},
            _ = next(self.interrupt) => {},
        }
    }

    /// Wait for Ctrl-C.
    #[cfg(not(unix))]
    async fn recv(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
