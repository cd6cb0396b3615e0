//! `/api/v2/guardian/factors[/{name}]` and `/api/v2/guardian/policies`: the MFA factors, each
//! always there and only turned on or off (`PUT {enabled}`), and the MFA policies, a bare array
//! of `all-applications` and `confidence-score` replaced by each `PUT`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Ty, check_body, documents, invalid_body};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json};

/// The factors, in the service's order.
const FACTORS: [&str; 8] = [
    "sms",
    "push-notification",
    "email",
    "duo",
    "otp",
    "webauthn-roaming",
    "webauthn-platform",
    "recovery-code",
];

const POLICIES: [&str; 2] = ["all-applications", "confidence-score"];

fn factors_doc() -> Value {
    json!({})
}

/// `GET /api/v2/guardian/factors`: every factor, off unless turned on.
pub(crate) async fn factors(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:guardian_factors")?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, "guardian/factors", factors_doc)))??;
    let list: Vec<Value> = FACTORS
        .iter()
        .map(|f| {
            json!({
                "name": f,
                "enabled": doc.get(*f).and_then(Value::as_bool).unwrap_or(false),
                "trial_expired": false,
            })
        })
        .collect();
    Ok(ok_json(&Value::Array(list)))
}

/// `PUT /api/v2/guardian/factors/{name}`: `{enabled}` (required), answered as set.
pub(crate) async fn set_factor(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:guardian_factors")?;
    if !FACTORS.contains(&name.as_str()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_uri",
            format!("Path validation error: '{name}' is not a factor"),
        ));
    }
    let body = json_body(&body)?;
    check_body(&body, &[("enabled", Ty::Bool)], false)?;
    let Some(enabled) = body.get("enabled").and_then(Value::as_bool) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: enabled'",
        ));
    };
    app.store.write(|tx| {
        let mut doc = documents::load(tx, "guardian/factors", factors_doc)?;
        if let Value::Object(m) = &mut doc {
            m.insert(name.clone(), json!(enabled));
        }
        documents::save(tx, "guardian/factors", &doc)
    })?;
    Ok(ok_json(&json!({"enabled": enabled})))
}

/// `GET /api/v2/guardian/policies`.
pub(crate) async fn policies(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:mfa_policies")?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, "guardian/policies", || json!([]))))??;
    Ok(ok_json(&doc))
}

/// `PUT /api/v2/guardian/policies`: the whole array (400 for anything but known policies).
pub(crate) async fn set_policies(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:mfa_policies")?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| invalid_body(format!("Invalid request payload JSON format: {e}")))?;
    let Some(items) = body.as_array() else {
        return Err(invalid_body(
            "Payload validation error: 'Expected type array but found type object'",
        ));
    };
    if let Some(bad) = items
        .iter()
        .find(|p| p.as_str().is_none_or(|p| !POLICIES.contains(&p)))
    {
        return Err(invalid_body(format!(
            "Payload validation error: {bad} is not a policy (all-applications, confidence-score)"
        )));
    }
    if items.len() > 1 {
        return Err(invalid_body(
            "Payload validation error: 'Array is too long (2), maximum 1'",
        ));
    }
    app.store
        .write(|tx| documents::save(tx, "guardian/policies", &body))?;
    Ok(ok_json(&body))
}
