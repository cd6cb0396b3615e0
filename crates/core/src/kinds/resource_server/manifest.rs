//! How the manifests declare an API (resource server).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An API (resource server), identified by its `identifier` (the audience tokens are asked
/// for). Absent fields are not managed. The tenant's own Management API is never one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceServer {
    /// The audience, unique in the tenant. It cannot change: another identifier is another API.
    #[schemars(length(min = 1))]
    pub identifier: String,
    /// The name shown in the dashboard and on consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The permissions (scopes) this API defines, compared as a set by `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    /// The algorithm its access tokens are signed with (the API's default: `HS256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<SigningAlg>,
    /// The secret `HS256` tokens are signed with: secret and write-only (the plan cannot see
    /// it change): sent when the API is created, and on every apply with
    /// `--rotate-signing-keys`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    /// Whether refresh tokens may be issued for this API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_offline_access: Option<bool>,
    /// How long (seconds) an access token issued from the token endpoint lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u32>,
    /// How long (seconds) an access token issued to a browser (implicit or hybrid flow) lasts.
    /// The spec marks it read-only; the service takes it, as auth0-deploy-cli sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_for_web: Option<u32>,
    /// The dialect of its access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_dialect: Option<TokenDialect>,
    /// Whether first-party clients on verifiable domains skip the consent prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    /// Whether RBAC is enforced: permissions come from the user's roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_policies: Option<bool>,
    /// Encryption of its access tokens (`{format, encryption_key}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_encryption: Option<Map<String, Value>>,
    /// `transactional-authorization-with-mfa`, or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_policy: Option<String>,
    /// Rich authorization request types (`authorization_details`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
    /// Proof-of-possession of its access tokens (`{mechanism, required}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_of_possession: Option<Map<String, Value>>,
}

/// One permission an API defines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The permission, as tokens carry it (`read:orders`).
    #[schemars(length(min = 1))]
    pub value: String,
    /// What it allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The algorithms an API's tokens can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SigningAlg {
    HS256,
    RS256,
    RS512,
    PS256,
}

/// The dialects of an API's access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenDialect {
    AccessToken,
    AccessTokenAuthz,
    Rfc9068Profile,
    Rfc9068ProfileAuthz,
}
