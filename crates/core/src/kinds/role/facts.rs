//! The facts of the role kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing, Reference, Within};

pub static FACTS: Facts = Facts {
    name: "role",
    noun: "role",
    plural: "roles",
    section: "roles",
    about: "Roles and their permissions (scopes of APIs), identified by `name` (v2 only).",
    rank: 8,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[Reference {
        field: "permissions/*/resource_server",
        to: &crate::kinds::resource_server::facts::FACTS,
        tenant_field: None,
        allows: Some(crate::kinds::client_grant::facts::is_management_api),
        within: Some(Within {
            field: "scope",
            list: "scopes",
            key: "value",
            outer: false,
        }),
    }],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/roles",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Pages("roles"),
    find: Find::Filter("name_filter"),
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &[],
    // Permissions change by their own calls (`/roles/{id}/permissions`).
    updates: Updates::AllBut(&["permissions"]),
    scopes: Some(Scopes::crud(
        "read:roles",
        "create:roles",
        "update:roles",
        "delete:roles",
    )),
    system: None,
};

/// The schema of the manifest's Role, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Role)
}
