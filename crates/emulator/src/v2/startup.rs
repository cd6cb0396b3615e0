//! The reads real tools make at start-up, for resources the emulator does not hold: no actions,
//! no directory provisionings, no SCIM configuration. Each answers what the service answers for
//! a tenant without them.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use serde_json::json;

use super::number;
use crate::caller::Caller;
use crate::{ApiError, ApiResult, AppState, ok_json, params};

/// `GET /api/v2/connections-directory-provisionings`: `{directory_provisionings: []}`.
pub(crate) async fn directory_provisionings(caller: Caller, uri: Uri) -> ApiResult {
    caller.require_scope("read:directory_provisionings")?;
    let params = params(&uri);
    if let Some(take) = number(&params, "take")?
        && !(1..=100).contains(&take)
    {
        return Err(super::invalid_query(format!(
            "Query validation error: 'take' must be from 1 to 100, not {take}"
        )));
    }
    Ok(ok_json(&json!({"directory_provisionings": []})))
}

/// `GET /api/v2/connections/{id}/scim-configuration`: 404 (no connection has one); 404 too for
/// a connection that does not exist, with its own message.
pub(crate) async fn scim_configuration(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    caller.require_scope("read:connections")?;
    let exists: bool = app.store.read(|c| {
        c.query_row(
            "SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?1)",
            [&id],
            |r| r.get(0),
        )
    })?;
    let message = if exists {
        format!("No SCIM configuration found for connection {id}")
    } else {
        format!("The connection does not exist: {id}")
    };
    Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", message))
}
