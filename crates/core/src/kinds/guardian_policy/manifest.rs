//! How the manifests declare the MFA policies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// When users are asked for MFA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianPolicies {
    /// A set: `all-applications` (every login), `confidence-score` (low-confidence logins,
    /// Adaptive MFA); `[]`: never. At most one.
    #[schemars(length(max = 1))]
    pub policies: Vec<Policy>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    AllApplications,
    ConfidenceScore,
}
