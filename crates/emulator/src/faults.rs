//! Faults and limits, changeable while the emulator runs (`GET`/`PUT /__emulator/faults`):
//! latency on every API answer; a share of API requests answered 503, half before they are
//! handled and half after their write committed (the answer lost); routes that always answer
//! 500; a fixed-window rate limit answering 429 with `Retry-After` and `X-RateLimit-*`; and how
//! many failed token requests a second get a log entry.
//! With a seed, the random choices repeat from run to run.

use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState, Config, json_body, ok_json};

/// The faults in force.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub latency: Duration,
    pub fail_rate: f64,
    pub rate_limit: Option<u32>,
    pub fail_routes: Vec<String>,
    /// Failed token requests recorded in the logs each second; the rest are only counted.
    pub failed_logins_per_second: u32,
}

pub(crate) struct Faults {
    settings: RwLock<Settings>,
    rng: Mutex<StdRng>,
    /// (second, requests counted in it)
    window: Mutex<(u64, u32)>,
}

/// What happens to one request.
pub(crate) enum Fate {
    Serve,
    FailBefore,
    FailAfter,
    Broken,
}

impl Faults {
    pub fn new(config: &Config) -> Faults {
        Faults {
            settings: RwLock::new(Settings {
                latency: config.latency,
                fail_rate: config.fail_rate,
                rate_limit: config.rate_limit,
                fail_routes: config.fail_routes.clone(),
                failed_logins_per_second: super::logs::FAILED_LOGINS_PER_SECOND,
            }),
            rng: Mutex::new(match config.seed {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => StdRng::from_os_rng(),
            }),
            window: Mutex::new((0, 0)),
        }
    }

    pub fn current(&self) -> Settings {
        self.settings.read().expect("faults lock").clone()
    }

    /// The fate of an API request to `route` (`METHOD /template`).
    pub fn fate(&self, settings: &Settings, route: &str) -> Fate {
        if settings.fail_routes.iter().any(|r| r == route) {
            return Fate::Broken;
        }
        if settings.fail_rate <= 0.0 {
            return Fate::Serve;
        }
        let mut rng = self.rng.lock().expect("rng lock");
        if rng.random::<f64>() >= settings.fail_rate {
            Fate::Serve
        } else if rng.random::<bool>() {
            Fate::FailBefore
        } else {
            Fate::FailAfter
        }
    }

    /// Fixed one-second windows: past `limit` requests in the current second, 429.
    pub fn rate_limit(&self, limit: Option<u32>) -> Option<Response> {
        let limit = limit?;
        let second = now_secs();
        let mut window = self.window.lock().expect("limiter lock");
        if window.0 != second {
            *window = (second, 0);
        }
        if window.1 >= limit {
            drop(window);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("global limit of {limit} requests per second exceeded"),
            )
            .into_response();
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(1u32));
            headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
            headers.insert("x-ratelimit-reset", HeaderValue::from(second + 1));
            return Some(response);
        }
        window.1 += 1;
        None
    }

    pub fn rate_headers(&self, limit: Option<u32>) -> Option<HeaderMap> {
        let limit = limit?;
        let window = *self.window.lock().expect("limiter lock");
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
        headers.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(limit.saturating_sub(window.1)),
        );
        headers.insert("x-ratelimit-reset", HeaderValue::from(window.0 + 1));
        Some(headers)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub(crate) fn unavailable() -> Response {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the service is temporarily unavailable (injected failure)",
    )
    .into_response()
}

pub(crate) fn broken(route: &str) -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        format!("{route} is broken (injected failure)"),
    )
    .into_response()
}

fn to_json(s: &Settings) -> Value {
    json!({
        "latency_ms": s.latency.as_millis() as u64,
        "fail_rate": s.fail_rate,
        "rate_limit": s.rate_limit,
        "fail_routes": s.fail_routes,
        "failed_logins_per_second": s.failed_logins_per_second,
    })
}

/// `GET /__emulator/faults`.
pub(crate) async fn get_faults(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_global()?;
    Ok(ok_json(&to_json(&app.faults.current())))
}

/// `PUT /__emulator/faults`: change the given settings (`rate_limit: null` removes the limit).
pub(crate) async fn set_faults(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let mut next = app.faults.current();
    for (key, value) in &body {
        match (key.as_str(), value) {
            ("latency_ms", Value::Number(n)) if n.as_u64().is_some() => {
                next.latency = Duration::from_millis(n.as_u64().unwrap_or(0));
            }
            ("fail_rate", Value::Number(n))
                if n.as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)) =>
            {
                next.fail_rate = n.as_f64().unwrap_or(0.0);
            }
            ("rate_limit", Value::Null) => next.rate_limit = None,
            ("rate_limit", Value::Number(n)) if n.as_u64().is_some_and(|r| r >= 1) => {
                next.rate_limit = n.as_u64().map(|r| r.min(u64::from(u32::MAX)) as u32);
            }
            ("failed_logins_per_second", Value::Number(n)) if n.as_u64().is_some() => {
                next.failed_logins_per_second =
                    n.as_u64().map_or(0, |r| r.min(u64::from(u32::MAX)) as u32);
            }
            ("fail_routes", Value::Array(items)) if items.iter().all(Value::is_string) => {
                next.fail_routes = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "`{key}`: expected latency_ms (integer), fail_rate (0..1), rate_limit (integer or null), fail_routes (strings) or failed_logins_per_second (integer)"
                )));
            }
        }
    }
    *app.faults.settings.write().expect("faults lock") = next.clone();
    Ok(ok_json(&to_json(&next)))
}
