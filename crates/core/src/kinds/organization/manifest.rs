//! How the manifests declare an organization.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An organization (a customer, a partner) whose members log in through the connections it
/// enables, identified by `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Its name, unique in the tenant: lower-case letters, digits, `-` and `_`.
    #[schemars(length(min = 1, max = 50), regex(pattern = r"^[a-z0-9_-]+$"))]
    pub name: String,
    /// The name users see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub display_name: Option<String>,
    /// Its logo and colours on the login pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<OrganizationBranding>,
    /// Its metadata: at most 25 keys, each value a string of at most 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 25))]
    pub metadata: Option<BTreeMap<String, MetadataValue>>,
    /// The connections its members log in with, a set, each by name. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<EnabledConnection>>,
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct MetadataValue(#[schemars(length(max = 255))] pub String);

/// An organization's branding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBranding {
    /// Its logo, an https:// URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Its colours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<OrganizationColors>,
}

/// An organization's colours, both required by the service (`#rrggbb`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationColors {
    #[schemars(regex(pattern = r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"))]
    pub primary: String,
    #[schemars(regex(pattern = r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"))]
    pub page_background: String,
}

/// A connection an organization enables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledConnection {
    /// The connection, by name.
    #[schemars(length(min = 1))]
    pub connection: String,
    /// Whether a user who logs in with it becomes a member (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_membership_on_login: Option<bool>,
    /// Whether the login prompt shows it as a button (enterprise connections; default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_as_button: Option<bool>,
    /// Whether users may sign up with it (database connections; default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_signup_enabled: Option<bool>,
}
