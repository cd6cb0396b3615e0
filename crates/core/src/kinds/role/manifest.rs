//! How the manifests declare a role.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A role: a named set of permissions (scopes of APIs) given to users, identified by `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The role's name, unique in the tenant.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What the role is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its permissions, a set: each a scope of a declared API. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
}

/// One permission of a role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// The API, by identifier.
    #[schemars(length(min = 1))]
    pub resource_server: String,
    /// One of the scopes the API defines.
    #[schemars(length(min = 1))]
    pub scope: String,
}
