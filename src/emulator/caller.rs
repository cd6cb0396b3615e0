//! The caller of an API request: the client behind its token (resolved by `auth`'s layer) and
//! where the request came from, for logs. Handlers take it as an extractor; tenant-wide writes
//! need the global client's.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::ApiError;

/// Who is calling: the client behind the token, and where the request came from (for logs).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub client_id: String,
    pub client_name: String,
    pub global: bool,
    pub token: String,
    pub ip: String,
    pub user_agent: String,
}

impl Caller {
    /// Tenant-wide writes (connections, clients, rules, emails) need the global client.
    pub(crate) fn require_global(&self) -> Result<(), ApiError> {
        if self.global {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                "insufficient_scope",
                "only a token of the global client may change tenant-wide settings",
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("unauthorized", "missing access token"))
    }
}
