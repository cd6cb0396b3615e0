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
    /// The scopes of a Management API v2 token (`audience` = `…/api/v2/`); `None` for a v1
    /// token.
    pub scopes: Option<Vec<String>>,
}

/// Every scope the v2 surface checks; the global client's v2 tokens carry them all.
pub(crate) const SCOPES: [&str; 74] = [
    "read:clients",
    "create:clients",
    "update:clients",
    "delete:clients",
    "read:client_keys",
    "update:client_keys",
    "create:client_credentials",
    "update:client_credentials",
    "read:connections",
    "create:connections",
    "update:connections",
    "delete:connections",
    "read:connections_options",
    "update:connections_options",
    "read:rules",
    "create:rules",
    "update:rules",
    "delete:rules",
    "read:email_templates",
    "create:email_templates",
    "update:email_templates",
    "read:email_provider",
    "create:email_provider",
    "update:email_provider",
    "delete:email_provider",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "delete:client_grants",
    "read:roles",
    "create:roles",
    "update:roles",
    "delete:roles",
    "read:tenant_settings",
    "update:tenant_settings",
    "read:resource_servers",
    "create:resource_servers",
    "update:resource_servers",
    "delete:resource_servers",
    "read:actions",
    "create:actions",
    "update:actions",
    "delete:actions",
    "read:directory_provisionings",
    "read:attack_protection",
    "update:attack_protection",
    "read:guardian_factors",
    "update:guardian_factors",
    "read:mfa_policies",
    "update:mfa_policies",
    "read:log_streams",
    "create:log_streams",
    "update:log_streams",
    "delete:log_streams",
    "read:custom_domains",
    "create:custom_domains",
    "update:custom_domains",
    "delete:custom_domains",
    "read:branding",
    "update:branding",
    "delete:branding",
    "read:prompts",
    "update:prompts",
    "read:organizations",
    "create:organizations",
    "update:organizations",
    "delete:organizations",
    "read:organization_connections",
    "create:organization_connections",
    "update:organization_connections",
    "delete:organization_connections",
    "read:organization_client_grants",
    "create:organization_client_grants",
    "delete:organization_client_grants",
];

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

impl Caller {
    /// Whether a v2 token carries `scope`.
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s == scope))
    }

    /// 403 `insufficient_scope` unless the token carries `scope`.
    pub(crate) fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("Insufficient scope, expected any of: {scope}"),
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
