//! How the manifests declare the prompts settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the login prompts behave: only the keys declared here are managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// `new` (Universal Login) or `classic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub universal_login_experience: Option<Experience>,
    /// Whether the login asks for the identifier first, then the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier_first: Option<bool>,
    /// Whether the device's WebAuthn is offered first (needs `identifier_first`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_platform_first_factor: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Experience {
    New,
    Classic,
}
