//! `/api/v2/client-grants`: a client allowed tokens for an API, `{id, client_id, audience,
//! scope, organization_usage?, allow_any_organization?}`. One grant per client and audience
//! (409); the client must exist (404) and the audience be an API of the tenant (404), and each
//! scope one that API defines (400). Listed by offset pages or by checkpoint (`from`, `take`),
//! filtered by `audience` and `client_id`. A grant to the Management API's audience is what
//! gives a client its Management API scopes (`auth`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{
    Ty, check_body, conflict, created, invalid_body, no_content, page_of, paging, select_fields,
};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{ApiError, ApiResult, App, AppState, base_url, json_body, ok_json, params, random_id};

const USAGE: &[&str] = &["deny", "allow", "require"];
const UPDATE_FIELDS: &[(&str, Ty)] = &[
    ("scope", Ty::Strings),
    ("organization_usage", Ty::OneOf(USAGE)),
    ("allow_any_organization", Ty::Bool),
];
const MAX_TAKE: usize = 100;

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_client_grant",
        format!("Client grant not found: {id}"),
    )
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)> {
    let data: String = r.get(1)?;
    Ok((
        r.get(0)?,
        serde_json::from_str(&data).unwrap_or(Value::Null),
    ))
}

pub(crate) fn find(tx: &rusqlite::Connection, id: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT seq, data FROM client_grants WHERE id = ?1",
            [id],
            row,
        )
        .optional()?
        .map(|(_, v)| v))
}

/// Each scope of the body is one the API defines.
fn check_scope(
    tx: &rusqlite::Connection,
    body: &Map<String, Value>,
    audience: &str,
    base: &str,
) -> Result<(), ApiError> {
    let Some(defined) = super::resource_servers::scopes_of(tx, audience, base)? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "inexistent_resource_server",
            format!("No resource server found by specified identifier: {audience}"),
        ));
    };
    for s in body
        .get("scope")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !defined.iter().any(|d| d == s) {
            return Err(invalid_body(format!(
                "Client has requested scopes that the resource server does not define: {s}"
            )));
        }
    }
    Ok(())
}

/// All grants matching the query's filters, in creation order, with their positions.
fn matching(app: &App, uri: &Uri) -> Result<Vec<(i64, Value)>, ApiError> {
    let params = params(uri);
    let audience = params.get("audience").filter(|a| !a.is_empty()).cloned();
    let client = params.get("client_id").filter(|a| !a.is_empty()).cloned();
    let all: Vec<(i64, Value)> = app.store.read(|c| {
        let mut stmt = c.prepare_cached("SELECT seq, data FROM client_grants ORDER BY seq")?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    })?;
    Ok(all
        .into_iter()
        .filter(|(_, g)| {
            audience
                .as_ref()
                .is_none_or(|a| g["audience"] == a.as_str())
                && client.as_ref().is_none_or(|c| g["client_id"] == c.as_str())
        })
        .collect())
}

/// `GET /api/v2/client-grants`: offset pages, or checkpoint pages (`from`, `take`: `next` is
/// the position of the first grant of the next page).
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:client_grants")?;
    let params = params(&uri);
    let grants = matching(&app, &uri)?;
    if super::wants_checkpoint(&params) {
        let (from, take) = super::checkpoint(&params, MAX_TAKE)?;
        let mut rest = grants.into_iter().filter(|(seq, _)| *seq >= from);
        let page: Vec<Value> = rest
            .by_ref()
            .take(take)
            .map(|(_, g)| select_fields(g, &params))
            .collect();
        let mut out = Map::new();
        out.insert("client_grants".into(), Value::Array(page));
        if let Some((next, _)) = rest.next() {
            out.insert("next".into(), json!(next.to_string()));
        }
        return Ok(ok_json(&Value::Object(out)));
    }
    let paging = paging(&params)?;
    let all = grants
        .into_iter()
        .map(|(_, g)| select_fields(g, &params))
        .collect();
    Ok(ok_json(&page_of(all, &paging, "client_grants")))
}

/// `GET /api/v2/client-grants/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:client_grants")?;
    let g = app
        .store
        .read(|c| Ok(find(c, &id)))??
        .ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&g))
}

/// `POST /api/v2/client-grants {client_id, audience, scope}`: 201.
pub(crate) async fn create(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("create:client_grants")?;
    let body = json_body(&body)?;
    let mut fields = UPDATE_FIELDS.to_vec();
    fields.extend([("client_id", Ty::Str), ("audience", Ty::Str)]);
    check_body(&body, &fields, false)?;
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(client_id), Some(audience), true) = (
        text("client_id"),
        text("audience"),
        body.contains_key("scope"),
    ) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: client_id, audience, scope'",
        ));
    };
    let base = base_url(&app, &headers);
    // The Management API has one audience, however it is written.
    let own = format!("{base}/api/v2/");
    let audience = if audience.trim_end_matches('/') == own.trim_end_matches('/') {
        own.as_str()
    } else {
        audience
    };
    let mut stored = Map::new();
    stored.insert("id".into(), json!(format!("cgr_{}", random_id(16))));
    for (k, v) in &body {
        stored.insert(k.clone(), v.clone());
    }
    stored.insert("audience".into(), json!(audience));
    app.store.write(|tx| {
        if crate::clients::name_of_in(tx, client_id)?.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "inexistent_client",
                format!("Client not found: {client_id}"),
            ));
        }
        check_scope(tx, &body, audience, &base)?;
        tx.execute(
            "INSERT INTO client_grants (id, client_id, audience, data) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                stored["id"].as_str(),
                client_id,
                audience,
                Value::Object(stored.clone()).to_string()
            ],
        )
        .map_err(|e| {
            if is_unique_violation(&e, "client_grants.client_id") {
                conflict(format!(
                    "A client grant for client {client_id} and audience {audience} already exists"
                ))
            } else {
                e.into()
            }
        })?;
        Ok(())
    })?;
    Ok(created(&Value::Object(stored)))
}

/// `PATCH /api/v2/client-grants/{id} {scope?, organization_usage?, allow_any_organization?}`.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:client_grants")?;
    let body = json_body(&body)?;
    check_body(&body, UPDATE_FIELDS, true)?;
    let base = base_url(&app, &headers);
    let stored = app.store.write(|tx| {
        let Some(Value::Object(mut stored)) = find(tx, &id)? else {
            return Err(not_found(&id));
        };
        let audience = stored["audience"].as_str().unwrap_or_default().to_string();
        check_scope(tx, &body, &audience, &base)?;
        for (k, v) in &body {
            if v.is_null() {
                stored.remove(k);
            } else {
                stored.insert(k.clone(), v.clone());
            }
        }
        tx.execute(
            "UPDATE client_grants SET data = ?2 WHERE id = ?1",
            rusqlite::params![id, Value::Object(stored.clone()).to_string()],
        )?;
        Ok(stored)
    })?;
    Ok(ok_json(&Value::Object(stored)))
}

/// `DELETE /api/v2/client-grants/{id}`: 204.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:client_grants")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM client_grants WHERE id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}

/// The Management API scopes the grants give `client_id` (its grants to the Management API's
/// audience).
pub(crate) fn management_scopes(
    c: &rusqlite::Connection,
    client_id: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        c.prepare_cached("SELECT audience, data FROM client_grants WHERE client_id = ?1")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([client_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter(|(a, _)| super::resource_servers::is_management_api(a))
        .flat_map(|(_, d)| {
            let v: Value = serde_json::from_str(&d).unwrap_or(Value::Null);
            v["scope"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect())
}
