//! How the manifests declare an action.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::manifest::types::Source;

/// An action: JavaScript run by the triggers it is bound to (`triggers`), identified by `name`.
/// a0ctl creates or updates its draft, waits until the service has built it, and deploys it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Unique action name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The action's JavaScript: inline, or `{file: PATH}` relative to this manifest.
    pub code: Source,
    /// The trigger it supports, `[{id, version}]` (`post-login` `v3`, `credentials-exchange`
    /// `v2`, …): the API takes one.
    #[schemars(length(min = 1, max = 1))]
    pub supported_triggers: Vec<SupportedTrigger>,
    /// The Node runtime (`node22`, `node18`). Absent: not managed (the service chooses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The npm packages it requires, a set of `{name, version}`. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    /// Its secrets (`event.secrets.NAME`), a set of `{name, value}`. The values are secret and
    /// write-only (`${VAR}` is the way to give them): the service returns only the names, so a
    /// changed value cannot be seen; they are sent on create, whenever the code, dependencies,
    /// runtime or secret names change, and with `--rotate-signing-keys`. Absent: not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<ActionSecret>>,
    /// Whether its latest code is deployed (default: true). `false` leaves the draft undeployed.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub deployed: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A trigger an action supports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportedTrigger {
    /// The trigger: `post-login`, `credentials-exchange`, `pre-user-registration`, …
    #[schemars(length(min = 1))]
    pub id: String,
    /// Its version (`v3` for post-login, `v2` for credentials-exchange, …).
    #[schemars(length(min = 1))]
    pub version: String,
}

/// An npm package an action requires.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    #[schemars(length(min = 1))]
    pub name: String,
    #[schemars(length(min = 1))]
    pub version: String,
}

/// A secret of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionSecret {
    /// Its name, as `event.secrets` names it.
    #[schemars(length(min = 1))]
    pub name: String,
    /// Its value: secret, write-only (`${VAR}`).
    pub value: String,
}
