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

use crate::dialect::wire::Wire;
use crate::diff::Change;
use crate::export::Writer;
use crate::live::Live;
use crate::manifest::Desired;
use crate::manifest::types::ApiVersion;
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
    /// What names a resource of this kind in the tenant's object (`name`, `template`), or the
    /// one name of a singleton.
    fn named(&self) -> Named;
    /// How the API `api` addresses, reads and changes this kind; `None` when it lacks the kind.
    fn wire(&self, api: ApiVersion) -> Option<&'static Wire>;
    /// How the diff pairs declared resources with the tenant's: by name unless the kind says
    /// otherwise, so a kind is never left uncompared.
    fn pairing(&self) -> Pairing {
        Pairing::Name
    }
    /// Its fields that refer to resources of other kinds.
    fn references(&self) -> &'static [Reference] {
        &[]
    }
    /// What a plan says of a declared write-only `field` that it cannot see change (unless
    /// the values are sent again); `None`: nothing, or said elsewhere.
    fn unseen_notice(&self, _field: &str) -> Option<&'static str> {
        None
    }
    /// Whether deleting or replacing one of its resources deletes users (connections): the
    /// plan says how many, where the API can count them.
    fn holds_users(&self) -> bool {
        false
    }
    /// Whether a0ctl's apply lease is a resource of this kind (exactly one kind: the one every
    /// API lets a0ctl create, find by name, change and delete with no side effect).
    fn holds_the_lease(&self) -> bool {
        false
    }
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

/// What names a resource in the tenant's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// This field of the object (`name`, `template`).
    By(&'static str),
    /// A singleton: its one name (`default`).
    Singleton(&'static str),
}

/// How declared resources are paired with the tenant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// By name.
    Name,
    /// By a pinned id, else by name (names may be shared): the tenant's resources are told
    /// apart by id. Other kinds refer to these (`Reference::Clients`).
    Pinned,
    /// By name, and each holds an `order` that no two share: the tenant's orders are kept for
    /// what the manifests do not place.
    Ordered,
}

/// A field that refers to resources of another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// This field lists clients by name (or by pin), which the tenant holds by id.
    Clients(&'static str),
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

    /// The kind that client references name (`Reference::Clients`): the one pinned kind.
    pub fn clients() -> Kind {
        static CLIENTS: std::sync::LazyLock<Kind> = std::sync::LazyLock::new(|| {
            ALL.iter()
                .find(|s| s.pairing() == Pairing::Pinned)
                .expect("one kind is pinned (every_kind_is_registered_once)")
                .kind()
        });
        *CLIENTS
    }

    /// The kind of the apply lease's marker (`KindSpec::holds_the_lease`).
    pub fn lease_holder() -> Kind {
        static HOLDER: std::sync::LazyLock<Kind> = std::sync::LazyLock::new(|| {
            ALL.iter()
                .find(|s| s.holds_the_lease())
                .expect("one kind holds the lease (every_kind_is_registered_once)")
                .kind()
        });
        *HOLDER
    }

    /// The field of this kind that names clients (`Reference::Clients`), if it has one.
    pub fn clients_field(self) -> Option<&'static str> {
        self.spec()
            .references()
            .iter()
            .map(|Reference::Clients(field)| *field)
            .next()
    }

    /// Whether the tenant has at most one of this kind (`Named::Singleton`).
    pub fn is_singleton(self) -> bool {
        matches!(self.spec().named(), Named::Singleton(_))
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
        let one = |what: &str, n: usize| assert_eq!(n, 1, "{what}");
        one(
            "pinned kinds",
            ALL.iter()
                .filter(|s| s.pairing() == Pairing::Pinned)
                .count(),
        );
        one(
            "lease holders",
            ALL.iter().filter(|s| s.holds_the_lease()).count(),
        );
        for k in Kind::all() {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::of_section(k.section()), Some(k));
        }
        // Clients are planned before the connections that name them (and every kind that
        // refers to clients comes after them).
        for k in Kind::all().filter(|k| k.clients_field().is_some()) {
            let pinned = ALL
                .iter()
                .position(|s| s.pairing() == Pairing::Pinned)
                .unwrap();
            assert!(
                pinned < ALL.iter().position(|s| s.kind() == k).unwrap(),
                "{k}"
            );
        }
        let pos = |k: Kind| ALL.iter().position(|s| s.kind() == k).unwrap();
        assert!(pos(Kind::Client) < pos(Kind::Connection));
    }

    /// Every kind says how at least one API addresses it, and each such API's facts hold
    /// together: a path under the API, scopes where the API has scopes, an id field for what is
    /// addressed by id, fields to compare.
    #[test]
    fn every_kind_declares_its_wire_facts() {
        use crate::dialect::wire::{Address, Fields, List};
        for spec in ALL {
            let k = spec.kind();
            let apis: Vec<ApiVersion> = ApiVersion::ALL
                .into_iter()
                .filter(|a| spec.wire(*a).is_some())
                .collect();
            assert!(!apis.is_empty(), "{k} is addressed by no API");
            for api in apis {
                let w = spec.wire(api).unwrap();
                let root = match api {
                    ApiVersion::V1 => "/api/",
                    ApiVersion::V2 => "/api/v2/",
                };
                assert!(
                    w.collection.starts_with(root),
                    "{k} {api}: {}",
                    w.collection
                );
                assert_eq!(
                    w.scopes.is_some(),
                    api == ApiVersion::V2,
                    "{k} {api}: scopes"
                );
                if w.address == Address::Id {
                    assert!(
                        w.id_field.is_some(),
                        "{k} {api}: addressed by an id it never reads"
                    );
                }
                if k.is_singleton() {
                    assert_eq!(w.address, Address::Collection, "{k} {api}");
                    assert!(matches!(w.list, List::Itself), "{k} {api}");
                }
                let compared = match w.fields {
                    Fields::Listed(f) => !f.is_empty(),
                    Fields::AllBut(_) => true,
                    Fields::Schema { pointer, .. } => {
                        !crate::schema::allowed_keys(pointer).is_empty()
                    }
                };
                assert!(compared, "{k} {api}: no field to compare");
                assert!(
                    crate::dialect::for_version(api).kinds().contains(&k),
                    "{k} {api}"
                );
            }
        }
    }
}
