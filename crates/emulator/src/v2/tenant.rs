//! `/api/v2/tenants/settings`: the tenant's settings, which always exist. `PATCH` sets the
//! given keys (`null` removes one), merges `flags` flag by flag, takes a lifetime in minutes
//! (`session_lifetime_in_minutes`) as the hours it makes, and refuses unknown keys and wrong
//! types (400).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json, params};

const FIELDS: &[(&str, Ty)] = &[
    ("friendly_name", Ty::Str),
    ("picture_url", Ty::Str),
    ("support_email", Ty::Str),
    ("support_url", Ty::Str),
    ("allowed_logout_urls", Ty::Strings),
    ("session_lifetime", Ty::Int),
    ("idle_session_lifetime", Ty::Int),
    ("default_audience", Ty::Str),
    ("default_directory", Ty::Str),
    ("flags", Ty::Object),
    ("sandbox_version", Ty::Str),
    ("legacy_sandbox_version", Ty::Str),
    ("default_redirection_uri", Ty::Str),
    ("enabled_locales", Ty::Strings),
    ("session_cookie", Ty::Object),
    ("sessions", Ty::Object),
    ("change_password", Ty::Object),
    ("guardian_mfa_page", Ty::Object),
    ("error_page", Ty::Object),
    ("device_flow", Ty::Object),
    ("oidc_logout", Ty::Object),
    ("customize_mfa_in_postlogin_action", Ty::Bool),
    ("allow_organization_name_in_authentication_api", Ty::Bool),
    ("acr_values_supported", Ty::Strings),
    ("mtls", Ty::Object),
    ("pushed_authorization_requests_supported", Ty::Bool),
    // The lifetimes in minutes, which the service takes beside the hours (auth0-deploy-cli
    // sends them); stored as the hours they make.
    ("session_lifetime_in_minutes", Ty::Int),
    ("idle_session_lifetime_in_minutes", Ty::Int),
    ("ephemeral_session_lifetime", Ty::Int),
    ("idle_ephemeral_session_lifetime", Ty::Int),
    ("ephemeral_session_lifetime_in_minutes", Ty::Int),
    ("idle_ephemeral_session_lifetime_in_minutes", Ty::Int),
];

/// A new tenant's settings.
fn defaults() -> Map<String, Value> {
    match json!({
        "friendly_name": "",
        "picture_url": "",
        "support_email": "",
        "support_url": "",
        "allowed_logout_urls": [],
        "session_lifetime": 168,
        "idle_session_lifetime": 72,
        "sandbox_version": "22",
        "enabled_locales": ["en"],
        "session_cookie": {"mode": "persistent"},
        "flags": {
            "enable_client_connections": true,
            "revoke_refresh_token_grant": false,
            "disable_clickjack_protection_headers": false,
        },
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn load(c: &rusqlite::Connection) -> Result<Map<String, Value>, ApiError> {
    let data: Option<String> = c
        .query_row("SELECT data FROM tenant_settings WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match data.map(|d| serde_json::from_str(&d)) {
        Some(Ok(Value::Object(m))) => m,
        _ => defaults(),
    })
}

/// `GET /api/v2/tenants/settings[?fields=&include_fields=]`.
pub(crate) async fn get_one(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:tenant_settings")?;
    let settings = app.store.read(|c| Ok(load(c)))??;
    Ok(ok_json(&super::select_fields(
        Value::Object(settings),
        &params(&uri),
    )))
}

/// `PATCH /api/v2/tenants/settings`: 200 with the settings.
pub(crate) async fn update(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("update:tenant_settings")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, true)?;
    if let Some(Value::Object(flags)) = body.get("flags")
        && let Some((f, _)) = flags.iter().find(|(_, v)| !v.is_boolean())
    {
        return Err(super::invalid_body(format!(
            "Payload validation error: flag '{f}' must be a boolean"
        )));
    }
    let settings = app.store.write(|tx| {
        let mut settings = load(tx)?;
        for (k, v) in &body {
            if let Some(hours) = k.strip_suffix("_in_minutes") {
                let minutes = v.as_i64().unwrap_or_default();
                let value = if minutes % 60 == 0 {
                    json!(minutes / 60)
                } else {
                    json!(minutes as f64 / 60.0)
                };
                settings.insert(hours.to_string(), value);
                continue;
            }
            match (k.as_str(), v) {
                (_, Value::Null) => {
                    settings.remove(k);
                }
                ("flags", Value::Object(flags)) => {
                    let merged = settings
                        .entry("flags")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = merged {
                        for (f, on) in flags {
                            m.insert(f.clone(), on.clone());
                        }
                    }
                }
                _ => {
                    settings.insert(k.clone(), v.clone());
                }
            }
        }
        tx.execute(
            "INSERT INTO tenant_settings (id, data) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            [Value::Object(settings.clone()).to_string()],
        )?;
        Ok(settings)
    })?;
    Ok(ok_json(&Value::Object(settings)))
}
