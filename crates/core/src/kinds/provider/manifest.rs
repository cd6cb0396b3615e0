//! How the manifests declare the email provider.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
