//! The facts of the client grant kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing, Reference, Within};

pub static FACTS: Facts = Facts {
    name: "client_grant",
    noun: "client grant",
    plural: "client grants",
    section: "client_grants",
    about: "Which clients may ask for tokens for which APIs, with which scopes; identified by `client` and `audience` (v2 only).",
    rank: 6,
    identity: None,
    named: Named::Composed(&["client", "audience"]),
    pairing: Pairing::Name,
    references: &[
        Reference {
            field: "client",
            to: &crate::kinds::client::facts::FACTS,
            tenant_field: Some("client_id"),
            allows: None,
            within: None,
        },
        Reference {
            field: "audience",
            to: &crate::kinds::resource_server::facts::FACTS,
            tenant_field: Some("audience"),
            allows: Some(is_management_api),
            within: Some(Within {
                field: "scope",
                list: "scopes",
                key: "value",
                outer: false,
            }),
        },
    ],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: None,
    v2: Some(&V2),
};

/// The tenant's Management API audience (`https://TENANT/api/v2/`, with its final slash, as the
/// service names it), which no manifest declares.
pub fn is_management_api(audience: &str) -> bool {
    audience.ends_with("/api/v2/") && !audience.ends_with("//api/v2/")
}

static V2: Wire = Wire {
    collection: "/api/v2/client-grants",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Pages("client_grants"),
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["client", "audience"],
        defaults: &[],
    },
    replaced_by: &[],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:client_grants",
        "create:client_grants",
        "update:client_grants",
        "delete:client_grants",
    )),
    system: None,
};

/// The schema of the manifest's ClientGrant, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::ClientGrant)
}
