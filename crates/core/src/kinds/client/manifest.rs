//! How the manifests declare a client.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A client (application).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// Display name; the client's identity unless `client_id` is pinned.
    pub name: String,
    /// Pin this entry to an existing client by its `clientID` (needed when the tenant holds
    /// several clients of the same name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Allowed callback URLs. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<Vec<String>>,
    /// Signing key, write-only and secret: sent when the client is created, or on every apply
    /// with `--rotate-signing-keys` (the API never returns it, so it cannot be compared).
    #[serde(
        rename = "signingKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("x-api" = "v1"))]
    pub signing_key: Option<SigningKey>,
    /// Free text (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub description: Option<String>,
    /// The logo's URL (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub logo_uri: Option<String>,
    /// Origins allowed to call the API from a browser (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub allowed_origins: Option<Vec<String>>,
    /// Origins allowed for web message responses and CORS (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub web_origins: Option<Vec<String>>,
    /// Audiences for SAML protocol (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub client_aliases: Option<Vec<String>>,
    /// Client ids allowed to delegate (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub allowed_clients: Option<Vec<String>>,
    /// URLs allowed after logout (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub allowed_logout_urls: Option<Vec<String>>,
    /// Grant types the client may use (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub grant_types: Option<Vec<String>>,
    /// How the client authenticates at the token endpoint (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// `native`, `spa`, `regular_web`, `non_interactive`, or a third-party type (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub app_type: Option<String>,
    /// Whether the client is first party (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub is_first_party: Option<bool>,
    /// Whether the client follows OIDC strictly (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub oidc_conformant: Option<bool>,
    /// `lifetime_in_seconds`, `secret_encoded`, `scopes`, `alg` (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub jwt_configuration: Option<Map<String, Value>>,
    /// The encryption key (`pub`, `cert`, `subject`); secret (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub encryption_key: Option<Map<String, Value>>,
    /// Whether Auth0 rather than the IdP does single sign-on (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub sso: Option<bool>,
    /// Whether cross-origin authentication is allowed (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub cross_origin_authentication: Option<bool>,
    /// The cross-origin verification page's URL (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub cross_origin_loc: Option<String>,
    /// Whether single sign-on is disabled (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub sso_disabled: Option<bool>,
    /// Whether the custom login page is used (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub custom_login_page_on: Option<bool>,
    /// The custom login page's HTML (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub custom_login_page: Option<String>,
    /// The custom login page's preview HTML (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub custom_login_page_preview: Option<String>,
    /// The WS-Federation form template (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub form_template: Option<String>,
    /// Add-on settings (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub addons: Option<Map<String, Value>>,
    /// String values for rules and actions (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub client_metadata: Option<Map<String, Value>>,
    /// Android and iOS settings (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub mobile: Option<Map<String, Value>>,
    /// The URL that starts a login (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub initiate_login_uri: Option<String>,
    /// Native social login settings (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub native_social_login: Option<Map<String, Value>>,
    /// Refresh token settings: rotation and expiration (v2; settings, not a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub refresh_token: Option<Map<String, Value>>,
    /// The default organization (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub default_organization: Option<Map<String, Value>>,
    /// `deny`, `allow` or `require` (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub organization_usage: Option<OrganizationUsage>,
    /// `no_prompt`, `pre_login_prompt` or `post_login_prompt` (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub organization_require_behavior: Option<OrganizationRequireBehavior>,
    /// Private-key JWT and TLS client authentication (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub client_authentication_methods: Option<Map<String, Value>>,
    /// Whether PAR is required (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub require_pushed_authorization_requests: Option<bool>,
    /// Whether proof of possession is required (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub require_proof_of_possession: Option<bool>,
    /// JAR settings (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub signed_request_object: Option<Map<String, Value>>,
    /// The compliance level (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub compliance_level: Option<String>,
    /// OIDC back-channel logout settings (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub oidc_logout: Option<Map<String, Value>>,
}

/// `token_endpoint_auth_method` of a v2 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

/// `organization_usage` of a v2 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    Deny,
    Allow,
    Require,
}

/// `organization_require_behavior` of a v2 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationRequireBehavior {
    NoPrompt,
    PreLoginPrompt,
    PostLoginPrompt,
}

/// One of the three signing-key formats of `PATCH /api/clients/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SigningKey {
    /// A certificate (PEM).
    Cert(String),
    /// A private key (PEM).
    Key(String),
    /// A PKCS#7 bundle.
    Pkcs7(String),
}

/// A client as another kind names it (a connection's `enabled_clients` entry, a grant's
/// `client`): by name, or by its pin when the name is shared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NamedClient {
    /// A client declared in the manifests, by name.
    Name(String),
    /// A client declared with this pinned `client_id`.
    Pinned(PinnedClient),
}

/// `{client_id: …}`: the client declared with this pin.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinnedClient {
    pub client_id: String,
}

impl NamedClient {
    /// How the diff finds the client: its name, or its pin.
    pub fn key(&self) -> String {
        match self {
            NamedClient::Name(n) => n.clone(),
            NamedClient::Pinned(p) => crate::kind::facts::pin_key(&p.client_id),
        }
    }
}
