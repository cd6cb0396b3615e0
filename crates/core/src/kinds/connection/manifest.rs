//! How the manifests declare a connection.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::kinds::client::manifest::NamedClient;

/// A connection. Changing `strategy` replaces the connection (and deletes its users).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Unique connection name, as used in `/api/connections/{name}`.
    pub name: String,
    /// Authentication strategy: `auth0` (database), `google-oauth2`, `github`, `waad`, `samlp`, ...
    pub strategy: String,
    /// The connection's options, all of them: keys present in the tenant but absent here are
    /// removed. Keys such as `client_secret`, `*_secret`, `password`, `key` and `cert` are secret.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
    /// The clients this connection is enabled for, by name, or `{client_id: …}` for a pinned
    /// client whose name another shares. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_clients: Option<Vec<NamedClient>>,
    /// The name shown on the login page (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub display_name: Option<String>,
    /// Up to 10 string values (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub metadata: Option<Map<String, Value>>,
    /// Realms for the connection's domains (v2; the API defaults to `[name]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub realms: Option<Vec<String>>,
    /// Whether this is a domain connection (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub is_domain_connection: Option<bool>,
    /// Whether the connection is shown as a button on the login page (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub show_as_button: Option<bool>,
}
