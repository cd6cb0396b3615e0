//! Resource kinds, one module each: what a kind is across APIs. Each provides its names (the
//! plan's word, the manifest's section), the field a create names it by, its desired form (the
//! manifest's items as [`Resource`]s), the calls that change it (`plan`), its export, and
//! whether the tenant's undeclared resources of the kind may be deleted (the gates). What
//! differs between APIs (paths, wire names, paging) is the dialect's (`crate::dialect`); what
//! spans kinds stays where it belongs, named as such: enabled clients (`plan::enabled_clients`,
//! `diff`), rule orders (`plan::rule_orders`, `diff`).
//!
//! Adding a kind: a variant of [`Kind`], its module here, and its line in [`ALL`].

mod client;
mod connection;
mod email;
mod provider;
mod rule;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::diff::Change;
use crate::export::Writer;
use crate::live::Live;
use crate::manifest::Desired;
use crate::model::Resource;
use crate::plan::Builder;

/// The kinds of resources a0ctl manages, in the order plans list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Connection,
    Client,
    Rule,
    Email,
    EmailProvider,
}

/// What one kind is and does.
pub trait KindSpec: Sync {
    fn kind(&self) -> Kind;
    /// The word plans use (`connection`, `email_provider`).
    fn name(&self) -> &'static str;
    /// `connections`, `email templates`.
    fn plural(&self) -> &'static str;
    /// The manifest section that declares it.
    fn section(&self) -> &'static str;
    /// The field a create's body names the resource by (`name`, `template`), if any.
    fn identity(&self) -> Option<&'static str>;
    /// Whether the tenant's resources of this kind that no manifest declares may be deleted
    /// (with `--allow-delete`); email templates cannot be.
    fn deletable(&self) -> bool {
        true
    }
    /// Write-only fields that must be sent again when `field` changes (they cannot be
    /// compared, so the diff adds them).
    fn sent_with(&self, _field: &str) -> &'static [&'static str] {
        &[]
    }
    /// The manifests' items of this kind as resources, in manifest order.
    fn desired(&self, desired: &Desired) -> Vec<Resource>;
    /// The calls that carry out this kind's changes.
    fn plan(&self, b: &mut Builder<'_>, changes: &[&Change], _live: &Live) {
        for c in changes {
            crate::plan::simple(b, c);
        }
    }
    /// Its manifest file(s) in an export.
    fn export(&self, w: &mut Writer<'_>, live: &Live);
}

/// Every kind, in the order their calls are planned: clients before the connections enabled
/// for them.
pub static ALL: [&dyn KindSpec; 5] = [
    &client::Client,
    &connection::Connection,
    &rule::Rule,
    &email::Email,
    &provider::Provider,
];

impl Kind {
    /// Every kind, in display order.
    pub fn all() -> impl Iterator<Item = Kind> {
        static SORTED: std::sync::LazyLock<Vec<Kind>> = std::sync::LazyLock::new(|| {
            let mut kinds: Vec<Kind> = ALL.iter().map(|s| s.kind()).collect();
            kinds.sort();
            kinds
        });
        SORTED.iter().copied()
    }

    pub fn spec(self) -> &'static dyn KindSpec {
        *ALL.iter()
            .find(|s| s.kind() == self)
            .expect("every kind is registered in kinds::ALL")
    }

    pub fn as_str(self) -> &'static str {
        self.spec().name()
    }

    pub fn plural(self) -> &'static str {
        self.spec().plural()
    }

    /// The manifest section that declares this kind.
    pub fn section(self) -> &'static str {
        self.spec().section()
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::all().find(|k| k.as_str() == s)
    }

    pub fn of_section(section: &str) -> Option<Kind> {
        Kind::all().find(|k| k.section() == section)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once() {
        let mut kinds: Vec<Kind> = ALL.iter().map(|s| s.kind()).collect();
        kinds.sort();
        kinds.dedup();
        assert_eq!(kinds.len(), ALL.len());
        for k in Kind::all() {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::of_section(k.section()), Some(k));
        }
        // Clients are planned before the connections that name them.
        let pos = |k: Kind| ALL.iter().position(|s| s.kind() == k).unwrap();
        assert!(pos(Kind::Client) < pos(Kind::Connection));
    }
}
