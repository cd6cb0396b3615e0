//! The facts of the tenant settings kind (see `crate::kind::Facts`).

use crate::dialect::wire::{Address, Fields, Find, List, Scopes, Updates, Wire};
use crate::kind::facts::{Facts, Named, Pairing};

pub static FACTS: Facts = Facts {
    name: "tenant",
    noun: "tenant",
    plural: "tenants",
    section: "tenant",
    about: "The tenant's settings (v2 only): only the keys declared are managed; never deleted.",
    rank: 7,
    identity: None,
    named: Named::Singleton("settings"),
    pairing: Pairing::Name,
    references: &[],
    holds_users: false,
    holds_the_lease: false,
    // The settings always exist: they are changed, never created or deleted.
    deletable: false,
    v1: None,
    v2: Some(&V2),
};

static V2: Wire = Wire {
    collection: "/api/v2/tenants/settings",
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
        "read:tenant_settings",
        "update:tenant_settings",
        "update:tenant_settings",
        "update:tenant_settings",
    )),
    system: None,
};

/// The schema of the manifest's TenantSettings, whose fields this kind compares.
fn manifest_schema() -> schemars::Schema {
    schemars::schema_for!(super::manifest::TenantSettings)
}
