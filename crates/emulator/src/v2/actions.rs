//! `/api/v2/actions`: actions, their versions, the triggers and each trigger's bindings, with
//! the service's lifecycle. A create or an update of what an action is built from (`code`,
//! `dependencies`, `runtime`, `secrets`, `supported_triggers`) makes a new draft, `pending` until
//! the build delay (`Config::action_build`) has passed, then `built` (or `failed`, with
//! `errors`, while `PUT /__emulator/actions/builds {"fail": MESSAGE}` is set). Deploying a draft
//! that is not built is 400; a deploy makes a new immutable version. Names are unique (409).
//! Secrets' values are kept and never returned. An action bound to a trigger cannot be deleted
//! (409) unless `force=true`, which unbinds it. A trigger's bindings are replaced whole by
//! `PATCH`, each naming a deployed action that supports the trigger.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::{Ty, check_body, conflict, created, invalid_body, invalid_query};
use crate::caller::Caller;
use crate::store::is_unique_violation;
use crate::{ApiError, ApiResult, App, AppState, json_body, now_rfc3339, ok_json, params};

/// The fields a create or an update may set.
const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("supported_triggers", Ty::Objects),
    ("code", Ty::Str),
    ("dependencies", Ty::Objects),
    ("runtime", Ty::Str),
    ("secrets", Ty::Objects),
];
/// What a draft is built from: a change of any makes a new draft.
const BUILT_FROM: &[&str] = &[
    "code",
    "dependencies",
    "runtime",
    "secrets",
    "supported_triggers",
];
const RUNTIMES: &[&str] = &["node12", "node16", "node18", "node22"];
const DEFAULT_RUNTIME: &str = "node22";

/// Each trigger: id, version, binding policy.
const TRIGGERS: &[(&str, &str, &str)] = &[
    ("post-login", "v3", "trigger-bound"),
    ("credentials-exchange", "v2", "trigger-bound"),
    ("pre-user-registration", "v2", "trigger-bound"),
    ("post-user-registration", "v2", "trigger-bound"),
    ("post-change-password", "v2", "trigger-bound"),
    ("send-phone-message", "v2", "trigger-bound"),
    ("password-reset-post-challenge", "v1", "trigger-bound"),
    ("custom-phone-provider", "v1", "entity-bound"),
    ("custom-email-provider", "v1", "entity-bound"),
    ("custom-token-exchange", "v1", "entity-bound"),
];

/// The meta key of the failure every build ends in, while set.
const BUILD_FAILURE: &str = "action_build_failure";

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("The action does not exist: {id}"),
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let data: String = r.get(0)?;
    Ok(serde_json::from_str(&data).unwrap_or(Value::Null))
}

/// The stored draft (with the secrets' values and the build's state) by id.
fn find(c: &rusqlite::Connection, id: &str) -> Result<Option<Value>, ApiError> {
    Ok(
        c.query_row("SELECT data FROM actions WHERE id = ?1", [id], row)
            .optional()?,
    )
}

fn store(tx: &rusqlite::Connection, a: &Value) -> Result<(), ApiError> {
    let name = a["name"].as_str().unwrap_or_default();
    tx.execute(
        "UPDATE actions SET name = ?2, data = ?3 WHERE id = ?1",
        rusqlite::params![a["id"].as_str(), name, a.to_string()],
    )
    .map_err(|e| write_error(e, name))?;
    Ok(())
}

fn write_error(e: rusqlite::Error, name: &str) -> ApiError {
    if is_unique_violation(&e, "actions.name") {
        conflict(format!("An action with the name '{name}' already exists."))
    } else {
        e.into()
    }
}

/// The draft's build state now: `pending` until its time, then `built`, or `failed`.
fn status(a: &Value) -> &'static str {
    let ready = a["_build"]["ready_at_ms"].as_u64().unwrap_or(0);
    if now_ms() < ready {
        "pending"
    } else if a["_build"]["error"].is_string() {
        "failed"
    } else {
        "built"
    }
}

/// Secrets as the API shows them: names and when they changed, never values.
fn shown_secrets(secrets: &Value) -> Value {
    Value::Array(
        secrets
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| json!({"name": s["name"], "updated_at": s["updated_at"]}))
            .collect(),
    )
}

/// A stored version as the API shows it.
fn shown_version(v: &Value) -> Value {
    let mut v = v.clone();
    v["secrets"] = shown_secrets(&v["secrets"]);
    v
}

/// The draft as the API shows it, with its deployed version.
fn shown(c: &rusqlite::Connection, a: &Value) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for key in [
        "id",
        "name",
        "supported_triggers",
        "code",
        "dependencies",
        "runtime",
        "created_at",
        "updated_at",
    ] {
        out.insert(key.into(), a[key].clone());
    }
    out.insert("secrets".into(), shown_secrets(&a["secrets"]));
    let state = status(a);
    out.insert("status".into(), json!(state));
    if state != "pending" {
        out.insert("built_at".into(), a["_build"]["at"].clone());
    }
    if state == "failed" {
        out.insert(
            "errors".into(),
            json!([{"id": "build_failed", "msg": a["_build"]["error"], "message": a["_build"]["error"]}]),
        );
    }
    let deployed = match a["deployed_version"].as_str() {
        Some(vid) => c
            .query_row("SELECT data FROM action_versions WHERE id = ?1", [vid], row)
            .optional()?,
        None => None,
    };
    out.insert(
        "all_changes_deployed".into(),
        json!(deployed.is_some() && a["draft_changed"] != true),
    );
    if let Some(v) = deployed {
        out.insert("deployed_version".into(), shown_version(&v));
    }
    Ok(Value::Object(out))
}

/// 400 unless each `{id, version}` names a trigger, each dependency is `{name, version}` and
/// each secret `{name, value}`; names of secrets once each; a known runtime.
fn check_parts(body: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(triggers) = body.get("supported_triggers").and_then(Value::as_array) {
        if triggers.len() != 1 {
            return Err(invalid_body(
                "Payload validation error: an action supports exactly one trigger",
            ));
        }
        for t in triggers {
            let id = t["id"].as_str().unwrap_or_default();
            if !TRIGGERS.iter().any(|(known, _, _)| *known == id) || !t["version"].is_string() {
                return Err(invalid_body(format!(
                    "Payload validation error: unknown trigger {t}"
                )));
            }
        }
    }
    // A secret's value may be left out (auth0-deploy-cli sends back the names it exported):
    // an update keeps the value it had.
    for (field, keys) in [
        ("dependencies", &["name", "version"][..]),
        ("secrets", &["name"][..]),
    ] {
        let mut seen = std::collections::HashSet::new();
        for item in body
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = item["name"].as_str().filter(|n| !n.is_empty());
            let value_ok = item.get("value").is_none_or(Value::is_string);
            if name.is_none() || !value_ok || !keys.iter().all(|k| item[*k].is_string()) {
                return Err(invalid_body(format!(
                    "Payload validation error: each of '{field}' is {{{}}} of strings",
                    keys.join(", ")
                )));
            }
            if !seen.insert(name) {
                return Err(invalid_body(format!(
                    "Payload validation error: '{field}' names {} twice",
                    name.unwrap_or_default()
                )));
            }
        }
    }
    if let Some(r) = body.get("runtime").and_then(Value::as_str)
        && !RUNTIMES.contains(&r)
    {
        return Err(invalid_body(format!(
            "Payload validation error: unknown runtime '{r}'"
        )));
    }
    Ok(())
}

/// A new draft of `a`: pending until the build delay has passed, failing while builds fail.
fn rebuild(app: &App, tx: &rusqlite::Connection, a: &mut Value) -> Result<(), ApiError> {
    let failure: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [BUILD_FAILURE],
            |r| r.get(0),
        )
        .optional()?;
    let delay = app.config.action_build.as_millis() as u64;
    a["_build"] = json!({
        "ready_at_ms": now_ms() + delay,
        "error": failure,
        "at": humantime::format_rfc3339_millis(
            std::time::SystemTime::now() + app.config.action_build
        ).to_string(),
    });
    a["draft_changed"] = json!(true);
    Ok(())
}

/// The secrets of `body` as stored: each with its value and when it was set.
fn stored_secrets(body: &Value, old: &Value, now: &str) -> Value {
    Value::Array(
        body.as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                // Named without a value: the value it had.
                let value = match s.get("value") {
                    Some(v) => v.clone(),
                    None => old
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|o| o["name"] == s["name"])
                        .map_or(Value::Null, |o| o["value"].clone()),
                };
                json!({"name": s["name"], "value": value, "updated_at": now})
            })
            .collect(),
    )
}

/// One page of `all` as the actions API answers lists: `{KEY: [...], total, page, per_page}`,
/// `page` from 0, `per_page` 1 to 100 (default 20).
fn actions_page(
    params: &std::collections::HashMap<String, String>,
    all: Vec<Value>,
    key: &str,
) -> Result<Value, ApiError> {
    let page = super::number(params, "page")?.unwrap_or(0);
    let per_page = super::number(params, "per_page")?.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(invalid_query(format!(
            "Query validation error: 'per_page' must be from 1 to 100, not {per_page}"
        )));
    }
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .collect();
    let mut out = Map::new();
    out.insert(key.into(), Value::Array(items));
    out.insert("total".into(), json!(total));
    out.insert("page".into(), json!(page));
    out.insert("per_page".into(), json!(per_page));
    Ok(Value::Object(out))
}

/// `GET /api/v2/actions/actions`: `triggerId`, `actionName`, `deployed`, `installed` filters;
/// pages of `per_page` (default 20, at most 100): `{actions, total, page, per_page}`.
pub(crate) async fn list(State(app): State<AppState>, caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:actions")?;
    let params = params(&uri);
    let trigger = params.get("triggerId");
    let name = params.get("actionName");
    let deployed = params.get("deployed").map(|v| v == "true");
    // No action here is an installed integration.
    let installed = params.get("installed").map(|v| v == "true");
    let actions: Vec<Value> = app.store.read(|c| {
        let all: Vec<Value> = {
            let mut stmt = c.prepare_cached("SELECT data FROM actions ORDER BY seq")?;
            let rows = stmt.query_map([], row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        Ok(all
            .iter()
            .map(|a| shown(c, a))
            .collect::<Result<Vec<_>, ApiError>>())
    })??;
    let actions: Vec<Value> = actions
        .into_iter()
        .filter(|a| name.is_none_or(|n| a["name"] == n.as_str()))
        .filter(|a| {
            trigger.is_none_or(|t| {
                a["supported_triggers"]
                    .as_array()
                    .is_some_and(|ts| ts.iter().any(|x| x["id"] == t.as_str()))
            })
        })
        .filter(|a| deployed.is_none_or(|d| a.get("deployed_version").is_some() == d))
        .filter(|_| installed != Some(true))
        .collect();
    Ok(ok_json(&actions_page(&params, actions, "actions")?))
}

/// `POST /api/v2/actions/actions {name, supported_triggers, code?, dependencies?, runtime?,
/// secrets?}`: 201 with the draft, `pending`.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_scope("create:actions")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, false)?;
    check_parts(&body)?;
    let Some(name) = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: name'",
        ));
    };
    if !body.contains_key("supported_triggers") {
        return Err(invalid_body(
            "Payload validation error: 'Missing required property: supported_triggers'",
        ));
    }
    let id = random_uuid();
    let now = now_rfc3339();
    let mut a = json!({
        "id": id,
        "name": name,
        "supported_triggers": body["supported_triggers"],
        "code": body.get("code").cloned().unwrap_or(json!("")),
        "dependencies": body.get("dependencies").cloned().unwrap_or(json!([])),
        "runtime": body.get("runtime").cloned().unwrap_or(json!(DEFAULT_RUNTIME)),
        "secrets": stored_secrets(body.get("secrets").unwrap_or(&Value::Null), &Value::Null, &now),
        "created_at": now,
        "updated_at": now,
    });
    let shown = app.store.write(|tx| {
        rebuild(&app, tx, &mut a)?;
        tx.execute(
            "INSERT INTO actions (id, name, data) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, name, a.to_string()],
        )
        .map_err(|e| write_error(e, name))?;
        shown(tx, &a)
    })?;
    Ok(created(&shown))
}

/// `GET /api/v2/actions/actions/{id}`.
pub(crate) async fn get_one(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:actions")?;
    let a = app.store.read(|c| {
        Ok(match find(c, &id) {
            Ok(Some(a)) => shown(c, &a),
            Ok(None) => Err(not_found(&id)),
            Err(e) => Err(e),
        })
    })??;
    Ok(ok_json(&a))
}

/// `PATCH /api/v2/actions/actions/{id}`: the draft's fields; a change of what it is built from
/// makes a new draft (`pending`, not deployed until deployed). `secrets` replaces the set (a
/// secret named again without a value keeps its value).
pub(crate) async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:actions")?;
    let body = json_body(&body)?;
    check_body(&body, FIELDS, false)?;
    check_parts(&body)?;
    let a = app.store.write(|tx| {
        let mut a = find(tx, &id)?.ok_or_else(|| not_found(&id))?;
        let now = now_rfc3339();
        let mut rebuilt = false;
        for (key, value) in &body {
            let value = if key == "secrets" {
                stored_secrets(value, &a["secrets"], &now)
            } else {
                value.clone()
            };
            if key == "name" && value.as_str().is_none_or(|n| n.trim().is_empty()) {
                return Err(invalid_body(
                    "Payload validation error: 'name' must be a non-empty string",
                ));
            }
            rebuilt |= BUILT_FROM.contains(&key.as_str());
            a[key.as_str()] = value;
        }
        if rebuilt {
            rebuild(&app, tx, &mut a)?;
        }
        a["updated_at"] = json!(now);
        store(tx, &a)?;
        shown(tx, &a)
    })?;
    Ok(ok_json(&a))
}

/// The bindings of every trigger that name action `id`.
fn bound_to(c: &rusqlite::Connection, id: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt =
        c.prepare_cached("SELECT DISTINCT trigger_id FROM bindings WHERE action_id = ?1")?;
    let rows = stmt.query_map([id], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `DELETE /api/v2/actions/actions/{id}?force=`: 204; 409 while a trigger binds it, unless
/// `force=true` (which unbinds it).
pub(crate) async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("delete:actions")?;
    let force = crate::flag(&params(&uri), "force");
    app.store.write(|tx| {
        if find(tx, &id)?.is_none() {
            return Err(not_found(&id));
        }
        let triggers = bound_to(tx, &id)?;
        if !triggers.is_empty() && !force {
            return Err(conflict("Unable to delete an action bound to a trigger."));
        }
        tx.execute("DELETE FROM bindings WHERE action_id = ?1", [&id])?;
        tx.execute("DELETE FROM action_versions WHERE action_id = ?1", [&id])?;
        tx.execute("DELETE FROM actions WHERE id = ?1", [&id])?;
        Ok(())
    })?;
    Ok(super::no_content())
}

/// A new deployed version of `a`'s current draft (or of `from`, a roll back), the others no
/// longer deployed.
fn new_version(
    tx: &rusqlite::Connection,
    a: &mut Value,
    from: Option<&Value>,
) -> Result<Value, ApiError> {
    let id = a["id"].as_str().unwrap_or_default().to_string();
    let number: u64 = tx.query_row(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM action_versions WHERE action_id = ?1",
        [&id],
        |r| r.get(0),
    )?;
    let src = from.unwrap_or(a);
    let now = now_rfc3339();
    let version = json!({
        "id": random_uuid(),
        "action_id": id,
        "code": src["code"],
        "dependencies": src["dependencies"],
        "runtime": src["runtime"],
        "secrets": src["secrets"],
        "supported_triggers": src["supported_triggers"],
        "deployed": true,
        "number": number,
        "status": "built",
        "errors": [],
        "built_at": now,
        "created_at": now,
        "updated_at": now,
    });
    let mut stmt =
        tx.prepare_cached("SELECT id, data FROM action_versions WHERE action_id = ?1")?;
    let others: Vec<(String, String)> = stmt
        .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (vid, data) in others {
        let mut v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
        v["deployed"] = json!(false);
        tx.execute(
            "UPDATE action_versions SET data = ?2 WHERE id = ?1",
            rusqlite::params![vid, v.to_string()],
        )?;
    }
    tx.execute(
        "INSERT INTO action_versions (id, action_id, number, data) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![version["id"].as_str(), id, number, version.to_string()],
    )?;
    a["deployed_version"] = version["id"].clone();
    Ok(version)
}

/// `POST /api/v2/actions/actions/{id}/deploy`: 202 with the new version; 400 unless the
/// draft is built.
pub(crate) async fn deploy(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("create:actions")?;
    let version = app.store.write(|tx| {
        let mut a = find(tx, &id)?.ok_or_else(|| not_found(&id))?;
        let state = status(&a);
        if state != "built" {
            tracing::debug!("deploy of a draft that is `{state}`");
            return Err(invalid_body(
                "A draft must be in the 'built' state before it can be deployed.",
            ));
        }
        let version = new_version(tx, &mut a, None)?;
        a["draft_changed"] = json!(false);
        store(tx, &a)?;
        Ok(version)
    })?;
    let mut r = ok_json(&shown_version(&version));
    *r.status_mut() = StatusCode::ACCEPTED;
    Ok(r)
}

/// `GET /api/v2/actions/actions/{actionId}/versions`: newest first, `{versions, total, page,
/// per_page}`.
pub(crate) async fn versions(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:actions")?;
    let params = params(&uri);
    if app.store.read(|c| Ok(find(c, &id)))??.is_none() {
        return Err(not_found(&id));
    }
    let all: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT data FROM action_versions WHERE action_id = ?1 ORDER BY number DESC",
        )?;
        let rows = stmt.query_map([&id], row)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })?;
    let shown: Vec<Value> = all.iter().map(shown_version).collect();
    Ok(ok_json(&actions_page(&params, shown, "versions")?))
}

fn version_of(c: &rusqlite::Connection, action: &str, id: &str) -> Result<Value, ApiError> {
    c.query_row(
        "SELECT data FROM action_versions WHERE action_id = ?1 AND id = ?2",
        [action, id],
        row,
    )
    .optional()?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("The action version does not exist: {id}"),
        )
    })
}

/// `GET /api/v2/actions/actions/{actionId}/versions/{id}`.
pub(crate) async fn version(
    State(app): State<AppState>,
    caller: Caller,
    Path((action, id)): Path<(String, String)>,
) -> ApiResult {
    caller.require_scope("read:actions")?;
    let v = app.store.read(|c| Ok(version_of(c, &action, &id)))??;
    Ok(ok_json(&shown_version(&v)))
}

/// `POST /api/v2/actions/actions/{actionId}/versions/{id}/deploy {update_draft?}`: a roll back,
/// a new deployed version like that one (and, with `update_draft`, the draft made like it).
pub(crate) async fn deploy_version(
    State(app): State<AppState>,
    caller: Caller,
    Path((action, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("create:actions")?;
    // The SDK sends no body, or JSON `null`, or `{update_draft}`.
    let body = if body.is_empty() || body.as_ref() == b"null" {
        Map::new()
    } else {
        json_body(&body)?
    };
    check_body(&body, &[("update_draft", Ty::Bool)], false)?;
    let update_draft = body.get("update_draft") == Some(&json!(true));
    let version = app.store.write(|tx| {
        let mut a = find(tx, &action)?.ok_or_else(|| not_found(&action))?;
        let old = version_of(tx, &action, &id)?;
        let version = new_version(tx, &mut a, Some(&old))?;
        if update_draft {
            for key in BUILT_FROM {
                a[*key] = old[*key].clone();
            }
            a["draft_changed"] = json!(false);
        } else {
            a["draft_changed"] = json!(BUILT_FROM.iter().any(|k| a[*k] != old[*k]));
        }
        store(tx, &a)?;
        Ok(version)
    })?;
    let mut r = ok_json(&shown_version(&version));
    *r.status_mut() = StatusCode::ACCEPTED;
    Ok(r)
}

/// `GET /api/v2/actions/triggers`: every trigger, `{triggers: [...]}`.
pub(crate) async fn triggers(caller: Caller) -> ApiResult {
    caller.require_scope("read:actions")?;
    let triggers: Vec<Value> = TRIGGERS
        .iter()
        .map(|(id, version, policy)| {
            json!({
                "id": id,
                "version": version,
                "status": "CURRENT",
                "runtimes": RUNTIMES,
                "default_runtime": DEFAULT_RUNTIME,
                "compatible_triggers": [],
                "binding_policy": policy,
            })
        })
        .collect();
    Ok(ok_json(&json!({ "triggers": triggers })))
}

/// 404 for a trigger the service does not have, 400 for one bound by its own resources.
fn listable(trigger: &str) -> Result<(), ApiError> {
    match TRIGGERS.iter().find(|(id, _, _)| *id == trigger) {
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("The trigger does not exist: {trigger}"),
        )),
        Some((_, _, "entity-bound")) => Err(invalid_body(
            "cannot list action bindings for an entity-bound trigger",
        )),
        Some(_) => Ok(()),
    }
}

/// The bindings of `trigger`, in order, each with its action as the API shows it.
fn bindings_of(c: &rusqlite::Connection, trigger: &str) -> Result<Vec<Value>, ApiError> {
    let rows: Vec<(String, String, String, String, String)> = {
        let mut stmt = c.prepare_cached(
            "SELECT id, action_id, display_name, created_at, updated_at FROM bindings
             WHERE trigger_id = ?1 ORDER BY position",
        )?;
        let rows = stmt.query_map([trigger], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for (id, action, display, created, updated) in rows {
        let Some(a) = find(c, &action)? else { continue };
        out.push(json!({
            "id": id,
            "trigger_id": trigger,
            "action": shown(c, &a)?,
            "display_name": display,
            "created_at": created,
            "updated_at": updated,
        }));
    }
    Ok(out)
}

/// `GET /api/v2/actions/triggers/{triggerId}/bindings`: pages (`per_page` default 20, at most
/// 100), `{bindings, total, page, per_page}`.
pub(crate) async fn bindings(
    State(app): State<AppState>,
    caller: Caller,
    Path(trigger): Path<String>,
    uri: Uri,
) -> ApiResult {
    caller.require_scope("read:actions")?;
    listable(&trigger)?;
    let params = params(&uri);
    let all = app.store.read(|c| Ok(bindings_of(c, &trigger)))??;
    Ok(ok_json(&actions_page(&params, all, "bindings")?))
}

/// `PATCH /api/v2/actions/triggers/{triggerId}/bindings {bindings: [{ref: {type, value},
/// display_name?}]}`: the whole list, in order; each ref (`action_id`, `action_name` or
/// `binding_id`) names a deployed action that supports the trigger, once.
pub(crate) async fn set_bindings(
    State(app): State<AppState>,
    caller: Caller,
    Path(trigger): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_scope("update:actions")?;
    listable(&trigger)?;
    let body = json_body(&body)?;
    check_body(&body, &[("bindings", Ty::Objects)], false)?;
    let wanted = body
        .get("bindings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let out = app.store.write(|tx| {
        let old = bindings_of(tx, &trigger)?;
        let mut rows: Vec<(String, String, String, String)> = Vec::new();
        for b in &wanted {
            let (kind, value) = (
                b["ref"]["type"].as_str().unwrap_or_default(),
                b["ref"]["value"].as_str().unwrap_or_default(),
            );
            let old_binding = old.iter().find(|o| kind == "binding_id" && o["id"] == value);
            let action_id: Option<String> = match kind {
                "action_id" => find(tx, value)?.map(|_| value.to_string()),
                "action_name" => tx
                    .query_row("SELECT id FROM actions WHERE name = ?1", [value], |r| r.get(0))
                    .optional()?,
                "binding_id" => old_binding.and_then(|o| o["action"]["id"].as_str().map(str::to_string)),
                _ => {
                    return Err(invalid_body(format!(
                        "Payload validation error: ref type must be action_id, action_name or binding_id, not '{kind}'"
                    )));
                }
            };
            let Some(action_id) = action_id else {
                return Err(invalid_body(format!(
                    "The action referenced by {kind} '{value}' does not exist"
                )));
            };
            let a = find(tx, &action_id)?.ok_or_else(|| not_found(&action_id))?;
            let supports = a["supported_triggers"]
                .as_array()
                .is_some_and(|ts| ts.iter().any(|t| t["id"] == trigger.as_str()));
            if !supports {
                return Err(invalid_body(format!(
                    "The action '{}' does not support the trigger {trigger}",
                    a["name"].as_str().unwrap_or_default()
                )));
            }
            if !a["deployed_version"].is_string() {
                return Err(invalid_body(
                    "Trying to create a binding for an action that has not been deployed yet",
                ));
            }
            if rows.iter().any(|r| r.1 == action_id) {
                return Err(invalid_body(format!(
                    "The action '{}' is bound twice",
                    a["name"].as_str().unwrap_or_default()
                )));
            }
            let display = b["display_name"]
                .as_str()
                .or(a["name"].as_str())
                .unwrap_or_default()
                .to_string();
            let (id, created) = match old.iter().find(|o| o["action"]["id"] == action_id.as_str()) {
                Some(o) => (
                    o["id"].as_str().unwrap_or_default().to_string(),
                    o["created_at"].as_str().unwrap_or_default().to_string(),
                ),
                None => (random_uuid(), now_rfc3339()),
            };
            rows.push((id, action_id, display, created));
        }
        tx.execute("DELETE FROM bindings WHERE trigger_id = ?1", [&trigger])?;
        let now = now_rfc3339();
        for (position, (id, action, display, created)) in rows.iter().enumerate() {
            tx.execute(
                "INSERT INTO bindings (trigger_id, position, id, action_id, display_name, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![trigger, position as i64, id, action, display, created, now],
            )?;
        }
        bindings_of(tx, &trigger)
    })?;
    Ok(ok_json(&json!({ "bindings": out })))
}

/// `PUT /__emulator/actions/builds {"fail": MESSAGE | null}` (global token): from now on every
/// build fails with MESSAGE (until `null`).
pub(crate) async fn set_builds(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let fail = match body.get("fail") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.clone()),
        Some(_) => return Err(ApiError::bad_request("`fail` is a message or null")),
    };
    app.store.write(|tx| {
        match &fail {
            Some(m) => tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [BUILD_FAILURE, m],
            )?,
            None => tx.execute("DELETE FROM meta WHERE key = ?1", [BUILD_FAILURE])?,
        };
        Ok(())
    })?;
    Ok(ok_json(&json!({ "fail": fail })))
}

/// A random UUID (v4 layout), as the service's action ids are.
fn random_uuid() -> String {
    let hex = crate::users::random_hex(32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// The deployed code of the actions bound to `trigger`, in the order they run, each with its
/// secrets' values: what the trigger runs.
pub(crate) fn bound_code(
    c: &rusqlite::Connection,
    trigger: &str,
) -> rusqlite::Result<Vec<a0ctl_sandbox::ActionScript>> {
    let ids: Vec<String> = {
        let mut stmt = c.prepare_cached(
            "SELECT action_id FROM bindings WHERE trigger_id = ?1 ORDER BY position",
        )?;
        stmt.query_map([trigger], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for id in ids {
        let Some(a) = c
            .query_row("SELECT data FROM actions WHERE id = ?1", [&id], row)
            .optional()?
        else {
            continue;
        };
        let Some(vid) = a["deployed_version"].as_str() else {
            continue;
        };
        let Some(v) = c
            .query_row("SELECT data FROM action_versions WHERE id = ?1", [vid], row)
            .optional()?
        else {
            continue;
        };
        let secrets: Map<String, Value> = v["secrets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| Some((s["name"].as_str()?.to_string(), s["value"].clone())))
            .collect();
        out.push(a0ctl_sandbox::ActionScript {
            name: a["name"].as_str().unwrap_or_default().to_string(),
            code: v["code"].as_str().unwrap_or_default().to_string(),
            secrets: Value::Object(secrets),
        });
    }
    Ok(out)
}
