//! Users: profiles with metadata merged into the root object, `user_id` like `auth0|<hex>`.
//! Lists are bare arrays paged by `per_page` (default 100) and `page`, with a `Link: <absolute
//! URL carrying access_token>; rel="next"` header built from the request's Host, so a client can
//! follow it without an Authorization header. Passwords are hashed (argon2) and never returned.
//! Tickets are URLs on this server (`/lo/reset`, `/lo/verify_email`) that really redeem.
//!
//! The `/__emulator/` routes seed what the v1 API cannot create: users of social and enterprise
//! connections, logins, and refresh tokens.

use argon2::password_hash::{PasswordHasher, SaltString};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::logs::{self, Entry};
use super::search;
use super::strategies::{Category, category};
use super::{
    ApiError, ApiResult, App, AppState, base_url, json_body, now_rfc3339, now_secs, ok_json,
    ok_text, opt_bool, opt_str, params, random_id,
};

/// Root profile fields a create request may set; every other key is metadata.
const PROFILE_KEYS: [&str; 6] = [
    "name",
    "given_name",
    "family_name",
    "nickname",
    "picture",
    "phone_number",
];

struct UserRow {
    user_id: String,
    connection: String,
    profile: Map<String, Value>,
    metadata: Map<String, Value>,
}

fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        user_id: r.get(0)?,
        connection: r.get(1)?,
        profile: object(&r.get::<_, String>(2)?),
        metadata: object(&r.get::<_, String>(3)?),
    })
}

const COLUMNS: &str = "user_id, connection, profile, metadata";

impl UserRow {
    fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("user_id".into(), json!(self.user_id));
        for (k, v) in &self.profile {
            out.insert(k.clone(), v.clone());
        }
        for (k, v) in &self.metadata {
            if !out.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    fn name(&self) -> Option<String> {
        self.profile
            .get("email")
            .or_else(|| self.profile.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

fn find(app: &App, id: &str) -> Result<Option<UserRow>, ApiError> {
    app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE user_id = ?1"),
            [id],
            read_row,
        )
        .optional()
    })
}

/// The user, or 404.
fn require_user(app: &App, id: &str) -> Result<(), ApiError> {
    find_user(app, id).map(|_| ())
}

fn find_user(app: &App, id: &str) -> Result<UserRow, ApiError> {
    find(app, id)?.ok_or_else(|| ApiError::not_found(format!("user `{id}` not found")))
}

fn load_all(app: &App, sql_where: &str, arg: Option<&str>) -> Result<Vec<UserRow>, ApiError> {
    app.store.read(|c| {
        let sql = format!("SELECT {COLUMNS} FROM users {sql_where} ORDER BY seq");
        let mut stmt = c.prepare_cached(&sql)?;
        match arg {
            Some(a) => stmt.query_map([a], read_row)?.collect(),
            None => stmt.query_map([], read_row)?.collect(),
        }
    })
}

/// Filter by `search`, page by `page`/`per_page`, and answer a bare array with a `Link` header.
fn paged(
    app: &App,
    users: Vec<UserRow>,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
) -> ApiResult {
    let p = params(uri);
    let mut values: Vec<Value> = users.iter().map(UserRow::to_json).collect();
    if let Some(q) = p.get("search").filter(|q| !q.trim().is_empty()) {
        let terms = search::parse(q);
        values.retain(|u| {
            terms.iter().all(|t| match &t.field {
                Some(f) => search::matches(search::lookup(u, f), t),
                None => ["name", "email"]
                    .iter()
                    .any(|k| search::matches(u.get(*k), t)),
            })
        });
    }
    let number = |key: &str| -> Result<Option<usize>, ApiError> {
        match p.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("`{key}` must be a number, not `{v}`"))),
        }
    };
    let per_page = number("per_page")?.unwrap_or(100).clamp(1, 1000);
    let page = number("page")?.unwrap_or(0);
    let total = values.len();
    let items: Vec<Value> = values
        .into_iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .collect();
    let mut response = ok_json(&Value::Array(items));
    if (page + 1).saturating_mul(per_page) < total {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &p {
            if !matches!(k.as_str(), "page" | "per_page" | "access_token") {
                query.append_pair(k, v);
            }
        }
        query.append_pair("page", &(page + 1).to_string());
        query.append_pair("per_page", &per_page.to_string());
        query.append_pair("access_token", &caller.token);
        let link = format!(
            "<{}{}?{}>; rel=\"next\"",
            base_url(app, headers),
            uri.path(),
            query.finish()
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

/// `GET /api/users[?search=]`.
pub(crate) async fn list(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    paged(&app, load_all(&app, "", None)?, &caller, &headers, &uri)
}

/// `GET /api/connections/{connection}/users[?search=&per_page=]`.
pub(crate) async fn of_connection(
    State(app): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    if super::connections::find_row(&app, &name)?.is_none() {
        return Err(ApiError::not_found(format!(
            "connection `{name}` not found"
        )));
    }
    let users = load_all(&app, "WHERE connection = ?1", Some(&name))?;
    paged(&app, users, &caller, &headers, &uri)
}

fn of_category(app: &App, wanted: Category) -> Result<Vec<UserRow>, ApiError> {
    let strategies = super::connections::strategies_by_name(app)?;
    let mut users = load_all(app, "", None)?;
    users.retain(|u| {
        strategies
            .get(&u.connection)
            .is_some_and(|s| category(s) == wanted)
    });
    Ok(users)
}

/// `GET /api/enterpriseconnections/users?search=&per_page=`.
pub(crate) async fn of_enterprise(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    paged(
        &app,
        of_category(&app, Category::Enterprise)?,
        &caller,
        &headers,
        &uri,
    )
}

/// `GET /api/socialconnections/users?search=&per_page=`.
pub(crate) async fn of_social(
    State(app): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    paged(
        &app,
        of_category(&app, Category::Social)?,
        &caller,
        &headers,
        &uri,
    )
}

/// `GET /api/clients/{id}/users`: users who logged in with that client.
pub(crate) async fn of_client(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    if super::clients::find(&app, &id)?.is_none() {
        return Err(ApiError::not_found(format!("client `{id}` not found")));
    }
    let users = load_all(
        &app,
        "WHERE user_id IN (SELECT user_id FROM user_clients WHERE client_id = ?1)",
        Some(&id),
    )?;
    paged(&app, users, &caller, &headers, &uri)
}

/// `GET /api/users/{id}`.
pub(crate) async fn get_one(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(ok_json(&find_user(&app, &id)?.to_json()))
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        // Light parameters: this is a local emulator, not a production password store.
        let params = argon2::Params::new(4096, 1, 1, None).expect("valid argon2 parameters");
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a valid salt");
        argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::bad_request("password hashing failed"))?
    .map_err(|_| ApiError::bad_request("password hashing failed"))
}

/// A user's root profile fields, and its metadata.
type ProfileParts = (Map<String, Value>, Map<String, Value>);

/// A new user's profile and metadata from a request body.
fn new_profile(
    body: &Map<String, Value>,
    strategy: &str,
    connection: &str,
    id_part: &str,
    social: bool,
) -> Result<ProfileParts, ApiError> {
    let email = opt_str(body, "email")?;
    let now = now_rfc3339();
    let mut profile = Map::new();
    if let Some(e) = &email {
        profile.insert("email".into(), json!(e));
    }
    profile.insert(
        "email_verified".into(),
        json!(opt_bool(body, "email_verified")?.unwrap_or(social)),
    );
    for key in PROFILE_KEYS {
        if let Some(v) = opt_str(body, key)? {
            profile.insert(key.into(), json!(v));
        }
    }
    let fallback = email
        .clone()
        .or_else(|| opt_str(body, "phone_number").ok().flatten())
        .unwrap_or_else(|| id_part.to_string());
    profile.entry("name").or_insert_with(|| json!(fallback));
    profile
        .entry("nickname")
        .or_insert_with(|| json!(fallback.split('@').next().unwrap_or_default()));
    profile.entry("picture").or_insert_with(|| {
        let initials: String = fallback.chars().take(2).collect::<String>().to_lowercase();
        json!(format!("https://cdn.auth0.com/avatars/{initials}.png"))
    });
    profile.insert(
        "identities".into(),
        json!([{
            "user_id": id_part,
            "provider": strategy,
            "connection": connection,
            "isSocial": social,
        }]),
    );
    profile.insert("created_at".into(), json!(now));
    profile.insert("updated_at".into(), json!(now));
    profile.insert("loginsCount".into(), json!(0));
    let mut metadata = Map::new();
    for (k, v) in body {
        let reserved = matches!(
            k.as_str(),
            "email" | "password" | "connection" | "email_verified" | "user_id" | "identities"
        ) || PROFILE_KEYS.contains(&k.as_str());
        if !reserved {
            metadata.insert(k.clone(), v.clone());
        }
    }
    Ok((profile, metadata))
}

fn insert_user(
    app: &App,
    caller: Option<&Caller>,
    user_id: &str,
    connection: &str,
    profile: &Map<String, Value>,
    metadata: &Map<String, Value>,
    password_hash: Option<String>,
) -> Result<(), ApiError> {
    let email = profile
        .get("email")
        .and_then(Value::as_str)
        .map(str::to_string);
    app.store.write(|tx| {
        let inserted = tx.execute(
            "INSERT INTO users (user_id, connection, email, password_hash, profile, metadata)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                user_id,
                connection,
                email,
                password_hash,
                Value::Object(profile.clone()).to_string(),
                Value::Object(metadata.clone()).to_string(),
            ],
        );
        if let Err(e) = inserted {
            return Err(match &e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    ApiError::new(
                        StatusCode::CONFLICT,
                        "user_exists",
                        format!("the user already exists in connection `{connection}`"),
                    )
                }
                _ => e.into(),
            });
        }
        let mut entry = match caller {
            Some(c) => Entry::by(c, "ss", "Successful signup"),
            None => Entry {
                kind: "ss",
                description: "Successful signup".into(),
                ..Default::default()
            },
        };
        entry.connection = Some(connection.to_string());
        entry.user_id = Some(user_id.to_string());
        entry.user_name = email.clone();
        logs::record_in(tx, entry)?;
        Ok(())
    })
}

/// `POST /api/users`: database and passwordless connections only.
pub(crate) async fn create(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    let body = json_body(&body)?;
    let connection = opt_str(&body, "connection")?
        .ok_or_else(|| ApiError::bad_request("`connection` is required"))?;
    let Some((_, strategy)) = super::connections::find_row(&app, &connection)? else {
        return Err(ApiError::bad_request(format!(
            "connection `{connection}` does not exist"
        )));
    };
    let password = opt_str(&body, "password")?;
    match category(&strategy) {
        Category::Database => {
            if opt_str(&body, "email")?.is_none_or(|e| !e.contains('@')) {
                return Err(ApiError::bad_request(
                    "`email` is required and must be an email address",
                ));
            }
            if password.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::bad_request("`password` is required"));
            }
        }
        Category::Passwordless => {
            if opt_str(&body, "email")?.is_none() && opt_str(&body, "phone_number")?.is_none() {
                return Err(ApiError::bad_request(
                    "`email` or `phone_number` is required",
                ));
            }
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "users can only be created in database or passwordless connections, not `{strategy}`"
            )));
        }
    }
    let id_part = random_hex(24);
    let user_id = format!("{strategy}|{id_part}");
    let (profile, metadata) = new_profile(&body, &strategy, &connection, &id_part, false)?;
    let hash = match password {
        Some(p) if !p.is_empty() => Some(hash_password(p).await?),
        _ => None,
    };
    insert_user(
        &app,
        Some(&caller),
        &user_id,
        &connection,
        &profile,
        &metadata,
        hash,
    )?;
    Ok(ok_json(&find_user(&app, &user_id)?.to_json()))
}

pub(crate) fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `DELETE /api/users/{id}`.
pub(crate) async fn delete(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    // Devices, tickets and logins go with the user: the store's foreign keys cascade.
    let deleted = app
        .store
        .write(|tx| Ok(tx.execute("DELETE FROM users WHERE user_id = ?1", [&id])?))?;
    if deleted == 0 {
        return Err(ApiError::not_found(format!("user `{id}` not found")));
    }
    Ok(ok_text())
}

/// `GET /api/users/{id}/logs?page=&per_page=`.
pub(crate) async fn logs(
    State(app): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    require_user(&app, &id)?;
    logs::of_user(&app, &id, &uri)
}

/// `GET /api/users/{id}/devices`: refresh tokens and public keys.
pub(crate) async fn devices(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    require_user(&app, &id)?;
    let devices: Vec<Value> = app.store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT seq, device, kind, value, client_id, created_at FROM devices
             WHERE user_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([&id], |r| {
            let kind: String = r.get(2)?;
            let mut m = Map::new();
            m.insert("id".into(), json!(format!("dev_{}", r.get::<_, i64>(0)?)));
            m.insert("device".into(), json!(r.get::<_, String>(1)?));
            m.insert("type".into(), json!(kind));
            m.insert(kind.clone(), json!(r.get::<_, String>(3)?));
            if let Some(client) = r.get::<_, Option<String>>(4)? {
                m.insert("client_id".into(), json!(client));
            }
            m.insert("created_at".into(), json!(r.get::<_, String>(5)?));
            Ok(Value::Object(m))
        })?;
        rows.collect()
    })?;
    Ok(ok_json(&Value::Array(devices)))
}

fn log_user_event(
    app: &App,
    caller: &Caller,
    user: &UserRow,
    kind: &'static str,
    description: &str,
) -> Result<(), ApiError> {
    let mut entry = Entry::by(caller, kind, description);
    entry.connection = Some(user.connection.clone());
    entry.user_id = Some(user.user_id.clone());
    entry.user_name = user.name();
    logs::record(app, entry)
}

/// `POST /api/users/{id}/send_verification_email`.
pub(crate) async fn send_verification_email(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let user = find_user(&app, &id)?;
    log_user_event(&app, &caller, &user, "svr", "Verification email requested")?;
    Ok(ok_text())
}

fn new_ticket(
    app: &App,
    user_id: &str,
    kind: &str,
    data: Value,
    headers: &HeaderMap,
) -> Result<String, ApiError> {
    let ticket = random_id(32);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO tickets (ticket, user_id, kind, data, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![ticket, user_id, kind, data.to_string(), (now_secs() + 5 * 86400) as i64],
        )?;
        Ok(())
    })?;
    let path = if kind == "reset" {
        "lo/reset"
    } else {
        "lo/verify_email"
    };
    Ok(format!("{}/{path}?ticket={ticket}", base_url(app, headers)))
}

/// `POST /api/users/{id}/change_password_ticket` with `{newPassword, resultUrl?}`.
pub(crate) async fn change_password_ticket(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let user = find_user(&app, &id)?;
    let body = json_body(&body)?;
    let password = opt_str(&body, "newPassword")?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("`newPassword` is required"))?;
    let result_url = opt_str(&body, "resultUrl")?;
    let hash = hash_password(password).await?;
    let ticket = new_ticket(
        &app,
        &id,
        "reset",
        json!({"password_hash": hash, "resultUrl": result_url}),
        &headers,
    )?;
    log_user_event(
        &app,
        &caller,
        &user,
        "scpr",
        "Change password ticket created",
    )?;
    Ok(ok_json(&json!({"ticket": ticket})))
}

/// `POST /api/users/{id}/verification_ticket` with `{resultUrl?}`.
pub(crate) async fn verification_ticket(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let user = find_user(&app, &id)?;
    let body = json_body(&body)?;
    let result_url = opt_str(&body, "resultUrl")?;
    let ticket = new_ticket(
        &app,
        &id,
        "verify",
        json!({"resultUrl": result_url}),
        &headers,
    )?;
    log_user_event(&app, &caller, &user, "svr", "Verification ticket created")?;
    Ok(ok_json(&json!({"ticket": ticket})))
}

fn redeem(app: &App, uri: &Uri, kind: &str) -> Result<(String, Map<String, Value>), ApiError> {
    let ticket = params(uri).remove("ticket").unwrap_or_default();
    app.store.write(|tx| {
        let found: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT user_id, data, expires_at FROM tickets WHERE ticket = ?1 AND kind = ?2",
                [&ticket, kind],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        tx.execute("DELETE FROM tickets WHERE ticket = ?1", [&ticket])?;
        match found {
            Some((user, data, expires)) if expires as u64 > now_secs() => Ok((user, object(&data))),
            _ => Err(ApiError::bad_request(
                "the ticket is invalid, used or expired",
            )),
        }
    })
}

fn after_ticket(data: &Map<String, Value>, message: &'static str) -> Response {
    match data
        .get("resultUrl")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    {
        Some(url) => match HeaderValue::from_str(url) {
            Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
            Err(_) => (StatusCode::OK, message).into_response(),
        },
        None => (StatusCode::OK, message).into_response(),
    }
}

/// `GET /lo/reset?ticket=`: the change-password link.
pub(crate) async fn redeem_reset_ticket(State(app): State<AppState>, uri: Uri) -> ApiResult {
    let (user_id, data) = redeem(&app, &uri, "reset")?;
    let hash = data
        .get("password_hash")
        .and_then(Value::as_str)
        .unwrap_or_default();
    app.store.write(|tx| {
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
            [&user_id, hash],
        )?;
        Ok(())
    })?;
    let user = find_user(&app, &user_id)?;
    logs::record(
        &app,
        Entry {
            kind: "scp",
            description: "Password changed through a ticket".into(),
            connection: Some(user.connection.clone()),
            user_id: Some(user_id),
            user_name: user.name(),
            ..Default::default()
        },
    )?;
    Ok(after_ticket(&data, "Your password has been changed."))
}

/// `GET /lo/verify_email?ticket=`: the verification link.
pub(crate) async fn redeem_verification_ticket(State(app): State<AppState>, uri: Uri) -> ApiResult {
    let (user_id, data) = redeem(&app, &uri, "verify")?;
    update_profile(&app, &user_id, |p| {
        p.insert("email_verified".into(), json!(true));
    })?;
    let user = find_user(&app, &user_id)?;
    logs::record(
        &app,
        Entry {
            kind: "sv",
            description: "Email verified".into(),
            connection: Some(user.connection.clone()),
            user_id: Some(user_id),
            user_name: user.name(),
            ..Default::default()
        },
    )?;
    Ok(after_ticket(&data, "Your email has been verified."))
}

fn update_profile(
    app: &App,
    user_id: &str,
    change: impl FnOnce(&mut Map<String, Value>),
) -> Result<(), ApiError> {
    app.store.write(|tx| {
        let profile: Option<String> = tx
            .query_row(
                "SELECT profile FROM users WHERE user_id = ?1",
                [user_id],
                |r| r.get(0),
            )
            .optional()?;
        let mut profile = object(
            &profile.ok_or_else(|| ApiError::not_found(format!("user `{user_id}` not found")))?,
        );
        change(&mut profile);
        profile.insert("updated_at".into(), json!(now_rfc3339()));
        let email = profile
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_string);
        let updated = tx.execute(
            "UPDATE users SET profile = ?2, email = ?3 WHERE user_id = ?1",
            rusqlite::params![user_id, Value::Object(profile).to_string(), email],
        );
        match updated {
            Ok(_) => Ok(()),
            // Another user of the connection took the email since the caller checked.
            Err(e) if super::store::is_unique_violation(&e, "users.email") => Err(ApiError::new(
                StatusCode::CONFLICT,
                "user_exists",
                "another user of this connection has that email",
            )),
            Err(e) => Err(e.into()),
        }
    })
}

/// `POST /api/users/{id}/publickey` with `{device, public_key}`.
pub(crate) async fn add_public_key(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    require_user(&app, &id)?;
    let body = json_body(&body)?;
    let device = opt_str(&body, "device")?
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("`device` is required"))?;
    let key = opt_str(&body, "public_key")?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::bad_request("`public_key` is required"))?;
    app.store.write(|tx| {
        tx.execute(
            "DELETE FROM devices WHERE user_id = ?1 AND device = ?2 AND kind = 'public_key'",
            [&id, &device],
        )?;
        tx.execute(
            "INSERT INTO devices (user_id, device, kind, value, client_id, created_at)
             VALUES (?1, ?2, 'public_key', ?3, ?4, ?5)",
            rusqlite::params![id, device, key, caller.client_id, now_rfc3339()],
        )?;
        Ok(())
    })?;
    Ok(ok_text())
}

/// `DELETE /api/users/{id}/publickey?device=`.
pub(crate) async fn revoke_public_key(
    State(app): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult {
    require_user(&app, &id)?;
    let device = params(&uri)
        .remove("device")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("`device` is required"))?;
    let removed = app.store.write(|tx| {
        Ok(tx.execute(
            "DELETE FROM devices WHERE user_id = ?1 AND device = ?2 AND kind = 'public_key'",
            [&id, &device],
        )?)
    })?;
    if removed == 0 {
        return Err(ApiError::not_found(format!(
            "no public key for device `{device}`"
        )));
    }
    Ok(ok_text())
}

/// `DELETE /api/users/{id}/refresh_tokens/{token}`.
pub(crate) async fn revoke_refresh_token(
    State(app): State<AppState>,
    Path((id, token)): Path<(String, String)>,
) -> ApiResult {
    require_user(&app, &id)?;
    let removed = app.store.write(|tx| {
        Ok(tx.execute(
            "DELETE FROM devices WHERE user_id = ?1 AND value = ?2 AND kind = 'refresh_token'",
            [&id, &token],
        )?)
    })?;
    if removed == 0 {
        return Err(ApiError::not_found("refresh token not found"));
    }
    Ok(ok_text())
}

/// `PUT /api/users/{id}/email` with `{email, verify}`.
pub(crate) async fn set_email(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let email = opt_str(&body, "email")?
        .filter(|e| e.contains('@'))
        .ok_or_else(|| ApiError::bad_request("`email` is required and must be an email address"))?;
    let verify = opt_bool(&body, "verify")?.unwrap_or(true);
    let user = find_user(&app, &id)?;
    let clash = app.store.read(|c| {
        c.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE connection = ?1 AND email = ?2 AND user_id <> ?3)",
            [&user.connection, &email, &id],
            |r| r.get::<_, bool>(0),
        )
    })?;
    if clash {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "user_exists",
            "another user of this connection has that email",
        ));
    }
    update_profile(&app, &id, |p| {
        p.insert("email".into(), json!(email));
        p.insert("email_verified".into(), json!(false));
    })?;
    let user = find_user(&app, &id)?;
    log_user_event(&app, &caller, &user, "sce", "Email changed")?;
    if verify {
        log_user_event(&app, &caller, &user, "svr", "Verification email requested")?;
    }
    Ok(ok_text())
}

/// `GET /api/users/{id}/metadata`.
pub(crate) async fn get_metadata(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    Ok(ok_json(&Value::Object(find_user(&app, &id)?.metadata)))
}

/// Replace or merge a user's metadata. The read and the write share one transaction, so
/// concurrent merges cannot lose each other's keys.
fn write_metadata(app: &App, id: &str, merge: bool, body: Map<String, Value>) -> ApiResult {
    app.store.write(|tx| {
        let stored: Option<String> = tx
            .query_row("SELECT metadata FROM users WHERE user_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let stored = stored.ok_or_else(|| ApiError::not_found(format!("user `{id}` not found")))?;
        let mut metadata = if merge { object(&stored) } else { Map::new() };
        for (k, v) in body {
            metadata.insert(k, v);
        }
        tx.execute(
            "UPDATE users SET metadata = ?2 WHERE user_id = ?1",
            [id, &Value::Object(metadata).to_string()],
        )?;
        Ok(())
    })?;
    Ok(ok_text())
}

/// `PUT /api/users/{id}/metadata`: replace.
pub(crate) async fn replace_metadata(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    write_metadata(&app, &id, false, json_body(&body)?)
}

/// `PATCH /api/users/{id}/metadata`: merge.
pub(crate) async fn merge_metadata(
    State(app): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    write_metadata(&app, &id, true, json_body(&body)?)
}

/// `PUT /api/users/{user_id}/password` with `{password, verify}`, or
/// `PUT /api/users/{email}/password` with `{email, password, connection, verify}`.
pub(crate) async fn set_password(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_body(&body)?;
    let password = opt_str(&body, "password")?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad_request("`password` is required"))?;
    let user = match find(&app, &id)? {
        Some(u) => u,
        None => {
            let email = opt_str(&body, "email")?.unwrap_or_else(|| id.clone());
            let connection = opt_str(&body, "connection")?.ok_or_else(|| {
                ApiError::not_found(format!(
                    "user `{id}` not found (to address a user by email, send `email` and `connection`)"
                ))
            })?;
            let found: Option<String> = app.store.read(|c| {
                c.query_row(
                    "SELECT user_id FROM users WHERE connection = ?1 AND email = ?2",
                    [&connection, &email],
                    |r| r.get(0),
                )
                .optional()
            })?;
            let found = found.ok_or_else(|| {
                ApiError::not_found(format!("no user `{email}` in connection `{connection}`"))
            })?;
            find_user(&app, &found)?
        }
    };
    let hash = hash_password(password).await?;
    app.store.write(|tx| {
        tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE user_id = ?1",
            [&user.user_id, &hash],
        )?;
        Ok(())
    })?;
    log_user_event(&app, &caller, &user, "scp", "Password changed")?;
    Ok(ok_text())
}

/// `POST /__emulator/users`: create a user in any connection (as if it had signed up or logged
/// in through a social or enterprise provider).
pub(crate) async fn seed(State(app): State<AppState>, caller: Caller, body: Bytes) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let connection = opt_str(&body, "connection")?
        .ok_or_else(|| ApiError::bad_request("`connection` is required"))?;
    let Some((_, strategy)) = super::connections::find_row(&app, &connection)? else {
        return Err(ApiError::bad_request(format!(
            "connection `{connection}` does not exist"
        )));
    };
    let social = category(&strategy) == Category::Social;
    let id_part = opt_str(&body, "user_id")?.unwrap_or_else(|| random_hex(24));
    let user_id = format!("{strategy}|{id_part}");
    let (profile, metadata) = new_profile(&body, &strategy, &connection, &id_part, social)?;
    let hash = match opt_str(&body, "password")? {
        Some(p) if !p.is_empty() => Some(hash_password(p).await?),
        _ => None,
    };
    insert_user(
        &app,
        Some(&caller),
        &user_id,
        &connection,
        &profile,
        &metadata,
        hash,
    )?;
    Ok(ok_json(&find_user(&app, &user_id)?.to_json()))
}

/// `POST /__emulator/logins` with `{user_id, client_id?, success?}`: record a login, after the
/// tenant's enabled rules (`rule_pipeline`), whose outcome the answer carries as `rules`.
pub(crate) async fn record_login(
    State(app): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    let body = json_body(&body)?;
    let id =
        opt_str(&body, "user_id")?.ok_or_else(|| ApiError::bad_request("`user_id` is required"))?;
    let client = opt_str(&body, "client_id")?.unwrap_or_else(|| caller.client_id.clone());
    if super::clients::name_of(&app.store, &client)?.is_none() {
        return Err(ApiError::bad_request(format!(
            "`client_id` {client:?} names no client of the tenant"
        )));
    }
    let mut success = opt_bool(&body, "success")?.unwrap_or(true);
    let mut user = find_user(&app, &id)?;
    // The tenant's enabled rules run on a login that got past the password, and may fail it;
    // the metadata they write through `auth0.users` is saved at once, as the service does.
    let mut rules = None;
    let mut denied = None;
    if success
        && let Some(outcome) =
            super::rule_pipeline::run(&app, &caller, user.to_json(), &client, &user.connection)
                .await?
    {
        success = outcome.denied.is_none();
        if success {
            save_action_metadata(&app, &id, &outcome.metadata)?;
            user = find_user(&app, &id)?;
        }
        denied = outcome.denied;
        rules = Some(outcome.answer);
    }
    // Then the post-login trigger's actions, which may fail it too; the metadata they set is
    // the user's from now on.
    let mut actions = None;
    if success
        && let Some(outcome) = super::action_pipeline::run(
            &app,
            "post-login",
            login_event(&app, &caller, &user, &client)?,
        )
        .await?
    {
        success = outcome.denied.is_none();
        if success {
            save_action_metadata(&app, &id, &outcome.effects)?;
        }
        denied = outcome.denied;
        actions = Some(outcome.answer);
    }
    if success {
        update_profile(&app, &id, |p| {
            let count = p.get("loginsCount").and_then(Value::as_u64).unwrap_or(0);
            p.insert("loginsCount".into(), json!(count + 1));
            p.insert("last_login".into(), json!(now_rfc3339()));
        })?;
        app.store.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO user_clients (user_id, client_id) VALUES (?1, ?2)",
                [&id, &client],
            )?;
            Ok(())
        })?;
    }
    let mut entry = match (&denied, success) {
        (Some(why), _) => Entry::by(&caller, "f", why.clone()),
        (None, true) => Entry::by(&caller, "s", "Successful login"),
        (None, false) => Entry::by(&caller, "fp", "Wrong password"),
    };
    entry.client_name = super::clients::name_of(&app.store, &client)?;
    entry.client_id = Some(client);
    entry.connection = Some(user.connection.clone());
    entry.user_id = Some(user.user_id.clone());
    entry.user_name = user.name();
    logs::record(&app, entry)?;
    let mut answer = find_user(&app, &id)?.to_json();
    if let Some(rules) = rules {
        answer["rules"] = rules;
    }
    if let Some(actions) = actions {
        answer["actions"] = actions;
    }
    Ok(ok_json(&answer))
}

/// The post-login event of `user`'s login to `client`: the user as actions see it (with
/// `app_metadata` and `user_metadata`, kept in the emulator's metadata under those keys), the
/// client, the connection, the request and the login count.
fn login_event(
    app: &App,
    caller: &Caller,
    user: &UserRow,
    client: &str,
) -> Result<Value, ApiError> {
    let mut shown = user.to_json();
    for key in ["app_metadata", "user_metadata"] {
        if !shown[key].is_object() {
            shown[key] = json!({});
        }
    }
    let logins = shown
        .get("loginsCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    shown["logins_count"] = json!(logins + 1);
    let strategy: Option<String> = app.store.read(|c| {
        c.query_row(
            "SELECT strategy FROM connections WHERE name = ?1",
            [&user.connection],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(json!({
        "user": shown,
        "client": super::action_pipeline::client_of(app, client)?,
        "connection": {"name": user.connection, "strategy": strategy.unwrap_or_default()},
        "request": {"ip": caller.ip, "user_agent": caller.user_agent},
        "stats": {"logins_count": logins + 1},
        "authentication": {"methods": [{"name": "pwd", "timestamp": now_rfc3339()}]},
    }))
}

/// Save the `app_metadata` and `user_metadata` that a flow's actions (or the rules, through
/// `auth0.users`) set (`null` removes a key).
fn save_action_metadata(app: &App, id: &str, effects: &Value) -> Result<(), ApiError> {
    let changed = ["app_metadata", "user_metadata"]
        .iter()
        .any(|k| effects[*k].as_object().is_some_and(|m| !m.is_empty()));
    if !changed {
        return Ok(());
    }
    let mut metadata = Value::Object(find_user(app, id)?.metadata);
    let mut body = Map::new();
    for key in ["app_metadata", "user_metadata"] {
        let mut slot = metadata[key].take();
        a0ctl_sandbox::apply_changes(&mut slot, effects.get(key));
        if !slot.is_null() {
            body.insert(key.into(), slot);
        }
    }
    write_metadata(app, id, true, body).map(|_| ())
}

/// `POST /__emulator/users/{id}/refresh_tokens` with `{device, client_id?}`.
pub(crate) async fn seed_refresh_token(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    caller.require_global()?;
    require_user(&app, &id)?;
    let body = json_body(&body)?;
    let device = opt_str(&body, "device")?.unwrap_or_else(|| "device".to_string());
    let client = opt_str(&body, "client_id")?.unwrap_or_else(|| caller.client_id.clone());
    let token = random_id(40);
    app.store.write(|tx| {
        tx.execute(
            "INSERT INTO devices (user_id, device, kind, value, client_id, created_at)
             VALUES (?1, ?2, 'refresh_token', ?3, ?4, ?5)",
            rusqlite::params![id, device, token, client, now_rfc3339()],
        )?;
        Ok(())
    })?;
    Ok(ok_json(&json!({"refresh_token": token})))
}
