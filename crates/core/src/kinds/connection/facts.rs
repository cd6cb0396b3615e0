//! The facts of the connection kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Absent, Address, Fields, Find, List, Scopes, Updates, Verb, Wire};
use crate::kind::facts::{Facts, Named, Pairing, Reference};

pub static FACTS: Facts = Facts {
    name: "connection",
    noun: "connection",
    plural: "connections",
    section: "connections",
    about: "Identity providers (database, social, enterprise), identified by `name`.",
    rank: 0,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Name,
    references: &[Reference {
        field: "enabled_clients",
        to: &crate::kinds::client::facts::FACTS,
        tenant_field: None,
        allows: None,
        within: None,
    }],
    holds_users: true,
    // The lease's marker is a connection: creating, finding and deleting one has no effect
    // on logins while no client is enabled for it.
    holds_the_lease: true,
    deletable: true,
    v1: Some(&V1),
    v2: Some(&V2),
};

// v1 changes a connection's options only (its status per client apart).
static V1: Wire = Wire {
    collection: "/api/connections",
    address: Address::Name,
    id_field: Some("id"),
    update: "PUT",
    list: List::Bare,
    find: Find::Item,
    fields: Fields::Listed(&[
        ("strategy", Absent::EmptyText),
        ("options", Absent::EmptyObject),
    ]),
    replaced_by: &["strategy"],
    updates: Updates::Only(&["options"]),
    scopes: None,
    system: None,
};

static V2: Wire = Wire {
    collection: "/api/v2/connections",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Checkpoint("connections"),
    find: Find::Filter("name"),
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name", "enabled_clients"],
        defaults: &[("options", Absent::EmptyObject)],
    },
    replaced_by: &["strategy"],
    updates: Updates::AllBut(&["enabled_clients", "strategy"]),
    // Options are read and changed under scopes of their own.
    scopes: Some(Scopes {
        extra: &[
            (Verb::Read, None, "read:connections_options"),
            (Verb::Update, Some("options"), "update:connections_options"),
        ],
        ..Scopes::crud(
            "read:connections",
            "create:connections",
            "update:connections",
            "delete:connections",
        )
    }),
    system: None,
};

/// The schema of the manifest's Connection, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Connection)
}
