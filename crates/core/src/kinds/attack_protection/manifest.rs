//! How the manifests declare an attack protection.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One of the tenant's attack protections, identified by `name`; each takes only its own keys
/// (`validate` says which): brute-force-protection (`enabled`, `shields`, `allowlist`, `mode`,
/// `max_attempts`), breached-password-detection (`enabled`, `shields`,
/// `admin_notification_frequency`, `method`, `stage`), suspicious-ip-throttling (`enabled`,
/// `shields`, `allowlist`, `stage`). Only the keys declared are managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackProtection {
    /// Which protection.
    pub name: ProtectionName,
    /// Whether it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// What it does when it trips, a set (`block`, `user_notification`, `admin_notification`,
    /// as the protection allows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shields: Option<Vec<Shield>>,
    /// Addresses and ranges it never blocks, a set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowlist: Option<Vec<String>>,
    /// How brute-force attempts are counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<BruteForceMode>,
    /// Failed attempts before brute-force protection trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub max_attempts: Option<u32>,
    /// How often administrators are told of breached passwords, a set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_notification_frequency: Option<Vec<Frequency>>,
    /// How breached passwords are found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<DetectionMethod>,
    /// Settings per stage (`pre-login`, `pre-user-registration`, `pre-change-password`), each
    /// managed on its own (those not declared keep their value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Map<String, Value>>,
}

/// The attack protections, as the API's paths name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProtectionName {
    BruteForceProtection,
    BreachedPasswordDetection,
    SuspiciousIpThrottling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shield {
    Block,
    UserNotification,
    AdminNotification,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BruteForceMode {
    CountPerIdentifierAndIp,
    CountPerIdentifier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Immediately,
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DetectionMethod {
    Standard,
    Enhanced,
}

/// The keys each protection takes beside `name`, its shields, and its stages.
pub fn keys_of(
    name: &str,
) -> Option<(
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
)> {
    match name {
        "brute-force-protection" => Some((
            &["enabled", "shields", "allowlist", "mode", "max_attempts"],
            &["block", "user_notification"],
            &[],
        )),
        "breached-password-detection" => Some((
            &[
                "enabled",
                "shields",
                "admin_notification_frequency",
                "method",
                "stage",
            ],
            &["block", "user_notification", "admin_notification"],
            &["pre-user-registration", "pre-change-password"],
        )),
        "suspicious-ip-throttling" => Some((
            &["enabled", "shields", "allowlist", "stage"],
            &["block", "admin_notification"],
            &["pre-login", "pre-user-registration"],
        )),
        _ => None,
    }
}
