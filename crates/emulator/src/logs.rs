//! Logs: the emulator records the events it sees (signups `ss`, password changes `scp`, email
//! changes `sce`, verification requests `svr`, change-password requests `scpr`, verified emails
//! `sv`, logins `s`, failed token requests `f`, …) and serves them as v1 did: by `_id`, paged
//! (`page`/`per_page`/`sort`/`fields`/`exclude_fields`/`search`), and from a checkpoint
//! (`from`/`take`, default and maximum 200). Paged answers are `{start, length, total, limit,
//! logs}`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, State};
use axum::http::Uri;
use rusqlite::OptionalExtension;
use serde_json::{Map, Value, json};

use super::caller::Caller;
use super::search::{self, Term};
use super::{ApiError, ApiResult, App, AppState, flag, now_rfc3339, now_secs, ok_json, params};

/// The most characters a text field of an entry keeps (user agent, ip, names, description);
/// longer values are cut, ending with `…`.
pub const MAX_FIELD_CHARS: usize = 256;
/// The most bytes an entry's `details` keeps, as JSON; larger details become
/// `{"truncated": true}`.
pub const MAX_DETAILS_BYTES: usize = 2048;
/// Failed token requests recorded in one second by default, whoever sends them (a per-source
/// limit would be no limit: `X-Forwarded-For` is the caller's to choose). The rest are counted,
/// not stored.
pub const FAILED_LOGINS_PER_SECOND: u32 = 10;

/// `s` cut to [`MAX_FIELD_CHARS`] characters.
pub(crate) fn bounded(s: &str) -> String {
    if s.chars().count() <= MAX_FIELD_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_FIELD_CHARS - 1).collect();
    out.push('…');
    out
}

/// The limit on failed token requests' entries: a fixed one-second window.
#[derive(Default)]
pub(crate) struct Throttle {
    /// (second, entries recorded in it)
    window: Mutex<(u64, u32)>,
    /// Refused since the last recorded entry.
    since_last: AtomicU64,
    /// Refused in all.
    unrecorded: AtomicU64,
}

impl Throttle {
    /// Whether one more entry may be recorded now; if so, how many were refused before it.
    pub fn admit(&self, per_second: u32) -> Option<u64> {
        let second = now_secs();
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.0 != second {
            *window = (second, 0);
        }
        if window.1 >= per_second {
            self.since_last.fetch_add(1, Ordering::Relaxed);
            self.unrecorded.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        window.1 += 1;
        Some(self.since_last.swap(0, Ordering::Relaxed))
    }

    /// Failed token requests that were counted but not recorded.
    pub fn unrecorded(&self) -> u64 {
        self.unrecorded.load(Ordering::Relaxed)
    }
}

/// One event to record.
#[derive(Debug, Default)]
pub(crate) struct Entry {
    pub kind: &'static str,
    pub description: String,
    pub connection: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub details: Option<Value>,
}

impl Entry {
    /// An event caused by `caller` about a user.
    pub fn by(caller: &Caller, kind: &'static str, description: impl Into<String>) -> Entry {
        Entry {
            kind,
            description: description.into(),
            client_id: Some(caller.client_id.clone()),
            client_name: Some(caller.client_name.clone()),
            ip: caller.ip.clone(),
            user_agent: caller.user_agent.clone(),
            ..Default::default()
        }
    }
}

/// Append one entry.
pub(crate) fn record(app: &App, entry: Entry) -> Result<(), ApiError> {
    app.store.write(|tx| record_in(tx, entry))
}

/// Append one entry inside a transaction that is already open.
/// Every text field is cut to [`MAX_FIELD_CHARS`], `details` to [`MAX_DETAILS_BYTES`].
pub(crate) fn record_in(tx: &rusqlite::Connection, entry: Entry) -> Result<(), ApiError> {
    let cut = |v: Option<String>| v.map(|s| bounded(&s));
    let details = entry.details.unwrap_or_else(|| json!({})).to_string();
    let details = if details.len() > MAX_DETAILS_BYTES {
        json!({"truncated": true}).to_string()
    } else {
        details
    };
    tx.execute(
        "INSERT INTO logs (date, type, description, connection, client_id, client_name, ip,
                           user_agent, user_id, user_name, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            now_rfc3339(),
            entry.kind,
            bounded(&entry.description),
            cut(entry.connection),
            cut(entry.client_id),
            cut(entry.client_name),
            bounded(&entry.ip),
            bounded(&entry.user_agent),
            cut(entry.user_id),
            cut(entry.user_name),
            details,
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "seq, date, type, description, connection, client_id, client_name, ip, \
                       user_agent, user_id, user_name, details";

fn log_id(seq: i64) -> String {
    format!("{seq:024}")
}

fn row_to_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Value)> {
    let seq: i64 = r.get(0)?;
    let mut m = Map::new();
    m.insert("_id".into(), json!(log_id(seq)));
    m.insert("date".into(), json!(r.get::<_, String>(1)?));
    m.insert("type".into(), json!(r.get::<_, String>(2)?));
    let optional = [
        (3, "description"),
        (4, "connection"),
        (5, "client_id"),
        (6, "client_name"),
        (7, "ip"),
        (8, "user_agent"),
        (9, "user_id"),
        (10, "user_name"),
    ];
    for (i, name) in optional {
        if let Some(v) = r.get::<_, Option<String>>(i)?.filter(|v| !v.is_empty()) {
            m.insert(name.into(), json!(v));
        }
    }
    let details: String = r.get(11)?;
    m.insert(
        "details".into(),
        serde_json::from_str(&details).unwrap_or_else(|_| json!({})),
    );
    Ok((seq, Value::Object(m)))
}

fn load(app: &App, user: Option<&str>) -> Result<Vec<(i64, Value)>, ApiError> {
    app.store.read(|c| {
        let (sql, args): (String, Vec<&str>) = match user {
            Some(u) => (
                format!("SELECT {COLUMNS} FROM logs WHERE user_id = ?1 ORDER BY seq"),
                vec![u],
            ),
            None => (format!("SELECT {COLUMNS} FROM logs ORDER BY seq"), vec![]),
        };
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_json)?;
        rows.collect()
    })
}

/// `GET /api/logs/{_id}`.
pub(crate) async fn get_one(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let seq: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("log entry `{id}` not found")))?;
    let found = app.store.read(|c| {
        c.query_row(
            &format!("SELECT {COLUMNS} FROM logs WHERE seq = ?1"),
            [seq],
            row_to_json,
        )
        .optional()
    })?;
    match found {
        Some((_, v)) => Ok(ok_json(&v)),
        None => Err(ApiError::not_found(format!("log entry `{id}` not found"))),
    }
}

/// `GET /api/logs`: paged, searched, sorted; or from a checkpoint.
pub(crate) async fn list(State(app): State<AppState>, uri: Uri) -> ApiResult {
    let p = params(&uri);
    let mut entries = load(&app, None)?;
    if let Some(q) = p.get("search").filter(|q| !q.trim().is_empty()) {
        let terms = search::parse(q);
        for t in &terms {
            if let Some(f) = &t.field
                && field_of(f).is_none()
            {
                return Err(ApiError::bad_request(format!(
                    "unknown search field `{f}`; use application:, connection: or user:"
                )));
            }
        }
        entries.retain(|(_, e)| terms.iter().all(|t| log_matches(e, t)));
    }
    if p.contains_key("from") || p.contains_key("take") {
        let from: i64 = match p.get("from").filter(|v| !v.is_empty()) {
            Some(v) => v.parse().map_err(|_| {
                ApiError::bad_request(format!("`from` must be a log id, not `{v}`"))
            })?,
            None => 0,
        };
        let take = number(&p, "take")?.unwrap_or(200).clamp(1, 200);
        let total = entries.len();
        let start = entries.iter().take_while(|(s, _)| *s <= from).count();
        let logs: Vec<Value> = entries
            .into_iter()
            .skip(start)
            .take(take)
            .map(|(_, e)| select_fields(e, &p))
            .collect();
        return Ok(ok_json(&json!({
            "start": start, "length": logs.len(), "total": total, "limit": take, "logs": logs
        })));
    }
    sort(&mut entries, p.get("sort").map(String::as_str))?;
    page(entries, &p)
}

/// The entries about one user, paged (`GET /api/users/{id}/logs?page=&per_page=`).
pub(crate) fn of_user(app: &App, id: &str, uri: &Uri) -> ApiResult {
    let p = params(uri);
    let mut entries = load(app, Some(id))?;
    sort(&mut entries, p.get("sort").map(String::as_str))?;
    page(entries, &p)
}

fn number(p: &HashMap<String, String>, key: &str) -> Result<Option<usize>, ApiError> {
    match p.get(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("`{key}` must be a number, not `{v}`"))),
    }
}

fn page(entries: Vec<(i64, Value)>, p: &HashMap<String, String>) -> ApiResult {
    let page = number(p, "page")?.unwrap_or(0);
    let per_page = number(p, "per_page")?.unwrap_or(50).clamp(1, 100);
    let total = entries.len();
    let start = page.saturating_mul(per_page);
    let logs: Vec<Value> = entries
        .into_iter()
        .skip(start)
        .take(per_page)
        .map(|(_, e)| select_fields(e, p))
        .collect();
    Ok(ok_json(&json!({
        "start": start, "length": logs.len(), "total": total, "limit": per_page, "logs": logs
    })))
}

/// `sort=field:1|-1`; default newest first. Ties keep the order of recording.
fn sort(entries: &mut [(i64, Value)], spec: Option<&str>) -> Result<(), ApiError> {
    let spec = spec.filter(|s| !s.is_empty()).unwrap_or("date:-1");
    let (field, dir) = spec.split_once(':').unwrap_or((spec, "1"));
    let descending = match dir {
        "1" => false,
        "-1" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "sort direction must be 1 or -1, not `{other}`"
            )));
        }
    };
    let key = |e: &Value| {
        e.get(field)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .unwrap_or_default()
    };
    entries.sort_by(|a, b| {
        let ord = key(&a.1).cmp(&key(&b.1)).then(a.0.cmp(&b.0));
        if descending { ord.reverse() } else { ord }
    });
    Ok(())
}

fn select_fields(entry: Value, p: &HashMap<String, String>) -> Value {
    let Some(list) = p.get("fields").filter(|f| !f.is_empty()) else {
        return entry;
    };
    let fields: Vec<&str> = list.split(',').map(str::trim).collect();
    let exclude = flag(p, "exclude_fields");
    match entry {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| fields.contains(&k.as_str()) != exclude)
                .collect(),
        ),
        other => other,
    }
}

fn field_of(name: &str) -> Option<&'static str> {
    match name {
        "application" => Some("client_name"),
        "connection" => Some("connection"),
        "user" => Some("user_name"),
        _ => None,
    }
}

fn log_matches(entry: &Value, term: &Term) -> bool {
    match &term.field {
        Some(f) => field_of(f).is_some_and(|col| search::matches(entry.get(col), term)),
        None => ["client_name", "connection", "user_name"]
            .iter()
            .any(|col| search::matches(entry.get(*col), term)),
    }
}
