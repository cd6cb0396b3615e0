//! How the manifests declare a trigger's bindings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A trigger and the actions bound to it, in the order they run. Only the triggers a manifest
/// names are managed; `bindings: []` unbinds every action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The trigger's id: `post-login`, `credentials-exchange`, `pre-user-registration`, …
    #[schemars(length(min = 1))]
    pub trigger: String,
    /// The actions bound to it, by name, in execution order (each a declared action that
    /// supports this trigger).
    pub bindings: Vec<Binding>,
}

/// One action bound to a trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The action, by name.
    #[schemars(length(min = 1))]
    pub action: String,
    /// The name shown for it in the flow (default: the action's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}
