//! The facts of the custom domain kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "custom_domain",
    noun: "custom domain",
    plural: "custom domains",
    section: "custom_domains",
    about: "Custom domains, identified by `domain` (v2 only); a changed `type` replaces one; verification is the domain owner's, read and reported, never done.",
    rank: 15,
    identity: Some("domain"),
    named: Named::By("domain"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/custom-domains",
    address: Address::Id,
    id_field: Some("custom_domain_id"),
    update: "PATCH",
    list: List::Bare,
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["domain"],
        defaults: &[],
    },
    replaced_by: &["type"],
    updates: Updates::Only(&["tls_policy", "custom_client_ip_header"]),
    scopes: Some(Scopes::crud(
        "read:custom_domains",
        "create:custom_domains",
        "update:custom_domains",
        "delete:custom_domains",
    )),
    system: None,
};

/// The schema of the manifest's CustomDomain, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::CustomDomain)
}
