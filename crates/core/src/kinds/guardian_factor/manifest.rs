//! How the manifests declare an MFA factor.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One multi-factor authentication factor, on or off, identified by `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianFactor {
    /// Which factor.
    pub name: FactorName,
    /// Whether users may enrol in it and use it.
    pub enabled: bool,
}

/// The factors, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FactorName {
    PushNotification,
    Sms,
    Email,
    Duo,
    Otp,
    WebauthnRoaming,
    WebauthnPlatform,
    RecoveryCode,
}
