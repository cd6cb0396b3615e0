//! The manifest's types: what a user writes, named as the Management API names it (v1 or v2, as
//! the manifest's `api:` says; a field of one API only carries `x-api`). These types
//! are the single source of the JSON Schema (`schema`) and of the typed `Desired` state that the
//! diff compares with the tenant. Absent optional fields are *not managed*: the tenant keeps
//! whatever value it has.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An a0ctl manifest: the desired connections, clients (applications), rules and email templates
/// of an Auth0 tenant, and with `api: v2` its email provider. Several files may be merged. Top-level keys starting
/// with `x-` are ignored (a place for YAML anchors shared between sections).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "a0ctl manifest")]
#[schemars(extend("patternProperties" = {"^x-": {}}))]
pub struct Manifest {
    /// The Management API this manifest is written for: `v1` (the default) or `v2`. Fields are
    /// named as that API names them; every file of a tree names the same API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiVersion>,
    /// Identity providers (database, social, enterprise), identified by `name`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    #[schemars(with = "Option<Vec<Connection>>")]
    pub connections: Vec<Connection>,
    /// Applications, identified by `name` (or by a pinned `client_id`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    #[schemars(with = "Option<Vec<Client>>")]
    pub clients: Vec<Client>,
    /// Rules run at login, identified by `name`; `order` values are unique.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    #[schemars(with = "Option<Vec<Rule>>")]
    pub rules: Vec<Rule>,
    /// Email templates, identified by `template`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    #[schemars(with = "Option<Vec<EmailTemplate>>")]
    pub emails: Vec<EmailTemplate>,
    /// The email provider that sends the templates (v2 only). Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub email_provider: Option<EmailProvider>,
    /// Resources of the tenant a0ctl leaves alone (never listed, changed or deleted): `KIND` or
    /// `KIND/NAME`, where `*` matches any run of characters; KIND is connection, client, rule or
    /// email. Examples: `client/Legacy *`, `connection/partner-*`, `rule`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    #[schemars(with = "Option<Vec<IgnorePattern>>")]
    pub ignore: Vec<String>,
}

/// `KIND` or `KIND/NAME` with `*` globs.
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)]
struct IgnorePattern(
    #[schemars(pattern(r"^(connection|client|rule|email|email_provider)(/.+)?$"))] String,
);

/// The Management API a manifest is written for.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// Management API v1 (`/api/…`).
    #[default]
    V1,
    /// Management API v2 (`/api/v2/…`).
    V2,
}

impl ApiVersion {
    /// Every API, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }

    pub fn parse(s: &str) -> Option<ApiVersion> {
        match s {
            "v1" => Some(ApiVersion::V1),
            "v2" => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An empty section (`clients:` with every entry commented out) is an empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

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
    pub enabled_clients: Option<Vec<EnabledClient>>,
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

/// One entry of `enabled_clients`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnabledClient {
    /// A client declared in the manifests, by name.
    Name(String),
    /// A client declared with this pinned `client_id`.
    Pinned(PinnedClient),
}

/// `{client_id: …}` in `enabled_clients`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinnedClient {
    pub client_id: String,
}

impl EnabledClient {
    /// How the diff finds the client: its name, or its pin.
    pub fn key(&self) -> String {
        match self {
            EnabledClient::Name(n) => n.clone(),
            EnabledClient::Pinned(p) => pin_key(&p.client_id),
        }
    }
}

/// The key of a pinned client among a connection's enabled clients (no name starts with NUL).
pub fn pin_key(client_id: &str) -> String {
    format!("\u{0}id:{client_id}")
}

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

/// A rule: JavaScript run at every login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique rule name, as used in `/api/rules/{name}`.
    pub name: String,
    /// Whether the rule runs (v1). Default: `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v1"))]
    pub status: Option<bool>,
    /// Whether the rule runs (v2). Default: `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub enabled: Option<bool>,
    /// When the rule runs (v2): `login_success` (the API's default), `login_failure` or
    /// `pre_authorize`. Cannot change in place: a change replaces the rule. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub stage: Option<RuleStage>,
    /// Execution order, unique in the tenant. Absent: not managed (new rules go last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = u32::MAX))]
    pub order: Option<u32>,
    /// The rule's JavaScript: inline, or `{file: PATH}` relative to this manifest.
    pub script: Source,
}

impl Rule {
    /// Whether the rule runs, as either API writes it (absent: it runs).
    pub fn runs(&self) -> bool {
        self.status.or(self.enabled).unwrap_or(true)
    }
}

/// When a v2 rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleStage {
    LoginSuccess,
    LoginFailure,
    PreAuthorize,
}

/// Text given inline or read from a file relative to the manifest that names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Source {
    /// The text itself.
    Inline(String),
    /// A file holding the text.
    File(FileRef),
}

/// `{file: PATH}`: a path relative to the manifest, inside its directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Relative path, inside the manifest's directory.
    pub file: String,
}

impl Source {
    /// The text, once `{file: …}` references have been resolved by the loader.
    pub fn text(&self) -> &str {
        match self {
            Source::Inline(s) => s,
            Source::File(f) => &f.file,
        }
    }
}

/// The email templates: v1 has the first four, v2 all of them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TemplateName {
    VerifyEmail,
    WelcomeEmail,
    ResetEmail,
    BlockedAccount,
    VerifyEmailByCode,
    ResetEmailByCode,
    StolenCredentials,
    EnrollmentEmail,
    MfaOobCode,
    UserInvitation,
    ChangePassword,
    PasswordReset,
    AsyncApproval,
}

impl TemplateName {
    /// v1's templates.
    pub const V1: [TemplateName; 4] = [
        TemplateName::VerifyEmail,
        TemplateName::WelcomeEmail,
        TemplateName::ResetEmail,
        TemplateName::BlockedAccount,
    ];

    /// v2's templates (the spec's twelve and `async_approval`).
    pub const V2: [TemplateName; 13] = [
        TemplateName::VerifyEmail,
        TemplateName::WelcomeEmail,
        TemplateName::ResetEmail,
        TemplateName::BlockedAccount,
        TemplateName::VerifyEmailByCode,
        TemplateName::ResetEmailByCode,
        TemplateName::StolenCredentials,
        TemplateName::EnrollmentEmail,
        TemplateName::MfaOobCode,
        TemplateName::UserInvitation,
        TemplateName::ChangePassword,
        TemplateName::PasswordReset,
        TemplateName::AsyncApproval,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::VerifyEmail => "verify_email",
            TemplateName::WelcomeEmail => "welcome_email",
            TemplateName::ResetEmail => "reset_email",
            TemplateName::BlockedAccount => "blocked_account",
            TemplateName::VerifyEmailByCode => "verify_email_by_code",
            TemplateName::ResetEmailByCode => "reset_email_by_code",
            TemplateName::StolenCredentials => "stolen_credentials",
            TemplateName::EnrollmentEmail => "enrollment_email",
            TemplateName::MfaOobCode => "mfa_oob_code",
            TemplateName::UserInvitation => "user_invitation",
            TemplateName::ChangePassword => "change_password",
            TemplateName::PasswordReset => "password_reset",
            TemplateName::AsyncApproval => "async_approval",
        }
    }

    pub fn parse(s: &str) -> Option<TemplateName> {
        TemplateName::V2.into_iter().find(|t| t.as_str() == s)
    }

    /// The APIs that have this template.
    pub fn in_v1(self) -> bool {
        TemplateName::V1.contains(&self)
    }
}

/// Template syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    Liquid,
    MdWithMacros,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Liquid => "liquid",
            Syntax::MdWithMacros => "md_with_macros",
        }
    }
}

/// An email template. Absent fields are not managed. v1 cannot delete a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplate {
    /// Which template.
    pub template: TemplateName,
    /// Whether the email is not sent (v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v1"))]
    pub disabled: Option<bool>,
    /// Whether the email is sent (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-api" = "v2"))]
    pub enabled: Option<bool>,
    /// Sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body (HTML): inline, or `{file: PATH}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Source>,
    /// Where the user goes after the emailed link.
    #[serde(rename = "resultUrl", default, skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    /// How long the emailed link stays valid.
    #[serde(
        rename = "urlLifetimeInSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub url_lifetime_in_seconds: Option<u64>,
    /// `liquid` (the API's default) or `md_with_macros`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syntax: Option<Syntax>,
    /// Whether the user's email is added to the redirect (v2).
    #[serde(
        rename = "includeEmailInRedirect",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(extend("x-api" = "v2"))]
    pub include_email_in_redirect: Option<bool>,
}

/// The email provider (v2): one per tenant. Absent fields are not managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailProvider {
    /// Which provider: `mailgun`, `mandrill`, `sendgrid`, `ses`, `sparkpost`, `smtp`,
    /// `azure_cs`, `ms365` or `custom`.
    pub name: ProviderName,
    /// Whether the provider is used. The API's default: `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The sender address when a template names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_from_address: Option<String>,
    /// The provider's credentials (`api_key`, `smtp_host`, `smtp_pass`, …): secret and
    /// write-only (the API never returns them): sent when the provider is created, and on every
    /// apply with `--rotate-signing-keys`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Map<String, Value>>,
    /// Provider-specific settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Map<String, Value>>,
}

/// The email providers v2 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    Mailgun,
    Mandrill,
    Sendgrid,
    Ses,
    Sparkpost,
    Smtp,
    AzureCs,
    Ms365,
    Custom,
}
