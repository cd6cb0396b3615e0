//! Resource kinds, one module each (`kinds/NAME/`): `facts.rs` is what the kind is, as data
//! (`crate::kind::Facts`: names, identity, pairing, references, per API its wire facts),
//! `manifest.rs` how the manifests declare it (its type, from which the schema follows), and
//! `mod.rs` what it does ([`KindSpec`]: how it reads its items, its calls, its export). What spans
//! kinds stays where it belongs, named as such: enabled clients (`plan::builder::enabled_clients`,
//! `diff`), rule orders (`plan::builder::rule_orders`, `diff`).
//!
//! Adding a kind: its module here, its facts' line in `crate::kind`, its line in [`ALL`] (both
//! in rank order).

pub mod action;
pub mod attack_protection;
pub mod branding;
pub mod branding_template;
pub mod client;
pub mod client_grant;
pub mod connection;
pub mod custom_domain;
pub mod email;
pub mod guardian_factor;
pub mod guardian_policy;
pub mod log_stream;
pub mod organization;
pub mod prompt_text;
pub mod prompts;
pub mod provider;
pub mod resource_server;
pub mod role;
pub mod rule;
pub mod spec;
pub mod tenant;
pub mod trigger;

pub use spec::KindSpec;

use crate::kind::Kind;

/// Every kind's behaviour, in rank order (as `Kind::all`).
pub static ALL: [&dyn KindSpec; 21] = [
    &connection::Connection,
    &client::Client,
    &rule::Rule,
    &email::Email,
    &provider::Provider,
    &resource_server::ResourceServer,
    &client_grant::ClientGrant,
    &tenant::Tenant,
    &role::Role,
    &action::Action,
    &trigger::Trigger,
    &attack_protection::AttackProtection,
    &guardian_factor::GuardianFactor,
    &guardian_policy::GuardianPolicies,
    &log_stream::LogStream,
    &custom_domain::CustomDomain,
    &branding::Branding,
    &branding_template::BrandingTemplate,
    &prompts::Prompts,
    &organization::Organization,
    &prompt_text::PromptText,
];

/// What `kind` does.
pub fn spec(kind: Kind) -> &'static dyn KindSpec {
    let spec = ALL[usize::from(kind.facts().rank)];
    debug_assert!(spec.kind() == kind, "every_kind_is_registered_once");
    spec
}

/// The kinds a run that manages `kinds` reads: those, the clients (other kinds refer to them)
/// and the kinds theirs name by id (`KindSpec::reads`).
pub fn read_with(kinds: &std::collections::BTreeSet<Kind>) -> std::collections::BTreeSet<Kind> {
    let mut out = kinds.clone();
    out.insert(Kind::clients());
    for k in kinds {
        out.extend(spec(*k).reads().iter().copied());
    }
    out
}

/// The kinds in the order their calls are planned: each after the kinds it refers to
/// (`Facts::references`), by rank where references leave a choice. Within a plan, each call
/// also waits for the calls it needs, so deletes of what is referred to still run after the
/// references to it are dropped.
pub fn plan_order() -> &'static [Kind] {
    static ORDER: std::sync::LazyLock<Vec<Kind>> = std::sync::LazyLock::new(|| {
        let kinds: Vec<Kind> = Kind::all().collect();
        let mut order: Vec<Kind> = Vec::with_capacity(kinds.len());
        while order.len() < kinds.len() {
            let next = kinds
                .iter()
                .find(|k| {
                    !order.contains(k)
                        && k.references()
                            .iter()
                            .all(|r| r.kind() == **k || order.contains(&r.kind()))
                })
                .expect("references between kinds form no cycle (kinds_are_planned_after_what_they_refer_to)");
            order.push(*next);
        }
        order
    });
    &ORDER
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
            count(&|k| matches!(k.pairing(), Pairing::Pinned(_))),
            1,
            "pinned kinds"
        );
        assert_eq!(count(&|k| k.facts().holds_the_lease), 1, "lease holders");
        for (i, spec) in ALL.iter().enumerate() {
            assert_eq!(
                usize::from(spec.kind().facts().rank),
                i,
                "ALL is in rank order"
            );
        }
        assert_eq!(
            serde_json::from_str::<Kind>("\"client\"").unwrap(),
            Kind::Client
        );
        assert!(serde_json::from_str::<Kind>("\"nope\"").is_err());
    }

    /// The plan order holds every kind once, each after every kind it refers to; clients
    /// (referred to by connections) come before connections though their rank is after.
    #[test]
    fn kinds_are_planned_after_what_they_refer_to() {
        let order = plan_order();
        assert_eq!(order.len(), Kind::all().count());
        let pos = |k: Kind| order.iter().position(|o| *o == k).unwrap();
        for k in Kind::all() {
            for r in k.references() {
                assert!(pos(r.kind()) <= pos(k), "{k} refers to {}", r.kind());
            }
        }
        assert!(pos(Kind::Client) < pos(Kind::Connection));
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
                    Fields::Manifest { schema, .. } => {
                        !crate::dialect::manifest_fields(&schema(), api).is_empty()
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
