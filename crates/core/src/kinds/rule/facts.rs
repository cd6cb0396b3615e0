//! The facts of the rule kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Absent, Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "rule",
    noun: "rule",
    plural: "rules",
    section: "rules",
    about: "Rules run at login, identified by `name`; `order` values are unique.",
    rank: 2,
    identity: Some("name"),
    named: Named::By("name"),
    pairing: Pairing::Ordered,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    deletable: true,
    v1: Some(&V1),
    v2: Some(&V2),
};

static V1: Wire = Wire {
    collection: "/api/rules",
    address: Address::Name,
    id_field: Some("id"),
    update: "PUT",
    list: List::Bare,
    find: Find::Item,
    fields: Fields::Listed(&[
        ("status", Absent::Null),
        ("script", Absent::Null),
        ("order", Absent::Null),
    ]),
    replaced_by: &[],
    updates: Updates::All,
    scopes: None,
    system: None,
};

static V2: Wire = Wire {
    collection: "/api/v2/rules",
    address: Address::Id,
    id_field: Some("id"),
    update: "PATCH",
    list: List::Pages("rules"),
    find: Find::Scan,
    fields: Fields::Manifest {
        schema: manifest_schema,
        skip: &["name"],
        defaults: &[],
    },
    replaced_by: &["stage"],
    updates: Updates::All,
    scopes: Some(Scopes::crud(
        "read:rules",
        "create:rules",
        "update:rules",
        "delete:rules",
    )),
    system: None,
};

/// The schema of the manifest's Rule, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::Rule)
}
