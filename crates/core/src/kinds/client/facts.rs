//! The facts of the client kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Absent, Address, Fields, Find, List, Scopes, Updates, Verb, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "client",
    noun: "client",
    plural: "clients",
    section: "clients",
    about: "Applications, identified by `name` (or by a pinned `client_id`).",
    rank: 1,
    identity: None,
    named: Named::By("name"),
    pairing: Pairing::Pinned("client_id"),
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: Some(&V1),
    v2: Some(&V2),
};

static V1: Wire = Wire {
    collection: "/api/clients",
    address: Address::Id,
    id_field: Some("clientID"),
    update: "PATCH",
    list: List::Bare,
    find: Find::Scan,
    fields: Fields::Listed(&[
        ("name", Absent::EmptyText),
        ("callbacks", Absent::EmptyList),
    ]),
    replaced_by: &[],
    updates: Updates::All,
    scopes: None,
    system: Some("global"),
};

static V2: Wire = Wire {
    collection: "/api/v2/clients",
    address: Address::Id,
    id_field: Some("client_id"),
    update: "PATCH",
    list: List::Pages("clients"),
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["client_id"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    // Private-key JWT credentials are created and changed under scopes of their own.
    scopes: Some(Scopes {
        extra: &[
            (
                Verb::Create,
                Some("client_authentication_methods"),
                "create:client_credentials",
            ),
            (
                Verb::Update,
                Some("client_authentication_methods"),
                "update:client_credentials",
            ),
        ],
        ..Scopes::crud(
            "read:clients",
            "create:clients",
            "update:clients",
            "delete:clients",
        )
    }),
    system: Some("global"),
};

/// The schema of the manifest's Client, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Client)
}
