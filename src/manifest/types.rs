//! The manifest's types: what a user writes, named as the Management API v1 names it. These types
//! are the single source of the JSON Schema (`schema`) and of the typed `Desired` state that the
//! diff compares with the tenant. Absent optional fields are *not managed*: the tenant keeps
//! whatever value it has.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An a0ctl manifest: the desired connections, clients (applications), rules and email templates
/// of an Auth0 tenant (Management API v1). Several files may be merged. Top-level keys starting
/// with `x-` are ignored (a place for YAML anchors shared between sections).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "a0ctl manifest")]
#[schemars(extend("patternProperties" = {"^x-": {}}))]
pub struct Manifest {
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
struct IgnorePattern(#[schemars(pattern(r"^(connection|client|rule|email)(/.+)?$"))] String);

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
    pub signing_key: Option<SigningKey>,
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
    /// Whether the rule runs. Default: `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<bool>,
    /// Execution order, unique in the tenant. Absent: not managed (new rules go last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = u32::MAX))]
    pub order: Option<u32>,
    /// The rule's JavaScript: inline, or `{file: PATH}` relative to this manifest.
    pub script: Source,
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

/// The four email templates of v1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TemplateName {
    VerifyEmail,
    WelcomeEmail,
    ResetEmail,
    BlockedAccount,
}

impl TemplateName {
    pub const ALL: [TemplateName; 4] = [
        TemplateName::VerifyEmail,
        TemplateName::WelcomeEmail,
        TemplateName::ResetEmail,
        TemplateName::BlockedAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::VerifyEmail => "verify_email",
            TemplateName::WelcomeEmail => "welcome_email",
            TemplateName::ResetEmail => "reset_email",
            TemplateName::BlockedAccount => "blocked_account",
        }
    }

    pub fn parse(s: &str) -> Option<TemplateName> {
        TemplateName::ALL.into_iter().find(|t| t.as_str() == s)
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
    /// Whether the email is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
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
}
