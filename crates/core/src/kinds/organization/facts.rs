//! The facts of the organization kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing, Reference};

pub static FACTS: Facts = Facts {
    name: "organization",
    noun: "organization",
    plural: "organizations",
    section: "organizations",
    about: "Organizations, identified by `name` (v2 only), and the connections each enables; members and invitations are the tenant's data, never managed.",
    rank: 19,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[Reference {
        field: "connections/*/connection",
        to: &crate::kinds::connection::facts::FACTS,
        tenant_field: None,
        allows: None,
        within: None,
    }],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/organizations",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    // Offset pages stop at 1,000 organizations; checkpoint pages do not.
    list: List::Checkpoint("organizations"),
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &[],
    // Enabled connections change by their own calls (`/organizations/{id}/enabled_connections`).
    updates: Updates::AllBut(&["connections"]),
    scopes: Some(Scopes::crud(
        "read:organizations",
        "create:organizations",
        "update:organizations",
        "delete:organizations",
    )),
    system: None,
};

/// The schema of the manifest's Organization, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Organization)
}
