//! The tenant's objects that need no table of their own (log streams, custom domains): one
//! JSON object each in the `objects` table, by kind and id, listed in the order they were made.

use rusqlite::OptionalExtension;
use serde_json::Value;

use crate::ApiError;

fn parse(data: String) -> Value {
    serde_json::from_str(&data).unwrap_or(Value::Null)
}

/// Every object of `kind`, oldest first.
pub(crate) fn list(c: &rusqlite::Connection, kind: &str) -> Result<Vec<Value>, ApiError> {
    let mut stmt = c.prepare("SELECT data FROM objects WHERE kind = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([kind], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(parse(row?));
    }
    Ok(out)
}

/// The object of `kind` with this id.
pub(crate) fn get(
    c: &rusqlite::Connection,
    kind: &str,
    id: &str,
) -> Result<Option<Value>, ApiError> {
    Ok(c.query_row(
        "SELECT data FROM objects WHERE kind = ?1 AND id = ?2",
        [kind, id],
        |r| r.get::<_, String>(0),
    )
    .optional()?
    .map(parse))
}

/// Write the object of `kind` with this id (made, or replaced in place).
pub(crate) fn put(
    tx: &rusqlite::Transaction<'_>,
    kind: &str,
    id: &str,
    value: &Value,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO objects (kind, id, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
        [kind, id, &value.to_string()],
    )?;
    Ok(())
}

/// Delete the object of `kind` with this id; whether there was one.
pub(crate) fn delete(
    tx: &rusqlite::Transaction<'_>,
    kind: &str,
    id: &str,
) -> Result<bool, ApiError> {
    Ok(tx.execute(
        "DELETE FROM objects WHERE kind = ?1 AND id = ?2",
        [kind, id],
    )? > 0)
}

/// How the API answers one kind of these objects: what it hides, and its 404.
pub(crate) struct Shape {
    pub kind: &'static str,
    pub shown: fn(&Value) -> Value,
    pub not_found: fn(&str) -> ApiError,
}

impl Shape {
    /// `GET COLLECTION`: every object, as shown, in a bare array.
    pub(crate) fn list(&self, app: &crate::AppState) -> crate::ApiResult {
        let all = app.store.read(|c| Ok(list(c, self.kind)))??;
        Ok(crate::ok_json(&Value::Array(
            all.iter().map(self.shown).collect(),
        )))
    }

    /// `GET COLLECTION/{id}`.
    pub(crate) fn get(&self, app: &crate::AppState, id: &str) -> crate::ApiResult {
        let found = app.store.read(|c| Ok(get(c, self.kind, id)))??;
        let found = found.ok_or_else(|| (self.not_found)(id))?;
        Ok(crate::ok_json(&(self.shown)(&found)))
    }

    /// `DELETE COLLECTION/{id}`: 204.
    pub(crate) fn delete(&self, app: &crate::AppState, id: &str) -> crate::ApiResult {
        if !app.store.write(|tx| delete(tx, self.kind, id))? {
            return Err((self.not_found)(id));
        }
        Ok(super::no_content())
    }

    /// Change the object with this id in place (404 if there is none); the stored result.
    pub(crate) fn change(
        &self,
        app: &crate::AppState,
        id: &str,
        f: impl FnOnce(&mut serde_json::Map<String, Value>) -> Result<(), ApiError>,
    ) -> Result<Value, ApiError> {
        app.store.write(|tx| {
            let Some(Value::Object(mut obj)) = get(tx, self.kind, id)? else {
                return Err((self.not_found)(id));
            };
            f(&mut obj)?;
            let obj = Value::Object(obj);
            put(tx, self.kind, id, &obj)?;
            Ok(obj)
        })
    }
}
