//! The facts of the MFA policy kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "guardian_policies",
    noun: "MFA policy",
    plural: "MFA policies",
    section: "guardian_policies",
    about: "When users are asked for MFA (v2 only): `policies`, a set of `all-applications` and `confidence-score`; `[]` is never. Absent: not managed.",
    rank: 13,
    identity: None,
    named: Named::Singleton("policies"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // The policies always exist (`[]`: none).
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/guardian/policies",
    address: Address::Collection,
    id_field: None,
    update: "PUT",
    list: List::Itself,
    find: Find::Item,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &[],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:mfa_policies",
        "update:mfa_policies",
        "update:mfa_policies",
        "update:mfa_policies",
    )),
    system: None,
};

/// The schema of the manifest's GuardianPolicies, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::GuardianPolicies)
}
