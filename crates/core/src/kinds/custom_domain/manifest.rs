//! How the manifests declare a custom domain.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A custom domain users log in on, identified by `domain` (which never changes: another
/// domain is another custom domain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomDomain {
    /// The domain (`login.example.com`).
    #[schemars(length(min = 1))]
    pub domain: String,
    /// Who manages its certificates; another type is another custom domain (a replacement).
    #[serde(rename = "type")]
    pub domain_type: DomainType,
    /// The TLS policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_policy: Option<TlsPolicy>,
    /// The header that carries the client's address, for self-managed certificates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_client_ip_header: Option<ClientIpHeader>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainType {
    Auth0ManagedCerts,
    SelfManagedCerts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TlsPolicy {
    Recommended,
    Compatible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClientIpHeader {
    TrueClientIp,
    CfConnectingIp,
    XForwardedFor,
    XAzureClientip,
}
