//! `/api/v2/email-templates/{templateName}`: the same stored templates as v1's `/api/emails`
//! (`enabled` is NOT v1's `disabled`). No list: a template never created is 404; `POST` creates
//! (409 when it exists), `PATCH` sets the given fields, `PUT` replaces the template (creating
//! it); a body's `template` must be the URL's.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, conflict, invalid_body};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json};

/// The spec's twelve names, and `async_approval`, which auth0-deploy-cli reads too.
pub(crate) const TEMPLATES: [&str; 13] = [
    "verify_email",
    "verify_email_by_code",
    "reset_email",
    "reset_email_by_code",
    "welcome_email",
    "blocked_account",
    "stolen_credentials",
    "enrollment_email",
    "mfa_oob_code",
    "user_invitation",
    "change_password",
    "password_reset",
    "async_approval",
];

const FIELDS: &[(&str, Ty)] = &[
    ("template", Ty::Str),
    ("body", Ty::Str),
    ("from", Ty::Str),
    ("resultUrl", Ty::Str),
    ("subject", Ty::Str),
    ("syntax", Ty::OneOf(&["liquid", "md_with_macros"])),
    ("urlLifetimeInSeconds", Ty::Int),
    ("includeEmailInRedirect", Ty::Bool),
    ("enabled", Ty::Bool),
];

fn check_name(name: &str) -> Result<(), ApiError> {
    if TEMPLATES.contains(&name) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_uri",
            format!(
                "Path validation error: 'templateName' must be one of {}, not '{name}'",
                TEMPLATES.join(", ")
            ),
        ))
    }
}

/// The v2 view of a stored template (v1's keys; `disabled` shown as `enabled`).
fn view(stored: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for key in [
        "template",
        "body",
        "from",
        "resultUrl",
        "subject",
        "syntax",
        "urlLifetimeInSeconds",
        "includeEmailInRedirect",
    ] {
        if let Some(v) = stored.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let disabled = stored
        .get("disabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    out.insert("enabled".into(), json!(!disabled));
    Value::Object(out)
}

/// Set the body's fields on a stored template (`null` resets a text field to empty).
fn apply(stored: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (key, value) in body {
        match (key.as_str(), value) {
            ("template", _) => {}
            ("enabled", Value::Bool(b)) => {
                stored.insert("disabled".into(), json!(!b));
            }
            ("enabled", _) => {
                stored.insert("disabled".into(), json!(false));
            }
            ("urlLifetimeInSeconds", Value::Null) => {
                stored.insert(key.clone(), json!(432_000));
            }
            ("syntax", Value::Null) => {
                stored.insert(key.clone(), json!("liquid"));
            }
            ("includeEmailInRedirect", Value::Null) => {
                stored.remove(key);
            }
            (_, Value::Null) => {
                stored.insert(key.clone(), json!(""));
            }
            _ => {
                stored.insert(key.clone(), value.clone());
            }
        }
    }
}

fn defaults(name: &str) -> Map<String, Value> {
    match json!({
        "template": name, "disabled": false, "from": "", "subject": "", "body": "",
        "resultUrl": "", "syntax": "liquid", "urlLifetimeInSeconds": 432_000,
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Check a body against the URL's template.
fn checked(
    body: &Bytes,
    url: Option<&str>,
    nullable: bool,
) -> Result<Map<String, Value>, ApiError> {
    let body = json_body(body)?;
    check_body(&body, FIELDS, nullable)?;
    if let (Some(url), Some(t)) = (url, body.get("template").and_then(Value::as_str))
        && t != url
    {
        return Err(invalid_body(format!(
            "Payload validation error: the body's template '{t}' is not the URL's '{url}'"
        )));
    }
    Ok(body)
}

fn load(tx: &rusqlite::Connection, name: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    let data: Option<String> = tx
        .query_row("SELECT data FROM emails WHERE template = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(data.map(|d| match serde_json::from_str(&d) {
        Ok(Value::Object(m)) => m,
        _ => defaults(name),
    }))
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_email_template",
        format!("The template does not exist: {name}"),
    )
}

fn save(
    tx: &rusqlite::Connection,
    name: &str,
    stored: &Map<String, Value>,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO emails (template, data) VALUES (?1, ?2)
         ON CONFLICT (template) DO UPDATE SET data = excluded.data",
        [name, &Value::Object(stored.clone()).to_string()],
    )?;
    Ok(())
}

/// `GET /api/v2/email-templates/{templateName}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    caller.require_scope("read:email_templates")?;
    check_name(&name)?;
    let stored = app.store.read(|c| Ok(load(c, &name)))??;
    Ok(ok_json(&view(&stored.ok_or_else(|| not_found(&name))?)))
}

/// `POST /api/v2/email-templates`: 200 with the template; 409 when it exists.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:email_templates")?;
    let body = checked(&body, None, false)?;
    let name = body
        .get("template")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            invalid_body("Payload validation error: 'Missing required property: template'")
        })?
        .to_string();
    check_name(&name)?;
    let stored = app.store.write(|tx| {
        if load(tx, &name)?.is_some() {
            return Err(conflict(format!("Template {name} already exists.")));
        }
        let mut stored = defaults(&name);
        apply(&mut stored, &body);
        save(tx, &name, &stored)?;
        Ok(stored)
    })?;
    Ok(ok_json(&view(&stored)))
}

/// `PATCH /api/v2/email-templates/{templateName}`: 404 for a template never created.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:email_templates")?;
    check_name(&name)?;
    let body = checked(&body, Some(&name), true)?;
    let stored = app.store.write(|tx| {
        let mut stored = load(tx, &name)?.ok_or_else(|| not_found(&name))?;
        apply(&mut stored, &body);
        save(tx, &name, &stored)?;
        Ok(stored)
    })?;
    Ok(ok_json(&view(&stored)))
}

/// `PUT /api/v2/email-templates/{templateName}`: replaces the template, creating it if needed.
pub(crate) async fn replace(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:email_templates")?;
    check_name(&name)?;
    let body = checked(&body, Some(&name), true)?;
    let stored = app.store.write(|tx| {
        let mut stored = defaults(&name);
        apply(&mut stored, &body);
        save(tx, &name, &stored)?;
        Ok(stored)
    })?;
    Ok(ok_json(&view(&stored)))
}
