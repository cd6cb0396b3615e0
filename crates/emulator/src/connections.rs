//! Connections: `{"id", "name", "strategy", "options", "status", "client_id",
//! "global_client_id"}`. v1 shows each connection from one client's point of view: `status` is
//! whether the connection is enabled for the viewing client, chosen with `?client=<clientID>`
//! (default: the token's client), and `PUT {options, status}` changes that client's status.
//! Names are unique (400 `conflict`); a non-global token sees `options` without secrets. DELETE
//! answers `{"removed": "<id>"}`; the connection's users go with it (the store's foreign keys
//! cascade).

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use rusqlite::OptionalExtension;
use serde_json::{Value, json};

use super::caller::Caller;
use super::store::is_unique_violation;
use super::strategies::{Category, category};
use super::{
    ApiError, ApiResult, App, AppState, check_name_length, flag, json_body, ok_json, opt_bool,
    opt_str, params, random_id,
};

struct Row {
    id: String,
    name: String,
    strategy: String,
    options: String,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        name: r.get(1)?,
        strategy: r.get(2)?,
        options: r.get(3)?,
    })
}

/// Whether an options key names a secret (`client_secret`, `api_key`, `password`, a private
/// key, a token, `DB_PASS`, `smtp_pass`, a DSN…). Broad on purpose: hiding a harmless value costs a non-global reader little.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "password",
        "passwd",
        "pass",
        "passphrase",
        "pwd",
        "key",
        "token",
        "cert",
        "pkcs7",
        "pem",
        "credential",
        "private",
        "dsn",
        "salt",
        "connection_string",
        "connectionstring",
        "authorization",
        "webhook",
        "database_url",
        "databaseurl",
        "mongo_uri",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// `options` without the values of secret keys, at any depth.
fn without_secrets(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !is_secret_key(k))
                .map(|(k, v)| (k, without_secrets(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_secrets).collect()),
        other => other,
    }
}

/// A connection as `viewer` sees it; `secrets` only for the global client's token.
fn to_json(row: Row, viewer: &str, enabled: bool, global: &str, secrets: bool) -> Value {
    let options = serde_json::from_str::<Value>(&row.options).unwrap_or_else(|_| json!({}));
    json!({
        "id": row.id,
        "name": row.name,
        "strategy": row.strategy,
        "options": if secrets { options } else { without_secrets(options) },
        "status": enabled,
        "client_id": viewer,
        "global_client_id": global,
    })
}

/// The client a request looks through: `?client=` or the caller's.
fn viewer(app: &AppState, caller: &Caller, uri: &Uri) -> Result<String, ApiError> {
    match params(uri).remove("client").filter(|c| !c.is_empty()) {
        None => Ok(caller.client_id.clone()),
        Some(id) => {
            if super::clients::name_of(&app.store, &id)?.is_some() {
                Ok(id)
            } else {
                Err(ApiError::bad_request(format!(
                    "client `{id}` does not exist"
                )))
            }
        }
    }
}

fn enabled_for(app: &AppState, client: &str) -> Result<HashSet<String>, ApiError> {
    app.store.read(|c| {
        let mut stmt =
            c.prepare_cached("SELECT connection_id FROM connection_clients WHERE client_id = ?1")?;
        let rows = stmt.query_map([client], |r| r.get::<_, String>(0))?;
        rows.collect()
    })
}

/// Every connection's strategy, by connection name.
pub(crate) fn strategies_by_name(app: &App) -> Result<HashMap<String, String>, ApiError> {
    app.store.read(|c| {
        let mut stmt = c.prepare_cached("SELECT name, strategy FROM connections")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    })
}

pub(crate) fn find_row(app: &AppState, name: &str) -> Result<Option<(String, String)>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            "SELECT id, strategy FROM connections WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })
}

fn one(app: &AppState, name: &str, viewer: &str, secrets: bool) -> Result<Value, ApiError> {
    let row = app.store.read(|c| {
        c.query_row(
            "SELECT id, name, strategy, options FROM connections WHERE name = ?1",
            [name],
            read_row,
        )
        .optional()
    })?;
    let row = row.ok_or_else(|| ApiError::not_found(format!("connection `{name}` not found")))?;
    let enabled = enabled_for(app, viewer)?.contains(&row.id);
    Ok(to_json(
        row,
        viewer,
        enabled,
        &app.global_client_id,
        secrets,
    ))
}

/// `GET /api/connections[?client=][&only_socials=true|&only_enterprise=true|…]`.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    let viewer = viewer(&app, &caller, &uri)?;
    let p = params(&uri);
    let wanted: Vec<Category> = [
        ("only_socials", Category::Social),
        ("only_enterprise", Category::Enterprise),
        ("only_database", Category::Database),
        ("only_passwordless", Category::Passwordless),
    ]
    .into_iter()
    .filter(|(f, _)| flag(&p, f))
    .map(|(_, c)| c)
    .collect();
    let enabled = enabled_for(&app, &viewer)?;
    let rows: Vec<Row> = app.store.read(|c| {
        let mut stmt =
            c.prepare_cached("SELECT id, name, strategy, options FROM connections ORDER BY seq")?;
        let rows = stmt.query_map([], read_row)?;
        rows.collect()
    })?;
    let list: Vec<Value> = rows
        .into_iter()
        .filter(|r| wanted.is_empty() || wanted.contains(&category(&r.strategy)))
        .map(|r| {
            let on = enabled.contains(&r.id);
            to_json(r, &viewer, on, &app.global_client_id, caller.global)
        })
        .collect();
    Ok(ok_json(&Value::Array(list)))
}

/// `GET /api/connections/{name}[?client=]`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
) -> ApiResult {
    let viewer = viewer(&app, &caller, &uri)?;
    Ok(ok_json(&one(&app, &name, &viewer, caller.global)?))
}

fn options_of(body: &serde_json::Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("options") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.to_string())),
        Some(_) => Err(ApiError::bad_request("`options` must be an object")),
    }
}

/// `POST /api/connections`.
pub(crate) async fn create(
    State(app): State<AppState>,
    caller: Caller,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let viewer = viewer(&app, &caller, &uri)?;
    let body = json_body(&body)?;
    let name = opt_str(&body, "name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("`name` is required"))?;
    check_name_length("connection", &name)?;
    let strategy = opt_str(&body, "strategy")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("`strategy` is required"))?;
    let options = options_of(&body)?.unwrap_or_else(|| "{}".to_string());
    let status = opt_bool(&body, "status")?.unwrap_or(false);
    let id = format!("con_{}", random_id(16));
    app.store.write(|tx| {
        let inserted = tx.execute(
            "INSERT INTO connections (id, name, strategy, options) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id, name, strategy, options],
        );
        if let Err(e) = inserted {
            return Err(if is_unique_violation(&e, "connections.name") {
                ApiError::conflict(format!("a connection named `{name}` already exists"))
            } else {
                e.into()
            });
        }
        if status {
            tx.execute(
                "INSERT INTO connection_clients (connection_id, client_id) VALUES (?1, ?2)",
                [&id, &viewer],
            )?;
        }
        Ok(())
    })?;
    Ok(ok_json(&one(&app, &name, &viewer, true)?))
}

/// `PUT /api/connections/{name}[?client=]` with `{options, status}`; other keys are read-only and
/// ignored.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let viewer = viewer(&app, &caller, &uri)?;
    let body = json_body(&body)?;
    let options = options_of(&body)?;
    let status = opt_bool(&body, "status")?;
    app.store.write(|tx| {
        let id = id_in(tx, &name)?;
        if let Some(options) = &options {
            tx.execute(
                "UPDATE connections SET options = ?2 WHERE id = ?1",
                [&id, options],
            )?;
        }
        match status {
            Some(true) => {
                tx.execute(
                    "INSERT OR IGNORE INTO connection_clients (connection_id, client_id) VALUES (?1, ?2)",
                    [&id, &viewer],
                )?;
            }
            Some(false) => {
                tx.execute(
                    "DELETE FROM connection_clients WHERE connection_id = ?1 AND client_id = ?2",
                    [&id, &viewer],
                )?;
            }
            None => {}
        }
        Ok(())
    })?;
    Ok(ok_json(&one(&app, &name, &viewer, true)?))
}

/// A connection's id inside a write, or 404.
fn id_in(tx: &rusqlite::Connection, name: &str) -> Result<String, ApiError> {
    tx.query_row("SELECT id FROM connections WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("connection `{name}` not found")))
}

/// `DELETE /api/connections/{name}`: the connection and its users.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    caller.require_global()?;
    // Its users, their devices and tickets, and its enabled clients go with it: the store's
    // foreign keys cascade.
    let id = app.store.write(|tx| {
        let id = id_in(tx, &name)?;
        tx.execute("DELETE FROM connections WHERE id = ?1", [&id])?;
        Ok(id)
    })?;
    Ok(ok_json(&json!({"removed": id})))
}
