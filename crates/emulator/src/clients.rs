//! Clients (applications): `{"clientID", "clientSecret", "name", "callbacks", "global",
//! "tenant", "owners"}`. Names need not be unique. `callbacks` is accepted as an array or a
//! comma-separated string and always returned as an array. PUT and PATCH both merge the given
//! fields. `signingKey` is write-only. The global client is listed with `global: true` and can be
//! neither deleted nor demoted.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::store::Store;
use super::{
    ApiError, ApiResult, AppState, check_name_length, json_body, ok_json, ok_text, opt_str, params,
    random_id,
};

const COLUMNS: &str = "client_id, client_secret, name, global, callbacks, owners";

fn row_to_json(r: &rusqlite::Row<'_>, tenant: &str) -> rusqlite::Result<Value> {
    let callbacks: String = r.get(4)?;
    let owners: String = r.get(5)?;
    Ok(json!({
        "clientID": r.get::<_, String>(0)?,
        "clientSecret": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "callbacks": serde_json::from_str::<Value>(&callbacks).unwrap_or_else(|_| json!([])),
        "global": r.get::<_, bool>(3)?,
        "tenant": tenant,
        "owners": serde_json::from_str::<Value>(&owners).unwrap_or_else(|_| json!([])),
    }))
}

/// Make sure the global client exists; returns its credentials and whether it was created now.
pub(crate) fn ensure_global(
    store: &Store,
    tenant: &str,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> anyhow::Result<((String, String), bool)> {
    let result = store.write(|tx| {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('tenant', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [tenant],
        )?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'global_client_id'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let (id, secret, created) = match (client_id, client_secret, stored) {
            (Some(id), Some(secret), stored) => {
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM clients WHERE client_id = ?1)",
                    [id],
                    |r| r.get(0),
                )?;
                if let Some(old) = stored.filter(|old| old != id && !exists) {
                    // New credentials for the same tenant: the global client keeps its place
                    // (its connections, its users' logins: the foreign keys cascade the new
                    // id) under the new id; tokens of the old credentials die.
                    tx.execute("DELETE FROM tokens WHERE client_id = ?1", [&old])?;
                    tx.execute(
                        "UPDATE clients SET client_id = ?1 WHERE client_id = ?2",
                        [id, old.as_str()],
                    )?;
                }
                tx.execute("UPDATE clients SET global = 0 WHERE client_id <> ?1", [id])?;
                let updated = tx.execute(
                    "UPDATE clients SET client_secret = ?2, global = 1 WHERE client_id = ?1",
                    [id, secret],
                )?;
                if updated == 0 {
                    tx.execute(
                        "INSERT INTO clients (client_id, client_secret, name, global)
                         VALUES (?1, ?2, 'Global Client', 1)",
                        [id, secret],
                    )?;
                }
                (id.to_string(), secret.to_string(), updated == 0)
            }
            (_, _, Some(id)) => {
                let secret: String = tx.query_row(
                    "SELECT client_secret FROM clients WHERE client_id = ?1",
                    [&id],
                    |r| r.get(0),
                )?;
                (id, secret, false)
            }
            _ => {
                let (id, secret) = (random_id(32), random_id(64));
                tx.execute(
                    "INSERT INTO clients (client_id, client_secret, name, global)
                     VALUES (?1, ?2, 'Global Client', 1)",
                    [&id, &secret],
                )?;
                (id, secret, true)
            }
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('global_client_id', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [&id],
        )?;
        Ok(((id, secret), created))
    });
    result.map_err(|e| anyhow::anyhow!("cannot set up the global client: {}", e.description))
}

fn callbacks_of(value: &Value) -> Result<Vec<String>, ApiError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::bad_request("`callbacks` must hold strings"))
            })
            .collect(),
        _ => Err(ApiError::bad_request(
            "`callbacks` must be an array or a comma-separated string",
        )),
    }
}

fn signing_key_of(value: &Value) -> Result<String, ApiError> {
    let ok = value.as_object().is_some_and(|m| {
        m.len() == 1
            && m.iter()
                .all(|(k, v)| matches!(k.as_str(), "cert" | "key" | "pkcs7") && v.is_string())
    });
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::bad_request(
            "`signingKey` must be one of {cert: …}, {key: …} or {pkcs7: …}",
        ))
    }
}

fn owners_of(value: &Value) -> Result<String, ApiError> {
    match value {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(value.to_string()),
        _ => Err(ApiError::bad_request(
            "`owners` must be an array of user ids",
        )),
    }
}

/// What a caller may see of a client: only the global client's token sees secrets, so nothing
/// a non-global token reads lets it become the global client.
fn visible(mut client: Value, caller: &Caller) -> Value {
    if !caller.global
        && let Some(map) = client.as_object_mut()
    {
        map.remove("clientSecret");
    }
    client
}

/// `GET /api/clients[?userId=]`.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    let owner = params(&uri).remove("userId").filter(|u| !u.is_empty());
    let clients: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM clients ORDER BY seq"))?;
        let rows = stmt.query_map([], |r| row_to_json(r, &app.tenant))?;
        rows.collect()
    })?;
    let clients: Vec<Value> = match owner {
        Some(user) => clients
            .into_iter()
            .filter(|c| {
                c["owners"]
                    .as_array()
                    .is_some_and(|o| o.iter().any(|v| v.as_str() == Some(user.as_str())))
            })
            .collect(),
        None => clients,
    };
    let clients = clients.into_iter().map(|c| visible(c, &caller)).collect();
    Ok(ok_json(&Value::Array(clients)))
}

/// A client's secret and name.
pub(crate) fn credentials(store: &Store, id: &str) -> Result<Option<(String, String)>, ApiError> {
    store.read(|c| {
        c.query_row(
            "SELECT client_secret, name FROM clients WHERE client_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })
}

/// A client's name, inside a write.
pub(crate) fn name_of_in(tx: &rusqlite::Connection, id: &str) -> Result<Option<String>, ApiError> {
    Ok(tx
        .query_row("SELECT name FROM clients WHERE client_id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A client's name.
pub(crate) fn name_of(store: &Store, id: &str) -> Result<Option<String>, ApiError> {
    Ok(credentials(store, id)?.map(|(_, name)| name))
}

pub(crate) fn find(app: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM clients WHERE client_id = ?1"),
            [id],
            |r| row_to_json(r, &app.tenant),
        )
        .optional()
    })
}

/// `GET /api/clients/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    match find(&app, &id)? {
        Some(c) => Ok(ok_json(&visible(c, &caller))),
        None => Err(ApiError::not_found(format!("client `{id}` not found"))),
    }
}

/// `POST /api/clients`.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let name = opt_str(&body, "name")?.unwrap_or_else(|| "Default App".to_string());
    check_name_length("client", &name)?;
    let callbacks = callbacks_of(body.get("callbacks").unwrap_or(&Value::Null))?;
    let signing_key = body
        .get("signingKey")
        .filter(|v| !v.is_null())
        .map(signing_key_of)
        .transpose()?;
    let owners = match body.get("owners") {
        None | Some(Value::Null) => "[]".to_string(),
        Some(v) => owners_of(v)?,
    };
    let id = random_id(32);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO clients (client_id, client_secret, name, global, callbacks, owners, signing_key)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
            rusqlite::params![
                id,
                random_id(64),
                name,
                serde_json::to_string(&callbacks).unwrap_or_default(),
                owners,
                signing_key
            ],
        )?;
        Ok(())
    })?;
    let created = find(&app, &id)?.ok_or_else(|| ApiError::not_found("client vanished"))?;
    Ok(ok_json(&created))
}

/// `PATCH` and `PUT /api/clients/{id}`: merge the given fields.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body: Map<String, Value> = json_body(&body)?;
    let name = opt_str(&body, "name")?;
    if let Some(name) = &name {
        check_name_length("client", name)?;
    }
    let callbacks = body
        .get("callbacks")
        .map(callbacks_of)
        .transpose()?
        .map(|c| serde_json::to_string(&c).unwrap_or_default());
    let signing_key = body
        .get("signingKey")
        .filter(|v| !v.is_null())
        .map(signing_key_of)
        .transpose()?;
    let owners = body.get("owners").map(owners_of).transpose()?;
    let global = body.get("global").and_then(Value::as_bool);
    app.store.write(|tx| {
        match (is_global_in(tx, &id)?, global) {
            (true, Some(false)) => {
                return Err(ApiError::bad_request("the global client cannot be demoted"));
            }
            (false, Some(true)) => {
                return Err(ApiError::bad_request(
                    "a client cannot be made global: the tenant has one global client",
                ));
            }
            _ => {}
        }
        tx.execute(
            "UPDATE clients SET
                name = COALESCE(?2, name),
                callbacks = COALESCE(?3, callbacks),
                signing_key = COALESCE(?4, signing_key),
                owners = COALESCE(?5, owners)
             WHERE client_id = ?1",
            rusqlite::params![id, name, callbacks, signing_key, owners],
        )?;
        Ok(())
    })?;
    let updated = find(&app, &id)?.ok_or_else(|| ApiError::not_found("client vanished"))?;
    Ok(ok_json(&updated))
}

/// Whether a client is the global one, inside a write; 404 when there is no such client.
fn is_global_in(tx: &rusqlite::Connection, id: &str) -> Result<bool, ApiError> {
    tx.query_row(
        "SELECT global FROM clients WHERE client_id = ?1",
        [id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("client `{id}` not found")))
}

/// `DELETE /api/clients/{id}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_global()?;
    app.store.write(|tx| {
        if is_global_in(tx, &id)? {
            return Err(ApiError::bad_request("the global client cannot be deleted"));
        }
        // Its tokens, enabled connections and users' logins go with it (foreign keys cascade).
        tx.execute("DELETE FROM clients WHERE client_id = ?1", [&id])?;
        Ok(())
    })?;
    app.tokens
        .lock()
        .expect("tokens lock")
        .retain(|_, t| t.client_id != id);
    Ok(ok_text())
}
