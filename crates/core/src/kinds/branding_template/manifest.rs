//! How the manifests declare a branding template.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::manifest::types::Source;

/// A page template of the login pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingTemplate {
    /// Which template.
    pub template: TemplateName,
    /// The page (Liquid HTML, with `{%- auth0:head -%}` and `{%- auth0:widget -%}`), inline or
    /// `{file: …}`; at most 100 KiB.
    pub body: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateName {
    UniversalLogin,
}
