//! Email templates: the stored object `{template, disabled, from, subject, body, resultUrl,
//! syntax, urlLifetimeInSeconds}` for the four v1 templates. Unset fields take defaults
//! (`disabled: false`, empty strings, `syntax: "liquid"`, five days of link lifetime). POST of an
//! existing template is 400 `conflict`; GET or PUT of one never created is 404; v1 has no DELETE.

use axum::body::Bytes;
use axum::extract::{Path, State};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::{ApiError, ApiResult, AppState, json_body, ok_json, opt_bool, opt_str};

const TEMPLATES: [&str; 4] = [
    "verify_email",
    "welcome_email",
    "reset_email",
    "blocked_account",
];
const DEFAULT_LIFETIME: u64 = 432_000;

fn check_template(name: &str) -> Result<(), ApiError> {
    if TEMPLATES.contains(&name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a template; use one of {}",
            TEMPLATES.join(", ")
        )))
    }
}

fn defaults(template: &str) -> Map<String, Value> {
    let v = json!({
        "template": template,
        "disabled": false,
        "from": "",
        "subject": "",
        "body": "",
        "resultUrl": "",
        "syntax": "liquid",
        "urlLifetimeInSeconds": DEFAULT_LIFETIME,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Apply the writable fields of a request body to a stored template.
fn merge(stored: &mut Map<String, Value>, body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(d) = opt_bool(body, "disabled")? {
        stored.insert("disabled".into(), json!(d));
    }
    for key in ["from", "subject", "body", "resultUrl"] {
        if let Some(s) = opt_str(body, key)? {
            stored.insert(key.into(), json!(s));
        }
    }
    if let Some(s) = opt_str(body, "syntax")? {
        if !matches!(s.as_str(), "liquid" | "md_with_macros") {
            return Err(ApiError::bad_request(
                "`syntax` must be `liquid` or `md_with_macros`",
            ));
        }
        stored.insert("syntax".into(), json!(s));
    }
    let invalid = || ApiError::bad_request("`urlLifetimeInSeconds` must be a non-negative integer");
    let lifetime = match body.get("urlLifetimeInSeconds") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().parse::<u64>().map_err(|_| invalid())?),
        Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(invalid)?),
        Some(_) => return Err(invalid()),
    };
    if let Some(l) = lifetime {
        stored.insert("urlLifetimeInSeconds".into(), json!(l));
    }
    Ok(())
}

/// What v1 shows of a stored template: its own keys (v2 may have stored more).
fn v1_view(mut stored: Map<String, Value>) -> Value {
    stored.retain(|k, _| defaults("").contains_key(k));
    Value::Object(stored)
}

fn load(app: &AppState, template: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    let data: Option<String> = app.store.read(|c| {
        c.query_row(
            "SELECT data FROM emails WHERE template = ?1",
            [template],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(data.and_then(|d| match serde_json::from_str(&d) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }))
}

/// `GET /api/emails/{template}`.
pub(crate) async fn get_one(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult {
    check_template(&name)?;
    match load(&app, &name)? {
        Some(t) => Ok(ok_json(&v1_view(t))),
        None => Err(ApiError::not_found(format!(
            "email template `{name}` has not been created"
        ))),
    }
}

/// `POST /api/emails`.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let name = opt_str(&body, "template")?
        .ok_or_else(|| ApiError::bad_request("`template` is required"))?;
    check_template(&name)?;
    let mut stored = defaults(&name);
    merge(&mut stored, &body)?;
    let data = Value::Object(stored.clone()).to_string();
    app.store.write(|tx| {
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO emails (template, data) VALUES (?1, ?2)",
            [&name, &data],
        )?;
        if inserted == 0 {
            return Err(ApiError::conflict(format!(
                "email template `{name}` already exists; update it with PUT"
            )));
        }
        Ok(())
    })?;
    Ok(ok_json(&v1_view(stored)))
}

/// `PUT /api/emails/{template}`: merge the given fields.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    check_template(&name)?;
    let body = json_body(&body)?;
    let stored = app.store.write(|tx| {
        let data: Option<String> = tx
            .query_row(
                "SELECT data FROM emails WHERE template = ?1",
                [&name],
                |r| r.get(0),
            )
            .optional()?;
        let Some(data) = data else {
            return Err(ApiError::not_found(format!(
                "email template `{name}` has not been created; create it with POST"
            )));
        };
        let mut stored = match serde_json::from_str(&data) {
            Ok(Value::Object(m)) => m,
            _ => defaults(&name),
        };
        merge(&mut stored, &body)?;
        tx.execute(
            "UPDATE emails SET data = ?2 WHERE template = ?1",
            [&name, &Value::Object(stored.clone()).to_string()],
        )?;
        Ok(stored)
    })?;
    Ok(ok_json(&v1_view(stored)))
}
