//! `api`: the tenant's HTTP client (reqwest with rustls, on tokio). Chooses the target (a domain,
//! or the embedded emulator), gets a token, and sends calls with the reliability a reconciler
//! needs unattended: request timeouts; 429s wait as `Retry-After` / `X-RateLimit-Reset` say;
//! 5xx, timeouts and connection errors of idempotent calls retry with capped exponential backoff
//! and jitter (backon); a client-side limiter (governor) paces requests at `--max-rps` and at the
//! limit the server announces in `X-RateLimit-Limit`, and holds back when `-Remaining` reaches 0.
//! Tokens are never printed or logged.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use a0ctl_core::diag::hinted;

/// How a0ctl authenticates.
#[derive(Clone)]
pub enum Auth {
    /// A token given directly (`--token` / `AUTH0_TOKEN`).
    Token(String),
    /// Client credentials exchanged at `POST /oauth/token`.
    ClientCredentials { client_id: String, secret: String },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
            Auth::ClientCredentials { client_id, .. } => {
                write!(
                    f,
                    "ClientCredentials {{ client_id: {client_id:?}, secret: <redacted> }}"
                )
            }
        }
    }
}

/// Knobs of the client.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time allowed for one request, connection included.
    pub timeout: Duration,
    /// Never send more than this many requests a second.
    pub max_rps: Option<u32>,
    /// Retries of a transient failure (5xx, timeout, connection error) of an idempotent call.
    /// 429s wait as the server says and do not count.
    pub retries: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(30),
            max_rps: None,
            retries: 7,
        }
    }
}

/// 429s in a row after which a call gives up.
const MAX_RATE_LIMITED: u32 = 60;
/// The largest answer read: past it the tenant is hostile or broken.
pub const MAX_BODY_BYTES: usize = 128 << 20;
/// The deepest JSON answer accepted (serde_json's own limit is 128; the API accepts deeper
/// objects than that, and a0ctl must read back whatever the API accepted).
pub const MAX_JSON_DEPTH: usize = 512;

/// The largest `SSL_CERT_FILE` read.
const MAX_CERT_FILE_BYTES: u64 = 16 << 20;

/// Certificates trusted besides the built-in roots: the PEM bundle named by `SSL_CERT_FILE`, as
/// OpenSSL-based tools read it (a company CA, or a local emulator's self-signed certificate).
fn extra_roots() -> a0ctl_core::error::Result<Vec<reqwest::Certificate>> {
    let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let path = std::path::PathBuf::from(path);
    let hint = "SSL_CERT_FILE names a PEM file of certificates to trust; unset it to use only the built-in roots";
    // A certificate bundle is kilobytes (the whole Mozilla store is about 250 KiB): only a
    // regular file, and at most 16 MiB of it (`/dev/zero` or a FIFO there is an error, not a
    // hang).
    let pem = a0ctl_core::fsutil::read_bounded(&path, MAX_CERT_FILE_BYTES).map_err(|e| {
        hinted(
            format!("cannot read SSL_CERT_FILE {}: {e}", path.display()),
            hint,
        )
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        hinted(
            format!("SSL_CERT_FILE {} is not a PEM bundle: {e}", path.display()),
            hint,
        )
    })?;
    if certs.is_empty() {
        return Err(hinted(
            format!("SSL_CERT_FILE {} holds no certificate", path.display()),
            hint,
        ));
    }
    Ok(certs)
}

/// Parse `--domain`: a bare host means `https://HOST`; a URL may carry a scheme and port; plain
/// `http` is refused for anything but a loopback address (before any connection is made).
pub fn parse_domain(domain: &str) -> a0ctl_core::error::Result<url::Url> {
    let domain = domain.trim();
    if domain.is_empty() {
        return Err(hinted(
            "the tenant domain is empty",
            "pass --domain YOUR_TENANT.auth0.com (or set AUTH0_DOMAIN), or use --local",
        ));
    }
    let text = if domain.contains("://") {
        domain.to_string()
    } else {
        format!("https://{domain}")
    };
    let url = url::Url::parse(&text).map_err(|e| {
        hinted(
            format!("`{domain}` is not a valid domain: {e}"),
            "pass a host such as example.auth0.com, or a URL such as http://127.0.0.1:8787",
        )
    })?;
    let host = url.host_str().unwrap_or_default().to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(hinted(
                format!(
                    "refusing plain http to `{host}`: tokens and secrets would cross the network unencrypted"
                ),
                "use https://, or http:// only for a loopback address such as 127.0.0.1",
            ));
        }
        other => {
            return Err(hinted(
                format!("unsupported scheme `{other}` in `{domain}`"),
                "use https:// (or http:// for a loopback address)",
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(hinted(
            format!(
                "`{}` carries a user name or password",
                url.host_str().unwrap_or(domain)
            ),
            "pass only the scheme, host and port; credentials go in --client-id/--client-secret or --token",
        ));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(hinted(
            format!("`{domain}` has a path or query; the tenant is a host"),
            "pass only the scheme, host and port",
        ));
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub use a0ctl_core::dialect::segment;
pub use a0ctl_core::error::call::{CallError, ErrorKind};

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The JSON body; `Value::Null` for v1's plain-text `OK`.
    pub body: Value,
}

/// The tenant client. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    dialect: Box<dyn a0ctl_core::dialect::Dialect>,
    /// The token's scopes, when the token says (v2); `None`: unknown or none (v1).
    scopes: RwLock<Option<std::collections::BTreeSet<String>>>,
    http: reqwest::Client,
    base: String,
    auth: Auth,
    token: RwLock<String>,
    settings: Settings,
    pace: Pace,
}

impl Api {
    /// Connect to `base`, which speaks `dialect`, and authenticate (for client credentials, one
    /// token request for the dialect's audience).
    pub async fn connect(
        base: &url::Url,
        auth: Auth,
        settings: Settings,
        dialect: Box<dyn a0ctl_core::dialect::Dialect>,
    ) -> a0ctl_core::error::Result<Api> {
        // Every credential is scrubbed from anything printed from here on (a tenant may echo a
        // request body or a header in an error).
        match &auth {
            Auth::Token(t) => a0ctl_core::secret::learn_value(t),
            Auth::ClientCredentials { secret, .. } => a0ctl_core::secret::learn_value(secret),
        }
        let http = reqwest::Client::builder()
            // An API answers; it does not send a0ctl elsewhere, with its credentials.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .timeout(settings.timeout)
            .user_agent(concat!("a0ctl/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(64);
        let http = extra_roots()?
            .into_iter()
            .fold(http, reqwest::ClientBuilder::add_root_certificate)
            .build()
            .map_err(|e| hinted(format!("cannot build the HTTP client: {e}"), ""))?;
        let (token, scopes) = match &auth {
            Auth::Token(t) => (t.clone(), jwt_scopes(t)),
            Auth::ClientCredentials { .. } => (String::new(), None),
        };
        let api = Api {
            inner: Arc::new(Inner {
                scopes: RwLock::new(scopes),
                dialect,
                http,
                base: base.as_str().trim_end_matches('/').to_string(),
                auth,
                token: RwLock::new(token),
                pace: Pace::new(settings.max_rps),
                settings,
            }),
        };
        if matches!(api.inner.auth, Auth::ClientCredentials { .. }) {
            api.refresh_token().await.map_err(|e| {
                let hint = match &e.kind {
                    ErrorKind::Status {
                        status: 401 | 403, ..
                    } => "check --client-id/--client-secret (AUTH0_CLIENT_ID/AUTH0_CLIENT_SECRET)"
                        .to_string(),
                    // v1 answers an unknown client id with 404.
                    ErrorKind::Status {
                        status: 404, code, ..
                    } if code == "invalid_client" => {
                        "check --client-id (AUTH0_CLIENT_ID): the tenant has no such client"
                            .to_string()
                    }
                    _ => e.hint().unwrap_or_default(),
                };
                hinted(format!("cannot get a token: {e}"), hint)
            })?;
        }
        Ok(api)
    }

    /// How this tenant's API addresses resources.
    pub fn dialect(&self) -> &dyn a0ctl_core::dialect::Dialect {
        self.inner.dialect.as_ref()
    }

    /// The scopes the token carries, when it says (a v2 token's `scope`); `None` when a0ctl
    /// cannot tell (an opaque token) or the API has none (v1).
    pub fn scopes(&self) -> Option<std::collections::BTreeSet<String>> {
        self.inner.scopes.read().expect("scopes lock").clone()
    }

    /// The client whose credentials get the token (none for a given token).
    pub fn client_id(&self) -> Option<&str> {
        match &self.inner.auth {
            Auth::ClientCredentials { client_id, .. } => Some(client_id),
            Auth::Token(_) => None,
        }
    }

    /// Retries allowed for a transient failure.
    pub fn retries(&self) -> usize {
        self.inner.settings.retries
    }

    async fn refresh_token(&self) -> Result<(), CallError> {
        let Auth::ClientCredentials { client_id, secret } = &self.inner.auth else {
            return Ok(());
        };
        let mut body = serde_json::json!({
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        });
        if let Some(audience) = self.inner.dialect.audience(&self.inner.base) {
            body["audience"] = Value::String(audience);
        }
        let answer = (|| self.paced(Method::POST, "/oauth/token", Some(&body), false))
            .retry(self.backoff())
            .when(CallError::is_transient)
            .notify(notify_retry)
            .await?;
        let token = answer
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| CallError {
                method: Method::POST,
                path: "/oauth/token".into(),
                kind: ErrorKind::Other("the answer carries no access_token".into()),
            })?;
        a0ctl_core::secret::learn_value(token);
        let scopes = answer
            .body
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .or_else(|| jwt_scopes(token));
        *self.inner.scopes.write().expect("scopes lock") = scopes;
        *self.inner.token.write().expect("token lock") = token.to_string();
        Ok(())
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            // Jitter adds up to as much again: waits of 100 ms to 5 s.
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(2500))
            .with_factor(2.0)
            .with_jitter()
            .with_jitter_seed(rand::random())
            .with_max_times(self.inner.settings.retries)
    }

    /// `GET` a JSON answer, retrying transient failures.
    pub async fn get(&self, path: &str) -> Result<Value, CallError> {
        self.send(Method::GET, path, None).await.map(|a| a.body)
    }

    /// Send an idempotent call (GET, PUT, PATCH, DELETE), retrying transient failures.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        (|| self.call_authed(method.clone(), path, body))
            .retry(self.backoff())
            .when(CallError::is_transient)
            .notify(notify_retry)
            .await
    }

    /// Send a call at most once as far as the server can tell (a POST). 429s are waited out as
    /// for every call (the server answers them before acting on the request); nothing else is
    /// sent again: a failure that leaves it unknown whether the server acted (a 5xx, a timeout,
    /// a connection broken after the request left, see [`CallError::is_ambiguous`]) is returned
    /// for the caller to check, and one that says the request never arrived (refused, no such
    /// host, TLS) is returned as it is.
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        (|| self.call_authed(method.clone(), path, body))
            .retry(self.backoff())
            .when(|e: &CallError| e.is_transient() && !e.is_ambiguous())
            .notify(notify_retry)
            .await
    }

    /// One call with the token; an expired token is renewed once when a0ctl holds credentials.
    async fn call_authed(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        match self.paced(method.clone(), path, body, true).await {
            Err(CallError {
                kind:
                    ErrorKind::Status {
                        status: 401, code, ..
                    },
                ..
            }) if code == "invalid_token"
                && matches!(self.inner.auth, Auth::ClientCredentials { .. }) =>
            {
                tracing::info!("token rejected; getting a new one");
                self.refresh_token().await?;
                self.paced(method, path, body, true).await
            }
            other => other,
        }
    }

    /// One call, waiting out 429s as the server asks (they do not count as failures: the
    /// request was not acted on), for at most `timeout × (retries + 1)` in all: a wait the
    /// server asks for past that fails at once.
    async fn paced(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authed: bool,
    ) -> Result<Answer, CallError> {
        let settings = &self.inner.settings;
        let budget = settings.timeout * (settings.retries as u32 + 1);
        let deadline = Instant::now() + budget;
        let mut limited = 0;
        loop {
            match self.exchange(method.clone(), path, body, authed).await {
                Err(e) if e.status() == Some(429) && limited < MAX_RATE_LIMITED => {
                    limited += 1;
                    let asked = match &e.kind {
                        ErrorKind::Status { retry_after, .. } => {
                            retry_after.unwrap_or(Duration::from_secs(1))
                        }
                        _ => Duration::from_secs(1),
                    };
                    let left = deadline.saturating_duration_since(Instant::now());
                    if asked > left {
                        return Err(CallError {
                            kind: ErrorKind::RateLimited { asked, left },
                            ..e
                        });
                    }
                    let wait = (asked + jitter(100)).min(left);
                    announce_rate_limit(wait);
                    tracing::info!("rate limited; waiting {} ms: {e}", wait.as_millis());
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// One HTTP exchange, paced by the limiter.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authed: bool,
    ) -> Result<Answer, CallError> {
        let fail = |kind| CallError {
            method: method.clone(),
            path: path.to_string(),
            kind,
        };
        if let Some(name) = dot_segment(path) {
            return Err(fail(ErrorKind::Unaddressable(format!(
                "a resource named `{name}` cannot be addressed: URLs collapse `.` and `..` segments"
            ))));
        }
        self.inner.pace.wait().await;
        let started = Instant::now();
        let response = self
            .send_request(&method, path, body, authed)
            .await
            .map_err(&fail)?;
        let status = response.status();
        self.inner.pace.observe(response.headers());
        let retry_after = retry_after(response.headers());
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        log_response_headers(&response, &content_type);
        let bytes = read_bounded(response)
            .await
            .map_err(|e| fail(self.body_error(e)))?;
        tracing::info!(
            "{method} {path} -> {} in {} ms",
            status.as_u16(),
            started.elapsed().as_millis()
        );
        self.answer(status, content_type, retry_after, &bytes)
            .map_err(fail)
    }

    /// Send the request, with the token when `authed` and the body as JSON; a failure to get
    /// an answer (a timeout, a refused connection, …) as the kind of error it is.
    async fn send_request(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        authed: bool,
    ) -> Result<reqwest::Response, ErrorKind> {
        let url = format!("{}{}", self.inner.base, path);
        let mut request = self.inner.http.request(method.clone(), &url);
        if authed {
            let token = self.inner.token.read().expect("token lock").clone();
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        tracing::debug!(
            "-> {method} {url} (body: {} bytes)",
            body.map_or(0, |b| b.to_string().len())
        );
        request.send().await.map_err(|e| {
            if e.is_timeout() {
                ErrorKind::Timeout(self.inner.settings.timeout)
            } else if e.is_connect() {
                connect_error(&e)
            } else {
                ErrorKind::Other(format!("request failed: {}", root_cause(&e)))
            }
        })
    }

    /// A failure to read the answer's body (too large, too slow, cut) as the kind of error it
    /// is.
    fn body_error(&self, e: BodyError) -> ErrorKind {
        match e {
            BodyError::TooLarge => ErrorKind::Other(format!(
                "the answer is larger than {} MiB: a0ctl stopped reading it",
                MAX_BODY_BYTES >> 20
            )),
            BodyError::Read(e) if e.is_timeout() => ErrorKind::Timeout(self.inner.settings.timeout),
            BodyError::Read(e) => {
                ErrorKind::Other(format!("reading the answer failed: {}", root_cause(&e)))
            }
        }
    }

    /// The answer read: a success's JSON body (or v1's plain-text `OK`), or the error it is.
    fn answer(
        &self,
        status: StatusCode,
        content_type: String,
        retry_after: Option<Duration>,
        bytes: &[u8],
    ) -> Result<Answer, ErrorKind> {
        let json: Option<Value> = parse_json(bytes).ok();
        if !status.is_success() {
            return Err(self.error_answer(status, content_type, retry_after, json.as_ref(), bytes));
        }
        match json {
            Some(body) => Ok(Answer {
                status: status.as_u16(),
                body,
            }),
            // v1 answers several writes with a plain-text `OK`; v2's 204s have no body.
            None if bytes.is_empty() || (!content_type.contains("json") && bytes.len() <= 16) => {
                Ok(Answer {
                    status: status.as_u16(),
                    body: Value::Null,
                })
            }
            None => Err(ErrorKind::NotJson {
                status: status.as_u16(),
                content_type,
            }),
        }
    }

    /// An error answer as the error it is: its status with the dialect's error code (else the
    /// status's reason) and description, and a 429's `Retry-After`; an error answer that is
    /// neither JSON nor empty is `NotJson`.
    fn error_answer(
        &self,
        status: StatusCode,
        content_type: String,
        retry_after: Option<Duration>,
        json: Option<&Value>,
        bytes: &[u8],
    ) -> ErrorKind {
        let (code, description) = match json {
            Some(v) => (
                self.inner.dialect.error_code(v).unwrap_or_default(),
                v.get("error_description")
                    .or_else(|| v.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            None if content_type.contains("json") || bytes.is_empty() => {
                (String::new(), String::new())
            }
            None => {
                return ErrorKind::NotJson {
                    status: status.as_u16(),
                    content_type,
                };
            }
        };
        let code = if code.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_lowercase()
                .replace(' ', "_")
        } else {
            code
        };
        ErrorKind::Status {
            status: status.as_u16(),
            code,
            description,
            retry_after: (status == StatusCode::TOO_MANY_REQUESTS)
                .then_some(retry_after)
                .flatten(),
        }
    }
}

/// The answer's status and headers (content type and length, rate limit, `Retry-After`), at
/// debug level.
fn log_response_headers(response: &reqwest::Response, content_type: &str) {
    let status = response.status();
    tracing::debug!(
        "<- {} {}; content-type: {content_type:?}; content-length: {:?}; x-ratelimit-limit/remaining/reset: {:?}/{:?}/{:?}; retry-after: {:?}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default(),
        response.content_length(),
        header(response.headers(), "x-ratelimit-limit"),
        header(response.headers(), "x-ratelimit-remaining"),
        header(response.headers(), "x-ratelimit-reset"),
        header(response.headers(), "retry-after"),
    );
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// The answer's body, never more than [`MAX_BODY_BYTES`] (an endless answer is cut off).
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parse an answer as JSON, as deep as [`MAX_JSON_DEPTH`]: past serde_json's default limit the
/// parse runs on a thread with a stack sized for it.
pub fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            let depth = json_depth(bytes);
            if depth > MAX_JSON_DEPTH {
                return Err(format!(
                    "the answer nests {depth} levels deep, more than the {MAX_JSON_DEPTH} a0ctl reads"
                ));
            }
            std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(scope, || {
                        let mut de = serde_json::Deserializer::from_slice(bytes);
                        de.disable_recursion_limit();
                        let v = <Value as serde::Deserialize>::deserialize(&mut de)
                            .map_err(|e| e.to_string())?;
                        de.end().map_err(|e| e.to_string())?;
                        Ok(v)
                    })
                    .map_err(|e| e.to_string())?
                    .join()
                    .unwrap_or_else(|_| Err("the JSON parser failed".into()))
            })
        }
        Err(e) => Err(e.to_string()),
    }
}

/// How deeply arrays and objects nest in a JSON text (strings skipped).
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
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
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A `.` or `..` path segment (also percent-encoded), which any URL parser collapses.
fn dot_segment(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/').find_map(|s| {
        let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
        matches!(decoded.as_ref(), "." | "..").then(|| decoded.into_owned())
    })
}

/// Tell the person waiting, at most once a second, why nothing moves.
fn announce_rate_limit(wait: Duration) {
    static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = now_epoch() as u64;
    if wait >= Duration::from_millis(500) && LAST.swap(now, Ordering::Relaxed) != now {
        a0ctl_core::diag::say(format_args!(
            "rate limited by the tenant; waiting {} s",
            wait.as_secs_f64().ceil() as u64
        ));
    }
}

/// Sort a connection failure by whether retrying can help.
fn connect_error(e: &reqwest::Error) -> ErrorKind {
    let text = root_cause(e);
    let lower = text.to_lowercase();
    if lower.contains("refused") {
        ErrorKind::Unreachable("connection refused".to_string())
    } else if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") {
        ErrorKind::Unreachable(format!("the name does not resolve ({text})"))
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("corrupt message")
    {
        ErrorKind::Tls(text)
    } else {
        ErrorKind::Connect(text)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn notify_retry(e: &CallError, wait: Duration) {
    tracing::info!("retrying in {} ms after: {e}", wait.as_millis());
}

fn jitter(max_ms: u64) -> Duration {
    Duration::from_millis(rand::random::<u64>() % max_ms.max(1))
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// How long a 429 asks to wait: until `X-RateLimit-Reset` (Unix seconds, the more precise), else
/// `Retry-After` (seconds).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    if let Some(reset) = number("x-ratelimit-reset") {
        return Some(Duration::from_secs_f64(
            (reset - now_epoch()).clamp(0.0, 3600.0),
        ));
    }
    number("retry-after").map(|secs| Duration::from_secs_f64(secs.clamp(0.0, 3600.0)))
}

/// The client-side limiter: paces at `min(--max-rps, X-RateLimit-Limit)` and pauses until the
/// window resets when the server says none remain.
struct Pace {
    max_rps: Option<u32>,
    current: AtomicU32,
    limiter: Mutex<Option<Arc<DefaultDirectRateLimiter>>>,
    pause_until: Mutex<Option<Instant>>,
}

impl Pace {
    fn new(max_rps: Option<u32>) -> Pace {
        let pace = Pace {
            max_rps,
            current: AtomicU32::new(0),
            limiter: Mutex::new(None),
            pause_until: Mutex::new(None),
        };
        if let Some(rps) = max_rps {
            pace.set_rate(rps);
        }
        pace
    }

    fn set_rate(&self, rps: u32) {
        let Some(rate) = NonZeroU32::new(rps) else {
            return;
        };
        if self.current.swap(rps, Ordering::Relaxed) == rps {
            return;
        }
        // A small burst keeps requests spread over the server's one-second windows.
        let burst = NonZeroU32::new((rps / 10).max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
        *self.limiter.lock().expect("limiter lock") = Some(Arc::new(limiter));
        tracing::debug!("pacing at {rps} requests per second");
    }

    async fn wait(&self) {
        let pause = *self.pause_until.lock().expect("pause lock");
        if let Some(until) = pause
            && until > Instant::now()
        {
            tokio::time::sleep_until(until.into()).await;
        }
        let limiter = self.limiter.lock().expect("limiter lock").clone();
        if let Some(l) = limiter {
            l.until_ready().await;
        }
    }

    fn observe(&self, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        if let Some(limit) = number("x-ratelimit-limit").filter(|l| *l >= 1.0) {
            let limit = limit as u32;
            let rate = self.max_rps.map_or(limit, |m| m.min(limit));
            self.set_rate(rate);
        }
        if number("x-ratelimit-remaining") == Some(0.0)
            && let Some(reset) = number("x-ratelimit-reset")
        {
            let wait = (reset - now_epoch()).clamp(0.0, 60.0);
            let until = Instant::now() + Duration::from_secs_f64(wait);
            let mut pause = self.pause_until.lock().expect("pause lock");
            if pause.is_none_or(|p| p < until) {
                *pause = Some(until);
            }
        }
    }
}

/// Percent-encode one path segment (names may hold spaces, `/`, `|`, …).
/// The scopes a JWT access token carries (`scope`, space-separated, or `permissions`); `None`
/// for a token that is not a JWT a0ctl can read. Only read to tell the user early what the
/// tenant would refuse: the tenant checks the signature and the scopes again.
fn jwt_scopes(token: &str) -> Option<std::collections::BTreeSet<String>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match (claims.get("scope"), claims.get("permissions")) {
        (Some(Value::String(s)), _) => Some(s.split_whitespace().map(str::to_string).collect()),
        (_, Some(Value::Array(p))) => Some(
            p.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(
            parse_domain("example.auth0.com").unwrap().as_str(),
            "https://example.auth0.com/"
        );
        assert_eq!(
            parse_domain("http://127.0.0.1:8787").unwrap().as_str(),
            "http://127.0.0.1:8787/"
        );
        assert!(parse_domain("http://localhost:1").is_ok());
        assert!(parse_domain("http://[::1]:1").is_ok());
        for bad in [
            "",
            "http://example.com",
            "ftp://x",
            "https://x.com/api",
            "http://10.0.0.1",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
        let e = parse_domain("http://example.com").unwrap_err();
        assert!(e.to_string().contains("refusing plain http"));
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("add country"), "add%20country");
        assert_eq!(segment("auth0|abc"), "auth0%7Cabc");
        assert_eq!(segment("a/b"), "a%2Fb");
        assert_eq!(segment("ok-name_1.x"), "ok-name_1.x");
    }

    #[test]
    fn deep_answers_parse_up_to_the_limit() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_json(deep(126).as_bytes()).is_ok());
        assert!(parse_json(deep(MAX_JSON_DEPTH).as_bytes()).is_ok());
        let e = parse_json(deep(MAX_JSON_DEPTH + 1).as_bytes()).unwrap_err();
        assert!(e.contains("nests 513 levels"), "{e}");
        assert_eq!(json_depth(br#"{"a": "[[[[", "b": [{}]}"#), 3);
    }

    #[test]
    fn dot_segments_are_unaddressable() {
        assert_eq!(dot_segment("/api/rules/.."), Some("..".into()));
        assert_eq!(dot_segment("/api/rules/%2E%2e"), Some("..".into()));
        assert_eq!(dot_segment("/api/rules/.?x=1"), Some(".".into()));
        assert_eq!(dot_segment("/api/rules/a..b"), None);
        assert_eq!(dot_segment("/api/rules/..."), None);
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let a = Auth::ClientCredentials {
            client_id: "id".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Token("tok".into())).contains("tok\""));
    }

    #[test]
    fn conflicts_are_told_apart_by_code() {
        let error = |status: u16, code: &str| CallError {
            method: Method::POST,
            path: "/api/rules".into(),
            kind: ErrorKind::Status {
                status,
                code: code.into(),
                description: String::new(),
                retry_after: None,
            },
        };
        assert!(error(400, "conflict").is_conflict());
        assert!(error(400, "rule_conflict").is_conflict());
        assert!(error(409, "whatever").is_conflict());
        assert!(!error(400, "bad_request").is_conflict());
        assert!(!error(400, "invalid_body").is_conflict());
        assert!(!error(404, "conflict").is_conflict());
    }
}
