//! `/api/v2/roles`: `{id, name, description}`, names unique (409); a role's permissions are a
//! set kept under it (`/roles/{id}/permissions`): `POST` adds and `DELETE` removes the listed
//! `{resource_server_identifier, permission_name}` pairs (at most 1,000 a call), each a scope
//! its API defines (400), its API one of the tenant's (404). Deleting a role deletes its
//! permissions.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, conflict, created, invalid_body, no_content, page_of, paging};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{ApiError, ApiResult, AppState, base_url, json_body, ok_json, params, random_id};

const FIELDS: &[(&str, Ty)] = &[("name", Ty::Str), ("description", Ty::Str)];
/// Most permissions one call adds or removes.
const MAX_PERMISSIONS: usize = 1000;

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_role",
        format!("Role not found: {id}"),
    )
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let description: Option<String> = r.get(2)?;
    let mut v = json!({"id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?});
    if let Some(d) = description {
        v["description"] = json!(d);
    }
    Ok(v)
}

fn find(c: &rusqlite::Connection, id: &str) -> Result<Option<Value>, ApiError> {
    Ok(c.query_row(
        "SELECT id, name, description FROM roles WHERE id = ?1",
        [id],
        row,
    )
    .optional()?)
}

fn write_error(e: rusqlite::Error, name: &str) -> ApiError {
    if is_unique_violation(&e, "roles.name") {
        conflict(format!("A role with the same name already exists: {name}"))
    } else {
        e.into()
    }
}

fn name_of(body: &Map<String, Value>) -> Result<Option<&str>, ApiError> {
    match body.get("name") {
        None => Ok(None),
        Some(Value::String(n)) if !n.trim().is_empty() => Ok(Some(n)),
        _ => Err(invalid_body(
            "Payload validation error: 'name' must be a non-empty string",
        )),
    }
}

/// `GET /api/v2/roles`: in creation order; `name_filter` keeps the names that contain it
/// (case-insensitive); paging.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:roles")?;
    let params = params(&uri);
    let paging = paging(&params)?;
    let filter = params.get("name_filter").map(|f| f.to_lowercase());
    let roles: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached("SELECT id, name, description FROM roles ORDER BY seq")?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    })?;
    let roles = roles
        .into_iter()
        .filter(|r| {
            filter.as_ref().is_none_or(|f| {
                r["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(f.as_str()))
            })
        })
        .collect();
    Ok(ok_json(&page_of(roles, &paging, "roles")))
}

/// `POST /api/v2/roles {name, description?}`: 200 with the role (as the service answers).
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:roles")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, false)?;
    let Some(name) = name_of(&body)? else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name'",
        ));
    };
    let id = format!("rol_{}", random_id(16));
    let description = body.get("description").and_then(Value::as_str);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO roles (id, name, description) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, name, description],
        )
        .map_err(|e| write_error(e, name))?;
        Ok(())
    })?;
    let role = app
        .store
        .read(|c| Ok(find(c, &id)))??
        .ok_or_else(|| not_found(&id))?;
    Ok(created(&role))
}

/// `GET /api/v2/roles/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:roles")?;
    let role = app
        .store
        .read(|c| Ok(find(c, &id)))??
        .ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&role))
}

/// `PATCH /api/v2/roles/{id} {name?, description?}`.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:roles")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, true)?;
    let name = name_of(&body)?;
    let description = body.get("description");
    app.store.write(|tx| {
        if find(tx, &id)?.is_none() {
            return Err(not_found(&id));
        }
        if let Some(name) = name {
            tx.execute("UPDATE roles SET name = ?2 WHERE id = ?1", [&id, name])
                .map_err(|e| write_error(e, name))?;
        }
        if let Some(d) = description {
            tx.execute(
                "UPDATE roles SET description = ?2 WHERE id = ?1",
                rusqlite::params![id, d.as_str()],
            )?;
        }
        Ok(())
    })?;
    let role = app
        .store
        .read(|c| Ok(find(c, &id)))??
        .ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&role))
}

/// `DELETE /api/v2/roles/{id}`: 200 (its permissions go with it).
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:roles")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM roles WHERE id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}

/// `GET /api/v2/roles/{id}/permissions`: offset pages of `{resource_server_identifier,
/// permission_name, resource_server_name, description}`.
pub(crate) async fn permissions(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:roles")?;
    let paging = paging(&params(&uri))?;
    if app.store.read(|c| Ok(find(c, &id)))??.is_none() {
        return Err(not_found(&id));
    }
    let items: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT api, scope FROM role_permissions WHERE role_id = ?1 ORDER BY api, scope",
        )?;
        let rows = stmt.query_map([&id], |r| {
            let (api, scope): (String, String) = (r.get(0)?, r.get(1)?);
            Ok(json!({
                "resource_server_identifier": api,
                "permission_name": scope,
                "resource_server_name": api,
                "description": "",
            }))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(ok_json(&page_of(items, &paging, "permissions")))
}

/// The `(API, scope)` pairs of a permissions body.
fn pairs(body: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    super::refuse_unknown(body, &["permissions"])?;
    let Some(Value::Array(items)) = body.get("permissions") else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: permissions'",
        ));
    };
    if items.is_empty() || items.len() > MAX_PERMISSIONS {
        return Err(invalid_body(format!(
            "Payload validation error: 'permissions' holds from 1 to {MAX_PERMISSIONS} items"
        )));
    }
    items
        .iter()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
            match (text("resource_server_identifier"), text("permission_name")) {
                (Some(api), Some(scope)) => Ok((api.to_string(), scope.to_string())),
                _ => Err(invalid_body(
                    "Payload validation error: each permission is {resource_server_identifier, permission_name}",
                )),
            }
        })
        .collect()
}

/// `POST /api/v2/roles/{id}/permissions {permissions}`: 201; each a scope its API defines.
pub(crate) async fn add_permissions(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:roles")?;
    let pairs = pairs(&json_body(&body)?)?;
    let base = base_url(&app, &headers);
    app.store.write(|tx| {
        if find(tx, &id)?.is_none() {
            return Err(not_found(&id));
        }
        for (api, scope) in &pairs {
            let Some(defined) = super::resource_servers::scopes_of(tx, api, &base)? else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "inexistent_resource_server",
                    format!("Resource server not found: {api}"),
                ));
            };
            if !defined.contains(scope) {
                return Err(invalid_body(format!(
                    "Permission '{scope}' does not exist on resource server '{api}'"
                )));
            }
            tx.execute(
                "INSERT OR IGNORE INTO role_permissions (role_id, api, scope) VALUES (?1, ?2, ?3)",
                [&id, api, scope],
            )?;
        }
        Ok(())
    })?;
    Ok(created(&json!({})))
}

/// `DELETE /api/v2/roles/{id}/permissions {permissions}`: 204.
pub(crate) async fn remove_permissions(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:roles")?;
    let pairs = pairs(&json_body(&body)?)?;
    app.store.write(|tx| {
        if find(tx, &id)?.is_none() {
            return Err(not_found(&id));
        }
        for (api, scope) in &pairs {
            tx.execute(
                "DELETE FROM role_permissions WHERE role_id = ?1 AND api = ?2 AND scope = ?3",
                [&id, api, scope],
            )?;
        }
        Ok(())
    })?;
    Ok(no_content())
}
