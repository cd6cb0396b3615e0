//! The facts of the action kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "action",
    noun: "action",
    plural: "actions",
    section: "actions",
    about: "Actions: code run by the triggers they are bound to, identified by `name`; built and deployed by a0ctl (v2 only).",
    rank: 9,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/actions/actions",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Pages("actions"),
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &[],
    // Deploying is its own call (`/deploy`); whether the tenant's is deployed is read from its
    // `all_changes_deployed` (`KindSpec::read_tenant`).
    updates: Updates::AllBut(&["deployed"]),
    // A deploy is `create:actions` (`POST …/deploy`).
    scopes: Some(Scopes::crud(
        "read:actions",
        "create:actions",
        "update:actions",
        "delete:actions",
    )),
    system: None,
};

/// The schema of the manifest's Action, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Action)
}
