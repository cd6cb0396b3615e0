//! The facts of the prompts settings kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "prompts",
    noun: "prompts settings",
    plural: "prompts settings",
    section: "prompts",
    about: "How the login prompts behave (v2 only): the Universal Login experience, identifier first, WebAuthn first. Only the keys declared are managed; never deleted.",
    rank: 18,
    identity: None,
    named: Named::Singleton("settings"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/prompts",
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
        "read:prompts",
        "update:prompts",
        "update:prompts",
        "update:prompts",
    )),
    system: None,
};

/// The schema of the manifest's Prompts, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Prompts)
}
