//! The facts of the resource server kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "resource_server",
    noun: "resource server",
    plural: "resource servers",
    section: "resource_servers",
    about: "APIs (resource servers) and the permissions they define, identified by `identifier` (v2 only).",
    rank: 5,
    identity: Some("identifier"),
    named: Named::By("identifier"),
    pairing: Pairing::Renamed("name"),
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/resource-servers",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Pages("resource_servers"),
    find: Find::Filter("identifiers"),
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["identifier", "signing_secret"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:resource_servers",
        "create:resource_servers",
        "update:resource_servers",
        "delete:resource_servers",
    )),
    // The tenant's Management API.
    system: Some("is_system"),
};

/// The schema of the manifest's ResourceServer, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::ResourceServer)
}
