//! `/api/v2/connections`: v1's connections (same rows, same enabled clients), addressed by id.
//! `name` and `strategy` are set at creation only; a PATCH with `options` replaces them whole
//! (and needs `update:connections_options`); `options` are shown only with
//! `read:connections_options`. `display_name`, `is_domain_connection`, `show_as_button`,
//! `realms` and `metadata` live in the row's `v2` object. Lists page by offset (`page`,
//! `per_page`, `include_totals`) or by checkpoint (`from`, `take`): `next` is the position (the
//! store's sequence number) of the first connection not returned.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{
    Ty, check_body, conflict, created, invalid_body, no_content, page_of, paging, select_fields,
};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{
    ApiError, ApiResult, AppState, check_name_length, json_body, ok_json, params, random_id,
};

const CREATE_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("display_name", Ty::Str),
    ("strategy", Ty::Str),
    ("options", Ty::Object),
    ("enabled_clients", Ty::Strings),
    ("is_domain_connection", Ty::Bool),
    ("show_as_button", Ty::Bool),
    ("realms", Ty::Strings),
    ("metadata", Ty::Object),
];
const UPDATE_FIELDS: &[(&str, Ty)] = &[
    ("display_name", Ty::Str),
    ("options", Ty::Object),
    ("enabled_clients", Ty::Strings),
    ("is_domain_connection", Ty::Bool),
    ("show_as_button", Ty::Bool),
    ("realms", Ty::Strings),
    ("metadata", Ty::Object),
];
/// Fields kept in the `v2` object.
const EXTRA: [&str; 5] = [
    "display_name",
    "is_domain_connection",
    "show_as_button",
    "realms",
    "metadata",
];

/// The most items one checkpoint page of connections holds, and of a connection's clients.
const MAX_TAKE: usize = 100;
const MAX_TAKE_CLIENTS: usize = 1000;
/// The most changes one `PATCH /connections/{id}/clients` carries.
const MAX_CLIENT_CHANGES: usize = 50;

struct Row {
    seq: i64,
    id: String,
    name: String,
    strategy: String,
    options: String,
    extra: String,
}

const COLUMNS: &str = "seq, id, name, strategy, options, v2";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        seq: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        strategy: r.get(3)?,
        options: r.get(4)?,
        extra: r.get(5)?,
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_connection",
        format!("The connection does not exist: {id}"),
    )
}

/// Enabled clients by connection id, in the clients' order.
fn enabled_by_connection(app: &AppState) -> Result<HashMap<String, Vec<String>>, ApiError> {
    app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT cc.connection_id, cc.client_id FROM connection_clients cc
             JOIN clients ON clients.client_id = cc.client_id ORDER BY clients.seq",
        )?;
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        for row in rows {
            let (conn, client) = row?;
            out.entry(conn).or_default().push(client);
        }
        Ok(out)
    })
}

/// The clients one connection is enabled for, in the clients' order.
fn enabled_of(c: &rusqlite::Connection, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT cc.client_id FROM connection_clients cc
         JOIN clients ON clients.client_id = cc.client_id
         WHERE cc.connection_id = ?1 ORDER BY clients.seq",
    )?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    rows.collect()
}

fn to_json(row: &Row, enabled: &[String], caller: &Caller) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(row.id));
    out.insert("name".into(), json!(row.name));
    out.insert("strategy".into(), json!(row.strategy));
    if caller.has_scope("read:connections_options") {
        out.insert(
            "options".into(),
            serde_json::from_str(&row.options).unwrap_or_else(|_| json!({})),
        );
    }
    out.insert("enabled_clients".into(), json!(enabled));
    out.insert("is_domain_connection".into(), json!(false));
    out.insert("realms".into(), json!([row.name]));
    if let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&row.extra) {
        out.extend(extra);
    }
    Value::Object(out)
}

fn rows(app: &AppState) -> Result<Vec<Row>, ApiError> {
    app.store.read(|c| {
        let mut stmt =
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM connections ORDER BY seq"))?;
        let rows = stmt.query_map([], read_row)?;
        rows.collect()
    })
}

fn one(app: &AppState, id: &str, caller: &Caller) -> Result<Value, ApiError> {
    let (row, enabled) = app
        .store
        .read(|c| {
            let row = c
                .query_row(
                    &format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"),
                    [id],
                    read_row,
                )
                .optional()?;
            match row {
                Some(row) => {
                    let enabled = enabled_of(c, id)?;
                    Ok(Some((row, enabled)))
                }
                None => Ok(None),
            }
        })?
        .ok_or_else(|| not_found(id))?;
    Ok(to_json(&row, &enabled, caller))
}

/// `GET /api/v2/connections`: `strategy` (comma-separated or repeated) and `name` filters;
/// offset paging, or checkpoint paging when `from` or `take` is given.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:connections")?;
    let params = params(&uri);
    let strategies: Vec<String> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "strategy")
        .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let name = params.get("name").filter(|n| !n.is_empty());
    let wanted = |r: &Row| {
        (strategies.is_empty() || strategies.contains(&r.strategy))
            && name.is_none_or(|n| &r.name == n)
    };
    if super::wants_checkpoint(&params) {
        let (from, take) = super::checkpoint(&params, MAX_TAKE)?;
        // Read from the checkpoint on, and stop at the first row past the page: a page costs
        // O(page size), its enabled clients included.
        let (page, next) = app.store.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM connections WHERE seq >= ?1 ORDER BY seq"
            ))?;
            let mut page = Vec::new();
            let mut next = None;
            for row in stmt.query_map([from], read_row)? {
                let row = row?;
                if !wanted(&row) {
                    continue;
                }
                if page.len() == take {
                    next = Some(row.seq.to_string());
                    break;
                }
                let enabled = enabled_of(c, &row.id)?;
                page.push((row, enabled));
            }
            Ok((page, next))
        })?;
        let mut out = Map::new();
        out.insert(
            "connections".into(),
            Value::Array(
                page.iter()
                    .map(|(r, e)| select_fields(to_json(r, e, &caller), &params))
                    .collect(),
            ),
        );
        if let Some(next) = next {
            out.insert("next".into(), json!(next));
        }
        return Ok(ok_json(&Value::Object(out)));
    }
    let enabled = enabled_by_connection(&app)?;
    let matching: Vec<Row> = rows(&app)?.into_iter().filter(|r| wanted(r)).collect();
    let show = |r: &Row| {
        let e = enabled.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        select_fields(to_json(r, e, &caller), &params)
    };
    let paging = paging(&params)?;
    let all = matching.iter().map(show).collect();
    Ok(ok_json(&page_of(all, &paging, "connections")))
}

/// `GET /api/v2/connections/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:connections")?;
    Ok(ok_json(&select_fields(
        one(&app, &id, &caller)?,
        &params(&uri),
    )))
}

fn extra_of(body: &Map<String, Value>, mut extra: Map<String, Value>) -> Map<String, Value> {
    for key in EXTRA {
        match body.get(key) {
            None => {}
            Some(Value::Null) => {
                extra.remove(key);
            }
            Some(v) => {
                extra.insert(key.into(), v.clone());
            }
        }
    }
    extra
}

/// Replace a connection's enabled clients; 400 naming a client that does not exist.
fn set_enabled(tx: &rusqlite::Connection, id: &str, clients: &[Value]) -> Result<(), ApiError> {
    tx.execute(
        "DELETE FROM connection_clients WHERE connection_id = ?1",
        [id],
    )?;
    for client in clients.iter().filter_map(Value::as_str) {
        enable(tx, id, client, true)?;
    }
    Ok(())
}

fn enable(tx: &rusqlite::Connection, id: &str, client: &str, on: bool) -> Result<(), ApiError> {
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM clients WHERE client_id = ?1)",
        [client],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(invalid_body(format!("The client does not exist: {client}")));
    }
    if on {
        tx.execute(
            "INSERT OR IGNORE INTO connection_clients (connection_id, client_id) VALUES (?1, ?2)",
            [id, client],
        )?;
    } else {
        tx.execute(
            "DELETE FROM connection_clients WHERE connection_id = ?1 AND client_id = ?2",
            [id, client],
        )?;
    }
    Ok(())
}

/// `POST /api/v2/connections`: 201; a taken name is 409.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:connections")?;
    let body = json_body(&body)?;
    check_body(&body, CREATE_FIELDS, false)?;
    let (Some(name), Some(strategy)) = (
        body.get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty()),
        body.get("strategy")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty()),
    ) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name, strategy'",
        ));
    };
    check_name_length("connection", name)?;
    let options = body.get("options").cloned().unwrap_or_else(|| json!({}));
    let extra = Value::Object(extra_of(&body, Map::new())).to_string();
    let id = format!("con_{}", random_id(16));
    app.store.write(|tx| {
        let inserted = tx.execute(
            "INSERT INTO connections (id, name, strategy, options, v2) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, name, strategy, options.to_string(), extra],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e, "connections.name") => {
                return Err(conflict(format!(
                    "A connection with the same name already exists: {name}"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(Value::Array(clients)) = body.get("enabled_clients") {
            set_enabled(tx, &id, clients)?;
        }
        Ok(())
    })?;
    Ok(created(&one(&app, &id, &caller)?))
}

/// `PATCH /api/v2/connections/{id}`: sets the given fields; `options` replaced whole.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:connections")?;
    let body = json_body(&body)?;
    for fixed in ["name", "strategy"] {
        if body.contains_key(fixed) {
            return Err(invalid_body(format!(
                "Payload validation error: 'Additional properties not allowed: {fixed}' (a connection's {fixed} cannot change)"
            )));
        }
    }
    check_body(&body, UPDATE_FIELDS, true)?;
    if body.contains_key("options") {
        caller.require_scope("update:connections_options")?;
    }
    app.store.write(|tx| {
        let extra: String = tx
            .query_row("SELECT v2 FROM connections WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| not_found(&id))?;
        let extra = match serde_json::from_str::<Value>(&extra) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let extra = Value::Object(extra_of(&body, extra)).to_string();
        tx.execute(
            "UPDATE connections SET v2 = ?2 WHERE id = ?1",
            [&id, &extra],
        )?;
        match body.get("options") {
            None => {}
            Some(options) => {
                let options = if options.is_null() {
                    json!({})
                } else {
                    options.clone()
                };
                tx.execute(
                    "UPDATE connections SET options = ?2 WHERE id = ?1",
                    [&id, &options.to_string()],
                )?;
            }
        }
        match body.get("enabled_clients") {
            Some(Value::Array(clients)) => set_enabled(tx, &id, clients)?,
            Some(_) => set_enabled(tx, &id, &[])?,
            None => {}
        }
        Ok(())
    })?;
    Ok(ok_json(&one(&app, &id, &caller)?))
}

/// `DELETE /api/v2/connections/{id}`: 204; its users go with it.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:connections")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM connections WHERE id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}

/// `GET /api/v2/connections/{id}/clients?take=&from=`: `{clients: [{client_id}], next}`.
pub(crate) async fn enabled_clients(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:connections")?;
    let params = params(&uri);
    let (from, take) = super::checkpoint(&params, MAX_TAKE_CLIENTS)?;
    let found: Option<Vec<(i64, String)>> = app.store.read(|c| {
        let exists: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(None);
        }
        let mut stmt = c.prepare_cached(
            "SELECT clients.seq, cc.client_id FROM connection_clients cc
             JOIN clients ON clients.client_id = cc.client_id
             WHERE cc.connection_id = ?1 AND clients.seq >= ?2
             ORDER BY clients.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(rusqlite::params![id, from, take as i64 + 1], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map(Some)
    })?;
    let mut found = found.ok_or_else(|| not_found(&id))?;
    let next = found.get(take).map(|(seq, _)| seq.to_string());
    found.truncate(take);
    let mut out = Map::new();
    out.insert(
        "clients".into(),
        Value::Array(
            found
                .into_iter()
                .map(|(_, c)| json!({"client_id": c}))
                .collect(),
        ),
    );
    if let Some(next) = next {
        out.insert("next".into(), json!(next));
    }
    Ok(ok_json(&Value::Object(out)))
}

/// `PATCH /api/v2/connections/{id}/clients [{client_id, status}]` (at most 50): 204.
pub(crate) async fn set_enabled_clients(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:connections")?;
    if crate::nests_deeper_than(&body, crate::MAX_JSON_DEPTH) {
        return Err(invalid_body("the body nests too deep"));
    }
    let changes: Vec<Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        _ => {
            return Err(invalid_body(
                "Payload validation error: the body must be an array of {client_id, status}",
            ));
        }
    };
    if changes.len() > MAX_CLIENT_CHANGES {
        return Err(invalid_body(format!(
            "Payload validation error: at most {MAX_CLIENT_CHANGES} changes per request, not {}",
            changes.len()
        )));
    }
    let mut parsed = Vec::with_capacity(changes.len());
    for change in &changes {
        let Some(map) = change.as_object() else {
            return Err(invalid_body(
                "Payload validation error: each item must be an object",
            ));
        };
        check_body(map, &[("client_id", Ty::Str), ("status", Ty::Bool)], false)?;
        match (
            map.get("client_id").and_then(Value::as_str),
            map.get("status").and_then(Value::as_bool),
        ) {
            (Some(c), Some(s)) => parsed.push((c.to_string(), s)),
            _ => {
                return Err(invalid_body(
                    "Payload validation error: each item needs client_id and status",
                ));
            }
        }
    }
    app.store.write(|tx| {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?1)",
            [&id],
            |r| r.get(0),
        )?;
        if !exists {
            return Err(not_found(&id));
        }
        for (client, on) in &parsed {
            enable(tx, &id, client, *on)?;
        }
        Ok(())
    })?;
    Ok(no_content())
}
