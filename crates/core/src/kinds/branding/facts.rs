//! The facts of the branding kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "branding",
    noun: "branding",
    plural: "brandings",
    section: "branding",
    about: "The login pages' colours, logo, favicon and font (v2 only): only the keys declared are managed; never deleted.",
    rank: 16,
    identity: None,
    named: Named::Singleton("branding"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // The branding always exists: it is changed, never created or deleted.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/branding",
    address: Address::Collection,
    id_field: None,
    update: "PATCH",
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
        "read:branding",
        "update:branding",
        "update:branding",
        "delete:branding",
    )),
    system: None,
};

/// The schema of the manifest's Branding, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Branding)
}
