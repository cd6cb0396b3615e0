//! The facts of the attack protection kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

/// The protections, as the API's paths name them (`/attack-protection/{name}`).
pub const NAMES: [&str; 3] = [
    "brute-force-protection",
    "breached-password-detection",
    "suspicious-ip-throttling",
];

pub static FACTS: Facts = Facts {
    name: "attack_protection",
    noun: "attack protection",
    plural: "attack protections",
    section: "attack_protection",
    about: "Brute-force protection, breached-password detection and suspicious-IP throttling, each identified by `name` (v2 only): only the keys declared are managed; never deleted.",
    rank: 11,
    identity: None,
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // Each protection always exists: it is changed, never created or deleted.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/attack-protection",
    address: Address::Name,
    id_field: None,
    update: "PATCH",
    list: List::EachNamed(|| NAMES.to_vec()),
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:attack_protection",
        "update:attack_protection",
        "update:attack_protection",
        "update:attack_protection",
    )),
    system: None,
};

/// The schema of the manifest's AttackProtection, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::AttackProtection)
}
