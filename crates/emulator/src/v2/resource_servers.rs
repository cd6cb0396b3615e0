//! `/api/v2/resource-servers`: the tenant's APIs, `{id, identifier, name, scopes, signing_alg,
//! …}`, addressed by id or by identifier. Identifiers are unique (409, by the store's UNIQUE
//! constraint inside the write) and cannot change. The tenant's own Management API (`is_system`,
//! its identifier this emulator's `…/api/v2/`) exists from the start, is listed first, and can
//! be neither changed nor deleted (400). An `HS256` API gets a `signing_secret` when none is
//! given. Deleting an API deletes its client grants.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, conflict, created, invalid_body, no_content, page_of, paging};
use crate::caller::{Caller, SCOPES};
use crate::store::is_unique_violation;
use crate::{ApiError, ApiResult, App, AppState, base_url, json_body, ok_json, random_id};

const ALGS: &[&str] = &["HS256", "RS256", "RS512", "PS256"];
const DIALECTS: &[&str] = &[
    "access_token",
    "access_token_authz",
    "rfc9068_profile",
    "rfc9068_profile_authz",
];
/// The fields an update may set; a create may also set `identifier`.
const UPDATE_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("scopes", Ty::Objects),
    ("signing_alg", Ty::OneOf(ALGS)),
    ("signing_secret", Ty::Str),
    ("allow_offline_access", Ty::Bool),
    ("token_lifetime", Ty::Int),
    // Not in the spec's create or update bodies, but the service takes it (auth0-deploy-cli
    // sends what it exported).
    ("token_lifetime_for_web", Ty::Int),
    ("token_dialect", Ty::OneOf(DIALECTS)),
    ("skip_consent_for_verifiable_first_party_clients", Ty::Bool),
    ("enforce_policies", Ty::Bool),
    ("client", Ty::Object),
    ("token_encryption", Ty::Object),
    ("consent_policy", Ty::Str),
    ("authorization_details", Ty::Array),
    ("proof_of_possession", Ty::Object),
];
/// The system API's id.
const SYSTEM_ID: &str = "rs_management_api";

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_resource_server",
        format!("Resource server not found: {id}"),
    )
}

/// The tenant's Management API, as this emulator serves it at `base`.
fn system(base: &str) -> Value {
    json!({
        "id": SYSTEM_ID,
        "name": "Auth0 Management API",
        "identifier": format!("{base}/api/v2/"),
        "is_system": true,
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": false,
        "token_lifetime": 86400,
        "token_lifetime_for_web": 7200,
        "signing_alg": "RS256",
        "scopes": SCOPES
            .iter()
            .map(|s| json!({"value": s, "description": s.replace(['_', ':'], " ")}))
            .collect::<Vec<_>>(),
    })
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let data: String = r.get(0)?;
    Ok(serde_json::from_str(&data).unwrap_or(Value::Null))
}

/// Every API but the system one, in creation order.
fn stored(app: &App) -> Result<Vec<Value>, ApiError> {
    app.store.read(|c| {
        let mut stmt = c.prepare_cached("SELECT data FROM resource_servers ORDER BY seq")?;
        let rows = stmt.query_map([], row)?;
        rows.collect()
    })
}

/// One stored API by id or identifier.
fn find(tx: &rusqlite::Connection, key: &str) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT data FROM resource_servers WHERE id = ?1 OR identifier = ?1",
            [key],
            row,
        )
        .optional()?)
}

/// Whether `key` names the system API at `base` (by id or identifier, with or without the
/// trailing slash).
fn is_system(key: &str, base: &str) -> bool {
    key == SYSTEM_ID || key.trim_end_matches('/') == format!("{base}/api/v2")
}

/// Each scope is `{value, description?}` with a non-empty value, and no value is listed twice.
fn check_scopes(body: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(scopes) = body.get("scopes").and_then(Value::as_array) else {
        return Ok(());
    };
    let mut seen = std::collections::HashSet::new();
    for s in scopes {
        let obj = s.as_object().filter(|o| {
            o.keys().all(|k| k == "value" || k == "description")
                && o.get("description").is_none_or(Value::is_string)
        });
        let value = obj
            .and_then(|o| o.get("value"))
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty());
        let Some(value) = value else {
            return Err(invalid_body(
                "Payload validation error: each of 'scopes' is {value, description} with a non-empty value",
            ));
        };
        if !seen.insert(value) {
            return Err(invalid_body(format!(
                "Payload validation error: scope '{value}' is listed twice"
            )));
        }
    }
    Ok(())
}

fn set(stored: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (k, v) in body {
        if v.is_null() {
            stored.remove(k);
        } else {
            stored.insert(k.clone(), v.clone());
        }
    }
    if stored.get("signing_alg").and_then(Value::as_str) == Some("HS256")
        && !stored.contains_key("signing_secret")
    {
        stored.insert("signing_secret".into(), json!(random_id(32)));
    }
}

fn save(tx: &rusqlite::Connection, stored: &Map<String, Value>) -> Result<(), ApiError> {
    let id = stored.get("id").and_then(Value::as_str).unwrap_or_default();
    let identifier = stored
        .get("identifier")
        .and_then(Value::as_str)
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO resource_servers (id, identifier, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        rusqlite::params![id, identifier, Value::Object(stored.clone()).to_string()],
    )
    .map_err(|e| {
        if is_unique_violation(&e, "resource_servers.identifier") {
            conflict(format!(
                "A resource server with the same identifier already exists: {identifier}"
            ))
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// The `identifiers` filters of a query (repeatable; at most 10).
fn identifiers(uri: &Uri) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k == "identifiers" || k == "identifiers[]")
        .map(|(_, v)| v.into_owned())
        .collect();
    if ids.len() > 10 {
        return Err(super::invalid_query(
            "Query validation error: at most 10 'identifiers' may be given",
        ));
    }
    Ok(ids)
}

/// `GET /api/v2/resource-servers`: the system API first, then the others in creation order;
/// `identifiers` filter, paging.
pub(crate) async fn list(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:resource_servers")?;
    let params: HashMap<String, String> = crate::params(&uri);
    let paging = paging(&params)?;
    let wanted = identifiers(&uri)?;
    let mut all = vec![system(&base_url(&app, &headers))];
    all.extend(stored(&app)?);
    let all = all
        .into_iter()
        .filter(|rs| {
            wanted.is_empty()
                || rs["identifier"]
                    .as_str()
                    .is_some_and(|i| wanted.iter().any(|w| w == i))
        })
        .map(|rs| super::select_fields(rs, &params))
        .collect();
    Ok(ok_json(&page_of(all, &paging, "resource_servers")))
}

/// `GET /api/v2/resource-servers/{id}` (an id or an identifier).
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:resource_servers")?;
    let base = base_url(&app, &headers);
    let rs = if is_system(&id, &base) {
        system(&base)
    } else {
        app.store
            .read(|c| Ok(find(c, &id)))??
            .ok_or_else(|| not_found(&id))?
    };
    Ok(ok_json(&super::select_fields(rs, &crate::params(&uri))))
}

/// `POST /api/v2/resource-servers {identifier, …}`: 201; 409 for an identifier in use.
pub(crate) async fn create(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("create:resource_servers")?;
    let body = json_body(&body)?;
    let mut fields = UPDATE_FIELDS.to_vec();
    fields.push(("identifier", Ty::Str));
    check_body(&body, &fields, false)?;
    check_scopes(&body)?;
    let Some(identifier) = body
        .get("identifier")
        .and_then(Value::as_str)
        .filter(|i| !i.trim().is_empty())
    else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: identifier'",
        ));
    };
    if is_system(identifier, &base_url(&app, &headers)) {
        return Err(conflict(format!(
            "A resource server with the same identifier already exists: {identifier}"
        )));
    }
    let mut stored = Map::new();
    stored.insert("id".into(), json!(random_id(24).to_lowercase()));
    stored.insert("name".into(), json!(identifier));
    stored.insert("identifier".into(), json!(identifier));
    stored.insert("is_system".into(), json!(false));
    stored.insert("scopes".into(), json!([]));
    stored.insert("signing_alg".into(), json!("HS256"));
    stored.insert("allow_offline_access".into(), json!(false));
    stored.insert("token_lifetime".into(), json!(86400));
    stored.insert("token_lifetime_for_web".into(), json!(7200));
    stored.insert(
        "skip_consent_for_verifiable_first_party_clients".into(),
        json!(false),
    );
    stored.insert("enforce_policies".into(), json!(false));
    stored.insert("token_dialect".into(), json!("access_token"));
    set(&mut stored, &body);
    app.store.write(|tx| save(tx, &stored))?;
    Ok(created(&Value::Object(stored)))
}

/// `PATCH /api/v2/resource-servers/{id}`: sets the given fields (`identifier` cannot change;
/// the system API cannot be patched).
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:resource_servers")?;
    if is_system(&id, &base_url(&app, &headers)) {
        return Err(invalid_body("System resource servers cannot be patched"));
    }
    let body = json_body(&body)?;
    check_body(&body, UPDATE_FIELDS, true)?;
    check_scopes(&body)?;
    let stored = app.store.write(|tx| {
        let Some(Value::Object(mut stored)) = find(tx, &id)? else {
            return Err(not_found(&id));
        };
        set(&mut stored, &body);
        save(tx, &stored)?;
        Ok(stored)
    })?;
    Ok(ok_json(&Value::Object(stored)))
}

/// `DELETE /api/v2/resource-servers/{id}`: 204 (the system API cannot be deleted).
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:resource_servers")?;
    if is_system(&id, &base_url(&app, &headers)) {
        return Err(invalid_body("System resource servers cannot be deleted"));
    }
    // Its grants go with it, as on the service.
    let deleted = app.store.write(|tx| {
        let identifier: Option<String> = tx
            .query_row(
                "SELECT identifier FROM resource_servers WHERE id = ?1 OR identifier = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(identifier) = &identifier {
            tx.execute(
                "DELETE FROM client_grants WHERE audience = ?1",
                [identifier],
            )?;
        }
        Ok(tx.execute(
            "DELETE FROM resource_servers WHERE id = ?1 OR identifier = ?1",
            [&id],
        )?)
    })?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}

/// The scopes the API `audience` defines (the system API's at `base` included); `None` when
/// the tenant has no such API.
pub(crate) fn scopes_of(
    tx: &rusqlite::Connection,
    audience: &str,
    base: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let api = if is_system(audience, base) {
        Some(system(base))
    } else {
        find(tx, audience)?
    };
    Ok(api.map(|a| {
        a["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["value"].as_str().map(str::to_string))
            .collect()
    }))
}

/// Whether `audience` is the tenant's Management API (at whatever host it was reached by).
pub(crate) fn is_management_api(audience: &str) -> bool {
    audience.trim_end_matches('/').ends_with("/api/v2")
}
