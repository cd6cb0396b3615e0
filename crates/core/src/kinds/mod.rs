//! Resource kinds, one module each (`kinds/NAME/`): `facts.rs` is what the kind is, as data
//! (`crate::kind::Facts`: names, identity, pairing, references, per API its wire facts), and
//! `mod.rs` what it does ([`KindSpec`]: its desired form, its calls, its export). What spans
//! kinds stays where it belongs, named as such: enabled clients (`plan::builder::enabled_clients`,
//! `diff`), rule orders (`plan::builder::rule_orders`, `diff`).
//!
//! Adding a kind: its module here, its facts' line in `crate::kind`, its line in [`ALL`].

pub mod client;
pub mod connection;
pub mod email;
pub mod provider;
pub mod rule;
pub mod spec;

pub use spec::KindSpec;

use crate::kind::Kind;
use crate::manifest::desired::Desired;
use crate::model::Resource;

/// Every kind's behaviour, in the order their calls are planned: clients before the
/// connections enabled for them.
pub static ALL: [&dyn KindSpec; 5] = [
    &client::Client,
    &connection::Connection,
    &rule::Rule,
    &email::Email,
    &provider::Provider,
];

/// What `kind` does.
pub fn spec(kind: Kind) -> &'static dyn KindSpec {
    *ALL.iter()
        .find(|s| s.kind() == kind)
        .expect("every kind has its behaviour in kinds::ALL (every_kind_is_registered_once)")
}

/// The desired side as resources, per kind (each kind's `desired`), in manifest order: each
/// declared entry's fields as its API names them (absent fields are not managed), minus its
/// identity; write-only fields (a v1 client's `signingKey`, the provider's `credentials`) apart.
pub fn desired_resources(desired: &Desired) -> Vec<Resource> {
    Kind::all().flat_map(|k| spec(k).desired(desired)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Pairing;
    use crate::manifest::types::ApiVersion;

    /// Every kind is listed once with its facts (by its unique rank, name and section) and once
    /// with its behaviour; one kind is pinned and one holds the lease; the kinds that refer to
    /// clients are planned after them.
    #[test]
    fn every_kind_is_registered_once() {
        for (i, k) in Kind::all().enumerate() {
            assert_eq!(usize::from(k.facts().rank), i, "{k}: rank");
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::of_section(k.section()), Some(k));
            assert_eq!(Kind::all().filter(|o| o.as_str() == k.as_str()).count(), 1);
            assert_eq!(
                ALL.iter().filter(|s| s.kind() == k).count(),
                1,
                "{k}: behaviour"
            );
        }
        assert_eq!(ALL.len(), Kind::all().count());
        let count = |f: &dyn Fn(&Kind) -> bool| Kind::all().filter(|k| f(k)).count();
        assert_eq!(
            count(&|k| k.pairing() == Pairing::Pinned),
            1,
            "pinned kinds"
        );
        assert_eq!(count(&|k| k.facts().holds_the_lease), 1, "lease holders");
        let pos = |k: Kind| ALL.iter().position(|s| s.kind() == k).unwrap();
        for k in Kind::all().filter(|k| k.clients_field().is_some()) {
            assert!(pos(Kind::clients()) < pos(k), "{k}");
        }
        assert!(pos(Kind::Client) < pos(Kind::Connection));
        assert_eq!(
            serde_json::from_str::<Kind>("\"client\"").unwrap(),
            Kind::Client
        );
        assert!(serde_json::from_str::<Kind>("\"nope\"").is_err());
    }

    /// Every kind says how at least one API addresses it, and each such API's facts hold
    /// together: a path under the API, scopes where the API has scopes, an id field for what is
    /// addressed by id, fields to compare.
    #[test]
    fn every_kind_declares_its_wire_facts() {
        use crate::dialect::wire::{Address, Fields, List};
        for k in Kind::all() {
            let apis: Vec<ApiVersion> = ApiVersion::ALL
                .into_iter()
                .filter(|a| k.wire(*a).is_some())
                .collect();
            assert!(!apis.is_empty(), "{k} is addressed by no API");
            for api in apis {
                let w = k.wire(api).unwrap();
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
