//! Rules: `{"id", "name", "script", "status", "order", "clientID", "global": true}`, addressed by
//! URL-encoded name. Names and orders are unique (400 `conflict` / `rule_conflict`), enforced by
//! UNIQUE constraints inside the write transaction, so concurrent creates and reorders cannot
//! both win. An absent, null or empty `order` means "after the last".

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::store::is_unique_violation;
use super::{
    ApiError, ApiResult, AppState, check_name_length, json_body, ok_json, ok_text, opt_bool,
    opt_str, random_id,
};

fn row_to_json(r: &rusqlite::Row<'_>, global: &str) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "script": r.get::<_, String>(2)?,
        "status": r.get::<_, bool>(3)?,
        "order": r.get::<_, i64>(4)?,
        "clientID": global,
        "global": true,
    }))
}

const COLUMNS: &str = "id, name, script, status, ord";

fn find(app: &AppState, name: &str) -> Result<Option<Value>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM rules WHERE name = ?1"),
            [name],
            |r| row_to_json(r, &app.global_client_id),
        )
        .optional()
    })
}

/// `order`: a non-negative integer (or its decimal string); absent, null or `""` is unset.
fn order_of(body: &Map<String, Value>) -> Result<Option<i64>, ApiError> {
    let invalid = || ApiError::bad_request("`order` must be a non-negative integer");
    match body.get("order") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<u32>()
            .map(|o| Some(o.into()))
            .map_err(|_| invalid()),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|o| *o <= u64::from(u32::MAX))
            .map(|o| Some(o as i64))
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

/// 400, as every failed write in v1; the code tells a taken order apart.
fn rule_conflict(order: i64) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "rule_conflict",
        format!("another rule already has order {order}"),
    )
}

/// `GET /api/rules`, by order.
pub(crate) async fn list(State(app): State<AppState>) -> ApiResult {
    let rules: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM rules ORDER BY ord"))?;
        let rows = stmt.query_map([], |r| row_to_json(r, &app.global_client_id))?;
        rows.collect()
    })?;
    Ok(ok_json(&Value::Array(rules)))
}

/// `GET /api/rules/{name}`.
pub(crate) async fn get_one(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult {
    match find(&app, &name)? {
        Some(rule) => Ok(ok_json(&rule)),
        None => Err(ApiError::not_found(format!("rule `{name}` not found"))),
    }
}

/// `POST /api/rules`.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let name = opt_str(&body, "name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("`name` is required"))?;
    check_name_length("rule", &name)?;
    let script = opt_str(&body, "script")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("`script` is required"))?;
    let status = opt_bool(&body, "status")?.unwrap_or(true);
    let order = order_of(&body)?;
    app.store.write(|tx| {
        let order = match order {
            Some(o) => o,
            None => tx.query_row("SELECT COALESCE(MAX(ord), 0) + 1 FROM rules", [], |r| {
                r.get(0)
            })?,
        };
        let inserted = tx.execute(
            "INSERT INTO rules (id, name, script, status, ord) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                format!("rul_{}", random_id(16)),
                name,
                script,
                status,
                order
            ],
        );
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e, "rules.name") => Err(ApiError::conflict(format!(
                "a rule named `{name}` already exists"
            ))),
            Err(e) if is_unique_violation(&e, "rules.ord") => Err(rule_conflict(order)),
            Err(e) => Err(e.into()),
        }
    })?;
    let created = find(&app, &name)?.ok_or_else(|| ApiError::not_found("rule vanished"))?;
    Ok(ok_json(&created))
}

/// `PUT /api/rules/{name}`: status, script and order, each optional.
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let script = opt_str(&body, "script")?;
    if script.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(ApiError::bad_request("`script` must not be empty"));
    }
    let status = opt_bool(&body, "status")?;
    let order = order_of(&body)?;
    app.store.write(|tx| {
        let updated = tx.execute(
            "UPDATE rules SET script = COALESCE(?2, script), status = COALESCE(?3, status),
                              ord = COALESCE(?4, ord)
             WHERE name = ?1",
            rusqlite::params![name, script, status, order],
        );
        match updated {
            Ok(0) => Err(ApiError::not_found(format!("rule `{name}` not found"))),
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e, "rules.ord") => {
                Err(rule_conflict(order.unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    })?;
    let updated = find(&app, &name)?.ok_or_else(|| ApiError::not_found("rule vanished"))?;
    Ok(ok_json(&updated))
}

/// `DELETE /api/rules/{name}`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult {
    caller.require_global()?;
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM rules WHERE name = ?1", [&name])?))?;
    if deleted == 0 {
        return Err(ApiError::not_found(format!("rule `{name}` not found")));
    }
    Ok(ok_text())
}
