//! `/api/v2/log-streams[/{id}]`: `{id, name, type, status, sink, filters?, isPriority?}`. A
//! sink takes its type's keys (400 otherwise, and without those the type requires on create);
//! its secrets (an authorization header, API keys, tokens, write keys, passwords, a Sumo source
//! address, custom header values) are kept but never returned. `PATCH` cannot change the type,
//! merges the sink key by key (`null` removes one), and sets `status` to `active` or `paused` only (`suspended` is
//! the service's: `POST /__emulator/log-streams/{id}/suspend` plays a failing destination).
//! Filters are kept sorted, each with `type: category`. An EventBridge stream is given its
//! partner event source, an Event Grid one its partner topic.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, created, invalid_body, objects};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json, random_id};

const KIND: &str = "log_stream";

const SHAPE: objects::Shape = objects::Shape {
    kind: KIND,
    shown,
    not_found,
};

const TYPES: &[&str] = &[
    "http",
    "eventbridge",
    "eventgrid",
    "datadog",
    "splunk",
    "sumo",
    "segment",
    "mixpanel",
];

const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("type", Ty::OneOf(TYPES)),
    ("status", Ty::OneOf(&["active", "paused"])),
    ("sink", Ty::Object),
    ("filters", Ty::Objects),
    ("isPriority", Ty::Bool),
    ("startFrom", Ty::Str),
];

/// The sink keys that are never returned.
const SECRET: &[&str] = &[
    "httpAuthorization",
    "datadogApiKey",
    "splunkToken",
    "sumoSourceAddress",
    "segmentWriteKey",
    "mixpanelServiceAccountPassword",
];

const CATEGORIES: &[&str] = &[
    "auth.ancillary.fail",
    "auth.ancillary.success",
    "auth.login.fail",
    "auth.login.notification",
    "auth.login.success",
    "auth.logout.fail",
    "auth.logout.success",
    "auth.signup.fail",
    "auth.signup.success",
    "auth.silent_auth.fail",
    "auth.silent_auth.success",
    "auth.token_exchange.fail",
    "auth.token_exchange.success",
    "management.fail",
    "management.success",
    "scim.event",
    "system.notification",
    "user.fail",
    "user.notification",
    "user.success",
    "other",
];

/// The keys each type's sink takes, and those it requires.
fn sink_keys(t: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match t {
        "http" => (
            &[
                "httpEndpoint",
                "httpContentType",
                "httpContentFormat",
                "httpAuthorization",
                "httpCustomHeaders",
            ],
            &["httpEndpoint"],
        ),
        "eventbridge" => (
            &["awsAccountId", "awsRegion"],
            &["awsAccountId", "awsRegion"],
        ),
        "eventgrid" => (
            &["azureSubscriptionId", "azureResourceGroup", "azureRegion"],
            &["azureSubscriptionId", "azureResourceGroup", "azureRegion"],
        ),
        "datadog" => (
            &["datadogRegion", "datadogApiKey"],
            &["datadogRegion", "datadogApiKey"],
        ),
        "splunk" => (
            &["splunkDomain", "splunkToken", "splunkPort", "splunkSecure"],
            &["splunkDomain", "splunkToken", "splunkPort", "splunkSecure"],
        ),
        "sumo" => (&["sumoSourceAddress"], &["sumoSourceAddress"]),
        "segment" => (&["segmentWriteKey"], &["segmentWriteKey"]),
        "mixpanel" => (
            &[
                "mixpanelRegion",
                "mixpanelProjectId",
                "mixpanelServiceAccountUsername",
                "mixpanelServiceAccountPassword",
            ],
            &[
                "mixpanelRegion",
                "mixpanelProjectId",
                "mixpanelServiceAccountUsername",
                "mixpanelServiceAccountPassword",
            ],
        ),
        _ => (&[], &[]),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_log_stream",
        format!("The log stream does not exist: {id}"),
    )
}

/// A stored stream as the API answers it: the sink's secrets left out.
fn shown(stored: &Value) -> Value {
    let mut v = stored.clone();
    if let Some(Value::Object(sink)) = v.get_mut("sink") {
        for k in SECRET {
            sink.remove(*k);
        }
        if let Some(Value::Array(headers)) = sink.get_mut("httpCustomHeaders") {
            for h in headers.iter_mut() {
                if let Value::Object(h) = h {
                    h.remove("value");
                }
            }
        }
    }
    v
}

/// 400 unless `sink` holds only `t`'s keys (and, when `complete`, those it requires).
fn check_sink(t: &str, sink: &Map<String, Value>, complete: bool) -> Result<(), ApiError> {
    let (keys, required) = sink_keys(t);
    if let Some(k) = sink.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(invalid_body(format!(
            "Payload validation error: 'Additional properties not allowed: sink.{k}' for a {t} stream"
        )));
    }
    if complete && let Some(k) = required.iter().find(|k| !sink.contains_key(**k)) {
        return Err(invalid_body(format!(
            "Payload validation error: 'Missing required property: sink.{k}'"
        )));
    }
    Ok(())
}

/// The filters as the service keeps them: each `{type: category, name}`, sorted.
fn filters(body: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    let Some(Value::Array(items)) = body.get("filters") else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for f in items {
        let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
        let t = f.get("type").and_then(Value::as_str).unwrap_or("category");
        if !CATEGORIES.contains(&name) || t != "category" {
            return Err(invalid_body(format!(
                "Payload validation error: {f} is not a filter (type category, name a category of events)"
            )));
        }
        out.push(json!({"type": "category", "name": name}));
    }
    out.sort_by_key(Value::to_string);
    out.dedup();
    Ok(Some(Value::Array(out)))
}

/// `GET /api/v2/log-streams`: a bare array.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:log_streams")?;
    SHAPE.list(&app)
}

/// `GET /api/v2/log-streams/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:log_streams")?;
    SHAPE.get(&app, &id)
}

/// `POST /api/v2/log-streams`: 201 with the stream.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:log_streams")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, false)?;
    let Some(t) = body.get("type").and_then(Value::as_str) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: type'",
        ));
    };
    let Some(Value::Object(sink)) = body.get("sink") else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: sink'",
        ));
    };
    check_sink(t, sink, true)?;
    let id = format!("lst_{}", random_id(16).to_lowercase());
    let mut stream = Map::new();
    stream.insert("id".into(), json!(id));
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{t}-{}", &id[4..10]), str::to_string);
    stream.insert("name".into(), json!(name));
    stream.insert("type".into(), json!(t));
    stream.insert(
        "status".into(),
        body.get("status").cloned().unwrap_or(json!("active")),
    );
    let mut sink = sink.clone();
    match t {
        "eventbridge" => {
            sink.insert(
                "awsPartnerEventSource".into(),
                json!(format!(
                    "aws.partner/auth0.com/emulator-{}/auth0.logs",
                    &id[4..]
                )),
            );
        }
        "eventgrid" => {
            sink.insert(
                "azurePartnerTopic".into(),
                json!(format!("auth0-logs-emulator-{}", &id[4..])),
            );
        }
        _ => {}
    }
    stream.insert("sink".into(), Value::Object(sink));
    if let Some(f) = filters(&body)? {
        stream.insert("filters".into(), f);
    }
    if let Some(p) = body.get("isPriority") {
        stream.insert("isPriority".into(), p.clone());
    }
    let stream = Value::Object(stream);
    app.store.write(|tx| objects::put(tx, KIND, &id, &stream))?;
    Ok(created(&shown(&stream)))
}

/// `PATCH /api/v2/log-streams/{id}`: 200 with the stream.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:log_streams")?;
    let body = json_body(&body)?;
    if body.contains_key("type") || body.contains_key("startFrom") {
        return Err(invalid_body(
            "Payload validation error: 'Additional properties not allowed: type'",
        ));
    }
    check_body(&body, FIELDS, false)?;
    let filters = filters(&body)?;
    let stream = SHAPE.change(&app, &id, |stream| {
        let t = stream
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        for (k, v) in &body {
            match (k.as_str(), v) {
                ("sink", Value::Object(changes)) => {
                    check_sink(&t, changes, false)?;
                    let sink = stream
                        .entry("sink")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(sink) = sink {
                        for (sk, sv) in changes {
                            if sv.is_null() {
                                sink.remove(sk);
                            } else {
                                sink.insert(sk.clone(), sv.clone());
                            }
                        }
                    }
                }
                ("filters", _) => {
                    if let Some(f) = &filters {
                        stream.insert("filters".into(), f.clone());
                    }
                }
                _ => {
                    stream.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    })?;
    Ok(ok_json(&shown(&stream)))
}

/// `DELETE /api/v2/log-streams/{id}`: 204.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:log_streams")?;
    SHAPE.delete(&app, &id)
}

/// `POST /__emulator/log-streams/{id}/suspend`: the stream's destination failed for good, so
/// the service suspended it (what only the service can do).
pub(crate) async fn suspend(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let stream = SHAPE.change(&app, &id, |stream| {
        stream.insert("status".into(), json!("suspended"));
        Ok(())
    })?;
    Ok(ok_json(&shown(&stream)))
}
