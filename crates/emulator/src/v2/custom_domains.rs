//! `/api/v2/custom-domains[/{id}[/verify]]`: `{custom_domain_id, domain, primary, status, type,
//! origin_domain_name, verification: {methods}, tls_policy, custom_client_ip_header}`. A new
//! domain waits for verification (`pending_verification`, with the TXT record to add); `POST
//! …/verify` plays the DNS check passing (`ready`; a self-managed domain's first verification
//! answers its `cname_api_key`, a secret never shown again). Domains are unique (409); only
//! `tls_policy`, `custom_client_ip_header` and `domain_metadata` change; a create takes (and
//! ignores) `origin_domain_name`, as the service takes auth0-deploy-cli's exports.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, conflict, created, invalid_body, objects};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json, random_id};

const KIND: &str = "custom_domain";

const SHAPE: objects::Shape = objects::Shape {
    kind: KIND,
    shown,
    not_found,
};

const HEADERS: &[&str] = &[
    "true-client-ip",
    "cf-connecting-ip",
    "x-forwarded-for",
    "x-azure-clientip",
];

const CREATE: &[(&str, Ty)] = &[
    ("domain", Ty::Str),
    (
        "type",
        Ty::OneOf(&["auth0_managed_certs", "self_managed_certs"]),
    ),
    ("verification_method", Ty::OneOf(&["txt"])),
    ("tls_policy", Ty::OneOf(&["recommended", "compatible"])),
    ("custom_client_ip_header", Ty::OneOf(HEADERS)),
    ("domain_metadata", Ty::Object),
    // What the service names itself, taken and ignored as the service takes auth0-deploy-cli's
    // exports.
    ("origin_domain_name", Ty::Str),
];

const UPDATE: &[(&str, Ty)] = &[
    ("tls_policy", Ty::OneOf(&["recommended", "compatible"])),
    ("custom_client_ip_header", Ty::OneOf(HEADERS)),
    ("domain_metadata", Ty::Object),
    // Taken and ignored, as on a create (auth0-deploy-cli sends its export back).
    ("origin_domain_name", Ty::Str),
];

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_custom_domain",
        format!("The custom domain does not exist: {id}"),
    )
}

/// A domain as the API answers it (its `cname_api_key` never).
fn shown(stored: &Value) -> Value {
    let mut v = stored.clone();
    if let Value::Object(m) = &mut v {
        m.remove("cname_api_key");
    }
    v
}

/// `GET /api/v2/custom-domains`: a bare array.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:custom_domains")?;
    SHAPE.list(&app)
}

/// `GET /api/v2/custom-domains/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:custom_domains")?;
    SHAPE.get(&app, &id)
}

/// `POST /api/v2/custom-domains`: 201, waiting for verification.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:custom_domains")?;
    let body = json_body(&body)?;
    check_body(&body, CREATE, true)?;
    let domain = match body.get("domain").and_then(Value::as_str) {
        Some(d) if d.contains('.') && !d.contains(['/', ' ', ':']) => d.to_ascii_lowercase(),
        Some(d) => {
            return Err(invalid_body(format!(
                "Payload validation error: '{d}' is not a domain name"
            )));
        }
        None => {
            return Err(invalid_body(
                "Payload validation error: 'Missing required property: domain'",
            ));
        }
    };
    let Some(t) = body.get("type").and_then(Value::as_str) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: type'",
        ));
    };
    let id = format!("cd_{}", random_id(16));
    let mut d = Map::new();
    d.insert("custom_domain_id".into(), json!(id));
    d.insert("domain".into(), json!(domain));
    d.insert("primary".into(), json!(false));
    d.insert("status".into(), json!("pending_verification"));
    d.insert("type".into(), json!(t));
    d.insert(
        "origin_domain_name".into(),
        json!(format!(
            "emulator-{}.edge.tenants.auth0.com",
            id.to_lowercase()
        )),
    );
    d.insert(
        "verification".into(),
        json!({"methods": [{
            "name": "txt",
            "record": format!("auth0-domain-verification={}", random_id(24)),
            "domain": format!("_cf-custom-hostname.{domain}"),
        }]}),
    );
    d.insert(
        "tls_policy".into(),
        body.get("tls_policy")
            .cloned()
            .unwrap_or(json!("recommended")),
    );
    let header = match body.get("custom_client_ip_header") {
        Some(Value::Null) | None if t == "self_managed_certs" => json!("true-client-ip"),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    if !header.is_null() {
        d.insert("custom_client_ip_header".into(), header);
    }
    if let Some(m) = body.get("domain_metadata").filter(|m| !m.is_null()) {
        d.insert("domain_metadata".into(), m.clone());
    }
    let d = Value::Object(d);
    app.store.write(|tx| {
        let taken = objects::list(tx, KIND)?
            .iter()
            .any(|o| o.get("domain").and_then(Value::as_str) == Some(domain.as_str()));
        if taken {
            return Err(conflict(format!(
                "The custom domain already exists: {domain}"
            )));
        }
        objects::put(tx, KIND, &id, &d)
    })?;
    Ok(created(&shown(&d)))
}

/// `PATCH /api/v2/custom-domains/{id}`: 200 with the domain.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:custom_domains")?;
    let body = json_body(&body)?;
    check_body(&body, UPDATE, true)?;
    let d = SHAPE.change(&app, &id, |d| {
        for (k, v) in body.iter().filter(|(k, _)| *k != "origin_domain_name") {
            if v.is_null() {
                d.remove(k);
            } else {
                d.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    })?;
    Ok(ok_json(&shown(&d)))
}

/// `DELETE /api/v2/custom-domains/{id}`: 204.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:custom_domains")?;
    SHAPE.delete(&app, &id)
}

/// `POST /api/v2/custom-domains/{id}/verify`: the DNS check passes; the domain is ready.
pub(crate) async fn verify(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("create:custom_domains")?;
    let mut first_key = None;
    let d = SHAPE.change(&app, &id, |d| {
        let first = d.get("status").and_then(Value::as_str) != Some("ready");
        d.insert("status".into(), json!("ready"));
        let self_managed = d.get("type").and_then(Value::as_str) == Some("self_managed_certs");
        if first && self_managed {
            let key = random_id(32);
            d.insert("cname_api_key".into(), json!(key));
            first_key = Some(key);
        }
        Ok(())
    })?;
    let mut shown = shown(&d);
    if let (Some(k), Value::Object(m)) = (first_key, &mut shown) {
        m.insert("cname_api_key".into(), json!(k));
    }
    Ok(ok_json(&shown))
}
