//! Tokens: `POST /oauth/token` (client credentials, JSON or form-encoded) mints an opaque token
//! that lives `token_lifetime` (24 hours by default) and is kept in the store, so it survives a
//! restart. The API accepts it as `Authorization: Bearer` (scheme case-insensitive) or
//! `?access_token=`. A token of a non-global client may read; tenant-wide writes need the global
//! client's.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Value, json};

use super::caller::{Caller, SCOPES};
use super::wire::Peer;
use super::{
    ApiError, ApiResult, App, AppState, clients, logs, now_secs, ok_json, params, random_id,
};

#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub client_id: String,
    pub expires_at: u64,
    /// A v2 token's scopes; `None` for a v1 token.
    pub scopes: Option<Vec<String>>,
}

/// Whether a path is the Management API v2's.
pub(crate) fn is_v2_path(path: &str) -> bool {
    path == "/api/v2" || path.starts_with("/api/v2/")
}

/// Where a request came from: its peer address and user agent, each cut to
/// [`logs::MAX_FIELD_CHARS`] (both are the caller's to choose).
pub(crate) fn origin(headers: &HeaderMap, peer: Option<SocketAddr>) -> (String, String) {
    let ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_default();
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    (logs::bounded(&ip), logs::bounded(agent))
}

/// The auth layer: resolves the token into a [`Caller`] or answers 401.
pub(crate) async fn require(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = bearer(req.headers()).or_else(|| params(req.uri()).remove("access_token"));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return ApiError::unauthorized(
            "unauthorized",
            "missing access token: send `Authorization: Bearer <token>` or `?access_token=`",
        )
        .into_response();
    };
    let peer = req.extensions().get::<ConnectInfo<Peer>>().map(|c| c.0.0);
    let (ip, user_agent) = origin(req.headers(), peer);
    let path = req.uri().path().to_string();
    let resolved = resolve(&app, &token).and_then(|caller| {
        // A token is for one API, as the real service's audiences are: a v1 token is refused on
        // v2 routes and a v2 token on v1 routes; the emulator's own routes take either.
        match (is_v2_path(&path), path.starts_with("/api/"), &caller.scopes) {
            (true, _, None) => Err(ApiError::unauthorized(
                "invalid_token",
                "Bad audience: this token is for the v1 API; get one with `audience` = this emulator's /api/v2/",
            )),
            (false, true, Some(_)) => Err(ApiError::unauthorized(
                "invalid_token",
                "Bad audience: this token is for /api/v2/; get a v1 token without `audience`",
            )),
            _ => Ok(caller),
        }
    });
    match resolved {
        Ok(caller) => {
            req.extensions_mut().insert(Caller {
                ip,
                user_agent,
                ..caller
            });
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn resolve(app: &App, token: &str) -> Result<Caller, ApiError> {
    let cached = app.tokens.lock().expect("tokens lock").get(token).cloned();
    let info = match cached {
        Some(info) => info,
        None => {
            let found = app.store.read(|c| {
                c.query_row(
                    "SELECT client_id, expires_at, scopes FROM tokens WHERE token = ?1",
                    [token],
                    |r| {
                        let scopes: Option<String> = r.get(2)?;
                        Ok(TokenInfo {
                            client_id: r.get(0)?,
                            expires_at: r.get::<_, i64>(1)? as u64,
                            scopes: scopes.map(|s| {
                                s.split(' ')
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_string)
                                    .collect()
                            }),
                        })
                    },
                )
                .optional()
            })?;
            let info = found.ok_or_else(|| {
                ApiError::unauthorized("invalid_token", "the access token is not valid")
            })?;
            app.tokens
                .lock()
                .expect("tokens lock")
                .insert(token.to_string(), info.clone());
            info
        }
    };
    if info.expires_at <= now_secs() {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the access token expired",
        ));
    }
    let Some(client_name) = clients::name_of(&app.store, &info.client_id)? else {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the client of this access token was deleted",
        ));
    };
    Ok(Caller {
        global: info.client_id == app.global_client_id,
        client_id: info.client_id,
        client_name,
        token: token.to_string(),
        ip: String::new(),
        user_agent: String::new(),
        scopes: info.scopes,
    })
}

/// `POST /oauth/token`.
pub(crate) async fn token(
    State(app): State<AppState>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form_fields: serde_json::Map<String, Value> = url::form_urlencoded::parse(&body)
        .into_owned()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    // curl's `-d '{…}'` says form-encoded but sends JSON: take what parses.
    let fields: serde_json::Map<String, Value> = if form && form_fields.contains_key("client_id") {
        form_fields
    } else if form {
        super::json_body(&body).unwrap_or(form_fields)
    } else {
        match super::json_body(&body) {
            Ok(map) => map,
            // Some historical clients sent a form without saying so.
            Err(e) => {
                let parsed: serde_json::Map<String, Value> = url::form_urlencoded::parse(&body)
                    .into_owned()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                if parsed.contains_key("client_id") {
                    parsed
                } else {
                    return Err(e);
                }
            }
        }
    };
    let get = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    let grant = get("grant_type");
    if !grant.is_empty() && grant != "client_credentials" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant type `{grant}` is not supported; use client_credentials"),
        ));
    }
    let (client_id, secret) = (get("client_id"), get("client_secret"));
    // `audience`: absent or empty is the v1 API; the emulator's own `…/api/v2/` (with or without
    // the trailing slash) is v2; anything else is an API this tenant does not have.
    let audience = Some(get("audience")).filter(|a| !a.is_empty());
    if let Some(aud) = audience {
        let own = format!("{}/api/v2", super::base_url(&app, &headers));
        if aud.trim_end_matches('/') != own {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "access_denied",
                format!(
                    "Service not found: {}; this emulator's API is {own}/",
                    logs::bounded(aud)
                ),
            ));
        }
    }
    let known = clients::credentials(&app.store, client_id)?;
    if known
        .as_ref()
        .is_none_or(|(expected, _)| secret.is_empty() || expected != secret)
    {
        // Anyone may call this route: what a failure stores is bounded in size and in rate.
        if let Some(unrecorded) = app
            .failed_logins
            .admit(app.faults.current().failed_logins_per_second)
        {
            let (ip, user_agent) = origin(&headers, Some(peer));
            logs::record(
                &app,
                logs::Entry {
                    kind: "f",
                    description: if known.is_some() {
                        "Wrong client credentials".to_string()
                    } else {
                        "Unknown client".to_string()
                    },
                    client_id: Some(client_id.to_string()),
                    client_name: known.as_ref().map(|(_, name)| name.clone()),
                    ip,
                    user_agent,
                    details: (unrecorded > 0).then(|| json!({"unrecorded_before": unrecorded})),
                    ..Default::default()
                },
            )?;
        }
        return Err(if known.is_some() {
            ApiError::unauthorized("access_denied", "Unauthorized")
        } else {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_client",
                format!("unknown client `{}`", logs::bounded(client_id)),
            )
        });
    };
    let scopes = match audience {
        None => None,
        Some(_) if client_id == app.global_client_id => {
            Some(SCOPES.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        }
        Some(_) => Some(granted_scopes(&app, client_id)?),
    };
    // The credentials-exchange trigger's actions may deny the token or add claims to it; the
    // emulator's own client is never subject to them (like the tenant's own API, it stays
    // usable whatever the tenant binds).
    let mut claims = None;
    if client_id != app.global_client_id {
        let (ip, user_agent) = origin(&headers, Some(peer));
        let event = json!({
            "client": crate::action_pipeline::client_of(&app, client_id)?,
            "request": {"ip": ip, "user_agent": user_agent, "method": "POST"},
            "resource_server": {"identifier": audience.map_or_else(
                || format!("{}/api/", super::base_url(&app, &headers)),
                |a| a.to_string(),
            )},
            "transaction": {"requested_scopes": scopes.clone().unwrap_or_default()},
            "accessToken": {"scope": scopes.clone().unwrap_or_default(), "customClaims": {}},
        });
        if let Some(outcome) =
            crate::action_pipeline::run(&app, "credentials-exchange", event).await?
        {
            if let Some(reason) = outcome.denied {
                let code = match outcome.code.as_deref() {
                    Some("invalid_scope") => "invalid_scope",
                    Some("invalid_request") => "invalid_request",
                    Some("server_error") => "server_error",
                    _ => "access_denied",
                };
                return Err(ApiError::new(StatusCode::FORBIDDEN, code, reason));
            }
            claims = outcome
                .effects
                .get("accessToken")
                .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()))
                .cloned();
        }
    }
    let token = random_id(48);
    let lifetime = app.config.token_lifetime.as_secs();
    let expires_at = now_secs().saturating_add(lifetime);
    let scope_text = scopes.as_ref().map(|s| s.join(" "));
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO tokens (token, client_id, expires_at, scopes) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![token, client_id, expires_at as i64, scope_text],
        )?;
        if let Some(claims) = &claims {
            tx.execute(
                "INSERT INTO token_claims (token, claims) VALUES (?1, ?2)",
                rusqlite::params![token, claims.to_string()],
            )?;
        }
        Ok(())
    })?;
    app.tokens.lock().expect("tokens lock").insert(
        token.clone(),
        TokenInfo {
            client_id: client_id.to_string(),
            expires_at,
            scopes,
        },
    );
    Ok(ok_json(&match scope_text {
        // As the real service answers a token for an API.
        Some(scope) => json!({"access_token": token, "scope": scope,
                              "expires_in": lifetime, "token_type": "Bearer"}),
        None => json!({"access_token": token, "token_type": "bearer"}),
    }))
}

/// The scopes granted to a (non-global) client, sorted: its grants to the Management API's
/// audience, as on the service, and what the emulator-only scopes route set.
fn granted_scopes(app: &App, client_id: &str) -> Result<Vec<String>, ApiError> {
    let mut scopes: Vec<String> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT scope FROM client_scopes WHERE client_id = ?1 ORDER BY scope",
        )?;
        let rows = stmt.query_map([client_id], |r| r.get(0))?;
        let mut scopes: Vec<String> = rows.collect::<rusqlite::Result<_>>()?;
        scopes.extend(super::v2::client_grants::management_scopes(c, client_id)?);
        Ok(scopes)
    })?;
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// `GET /__emulator/clients/{id}/scopes` (global token): the v2 scopes granted to a client.
pub(crate) async fn get_scopes(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_global()?;
    if clients::name_of(&app.store, &id)?.is_none() {
        return Err(ApiError::not_found(format!("client `{id}` not found")));
    }
    let scopes = if id == app.global_client_id {
        SCOPES.iter().map(|s| s.to_string()).collect()
    } else {
        granted_scopes(&app, &id)?
    };
    Ok(ok_json(&json!({"client_id": id, "scopes": scopes})))
}

/// `PUT /__emulator/clients/{id}/scopes {"scopes": [..]}` (global token): replace the v2 scopes
/// granted to a client; its v2 tokens minted from then on carry them (tokens already minted keep
/// theirs, as real tokens do). The global client always has every scope.
pub(crate) async fn set_scopes(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = super::json_body(&body)?;
    let scopes: Vec<String> = match body.get("scopes") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v.as_str() {
                Some(s) if SCOPES.contains(&s) => Ok(s.to_string()),
                _ => Err(ApiError::bad_request(format!(
                    "unknown scope {v}; the emulator knows {}",
                    SCOPES.join(", ")
                ))),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(ApiError::bad_request("`scopes` must be an array of scopes")),
    };
    if id == app.global_client_id {
        return Err(ApiError::bad_request(
            "the global client has every scope; its grants cannot change",
        ));
    }
    app.store.write(|tx| {
        if clients::name_of_in(tx, &id)?.is_none() {
            return Err(ApiError::not_found(format!("client `{id}` not found")));
        }
        tx.execute("DELETE FROM client_scopes WHERE client_id = ?1", [&id])?;
        for scope in &scopes {
            tx.execute(
                "INSERT OR IGNORE INTO client_scopes (client_id, scope) VALUES (?1, ?2)",
                [&id, scope],
            )?;
        }
        Ok(())
    })?;
    let scopes = granted_scopes(&app, &id)?;
    Ok(ok_json(&json!({"client_id": id, "scopes": scopes})))
}

/// `POST /__emulator/tokens/introspect` with `{token}`: what the token carries, as RFC 7662
/// shows it (`active`, `client_id`, `scope`, `exp`, and the custom claims the
/// credentials-exchange actions set); `{"active": false}` for a token that is unknown or expired.
pub(crate) async fn introspect(
    State(app): State<AppState>,
    caller: crate::caller::Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = super::json_body(&body)?;
    let token = body
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let found: Option<(String, i64, Option<String>, Option<String>)> = app.store.read(|c| {
        c.query_row(
            "SELECT t.client_id, t.expires_at, t.scopes, k.claims FROM tokens t
             LEFT JOIN token_claims k ON k.token = t.token WHERE t.token = ?1",
            [token],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
    })?;
    let Some((client_id, exp, scopes, claims)) = found.filter(|f| f.1 as u64 > now_secs()) else {
        return Ok(ok_json(&json!({"active": false})));
    };
    let mut out = serde_json::Map::new();
    if let Some(Value::Object(claims)) = claims.and_then(|c| serde_json::from_str(&c).ok()) {
        out.extend(claims);
    }
    out.insert("active".into(), json!(true));
    out.insert("client_id".into(), json!(client_id));
    out.insert("exp".into(), json!(exp));
    if let Some(scope) = scopes {
        out.insert("scope".into(), json!(scope));
    }
    Ok(ok_json(&Value::Object(out)))
}
