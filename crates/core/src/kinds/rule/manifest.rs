//! How the manifests declare a rule.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::manifest::types::Source;

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
