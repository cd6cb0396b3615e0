//! The facts of the MFA factor kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "guardian_factor",
    noun: "MFA factor",
    plural: "MFA factors",
    section: "guardian_factors",
    about: "Multi-factor authentication factors, on or off, identified by `name` (v2 only). Only the factors named here are managed; never deleted.",
    rank: 12,
    identity: None,
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // Every factor always exists: it is turned on or off, never created or deleted.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/guardian/factors",
    address: Address::Name,
    id_field: None,
    update: "PUT",
    list: List::Bare,
    // No route reads one factor.
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:guardian_factors",
        "update:guardian_factors",
        "update:guardian_factors",
        "update:guardian_factors",
    )),
    system: None,
};

/// The schema of the manifest's GuardianFactor, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::GuardianFactor)
}
