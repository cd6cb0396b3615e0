//! `/api/v2/emails/provider`: the tenant's one email provider, `{name, enabled,
//! default_from_address, settings}`; `credentials` are stored but never returned. A second POST
//! is 409; GET, PATCH and DELETE of none are 404.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value};

use super::{Ty, check_body, conflict, created, invalid_body, no_content};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json, params};

const NAMES: &[&str] = &[
    "mailgun",
    "mandrill",
    "sendgrid",
    "ses",
    "sparkpost",
    "smtp",
    "azure_cs",
    "ms365",
    "custom",
];
const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::OneOf(NAMES)),
    ("enabled", Ty::Bool),
    ("default_from_address", Ty::Str),
    ("credentials", Ty::Object),
    ("settings", Ty::Object),
];

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_email_provider",
        "There is no email provider",
    )
}

fn load(tx: &rusqlite::Connection) -> Result<Option<Map<String, Value>>, ApiError> {
    let data: Option<String> = tx
        .query_row("SELECT data FROM email_provider WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(data.map(|d| match serde_json::from_str(&d) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }))
}

fn save(tx: &rusqlite::Connection, stored: &Map<String, Value>) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO email_provider (id, data) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        [Value::Object(stored.clone()).to_string()],
    )?;
    Ok(())
}

/// What is shown: everything but `credentials`.
fn view(stored: &Map<String, Value>) -> Value {
    Value::Object(
        stored
            .iter()
            .filter(|(k, _)| k.as_str() != "credentials")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn set(stored: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (k, v) in body {
        if v.is_null() {
            stored.remove(k);
        } else {
            stored.insert(k.clone(), v.clone());
        }
    }
}

/// `GET /api/v2/emails/provider[?fields=&include_fields=]`.
pub(crate) async fn get_one(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:email_provider")?;
    let stored = app.store.read(|c| Ok(load(c)))??;
    let shown = view(&stored.ok_or_else(not_found)?);
    Ok(ok_json(&super::select_fields(shown, &params(&uri))))
}

/// `POST /api/v2/emails/provider {name, credentials, …}`: 201; 409 when one exists.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:email_provider")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, false)?;
    if !body.contains_key("name") || !body.contains_key("credentials") {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name, credentials'",
        ));
    }
    let stored = app.store.write(|tx| {
        if load(tx)?.is_some() {
            return Err(conflict("An email provider is already configured"));
        }
        let mut stored = Map::new();
        stored.insert("enabled".into(), Value::Bool(true));
        set(&mut stored, &body);
        save(tx, &stored)?;
        Ok(stored)
    })?;
    Ok(created(&view(&stored)))
}

/// `PATCH /api/v2/emails/provider`: sets the given fields; `null` removes one.
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("update:email_provider")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, true)?;
    if body.get("name").is_some_and(Value::is_null) {
        return Err(invalid_body(
            "Payload validation error: 'name' cannot be removed",
        ));
    }
    let stored = app.store.write(|tx| {
        let mut stored = load(tx)?.ok_or_else(not_found)?;
        set(&mut stored, &body);
        save(tx, &stored)?;
        Ok(stored)
    })?;
    Ok(ok_json(&view(&stored)))
}

/// `DELETE /api/v2/emails/provider`: 204.
pub(crate) async fn delete(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("delete:email_provider")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM email_provider WHERE id = 1", [])?))?;
    if deleted == 0 {
        return Err(not_found());
    }
    Ok(no_content())
}
