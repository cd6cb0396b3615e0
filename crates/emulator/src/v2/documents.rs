//! The tenant's settings objects that always exist (attack protections, the MFA policies, …):
//! one JSON document each in the `documents` table, by name; a name never written reads as its
//! defaults.

use rusqlite::OptionalExtension;
use serde_json::Value;

use crate::ApiError;

/// The document `name`, or `defaults` if it was never written.
pub(crate) fn load(
    c: &rusqlite::Connection,
    name: &str,
    defaults: impl FnOnce() -> Value,
) -> Result<Value, ApiError> {
    let data: Option<String> = c
        .query_row("SELECT data FROM documents WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match data.map(|d| serde_json::from_str(&d)) {
        Some(Ok(v)) => v,
        _ => defaults(),
    })
}

/// Write the document `name`.
pub(crate) fn save(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    value: &Value,
) -> Result<(), ApiError> {
    tx.execute(
        "INSERT INTO documents (name, data) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET data = excluded.data",
        [name, &value.to_string()],
    )?;
    Ok(())
}
