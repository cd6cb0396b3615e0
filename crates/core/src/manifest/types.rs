//! The manifest's shared types: the API a manifest is written for ([`ApiVersion`]) and text
//! given inline or in a file ([`Source`]). Each kind's manifest type is its own
//! (`kinds::NAME::manifest`); the schema (`crate::schema`) is assembled from them. Absent
//! optional fields are *not managed*: the tenant keeps whatever value it has.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Management API a manifest is written for.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// Management API v1 (`/api/…`).
    #[default]
    V1,
    /// Management API v2 (`/api/v2/…`).
    V2,
}

impl ApiVersion {
    /// Every API, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V1, ApiVersion::V2];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }

    pub fn parse(s: &str) -> Option<ApiVersion> {
        match s {
            "v1" => Some(ApiVersion::V1),
            "v2" => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text given inline or read from a file relative to the manifest that names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Source {
    /// The text itself.
    Inline(String),
    /// A file holding the text.
    File(FileRef),
}

/// `{file: PATH}`: a path relative to the manifest, inside its directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// Relative path, inside the manifest's directory.
    pub file: String,
}

impl Source {
    /// The text, once `{file: …}` references have been resolved by the loader.
    pub fn text(&self) -> &str {
        match self {
            Source::Inline(s) => s,
            Source::File(f) => &f.file,
        }
    }
}
