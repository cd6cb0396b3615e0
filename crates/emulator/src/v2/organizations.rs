//! `/api/v2/organizations`: `{id, name, display_name?, branding?, metadata?}`, names unique
//! (409) and made of lower-case letters, digits, `-` and `_` (at most 50); `display_name` at
//! most 255 characters; `metadata` at most 25 keys of strings of at most 255; `branding` is
//! `{logo_url?, colors?: {primary, page_background}}`. Listed by offset pages (the first 1,000
//! only, as the service) or by checkpoint (`from`, `take`); found by name at
//! `/organizations/name/{name}`.
//!
//! The connections an organization enables are kept under it, each once, a connection of the
//! tenant (404), listed by connection name: `/enabled_connections[/{connection_id}]` (`{connection_id, connection: {name,
//! strategy}, assign_membership_on_login, show_as_button, is_signup_enabled}`, offset pages
//! keyed `enabled_connections`), and the same set at `/connections[/{connection_id}]` as the
//! newer API and SDKs name it (keyed `connections`, with `is_enabled`, true unless set false;
//! `/enabled_connections` lists the enabled ones). Deleting a connection or the organization
//! removes them. Its client grants (`/client-grants[/{grant_id}]`, grants of the tenant, 404
//! otherwise) likewise. Members, invitations, discovery domains and the organization's clients
//! are the tenant's data or paid features: discovery domains and clients answer 403
//! `feature_not_enabled`, as on a plan without them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{
    Paging, Ty, check_body, conflict, created, invalid_body, invalid_query, no_content, page_of,
    page_shape, paging,
};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json, params, random_id};

const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("display_name", Ty::Str),
    ("branding", Ty::Object),
    ("metadata", Ty::Object),
];
/// The flags of an enabled connection, and the value each takes when not given.
const FLAGS: [(&str, bool); 3] = [
    ("assign_membership_on_login", false),
    ("show_as_button", true),
    ("is_signup_enabled", false),
];
const MAX_TAKE: usize = 100;
/// Offset pages reach no further than this (checkpoint pages do).
const MAX_OFFSET: usize = 1000;
/// Most connections a create's `enabled_connections` holds.
const MAX_CREATE_CONNECTIONS: usize = 10;

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_organization",
        format!("No organization found by that id or name: {id}"),
    )
}

fn connection_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_connection",
        format!("The connection does not exist: {id}"),
    )
}

fn not_enabled(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_organization_connection",
        format!("The connection is not enabled for this organization: {id}"),
    )
}

/// An organization as stored and answered.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)> {
    let (seq, id, name, data): (i64, String, String, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
    let mut v = serde_json::from_str::<Map<String, Value>>(&data).unwrap_or_default();
    v.insert("id".into(), json!(id));
    v.insert("name".into(), json!(name));
    Ok((seq, Value::Object(v)))
}

const COLUMNS: &str = "seq, id, name, data";

fn find(c: &rusqlite::Connection, id: &str) -> Result<Option<Value>, ApiError> {
    Ok(c.query_row(
        &format!("SELECT {COLUMNS} FROM organizations WHERE id = ?1"),
        [id],
        row,
    )
    .optional()?
    .map(|(_, v)| v))
}

fn exists(c: &rusqlite::Connection, id: &str) -> Result<(), ApiError> {
    find(c, id)?.map(|_| ()).ok_or_else(|| not_found(id))
}

fn write_error(e: rusqlite::Error, name: &str) -> ApiError {
    if is_unique_violation(&e, "organizations.name") {
        conflict(format!(
            "An organization with this name already exists: {name}"
        ))
    } else {
        e.into()
    }
}

/// The name, as the service checks it.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 50
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid_body(
            "Payload validation error: 'name' must be 1 to 50 lower-case letters, digits, '-' or '_'",
        ))
    }
}

/// The checks of every field but the name; `null` metadata removes it on a `PATCH`.
fn check_fields(body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(d) = body.get("display_name").and_then(Value::as_str)
        && (d.is_empty() || d.chars().count() > 255)
    {
        return Err(invalid_body(
            "Payload validation error: 'display_name' must be 1 to 255 characters",
        ));
    }
    if let Some(Value::Object(m)) = body.get("metadata") {
        let ok = m.len() <= 25
            && m.values()
                .all(|v| v.as_str().is_some_and(|s| s.chars().count() <= 255));
        if !ok {
            return Err(invalid_body(
                "Payload validation error: 'metadata' holds at most 25 strings of at most 255 characters",
            ));
        }
    }
    if let Some(Value::Object(b)) = body.get("branding") {
        super::refuse_unknown(b, &["logo_url", "colors"])?;
        if let Some(u) = b.get("logo_url")
            && !u.as_str().is_some_and(super::https_url)
        {
            return Err(invalid_body(
                "Payload validation error: 'branding.logo_url' must be an https URL",
            ));
        }
        if let Some(colors) = b.get("colors") {
            let colour = |k: &str| {
                colors.get(k).and_then(Value::as_str).is_some_and(|c| {
                    c.starts_with('#')
                        && matches!(c.len(), 4 | 7)
                        && c[1..].chars().all(|x| x.is_ascii_hexdigit())
                })
            };
            let known = colors
                .as_object()
                .is_some_and(|m| m.keys().all(|k| k == "primary" || k == "page_background"));
            if !(known && colour("primary") && colour("page_background")) {
                return Err(invalid_body(
                    "Payload validation error: 'branding.colors' is {primary, page_background}, each a colour such as #0059d6",
                ));
            }
        }
    }
    Ok(())
}

/// The stored data (every field but the id and the name).
fn data_of(obj: &Value) -> String {
    let mut m = obj.as_object().cloned().unwrap_or_default();
    m.remove("id");
    m.remove("name");
    Value::Object(m).to_string()
}

/// `GET /api/v2/organizations`: checkpoint pages when `from` or `take` is given (`{organizations,
/// next?}`), else offset pages of the first 1,000.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:organizations")?;
    let params = params(&uri);
    if super::wants_checkpoint(&params) {
        let (from, take) = super::checkpoint(&params, MAX_TAKE)?;
        let rows: Vec<(i64, Value)> = app.store.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM organizations WHERE seq >= ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let rows = stmt.query_map(rusqlite::params![from, take as i64 + 1], row)?;
            rows.collect()
        })?;
        let next = rows.get(take).map(|(seq, _)| seq.to_string());
        let page: Vec<Value> = rows.into_iter().take(take).map(|(_, v)| v).collect();
        let mut out = Map::new();
        out.insert("organizations".into(), Value::Array(page));
        if let Some(next) = next {
            out.insert("next".into(), json!(next));
        }
        return Ok(ok_json(&Value::Object(out)));
    }
    let paging = paging(&params)?;
    if paging.start() + paging.per_page > MAX_OFFSET {
        return Err(invalid_query(format!(
            "Query validation error: offset pages reach the first {MAX_OFFSET} organizations only; use checkpoint pagination (from, take)"
        )));
    }
    let all: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM organizations ORDER BY seq LIMIT {MAX_OFFSET}"
        ))?;
        let rows = stmt.query_map([], |r| row(r).map(|(_, v)| v))?;
        rows.collect()
    })?;
    Ok(ok_json(&page_of(all, &paging, "organizations")))
}

/// `POST /api/v2/organizations {name, display_name?, branding?, metadata?,
/// enabled_connections?}`: 201 with the organization.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:organizations")?;
    let mut body = json_body(&body)?;
    let enable = body.remove("enabled_connections");
    check_body(&body, FIELDS, false)?;
    let Some(name) = body.get("name").and_then(Value::as_str).map(str::to_string) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name'",
        ));
    };
    check_name(&name)?;
    check_fields(&body)?;
    let enable: Vec<Map<String, Value>> = match enable {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() <= MAX_CREATE_CONNECTIONS => items
            .into_iter()
            .map(|i| match i {
                Value::Object(m) => Ok(m),
                _ => Err(invalid_body(
                    "Payload validation error: each of 'enabled_connections' is an object",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid_body(format!(
                "Payload validation error: 'enabled_connections' is an array of at most {MAX_CREATE_CONNECTIONS}"
            )));
        }
    };
    let id = format!("org_{}", random_id(16));
    let obj = Value::Object(body);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO organizations (id, name, data) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, name, data_of(&obj)],
        )
        .map_err(|e| write_error(e, &name))?;
        for e in &enable {
            enable_one(tx, &id, e, false)?;
        }
        Ok(())
    })?;
    let org = app.store.read(|c| Ok(find(c, &id)))??;
    Ok(created(&org.ok_or_else(|| not_found(&id))?))
}

/// `GET /api/v2/organizations/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:organizations")?;
    let org = app.store.read(|c| Ok(find(c, &id)))??;
    Ok(ok_json(&org.ok_or_else(|| not_found(&id))?))
}

/// `GET /api/v2/organizations/name/{name}`.
pub(crate) async fn by_name(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    caller.require_scope("read:organizations")?;
    let org = app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM organizations WHERE name = ?1"),
            [&name],
            row,
        )
        .optional()
    })?;
    Ok(ok_json(
        &org.map(|(_, v)| v).ok_or_else(|| not_found(&name))?,
    ))
}

/// `PATCH /api/v2/organizations/{id}`: each given field replaced (`metadata: null` removes it).
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:organizations")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, true)?;
    if let Some(v) = body.get("name") {
        check_name(v.as_str().unwrap_or_default())?;
    }
    check_fields(&body)?;
    app.store.write(|tx| {
        let Some(Value::Object(mut org)) = find(tx, &id)? else {
            return Err(not_found(&id));
        };
        for (k, v) in &body {
            if v.is_null() {
                org.remove(k);
            } else {
                org.insert(k.clone(), v.clone());
            }
        }
        let name = org.get("name").and_then(Value::as_str).unwrap_or_default();
        tx.execute(
            "UPDATE organizations SET name = ?2, data = ?3 WHERE id = ?1",
            rusqlite::params![id, name, data_of(&Value::Object(org.clone()))],
        )
        .map_err(|e| write_error(e, name))?;
        Ok(())
    })?;
    let org = app.store.read(|c| Ok(find(c, &id)))??;
    Ok(ok_json(&org.ok_or_else(|| not_found(&id))?))
}

/// `DELETE /api/v2/organizations/{id}`: 204; its enabled connections and grants go with it.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:organizations")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM organizations WHERE id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}

/// Which API of the organization's connections a route is.
#[derive(Clone, Copy, PartialEq)]
enum Api {
    /// `/enabled_connections`: the enabled ones, no `is_enabled`.
    Enabled,
    /// `/connections`: every one, with `is_enabled`.
    Connections,
}

impl Api {
    fn key(self) -> &'static str {
        match self {
            Api::Enabled => "enabled_connections",
            Api::Connections => "connections",
        }
    }
}

/// One enabled connection as `api` answers it.
fn connection_row(r: &rusqlite::Row<'_>, api: Api) -> rusqlite::Result<Value> {
    let mut v = json!({
        "connection_id": r.get::<_, String>(0)?,
        "assign_membership_on_login": r.get::<_, bool>(1)?,
        "show_as_button": r.get::<_, bool>(2)?,
        "is_signup_enabled": r.get::<_, bool>(3)?,
        "connection": {"name": r.get::<_, String>(5)?, "strategy": r.get::<_, String>(6)?},
    });
    if api == Api::Connections {
        v["is_enabled"] = json!(r.get::<_, bool>(4)?);
    }
    Ok(v)
}

const CONNECTION_COLUMNS: &str = "o.connection_id, o.assign_membership_on_login, o.show_as_button, \
     o.is_signup_enabled, o.is_enabled, c.name, c.strategy";

fn connections_of(
    c: &rusqlite::Connection,
    org: &str,
    one: Option<&str>,
    api: Api,
) -> Result<Vec<Value>, ApiError> {
    let enabled_only = if api == Api::Enabled {
        " AND o.is_enabled = 1"
    } else {
        ""
    };
    let mut stmt = c.prepare(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM organization_connections o \
         JOIN connections c ON c.id = o.connection_id \
         WHERE o.organization_id = ?1 AND (?2 IS NULL OR o.connection_id = ?2){enabled_only} \
         ORDER BY c.name, o.connection_id"
    ))?;
    let rows = stmt.query_map(rusqlite::params![org, one], |r| connection_row(r, api))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The flags (and, through `/connections`, `is_enabled`) of a body, each checked.
fn flags_of(body: &Map<String, Value>, api: Api) -> Result<Vec<(&'static str, bool)>, ApiError> {
    let mut out = Vec::new();
    for key in FLAGS
        .iter()
        .map(|(k, _)| *k)
        .chain((api == Api::Connections).then_some("is_enabled"))
    {
        match body.get(key) {
            None => {}
            Some(Value::Bool(b)) => out.push((key, *b)),
            Some(_) => {
                return Err(invalid_body(format!(
                    "Payload validation error: '{key}' must be a boolean"
                )));
            }
        }
    }
    Ok(out)
}

/// Enable a connection (`{connection_id, flags}`) for `org` in `tx`; 409 if it is already.
fn enable_one(
    tx: &rusqlite::Transaction<'_>,
    org: &str,
    body: &Map<String, Value>,
    connections_api: bool,
) -> Result<String, ApiError> {
    let api = if connections_api {
        Api::Connections
    } else {
        Api::Enabled
    };
    let mut known: Vec<&str> = vec!["connection_id"];
    known.extend(FLAGS.iter().map(|(k, _)| *k));
    if connections_api {
        known.extend([
            "is_enabled",
            "organization_connection_name",
            "organization_access_level",
        ]);
    }
    super::refuse_unknown(body, &known)?;
    let Some(conn) = body.get("connection_id").and_then(Value::as_str) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: connection_id'",
        ));
    };
    let found: Option<String> = tx
        .query_row("SELECT id FROM connections WHERE id = ?1", [conn], |r| {
            r.get(0)
        })
        .optional()?;
    if found.is_none() {
        return Err(connection_not_found(conn));
    }
    let given = flags_of(body, api)?;
    let flag = |k: &str, default: bool| {
        given
            .iter()
            .find(|(g, _)| *g == k)
            .map_or(default, |(_, v)| *v)
    };
    // Added through `/connections` but not enabled, it is not in `/enabled_connections`:
    // enabling it there takes it out of the newer listing's disabled state, with these flags.
    if api == Api::Enabled {
        tx.execute(
            "DELETE FROM organization_connections \
             WHERE organization_id = ?1 AND connection_id = ?2 AND is_enabled = 0",
            [org, conn],
        )?;
    }
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO organization_connections (organization_id, connection_id, \
         assign_membership_on_login, show_as_button, is_signup_enabled, is_enabled) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            org,
            conn,
            flag(FLAGS[0].0, FLAGS[0].1),
            flag(FLAGS[1].0, FLAGS[1].1),
            flag(FLAGS[2].0, FLAGS[2].1),
            flag("is_enabled", true),
        ],
    )?;
    if inserted == 0 {
        return Err(conflict(format!(
            "The connection is already enabled for this organization: {conn}"
        )));
    }
    Ok(conn.to_string())
}

async fn list_connections(
    app: AppState,
    caller: Caller,
    id: String,
    uri: Uri,
    api: Api,
) -> ApiResult {
    caller.require_scope("read:organization_connections")?;
    let paging = paging(&params(&uri))?;
    let items = app.store.read(|c| {
        Ok(match exists(c, &id) {
            Ok(()) => connections_of(c, &id, None, api),
            Err(e) => Err(e),
        })
    })??;
    Ok(ok_json(&page_of(items, &paging, api.key())))
}

async fn add_connection(
    app: AppState,
    caller: Caller,
    id: String,
    body: Bytes,
    api: Api,
) -> ApiResult {
    caller.require_scope("create:organization_connections")?;
    let body = json_body(&body)?;
    let conn = app.store.write(|tx| {
        exists(tx, &id)?;
        enable_one(tx, &id, &body, api == Api::Connections)
    })?;
    let shown = app
        .store
        .read(|c| Ok(connections_of(c, &id, Some(&conn), Api::Connections)))??;
    let mut one = shown.into_iter().next().unwrap_or(Value::Null);
    if api == Api::Enabled
        && let Value::Object(m) = &mut one
    {
        m.remove("is_enabled");
    }
    Ok(created(&one))
}

async fn get_connection(
    app: AppState,
    caller: Caller,
    ids: (String, String),
    api: Api,
) -> ApiResult {
    caller.require_scope("read:organization_connections")?;
    let (id, conn) = ids;
    let found = app.store.read(|c| {
        Ok(match exists(c, &id) {
            Ok(()) => connections_of(c, &id, Some(&conn), api),
            Err(e) => Err(e),
        })
    })??;
    Ok(ok_json(
        &found.into_iter().next().ok_or_else(|| not_enabled(&conn))?,
    ))
}

async fn change_connection(
    app: AppState,
    caller: Caller,
    ids: (String, String),
    body: Bytes,
    api: Api,
) -> ApiResult {
    caller.require_scope("update:organization_connections")?;
    let (id, conn) = ids;
    let body = json_body(&body)?;
    let mut known: Vec<&str> = FLAGS.iter().map(|(k, _)| *k).collect();
    if api == Api::Connections {
        known.extend([
            "is_enabled",
            "organization_connection_name",
            "organization_access_level",
        ]);
    }
    super::refuse_unknown(&body, &known)?;
    let given = flags_of(&body, api)?;
    app.store.write(|tx| {
        exists(tx, &id)?;
        // Through `/enabled_connections`, one that is not enabled is not there.
        let held: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM organization_connections WHERE organization_id = ?1 AND connection_id = ?2 \
                 AND (is_enabled = 1 OR ?3)",
                rusqlite::params![&id, &conn, api == Api::Connections],
                |r| r.get(0),
            )
            .optional()?;
        if held.is_none() {
            return Err(not_enabled(&conn));
        }
        for (k, v) in &given {
            // `k` is one of the fixed column names above.
            tx.execute(
                &format!(
                    "UPDATE organization_connections SET {k} = ?3 WHERE organization_id = ?1 AND connection_id = ?2"
                ),
                rusqlite::params![id, conn, v],
            )?;
        }
        Ok(())
    })?;
    let shown = app
        .store
        .read(|c| Ok(connections_of(c, &id, Some(&conn), api)))??;
    Ok(ok_json(
        &shown.into_iter().next().ok_or_else(|| not_enabled(&conn))?,
    ))
}

async fn remove_connection(
    app: AppState,
    caller: Caller,
    ids: (String, String),
    api: Api,
) -> ApiResult {
    caller.require_scope("delete:organization_connections")?;
    let (id, conn) = ids;
    app.store.write(|tx| {
        exists(tx, &id)?;
        let n = tx.execute(
            "DELETE FROM organization_connections WHERE organization_id = ?1 AND connection_id = ?2 \
             AND (is_enabled = 1 OR ?3)",
            rusqlite::params![&id, &conn, api == Api::Connections],
        )?;
        if n == 0 {
            return Err(not_enabled(&conn));
        }
        Ok(())
    })?;
    Ok(no_content())
}

/// `GET /api/v2/organizations/{id}/enabled_connections`.
pub(crate) async fn enabled_connections(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    list_connections(app, caller, id, uri, Api::Enabled).await
}

/// `POST /api/v2/organizations/{id}/enabled_connections {connection_id, flags}`: 201.
pub(crate) async fn enable_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    add_connection(app, caller, id, body, Api::Enabled).await
}

/// `GET /api/v2/organizations/{id}/enabled_connections/{connection_id}`.
pub(crate) async fn enabled_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
) -> ApiResult {
    get_connection(app, caller, ids, Api::Enabled).await
}

/// `PATCH /api/v2/organizations/{id}/enabled_connections/{connection_id} {flags}`.
pub(crate) async fn update_enabled_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    change_connection(app, caller, ids, body, Api::Enabled).await
}

/// `DELETE /api/v2/organizations/{id}/enabled_connections/{connection_id}`: 204.
pub(crate) async fn disable_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
) -> ApiResult {
    remove_connection(app, caller, ids, Api::Enabled).await
}

/// `GET /api/v2/organizations/{id}/connections`.
pub(crate) async fn connections(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    list_connections(app, caller, id, uri, Api::Connections).await
}

/// `POST /api/v2/organizations/{id}/connections`.
pub(crate) async fn add_organization_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    add_connection(app, caller, id, body, Api::Connections).await
}

/// `GET /api/v2/organizations/{id}/connections/{connection_id}`.
pub(crate) async fn organization_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
) -> ApiResult {
    get_connection(app, caller, ids, Api::Connections).await
}

/// `PATCH /api/v2/organizations/{id}/connections/{connection_id}`.
pub(crate) async fn update_organization_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    change_connection(app, caller, ids, body, Api::Connections).await
}

/// `DELETE /api/v2/organizations/{id}/connections/{connection_id}`: 204.
pub(crate) async fn remove_organization_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
) -> ApiResult {
    remove_connection(app, caller, ids, Api::Connections).await
}

/// `GET /api/v2/organizations/{id}/client-grants`: offset pages keyed `client_grants`.
pub(crate) async fn client_grants(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:organization_client_grants")?;
    let paging: Paging = paging(&params(&uri))?;
    let grants: Vec<Value> = app.store.read(|c| {
        Ok(exists(c, &id).and_then(|()| {
            let mut stmt = c.prepare(
                "SELECT g.grant_id FROM organization_client_grants g WHERE g.organization_id = ?1 ORDER BY g.grant_id",
            )?;
            let ids = stmt
                .query_map([&id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::new();
            for g in ids {
                out.extend(super::client_grants::find(c, &g)?);
            }
            Ok(out)
        }))
    })??;
    let total = grants.len();
    let page: Vec<Value> = grants
        .into_iter()
        .skip(paging.start())
        .take(paging.per_page)
        .collect();
    Ok(ok_json(&page_shape(page, total, &paging, "client_grants")))
}

/// `POST /api/v2/organizations/{id}/client-grants {grant_id}`: 201 with the grant.
pub(crate) async fn add_client_grant(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("create:organization_client_grants")?;
    let body = json_body(&body)?;
    super::refuse_unknown(&body, &["grant_id"])?;
    let Some(grant) = body.get("grant_id").and_then(Value::as_str) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: grant_id'",
        ));
    };
    let shown = app.store.write(|tx| {
        exists(tx, &id)?;
        let Some(g) = super::client_grants::find(tx, grant)? else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "inexistent_client_grant",
                format!("The client grant does not exist: {grant}"),
            ));
        };
        tx.execute(
            "INSERT OR IGNORE INTO organization_client_grants (organization_id, grant_id) VALUES (?1, ?2)",
            [&id, grant],
        )?;
        Ok(g)
    })?;
    Ok(created(&shown))
}

/// `DELETE /api/v2/organizations/{id}/client-grants/{grant_id}`: 204.
pub(crate) async fn remove_client_grant(
    State(app): State<AppState>,
    caller: Caller,
    Path((id, grant)): Path<(String, String)>,
) -> ApiResult {
    caller.require_scope("delete:organization_client_grants")?;
    app.store.write(|tx| {
        exists(tx, &id)?;
        tx.execute(
            "DELETE FROM organization_client_grants WHERE organization_id = ?1 AND grant_id = ?2",
            [&id, &grant],
        )?;
        Ok(())
    })?;
    Ok(no_content())
}

/// `/api/v2/organizations/{id}/discovery-domains` and `/clients`: paid features this emulator
/// does not have, answered as on a plan without them.
pub(crate) async fn not_on_this_plan(caller: Caller) -> ApiResult {
    caller.require_scope("read:organizations")?;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "feature_not_enabled",
        "This feature is not enabled for this tenant.",
    ))
}
