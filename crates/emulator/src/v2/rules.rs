//! `/api/v2/rules`: v1's rules (same rows), addressed by id: `{id, name, script, order, stage,
//! enabled}` (`enabled` is v1's `status`). Names and orders are unique (409, by the store's
//! UNIQUE constraints inside the write); `stage` is set at creation only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{
    Ty, check_body, conflict, created, invalid_body, no_content, page_of, paging, select_fields,
};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{
    ApiError, ApiResult, AppState, check_name_length, json_body, ok_json, params, random_id,
};

const STAGES: &[&str] = &["login_success", "login_failure", "pre_authorize"];
const CREATE_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("script", Ty::Str),
    ("order", Ty::Int),
    ("enabled", Ty::Bool),
    ("stage", Ty::OneOf(STAGES)),
];
const UPDATE_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("script", Ty::Str),
    ("order", Ty::Int),
    ("enabled", Ty::Bool),
];
const COLUMNS: &str = "id, name, script, ord, stage, status";

fn row_to_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "script": r.get::<_, String>(2)?,
        "order": r.get::<_, i64>(3)?,
        "stage": r.get::<_, String>(4)?,
        "enabled": r.get::<_, bool>(5)?,
    }))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "inexistent_rule",
        format!("Rule not found: {id}"),
    )
}

fn find(app: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM rules WHERE id = ?1"),
            [id],
            row_to_json,
        )
        .optional()
    })
}

fn order_of(body: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    match body.get("order") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|o| (0..=i64::from(u32::MAX)).contains(o))
            .map(Some)
            .ok_or_else(|| {
                invalid_body("Payload validation error: 'order' must be a non-negative integer")
            }),
    }
}

/// A UNIQUE violation as v2's 409; anything else as the store error it is.
fn write_error(e: rusqlite::Error, name: Option<&str>, order: Option<i64>) -> ApiError {
    if is_unique_violation(&e, "rules.name") {
        conflict(format!(
            "A rule with the same name already exists: {}",
            name.unwrap_or_default()
        ))
    } else if is_unique_violation(&e, "rules.ord") {
        conflict(format!(
            "A rule with the same order already exists: {}",
            order.unwrap_or_default()
        ))
    } else {
        e.into()
    }
}

/// `GET /api/v2/rules`, by order; `enabled` filter, fields, paging.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:rules")?;
    let params = params(&uri);
    let paging = paging(&params)?;
    let enabled = match params.get("enabled").map(String::as_str) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(v) => {
            return Err(super::invalid_query(format!(
                "Query validation error: 'enabled' must be true or false, not '{v}'"
            )));
        }
    };
    let rules: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM rules ORDER BY ord"))?;
        let rows = stmt.query_map([], row_to_json)?;
        rows.collect()
    })?;
    let rules = rules
        .into_iter()
        .filter(|r| enabled.is_none_or(|e| r["enabled"].as_bool() == Some(e)))
        .map(|r| select_fields(r, &params))
        .collect();
    Ok(ok_json(&page_of(rules, &paging, "rules")))
}

/// `GET /api/v2/rules/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:rules")?;
    let rule = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&select_fields(rule, &params(&uri))))
}

/// `POST /api/v2/rules`: 201; `order` defaults to after the last, `enabled` to true.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:rules")?;
    let body = json_body(&body)?;
    check_body(&body, CREATE_FIELDS, false)?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty());
    let script = body
        .get("script")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty());
    let (Some(name), Some(script)) = (name, script) else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name, script'",
        ));
    };
    check_name_length("rule", name)?;
    let order = order_of(&body)?;
    let enabled = body.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let stage = body
        .get("stage")
        .and_then(Value::as_str)
        .unwrap_or("login_success");
    let id = format!("rul_{}", random_id(16));
    app.store.write(|tx| {
        let order = match order {
            Some(o) => o,
            None => tx.query_row("SELECT COALESCE(MAX(ord), 0) + 1 FROM rules", [], |r| r.get(0))?,
        };
        tx.execute(
            "INSERT INTO rules (id, name, script, status, ord, stage) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![id, name, script, enabled, order, stage],
        )
        .map_err(|e| write_error(e, Some(name), Some(order)))?;
        Ok(())
    })?;
    let rule = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(created(&rule))
}

/// `PATCH /api/v2/rules/{id}`: name, script, order, enabled; `stage` is refused.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:rules")?;
    let body = json_body(&body)?;
    if body.contains_key("stage") {
        return Err(invalid_body(
            "Payload validation error: 'Additional properties not allowed: stage' (a rule's stage cannot change)",
        ));
    }
    check_body(&body, UPDATE_FIELDS, false)?;
    let name = body.get("name").and_then(Value::as_str);
    let script = body.get("script").and_then(Value::as_str);
    if name.is_some_and(|n| n.trim().is_empty()) || script.is_some_and(|s| s.trim().is_empty()) {
        return Err(invalid_body(
            "Payload validation error: 'name' and 'script' must not be empty",
        ));
    }
    if let Some(name) = name {
        check_name_length("rule", name)?;
    }
    let order = order_of(&body)?;
    let enabled = body.get("enabled").and_then(Value::as_bool);
    app.store.write(|tx| {
        let updated = tx
            .execute(
                "UPDATE rules SET name = COALESCE(?2, name), script = COALESCE(?3, script),
                                  ord = COALESCE(?4, ord), status = COALESCE(?5, status)
                 WHERE id = ?1",
                rusqlite::params![id, name, script, order, enabled],
            )
            .map_err(|e| write_error(e, name, order))?;
        if updated == 0 {
            return Err(not_found(&id));
        }
        Ok(())
    })?;
    let rule = find(&app, &id)?.ok_or_else(|| not_found(&id))?;
    Ok(ok_json(&rule))
}

/// `DELETE /api/v2/rules/{id}`: 204.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("delete:rules")?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM rules WHERE id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(not_found(&id));
    }
    Ok(no_content())
}
