//! How the manifests declare a client grant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kinds::client::manifest::{NamedClient, OrganizationUsage};

/// A client grant: a client (application) allowed to ask for tokens for an API (an audience)
/// with some of its scopes, identified by the client and the audience. The client is named as
/// declared under `clients` (or by its pin); the audience is a declared resource server's `identifier`, or the
/// tenant's Management API (`https://TENANT/api/v2/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGrant {
    /// The client, by name (one that no other client shares), or `{client_id: …}` for a
    /// pinned client whose name another shares.
    pub client: NamedClient,
    /// The API, by identifier.
    #[schemars(length(min = 1))]
    pub audience: String,
    /// The scopes granted, a set (each one the API defines).
    pub scope: Vec<String>,
    /// Whether the client may use the grant with organizations: `deny`, `allow` or `require`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<OrganizationUsage>,
    /// Whether any organization may be used with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}
