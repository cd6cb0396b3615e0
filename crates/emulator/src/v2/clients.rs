//! `/api/v2/clients`: the v1 clients (same rows: `clientID` is `client_id`), with v2's fields.
//! `name` and `callbacks` live in v1's columns; every other v2 field in the row's `v2` object.
//! PATCH sets the given fields and `null` removes one; unknown fields are 400. `client_secret`
//! is shown only to tokens with `read:client_keys`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, created, no_content, page_of, page_shape, paging, select_fields};
use crate::caller::Caller;
use crate::{
    ApiError, ApiResult, AppState, check_name_length, json_body, ok_json, params, random_id,
};

const APP_TYPES: &[&str] = &[
    "native",
    "spa",
    "regular_web",
    "non_interactive",
    "rms",
    "box",
    "cloudbees",
    "concur",
    "dropbox",
    "mscrm",
    "echosign",
    "egnyte",
    "newrelic",
    "office365",
    "salesforce",
    "sentry",
    "sharepoint",
    "slack",
    "springcm",
    "zendesk",
    "zoom",
    "sso_integration",
    "oag",
];
const AUTH_METHODS: &[&str] = &["none", "client_secret_post", "client_secret_basic"];

/// Every writable field of the spec's `clientCreate`/`clientUpdate` and its type
/// (`client_secret` is writable on PATCH only).
const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("description", Ty::Str),
    ("client_secret", Ty::Str),
    ("logo_uri", Ty::Str),
    ("callbacks", Ty::Strings),
    ("oidc_logout", Ty::Object),
    ("allowed_origins", Ty::Strings),
    ("web_origins", Ty::Strings),
    ("client_aliases", Ty::Strings),
    ("allowed_clients", Ty::Strings),
    ("allowed_logout_urls", Ty::Strings),
    ("grant_types", Ty::Strings),
    ("token_endpoint_auth_method", Ty::OneOf(AUTH_METHODS)),
    ("app_type", Ty::OneOf(APP_TYPES)),
    ("is_first_party", Ty::Bool),
    ("oidc_conformant", Ty::Bool),
    ("jwt_configuration", Ty::Object),
    ("encryption_key", Ty::Object),
    ("sso", Ty::Bool),
    ("cross_origin_authentication", Ty::Bool),
    ("cross_origin_loc", Ty::Str),
    ("sso_disabled", Ty::Bool),
    ("custom_login_page_on", Ty::Bool),
    ("custom_login_page", Ty::Str),
    ("custom_login_page_preview", Ty::Str),
    ("form_template", Ty::Str),
    ("addons", Ty::Object),
    ("client_metadata", Ty::Object),
    ("mobile", Ty::Object),
    ("initiate_login_uri", Ty::Str),
    ("native_social_login", Ty::Object),
    ("refresh_token", Ty::Object),
    ("default_organization", Ty::Object),
    (
        "organization_usage",
        Ty::OneOf(&["deny", "allow", "require"]),
    ),
    (
        "organization_require_behavior",
        Ty::OneOf(&["no_prompt", "pre_login_prompt", "post_login_prompt"]),
    ),
    ("client_authentication_methods", Ty::Object),
    ("require_pushed_authorization_requests", Ty::Bool),
    ("require_proof_of_possession", Ty::Bool),
    ("signed_request_object", Ty::Object),
    ("compliance_level", Ty::Str),
];

/// Fields with their own column; the rest live in the `v2` object.
const COLUMN_FIELDS: [&str; 3] = ["name", "callbacks", "client_secret"];

fn row_to_json(r: &rusqlite::Row<'_>, tenant: &str) -> rusqlite::Result<Value> {
    let callbacks: String = r.get(4)?;
    let extra: String = r.get(5)?;
    let mut out = Map::new();
    out.insert("tenant".into(), json!(tenant));
    out.insert("global".into(), json!(r.get::<_, bool>(3)?));
    out.insert("is_first_party".into(), json!(true));
    out.insert("name".into(), json!(r.get::<_, String>(2)?));
    out.insert("client_id".into(), json!(r.get::<_, String>(0)?));
    out.insert("client_secret".into(), json!(r.get::<_, String>(1)?));
    out.insert(
        "callbacks".into(),
        serde_json::from_str::<Value>(&callbacks).unwrap_or_else(|_| json!([])),
    );
    if let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&extra) {
        out.extend(extra);
    }
    Ok(Value::Object(out))
}

const COLUMNS: &str = "client_id, client_secret, name, global, callbacks, v2";

fn visible(mut client: Value, caller: &Caller) -> Value {
    if !caller.has_scope("read:client_keys")
        && let Some(map) = client.as_object_mut()
    {
        map.remove("client_secret");
    }
    client
}

fn find(app: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM clients WHERE client_id = ?1"),
            [id],
            |r| row_to_json(r, &app.tenant),
        )
        .optional()
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "inexistent_client",
        format!("Client not found: {id}"),
    )
}

/// A `true`/`false` query parameter; absent or empty is `None`, anything else 400.
fn boolean(params: &HashMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    match params.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(v) => Err(super::invalid_query(format!(
            "Query validation error: '{name}' must be true or false, not '{v}'"
        ))),
    }
}

/// `GET /api/v2/clients`: `is_global`, `is_first_party`, `app_type` (comma-separated), `fields`/`include_fields`, paging.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:clients")?;
    let params = params(&uri);
    let paging = paging(&params)?;
    let is_global = boolean(&params, "is_global")?;
    let is_first_party = boolean(&params, "is_first_party")?;
    let app_types: Vec<&str> = params
        .get("app_type")
        .map(|t| t.split(',').filter(|t| !t.is_empty()).collect())
        .unwrap_or_default();
    if is_global.is_none() && is_first_party.is_none() && app_types.is_empty() {
        // Unfiltered (how tools read every client): the page alone is read and shaped, so a
        // page costs O(page size) whatever the tenant holds (rows are stepped over by rowid).
        let (total, page) = app.store.read(|c| {
            let total: i64 = c.query_row("SELECT COUNT(*) FROM clients", [], |r| r.get(0))?;
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM clients ORDER BY seq LIMIT ?1 OFFSET ?2"
            ))?;
            let limit = i64::try_from(paging.per_page).unwrap_or(i64::MAX);
            let offset = i64::try_from(paging.start()).unwrap_or(i64::MAX);
            let rows = stmt.query_map([limit, offset], |r| row_to_json(r, &app.tenant))?;
            Ok((total, rows.collect::<rusqlite::Result<Vec<Value>>>()?))
        })?;
        let page = page
            .into_iter()
            .map(|c| select_fields(visible(c, &caller), &params))
            .collect();
        let total = usize::try_from(total).unwrap_or_default();
        return Ok(ok_json(&page_shape(page, total, &paging, "clients")));
    }
    let clients: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM clients ORDER BY seq"))?;
        let rows = stmt.query_map([], |r| row_to_json(r, &app.tenant))?;
        rows.collect()
    })?;
    let clients: Vec<Value> = clients
        .into_iter()
        .filter(|c| is_global.is_none_or(|g| c["global"].as_bool() == Some(g)))
        .filter(|c| is_first_party.is_none_or(|f| c["is_first_party"].as_bool() == Some(f)))
        .filter(|c| {
            app_types.is_empty()
                || c["app_type"]
                    .as_str()
                    .is_some_and(|t| app_types.contains(&t))
        })
        .map(|c| select_fields(visible(c, &caller), &params))
        .collect();
    Ok(ok_json(&page_of(clients, &paging, "clients")))
}

/// `GET /api/v2/clients/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:clients")?;
    let client = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&select_fields(
        visible(client, &caller),
        &params(&uri),
    )))
}

/// Split a checked body into the columns it sets and the `v2` object's changes.
fn apply(extra: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (k, v) in body {
        if COLUMN_FIELDS.contains(&k.as_str()) {
            continue;
        }
        if v.is_null() {
            extra.remove(k);
        } else {
            extra.insert(k.clone(), v.clone());
        }
    }
}

fn callbacks_text(body: &Map<String, Value>) -> Option<String> {
    body.get("callbacks").map(|v| match v {
        Value::Null => "[]".to_string(),
        v => v.to_string(),
    })
}

/// `POST /api/v2/clients`: 201 with the client (its secret included for `read:client_keys`).
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:clients")?;
    let body = json_body(&body)?;
    // Private-key JWT credentials take a scope of their own (the spec's notes).
    if body.contains_key("client_authentication_methods") {
        caller.require_scope("create:client_credentials")?;
    }
    if body.contains_key("client_secret") {
        return Err(super::invalid_body(
            "Payload validation error: 'Additional properties not allowed: client_secret'",
        ));
    }
    check_body(&body, FIELDS, false)?;
    let name = match body.get("name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => n.to_string(),
        _ => {
            return Err(super::invalid_body(
                "Payload validation error: 'Missing required property: name'",
            ));
        }
    };
    check_name_length("client", &name)?;
    let mut extra = Map::new();
    apply(&mut extra, &body);
    let id = random_id(32);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO clients (client_id, client_secret, name, global, callbacks, v2)
             VALUES (?1, ?2, ?3, 0, ?4, ?5)",
            rusqlite::params![
                id,
                random_id(64),
                name,
                callbacks_text(&body).unwrap_or_else(|| "[]".into()),
                Value::Object(extra).to_string()
            ],
        )?;
        Ok(())
    })?;
    let client = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(created(&visible(client, &caller)))
}

/// `PATCH /api/v2/clients/{id}`: sets the given fields; `null` removes one.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:clients")?;
    let body = json_body(&body)?;
    if body.contains_key("client_authentication_methods") {
        caller.require_scope("update:client_credentials")?;
    }
    // As on the service, a client's secret is a key: `update:clients` alone does not set it.
    if body.contains_key("client_secret") {
        caller.require_scope("update:client_keys")?;
    }
    check_body(&body, FIELDS, true)?;
    let name = match body.get("name") {
        None => None,
        Some(Value::String(n)) if !n.trim().is_empty() => Some(n.clone()),
        Some(_) => {
            return Err(super::invalid_body(
                "Payload validation error: 'name' must be a non-empty string",
            ));
        }
    };
    if let Some(name) = &name {
        check_name_length("client", name)?;
    }
    let secret = match body.get("client_secret") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            return Err(super::invalid_body(
                "Payload validation error: 'client_secret' must be a non-empty string",
            ));
        }
    };
    let callbacks = callbacks_text(&body);
    app.store.write(|tx| {
        let (extra, global): (String, bool) = tx
            .query_row(
                "SELECT v2, global FROM clients WHERE client_id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| not_found(&id))?;
        // The global client holds the keys to everything (every scope, the `/__emulator`
        // routes): no other caller changes it, whatever its scopes.
        if global && !caller.global {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "insufficient_scope",
                "the global client can be changed only with its own token",
            ));
        }
        let mut extra = match serde_json::from_str::<Value>(&extra) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        apply(&mut extra, &body);
        tx.execute(
            "UPDATE clients SET name = COALESCE(?2, name), callbacks = COALESCE(?3, callbacks),
                                client_secret = COALESCE(?4, client_secret), v2 = ?5
             WHERE client_id = ?1",
            rusqlite::params![
                id,
                name,
                callbacks,
                secret,
                Value::Object(extra).to_string()
            ],
        )?;
        Ok(())
    })?;
    let client = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&visible(client, &caller)))
}

/// `DELETE /api/v2/clients/{id}`: 204; the global client cannot be deleted.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_scope("delete:clients")?;
    app.store.write(|tx| {
        let global: bool = tx
            .query_row(
                "SELECT global FROM clients WHERE client_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| not_found(&id))?;
        if global {
            return Err(ApiError::bad_request("the global client cannot be deleted"));
        }
        tx.execute("DELETE FROM clients WHERE client_id = ?1", [&id])?;
        Ok(())
    })?;
    app.tokens
        .lock()
        .expect("tokens lock")
        .retain(|_, t| t.client_id != id);
    Ok(no_content())
}
