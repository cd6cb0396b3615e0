//! `/api/v2/branding`, `/api/v2/branding/templates/universal-login` and `/api/v2/prompts`: the
//! login pages' look, their page template and how their prompts behave. The branding and the
//! prompts settings always exist (`PATCH` sets the given keys, `null` removes one; the branding's
//! `colors` merge colour by colour; its URLs must be https); the template is `{body}` once a
//! `PUT` of the page (a JSON string or `{template}`, at most 102,400 bytes, with the `auth0:head` and `auth0:widget` tags) has
//! made it (201, then 204), 404 before and after its `DELETE`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, documents, invalid_body, no_content};
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, json_body, ok_json};

const BRANDING: &[(&str, Ty)] = &[
    ("colors", Ty::Object),
    ("logo_url", Ty::Str),
    ("favicon_url", Ty::Str),
    ("font", Ty::Object),
];

const PROMPTS: &[(&str, Ty)] = &[
    ("universal_login_experience", Ty::OneOf(&["new", "classic"])),
    ("identifier_first", Ty::Bool),
    ("webauthn_platform_first_factor", Ty::Bool),
];

const TEMPLATE: &str = "branding/templates/universal-login";
const MAX_TEMPLATE: usize = 102_400;

fn branding_defaults() -> Value {
    json!({"colors": {"primary": "#635dff", "page_background": "#000000"}})
}

fn prompts_defaults() -> Value {
    json!({"universal_login_experience": "new", "identifier_first": false,
           "webauthn_platform_first_factor": false})
}

/// Set the given keys of the document `name` (`null` removes one; the keys of `merged` merge
/// key by key); the document after.
fn patch(
    app: &AppState,
    name: &str,
    defaults: fn() -> Value,
    body: &Map<String, Value>,
    merged: &[&str],
) -> Result<Value, ApiError> {
    app.store.write(|tx| {
        let mut doc = match documents::load(tx, name, defaults)? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        for (k, v) in body {
            match v {
                Value::Null => {
                    doc.remove(k);
                }
                Value::Object(keys) if merged.contains(&k.as_str()) => {
                    let into = doc
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(into) = into {
                        for (ik, iv) in keys {
                            if iv.is_null() {
                                into.remove(ik);
                            } else {
                                into.insert(ik.clone(), iv.clone());
                            }
                        }
                    }
                }
                _ => {
                    doc.insert(k.clone(), v.clone());
                }
            }
        }
        let doc = Value::Object(doc);
        documents::save(tx, name, &doc)?;
        Ok(doc)
    })
}

/// `GET /api/v2/branding`.
pub(crate) async fn get_branding(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:branding")?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, "branding", branding_defaults)))??;
    Ok(ok_json(&doc))
}

/// `PATCH /api/v2/branding`: 200 with the branding.
pub(crate) async fn update_branding(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:branding")?;
    let body = json_body(&body)?;
    check_body(&body, BRANDING, true)?;
    let urls = [
        ("logo_url", body.get("logo_url")),
        ("favicon_url", body.get("favicon_url")),
        ("font.url", body.get("font").and_then(|f| f.get("url"))),
    ];
    for (key, v) in urls {
        if let Some(u) = v.and_then(Value::as_str)
            && !super::https_url(u)
        {
            return Err(invalid_body(format!(
                "Payload validation error: '{key}' must be an https URL"
            )));
        }
    }
    if let Some(Value::Object(colors)) = body.get("colors")
        && let Some(k) = colors
            .keys()
            .find(|k| !["primary", "page_background"].contains(&k.as_str()))
    {
        return Err(invalid_body(format!(
            "Payload validation error: 'Additional properties not allowed: colors.{k}'"
        )));
    }
    Ok(ok_json(&patch(
        &app,
        "branding",
        branding_defaults,
        &body,
        &["colors"],
    )?))
}

fn no_template() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Template does not exist.",
    )
}

/// `GET /api/v2/branding/templates/universal-login`: `{body}`, or 404.
pub(crate) async fn get_template(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:branding")?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, TEMPLATE, || Value::Null)))??;
    match doc {
        Value::String(body) => Ok(ok_json(&json!({ "body": body }))),
        _ => Err(no_template()),
    }
}

/// `PUT /api/v2/branding/templates/universal-login {template}`: 201 made, 204 changed.
pub(crate) async fn put_template(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:branding")?;
    // The page as a JSON string, or `{template}`.
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| invalid_body(format!("Invalid request payload JSON format: {e}")))?;
    let text = match &body {
        Value::String(text) => text.as_str(),
        Value::Object(obj) => {
            check_body(obj, &[("template", Ty::Str)], false)?;
            obj.get("template").and_then(Value::as_str).ok_or_else(|| {
                invalid_body("Payload validation error: 'Missing required property: template'")
            })?
        }
        _ => {
            return Err(invalid_body(
                "Payload validation error: the template must be a string or {template}",
            ));
        }
    };
    if text.len() > MAX_TEMPLATE {
        return Err(invalid_body(format!(
            "Payload content length greater than maximum allowed: {MAX_TEMPLATE}."
        )));
    }
    if !(text.contains("auth0:head") && text.contains("auth0:widget")) {
        return Err(invalid_body(
            "The template must contain the auth0:head and auth0:widget tags (auth0:head and auth0:widget).",
        ));
    }
    let made = app.store.write(|tx| {
        let had = documents::load(tx, TEMPLATE, || Value::Null)?.is_string();
        documents::save(tx, TEMPLATE, &json!(text))?;
        Ok(!had)
    })?;
    Ok(if made {
        StatusCode::CREATED.into_response()
    } else {
        no_content()
    })
}

/// `DELETE /api/v2/branding/templates/universal-login`: 204.
pub(crate) async fn delete_template(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("delete:branding")?;
    app.store.write(|tx| {
        tx.execute("DELETE FROM documents WHERE name = ?1", [TEMPLATE])?;
        Ok(())
    })?;
    Ok(no_content())
}

/// `GET /api/v2/prompts`.
pub(crate) async fn get_prompts(State(app): State<AppState>, caller: Caller) -> ApiResult {
    caller.require_scope("read:prompts")?;
    let doc = app
        .store
        .read(|c| Ok(documents::load(c, "prompts", prompts_defaults)))??;
    Ok(ok_json(&doc))
}

/// `PATCH /api/v2/prompts`: 200 with the settings.
pub(crate) async fn update_prompts(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:prompts")?;
    let body = json_body(&body)?;
    check_body(&body, PROMPTS, false)?;
    Ok(ok_json(&patch(
        &app,
        "prompts",
        prompts_defaults,
        &body,
        &[],
    )?))
}
