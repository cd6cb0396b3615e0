//! The desired state as data: what the manifests declare ([`Desired`]), as resources that say
//! where they came from and which of their values came from the environment ([`Secret`]).

use std::collections::{BTreeMap, BTreeSet};

use super::types::ApiVersion;
use crate::error::Diagnostic;
use crate::kind::Kind;
use crate::model::Resource;
use crate::path::FieldPath;
use crate::scope::{Pattern, Scope};

/// A value of a resource that came from the environment: never displayed; saved plans keep
/// the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// Field path inside the resource, e.g. `["options", "client_secret"]`.
    pub path: FieldPath,
    /// The string as written, e.g. `${GOOGLE_SECRET}`.
    pub template: String,
}

/// The desired state: every resource the manifests declare, as its kind read it
/// (`KindSpec::load`: `{file: …}` resolved into the text and `${VAR}` into values).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    /// The API the manifests are written for (all agree).
    pub api: ApiVersion,
    /// The declared resources of each kind, in manifest order.
    pub by_kind: BTreeMap<Kind, Vec<Resource>>,
    /// Kinds with a section (even empty) in some manifest: the kinds this tree manages.
    pub sections: BTreeSet<Kind>,
    /// `ignore:` patterns of every manifest, and `--ignore`s.
    pub ignore: Vec<Pattern>,
    /// Things that are valid but probably not meant, located.
    pub warnings: Vec<Diagnostic>,
}

impl Desired {
    /// What this tree manages.
    pub fn scope(&self) -> Scope {
        Scope {
            api: self.api,
            kinds: self.sections.clone(),
            ignore: self.ignore.clone(),
        }
    }

    /// The declared resources of `kind`, in manifest order.
    pub fn of_kind(&self, kind: Kind) -> &[Resource] {
        self.by_kind.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Every declared resource, kind by kind.
    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.by_kind.values().flatten()
    }

    /// Every declared resource, kind by kind, taken out.
    pub fn take_resources(&mut self) -> Vec<Resource> {
        std::mem::take(&mut self.by_kind)
            .into_values()
            .flatten()
            .collect()
    }

    /// What the tree declares, per kind it has a section for: `2 connections, 3 clients` (and
    /// `an email provider` for a singleton declared).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .sections
            .iter()
            .map(|k| {
                let n = self.of_kind(*k).len();
                if k.is_singleton() {
                    let article = match k.noun().chars().next() {
                        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
                        _ => "a",
                    };
                    match n {
                        0 => format!("no {}", k.noun()),
                        _ => format!("{article} {}", k.noun()),
                    }
                } else if n == 1 {
                    format!("1 {}", k.noun())
                } else {
                    format!("{n} {}", k.plural())
                }
            })
            .collect();
        if parts.is_empty() {
            "nothing declared".to_string()
        } else {
            parts.join(", ")
        }
    }
}
