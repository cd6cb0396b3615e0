//! `/api/v2/attack-protection/{brute-force-protection, breached-password-detection,
//! suspicious-ip-throttling}`: three settings objects that always exist. `PATCH` sets the given
//! keys and merges `stage` stage by stage; each takes only its own keys and shields (400
//! otherwise); the sets (`shields`, `allowlist`, `admin_notification_frequency`) are kept in the
//! service's own order (sorted), not as sent. Bot detection and CAPTCHA, paid add-ons, are not on
//! the emulated tenant's plan: 403.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, documents, invalid_body};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json};

/// A protection's writable keys, its shields and its stages.
struct Protection {
    fields: &'static [(&'static str, Ty)],
    shields: &'static [&'static str],
    stages: &'static [&'static str],
    defaults: fn() -> Value,
}

fn protection(name: &str) -> Result<Protection, ApiError> {
    Ok(match name {
        "brute-force-protection" => Protection {
            fields: &[
                ("enabled", Ty::Bool),
                ("shields", Ty::Strings),
                ("allowlist", Ty::Strings),
                (
                    "mode",
                    Ty::OneOf(&["count_per_identifier_and_ip", "count_per_identifier"]),
                ),
                ("max_attempts", Ty::Int),
            ],
            shields: &["block", "user_notification"],
            stages: &[],
            defaults: || {
                json!({"enabled": true, "shields": ["block", "user_notification"],
                       "mode": "count_per_identifier_and_ip", "allowlist": [], "max_attempts": 10})
            },
        },
        "breached-password-detection" => Protection {
            fields: &[
                ("enabled", Ty::Bool),
                ("shields", Ty::Strings),
                ("admin_notification_frequency", Ty::Strings),
                ("method", Ty::OneOf(&["standard", "enhanced"])),
                ("stage", Ty::Object),
            ],
            shields: &["admin_notification", "block", "user_notification"],
            stages: &["pre-user-registration", "pre-change-password"],
            defaults: || {
                json!({"enabled": false, "shields": [], "admin_notification_frequency": [],
                       "method": "standard",
                       "stage": {"pre-user-registration": {"shields": []},
                                 "pre-change-password": {"shields": []}}})
            },
        },
        "suspicious-ip-throttling" => Protection {
            fields: &[
                ("enabled", Ty::Bool),
                ("shields", Ty::Strings),
                ("allowlist", Ty::Strings),
                ("stage", Ty::Object),
            ],
            shields: &["admin_notification", "block"],
            stages: &["pre-login", "pre-user-registration"],
            defaults: || {
                json!({"enabled": true, "shields": ["admin_notification", "block"], "allowlist": [],
                       "stage": {"pre-login": {"max_attempts": 100, "rate": 864000},
                                 "pre-user-registration": {"max_attempts": 50, "rate": 1200}}})
            },
        },
        // Features of paid add-ons, which the emulated tenant's plan does not include.
        "bot-detection" | "captcha" => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "operation_not_supported",
                format!("{name} is not available on this tenant's current plan"),
            ));
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not Found",
            ));
        }
    })
}

fn key(name: &str) -> String {
    format!("attack-protection/{name}")
}

/// `GET /api/v2/attack-protection/{name}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    caller.require_scope("read:attack_protection")?;
    let p = protection(&name)?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, &key(&name), p.defaults)))??;
    Ok(ok_json(&doc))
}

/// `PATCH /api/v2/attack-protection/{name}`: 200 with the settings.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:attack_protection")?;
    let p = protection(&name)?;
    let body = json_body(&body)?;
    check_body(&body, p.fields, false)?;
    for list in ["shields", "admin_notification_frequency"] {
        for v in body
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let s = v.as_str().unwrap_or_default();
            let known = if list == "shields" {
                p.shields.contains(&s)
            } else {
                ["immediately", "daily", "weekly", "monthly"].contains(&s)
            };
            if !known {
                return Err(invalid_body(format!(
                    "Payload validation error: '{s}' is not a valid value of '{list}'"
                )));
            }
        }
    }
    if let Some(Value::Object(stage)) = body.get("stage")
        && let Some((s, _)) = stage
            .iter()
            .find(|(s, v)| !p.stages.contains(&s.as_str()) || !v.is_object())
    {
        return Err(invalid_body(format!(
            "Payload validation error: 'stage.{s}' is not a stage of {name}"
        )));
    }
    if let Some(n) = body.get("max_attempts").and_then(Value::as_i64)
        && !(1..=100).contains(&n)
    {
        return Err(invalid_body(
            "Payload validation error: 'max_attempts' must be from 1 to 100",
        ));
    }
    let doc = app.store.write(|tx| {
        let mut doc = match documents::load(tx, &key(&name), p.defaults)? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for (k, v) in &body {
            match (k.as_str(), v) {
                ("stage", Value::Object(stages)) => {
                    let merged = doc
                        .entry("stage")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = merged {
                        for (s, settings) in stages {
                            // A stage's shields are a set too.
                            let mut settings = settings.clone();
                            if let Some(Value::Array(shields)) = settings.get_mut("shields") {
                                shields.sort_by_key(Value::to_string);
                                shields.dedup();
                            }
                            m.insert(s.clone(), settings);
                        }
                    }
                }
                ("shields" | "allowlist" | "admin_notification_frequency", Value::Array(items)) => {
                    // The service keeps its sets in its own order.
                    let mut items = items.clone();
                    items.sort_by_key(Value::to_string);
                    items.dedup();
                    doc.insert(k.clone(), Value::Array(items));
                }
                _ => {
                    doc.insert(k.clone(), v.clone());
                }
            }
        }
        let doc = Value::Object(doc);
        documents::save(tx, &key(&name), &doc)?;
        Ok(doc)
    })?;
    Ok(ok_json(&doc))
}
