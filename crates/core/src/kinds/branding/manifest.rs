//! How the manifests declare the branding.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The login pages' look: only the keys declared here are managed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// The colours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<Colors>,
    /// The logo (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The favicon (https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favicon_url: Option<String>,
    /// The font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<Font>,
}

/// The colours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    /// The accent colour (`#0059d6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// The page's background: a colour, or a gradient `{type: linear-gradient, start, end,
    /// angle_deg}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_background: Option<Value>,
}

/// The font.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Font {
    /// A font file (https), not a stylesheet.
    pub url: String,
}
