//! The Management API v2 under `/api/v2`, over the same store as v1: one module per resource
//! beside v1's, each owning its SQL on the shared tables (a client created through v1 is the same
//! client here, `clientID` = `client_id`; v1's rule `status` is `enabled`; an email template's
//! `disabled` is NOT `enabled`). v2 tokens carry scopes (see `auth`); handlers check them.
//!
//! Errors here have v2's shape, `{"statusCode", "error", "message", "errorCode"}`: the handlers
//! raise the emulator's one error type and [`shape`], the outermost layer of `/api/v2` answers,
//! rewrites every error body (faults' 429/503/500, extractor rejections and unknown routes
//! included) and adds the `x-ratelimit-*` headers every v2 answer carries.

pub(crate) mod actions;
mod attack_protection;
mod branding;
pub(crate) mod client_grants;
mod clients;
mod connections;
mod custom_domains;
mod documents;
mod emails;
mod guardian;
pub(crate) mod log_streams;
mod objects;
mod organizations;
mod prompts;
mod provider;
pub(crate) mod resource_servers;
mod roles;
mod rules;
mod startup;
mod tenant;

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde_json::{Map, Value, json};

use super::{ApiError, AppState};

/// The nominal bucket the `x-ratelimit-*` headers name when no `--rate-limit` is set (nothing
/// is enforced then).
pub(crate) const NOMINAL_RATE_LIMIT: u32 = 1000;

/// The v2 routes, all behind the token layer.
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/v2/clients", get(clients::list).post(clients::create)),
        (
            "/api/v2/clients/{id}",
            get(clients::get_one)
                .patch(clients::update)
                .delete(clients::delete),
        ),
        (
            "/api/v2/connections",
            get(connections::list).post(connections::create),
        ),
        (
            "/api/v2/connections/{id}",
            get(connections::get_one)
                .patch(connections::update)
                .delete(connections::delete),
        ),
        (
            "/api/v2/connections/{id}/clients",
            get(connections::enabled_clients).patch(connections::set_enabled_clients),
        ),
        (
            "/api/v2/connections/{id}/scim-configuration",
            get(startup::scim_configuration),
        ),
        ("/api/v2/rules", get(rules::list).post(rules::create)),
        (
            "/api/v2/rules/{id}",
            get(rules::get_one)
                .patch(rules::update)
                .delete(rules::delete),
        ),
        ("/api/v2/email-templates", post(emails::create)),
        (
            "/api/v2/email-templates/{template}",
            get(emails::get_one)
                .patch(emails::update)
                .put(emails::replace),
        ),
        (
            "/api/v2/emails/provider",
            get(provider::get_one)
                .post(provider::create)
                .patch(provider::update)
                .delete(provider::delete),
        ),
        (
            "/api/v2/resource-servers",
            get(resource_servers::list).post(resource_servers::create),
        ),
        (
            "/api/v2/resource-servers/{id}",
            get(resource_servers::get_one)
                .patch(resource_servers::update)
                .delete(resource_servers::delete),
        ),
        (
            "/api/v2/client-grants",
            get(client_grants::list).post(client_grants::create),
        ),
        (
            "/api/v2/client-grants/{id}",
            get(client_grants::get_one)
                .patch(client_grants::update)
                .delete(client_grants::delete),
        ),
        (
            "/api/v2/tenants/settings",
            get(tenant::get_one).patch(tenant::update),
        ),
        ("/api/v2/roles", get(roles::list).post(roles::create)),
        (
            "/api/v2/roles/{id}",
            get(roles::get_one)
                .patch(roles::update)
                .delete(roles::delete),
        ),
        (
            "/api/v2/roles/{id}/permissions",
            get(roles::permissions)
                .post(roles::add_permissions)
                .delete(roles::remove_permissions),
        ),
        (
            "/api/v2/actions/actions",
            get(actions::list).post(actions::create),
        ),
        (
            "/api/v2/actions/actions/{id}",
            get(actions::get_one)
                .patch(actions::update)
                .delete(actions::delete),
        ),
        ("/api/v2/actions/actions/{id}/deploy", post(actions::deploy)),
        (
            "/api/v2/actions/actions/{id}/versions",
            get(actions::versions),
        ),
        (
            "/api/v2/actions/actions/{id}/versions/{version}",
            get(actions::version),
        ),
        (
            "/api/v2/actions/actions/{id}/versions/{version}/deploy",
            post(actions::deploy_version),
        ),
        ("/api/v2/actions/triggers", get(actions::triggers)),
        (
            "/api/v2/log-streams",
            get(log_streams::list).post(log_streams::create),
        ),
        (
            "/api/v2/log-streams/{id}",
            get(log_streams::get_one)
                .patch(log_streams::update)
                .delete(log_streams::delete),
        ),
        (
            "/api/v2/custom-domains",
            get(custom_domains::list).post(custom_domains::create),
        ),
        (
            "/api/v2/custom-domains/{id}",
            get(custom_domains::get_one)
                .patch(custom_domains::update)
                .delete(custom_domains::delete),
        ),
        (
            "/api/v2/custom-domains/{id}/verify",
            post(custom_domains::verify),
        ),
        (
            "/api/v2/branding",
            get(branding::get_branding).patch(branding::update_branding),
        ),
        (
            "/api/v2/branding/templates/universal-login",
            get(branding::get_template)
                .put(branding::put_template)
                .delete(branding::delete_template),
        ),
        (
            "/api/v2/prompts",
            get(branding::get_prompts).patch(branding::update_prompts),
        ),
        (
            "/api/v2/prompts/{prompt}/custom-text/{language}",
            get(prompts::get_text).put(prompts::put_text),
        ),
        (
            "/api/v2/prompts/{prompt}/partials",
            get(prompts::partials).put(prompts::partials),
        ),
        ("/api/v2/guardian/factors", get(guardian::factors)),
        (
            "/api/v2/guardian/factors/{name}",
            axum::routing::put(guardian::set_factor),
        ),
        (
            "/api/v2/guardian/policies",
            get(guardian::policies).put(guardian::set_policies),
        ),
        (
            "/api/v2/attack-protection/{name}",
            get(attack_protection::get_one).patch(attack_protection::update),
        ),
        (
            "/api/v2/actions/triggers/{trigger}/bindings",
            get(actions::bindings).patch(actions::set_bindings),
        ),
        (
            "/api/v2/organizations",
            get(organizations::list).post(organizations::create),
        ),
        (
            "/api/v2/organizations/name/{name}",
            get(organizations::by_name),
        ),
        (
            "/api/v2/organizations/{id}",
            get(organizations::get_one)
                .patch(organizations::update)
                .delete(organizations::delete),
        ),
        (
            "/api/v2/organizations/{id}/enabled_connections",
            get(organizations::enabled_connections).post(organizations::enable_connection),
        ),
        (
            "/api/v2/organizations/{id}/enabled_connections/{connection}",
            get(organizations::enabled_connection)
                .patch(organizations::update_enabled_connection)
                .delete(organizations::disable_connection),
        ),
        (
            "/api/v2/organizations/{id}/connections",
            get(organizations::connections).post(organizations::add_organization_connection),
        ),
        (
            "/api/v2/organizations/{id}/connections/{connection}",
            get(organizations::organization_connection)
                .patch(organizations::update_organization_connection)
                .delete(organizations::remove_organization_connection),
        ),
        (
            "/api/v2/organizations/{id}/client-grants",
            get(organizations::client_grants).post(organizations::add_client_grant),
        ),
        (
            "/api/v2/organizations/{id}/client-grants/{grant}",
            axum::routing::delete(organizations::remove_client_grant),
        ),
        (
            "/api/v2/organizations/{id}/discovery-domains",
            get(organizations::not_on_this_plan),
        ),
        (
            "/api/v2/organizations/{id}/clients",
            get(organizations::not_on_this_plan),
        ),
        (
            "/api/v2/connections-directory-provisionings",
            get(startup::directory_provisionings),
        ),
    ]
}

/// The outermost layer of `/api/v2` answers: v2's error shape and the rate-limit headers.
pub(crate) async fn shape(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !super::auth::is_v2_path(req.uri().path()) {
        return next.run(req).await;
    }
    let response = next.run(req).await;
    let (mut parts, body) = response.into_parts();
    if !parts.headers.contains_key("x-ratelimit-limit")
        && let Some(headers) = app.faults.rate_headers(Some(NOMINAL_RATE_LIMIT))
    {
        parts.headers.extend(headers);
    }
    let status = parts.status;
    if !(status.is_client_error() || status.is_server_error()) {
        return Response::from_parts(parts, body);
    }
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .unwrap_or_default();
    let v1: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = v1["error"].as_str().unwrap_or("error").to_string();
    let message = v1["error_description"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
    let body = json!({
        "statusCode": status.as_u16(),
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message,
        "errorCode": code,
    });
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}

/// 409 in v2 (v1 answered conflicts with 400).
pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

/// Whether `u` is an https URL with a host (`https://` alone is not).
pub(crate) fn https_url(u: &str) -> bool {
    u.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// 400 `invalid_body`.
pub(crate) fn invalid_body(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
}

/// 400 `invalid_query_string`.
pub(crate) fn invalid_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query_string", message)
}

/// 400 naming the first body field not in `known`.
pub(crate) fn refuse_unknown(body: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(invalid_body(format!(
            "Payload validation error: 'Additional properties not allowed: {k}'"
        ))),
        None => Ok(()),
    }
}

/// Offset paging: `page` (from 0), `per_page` (1 to 100, default 50), `include_totals`.
pub(crate) struct Paging {
    pub page: usize,
    pub per_page: usize,
    pub totals: bool,
}

/// A non-negative integer query parameter, or 400.
pub(crate) fn number(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<Option<usize>, ApiError> {
    match params.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<usize>().map(Some).map_err(|_| {
            invalid_query(format!(
                "Query validation error: '{name}' must be a non-negative integer, not '{v}'"
            ))
        }),
    }
}

impl Paging {
    /// The index of the page's first item.
    pub(crate) fn start(&self) -> usize {
        self.page.saturating_mul(self.per_page)
    }
}

pub(crate) fn paging(params: &HashMap<String, String>) -> Result<Paging, ApiError> {
    let per_page = number(params, "per_page")?.unwrap_or(50);
    if !(1..=100).contains(&per_page) {
        return Err(invalid_query(format!(
            "Query validation error: 'per_page' must be from 1 to 100, not {per_page}"
        )));
    }
    Ok(Paging {
        page: number(params, "page")?.unwrap_or(0),
        per_page,
        totals: super::flag(params, "include_totals"),
    })
}

/// Whether a listing's query asks for checkpoint pages (`from` or `take` given).
pub(crate) fn wants_checkpoint(params: &HashMap<String, String>) -> bool {
    params.contains_key("from") || params.contains_key("take")
}

/// Checkpoint paging's query: `from`, a position this emulator gave as `next` (absent or empty:
/// the start), and `take`, from 1 to `max` (default 50); else 400.
pub(crate) fn checkpoint(
    params: &HashMap<String, String>,
    max: usize,
) -> Result<(i64, usize), ApiError> {
    let take = number(params, "take")?.unwrap_or(50);
    if !(1..=max).contains(&take) {
        return Err(invalid_query(format!(
            "Query validation error: 'take' must be from 1 to {max}, not {take}"
        )));
    }
    let from = match params.get("from").map(|f| f.trim()) {
        None | Some("") => 0,
        Some(f) => f.parse::<i64>().map_err(|_| {
            invalid_query(format!(
                "Query validation error: 'from' is not a checkpoint this API gave: '{f}'"
            ))
        })?,
    };
    Ok((from, take))
}

/// One page of `items`: a bare array, or `{start, limit, total, <key>}` with totals.
pub(crate) fn page_of(items: Vec<Value>, paging: &Paging, key: &str) -> Value {
    let total = items.len();
    let start = paging.start();
    let page: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(paging.per_page)
        .collect();
    page_shape(page, total, paging, key)
}

/// A page already cut from a listing of `total` items, shaped as [`page_of`] shapes it.
pub(crate) fn page_shape(page: Vec<Value>, total: usize, paging: &Paging, key: &str) -> Value {
    let start = paging.start();
    if paging.totals {
        let mut out = Map::new();
        out.insert("start".into(), json!(start));
        out.insert("limit".into(), json!(paging.per_page));
        out.insert("total".into(), json!(total));
        out.insert(key.into(), Value::Array(page));
        Value::Object(out)
    } else {
        Value::Array(page)
    }
}

/// `fields=a,b` with `include_fields=true` (default) keeps those fields; with `false` drops them.
pub(crate) fn select_fields(value: Value, params: &HashMap<String, String>) -> Value {
    let Some(fields) = params.get("fields").filter(|f| !f.trim().is_empty()) else {
        return value;
    };
    let names: Vec<&str> = fields.split(',').map(str::trim).collect();
    let include = params.get("include_fields").is_none_or(|v| v != "false");
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| names.contains(&k.as_str()) == include)
                .collect(),
        ),
        other => other,
    }
}

/// The type a writable field must have.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    Int,
    Strings,
    Object,
    /// An array of any values.
    Array,
    /// An array of objects.
    Objects,
    OneOf(&'static [&'static str]),
}

/// 400 unless `value` has type `ty` (`null` is checked by the caller).
pub(crate) fn check_type(key: &str, value: &Value, ty: Ty) -> Result<(), ApiError> {
    let ok = match ty {
        Ty::Str => value.is_string(),
        Ty::Bool => value.is_boolean(),
        Ty::Int => value.as_i64().is_some(),
        Ty::Strings => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)),
        Ty::Object => value.is_object(),
        Ty::Array => value.is_array(),
        Ty::Objects => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_object)),
        Ty::OneOf(values) => value.as_str().is_some_and(|s| values.contains(&s)),
    };
    if ok {
        return Ok(());
    }
    let expected = match ty {
        Ty::Str => "a string".to_string(),
        Ty::Bool => "a boolean".to_string(),
        Ty::Int => "an integer".to_string(),
        Ty::Strings => "an array of strings".to_string(),
        Ty::Object => "an object".to_string(),
        Ty::Array => "an array".to_string(),
        Ty::Objects => "an array of objects".to_string(),
        Ty::OneOf(values) => format!("one of {}", values.join(", ")),
    };
    Err(invalid_body(format!(
        "Payload validation error: '{key}' must be {expected}"
    )))
}

/// Check every field of `body` against `fields` (unknown names refused, types checked;
/// `null` allowed where `nullable`).
pub(crate) fn check_body(
    body: &Map<String, Value>,
    fields: &[(&str, Ty)],
    nullable: bool,
) -> Result<(), ApiError> {
    let names: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    refuse_unknown(body, &names)?;
    for (key, ty) in fields {
        match body.get(*key) {
            None => {}
            Some(Value::Null) if nullable => {}
            Some(v) => check_type(key, v, *ty)?,
        }
    }
    Ok(())
}

/// 200 with a JSON body; 201 for creates, 204 for deletes.
pub(crate) fn created(value: &Value) -> Response {
    let mut r = super::ok_json(value);
    *r.status_mut() = StatusCode::CREATED;
    r
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
