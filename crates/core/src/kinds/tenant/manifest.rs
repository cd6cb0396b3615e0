//! How the manifests declare the tenant's settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The tenant's settings (v2): only the keys declared here are managed; `flags` are managed
/// flag by flag (the API merges them). The settings are never deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    /// The tenant's name shown to users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The logo shown on the login page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
    /// Where users write for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    /// The support page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// Where users may be sent after logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_logout_urls: Option<Vec<String>>,
    /// How long (hours) a login session lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_lifetime: Option<u32>,
    /// How long (hours) an idle login session lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_session_lifetime: Option<u32>,
    /// The audience of tokens asked for without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_audience: Option<String>,
    /// The connection the password grant uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_directory: Option<String>,
    /// Feature flags, each managed on its own (those not declared keep their value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<std::collections::BTreeMap<String, bool>>,
    /// The Node.js version of rules and hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_version: Option<String>,
    /// The legacy sandbox version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_sandbox_version: Option<String>,
    /// Where to send a user when a login cannot return to the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_redirection_uri: Option<String>,
    /// The languages of the login pages, the first the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_locales: Option<Vec<String>>,
    /// The session cookie (`{mode: persistent|non-persistent}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_cookie: Option<Map<String, Value>>,
    /// Session settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Map<String, Value>>,
    /// The password change page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_password: Option<Map<String, Value>>,
    /// The MFA page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardian_mfa_page: Option<Map<String, Value>>,
    /// The error page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_page: Option<Map<String, Value>>,
    /// The device flow's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_flow: Option<Map<String, Value>>,
    /// OIDC logout settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_logout: Option<Map<String, Value>>,
    /// Whether MFA may be customised in a post-login action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customize_mfa_in_postlogin_action: Option<bool>,
    /// Whether organization names may be used in the Authentication API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_organization_name_in_authentication_api: Option<bool>,
    /// The `acr_values` the tenant supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values_supported: Option<Vec<String>>,
    /// mTLS settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtls: Option<Map<String, Value>>,
    /// Whether pushed authorization requests are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_requests_supported: Option<bool>,
}
